// Interrupt checks for the main R thread while C++ owns resources.
// R_CheckUserInterrupt() longjmps on Ctrl-C, which must never cross a C++
// frame that owns threads, children or memory; R_ToplevelExec() contains the
// jump, so we learn about the interrupt as a plain bool and clean up first.
#pragma once

#include <Rinternals.h>

namespace parairline {

inline void check_interrupt_unsafe(void*) { R_CheckUserInterrupt(); }

// True if the user pressed Ctrl-C. Call from the main R thread only.
inline bool r_interrupt_pending() {
  return R_ToplevelExec(check_interrupt_unsafe, nullptr) == FALSE;
}

}  // namespace parairline
