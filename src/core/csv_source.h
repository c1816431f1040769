// Byte sources for the scanner: a byte range of a plain file read by
// position (platform.h) into a reusable buffer, or a compressed stream
// (decompress.h). Also: how a file is read (FilePlan), its header, line numbers.
#pragma once

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "decompress.h"
#include "error.h"
#include "platform.h"

namespace parairline {

class FileSource : public ByteSource {
 public:
  // Reads [begin, end) of `path`; `end` is the size the plan saw. A file that
  // has shrunk since is an error, never a silently shorter sum.
  FileSource(const std::string& path, uint64_t begin, uint64_t end) : file_(path), pos_(begin), end_(end) {}

  std::size_t read(char* dst, std::size_t n) override {
    n = static_cast<std::size_t>(std::min<uint64_t>(n, end_ - pos_));
    if (n == 0) return 0;
    const std::size_t r = file_.read_at(dst, n, pos_);
    if (r == 0) throw IoFailure("The file is shorter than when reading started; it changed while being read.");
    pos_ += r;
    return r;
  }
  uint64_t disk_position() const override { return pos_; }
  bool grew() const override {
    uint64_t size = 0;
    return file_.size(size) && size > end_;
  }

 private:
  platform::InputFile file_;
  uint64_t pos_;
  uint64_t end_;
};

// How one file (or one member of a zip archive) is read: where its data
// starts and which fields we need.
struct FilePlan {
  std::string path;         // on disk
  std::string member;       // zip only: the member read
  std::string name;         // in messages and `.file`: path, or "path:member"
  Format format = Format::plain;
  uint64_t size = 0;        // bytes on disk (a zip member: uncompressed), for progress
  uint64_t data_begin = 0;  // first byte after the header line (decompressed offset if compressed)
  uint32_t ncols = 0;
  std::vector<uint32_t> cols;  // per query column (Query::columns), its field index
  bool compressed() const { return format != Format::plain; }
};

// The file's bytes from `begin` (decompressed offset if compressed); a
// compressed stream is decompressed on its own thread when `prefetch`.
inline std::unique_ptr<ByteSource> open_source(const FilePlan& fp, uint64_t begin, bool prefetch = false) {
  if (!fp.compressed()) return std::make_unique<FileSource>(fp.path, begin, fp.size);
  std::unique_ptr<ByteSource> src = open_decompressor(fp.format, fp.path, fp.member);
  if (prefetch) src = std::make_unique<PrefetchSource>(std::move(src));
  src->skip(begin);
  return src;
}

// Unquotes one field: strips the enclosing quotes and turns "" into ".
// Returns false if the field has a quote anywhere else.
inline bool unquote_field(const char* p, std::size_t n, std::string& out, bool& copied) {
  copied = false;
  if (n == 0 || (std::memchr(p, '"', n) == nullptr)) return true;
  if (n < 2 || p[0] != '"' || p[n - 1] != '"') return false;
  const char* in = p + 1;
  const std::size_t m = n - 2;
  if (std::memchr(in, '"', m) == nullptr) return true;  // caller strips the quotes
  out.clear();
  for (std::size_t i = 0; i < m; ++i) {
    if (in[i] == '"') {
      if (i + 1 >= m || in[i + 1] != '"') return false;
      ++i;
    }
    out.push_back(in[i]);
  }
  copied = true;
  return true;
}

// Reads the header line (quote-aware, a UTF-8 BOM skipped) and returns the
// column names; `data_begin` is the offset just past its line end.
inline std::vector<std::string> read_header(ByteSource& src, uint64_t& data_begin, bool& empty_file) {
  constexpr std::size_t kMaxHeader = 64u << 20;
  std::string line;
  std::vector<char> buf(64 * 1024);
  bool in_quotes = false;
  bool done = false;
  uint64_t consumed = 0;
  empty_file = false;
  while (!done) {
    const std::size_t got = src.read(buf.data(), buf.size());
    if (got == 0) break;
    for (std::size_t i = 0; i < got; ++i) {
      const char c = buf[i];
      ++consumed;
      if (c == '"') in_quotes = !in_quotes;
      if (c == '\n' && !in_quotes) {
        done = true;
        break;
      }
      line.push_back(c);
    }
    if (line.size() > kMaxHeader) throw IoFailure("The header line is longer than 64 MB; is this a CSV file?");
  }
  if (consumed == 0) {
    empty_file = true;
    return {};
  }
  if (!done && in_quotes) throw IoFailure("The header line has a quoted name that is never closed.");
  data_begin = consumed;
  std::size_t start = 0;
  if (line.size() >= 3 && static_cast<unsigned char>(line[0]) == 0xEF &&
      static_cast<unsigned char>(line[1]) == 0xBB && static_cast<unsigned char>(line[2]) == 0xBF) {
    start = 3;
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::vector<std::string> names;
  in_quotes = false;
  std::size_t field_start = start;
  for (std::size_t i = start; i <= line.size(); ++i) {
    if (i < line.size() && line[i] == '"') in_quotes = !in_quotes;
    if (i == line.size() || (line[i] == ',' && !in_quotes)) {
      std::string tmp;
      bool copied = false;
      const char* p = line.data() + field_start;
      const std::size_t n = i - field_start;
      if (!unquote_field(p, n, tmp, copied)) {
        throw IoFailure("The header has a malformed quoted name: " + std::string(p, std::min<std::size_t>(n, 80)));
      }
      if (copied) {
        names.push_back(tmp);
      } else if (n >= 2 && p[0] == '"') {
        names.emplace_back(p + 1, n - 2);
      } else {
        names.emplace_back(p, n);
      }
      field_start = i + 1;
    }
  }
  return names;
}

// 1-based number of the physical line that starts at byte `offset`, or 0
// if `stop` was set first.
inline uint64_t line_at(const FilePlan& fp, uint64_t offset, const std::atomic<bool>& stop) {
  std::unique_ptr<ByteSource> src = fp.compressed() ? open_decompressor(fp.format, fp.path, fp.member)
                                                    : std::make_unique<FileSource>(fp.path, 0, offset);
  std::vector<char> buf(1 << 20);
  uint64_t pos = 0, lines = 0;
  while (pos < offset) {
    if (stop.load(std::memory_order_relaxed)) return 0;
    const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(buf.size(), offset - pos));
    const std::size_t got = src->read(buf.data(), want);
    if (got == 0) break;
    lines += static_cast<uint64_t>(std::count(buf.data(), buf.data() + got, '\n'));
    pos += got;
  }
  return lines + 1;
}

}  // namespace parairline
