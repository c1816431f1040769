// Reducing: task results arrive in any order; per file the reducer chains
// the quote state from task to task, merges the partials whose guess held,
// asks for re-scans of the others and keeps the first error. Also the loop
// that re-runs what it asks for until the run settles.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "chunk_scan.h"
#include "partial.h"
#include "plan.h"

namespace parairline {

// The total of a run, split by hash into partitions that threads merge
// into at once, each under its own lock; small tables also keep the merge
// of millions of groups in cache. Their arrays come from one PagePool.
class PartitionedTotal {
 public:
  static constexpr int kBits = 8;
  static constexpr std::size_t kParts = std::size_t{1} << kBits;

  PartitionedTotal(uint32_t nvalues, uint32_t nkeys, bool extremes = false) : key_types_(nkeys, 0), locks_(kParts) {
    for (std::size_t i = 0; i < kParts; ++i) {
      parts_.emplace_back(nvalues, nkeys, extremes, &pool_);
      parts_.back().keep_no_hashes();
    }
  }

  ~PartitionedTotal() { pool_.close(); }  // before the partitions are freed
  PartitionedTotal(const PartitionedTotal&) = delete;
  PartitionedTotal& operator=(const PartitionedTotal&) = delete;

  void merge(const PartialResult& p) {
    {
      std::lock_guard<std::mutex> lock(types_mu_);
      for (std::size_t j = 0; j < key_types_.size() && j < p.key_types().size(); ++j) {
        if (p.key_types()[j] > key_types_[j]) key_types_[j] = p.key_types()[j];
      }
    }
    if (p.size() == 0) return;
    // Counting sort of the groups by partition, then one lock per partition.
    std::vector<uint32_t> start(kParts + 1, 0);
    for (std::size_t g = 0; g < p.size(); ++g) ++start[part_of(p.hash(g)) + 1];
    for (std::size_t i = 0; i < kParts; ++i) start[i + 1] += start[i];
    std::vector<uint32_t> order(p.size());
    std::vector<uint32_t> fill(start.begin(), start.end() - 1);
    for (std::size_t g = 0; g < p.size(); ++g) order[fill[part_of(p.hash(g))]++] = static_cast<uint32_t>(g);
    // Threads merging at once start at different partitions, not in a convoy.
    const std::size_t first = part_of(p.hash(0));
    for (std::size_t step = 0; step < kParts; ++step) {
      const std::size_t i = (first + step) % kParts;
      if (start[i] == start[i + 1]) continue;
      std::lock_guard<std::mutex> lock(locks_[i]);
      PartialResult& t = parts_[i];
      t.prepare_merge(p);
      t.reserve(t.size() + (start[i + 1] - start[i]));
      // The partition's table is cold: ask for slots a few groups ahead.
      constexpr uint32_t kAhead = 8;
      for (uint32_t k = start[i]; k < start[i + 1]; ++k) {
        if (k + kAhead < start[i + 1]) t.prefetch(p.hash(order[k + kAhead]));
        t.merge_group(p, order[k]);
      }
    }
  }

  const std::vector<PartialResult>& parts() const { return parts_; }

  // The run is over: the lookup indexes and the pool's spare pieces go back
  // to the system, and only the groups are kept. No merge may follow.
  void compact() {
    for (PartialResult& p : parts_) p.compact();
    pool_.drain();
  }
  const std::vector<uint8_t>& key_types() const { return key_types_; }
  std::size_t size() const {
    std::size_t n = 0;
    for (const PartialResult& p : parts_) n += p.size();
    return n;
  }

  // Every partition in one table (for tests and tools; results use parts()).
  PartialResult merged() const {
    PartialResult all(parts_[0].nvalues(), static_cast<uint32_t>(key_types_.size()));
    all.reserve(size());
    for (const PartialResult& p : parts_) {
      all.prepare_merge(p);
      for (std::size_t g = 0; g < p.size(); ++g) all.merge_group(p, g);
    }
    all.merge_key_types(key_types_);
    return all;
  }

 private:
  // The top bits: the tables index slots by the low ones.
  static std::size_t part_of(uint64_t h) { return static_cast<std::size_t>(h >> (64 - kBits)); }

  PagePool pool_;  // the partitions' arrays (declared first: freed last)
  std::vector<PartialResult> parts_;
  std::vector<uint8_t> key_types_;
  std::mutex types_mu_;
  std::vector<std::mutex> locks_;
};

// Rows left out of one file (bad_rows = "skip"): how many, and where the
// first few start.
struct BadRows {
  uint64_t count = 0;
  std::vector<uint64_t> offsets;  // sorted, at most kBadRowSamples

  void add(uint64_t n, const std::vector<uint64_t>& at) {
    count += n;
    offsets.insert(offsets.end(), at.begin(), at.end());
    std::sort(offsets.begin(), offsets.end());
    if (offsets.size() > kBadRowSamples) offsets.resize(kBadRowSamples);
  }
};

// Takes task results in any order from any thread. Per file it walks the
// tasks in order with the true quote state, merges the results whose
// hypothesis held, asks for re-scans of the others, and keeps the first error.
class ChainReducer {
 public:
  explicit ChainReducer(const Plan& plan)
      : plan_(plan),
        total_(static_cast<uint32_t>(plan.query.values.size()), static_cast<uint32_t>(plan.query.keys.size()),
               plan.query.any_minmax()) {
    const std::size_t nf = plan.files.size();
    next_.assign(nf, 0);
    end_.assign(nf, 0);
    bad_.assign(nf, BadRows());
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

  // `spare`, if given, receives a merged partial's memory for reuse.
  void submit(std::size_t t, ChunkResult&& r, PartialResult* spare = nullptr) {
    std::vector<PartialResult> ready;  // merged after the chain's lock is released
    {
      std::lock_guard<std::mutex> lock(mu_);
      const uint32_t f = plan_.tasks[t].file;
      if (t < next_[f]) {
        // A re-scan with the true state of a task whose parity was already used.
        accept(t, r, ready);
      } else {
        pending_[t] = std::move(r);
        advance(f, ready);
      }
    }
    for (const PartialResult& p : ready) total_.merge(p);
    if (spare && !ready.empty()) *spare = std::move(ready.back());
  }

  // Tasks to scan again, with the true in-quotes state at their start.
  WorkList take_reruns() {
    std::lock_guard<std::mutex> lock(mu_);
    WorkList out;
    out.swap(reruns_);
    return out;
  }

  bool has_error() const { return error_task_ != kNoTask; }
  // Per file, the rows left out (read once the run is over).
  const std::vector<BadRows>& bad_rows() const { return bad_; }
  const CoreError& error() const { return error_; }
  const PartitionedTotal& totals() const { return total_; }
  PartitionedTotal& totals() { return total_; }
  // The totals in one table (tests and tools).
  PartialResult total() const { return total_.merged(); }

  // Every task accounted for (only meaningful without an error).
  bool complete() const {
    for (std::size_t f = 0; f < next_.size(); ++f) {
      if (next_[f] != end_[f]) return false;
    }
    return true;
  }

 private:
  static constexpr std::size_t kNoTask = ~std::size_t{0};

  void accept(std::size_t t, ChunkResult& r, std::vector<PartialResult>& ready) {
    if (r.skipped) return;
    if (r.error) {
      if (t < error_task_) {
        error_task_ = t;
        error_ = std::move(r.error);
        first_error_task_.store(t, std::memory_order_relaxed);
      }
      return;
    }
    if (r.bad_rows) bad_[plan_.tasks[t].file].add(r.bad_rows, r.bad_offsets);
    for (PartialResult& p : r.sealed) ready.push_back(std::move(p));
    ready.push_back(std::move(r.partial));
  }

  void advance(uint32_t f, std::vector<PartialResult>& ready) {
    while (next_[f] < end_[f]) {
      auto it = pending_.find(next_[f]);
      if (it == pending_.end()) return;
      const std::size_t t = it->first;
      ChunkResult r = std::move(it->second);
      pending_.erase(it);
      if (r.skipped) return;  // stopped: the chain ends here
      if (r.hyp == state_[f]) {
        accept(t, r, ready);
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
  std::vector<BadRows> bad_;
  WorkList reruns_;
  PartitionedTotal total_;
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

}  // namespace parairline
