// negate_shared(): forked workers negating one slice each of an array in
// shared memory, with no lock because the slices do not overlap.
#pragma once

#include <cstdint>
#include <cstring>

#include "demos/common.h"

namespace parairline {

// Copies x[0, n) into shared memory, lets `workers` forked children negate
// one contiguous slice each in place and copies the result back into x. The
// slices do not overlap, so no lock is needed. x is untouched unless the
// returned status is ok().
inline DemoStatus negate_shared(double* x, std::size_t n, int workers, const Tick& tick) {
  if (!fork_available) return no_fork_status();
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

}  // namespace parairline
