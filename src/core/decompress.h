// Compressed inputs, recognised by their first bytes and streamed through
// their well-kept libraries (zlib, libbz2, liblzma, libzstd; libarchive for
// zip, which reads every zip method and zip64 from the central directory),
// with no temporary file and bounded memory. Concatenated streams (pigz,
// pbzip2, zstd -T, cat a.gz b.gz) are read whole. A library missing at build
// time (configure) only disables its format. Also PrefetchSource: a thread
// that decompresses ahead, so decompression overlaps the scan. Files are
// opened through platform.h and handed to zlib and libarchive as descriptors,
// so names are UTF-8 on every system.
#pragma once

// First: on Windows it brings <windows.h> in with NOMINMAX set, before
// bzlib.h would bring it in without (and so define min() and max() macros).
#include "platform.h"

#include <zlib.h>

#ifdef PARAIRLINE_HAVE_BZIP2
#include <bzlib.h>
#endif
#ifdef PARAIRLINE_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef PARAIRLINE_HAVE_ZSTD
#include <zstd.h>
#endif
#ifdef PARAIRLINE_HAVE_ARCHIVE
#include <archive.h>
#include <archive_entry.h>
#endif

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "error.h"

namespace parairline {

enum class Format : uint8_t { plain = 0, gzip = 1, bzip2 = 2, xz = 3, zstd = 4, zip = 5 };

inline const char* format_name(Format f) {
  switch (f) {
    case Format::gzip: return "gzip";
    case Format::bzip2: return "bzip2";
    case Format::xz: return "xz";
    case Format::zstd: return "zstd";
    case Format::zip: return "zip";
    default: return "plain";
  }
}

// By the first bytes, never by the name.
inline Format detect_format(const std::string& path) {
  unsigned char m[6] = {0, 0, 0, 0, 0, 0};
  std::size_t r = 0;
  try {
    platform::InputFile f(path);
    while (r < sizeof m) {
      const std::size_t got = f.read_at(reinterpret_cast<char*>(m) + r, sizeof m - r, r);
      if (got == 0) break;
      r += got;
    }
  } catch (const IoFailure&) {
    return Format::plain;  // opening it again for the data gives the error
  }
  const auto has = [&](std::initializer_list<unsigned char> magic) {
    return r >= magic.size() && std::equal(magic.begin(), magic.end(), m);
  };
  if (has({0x1f, 0x8b})) return Format::gzip;
  if (has({'B', 'Z', 'h'})) return Format::bzip2;
  if (has({0xFD, '7', 'z', 'X', 'Z', 0x00})) return Format::xz;
  if (has({0x28, 0xB5, 0x2F, 0xFD})) return Format::zstd;
  if (has({'P', 'K', 0x03, 0x04}) || has({'P', 'K', 0x05, 0x06})) return Format::zip;
  return Format::plain;
}

// Empty if this build reads the format, else what to install.
inline std::string format_unsupported(Format f) {
  switch (f) {
#ifndef PARAIRLINE_HAVE_BZIP2
    case Format::bzip2:
      return "This file is bzip2-compressed, but parairline was built without libbz2: install it (Debian and "
             "Ubuntu: libbz2-dev; Fedora: bzip2-devel; Homebrew: bzip2) and reinstall parairline.";
#endif
#ifndef PARAIRLINE_HAVE_LZMA
    case Format::xz:
      return "This file is xz-compressed, but parairline was built without liblzma: install it (Debian and "
             "Ubuntu: liblzma-dev; Fedora: xz-devel; Homebrew: xz) and reinstall parairline.";
#endif
#ifndef PARAIRLINE_HAVE_ZSTD
    case Format::zstd:
      return "This file is zstd-compressed, but parairline was built without libzstd: install it (Debian and "
             "Ubuntu: libzstd-dev; Fedora: libzstd-devel; Homebrew: zstd) and reinstall parairline.";
#endif
#ifndef PARAIRLINE_HAVE_ARCHIVE
    case Format::zip:
      return "This file is a zip archive, but parairline was built without libarchive: install it (Debian and "
             "Ubuntu: libarchive-dev; Fedora: libarchive-devel; Homebrew: libarchive) and reinstall parairline.";
#endif
    default:
      return "";
  }
}

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes; returns 0 at the end. Throws IoFailure.
  virtual std::size_t read(char* dst, std::size_t n) = 0;
  // Bytes of the file on disk consumed so far (compressed bytes for gzip).
  virtual uint64_t disk_position() const = 0;
  // True if the file is now longer than the plan saw.
  virtual bool grew() const { return false; }

  // Reads and drops n bytes.
  void skip(uint64_t n) {
    std::vector<char> tmp(64 * 1024);
    while (n > 0) {
      const std::size_t got = read(tmp.data(), static_cast<std::size_t>(std::min<uint64_t>(n, tmp.size())));
      if (got == 0) throw IoFailure("The file is shorter than when reading started.");
      n -= got;
    }
  }
};

// A stream decoder: decode() fills `done` as it goes, so that when it fails
// part-way the bytes it did produce are still delivered, and the failure
// comes with the next read. The error then names the last line reached.
class StreamDecoder : public ByteSource {
 public:
  std::size_t read(char* dst, std::size_t n) final {
    if (pending_) std::rethrow_exception(pending_);
    std::size_t done = 0;
    try {
      decode(dst, std::min<std::size_t>(n, 1u << 30), done);
    } catch (...) {
      if (done == 0) throw;
      pending_ = std::current_exception();
    }
    return done;
  }

 protected:
  virtual void decode(char* dst, std::size_t n, std::size_t& done) = 0;

 private:
  std::exception_ptr pending_;
};

// The compressed bytes of a file, read in blocks, for the stream decoders.
class CompressedInput {
 public:
  explicit CompressedInput(const std::string& path) : file_(path) { buf_.resize(256 * 1024); }

  // The next block (empty at the end of the file).
  std::pair<const char*, std::size_t> next() {
    const std::size_t r = file_.read_at(buf_.data(), buf_.size(), consumed_);
    consumed_ += r;
    return {buf_.data(), r};
  }
  uint64_t consumed() const { return consumed_; }

 private:
  platform::InputFile file_;
  std::vector<char> buf_;
  uint64_t consumed_ = 0;
};

class GzSource : public ByteSource {
 public:
  explicit GzSource(const std::string& path) {
    platform::InputFile file(path);
    const int fd = file.release_fd();
    if (fd >= 0) gz_ = gzdopen(fd, "rb");
    if (!gz_) {
      const int err = errno;
      if (fd >= 0) platform::close_fd(fd);  // gzdopen() leaves it open when it fails
      throw IoFailure("Cannot open the gzip file: " + errno_text(err) + ".");
    }
    gzbuffer(gz_, 256 * 1024);
  }
  ~GzSource() override {
    if (gz_) gzclose(gz_);
  }
  GzSource(const GzSource&) = delete;
  GzSource& operator=(const GzSource&) = delete;

  std::size_t read(char* dst, std::size_t n) override {
    n = std::min<std::size_t>(n, 1u << 30);
    const int r = gzread(gz_, dst, static_cast<unsigned>(n));
    int code = Z_OK;
    const char* msg = gzerror(gz_, &code);
    if (r < 0 || (code != Z_OK && !(code == Z_BUF_ERROR && r > 0))) {
      throw IoFailure("Corrupt or truncated gzip data (" + zlib_reason(msg) + ").");
    }
    return static_cast<std::size_t>(r);
  }
  uint64_t disk_position() const override { return static_cast<uint64_t>(gzoffset(gz_)); }

 private:
  // zlib's message starts with "<fd:N>: " (what it knows of the file); the
  // error names the file already.
  static std::string zlib_reason(const char* msg) {
    std::string m = msg && *msg ? msg : "zlib error";
    const std::size_t colon = m.find(">: ");
    if (m.compare(0, 4, "<fd:") == 0 && colon != std::string::npos && m.size() > colon + 3) m.erase(0, colon + 3);
    return m;
  }

  gzFile gz_ = nullptr;
};

#ifdef PARAIRLINE_HAVE_BZIP2
class Bz2Source : public StreamDecoder {
 public:
  explicit Bz2Source(const std::string& path) : in_(path) { init(); }
  ~Bz2Source() override { BZ2_bzDecompressEnd(&s_); }
  Bz2Source(const Bz2Source&) = delete;
  Bz2Source& operator=(const Bz2Source&) = delete;

  uint64_t disk_position() const override { return in_.consumed() - s_.avail_in; }

 protected:
  void decode(char* dst, std::size_t n, std::size_t& done) override {
    s_.next_out = dst;
    s_.avail_out = static_cast<unsigned>(n);
    while (s_.avail_out > 0 && !done_) {
      if (s_.avail_in == 0 && !eof_) refill();
      if (between_streams_) {
        if (s_.avail_in == 0) {  // the end of the file after a whole stream
          done_ = true;
          break;
        }
        BZ2_bzDecompressEnd(&s_);  // another stream follows (pbzip2, cat)
        init();
      }
      const unsigned out_before = s_.avail_out;
      const int rc = BZ2_bzDecompress(&s_);
      done = n - s_.avail_out;
      if (rc == BZ_STREAM_END) {
        between_streams_ = true;
      } else if (rc != BZ_OK) {
        throw IoFailure(std::string("Corrupt bzip2 data (") +
                        (rc == BZ_DATA_ERROR_MAGIC ? "not a bzip2 stream" : rc == BZ_MEM_ERROR ? "out of memory" : "a damaged block") +
                        ").");
      } else if (eof_ && s_.avail_in == 0 && s_.avail_out == out_before) {
        throw IoFailure("Truncated bzip2 data (the file ends inside a stream).");
      }
    }
    done = n - s_.avail_out;
  }

 private:
  // A fresh decoder that goes on with the same input and output buffers.
  void init() {
    const bz_stream keep = s_;
    std::memset(&s_, 0, sizeof s_);
    if (BZ2_bzDecompressInit(&s_, 0, 0) != BZ_OK) throw IoFailure("Cannot start the bzip2 decoder.");
    s_.next_in = keep.next_in;
    s_.avail_in = keep.avail_in;
    s_.next_out = keep.next_out;
    s_.avail_out = keep.avail_out;
    between_streams_ = false;
  }
  void refill() {
    const auto block = in_.next();
    s_.next_in = const_cast<char*>(block.first);
    s_.avail_in = static_cast<unsigned>(block.second);
    eof_ = block.second == 0;
  }

  CompressedInput in_;
  bz_stream s_{};
  bool eof_ = false, done_ = false, between_streams_ = false;
};
#endif

#ifdef PARAIRLINE_HAVE_LZMA
class XzSource : public StreamDecoder {
 public:
  explicit XzSource(const std::string& path) : in_(path) {
    if (lzma_stream_decoder(&s_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
      throw IoFailure("Cannot start the xz decoder.");
    }
  }
  ~XzSource() override { lzma_end(&s_); }
  XzSource(const XzSource&) = delete;
  XzSource& operator=(const XzSource&) = delete;

  uint64_t disk_position() const override { return in_.consumed() - s_.avail_in; }

 protected:
  void decode(char* dst, std::size_t n, std::size_t& done) override {
    s_.next_out = reinterpret_cast<uint8_t*>(dst);
    s_.avail_out = n;
    while (s_.avail_out > 0 && !done_) {
      if (s_.avail_in == 0 && !eof_) {
        const auto block = in_.next();
        s_.next_in = reinterpret_cast<const uint8_t*>(block.first);
        s_.avail_in = block.second;
        eof_ = block.second == 0;
      }
      const lzma_ret rc = lzma_code(&s_, eof_ ? LZMA_FINISH : LZMA_RUN);
      done = n - s_.avail_out;
      if (rc == LZMA_STREAM_END) {
        done_ = true;
      } else if (rc == LZMA_BUF_ERROR && eof_) {
        throw IoFailure("Truncated xz data (the file ends inside a stream).");
      } else if (rc != LZMA_OK) {
        throw IoFailure(std::string("Corrupt xz data (") +
                        (rc == LZMA_MEM_ERROR ? "out of memory" : rc == LZMA_FORMAT_ERROR ? "not an xz stream" : "a damaged block") +
                        ").");
      }
    }
    done = n - s_.avail_out;
  }

 private:
  CompressedInput in_;
  lzma_stream s_ = LZMA_STREAM_INIT;
  bool eof_ = false, done_ = false;
};
#endif

#ifdef PARAIRLINE_HAVE_ZSTD
class ZstdSource : public StreamDecoder {
 public:
  explicit ZstdSource(const std::string& path) : in_(path), ds_(ZSTD_createDStream()) {
    if (ds_ == nullptr) throw IoFailure("Cannot start the zstd decoder.");
  }
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }
  ZstdSource(const ZstdSource&) = delete;
  ZstdSource& operator=(const ZstdSource&) = delete;

  uint64_t disk_position() const override { return in_.consumed() - (input_.size - input_.pos); }

 protected:
  void decode(char* dst, std::size_t n, std::size_t& done) override {
    ZSTD_outBuffer out{dst, n, 0};
    while (out.pos < out.size) {
      if (input_.pos == input_.size && !eof_) {
        const auto block = in_.next();
        input_ = ZSTD_inBuffer{block.first, block.second, 0};
        eof_ = block.second == 0;
      }
      const std::size_t out_before = out.pos, in_before = input_.pos;
      const std::size_t rc = ZSTD_decompressStream(ds_, &out, &input_);
      done = out.pos;
      if (ZSTD_isError(rc)) throw IoFailure(std::string("Corrupt zstd data (") + ZSTD_getErrorName(rc) + ").");
      if (out.pos != out_before || input_.pos != in_before) {
        frame_open_ = rc != 0;  // 0: a frame ended and is flushed; another may follow
      } else if (eof_) {
        // No progress at the end of the file: the end, or a frame cut short.
        if (frame_open_) throw IoFailure("Truncated zstd data (the file ends inside a frame).");
        break;
      }
    }
    done = out.pos;
  }

 private:
  CompressedInput in_;
  ZSTD_DStream* ds_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  bool eof_ = false, frame_open_ = false;
};
#endif

struct ZipMember {
  std::string name;
  uint64_t size = 0;  // uncompressed
};

// A zip archive's members whose names end in ".csv" (any case), in archive
// order. Throws IoFailure if the archive cannot be read.
inline std::vector<ZipMember> zip_csv_members(const std::string& path);

#ifdef PARAIRLINE_HAVE_ARCHIVE
namespace zip_detail {

// libarchive reads the archive through a descriptor it does not close.
struct ArchiveReader {
  archive* a = archive_read_new();
  int fd = -1;
  explicit ArchiveReader(const std::string& path) {
    if (a == nullptr) throw IoFailure("Cannot start the zip reader.");
    {
      platform::InputFile file(path);
      fd = file.release_fd();
    }
    if (fd < 0) {
      archive_read_free(a);
      throw IoFailure("Cannot open the zip archive: " + errno_text(errno) + ".");
    }
    archive_read_support_format_zip(a);
    if (archive_read_open_fd(a, fd, 256 * 1024) != ARCHIVE_OK) {
      const std::string why = reason();
      archive_read_free(a);
      platform::close_fd(fd);
      throw IoFailure("Cannot open the zip archive (" + why + ").");
    }
  }
  ~ArchiveReader() {
    archive_read_free(a);
    platform::close_fd(fd);
  }
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  std::string reason() const {
    const char* why = archive_error_string(a);
    return why ? why : "unknown error";
  }
  [[noreturn]] void fail(const char* what) const { throw IoFailure(std::string(what) + " (" + reason() + ")."); }
  // The next entry's name, or false at the end.
  bool next(std::string& name, bool& regular, uint64_t* size = nullptr) {
    archive_entry* e = nullptr;
    const int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) return false;
    if (rc < ARCHIVE_WARN) fail("Corrupt zip archive");
    const char* n = archive_entry_pathname_utf8(e);
    if (n == nullptr) n = archive_entry_pathname(e);
    name = n ? n : "";
    regular = archive_entry_filetype(e) == AE_IFREG;
    if (size) *size = archive_entry_size_is_set(e) ? static_cast<uint64_t>(archive_entry_size(e)) : 0;
    return true;
  }
};

inline bool ends_with_csv(const std::string& name) {
  if (name.size() < 4) return false;
  std::string tail = name.substr(name.size() - 4);
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == ".csv";
}

}  // namespace zip_detail

inline std::vector<ZipMember> zip_csv_members(const std::string& path) {
  zip_detail::ArchiveReader r(path);
  std::vector<ZipMember> out;
  std::string name;
  bool regular = false;
  uint64_t size = 0;
  while (r.next(name, regular, &size)) {
    if (regular && zip_detail::ends_with_csv(name)) out.push_back({name, size});
  }
  return out;
}

// One member of a zip archive, decompressed as it is read.
class ZipMemberSource : public StreamDecoder {
 public:
  ZipMemberSource(const std::string& path, const std::string& member) : r_(path) {
    std::string name;
    bool regular = false;
    while (r_.next(name, regular)) {
      if (name == member) return;
    }
    throw IoFailure("The zip archive no longer has the member \"" + member + "\".");
  }
  // Uncompressed: the plan counts a member by its uncompressed size.
  uint64_t disk_position() const override { return produced_; }

 protected:
  void decode(char* dst, std::size_t n, std::size_t& done) override {
    while (done < n) {
      const la_ssize_t r = archive_read_data(r_.a, dst + done, n - done);
      if (r < 0) r_.fail("Corrupt or truncated zip data");
      if (r == 0) break;
      done += static_cast<std::size_t>(r);
      produced_ += static_cast<uint64_t>(r);
    }
  }

 private:
  zip_detail::ArchiveReader r_;
  uint64_t produced_ = 0;
};
#else
inline std::vector<ZipMember> zip_csv_members(const std::string&) {
  throw IoFailure(format_unsupported(Format::zip));
}
#endif

// A stream of `format` from the start (for zip, the member `member`).
inline std::unique_ptr<ByteSource> open_decompressor(Format format, const std::string& path,
                                                     const std::string& member) {
  switch (format) {
    case Format::gzip:
      return std::make_unique<GzSource>(path);
#ifdef PARAIRLINE_HAVE_BZIP2
    case Format::bzip2:
      return std::make_unique<Bz2Source>(path);
#endif
#ifdef PARAIRLINE_HAVE_LZMA
    case Format::xz:
      return std::make_unique<XzSource>(path);
#endif
#ifdef PARAIRLINE_HAVE_ZSTD
    case Format::zstd:
      return std::make_unique<ZstdSource>(path);
#endif
#ifdef PARAIRLINE_HAVE_ARCHIVE
    case Format::zip:
      return std::make_unique<ZipMemberSource>(path, member);
#endif
    default:
      (void)member;
      throw IoFailure(format_unsupported(format).empty() ? "Not a compressed format." : format_unsupported(format));
  }
}

// Reads `inner` ahead on its own thread into a few blocks, so decompressing
// the next block overlaps scanning this one. Memory: depth x block bytes.
class PrefetchSource : public ByteSource {
 public:
  explicit PrefetchSource(std::unique_ptr<ByteSource> inner, std::size_t block = 1u << 20, std::size_t depth = 3)
      : inner_(std::move(inner)), block_(block), depth_(depth) {
    thread_ = std::thread([this] { fill(); });
  }
  ~PrefetchSource() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  PrefetchSource(const PrefetchSource&) = delete;
  PrefetchSource& operator=(const PrefetchSource&) = delete;

  std::size_t read(char* dst, std::size_t n) override {
    std::size_t done = 0;
    while (done < n) {
      if (pos_ == current_.bytes.size()) {
        if (current_.last) break;
        if (done > 0 && !ready()) break;  // return what we have rather than wait
        take();
        continue;
      }
      const std::size_t k = std::min(n - done, current_.bytes.size() - pos_);
      std::memcpy(dst + done, current_.bytes.data() + pos_, k);
      pos_ += k;
      done += k;
    }
    return done;
  }
  uint64_t disk_position() const override { return current_.disk; }

 private:
  struct Block {
    std::vector<char> bytes;
    uint64_t disk = 0;
    bool last = false;
    std::exception_ptr error;
  };

  bool ready() {
    std::lock_guard<std::mutex> lock(mu_);
    return !queue_.empty();
  }

  void take() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !queue_.empty(); });
    Block b = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    cv_.notify_all();
    if (b.error) {
      current_ = Block();
      current_.last = true;
      std::rethrow_exception(b.error);
    }
    current_ = std::move(b);
    pos_ = 0;
  }

  void fill() {
    for (bool last = false; !last;) {
      Block b;
      std::exception_ptr error;
      b.bytes.resize(block_);
      std::size_t got = 0;
      try {
        while (got < block_) {
          const std::size_t r = inner_->read(b.bytes.data() + got, block_ - got);
          if (r == 0) {
            b.last = true;
            break;
          }
          got += r;
        }
      } catch (...) {
        error = std::current_exception();
      }
      b.bytes.resize(got);
      b.disk = inner_->disk_position();
      last = b.last || error;
      // The bytes read before a failure still count; the failure comes after.
      if (!push(std::move(b))) return;
      if (error) {
        Block e;
        e.error = error;
        e.last = true;
        if (!push(std::move(e))) return;
      }
    }
  }

  // False if the reader has gone.
  bool push(Block&& b) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return closing_ || queue_.size() < depth_; });
    if (closing_) return false;
    queue_.push_back(std::move(b));
    lock.unlock();
    cv_.notify_all();
    return true;
  }

  std::unique_ptr<ByteSource> inner_;
  const std::size_t block_, depth_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Block> queue_;
  bool closing_ = false;
  Block current_;
  std::size_t pos_ = 0;
  std::thread thread_;
};

}  // namespace parairline
