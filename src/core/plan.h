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

inline CoreError plan_file(const std::string& path, const std::string& key, const std::string& value,
                           uint64_t chunk_bytes, uint32_t file_index, Plan& plan) {
  FilePlan fp;
  fp.path = path;
  fp.key_name = key;
  fp.val_name = value;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return io_error(path, "Cannot open the file: " + errno_text(errno) + ".");
  if (S_ISDIR(st.st_mode)) return io_error(path, "This is a directory, not a CSV file.");
  fp.size = static_cast<uint64_t>(st.st_size);
  if (fp.size == 0) return io_error(path, "The file is empty (0 bytes), so it has no header line.");
  fp.gz = is_gzip_file(path);
  std::vector<std::string> names;
  try {
    std::unique_ptr<ByteSource> src = fp.gz ? std::unique_ptr<ByteSource>(new GzSource(path))
                                            : std::unique_ptr<ByteSource>(new FileSource(path, 0, fp.size));
    bool empty = false;
    names = read_header(*src, fp.data_begin, empty);
    if (empty) return io_error(path, "The file is empty, so it has no header line.");
  } catch (const IoFailure& e) {
    return io_error(path, e.what());
  }
  auto find = [&](const std::string& name, uint32_t& col) -> CoreError {
    const auto n = std::count(names.begin(), names.end(), name);
    if (n == 0) {
      return parse_error(path, 1,
                         "Column \"" + name + "\" is not in the header. The header has " + std::to_string(names.size()) +
                             " column" + (names.size() == 1 ? "" : "s") + ": " + quoted_list(names, 60) + ".");
    }
    if (n > 1) {
      return parse_error(path, 1, "Column \"" + name + "\" appears " + std::to_string(n) +
                                      " times in the header, so it is ambiguous.");
    }
    col = static_cast<uint32_t>(std::find(names.begin(), names.end(), name) - names.begin());
    return CoreError();
  };
  if (CoreError e = find(key, fp.key_col)) return e;
  if (CoreError e = find(value, fp.val_col)) return e;
  fp.ncols = static_cast<uint32_t>(names.size());

  if (fp.gz) {
    // A gzip stream cannot be entered in the middle: one task per file.
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

// Plans every file; the first error (in file order) wins.
inline CoreError make_plan(const std::vector<std::string>& paths, const std::string& key,
                           const std::string& value, uint64_t chunk_bytes, Plan& plan) {
  plan = Plan();
  chunk_bytes = std::max<uint64_t>(chunk_bytes, 1);
  for (std::size_t i = 0; i < paths.size(); ++i) {
    if (CoreError e = plan_file(paths[i], key, value, chunk_bytes, static_cast<uint32_t>(i), plan)) return e;
  }
  return CoreError();
}

// Bytes a task covers, for balancing groups of tasks across workers.
inline uint64_t task_bytes(const Plan& plan, const TaskSpec& t) {
  const FilePlan& f = plan.files[t.file];
  if (f.gz) return f.size;
  return t.end - t.begin;
}

}  // namespace parairline
