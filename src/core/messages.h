// What travels in the wire format (wire.h): task results, one frame each,
// from forked and cluster workers, and the plan sent to cluster workers.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "chunk_scan.h"
#include "plan.h"
#include "wire.h"

namespace parairline {

constexpr uint32_t kPlanMagic = 0x5041524C;  // "PARL"

// Appends one frame holding task `task`'s result.
inline void write_frame(std::string& out, uint64_t task, const ChunkResult& r) {
  std::string body;
  wire::put<uint64_t>(body, task);
  wire::put<uint8_t>(body, r.hyp);
  wire::put<uint8_t>(body, r.parity_known);
  wire::put<uint8_t>(body, r.parity);
  wire::put<uint8_t>(body, r.skipped);
  const CoreError& e = r.error;
  wire::put<uint8_t>(body, static_cast<uint8_t>(e.kind));
  wire::put_string(body, e.file);
  wire::put<uint64_t>(body, e.offset);
  wire::put<uint8_t>(body, e.has_offset);
  wire::put<uint64_t>(body, e.line);
  wire::put<int64_t>(body, e.column);
  wire::put_string(body, e.text);
  wire::put_string(body, e.message);
  wire::put<uint64_t>(body, r.bad_rows);
  wire::put<uint64_t>(body, r.bad_offsets.size());
  for (uint64_t o : r.bad_offsets) wire::put<uint64_t>(body, o);
  wire::put<uint64_t>(body, r.sealed.size());
  for (const PartialResult& p : r.sealed) p.serialize(body);
  r.partial.serialize(body);
  wire::append_frame(out, body);
}

// Reads every frame in `bytes`; throws std::runtime_error if any is
// truncated or damaged.
inline std::vector<std::pair<uint64_t, ChunkResult>> read_frames(const char* p, std::size_t n) {
  std::vector<std::pair<uint64_t, ChunkResult>> out;
  wire::Reader in(p, p + n);
  while (!in.done()) {
    wire::Reader b = wire::next_frame(in);
    ChunkResult r;
    const uint64_t task = b.get<uint64_t>();
    r.hyp = b.get<uint8_t>() != 0;
    r.parity_known = b.get<uint8_t>() != 0;
    r.parity = b.get<uint8_t>() != 0;
    r.skipped = b.get<uint8_t>() != 0;
    CoreError& e = r.error;
    const uint8_t kind = b.get<uint8_t>();
    if (kind > 3) throw std::runtime_error("damaged message (error kind)");
    e.kind = static_cast<CoreError::Kind>(kind);
    e.file = b.get_string();
    e.offset = b.get<uint64_t>();
    e.has_offset = b.get<uint8_t>() != 0;
    e.line = b.get<uint64_t>();
    e.column = b.get<int64_t>();
    e.text = b.get_string();
    e.message = b.get_string();
    r.bad_rows = b.get<uint64_t>();
    const uint64_t nb = b.get<uint64_t>();
    if (nb > kBadRowSamples || nb > r.bad_rows) throw std::runtime_error("damaged message (bad rows)");
    for (uint64_t i = 0; i < nb; ++i) r.bad_offsets.push_back(b.get<uint64_t>());
    const uint64_t ns = b.get<uint64_t>();
    if (ns > b.left()) throw std::runtime_error("damaged message (tables)");
    for (uint64_t i = 0; i < ns; ++i) r.sealed.push_back(PartialResult::deserialize(b));
    r.partial = PartialResult::deserialize(b);
    if (!b.done()) throw std::runtime_error("damaged message (trailing bytes)");
    out.emplace_back(task, std::move(r));
  }
  return out;
}

inline void put_decimal(std::string& out, const Decimal& d) {
  wire::put<uint8_t>(out, d.neg);
  wire::put<uint8_t>(out, d.big);
  wire::put<u128>(out, d.mant);
  wire::put<int32_t>(out, d.exp10);
  wire::put_string(out, d.digits);
}

// Reads a decimal put_decimal() wrote; one parse_decimal() could not have
// produced (an exponent out of range, digits that are not) is damage.
inline Decimal get_decimal(wire::Reader& in) {
  Decimal d;
  d.neg = in.get<uint8_t>() != 0;
  d.big = in.get<uint8_t>() != 0;
  d.mant = in.get<u128>();
  d.exp10 = in.get<int32_t>();
  d.digits = in.get_string();
  bool ok = d.exp10 >= -kMaxExp10 && d.exp10 <= kMaxExp10;
  if (d.big) {
    ok = ok && d.digits.size() > 38 && d.digits.size() <= 2 * kMaxExp10 && d.digits[0] != '0';
    for (char c : d.digits) ok = ok && c >= '0' && c <= '9';
  } else {
    ok = ok && d.digits.empty() && d.mant < pow10_u128(38);
  }
  if (!ok) throw std::runtime_error("damaged plan (a constant)");
  return d;
}

inline void put_strings(std::string& out, const std::vector<std::string>& v) {
  wire::put<uint64_t>(out, v.size());
  for (const std::string& s : v) wire::put_string(out, s);
}

inline std::vector<std::string> get_strings(wire::Reader& in) {
  const uint64_t n = in.get<uint64_t>();
  if (n > in.left()) throw std::runtime_error("damaged plan (count)");
  std::vector<std::string> v;
  for (uint64_t i = 0; i < n; ++i) v.push_back(in.get_string());
  return v;
}

inline void serialize_dialect(std::string& out, const Dialect& d) {
  wire::put<uint8_t>(out, static_cast<uint8_t>(d.sep));
  wire::put<uint8_t>(out, static_cast<uint8_t>(d.quote));
  wire::put<uint8_t>(out, static_cast<uint8_t>(d.dec));
  wire::put<uint64_t>(out, d.skip);
  wire::put_string(out, d.skip_to);
  put_strings(out, d.na.texts());
  wire::put<uint8_t>(out, d.skip_bad_rows);
}

inline Dialect deserialize_dialect(wire::Reader& in) {
  Dialect d;
  d.sep = static_cast<char>(in.get<uint8_t>());
  d.quote = static_cast<char>(in.get<uint8_t>());
  d.dec = static_cast<char>(in.get<uint8_t>());
  d.skip = in.get<uint64_t>();
  d.skip_to = in.get_string();
  d.na = NaSet(get_strings(in));
  d.skip_bad_rows = in.get<uint8_t>() != 0;
  return d;
}

inline void serialize_query(std::string& out, const Query& q) {
  serialize_dialect(out, q.dialect);
  put_strings(out, q.keys);
  wire::put<uint64_t>(out, q.values.size());
  for (const ValueSpec& v : q.values) {
    wire::put_string(out, v.name);
    wire::put<uint8_t>(out, v.numbers);
    wire::put<uint8_t>(out, v.minmax);
  }
  wire::put<uint64_t>(out, q.filter.size());
  for (const FilterNode& n : q.filter) {
    wire::put<uint8_t>(out, static_cast<uint8_t>(n.op));
    wire::put<uint8_t>(out, static_cast<uint8_t>(n.cmp));
    wire::put<uint32_t>(out, n.col);
    wire::put<int32_t>(out, n.a);
    wire::put<int32_t>(out, n.b);
    wire::put<uint64_t>(out, n.nums.size());
    for (const Decimal& d : n.nums) put_decimal(out, d);
    put_strings(out, n.strs);
  }
  put_strings(out, q.columns);
  wire::put<uint64_t>(out, q.aggregates.size());
  for (const Aggregate& a : q.aggregates) {
    wire::put<uint8_t>(out, static_cast<uint8_t>(a.fun));
    wire::put<int32_t>(out, a.value);
    wire::put<uint8_t>(out, a.na_rm);
  }
}

// Reads what serialize_query() wrote and checks every index in it.
inline Query deserialize_query(wire::Reader& in) {
  Query q;
  q.dialect = deserialize_dialect(in);
  q.keys = get_strings(in);
  const uint64_t nv = in.get<uint64_t>();
  if (nv > in.left()) throw std::runtime_error("damaged plan (values)");
  for (uint64_t i = 0; i < nv; ++i) {
    ValueSpec v;
    v.name = in.get_string();
    v.numbers = in.get<uint8_t>() != 0;
    v.minmax = in.get<uint8_t>() != 0;
    q.values.push_back(std::move(v));
  }
  const uint64_t nn = in.get<uint64_t>();
  if (nn > in.left()) throw std::runtime_error("damaged plan (filter)");
  for (uint64_t i = 0; i < nn; ++i) {
    FilterNode n;
    const uint8_t op = in.get<uint8_t>(), cmp = in.get<uint8_t>();
    if (op > static_cast<uint8_t>(FilterOp::or_op) || cmp > static_cast<uint8_t>(CmpOp::ge)) {
      throw std::runtime_error("damaged plan (filter op)");
    }
    n.op = static_cast<FilterOp>(op);
    n.cmp = static_cast<CmpOp>(cmp);
    n.col = in.get<uint32_t>();
    n.a = in.get<int32_t>();
    n.b = in.get<int32_t>();
    const uint64_t nd = in.get<uint64_t>();
    if (nd > in.left()) throw std::runtime_error("damaged plan (constants)");
    for (uint64_t j = 0; j < nd; ++j) n.nums.push_back(get_decimal(in));
    n.strs = get_strings(in);
    q.filter.push_back(std::move(n));
  }
  std::vector<std::string> columns = get_strings(in);
  q.index_columns();
  if (columns != q.columns) {
    // Filter-only columns come after the keys' and values'.
    for (std::size_t i = q.columns.size(); i < columns.size(); ++i) q.column(columns[i]);
    if (columns != q.columns) throw std::runtime_error("damaged plan (columns)");
  }
  const uint64_t na = in.get<uint64_t>();
  if (na > in.left()) throw std::runtime_error("damaged plan (aggregates)");
  for (uint64_t i = 0; i < na; ++i) {
    Aggregate a;
    const uint8_t fun = in.get<uint8_t>();
    if (fun > static_cast<uint8_t>(AggregateFun::max)) throw std::runtime_error("damaged plan (aggregate)");
    a.fun = static_cast<AggregateFun>(fun);
    a.value = in.get<int32_t>();
    a.na_rm = in.get<uint8_t>() != 0;
    q.aggregates.push_back(a);
  }
  if (const char* why = query_problem(q)) throw std::runtime_error(std::string("damaged plan (") + why + ")");
  return q;
}

inline std::string serialize_plan(const Plan& plan) {
  std::string out;
  wire::put<uint32_t>(out, kPlanMagic);
  serialize_query(out, plan.query);
  wire::put<uint64_t>(out, plan.files.size());
  for (const FilePlan& f : plan.files) {
    wire::put_string(out, f.path);
    wire::put_string(out, f.member);
    wire::put_string(out, f.name);
    wire::put<uint8_t>(out, static_cast<uint8_t>(f.format));
    wire::put<uint64_t>(out, f.size);
    wire::put<uint64_t>(out, f.data_begin);
    wire::put<uint8_t>(out, static_cast<uint8_t>(f.sep));
    wire::put<uint8_t>(out, static_cast<uint8_t>(f.eol));
    wire::put<uint32_t>(out, f.ncols);
    wire::put<uint64_t>(out, f.cols.size());
    for (uint32_t c : f.cols) wire::put<uint32_t>(out, c);
  }
  wire::put<uint64_t>(out, plan.tasks.size());
  for (const TaskSpec& t : plan.tasks) {
    wire::put<uint32_t>(out, t.file);
    wire::put<uint64_t>(out, t.begin);
    wire::put<uint64_t>(out, t.end);
    wire::put<uint8_t>(out, t.first);
    wire::put<uint8_t>(out, t.last);
  }
  wire::put<uint64_t>(out, plan.total_bytes);
  return out;
}

// Reads what serialize_plan() wrote; throws std::runtime_error if damaged.
inline Plan deserialize_plan(const char* p, std::size_t n) {
  wire::Reader in(p, p + n);
  if (in.get<uint32_t>() != kPlanMagic) throw std::runtime_error("not a parairline plan");
  Plan plan;
  plan.query = deserialize_query(in);
  const uint64_t nf = in.get<uint64_t>();
  for (uint64_t i = 0; i < nf; ++i) {
    FilePlan f;
    f.path = in.get_string();
    f.member = in.get_string();
    f.name = in.get_string();
    const uint8_t format = in.get<uint8_t>();
    if (format > static_cast<uint8_t>(Format::zip)) throw std::runtime_error("damaged plan (format)");
    f.format = static_cast<Format>(format);
    f.size = in.get<uint64_t>();
    f.data_begin = in.get<uint64_t>();
    f.sep = static_cast<char>(in.get<uint8_t>());
    f.eol = static_cast<char>(in.get<uint8_t>());
    if ((f.eol != '\n' && f.eol != '\r') || f.sep == 0 || f.sep == '\n' || f.sep == '\r' || f.sep == plan.query.dialect.quote) {
      throw std::runtime_error("damaged plan (separator or line end)");
    }
    f.ncols = in.get<uint32_t>();
    if (in.get<uint64_t>() != plan.query.columns.size()) throw std::runtime_error("damaged plan (columns)");
    f.cols.resize(plan.query.columns.size());
    for (uint32_t& c : f.cols) {
      c = in.get<uint32_t>();
      if (c >= f.ncols) throw std::runtime_error("damaged plan (column index)");
    }
    for (std::size_t i = 0; i < f.cols.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (f.cols[i] == f.cols[j]) throw std::runtime_error("damaged plan (a field twice)");
      }
    }
    plan.files.push_back(std::move(f));
  }
  const uint64_t nt = in.get<uint64_t>();
  for (uint64_t i = 0; i < nt; ++i) {
    TaskSpec t;
    t.file = in.get<uint32_t>();
    t.begin = in.get<uint64_t>();
    t.end = in.get<uint64_t>();
    t.first = in.get<uint8_t>() != 0;
    t.last = in.get<uint8_t>() != 0;
    if (t.file >= nf) throw std::runtime_error("damaged plan");
    plan.tasks.push_back(t);
  }
  plan.total_bytes = in.get<uint64_t>();
  if (!in.done()) throw std::runtime_error("damaged plan (trailing bytes)");
  return plan;
}

}  // namespace parairline
