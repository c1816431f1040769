// Standalone tests of the teaching demos (src/demos) and of the background
// loop they share with the engine, built and run without R by
// `make core-test`. They assert what is always true: an atomic or locked
// counter equals n, a racy one is at most n; never that a race happened.
#include <stdlib.h>

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/check.h"
#include "demos/auc.h"
#include "demos/negate_shared.h"
#include "demos/race_counter.h"
#include "demos/summer.h"

using namespace parairline;
using namespace core_check;

static bool always() { return true; }
static bool never() { return false; }

static void test_background() {
  std::atomic<bool> stop{false};
  std::atomic<int> ran{0};
  BackgroundOutcome o = run_in_background(3, [&](int) { ++ran; }, stop, always);
  CHECK(o.ok() && ran == 3, "three bodies run");

  stop = false;
  o = run_in_background(2, [&](int w) {
    if (w == 0) throw std::runtime_error("boom");
    while (!stop.load()) {
    }
  }, stop, always);
  CHECK(o.error && !o.interrupted && stop.load(), "a body that throws stops the others and is kept");

  stop = false;
  o = run_in_background(1, [&](int) {
    while (!stop.load()) {
    }
  }, stop, never);
  CHECK(o.interrupted && !o.error, "tick() returning false interrupts");

  stop = false;
  o = run_in_background(1, [&](int) {
    while (!stop.load()) {
    }
  }, stop, []() -> bool { throw std::logic_error("R error"); });
  CHECK(o.tick_error && !o.error && !o.interrupted, "an exception from tick() is kept apart");
}

static void test_race() {
  for (bool processes : {false, true}) {
    const std::string via = processes ? " on processes" : " on threads";
    for (RaceMethod m : {RaceMethod::atomic, RaceMethod::mutex}) {
      const RaceResult r = race_counter(2, 100000, m, processes, always);
      CHECK(r.status.ok() && r.expected == 200000 && r.observed == 200000, "a safe counter loses nothing" + via);
    }
    const RaceResult u = race_counter(2, 100000, RaceMethod::unsafe, processes, always);
    CHECK(u.status.ok() && u.observed >= 1 && u.observed <= u.expected, "a racy counter is at most n" + via);
  }
  const RaceResult stopped = race_counter(2, 1000000000, RaceMethod::atomic, false, never);
  CHECK(stopped.status.interrupted && stopped.observed < stopped.expected, "Ctrl-C stops the threads");
}

static void test_summer() {
  const std::uint64_t n = 1000000;
  const std::string one = std::to_string(n * (n - 1) / 2);
  Uint128 four;
  for (int i = 0; i < 4; ++i) four.add(n * (n - 1) / 2);
  for (SummerVia via : {SummerVia::serial, SummerVia::threads, SummerVia::processes}) {
    const SummerResult r = summer(n, 4, via, 2, always);
    CHECK(r.status.ok() && r.total.to_string() == four.to_string(), "summer's total is exact");
  }
  Uint128 big;
  big.add(~std::uint64_t{0});
  big.add(1);
  CHECK(big.to_string() == "18446744073709551616", "the 128-bit total prints 2^64");
  const SummerResult stopped = summer(std::uint64_t{1} << 40, 2, SummerVia::processes, 2, never);
  CHECK(stopped.status.interrupted, "Ctrl-C stops the processes");
}

static void test_auc() {
  const AucResult a1 = auc_riemann(1000000, 1, 0, 3, always), a2 = auc_riemann(1000000, 2, 0, 3, always);
  CHECK(a1.status.ok() && a2.status.ok() && a1.value == a2.value, "auc is the same on 1 and 2 threads");
  CHECK(std::fabs(a1.value - 8.175) < 1e-4, "auc is close to 8.175");
  CHECK(auc_riemann(20, 2, 0, 3, always).value == auc_riemann(20, 1, 0, 3, always).value, "20 bars agree");
}

static void test_negate() {
  std::vector<double> x = {1, -2, 0, 3.5, 7};
  const DemoStatus s = negate_shared(x.data(), x.size(), 2, always);
  CHECK(s.ok() && x == std::vector<double>({-1, 2, -0.0, -3.5, -7}) && std::signbit(x[2]), "negate_shared negates");
}

static void test_dead_worker() {
  for (const char* how : {"1", "2:exit"}) {
    ::setenv("PARAIRLINE_TEST_CRASH_WORKER", how, 1);
    std::vector<double> x = {1, 2, 3};
    const DemoStatus s = negate_shared(x.data(), x.size(), 2, always);
    CHECK(!s.ok() && s.error_kind == "worker" && x[0] == 1, std::string("a dead worker is reported: ") + how);
    const RaceResult r = race_counter(2, 1000, RaceMethod::mutex, true, always);
    CHECK(!r.status.ok() && r.status.error_kind == "worker", std::string("race: a dead worker is reported: ") + how);
  }
  ::unsetenv("PARAIRLINE_TEST_CRASH_WORKER");
}

int main() {
  test_background();
  test_race();
  test_summer();
  test_auc();
  test_negate();
  test_dead_worker();
  return report();
}
