// Locating an error's line: workers report byte offsets; the line number
// is counted only when an error is reported, by re-reading the file up to it.
#pragma once

#include <atomic>

#include "csv_source.h"
#include "error.h"
#include "plan.h"

namespace parairline {

// Fills in the error's line number. It can take as long as reading the file
// up to the error, so it polls `stop` (the line then stays unknown, 0).
inline void locate_error(const Plan& plan, CoreError& e, const std::atomic<bool>& stop) {
  if (!e.has_offset || e.line != 0) return;
  for (const FilePlan& fp : plan.files) {
    if (fp.name == e.file) {
      try {
        e.line = line_at(fp, e.offset, stop);
      } catch (const IoFailure&) {
        e.line = 0;
      }
      return;
    }
  }
}

}  // namespace parairline
