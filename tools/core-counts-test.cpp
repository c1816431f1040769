// Row counts past 2^31 (and up to 2^53, where R's doubles stop being exact)
// without writing billions of rows: partial results carrying such counts
// are merged directly, through the wire format and through the reducer, and
// must add up exactly in 64 bits. Run by `make core-test` (and `make test`).
#include <optional>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/differential.h"

using namespace parairline;

using namespace core_check;

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kTwo53 = int64_t{1} << 53;

static PartialResult partial(const std::string& key, int64_t n, int64_t missing, int64_t sum_units) {
  PartialResult p;
  Group g = p.group(p.find_or_insert(key));
  g.n = n;
  g.missing = missing;
  g.sum = ExactSum::from_small(static_cast<i128>(sum_units), 2);  // sum_units / 100
  return p;
}

static std::optional<ConstGroup> group_of(const PartialResult& r, const std::string& key) {
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (r.key(i) == key) return r.group(i);
  }
  return std::nullopt;
}

static void test_merge() {
  // Just past 2^31: where a 32-bit count would wrap.
  PartialResult a = partial("AA", kInt32Max, kInt32Max - 5, 100);
  a.merge(partial("AA", 2, 1, 250));
  auto g = group_of(a, "AA");
  CHECK(g && g->n == kInt32Max + 2 && g->missing == kInt32Max - 4, "n and missing past 2^31");
  CHECK(g && static_cast<double>(g->n) == 2147483649.0, "the count R receives (a double) is exact");
  CHECK(g && g->sum.to_double() == 3.5, "the sum is unaffected");

  // Thousands of chunks of 2^31 - 1 rows each, merged in a tree and in a
  // line: the same exact total either way.
  const int parts = 3000;
  PartialResult line;
  std::vector<PartialResult> level;
  for (int i = 0; i < parts; ++i) {
    PartialResult p = partial(i % 2 ? "B" : "A", kInt32Max, 1, 1);
    line.merge(p);
    level.push_back(std::move(p));
  }
  while (level.size() > 1) {
    std::vector<PartialResult> next;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) {
      next.push_back(std::move(level[i]));
      next.back().merge(level[i + 1]);
    }
    if (level.size() % 2) next.push_back(std::move(level.back()));
    level.swap(next);
  }
  const int64_t want = kInt32Max * (parts / 2);
  for (const PartialResult* r : {&line, &level[0]}) {
    auto ga = group_of(*r, "A");
    auto gb = group_of(*r, "B");
    CHECK(ga && gb && ga->n == want && gb->n == want, "3000 x (2^31 - 1) rows: " + std::to_string(ga ? ga->n : -1));
    CHECK(ga && ga->missing == parts / 2, "missing counts");
  }

  // Up to 2^53 and past it: int64 stays exact; R's double is exact up to 2^53.
  PartialResult big = partial("K", kTwo53 - 1, 0, 0);
  big.merge(partial("K", 1, 0, 0));
  CHECK(group_of(big, "K")->n == kTwo53, "2^53 rows");
  CHECK(static_cast<double>(group_of(big, "K")->n) == 9007199254740992.0, "2^53 converts exactly");
  big.merge(partial("K", 3, 0, 0));
  CHECK(group_of(big, "K")->n == kTwo53 + 3, "past 2^53 the 64-bit count is still exact");
}

static void test_wire() {
  PartialResult p = partial("AA", kTwo53 + 7, kInt32Max + 1, -12345);
  std::string bytes;
  p.serialize(bytes);
  wire::Reader q(bytes.data(), bytes.data() + bytes.size());
  PartialResult back = PartialResult::deserialize(q);
  auto g = group_of(back, "AA");
  CHECK(g && g->n == kTwo53 + 7 && g->missing == kInt32Max + 1, "counts survive serialize()");

  ChunkResult r;
  r.partial = p;
  r.parity_known = true;
  std::string frames;
  write_frame(frames, 3, r);
  write_frame(frames, 4, r);
  auto got = read_frames(frames.data(), frames.size());
  CHECK(got.size() == 2, "two frames");
  PartialResult sum;
  for (auto& f : got) sum.merge(f.second.partial);
  auto g2 = group_of(sum, "AA");
  CHECK(g2 && g2->n == 2 * (kTwo53 + 7) && g2->missing == 2 * (kInt32Max + 1), "counts survive wire frames");
}

// The reducer merges task results in its own order; counts must add up there too.
static void test_reducer() {
  Plan plan;
  FilePlan fp;
  fp.path = "counts.csv";
  fp.size = 1000;
  fp.data_begin = 4;
  fp.ncols = 2;
  plan.query = sum_query("K", "V");
  fp.cols = {0, 1};
  plan.files.push_back(fp);
  const int tasks = 64;
  for (int i = 0; i < tasks; ++i) {
    TaskSpec t;
    t.begin = 4 + static_cast<uint64_t>(i) * 10;
    t.end = t.begin + 10;
    t.first = i == 0;
    t.last = i == tasks - 1;
    plan.tasks.push_back(t);
  }
  ChainReducer reducer(plan);
  // Submitted out of order, as threads would.
  for (int k = 0; k < tasks; ++k) {
    const int i = (k * 37) % tasks;
    ChunkResult r;
    r.partial = partial("X", kInt32Max + i, i, 1);
    r.parity_known = true;
    reducer.submit(static_cast<std::size_t>(i), std::move(r));
  }
  CHECK(reducer.take_reruns().empty() && reducer.complete() && !reducer.has_error(), "reducer accounts for all tasks");
  const PartialResult total = reducer.total();
  auto g = group_of(total, "X");
  const int64_t want = kInt32Max * tasks + int64_t{tasks} * (tasks - 1) / 2;
  CHECK(g && g->n == want && g->missing == int64_t{tasks} * (tasks - 1) / 2,
        "reducer total: " + std::to_string(g ? g->n : -1) + ", want " + std::to_string(want));
  CHECK(g && g->sum.to_double() == 0.64, "reducer sum");
}

// Sums whose 128-bit accumulators overflow fall back to exact big decimals.
static void test_sum_overflow() {
  ExactSum s = ExactSum::from_small(static_cast<i128>(1) << 126, 0);
  s.merge(ExactSum::from_small(static_cast<i128>(1) << 126, 0));
  s.merge(ExactSum::from_small(static_cast<i128>(1) << 126, 0));
  CHECK(s.is_big() && s.to_double() == 3 * 8.507059173023462e37, "3 x 2^126 is exact past int128");
}

int main() {
  test_merge();
  test_wire();
  test_reducer();
  test_sum_overflow();
  return report();
}
