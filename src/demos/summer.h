// summer(): the lecture's CPU-bound job (the sum of 0..n-1) run serially,
// on a pool of threads and on a pool of forked processes.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "demos/common.h"

namespace parairline {

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
  auto next_tick = DemoClock::now() + std::chrono::milliseconds(background_slice_ms);
  auto should_stop = [&] {
    if (!stop && tick && DemoClock::now() >= next_tick) {
      stop = !tick();
      next_tick = DemoClock::now() + std::chrono::milliseconds(background_slice_ms);
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
  run_demo_threads(threads, body, stop, tick, res.status);
  for (std::uint64_t t : totals) res.total.add(t);
  res.seconds = seconds_since(t0);
  return res;
}

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

enum class SummerVia { serial, threads, processes };

inline SummerResult summer(std::uint64_t n, std::int64_t jobs, SummerVia via, int workers, const Tick& tick) {
  switch (via) {
    case SummerVia::serial:
      return summer_serial(n, jobs, tick);
    case SummerVia::threads:
      return summer_threads(n, jobs, workers, tick);
    default:
      break;
  }
  if (!fork_available) return no_fork_result<SummerResult>();
  return summer_processes(n, jobs, workers, tick);
}

}  // namespace parairline
