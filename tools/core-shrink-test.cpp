// Files that change between planning and reading, tested without R where
// the timing can be made exact: plan, change the file, then scan. A file may
// give the answer for the planned snapshot or an io error naming it; it must
// never give a silently shorter or torn sum. Run by `make core-test` (and `make test`).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/differential.h"

using namespace parairline;

using namespace core_check;

static std::string tmp_dir;

static std::string rows(int n) {
  std::string s = "K,V\n";
  for (int i = 0; i < n; ++i) s += i % 2 ? "B,2\n" : "A,1\n";
  return s;
}

enum class Runner { serial, tbb, frames };

static const char* runner_name(Runner r) {
  return r == Runner::serial ? "serial" : r == Runner::tbb ? "tbb" : "frames";
}

struct Outcome {
  PartialResult total;
  CoreError error;
};

// Runs every task of `plan`; `between` is called once, after the first
// `before` tasks, to change the file in the middle of a run.
static Outcome run(const Plan& plan, Runner how, std::size_t before = 0, void (*between)() = nullptr) {
  ChainReducer reducer(plan);
  std::atomic<bool> stop{false};
  std::vector<char> buf;
  bool changed = false;
  reduce_all(
      plan, reducer,
      [&](const WorkList& work) {
        std::size_t split = 0;
        if (between && !changed) {
          split = std::min(before, work.size());
          run_serial(plan, reducer, {work.begin(), work.begin() + static_cast<std::ptrdiff_t>(split)}, buf, stop,
                     nullptr);
          between();
          changed = true;
        }
        const WorkList rest(work.begin() + static_cast<std::ptrdiff_t>(split),
                                                             work.end());
        if (how == Runner::serial) {
          run_serial(plan, reducer, rest, buf, stop, nullptr);
        } else if (how == Runner::tbb) {
          run_tbb(plan, reducer, rest, 2, stop, nullptr);
        } else {
          std::vector<std::size_t> ids;
          for (const auto& w : rest) ids.push_back(w.first);
          std::string frames = run_tasks_to_frames(plan, ids, 2, stop, nullptr);
          for (auto& r : read_frames(frames.data(), frames.size())) reducer.submit(r.first, std::move(r.second));
        }
      },
      stop);
  Outcome out;
  if (reducer.has_error()) {
    out.error = reducer.error();
    locate_error(plan, out.error, stop);
  } else if (!reducer.complete()) {
    out.error.kind = CoreError::Kind::io;
    out.error.message = "incomplete";
  }
  out.total = reducer.total();
  return out;
}

static int64_t count_of(const PartialResult& r, const std::string& key) {
  PartialResult probe = r;
  const std::size_t before = probe.size();
  const Group g = probe.group(probe.find_or_insert(key));
  return probe.size() == before ? g.n : -1;
}

static bool names_change(const CoreError& e, const std::string& path) {
  return e.kind == CoreError::Kind::io && e.file == path &&
         (e.message.find("changed while being read") != std::string::npos ||
          e.message.find("shorter than when reading started") != std::string::npos);
}

static std::string g_path;
static std::string g_replacement;
static void replace_file() { write_or_exit(g_path, g_replacement); }

static void test_shrinks() {
  const std::string path = tmp_dir + "/shrinks.csv";
  for (Runner how : {Runner::serial, Runner::tbb, Runner::frames}) {
    for (uint64_t cb : {1, 7, 100, 1 << 20}) {
      for (std::size_t keep : {0, 4, 20, 4000}) {
        const std::string label = std::string(runner_name(how)) + ", chunk " + std::to_string(cb) + ", cut to " +
                                  std::to_string(keep) + " bytes";
        const std::string full = rows(1000);
        write_or_exit(path, full);
        Plan plan;
        CHECK(!make_plan({path}, "K", "V", cb, plan), label + ": plan");
        write_or_exit(path, full.substr(0, keep));
        const Outcome o = run(plan, how);
        CHECK(names_change(o.error, path), label + ": want an io error naming the file, got \"" + o.error.message + "\"");
      }
    }
  }
  // Cut short in the middle of a run: earlier chunks were summed, and the
  // answer is still an error, not their partial sum.
  for (Runner how : {Runner::serial, Runner::tbb, Runner::frames}) {
    const std::string full = rows(1000);
    write_or_exit(path, full);
    Plan plan;
    CHECK(!make_plan({path}, "K", "V", 64, plan), "plan");
    g_path = path;
    g_replacement = full.substr(0, full.size() / 2);
    const Outcome o = run(plan, how, plan.tasks.size() / 4, replace_file);
    CHECK(names_change(o.error, path),
          std::string(runner_name(how)) + ": cut mid-run: want an io error, got \"" + o.error.message + "\"");
  }
}

static void test_grows() {
  const std::string path = tmp_dir + "/grows.csv";
  for (Runner how : {Runner::serial, Runner::tbb, Runner::frames}) {
    for (uint64_t cb : {1, 7, 100, 1 << 20}) {
      const std::string label = std::string(runner_name(how)) + ", chunk " + std::to_string(cb);
      write_or_exit(path, rows(100));
      Plan plan;
      CHECK(!make_plan({path}, "K", "V", cb, plan), label + ": plan");
      write_or_exit(path, "A,100\nC,1\n", false, true);  // appended after planning
      const Outcome o = run(plan, how);
      CHECK(!o.error, label + ": appended rows: " + o.error.message);
      CHECK(o.total.size() == 2 && count_of(o.total, "A") == 50 && count_of(o.total, "B") == 50,
            label + ": appended rows are not read (the planned snapshot is summed)");
    }
  }
}

// A file rewritten in place with different, longer content after planning:
// reading the planned number of bytes of the new content would cut its last
// record ("A,100" read as "A,10"). That must be an error, not a torn sum.
static void test_rewritten() {
  const std::string path = tmp_dir + "/rewritten.csv";
  for (Runner how : {Runner::serial, Runner::tbb, Runner::frames}) {
    write_or_exit(path, "K,V\nA,1\nB,2\n");
    Plan plan;
    CHECK(!make_plan({path}, "K", "V", 4, plan), "plan");
    write_or_exit(path, "K,V\nA,1\nB,200\n");
    const Outcome o = run(plan, how);
    const bool torn = !o.error && o.total.size() == 2;
    CHECK(names_change(o.error, path),
          std::string(runner_name(how)) + ": rewritten in place after planning: want an io error, got " +
              (torn ? "a sum of the torn record \"B,20\"" : "\"" + o.error.message + "\""));
  }
}

static void test_gzip() {
  const std::string path = tmp_dir + "/shrinks.csv.gz";
  const std::string full = rows(20000);
  for (Runner how : {Runner::serial, Runner::tbb, Runner::frames}) {
    write_or_exit(path, full, true);
    Plan plan;
    CHECK(!make_plan({path}, "K", "V", 1000, plan), "gzip plan");
    // Cut the compressed file: zlib reports the truncated stream.
    const std::string packed = read_bytes(path);
    write_or_exit(path, packed.substr(0, packed.size() / 2));
    const Outcome o = run(plan, how);
    CHECK(o.error.kind == CoreError::Kind::io && o.error.file == path,
          std::string(runner_name(how)) + ": truncated gzip after planning: \"" + o.error.message + "\"");
  }
}

int main() {
  const TempDir dir("parairline-shrink");
  tmp_dir = dir.path();
  test_shrinks();
  test_grows();
  test_rewritten();
  test_gzip();
  return report();
}
