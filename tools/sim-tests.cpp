// Standalone tests of the AirOnTime simulator (src/sim), built and run without
// R by `make core-test`: the same bytes for any thread count, totals that the
// engine recounts from the files, failures and stops that leave no file.
#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/task_loop.h"
#include "sim/airontime_sim.h"

using namespace parairline;
using namespace core_check;

static std::vector<SimTask> months(const TempDir& dir, const std::string& tag, int n) {
  std::vector<SimTask> tasks;
  for (int m = 1; m <= n; ++m) tasks.push_back({dir.file(tag + std::to_string(m) + ".csv"), 1995, m});
  return tasks;
}

static bool exists(const std::string& path) {
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    std::fclose(f);
    return true;
  }
  return false;
}

// The engine's DISTANCE total per carrier, serially, or an error message.
static std::string recount(const std::vector<SimTask>& tasks, const SimTotals& totals) {
  std::vector<std::string> paths;
  for (const SimTask& t : tasks) paths.push_back(t.path);
  Plan plan;
  if (CoreError e = make_plan(paths, "UNIQUE_CARRIER", "DISTANCE", 1 << 16, plan)) return e.message;
  ChainReducer reducer(plan);
  std::atomic<bool> stop{false};
  std::vector<char> buf;
  reduce_all(
      plan, reducer, [&](const WorkList& w) { run_serial(plan, reducer, w, buf, stop, nullptr); }, stop);
  if (reducer.has_error()) return reducer.error().message;
  const PartialResult total = reducer.total();
  const auto& carriers = sim_carriers();
  std::size_t seen = 0;
  for (std::size_t i = 0; i < carriers.size(); ++i) {
    if (totals.flights[i] == 0) continue;
    ++seen;
    const std::string code = carriers[i].code;
    bool found = false;
    for (std::size_t g = 0; g < total.size(); ++g) {
      if (total.key(g) != code) continue;
      found = true;
      const ConstGroup grp = total.group(g);
      if (grp.n != totals.flights[i] || grp.missing != totals.missing[i] ||
          grp.sum.to_double() != static_cast<double>(totals.distance[i])) {
        return "carrier " + code + " differs";
      }
    }
    if (!found) return "carrier " + code + " is missing";
  }
  if (seen != total.size()) return "the files have carriers the totals do not";
  return "";
}

int main() {
  const TempDir dir("parairline-sim");

  // Bytes depend on the seed, year and month only, not on the threads.
  const auto one = months(dir, "one-", 3), two = months(dir, "two-", 3);
  const SimResult r1 = sim_write_files(one, 2000, 7, 1);
  const SimResult r2 = sim_write_files(two, 2000, 7, 2);
  CHECK(!r1.failed && !r2.failed && !r1.interrupted && !r2.interrupted, "both runs succeed");
  for (std::size_t i = 0; i < one.size(); ++i) {
    const std::string a = read_bytes(one[i].path), b = read_bytes(two[i].path);
    CHECK(!a.empty() && a == b, "month " + std::to_string(i + 1) + " is the same on 1 and 2 threads");
  }
  CHECK(r1.totals.flights == r2.totals.flights && r1.totals.distance == r2.totals.distance &&
            r1.totals.missing == r2.totals.missing,
        "totals are the same on 1 and 2 threads");
  int64_t rows = 0;
  for (int64_t f : r1.totals.flights) rows += f;
  CHECK(rows == 6000, "every row is counted");
  const std::string diff = recount(one, r1.totals);
  CHECK(diff.empty(), "the engine's sums equal the simulator's totals: " + diff);
  const SimResult other = sim_write_files(months(dir, "seed-", 1), 2000, 8, 1);
  CHECK(read_bytes(dir.file("seed-1.csv")) != read_bytes(one[0].path) && !other.failed, "another seed, other bytes");

  // A file that cannot be written is an io error naming it, and stops the run.
  std::vector<SimTask> bad = {{dir.file("no/such/dir/x.csv"), 1995, 1}};
  const SimResult rb = sim_write_files(bad, 10, 1, 2);
  CHECK(rb.failed && rb.error.kind == "io" && rb.error.file == bad[0].path, "an unwritable file is an io error");
  CHECK(rb.error.message.find("Cannot open the file for writing") == 0, "the message says why");

  // A stop asked for by tick() interrupts, and leaves no half-written file.
  const auto big = months(dir, "big-", 2);
  const SimResult rs = sim_write_files(big, 20000000, 1, 2, [] { return false; });
  CHECK(rs.interrupted, "tick() returning false interrupts");
  CHECK(!exists(big[0].path) && !exists(big[1].path), "an interrupted run leaves no file");

  return report();
}
