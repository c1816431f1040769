// The operating system, for files: reading a file by position (pread(), or
// ReadFile() with an OVERLAPPED offset on Windows, as arrow's io_util does),
// file names (UTF-8 throughout the engine; wide characters on Windows, so
// non-ASCII names work), what a path is, and the system's error texts; and
// for memory: pages for big arrays (map_pages()). With
// process_pool.h (processes: POSIX, or on Windows a stub that says fork() does
// not exist) this is the engine's portability layer: no other file tests the
// operating system. R-free.
#pragma once

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>

#include "error.h"

namespace parairline {
namespace platform {

#ifdef _WIN32

// A UTF-8 name as Windows wants it. Text that is not valid UTF-8 is taken to
// be in the ANSI code page (R's native encoding before R 4.2).
inline std::wstring wide(const std::string& s) {
  if (s.empty()) return std::wstring();
  UINT page = CP_UTF8;
  DWORD flags = MB_ERR_INVALID_CHARS;
  int n = ::MultiByteToWideChar(page, flags, s.data(), static_cast<int>(s.size()), nullptr, 0);
  if (n <= 0) {
    page = CP_ACP;
    flags = 0;
    n = ::MultiByteToWideChar(page, flags, s.data(), static_cast<int>(s.size()), nullptr, 0);
  }
  std::wstring w(static_cast<std::size_t>(std::max(n, 0)), L'\0');
  if (n > 0) ::MultiByteToWideChar(page, flags, s.data(), static_cast<int>(s.size()), &w[0], n);
  return w;
}

inline std::string utf8(const wchar_t* w, int n) {
  const int bytes = ::WideCharToMultiByte(CP_UTF8, 0, w, n, nullptr, 0, nullptr, nullptr);
  std::string s(static_cast<std::size_t>(std::max(bytes, 0)), '\0');
  if (bytes > 0) ::WideCharToMultiByte(CP_UTF8, 0, w, n, &s[0], bytes, nullptr, nullptr);
  return s;
}

// The system's text for a Windows error code, worded as strerror() words the
// common ones, so that messages read the same on every system.
inline std::string windows_error_text(DWORD code) {
  switch (code) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
      return errno_text(ENOENT);
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
      return errno_text(EACCES);
    default:
      break;
  }
  wchar_t* text = nullptr;
  const DWORD n = ::FormatMessageW(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr, code,
      0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
  std::string s = n > 0 && text ? utf8(text, static_cast<int>(n)) : "";
  if (text) ::LocalFree(text);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == '.' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "Windows error " + std::to_string(code) : s;
}

// A file opened for reading, as POSIX opens it: others may read, write,
// rename or delete it meanwhile, and reads at an offset leave no position
// behind that another read could trip over.
class InputFile {
 public:
  explicit InputFile(const std::string& path) {
    h_ = ::CreateFileW(wide(path).c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                       nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h_ == INVALID_HANDLE_VALUE) throw IoFailure("Cannot open the file: " + windows_error_text(::GetLastError()) + ".");
  }
  ~InputFile() {
    if (h_ != INVALID_HANDLE_VALUE) ::CloseHandle(h_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Up to n bytes from `offset`; 0 at the end of the file. Throws IoFailure.
  std::size_t read_at(char* dst, std::size_t n, uint64_t offset) {
    OVERLAPPED ov{};
    ov.Offset = static_cast<DWORD>(offset & 0xFFFFFFFFu);
    ov.OffsetHigh = static_cast<DWORD>(offset >> 32);
    DWORD got = 0;
    const DWORD want = static_cast<DWORD>(std::min<std::size_t>(n, std::size_t(1) << 30));
    if (!::ReadFile(h_, dst, want, &got, &ov)) {
      const DWORD err = ::GetLastError();
      if (err == ERROR_HANDLE_EOF) return 0;
      throw IoFailure("Cannot read the file: " + windows_error_text(err) + ".");
    }
    return got;
  }

  // The file's size now; false if the system cannot tell.
  bool size(uint64_t& out) const {
    LARGE_INTEGER li;
    if (!::GetFileSizeEx(h_, &li)) return false;
    out = static_cast<uint64_t>(li.QuadPart);
    return true;
  }

  // Hands the file over as a C runtime descriptor, for a library that reads
  // through one (zlib's gzdopen(), libarchive); -1 if that fails.
  int release_fd() {
    const int fd = ::_open_osfhandle(reinterpret_cast<intptr_t>(h_), _O_RDONLY | _O_BINARY);
    if (fd >= 0) h_ = INVALID_HANDLE_VALUE;
    return fd;
  }

 private:
  HANDLE h_ = INVALID_HANDLE_VALUE;
};

struct PathInfo {
  bool directory = false;
  uint64_t size = 0;
};

// What `path` is; false with `why` set if it cannot be looked at.
inline bool path_info(const std::string& path, PathInfo& info, std::string& why) {
  WIN32_FILE_ATTRIBUTE_DATA a;
  if (!::GetFileAttributesExW(wide(path).c_str(), GetFileExInfoStandard, &a)) {
    why = windows_error_text(::GetLastError());
    return false;
  }
  info.directory = (a.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  info.size = (static_cast<uint64_t>(a.nFileSizeHigh) << 32) | a.nFileSizeLow;
  return true;
}

// fopen() for a UTF-8 name; `mode` is plain ASCII ("rb", "wb", "ab").
inline std::FILE* open_stdio(const std::string& path, const char* mode) {
  const std::string m(mode);
  return ::_wfopen(wide(path).c_str(), std::wstring(m.begin(), m.end()).c_str());
}

// A new (or emptied) file for writing through a C runtime descriptor, for
// zlib's gzdopen() and libarchive; -1 with errno set if it cannot be made.
inline int open_write_fd(const std::string& path) {
  return ::_wopen(wide(path).c_str(), _O_WRONLY | _O_CREAT | _O_TRUNC | _O_BINARY | _O_NOINHERIT,
                  _S_IREAD | _S_IWRITE);
}

inline void close_fd(int fd) { ::_close(fd); }

inline bool remove_file(const std::string& path) { return ::_wremove(wide(path).c_str()) == 0; }

// `bytes` of zeroed memory from the system, returned to it by
// unmap_pages(p, bytes); nullptr if there is none.
inline void* map_pages(std::size_t bytes) {
  return ::VirtualAlloc(nullptr, bytes, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

inline void unmap_pages(void* p, std::size_t) { ::VirtualFree(p, 0, MEM_RELEASE); }

// The whole pages of [p, p + bytes), inside memory from map_pages(), are
// no longer needed: the system may take them back (a hint).
inline void discard_pages(void* p, std::size_t bytes) {
  SYSTEM_INFO info;
  ::GetSystemInfo(&info);
  const uintptr_t page = info.dwPageSize;
  const uintptr_t from = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t to = (reinterpret_cast<uintptr_t>(p) + bytes) / page * page;
  if (to > from) ::VirtualAlloc(reinterpret_cast<void*>(from), to - from, MEM_RESET, PAGE_READWRITE);
}

#else  // POSIX

// A file opened for reading, read by position.
class InputFile {
 public:
  explicit InputFile(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoFailure("Cannot open the file: " + errno_text(errno) + ".");
  }
  ~InputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;

  // Up to n bytes from `offset`; 0 at the end of the file. Throws IoFailure.
  std::size_t read_at(char* dst, std::size_t n, uint64_t offset) {
    n = std::min<std::size_t>(n, std::size_t(1) << 30);
    for (;;) {
      const ssize_t r = ::pread(fd_, dst, n, static_cast<off_t>(offset));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) throw IoFailure("Cannot read the file: " + errno_text(errno) + ".");
      return static_cast<std::size_t>(r);
    }
  }

  // The file's size now; false if the system cannot tell.
  bool size(uint64_t& out) const {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return false;
    out = static_cast<uint64_t>(st.st_size);
    return true;
  }

  // Hands the descriptor over, for a library that reads through one (zlib's
  // gzdopen(), libarchive); the caller closes it.
  int release_fd() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

struct PathInfo {
  bool directory = false;
  uint64_t size = 0;
};

// What `path` is; false with `why` set if it cannot be looked at.
inline bool path_info(const std::string& path, PathInfo& info, std::string& why) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    why = errno_text(errno);
    return false;
  }
  info.directory = S_ISDIR(st.st_mode);
  info.size = static_cast<uint64_t>(st.st_size);
  return true;
}

// fopen() for a UTF-8 name; `mode` is plain ASCII ("rb", "wb", "ab").
inline std::FILE* open_stdio(const std::string& path, const char* mode) { return std::fopen(path.c_str(), mode); }

// A new (or emptied) file for writing through a descriptor, for zlib's
// gzdopen() and libarchive; -1 with errno set if it cannot be made.
inline int open_write_fd(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
}

inline void close_fd(int fd) { ::close(fd); }

inline bool remove_file(const std::string& path) { return std::remove(path.c_str()) == 0; }

// `bytes` of zeroed memory from the system, returned to it by
// unmap_pages(p, bytes); nullptr if there is none. On Linux it starts on a
// 2 MB boundary and asks for 2 MB pages: a fresh 4 KB page costs about
// 10 us on some virtual machines (a fault, then clearing), so touching an
// array of millions of groups cost more than filling it.
inline void* map_pages(std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t len = (bytes + page - 1) / page * page;
  void* raw = ::mmap(nullptr, len + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  char* const first = static_cast<char*>(raw);
  char* const at = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(first) + kHuge - 1) & ~(kHuge - 1));
  if (at > first) ::munmap(first, static_cast<std::size_t>(at - first));
  const std::size_t tail = static_cast<std::size_t>(first + len + kHuge - (at + len));
  if (tail > 0) ::munmap(at + len, tail);
  ::madvise(at, len, MADV_HUGEPAGE);  // a hint: without it the pages are 4 KB
  return at;
#else
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANON, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
#endif
}

inline void unmap_pages(void* p, std::size_t bytes) { ::munmap(p, bytes); }

// The whole pages of [p, p + bytes), inside memory from map_pages(), are
// no longer needed: the system takes them back (they read as zeros after).
inline void discard_pages(void* p, std::size_t bytes) {
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t from = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t to = (reinterpret_cast<uintptr_t>(p) + bytes) / page * page;
  if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

#endif  // _WIN32

}  // namespace platform
}  // namespace parairline
