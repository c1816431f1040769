// Glue for backends that run tasks in other processes (the future backend):
// plan here, run groups of tasks there, reduce the returned frames here.
#include "core/tbb_runner.h"
#include "core/wire.h"
#include "glue.h"

using namespace parairline;

namespace {

Plan plan_from_raw(const Rcpp::RawVector& raw) {
  try {
    return deserialize_plan(reinterpret_cast<const char*>(RAW(raw)), static_cast<std::size_t>(raw.size()));
  } catch (const std::exception& e) {
    Rcpp::stop(std::string("invalid plan: ") + e.what());
  }
}

}  // namespace

// [[Rcpp::export]]
Rcpp::List cpp_plan(std::vector<std::string> files, std::string by, std::string value, double chunk_bytes) {
  Plan plan;
  if (CoreError e = make_plan(files, by, value, static_cast<uint64_t>(chunk_bytes), plan)) return error_list(e);
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

// Runs tasks `ids` (0-based) of a plan; returns their results as raw frames.
// [[Rcpp::export]]
Rcpp::RawVector cpp_run_tasks(Rcpp::RawVector plan_raw, std::vector<double> ids, int threads) {
  const Plan plan = plan_from_raw(plan_raw);
  std::vector<std::size_t> task_ids;
  for (double id : ids) {
    if (id < 0 || id >= static_cast<double>(plan.tasks.size())) Rcpp::stop("task id out of range");
    task_ids.push_back(static_cast<std::size_t>(id));
  }
  std::string frames;
  {
    BackgroundRun run([&](const std::atomic<bool>& stop) { frames = run_tasks_to_frames(plan, task_ids, threads, stop, nullptr); });
    if (!run.wait([] {})) throw Rcpp::internal::InterruptedException();
  }
  Rcpp::RawVector out(frames.size());
  std::copy(frames.begin(), frames.end(), reinterpret_cast<char*>(RAW(out)));
  return out;
}

// Merges result frames exactly; re-scans here, on `threads` threads, the
// tasks whose guessed quote state proved wrong.
// [[Rcpp::export]]
Rcpp::List cpp_reduce_frames(Rcpp::RawVector plan_raw, Rcpp::List frames, int threads) {
  const Plan plan = plan_from_raw(plan_raw);
  ChainReducer reducer(plan);
  std::vector<bool> seen(plan.tasks.size(), false);
  for (R_xlen_t i = 0; i < frames.size(); ++i) {
    Rcpp::RawVector raw = frames[i];
    std::vector<std::pair<uint64_t, ChunkResult>> results;
    try {
      results = read_frames(reinterpret_cast<const char*>(RAW(raw)), static_cast<std::size_t>(raw.size()));
    } catch (const std::exception& e) {
      Rcpp::stop(std::string("a worker's result is unreadable: ") + e.what());
    }
    for (auto& r : results) {
      if (r.first >= plan.tasks.size() || seen[r.first]) Rcpp::stop("a worker's result names an unexpected task");
      seen[r.first] = true;
      reducer.submit(static_cast<std::size_t>(r.first), std::move(r.second));
    }
  }
  for (bool s : seen) {
    if (!s) Rcpp::stop("internal error: a task's result is missing");
  }
  {
    BackgroundRun run([&](const std::atomic<bool>& stop) {
      auto rescan = [&](const WorkList& work) { run_tbb(plan, reducer, work, threads, stop, nullptr); };
      run_until_settled(reducer.take_reruns(), reducer, rescan, stop);
    });
    if (!run.wait([] {})) throw Rcpp::internal::InterruptedException();
  }
  return reducer_list(plan, reducer);
}
