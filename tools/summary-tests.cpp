// Unit tests of the summary engine behind csv_summarise(), built and run
// without R by `make core-test`:
//   1. exact decimal comparison, decimal -> double rounding, key typing;
//   2. the three-valued filter, op by op and through files;
//   3. a whole-file reference (naive parse, typed keys, filter, aggregates)
//      against make_plan + the chunked runners, for random files and queries
//      at every chunk size, serial, on 2 TBB threads and through wire frames;
//   4. the query and partial results through the wire format;
//   5. summarise_groups() on hand-made partials.
// The reference code (namespace ref) never calls the engine's parsers: it
// reads decimals as digit strings and compares and adds them as such, and
// takes strtod() as the truth for rounding.
//
// Usage: summary-tests [random-cases]   (default 200)
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "core/differential.h"
#include "core/summary.h"

using namespace parairline;
using namespace core_check;

namespace {

std::string show(std::string_view s) {
  std::string out;
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 32 || u >= 127) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", u);
      out += b;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// What the randomised parts covered, printed before the totals.
std::string g_stats;

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

std::string dbl(double x) {
  char b[64];
  std::snprintf(b, sizeof b, "%.17g", x);
  return b;
}

// ---------------------------------------------------------------------------
// The reference: numbers as digit strings, keys typed, filter evaluated.
namespace ref {

// value = (neg ? -1 : 1) * digits * 10^exp; digits has no leading or trailing
// zero and is empty for zero (which is never negative).
struct Num {
  bool neg = false;
  std::string digits;
  long exp = 0;
  bool zero() const { return digits.empty(); }
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }

void normalize(Num& n) {
  std::size_t lead = 0;
  while (lead < n.digits.size() && n.digits[lead] == '0') ++lead;
  n.digits.erase(0, lead);
  while (!n.digits.empty() && n.digits.back() == '0') {
    n.digits.pop_back();
    ++n.exp;
  }
  if (n.digits.empty()) {
    n.neg = false;
    n.exp = 0;
  }
}

// [+-]? (d+ (. d*)? | . d+) ([eE] [+-]? d+)?: as.numeric()'s decimals, without
// hex, Inf, NaN or surrounding spaces.
bool read_num(std::string_view s, Num& out) {
  out = Num();
  std::size_t i = 0;
  const std::size_t n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) out.neg = s[i++] == '-';
  bool any = false;
  long frac = 0;
  while (i < n && is_digit(s[i])) {
    out.digits.push_back(s[i++]);
    any = true;
  }
  if (i < n && s[i] == '.') {
    ++i;
    while (i < n && is_digit(s[i])) {
      out.digits.push_back(s[i++]);
      ++frac;
      any = true;
    }
  }
  if (!any) return false;
  long e = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    if (i == n || !is_digit(s[i])) return false;
    while (i < n && is_digit(s[i])) {
      if (e < 100000000) e = e * 10 + (s[i] - '0');
      ++i;
    }
    if (eneg) e = -e;
  }
  if (i != n) return false;
  out.exp = e - frac;
  normalize(out);
  return true;
}

int sign_of(int c) { return c < 0 ? -1 : c > 0 ? 1 : 0; }

// Magnitudes of non-negative integers in decimal, no leading zeros.
int cmp_mag(const std::string& x, const std::string& y) {
  if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
  return sign_of(x.compare(y));
}

// Exact: both as integers times 10^min(exp), then compared as integers.
int cmp(const Num& a, const Num& b) {
  const int sa = a.zero() ? 0 : a.neg ? -1 : 1, sb = b.zero() ? 0 : b.neg ? -1 : 1;
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  const long m = std::min(a.exp, b.exp);
  const std::string x = a.digits + std::string(static_cast<std::size_t>(a.exp - m), '0');
  const std::string y = b.digits + std::string(static_cast<std::size_t>(b.exp - m), '0');
  const int c = cmp_mag(x, y);
  return sa > 0 ? c : -c;
}

std::string add_mag(const std::string& x, const std::string& y) {
  std::string r;
  int carry = 0;
  for (std::size_t i = 0; i < std::max(x.size(), y.size()) || carry; ++i) {
    const int a = i < x.size() ? x[x.size() - 1 - i] - '0' : 0;
    const int b = i < y.size() ? y[y.size() - 1 - i] - '0' : 0;
    const int s = a + b + carry;
    r.push_back(static_cast<char>('0' + s % 10));
    carry = s / 10;
  }
  return std::string(r.rbegin(), r.rend());
}

// x - y for x >= y.
std::string sub_mag(const std::string& x, const std::string& y) {
  std::string r;
  int borrow = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    int a = x[x.size() - 1 - i] - '0' - borrow;
    const int b = i < y.size() ? y[y.size() - 1 - i] - '0' : 0;
    borrow = a < b;
    if (borrow) a += 10;
    r.push_back(static_cast<char>('0' + a - b));
  }
  return std::string(r.rbegin(), r.rend());
}

Num add(const Num& a, const Num& b) {
  if (a.zero()) return b;
  if (b.zero()) return a;
  const long m = std::min(a.exp, b.exp);
  const std::string x = a.digits + std::string(static_cast<std::size_t>(a.exp - m), '0');
  const std::string y = b.digits + std::string(static_cast<std::size_t>(b.exp - m), '0');
  Num r;
  r.exp = m;
  if (a.neg == b.neg) {
    r.digits = add_mag(x, y);
    r.neg = a.neg;
  } else {
    const int c = cmp_mag(x, y);
    if (c == 0) return Num();
    r.digits = c > 0 ? sub_mag(x, y) : sub_mag(y, x);
    r.neg = c > 0 ? a.neg : b.neg;
  }
  normalize(r);
  return r;
}

std::string text(const Num& n) {
  if (n.zero()) return "0";
  return (n.neg ? "-" : "") + n.digits + "e" + std::to_string(n.exp);
}

double to_double(const Num& n) { return std::strtod(text(n).c_str(), nullptr); }

// The exact value of an engine sum, read back as a Num.
Num of_sum(const ExactSum& s) {
  std::string t;
  if (const BigDecimal* b = s.big()) {
    t = b->to_string();
  } else {
    i128 v = s.small();
    const bool neg = v < 0;
    u128 m = neg ? -static_cast<u128>(v) : static_cast<u128>(v);
    std::string d;
    do {
      d.push_back(static_cast<char>('0' + static_cast<int>(m % 10)));
      m /= 10;
    } while (m != 0);
    t = (neg ? "-" : "") + std::string(d.rbegin(), d.rend()) + "e" + std::to_string(-s.scale());
  }
  Num n;
  if (!read_num(t, n)) n.digits = "?";
  return n;
}

// The reference's dialect for the case at hand: the decimal mark and
// na.strings ("" is missing wherever a number is read).
struct Dialect {
  char dec = '.';
  std::vector<std::string> na{"", "NA"};
};
Dialect g_dialect;

bool missing_text(std::string_view v) {
  for (const auto& t : g_dialect.na) {
    if (v == t) return true;
  }
  return false;
}
bool missing(std::string_view v) { return v.empty() || missing_text(v); }

// A number written with the decimal mark `dec`, as read_num() reads it
// ("." for ","); false if it cannot be one.
bool with_dot(std::string_view v, std::string& out) {
  out.assign(v);
  if (g_dialect.dec == '.') return true;
  if (out.find('.') != std::string::npos) return false;
  std::replace(out.begin(), out.end(), ',', '.');
  return true;
}
bool read_value(std::string_view v, Num& out) {
  std::string t;
  return with_dot(v, t) && read_num(t, out);
}

// Key types, ordered as the engine's: the widest wins.
enum class T : int { none = 0, integer = 1, real = 2, text = 3 };

T classify(std::string_view v0, long long* iv = nullptr, double* xv = nullptr) {
  if (missing(v0)) return T::none;
  std::string dotted;
  if (!with_dot(v0, dotted)) return T::text;
  const std::string_view v = dotted;
  std::size_t p = (v[0] == '+' || v[0] == '-') ? 1 : 0;
  bool digits = p < v.size();
  for (std::size_t i = p; i < v.size(); ++i) digits = digits && is_digit(v[i]);
  if (digits) {
    std::string d(v.substr(p));
    while (d.size() > 1 && d[0] == '0') d.erase(0, 1);
    if (d.size() <= 10) {
      const long long m = std::stoll(d);
      if (m <= 2147483647LL) {
        if (iv) *iv = v[0] == '-' ? -m : m;
        return T::integer;
      }
    }
  }
  Num n;
  if (read_num(v, n)) {
    const double x = std::strtod(std::string(v).c_str(), nullptr);
    if (std::isfinite(x)) {
      if (xv) *xv = x == 0 ? 0.0 : x;
      return T::real;
    }
  }
  return T::text;
}

int cmp_bytes(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : a.size() < b.size() ? -1 : 1;
}

// One typed key value.
struct Key {
  bool missing = false;
  long long i = 0;
  double x = 0;
  std::string s;
};

struct KeyLess {
  std::vector<T> types;
  bool operator()(const std::vector<Key>& a, const std::vector<Key>& b) const {
    for (std::size_t k = 0; k < types.size(); ++k) {
      if (a[k].missing != b[k].missing) return b[k].missing;  // missing last
      if (a[k].missing) continue;
      int c = 0;
      if (types[k] == T::integer) c = a[k].i < b[k].i ? -1 : a[k].i > b[k].i ? 1 : 0;
      if (types[k] == T::real) c = a[k].x < b[k].x ? -1 : a[k].x > b[k].x ? 1 : 0;
      if (types[k] == T::text) c = cmp_bytes(a[k].s, b[k].s);
      if (c != 0) return c < 0;
    }
    return false;
  }
};

Key typed(T type, std::string_view v) {
  Key k;
  k.missing = type == T::text ? missing_text(v) : missing(v);
  if (k.missing) return k;
  if (type == T::integer) {
    classify(v, &k.i, nullptr);
  } else if (type == T::real) {
    long long i = 0;
    if (classify(v, &i, &k.x) == T::integer) k.x = static_cast<double>(i);
  } else {
    k.s = std::string(v);
  }
  return k;
}

struct Acc {
  Num sum;
  int64_t missing = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  void merge(const Acc& o) {
    sum = add(sum, o.sum);
    missing += o.missing;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }
};

struct Agg {
  int64_t n = 0;
  std::vector<Acc> acc;
  void merge(const Agg& o) {
    n += o.n;
    if (acc.empty()) acc.resize(o.acc.size());
    for (std::size_t v = 0; v < acc.size(); ++v) acc[v].merge(o.acc[v]);
  }
};

struct Summary {
  std::vector<T> types;
  std::vector<std::vector<Key>> keys;  // per row
  std::vector<Agg> aggs;
};

// Groups (key texts per key column, already named for .file) into the
// sorted, merged summary. `file_key` marks .file columns (always text).
Summary group(const std::vector<std::vector<std::string>>& texts, const std::vector<Agg>& aggs,
              std::vector<T> types, const std::vector<bool>& file_key) {
  for (std::size_t k = 0; k < types.size(); ++k) {
    if (file_key[k]) types[k] = T::text;
    for (const auto& row : texts) types[k] = std::max(types[k], classify(row[k]));
    if (types[k] == T::none) types[k] = T::text;
  }
  std::map<std::vector<Key>, Agg, KeyLess> groups(KeyLess{types});
  for (std::size_t r = 0; r < texts.size(); ++r) {
    std::vector<Key> key;
    for (std::size_t k = 0; k < types.size(); ++k) {
      key.push_back(typed(types[k], texts[r][k]));
      if (file_key[k]) key.back().missing = false;
    }
    groups[key].merge(aggs[r]);
  }
  Summary s;
  s.types = types;
  for (const auto& g : groups) {
    s.keys.push_back(g.first);
    s.aggs.push_back(g.second);
  }
  return s;
}

KeyType engine_type(T t) { return static_cast<KeyType>(static_cast<int>(t)); }

// "" if the engine's summary is the reference's, else the first difference.
std::string compare(const parairline::Summary& got, const Summary& want, const std::vector<ValueSpec>& values) {
  const std::size_t nk = want.types.size(), nv = values.size();
  if (got.keys.size() != nk) return "number of key columns";
  for (std::size_t k = 0; k < nk; ++k) {
    if (got.keys[k].type != engine_type(want.types[k])) {
      return "key " + std::to_string(k) + " has type " + std::to_string(static_cast<int>(got.keys[k].type)) +
             ", want " + std::to_string(static_cast<int>(want.types[k]));
    }
  }
  if (got.size() != want.keys.size()) {
    return "groups: " + std::to_string(got.size()) + ", want " + std::to_string(want.keys.size());
  }
  if (got.nvalues != nv || got.acc.size() != got.size() * nv) return "number of values";
  for (std::size_t i = 0; i < got.size(); ++i) {
    const std::string row = "row " + std::to_string(i) + ": ";
    for (std::size_t k = 0; k < nk; ++k) {
      const KeyColumn& c = got.keys[k];
      const Key& w = want.keys[i][k];
      const std::string at = row + "key " + std::to_string(k) + " ";
      if (c.missing.size() != got.size()) return at + "missing flags";
      if ((c.missing[i] != 0) != w.missing) return at + "missing " + std::to_string(c.missing[i]);
      if (w.missing) continue;
      if (want.types[k] == T::integer && c.ints.at(i) != w.i) {
        return at + std::to_string(c.ints[i]) + ", want " + std::to_string(w.i);
      }
      if (want.types[k] == T::real && !same_bits(c.reals.at(i), w.x)) {
        return at + dbl(c.reals[i]) + ", want " + dbl(w.x);
      }
      if (want.types[k] == T::text && c.text(i) != w.s) {
        return at + "\"" + show(c.text(i)) + "\", want \"" + show(w.s) + "\"";
      }
    }
    const Agg& w = want.aggs[i];
    if (got.n[i] != w.n) return row + "n " + std::to_string(got.n[i]) + ", want " + std::to_string(w.n);
    for (std::size_t v = 0; v < nv; ++v) {
      const ValueAcc& a = got.acc[i * nv + v];
      const Acc& b = w.acc[v];
      const std::string at = row + "value " + std::to_string(v) + " ";
      if (cmp(of_sum(a.sum), b.sum) != 0) return at + "sum " + text(of_sum(a.sum)) + ", want " + text(b.sum);
      if (!same_bits(a.sum.to_double(), to_double(b.sum))) {
        return at + "sum rounds to " + dbl(a.sum.to_double()) + ", want " + dbl(to_double(b.sum));
      }
      if (a.missing != b.missing) return at + "missing " + std::to_string(a.missing) + ", want " + std::to_string(b.missing);
      // == not bits: the sign of a zero min depends on which of 0 and -0 came first.
      const double lo = got.acc.has_extremes() ? got.acc.min(i * nv + v) : std::numeric_limits<double>::infinity();
      const double hi = got.acc.has_extremes() ? got.acc.max(i * nv + v) : -std::numeric_limits<double>::infinity();
      if (!(lo == b.min)) return at + "min " + dbl(lo) + ", want " + dbl(b.min);
      if (!(hi == b.max)) return at + "max " + dbl(hi) + ", want " + dbl(b.max);
    }
  }
  return "";
}

}  // namespace ref

Decimal dec(std::string_view s) {
  Decimal d;
  const ParseStatus st = parse_decimal(s.data(), s.data() + s.size(), d);
  if (st != ParseStatus::ok) {
    std::fprintf(stderr, "test constant %s does not parse\n", std::string(s).c_str());
    std::exit(2);
  }
  return d;
}

// ---------------------------------------------------------------------------
// 1. Decimals and key types.

// A random decimal text: any sign, 0 to 45 digits each side of the point
// (leading zeros too), sometimes an exponent.
std::string random_decimal(std::mt19937_64& rng) {
  static const int lengths[] = {0, 1, 1, 2, 3, 5, 9, 17, 18, 19, 20, 37, 38, 39, 45};
  std::string s;
  const int sign = static_cast<int>(rng() % 4);
  if (sign == 1) s += "-";
  if (sign == 2) s += "+";
  const int ni = lengths[rng() % (sizeof lengths / sizeof *lengths)];
  const int nf = rng() % 2 ? 0 : lengths[rng() % (sizeof lengths / sizeof *lengths)];
  std::string mant;
  const bool zeros = rng() % 5 == 0;
  for (int i = 0; i < ni; ++i) mant.push_back(zeros && i < ni / 2 ? '0' : static_cast<char>('0' + rng() % 10));
  if (ni == 0 && nf == 0) mant = "0";
  s += mant;
  if (nf > 0 || rng() % 8 == 0) {
    s += ".";
    for (int i = 0; i < nf; ++i) {
      const unsigned base = rng() % 3 == 0 ? 1 : 10;  // runs of zeros
      s.push_back(static_cast<char>('0' + rng() % base));
    }
    if (ni == 0 && nf == 0) s += "0";
  }
  if (rng() % 3 == 0) {
    s += rng() % 2 ? "e" : "E";
    const int r = static_cast<int>(rng() % 3);
    if (r == 1) s += "-";
    if (r == 2) s += "+";
    s += std::to_string(rng() % 4 == 0 ? rng() % 300 : rng() % 40);
  }
  return s;
}

// Another text of the same value: other leading and trailing zeros, the
// point moved, the exponent adjusted, another sign for zero.
std::string same_value_text(const ref::Num& n, std::mt19937_64& rng) {
  const std::size_t lead = rng() % 3, trail = rng() % 4;
  std::string m = std::string(lead, '0') + (n.zero() ? "0" : n.digits) + std::string(trail, '0');
  const std::size_t f = rng() % (m.size() + 1);  // digits after the point
  const long e = n.exp - static_cast<long>(trail) + static_cast<long>(f);
  std::string s = n.neg ? "-" : n.zero() && rng() % 2 ? "-" : rng() % 4 == 0 ? "+" : "";
  if (f == 0) {
    s += m;
    if (rng() % 4 == 0) s += ".";
  } else {
    s += m.substr(0, m.size() - f) + "." + m.substr(m.size() - f);
  }
  if (e != 0 || rng() % 4 == 0) s += (rng() % 2 ? "e" : "E") + std::to_string(e);
  return s;
}

void test_compare_decimal() {
  std::mt19937_64 rng(20260101);
  int pairs = 0, equal = 0, skipped = 0, bad = 0;
  const auto check_pair = [&](const std::string& a, const std::string& b) {
    Decimal da, db;
    ref::Num na, nb;
    const bool ra = ref::read_num(a, na), rb = ref::read_num(b, nb);
    const ParseStatus sa = parse_decimal(a.data(), a.data() + a.size(), da);
    const ParseStatus sb = parse_decimal(b.data(), b.data() + b.size(), db);
    if (!ra || !rb) {
      ++bad;
      return;
    }
    if (sa != ParseStatus::ok || sb != ParseStatus::ok) {
      ++skipped;  // beyond the engine's range (1e310, 1e-400)
      return;
    }
    const int want = ref::cmp(na, nb), got = compare_decimal(da, db), back = compare_decimal(db, da);
    ++pairs;
    equal += want == 0;
    if (got != want || back != -want) {
      CHECK(false, "compare_decimal(" + a + ", " + b + ") = " + std::to_string(got) + " / " + std::to_string(back) +
                       ", want " + std::to_string(want));
    }
  };
  const char* fixed[][2] = {
      {"0.00", "0"},     {"-0", "0"},          {"-0", "+0.000e5"}, {"0e999", "-0.0"}, {"1.50", "1.5"},
      {"15e-1", "1.5"},  {"0.15E1", "1.5"},    {"100", "1e2"},     {".5", "0.5"},     {"5.", "5"},
      {"0.1", "0.10000000000000000555"},       {"-0.1", "-0.10000000000000000555"},   {"1e-300", "0"},
      {"-1e-300", "0"},  {"123456789012345678901234567890123456789012345", "123456789012345678901234567890123456789012344"},
      {"1234567890123456789012345678901234567890.5", "1234567890123456789012345678901234567890.50"},
      {"99999999999999999999999999999999999999", "1e38"},  // 38 nines (small) against a power
      {"999999999999999999999999999999999999999", "1e39"},  // 39 nines (big)
      {"0.00000000000000000000000000000000000000001", "1e-41"},
      {"-5", "-5.000000000000000000000000000000000000000000001"},
  };
  for (const auto& p : fixed) check_pair(p[0], p[1]);
  for (int i = 0; i < 30000; ++i) {
    const std::string a = random_decimal(rng);
    ref::Num na;
    ref::read_num(a, na);
    check_pair(a, rng() % 3 == 0 ? same_value_text(na, rng) : random_decimal(rng));
    if (rng() % 4 == 0) {
      // Neighbours: the last digit one up or down, the same digits at another scale.
      std::string b = a;
      const std::size_t d = b.find_last_of("0123456789", b.find_first_of("eE"));
      if (d != std::string::npos) b[d] = b[d] == '9' ? '8' : static_cast<char>(b[d] + 1);
      check_pair(a, b);
    }
  }
  g_stats += "compare_decimal: " + std::to_string(pairs) + " pairs (" + std::to_string(equal) + " equal, " +
             std::to_string(skipped) + " out of range); ";
  CHECK(bad == 0, "the reference reads every generated decimal: " + std::to_string(bad) + " not");
  CHECK(pairs > 30000 && equal > 8000, "compare_decimal: " + std::to_string(pairs) + " pairs, " +
                                           std::to_string(equal) + " equal, " + std::to_string(skipped) + " skipped");
}

void test_decimal_to_double() {
  std::mt19937_64 rng(77);
  int n = 0;
  const auto check_text = [&](const std::string& s) {
    Decimal d;
    if (parse_decimal(s.data(), s.data() + s.size(), d) != ParseStatus::ok) return;
    const double want = std::strtod(s.c_str(), nullptr), got = decimal_to_double(d);
    ++n;
    if (!same_bits(got, want)) CHECK(false, "decimal_to_double(" + s + ") = " + dbl(got) + ", strtod " + dbl(want));
  };
  for (const char* s : {"0", "-0", "0.0", "-0.000", "1", "-1", "0.1", "0.3", "1e22", "1e23", "-1e-22", "1e-23",
                        "9007199254740991", "9007199254740992", "9007199254740993", "9007199254740991e22",
                        "9007199254740993e-22", "4503599627370497.5", "2.2250738585072011e-308",
                        "2.2250738585072014e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
                        "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308",
                        "1.7976931348623159e308", "179769313486231580793728971405301e276", "1e-330", "1e308",
                        "123456789012345678901234567890123456789012345", "0.30000000000000004440892098500626",
                        "7.038531e-26", "8.533e+68", "4.1006e-184", "9.998e+307", "9.9538452227e-280",
                        "6.47660115e-260", "7.4e+47", "5.92e+48", "7.35e+66", "8.32116e+55"}) {
    check_text(s);
  }
  // The fast path: mantissas below 2^53 and powers of ten up to 22.
  for (int i = 0; i < 40000; ++i) {
    const unsigned shift = 11 + static_cast<unsigned>(rng() % 50);
    const uint64_t m = rng() >> shift;
    const int e = static_cast<int>(rng() % 45) - 22;
    check_text((rng() % 2 ? "-" : "") + std::to_string(m) + "e" + std::to_string(e));
  }
  // Halfway between two neighbouring doubles, exactly, and just either side,
  // with every length of mantissa.
  for (int i = 0; i < 4000; ++i) {
    uint64_t bits = rng() & 0x7FEFFFFFFFFFFFFFull;
    if (i % 7 == 0) bits &= 0x000FFFFFFFFFFFFFull;  // subnormal
    if (i % 11 == 0) bits = (bits & 0x800FFFFFFFFFFFFFull) | (static_cast<uint64_t>(1023 + rng() % 140 - 70) << 52);
    double x;
    std::memcpy(&x, &bits, sizeof x);
    const double y = std::nextafter(x, std::numeric_limits<double>::infinity());
    const long double mid = (static_cast<long double>(x) + static_cast<long double>(y)) / 2;
    char buf[1400];
    std::snprintf(buf, sizeof buf, "%.1100Le", mid);
    std::string s = buf;  // d.ddd...e[+-]NN, exact
    const std::size_t e = s.find('e');
    std::string digits = s.substr(0, 1) + s.substr(2, e - 2);
    long ex = std::strtol(s.c_str() + e + 1, nullptr, 10) - static_cast<long>(digits.size() - 1);
    while (digits.size() > 1 && digits.back() == '0') {
      digits.pop_back();
      ++ex;
    }
    check_text(digits + "e" + std::to_string(ex));
    for (std::size_t keep : {17u, 18u, 20u, 25u, 40u, 60u}) {
      if (digits.size() <= keep) continue;
      const std::string cut = digits.substr(0, keep);
      const long ce = ex + static_cast<long>(digits.size() - keep);
      check_text(cut + "e" + std::to_string(ce));
      std::string up = cut;
      for (std::size_t j = up.size(); j-- > 0;) {
        if (up[j] != '9') {
          ++up[j];
          break;
        }
        up[j] = '0';
      }
      check_text(up + "e" + std::to_string(ce));
    }
    // As a plain decimal with a point, when short enough.
    if (ex < 0 && -ex < 400 && static_cast<long>(digits.size()) <= -ex) {
      check_text("0." + std::string(static_cast<std::size_t>(-ex) - digits.size(), '0') + digits);
    }
  }
  for (int i = 0; i < 30000; ++i) check_text(random_decimal(rng));
  g_stats += "decimal_to_double: " + std::to_string(n) + " texts; ";
  CHECK(n > 100000, "decimal_to_double equals strtod on " + std::to_string(n) + " texts");
}

void test_classify_key() {
  struct Row {
    const char* text;
    KeyType type;
    int32_t i;
    double x;
  };
  const Row table[] = {
      {" 1", KeyType::text, 0, 0},
      {"1 ", KeyType::text, 0, 0},
      {"+5", KeyType::integer, 5, 0},
      {"-0", KeyType::integer, 0, 0},
      {"+0", KeyType::integer, 0, 0},
      {"01", KeyType::integer, 1, 0},
      {"00000000000000000042", KeyType::integer, 42, 0},
      {"2147483647", KeyType::integer, 2147483647, 0},
      {"2147483648", KeyType::real, 0, 2147483648.0},
      {"-2147483647", KeyType::integer, -2147483647, 0},
      {"-2147483648", KeyType::real, 0, -2147483648.0},
      {"99999999999", KeyType::real, 0, 99999999999.0},
      {"1e5", KeyType::real, 0, 1e5},
      {".5", KeyType::real, 0, 0.5},
      {"5.", KeyType::real, 0, 5.0},
      {"-0.0", KeyType::real, 0, 0.0},  // the positive zero: -0 and 0 are one key
      {"1.0", KeyType::real, 0, 1.0},
      {"1e308", KeyType::real, 0, 1e308},
      {"1e309", KeyType::text, 0, 0},
      {"-1e309", KeyType::text, 0, 0},
      {"1e-330", KeyType::real, 0, 0.0},
      {"0.1", KeyType::real, 0, 0.1},
      {"Inf", KeyType::text, 0, 0},
      {"-Inf", KeyType::text, 0, 0},
      {"NaN", KeyType::text, 0, 0},
      {"NA", KeyType::none, 0, 0},
      {"", KeyType::none, 0, 0},
      {"na", KeyType::text, 0, 0},
      {"N/A", KeyType::text, 0, 0},
      {"TRUE", KeyType::text, 0, 0},
      {"2020-01-01", KeyType::text, 0, 0},
      {"1,5", KeyType::text, 0, 0},
      {"0x10", KeyType::text, 0, 0},
      {"+", KeyType::text, 0, 0},
      {"-", KeyType::text, 0, 0},
      {".", KeyType::text, 0, 0},
      {"1e", KeyType::text, 0, 0},
      {"e5", KeyType::text, 0, 0},
      {"1e+", KeyType::text, 0, 0},
      {"--1", KeyType::text, 0, 0},
  };
  for (const Row& r : table) {
    int32_t i = -99;
    double x = -99;
    const KeyType t = classify_key(r.text, &i, &x);
    bool ok = t == r.type;
    if (ok && t == KeyType::integer) ok = i == r.i;
    if (ok && t == KeyType::real) ok = same_bits(x, r.x);
    CHECK(ok, std::string("classify_key(\"") + r.text + "\") = " + std::to_string(static_cast<int>(t)) + " i " +
                  std::to_string(i) + " x " + dbl(x));
    long long ri = 0;
    double rx = 0;
    const ref::T rt = ref::classify(r.text, &ri, &rx);
    CHECK(ref::engine_type(rt) == r.type, std::string("the reference types \"") + r.text + "\" as in the table");
  }
  // Regression (fixed with these tests): a decimal that converts to a finite double is
  // real, but one with more than 400 decimals is text because
  // parse_decimal() calls it out of range.
  {
    double x = -1;
    const KeyType t = classify_key("1e-401", nullptr, &x);
    CHECK(t == KeyType::real && same_bits(x, 0.0),
          "regression: classify_key(\"1e-401\"): a decimal that converts to the finite double 0 should be real, got type " +
              std::to_string(static_cast<int>(t)));
  }
  // Random short texts against the reference.
  std::mt19937_64 rng(5);
  const char alphabet[] = "0123456789+-.eE aNx0011";
  int n = 0, tiny = 0;
  for (int it = 0; it < 60000; ++it) {
    std::string s;
    const int len = static_cast<int>(rng() % 12);
    for (int i = 0; i < len; ++i) s.push_back(alphabet[rng() % (sizeof alphabet - 1)]);
    int32_t i = 0;
    double x = 0;
    long long ri = 0;
    double rx = 0;
    const KeyType t = classify_key(s, &i, &x);
    const ref::T rt = ref::classify(s, &ri, &rx);
    Decimal d;
    if (rt == ref::T::real && parse_decimal(s.data(), s.data() + s.size(), d) == ParseStatus::out_of_range) {
      ++tiny;  // the 1e-401 case above
      continue;
    }
    ++n;
    bool ok = t == ref::engine_type(rt);
    if (ok && t == KeyType::integer) ok = i == ri;
    if (ok && t == KeyType::real) ok = same_bits(x, rx);
    if (!ok) CHECK(false, "classify_key(\"" + show(s) + "\") differs from the reference");
  }
  CHECK(n > 50000, "classify_key on " + std::to_string(n) + " random texts (" + std::to_string(tiny) +
                       " below 1e-400 left to the check above)");
}

// ---------------------------------------------------------------------------
// 2. The filter.

// Filter nodes built by name, children first.
struct FilterBuilder {
  Query& q;
  int32_t push(FilterNode n) {
    q.filter.push_back(std::move(n));
    return static_cast<int32_t>(q.filter.size() - 1);
  }
  FilterNode leaf(FilterOp op, const std::string& col) {
    FilterNode n;
    n.op = op;
    n.col = q.column(col);
    return n;
  }
  int32_t cmp_num(const std::string& col, CmpOp c, const std::string& v) {
    FilterNode n = leaf(FilterOp::cmp_num, col);
    n.cmp = c;
    n.nums = {dec(v)};
    return push(n);
  }
  int32_t cmp_str(const std::string& col, CmpOp c, const std::string& v) {
    FilterNode n = leaf(FilterOp::cmp_str, col);
    n.cmp = c;
    n.strs = {v};
    return push(n);
  }
  int32_t in_num(const std::string& col, const std::vector<std::string>& vs) {
    FilterNode n = leaf(FilterOp::in_num, col);
    for (const auto& v : vs) n.nums.push_back(dec(v));
    return push(n);
  }
  int32_t in_str(const std::string& col, const std::vector<std::string>& vs) {
    FilterNode n = leaf(FilterOp::in_str, col);
    n.strs = vs;
    return push(n);
  }
  int32_t is_na(const std::string& col) { return push(leaf(FilterOp::is_na, col)); }
  int32_t op(FilterOp o, int32_t a, int32_t b = -1) {
    FilterNode n;
    n.op = o;
    n.a = a;
    n.b = b;
    return push(n);
  }
  int32_t not_(int32_t a) { return op(FilterOp::not_op, a); }
  int32_t and_(int32_t a, int32_t b) { return op(FilterOp::and_op, a, b); }
  int32_t or_(int32_t a, int32_t b) { return op(FilterOp::or_op, a, b); }
};

// One row for eval_filter(): texts per query column.
struct FakeRow {
  std::vector<std::string> cells;
  std::vector<Decimal> nums = std::vector<Decimal>(16);
  int number_failures = 0;
  bool text(uint32_t c, std::string_view& v) {
    v = cells.at(c);
    return true;
  }
  bool number(uint32_t c, std::string_view v, const Decimal*& d) {
    const ParseStatus st = parse_decimal(v.data(), v.data() + v.size(), nums.at(c));
    if (st == ParseStatus::missing) {
      d = nullptr;
      return true;
    }
    if (st != ParseStatus::ok) {
      ++number_failures;
      return false;
    }
    d = &nums[c];
    return true;
  }
};

const char* truth_name(Truth t) {
  switch (t) {
    case Truth::no: return "FALSE";
    case Truth::yes: return "TRUE";
    case Truth::na: return "NA";
    case Truth::fail: return "fail";
  }
  return "?";
}

// Evaluates the filter of q (its root last) on a row with the given cells.
Truth eval_on(const Query& q, const std::vector<std::string>& cells, int32_t root = -1) {
  FakeRow row;
  row.cells = cells;
  row.cells.resize(q.columns.size());
  return eval_filter(q.filter, root >= 0 ? root : static_cast<int32_t>(q.filter.size() - 1), row);
}

void test_filter_ops() {
  // R's three-valued logic: leaves that are TRUE, FALSE and NA on the row
  // (t = "x", m = NA).
  {
    Query q;
    FilterBuilder f{q};
    const int32_t leaf[3] = {f.is_na("m"), f.is_na("t"), f.cmp_str("m", CmpOp::eq, "x")};  // TRUE, FALSE, NA
    const Truth val[3] = {Truth::yes, Truth::no, Truth::na};
    const std::vector<std::string> cells = {"NA", "x"};  // columns m, t
    for (int i = 0; i < 3; ++i) {
      CHECK(eval_on(q, cells, leaf[i]) == val[i], std::string("leaf ") + truth_name(val[i]));
    }
    // R: TRUE & NA = NA, FALSE & NA = FALSE, TRUE | NA = TRUE, FALSE | NA = NA, !NA = NA.
    const Truth and_want[3][3] = {{Truth::yes, Truth::no, Truth::na},
                                  {Truth::no, Truth::no, Truth::no},
                                  {Truth::na, Truth::no, Truth::na}};
    const Truth or_want[3][3] = {{Truth::yes, Truth::yes, Truth::yes},
                                 {Truth::yes, Truth::no, Truth::na},
                                 {Truth::yes, Truth::na, Truth::na}};
    const Truth not_want[3] = {Truth::no, Truth::yes, Truth::na};
    for (int a = 0; a < 3; ++a) {
      const int32_t n = f.not_(leaf[a]);
      CHECK(eval_on(q, cells, n) == not_want[a], std::string("!") + truth_name(val[a]));
      for (int b = 0; b < 3; ++b) {
        const int32_t x = f.and_(leaf[a], leaf[b]), y = f.or_(leaf[a], leaf[b]);
        const Truth gx = eval_on(q, cells, x), gy = eval_on(q, cells, y);
        CHECK(gx == and_want[a][b], std::string(truth_name(val[a])) + " & " + truth_name(val[b]) + " = " +
                                        truth_name(gx) + ", want " + truth_name(and_want[a][b]));
        CHECK(gy == or_want[a][b], std::string(truth_name(val[a])) + " | " + truth_name(val[b]) + " = " +
                                       truth_name(gy) + ", want " + truth_name(or_want[a][b]));
      }
    }
    // Nested: !(NA & FALSE) = TRUE, !(NA | TRUE) = FALSE, !(NA | FALSE) = NA.
    CHECK(eval_on(q, cells, f.not_(f.and_(leaf[2], leaf[1]))) == Truth::yes, "!(NA & FALSE) is TRUE");
    CHECK(eval_on(q, cells, f.not_(f.or_(leaf[2], leaf[0]))) == Truth::no, "!(NA | TRUE) is FALSE");
    CHECK(eval_on(q, cells, f.not_(f.or_(leaf[2], leaf[1]))) == Truth::na, "!(NA | FALSE) is NA");
  }

  // cmp_num: exact decimal comparison, every operator. sign: x against c.
  const struct {
    const char* x;
    const char* c;
    int sign;
  } nums[] = {
      {"0.00", "0", 0},
      {"-0", "0", 0},
      {"0", "-0.000", 0},
      {"1e2", "100", 0},
      {"100.000", "1e2", 0},
      {".5", "0.5", 0},
      {"5.", "5", 0},
      {"+5", "5", 0},
      {"0.1", "0.1", 0},
      {"0.10", "0.1", 0},
      // The double nearest 0.1, written out: equal as doubles, greater as decimals.
      {"0.1000000000000000055511151231257827021181583404541015625", "0.1", 1},
      {"0.09999999999999999999999999999999999999999", "0.1", -1},
      {"0.1", "0.1000000000000000000000000000000000000001", -1},
      {"-1", "0", -1},
      {"-2", "-1", -1},
      {"-1.5", "-1.50001", 1},
      {"123456789012345678901234567890123456789012345", "123456789012345678901234567890123456789012344", 1},
      {"1e-300", "0", 1},
      {"-1e-300", "0", -1},
      {"2147483648", "2147483647", 1},
      {"9007199254740993", "9007199254740992", 1},  // equal as doubles
  };
  const CmpOp ops[] = {CmpOp::eq, CmpOp::ne, CmpOp::lt, CmpOp::le, CmpOp::gt, CmpOp::ge};
  const char* op_names[] = {"==", "!=", "<", "<=", ">", ">="};
  const auto holds = [](int op, int s) {
    switch (op) {
      case 0: return s == 0;
      case 1: return s != 0;
      case 2: return s < 0;
      case 3: return s <= 0;
      case 4: return s > 0;
      default: return s >= 0;
    }
  };
  for (const auto& t : nums) {
    for (int o = 0; o < 6; ++o) {
      Query q;
      FilterBuilder f{q};
      f.cmp_num("x", ops[o], t.c);
      const Truth got = eval_on(q, {t.x});
      const Truth want = holds(o, t.sign) ? Truth::yes : Truth::no;
      CHECK(got == want, std::string(t.x) + " " + op_names[o] + " " + t.c + " is " + truth_name(got));
      CHECK(eval_on(q, {"NA"}) == Truth::na && eval_on(q, {""}) == Truth::na,
            std::string("NA ") + op_names[o] + " " + t.c + " is NA");
    }
  }
  // A non-number compared with a number: the row fails (an error, not FALSE).
  {
    Query q;
    FilterBuilder f{q};
    f.cmp_num("x", CmpOp::gt, "0");
    for (const char* bad : {"x", "1,5", " 1", "Inf", "TRUE", "0x1"}) {
      CHECK(eval_on(q, {bad}) == Truth::fail, std::string("\"") + bad + "\" > 0 fails");
    }
  }

  // cmp_str: bytes, not the locale's collation.
  const struct {
    const char* x;
    const char* c;
    int sign;
  } strs[] = {
      {"B", "a", -1},          {"a", "a", 0},   {"\xC3\xA9", "z", 1},  // é after z: bytes are unsigned
      {"ab", "a", 1},          {"01", "1", -1}, {"1", "1.0", -1},
      {"a b", "a", 1},         {"Z", "a", -1},  {"", "a", 2},  // 2: missing, NA
      {"NA", "NA", 2},
  };
  for (const auto& t : strs) {
    for (int o = 0; o < 6; ++o) {
      Query q;
      FilterBuilder f{q};
      f.cmp_str("x", ops[o], t.c);
      const Truth got = eval_on(q, {t.x});
      const Truth want = t.sign == 2 ? Truth::na : holds(o, t.sign) ? Truth::yes : Truth::no;
      CHECK(got == want, "\"" + show(t.x) + "\" " + op_names[o] + " \"" + show(t.c) + "\" is " + truth_name(got));
    }
  }

  // in_num, in_str, is_na.
  {
    Query q;
    FilterBuilder f{q};
    const int32_t in12 = f.in_num("x", {"1", "2"});
    const int32_t in_none = f.in_num("x", {});
    const int32_t in_ab = f.in_str("x", {"a", "b"});
    const int32_t na = f.is_na("x");
    const auto at = [&](int32_t node, const char* x) { return eval_on(q, {x}, node); };
    CHECK(at(in12, "1.0") == Truth::yes, "1.0 %in% c(1, 2)");
    CHECK(at(in12, "2e0") == Truth::yes, "2e0 %in% c(1, 2)");
    CHECK(at(in12, "-0.2e1") == Truth::no, "-2 %in% c(1, 2) is FALSE");
    CHECK(at(in12, "3") == Truth::no, "3 %in% c(1, 2) is FALSE");
    CHECK(at(in_none, "3") == Truth::no, "3 %in% numeric() is FALSE");
    CHECK(at(in12, "x") == Truth::fail, "\"x\" %in% c(1, 2) fails");
    CHECK(at(in_ab, "a") == Truth::yes && at(in_ab, "A") == Truth::no && at(in_ab, "a ") == Truth::no,
          "%in% for strings is exact");
    CHECK(at(in_ab, "1") == Truth::no, "\"1\" %in% c(\"a\", \"b\") is FALSE (no number parse)");
    for (const char* m : {"", "NA"}) {
      CHECK(at(na, m) == Truth::yes, std::string("is.na(\"") + m + "\")");
    }
    for (const char* v : {"na", "N/A", "0", " ", "\"\""}) {
      CHECK(at(na, v) == Truth::no, std::string("!is.na(\"") + show(v) + "\")");
    }
    // Regression (fixed with these tests): in R, NA %in% c(1, 2) is FALSE, never NA, so
    // !(x %in% c(1, 2)) keeps rows where x is NA. The engine says NA.
    for (const char* m : {"", "NA"}) {
      CHECK(at(in12, m) == Truth::no, std::string("regression: in_num: R's NA %in% c(1, 2) is FALSE; engine: ") +
                                          truth_name(at(in12, m)) + " for \"" + m + "\"");
      CHECK(at(in_ab, m) == Truth::no, std::string("regression: in_str: R's NA %in% c(\"a\", \"b\") is FALSE; engine: ") +
                                           truth_name(at(in_ab, m)) + " for \"" + m + "\"");
    }
  }
}

std::string tmp_dir;

std::string write_file(const std::string& name, const std::string& bytes) {
  const std::string path = tmp_dir + "/" + name;
  write_or_exit(path, bytes);
  return path;
}

// One run of `paths` for `q`: serial (threads 1), TBB (2), or through wire
// frames in two groups (0, as remote workers return them). Calls
// check(summary) or sets `err`; the summary views the reducer's partials.
template <class Check>
void run_query(const std::vector<std::string>& paths, const Query& q, uint64_t chunk, int threads, CoreError& err,
               Check&& check, std::vector<BadRows>* bad = nullptr) {
  Plan plan;
  err = make_plan(paths, q, chunk, plan);
  if (err) return;
  ChainReducer reducer(plan);
  reference::run_plan(plan, reducer, threads);
  if (reducer.has_error()) {
    err = reducer.error();
    const std::atomic<bool> stop{false};
    locate_error(plan, err, stop);
    return;
  }
  if (!reducer.complete()) {
    err = io_error("", "not every chunk was accounted for");
    return;
  }
  if (bad) *bad = reducer.bad_rows();
  const PartitionedTotal& t = reducer.totals();
  check(summarise_groups(t.parts(), t.key_types(), plan.query, plan.files), plan);
}

// The filter through files: exact comparisons, NA rows dropped, errors.
void test_filter_files() {
  const std::string path = write_file("filter.csv",
                                      "K,X,S\r\n"
                                      "a,0.00,B\r\n"
                                      "a,-0,a\r\n"
                                      "b,0.1,\r\n"
                                      "b,0.1000000000000000055511151231257827021181583404541015625,NA\r\n"
                                      "c,NA,z\r\n"
                                      "c,,\"a\"\r\n");
  struct Case {
    const char* what;
    std::function<void(FilterBuilder&)> build;
    int64_t want;
  };
  const std::vector<Case> cases = {
      {"X == 0", [](FilterBuilder& f) { f.cmp_num("X", CmpOp::eq, "0"); }, 2},
      {"X == 0.1", [](FilterBuilder& f) { f.cmp_num("X", CmpOp::eq, "0.1"); }, 1},
      {"X > 0.1", [](FilterBuilder& f) { f.cmp_num("X", CmpOp::gt, "0.1"); }, 1},
      {"X >= 0.1", [](FilterBuilder& f) { f.cmp_num("X", CmpOp::ge, "0.1"); }, 2},
      {"!(X > 0.1)", [](FilterBuilder& f) { f.not_(f.cmp_num("X", CmpOp::gt, "0.1")); }, 3},
      {"is.na(X)", [](FilterBuilder& f) { f.is_na("X"); }, 2},
      {"X > 0.1 | is.na(X)", [](FilterBuilder& f) { f.or_(f.cmp_num("X", CmpOp::gt, "0.1"), f.is_na("X")); }, 3},
      {"X > 0.1 & is.na(S)", [](FilterBuilder& f) { f.and_(f.cmp_num("X", CmpOp::gt, "0.1"), f.is_na("S")); }, 1},
      {"S < \"a\" (bytes: B < a)", [](FilterBuilder& f) { f.cmp_str("S", CmpOp::lt, "a"); }, 1},
      {"S == \"a\" (quoted too)", [](FilterBuilder& f) { f.cmp_str("S", CmpOp::eq, "a"); }, 2},
      {"S != \"a\"", [](FilterBuilder& f) { f.cmp_str("S", CmpOp::ne, "a"); }, 2},
      {"K %in% c(\"a\", \"c\") & !is.na(X)",
       [](FilterBuilder& f) { f.and_(f.in_str("K", {"a", "c"}), f.not_(f.is_na("X"))); }, 2},
      {"X %in% c(0, 0.1)", [](FilterBuilder& f) { f.in_num("X", {"0", "0.1"}); }, 3},
      // Regression (fixed with these tests): R keeps the rows where S is NA (NA %in% ... is FALSE).
      {"regression: !(S %in% c(\"a\", \"B\")) keeps NA rows in R", [](FilterBuilder& f) { f.not_(f.in_str("S", {"a", "B"})); }, 3},
  };
  for (const Case& c : cases) {
    Query q;
    q.keys = {std::string(kFileKey)};
    q.index_columns();
    FilterBuilder f{q};
    c.build(f);
    for (uint64_t chunk : {uint64_t{1}, uint64_t{5}, uint64_t{1} << 20}) {
      for (int threads : {1, 2}) {
        CoreError err;
        int64_t n = 0;
        run_query({path}, q, chunk, threads, err, [&](const parairline::Summary& s, const Plan&) {
          for (int64_t x : s.n) n += x;
        });
        CHECK(!err && n == c.want, std::string(c.what) + ": " + std::to_string(n) + " rows kept, want " +
                                       std::to_string(c.want) + " (chunk " + std::to_string(chunk) + ") " + err.message);
      }
    }
  }

  // A non-number compared with a number: a parse error naming the column,
  // its field and line; a number column's non-number value without a filter.
  const std::string bad = write_file("filter-bad.csv", "K,S,X\na,1,5\nb,2,x y\nc,3,7\n");
  for (uint64_t chunk : {uint64_t{1}, uint64_t{3}, uint64_t{1} << 20}) {
    Query q;
    q.keys = {"K"};
    q.index_columns();
    FilterBuilder f{q};
    f.cmp_num("X", CmpOp::gt, "0");
    CoreError err;
    run_query({bad}, q, chunk, 2, err, [](const parairline::Summary&, const Plan&) {});
    CHECK(err.kind == CoreError::Kind::parse && err.file == bad && err.line == 3 && err.column == 3 &&
              err.text == "x y" &&
              err.message == "Column \"X\" (field 3) has \"x y\", which is not a number. The filter compares it with a number.",
          "filter on a non-number: line " + std::to_string(err.line) + " column " + std::to_string(err.column) + ": " +
              err.message);
    Query v;
    v.keys = {"K"};
    v.values = {ValueSpec{"X", true, true}};
    v.index_columns();
    run_query({bad}, v, chunk, 1, err, [](const parairline::Summary&, const Plan&) {});
    CHECK(err.kind == CoreError::Kind::parse && err.line == 3 && err.column == 3 &&
              err.message == "Column \"X\" (field 3) has \"x y\", which is not a number.",
          "a value that is not a number: " + err.message);
    // Counting missing values only (no number asked for): no error.
    Query m;
    m.keys = {"K"};
    m.values = {ValueSpec{"X", false, false}};
    m.index_columns();
    int64_t groups = -1;
    run_query({bad}, m, chunk, 1, err, [&](const parairline::Summary& s, const Plan&) { groups = static_cast<int64_t>(s.size()); });
    CHECK(!err && groups == 3, "a text column whose missing values are counted is not parsed: " + err.message);
    // A string comparison on the same column: bytes, no error.
    Query s2;
    s2.keys = {"K"};
    s2.index_columns();
    FilterBuilder f2{s2};
    f2.cmp_str("X", CmpOp::ge, "5");
    int64_t kept = -1;
    run_query({bad}, s2, chunk, 2, err, [&](const parairline::Summary& s, const Plan&) {
      kept = 0;
      for (int64_t x : s.n) kept += x;
    });
    CHECK(!err && kept == 3, "X >= \"5\" compares bytes (\"x y\" >= \"5\"): " + std::to_string(kept));
  }
}

// ---------------------------------------------------------------------------
// 3. Random files and queries against the whole-file reference.

// What a column holds: each kind draws from its own pool.
enum Kind { kInt, kReal, kText, kMixed, kValue, kLong, kKinds };

std::string draw(Kind kind, std::mt19937_64& rng) {
  static const std::vector<std::string> ints = {"1", "01", "+1", "2", "-3", "0", "-0", "10", "007", "2147483647",
                                                "-2147483647", "42", "+0", "0010"};
  static const std::vector<std::string> reals = {"1.5", "1.50", "-0.0", "2", "1e2", "100", ".5", "5.", "-2.25",
                                                 "0.1", "1e-3", "0.001", "2147483648", "1E2", "+.5", "100.0"};
  // No key ends in "x": keys of 7 bytes and the same plus "x" collide (the
  // bug test_short_keys shows), which would fail most cases here.
  static const std::vector<std::string> texts = {"w", "y", "B", "a", "a,b", "q\"x", "multi\nline", "\xC3\xA9",
                                                 "01", "1", "ABC", "abc", "ab\r\ncd", " 1", "\"", ",", "Z", "NA ",
                                                 "1,5", "TRUE", "2020-01-01", "Inf"};
  static const std::vector<std::string> values = {
      "-1.25", "3",     "0.1",    "0.00",  "1e3", "-0",    "2.5e-3",  "123456789012.5", "-7", "0.30000000000000004",
      "1e-20", "99999999999999999999999999999999999999999.5", "-99999999999999999999999999999999999999999",
      "7",     "+2.50", ".25",    "-.75",  "1E1", "0.1e-5", "170141183460469231731687303715884105727"};
  static const std::vector<std::string> longs = {"abcdefghij", "abcdefghijk", "ABCDEFG", "ABCDEF", "abcdefghijklmnopq",
                                                 "abcdefghijklmnopr", "12345678901", "123456789"};
  if (rng() % 9 == 0) return rng() % 2 ? "" : "NA";
  switch (kind) {
    case kInt: return ints[rng() % ints.size()];
    case kReal: return rng() % 3 ? reals[rng() % reals.size()] : ints[rng() % ints.size()];
    case kText: return texts[rng() % texts.size()];
    case kMixed: return rng() % 25 == 0 ? texts[rng() % texts.size()] : ints[rng() % ints.size()];
    case kValue: return values[rng() % values.size()];
    default: return longs[rng() % longs.size()];
  }
}

bool numeric_kind(Kind k) { return k == kInt || k == kReal || k == kValue; }

struct Column {
  std::string name;
  Kind kind;
};

struct GenFile {
  std::vector<std::string> header;                // column names in file order
  std::vector<std::vector<std::string>> rows;     // field texts (unquoted)
  std::string bytes;
};

// How a random file is written (and read back by the reference).
struct TestDialect {
  char sep = ',';
  bool sep_auto = false;
  char quote = '"';  // 0: none
  char dec = '.';
  std::string eol = "\n";
  int preamble = 0;  // lines before the header
  bool skip_by_text = false;
  std::vector<std::string> na{"", "NA"};
  bool skip_bad = false;
  int bad_rows = 0;  // rows written with a field too many or too few (per file, 1 in 15)
};

TestDialect random_dialect(std::mt19937_64& rng) {
  TestDialect d;
  if (rng() % 2 == 0) {
    d.eol = rng() % 3 == 0 ? "\r\n" : "\n";
    return d;
  }
  static const char seps[] = {',', ';', '\t', '|'};
  d.sep = seps[rng() % 4];
  d.sep_auto = rng() % 3 == 0;
  const unsigned q = static_cast<unsigned>(rng() % 4);
  d.quote = q == 0 ? '\'' : q == 1 ? 0 : '"';
  d.dec = d.sep != ',' && rng() % 2 ? ',' : '.';
  static const char* eols[] = {"\n", "\r\n", "\r"};
  d.eol = eols[rng() % 3];
  d.preamble = rng() % 3 == 0 ? 1 + static_cast<int>(rng() % 3) : 0;
  d.skip_by_text = d.preamble > 0 && rng() % 2;
  const unsigned na = static_cast<unsigned>(rng() % 4);
  if (na == 1) d.na = {"-", "NULL"};
  if (na == 2) d.na = {"", "-"};
  if (na == 3) d.na = {"NA"};
  d.skip_bad = rng() % 3 == 0;
  return d;
}

std::string describe(const TestDialect& d) {
  std::string s = "sep " + show(std::string(1, d.sep)) + (d.sep_auto ? " (auto)" : "") + ", quote " +
                  (d.quote ? std::string(1, d.quote) : std::string("none")) + ", dec " + d.dec + ", eol " +
                  show(d.eol) + ", preamble " + std::to_string(d.preamble) + (d.skip_by_text ? " (by text)" : "") +
                  ", na";
  for (const auto& t : d.na) s += " \"" + t + "\"";
  return s + (d.skip_bad ? ", bad rows skipped" : "");
}

Dialect engine_dialect(const TestDialect& d, const std::string& first_name) {
  Dialect e;
  e.sep = d.sep_auto ? 0 : d.sep;
  e.quote = d.quote;
  e.dec = d.dec;
  if (d.skip_by_text) {
    e.skip_to = first_name;
  } else {
    e.skip = static_cast<uint64_t>(d.preamble);
  }
  e.na = NaSet(d.na);
  e.skip_bad_rows = d.skip_bad;
  return e;
}

std::string quote_field(const std::string& f, bool force, const TestDialect& d) {
  if (d.quote == 0) return f;
  const bool need = f.find_first_of(std::string{d.sep, d.quote, '\n', '\r'}) != std::string::npos;
  if (!need && !force) return f;
  std::string s(1, d.quote);
  for (char c : f) {
    if (c == d.quote) s += std::string(2, d.quote);
    else s.push_back(c);
  }
  return s + d.quote;
}

// A drawn text as this dialect writes it: decimal commas, its missing
// token; without quoting, no field may hold a separator or a line end.
std::string in_dialect(std::string f, const TestDialect& d) {
  if (f == "NA") {
    for (const auto& t : d.na) {
      if (!t.empty()) {
        f = t;
        break;
      }
    }
  }
  if (d.dec == ',') std::replace(f.begin(), f.end(), '.', ',');
  if (d.quote == 0 && f.find_first_of(std::string{d.sep, '\n', '\r'}) != std::string::npos) f = "w";
  return f;
}

// A text of up to `most` bytes, now and then a separator, quote or line end.
std::string long_text(std::mt19937_64& rng, std::size_t most) {
  static const char extra[] = {',', ';', '"', '\'', '\n'};
  std::string s(rng() % (most + 1), 'x');
  for (char& c : s) c = rng() % 50 == 0 ? extra[rng() % sizeof extra] : static_cast<char>('a' + rng() % 26);
  return s;
}

// `long_extra` > 0: an extra column always, of texts up to that long (rows
// longer than a read, so the scanner's buffer slides inside records).
GenFile generate_file(const std::vector<Column>& cols, std::mt19937_64& rng, TestDialect& d,
                      std::size_t long_extra = 0) {
  GenFile g;
  std::vector<int> order(cols.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<int> layout;  // column index, or -1 for an extra column
  for (int c : order) {
    layout.push_back(c);
    if (rng() % 4 == 0) layout.push_back(-1);
  }
  if (long_extra > 0) layout.insert(layout.begin() + static_cast<std::ptrdiff_t>(rng() % (layout.size() + 1)), -1);
  int extras = 0;
  for (int c : layout) g.header.push_back(c >= 0 ? cols[static_cast<std::size_t>(c)].name : "extra" + std::to_string(extras++));
  const bool quote_all = rng() % 6 == 0;
  const std::string sep(1, d.sep);
  const std::string& eol = d.eol;
  static const char* preamble[] = {"#### 2026 ####", "% 1 2 3 %", "=="};
  if (rng() % 8 == 0) g.bytes += "\xEF\xBB\xBF";
  for (int i = 0; i < d.preamble; ++i) g.bytes += std::string(preamble[i % 3]) + eol;
  for (std::size_t i = 0; i < g.header.size(); ++i) g.bytes += (i ? sep : "") + quote_field(g.header[i], rng() % 5 == 0, d);
  g.bytes += eol;
  const int nrows = static_cast<int>(rng() % 5 == 0 ? rng() % 4 : 5 + rng() % 60);
  const bool with_bad = d.skip_bad || rng() % 40 == 0;
  d.bad_rows = 0;
  for (int r = 0; r < nrows; ++r) {
    std::vector<std::string> row;
    for (int c : layout) {
      const std::string extra = c >= 0 ? std::string() : long_extra > 0 ? long_text(rng, long_extra) : draw(kText, rng);
      row.push_back(in_dialect(c >= 0 ? draw(cols[static_cast<std::size_t>(c)].kind, rng) : extra, d));
    }
    if (with_bad && rng() % 15 == 0) {
      if (rng() % 2) {
        row.push_back("z");
      } else {
        row.pop_back();
      }
      ++d.bad_rows;
    }
    if (row.size() == 1 && row[0].empty()) row[0] = "z";  // else a blank line
    if (rng() % 25 == 0) g.bytes += eol;  // a blank line
    for (std::size_t i = 0; i < row.size(); ++i) {
      g.bytes += (i ? sep : "") + quote_field(row[i], quote_all || rng() % 8 == 0, d);
    }
    if (r + 1 < nrows || rng() % 4 != 0) g.bytes += eol;
    g.rows.push_back(std::move(row));
  }
  return g;
}

// The reference's own reading of a whole file: the preamble skipped, split
// at separators and line ends outside quotes, a CR before a LF dropped,
// quotes removed.
struct ParsedFile {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> offsets;  // where each row starts
  bool ok = true;
};

std::string unquote_naive(const std::string& f, bool& ok, char quote) {
  if (quote == 0) return f;
  if (f.empty() || f[0] != quote) {
    if (f.find(quote) != std::string::npos) ok = false;
    return f;
  }
  if (f.size() < 2 || f.back() != quote) {
    ok = false;
    return f;
  }
  std::string s;
  for (std::size_t i = 1; i + 1 < f.size(); ++i) {
    if (f[i] == quote) {
      if (i + 2 >= f.size() || f[i + 1] != quote) ok = false;
      ++i;
    }
    s.push_back(f[i]);
  }
  return s;
}

ParsedFile parse_naive(const std::string& bytes, const TestDialect& d = TestDialect()) {
  ParsedFile out;
  const char term = d.eol == "\r" ? '\r' : '\n';
  std::size_t i = 0;
  for (int k = 0; k < d.preamble; ++k) i = bytes.find(term, i) + 1;
  if (bytes.compare(i, 3, "\xEF\xBB\xBF") == 0) i += 3;
  std::vector<std::string> fields(1);
  bool inq = false, header = true;
  uint64_t start = i;
  const auto end_record = [&](std::size_t at) {
    if (term == '\n' && !fields.back().empty() && fields.back().back() == '\r') fields.back().pop_back();
    const bool blank = fields.size() == 1 && fields[0].empty();
    std::vector<std::string> row;
    for (const auto& f : fields) row.push_back(unquote_naive(f, out.ok, d.quote));
    if (header) {
      out.header = row;
      header = false;
    } else if (!blank) {
      out.rows.push_back(row);
      out.offsets.push_back(start);
    }
    fields.assign(1, std::string());
    start = at + 1;
  };
  for (; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (d.quote != 0 && c == d.quote) inq = !inq;
    if (!inq && c == d.sep) {
      fields.emplace_back();
    } else if (!inq && c == term) {
      end_record(i);
    } else {
      fields.back().push_back(c);
    }
  }
  if (inq) out.ok = false;
  if (start < bytes.size()) end_record(bytes.size());
  return out;
}

// A filter node as the reference evaluates it (the engine's FilterNode
// holds the same, with constants parsed).
struct RefNode {
  FilterOp op;
  CmpOp cmp = CmpOp::eq;
  std::string col;
  int32_t a = -1, b = -1;
  std::vector<std::string> consts;
};

struct RefQuery {
  std::vector<std::string> keys;
  std::vector<ValueSpec> values;
  std::vector<RefNode> filter;
};

Query to_query(const RefQuery& r) {
  Query q;
  q.keys = r.keys;
  q.values = r.values;
  q.index_columns();
  for (const RefNode& n : r.filter) {
    FilterNode f;
    f.op = n.op;
    f.cmp = n.cmp;
    f.a = n.a;
    f.b = n.b;
    if (!n.col.empty()) f.col = q.column(n.col);
    if (n.op == FilterOp::cmp_num || n.op == FilterOp::in_num) {
      for (const auto& c : n.consts) f.nums.push_back(dec(c));
    } else {
      f.strs = n.consts;
    }
    q.filter.push_back(std::move(f));
  }
  return q;
}

// Filter truth, or a failure at the named column.
struct RefTruth {
  int v;  // 0 FALSE, 1 TRUE, 2 NA, 3 fail
  std::string col;
};

// Left to right, and as the engine does, the right operand is not looked
// at when the left decides (so its errors do not count).
RefTruth eval_ref(const RefQuery& q, int32_t i, const std::map<std::string, std::string>& row) {
  const RefNode& n = q.filter[static_cast<std::size_t>(i)];
  if (n.op == FilterOp::and_op || n.op == FilterOp::or_op) {
    const int decide = n.op == FilterOp::and_op ? 0 : 1;
    const RefTruth x = eval_ref(q, n.a, row);
    if (x.v == decide || x.v == 3) return x;
    const RefTruth y = eval_ref(q, n.b, row);
    if (y.v == decide || y.v == 3) return y;
    return {x.v == 2 || y.v == 2 ? 2 : 1 - decide, ""};
  }
  if (n.op == FilterOp::not_op) {
    const RefTruth x = eval_ref(q, n.a, row);
    return {x.v == 0 ? 1 : x.v == 1 ? 0 : x.v, x.col};
  }
  const std::string& v = row.at(n.col);
  if (n.op == FilterOp::is_na) return {ref::missing(v) ? 1 : 0, ""};
  // R: NA %in% s is FALSE; a comparison with NA is NA. Text: "" only if listed.
  const bool text_op = n.op == FilterOp::cmp_str || n.op == FilterOp::in_str;
  if (text_op ? ref::missing_text(v) : ref::missing(v)) {
    return {(n.op == FilterOp::in_num || n.op == FilterOp::in_str) ? 0 : 2, ""};
  }
  const auto holds = [](CmpOp op, int c) {
    switch (op) {
      case CmpOp::eq: return c == 0;
      case CmpOp::ne: return c != 0;
      case CmpOp::lt: return c < 0;
      case CmpOp::le: return c <= 0;
      case CmpOp::gt: return c > 0;
      case CmpOp::ge: return c >= 0;
    }
    return false;
  };
  if (n.op == FilterOp::cmp_str) return {holds(n.cmp, ref::cmp_bytes(v, n.consts[0])) ? 1 : 0, ""};
  if (n.op == FilterOp::in_str) {
    for (const auto& c : n.consts) {
      if (v == c) return {1, ""};
    }
    return {0, ""};
  }
  ref::Num x;
  if (!ref::read_value(v, x)) return {3, n.col};
  for (const auto& c : n.consts) {
    ref::Num y;
    ref::read_num(c, y);
    const int s = ref::cmp(x, y);
    if (n.op == FilterOp::cmp_num ? holds(n.cmp, s) : s == 0) return {1, ""};
  }
  return {0, ""};
}

// The reference's answer: an error (file index, row offset, column name)
// or the summary.
struct RefOutcome {
  bool failed = false;
  std::size_t file = 0;
  uint64_t offset = 0;
  std::string col;
  ref::Summary summary;
  std::vector<BadRows> bad;  // per file, with bad_rows = "skip"
};

RefOutcome reference_run(const std::vector<ParsedFile>& files, const std::vector<std::string>& names, const RefQuery& q,
                         bool skip_bad = false) {
  RefOutcome out;
  const std::size_t nk = q.keys.size();
  std::vector<ref::T> types(nk, ref::T::none);
  std::vector<bool> file_key(nk);
  for (std::size_t k = 0; k < nk; ++k) file_key[k] = q.keys[k] == kFileKey;
  std::vector<std::vector<std::string>> texts;
  std::vector<ref::Agg> aggs;
  out.bad.resize(files.size());
  for (std::size_t f = 0; f < files.size(); ++f) {
    const ParsedFile& pf = files[f];
    for (std::size_t r = 0; r < pf.rows.size(); ++r) {
      // A bad row is an error, or left out (counted) with skip_bad.
      bool bad = false;
      const auto fail = [&](const std::string& col) {
        if (skip_bad) {
          out.bad[f].add(1, {pf.offsets[r]});
          bad = true;
          return;
        }
        out.failed = true;
        out.file = f;
        out.offset = pf.offsets[r];
        out.col = col;
      };
      if (pf.rows[r].size() != pf.header.size()) {
        fail("");
        if (bad) continue;
        return out;
      }
      std::map<std::string, std::string> row;
      for (std::size_t c = 0; c < pf.header.size(); ++c) row[pf.header[c]] = pf.rows[r][c];
      if (!q.filter.empty()) {
        const RefTruth t = eval_ref(q, static_cast<int32_t>(q.filter.size() - 1), row);
        if (t.v == 3) {
          fail(t.col);
          if (bad) continue;
          return out;
        }
        if (t.v != 1) {
          for (std::size_t k = 0; k < nk; ++k) {
            if (!file_key[k]) types[k] = std::max(types[k], ref::classify(row.at(q.keys[k])));
          }
          continue;
        }
      }
      std::vector<std::string> key;
      for (std::size_t k = 0; k < nk; ++k) key.push_back(file_key[k] ? names[f] : row.at(q.keys[k]));
      ref::Agg a;
      a.n = 1;
      a.acc.resize(q.values.size());
      for (std::size_t v = 0; v < q.values.size(); ++v) {
        const std::string& t = row.at(q.values[v].name);
        ref::Acc& acc = a.acc[v];
        if (ref::missing(t)) {
          acc.missing = 1;
          continue;
        }
        if (!q.values[v].numbers) continue;
        if (!ref::read_value(t, acc.sum)) {
          fail(q.values[v].name);
          if (bad) break;
          return out;
        }
        std::string dotted;
        ref::with_dot(t, dotted);
        if (q.values[v].minmax) acc.min = acc.max = std::strtod(dotted.c_str(), nullptr);
      }
      if (bad) continue;
      texts.push_back(std::move(key));
      aggs.push_back(std::move(a));
    }
  }
  out.summary = ref::group(texts, aggs, types, file_key);
  return out;
}

std::string describe(const RefQuery& q) {
  static const char* ops[] = {"cmp_num", "cmp_str", "in_num", "in_str", "is_na", "not", "and", "or"};
  static const char* cmps[] = {"==", "!=", "<", "<=", ">", ">="};
  std::string s = "keys:";
  for (const auto& k : q.keys) s += " " + k;
  s += "; values:";
  for (const auto& v : q.values) s += " " + v.name + (v.numbers ? "#" : "") + (v.minmax ? "m" : "");
  s += "; filter:";
  for (std::size_t i = 0; i < q.filter.size(); ++i) {
    const RefNode& n = q.filter[i];
    s += " [" + std::to_string(i) + "] " + ops[static_cast<int>(n.op)];
    if (n.op == FilterOp::and_op || n.op == FilterOp::or_op) s += "(" + std::to_string(n.a) + "," + std::to_string(n.b) + ")";
    if (n.op == FilterOp::not_op) s += "(" + std::to_string(n.a) + ")";
    if (!n.col.empty()) s += " " + n.col;
    if (n.op == FilterOp::cmp_num || n.op == FilterOp::cmp_str) s += std::string(" ") + cmps[static_cast<int>(n.cmp)];
    for (const auto& c : n.consts) s += " \"" + show(c) + "\"";
  }
  return s;
}

RefQuery random_query(const std::vector<Column>& cols, std::mt19937_64& rng) {
  RefQuery q;
  const bool errors_allowed = rng() % 8 == 0;  // numbers asked of columns that may hold text
  const std::size_t nk = 1 + rng() % 3;
  std::vector<std::string> pool;
  for (const auto& c : cols) pool.push_back(c.name);
  pool.push_back(std::string(kFileKey));
  std::shuffle(pool.begin(), pool.end(), rng);
  for (std::size_t k = 0; k < nk; ++k) q.keys.push_back(pool[k]);
  const std::size_t nv = rng() % 4;
  for (std::size_t v = 0; v < nv; ++v) {
    const Column& c = cols[rng() % cols.size()];
    bool dup = false;
    for (const auto& x : q.values) dup = dup || x.name == c.name;
    if (dup) continue;
    const bool numbers = (numeric_kind(c.kind) || errors_allowed) && rng() % 5 != 0;
    q.values.push_back(ValueSpec{c.name, numbers, numbers && rng() % 2 == 0});
  }
  if (rng() % 4 == 0) return q;  // no filter
  static const char* num_consts[] = {"0", "0.00", "1", "-0.5", "0.1", "2", "1e2", "100.0", "-3", "2147483647", "1.5", "-0"};
  static const char* str_consts[] = {"a", "B", "x", "01", "1", "ABC", "\xC3\xA9", "", "Z", "abc"};
  std::function<int32_t(int)> node = [&](int depth) -> int32_t {
    RefNode n;
    const unsigned r = static_cast<unsigned>(rng() % 10);
    if (depth < 3 && r < 4) {
      n.op = r < 1 ? FilterOp::not_op : r < 3 ? FilterOp::and_op : FilterOp::or_op;
      n.a = node(depth + 1);
      if (n.op != FilterOp::not_op) n.b = node(depth + 1);
    } else {
      const Column& c = cols[rng() % cols.size()];
      n.col = c.name;
      const bool numeric = numeric_kind(c.kind) || errors_allowed;
      const unsigned o = static_cast<unsigned>(rng() % 5);
      n.op = static_cast<FilterOp>(o);
      if (!numeric && (n.op == FilterOp::cmp_num || n.op == FilterOp::in_num)) {
        n.op = n.op == FilterOp::cmp_num ? FilterOp::cmp_str : FilterOp::in_str;
      }
      n.cmp = static_cast<CmpOp>(rng() % 6);
      const std::size_t count = n.op == FilterOp::cmp_num || n.op == FilterOp::cmp_str ? 1
                                : n.op == FilterOp::is_na                              ? 0
                                                                                       : rng() % 4;
      for (std::size_t i = 0; i < count; ++i) {
        if (n.op == FilterOp::cmp_num || n.op == FilterOp::in_num) {
          n.consts.push_back(num_consts[rng() % (sizeof num_consts / sizeof *num_consts)]);
        } else {
          n.consts.push_back(rng() % 2 ? draw(c.kind, rng) : str_consts[rng() % (sizeof str_consts / sizeof *str_consts)]);
        }
      }
    }
    q.filter.push_back(n);
    return static_cast<int32_t>(q.filter.size() - 1);
  };
  node(0);
  return q;
}

struct RandomStats {
  int cases = 0, runs = 0, errors = 0, groups = 0, dialects = 0, bad_written = 0, bad_found = 0;
};

// `long_extra` > 0: rows of up to that many bytes more (see generate_file()),
// in chunks of 1000 bytes (a long row spans many) and of 1 MB.
void test_random_files(int cases, RandomStats& st, std::size_t long_extra = 0, uint64_t seed = 2026) {
  std::mt19937_64 rng(seed);
  std::vector<uint64_t> chunks = {1, 2, 3, 7, 64, 4096, uint64_t{1} << 20};
  if (long_extra > 0) chunks = {1000, uint64_t{1} << 20};
  for (int it = 0; it < cases; ++it) {
    std::vector<Column> cols;
    const int ncols = 2 + static_cast<int>(rng() % 4);
    for (int c = 0; c < ncols; ++c) {
      const Kind kind = static_cast<Kind>(rng() % kKinds);
      cols.push_back(Column{std::string(1, static_cast<char>('a' + c)) + (rng() % 3 == 0 ? "_col" : ""), kind});
    }
    const std::size_t nfiles = 1 + rng() % 3;
    std::vector<std::string> paths;
    std::vector<ParsedFile> parsed;
    bool parsed_ok = true;
    TestDialect d = random_dialect(rng);
    ref::g_dialect.dec = d.dec;
    ref::g_dialect.na = d.na;
    std::string first_name;
    for (std::size_t f = 0; f < nfiles; ++f) {
      const GenFile g = generate_file(cols, rng, d, long_extra);
      paths.push_back(write_file("rand" + std::to_string(f) + ".csv", g.bytes));
      parsed.push_back(parse_naive(g.bytes, d));
      const ParsedFile& p = parsed.back();
      parsed_ok = parsed_ok && p.ok && p.header == g.header && p.rows == g.rows;
      st.bad_written += d.bad_rows;
    }
    // skip = "text": the first name of the first file's header (the
    // preamble has no letters); every file must then contain it.
    for (const ParsedFile& p : parsed) {
      if (d.skip_by_text && first_name.empty()) first_name = p.header[0];
      if (d.skip_by_text && std::find(p.header.begin(), p.header.end(), first_name) == p.header.end()) d.skip_by_text = false;
    }
    CHECK(parsed_ok, "case " + std::to_string(it) + " (" + describe(d) + "): the naive parse reads back what was written");
    if (!parsed_ok) continue;
    const RefQuery rq = random_query(cols, rng);
    const RefOutcome want = reference_run(parsed, paths, rq, d.skip_bad);
    Query q = to_query(rq);
    q.dialect = engine_dialect(d, first_name);
    st.dialects += d.sep != ',' || d.quote != '"' || d.dec != '.' || d.eol == "\r" || d.preamble > 0;
    ++st.cases;
    st.errors += want.failed;
    if (!want.failed) {
      st.groups += static_cast<int>(want.summary.keys.size());
    }
    bool reported = false;
    for (uint64_t chunk : chunks) {
      for (int threads : {1, 2, 0}) {
        if (threads == 0 && chunk != 3 && chunk != 4096) continue;  // frames: two sizes suffice
        CoreError err;
        std::string diff;
        bool ran = false;
        std::vector<BadRows> bad;
        run_query(paths, q, chunk, threads, err, [&](const parairline::Summary& s, const Plan& plan) {
          ran = true;
          if (want.failed) {
            diff = "no error, want one at offset " + std::to_string(want.offset) + " column " + want.col;
            return;
          }
          diff = ref::compare(s, want.summary, rq.values);
          for (std::size_t f = 0; f < paths.size() && diff.empty(); ++f) {
            if (bad.at(f).count != want.bad[f].count || bad[f].offsets != want.bad[f].offsets) {
              diff = "file " + std::to_string(f) + ": " + std::to_string(bad[f].count) + " bad rows, want " +
                     std::to_string(want.bad[f].count);
            }
            if (f == 0 && diff.empty()) st.bad_found += static_cast<int>(bad[f].count);
          }
          if (diff.empty() && threads == 1 && chunk == 7) {
            // The same from one merged table (PartitionedTotal::merged()).
            ChainReducer again(plan);
            std::atomic<bool> stop{false};
            std::vector<char> buf;
            reduce_all(plan, again, [&](const WorkList& w) { run_serial(plan, again, w, buf, stop, nullptr); }, stop);
            // The summary's texts view into the partials: keep them alive.
            const std::vector<PartialResult> all = {again.total()};
            diff = ref::compare(summarise_groups(all, all[0].key_types(), plan.query, plan.files), want.summary, rq.values);
            if (!diff.empty()) diff = "from merged(): " + diff;
          }
        }, &bad);
        ++st.runs;
        if (!ran) {
          if (!want.failed) {
            diff = "unexpected error: " + err.message;
          } else {
            const std::size_t fi = want.file;
            int64_t field = 0;
            for (std::size_t c = 0; c < parsed[fi].header.size(); ++c) {
              if (parsed[fi].header[c] == want.col) field = static_cast<int64_t>(c) + 1;
            }
            if (err.kind != CoreError::Kind::parse || err.file != paths[fi] || err.offset != want.offset ||
                err.column != field) {
              diff = "error " + err.file + " offset " + std::to_string(err.offset) + " column " +
                     std::to_string(err.column) + " (" + err.message + "), want " + paths[fi] + " offset " +
                     std::to_string(want.offset) + " column " + std::to_string(field);
            }
          }
        }
        CHECK(diff.empty(), "case " + std::to_string(it) + " chunk " + std::to_string(chunk) + " threads " +
                                std::to_string(threads) + ": " + diff);
        if (!diff.empty() && !reported) {
          reported = true;
          std::fprintf(stderr, "  query: %s\n  dialect: %s\n", describe(rq).c_str(), describe(d).c_str());
          for (std::size_t f = 0; f < paths.size(); ++f) {
            std::fprintf(stderr, "  file %zu: %s\n", f, show(read_bytes(paths[f])).c_str());
          }
        }
        if (!diff.empty()) break;
      }
    }
  }
}

// Files as users have them, and every way one could be misread into a
// short or empty answer: each read right, or an error.
void test_dialect_files() {
  const auto sum_of = [](const std::string& path, const Dialect& d, CoreError& err, int64_t& rows, double& total,
                         uint64_t chunk) {
    Query q = sum_query("K", "V");
    q.dialect = d;
    rows = -1;
    total = 0;
    run_query({path}, q, chunk, 2, err, [&](const parairline::Summary& s, const Plan&) {
      rows = 0;
      for (std::size_t i = 0; i < s.size(); ++i) {
        rows += s.n[i];
        total += s.acc[i].sum.to_double();
      }
    });
  };
  struct Case {
    const char* name;
    std::string bytes;
    Dialect d;
    int64_t rows;  // -1: an error whose message contains `error`
    double total;
    const char* error;
  };
  Dialect semi;
  semi.sep = ';';
  semi.dec = ',';
  Dialect autod;
  autod.sep = 0;
  Dialect skip2;
  skip2.skip = 2;
  Dialect skip_to;
  skip_to.skip_to = "K,";
  Dialect noquote;
  noquote.quote = 0;
  Dialect single;
  single.quote = '\'';
  Dialect skip9;
  skip9.skip = 9;
  Dialect na;
  na.na = NaSet({"-", "NULL"});
  const std::vector<Case> cases = {
      // The silent wrong answer of before: a bare-CR file read as one header line, 0 rows.
      {"bare CR", "K,V\rA,1\rB,2\rA,3\r", Dialect(), 3, 6, ""},
      {"bare CR, no last line end", "K,V\rA,1\rB,2", Dialect(), 2, 3, ""},
      {"bare CR, blank lines", "K,V\r\rA,1\r\r\rB,2\r", Dialect(), 2, 3, ""},
      {"CRLF", "K,V\r\nA,1\r\nB,2\r\n", Dialect(), 2, 3, ""},
      {"header CRLF, rows bare CR", "K,V\r\nA,1\rB,2\rC,3\r\n", Dialect(), -1, 0, "fields but the header has"},
      {"header LF, a key with a bare CR", "V,K\n1,A\rB\n", Dialect(), -1, 0, "mixes line ends"},
      {"header CR, a key with a LF", "V,K\r1,A\nB\r", Dialect(), -1, 0, "mixes line ends"},
      {"header CR, CRLF rows", "K,V\r\nA,1\r\nB,2\r\n", Dialect(), 2, 3, ""},
      {"semicolons, decimal commas", "K;V\nA;1,5\nB;-2,25\nA;1e1\n", semi, 3, 9.25, ""},
      {"decimal point where a comma is the mark", "K;V\nA;1.5\n", semi, -1, 0, "the decimal mark is"},
      {"decimal comma in a comma file", "K,V\nA,\"1,5\"\n", Dialect(), -1, 0, "use dec = \",\""},
      {"sep auto: semicolons", "K;V\nA;1\nB;2\n", autod, 2, 3, ""},
      {"sep auto: tabs", "K\tV\nA\t1\nB\t2\n", autod, 2, 3, ""},
      {"sep auto: pipes, commas inside quotes", "K|V\n\"a,b,c\"|1\nB|2\n", autod, 2, 3, ""},
      {"skip 2", "title\nnotes, with, commas\nK,V\nA,1\n", skip2, 1, 1, ""},
      {"skip to a text", "title\nK is the key\n\nK,V\nA,1\n", skip_to, 1, 1, ""},
      {"skip past the end", "K,V\nA,1\n", skip9, -1, 0, "fewer than the 9"},
      {"skip to a text that is not there", "title\nA,1\n", skip_to, -1, 0, "No line contains"},
      {"no quoting", "K,V\n\"A,1\nB\",2\n", noquote, 2, 3, ""},
      {"single quotes (a double quote is data)", "K,V\n'A,B',1\n'it''s',2\n\"q,3\n", single, 3, 6, ""},
      {"na.strings", "K,V\nA,-\nB,NULL\nC,\nD,4\n", na, 4, 4, ""},
      {"NA not in na.strings", "K,V\nA,NA\n", na, -1, 0, "is not a number"},
      {"blank lines before the header", "\n\r\nK,V\nA,1\n", Dialect(), 1, 1, ""},
      {"a blank line after the skipped ones", "title\nnotes\n\nK,V\nA,1\n", skip2, 1, 1, ""},
      {"only blank lines", "\n\n\n", Dialect(), -1, 0, "no header line"},
      {"header only", "K,V\n", Dialect(), 0, 0, ""},
      {"header only, no line end", "K,V", Dialect(), 0, 0, ""},
      {"the separator never occurs", "K;V\nA;1\n", Dialect(), -1, 0, "is not in the header"},
      {"value column always empty", "K,V\nA,\nB,\n", Dialect(), 2, 0, ""},
      {"UTF-16 little endian", std::string("\xFF\xFEK\0,\0V\0\n\0A\0,\0001\0\n\0", 18), Dialect(), -1, 0, "UTF-16"},
      {"UTF-16 without a byte order mark", std::string("K\0,\0V\0\n\0A\0,\0001\0\n\0", 16), Dialect(), -1, 0, "NUL bytes"},
      {"binary", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), Dialect(), -1, 0, ""},
  };
  for (const Case& c : cases) {
    for (uint64_t chunk : {uint64_t{1}, uint64_t{5}, uint64_t{1} << 20}) {
      const std::string path = write_file("dialect.csv", c.bytes);
      CoreError err;
      int64_t rows = 0;
      double total = 0;
      sum_of(path, c.d, err, rows, total, chunk);
      const bool ok = c.rows < 0 ? (err && err.message.find(c.error) != std::string::npos)
                                 : (!err && rows == c.rows && total == c.total);
      CHECK(ok, std::string(c.name) + " (chunk " + std::to_string(chunk) + "): rows " + std::to_string(rows) +
                    " total " + dbl(total) + (err ? " error: " + err.message : std::string(" no error")));
    }
  }

  // The separator sep = "auto" chose, the line end, and the line numbers
  // of errors in a bare-CR file (lines counted by CRs).
  {
    const std::string path = write_file("auto.csv", "a;b;c\r1;2;3\r4;5;x\r");
    Query q = sum_query("a", "c");
    q.dialect.sep = 0;
    Plan plan;
    CHECK(!make_plan({path}, q, 4, plan) && plan.files[0].sep == ';' && plan.files[0].eol == '\r',
          "sep auto and a bare CR are recorded in the plan");
    CoreError err;
    run_query({path}, q, 4, 2, err, [](const parairline::Summary&, const Plan&) {});
    CHECK(err.kind == CoreError::Kind::parse && err.line == 3 && err.column == 3,
          "an error in a bare-CR file names its line: " + std::to_string(err.line));
  }

  // A column missing from a header after skipped lines: the header's line.
  {
    Dialect d;
    d.skip = 2;
    const std::string path = write_file("header-line.csv", "title\n\nX,V\nA,1\n");
    Query q = sum_query("K", "V");
    q.dialect = d;
    Plan plan;
    const CoreError err = make_plan({path}, q, 4, plan);
    CHECK(err.kind == CoreError::Kind::parse && err.line == 3, "a column not in the header names the header's line: " +
                                                                   std::to_string(err.line));
  }

  // Bad rows skipped: counted per file, the first five with their lines.
  {
    std::string bytes = "K,V\n";
    for (int i = 0; i < 20; ++i) bytes += i % 3 == 0 ? "A,1,extra\n" : i % 3 == 1 ? "B,x\n" : "C,2\n";
    const std::string path = write_file("bad-rows.csv", bytes);
    Query q = sum_query("K", "V");
    q.dialect.skip_bad_rows = true;
    for (uint64_t chunk : {uint64_t{1}, uint64_t{7}, uint64_t{1} << 20}) {
      Plan plan;
      CoreError err = make_plan({path}, q, chunk, plan);
      ChainReducer reducer(plan);
      reference::run_plan(plan, reducer, 2);
      const BadRows& b = reducer.bad_rows().at(0);
      const std::atomic<bool> stop{false};
      const std::vector<uint64_t> lines = lines_at(plan.files[0], b.offsets, stop);
      const PartialResult total = reducer.total();
      CHECK(!err && !reducer.has_error() && b.count == 14 && lines == std::vector<uint64_t>({2, 3, 5, 6, 8}) &&
                total.size() == 1,
            "bad rows: " + std::to_string(b.count) + " of 20 (chunk " + std::to_string(chunk) + ")");
    }
  }
}

// Keys that differ only in length: 7 bytes, and the same 7 with an "x".
void test_short_keys() {
  const std::string path = write_file("short-keys.csv",
                                      "K,L,V\n"
                                      "ABCDEFG,ab,1\n"
                                      "ABCDEFGx,ab,2\n"
                                      "cdef,ab,4\n"
                                      "cdefx,ab,8\n"
                                      "abcdefgh,ab,16\n"
                                      "abcdefghx,ab,32\n");
  // One key ("ABCDEFG" and "ABCDEFGx"), and two ("ab\0cdef" and "ab\0cdefx").
  const std::string want[] = {"ABCDEFG=1 ABCDEFGx=2 abcdefgh=16 abcdefghx=32 cdef=4 cdefx=8 ",
                              "ab ABCDEFG=1 ab ABCDEFGx=2 ab abcdefgh=16 ab abcdefghx=32 ab cdef=4 ab cdefx=8 "};
  for (int keys : {1, 2}) {
    Query q;
    q.keys = keys == 1 ? std::vector<std::string>{"K"} : std::vector<std::string>{"L", "K"};
    q.values = {ValueSpec{"V", true, true}};
    q.index_columns();
    for (int threads : {1, 2}) {
      CoreError err;
      std::string got;
      run_query({path}, q, threads == 1 ? 1 << 20 : 9, threads, err, [&](const parairline::Summary& s, const Plan&) {
        for (std::size_t i = 0; i < s.size(); ++i) {
          for (const KeyColumn& k : s.keys) got += std::string(k.text(i)) + (&k == &s.keys.back() ? "=" : " ");
          got += dbl(s.acc[i].sum.to_double()) + " ";
        }
      });
      CHECK(!err && got == want[keys - 1], "regression: " + std::to_string(keys) +
                                               " key(s): keys of 7 bytes and the same plus \"x\" are separate "
                                               "groups; got " + show(got));
    }
  }
  // A key with a NUL byte is an error, unless it hashes like an earlier key
  // ("ABCDEF\0p", 8 bytes, like "ABCDEF"): then it is silently that key.
  const std::string nul = write_file("short-nul.csv", std::string("K,V\nABCDEF,1\nABCDEF\0p,2\n", 24));
  for (int threads : {1, 2}) {
    Query q = sum_query("K", "V");
    CoreError err;
    std::string got;
    run_query({nul}, q, 1 << 20, threads, err, [&](const parairline::Summary& s, const Plan&) {
      for (std::size_t i = 0; i < s.size(); ++i) got += show(s.keys[0].text(i)) + "=" + dbl(s.acc[i].sum.to_double()) + " ";
    });
    CHECK(err.kind == CoreError::Kind::parse && err.message.find("NUL") != std::string::npos && err.line == 3,
          "regression: a key with a NUL byte (\"ABCDEF\\0p\") is an error on line 3; got " +
              (err ? err.message : "no error, groups " + got));
  }
  PartialResult p;
  p.find_or_insert("ABCDEFG");
  p.find_or_insert("ABCDEFGx");
  CHECK(p.size() == 2, "regression: PartialResult::find_or_insert: \"ABCDEFG\" and \"ABCDEFGx\" are one group (same hash, "
                       "and keys of up to 8 bytes are compared by hash alone)");
}

// ---------------------------------------------------------------------------
// 4. The wire format.

bool same_decimal(const Decimal& a, const Decimal& b) {
  return a.neg == b.neg && a.big == b.big && a.mant == b.mant && a.exp10 == b.exp10 && a.digits == b.digits;
}

bool same_query(const Query& a, const Query& b) {
  const Dialect &da = a.dialect, &db = b.dialect;
  if (da.sep != db.sep || da.quote != db.quote || da.dec != db.dec || da.skip != db.skip || da.skip_to != db.skip_to ||
      da.na.texts() != db.na.texts() || da.na.standard() != db.na.standard() || da.skip_bad_rows != db.skip_bad_rows) {
    return false;
  }
  if (a.keys != b.keys || a.columns != b.columns || a.key_col != b.key_col || a.value_col != b.value_col) return false;
  if (a.values.size() != b.values.size() || a.filter.size() != b.filter.size()) return false;
  for (std::size_t i = 0; i < a.values.size(); ++i) {
    if (a.values[i].name != b.values[i].name || a.values[i].numbers != b.values[i].numbers ||
        a.values[i].minmax != b.values[i].minmax) {
      return false;
    }
  }
  for (std::size_t i = 0; i < a.filter.size(); ++i) {
    const FilterNode &x = a.filter[i], &y = b.filter[i];
    if (x.op != y.op || x.cmp != y.cmp || x.col != y.col || x.a != y.a || x.b != y.b || x.strs != y.strs ||
        x.nums.size() != y.nums.size()) {
      return false;
    }
    for (std::size_t j = 0; j < x.nums.size(); ++j) {
      if (!same_decimal(x.nums[j], y.nums[j])) return false;
    }
  }
  return true;
}

// What deserializing damaged bytes did: 0 read, 1 std::runtime_error, 2 anything else.
template <class F>
int outcome(F&& f) {
  try {
    f();
    return 0;
  } catch (const std::runtime_error&) {
    return 1;
  } catch (...) {
    return 2;
  }
}

void test_plan_wire() {
  const std::string a = write_file("wire-a.csv", "title\nK,X,V,S\n1,2,3,a\n4,5,6,b\n");
  const std::string b = write_file("wire-b.csv", "notes\rS;extra;V;X;K\ra;;1;2;3\r");
  Query q;
  q.dialect.sep = 0;
  q.dialect.skip = 1;
  q.dialect.quote = '\'';
  q.dialect.na = NaSet({"-", "NULL", ""});
  q.dialect.skip_bad_rows = true;
  q.keys = {"K", std::string(kFileKey), "S"};
  q.values = {ValueSpec{"V", true, true}, ValueSpec{"S", false, false}};
  q.index_columns();
  FilterBuilder f{q};
  const int32_t x1 = f.cmp_num("X", CmpOp::ge, "-0.5");
  const int32_t x2 = f.in_num("X", {"123456789012345678901234567890123456789012345", "1e-300", "0"});
  const int32_t x3 = f.cmp_str("S", CmpOp::lt, std::string("n\0ul\xff", 5));
  const int32_t x4 = f.in_str("K", {"", "a,b", "\"q\""});
  const int32_t x5 = f.is_na("V");
  // One node per statement (argument order is unspecified): the same bytes from every compiler.
  const int32_t n2 = f.not_(x2);
  const int32_t left = f.and_(x1, n2);
  const int32_t x45 = f.and_(x4, x5);
  const int32_t right = f.or_(x3, x45);
  f.or_(left, right);
  CHECK(query_problem(q) == nullptr, "the wire test's query is valid");
  Plan plan;
  CHECK(!make_plan({a, b}, q, 5, plan), "plan two files");
  const std::string bytes = serialize_plan(plan);
  Plan back;
  bool read = false;
  try {
    back = deserialize_plan(bytes.data(), bytes.size());
    read = true;
  } catch (const std::exception& e) {
    CHECK(false, std::string("deserialize_plan: ") + e.what());
  }
  CHECK(read && same_query(plan.query, back.query), "the query survives the wire");
  bool files_same = read && back.files.size() == plan.files.size() && back.tasks.size() == plan.tasks.size() &&
                    back.total_bytes == plan.total_bytes;
  for (std::size_t i = 0; files_same && i < plan.files.size(); ++i) {
    const FilePlan &x = plan.files[i], &y = back.files[i];
    files_same = x.path == y.path && x.name == y.name && x.member == y.member && x.format == y.format &&
                 x.size == y.size && x.data_begin == y.data_begin && x.ncols == y.ncols && x.cols == y.cols &&
                 x.sep == y.sep && x.eol == y.eol;
  }
  for (std::size_t i = 0; files_same && i < plan.tasks.size(); ++i) {
    const TaskSpec &x = plan.tasks[i], &y = back.tasks[i];
    files_same = x.file == y.file && x.begin == y.begin && x.end == y.end && x.first == y.first && x.last == y.last;
  }
  CHECK(files_same, "files and tasks survive the wire");
  CHECK(read && serialize_plan(back) == bytes, "serialize(deserialize(x)) == x");

  // Every truncation throws std::runtime_error; any damaged byte either
  // reads or throws it, never anything else.
  int truncations = 0, other = 0, flips = 0, refused = 0;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const int r = outcome([&] { deserialize_plan(bytes.data(), n); });
    truncations += r == 1;
    other += r == 2;
  }
  CHECK(truncations == static_cast<int>(bytes.size()) && other == 0,
        "every truncated plan throws std::runtime_error: " + std::to_string(truncations) + " of " +
            std::to_string(bytes.size()) + ", other exceptions " + std::to_string(other));
  std::mt19937_64 rng(9);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned x : {0x01u, 0x80u, 0xFFu, static_cast<unsigned>(1 + rng() % 255)}) {
      std::string d = bytes;
      d[i] = static_cast<char>(d[i] ^ x);
      const int r = outcome([&] {
        Plan p = deserialize_plan(d.data(), d.size());
        // What is read must be a query the engine can run.
        if (const char* why = query_problem(p.query)) throw std::logic_error(why);
      });
      ++flips;
      refused += r == 1;
      if (r == 2) {
        ++other;
        CHECK(false, "byte " + std::to_string(i) + " ^ " + std::to_string(x) + ": not a std::runtime_error");
      }
    }
  }
  g_stats += "damaged plans: " + std::to_string(refused) + " of " + std::to_string(flips) + " refused; ";
  CHECK(other == 0, "damaged plans: " + std::to_string(refused) + " of " + std::to_string(flips) +
                        " refused with std::runtime_error, none otherwise");
  // Trailing bytes and a wrong magic.
  CHECK(outcome([&] { deserialize_plan((bytes + "x").data(), bytes.size() + 1); }) == 1, "trailing bytes refused");
  std::string magic = bytes;
  magic[0] ^= 1;
  CHECK(outcome([&] { deserialize_plan(magic.data(), magic.size()); }) == 1, "a wrong magic is refused");

  // Regression (fixed with these tests): filter constants are read as they come, so a
  // damaged plan can carry a decimal parse_decimal() never makes (an exponent
  // of 2^31 - 1, digits that are not digits), and comparing with it is
  // signed overflow (compare_magnitude: digits + exp10) or a 2^31-step loop.
  {
    Plan odd = plan;
    Decimal& d = odd.query.filter[static_cast<std::size_t>(x1)].nums[0];
    d.exp10 = std::numeric_limits<int32_t>::max();
    const std::string s = serialize_plan(odd);
    CHECK(outcome([&] { deserialize_plan(s.data(), s.size()); }) == 1,
          "regression: deserialize_plan accepts a filter constant with exponent 2^31 - 1");
    Plan odd2 = plan;
    Decimal& e = odd2.query.filter[static_cast<std::size_t>(x2)].nums[0];
    e.digits = "12x";
    const std::string s2 = serialize_plan(odd2);
    CHECK(outcome([&] { deserialize_plan(s2.data(), s2.size()); }) == 1,
          "regression: deserialize_plan accepts a big filter constant whose digits are \"12x\"");
  }

  // The plan read back runs to the same answer.
  for (int threads : {1, 2}) {
    CoreError e1, e2;
    std::string s1, s2;
    const auto digest = [](const parairline::Summary& s) {
      std::string d;
      for (std::size_t i = 0; i < s.size(); ++i) d += std::to_string(s.n[i]) + "/" + dbl(s.acc[i * 2].sum.to_double()) + " ";
      return d;
    };
    run_query({a, b}, plan.query, 5, threads, e1, [&](const parairline::Summary& s, const Plan&) { s1 = digest(s); });
    run_query({a, b}, back.query, 5, threads, e2, [&](const parairline::Summary& s, const Plan&) { s2 = digest(s); });
    CHECK(!e1 && !e2 && s1 == s2 && !s1.empty(), "the deserialized query gives the same summary: " + s1 + " vs " + s2);
  }
}

void test_partial_wire() {
  PartialResult p(3, 2, true);
  p.key_types() = {static_cast<uint8_t>(KeyType::integer), static_cast<uint8_t>(KeyType::text)};
  const char* values[] = {"1.25", "-0", "1e300", "123456789012345678901234567890123456789012345", "-7.5", "0.1", "2.5e-30"};
  std::mt19937_64 rng(3);
  for (int g = 0; g < 40; ++g) {
    std::string key = std::to_string(g % 13) + std::string(1, '\0') + (g % 3 ? "k" + std::to_string(g) : "");
    const std::size_t i = p.find_or_insert(key);
    p.n(i) += 1 + static_cast<int64_t>(rng() % 1000);
    for (uint32_t v = 0; v < 3; ++v) {
      ValueAcc& a = p.acc(i, v);
      a.missing += static_cast<int64_t>(rng() % 5);
      const char* t = values[rng() % (sizeof values / sizeof *values)];
      a.sum.add(dec(t));
      if (v != 1) {
        const double x = std::strtod(t, nullptr);
        p.extremes(i, v).min = std::min(p.extremes(i, v).min, x);
        p.extremes(i, v).max = std::max(p.extremes(i, v).max, x);
      }
    }
  }
  std::string bytes;
  p.serialize(bytes);
  wire::Reader in(bytes.data(), bytes.data() + bytes.size());
  PartialResult back = PartialResult::deserialize(in);
  bool same = in.done() && back.size() == p.size() && back.nvalues() == 3 && back.key_types() == p.key_types();
  for (std::size_t g = 0; same && g < p.size(); ++g) {
    same = back.key(g) == p.key(g) && back.n(g) == p.n(g) && back.hash(g) == p.hash(g);
    for (uint32_t v = 0; same && v < 3; ++v) {
      const ValueAcc &x = p.acc(g, v), &y = back.acc(g, v);
      const Extremes &xe = p.extremes(g, v), &ye = back.extremes(g, v);
      same = back.has_extremes() && x.missing == y.missing && same_bits(xe.min, ye.min) && same_bits(xe.max, ye.max) &&
             x.sum.same_value(y.sum) && x.sum.is_big() == y.sum.is_big() &&
             same_bits(x.sum.to_double(), y.sum.to_double());
    }
  }
  CHECK(same, "a partial with 3 values and 2 key types survives the wire");
  int truncations = 0, other = 0;
  for (std::size_t n = 0; n < bytes.size(); n += 1 + n / 64) {
    wire::Reader r(bytes.data(), bytes.data() + n);
    const int o = outcome([&] { PartialResult::deserialize(r); });
    truncations += o == 1;
    other += o != 1;
  }
  CHECK(other == 0, "every truncated partial throws std::runtime_error (" + std::to_string(truncations) + " tried)");
  // Merging the copy doubles everything exactly; key types stay the widest.
  PartialResult wider(3, 2);
  wider.key_types() = {static_cast<uint8_t>(KeyType::real), static_cast<uint8_t>(KeyType::none)};
  wider.merge(back);
  wider.merge(p);
  CHECK(wider.key_types() == std::vector<uint8_t>({2, 3}) && wider.size() == p.size() && wider.n(0) == 2 * p.n(0),
        "merge keeps the widest key types and adds the groups");
  // A partial without groups still carries its key types through the reducer's total.
  PartitionedTotal total(3, 2);
  PartialResult empty(3, 2);
  empty.key_types() = {static_cast<uint8_t>(KeyType::text), static_cast<uint8_t>(KeyType::integer)};
  total.merge(empty);
  total.merge(p);
  CHECK(total.key_types() == std::vector<uint8_t>({3, 3}) && total.size() == p.size(),
        "PartitionedTotal keeps the key types of a partial with no group");
}

// ---------------------------------------------------------------------------
// 5. summarise_groups() directly.

FilePlan named(const std::string& name) {
  FilePlan f;
  f.name = name;
  return f;
}

Query key_query(const std::vector<std::string>& keys, uint32_t nvalues = 1) {
  Query q;
  q.keys = keys;
  for (uint32_t v = 0; v < nvalues; ++v) q.values.push_back(ValueSpec{"v" + std::to_string(v), true, true});
  q.index_columns();
  return q;
}

std::string join_key(const std::vector<std::string>& fields) {
  std::string k;
  for (std::size_t i = 0; i < fields.size(); ++i) k += (i ? std::string(1, '\0') : "") + fields[i];
  return k;
}

// Adds a group to p (and its reference twin): `n` rows, value `v` summed,
// min and max `v`.
void add_group(PartialResult& p, std::vector<std::vector<std::string>>& texts, std::vector<ref::Agg>& aggs,
               const std::vector<std::string>& fields, int64_t n, const std::string& v) {
  const std::size_t g = p.find_or_insert(join_key(fields));
  p.n(g) += n;
  p.keep_extremes();
  p.acc(g, 0).sum.add(dec(v));
  const double x = std::strtod(v.c_str(), nullptr);
  p.extremes(g, 0).min = std::min(p.extremes(g, 0).min, x);
  p.extremes(g, 0).max = std::max(p.extremes(g, 0).max, x);
  texts.push_back(fields);
  ref::Agg r;
  r.n = n;
  r.acc.resize(1);
  ref::read_num(v, r.acc[0].sum);
  r.acc[0].min = r.acc[0].max = x;
  aggs.push_back(r);
}

void test_summarise_groups() {
  using T = ref::T;
  // "01", "1" and "+1" are one integer group, in whichever partials they are.
  {
    std::vector<PartialResult> parts(3, PartialResult(1, 1));
    std::vector<std::vector<std::string>> texts;
    std::vector<ref::Agg> aggs;
    add_group(parts[0], texts, aggs, {"01"}, 2, "1.5");
    add_group(parts[1], texts, aggs, {"1"}, 3, "2.25");
    add_group(parts[2], texts, aggs, {"+1"}, 4, "-10");
    add_group(parts[2], texts, aggs, {"-0"}, 1, "7");
    add_group(parts[0], texts, aggs, {"0"}, 1, "8");
    const parairline::Summary s = summarise_groups(parts, {0}, key_query({"k"}), {});
    const bool ok = s.size() == 2 && s.keys[0].type == KeyType::integer && s.keys[0].ints == parairline::BigArray<int32_t>({0, 1}) &&
                    s.n == parairline::BigArray<int64_t>({2, 9}) && s.acc[1].sum.to_double() == -6.25 &&
                    s.acc.min(1) == -10 && s.acc.max(1) == 2.25 && s.acc[0].sum.to_double() == 15;
    CHECK(ok, "\"01\", \"1\" and \"+1\" are one integer group, -0 and 0 another");
    CHECK(ref::compare(s, ref::group(texts, aggs, {T::none}, {false}), key_query({"k"}).values).empty(),
          "the merged groups agree with the reference");
  }
  // Integer in the kept rows, text in a dropped row: text, compared as bytes.
  {
    PartialResult p(1, 2);
    std::vector<std::vector<std::string>> texts;
    std::vector<ref::Agg> aggs;
    add_group(p, texts, aggs, {"10", "1"}, 1, "1");
    add_group(p, texts, aggs, {"9", "01"}, 1, "2");
    add_group(p, texts, aggs, {"010", "1"}, 1, "4");
    p.key_types() = {static_cast<uint8_t>(KeyType::text), static_cast<uint8_t>(KeyType::real)};
    const Query q = key_query({"a", "b"});
    const std::vector<PartialResult> parts = {p};  // the summary's texts view into these
    const parairline::Summary s = summarise_groups(parts, p.key_types(), q, {});
    CHECK(s.keys[0].type == KeyType::text && s.keys[1].type == KeyType::real && s.size() == 3 &&
              s.keys[0].text(0) == "010" && s.keys[0].text(1) == "10" && s.keys[0].text(2) == "9",
          "a dropped row's text makes the column text (\"010\" < \"10\" < \"9\"), its real the other real");
    const std::string d = ref::compare(s, ref::group(texts, aggs, {T::text, T::real}, {false, false}), q.values);
    CHECK(d.empty(), "dropped rows' key types: " + d);
  }
  // All missing: text, one group for "" and "NA".
  {
    PartialResult p(1, 1);
    std::vector<std::vector<std::string>> texts;
    std::vector<ref::Agg> aggs;
    add_group(p, texts, aggs, {""}, 2, "1");
    add_group(p, texts, aggs, {"NA"}, 3, "2");
    const std::vector<PartialResult> parts = {p};
    const parairline::Summary s = summarise_groups(parts, {0}, key_query({"k"}), {});
    CHECK(s.size() == 1 && s.keys[0].type == KeyType::text && s.keys[0].missing[0] && s.n[0] == 5,
          "an all-missing key column is text, \"\" and NA one group");
  }
  // .file keys name the files; text order of the names, not the indices.
  {
    PartialResult p(1, 2);
    std::vector<std::vector<std::string>> texts;
    std::vector<ref::Agg> aggs;
    const std::vector<FilePlan> files = {named("b/z.csv"), named("a.zip:m.csv"), named("b/y.csv")};
    for (int f = 0; f < 3; ++f) {
      for (const char* k : {"2", "10", "NA"}) {
        const std::size_t g = p.find_or_insert(join_key({std::to_string(f), k}));
        p.n(g) = f + 1;
        texts.push_back({files[static_cast<std::size_t>(f)].name, k});
        ref::Agg a;
        a.n = f + 1;
        a.acc.resize(1);
        aggs.push_back(a);
      }
    }
    // Rows that would type the .file key are ignored: it is always text.
    p.key_types() = {static_cast<uint8_t>(KeyType::integer), static_cast<uint8_t>(KeyType::none)};
    const Query q = key_query({".file", "k"});
    const std::vector<PartialResult> parts = {p};
    const parairline::Summary s = summarise_groups(parts, p.key_types(), q, files);
    const std::string d = ref::compare(s, ref::group(texts, aggs, {T::none, T::none}, {true, false}), q.values);
    CHECK(d.empty() && s.keys[0].text(0) == "a.zip:m.csv" && s.keys[1].ints[0] == 2 && s.keys[1].missing[2],
          ".file keys are the files' names, sorted as text: " + d);
  }
  // Sort order per type, missing last.
  {
    const struct {
      std::vector<std::string> keys;
      KeyType type;
      std::string order;  // the keys' texts in the expected order, NA last
    } cases[] = {
        {{"3", "NA", "-1", "", "0", "2147483647", "-2147483647"}, KeyType::integer, "-2147483647 -1 0 3 2147483647 NA "},
        {{"2.5", "NA", "-1e3", "0", "-0.5", "1e300", "3"}, KeyType::real, "-1000 -0.5 0 2.5 3 1.0000000000000001e+300 NA "},
        {{"b", "", "B", "a", "\xC3\xA9", "ab", "A"}, KeyType::text, "A B a ab b \xC3\xA9 NA "},
        {{"10", "9", "x", "NA", "09"}, KeyType::text, "09 10 9 x NA "},
    };
    for (const auto& c : cases) {
      PartialResult p(1, 1);
      for (const auto& k : c.keys) p.n(p.find_or_insert(k)) = 1;
      const std::vector<PartialResult> parts = {p};
    const parairline::Summary s = summarise_groups(parts, {0}, key_query({"k"}), {});
      std::string order;
      for (std::size_t i = 0; i < s.size(); ++i) {
        const KeyColumn& k = s.keys[0];
        if (k.missing[i]) {
          order += "NA ";
        } else if (k.type == KeyType::integer) {
          order += std::to_string(k.ints[i]) + " ";
        } else if (k.type == KeyType::real) {
          order += dbl(k.reals[i]) + " ";
        } else {
          order += std::string(k.text(i)) + " ";
        }
      }
      CHECK(s.keys[0].type == c.type && order == c.order, "sort order: " + show(order) + ", want " + show(c.order));
    }
  }
  // More than 64 bits of ranks: the comparator path, with merges, against the reference.
  for (int round = 0; round < 3; ++round) {
    std::mt19937_64 rng(100 + static_cast<unsigned>(round));
    const std::size_t nk = 10;
    std::vector<T> types = {T::none, T::none, T::none, T::none, T::none, T::none, T::none, T::none, T::none, T::none};
    std::vector<std::string> names;
    for (std::size_t k = 0; k < nk; ++k) names.push_back("k" + std::to_string(k));
    std::vector<PartialResult> parts(4, PartialResult(1, static_cast<uint32_t>(nk)));
    std::vector<std::vector<std::string>> texts;
    std::vector<ref::Agg> aggs;
    for (int g = 0; g < 700; ++g) {
      std::vector<std::string> fields;
      const bool copy = g > 0 && rng() % 5 == 0;
      if (copy) {
        // An earlier group's keys written differently ("7" as "07", "0.25" as
        // "0.250"): the same typed keys, merged.
        fields = texts[rng() % texts.size()];
        for (std::size_t k = 0; k < nk; ++k) {
          if (ref::missing(fields[k])) continue;
          if (k % 3 == 0) fields[k] = "0" + fields[k];
          if (k % 3 == 1) fields[k] += "0";
        }
      }
      for (std::size_t k = 0; !copy && k < nk; ++k) {
        // Few distinct values in the first columns (ties), 200+ in the others.
        const uint64_t r = k < 2 ? rng() % 3 : rng() % 260;
        std::string f;
        switch (k % 3) {
          case 0: f = r % 50 == 0 ? "NA" : (r % 2 ? "0" : "") + std::to_string(r); break;  // integers, "07" = "7"
          case 1: f = r % 40 == 0 ? "" : std::to_string(static_cast<double>(r) / 4); break;  // reals
          default: f = "t" + std::to_string(r); break;                                        // text
        }
        fields.push_back(f);
      }
      PartialResult& p = parts[rng() % parts.size()];
      const int64_t n = 1 + static_cast<int64_t>(rng() % 9);
      add_group(p, texts, aggs, fields, n, std::to_string(static_cast<int>(rng() % 2001) - 1000) + ".5");
    }
    const Query q = key_query(names);
    const parairline::Summary s = summarise_groups(parts, std::vector<uint8_t>(nk, 0), q, {});
    const ref::Summary want = ref::group(texts, aggs, types, std::vector<bool>(nk, false));
    // The packed width each column needs (ranks up to its distinct count).
    unsigned bits = 0;
    for (std::size_t k = 0; k < nk; ++k) {
      std::map<std::vector<ref::Key>, int, ref::KeyLess> seen(ref::KeyLess{{want.types[k]}});
      for (const auto& row : want.keys) seen[{row[k]}] = 1;
      unsigned w = 1;
      while ((uint64_t{1} << w) <= seen.size()) ++w;
      bits += w;
    }
    CHECK(bits > 64, "the case needs more than 64 bits of ranks: " + std::to_string(bits));
    const std::string d = ref::compare(s, want, q.values);
    CHECK(d.empty() && want.keys.size() < texts.size(),
          "more than 64 bits of ranks sorts and merges like the reference (" + std::to_string(texts.size()) + " -> " +
              std::to_string(want.keys.size()) + " groups): " + d);
  }
}

// Millions of groups take other paths: a task's table sealed and a new one
// started (kSealGroups), and the summary's loops and sorts on threads.
void test_many_groups() {
  // A summary of 150,000 groups on 2 threads is the reference's, and the
  // same as on one thread.
  {
    std::mt19937_64 rng(11);
    std::vector<PartialResult> parts(3, PartialResult(1, 2));
    std::vector<std::vector<std::string>> texts;
    std::vector<ref::Agg> aggs;
    for (int i = 0; i < 150000; ++i) {
      // Integers written two ways ("7", "007"): typing merges groups.
      const int id = static_cast<int>(rng() % 60000);
      const std::string a = (rng() % 4 == 0 ? "00" : "") + std::to_string(id);
      const std::string b = "T" + std::to_string(rng() % 700);
      PartialResult& p = parts[rng() % parts.size()];
      const int64_t n = 1 + static_cast<int64_t>(rng() % 5);
      add_group(p, texts, aggs, {a, b}, n, std::to_string(static_cast<int>(rng() % 2001) - 1000) + ".25");
    }
    const Query q = key_query({"a", "b"});
    const ref::Summary want = ref::group(texts, aggs, {ref::T::none, ref::T::none}, {false, false});
    const parairline::Summary one = summarise_groups(parts, {0, 0}, q, {}, 1);
    const parairline::Summary two = summarise_groups(parts, {0, 0}, q, {}, 2);
    const std::string d = ref::compare(two, want, q.values);
    CHECK(d.empty() && want.keys.size() < texts.size(),
          "150,000 groups summarised on 2 threads agree with the reference (" + std::to_string(texts.size()) +
              " -> " + std::to_string(want.keys.size()) + " groups): " + d);
    bool same = one.size() == two.size() && one.n == two.n && one.keys[0].ints == two.keys[0].ints &&
                one.keys[1].dict == two.keys[1].dict && one.keys[1].text_rank == two.keys[1].text_rank;
    for (std::size_t i = 0; same && i < one.acc.size(); ++i) {
      same = one.acc[i].sum.same_value(two.acc[i].sum) && one.acc.min(i) == two.acc.min(i) &&
             one.acc.max(i) == two.acc.max(i);
    }
    CHECK(same, "1 and 2 threads give the same summary of 150,000 groups");
  }
  // One task with 50,000 keys (more than a table holds before it is sealed):
  // every key counted once, serially, on 2 threads and through wire frames.
  {
    std::string csv = "k,v\n";
    const int nkeys = 50000;
    for (int i = 0; i < 2 * nkeys; ++i) {
      const int k = (i * 7919) % nkeys;  // each key twice, spread out
      csv += "K" + std::to_string(k) + "," + std::to_string(k) + ".5\n";
    }
    const std::string path = write_file("many-keys.csv", csv);
    Query q;
    q.keys = {"k"};
    q.values.push_back(ValueSpec{"v", true, true});
    q.index_columns();
    for (int threads : {1, 2, 0}) {
      CoreError err;
      bool ok = false;
      run_query({path}, q, uint64_t{1} << 30, threads, err, [&](const parairline::Summary& s, const Plan&) {
        ok = s.size() == static_cast<std::size_t>(nkeys);
        for (std::size_t r = 0; ok && r < s.size(); ++r) {
          const int k = std::atoi(std::string(s.keys[0].text(r).substr(1)).c_str());
          ok = s.n[r] == 2 && s.acc[r].sum.to_double() == 2 * (k + 0.5) && s.acc.min(r) == k + 0.5 &&
               s.acc.max(r) == k + 0.5;
        }
      });
      CHECK(!err && ok, "50,000 keys in one task, threads " + std::to_string(threads) + ": each counted twice " +
                            (err ? err.message : std::string()));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  const TempDir dir("parairline-summary");
  tmp_dir = dir.path();
  const int cases = argc > 1 ? std::atoi(argv[1]) : 200;
  test_compare_decimal();
  test_decimal_to_double();
  test_classify_key();
  test_filter_ops();
  test_filter_files();
  test_short_keys();
  test_dialect_files();
  test_plan_wire();
  test_partial_wire();
  test_summarise_groups();
  test_many_groups();
  RandomStats st;
  test_random_files(cases, st);
  // Rows longer than a read: fields begun or ended before the buffer slides.
  test_random_files(cases / 5, st, 20000, 7);
  std::printf("%srandom files: %d cases (%d end in an error, %d in another dialect), %d runs, %d groups in the "
              "references, %d bad rows written (%d skipped in the first files)\n",
              g_stats.c_str(), st.cases, st.errors, st.dialects, st.runs, st.groups, st.bad_written, st.bad_found);
  return report();
}
