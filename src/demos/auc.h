// auc(): the lecture's MPI example as a TBB parallel reduction, with a
// result that does not depend on the thread count.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "core/tbb_threads.h"
#include "demos/common.h"

namespace parairline {

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
  run_demo_threads(1, body, stop, tick, res.status);
  res.seconds = seconds_since(t0);
  res.value = heights * width;
  return res;
}

}  // namespace parairline
