// What the standalone core tests share (tools/core-*.cpp, the fuzz harness):
// CHECK, the "N passed, N failed" line `make` and CI read, a temporary
// directory, and file writers that fail loudly. Portable (the cross builds of
// `make cross-test` run them on Windows): files go through core/platform.h.
#pragma once

#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>

#include "core/platform.h"

namespace core_check {

inline int checks = 0;
inline int failures = 0;

// Prints the totals; returns the exit status.
inline int report() {
  std::printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}

// `bytes` as one gzip stream (level 1), made in memory: zlib's gzopen()
// takes no UTF-8 name on Windows.
inline bool gzip_bytes(const std::string& bytes, std::string& out) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  out.assign(deflateBound(&z, static_cast<uLong>(bytes.size())) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(&out[0]);
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END;
}

// Writes `bytes` to `path` (gzip level 1 with gz, appended with append);
// false on any failure.
inline bool write_bytes(const std::string& path, const std::string& bytes, bool gz = false, bool append = false) {
  std::string packed;
  if (gz && !gzip_bytes(bytes, packed)) return false;
  const std::string& data = gz ? packed : bytes;
  FILE* f = parairline::platform::open_stdio(path, append ? "ab" : "wb");
  if (!f) return false;
  const bool wrote = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && wrote;
}

// A test cannot go on without its input file.
inline void write_or_exit(const std::string& path, const std::string& bytes, bool gz = false, bool append = false) {
  if (!write_bytes(path, bytes, gz, append)) {
    std::perror(path.c_str());
    std::exit(2);
  }
}

// The file's bytes as they are on disk (compressed for gzip).
inline std::string read_bytes(const std::string& path) {
  std::string out;
  if (FILE* f = parairline::platform::open_stdio(path, "rb")) {
    char buf[65536];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

// A fresh directory in the system's temporary directory, removed with its
// contents at the end. Its name (UTF-8, with forward slashes) is ASCII.
class TempDir {
 public:
  explicit TempDir(const char* name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path base = fs::temp_directory_path(ec);
    std::mt19937_64 rng(static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    for (int attempt = 0; attempt < 100 && !ec; ++attempt) {
      const fs::path dir = base / (std::string(name) + "-" + std::to_string(rng() % 1000000000));
      if (fs::create_directory(dir, ec)) {
        dir_ = dir;
        path_ = dir.generic_u8string();
        return;
      }
    }
    std::fprintf(stderr, "cannot make a temporary directory: %s\n", ec.message().c_str());
    std::exit(2);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    if (ec) std::fprintf(stderr, "could not remove %s: %s\n", path_.c_str(), ec.message().c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace core_check

#define CHECK(cond, what)                                                                                 \
  do {                                                                                                    \
    ++core_check::checks;                                                                                 \
    if (!(cond)) {                                                                                        \
      ++core_check::failures;                                                                             \
      std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, std::string(what).c_str());          \
    }                                                                                                     \
  } while (0)
