// Arrays of millions of groups. A run's total and its summary write
// hundreds of MB of fresh memory, and on a virtual machine a fresh 4 KB page
// cost about 10 us: the faults took a third of a many-group summary's time.
// So big arrays take their memory straight from the system in 2 MB pages
// where the kernel allows (platform::map_pages()):
// * BigArray: a std::vector whose storage, from 2 MB on, is mapped for it
//   and unmapped when freed; smaller ones are plain heap memory.
// * PoolArray: a std::vector whose storage comes from a PagePool, for the
//   total's 256 partitions, whose arrays grow by doubling and stay below
//   2 MB each.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "platform.h"

namespace parairline {

template <class T>
class BigArrayAllocator {
 public:
  using value_type = T;
  static constexpr std::size_t kMapFrom = std::size_t{2} << 20;

  BigArrayAllocator() noexcept = default;
  template <class U>
  BigArrayAllocator(const BigArrayAllocator<U>&) noexcept {}  // NOLINT: converting, as std::allocator

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMapFrom) return static_cast<T*>(::operator new(bytes));
    void* p = platform::map_pages(bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }

  void deallocate(T* p, std::size_t n) noexcept {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < kMapFrom) {
      ::operator delete(p);
    } else {
      platform::unmap_pages(p, bytes);
    }
  }

  template <class U>
  bool operator==(const BigArrayAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const BigArrayAllocator<U>&) const noexcept {
    return false;
  }
};

template <class T>
using BigArray = std::vector<T, BigArrayAllocator<T>>;

// Pieces of mapped memory (see above), carved from slabs of 2 MB pages. A
// freed piece waits for the next request of its size class: the partitions
// grow in step, so one partition's outgrown array is soon another's. Every
// slab returns to the system with the pool (or release()).
class PagePool {
 public:
  PagePool() = default;
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;
  ~PagePool() { release(); }

  void* allocate(std::size_t bytes) {
    std::size_t rounded = 0;
    const std::size_t c = size_class(bytes, rounded);
    std::lock_guard<std::mutex> lock(mu_);
    if (c < free_.size() && !free_[c].empty()) {
      void* p = free_[c].back();
      free_[c].pop_back();
      return p;
    }
    if (rounded > static_cast<std::size_t>(end_ - next_)) {
      // The slab's rest is never touched, so it costs no memory.
      const std::size_t size = std::max(rounded, slab_size_);
      char* slab = static_cast<char*>(platform::map_pages(size));
      if (!slab) throw std::bad_alloc();
      slabs_.emplace_back(slab, size);
      next_ = slab;
      end_ = slab + size;
      slab_size_ = std::min<std::size_t>(slab_size_ * 2, kMaxSlab);
    }
    void* p = next_;
    next_ += rounded;
    return p;
  }

  void deallocate(void* p, std::size_t bytes) noexcept {
    std::size_t rounded = 0;
    const std::size_t c = size_class(bytes, rounded);
    std::lock_guard<std::mutex> lock(mu_);
    if (closing_) return;  // release() unmaps it with the rest
    if (!draining_) {
      try {
        if (c >= free_.size()) free_.resize(c + 1);
        free_[c].push_back(p);
        return;
      } catch (const std::bad_alloc&) {
        // no room to list it: it goes back now
      }
    }
    platform::discard_pages(p, rounded);
  }

  // The tables are about to be freed with the pool: their pieces are not
  // handed back one by one (each call splits 2 MB pages and flushes TLBs;
  // a table of millions of groups has over a thousand pieces).
  void close() {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }

  // The free pieces go back to the system (their whole pages), and from now
  // on freed pieces go back at once, not to a free list: no table will grow.
  // Adjacent pieces go back together: each call splits 2 MB pages.
  void drain() {
    std::lock_guard<std::mutex> lock(mu_);
    draining_ = true;
    std::vector<std::pair<char*, std::size_t>> pieces;
    for (std::size_t c = 0; c < free_.size(); ++c) {
      for (void* p : free_[c]) pieces.emplace_back(static_cast<char*>(p), class_bytes(c));
    }
    free_.clear();
    std::sort(pieces.begin(), pieces.end());
    for (std::size_t i = 0; i < pieces.size();) {
      char* const from = pieces[i].first;
      char* to = from + pieces[i].second;
      for (++i; i < pieces.size() && pieces[i].first == to; ++i) to += pieces[i].second;
      platform::discard_pages(from, static_cast<std::size_t>(to - from));
    }
  }

  // Unmaps every slab: no piece may be in use.
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& s : slabs_) platform::unmap_pages(s.first, s.second);
    slabs_.clear();
    free_.clear();
    next_ = end_ = nullptr;
    slab_size_ = kFirstSlab;
    draining_ = false;
    closing_ = false;
  }

  // Requests from this size on come from the pool (smaller ones from the heap).
  static constexpr std::size_t kFrom = std::size_t{16} << 10;

 private:
  static constexpr std::size_t kFirstSlab = std::size_t{8} << 20;
  static constexpr std::size_t kMaxSlab = std::size_t{128} << 20;

  // Classes in quarter steps between powers of two: a vector of 40-byte
  // elements that doubles fits one exactly, as one of 8 or 16 does.
  static std::size_t size_class(std::size_t bytes, std::size_t& rounded) {
    int e = 63 - __builtin_clzll(static_cast<unsigned long long>(bytes));
    const std::size_t step = std::size_t{1} << (e - 2);
    std::size_t q = (bytes + step - 1) / step;  // 4 to 8 quarters of 2^e
    if (q == 8) {
      q = 4;
      ++e;
    }
    rounded = q * (std::size_t{1} << (e - 2));
    return static_cast<std::size_t>(e) * 4 + (q - 4);
  }
  static std::size_t class_bytes(std::size_t c) { return (4 + c % 4) * (std::size_t{1} << (c / 4 - 2)); }

  std::mutex mu_;
  std::vector<std::pair<char*, std::size_t>> slabs_;
  std::vector<std::vector<void*>> free_;  // by size class
  char* next_ = nullptr;
  char* end_ = nullptr;
  std::size_t slab_size_ = kFirstSlab;
  bool draining_ = false;
  bool closing_ = false;
};

// A BigArrayAllocator, or with a pool the pool's pieces from
// PagePool::kFrom on. The pool travels with the storage when vectors are
// moved or swapped; a copy is the heap's, and a vector copied into keeps
// its own memory (so no copy outlives its pool unawares).
template <class T>
class PoolAllocator {
 public:
  using value_type = T;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  using propagate_on_container_copy_assignment = std::false_type;
  using is_always_equal = std::false_type;

  PoolAllocator() noexcept = default;
  explicit PoolAllocator(PagePool* pool) noexcept : pool_(pool) {}
  template <class U>
  PoolAllocator(const PoolAllocator<U>& o) noexcept : pool_(o.pool()) {}  // NOLINT: converting, as std::allocator

  PoolAllocator select_on_container_copy_construction() const { return PoolAllocator(); }

  T* allocate(std::size_t n) {
    if (!pooled(n)) return BigArrayAllocator<T>().allocate(n);
    return static_cast<T*>(pool_->allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (!pooled(n)) {
      BigArrayAllocator<T>().deallocate(p, n);
    } else {
      pool_->deallocate(p, n * sizeof(T));
    }
  }

  PagePool* pool() const noexcept { return pool_; }
  template <class U>
  bool operator==(const PoolAllocator<U>& o) const noexcept {
    return pool_ == o.pool();
  }
  template <class U>
  bool operator!=(const PoolAllocator<U>& o) const noexcept {
    return pool_ != o.pool();
  }

 private:
  bool pooled(std::size_t n) const noexcept {
    return pool_ && n >= PagePool::kFrom / sizeof(T) && n <= (std::size_t{1} << 40) / sizeof(T);
  }
  PagePool* pool_ = nullptr;
};

template <class T>
using PoolArray = std::vector<T, PoolAllocator<T>>;

}  // namespace parairline
