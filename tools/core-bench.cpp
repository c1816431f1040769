// Times the core on files without R: core-bench THREADS CHUNK_BYTES KEY VALUE FILE...
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/task_loop.h"
#include "core/tbb_runner.h"

using namespace parairline;

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: core-bench THREADS CHUNK_BYTES KEY VALUE FILE...\n");
    return 2;
  }
  const int threads = std::atoi(argv[1]);
  const uint64_t chunk = std::strtoull(argv[2], nullptr, 10);
  std::vector<std::string> files(argv + 5, argv + argc);
  const auto t0 = std::chrono::steady_clock::now();
  Plan plan;
  if (CoreError e = make_plan(files, argv[3], argv[4], chunk, plan)) {
    std::fprintf(stderr, "%s: %s\n", e.file.c_str(), e.message.c_str());
    return 1;
  }
  ChainReducer reducer(plan);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  std::size_t rounds = 0, rescans = 0;
  reduce_all(plan, reducer, [&](const WorkList& w) {
    if (rounds++ > 0) rescans += w.size();
    run_tbb(plan, reducer, w, threads, stop, &done);
  }, stop);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (reducer.has_error()) {
    std::fprintf(stderr, "error: %s\n", reducer.error().message.c_str());
    return 1;
  }
  const PartialResult total = reducer.total();
  for (std::size_t i = 0; i < total.size(); ++i) {
    const ConstGroup g = total.group(i);
    std::printf("%s\t%.17g\t%lld\t%lld\n", std::string(total.key(i)).c_str(), g.sum.to_double(),
                static_cast<long long>(g.n), static_cast<long long>(g.missing));
  }
  std::fprintf(stderr, "%.3f s, %.0f MB/s, %zu tasks, %zu re-scanned in %zu extra rounds\n", secs,
               plan.total_bytes / secs / 1e6, plan.tasks.size(), rescans, rounds - 1);
  return 0;
}
