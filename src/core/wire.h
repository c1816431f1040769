// Binary forms of a plan and of task results, for work done elsewhere:
// forked workers write result frames to pipes, cluster workers return them as
// raw vectors. Each frame is length-prefixed and ends with a checksum of its
// body, so a truncated or damaged message is detected, never half-merged.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "group_sum.h"

namespace parairline {

namespace wire {

constexpr uint32_t kFrameMagic = 0x50415246;  // "PARF"
constexpr uint32_t kPlanMagic = 0x5041524C;   // "PARL"

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
inline void put_string(std::string& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.append(s);
}

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
  std::string get_string() {
    const uint64_t n = get<uint64_t>();
    need(n);
    std::string s(p_, static_cast<std::size_t>(n));
    p_ += n;
    return s;
  }
  const char*& pos() { return p_; }
  const char* end() const { return end_; }
  bool done() const { return p_ == end_; }

 private:
  void need(uint64_t n) {
    if (static_cast<uint64_t>(end_ - p_) < n) throw std::runtime_error("truncated message");
  }
  const char* p_;
  const char* end_;
};

}  // namespace wire

// Appends one frame: [magic][body length][body][checksum of body].
inline void write_frame(std::string& out, uint64_t task, const ChunkResult& r) {
  std::string body;
  wire::put<uint64_t>(body, task);
  wire::put<uint8_t>(body, r.hyp);
  wire::put<uint8_t>(body, r.parity_known);
  wire::put<uint8_t>(body, r.parity);
  wire::put<uint8_t>(body, r.skipped);
  const CoreError& e = r.error;
  wire::put<uint8_t>(body, static_cast<uint8_t>(e.kind));
  wire::put_string(body, e.file);
  wire::put<uint64_t>(body, e.offset);
  wire::put<uint8_t>(body, e.has_offset);
  wire::put<uint64_t>(body, e.line);
  wire::put<int64_t>(body, e.column);
  wire::put_string(body, e.text);
  wire::put_string(body, e.message);
  r.partial.serialize(body);
  wire::put<uint32_t>(out, wire::kFrameMagic);
  wire::put<uint64_t>(out, body.size());
  out.append(body);
  wire::put<uint64_t>(out, wire::checksum(body.data(), body.size()));
}

// Reads every frame in `bytes`; throws std::runtime_error if any is
// truncated or damaged.
inline std::vector<std::pair<uint64_t, ChunkResult>> read_frames(const char* p, std::size_t n) {
  std::vector<std::pair<uint64_t, ChunkResult>> out;
  wire::Reader in(p, p + n);
  while (!in.done()) {
    if (in.get<uint32_t>() != wire::kFrameMagic) throw std::runtime_error("damaged message (bad frame marker)");
    const uint64_t len = in.get<uint64_t>();
    if (static_cast<uint64_t>(in.end() - in.pos()) < len + 8) throw std::runtime_error("truncated message");
    const char* body = in.pos();
    uint64_t sum;
    std::memcpy(&sum, body + len, 8);
    if (sum != wire::checksum(body, static_cast<std::size_t>(len))) throw std::runtime_error("damaged message (checksum)");
    wire::Reader b(body, body + len);
    ChunkResult r;
    const uint64_t task = b.get<uint64_t>();
    r.hyp = b.get<uint8_t>() != 0;
    r.parity_known = b.get<uint8_t>() != 0;
    r.parity = b.get<uint8_t>() != 0;
    r.skipped = b.get<uint8_t>() != 0;
    CoreError& e = r.error;
    const uint8_t kind = b.get<uint8_t>();
    if (kind > 2) throw std::runtime_error("damaged message (error kind)");
    e.kind = static_cast<CoreError::Kind>(kind);
    e.file = b.get_string();
    e.offset = b.get<uint64_t>();
    e.has_offset = b.get<uint8_t>() != 0;
    e.line = b.get<uint64_t>();
    e.column = b.get<int64_t>();
    e.text = b.get_string();
    e.message = b.get_string();
    r.partial = PartialResult::deserialize(b.pos(), body + len);
    if (!b.done()) throw std::runtime_error("damaged message (trailing bytes)");
    in.pos() += len + 8;
    out.emplace_back(task, std::move(r));
  }
  return out;
}

inline std::string serialize_plan(const Plan& plan) {
  std::string out;
  wire::put<uint32_t>(out, wire::kPlanMagic);
  wire::put<uint64_t>(out, plan.files.size());
  for (const FilePlan& f : plan.files) {
    wire::put_string(out, f.path);
    wire::put<uint8_t>(out, f.gz);
    wire::put<uint64_t>(out, f.size);
    wire::put<uint64_t>(out, f.data_begin);
    wire::put<uint32_t>(out, f.ncols);
    wire::put<uint32_t>(out, f.key_col);
    wire::put<uint32_t>(out, f.val_col);
    wire::put_string(out, f.key_name);
    wire::put_string(out, f.val_name);
  }
  wire::put<uint64_t>(out, plan.tasks.size());
  for (const TaskSpec& t : plan.tasks) {
    wire::put<uint32_t>(out, t.file);
    wire::put<uint64_t>(out, t.begin);
    wire::put<uint64_t>(out, t.end);
    wire::put<uint8_t>(out, t.first);
    wire::put<uint8_t>(out, t.last);
  }
  wire::put<uint64_t>(out, plan.total_bytes);
  return out;
}

inline Plan deserialize_plan(const char* p, std::size_t n) {
  wire::Reader in(p, p + n);
  if (in.get<uint32_t>() != wire::kPlanMagic) throw std::runtime_error("not a parairline plan");
  Plan plan;
  const uint64_t nf = in.get<uint64_t>();
  for (uint64_t i = 0; i < nf; ++i) {
    FilePlan f;
    f.path = in.get_string();
    f.gz = in.get<uint8_t>() != 0;
    f.size = in.get<uint64_t>();
    f.data_begin = in.get<uint64_t>();
    f.ncols = in.get<uint32_t>();
    f.key_col = in.get<uint32_t>();
    f.val_col = in.get<uint32_t>();
    f.key_name = in.get_string();
    f.val_name = in.get_string();
    plan.files.push_back(std::move(f));
  }
  const uint64_t nt = in.get<uint64_t>();
  for (uint64_t i = 0; i < nt; ++i) {
    TaskSpec t;
    t.file = in.get<uint32_t>();
    t.begin = in.get<uint64_t>();
    t.end = in.get<uint64_t>();
    t.first = in.get<uint8_t>() != 0;
    t.last = in.get<uint8_t>() != 0;
    if (t.file >= nf) throw std::runtime_error("damaged plan");
    plan.tasks.push_back(t);
  }
  plan.total_bytes = in.get<uint64_t>();
  return plan;
}

// Bytes a task covers, for balancing groups of tasks across workers.
inline uint64_t task_bytes(const Plan& plan, const TaskSpec& t) {
  const FilePlan& f = plan.files[t.file];
  if (f.gz) return f.size;
  return t.end - t.begin;
}

}  // namespace parairline
