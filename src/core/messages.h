// What travels in the wire format (wire.h): task results, one frame each,
// from forked and cluster workers, and the plan sent to cluster workers.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "chunk_scan.h"
#include "plan.h"
#include "wire.h"

namespace parairline {

constexpr uint32_t kPlanMagic = 0x5041524C;  // "PARL"

// Appends one frame holding task `task`'s result.
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
  wire::append_frame(out, body);
}

// Reads every frame in `bytes`; throws std::runtime_error if any is
// truncated or damaged.
inline std::vector<std::pair<uint64_t, ChunkResult>> read_frames(const char* p, std::size_t n) {
  std::vector<std::pair<uint64_t, ChunkResult>> out;
  wire::Reader in(p, p + n);
  while (!in.done()) {
    wire::Reader b = wire::next_frame(in);
    ChunkResult r;
    const uint64_t task = b.get<uint64_t>();
    r.hyp = b.get<uint8_t>() != 0;
    r.parity_known = b.get<uint8_t>() != 0;
    r.parity = b.get<uint8_t>() != 0;
    r.skipped = b.get<uint8_t>() != 0;
    CoreError& e = r.error;
    const uint8_t kind = b.get<uint8_t>();
    if (kind > 3) throw std::runtime_error("damaged message (error kind)");
    e.kind = static_cast<CoreError::Kind>(kind);
    e.file = b.get_string();
    e.offset = b.get<uint64_t>();
    e.has_offset = b.get<uint8_t>() != 0;
    e.line = b.get<uint64_t>();
    e.column = b.get<int64_t>();
    e.text = b.get_string();
    e.message = b.get_string();
    r.partial = PartialResult::deserialize(b);
    if (!b.done()) throw std::runtime_error("damaged message (trailing bytes)");
    out.emplace_back(task, std::move(r));
  }
  return out;
}

inline std::string serialize_plan(const Plan& plan) {
  std::string out;
  wire::put<uint32_t>(out, kPlanMagic);
  wire::put<uint64_t>(out, plan.files.size());
  for (const FilePlan& f : plan.files) {
    wire::put_string(out, f.path);
    wire::put_string(out, f.member);
    wire::put_string(out, f.name);
    wire::put<uint8_t>(out, static_cast<uint8_t>(f.format));
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

// Reads what serialize_plan() wrote; throws std::runtime_error if damaged.
inline Plan deserialize_plan(const char* p, std::size_t n) {
  wire::Reader in(p, p + n);
  if (in.get<uint32_t>() != kPlanMagic) throw std::runtime_error("not a parairline plan");
  Plan plan;
  const uint64_t nf = in.get<uint64_t>();
  for (uint64_t i = 0; i < nf; ++i) {
    FilePlan f;
    f.path = in.get_string();
    f.member = in.get_string();
    f.name = in.get_string();
    const uint8_t format = in.get<uint8_t>();
    if (format > static_cast<uint8_t>(Format::zip)) throw std::runtime_error("damaged plan (format)");
    f.format = static_cast<Format>(format);
    f.size = in.get<uint64_t>();
    f.data_begin = in.get<uint64_t>();
    f.ncols = in.get<uint32_t>();
    f.key_col = in.get<uint32_t>();
    f.val_col = in.get<uint32_t>();
    f.key_name = in.get_string();
    f.val_name = in.get_string();
    if (f.key_col >= f.ncols || f.val_col >= f.ncols) throw std::runtime_error("damaged plan");
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
  if (!in.done()) throw std::runtime_error("damaged plan (trailing bytes)");
  return plan;
}

}  // namespace parairline
