// Partial results: per key, the exact sum, the row count and the missing
// count. An open-addressing hash table keyed by the key's bytes; merge() is
// exact, so merging partials in any order gives the same result.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "decimal.h"
#include "wire.h"

namespace parairline {

struct Group {
  ExactSum sum;
  int64_t n = 0;
  int64_t missing = 0;
};

// The bytes of a key of at most 8 bytes, packed little-endian.
inline uint64_t load_small(const char* p, std::size_t n) {
  if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return a | (static_cast<uint64_t>(b) << (8 * (n - 4)));
  }
  if (n == 0) return 0;
  const auto byte = [&](std::size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i); };
  return byte(0) | byte(n / 2) | byte(n - 1);
}

inline uint64_t mix64(uint64_t x) {
  const u128 m = static_cast<u128>(x ^ 0x9E3779B97F4A7C15ull) * 0xD6E8FEB86659FD93ull;
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

inline uint64_t hash_bytes(const char* p, std::size_t n) {
  if (n <= 8) return mix64(load_small(p, n) ^ (static_cast<uint64_t>(n) << 59));
  // wyhash-style multiply-mix; keys are short (carrier codes, states).
  const uint64_t k1 = 0x9E3779B97F4A7C15ull, k2 = 0xD6E8FEB86659FD93ull;
  uint64_t h = k1 ^ (n * k2);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    const u128 m = static_cast<u128>(h ^ w) * k2;
    h = static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  std::memcpy(&w, p, n);
  const u128 m = static_cast<u128>(h ^ w ^ k1) * k2;
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

class PartialResult {
 public:
  PartialResult() : slots_(16, 0) {}

  std::size_t size() const { return keys_.size(); }
  const std::string& key(std::size_t i) const { return keys_[i]; }
  const Group& group(std::size_t i) const { return groups_[i]; }
  Group& group(std::size_t i) { return groups_[i]; }

  // The group for `key`, created if new. `created` tells the caller so it can
  // vet new keys once instead of on every row.
  Group& find_or_insert(std::string_view key, bool* created = nullptr) {
    const uint64_t h = hash_bytes(key.data(), key.size());
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const uint32_t s = slots_[i];
      if (s == 0) break;
      const std::size_t g = s - 1;
      // A short key's hash is a bijection of its bytes and length.
      if (hashes_[g] == h && (key.size() <= 8 || (keys_[g].size() == key.size() &&
                                                   std::memcmp(keys_[g].data(), key.data(), key.size()) == 0))) {
        if (created) *created = false;
        return groups_[g];
      }
    }
    if ((keys_.size() + 1) * 2 > slots_.size()) {
      grow();
      mask = slots_.size() - 1;
    }
    keys_.emplace_back(key);
    hashes_.push_back(h);
    groups_.emplace_back();
    insert_slot(h, static_cast<uint32_t>(keys_.size()));
    if (created) *created = true;
    return groups_.back();
  }

  void merge(const PartialResult& o) {
    for (std::size_t i = 0; i < o.size(); ++i) {
      Group& g = find_or_insert(o.keys_[i]);
      const Group& og = o.groups_[i];
      g.sum.merge(og.sum);
      g.n += og.n;
      g.missing += og.missing;
    }
  }

  void clear() {
    keys_.clear();
    hashes_.clear();
    groups_.clear();
    slots_.assign(16, 0);
  }

  // Compact binary form (see wire.h): exact accumulators travel, never
  // rounded doubles.
  void serialize(std::string& out) const {
    wire::put<uint64_t>(out, keys_.size());
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      wire::put_string(out, keys_[i]);
      const Group& g = groups_[i];
      wire::put<int64_t>(out, g.n);
      wire::put<int64_t>(out, g.missing);
      if (const BigDecimal* b = g.sum.big()) {
        wire::put<uint8_t>(out, 1);
        wire::put<uint8_t>(out, b->negative());
        wire::put<int32_t>(out, b->scale());
        wire::put<uint64_t>(out, b->limbs().size());
        for (uint32_t limb : b->limbs()) wire::put<uint32_t>(out, limb);
      } else {
        wire::put<uint8_t>(out, 0);
        wire::put<int32_t>(out, g.sum.scale());
        wire::put<i128>(out, g.sum.small());
      }
    }
  }

  // Reads what serialize() wrote; throws std::runtime_error on malformed input.
  static PartialResult deserialize(wire::Reader& in) {
    PartialResult r;
    const uint64_t n = in.get<uint64_t>();
    for (uint64_t i = 0; i < n; ++i) {
      Group& g = r.find_or_insert(in.get_bytes(in.get<uint64_t>()));
      g.n = in.get<int64_t>();
      g.missing = in.get<int64_t>();
      if (in.get<uint8_t>()) {
        const bool neg = in.get<uint8_t>() != 0;
        const int32_t scale = in.get<int32_t>();
        const uint64_t nl = in.get<uint64_t>();
        if (in.left() / 4 < nl) throw std::runtime_error("truncated message");
        std::vector<uint32_t> limbs(static_cast<std::size_t>(nl));
        for (auto& l : limbs) l = in.get<uint32_t>();
        g.sum = ExactSum::from_big(BigDecimal::from_parts(neg, scale, std::move(limbs)));
      } else {
        const int32_t scale = in.get<int32_t>();
        g.sum = ExactSum::from_small(in.get<i128>(), scale);
      }
    }
    return r;
  }

 private:
  void insert_slot(uint64_t h, uint32_t slot_value) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = slot_value;
  }

  void grow() {
    slots_.assign(slots_.size() * 2, 0);
    for (std::size_t g = 0; g < keys_.size(); ++g) insert_slot(hashes_[g], static_cast<uint32_t>(g + 1));
  }

  std::vector<std::string> keys_;
  std::vector<uint64_t> hashes_;
  std::vector<Group> groups_;
  std::vector<uint32_t> slots_;  // index + 1 into keys_/groups_, 0 = empty
};

}  // namespace parairline
