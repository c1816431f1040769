// A stand-in for the few oneTBB calls the engine and the demos make, on
// std::thread, for the cross builds of `make cross-test`: Debian has no TBB
// for mingw-w64 or aarch64. Selected only there, by -Itools/cross/tbb; the
// package and `make core-test` use the real TBB.
//
// What the tests can see is kept: an arena of n runs bodies on n threads at
// once (the runners' concurrency is real), this_task_arena::max_concurrency()
// is the arena's size inside execute(), parallel_for calls each index once,
// and parallel_deterministic_reduce splits ranges exactly as TBB does, so
// its floating-point result is TBB's. Not a scheduler: no work stealing, no
// nested parallelism beyond the threads started, serial sorts and reduces.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace tbb {

namespace stand_in {

inline int hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// The size of the arena this thread runs in (0: none).
inline int& current_arena_size() {
  thread_local int size = 0;
  return size;
}

class ArenaScope {
 public:
  explicit ArenaScope(int size) : saved_(current_arena_size()) { current_arena_size() = size; }
  ~ArenaScope() { current_arena_size() = saved_; }
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;

 private:
  int saved_;
};

}  // namespace stand_in

namespace this_task_arena {
inline int max_concurrency() {
  const int size = stand_in::current_arena_size();
  return size > 0 ? size : stand_in::hardware_threads();
}
}  // namespace this_task_arena

class task_arena {
 public:
  static constexpr int automatic = -1;
  explicit task_arena(int max_concurrency = automatic)
      : size_(max_concurrency > 0 ? max_concurrency : stand_in::hardware_threads()) {}
  int max_concurrency() const { return size_; }
  template <class F>
  auto execute(F&& f) -> decltype(f()) {
    stand_in::ArenaScope scope(size_);
    return f();
  }

 private:
  int size_;
};

class simple_partitioner {};
class auto_partitioner {};
class static_partitioner {};

struct split {};

template <class Value>
class blocked_range {
 public:
  using const_iterator = Value;
  using size_type = std::size_t;
  blocked_range(Value begin, Value end, size_type grainsize = 1) : begin_(begin), end_(end), grain_(grainsize) {}
  // As TBB splits: this range keeps the first half, the new one takes the rest.
  blocked_range(blocked_range& r, split) : begin_(r.middle()), end_(r.end_), grain_(r.grain_) { r.end_ = begin_; }
  Value begin() const { return begin_; }
  Value end() const { return end_; }
  size_type size() const { return static_cast<size_type>(end_ - begin_); }
  size_type grainsize() const { return grain_; }
  bool empty() const { return !(begin_ < end_); }
  bool is_divisible() const { return grain_ < size(); }

 private:
  Value middle() const { return begin_ + (end_ - begin_) / 2u; }
  Value begin_, end_;
  size_type grain_;
};

// f(i) for every i in [first, last), on as many threads as the arena has
// (each index once); the first exception is re-thrown when all have stopped.
template <class Index, class F, class Partitioner>
void parallel_for(Index first, Index last, const F& f, const Partitioner&) {
  if (!(first < last)) return;
  const int arena = this_task_arena::max_concurrency();
  const std::size_t n = static_cast<std::size_t>(last - first);
  const int threads = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(arena), n));
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::exception_ptr error;
  auto work = [&] {
    stand_in::ArenaScope scope(arena);
    for (std::size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        f(static_cast<Index>(first + static_cast<Index>(i)));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

template <class Index, class F>
void parallel_for(Index first, Index last, const F& f) {
  parallel_for(first, last, f, auto_partitioner());
}

// body(piece) for pieces of `range` of its grain size (the last shorter),
// each once, on the arena's threads.
template <class Value, class Body>
void parallel_for(const blocked_range<Value>& range, const Body& body) {
  const std::size_t grain = std::max<std::size_t>(1, range.grainsize());
  const std::size_t pieces = (range.size() + grain - 1) / grain;
  parallel_for(std::size_t{0}, pieces, [&](std::size_t p) {
    const Value begin = range.begin() + p * grain;
    const Value end = p + 1 == pieces ? range.end() : begin + grain;
    body(blocked_range<Value>(begin, end, grain));
  });
}

template <class Iterator, class Compare>
void parallel_sort(Iterator begin, Iterator end, const Compare& less) {
  std::sort(begin, end, less);
}

// TBB's deterministic reduce with the simple partitioner: split while
// divisible, a leaf is body(leaf, identity), a node join(left, right).
template <class Range, class Value, class Body, class Join>
Value parallel_deterministic_reduce(const Range& range, const Value& identity, const Body& body, const Join& join) {
  if (!range.is_divisible()) return body(range, identity);
  Range left = range;
  Range right(left, split());
  const Value a = parallel_deterministic_reduce(left, identity, body, join);
  const Value b = parallel_deterministic_reduce(right, identity, body, join);
  return join(a, b);
}

}  // namespace tbb
