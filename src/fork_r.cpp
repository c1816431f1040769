// Glue of the fork backend (core/fork_runner.h). The workers are forked from
// this, the main R thread, which reads their pipes, draws progress and polls
// Ctrl-C; R errors and interrupts are raised only after every child, pipe and
// mapping is gone. The few chunks to re-scan with the true quote state are
// then scanned here, on threads, as the tbb backend does: never in a child.
#include <exception>
#include <string>
#include <vector>

#include "core/fork_runner.h"
#include "core/tbb_runner.h"
#include "summary_r.h"

using namespace parairline;

namespace {

std::string fault_message(const std::vector<std::string>& faults) {
  std::string s = "A worker process of the fork backend failed: ";
  for (std::size_t i = 0; i < faults.size(); ++i) s += (i ? "; " : "") + faults[i];
  return s + ".";
}

}  // namespace

// `rescan_threads`: the TBB threads for the chunks to re-scan here (1 in a
// forked child, where TBB must not run).
// [[Rcpp::export]]
Rcpp::List cpp_summarise_fork(std::vector<std::string> files, SEXP query, int workers, int rescan_threads,
                              double chunk_bytes, Rcpp::Nullable<Rcpp::Function> progress) {
  if (!fork_available) {
    return error_list("system", "The fork backend needs fork(), which this system does not have; use backend = \"tbb\".");
  }
  Query q;
  Rcpp::List bad;
  if (!read_query(query, q, bad)) return bad;
  Plan plan;
  if (CoreError e = make_plan(files, std::move(q), static_cast<uint64_t>(chunk_bytes), plan)) return error_list(e);
  ChainReducer reducer(plan);
  std::atomic<uint64_t> done{0};
  const std::function<void()> draw = progress_draw(progress, done, plan.total_bytes);
  std::exception_ptr draw_error;  // an R error or jump from the progress callback
  ForkOutcome outcome;
  std::string start_error;
  try {
    outcome = run_fork(plan, reducer, workers, [&](uint64_t bytes) {
      done.store(bytes);
      if (r_interrupt_pending()) return false;
      try {
        if (draw) draw();
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
  // A worker that died before Ctrl-C is still reported.
  if (!outcome.faults.empty()) return error_list("worker", fault_message(outcome.faults));
  if (outcome.interrupted) throw Rcpp::internal::InterruptedException();
  if (!start_error.empty()) return error_list("worker", "Could not run the fork backend's workers: " + start_error + ".");
  WorkList reruns = reducer.take_reruns();
  if (!reruns.empty()) {
    SEXP failed = run_off_main(
        [&](const std::atomic<bool>& stop) {
          auto rescan = [&](const WorkList& work) { run_tbb(plan, reducer, work, rescan_threads, stop, &done); };
          run_until_settled(std::move(reruns), reducer, rescan, stop);
        },
        draw);
    if (failed != R_NilValue) return failed;
  }
  return reducer_list(plan, reducer, rescan_threads);
}
