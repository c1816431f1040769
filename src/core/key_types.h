// Typed keys: a key column is integer, double or character by the texts of
// all its values (as fread would type it; dates and logicals stay text).
// Texts in na.strings (and "") are missing; "01" and "1" are the same integer.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "decimal.h"
#include "query.h"

namespace parairline {

// Ordered: a column's type is the largest of its values' (missing: none).
enum class KeyType : uint8_t { none = 0, integer = 1, real = 2, text = 3 };

inline KeyType wider(KeyType a, KeyType b) { return a < b ? b : a; }

// Correctly rounded double of a parsed decimal: exact powers of ten and a
// 53-bit mantissa need one rounding (Clinger's fast path); else strtod.
inline double decimal_to_double(const Decimal& d) {
  if (!d.big && d.mant < (static_cast<u128>(1) << 53) && d.exp10 >= -22 && d.exp10 <= 22) {
    const double m = static_cast<double>(static_cast<uint64_t>(d.mant));
    const double v = d.exp10 < 0 ? m / exact_pow10(-d.exp10) : m * exact_pow10(d.exp10);
    return d.neg ? -v : v;
  }
  std::string s = d.neg ? "-" : "";
  s += decimal_digit_text(d);
  if (s.size() == (d.neg ? 1u : 0u)) s += "0";
  s += "e" + std::to_string(d.exp10);
  return std::strtod(s.c_str(), nullptr);
}

// A key text's type; `i` or `x` receive its value when integer or real.
// Missing texts (and "") have none; numbers have the decimal mark `dec`.
inline KeyType classify_key(std::string_view v, int32_t* i = nullptr, double* x = nullptr, const NaSet& na = NaSet(),
                            char dec = '.') {
  if (na.number(v)) return KeyType::none;
  const char* p = v.data();
  const char* end = p + v.size();
  const char* q = p + (*p == '-' || *p == '+');
  bool digits_only = q < end;
  for (const char* r = q; r < end && digits_only; ++r) digits_only = static_cast<unsigned>(*r - '0') < 10;
  if (digits_only) {
    while (q + 1 < end && *q == '0') ++q;  // leading zeros
    if (end - q <= 10) {
      int64_t m = 0;
      for (const char* r = q; r < end; ++r) m = m * 10 + (*r - '0');
      if (m <= 2147483647) {
        if (i) *i = static_cast<int32_t>(*p == '-' ? -m : m);
        return KeyType::integer;
      }
    }
  }
  Decimal d;
  const ParseStatus st = parse_decimal(p, end, d, dec);
  double y = 0;
  if (st == ParseStatus::ok) {
    y = decimal_to_double(d);
  } else if (st == ParseStatus::out_of_range) {
    // A number too long or too small to sum exactly is still a number (1e-401 is 0).
    std::string c(v);
    std::replace(c.begin(), c.end(), dec, '.');
    y = std::strtod(c.c_str(), nullptr);
  } else {
    return KeyType::text;
  }
  if (!std::isfinite(y)) return KeyType::text;
  if (x) *x = y == 0 ? 0.0 : y;  // -0 and 0 are one key
  return KeyType::real;
}

}  // namespace parairline
