// What the standalone core tests share (tools/core-*.cpp, the fuzz harness):
// CHECK, the "N passed, N failed" line `make` and CI read, a temporary
// directory, and file writers that fail loudly.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace core_check {

inline int checks = 0;
inline int failures = 0;

// Prints the totals; returns the exit status.
inline int report() {
  std::printf("%d passed, %d failed\n", checks - failures, failures);
  return failures == 0 ? 0 : 1;
}

// Writes `bytes` to `path` (gzip level 1 with gz, appended with append);
// false on any failure.
inline bool write_bytes(const std::string& path, const std::string& bytes, bool gz = false, bool append = false) {
  if (gz) {
    gzFile f = gzopen(path.c_str(), append ? "ab1" : "wb1");
    if (!f) return false;
    const int w = bytes.empty() ? 0 : gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    return gzclose(f) == Z_OK && w == static_cast<int>(bytes.size());
  }
  FILE* f = std::fopen(path.c_str(), append ? "ab" : "wb");
  if (!f) return false;
  const bool wrote = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
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
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    char buf[65536];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

// A fresh directory under /tmp, removed with its contents at the end.
class TempDir {
 public:
  explicit TempDir(const char* name) {
    std::string tmpl = std::string("/tmp/") + name + "-XXXXXX";
    if (!::mkdtemp(&tmpl[0])) {
      std::perror("mkdtemp");
      std::exit(2);
    }
    path_ = tmpl;
  }
  ~TempDir() {
    const std::string cmd = "rm -rf '" + path_ + "'";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
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
