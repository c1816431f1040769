// Exact decimal sums. A value is parsed into (sign, mantissa, power of ten)
// without rounding; a group accumulates scaled 128-bit integers and falls
// back to an arbitrary-precision decimal when that overflows. Integer sums are
// associative and commutative, so any thread count, chunk size or merge order
// gives the same total; it is rounded to double once, by strtod (glibc's is
// correctly rounded).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <cstring>
#include <string>
#include <vector>

#include "bytes.h"

namespace parairline {

using i128 = __int128;
using u128 = unsigned __int128;

// Largest decimal exponent magnitude we accept; beyond it a value is not a
// finite double (or is zero) and summing it exactly would cost megabytes.
constexpr int kMaxExp10 = 400;
constexpr int kMaxSmallScale = 36;  // 10^36 < 2^127 / 100: room to add

// 10^k for 0 <= k <= 22: the powers of ten a double holds exactly.
inline double exact_pow10(int k) {
  static const double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
  return kPow10[k];
}

inline u128 pow10_u128(int k) {
  u128 p = 1;
  for (int i = 0; i < k; ++i) p *= 10;
  return p;
}

// A parsed decimal: value = (neg ? -1 : 1) * mantissa * 10^exp10. When the
// mantissa has more than 38 significant digits, `big` is set and its digits
// are kept as text in `digits`.
struct Decimal {
  bool neg = false;
  bool big = false;
  u128 mant = 0;
  int exp10 = 0;
  std::string digits;
};

enum class ParseStatus { ok, missing, bad, out_of_range };

inline ParseStatus parse_decimal_general(const char* p, const char* end, Decimal& out, char dec);

// [-]digits with at most one decimal mark, at most 8 bytes after the sign,
// parsed in one word: a column's values differ in length row to row, so a
// loop over their bytes mispredicts its exit on most rows. False for any
// other text, which the byte loop then reads.
__attribute__((always_inline)) inline bool parse_short_decimal(const char* p, std::size_t n, char dec, Decimal& out) {
  const bool neg = *p == '-';
  p += neg;
  n -= neg;
  if (n == 0 || n > 8) return false;
  const uint64_t w = load_small(p, n);
  const uint64_t marks = zero_bytes(w ^ (kOnes * static_cast<unsigned char>(dec))) & low_bytes(n);
  uint64_t digits = w;
  std::size_t nd = n, frac = 0;
  if (marks) {
    if (marks & (marks - 1)) return false;  // two marks
    const std::size_t at = static_cast<std::size_t>(__builtin_ctzll(marks)) / 8;
    digits = (w & low_bytes(at)) | ((w >> 8) & ~low_bytes(at));  // the mark taken out
    nd = n - 1;
    frac = nd - at;
    if (nd == 0) return false;
  }
  digits = (digits & low_bytes(nd)) | (kOnes * '0' & ~low_bytes(nd));  // '0's above the digits
  if (!all_digits(digits)) return false;
  // Leading zero digits below, the text's first digit in byte 8 - nd.
  const uint32_t m = eight_digits((digits - kOnes * '0') << (8 * (8 - nd)));
  out.neg = neg;
  out.big = false;
  out.mant = m;
  out.exp10 = m == 0 ? 0 : -static_cast<int>(frac);
  return true;
}

// Parses one unquoted value field whose decimal mark is `dec` ('.' or ',').
// Empty and NA are missing.
__attribute__((always_inline)) inline ParseStatus parse_decimal(const char* p, const char* end, Decimal& out, char dec = '.') {
  const std::size_t n = static_cast<std::size_t>(end - p);
  if (n == 0 || (n == 2 && p[0] == 'N' && p[1] == 'A')) return ParseStatus::missing;
  if (parse_short_decimal(p, n, dec, out)) return ParseStatus::ok;
  // Fast path for the common shape: [-]digits[.digits], at most 18 digits.
  const char* q = p;
  const bool neg = *q == '-';
  q += neg;
  uint64_t m = 0;
  const char* digits = q;
  while (q < end && static_cast<unsigned>(*q - '0') < 10) m = m * 10 + static_cast<unsigned>(*q++ - '0');
  std::ptrdiff_t nd = q - digits, frac = 0;
  if (q < end && *q == dec) {
    const char* f = ++q;
    while (q < end && static_cast<unsigned>(*q - '0') < 10) m = m * 10 + static_cast<unsigned>(*q++ - '0');
    frac = q - f;
    nd += frac;
  }
  if (q == end && nd > 0 && nd <= 18) {
    out.neg = neg;
    out.big = false;
    out.mant = m;
    out.exp10 = m == 0 ? 0 : -static_cast<int>(frac);
    return ParseStatus::ok;
  }
  return parse_decimal_general(p, end, out, dec);
}

inline ParseStatus parse_decimal_general(const char* p, const char* end, Decimal& out, char dec) {
  out.neg = false;
  out.big = false;
  if (*p == '-' || *p == '+') {
    out.neg = (*p == '-');
    ++p;
  }
  uint64_t m64 = 0;
  u128 m = 0;
  int sig = 0;        // significant digits taken into the mantissa
  int dropped = 0;    // integer digits past what fits (big path keeps them in `digits`)
  int frac = 0;       // digits after the point
  bool any = false;
  bool seen_point = false;
  const char* digits_begin = nullptr;
  for (; p < end; ++p) {
    const char c = *p;
    if (c >= '0' && c <= '9') {
      any = true;
      if (seen_point) ++frac;
      if (sig == 0 && c == '0') continue;  // leading zeros carry no information
      if (sig == 0) digits_begin = p;
      if (sig < 19) {
        m64 = m64 * 10 + static_cast<uint64_t>(c - '0');
      } else if (sig < 38) {
        if (sig == 19) m = m64;
        m = m * 10 + static_cast<unsigned>(c - '0');
      } else {
        ++dropped;
      }
      ++sig;
    } else if (c == dec && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (!any) return ParseStatus::bad;
  int exp = 0;
  if (p < end) {
    if (*p != 'e' && *p != 'E') return ParseStatus::bad;
    ++p;
    bool eneg = false;
    if (p < end && (*p == '-' || *p == '+')) {
      eneg = (*p == '-');
      ++p;
    }
    if (p == end) return ParseStatus::bad;
    for (; p < end; ++p) {
      if (*p < '0' || *p > '9') return ParseStatus::bad;
      if (exp < 100000) exp = exp * 10 + (*p - '0');
    }
    if (eneg) exp = -exp;
  }
  if (sig == 0) {  // zero, whatever its exponent
    out.mant = 0;
    out.exp10 = 0;
    return ParseStatus::ok;
  }
  out.mant = sig <= 19 ? static_cast<u128>(m64) : m;
  out.exp10 = exp - frac;
  if (dropped > 0) {
    // Keep every significant digit as text; the exponent then applies to all of them.
    out.big = true;
    out.digits.clear();
    for (const char* q = digits_begin; q < end && out.digits.size() < static_cast<std::size_t>(sig); ++q) {
      if (*q >= '0' && *q <= '9') out.digits.push_back(*q);
    }
  }
  const int top = out.exp10 + sig;  // decimal magnitude of the value
  if (out.exp10 < -kMaxExp10 || top > kMaxExp10 - 90) return ParseStatus::out_of_range;
  return ParseStatus::ok;
}

// Arbitrary-precision signed decimal: sign and magnitude in base 1e9 limbs
// (least significant first), value = mag * 10^-scale.
class BigDecimal {
 public:
  static constexpr uint32_t kBase = 1000000000u;

  BigDecimal() = default;

  static BigDecimal from_u128(bool neg, u128 mag, int scale) {
    BigDecimal b;
    while (mag != 0) {
      b.mag_.push_back(static_cast<uint32_t>(mag % kBase));
      mag /= kBase;
    }
    b.neg_ = neg && !b.mag_.empty();
    b.scale_ = scale;
    return b;
  }

  static BigDecimal from_decimal(const Decimal& d) {
    BigDecimal b;
    if (d.big) {
      // digits are most significant first
      const std::string& s = d.digits;
      for (std::size_t end = s.size(); end > 0;) {
        const std::size_t begin = end >= 9 ? end - 9 : 0;
        b.mag_.push_back(static_cast<uint32_t>(std::strtoul(s.substr(begin, end - begin).c_str(), nullptr, 10)));
        end = begin;
      }
      b.trim();
      b.neg_ = d.neg && !b.mag_.empty();
    } else {
      b = from_u128(d.neg, d.mant, 0);
    }
    if (d.exp10 < 0) {
      b.scale_ = -d.exp10;
    } else {
      b.scale_ = 0;
      b.mul_pow10(d.exp10);
    }
    return b;
  }

  bool negative() const { return neg_; }
  int scale() const { return scale_; }
  const std::vector<uint32_t>& limbs() const { return mag_; }

  static BigDecimal from_parts(bool neg, int scale, std::vector<uint32_t> limbs) {
    BigDecimal b;
    b.mag_ = std::move(limbs);
    b.trim();
    b.neg_ = neg && !b.mag_.empty();
    b.scale_ = scale;
    return b;
  }

  void add(BigDecimal o) {
    if (o.scale_ > scale_) {
      mul_pow10(o.scale_ - scale_);
      scale_ = o.scale_;
    } else if (o.scale_ < scale_) {
      o.mul_pow10(scale_ - o.scale_);
      o.scale_ = scale_;
    }
    if (neg_ == o.neg_) {
      add_mag(o.mag_);
    } else if (cmp_mag(mag_, o.mag_) >= 0) {
      sub_mag(o.mag_);
    } else {
      std::vector<uint32_t> a = std::move(mag_);
      mag_ = std::move(o.mag_);
      sub_mag(a);
      neg_ = o.neg_;
    }
    trim();
    if (mag_.empty()) neg_ = false;
  }

  // Exact value as text in scientific form, which strtod rounds correctly
  // and which does not depend on the locale's decimal point.
  std::string to_string() const {
    if (mag_.empty()) return "0";
    std::string s = neg_ ? "-" : "";
    char part[16];
    std::snprintf(part, sizeof part, "%u", mag_.back());
    s += part;
    for (std::size_t i = mag_.size() - 1; i-- > 0;) {
      std::snprintf(part, sizeof part, "%09u", mag_[i]);
      s += part;
    }
    if (scale_ != 0) s += "e" + std::to_string(-scale_);
    return s;
  }

  double to_double() const { return std::strtod(to_string().c_str(), nullptr); }

 private:
  void trim() {
    while (!mag_.empty() && mag_.back() == 0) mag_.pop_back();
  }

  void mul_pow10(int k) {
    if (mag_.empty() || k <= 0) return;
    mag_.insert(mag_.begin(), static_cast<std::size_t>(k / 9), 0u);
    uint32_t f = 1;
    for (int i = 0; i < k % 9; ++i) f *= 10;
    if (f == 1) return;
    uint64_t carry = 0;
    for (uint32_t& limb : mag_) {
      const uint64_t v = static_cast<uint64_t>(limb) * f + carry;
      limb = static_cast<uint32_t>(v % kBase);
      carry = v / kBase;
    }
    if (carry) mag_.push_back(static_cast<uint32_t>(carry));
  }

  static int cmp_mag(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    for (std::size_t i = a.size(); i-- > 0;) {
      if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
  }

  void add_mag(const std::vector<uint32_t>& b) {
    if (mag_.size() < b.size()) mag_.resize(b.size(), 0u);
    uint32_t carry = 0;
    for (std::size_t i = 0; i < mag_.size(); ++i) {
      uint32_t v = mag_[i] + carry + (i < b.size() ? b[i] : 0u);
      carry = v >= kBase;
      if (carry) v -= kBase;
      mag_[i] = v;
      if (!carry && i >= b.size()) break;
    }
    if (carry) mag_.push_back(1u);
  }

  // mag_ -= b, with mag_ >= b.
  void sub_mag(const std::vector<uint32_t>& b) {
    int64_t borrow = 0;
    for (std::size_t i = 0; i < mag_.size(); ++i) {
      int64_t v = static_cast<int64_t>(mag_[i]) - borrow - (i < b.size() ? b[i] : 0);
      borrow = v < 0;
      if (borrow) v += kBase;
      mag_[i] = static_cast<uint32_t>(v);
    }
  }

  bool neg_ = false;
  std::vector<uint32_t> mag_;
  int scale_ = 0;
};

// The exact running sum of one group.
class ExactSum {
 public:
  ExactSum() = default;
  ExactSum(const ExactSum& o) : small_(o.small_), scale_(o.scale_), big_(o.big_ ? new BigDecimal(*o.big_) : nullptr) {}
  ExactSum& operator=(const ExactSum& o) {
    if (this != &o) {
      small_ = o.small_;
      scale_ = o.scale_;
      big_.reset(o.big_ ? new BigDecimal(*o.big_) : nullptr);
    }
    return *this;
  }
  ExactSum(ExactSum&&) noexcept = default;
  ExactSum& operator=(ExactSum&&) noexcept = default;

  // Inlined into the scan's loop: one call less per value and row.
  __attribute__((always_inline)) void add(const Decimal& d) {
    // Hot path: the value has the group's scale (e.g. every DISTANCE has two decimals).
    if (!big_ && !d.big && d.exp10 == -scale_ && d.mant <= kMaxMant) {
      const i128 v = d.neg ? -static_cast<i128>(d.mant) : static_cast<i128>(d.mant);
      i128 r;
      if (!__builtin_add_overflow(small_, v, &r)) {
        small_ = r;
        return;
      }
    }
    add_other(d);
  }

  void merge(const ExactSum& o) {
    if (!big_ && !o.big_) {
      i128 a = small_, b = o.small_;
      int s = std::max(scale_, o.scale_);
      if (rescale(a, scale_, s) && rescale(b, o.scale_, s) && !__builtin_add_overflow(a, b, &a)) {
        small_ = a;
        scale_ = s;
        return;
      }
    }
    if (!big_) promote();
    big_->add(o.big_ ? *o.big_ : BigDecimal::from_u128(o.small_ < 0, magnitude(o.small_), o.scale_));
  }

  double to_double() const {
    if (big_) return big_->to_double();
    if (small_ > -kExactDoubleInt && small_ < kExactDoubleInt && scale_ >= 0 && scale_ <= 22) {
      // Both exact as doubles, so one division rounds once (Clinger's fast
      // path): millions of groups convert without text.
      const double m = static_cast<double>(static_cast<int64_t>(small_));
      return scale_ == 0 ? m : m / exact_pow10(scale_);
    }
    return BigDecimal::from_u128(small_ < 0, magnitude(small_), scale_).to_double();
  }

  bool is_big() const { return big_ != nullptr; }
  i128 small() const { return small_; }
  int scale() const { return scale_; }
  const BigDecimal* big() const { return big_.get(); }

  static ExactSum from_small(i128 v, int scale) {
    ExactSum s;
    s.small_ = v;
    s.scale_ = scale;
    return s;
  }
  static ExactSum from_big(BigDecimal b) {
    ExactSum s;
    s.big_.reset(new BigDecimal(std::move(b)));
    return s;
  }

  // Same exact value (the representation may differ).
  bool same_value(const ExactSum& o) const {
    ExactSum a = *this;
    a.promote_if_small();
    ExactSum b = o;
    b.promote_if_small();
    BigDecimal diff = *a.big_;
    BigDecimal neg_b = BigDecimal::from_parts(!b.big_->negative(), b.big_->scale(), b.big_->limbs());
    diff.add(neg_b);
    return diff.limbs().empty();
  }

 private:
  static constexpr u128 kMaxMant = (static_cast<u128>(1) << 126);
  static constexpr i128 kExactDoubleInt = static_cast<i128>(1) << 53;

  static u128 magnitude(i128 v) { return v < 0 ? -static_cast<u128>(v) : static_cast<u128>(v); }

  // v (at scale `from`) rescaled to scale `to` >= from; false on overflow.
  static bool rescale(i128& v, int from, int to) {
    if (to > kMaxSmallScale) return false;
    for (int i = from; i < to; ++i) {
      if (__builtin_mul_overflow(v, static_cast<i128>(10), &v)) return false;
    }
    return true;
  }

  // Another scale, an overflow or a big number.
  __attribute__((noinline)) void add_other(const Decimal& d) {
    if (!big_ && !d.big && add_small_slow(d)) return;
    if (!big_) promote();
    big_->add(BigDecimal::from_decimal(d));
  }

  bool add_small_slow(const Decimal& d) {
    i128 sum = small_;
    int s = scale_;
    i128 v;
    if (d.mant > kMaxMant) return false;
    v = static_cast<i128>(d.mant);
    if (d.exp10 < -s) {
      if (!rescale(sum, s, -d.exp10)) return false;
      s = -d.exp10;
    } else if (d.exp10 > -s) {
      if (d.exp10 + s > 38 || !rescale(v, 0, d.exp10 + s)) return false;
    }
    if (d.neg) v = -v;
    if (__builtin_add_overflow(sum, v, &sum)) return false;
    small_ = sum;
    scale_ = s;
    return true;
  }

  void promote() { big_.reset(new BigDecimal(BigDecimal::from_u128(small_ < 0, magnitude(small_), scale_))); }
  void promote_if_small() {
    if (!big_) promote();
  }

  // Aligned to 8, not 16 (a typedef may lower alignment): a group's
  // accumulator (ValueAcc) is then 40 bytes, not 48, and millions of groups
  // are that much less fresh memory.
  typedef i128 i128_align8 __attribute__((aligned(8)));

  i128_align8 small_ = 0;
  int scale_ = 0;
  std::unique_ptr<BigDecimal> big_;
};

}  // namespace parairline
