// The wire format: how exact results and plans travel between processes
// (forked workers write to pipes, cluster workers return raw vectors). Little
// helpers to write and read fixed-size values and strings, and the frame
// envelope: [magic][body length][body][checksum of body], so a truncated or
// damaged message is detected, never half-merged. What travels is in
// messages.h (plans, task results) and partial.h (partial results).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parairline {
namespace wire {

constexpr uint32_t kFrameMagic = 0x50415246;  // "PARF"
constexpr std::size_t kFrameHeader = 4 + 8;   // magic, body length
constexpr std::size_t kFrameTrailer = 8;      // checksum

inline uint64_t checksum(const char* p, std::size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

template <class T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

inline void put_string(std::string& out, std::string_view s) {
  put<uint64_t>(out, s.size());
  out.append(s.data(), s.size());
}

// Reads what put() wrote; every read checks the bytes are there, without
// arithmetic that a corrupt length could overflow.
class Reader {
 public:
  Reader(const char* p, const char* end) : p_(p), end_(end) {}

  template <class T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p_, sizeof v);
    p_ += sizeof v;
    return v;
  }
  std::string_view get_bytes(uint64_t n) {
    need(n);
    std::string_view v(p_, static_cast<std::size_t>(n));
    p_ += n;
    return v;
  }
  std::string get_string() { return std::string(get_bytes(get<uint64_t>())); }
  // Bytes left, for sanity checks of counts before allocating.
  uint64_t left() const { return static_cast<uint64_t>(end_ - p_); }
  bool done() const { return p_ == end_; }

 private:
  void need(uint64_t n) const {
    if (left() < n) throw std::runtime_error("truncated message");
  }
  const char* p_;
  const char* end_;
};

// Appends one frame holding `body`.
inline void append_frame(std::string& out, std::string_view body) {
  put<uint32_t>(out, kFrameMagic);
  put<uint64_t>(out, body.size());
  out.append(body.data(), body.size());
  put<uint64_t>(out, checksum(body.data(), body.size()));
}

// Reads the next frame of `in` and returns a reader of its body; throws
// std::runtime_error if it is truncated or damaged.
inline Reader next_frame(Reader& in) {
  if (in.get<uint32_t>() != kFrameMagic) throw std::runtime_error("damaged message (bad frame marker)");
  const uint64_t len = in.get<uint64_t>();
  if (len > in.left() || in.left() - len < kFrameTrailer) throw std::runtime_error("truncated message");
  const std::string_view body = in.get_bytes(len);
  if (in.get<uint64_t>() != checksum(body.data(), body.size())) {
    throw std::runtime_error("damaged message (checksum)");
  }
  return Reader(body.data(), body.data() + body.size());
}

// Bytes at the start of [p, p + n) that hold whole frames by their length
// fields (their contents are checked when read): what a stream reader may
// decode now, the rest waiting for more bytes.
inline std::size_t whole_frames_length(const char* p, std::size_t n) {
  std::size_t whole = 0;
  while (n - whole >= kFrameHeader) {
    uint64_t len;
    std::memcpy(&len, p + whole + 4, 8);
    const std::size_t rest = n - whole - kFrameHeader;
    if (len > rest || rest - len < kFrameTrailer) break;
    whole += kFrameHeader + static_cast<std::size_t>(len) + kFrameTrailer;
  }
  return whole;
}

}  // namespace wire
}  // namespace parairline
