// Planning: each file's header read for the columns wanted, its data cut
// into byte-range tasks. Every backend runs the same plan.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chunk_scan.h"
#include "csv_source.h"
#include "error.h"

namespace parairline {

struct Plan {
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
inline CoreError plan_one(FilePlan fp, const std::string& key, const std::string& value, uint64_t chunk_bytes,
                          Plan& plan) {
  const std::string& name = fp.name;
  fp.key_name = key;
  fp.val_name = value;
  std::vector<std::string> names;
  try {
    std::unique_ptr<ByteSource> src = open_source(fp, 0);
    bool empty = false;
    names = read_header(*src, fp.data_begin, empty);
    if (empty) return io_error(name, "The file is empty, so it has no header line.");
  } catch (const IoFailure& e) {
    return io_error(name, e.what());
  }
  auto find = [&](const std::string& col_name, uint32_t& col) -> CoreError {
    const auto n = std::count(names.begin(), names.end(), col_name);
    if (n == 0) {
      return parse_error(name, 1,
                         "Column \"" + col_name + "\" is not in the header. The header has " +
                             std::to_string(names.size()) + " column" + (names.size() == 1 ? "" : "s") + ": " +
                             quoted_list(names, 60) + ".");
    }
    if (n > 1) {
      return parse_error(name, 1, "Column \"" + col_name + "\" appears " + std::to_string(n) +
                                      " times in the header, so it is ambiguous.");
    }
    col = static_cast<uint32_t>(std::find(names.begin(), names.end(), col_name) - names.begin());
    return CoreError();
  };
  if (CoreError e = find(key, fp.key_col)) return e;
  if (CoreError e = find(value, fp.val_col)) return e;
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
inline CoreError plan_file(const std::string& path, const std::string& key, const std::string& value,
                           uint64_t chunk_bytes, Plan& plan) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return io_error(path, "Cannot open the file: " + errno_text(errno) + ".");
  if (S_ISDIR(st.st_mode)) return io_error(path, "This is a directory, not a CSV file.");
  FilePlan fp;
  fp.path = fp.name = path;
  fp.size = static_cast<uint64_t>(st.st_size);
  if (fp.size == 0) return io_error(path, "The file is empty (0 bytes), so it has no header line.");
  fp.format = detect_format(path);
  const std::string missing = format_unsupported(fp.format);
  if (!missing.empty()) {
    CoreError e = io_error(path, missing);
    e.kind = CoreError::Kind::input;
    return e;
  }
  if (fp.format != Format::zip) return plan_one(std::move(fp), key, value, chunk_bytes, plan);
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
    if (CoreError e = plan_one(std::move(member), key, value, chunk_bytes, plan)) return e;
  }
  return CoreError();
}

// Plans every file; the first error (in file order) wins.
inline CoreError make_plan(const std::vector<std::string>& paths, const std::string& key,
                           const std::string& value, uint64_t chunk_bytes, Plan& plan) {
  plan = Plan();
  chunk_bytes = std::max<uint64_t>(chunk_bytes, 1);
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (CoreError e = plan_file(paths[i], key, value, chunk_bytes, plan)) return e;
  }
  return CoreError();
}

// Bytes a task covers, for balancing groups of tasks across workers.
inline uint64_t task_bytes(const Plan& plan, const TaskSpec& t) {
  const FilePlan& f = plan.files[t.file];
  if (f.compressed()) return f.size;
  return t.end - t.begin;
}

}  // namespace parairline
