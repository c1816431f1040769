// Planning: each file's header read for the columns wanted, its data cut
// into byte-range tasks. Every backend runs the same plan.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chunk_scan.h"
#include "csv_source.h"
#include "error.h"
#include "platform.h"
#include "query.h"

namespace parairline {

struct Plan {
  Query query;
  std::vector<FilePlan> files;
  std::vector<TaskSpec> tasks;
  uint64_t total_bytes = 0;  // on disk, for progress
};

inline std::string quoted_list(const std::vector<std::string>& names, std::size_t most) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < most; ++i) {
    if (i) s += ", ";
    s += "\"" + names[i] + "\"";
  }
  if (names.size() > most) s += ", ... (" + std::to_string(names.size() - most) + " more)";
  return s;
}

// Plans one file (or zip member) whose path, name, format and size are set.
inline CoreError plan_one(FilePlan fp, uint64_t chunk_bytes, Plan& plan) {
  const std::string& name = fp.name;
  std::vector<std::string> names;
  try {
    std::unique_ptr<ByteSource> src = open_source(fp, 0);
    bool empty = false;
    FileLayout layout = read_layout(*src, plan.query.dialect, empty);
    if (empty) return io_error(name, "The file is empty, so it has no header line.");
    names = std::move(layout.names);
    fp.data_begin = layout.data_begin;
    fp.sep = layout.sep;
    fp.eol = layout.eol;
    fp.header_line = layout.header_line;
  } catch (const IoFailure& e) {
    return io_error(name, e.what());
  }
  auto find = [&](const std::string& col_name, uint32_t& col) -> CoreError {
    const auto n = std::count(names.begin(), names.end(), col_name);
    if (n == 0) {
      return parse_error(name, fp.header_line,
                         "Column \"" + col_name + "\" is not in the header. The header has " +
                             std::to_string(names.size()) + " column" + (names.size() == 1 ? "" : "s") + ": " +
                             quoted_list(names, 60) + ".");
    }
    if (n > 1) {
      return parse_error(name, fp.header_line, "Column \"" + col_name + "\" appears " + std::to_string(n) +
                                      " times in the header, so it is ambiguous.");
    }
    col = static_cast<uint32_t>(std::find(names.begin(), names.end(), col_name) - names.begin());
    return CoreError();
  };
  fp.cols.assign(plan.query.columns.size(), 0);
  for (std::size_t c = 0; c < fp.cols.size(); ++c) {
    if (CoreError e = find(plan.query.columns[c], fp.cols[c])) return e;
  }
  fp.ncols = static_cast<uint32_t>(names.size());

  const uint32_t file_index = static_cast<uint32_t>(plan.files.size());
  if (fp.compressed()) {
    // A compressed stream cannot be entered in the middle: one task per file.
    TaskSpec t;
    t.file = file_index;
    t.begin = fp.data_begin;
    t.end = ChunkScanner::kNone;
    t.first = t.last = true;
    plan.tasks.push_back(t);
  } else if (fp.data_begin < fp.size) {
    const uint64_t n = fp.size - fp.data_begin;
    const uint64_t pieces = (n + chunk_bytes - 1) / chunk_bytes;
    for (uint64_t i = 0; i < pieces; ++i) {
      TaskSpec t;
      t.file = file_index;
      t.begin = fp.data_begin + i * chunk_bytes;
      t.end = std::min(fp.size, t.begin + chunk_bytes);
      t.first = i == 0;
      t.last = i + 1 == pieces;
      plan.tasks.push_back(t);
    }
  }
  plan.total_bytes += fp.size;
  plan.files.push_back(std::move(fp));
  return CoreError();
}

// Plans a path: a plain or compressed CSV file, or every CSV member of a zip
// archive (each as if it were its own file, named "archive.zip:member.csv").
inline CoreError plan_file(const std::string& path, uint64_t chunk_bytes, Plan& plan) {
  platform::PathInfo st;
  std::string why;
  if (!platform::path_info(path, st, why)) return io_error(path, "Cannot open the file: " + why + ".");
  if (st.directory) return io_error(path, "This is a directory, not a CSV file.");
  FilePlan fp;
  fp.path = fp.name = path;
  fp.size = st.size;
  if (fp.size == 0) return io_error(path, "The file is empty (0 bytes), so it has no header line.");
  fp.format = detect_format(path);
  const std::string missing = format_unsupported(fp.format);
  if (!missing.empty()) {
    CoreError e = io_error(path, missing);
    e.kind = CoreError::Kind::input;
    return e;
  }
  if (fp.format != Format::zip) return plan_one(std::move(fp), chunk_bytes, plan);
  std::vector<ZipMember> members;
  try {
    members = zip_csv_members(path);
  } catch (const IoFailure& e) {
    return io_error(path, e.what());
  }
  if (members.empty()) return io_error(path, "The zip archive has no member whose name ends in \".csv\".");
  for (const ZipMember& m : members) {
    FilePlan member = fp;
    member.member = m.name;
    member.name = path + ":" + m.name;
    member.size = m.size;
    if (CoreError e = plan_one(std::move(member), chunk_bytes, plan)) return e;
  }
  return CoreError();
}

// The column names of `path` (of its first CSV member if a zip archive),
// for the front end to tell columns from other names.
inline CoreError header_names(const std::string& path, const Dialect& dialect, std::vector<std::string>& names) {
  Plan probe;
  probe.query.dialect = dialect;
  probe.query.keys = {std::string(kFileKey)};
  probe.query.index_columns();
  if (CoreError e = plan_file(path, ~uint64_t{0} >> 1, probe)) return e;
  try {
    const FilePlan& fp = probe.files.at(0);
    std::unique_ptr<ByteSource> src = open_source(fp, 0);
    bool empty = false;
    names = read_layout(*src, dialect, empty).names;
  } catch (const IoFailure& e) {
    return io_error(path, e.what());
  }
  return CoreError();
}

// Plans every file for `query`; the first error (in file order) wins.
inline CoreError make_plan(const std::vector<std::string>& paths, Query query, uint64_t chunk_bytes, Plan& plan) {
  plan = Plan();
  plan.query = std::move(query);
  chunk_bytes = std::max<uint64_t>(chunk_bytes, 1);
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (CoreError e = plan_file(paths[i], chunk_bytes, plan)) return e;
  }
  return CoreError();
}

// The plan of csv_group_sum()'s query: `value` summed by `key`.
inline CoreError make_plan(const std::vector<std::string>& paths, const std::string& key, const std::string& value,
                           uint64_t chunk_bytes, Plan& plan) {
  return make_plan(paths, sum_query(key, value), chunk_bytes, plan);
}

// Bytes a task covers, for balancing groups of tasks across workers.
inline uint64_t task_bytes(const Plan& plan, const TaskSpec& t) {
  const FilePlan& f = plan.files[t.file];
  if (f.compressed()) return f.size;
  return t.end - t.begin;
}

}  // namespace parairline
