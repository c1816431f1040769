// The teaching demos: a shared counter that loses updates and its two cures,
// a CPU-bound loop on threads and on processes, a parallel Riemann sum and a
// shared array negated in place by forked workers. R-free: the glue is
// src/demos_r.cpp. Worker threads and children only compute; the calling
// (main) thread waits in slices and asks tick() whether to go on.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/task_arena.h>

#include "process_pool.h"
#include "tbb_threads.h"

#ifndef _WIN32
#include <csignal>
#include <pthread.h>
#include <sched.h>
#endif

namespace parairline {

// Returns false to ask the demo to stop (the user pressed Ctrl-C).
using Tick = std::function<bool()>;

constexpr int demo_slice_ms = 50;

// How a demo ended, for the glue to turn into one R condition.
struct DemoStatus {
  bool interrupted = false;
  std::string error_kind;  // "worker" or "system" when errors is not empty
  std::vector<std::string> errors;
  bool ok() const { return !interrupted && errors.empty(); }
  void fail(const std::string& kind, const std::string& message) {
    if (errors.empty()) error_kind = kind;
    errors.push_back(message);
  }
};

using DemoClock = std::chrono::steady_clock;

inline double seconds_since(DemoClock::time_point t0) {
  return std::chrono::duration<double>(DemoClock::now() - t0).count();
}

// Start of part i when [0, n) is cut into `parts` contiguous, near-equal parts.
inline std::uint64_t part_begin(std::uint64_t n, std::uint64_t parts, std::uint64_t i) {
  return n / parts * i + std::min(i, n % parts);
}

// Runs body(w) for w in [0, workers) on fresh threads released together, so
// they really overlap. The calling thread waits in slices, calling tick();
// when it returns false, `stop` is set (bodies poll it) and every thread is
// still joined. Returns false if stopped. A body that throws sets `stop` and
// its message lands in `error`.
inline bool run_threads(int workers, const std::function<void(int)>& body,
                        std::atomic<bool>& stop, const Tick& tick, std::string& error) {
  std::mutex m;
  std::condition_variable cv;
  int finished = 0;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(std::max(0, workers)));
  auto join_all = [&] {
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
  };
  try {
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        std::string message;
        try {
          if (!stop.load(std::memory_order_relaxed)) body(w);
        } catch (const std::exception& e) {
          message = e.what();
        } catch (...) {
          message = "unknown exception in a worker thread";
        }
        {
          std::lock_guard<std::mutex> g(m);
          if (!message.empty()) {
            stop.store(true);
            if (error.empty()) error = message;
          }
          ++finished;
        }
        cv.notify_one();
      });
    }
  } catch (...) {
    // Could not start them all: release and join those that did start.
    stop.store(true);
    go.store(true, std::memory_order_release);
    join_all();
    throw;
  }
  go.store(true, std::memory_order_release);
  bool interrupted = false;
  {
    std::unique_lock<std::mutex> lock(m);
    while (finished < workers) {
      if (cv.wait_for(lock, std::chrono::milliseconds(demo_slice_ms), [&] { return finished == workers; })) break;
      if (interrupted || !tick) continue;
      lock.unlock();
      const bool go_on = tick();
      lock.lock();
      if (!go_on) {
        interrupted = true;
        stop.store(true);
      }
    }
  }
  join_all();
  return !interrupted;
}

#ifndef _WIN32

// Test-only: PARAIRLINE_TEST_CRASH_WORKER=<i> makes forked worker i (counting
// from 1) die by SIGKILL, and "<i>:exit" makes it exit with status 3, so the
// tests can see how a dead worker is reported. Read only in the child.
inline void maybe_crash_for_test(int worker) {
  const char* v = std::getenv("PARAIRLINE_TEST_CRASH_WORKER");
  if (v == nullptr || *v == '\0') return;
  char* end = nullptr;
  const long which = std::strtol(v, &end, 10);
  if (end == v || which != worker + 1) return;
  if (std::strcmp(end, ":exit") == 0) child_exit(3);
  ::raise(SIGKILL);
}

struct ProcessRun {
  std::vector<std::string> out;   // bytes each worker sent through its pipe
  std::vector<WorkerExit> exits;
  DemoStatus status;
};

// Forks `workers` children running body, reads their pipes and reaps them,
// polling tick() throughout. `started` runs in the parent once all are forked.
// Any child that did not exit with status 0 becomes a "worker" error. The
// pool (and with it every child and fd) is gone when this returns.
inline ProcessRun run_processes(int workers, const ProcessPool::Body& body, const Tick& tick,
                                const std::function<void()>& started = {}) {
  ProcessRun run;
  ProcessPool pool(workers, body);
  if (started) started();
  if (!pool.collect(run.out, tick, demo_slice_ms) || !pool.reap(run.exits, tick, demo_slice_ms)) {
    run.status.interrupted = true;
    return run;
  }
  for (const WorkerExit& e : run.exits) {
    if (!e.ok) run.status.fail("worker", e.description);
  }
  return run;
}

// Workers that exited cleanly must also have sent exactly `expected`.
inline void check_worker_reports(ProcessRun& run, const std::string& expected) {
  for (std::size_t i = 0; i < run.exits.size() && i < run.out.size(); ++i) {
    if (run.exits[i].ok && run.out[i] != expected) {
      run.status.fail("worker", "worker " + std::to_string(i + 1) + " (pid " +
                                    std::to_string(run.exits[i].pid) + ") exited without reporting that it finished");
    }
  }
}

constexpr char worker_done = 'd';

inline int report_done(int fd) { return write_all(fd, &worker_done, 1) ? 0 : 2; }

#endif  // _WIN32

// ---- race_counter -----------------------------------------------------------

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
  std::string error;
  res.status.interrupted = !run_threads(workers, body, stop, tick, error);
  res.seconds = seconds_since(t0);
  if (!error.empty()) res.status.fail("system", error);
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

// ---- summer -----------------------------------------------------------------

// Exact total over many jobs: a job's total fits in 64 bits, their sum may not.
struct Uint128 {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;

  void add(std::uint64_t x) {
    lo += x;
    if (lo < x) ++hi;
  }

  std::string to_string() const {
    // Long division by 10^9 on 32-bit limbs, most significant first.
    std::uint32_t limb[4] = {static_cast<std::uint32_t>(hi >> 32), static_cast<std::uint32_t>(hi),
                             static_cast<std::uint32_t>(lo >> 32), static_cast<std::uint32_t>(lo)};
    std::vector<std::uint32_t> groups;  // base 10^9 digits, least significant first
    for (;;) {
      bool zero = true;
      std::uint64_t rem = 0;
      for (std::uint32_t& l : limb) {
        const std::uint64_t cur = (rem << 32) | l;
        l = static_cast<std::uint32_t>(cur / 1000000000u);
        rem = cur % 1000000000u;
        zero = zero && l == 0;
      }
      groups.push_back(static_cast<std::uint32_t>(rem));
      if (zero) break;
    }
    std::string out = std::to_string(groups.back());
    for (std::size_t i = groups.size() - 1; i-- > 0;) {
      const std::string g = std::to_string(groups[i]);
      out += std::string(9 - g.size(), '0') + g;
    }
    return out;
  }
};

struct SummerResult {
  Uint128 total;
  double seconds = 0;
  DemoStatus status;
};

// tot += i for i in [from, to), one addition per iteration as in Python. The
// empty asm claims to change `tot`, so the compiler can neither replace the
// loop by the closed form n(n-1)/2 (GCC does at -O2) nor vectorise it.
inline std::uint64_t sum_range(std::uint64_t from, std::uint64_t to) {
#if defined(__GNUC__) || defined(__clang__)
  std::uint64_t tot = 0;
  for (std::uint64_t i = from; i < to; ++i) {
    tot += i;
    __asm__ volatile("" : "+r"(tot));
  }
  return tot;
#else
  volatile std::uint64_t tot = 0;
  for (std::uint64_t i = from; i < to; ++i) tot = tot + i;
  return tot;
#endif
}

// Between chunks of a few milliseconds the job asks whether to stop.
constexpr std::uint64_t summer_chunk = std::uint64_t(1) << 22;

// The lecture's job: the sum of 0, 1, ..., n - 1 (exact below n = 2^32).
template <class Stop>
inline std::uint64_t summer_job(std::uint64_t n, Stop&& should_stop) {
  std::uint64_t tot = 0;
  for (std::uint64_t from = 0; from < n; from += summer_chunk) {
    if (should_stop()) break;
    tot += sum_range(from, std::min(n, from + summer_chunk));
  }
  return tot;
}

inline SummerResult summer_serial(std::uint64_t n, std::int64_t jobs, const Tick& tick) {
  SummerResult res;
  bool stop = false;
  auto next_tick = DemoClock::now() + std::chrono::milliseconds(demo_slice_ms);
  auto should_stop = [&] {
    if (!stop && tick && DemoClock::now() >= next_tick) {
      stop = !tick();
      next_tick = DemoClock::now() + std::chrono::milliseconds(demo_slice_ms);
    }
    return stop;
  };
  const auto t0 = DemoClock::now();
  for (std::int64_t j = 0; j < jobs && !stop; ++j) res.total.add(summer_job(n, should_stop));
  res.seconds = seconds_since(t0);
  res.status.interrupted = stop;
  return res;
}

// A pool of threads taking jobs from a shared counter, like Pool.map.
inline SummerResult summer_threads(std::uint64_t n, std::int64_t jobs, int workers, const Tick& tick) {
  SummerResult res;
  std::vector<std::uint64_t> totals(static_cast<std::size_t>(jobs), 0);
  std::atomic<std::int64_t> next_job{0};
  std::atomic<bool> stop{false};
  auto should_stop = [&stop] { return stop.load(std::memory_order_relaxed); };
  auto body = [&](int) {
    for (std::int64_t j; (j = next_job.fetch_add(1)) < jobs && !should_stop();) {
      totals[static_cast<std::size_t>(j)] = summer_job(n, should_stop);
    }
  };
  const int threads = static_cast<int>(std::min<std::int64_t>(workers, jobs));
  const auto t0 = DemoClock::now();
  std::string error;
  res.status.interrupted = !run_threads(threads, body, stop, tick, error);
  for (std::uint64_t t : totals) res.total.add(t);
  res.seconds = seconds_since(t0);
  if (!error.empty()) res.status.fail("system", error);
  return res;
}

#ifndef _WIN32

// A pool of forked workers taking jobs from a counter in shared memory; each
// sends (job, total) records to the parent through its pipe.
inline SummerResult summer_processes(std::uint64_t n, std::int64_t jobs, int workers, const Tick& tick) {
  struct Record {
    std::int64_t job;
    std::uint64_t total;
  };
  SummerResult res;
  SharedMapping mapping(sizeof(std::atomic<std::int64_t>));
  auto* next_job = new (mapping.data()) std::atomic<std::int64_t>(0);
  auto body = [n, jobs, next_job](int worker, int fd) -> int {
    maybe_crash_for_test(worker);
    for (std::int64_t j; (j = next_job->fetch_add(1)) < jobs;) {
      const Record r{j, summer_job(n, [] { return false; })};  // the parent kills us to stop
      if (!write_all(fd, &r, sizeof r)) return 2;
    }
    return 0;
  };
  const int children = static_cast<int>(std::min<std::int64_t>(workers, jobs));
  const auto t0 = DemoClock::now();
  ProcessRun run = run_processes(children, body, tick);
  res.status = run.status;
  if (!res.status.ok()) {
    res.seconds = seconds_since(t0);
    return res;
  }
  std::vector<char> seen(static_cast<std::size_t>(jobs), 0);
  for (std::size_t w = 0; w < run.out.size(); ++w) {
    const std::string& bytes = run.out[w];
    const std::string who = "worker " + std::to_string(w + 1) + " (pid " + std::to_string(run.exits[w].pid) + ")";
    if (bytes.size() % sizeof(Record) != 0) {
      res.status.fail("worker", who + " sent a truncated result");
      continue;
    }
    for (std::size_t off = 0; off < bytes.size(); off += sizeof(Record)) {
      Record r;
      std::memcpy(&r, bytes.data() + off, sizeof r);
      if (r.job < 0 || r.job >= jobs || seen[static_cast<std::size_t>(r.job)]) {
        res.status.fail("worker", who + " sent a result for an unexpected job");
        continue;
      }
      seen[static_cast<std::size_t>(r.job)] = 1;
      res.total.add(r.total);
    }
  }
  if (res.status.ok() && std::find(seen.begin(), seen.end(), 0) != seen.end()) {
    res.status.fail("worker", "some jobs were never reported by any worker");
  }
  res.seconds = seconds_since(t0);
  return res;
}

#endif  // _WIN32

// ---- auc --------------------------------------------------------------------

struct AucResult {
  double value = 0;
  double seconds = 0;
  DemoStatus status;
};

inline double auc_height(double x) { return 0.7 * x * x * x - 2.0 * x * x + 4.0; }

// Leaf size of the reduction. It depends on n only, and the deterministic
// reduce splits ranges the same way whatever the thread count, so the order
// of the floating-point additions (and the result) never depends on threads.
inline std::int64_t auc_grain(std::int64_t n) { return std::max<std::int64_t>(std::int64_t(1) << 14, n / 1024); }

// Left Riemann sum of auc_height over [a, b] with n bars, on `threads` TBB
// threads in an arena of our own (global TBB settings stay untouched). The
// reduction runs on a helper thread so this thread can keep polling tick().
inline AucResult auc_riemann(std::int64_t n, int threads, double a, double b, const Tick& tick) {
  AucResult res;
  if (n <= 0) return res;
  const double width = (b - a) / static_cast<double>(n);
  std::atomic<bool> stop{false};
  double heights = 0;
  auto body = [&](int) {
    tbb::task_arena arena(tbb_threads(threads));
    heights = arena.execute([&] {
      return tbb::parallel_deterministic_reduce(
          tbb::blocked_range<std::int64_t>(0, n, static_cast<std::size_t>(auc_grain(n))), 0.0,
          [&](const tbb::blocked_range<std::int64_t>& r, double acc) {
            if (stop.load(std::memory_order_relaxed)) return acc;
            double s = 0;
            for (std::int64_t i = r.begin(); i < r.end(); ++i) s += auc_height(a + static_cast<double>(i) * width);
            return acc + s;
          },
          [](double x, double y) { return x + y; });
    });
  };
  const auto t0 = DemoClock::now();
  std::string error;
  res.status.interrupted = !run_threads(1, body, stop, tick, error);
  res.seconds = seconds_since(t0);
  if (!error.empty()) res.status.fail("system", error);
  res.value = heights * width;
  return res;
}

// ---- negate_shared ----------------------------------------------------------

#ifndef _WIN32

// Copies x[0, n) into shared memory, lets `workers` forked children negate
// one contiguous slice each in place and copies the result back into x. The
// slices do not overlap, so no lock is needed. x is untouched unless the
// returned status is ok().
inline DemoStatus negate_shared(double* x, std::size_t n, int workers, const Tick& tick) {
  SharedMapping mapping(n * sizeof(double));
  double* shared = static_cast<double*>(mapping.data());
  if (n > 0) std::memcpy(shared, x, n * sizeof(double));
  auto body = [shared, n, workers](int worker, int fd) -> int {
    maybe_crash_for_test(worker);
    const std::uint64_t parts = static_cast<std::uint64_t>(workers);
    const std::uint64_t from = part_begin(n, parts, static_cast<std::uint64_t>(worker));
    const std::uint64_t to = part_begin(n, parts, static_cast<std::uint64_t>(worker) + 1);
    for (std::uint64_t i = from; i < to; ++i) shared[i] = -shared[i];  // flips the sign bit, as R's `-`
    return report_done(fd);
  };
  ProcessRun run = run_processes(workers, body, tick);
  check_worker_reports(run, std::string(1, worker_done));
  if (run.status.ok() && n > 0) std::memcpy(x, shared, n * sizeof(double));
  return run.status;
}

#endif  // _WIN32

}  // namespace parairline
