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
#include "query.h"

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
  char sep = ',';           // the field separator
  char eol = '\n';          // the line end: '\n' (LF or CRLF) or '\r' (a bare CR)
  uint64_t header_line = 1;  // for messages about the header
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

// Unquotes one field: strips the enclosing quotes and turns doubled quotes
// into one. Returns false if the field has a quote anywhere else.
inline bool unquote_field(const char* p, std::size_t n, std::string& out, bool& copied, char quote = '"') {
  copied = false;
  if (n == 0 || quote == 0 || (std::memchr(p, quote, n) == nullptr)) return true;
  if (n < 2 || p[0] != quote || p[n - 1] != quote) return false;
  const char* in = p + 1;
  const std::size_t m = n - 2;
  if (std::memchr(in, quote, m) == nullptr) return true;  // caller strips the quotes
  out.clear();
  for (std::size_t i = 0; i < m; ++i) {
    if (in[i] == quote) {
      if (i + 1 >= m || in[i + 1] != quote) return false;
      ++i;
    }
    out.push_back(in[i]);
  }
  copied = true;
  return true;
}

// Where a file's header and data are, as read from its first lines.
struct FileLayout {
  std::vector<std::string> names;  // the header's column names
  uint64_t data_begin = 0;         // first byte after the header line's end
  char sep = ',';
  char eol = '\n';                 // '\r' for a file whose lines end in a bare CR
  uint64_t header_line = 1;        // its 1-based line number
};

// The fields of one line (no line end) split at `sep` outside quotes.
inline std::vector<std::string_view> split_line(std::string_view line, char sep, char quote) {
  std::vector<std::string_view> out;
  bool in_quotes = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i < line.size() && quote != 0 && line[i] == quote) in_quotes = !in_quotes;
    if (i == line.size() || (line[i] == sep && !in_quotes)) {
      out.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// sep = "auto": among , \t | ; (not the quote or the decimal mark), the one
// that splits the header into 2 or more fields and every following line
// into as many, the most fields winning (ties in that order); else the one
// with most fields in the header; "," if none occurs.
inline char choose_separator(const std::vector<std::string_view>& lines, char quote, char dec) {
  static const char kCandidates[] = {',', '\t', '|', ';'};
  char best = 0, widest = 0;
  std::size_t best_n = 0, widest_n = 1;
  for (char c : kCandidates) {
    if (c == quote || c == dec) continue;
    const std::size_t n = split_line(lines[0], c, quote).size();
    if (n > widest_n) {
      widest = c;
      widest_n = n;
    }
    if (n < 2) continue;
    bool same = true;
    for (std::size_t i = 1; i < lines.size() && same; ++i) same = split_line(lines[i], c, quote).size() == n;
    if (same && n > best_n) {
      best = c;
      best_n = n;
    }
  }
  if (best) return best;
  if (widest) return widest;
  return dec == ',' ? ';' : ',';
}

// Reads the start of a file: skips the preamble (`skip` lines, or up to the
// first line containing `skip_to`), detects the line end (LF, CRLF or a bare
// CR, from the first one in the file) and the separator if asked, and
// splits the header (quote-aware; a UTF-8 BOM skipped). `empty_file` is set
// for a file with no bytes. Throws IoFailure for what cannot be a CSV file.
inline FileLayout read_layout(ByteSource& src, const Dialect& d, bool& empty_file) {
  constexpr std::size_t kMaxHead = 64u << 20;
  constexpr std::size_t kSniffLines = 30;
  std::string head;  // the bytes read so far, from offset 0
  std::vector<char> buf(64 * 1024);
  bool eof = false;
  const auto more = [&] {
    if (eof) return false;
    if (head.size() > kMaxHead) {
      throw IoFailure(d.skip_to.empty() && d.skip == 0
                          ? "The header line is longer than 64 MB; is this a CSV file?"
                          : "The header is not within the first 64 MB; is this a CSV file, and is `skip` right?");
    }
    const std::size_t got = src.read(buf.data(), buf.size());
    if (got == 0) eof = true;
    head.append(buf.data(), got);
    return got > 0;
  };
  more();
  empty_file = head.empty();
  FileLayout out;
  if (empty_file) return out;
  const unsigned char b0 = static_cast<unsigned char>(head[0]);
  const unsigned char b1 = head.size() > 1 ? static_cast<unsigned char>(head[1]) : 0;
  if ((b0 == 0xFF && b1 == 0xFE) || (b0 == 0xFE && b1 == 0xFF)) {
    throw IoFailure("The file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8.");
  }

  // The line end: the first CR or LF anywhere, read raw.
  std::size_t i = 0;
  for (;;) {
    while (i < head.size() && head[i] != '\n' && head[i] != '\r') ++i;
    if (i + 1 < head.size() || (i < head.size() && head[i] == '\n') || !more()) break;
  }
  out.eol = i < head.size() && head[i] == '\r' && (i + 1 >= head.size() || head[i + 1] != '\n') ? '\r' : '\n';
  const char eol = out.eol;

  // The preamble, raw lines.
  std::size_t pos = 0;
  const auto line_end_from = [&](std::size_t from) {  // index of the eol at or after `from`, or npos
    for (;;) {
      const std::size_t e = head.find(eol, from);
      if (e != std::string::npos) return e;
      from = head.size();
      if (!more()) return std::string::npos;
    }
  };
  if (!d.skip_to.empty()) {
    for (;;) {
      const std::size_t e = line_end_from(pos);
      const std::size_t stop = e == std::string::npos ? head.size() : e;
      if (std::string_view(head).substr(pos, stop - pos).find(d.skip_to) != std::string_view::npos) break;
      if (e == std::string::npos) {
        throw IoFailure("No line contains \"" + d.skip_to + "\", the text `skip` looks for the header with.");
      }
      pos = e + 1;
    }
  } else {
    for (uint64_t k = 0; k < d.skip; ++k) {
      const std::size_t e = line_end_from(pos);
      if (e == std::string::npos) {
        throw IoFailure("The file has " + std::to_string(k) + " line" + (k == 1 ? "" : "s") + ", fewer than the " +
                        std::to_string(d.skip) + " to skip before the header.");
      }
      pos = e + 1;
    }
  }

  // The header and, for sep = "auto", the lines after it: quote-aware.
  const std::size_t lines_wanted = d.sep == 0 ? 1 + kSniffLines : 1;
  std::vector<std::pair<std::size_t, std::size_t>> lines;  // [begin, end) without the line end
  bool in_quotes = false;
  std::size_t line_start = pos, k = pos;
  // A line [line_start, at) ends: kept unless blank (readers skip blank
  // lines), without the CR of a CRLF; the header's end is where data begin.
  const auto end_line = [&](std::size_t at, std::size_t next) {
    std::size_t e = at;
    if (eol == '\n' && e > line_start && head[e - 1] == '\r') --e;
    if (e > line_start) {
      if (lines.empty()) out.data_begin = next;
      lines.emplace_back(line_start, e);
    }
    line_start = next;
  };
  while (lines.size() < lines_wanted) {
    if (k == head.size() && !more()) {
      if (lines.empty() && in_quotes) throw IoFailure("The header line has a quoted name that is never closed.");
      if (!in_quotes) end_line(k, k);
      break;
    }
    const char c = head[k];
    if (d.quote != 0 && c == d.quote) in_quotes = !in_quotes;
    if (c == eol && !in_quotes) end_line(k, k + 1);
    ++k;
  }
  if (lines.empty()) {
    throw IoFailure(pos > 0 ? "There is no header line after the lines skipped." : "The file has no header line.");
  }
  out.header_line = 1 + static_cast<uint64_t>(std::count(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(lines[0].first), eol));
  std::string_view header(head.data() + lines[0].first, lines[0].second - lines[0].first);
  if (header.size() >= 3 && static_cast<unsigned char>(header[0]) == 0xEF &&
      static_cast<unsigned char>(header[1]) == 0xBB && static_cast<unsigned char>(header[2]) == 0xBF) {
    header.remove_prefix(3);
  }
  if (header.find('\0') != std::string_view::npos) {
    throw IoFailure("The header line has NUL bytes: this is not a text file in UTF-8 (UTF-16, or binary?).");
  }
  if (d.sep != 0) {
    out.sep = d.sep;
  } else {
    std::vector<std::string_view> sniff;
    for (const auto& l : lines) {
      std::string_view v(head.data() + l.first, l.second - l.first);
      if (sniff.empty()) v = header;
      sniff.push_back(v);
    }
    out.sep = choose_separator(sniff, d.quote, d.dec);
  }
  for (std::string_view f : split_line(header, out.sep, d.quote)) {
    std::string tmp;
    bool copied = false;
    if (!unquote_field(f.data(), f.size(), tmp, copied, d.quote)) {
      throw IoFailure("The header has a malformed quoted name: " + std::string(f.substr(0, 80)));
    }
    if (copied) {
      out.names.push_back(tmp);
    } else if (d.quote != 0 && f.size() >= 2 && f.front() == d.quote) {
      out.names.emplace_back(f.substr(1, f.size() - 2));
    } else {
      out.names.emplace_back(f);
    }
  }
  return out;
}

// 1-based numbers of the physical lines that start at the sorted byte
// `offsets`, in one pass; empty if `stop` was set first.
inline std::vector<uint64_t> lines_at(const FilePlan& fp, const std::vector<uint64_t>& offsets,
                                      const std::atomic<bool>& stop) {
  std::vector<uint64_t> out;
  if (offsets.empty()) return out;
  const uint64_t last = offsets.back();
  std::unique_ptr<ByteSource> src = fp.compressed() ? open_decompressor(fp.format, fp.path, fp.member)
                                                    : std::make_unique<FileSource>(fp.path, 0, last);
  std::vector<char> buf(1 << 20);
  uint64_t pos = 0, lines = 0;
  std::size_t next = 0;
  while (next < offsets.size()) {
    if (stop.load(std::memory_order_relaxed)) return {};
    const std::size_t want = static_cast<std::size_t>(std::min<uint64_t>(buf.size(), last - pos));
    const std::size_t got = want == 0 ? 0 : src->read(buf.data(), want);
    // Every offset in [pos, pos + got] is reached: count up to each.
    std::size_t i = 0;
    while (next < offsets.size() && offsets[next] <= pos + got) {
      const std::size_t upto = static_cast<std::size_t>(offsets[next] - pos);
      lines += static_cast<uint64_t>(std::count(buf.data() + i, buf.data() + upto, fp.eol));
      i = upto;
      out.push_back(lines + 1);
      ++next;
    }
    lines += static_cast<uint64_t>(std::count(buf.data() + i, buf.data() + got, fp.eol));
    pos += got;
    if (got == 0) break;
  }
  while (out.size() < offsets.size()) out.push_back(lines + 1);
  return out;
}

// 1-based number of the physical line that starts at byte `offset`, or 0
// if `stop` was set first.
inline uint64_t line_at(const FilePlan& fp, uint64_t offset, const std::atomic<bool>& stop) {
  const std::vector<uint64_t> l = lines_at(fp, {offset}, stop);
  return l.empty() ? 0 : l[0];
}

}  // namespace parairline
