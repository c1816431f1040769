// Compresses a file as the airline data are published (gzip, bzip2, xz,
// zstd, or a zip archive holding it plus a readme, like a BTS download),
// streaming with the same libraries the engine reads with. For the
// simulator and the tests. R-free.
#pragma once

// The libraries' headers come with core/decompress.h.
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "core/decompress.h"
#include "core/error.h"
#include "core/platform.h"

namespace parairline {

namespace compress_detail {

// Calls sink(bytes, n) for each block of `in`; false if it could not be read.
inline bool for_each_block(const std::string& in, const std::function<bool(const char*, std::size_t)>& sink,
                           std::string& error) {
  std::FILE* f = platform::open_stdio(in, "rb");
  if (!f) {
    error = "Cannot open " + in + ": " + errno_text(errno) + ".";
    return false;
  }
  std::vector<char> buf(1 << 20);
  bool ok = true;
  for (std::size_t n; ok && (n = std::fread(buf.data(), 1, buf.size(), f)) > 0;) ok = sink(buf.data(), n);
  if (std::ferror(f)) ok = false;
  std::fclose(f);
  if (!ok && error.empty()) error = "Cannot read or compress " + in + ".";
  return ok;
}

class Output {
 public:
  explicit Output(const std::string& path) : f_(platform::open_stdio(path, "wb")) {}
  ~Output() {
    if (f_) std::fclose(f_);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  bool ok() const { return f_ != nullptr; }
  bool write(const void* p, std::size_t n) { return std::fwrite(p, 1, n, f_) == n; }
  bool close() {
    const bool ok = std::fclose(f_) == 0;
    f_ = nullptr;
    return ok;
  }

 private:
  std::FILE* f_;
};

}  // namespace compress_detail

// Writes `in` compressed as `format` to `out`; for zip, the archive holds
// `member` (the CSV) and a readme.html. Returns "" or what went wrong.
inline std::string compress_file(const std::string& in, const std::string& out, Format format,
                                 const std::string& member = "data.csv") {
  using compress_detail::for_each_block;
  std::string error;
  if (!format_unsupported(format).empty()) return format_unsupported(format);
  switch (format) {
    case Format::gzip: {
      const int fd = platform::open_write_fd(out);
      gzFile gz = fd >= 0 ? gzdopen(fd, "wb6") : nullptr;
      if (!gz) {
        if (fd >= 0) platform::close_fd(fd);
        return "Cannot create " + out + ".";
      }
      const bool ok = for_each_block(in, [&](const char* p, std::size_t n) {
        return gzwrite(gz, p, static_cast<unsigned>(n)) == static_cast<int>(n);
      }, error);
      if (gzclose(gz) != Z_OK || !ok) return error.empty() ? "Cannot write " + out + "." : error;
      return "";
    }
#ifdef PARAIRLINE_HAVE_BZIP2
    case Format::bzip2: {
      std::FILE* f = platform::open_stdio(out, "wb");
      if (!f) return "Cannot create " + out + ".";
      int bzerr = BZ_OK;
      BZFILE* bz = BZ2_bzWriteOpen(&bzerr, f, 9, 0, 0);
      bool ok = bzerr == BZ_OK && for_each_block(in, [&](const char* p, std::size_t n) {
        BZ2_bzWrite(&bzerr, bz, const_cast<char*>(p), static_cast<int>(n));
        return bzerr == BZ_OK;
      }, error);
      BZ2_bzWriteClose(&bzerr, bz, ok ? 0 : 1, nullptr, nullptr);
      ok = ok && bzerr == BZ_OK;
      ok = std::fclose(f) == 0 && ok;
      return ok ? "" : (error.empty() ? "Cannot write " + out + "." : error);
    }
#endif
#ifdef PARAIRLINE_HAVE_LZMA
    case Format::xz: {
      compress_detail::Output o(out);
      if (!o.ok()) return "Cannot create " + out + ".";
      lzma_stream s = LZMA_STREAM_INIT;
      if (lzma_easy_encoder(&s, 6, LZMA_CHECK_CRC64) != LZMA_OK) return "Cannot start the xz encoder.";
      std::vector<uint8_t> buf(1 << 16);
      auto pump = [&](lzma_action action) {
        for (;;) {
          s.next_out = buf.data();
          s.avail_out = buf.size();
          const lzma_ret rc = lzma_code(&s, action);
          if (!o.write(buf.data(), buf.size() - s.avail_out)) return false;
          if (rc == LZMA_STREAM_END) return true;
          if (rc != LZMA_OK) return false;
          if (action == LZMA_RUN && s.avail_in == 0) return true;
        }
      };
      bool ok = for_each_block(in, [&](const char* p, std::size_t n) {
        s.next_in = reinterpret_cast<const uint8_t*>(p);
        s.avail_in = n;
        return pump(LZMA_RUN);
      }, error);
      ok = ok && pump(LZMA_FINISH);
      lzma_end(&s);
      ok = o.close() && ok;
      return ok ? "" : (error.empty() ? "Cannot write " + out + "." : error);
    }
#endif
#ifdef PARAIRLINE_HAVE_ZSTD
    case Format::zstd: {
      compress_detail::Output o(out);
      if (!o.ok()) return "Cannot create " + out + ".";
      ZSTD_CCtx* cctx = ZSTD_createCCtx();
      if (!cctx) return "Cannot start the zstd encoder.";
      // A checksum, as the zstd tool writes: damaged data is then detected.
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
      std::vector<char> buf(ZSTD_CStreamOutSize());
      auto pump = [&](const char* p, std::size_t n, ZSTD_EndDirective mode) {
        ZSTD_inBuffer input{p, n, 0};
        for (;;) {
          ZSTD_outBuffer output{buf.data(), buf.size(), 0};
          const std::size_t left = ZSTD_compressStream2(cctx, &output, &input, mode);
          if (ZSTD_isError(left) || !o.write(buf.data(), output.pos)) return false;
          if (mode == ZSTD_e_end ? left == 0 : input.pos == input.size) return true;
        }
      };
      bool ok = for_each_block(in, [&](const char* p, std::size_t n) { return pump(p, n, ZSTD_e_continue); }, error);
      ok = ok && pump(nullptr, 0, ZSTD_e_end);
      ZSTD_freeCCtx(cctx);
      ok = o.close() && ok;
      return ok ? "" : (error.empty() ? "Cannot write " + out + "." : error);
    }
#endif
#ifdef PARAIRLINE_HAVE_ARCHIVE
    case Format::zip: {
      archive* a = archive_write_new();
      if (!a) return "Cannot start the zip writer.";
      archive_write_set_format_zip(a);
      const int fd = platform::open_write_fd(out);  // libarchive does not close it
      bool ok = fd >= 0 && archive_write_open_fd(a, fd) == ARCHIVE_OK;
      auto add = [&](const std::string& name, int64_t size, const std::function<bool()>& body) {
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, name.c_str());
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, size);
        bool added = archive_write_header(a, e) == ARCHIVE_OK && body();
        archive_entry_free(e);
        return added;
      };
      platform::PathInfo info;
      std::string why;
      const int64_t size = platform::path_info(in, info, why) ? static_cast<int64_t>(info.size) : -1;
      ok = ok && size >= 0 && add(member, size, [&] {
        return for_each_block(in, [&](const char* p, std::size_t n) {
          return archive_write_data(a, p, n) == static_cast<la_ssize_t>(n);
        }, error);
      });
      const std::string readme = "<html><body><p>Simulated on-time data; see the CSV file.</p></body></html>\n";
      ok = ok && add("readme.html", static_cast<int64_t>(readme.size()), [&] {
        return archive_write_data(a, readme.data(), readme.size()) == static_cast<la_ssize_t>(readme.size());
      });
      ok = archive_write_close(a) == ARCHIVE_OK && ok;
      archive_write_free(a);
      if (fd >= 0) platform::close_fd(fd);
      return ok ? "" : (error.empty() ? "Cannot write " + out + "." : error);
    }
#endif
    default:
      (void)member;  // only zip names its member
      return "Not a compressed format.";
  }
}

}  // namespace parairline
