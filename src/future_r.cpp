// Glue of the future backend, whose tasks run in other processes: plan here,
// run groups of tasks there (cpp_run_tasks() on a worker), reduce the
// returned frames here. Damaged input from a worker is a worker error.
#include "core/messages.h"
#include "core/tbb_runner.h"
#include "summary_r.h"

using namespace parairline;

// [[Rcpp::export]]
Rcpp::List cpp_plan(std::vector<std::string> files, SEXP query, double chunk_bytes) {
  Query q;
  Rcpp::List bad;
  if (!read_query(query, q, bad)) return bad;
  Plan plan;
  if (CoreError e = make_plan(files, std::move(q), static_cast<uint64_t>(chunk_bytes), plan)) return error_list(e);
  const std::string bytes = serialize_plan(plan);
  Rcpp::RawVector raw(bytes.size());
  std::copy(bytes.begin(), bytes.end(), reinterpret_cast<char*>(RAW(raw)));
  Rcpp::NumericVector sizes(plan.tasks.size());
  Rcpp::IntegerVector file(plan.tasks.size());
  for (std::size_t i = 0; i < plan.tasks.size(); ++i) {
    sizes[i] = static_cast<double>(task_bytes(plan, plan.tasks[i]));
    file[i] = static_cast<int>(plan.tasks[i].file) + 1;
  }
  return Rcpp::List::create(Rcpp::Named("plan") = raw, Rcpp::Named("task_bytes") = sizes,
                            Rcpp::Named("task_file") = file);
}

// Runs tasks `ids` (0-based) of a plan on a worker; returns list(frames =
// <raw>) or list(error = <record>).
// [[Rcpp::export]]
Rcpp::List cpp_run_tasks(Rcpp::RawVector plan_raw, std::vector<double> ids, int threads) {
  Plan plan;
  try {
    plan = deserialize_plan(reinterpret_cast<const char*>(RAW(plan_raw)), static_cast<std::size_t>(plan_raw.size()));
  } catch (const std::exception& e) {
    return error_list("worker", std::string("The plan sent to a future worker is damaged (") + e.what() + ").");
  }
  std::vector<std::size_t> task_ids;
  for (double id : ids) {
    if (!(id >= 0 && id < static_cast<double>(plan.tasks.size()))) {
      return error_list("worker", "A future worker was sent a task the plan does not have.");
    }
    task_ids.push_back(static_cast<std::size_t>(id));
  }
  std::string frames;
  SEXP failed = run_off_main(
      [&](const std::atomic<bool>& stop) { frames = run_tasks_to_frames(plan, task_ids, threads, stop, nullptr); });
  if (failed != R_NilValue) return failed;
  Rcpp::RawVector out(frames.size());
  std::copy(frames.begin(), frames.end(), reinterpret_cast<char*>(RAW(out)));
  return Rcpp::List::create(Rcpp::Named("frames") = out);
}

// Merges result frames exactly; re-scans here, on `threads` threads, the
// tasks whose guessed quote state proved wrong.
// [[Rcpp::export]]
Rcpp::List cpp_reduce_frames(Rcpp::RawVector plan_raw, Rcpp::List frames, int threads) {
  Plan plan;
  try {
    plan = deserialize_plan(reinterpret_cast<const char*>(RAW(plan_raw)), static_cast<std::size_t>(plan_raw.size()));
  } catch (const std::exception& e) {
    return error_list("internal", std::string("The plan is damaged (") + e.what() + ").");
  }
  ChainReducer reducer(plan);
  std::vector<bool> seen(plan.tasks.size(), false);
  for (R_xlen_t i = 0; i < frames.size(); ++i) {
    Rcpp::RawVector raw = frames[i];
    std::vector<std::pair<uint64_t, ChunkResult>> results;
    try {
      results = read_frames(reinterpret_cast<const char*>(RAW(raw)), static_cast<std::size_t>(raw.size()));
    } catch (const std::exception& e) {
      return error_list("worker", std::string("A future worker's result is unreadable (") + e.what() + ").");
    }
    for (auto& r : results) {
      if (r.first >= plan.tasks.size() || seen[r.first]) {
        return error_list("worker", "A future worker's result names a task it was not given, or one already received.");
      }
      seen[r.first] = true;
      reducer.submit(static_cast<std::size_t>(r.first), std::move(r.second));
    }
  }
  for (bool s : seen) {
    if (!s) return error_list("worker", "The future workers did not return every task's result.");
  }
  SEXP failed = run_off_main([&](const std::atomic<bool>& stop) {
    auto rescan = [&](const WorkList& work) { run_tbb(plan, reducer, work, threads, stop, nullptr); };
    run_until_settled(reducer.take_reruns(), reducer, rescan, stop);
  });
  if (failed != R_NilValue) return failed;
  return reducer_list(plan, reducer, threads);
}
