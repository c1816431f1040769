// Glue of summaries: the query from R's engine_query() list into the
// engine's Query, and a run's Summary into R vectors. Shared by the tbb,
// fork and future glue.
#pragma once

#include <Rcpp.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "core/query.h"
#include "core/reducer.h"
#include "core/summary.h"
#include "r_glue.h"

namespace parairline {

inline CmpOp cmp_from_r(const std::string& s) {
  if (s == "==") return CmpOp::eq;
  if (s == "!=") return CmpOp::ne;
  if (s == "<") return CmpOp::lt;
  if (s == "<=") return CmpOp::le;
  if (s == ">") return CmpOp::gt;
  if (s == ">=") return CmpOp::ge;
  throw std::invalid_argument("unknown comparison " + s);
}

inline FilterOp op_from_r(const std::string& s) {
  static const char* names[] = {"cmp_num", "cmp_str", "in_num", "in_str", "is_na", "not", "and", "or"};
  for (int i = 0; i < 8; ++i) {
    if (s == names[i]) return static_cast<FilterOp>(i);
  }
  throw std::invalid_argument("unknown filter operation " + s);
}

// One byte of a dialect string ("" is 0: none, or sep = "auto").
inline char dialect_byte(const Rcpp::List& d, const char* name) {
  const std::string s = Rcpp::as<std::string>(d[name]);
  if (s.empty() || (s == "auto" && std::string(name) == "sep")) return 0;
  if (s.size() != 1) throw std::invalid_argument(std::string("dialect ") + name);
  return s[0];
}

// The dialect list R built (csv_dialect() in R/dialect.R).
inline Dialect dialect_from_r(const Rcpp::List& d) {
  Dialect out;
  out.sep = dialect_byte(d, "sep");
  out.quote = dialect_byte(d, "quote");
  out.dec = dialect_byte(d, "dec");
  const double skip = Rcpp::as<double>(d["skip"]);
  if (!(skip >= 0 && skip < 9e15)) throw std::invalid_argument("dialect skip");
  out.skip = static_cast<uint64_t>(skip);
  out.skip_to = Rcpp::as<std::string>(d["skip_to"]);
  out.na = NaSet(Rcpp::as<std::vector<std::string>>(d["na_strings"]));
  out.skip_bad_rows = Rcpp::as<std::string>(d["bad_rows"]) == "skip";
  if (const char* why = dialect_problem(out)) throw std::invalid_argument(why);
  return out;
}

// The query R built (engine_query() in R/summary-engine.R). Throws
// std::invalid_argument if it is malformed: a bug on the R side.
inline Query query_from_r(const Rcpp::List& r) {
  Query q;
  if (r.containsElementNamed("dialect")) q.dialect = dialect_from_r(Rcpp::List(r["dialect"]));
  q.keys = Rcpp::as<std::vector<std::string>>(r["keys"]);
  Rcpp::List values = r["values"];
  const std::vector<std::string> names = Rcpp::as<std::vector<std::string>>(values["name"]);
  const std::vector<bool> numbers = Rcpp::as<std::vector<bool>>(values["numbers"]);
  const std::vector<bool> minmax = Rcpp::as<std::vector<bool>>(values["minmax"]);
  if (numbers.size() != names.size() || minmax.size() != names.size()) throw std::invalid_argument("values");
  for (std::size_t i = 0; i < names.size(); ++i) q.values.push_back(ValueSpec{names[i], numbers[i], minmax[i]});
  q.index_columns();
  Rcpp::List aggs = r["aggs"];
  const std::vector<std::string> funs = Rcpp::as<std::vector<std::string>>(aggs["fun"]);
  const std::vector<int> agg_values = Rcpp::as<std::vector<int>>(aggs["value"]);
  const std::vector<bool> na_rm = Rcpp::as<std::vector<bool>>(aggs["na_rm"]);
  if (agg_values.size() != funs.size() || na_rm.size() != funs.size()) throw std::invalid_argument("aggs");
  for (std::size_t i = 0; i < funs.size(); ++i) {
    static const char* names[] = {"n", "nmiss", "sum", "mean", "min", "max"};
    int fun = 0;
    while (fun < 6 && funs[i] != names[fun]) ++fun;
    if (fun == 6) throw std::invalid_argument("unknown aggregate " + funs[i]);
    q.aggregates.push_back(Aggregate{static_cast<AggregateFun>(fun), agg_values[i], na_rm[i]});
  }
  Rcpp::List filter = r["filter"];
  for (R_xlen_t i = 0; i < filter.size(); ++i) {
    Rcpp::List node = filter[i];
    FilterNode n;
    n.op = op_from_r(Rcpp::as<std::string>(node["op"]));
    n.cmp = cmp_from_r(Rcpp::as<std::string>(node["cmp"]));
    const std::string col = Rcpp::as<std::string>(node["col"]);
    if (!col.empty()) n.col = q.column(col);
    n.a = Rcpp::as<int>(node["a"]);
    n.b = Rcpp::as<int>(node["b"]);
    for (const std::string& text : Rcpp::as<std::vector<std::string>>(node["nums"])) {
      Decimal d;
      if (parse_decimal(text.data(), text.data() + text.size(), d, '.') != ParseStatus::ok) {
        throw std::invalid_argument("the constant " + text + " is not a decimal number");
      }
      n.nums.push_back(d);
    }
    n.strs = Rcpp::as<std::vector<std::string>>(node["strs"]);
    q.filter.push_back(std::move(n));
  }
  if (const char* why = query_problem(q)) throw std::invalid_argument(why);
  return q;
}

// A number key column as R's vector, `na` where missing, filled on the run's
// threads as the value columns are: a vector of millions is mostly fresh
// pages, each a fault. (`na` is read here: the threads touch nothing of R's.)
template <int RTYPE, class T>
Rcpp::Vector<RTYPE> number_key(const BigArray<T>& values, const BigArray<uint8_t>& missing, T na, int threads) {
  Rcpp::Vector<RTYPE> v(Rcpp::no_init(static_cast<R_xlen_t>(values.size())));
  T* const to = v.begin();
  on_rows(threads, values.size(), [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) to[i] = missing[i] ? na : values[i];
  });
  return v;
}

// Counts as R's integers, as dplyr's n() and data.table's .N give them,
// unless one is beyond them. `bound` is at least every count (a group's
// rows bound its missing values): only beyond R's integers are they looked
// at one by one, a cache miss each for millions of groups.
template <class Count>
SEXP count_column(std::size_t n, Count count, int64_t bound, int threads) {
  int64_t most = bound;
  if (most > std::numeric_limits<int>::max()) {
    most = 0;
    for (std::size_t i = 0; i < n; ++i) most = std::max(most, count(i));
  }
  if (most <= std::numeric_limits<int>::max()) {
    Rcpp::IntegerVector v(Rcpp::no_init(static_cast<R_xlen_t>(n)));
    int* const to = v.begin();
    on_rows(threads, n, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) to[i] = static_cast<int>(count(i));
    });
    return v;
  }
  Rcpp::NumericVector v(Rcpp::no_init(static_cast<R_xlen_t>(n)));
  double* const to = v.begin();
  on_rows(threads, n, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) to[i] = static_cast<double>(count(i));
  });
  return v;
}

// The engine's result: list(keys = <list of typed vectors>, columns = <one
// vector per aggregate of q>). Filled on the run's threads (millions of
// groups, each a cache miss; each fresh page of R's vectors a fault), R's
// vectors made here first.
inline Rcpp::List summary_list(const Summary& s, const Query& q, int threads) {
  const std::size_t n = s.size();
  Rcpp::List keys(s.keys.size());
  for (std::size_t k = 0; k < s.keys.size(); ++k) {
    const KeyColumn& c = s.keys[k];
    if (c.type == KeyType::integer) {
      keys[k] = number_key<INTSXP>(c.ints, c.missing, NA_INTEGER, threads);
    } else if (c.type == KeyType::real) {
      keys[k] = number_key<REALSXP>(c.reals, c.missing, NA_REAL, threads);
    } else {
      Rcpp::CharacterVector v(static_cast<R_xlen_t>(n));
      // One CHARSXP per distinct text (by rank), reused: a many-group summary
      // repeats each tail number or date thousands of times. Each is held by
      // `v` from its first use on.
      std::vector<SEXP> made(c.dict.size(), nullptr);
      std::string tmp;
      for (std::size_t i = 0; i < n; ++i) {
        if (c.missing[i]) {
          SET_STRING_ELT(v, static_cast<R_xlen_t>(i), NA_STRING);
          continue;
        }
        SEXP& m = made[c.text_rank[i]];
        if (!m) {
          const std::string_view text = c.dict[c.text_rank[i]];
          tmp.assign(text.data(), text.size());
          m = Rf_mkCharLenCE(tmp.data(), static_cast<int>(tmp.size()), key_encoding(tmp));
        }
        SET_STRING_ELT(v, static_cast<R_xlen_t>(i), m);
      }
      keys[k] = v;
    }
  }
  const double na = NA_REAL;
  int64_t most_rows = 0;
  for (std::size_t i = 0; i < n; ++i) most_rows = std::max(most_rows, s.n[i]);
  Rcpp::List columns(q.aggregates.size());
  for (std::size_t j = 0; j < q.aggregates.size(); ++j) {
    const Aggregate& a = q.aggregates[j];
    const uint32_t v = static_cast<uint32_t>(std::max(a.value, 0));
    const auto acc = [&](std::size_t i) -> const ValueAcc& { return s.acc[i * s.nvalues + v]; };
    if (a.fun == AggregateFun::n) {
      columns[j] = count_column(n, [&](std::size_t i) { return s.n[i]; }, most_rows, threads);
      continue;
    }
    if (a.fun == AggregateFun::nmiss) {
      columns[j] = count_column(n, [&](std::size_t i) { return acc(i).missing; }, most_rows, threads);
      continue;
    }
    if ((a.fun == AggregateFun::min || a.fun == AggregateFun::max) && n > 0 && !s.acc.has_extremes()) {
      throw std::logic_error("the run kept no minima and maxima");
    }
    Rcpp::NumericVector out(Rcpp::no_init(static_cast<R_xlen_t>(n)));
    double* const to = out.begin();
    on_rows(threads, n, [&](std::size_t b, std::size_t e) {
      constexpr std::size_t kAhead = 16;  // the groups' accumulators lie in hash order
      for (std::size_t i = b; i < e; ++i) {
        if (i + kAhead < e) s.acc.prefetch((i + kAhead) * s.nvalues + v);
        const std::size_t at = i * s.nvalues + v;
        const ValueAcc& x = s.acc[at];
        if (!a.na_rm && x.missing > 0) {  // as base R: NA if the group has a missing value
          to[i] = na;
          continue;
        }
        switch (a.fun) {
          case AggregateFun::sum:
            to[i] = x.sum.to_double();
            break;
          case AggregateFun::mean:  // from the exact sum; 0 / 0 is NaN, as in R
            to[i] = x.sum.to_double() / static_cast<double>(s.n[i] - x.missing);
            break;
          case AggregateFun::min:  // NA, not R's Inf, when there are no values
            to[i] = x.missing < s.n[i] ? s.acc.min(at) : na;
            break;
          default:
            to[i] = x.missing < s.n[i] ? s.acc.max(at) : na;
            break;
        }
      }
    });
    columns[j] = out;
  }
  return Rcpp::List::create(Rcpp::Named("keys") = keys, Rcpp::Named("columns") = columns);
}

// Per file with rows left out: list(file, count, lines = <first few line
// numbers>); and per file its separator. Line numbers are counted here,
// by re-reading up to the last one (Ctrl-C works meanwhile).
struct BadRowReport {
  std::vector<std::string> file;
  std::vector<double> count;
  std::vector<std::vector<double>> lines;
};

inline SEXP locate_bad_rows(const Plan& plan, const ChainReducer& reducer, BadRowReport& out) {
  const std::vector<BadRows>& bad = reducer.bad_rows();
  return run_off_main([&](const std::atomic<bool>& stop) {
    for (std::size_t f = 0; f < bad.size() && f < plan.files.size(); ++f) {
      if (bad[f].count == 0) continue;
      std::vector<uint64_t> lines;
      try {
        lines = lines_at(plan.files[f], bad[f].offsets, stop);
      } catch (const IoFailure&) {
        lines.clear();
      }
      out.file.push_back(plan.files[f].name);
      out.count.push_back(static_cast<double>(bad[f].count));
      out.lines.emplace_back(lines.begin(), lines.end());
    }
  });
}

inline Rcpp::List bad_rows_list(const BadRowReport& r) {
  Rcpp::List lines(r.lines.size());
  for (std::size_t i = 0; i < r.lines.size(); ++i) lines[static_cast<R_xlen_t>(i)] = Rcpp::wrap(r.lines[i]);
  return Rcpp::List::create(Rcpp::Named("file") = r.file, Rcpp::Named("count") = r.count,
                            Rcpp::Named("lines") = lines);
}

inline Rcpp::CharacterVector file_separators(const Plan& plan) {
  Rcpp::CharacterVector out(plan.files.size());
  Rcpp::CharacterVector names(plan.files.size());
  for (std::size_t f = 0; f < plan.files.size(); ++f) {
    out[static_cast<R_xlen_t>(f)] = std::string(1, plan.files[f].sep);
    names[static_cast<R_xlen_t>(f)] = plan.files[f].name;
  }
  out.attr("names") = names;
  return out;
}

// What a finished run returns to R: the first error (located to its line;
// Ctrl-C works meanwhile), else the summary, sorted on `threads` threads.
// `completed` is false if the run ended before every chunk.
inline Rcpp::List reducer_list(const Plan& plan, ChainReducer& reducer, int threads, bool completed = true) {
  if (reducer.has_error()) {
    CoreError e = reducer.error();
    SEXP failed = run_off_main([&](const std::atomic<bool>& stop) { locate_error(plan, e, stop); });
    if (failed != R_NilValue) return failed;
    return error_list(e);
  }
  if (!completed || !reducer.complete()) {
    return error_list("internal", "Not every chunk of the input was summed (a bug in parairline; please report it).");
  }
  BadRowReport bad;
  SEXP failed = locate_bad_rows(plan, reducer, bad);
  if (failed != R_NilValue) return failed;
  Summary s;
  reducer.totals().compact();
  failed = run_off_main([&](const std::atomic<bool>&) {
    s = summarise_groups(reducer.totals().parts(), reducer.totals().key_types(), plan.query, plan.files, threads);
  });
  if (failed != R_NilValue) return failed;
  return protect_r([&] {
    Rcpp::List out = summary_list(s, plan.query, threads);
    out["bad_rows"] = bad_rows_list(bad);
    out["seps"] = file_separators(plan);
    return out;
  });
}

// The query argument of an exported function, or an internal error list.
inline bool read_query(SEXP r, Query& q, Rcpp::List& error) {
  try {
    q = query_from_r(Rcpp::List(r));
    return true;
  } catch (const std::exception& e) {
    error = error_list("internal", std::string("The query R built is malformed (") + e.what() + ").");
    return false;
  }
}

}  // namespace parairline
