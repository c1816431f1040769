// The one way work runs off the calling thread: helper threads do the work,
// the calling thread waits in short slices and calls tick() between them (R's
// main thread draws progress and polls Ctrl-C there). The engine's runs, the
// demos and the simulator all use it. R-free.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace parairline {

// Returns false to ask the run to stop (the user pressed Ctrl-C).
using Tick = std::function<bool()>;

constexpr int background_slice_ms = 50;

// How a background run ended. `error` is the first exception a body threw,
// `tick_error` the one tick() threw (an R error in a progress callback is
// the caller's to re-throw); the run was stopped when either happened.
struct BackgroundOutcome {
  bool interrupted = false;
  std::exception_ptr error;
  std::exception_ptr tick_error;
  bool ok() const { return !interrupted && !error && !tick_error; }
};

// The text of an exception a background run caught, for a message.
inline std::string exception_text(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::bad_alloc&) {
    return "out of memory";
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception in a worker thread";
  }
}

// Runs body(w) for w in [0, workers) on fresh threads released together (so
// they really overlap), while this thread waits in slices calling tick().
// When tick() returns false or throws, or a body throws, `stop` is set: the
// bodies must poll it. Whatever happens, every thread is joined before this
// returns, and no exception leaves it: it lands in the outcome.
inline BackgroundOutcome run_in_background(int workers, const std::function<void(int)>& body,
                                           std::atomic<bool>& stop, const Tick& tick,
                                           int slice_ms = background_slice_ms) {
  BackgroundOutcome outcome;
  std::mutex m;
  std::condition_variable cv;
  int finished = 0;
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  auto fail = [&](std::exception_ptr e) {  // call with m held
    stop.store(true);
    if (!outcome.error) outcome.error = e;
  };
  auto join_all = [&] {
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
  };
  try {
    threads.reserve(static_cast<std::size_t>(std::max(0, workers)));
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&, w] {
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        std::exception_ptr error;
        try {
          if (!stop.load(std::memory_order_relaxed)) body(w);
        } catch (...) {
          error = std::current_exception();
        }
        {
          std::lock_guard<std::mutex> g(m);
          if (error) fail(error);
          ++finished;
        }
        cv.notify_one();
      });
    }
  } catch (...) {
    // Could not start them all: release and join those that did start.
    std::lock_guard<std::mutex> g(m);
    fail(std::current_exception());
    workers = static_cast<int>(threads.size());
  }
  go.store(true, std::memory_order_release);
  {
    std::unique_lock<std::mutex> lock(m);
    const auto slice = std::chrono::milliseconds(std::max(1, slice_ms));
    while (finished < workers) {
      if (cv.wait_for(lock, slice, [&] { return finished == workers; })) break;
      if (outcome.interrupted || outcome.tick_error || stop.load() || !tick) continue;
      lock.unlock();
      bool go_on = true;
      std::exception_ptr error;
      try {
        go_on = tick();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error) {
        stop.store(true);
        outcome.tick_error = error;
      } else if (!go_on) {
        outcome.interrupted = true;
        stop.store(true);
      }
    }
  }
  join_all();
  return outcome;
}

}  // namespace parairline
