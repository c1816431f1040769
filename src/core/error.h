// Errors of the engine. Workers fill in a CoreError and stop; the caller's
// thread turns it into one R condition (the glue) or a message (the tools).
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace parairline {

// `offset` is the byte offset where the bad record starts; the caller turns
// it into a line number (locate_error()) only when it reports the error.
struct CoreError {
  enum class Kind : uint8_t { none = 0, parse = 1, io = 2, input = 3 };  // input: unsupported by this build
  Kind kind = Kind::none;
  std::string file;
  uint64_t offset = 0;
  bool has_offset = false;
  uint64_t line = 0;   // 1-based, 0 = unknown
  int64_t column = 0;  // 1-based field number, 0 = none
  std::string text;
  std::string message;

  explicit operator bool() const { return kind != Kind::none; }
};

inline CoreError io_error(const std::string& file, std::string message) {
  CoreError e;
  e.kind = CoreError::Kind::io;
  e.file = file;
  e.message = std::move(message);
  return e;
}

inline CoreError parse_error(const std::string& file, uint64_t line, std::string message) {
  CoreError e = io_error(file, std::move(message));
  e.kind = CoreError::Kind::parse;
  e.line = line;
  return e;
}

// Thrown by byte sources; scan_task() turns it into an io CoreError.
struct IoFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The system's text for an errno value: the one strerror wrapper.
inline std::string errno_text(int err) { return std::strerror(err); }

// "<what> failed: <reason>", for system calls that fail.
inline std::string errno_message(const char* what, int err) { return std::string(what) + " failed: " + errno_text(err); }

}  // namespace parairline
