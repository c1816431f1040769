// The scanner's 64-byte masks where x86's SSE2 is not there: NEON on ARM64
// (part of every ARMv8-A core, so chosen at compile time), and elsewhere a
// portable word-at-a-time (SWAR) version, 8 bytes per 64-bit word. Bit i of
// each mask is set when p[i] is the quote character, the separator or the
// line end byte (`eol`: '\n', or '\r' for a file of bare CRs). Reads exactly
// p[0, 64), any alignment. R-free, no OS dependence.
#pragma once

#include <cstdint>
#include <cstring>

#include "bytes.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define PARAIRLINE_HAVE_NEON_MASKS 1
#else
#define PARAIRLINE_HAVE_NEON_MASKS 0
#endif

namespace parairline {

struct BlockMasksN {
  uint64_t quote, sep, newline;
};

namespace portable_masks {

// The reference: one byte at a time.
inline BlockMasksN block_masks_bytes(const char* p, char quote, char sep, char eol = '\n') {
  BlockMasksN m{0, 0, 0};
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    m.quote |= p[i] == quote ? bit : 0;
    m.sep |= p[i] == sep ? bit : 0;
    m.newline |= p[i] == eol ? bit : 0;
  }
  return m;
}

// Bytes 0..7 of p as a word with byte i in bits 8i..8i+7, whatever the
// machine's byte order.
inline uint64_t load_le64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

// Bit i set where byte i of w is c: the zero bytes of w ^ c...c, then one
// bit per byte gathered by a multiply whose partial products never overlap.
inline uint64_t swar_eq8(uint64_t w, uint64_t c8) {
  return ((zero_bytes(w ^ c8) >> 7) * 0x0102040810204080ull) >> 56;
}

inline BlockMasksN block_masks_swar(const char* p, char quote, char sep, char eol = '\n') {
  const uint64_t q8 = kOnes * static_cast<unsigned char>(quote);
  const uint64_t s8 = kOnes * static_cast<unsigned char>(sep);
  const uint64_t n8 = kOnes * static_cast<unsigned char>(eol);
  BlockMasksN m{0, 0, 0};
  for (int k = 0; k < 8; ++k) {
    const uint64_t w = load_le64(p + 8 * k);
    m.quote |= swar_eq8(w, q8) << (8 * k);
    m.sep |= swar_eq8(w, s8) << (8 * k);
    m.newline |= swar_eq8(w, n8) << (8 * k);
  }
  return m;
}

#if PARAIRLINE_HAVE_NEON_MASKS

// 64 comparison bytes (0xFF or 0) to 64 bits: each byte keeps its bit of
// 1, 2, ..., 128, then three rounds of pairwise adds pack them (simdjson's way).
inline uint64_t neon_movemask64(uint8x16_t c0, uint8x16_t c1, uint8x16_t c2, uint8x16_t c3) {
  static const uint8_t weights[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const uint8x16_t bits = vld1q_u8(weights);
  uint8x16_t a = vpaddq_u8(vandq_u8(c0, bits), vandq_u8(c1, bits));
  const uint8x16_t b = vpaddq_u8(vandq_u8(c2, bits), vandq_u8(c3, bits));
  a = vpaddq_u8(a, b);
  a = vpaddq_u8(a, a);
  return vgetq_lane_u64(vreinterpretq_u64_u8(a), 0);
}

inline BlockMasksN block_masks_neon(const char* p, char quote, char sep, char eol = '\n') {
  const uint8_t* u = reinterpret_cast<const uint8_t*>(p);
  const uint8x16_t v0 = vld1q_u8(u), v1 = vld1q_u8(u + 16), v2 = vld1q_u8(u + 32), v3 = vld1q_u8(u + 48);
  const uint8x16_t q = vdupq_n_u8(static_cast<uint8_t>(quote));
  const uint8x16_t s = vdupq_n_u8(static_cast<uint8_t>(sep));
  const uint8x16_t n = vdupq_n_u8(static_cast<uint8_t>(eol));
  BlockMasksN m;
  m.quote = neon_movemask64(vceqq_u8(v0, q), vceqq_u8(v1, q), vceqq_u8(v2, q), vceqq_u8(v3, q));
  m.sep = neon_movemask64(vceqq_u8(v0, s), vceqq_u8(v1, s), vceqq_u8(v2, s), vceqq_u8(v3, s));
  m.newline = neon_movemask64(vceqq_u8(v0, n), vceqq_u8(v1, n), vceqq_u8(v2, n), vceqq_u8(v3, n));
  return m;
}

#endif  // PARAIRLINE_HAVE_NEON_MASKS

}  // namespace portable_masks

// NEON on ARM64, word-at-a-time elsewhere.
inline BlockMasksN block_masks_portable(const char* p, char quote, char sep, char eol = '\n') {
#if PARAIRLINE_HAVE_NEON_MASKS
  return portable_masks::block_masks_neon(p, quote, sep, eol);
#else
  return portable_masks::block_masks_swar(p, quote, sep, eol);
#endif
}

}  // namespace parairline
