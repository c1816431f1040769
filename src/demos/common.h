// What the teaching demos share: how a demo ended, timing, and running
// forked workers through the engine's process pool with the same care as
// the fork backend. R-free: the glue is src/demos_r.cpp.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "core/background.h"
#include "core/process_pool.h"

namespace parairline {

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

// Runs body(w) on `workers` threads (run_in_background()) and records how
// that ended in `status`.
inline void run_demo_threads(int workers, const std::function<void(int)>& body, std::atomic<bool>& stop,
                             const Tick& tick, DemoStatus& status) {
  const BackgroundOutcome outcome = run_in_background(workers, body, stop, tick);
  status.interrupted = outcome.interrupted;
  if (outcome.error) status.fail("system", exception_text(outcome.error));
}

// What a demo asked to fork reports where fork() does not exist.
inline DemoStatus no_fork_status() {
  DemoStatus status;
  status.fail("system", no_fork_message);
  return status;
}

// A demo's result (any type with a `status`) saying so.
template <class Result>
inline Result no_fork_result() {
  Result res;
  res.status = no_fork_status();
  return res;
}

using DemoClock = std::chrono::steady_clock;

inline double seconds_since(DemoClock::time_point t0) {
  return std::chrono::duration<double>(DemoClock::now() - t0).count();
}

// Start of part i when [0, n) is cut into `parts` contiguous, near-equal parts.
inline std::uint64_t part_begin(std::uint64_t n, std::uint64_t parts, std::uint64_t i) {
  return n / parts * i + std::min(i, n % parts);
}

// The test faults a demo child acts on (test_fault_for()): it dies by
// SIGKILL or exits with status 3 before doing anything.
inline void maybe_crash_for_test(int worker) {
  switch (test_fault_for(worker)) {
    case TestFault::kill:
      kill_self();
    case TestFault::exit:
      child_exit(3);
    default:
      break;
  }
}

struct ProcessRun {
  std::vector<std::string> out;   // bytes each worker sent through its pipe
  std::vector<WorkerExit> exits;
  DemoStatus status;
};

// Forks `workers` children running body, reads their pipes and reaps them,
// polling tick() throughout. `started` runs in the parent once all are forked.
// A child that fails becomes a "worker" error at once (the others are
// terminated). The pool (and with it every child and fd) is gone when this
// returns.
inline ProcessRun run_processes(int workers, const ProcessPool::Body& body, const Tick& tick,
                                const std::function<void()>& started = {}) {
  ProcessRun run;
  ProcessPool pool(workers, body);
  if (started) started();
  const CollectEnd end = pool.collect(run.out, tick, background_slice_ms);
  run.exits = pool.exits();
  // A worker that failed is reported at once, even if Ctrl-C came too.
  for (const std::string& fault : pool.faults()) run.status.fail("worker", fault);
  run.status.interrupted = run.status.errors.empty() && end != CollectEnd::done;
  return run;
}

// Workers that exited cleanly must also have sent exactly `expected`.
inline void check_worker_reports(ProcessRun& run, const std::string& expected) {
  for (const WorkerExit& e : run.exits) {
    const std::size_t w = static_cast<std::size_t>(e.worker);
    if (e.ok && w < run.out.size() && run.out[w] != expected) {
      run.status.fail("worker", "worker " + std::to_string(w + 1) + " (pid " + std::to_string(e.pid) +
                                    ") exited without reporting that it finished");
    }
  }
}

constexpr char worker_done = 'd';

inline int report_done(int fd) { return write_all(fd, &worker_done, 1) ? 0 : 2; }

}  // namespace parairline
