// Scans one byte-range chunk of a CSV file and sums the value field per key.
//
// Field boundaries are found 64 bytes at a time: bit masks of quotes, commas
// and newlines, and the in-quotes mask as the prefix XOR of the quote mask
// (every quote toggles the state, so doubled quotes need no special case).
// Only the key and value fields are looked at; the commas in between are just
// counted. A record belongs to the chunk in which it starts.
//
// A chunk other than a file's first does not know whether its first byte is
// inside a quoted field. It assumes a state (the hypothesis) and reports the
// quote parity of its byte range, which does not depend on the hypothesis;
// the reducer chains the parities and re-scans a chunk whose guess was wrong.
#pragma once

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "csv_source.h"
#include "decimal.h"
#include "partial.h"

namespace parairline {

// One unit of work: the records of file `file` that start in [begin, end).
struct TaskSpec {
  uint32_t file = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
  bool first = false;  // begins at the file's data_begin, state known
  bool last = false;   // ends at the end of the file
};

struct ChunkResult {
  PartialResult partial;
  bool hyp = false;           // assumed in-quotes state at begin - 1
  bool parity_known = false;  // quote parity of [begin - 1, end - 1) was reached
  bool parity = false;
  bool skipped = false;       // not scanned (stopped or not needed)
  CoreError error;
};

struct BlockMasks {
  uint64_t quote, comma, newline;
};

inline BlockMasks block_masks(const char* p) {
#if defined(__SSE2__)
  const __m128i q = _mm_set1_epi8('"'), c = _mm_set1_epi8(','), n = _mm_set1_epi8('\n');
  BlockMasks m{0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const int shift = 16 * i;
    m.quote |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)))) << shift;
    m.comma |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)))) << shift;
    m.newline |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, n)))) << shift;
  }
  return m;
#else
  BlockMasks m{0, 0, 0};
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    m.quote |= p[i] == '"' ? bit : 0;
    m.comma |= p[i] == ',' ? bit : 0;
    m.newline |= p[i] == '\n' ? bit : 0;
  }
  return m;
#endif
}

// Bit i of the result is the XOR of bits 0..i of x.
inline uint64_t prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

// Bits 0..j set.
inline uint64_t mask_through(int j) { return j >= 63 ? ~uint64_t{0} : (uint64_t{2} << j) - 1; }

class ChunkScanner {
 public:
  static constexpr uint64_t kNone = ~uint64_t{0};
  static constexpr std::size_t kPad = 64;

  ChunkScanner(const FilePlan& fp, const TaskSpec& task, bool hyp, ChunkResult& out)
      : fp_(fp), out_(out), chunk_end_(task.end), key_col_(fp.key_col), val_col_(fp.val_col), ncols_(fp.ncols) {
    out_.hyp = hyp;
    in_quotes_ = hyp ? ~uint64_t{0} : 0;
    parity_target_ = task.last ? kNone : task.end - 1;
    // Fields whose end we must note: the one before each wanted field (its
    // start) and the wanted field itself (its end).
    uint64_t cand[4] = {key_col_ == 0 ? kNone : key_col_ - 1u, key_col_, val_col_ == 0 ? kNone : val_col_ - 1u, val_col_};
    for (uint64_t c : cand) {
      if (c == kNone) continue;
      bool seen = false;
      for (int i = 0; i < nstops_; ++i) seen = seen || stops_[i] == c;
      if (!seen) stops_[nstops_++] = c;
    }
    for (int i = 1; i < nstops_; ++i) {
      for (int j = i; j > 0 && stops_[j - 1] > stops_[j]; --j) std::swap(stops_[j - 1], stops_[j]);
    }
    stops_[nstops_] = kNone;
  }

  void start_at_record(uint64_t pos) {
    skipping_ = false;
    start_record(pos);
  }
  void start_skipping() { skipping_ = true; }

  bool done() const { return done_; }

  // Scans blocks [from, to) of buf (file offset `base` at buf[0]); 64 bytes
  // must be readable past `to`. Returns where it stopped.
  std::size_t scan(const char* buf, uint64_t base, std::size_t from, std::size_t to) {
    buf_ = buf;
    base_ = base;
    std::size_t off = from;
    for (; off < to; off += 64) {
      BlockMasks m = block_masks(buf + off);
      const uint64_t blk = base + off;
      if (to - off < 64) {
        const uint64_t valid = (uint64_t{1} << (to - off)) - 1;
        m.quote &= valid;
        m.comma &= valid;
        m.newline &= valid;
      }
      const uint64_t inside = prefix_xor(m.quote) ^ in_quotes_;
      if (parity_target_ != kNone && parity_target_ < blk + 64) {
        const uint64_t below = (uint64_t{1} << (parity_target_ - blk)) - 1;
        const bool state = ((in_quotes_ & 1) != 0) ^ ((__builtin_popcountll(m.quote & below) & 1) != 0);
        out_.parity = state ^ out_.hyp;
        out_.parity_known = true;
        parity_target_ = kNone;
      }
      in_quotes_ = static_cast<uint64_t>(static_cast<int64_t>(inside) >> 63);
      on_block(m.comma & ~inside, m.newline & ~inside, blk);
      if (done_) return off + 64;
    }
    return to;
  }

  // Everything has been scanned and the file ends at `eof`.
  void finish(const char* buf, uint64_t base, uint64_t eof) {
    buf_ = buf;
    base_ = base;
    if (done_ || skipping_) return;
    if (in_quotes_) {
      fail_parse("A quoted field is not closed before the end of the file.", 0, std::string_view());
      return;
    }
    if (field_idx_ > 0 || eof > rec_start_) {
      if (field_idx_ == next_stop_) on_stop(eof);
      end_record(eof);
    }
    done_ = true;
  }

  // The earliest byte still needed once everything before `next` is scanned;
  // fields complete before it are copied out so the buffer can slide.
  uint64_t keep_from(uint64_t next) {
    uint64_t keep = next;
    if (!skipping_) {
      keep = std::min(keep, hold(key_start_, key_end_, key_saved_, key_buf_));
      keep = std::min(keep, hold(val_start_, val_end_, val_saved_, val_buf_));
    }
    return keep > base_ ? keep - 1 : keep;  // one byte before, for the CR check
  }

 private:
  uint64_t hold(uint64_t start, uint64_t end, bool& saved, std::string& buf) {
    if (start == kNone || saved) return kNone;
    if (end == kNone) return start;
    buf.assign(buf_ + (start - base_), end - start);
    saved = true;
    return kNone;
  }

  void start_record(uint64_t pos) {
    rec_start_ = pos;
    field_idx_ = 0;
    stop_i_ = 0;
    next_stop_ = stops_[0];
    key_start_ = key_col_ == 0 ? pos : kNone;
    val_start_ = val_col_ == 0 ? pos : kNone;
    key_end_ = val_end_ = kNone;
    key_saved_ = val_saved_ = false;
  }

  // Field `next_stop_` ends at `pos`.
  void on_stop(uint64_t pos) {
    const uint64_t f = next_stop_;
    if (f + 1 == key_col_) key_start_ = pos + 1;
    if (f == key_col_) key_end_ = pos;
    if (f + 1 == val_col_) val_start_ = pos + 1;
    if (f == val_col_) val_end_ = pos;
    next_stop_ = stops_[++stop_i_];
  }

  void on_block(uint64_t comma, uint64_t nl, uint64_t blk) {
    for (;;) {
      if (skipping_) {
        if (!nl) return;
        const int j = __builtin_ctzll(nl);
        nl &= nl - 1;
        comma &= ~mask_through(j);
        skipping_ = false;
        const uint64_t pos = blk + static_cast<uint64_t>(j);
        if (pos + 1 >= chunk_end_) {
          done_ = true;
          return;
        }
        start_record(pos + 1);
      }
      const uint64_t before = nl ? (nl & (~nl + 1)) - 1 : ~uint64_t{0};
      uint64_t cs = comma & before;
      while (cs) {
        const uint64_t cnt = static_cast<uint64_t>(__builtin_popcountll(cs));
        if (next_stop_ >= field_idx_ + cnt) {
          field_idx_ += cnt;
          break;
        }
        for (uint64_t t = next_stop_ - field_idx_; t > 0; --t) cs &= cs - 1;
        const int j = __builtin_ctzll(cs);
        cs &= cs - 1;
        field_idx_ = next_stop_ + 1;
        on_stop(blk + static_cast<uint64_t>(j));
      }
      if (!nl) return;
      comma &= ~before;
      const int j = __builtin_ctzll(nl);
      nl &= nl - 1;
      comma &= ~mask_through(j);
      const uint64_t pos = blk + static_cast<uint64_t>(j);
      if (field_idx_ == next_stop_) on_stop(pos);
      end_record(pos);
      if (done_) return;
      if (pos + 1 >= chunk_end_) {
        done_ = true;
        return;
      }
      start_record(pos + 1);
    }
  }

  char byte_at(uint64_t pos) const { return buf_[pos - base_]; }

  std::string_view field_bytes(uint64_t start, uint64_t end, bool saved, const std::string& saved_buf, bool cr,
                               uint32_t col) const {
    std::string_view v = saved ? std::string_view(saved_buf) : std::string_view(buf_ + (start - base_), end - start);
    if (cr && col + 1 == ncols_ && !v.empty() && v.back() == '\r') v.remove_suffix(1);
    return v;
  }

  void end_record(uint64_t pos) {
    const bool cr = pos > rec_start_ && byte_at(pos - 1) == '\r';
    if (field_idx_ == 0 && (pos == rec_start_ || (cr && pos == rec_start_ + 1))) return;  // blank line
    if (field_idx_ + 1 != ncols_) {
      fail_parse("The row has " + std::to_string(field_idx_ + 1) + " fields but the header has " +
                     std::to_string(ncols_) + ".",
                 0, std::string_view());
      return;
    }
    std::string_view key = field_bytes(key_start_, key_end_, key_saved_, key_buf_, cr, key_col_);
    std::string_view val = field_bytes(val_start_, val_end_, val_saved_, val_buf_, cr, val_col_);
    bool copied = false;
    if (!key.empty() && (key.front() == '"' || std::memchr(key.data(), '"', key.size()))) {
      if (!unquote_field(key.data(), key.size(), key_tmp_, copied)) {
        fail_parse("Field " + std::to_string(key_col_ + 1) + " (" + fp_.key_name + ") has a stray quote.",
                   key_col_ + 1, key);
        return;
      }
      key = copied ? std::string_view(key_tmp_) : key.substr(1, key.size() - 2);
    }
    if (!val.empty() && (val.front() == '"' || std::memchr(val.data(), '"', val.size()))) {
      if (!unquote_field(val.data(), val.size(), val_tmp_, copied)) {
        fail_parse("Field " + std::to_string(val_col_ + 1) + " (" + fp_.val_name + ") has a stray quote.",
                   val_col_ + 1, val);
        return;
      }
      val = copied ? std::string_view(val_tmp_) : val.substr(1, val.size() - 2);
    }
    const ParseStatus st = parse_decimal(val.data(), val.data() + val.size(), dec_);
    if (st == ParseStatus::bad || st == ParseStatus::out_of_range) {
      const char* what = st == ParseStatus::bad ? "is not a number" : "is out of range (beyond 1e310 or below 1e-400)";
      fail_parse("Column " + fp_.val_name + " (field " + std::to_string(val_col_ + 1) + ") has \"" +
                     printable(val) + "\", which " + what + ".",
                 val_col_ + 1, val);
      return;
    }
    bool created = false;
    Group& g = out_.partial.find_or_insert(key, &created);
    if (created && std::memchr(key.data(), '\0', key.size())) {
      fail_parse("Column " + fp_.key_name + " (field " + std::to_string(key_col_ + 1) +
                     ") has a NUL byte, which R strings cannot hold.",
                 key_col_ + 1, key);
      return;
    }
    ++g.n;
    if (st == ParseStatus::missing) {
      ++g.missing;
    } else {
      g.sum.add(dec_);
    }
  }

  static std::string printable(std::string_view v) {
    std::string s;
    for (char c : v.substr(0, 60)) {
      const unsigned char u = static_cast<unsigned char>(c);
      if (u < 32 || u == 127) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "\\x%02x", u);
        s += hex;
      } else {
        s.push_back(c);
      }
    }
    if (v.size() > 60) s += "...";
    return s;
  }

  void fail_parse(std::string message, int64_t column, std::string_view text) {
    CoreError& e = out_.error;
    e.kind = CoreError::Kind::parse;
    e.file = fp_.path;
    e.offset = rec_start_;
    e.has_offset = true;
    e.column = column;
    e.text = printable(text);
    e.message = std::move(message);
    done_ = true;
  }

  const FilePlan& fp_;
  ChunkResult& out_;
  const uint64_t chunk_end_;
  const uint64_t key_col_, val_col_, ncols_;
  uint64_t stops_[5] = {kNone, kNone, kNone, kNone, kNone};
  int nstops_ = 0;

  const char* buf_ = nullptr;
  uint64_t base_ = 0;
  uint64_t in_quotes_ = 0;  // all ones inside quotes
  uint64_t parity_target_ = kNone;
  bool skipping_ = false;
  bool done_ = false;

  uint64_t rec_start_ = 0;
  uint64_t field_idx_ = 0;
  int stop_i_ = 0;
  uint64_t next_stop_ = kNone;
  uint64_t key_start_ = kNone, key_end_ = kNone, val_start_ = kNone, val_end_ = kNone;
  bool key_saved_ = false, val_saved_ = false;
  std::string key_buf_, val_buf_, key_tmp_, val_tmp_;
  Decimal dec_;
};

// Scans one task with a reusable buffer. Never throws for bad input: errors
// land in the result. `stop` is polled between reads.
inline void scan_task(const FilePlan& fp, const TaskSpec& task, bool hyp, std::vector<char>& buf,
                      const std::atomic<bool>& stop, std::atomic<uint64_t>* progress, ChunkResult& out) {
  out = ChunkResult();
  out.hyp = hyp;
  const uint64_t start = task.first ? fp.data_begin : task.begin - 1;
  const uint64_t span = task.last && fp.gz ? uint64_t{1} << 20 : task.end - start;
  const std::size_t first_read = static_cast<std::size_t>(std::min<uint64_t>(span + 4096, 16u << 20));
  const std::size_t window = std::max<std::size_t>(first_read, 64 * 1024);
  if (buf.size() < window + ChunkScanner::kPad) buf.resize(window + ChunkScanner::kPad);
  try {
    std::unique_ptr<ByteSource> src = open_source(fp, start);
    ChunkScanner sc(fp, task, hyp, out);
    if (task.first) {
      sc.start_at_record(fp.data_begin);
    } else {
      sc.start_skipping();
    }
    uint64_t base = start;
    std::size_t len = 0, next = 0;
    bool eof = false;
    bool first = true;
    uint64_t disk_seen = src->disk_position();
    for (;;) {
      if (buf.size() - ChunkScanner::kPad - len < 4096) buf.resize(2 * buf.size());  // one huge field
      const std::size_t room = buf.size() - ChunkScanner::kPad - len;
      const std::size_t got = src->read(buf.data() + len, first ? std::min(room, first_read) : room);
      first = false;
      if (got == 0) eof = true;
      len += got;
      if (progress) {
        const uint64_t d = src->disk_position();
        progress->fetch_add(d - disk_seen, std::memory_order_relaxed);
        disk_seen = d;
      }
      std::size_t to = len;
      if (eof) {
        std::memset(buf.data() + len, 0, ChunkScanner::kPad);
      } else {
        to = next + (len - next) / 64 * 64;
      }
      next = sc.scan(buf.data(), base, next, to);
      if (sc.done()) break;
      if (eof) {
        sc.finish(buf.data(), base, base + len);
        break;
      }
      if (stop.load(std::memory_order_relaxed)) {
        out.skipped = true;
        return;
      }
      const uint64_t keep = sc.keep_from(base + next);
      const std::size_t drop = static_cast<std::size_t>(keep - base);
      std::memmove(buf.data(), buf.data() + drop, len - drop);
      len -= drop;
      next -= drop;
      base = keep;
    }
  } catch (const IoFailure& e) {
    out.error = io_error(fp.path, e.what());
  }
}

}  // namespace parairline
