// What the Rcpp glue files share: the one error record R's
// abort_core_error() reads, and running engine
// work off the main R thread while it draws progress and polls Ctrl-C.
#pragma once

#include <Rcpp.h>

#include <atomic>
#include <exception>
#include <functional>
#include <new>
#include <string>

#include "core/background.h"
#include "core/error_line.h"
#include "core/reducer.h"
#include "r_interrupt.h"

namespace parairline {

// The error record. kind is "input", "parse", "io", "worker", "system" or
// "internal"; line and column NA when unknown.
inline Rcpp::List error_record(const char* kind, const std::string& file, double line, double column,
                               const std::string& text, const std::string& message) {
  return Rcpp::List::create(Rcpp::Named("kind") = kind, Rcpp::Named("file") = file, Rcpp::Named("line") = line,
                            Rcpp::Named("column") = column, Rcpp::Named("text") = text,
                            Rcpp::Named("message") = message);
}

// Builds R objects inside R_UnwindProtect: an R error while allocating (out
// of memory) then unwinds the C++ frames that own plans, reducers and
// threads like an exception, instead of a longjmp over their destructors.
template <class Build>
inline Rcpp::List protect_r(Build&& build) {
  return Rcpp::List(Rcpp::unwindProtect([&]() -> SEXP { return build(); }));
}

// A failed call's whole result: list(error = <record>).
inline Rcpp::List error_list(const char* kind, const std::string& message, const std::string& file = "") {
  return protect_r([&] {
    return Rcpp::List::create(Rcpp::Named("error") = error_record(kind, file, NA_REAL, NA_REAL, "", message));
  });
}

inline Rcpp::List error_list(const CoreError& e) {
  return protect_r([&] {
    return Rcpp::List::create(Rcpp::Named("error") = error_record(
                                  e.kind == CoreError::Kind::parse ? "parse" : e.kind == CoreError::Kind::input ? "input" : "io", e.file,
                                  e.line > 0 ? static_cast<double>(e.line) : NA_REAL,
                                  e.column > 0 ? static_cast<double>(e.column) : NA_REAL, e.text, e.message));
  });
}

inline bool valid_utf8(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    const int n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (n < 0 || end - p <= n) return n == 0;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += n + 1;
  }
  return true;
}

// Keys are bytes from the file: ASCII as is, valid UTF-8 marked as such,
// anything else marked "bytes" so R never mistakes it for text.
inline cetype_t key_encoding(const std::string& k) {
  for (unsigned char c : k) {
    if (c >= 0x80) return valid_utf8(k) ? CE_UTF8 : CE_BYTES;
  }
  return CE_NATIVE;
}

// What went wrong in a helper thread, as an error record.
inline Rcpp::List exception_list(const std::exception_ptr& e) {
  return error_list("system", "The engine failed: " + exception_text(e) + ".");
}

// Runs work(stop) on a helper thread while this, the main R thread, calls
// draw() (progress) and polls Ctrl-C in short slices. Returns NULL, or the
// error list of an exception the work threw. Ctrl-C and an R error in draw()
// are re-thrown here, after the helper thread has stopped.
inline SEXP run_off_main(const std::function<void(const std::atomic<bool>&)>& work,
                         const std::function<void()>& draw = {}) {
  std::atomic<bool> stop{false};
  const BackgroundOutcome outcome = run_in_background(
      1, [&](int) { work(stop); }, stop,
      [&] {
        if (r_interrupt_pending()) return false;
        if (draw) draw();
        return true;
      },
      100);
  if (outcome.tick_error) std::rethrow_exception(outcome.tick_error);
  if (outcome.interrupted) throw Rcpp::internal::InterruptedException();
  if (outcome.error) return exception_list(outcome.error);
  return R_NilValue;
}

// A draw() that reports bytes done to an R progress callback (or nothing).
inline std::function<void()> progress_draw(const Rcpp::Nullable<Rcpp::Function>& progress,
                                           const std::atomic<uint64_t>& done, uint64_t total) {
  if (progress.isNull()) return {};
  Rcpp::Function fn(progress);
  return [fn, &done, total] { fn(static_cast<double>(done.load()), static_cast<double>(total)); };
}

}  // namespace parairline
