// race_counter(): the lecture's shared counter, which loses updates without
// protection, and its two cures (an atomic add, a lock), on threads or on
// forked processes sharing memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>
#include <stdexcept>

#include "demos/common.h"

#ifndef _WIN32
#include <pthread.h>
#include <sched.h>
#endif

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

#ifndef _WIN32

// The lecture's multiprocessing.Lock: a pthread mutex in shared memory marked
// PTHREAD_PROCESS_SHARED. Robust on Linux, so a worker that dies holding it
// cannot hang the others.
class ProcessSharedMutex {
 public:
  explicit ProcessSharedMutex(pthread_mutex_t* m) : m_(m) {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    int rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
#ifdef __linux__
    if (rc == 0) rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
#endif
    if (rc == 0) rc = pthread_mutex_init(m_, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0) throw std::runtime_error(errno_message("pthread_mutex_init", rc));
  }
  ~ProcessSharedMutex() { pthread_mutex_destroy(m_); }
  ProcessSharedMutex(const ProcessSharedMutex&) = delete;
  ProcessSharedMutex& operator=(const ProcessSharedMutex&) = delete;

  static bool lock(pthread_mutex_t* m) {
    int rc = pthread_mutex_lock(m);
#ifdef __linux__
    if (rc == EOWNERDEAD) rc = pthread_mutex_consistent(m);
#endif
    return rc == 0;
  }
  static void unlock(pthread_mutex_t* m) { pthread_mutex_unlock(m); }

 private:
  pthread_mutex_t* m_;
};

// Lives in a SharedMapping (zero-filled by mmap), so every worker sees it.
struct SharedRace {
  alignas(64) std::atomic<std::int64_t> counter;
  std::atomic<int> go;
  std::int64_t plain;  // guarded by `lock`
  pthread_mutex_t lock;
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
  ProcessSharedMutex mutex(&shared->lock);
  auto body = [shared, increments, method](int worker, int fd) -> int {
    maybe_crash_for_test(worker);
    // Start together, or the first child may finish before the last is forked.
    while (shared->go.load(std::memory_order_acquire) == 0) sched_yield();
    for (std::int64_t k = 0; k < increments; ++k) {
      switch (method) {
        case RaceMethod::atomic:
          increment_atomic(shared->counter);
          break;
        case RaceMethod::unsafe:
          increment_unsafe(shared->counter);
          break;
        case RaceMethod::mutex:
          if (!ProcessSharedMutex::lock(&shared->lock)) return 4;
          ++shared->plain;
          ProcessSharedMutex::unlock(&shared->lock);
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

#endif  // _WIN32

inline RaceResult race_counter(int workers, std::int64_t increments, RaceMethod method, bool processes,
                               const Tick& tick) {
  if (!processes) return race_counter_threads(workers, increments, method, tick);
#ifndef _WIN32
  return race_counter_processes(workers, increments, method, tick);
#else
  return no_fork_result<RaceResult>();
#endif
}

}  // namespace parairline
