// Planning (headers, columns, byte-range tasks) and reducing (chaining the
// quote state from task to task, merging partials, picking the first error).
// Every backend is this plan plus a way of running tasks and handing the
// results to a ChainReducer.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "chunk_scan.h"
#include "csv_source.h"
#include "partial.h"

namespace parairline {

struct Plan {
  std::vector<FilePlan> files;
  std::vector<TaskSpec> tasks;
  uint64_t total_bytes = 0;  // on disk, for progress
};

inline std::string quoted_list(const std::vector<std::string>& names, std::size_t most) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < most; ++i) {
    if (i) s += ", ";
    s += "\"" + names[i] + "\"";
  }
  if (names.size() > most) s += ", ... (" + std::to_string(names.size() - most) + " more)";
  return s;
}

inline CoreError plan_file(const std::string& path, const std::string& key, const std::string& value,
                           uint64_t chunk_bytes, uint32_t file_index, Plan& plan) {
  FilePlan fp;
  fp.path = path;
  fp.key_name = key;
  fp.val_name = value;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return io_error(path, "Cannot open the file: " + errno_text(errno) + ".");
  if (S_ISDIR(st.st_mode)) return io_error(path, "This is a directory, not a CSV file.");
  fp.size = static_cast<uint64_t>(st.st_size);
  if (fp.size == 0) return io_error(path, "The file is empty (0 bytes), so it has no header line.");
  fp.gz = is_gzip_file(path);
  std::vector<std::string> names;
  try {
    std::unique_ptr<ByteSource> src = fp.gz ? std::unique_ptr<ByteSource>(new GzSource(path))
                                            : std::unique_ptr<ByteSource>(new FileSource(path, 0, fp.size));
    bool empty = false;
    names = read_header(*src, fp.data_begin, empty);
    if (empty) return io_error(path, "The file is empty, so it has no header line.");
  } catch (const IoFailure& e) {
    return io_error(path, e.what());
  }
  auto find = [&](const std::string& name, uint32_t& col) -> CoreError {
    const auto n = std::count(names.begin(), names.end(), name);
    if (n == 0) {
      CoreError e = io_error(path, "Column \"" + name + "\" is not in the header. The header has " +
                                       std::to_string(names.size()) + " column" + (names.size() == 1 ? "" : "s") +
                                       ": " + quoted_list(names, 60) + ".");
      e.kind = CoreError::Kind::parse;
      e.line = 1;
      return e;
    }
    if (n > 1) {
      CoreError e = io_error(path, "Column \"" + name + "\" appears " + std::to_string(n) +
                                       " times in the header, so it is ambiguous.");
      e.kind = CoreError::Kind::parse;
      e.line = 1;
      return e;
    }
    col = static_cast<uint32_t>(std::find(names.begin(), names.end(), name) - names.begin());
    return CoreError();
  };
  if (CoreError e = find(key, fp.key_col)) return e;
  if (CoreError e = find(value, fp.val_col)) return e;
  fp.ncols = static_cast<uint32_t>(names.size());

  if (fp.gz) {
    // A gzip stream cannot be entered in the middle: one task per file.
    TaskSpec t;
    t.file = file_index;
    t.begin = fp.data_begin;
    t.end = ChunkScanner::kNone;
    t.first = t.last = true;
    plan.tasks.push_back(t);
  } else if (fp.data_begin < fp.size) {
    const uint64_t n = fp.size - fp.data_begin;
    const uint64_t pieces = (n + chunk_bytes - 1) / chunk_bytes;
    for (uint64_t i = 0; i < pieces; ++i) {
      TaskSpec t;
      t.file = file_index;
      t.begin = fp.data_begin + i * chunk_bytes;
      t.end = std::min(fp.size, t.begin + chunk_bytes);
      t.first = i == 0;
      t.last = i + 1 == pieces;
      plan.tasks.push_back(t);
    }
  }
  plan.total_bytes += fp.size;
  plan.files.push_back(std::move(fp));
  return CoreError();
}

// Plans every file; the first error (in file order) wins.
inline CoreError make_plan(const std::vector<std::string>& paths, const std::string& key,
                           const std::string& value, uint64_t chunk_bytes, Plan& plan) {
  plan = Plan();
  chunk_bytes = std::max<uint64_t>(chunk_bytes, 1);
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (CoreError e = plan_file(paths[i], key, value, chunk_bytes, static_cast<uint32_t>(i), plan)) return e;
  }
  return CoreError();
}

// Takes task results in any order from any thread. Per file it walks the
// tasks in order with the true quote state, merges the results whose
// hypothesis held, asks for re-scans of the others, and keeps the first error.
class ChainReducer {
 public:
  explicit ChainReducer(const Plan& plan) : plan_(plan) {
    const std::size_t nf = plan.files.size();
    next_.assign(nf, 0);
    end_.assign(nf, 0);
    state_.assign(nf, false);
    std::vector<bool> seen(nf, false);
    for (std::size_t t = 0; t < plan.tasks.size(); ++t) {
      const uint32_t f = plan.tasks[t].file;
      if (!seen[f]) {
        next_[f] = t;
        seen[f] = true;
      }
      end_[f] = t + 1;
    }
    for (std::size_t f = 0; f < nf; ++f) {
      if (!seen[f]) next_[f] = end_[f] = 0;
    }
  }

  // True if a confirmed error comes before task t, so t need not run.
  bool skip(std::size_t t) const { return t > first_error_task_.load(std::memory_order_relaxed); }

  void submit(std::size_t t, ChunkResult&& r) {
    std::lock_guard<std::mutex> lock(mu_);
    const uint32_t f = plan_.tasks[t].file;
    if (t < next_[f]) {
      // A re-scan with the true state of a task whose parity was already used.
      accept(t, r);
      return;
    }
    pending_[t] = std::move(r);
    advance(f);
  }

  // Tasks to scan again, with the true in-quotes state at their start.
  WorkList take_reruns() {
    std::lock_guard<std::mutex> lock(mu_);
    WorkList out;
    out.swap(reruns_);
    return out;
  }

  bool has_error() const { return error_task_ != kNoTask; }
  const CoreError& error() const { return error_; }
  PartialResult& total() { return total_; }
  const PartialResult& total() const { return total_; }

  // Every task accounted for (only meaningful without an error).
  bool complete() const {
    for (std::size_t f = 0; f < next_.size(); ++f) {
      if (next_[f] != end_[f]) return false;
    }
    return true;
  }

 private:
  static constexpr std::size_t kNoTask = ~std::size_t{0};

  void accept(std::size_t t, ChunkResult& r) {
    if (r.skipped) return;
    if (r.error) {
      if (t < error_task_) {
        error_task_ = t;
        error_ = std::move(r.error);
        first_error_task_.store(t, std::memory_order_relaxed);
      }
      return;
    }
    total_.merge(r.partial);
  }

  void advance(uint32_t f) {
    while (next_[f] < end_[f]) {
      auto it = pending_.find(next_[f]);
      if (it == pending_.end()) return;
      const std::size_t t = it->first;
      ChunkResult r = std::move(it->second);
      pending_.erase(it);
      if (r.skipped) return;  // stopped: the chain ends here
      if (r.hyp == state_[f]) {
        accept(t, r);
        if (r.error) {
          next_[f] = end_[f];
          return;
        }
      } else {
        reruns_.emplace_back(t, state_[f] ? kInsideQuotes : kOutsideQuotes);
        if (!r.parity_known && !plan_.tasks[t].last) return;  // wait for the re-scan
      }
      if (!plan_.tasks[t].last) state_[f] = state_[f] ^ r.parity;
      ++next_[f];
    }
  }

  const Plan& plan_;
  std::mutex mu_;
  std::vector<std::size_t> next_, end_;
  std::vector<bool> state_;
  std::map<std::size_t, ChunkResult> pending_;
  WorkList reruns_;
  PartialResult total_;
  CoreError error_;
  std::size_t error_task_ = kNoTask;
  std::atomic<std::size_t> first_error_task_{kNoTask};
};

// The first scan: every task, its quote state guessed from the data.
inline WorkList first_scan(const Plan& plan) {
  WorkList work;
  work.reserve(plan.tasks.size());
  for (std::size_t t = 0; t < plan.tasks.size(); ++t) work.emplace_back(t, kGuessState);
  return work;
}

using RunMany = std::function<void(const WorkList&)>;

// Runs `work` with `run_many`, which must scan each listed task and submit
// its result, then re-runs what the reducer asks for until nothing is left.
// Returns false if stopped.
inline bool run_until_settled(WorkList work, ChainReducer& reducer, const RunMany& run_many,
                              const std::atomic<bool>& stop) {
  while (!work.empty()) {
    run_many(work);
    if (stop.load()) return false;
    work = reducer.take_reruns();
  }
  return true;
}

// The whole run: the first scan, then the re-scans.
inline bool reduce_all(const Plan& plan, ChainReducer& reducer, const RunMany& run_many,
                       const std::atomic<bool>& stop) {
  return run_until_settled(first_scan(plan), reducer, run_many, stop);
}

// Calls take(i) for i = next++ while i < n, until take returns false or
// `stop` is set: the loop of every runner's threads and worker processes,
// which share `next`. Once stopped it takes no more tasks, so Ctrl-C does
// not wait for the rest of the queue to be marked skipped.
template <class Index, class Take>
inline void drain_tasks(std::atomic<Index>& next, std::size_t n, const std::atomic<bool>& stop, Take&& take) {
  while (!stop.load(std::memory_order_relaxed)) {
    const auto i = static_cast<std::size_t>(next.fetch_add(1, std::memory_order_relaxed));
    if (i >= n || !take(i)) return;
  }
}

// Scans one work item and submits its result; a task the reducer no longer
// needs (after an error) is submitted as skipped.
inline void run_item(const Plan& plan, ChainReducer& reducer, const WorkItem& w, std::vector<char>& buf,
                     const std::atomic<bool>& stop, std::atomic<uint64_t>* progress) {
  ChunkResult r;
  if (reducer.skip(w.first)) {
    r.skipped = true;
  } else {
    const TaskSpec& t = plan.tasks[w.first];
    scan_task(plan.files[t.file], t, w.second, buf, stop, progress, r);
  }
  reducer.submit(w.first, std::move(r));
}

// Serial runner: the reference for the chunked parse.
inline void run_serial(const Plan& plan, ChainReducer& reducer, const WorkList& work,
                       std::vector<char>& buf, const std::atomic<bool>& stop, std::atomic<uint64_t>* progress) {
  std::atomic<std::size_t> next{0};
  drain_tasks(next, work.size(), stop, [&](std::size_t i) {
    run_item(plan, reducer, work[i], buf, stop, progress);
    return true;
  });
}

// The error's line number, counted on demand (main thread only).
inline void locate_error(const Plan& plan, CoreError& e) {
  if (!e.has_offset || e.line != 0) return;
  for (const FilePlan& fp : plan.files) {
    if (fp.path == e.file) {
      try {
        e.line = line_at(fp, e.offset);
      } catch (const IoFailure&) {
        e.line = 0;
      }
      return;
    }
  }
}

}  // namespace parairline
