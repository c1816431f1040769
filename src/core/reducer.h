// Reducing: task results arrive in any order; per file the reducer chains
// the quote state from task to task, merges the partials whose guess held,
// asks for re-scans of the others and keeps the first error. Also the loop
// that re-runs what it asks for until the run settles.
#pragma once

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

}  // namespace parairline
