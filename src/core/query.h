// The query the engine answers: key columns, value columns and a row filter,
// and the aggregates the summary's columns are made of.
// The R front end translates csv_summarise()'s arguments into one; every
// backend ships the same query with the plan.
//
// The filter follows R's three-valued logic (a comparison with a missing
// value is NA; a row is kept only where the filter is TRUE), and numbers
// compare exactly as decimals, so `CANCELLED == 0` holds for "0.00".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "decimal.h"

namespace parairline {

// The pseudo-column holding each row's file name.
inline constexpr std::string_view kFileKey = ".file";

struct ValueSpec {
  std::string name;
  bool numbers = true;  // parsed (sum, mean, min, max); false: only missing values are counted
  bool minmax = false;  // min or max asked for
};

// One column of the summary R gets back, computed from a group's count and
// one value column's accumulators (value: index into Query::values; -1 for n).
enum class AggregateFun : uint8_t { n, nmiss, sum, mean, min, max };
struct Aggregate {
  AggregateFun fun = AggregateFun::n;
  int32_t value = -1;
  bool na_rm = false;  // else sum, mean, min and max are missing where a value is
};

enum class FilterOp : uint8_t { cmp_num, cmp_str, in_num, in_str, is_na, not_op, and_op, or_op };
enum class CmpOp : uint8_t { eq, ne, lt, le, gt, ge };

struct FilterNode {
  FilterOp op = FilterOp::is_na;
  CmpOp cmp = CmpOp::eq;
  uint32_t col = 0;  // index into Query::columns
  int32_t a = -1, b = -1;  // operands of !, &, |
  std::vector<Decimal> nums;
  std::vector<std::string> strs;
};

// Text that means a missing value by default.
inline bool missing_text(std::string_view v) { return v.empty() || (v.size() == 2 && v[0] == 'N' && v[1] == 'A'); }

// The texts that mean a missing value (na.strings). An empty field is
// missing wherever a number is read, as in fread and read.csv; as text
// (string comparisons, character keys) only if "" is listed.
class NaSet {
 public:
  NaSet() = default;
  explicit NaSet(std::vector<std::string> texts) : texts_(std::move(texts)) {
    standard_ = texts_.size() == 2 && ((texts_[0].empty() && texts_[1] == "NA") || (texts_[0] == "NA" && texts_[1].empty()));
  }
  bool standard() const { return standard_; }
  const std::vector<std::string>& texts() const { return texts_; }
  bool text(std::string_view v) const {
    if (standard_) return missing_text(v);
    for (const std::string& t : texts_) {
      if (v == t) return true;
    }
    return false;
  }
  bool number(std::string_view v) const { return v.empty() || text(v); }

 private:
  std::vector<std::string> texts_{"", "NA"};
  bool standard_ = true;
};

// How the files are written. The separator may differ per file (chosen
// from each file's first lines when `sep` is 0); line ends are per file.
struct Dialect {
  char sep = ',';        // 0: choose among , \t | ; per file
  char quote = '"';      // 0: no quoting
  char dec = '.';
  uint64_t skip = 0;     // lines before the header
  std::string skip_to;   // else: the header is the first line containing this
  NaSet na;
  bool skip_bad_rows = false;  // else a bad row is an error
};

// Why a dialect cannot be read, or null.
inline const char* dialect_problem(const Dialect& d) {
  const auto line_end = [](char c) { return c == '\n' || c == '\r'; };
  if (line_end(d.sep) || line_end(d.quote)) return "a line end as separator or quote";
  if (d.sep != 0 && (d.sep == d.quote || d.sep == d.dec)) return "the separator is the quote or the decimal mark";
  if (d.dec != '.' && d.dec != ',') return "decimal mark";
  if (d.quote != 0 && d.quote == d.dec) return "the quote is the decimal mark";
  return nullptr;
}

struct Query {
  Dialect dialect;
  std::vector<std::string> keys;  // column names, kFileKey allowed
  std::vector<ValueSpec> values;
  std::vector<FilterNode> filter;  // empty: every row; else the root is the last node
  std::vector<Aggregate> aggregates;  // the result's columns after the keys
  // Every data column read, each once: keys (not .file), values, filter columns.
  std::vector<std::string> columns;
  std::vector<int32_t> key_col;    // per key: index into columns, -1 for .file
  std::vector<uint32_t> value_col;  // per value: index into columns

  bool has_filter() const { return !filter.empty(); }
  // Some value's minimum or maximum is asked for (partials keep Extremes).
  bool any_minmax() const {
    for (const ValueSpec& v : values) {
      if (v.minmax) return true;
    }
    return false;
  }

  uint32_t column(const std::string& name) {
    for (uint32_t i = 0; i < columns.size(); ++i) {
      if (columns[i] == name) return i;
    }
    columns.push_back(name);
    return static_cast<uint32_t>(columns.size() - 1);
  }

  // Fills columns, key_col and value_col from keys and values; filter nodes
  // get their `col` from column() as they are built, so call this first.
  void index_columns() {
    key_col.clear();
    value_col.clear();
    for (const std::string& k : keys) key_col.push_back(k == kFileKey ? -1 : static_cast<int32_t>(column(k)));
    for (const ValueSpec& v : values) value_col.push_back(column(v.name));
  }
};

// Why `q` cannot run (its filter's indices out of range, constants missing),
// or null. Nodes refer only to earlier nodes, so the filter has no cycle.
inline const char* query_problem(const Query& q) {
  if (q.keys.empty()) return "no key";
  if (const char* why = dialect_problem(q.dialect)) return why;
  if (q.key_col.size() != q.keys.size() || q.value_col.size() != q.values.size()) return "columns not indexed";
  for (const Aggregate& a : q.aggregates) {
    if (a.fun > AggregateFun::max) return "aggregate";
    if (a.fun == AggregateFun::n) {
      if (a.value != -1) return "aggregate value";
      continue;
    }
    if (a.value < 0 || static_cast<std::size_t>(a.value) >= q.values.size()) return "aggregate value";
    const ValueSpec& v = q.values[static_cast<std::size_t>(a.value)];
    if (a.fun != AggregateFun::nmiss && !v.numbers) return "aggregate of a value not parsed";
    if ((a.fun == AggregateFun::min || a.fun == AggregateFun::max) && !v.minmax) return "aggregate of a value without extremes";
  }
  for (std::size_t i = 0; i < q.filter.size(); ++i) {
    const FilterNode& n = q.filter[i];
    const auto earlier = [&](int32_t j) { return j >= 0 && static_cast<std::size_t>(j) < i; };
    switch (n.op) {
      case FilterOp::and_op:
      case FilterOp::or_op:
        if (!earlier(n.a) || !earlier(n.b)) return "filter operand";
        break;
      case FilterOp::not_op:
        if (!earlier(n.a)) return "filter operand";
        break;
      case FilterOp::cmp_num:
        if (n.nums.size() != 1) return "filter constant";
        break;
      case FilterOp::cmp_str:
        if (n.strs.size() != 1) return "filter constant";
        break;
      case FilterOp::in_num:
      case FilterOp::in_str:
      case FilterOp::is_na:
        break;
    }
    if (n.col >= q.columns.size()) return "filter column";
  }
  return nullptr;
}

// The query of csv_group_sum(): one key, one value, summed.
inline Query sum_query(const std::string& key, const std::string& value) {
  Query q;
  q.keys = {key};
  q.values = {ValueSpec{value, true, false}};
  q.index_columns();
  return q;
}

inline int decimal_digits(u128 m) {
  int d = 0;
  while (m != 0) {
    m /= 10;
    ++d;
  }
  return d;
}

// Significant digits of d, most significant first (value = digits * 10^exp10).
inline std::string decimal_digit_text(const Decimal& d) {
  if (d.big) return d.digits;
  std::string s;
  for (u128 m = d.mant; m != 0; m /= 10) s.push_back(static_cast<char>('0' + static_cast<int>(m % 10)));
  return std::string(s.rbegin(), s.rend());
}

// Compares |a| and |b| exactly; both non-zero.
inline int compare_magnitude(const Decimal& a, const Decimal& b) {
  if (!a.big && !b.big) {
    const int na = decimal_digits(a.mant), nb = decimal_digits(b.mant);
    const int ta = na + a.exp10, tb = nb + b.exp10;
    if (ta != tb) return ta < tb ? -1 : 1;
    // Same magnitude: align the one with fewer digits (it fits: < 10^38).
    u128 x = a.mant, y = b.mant;
    if (a.exp10 > b.exp10) x *= pow10_u128(a.exp10 - b.exp10);
    if (b.exp10 > a.exp10) y *= pow10_u128(b.exp10 - a.exp10);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const std::string da = decimal_digit_text(a), db = decimal_digit_text(b);
  const long ta = static_cast<long>(da.size()) + a.exp10, tb = static_cast<long>(db.size()) + b.exp10;
  if (ta != tb) return ta < tb ? -1 : 1;
  const std::size_t n = std::max(da.size(), db.size());
  for (std::size_t i = 0; i < n; ++i) {
    const char x = i < da.size() ? da[i] : '0', y = i < db.size() ? db[i] : '0';
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

inline bool decimal_is_zero(const Decimal& d) { return !d.big && d.mant == 0; }

// Exact comparison of two parsed decimals: -1, 0 or 1.
inline int compare_decimal(const Decimal& a, const Decimal& b) {
  const int sa = decimal_is_zero(a) ? 0 : a.neg ? -1 : 1;
  const int sb = decimal_is_zero(b) ? 0 : b.neg ? -1 : 1;
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  const int m = compare_magnitude(a, b);
  return sa > 0 ? m : -m;
}

inline bool cmp_holds(CmpOp op, int c) {
  switch (op) {
    case CmpOp::eq: return c == 0;
    case CmpOp::ne: return c != 0;
    case CmpOp::lt: return c < 0;
    case CmpOp::le: return c <= 0;
    case CmpOp::gt: return c > 0;
    case CmpOp::ge: return c >= 0;
  }
  return false;
}

inline int compare_bytes(std::string_view a, std::string_view b) {
  const int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

// Three-valued results of the filter, and a failure (the row's field could
// not be read as the filter needs it; the accessor holds the reason).
enum class Truth : uint8_t { no = 0, yes = 1, na = 2, fail = 3 };

// Evaluates node `i` for one row. `row` gives, per column, the field's text
// (`bool text(uint32_t col, std::string_view&)`, false on a stray quote) and
// its number (`bool number(uint32_t col, std::string_view, const Decimal*&)`,
// null for a missing value, false if not a number).
template <class Row>
Truth eval_filter(const std::vector<FilterNode>& nodes, int32_t i, Row& row, const NaSet& na = NaSet()) {
  const FilterNode& n = nodes[static_cast<std::size_t>(i)];
  switch (n.op) {
    case FilterOp::and_op: {
      const Truth x = eval_filter(nodes, n.a, row, na);
      if (x == Truth::no || x == Truth::fail) return x;
      const Truth y = eval_filter(nodes, n.b, row, na);
      if (y == Truth::no || y == Truth::fail) return y;
      return x == Truth::na || y == Truth::na ? Truth::na : Truth::yes;
    }
    case FilterOp::or_op: {
      const Truth x = eval_filter(nodes, n.a, row, na);
      if (x == Truth::yes || x == Truth::fail) return x;
      const Truth y = eval_filter(nodes, n.b, row, na);
      if (y == Truth::yes || y == Truth::fail) return y;
      return x == Truth::na || y == Truth::na ? Truth::na : Truth::no;
    }
    case FilterOp::not_op: {
      const Truth x = eval_filter(nodes, n.a, row, na);
      return x == Truth::yes ? Truth::no : x == Truth::no ? Truth::yes : x;
    }
    default:
      break;
  }
  std::string_view v;
  if (!row.text(n.col, v)) return Truth::fail;
  if (n.op == FilterOp::is_na) return na.number(v) ? Truth::yes : Truth::no;
  // As in R: NA %in% s is FALSE, a comparison with NA is NA. Text compares
  // with text: "" is missing only if listed.
  const bool text_op = n.op == FilterOp::cmp_str || n.op == FilterOp::in_str;
  if (text_op ? na.text(v) : na.number(v)) return n.op == FilterOp::in_num || n.op == FilterOp::in_str ? Truth::no : Truth::na;
  switch (n.op) {
    case FilterOp::cmp_str: return cmp_holds(n.cmp, compare_bytes(v, n.strs[0])) ? Truth::yes : Truth::no;
    case FilterOp::in_str:
      for (const std::string& s : n.strs) {
        if (v == s) return Truth::yes;
      }
      return Truth::no;
    default:
      break;
  }
  const Decimal* d = nullptr;
  if (!row.number(n.col, v, d)) return Truth::fail;
  if (n.op == FilterOp::cmp_num) return cmp_holds(n.cmp, compare_decimal(*d, n.nums[0])) ? Truth::yes : Truth::no;
  for (const Decimal& c : n.nums) {
    if (compare_decimal(*d, c) == 0) return Truth::yes;
  }
  return Truth::no;
}

}  // namespace parairline
