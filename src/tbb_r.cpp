// Glue of the tbb backend: the engine on TBB threads of this process. The
// work runs on helper threads while this (the main R) thread draws progress
// and polls Ctrl-C.
#include "core/tbb_runner.h"
#include "r_glue.h"

using namespace parairline;

// [[Rcpp::export]]
Rcpp::List cpp_group_sum_tbb(std::vector<std::string> files, std::string by, std::string value, int threads,
                             double chunk_bytes, Rcpp::Nullable<Rcpp::Function> progress) {
  Plan plan;
  if (CoreError e = make_plan(files, by, value, static_cast<uint64_t>(chunk_bytes), plan)) return error_list(e);
  ChainReducer reducer(plan);
  std::atomic<uint64_t> done{0};
  bool completed = false;
  SEXP failed = run_off_main(
      [&](const std::atomic<bool>& stop) {
        completed = reduce_all(
            plan, reducer, [&](const WorkList& work) { run_tbb(plan, reducer, work, threads, stop, &done); }, stop);
      },
      progress_draw(progress, done, plan.total_bytes));
  if (failed != R_NilValue) return failed;
  return reducer_list(plan, reducer, completed);
}
