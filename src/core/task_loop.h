// The task loops every runner's threads and worker processes share, and
// the serial runner (the reference for the chunked parse).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "chunk_scan.h"
#include "plan.h"
#include "reducer.h"

namespace parairline {

// Calls take(i) for i = next++ while i < n, until take returns false or
// `stop` is set: the loop of every runner's threads and worker processes,
// which share `next`. Once stopped it takes no more tasks, so Ctrl-C does
// not wait for the rest of the queue to be marked skipped.
template <class Index, class Take>
inline void drain_tasks(std::atomic<Index>& next, std::size_t n, const std::atomic<bool>& stop, Take&& take) {
  while (!stop.load(std::memory_order_relaxed)) {
    const auto i = static_cast<std::size_t>(next.fetch_add(1, std::memory_order_relaxed));
    if (i >= n || !take(i)) return;
  }
}

// Scans one work item and submits its result; a task the reducer no longer
// needs (after an error) is submitted as skipped. `spare` is a merged task's
// table the calling thread reuses (millions of groups: no new pages per task).
inline void run_item(const Plan& plan, ChainReducer& reducer, const WorkItem& w, std::vector<char>& buf,
                     const std::atomic<bool>& stop, std::atomic<uint64_t>* progress, PartialResult& spare) {
  ChunkResult r;
  r.partial = std::move(spare);
  if (reducer.skip(w.first)) {
    r.skipped = true;
  } else {
    const TaskSpec& t = plan.tasks[w.first];
    scan_task(plan.query, plan.files[t.file], t, w.second, buf, stop, progress, r);
  }
  reducer.submit(w.first, std::move(r), &spare);
}

// Serial runner: the reference for the chunked parse.
inline void run_serial(const Plan& plan, ChainReducer& reducer, const WorkList& work,
                       std::vector<char>& buf, const std::atomic<bool>& stop, std::atomic<uint64_t>* progress) {
  std::atomic<std::size_t> next{0};
  PartialResult spare;
  drain_tasks(next, work.size(), stop, [&](std::size_t i) {
    run_item(plan, reducer, work[i], buf, stop, progress, spare);
    return true;
  });
}

}  // namespace parairline
