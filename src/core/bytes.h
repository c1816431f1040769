// Loads, copies and byte tests of short fields in one machine word: the
// fields a query reads are a few bytes each, and calls to memcpy or loops
// over their bytes (whose lengths vary row to row) cost more than the work.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace parairline {

inline constexpr uint64_t kOnes = 0x0101010101010101ull;  // 1 in every byte

// Four bytes, little-endian on any machine (compilers make this one load).
__attribute__((always_inline)) inline uint32_t load_le32(const char* p) {
  const auto b = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i); };
  return b(0) | b(1) | b(2) | b(3);
}

// The bytes of a field of at most 8 bytes, packed little-endian (byte i of
// the text in bits 8i..8i+7), zero above; reads only p[0, n).
__attribute__((always_inline)) inline uint64_t load_small(const char* p, std::size_t n) {
  if (n >= 4) return load_le32(p) | (static_cast<uint64_t>(load_le32(p + n - 4)) << (8 * (n - 4)));
  if (n == 0) return 0;
  const auto byte = [&](std::size_t i) { return static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i); };
  return byte(0) | byte(n / 2) | byte(n - 1);
}

// p[0, n) to out for sizeof(Word) <= n <= 2 sizeof(Word): its first and
// last Word, which overlap.
template <class Word>
__attribute__((always_inline)) inline void copy_ends(char* out, const char* p, std::size_t n) {
  Word first, last;
  std::memcpy(&first, p, sizeof first);
  std::memcpy(&last, p + n - sizeof last, sizeof last);
  std::memcpy(out, &first, sizeof first);
  std::memcpy(out + n - sizeof last, &last, sizeof last);
}

// memcpy of a short field with no call (key fields are a few bytes each).
__attribute__((always_inline)) inline void copy_short(char* out, const char* p, std::size_t n) {
  if (n > 16) {
    std::memcpy(out, p, n);
  } else if (n >= 8) {
    copy_ends<uint64_t>(out, p, n);
  } else if (n >= 4) {
    copy_ends<uint32_t>(out, p, n);
  } else if (n > 0) {
    out[0] = p[0];
    out[n / 2] = p[n / 2];
    out[n - 1] = p[n - 1];
  }
}

// The low n bytes of a word set (n <= 8).
inline constexpr uint64_t low_bytes(std::size_t n) { return n >= 8 ? ~0ull : (1ull << (8 * n)) - 1; }

// The high bit of every byte of w that is zero, and of no other byte (no
// false positives: no carry crosses a byte).
inline constexpr uint64_t zero_bytes(uint64_t w) {
  const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
  return ~(((w & low7) + low7) | w) & (kOnes * 0x80);
}

// A NUL byte or a byte c in p[0, n), a word at a time: key fields are a
// few bytes, and a call to memchr costs more than the scan.
__attribute__((always_inline)) inline bool has_nul_or(const char* p, std::size_t n, char c) {
  const uint64_t cs = kOnes * static_cast<unsigned char>(c);
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (zero_bytes(w) | zero_bytes(w ^ cs)) return true;
  }
  if (n == 0) return false;
  const uint64_t w = load_small(p, n);
  return ((zero_bytes(w) | zero_bytes(w ^ cs)) & low_bytes(n)) != 0;
}

// Every byte of w is an ASCII digit. A byte below '0' sets its high bit in
// w - '0's, one above '9' in w + 0x46s, one past 0x7F in w itself; a borrow
// or carry leaves a byte only above one that is flagged already.
inline constexpr bool all_digits(uint64_t w) {
  return (((w - kOnes * '0') | (w + kOnes * 0x46) | w) & (kOnes * 0x80)) == 0;
}

// The number written by 8 digit values (0-9, one per byte, byte 0 the most
// significant): pairs, then fours, then all eight, by multiplies.
inline constexpr uint32_t eight_digits(uint64_t d) {
  d = (d * (10 * 256 + 1)) >> 8;
  d = ((d & 0x00FF00FF00FF00FFull) * (100 * 65536 + 1)) >> 16;
  return static_cast<uint32_t>(((d & 0x0000FFFF0000FFFFull) * ((10000ull << 32) + 1)) >> 32);
}

}  // namespace parairline
