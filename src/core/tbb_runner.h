// Runs tasks on TBB threads in an arena of the requested size (never the
// global scheduler's settings). Threads take tasks in order from one atomic
// index, so results reach the reducer nearly in order and few wait there.
// No thread_local objects with destructors here (read buffers are per call):
// mingw-w64's emulated TLS (GCC < 16) frees their storage before their
// destructors run at thread exit, which can corrupt the heap (msys2/MINGW-packages#2519).
#pragma once

#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "messages.h"
#include "task_loop.h"
#include "tbb_threads.h"

namespace parairline {

// The first exception of a team of threads; once one thread has failed
// (out of memory, say) the others take no more tasks, and it is re-thrown on
// the calling thread when all have stopped.
class FirstFailure {
 public:
  // Runs f(); false if it threw or another thread's call did.
  template <class F>
  bool guard(F&& f) {
    if (failed_.load(std::memory_order_relaxed)) return false;
    try {
      f();
      return true;
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
      failed_.store(true);
      return false;
    }
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::atomic<bool> failed_{false};
  std::mutex mu_;
  std::exception_ptr error_;
};

// Calls drain() once on each of `threads` threads of an arena of that size
// (on this thread alone when it is 1).
template <class Drain>
inline void on_tbb_threads(int threads, Drain&& drain) {
  threads = tbb_threads(threads);
  if (threads <= 1) {
    drain();
    return;
  }
  tbb::task_arena arena(threads);
  arena.execute([&] { tbb::parallel_for(0, threads, [&](int) { drain(); }, tbb::simple_partitioner()); });
}

inline void run_tbb(const Plan& plan, ChainReducer& reducer, const WorkList& work, int threads,
                    const std::atomic<bool>& stop, std::atomic<uint64_t>* progress) {
  std::atomic<std::size_t> next{0};
  FirstFailure failure;
  on_tbb_threads(threads, [&] {
    std::vector<char> buf;  // read buffer, reused across this call's tasks
    PartialResult spare;    // reused across this call's tasks
    drain_tasks(next, work.size(), stop, [&](std::size_t i) {
      return failure.guard([&] { run_item(plan, reducer, work[i], buf, stop, progress, spare); });
    });
  });
  failure.rethrow();
}

// Runs the listed tasks, each with a guessed quote state, and returns
// their results as wire frames (messages.h); for work shipped to another
// process, which cannot see the other tasks' results.
inline std::string run_tasks_to_frames(const Plan& plan, const std::vector<std::size_t>& ids, int threads,
                                       const std::atomic<bool>& stop, std::atomic<uint64_t>* progress) {
  std::vector<ChunkResult> results(ids.size());
  for (ChunkResult& r : results) r.skipped = true;  // until scanned
  std::atomic<std::size_t> next{0};
  FirstFailure failure;
  on_tbb_threads(threads, [&] {
    std::vector<char> buf;
    drain_tasks(next, ids.size(), stop, [&](std::size_t i) {
      const TaskSpec& t = plan.tasks[ids[i]];
      return failure.guard([&] { scan_task(plan.query, plan.files[t.file], t, kGuessState, buf, stop, progress, results[i]); });
    });
  });
  failure.rethrow();
  std::string out;
  for (std::size_t i = 0; i < ids.size(); ++i) write_frame(out, ids[i], results[i]);
  return out;
}

}  // namespace parairline
