// Partial results: per group (the key's bytes) the row count and, per value
// column, the exact sum, the missing count and, if asked, the minimum and
// the maximum. An
// open-addressing hash table over flat arrays (keys in one byte arena), so
// millions of groups cost no allocation each; the arrays come from a
// PagePool when given (big_array.h). merge() is exact, so merging
// partials in any order gives the same result.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "big_array.h"
#include "bytes.h"
#include "decimal.h"
#include "key_types.h"
#include "wire.h"

namespace parairline {

// What one group keeps for one value column: the exact sum and the number
// of missing values.
struct ValueAcc {
  ExactSum sum;
  int64_t missing = 0;

  void merge(const ValueAcc& o) {
    sum.merge(o.sum);
    missing += o.missing;
  }
};
static_assert(sizeof(void*) != 8 || sizeof(ValueAcc) == 40, "an accumulator is 40 bytes (see ExactSum::small_)");

// The minimum and maximum of one group's non-missing values of one column,
// kept only for queries that ask (40 bytes a group and column more).
struct Extremes {
  static constexpr int32_t kNoForm = std::numeric_limits<int32_t>::min();

  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  // The decimals behind min and max, when their mantissa is below 2^62, so
  // the next value of the same scale compares as an integer, unconverted.
  // Rounding to double is monotone, so min and max stay the rounded exact
  // extremes whichever way a value was compared.
  int64_t lo_mant = 0, hi_mant = 0;
  int32_t lo_exp = kNoForm, hi_exp = kNoForm;

  void add(const Decimal& d) {
    const bool short_form = !d.big && d.mant < (static_cast<u128>(1) << 62);
    const int64_t m = d.neg ? -static_cast<int64_t>(d.mant) : static_cast<int64_t>(d.mant);
    if (short_form && d.exp10 == lo_exp && d.exp10 == hi_exp) {
      if (m < lo_mant) {
        lo_mant = m;
        min = decimal_to_double(d);
      } else if (m > hi_mant) {
        hi_mant = m;
        max = decimal_to_double(d);
      }
      return;
    }
    const double x = decimal_to_double(d);
    if (x < min) {
      min = x;
      lo_mant = m;
      lo_exp = short_form ? d.exp10 : kNoForm;
    }
    if (x > max) {
      max = x;
      hi_mant = m;
      hi_exp = short_form ? d.exp10 : kNoForm;
    }
  }

  void merge(const Extremes& o) {
    if (o.min < min) {
      min = o.min;
      lo_mant = o.lo_mant;
      lo_exp = o.lo_exp;
    }
    if (o.max > max) {
      max = o.max;
      hi_mant = o.hi_mant;
      hi_exp = o.hi_exp;
    }
  }
};

// MurmurHash3's finaliser: a bijection of 64-bit words.
inline uint64_t fmix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  x ^= x >> 33;
  return x;
}

// For keys of up to 8 bytes, a bijection of their bytes for each length, so
// equal hashes and equal lengths mean equal keys (the table checks both).
inline uint64_t hash_bytes(const char* p, std::size_t n) {
  if (n <= 8) return fmix64(load_small(p, n) ^ (static_cast<uint64_t>(n) * 0x9E3779B97F4A7C15ull));
  // wyhash-style multiply-mix; keys are short (carrier codes, dates, tail numbers).
  const uint64_t k1 = 0x9E3779B97F4A7C15ull, k2 = 0xD6E8FEB86659FD93ull;
  if (n <= 16) {
    // Its first and last word (they overlap), one multiply: composite keys
    // of a few short fields are this long.
    uint64_t a, b;
    std::memcpy(&a, p, 8);
    std::memcpy(&b, p + n - 8, 8);
    const u128 m = static_cast<u128>(a ^ k1 ^ n) * (b ^ k2);
    return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  }
  uint64_t h = k1 ^ (n * k2);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    const u128 m = static_cast<u128>(h ^ w) * k2;
    h = static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
    p += 8;
    n -= 8;
  }
  // The tail (0-7 bytes) as load_small() packs it: no memcpy of a variable length.
  const uint64_t w = load_small(p, n);
  const u128 m = static_cast<u128>(h ^ w ^ k1) * k2;
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

class PartialResult {
 public:
  // `nvalues` accumulators per group, with Extremes if `extremes`; `nkeys`
  // key columns (for key_types); the arrays' memory from `pool` if given
  // (which must outlive the table), else the heap's.
  explicit PartialResult(uint32_t nvalues = 1, uint32_t nkeys = 1, bool extremes = false, PagePool* pool = nullptr)
      : nvalues_(nvalues),
        extremes_(extremes),
        key_types_(nkeys, 0),
        key_bytes_(PoolAllocator<char>(pool)),
        key_off_(PoolAllocator<uint64_t>(pool)),
        hashes_(PoolAllocator<uint64_t>(pool)),
        n_(PoolAllocator<int64_t>(pool)),
        acc_(PoolAllocator<ValueAcc>(pool)),
        ext_(PoolAllocator<Extremes>(pool)),
        slots_(16, Slot(), PoolAllocator<Slot>(pool)) {
    key_off_.push_back(0);
  }

  // Frees the lookup index once no group will be added (the end of a run):
  // a table of millions of groups then holds its keys and accumulators
  // only. Lookups must not follow.
  void compact() {
    free_array(slots_);
    free_array(hashes_);
  }

  // A full task table is sealed: its lookup index, emptied, goes to `next`
  // (the task's new table), and it keeps its groups only, as compact()
  // leaves them. The index is the biggest array and the one written at
  // random: reused, it needs no new pages; held, it would sit idle until
  // the reducer merges the sealed table.
  void hand_index_to(PartialResult& next) {
    next.slots_.swap(slots_);
    std::fill(next.slots_.begin(), next.slots_.end(), Slot());
    free_array(slots_);
  }

  // Empty, for another query shape, keeping the memory: a task's table is
  // refilled by the thread's next task without new pages.
  void reset(uint32_t nvalues, uint32_t nkeys, bool extremes = false) {
    nvalues_ = nvalues;
    extremes_ = extremes;
    ext_.clear();
    key_types_.assign(nkeys, 0);
    key_bytes_.clear();
    key_off_.assign(1, 0);
    hashes_.clear();
    n_.clear();
    acc_.clear();
    if (slots_.empty()) slots_.resize(16);  // a moved-from table has none
    std::fill(slots_.begin(), slots_.end(), Slot());
  }

  std::size_t size() const { return n_.size(); }
  uint32_t nvalues() const { return nvalues_; }
  std::string_view key(std::size_t g) const {
    return std::string_view(key_bytes_.data() + key_off_[g], key_off_[g + 1] - key_off_[g]);
  }
  // A table that merges rather than gets merged (a run's total) keeps no
  // per-group hashes: its slots hold them, and 8 bytes a group is fresh
  // memory for millions of groups. Call while empty.
  void keep_no_hashes() { keep_hashes_ = false; }

  uint64_t hash(std::size_t g) const {
    if (hashes_.empty()) {  // compacted, or none kept
      const std::string_view k = key(g);
      return hash_bytes(k.data(), k.size());
    }
    return hashes_[g];
  }
  int64_t n(std::size_t g) const { return n_[g]; }
  int64_t& n(std::size_t g) { return n_[g]; }
  const ValueAcc& acc(std::size_t g, uint32_t v) const { return acc_[g * nvalues_ + v]; }
  ValueAcc& acc(std::size_t g, uint32_t v) { return acc_[g * nvalues_ + v]; }
  // Only if has_extremes().
  bool has_extremes() const { return extremes_; }
  const Extremes& extremes(std::size_t g, uint32_t v) const { return ext_[g * nvalues_ + v]; }
  Extremes& extremes(std::size_t g, uint32_t v) { return ext_[g * nvalues_ + v]; }
  // Keeps Extremes from now on (none seen yet for the groups so far).
  void keep_extremes() {
    if (extremes_) return;
    extremes_ = true;
    ext_.assign(acc_.size(), Extremes());
  }

  // Group g's row count and first value's accumulators (csv_group_sum()'s
  // shape), for the standalone tests and tools.
  template <class Int, class Sum>
  struct GroupView {
    Int& n;
    Int& missing;
    Sum& sum;
  };
  GroupView<int64_t, ExactSum> group(std::size_t g) { return {n_[g], acc(g, 0).missing, acc(g, 0).sum}; }
  GroupView<const int64_t, const ExactSum> group(std::size_t g) const { return {n_[g], acc(g, 0).missing, acc(g, 0).sum}; }

  // Per key column, the widest KeyType (key_types.h) of values seen in rows
  // the filter dropped: a column is typed by all its values.
  std::vector<uint8_t>& key_types() { return key_types_; }
  const std::vector<uint8_t>& key_types() const { return key_types_; }

  // The group of `key` (hash `h` = hash_bytes(key)), created if new;
  // `created` tells the caller so it can vet new keys once.
  std::size_t find_or_insert(std::string_view key, uint64_t h, bool* created = nullptr) {
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.group == 0) break;
      // A short key's hash is a bijection of its bytes (for its length).
      if (s.hash == h && s.key_len == key.size() && (key.size() <= 8 || key_equals(s, key))) {
        if (created) *created = false;
        return s.group - 1;
      }
    }
    if ((size() + 1) * 2 > slots_.size()) {
      grow();
      mask = slots_.size() - 1;
    }
    const std::size_t g = size();
    key_bytes_.insert(key_bytes_.end(), key.begin(), key.end());
    key_off_.push_back(key_bytes_.size());
    if (keep_hashes_) hashes_.push_back(h);
    n_.push_back(0);
    for (uint32_t v = 0; v < nvalues_; ++v) acc_.emplace_back();
    if (extremes_) ext_.resize(ext_.size() + nvalues_);
    insert_slot(Slot{h, static_cast<uint32_t>(key.size()), static_cast<uint32_t>(g + 1)});
    if (created) *created = true;
    return g;
  }
  std::size_t find_or_insert(std::string_view key, bool* created = nullptr) {
    return find_or_insert(key, hash_bytes(key.data(), key.size()), created);
  }

  // Starts loading the slot where a key of hash h would be looked up first.
  void prefetch(uint64_t h) const { __builtin_prefetch(&slots_[h & (slots_.size() - 1)]); }
  // Starts loading group g's count and first accumulator (if any).
  void prefetch_group(std::size_t g) const {
    __builtin_prefetch(n_.data() + g);
    __builtin_prefetch(acc_.data() + g * nvalues_);
  }

  // Adds group g of `o` (same number of values).
  void merge_group(const PartialResult& o, std::size_t g) {
    const std::size_t t = find_or_insert(o.key(g), o.hash(g));
    n_[t] += o.n_[g];
    for (uint32_t v = 0; v < nvalues_; ++v) acc(t, v).merge(o.acc(g, v));
    if (o.extremes_) {
      for (uint32_t v = 0; v < nvalues_; ++v) extremes(t, v).merge(o.extremes(g, v));
    }
  }

  // Before merging groups of `o` one by one.
  void prepare_merge(const PartialResult& o) {
    if (o.nvalues_ != nvalues_) throw std::runtime_error("merging partial results of different queries");
    if (o.extremes_) keep_extremes();
  }

  void merge_key_types(const std::vector<uint8_t>& types) {
    for (std::size_t j = 0; j < key_types_.size() && j < types.size(); ++j) {
      if (types[j] > key_types_[j]) key_types_[j] = types[j];
    }
  }

  void merge(const PartialResult& o) {
    if (o.size() == 0) {
      merge_key_types(o.key_types_);
      return;
    }
    prepare_merge(o);
    reserve(size() + o.size());
    for (std::size_t g = 0; g < o.size(); ++g) merge_group(o, g);
    merge_key_types(o.key_types_);
  }

  // Room for `groups` groups without rehashing.
  void reserve(std::size_t groups) {
    std::size_t want = slots_.size();
    while (groups * 2 > want) want *= 2;
    if (want != slots_.size()) rehash(want);
  }

  // reserve(), and room in the arrays too (a fresh table about to be filled).
  void reserve_groups(std::size_t groups) {
    reserve(groups);
    if (keep_hashes_) hashes_.reserve(groups);
    key_off_.reserve(groups + 1);
    n_.reserve(groups);
    acc_.reserve(groups * nvalues_);
    if (extremes_) ext_.reserve(groups * nvalues_);
  }

  // Compact binary form (see wire.h): exact accumulators travel, never
  // rounded sums.
  void serialize(std::string& out) const {
    wire::put<uint32_t>(out, nvalues_);
    wire::put<uint8_t>(out, extremes_);
    wire::put<uint64_t>(out, key_types_.size());
    for (uint8_t t : key_types_) wire::put<uint8_t>(out, t);
    wire::put<uint64_t>(out, size());
    for (std::size_t g = 0; g < size(); ++g) {
      wire::put_string(out, key(g));
      wire::put<int64_t>(out, n_[g]);
      for (uint32_t v = 0; v < nvalues_; ++v) {
        const ValueAcc& a = acc(g, v);
        wire::put<int64_t>(out, a.missing);
        if (extremes_) {
          wire::put<double>(out, extremes(g, v).min);
          wire::put<double>(out, extremes(g, v).max);
        }
        if (const BigDecimal* b = a.sum.big()) {
          wire::put<uint8_t>(out, 1);
          wire::put<uint8_t>(out, b->negative());
          wire::put<int32_t>(out, b->scale());
          wire::put<uint64_t>(out, b->limbs().size());
          for (uint32_t limb : b->limbs()) wire::put<uint32_t>(out, limb);
        } else {
          wire::put<uint8_t>(out, 0);
          wire::put<int32_t>(out, a.sum.scale());
          wire::put<i128>(out, a.sum.small());
        }
      }
    }
  }

  // Reads what serialize() wrote; throws std::runtime_error on malformed input.
  static PartialResult deserialize(wire::Reader& in) {
    const uint32_t nv = in.get<uint32_t>();
    const uint8_t ext = in.get<uint8_t>();
    const uint64_t nk = in.get<uint64_t>();
    if (nv > (1u << 16) || ext > 1 || nk > in.left()) throw std::runtime_error("damaged partial result");
    PartialResult r(nv, static_cast<uint32_t>(nk), ext != 0);
    for (auto& t : r.key_types_) t = in.get<uint8_t>();
    const uint64_t n = in.get<uint64_t>();
    for (uint64_t i = 0; i < n; ++i) {
      bool created = false;
      const std::size_t g = r.find_or_insert(in.get_bytes(in.get<uint64_t>()), &created);
      if (!created) throw std::runtime_error("damaged partial result (a key twice)");
      r.n_[g] = in.get<int64_t>();
      for (uint32_t v = 0; v < nv; ++v) {
        ValueAcc& a = r.acc(g, v);
        a.missing = in.get<int64_t>();
        if (ext) {
          r.extremes(g, v).min = in.get<double>();
          r.extremes(g, v).max = in.get<double>();
        }
        if (in.get<uint8_t>()) {
          const bool neg = in.get<uint8_t>() != 0;
          const int32_t scale = in.get<int32_t>();
          const uint64_t nl = in.get<uint64_t>();
          if (in.left() / 4 < nl) throw std::runtime_error("truncated message");
          std::vector<uint32_t> limbs(static_cast<std::size_t>(nl));
          for (auto& l : limbs) l = in.get<uint32_t>();
          a.sum = ExactSum::from_big(BigDecimal::from_parts(neg, scale, std::move(limbs)));
        } else {
          const int32_t scale = in.get<int32_t>();
          a.sum = ExactSum::from_small(in.get<i128>(), scale);
        }
      }
    }
    return r;
  }

 private:
  // 16 bytes: a key's place in the arena is read from the offsets only
  // when hash and length match (a key of 9 bytes or more), and a run's
  // total of millions of groups writes a third fewer fresh bytes than with
  // the place in the slot.
  struct Slot {
    uint64_t hash = 0;
    uint32_t key_len = 0;
    uint32_t group = 0;  // index + 1, 0 = empty
  };

  // Same length already checked.
  bool key_equals(const Slot& s, std::string_view key) const {
    const uint64_t len = s.key_len;
    const char* p = key_bytes_.data() + key_off_[s.group - 1];
    if (len <= 32) {
      // Overlapping words (len > 8): no call to memcmp for short keys, as
      // a tail number and a date are.
      const auto word = [](const char* at) {
        uint64_t w;
        std::memcpy(&w, at, 8);
        return w;
      };
      const char* k = key.data();
      bool same = word(p) == word(k) && word(p + len - 8) == word(k + len - 8);
      if (len > 16) same = same && word(p + 8) == word(k + 8) && word(p + len - 16) == word(k + len - 16);
      return same;
    }
    return std::memcmp(p, key.data(), key.size()) == 0;
  }

  // Frees v's storage, keeping its allocator.
  template <class V>
  static void free_array(V& v) {
    V(v.get_allocator()).swap(v);
  }

  void insert_slot(const Slot& s) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = s.hash & mask;
    while (slots_[i].group != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }

  // The slots moved into a bigger index (a slot holds all it needs).
  void rehash(std::size_t nslots) {
    PoolArray<Slot> old(nslots, Slot(), slots_.get_allocator());
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.group != 0) insert_slot(s);
    }
  }

  void grow() { rehash(slots_.size() * 2); }

  uint32_t nvalues_;
  bool extremes_;
  std::vector<uint8_t> key_types_;
  PoolArray<char> key_bytes_;
  PoolArray<uint64_t> key_off_;  // key g is key_bytes_[key_off_[g], key_off_[g + 1])
  PoolArray<uint64_t> hashes_;  // per group, unless !keep_hashes_
  bool keep_hashes_ = true;
  PoolArray<int64_t> n_;
  PoolArray<ValueAcc> acc_;  // nvalues_ per group
  PoolArray<Extremes> ext_;  // nvalues_ per group if extremes_, else none
  PoolArray<Slot> slots_;
};

using Group = PartialResult::GroupView<int64_t, ExactSum>;
using ConstGroup = PartialResult::GroupView<const int64_t, const ExactSum>;

}  // namespace parairline
