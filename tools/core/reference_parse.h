// A deliberately simple, byte-at-a-time parser of a whole file held in
// memory: the reference that the chunked, speculative scanner must agree
// with exactly (results and errors). Used by the unit tests and the fuzzer.
#pragma once

#include <string>
#include <vector>

#include "core/task_loop.h"

namespace parairline {
namespace reference {

struct Outcome {
  PartialResult result;
  CoreError error;
};

// Applies the package's field rules to one record's fields.
inline bool add_record(const FilePlan& fp, const std::vector<std::string>& fields, uint64_t rec_start, Outcome& out) {
  auto fail = [&](std::string msg, int64_t column) {
    out.error.kind = CoreError::Kind::parse;
    out.error.file = fp.path;
    out.error.offset = rec_start;
    out.error.has_offset = true;
    out.error.column = column;
    out.error.message = std::move(msg);
    return false;
  };
  const bool lf = fp.eol == '\n';  // else lines end in a bare CR
  if (fields.size() == 1 && (fields[0].empty() || (lf && fields[0] == "\r"))) return true;  // blank line
  if (fields.size() != fp.ncols) return fail("field count", 0);
  auto unq = [&](std::string f, uint32_t col, std::string& out_field) {
    if (lf && col + 1 == fp.ncols && !f.empty() && f.back() == '\r') f.pop_back();
    std::string tmp;
    bool copied = false;
    if (!unquote_field(f.data(), f.size(), tmp, copied)) return false;
    if (copied) {
      out_field = tmp;
    } else if (f.find('"') != std::string::npos) {
      out_field = f.substr(1, f.size() - 2);
    } else {
      out_field = f;
    }
    return true;
  };
  std::string key, val;
  const uint32_t key_col = fp.cols[0], val_col = fp.cols[1];
  if (!unq(fields[key_col], key_col, key)) return fail("stray quote", key_col + 1);
  // The key is checked before the value is read, as the scanner does since
  // it reads several values per key (a row with both faults names the key).
  bool created = false;
  Group g = out.result.group(out.result.find_or_insert(key, &created));
  if (created && key.find('\0') != std::string::npos) return fail("nul", key_col + 1);
  // The other line end in a key not quoted: the file mixes line ends.
  std::string raw_key = fields[key_col];
  if (lf && key_col + 1 == fp.ncols && !raw_key.empty() && raw_key.back() == '\r') raw_key.pop_back();
  if (created && (raw_key.empty() || raw_key[0] != '"') && raw_key.find(lf ? '\r' : '\n') != std::string::npos) {
    return fail("line end", key_col + 1);
  }
  if (!unq(fields[val_col], val_col, val)) return fail("stray quote", val_col + 1);
  Decimal d;
  const ParseStatus st = parse_decimal(val.data(), val.data() + val.size(), d);
  if (st == ParseStatus::bad || st == ParseStatus::out_of_range) return fail("bad number", val_col + 1);
  ++g.n;
  if (st == ParseStatus::missing) {
    ++g.missing;
  } else {
    g.sum.add(d);
  }
  return true;
}

// `bytes` is the whole (decompressed) file; fp as planned by make_plan.
inline Outcome parse(const FilePlan& fp, const std::string& bytes) {
  Outcome out;
  std::vector<std::string> fields(1);
  bool in_quotes = false;
  uint64_t rec_start = fp.data_begin;
  for (uint64_t i = fp.data_begin; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '"') in_quotes = !in_quotes;
    if (!in_quotes && c == ',') {
      fields.emplace_back();
    } else if (!in_quotes && c == fp.eol) {
      if (!add_record(fp, fields, rec_start, out)) return out;
      fields.assign(1, std::string());
      rec_start = i + 1;
    } else {
      fields.back().push_back(c);
    }
  }
  if (in_quotes) {
    out.error.kind = CoreError::Kind::parse;
    out.error.file = fp.path;
    out.error.offset = rec_start;
    out.error.has_offset = true;
    out.error.message = "unterminated";
    return out;
  }
  if (rec_start < bytes.size()) add_record(fp, fields, rec_start, out);
  return out;
}

}  // namespace reference
}  // namespace parairline
