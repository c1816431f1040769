// Runs a plan's tasks in forked worker processes and feeds their results to a
// ChainReducer in the parent. R-free. Where there is no fork() (Windows)
// run_fork() throws; fork_available says so beforehand.
//
// The parent forks the workers (ProcessPool). Each worker takes the next task
// with fetch_add on an index in shared memory, scans it single-threaded and
// writes one checksummed wire frame per task to its pipe, so the parent reads
// a stream and a pipe never fills up. The parent decodes frames as they come
// (between polls) and submits them to the reducer. Tasks whose guessed quote
// state proved wrong are left in the reducer for the caller to re-scan: a
// chain of them can need one round per link, and forking for every round
// costs more than the scans.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "messages.h"
#include "plan.h"
#include "process_pool.h"
#include "reducer.h"
#include "task_loop.h"
#include "wire.h"

namespace parairline {

// How a fork run ended, apart from the reducer's result or error.
struct ForkOutcome {
  bool interrupted = false;         // tick() returned false; every worker is gone
  std::vector<std::string> faults;  // one per failed worker: which one and how it died
};

// Called on the parent's thread about every slice with the bytes scanned so
// far; returning false stops the run (Ctrl-C).
using ForkTick = std::function<bool(uint64_t bytes_done)>;

// Lives in a SharedMapping, so the parent and every worker see the same one.
struct ForkShared {
  alignas(64) std::atomic<uint64_t> next{0};        // next item of the work list
  alignas(64) std::atomic<uint64_t> bytes_done{0};  // progress, summed over workers
  alignas(64) std::atomic<uint64_t> skip_from{std::numeric_limits<uint64_t>::max()};  // tasks >= this are not needed
  std::atomic<bool> stop{false};  // set by the parent on Ctrl-C, just before it kills them
};

static_assert(std::atomic<uint64_t>::is_always_lock_free, "shared counters must be lock-free across processes");
static_assert(std::atomic<bool>::is_always_lock_free, "the shared stop flag must be lock-free across processes");

constexpr int fork_slice_ms = 50;

namespace fork_detail {

inline void nap_ms(long ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// What a worker runs: items of `work` until none is left, one frame each.
inline int worker_main(const Plan& plan, const WorkList& work, ForkShared& shared, int worker, int fd) {
  const TestFault fault = test_fault_for(worker);
  if (fault == TestFault::hang) nap_ms(10000);
  std::vector<char> buf;
  std::string frame;
  int status = -1;  // set when a write ends the worker early
  drain_tasks(shared.next, work.size(), shared.stop, [&](std::size_t i) {
    const std::size_t t = work[i].first;
    ChunkResult r;
    if (t >= shared.skip_from.load(std::memory_order_relaxed)) {
      r.skipped = true;
    } else {
      const TaskSpec& task = plan.tasks[t];
      scan_task(plan.query, plan.files[task.file], task, work[i].second, buf, shared.stop, &shared.bytes_done, r);
    }
    frame.clear();
    write_frame(frame, t, r);
    if (fault == TestFault::truncate) {
      status = write_all(fd, frame.data(), frame.size() / 2) ? 0 : 2;
      return false;
    }
    if (!write_all(fd, frame.data(), frame.size())) {
      status = 2;
      return false;
    }
    return fault != TestFault::kill && fault != TestFault::exit;
  });
  if (status >= 0) return status;
  // Test faults (test_fault_for()) strike after the first result, or at the
  // end if there was none.
  switch (fault) {
    case TestFault::kill:
      kill_self();
    case TestFault::exit:
      return 3;
    case TestFault::truncate:
      write_frame(frame, 0, ChunkResult());
      return write_all(fd, frame.data(), frame.size() / 2) ? 0 : 2;
    default:
      return 0;
  }
}

// The parent's side of running `work` on up to `workers` children.
class Round {
 public:
  Round(const Plan& plan, ChainReducer& reducer, const WorkList& work, ForkShared& shared)
      : plan_(plan), reducer_(reducer), work_(work), shared_(shared), wanted_(plan.tasks.size(), 0) {
    for (const auto& w : work) wanted_[w.first] = 1;
  }

  // False if interrupted; worker faults land in outcome.faults, at once:
  // a worker that dies or sends a cut or damaged stream stops the run.
  bool run(int workers, const ForkTick& tick, ForkOutcome& outcome) {
    shared_.next.store(0);
    const int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(std::max(workers, 1)), work_.size()));
    if (n == 0) return true;
    ProcessPool pool(n, [this](int worker, int fd) { return worker_main(plan_, work_, shared_, worker, fd); });
    out_.assign(static_cast<std::size_t>(n), std::string());
    damage_.assign(static_cast<std::size_t>(n), std::string());
    bool user_stop = false;
    auto poll_tick = [&]() {
      bool damaged = false;
      for (std::size_t w = 0; w < out_.size(); ++w) {
        // A pipe that has ended must hold whole frames only.
        decode(w, pool.closed(static_cast<int>(w)));
        damaged = damaged || !damage_[w].empty();
      }
      note_first_error();
      if (damaged) {
        shared_.stop.store(true);
        return false;
      }
      if (tick(shared_.bytes_done.load(std::memory_order_relaxed))) return true;
      user_stop = true;
      shared_.stop.store(true);  // the pool kills them next; this only hurries them
      return false;
    };
    const CollectEnd end = pool.collect(out_, poll_tick, fork_slice_ms);
    if (end == CollectEnd::done) {
      for (std::size_t w = 0; w < out_.size(); ++w) decode(w, true);
    }
    outcome.faults = pool.faults();
    for (std::size_t w = 0; w < damage_.size(); ++w) {
      if (!damage_[w].empty()) {
        outcome.faults.push_back("worker " + std::to_string(w + 1) + " (pid " + std::to_string(pool.pid(static_cast<int>(w))) +
                                 ") sent a damaged or cut result (" + damage_[w] + ")");
      }
    }
    if (user_stop) {
      outcome.interrupted = true;  // faults found before Ctrl-C are kept
      return false;
    }
    if (outcome.faults.empty() && end != CollectEnd::done) {
      outcome.faults.push_back("a worker failed, but how could not be told");
    }
    if (outcome.faults.empty()) {
      const auto missing = std::count(wanted_.begin(), wanted_.end(), char{1});
      if (missing > 0) {
        outcome.faults.push_back("the workers exited normally, but the results of " + std::to_string(missing) +
                                 " chunk" + (missing == 1 ? "" : "s") + " never arrived");
      }
    }
    return true;
  }

 private:
  // Submits worker w's complete frames; with `final`, the rest of its bytes
  // must be whole frames too. A bad stream is remembered, never thrown.
  void decode(std::size_t w, bool final) {
    std::string& bytes = out_[w];
    if (!damage_[w].empty() || bytes.empty()) return;
    std::size_t whole = bytes.size();
    if (!final) {
      whole = wire::whole_frames_length(bytes.data(), bytes.size());
      if (whole == 0) return;
    }
    try {
      for (auto& r : read_frames(bytes.data(), whole)) {
        if (r.first >= wanted_.size() || wanted_[r.first] != 1) {
          damage_[w] = "a result for an unexpected chunk";
          return;
        }
        wanted_[r.first] = 2;
        reducer_.submit(static_cast<std::size_t>(r.first), std::move(r.second));
      }
    } catch (const std::exception& e) {
      damage_[w] = e.what();
      return;
    }
    bytes.erase(0, whole);
  }

  // Once an error is confirmed, later tasks need not run (see
  // ChainReducer::skip); tell the workers the first such task.
  void note_first_error() {
    if (!reducer_.has_error()) return;
    std::size_t lo = 0, hi = plan_.tasks.size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (reducer_.skip(mid)) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    shared_.skip_from.store(static_cast<uint64_t>(lo), std::memory_order_relaxed);
  }

  const Plan& plan_;
  ChainReducer& reducer_;
  const WorkList& work_;
  ForkShared& shared_;
  std::vector<char> wanted_;  // per task: 0 not in this round, 1 awaited, 2 arrived
  std::vector<std::string> out_, damage_;
};

}  // namespace fork_detail

// Runs the first scan of every task of `plan` (see first_scan()) in at most
// `workers` forked children (fewer if there are fewer tasks) and submits the
// results to `reducer`; the re-scans it then asks for are the caller's. Call
// from a thread that outlives the run (the R main thread): children get
// SIGKILL when it ends. Throws std::runtime_error if a pipe, fork or mmap
// fails. However it ends, no child, pipe or mapping is left.
inline ForkOutcome run_fork(const Plan& plan, ChainReducer& reducer, int workers, const ForkTick& tick) {
  ForkOutcome outcome;
  SharedMapping mapping(sizeof(ForkShared));
  ForkShared* shared = new (mapping.data()) ForkShared;  // trivially destructible: munmap suffices
  const WorkList work = first_scan(plan);
  fork_detail::Round round(plan, reducer, work, *shared);
  round.run(workers, tick, outcome);
  return outcome;
}

}  // namespace parairline
