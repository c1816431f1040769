// Standalone tests of the teaching demos (src/demos) and of the background
// loop they share with the engine, built and run without R by
// `make core-test`. They assert what is always true: an atomic or locked
// counter equals n, a racy one is at most n; never that a race happened.
// Where there is no fork() (Windows, in `make cross-test`) the process demos
// must say so instead.
#include <stdlib.h>

#include <atomic>
#include <cmath>
#include <new>
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

// A process demo where there is no fork(): a "system" error saying so.
static bool refused(const DemoStatus& s) {
  return !s.ok() && !s.interrupted && s.error_kind == "system" && s.errors.size() == 1 &&
         s.errors[0] == no_fork_message;
}

static void test_race() {
  for (bool processes : {false, true}) {
    const std::string via = processes ? " on processes" : " on threads";
    if (processes && !fork_available) {
      CHECK(refused(race_counter(2, 10, RaceMethod::mutex, true, always).status), "processes are refused" + via);
      continue;
    }
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
    if (via == SummerVia::processes && !fork_available) {
      CHECK(refused(r.status), "summer refuses processes");
      continue;
    }
    CHECK(r.status.ok() && r.total.to_string() == four.to_string(), "summer's total is exact");
  }
  Uint128 big;
  big.add(~std::uint64_t{0});
  big.add(1);
  CHECK(big.to_string() == "18446744073709551616", "the 128-bit total prints 2^64");
  if (fork_available) {
    const SummerResult stopped = summer(std::uint64_t{1} << 40, 2, SummerVia::processes, 2, never);
    CHECK(stopped.status.interrupted, "Ctrl-C stops the processes");
  }
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
  if (!fork_available) {
    CHECK(refused(s) && x[0] == 1, "negate_shared refuses processes and leaves x alone");
    return;
  }
  CHECK(s.ok() && x == std::vector<double>({-1, 2, -0.0, -3.5, -7}) && std::signbit(x[2]), "negate_shared negates");
}

#ifndef _WIN32

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

// How children leave: the exit status a body returns is what the pool
// reports (through exit_group, or through SIGKILL and the exit slot where
// there is none: build with -DPARAIRLINE_CHILD_EXIT_BY_SIGNAL=1).
static void test_child_exit() {
  {
    ProcessPool pool(2, [](int, int fd) { return write_all(fd, "x", 1) ? 0 : 2; });
    std::vector<std::string> out;
    const CollectEnd end = pool.collect(out, always, 20);
    const std::vector<WorkerExit> exits = pool.exits();
    CHECK(end == CollectEnd::done && exits.size() == 2 && exits[0].ok && exits[1].ok && exits[0].exit_code == 0 &&
              exits[0].signal == 0 && out[0] == "x" && out[1] == "x",
          "children that return 0 exit normally");
  }
  {
    ProcessPool pool(2, [](int w, int) { return w == 1 ? 7 : 0; });
    std::vector<std::string> out;
    const CollectEnd end = pool.collect(out, always, 20);
    const std::vector<std::string> faults = pool.faults();
    bool seven = false;
    for (const WorkerExit& e : pool.exits()) seven = seven || (e.worker == 1 && e.exit_code == 7 && e.signal == 0);
    CHECK(end == CollectEnd::fault && seven && faults.size() == 1 &&
              faults[0].find("exited with status 7") != std::string::npos,
          "a child's exit status is reported: " + (faults.empty() ? std::string("no fault") : faults[0]));
  }
}

// A worker that dies holding the processes' lock does not hang the others:
// once it is gone, the next one takes the lock over.
static void test_process_lock() {
  SharedMapping mapping(sizeof(std::atomic<std::int64_t>));
  auto* word = new (mapping.data()) std::atomic<std::int64_t>(0);
  {
    ProcessPool pool(1, [word](int, int) -> int {
      ProcessLock(*word).lock();
      kill_self();
    });
    std::vector<std::string> out;
    pool.collect(out, always, 20);  // reaps it
  }
  const std::int64_t holder = word->load();
  CHECK(holder != 0 && holder != current_pid(), "the child died holding the lock");
  ProcessLock lock(*word);
  lock.lock();
  CHECK(word->load() == current_pid(), "the lock of a dead holder is taken over");
  lock.unlock();
  CHECK(word->load() == 0, "and released");
}

#endif  // _WIN32

int main() {
  test_background();
  test_race();
  test_summer();
  test_auc();
  test_negate();
#ifndef _WIN32
  test_dead_worker();
  test_child_exit();
  test_process_lock();
#else
  std::printf("skipping the dead-worker, child-exit and process-lock checks (9): no fork() on Windows\n");
#endif
  return report();
}
