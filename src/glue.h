// Helpers shared by the Rcpp glue files: core results to R lists, and
// running core work off the main thread while it polls Ctrl-C.
#pragma once

#include <Rcpp.h>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "core/group_sum.h"
#include "r_interrupt.h"

namespace parairline {

// The `error` element R's abort_core_error() reads; kind is "parse", "io"
// or "worker"; line and column NA when unknown.
inline Rcpp::List error_list(const char* kind, const std::string& file, double line, double column,
                             const std::string& text, const std::string& message) {
  return Rcpp::List::create(Rcpp::Named("error") = Rcpp::List::create(
                                Rcpp::Named("kind") = kind, Rcpp::Named("file") = file, Rcpp::Named("line") = line,
                                Rcpp::Named("column") = column, Rcpp::Named("text") = text,
                                Rcpp::Named("message") = message));
}

inline Rcpp::List error_list(const CoreError& e) {
  return error_list(e.kind == CoreError::Kind::parse ? "parse" : "io", e.file,
                    e.line > 0 ? static_cast<double>(e.line) : NA_REAL,
                    e.column > 0 ? static_cast<double>(e.column) : NA_REAL, e.text, e.message);
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

inline Rcpp::List result_list(const PartialResult& r) {
  const R_xlen_t n = static_cast<R_xlen_t>(r.size());
  Rcpp::CharacterVector key(n);
  Rcpp::NumericVector sum(n), count(n), missing(n);
  for (R_xlen_t i = 0; i < n; ++i) {
    const std::string& k = r.key(static_cast<std::size_t>(i));
    key[i] = Rf_mkCharLenCE(k.data(), static_cast<int>(k.size()), key_encoding(k));
    const Group& g = r.group(static_cast<std::size_t>(i));
    sum[i] = g.sum.to_double();
    count[i] = static_cast<double>(g.n);
    missing[i] = static_cast<double>(g.missing);
  }
  return Rcpp::List::create(Rcpp::Named("key") = key, Rcpp::Named("sum") = sum, Rcpp::Named("n") = count,
                            Rcpp::Named("missing") = missing);
}

// What a finished run returns to R: the first error (located to its line),
// else the totals. `completed` is false if the run ended before every chunk.
inline Rcpp::List reducer_list(const Plan& plan, const ChainReducer& reducer, bool completed = true) {
  if (reducer.has_error()) {
    CoreError e = reducer.error();
    locate_error(plan, e);
    return error_list(e);
  }
  if (!completed || !reducer.complete()) Rcpp::stop("internal error: not every chunk of the input was summed");
  return result_list(reducer.total());
}

// Runs `work` on a helper thread; the calling (main R) thread waits in short
// slices, drawing progress and polling for Ctrl-C. Whatever way this returns
// or throws, the workers have stopped first.
class BackgroundRun {
 public:
  // `work` gets the stop flag, which it must poll.
  template <class F>
  explicit BackgroundRun(F work) {
    thread_ = std::thread([this, work] {
      try {
        work(stop_);
      } catch (...) {
        error_ = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
      cv_.notify_all();
    });
  }
  ~BackgroundRun() { stop_and_join(); }

  // Returns false if interrupted.
  bool wait(const std::function<void()>& tick) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return finished_; })) break;
      }
      if (r_interrupt_pending()) {
        stop_and_join();
        return false;
      }
      tick();
    }
    stop_and_join();
    if (error_) std::rethrow_exception(error_);
    return true;
  }

 private:
  void stop_and_join() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

// A tick that reports bytes done to an R progress callback (or does nothing).
inline std::function<void()> progress_tick(const Rcpp::Nullable<Rcpp::Function>& progress,
                                           const std::atomic<uint64_t>& done, uint64_t total) {
  if (progress.isNull()) return [] {};
  Rcpp::Function fn(progress);
  return [fn, &done, total] { fn(static_cast<double>(done.load()), static_cast<double>(total)); };
}

}  // namespace parairline
