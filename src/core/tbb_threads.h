// The size of the TBB arenas the core and the demos run in.
#pragma once

#include <tbb/task_arena.h>

#include <algorithm>

namespace parairline {

// TBB never runs more threads than the machine has (it warns on stderr when
// asked to), so neither do we: more than that only adds switching.
inline int tbb_threads(int requested) {
  return std::max(1, std::min(requested, tbb::this_task_arena::max_concurrency()));
}

}  // namespace parairline
