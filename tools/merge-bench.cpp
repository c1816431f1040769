// Times a run's total merging task tables alone, one thread, without files
// or R: merge-bench [GROUPS ROWS REPS]. Keys look like the tail query's
// (tail number, NUL, date: 17 bytes); rows pick them at random, as the
// simulated year's rows do, and fill tables sealed at kSealGroups as the
// scanner does. Prints the best and median time of REPS fresh totals.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/chunk_scan.h"
#include "core/reducer.h"

using namespace parairline;

int main(int argc, char** argv) {
  const std::size_t ngroups = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1600000;
  const std::size_t nrows = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 6000000;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
  if (ngroups == 0 || nrows == 0 || reps < 1) {
    std::fprintf(stderr, "usage: merge-bench [GROUPS ROWS REPS]\n");
    return 2;
  }
  std::vector<std::string> keys(ngroups);
  for (std::size_t i = 0; i < ngroups; ++i) {
    // 4,500 tails a day, 360 days a year: distinct for every i.
    const std::size_t tail = i % 4500, day = i / 4500 % 360, year = 1990 + i / (4500 * 360);
    char b[48];
    const int n = std::snprintf(b, sizeof b, "N%04zu%c", tail, 'A' + static_cast<int>(tail % 26));  // as "N357DL"
    const int m = std::snprintf(b + n + 1, sizeof b - n - 1, "%04zu-%02zu-%02zu", year, 1 + day / 30, 1 + day % 30);
    keys[i].assign(b, static_cast<std::size_t>(n + 1 + m));  // 17 bytes
  }
  std::mt19937_64 rng(42);
  std::vector<PartialResult> tables;
  for (std::size_t rows = 0; rows < nrows;) {
    PartialResult t(1, 2);
    t.reserve_groups(kSealGroups);
    for (; t.size() < kSealGroups && rows < nrows; ++rows) ++t.n(t.find_or_insert(keys[rng() % ngroups]));
    tables.push_back(std::move(t));
  }
  std::size_t merged = 0;
  for (const PartialResult& t : tables) merged += t.size();
  std::vector<double> secs;
  std::size_t groups = 0;
  for (int r = 0; r < reps; ++r) {
    PartitionedTotal total(1, 2);
    const auto t0 = std::chrono::steady_clock::now();
    for (const PartialResult& t : tables) total.merge(t);
    secs.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    groups = total.size();
  }
  std::sort(secs.begin(), secs.end());
  const double median = secs[secs.size() / 2];
  std::printf("%zu tables, %zu group merges into %zu groups: best %.3f s, median %.3f s (%.0f ns a merge)\n", tables.size(),
              merged, groups, secs.front(), median, median / static_cast<double>(merged) * 1e9);
  return 0;
}
