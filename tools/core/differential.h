// The property the scanner must keep: for any input and any chunk size, the
// chunked, speculative, multi-threaded parse gives exactly what the simple
// whole-file parse gives (the same sums, counts and first error).
#pragma once

#include <cstring>
#include <string>

#include "core/error_line.h"
#include "core/task_loop.h"
#include "core/tbb_runner.h"
#include "core/messages.h"
#include "reference_parse.h"

namespace parairline {
namespace reference {

inline std::string read_all(const FilePlan& fp) {
  std::unique_ptr<ByteSource> src = open_source(fp, 0);
  std::string out;
  std::vector<char> buf(1 << 16);
  for (std::size_t got; (got = src->read(buf.data(), buf.size())) > 0;) out.append(buf.data(), got);
  return out;
}

inline bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// "" if they agree, else what differs.
inline std::string compare(const PartialResult& want, const CoreError& want_err, const PartialResult& got,
                           const CoreError& got_err) {
  if (want_err || got_err) {
    if (!want_err) return "chunked parse failed: " + got_err.message;
    if (!got_err) return "chunked parse missed the error: " + want_err.message;
    if (want_err.kind != got_err.kind || want_err.offset != got_err.offset || want_err.column != got_err.column) {
      return "different errors: want offset " + std::to_string(want_err.offset) + " col " +
             std::to_string(want_err.column) + " (" + want_err.message + "), got offset " +
             std::to_string(got_err.offset) + " col " + std::to_string(got_err.column) + " (" + got_err.message + ")";
    }
    return "";
  }
  if (want.size() != got.size()) {
    return "different number of keys: " + std::to_string(want.size()) + " vs " + std::to_string(got.size());
  }
  PartialResult probe = got;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const std::size_t before = probe.size();
    const std::string key(want.key(i));
    const Group g = probe.group(probe.find_or_insert(key));
    if (probe.size() != before) return "key missing from chunked result: " + key;
    const ConstGroup w = want.group(i);
    if (g.n != w.n || g.missing != w.missing) return "different counts for key " + key;
    if (!same_bits(g.sum.to_double(), w.sum.to_double()) || !g.sum.same_value(w.sum)) {
      return "different sum for key " + key;
    }
  }
  return "";
}

// Runs every task of `plan` into `reducer`: serially (threads 1), on TBB
// threads (2 or more), or through wire frames in two groups (0, as remote
// workers return them).
inline void run_plan(const Plan& plan, ChainReducer& reducer, int threads) {
  std::atomic<bool> stop{false};
  std::vector<char> buf;
  reduce_all(
      plan, reducer,
      [&](const WorkList& work) {
        if (threads == 0 && work.size() == plan.tasks.size()) {
          std::vector<std::size_t> odd, even;
          for (const auto& w : work) (w.first % 2 ? odd : even).push_back(w.first);
          std::string frames = run_tasks_to_frames(plan, even, 1, stop, nullptr);
          frames += run_tasks_to_frames(plan, odd, 2, stop, nullptr);
          for (auto& r : read_frames(frames.data(), frames.size())) reducer.submit(r.first, std::move(r.second));
        } else if (threads <= 1) {
          run_serial(plan, reducer, work, buf, stop, nullptr);
        } else {
          run_tbb(plan, reducer, work, threads, stop, nullptr);
        }
      },
      stop);
}

// Runs one file through the reference and the chunked parse. threads == 0:
// the tasks go through wire frames in two groups, as for remote workers.
inline std::string check_file(const std::string& path, const std::string& key, const std::string& value,
                              uint64_t chunk_bytes, int threads) {
  Plan plan;
  if (CoreError e = make_plan({path}, key, value, chunk_bytes, plan)) return "";  // header errors: one code path
  Outcome want;
  try {
    want = parse(plan.files[0], read_all(plan.files[0]));
  } catch (const IoFailure& e) {
    want.error = io_error(path, e.what());
  }
  ChainReducer reducer(plan);
  run_plan(plan, reducer, threads);
  CoreError got_err = reducer.has_error() ? reducer.error() : CoreError();
  if (!got_err && !reducer.complete()) return "chunked parse did not account for every chunk";
  if (want.error.kind == CoreError::Kind::io && got_err.kind == CoreError::Kind::io) return "";
  return compare(want.result, want.error, reducer.total(), got_err);
}

}  // namespace reference
}  // namespace parairline
