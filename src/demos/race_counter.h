// race_counter(): the lecture's shared counter, which loses updates without
// protection, and its two cures (an atomic add, a lock), on threads or on
// forked processes sharing memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>

#include "demos/common.h"

namespace parairline {

enum class RaceMethod { atomic, mutex, unsafe };

static_assert(std::atomic<std::int64_t>::is_always_lock_free,
              "the counter must be lock-free to be shared between processes");
static_assert(std::atomic<int>::is_always_lock_free, "the start flag must be lock-free");

struct RaceResult {
  std::int64_t expected = 0;
  std::int64_t observed = 0;
  double seconds = 0;
  DemoStatus status;
};

// The lecture's `v.value += 1` without a lock: a load, then a separate store.
// Each access is atomic, so there is no undefined behaviour, but another
// worker can store in between and then one of the two increments is lost.
inline void increment_unsafe(std::atomic<std::int64_t>& c) {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

inline void increment_atomic(std::atomic<std::int64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

// Threads look at the stop flag this often.
constexpr std::int64_t race_chunk = std::int64_t(1) << 16;

inline RaceResult race_counter_threads(int workers, std::int64_t increments, RaceMethod method,
                                       const Tick& tick) {
  RaceResult res;
  res.expected = static_cast<std::int64_t>(workers) * increments;
  alignas(64) std::atomic<std::int64_t> counter{0};
  std::int64_t plain = 0;  // guarded by `lock`
  std::mutex lock;
  std::atomic<bool> stop{false};
  auto body = [&](int) {
    for (std::int64_t done = 0; done < increments && !stop.load(std::memory_order_relaxed);) {
      const std::int64_t m = std::min(race_chunk, increments - done);
      switch (method) {
        case RaceMethod::atomic:
          for (std::int64_t k = 0; k < m; ++k) increment_atomic(counter);
          break;
        case RaceMethod::unsafe:
          for (std::int64_t k = 0; k < m; ++k) increment_unsafe(counter);
          break;
        case RaceMethod::mutex:
          for (std::int64_t k = 0; k < m; ++k) {
            std::lock_guard<std::mutex> g(lock);
            ++plain;
          }
          break;
      }
      done += m;
    }
  };
  const auto t0 = DemoClock::now();
  run_demo_threads(workers, body, stop, tick, res.status);
  res.seconds = seconds_since(t0);
  res.observed = method == RaceMethod::mutex ? plain : counter.load();
  return res;
}

// The lecture's multiprocessing.Lock for processes: a lock word in shared
// memory, 0 when free, else the pid of the worker holding it, taken with a
// compare-and-swap. A worker that dies holding it cannot hang the others: a
// waiter that finds the holder gone takes the lock over, as a robust mutex
// would (meanwhile the parent, which sees the death, stops the run anyway).
// Lock-free atomics work across processes everywhere, robust process-shared
// pthread mutexes do not (macOS has none), so this is the one lock for all.
class ProcessLock {
 public:
  // Made in the process that will lock it (it remembers the pid).
  explicit ProcessLock(std::atomic<std::int64_t>& word) : word_(word), me_(current_pid()) {}

  void lock() {
    for (unsigned tries = 1;; ++tries) {
      std::int64_t holder = word_.load(std::memory_order_relaxed);
      if (holder == 0) {
        if (word_.compare_exchange_weak(holder, me_, std::memory_order_acquire, std::memory_order_relaxed)) return;
        continue;
      }
      if (tries % 1024 == 0 && process_gone(holder) &&
          word_.compare_exchange_strong(holder, me_, std::memory_order_acquire, std::memory_order_relaxed)) {
        return;  // its holder died holding it
      }
      std::this_thread::yield();  // the holder may be waiting for a core
    }
  }
  void unlock() { word_.store(0, std::memory_order_release); }

 private:
  std::atomic<std::int64_t>& word_;
  const std::int64_t me_;
};

// Lives in a SharedMapping (zero-filled by mmap), so every worker sees it.
struct SharedRace {
  alignas(64) std::atomic<std::int64_t> counter;
  std::atomic<int> go;
  alignas(64) std::atomic<std::int64_t> lock;  // a ProcessLock's word
  std::int64_t plain;                          // guarded by `lock`
};

inline RaceResult race_counter_processes(int workers, std::int64_t increments, RaceMethod method,
                                         const Tick& tick) {
  RaceResult res;
  res.expected = static_cast<std::int64_t>(workers) * increments;
  SharedMapping mapping(sizeof(SharedRace));
  SharedRace* shared = new (mapping.data()) SharedRace;
  shared->counter.store(0);
  shared->go.store(0);
  shared->plain = 0;
  shared->lock.store(0);
  auto body = [shared, increments, method](int worker, int fd) -> int {
    maybe_crash_for_test(worker);
    // Start together, or the first child may finish before the last is forked.
    while (shared->go.load(std::memory_order_acquire) == 0) std::this_thread::yield();
    ProcessLock lock(shared->lock);
    for (std::int64_t k = 0; k < increments; ++k) {
      switch (method) {
        case RaceMethod::atomic:
          increment_atomic(shared->counter);
          break;
        case RaceMethod::unsafe:
          increment_unsafe(shared->counter);
          break;
        case RaceMethod::mutex:
          lock.lock();
          ++shared->plain;
          lock.unlock();
          break;
      }
    }
    return report_done(fd);
  };
  const auto t0 = DemoClock::now();
  ProcessRun run = run_processes(workers, body, tick, [shared] { shared->go.store(1, std::memory_order_release); });
  res.seconds = seconds_since(t0);
  check_worker_reports(run, std::string(1, worker_done));
  res.status = run.status;
  // Every child has been reaped, so nobody writes any more.
  res.observed = method == RaceMethod::mutex ? shared->plain : shared->counter.load();
  return res;
}

inline RaceResult race_counter(int workers, std::int64_t increments, RaceMethod method, bool processes,
                               const Tick& tick) {
  if (!processes) return race_counter_threads(workers, increments, method, tick);
  if (!fork_available) return no_fork_result<RaceResult>();
  return race_counter_processes(workers, increments, method, tick);
}

}  // namespace parairline
