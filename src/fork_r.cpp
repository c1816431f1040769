// R glue for the fork backend (core/fork_runner.h). The workers are forked from
// this, the main R thread, which reads their pipes, draws progress and polls
// Ctrl-C; R errors and interrupts are raised only after every child, pipe and
// mapping is gone. The few chunks to re-scan with the true quote state are
// then scanned here, on threads, as the TBB backend does: never in a child.
#include <exception>
#include <string>
#include <vector>

#include "core/tbb_runner.h"
#include "glue.h"

#ifndef _WIN32
#include "core/fork_runner.h"
#endif

using namespace parairline;

namespace {

#ifndef _WIN32
Rcpp::List worker_error_list(const std::string& message) {
  return error_list("worker", "", NA_REAL, NA_REAL, "", message);
}

std::string fault_message(const std::vector<std::string>& faults) {
  std::string s = "A worker process of the fork backend failed: ";
  for (std::size_t i = 0; i < faults.size(); ++i) s += (i ? "; " : "") + faults[i];
  return s + ".";
}
#endif

}  // namespace

// [[Rcpp::export]]
Rcpp::List cpp_group_sum_fork(std::vector<std::string> files, std::string by, std::string value, int workers,
                              double chunk_bytes, Rcpp::Nullable<Rcpp::Function> progress) {
#ifdef _WIN32
  (void)files, (void)by, (void)value, (void)workers, (void)chunk_bytes, (void)progress;
  Rcpp::stop("The fork backend needs fork(), which Windows does not have; use backend = \"tbb\".");
#else
  Plan plan;
  if (CoreError e = make_plan(files, by, value, static_cast<uint64_t>(chunk_bytes), plan)) return error_list(e);
  ChainReducer reducer(plan);
  std::atomic<uint64_t> done{0};
  const std::function<void()> draw = progress_tick(progress, done, plan.total_bytes);
  std::exception_ptr draw_error;  // an R error or jump from the progress callback
  ForkOutcome outcome;
  std::string start_error;
  try {
    outcome = run_fork(plan, reducer, workers, [&](uint64_t bytes) {
      done.store(bytes);
      if (r_interrupt_pending()) return false;
      try {
        draw();
      } catch (...) {
        draw_error = std::current_exception();
        return false;
      }
      return true;
    });
  } catch (const std::exception& e) {
    start_error = e.what();
  }
  // From here on no child, pipe or mapping exists.
  if (draw_error) std::rethrow_exception(draw_error);
  if (outcome.interrupted) throw Rcpp::internal::InterruptedException();
  if (!start_error.empty()) return worker_error_list("Could not run the fork backend's workers: " + start_error + ".");
  if (!outcome.faults.empty()) return worker_error_list(fault_message(outcome.faults));
  WorkList reruns = reducer.take_reruns();
  if (!reruns.empty()) {
    BackgroundRun run([&](const std::atomic<bool>& stop) {
      auto rescan = [&](const WorkList& work) { run_tbb(plan, reducer, work, workers, stop, &done); };
      run_until_settled(std::move(reruns), reducer, rescan, stop);
    });
    if (!run.wait(draw)) throw Rcpp::internal::InterruptedException();
  }
  return reducer_list(plan, reducer);
#endif
}
