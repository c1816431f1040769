// Glue of the tbb backend: the engine on TBB threads of this process. The
// work runs on helper threads while this (the main R) thread draws progress
// and polls Ctrl-C.
#include "core/tbb_runner.h"
#include "summary_r.h"

using namespace parairline;

// [[Rcpp::export]]
Rcpp::List cpp_summarise_tbb(std::vector<std::string> files, SEXP query, int threads, double chunk_bytes,
                             Rcpp::Nullable<Rcpp::Function> progress) {
  Query q;
  Rcpp::List bad;
  if (!read_query(query, q, bad)) return bad;
  Plan plan;
  if (CoreError e = make_plan(files, std::move(q), static_cast<uint64_t>(chunk_bytes), plan)) return error_list(e);
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
  return reducer_list(plan, reducer, threads, completed);
}
