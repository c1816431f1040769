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
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "block_masks_portable.h"
#include "bytes.h"
#include "csv_source.h"
#include "decimal.h"
#include "key_types.h"
#include "partial.h"
#include "query.h"

namespace parairline {

// One unit of work: the records of file `file` that start in [begin, end).
struct TaskSpec {
  uint32_t file = 0;
  uint64_t begin = 0;
  uint64_t end = 0;
  bool first = false;  // begins at the file's data_begin, state known
  bool last = false;   // ends at the end of the file
};

// The in-quotes state a task is scanned with: known (a re-scan after the
// reducer learned it) or guessed from the data (the first scan).
constexpr uint8_t kOutsideQuotes = 0;
constexpr uint8_t kInsideQuotes = 1;
constexpr uint8_t kGuessState = 2;

// A task to scan and the state to scan it with.
using WorkItem = std::pair<std::size_t, uint8_t>;
using WorkList = std::vector<WorkItem>;

// Guess of the in-quotes state at buf[0]: quoted newlines are rare, so take
// the first newline to end a record; the quotes before it then tell the
// state. Quoted fields are common, so "outside" alone would be wrong for
// every chunk that starts inside one.
inline bool guess_in_quotes(const char* buf, std::size_t len, char quote, char eol) {
  if (quote == 0) return false;
  const void* nl = std::memchr(buf, eol, len);
  if (!nl) return false;
  const std::size_t n = static_cast<std::size_t>(static_cast<const char*>(nl) - buf);
  std::size_t quotes = 0;
  for (std::size_t i = 0; i < n; ++i) quotes += buf[i] == quote;
  return quotes % 2 == 1;
}

// Rows with a bad row's start offset kept per task (and per file).
constexpr std::size_t kBadRowSamples = 5;

// A task's table is sealed and a new one started at this many groups: a
// table that fits in a core's cache is filled several times faster than one
// that does not (a narrow file with millions of keys).
constexpr std::size_t kSealGroups = std::size_t{1} << 14;

struct ChunkResult {
  PartialResult partial;
  std::vector<PartialResult> sealed;  // full tables of this task, before `partial`
  bool hyp = false;           // assumed in-quotes state at begin - 1
  bool parity_known = false;  // quote parity of [begin - 1, end - 1) was reached
  bool parity = false;
  bool skipped = false;       // not scanned (stopped or not needed)
  CoreError error;
  uint64_t bad_rows = 0;              // left out (bad_rows = "skip")
  std::vector<uint64_t> bad_offsets;  // where the first few start
};

// Per 64 bytes: the quote, separator and line end bytes.
struct BlockMasks {
  uint64_t quote, comma, newline;
};

// The bytes that structure a file.
struct Syntax {
  char quote, sep, eol;
};

#if defined(__x86_64__) && defined(__GNUC__)
#define PARAIRLINE_HAVE_AVX2_PATH 1
inline bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") &&
                          __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("pclmul");
  return has;
}
// AMD's pdep is microcoded before Zen 3 (families 15h and 17h: Excavator,
// Zen, Zen+ and Zen 2): tens of cycles, more for each set bit of the mask,
// where Intel's and Zen 3's take 3 (uops.info; LLVM's slow-pdep tuning).
// (Not <cpuid.h>: its __cpuid macro breaks mingw's <intrin.h>, which TBB includes.)
inline bool cpu_slow_pdep() {
  static const bool slow = __builtin_cpu_is("amdfam15h") || __builtin_cpu_is("amdfam17h");
  return slow;
}
#else
#define PARAIRLINE_HAVE_AVX2_PATH 0
#endif

// Portable primitives (SSE2 is part of x86-64).
namespace generic_isa {

inline BlockMasks block_masks(const char* p, Syntax sx) {
#if defined(__SSE2__)
  BlockMasks m{0, 0, 0};
  const __m128i q = _mm_set1_epi8(sx.quote), c = _mm_set1_epi8(sx.sep), n = _mm_set1_epi8(sx.eol);
  for (int i = 0; i < 4; ++i) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    const int shift = 16 * i;
    m.quote |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, q)))) << shift;
    m.comma |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)))) << shift;
    m.newline |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, n)))) << shift;
  }
  return m;
#else
  // NEON on ARM64, word at a time elsewhere (block_masks_portable.h).
  const BlockMasksN m = block_masks_portable(p, sx.quote, sx.sep, sx.eol);
  return BlockMasks{m.quote, m.sep, m.newline};
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

inline uint64_t popcount(uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return (x * 0x0101010101010101ull) >> 56;
}

// Position of the k-th (0-based) set bit of x, which has more than k: k
// steps, so callers select from what is left after the last bit found.
constexpr bool kConstantSelect = false;
inline int select_bit(uint64_t x, uint64_t k) {
  for (; k > 0; --k) x &= x - 1;
  return __builtin_ctzll(x);
}

}  // namespace generic_isa

// Bits 0..j set.
inline uint64_t mask_through(int j) { return j >= 63 ? ~uint64_t{0} : (uint64_t{2} << j) - 1; }

class ChunkScanner {
 public:
  static constexpr uint64_t kNone = ~uint64_t{0};
  static constexpr std::size_t kPad = 64;

  ChunkScanner(const Query& q, uint32_t file_index, const FilePlan& fp, const TaskSpec& task, bool hyp,
               ChunkResult& out)
      : q_(q), fp_(fp), out_(out), chunk_end_(task.end), ncols_(fp.ncols), cols_(q.columns.size()) {
    // As many groups as this thread's last task had: with millions of
    // groups, growing each task's table from empty costs more than filling it.
    out_.partial.reserve_groups(std::min(groups_hint(), kSealGroups));
    out_.hyp = hyp;
    in_quotes_ = hyp ? ~uint64_t{0} : 0;
    quote_ = q.dialect.quote;
    syntax_ = Syntax{quote_ ? quote_ : '"', fp.sep, fp.eol};
    quote_on_ = quote_ ? ~uint64_t{0} : 0;
    dec_ = q.dialect.dec;
    na_standard_ = q.dialect.na.standard();
    lf_ = fp.eol == '\n';
    parity_target_ = task.last ? kNone : task.end - 1;
    file_key_ = std::to_string(file_index);
    single_key_ = q.keys.size() == 1 && q.key_col[0] >= 0;
    // A stop where each wanted field ends and where the field before it ends
    // (its start); fields are distinct columns, so one of each per field.
    const uint32_t ncol = static_cast<uint32_t>(cols_.size());
    bounds_.assign(2 * ncol + 1, kNone);  // the last is where stops without a column write
    saved_row_.assign(ncol, kNone);
    for (uint32_t c = 0; c < ncol; ++c) {
      const uint64_t f = fp.cols[c];
      stop_at(f, ncol).end_slot = 2 * c + 1;
      if (f == 0) {
        first_col_ = static_cast<int32_t>(c);
      } else {
        stop_at(f - 1, ncol).start_slot = 2 * c;
      }
    }
    std::sort(stops_.begin(), stops_.end(), [](const Stop& a, const Stop& b) { return a.field < b.field; });
    stops_.push_back(Stop{kNone, 2 * ncol, 2 * ncol});
    number_row_.assign(cols_.size(), 0);
    number_missing_.assign(cols_.size(), 0);
    key_parts_.resize(q.keys.size());
    numbers_.resize(cols_.size());
    if (q.filter.size() == 1) filter_col_ = static_cast<int32_t>(q.filter[0].col);
  }

  void start_at_record(uint64_t pos) {
    skipping_ = false;
    start_record(pos);
  }
  void start_skipping() { skipping_ = true; }

  bool done() const { return done_; }

  // The groups of this thread's last scan, a size hint for the next.
  static std::size_t& groups_hint() {
    thread_local std::size_t hint = 0;
    return hint;
  }

  // Scans blocks [from, to) of buf (file offset `base` at buf[0]). Returns
  // where it stopped. The loop is compiled (scan_impl.inc) for any x86-64
  // (SSE2) and for CPUs with AVX2, BMI2 and CLMUL, the latter twice (with
  // pdep, and without where it is slow), chosen at run time.
  std::size_t scan(const char* buf, uint64_t base, std::size_t from, std::size_t to) {
    buf_ = buf;
    base_ = base;
#if PARAIRLINE_HAVE_AVX2_PATH
    if (cpu_has_avx2()) {
      return cpu_slow_pdep() ? scan_avx2_slow_pdep(buf, base, from, to) : scan_avx2(buf, base, from, to);
    }
#endif
    return scan_generic(buf, base, from, to);
  }

  // Everything has been scanned and the file ends at `eof`.
  void finish(const char* buf, uint64_t base, uint64_t eof) {
    buf_ = buf;
    base_ = base;
    if (done_ || skipping_) return;
    if (in_quotes_) {
      fail_parse("A quoted field is not closed before the end of the file (a stray quote may have opened it).", 0, std::string_view());
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
      for (uint32_t c = 0; c < cols_.size(); ++c) keep = std::min(keep, hold(c));
    }
    return keep > base_ ? keep - 1 : keep;  // one byte before, for the CR check
  }

 private:
  // Where field `field` ends, the end of a wanted column and the start of
  // the next one are noted: slots of bounds_ (a spare one when neither).
  struct Stop {
    uint64_t field;
    uint32_t end_slot;
    uint32_t start_slot;
  };
  struct Field {
    std::string buf, tmp;  // the bytes when the buffer slid past them; unquoting
  };

  Stop& stop_at(uint64_t field, uint32_t ncol) {
    for (Stop& s : stops_) {
      if (s.field == field) return s;
    }
    stops_.push_back(Stop{field, 2 * ncol, 2 * ncol});
    return stops_.back();
  }

  // The bounds of a column are this record's once field_idx_ has reached
  // its field (start) or passed it (end): they are never reset.
  uint64_t hold(uint32_t c) {
    const uint64_t f = fp_.cols[c];
    if (saved_row_[c] == row_ || field_idx_ < f) return kNone;
    const uint64_t start = bounds_[2 * c];
    if (field_idx_ == f) return start;
    cols_[c].buf.assign(buf_ + (start - base_), bounds_[2 * c + 1] - start);
    saved_row_[c] = row_;
    return kNone;
  }

  void start_record(uint64_t pos) {
    rec_start_ = pos;
    field_idx_ = 0;
    stop_i_ = 0;
    next_stop_ = stops_[0].field;
    if (first_col_ >= 0) bounds_[2 * static_cast<std::size_t>(first_col_)] = pos;
    ++row_;
  }

  // Field `next_stop_` ends at `pos`.
  void on_stop(uint64_t pos) {
    const Stop& s = stops_[static_cast<std::size_t>(stop_i_)];
    bounds_[s.end_slot] = pos;
    bounds_[s.start_slot] = pos + 1;
    next_stop_ = stops_[static_cast<std::size_t>(++stop_i_)].field;
  }

  std::size_t scan_generic(const char* buf, uint64_t base, std::size_t from, std::size_t to);
  void on_block_generic(uint64_t comma, uint64_t nl, uint64_t blk);
#if PARAIRLINE_HAVE_AVX2_PATH
  std::size_t scan_avx2(const char* buf, uint64_t base, std::size_t from, std::size_t to);
  void on_block_avx2(uint64_t comma, uint64_t nl, uint64_t blk);
  std::size_t scan_avx2_slow_pdep(const char* buf, uint64_t base, std::size_t from, std::size_t to);
  void on_block_avx2_slow_pdep(uint64_t comma, uint64_t nl, uint64_t blk);
#endif

  char byte_at(uint64_t pos) const { return buf_[pos - base_]; }

  // Column c's raw bytes in the current record (a CR before the newline is
  // not part of the last field).
  __attribute__((always_inline)) std::string_view raw(uint32_t c) const {
    const uint64_t start = bounds_[2 * c], end = bounds_[2 * c + 1];
    std::string_view v = saved_row_[c] == row_ ? std::string_view(cols_[c].buf) : std::string_view(buf_ + (start - base_), end - start);
    if (cr_ && fp_.cols[c] + 1 == ncols_ && !v.empty() && v.back() == '\r') v.remove_suffix(1);
    return v;
  }

  std::string field_label(uint32_t c) const {
    return "Column \"" + q_.columns[c] + "\" (field " + std::to_string(fp_.cols[c] + 1) + ")";
  }

  // Column c's text, unquoted; on a stray quote the error is set (done_).
  // Returned by value: a view passed by reference would live on the stack,
  // and reloading it whole after two half stores stalls every row.
  __attribute__((always_inline)) std::string_view text(uint32_t c) {
    std::string_view v = raw(c);
    if (quote_ && !unquote(v, cols_[c].tmp, quote_)) fail_stray_quote(c);
    return v;
  }

  __attribute__((noinline, cold)) void fail_stray_quote(uint32_t c) {
    fail_row(field_label(c) + " has a stray quote.", fp_.cols[c] + 1, raw(c));
  }

  // Column c's number, parsed once per row (the filter and a value may both
  // ask): null for a missing value. If the text is not a number the error
  // is set (done_).
  __attribute__((always_inline)) const Decimal* number(uint32_t c, std::string_view v) {
    if (number_row_[c] == row_) return number_missing_[c] ? nullptr : &numbers_[c];
    ParseStatus st;
    if (__builtin_expect(!na_standard_, 0) && q_.dialect.na.number(v)) {
      st = ParseStatus::missing;
    } else {
      st = parse_decimal(v.data(), v.data() + v.size(), numbers_[c], dec_);
      // "NA" when na.strings does not list it is not a number.
      if (__builtin_expect(!na_standard_, 0) && st == ParseStatus::missing) st = ParseStatus::bad;
    }
    if (st == ParseStatus::bad || st == ParseStatus::out_of_range) {
      fail_number(c, v, st);
      return nullptr;
    }
    number_row_[c] = row_;
    number_missing_[c] = st == ParseStatus::missing;
    return number_missing_[c] ? nullptr : &numbers_[c];
  }

  __attribute__((noinline, cold)) void fail_number(uint32_t c, std::string_view v, ParseStatus st) {
    const char* what = st == ParseStatus::bad ? "is not a number" : "is out of range (beyond 1e310 or below 1e-400)";
    std::string hint;
    if (st == ParseStatus::bad && v.find(dec_ == '.' ? ',' : '.') != std::string_view::npos) {
      hint = dec_ == '.' ? " (a decimal comma? then use dec = \",\")" : " (the decimal mark is \",\": dec = \",\")";
    }
    fail_row(field_label(c) + " has \"" + printable(v) + "\", which " + what + hint + ".", fp_.cols[c] + 1, v);
  }

  // The filter's view of the current row.
  struct RowAccess {
    ChunkScanner& s;
    __attribute__((always_inline)) bool text(uint32_t c, std::string_view& v) {
      v = s.text(c);
      return !s.done_;
    }
    bool number(uint32_t c, std::string_view v, const Decimal*& d) {
      d = s.number(c, v);
      if (!s.done_) return true;
      if (!s.row_bad_) s.out_.error.message += " The filter compares it with a number.";
      return false;
    }
  };

  // The filter's verdict on the current row. A filter on one column gives
  // the same verdict for the same bytes, so the last one is kept: flags and
  // codes (CANCELLED == 0) repeat row after row.
  Truth filter_row() {
    std::string_view v;
    if (filter_col_ >= 0) {
      v = raw(static_cast<uint32_t>(filter_col_));
      if (v.size() == memo_len_ &&
          (v.size() <= 8 ? load_small(v.data(), v.size()) == memo_word_ : std::memcmp(v.data(), memo_, v.size()) == 0)) {
        return memo_truth_;
      }
    }
    RowAccess row{*this};
    const Truth t = eval_filter(q_.filter, static_cast<int32_t>(q_.filter.size() - 1), row, q_.dialect.na);
    if (filter_col_ >= 0 && t != Truth::fail && v.size() <= sizeof memo_) {
      std::memcpy(memo_, v.data(), v.size());
      memo_word_ = v.size() <= 8 ? load_small(v.data(), v.size()) : 0;
      memo_len_ = v.size();
      memo_truth_ = t;
    }
    return t;
  }

  // A row the filter drops still types its key columns.
  void type_dropped_keys() {
    std::vector<uint8_t>& types = out_.partial.key_types();
    for (std::size_t k = 0; k < q_.keys.size(); ++k) {
      const int32_t c = q_.key_col[k];
      if (c < 0 || types[k] == static_cast<uint8_t>(KeyType::text)) continue;
      const std::string_view v = text(static_cast<uint32_t>(c));
      if (done_) return;
      const KeyType t = classify_key(v, nullptr, nullptr, q_.dialect.na, dec_);
      if (static_cast<uint8_t>(t) > types[k]) types[k] = static_cast<uint8_t>(t);
    }
  }

  // A record ends at `pos`; a bad row left out (bad_rows = "skip") is counted.
  void end_record(uint64_t pos) {
    record(pos);
    if (row_bad_) {
      row_bad_ = false;
      done_ = false;
      if (out_.bad_offsets.size() < kBadRowSamples) out_.bad_offsets.push_back(rec_start_);
      ++out_.bad_rows;
    }
  }

  void record(uint64_t pos) {
    cr_ = lf_ && pos > rec_start_ && byte_at(pos - 1) == '\r';
    if (field_idx_ == 0 && (pos == rec_start_ || (cr_ && pos == rec_start_ + 1))) return;  // blank line
    if (field_idx_ + 1 != ncols_) {
      fail_row("The row has " + std::to_string(field_idx_ + 1) + " fields but the header has " +
                   std::to_string(ncols_) + ".",
               0, std::string_view());
      return;
    }
    if (q_.has_filter()) {
      const Truth keep = filter_row();
      if (keep == Truth::fail) return;
      if (keep != Truth::yes) {
        type_dropped_keys();
        return;
      }
    }
    std::string_view key;
    if (single_key_) {
      key = text(static_cast<uint32_t>(q_.key_col[0]));
      if (done_) return;
    } else {
      // The fields joined by NULs (no key has a NUL byte: checked below).
      std::size_t len = 0;
      for (std::size_t k = 0; k < q_.keys.size(); ++k) {
        key_parts_[k] = q_.key_col[k] >= 0 ? text(static_cast<uint32_t>(q_.key_col[k])) : file_key_;
        if (done_) return;
        len += key_parts_[k].size() + 1;
      }
      if (key_buf_.size() < len) key_buf_.resize(2 * len);
      char* out = &key_buf_[0];
      for (std::size_t k = 0; k < q_.keys.size(); ++k) {
        copy_short(out, key_parts_[k].data(), key_parts_[k].size());
        out += key_parts_[k].size();
        *out++ = '\0';
      }
      key = std::string_view(key_buf_.data(), len - 1);
    }
    if (q_.dialect.skip_bad_rows && !values_readable()) return;
    bool created = false;
    const std::size_t g = out_.partial.find_or_insert(key, &created);
    if (created && suspicious_new_key(key) && bad_new_key(key)) return;
    add_values(g);
    if (out_.partial.size() >= kSealGroups) seal();
  }

  // The table is full: kept as it is, and a new one started (as big).
  __attribute__((noinline)) void seal() {
    PartialResult next(static_cast<uint32_t>(q_.values.size()), static_cast<uint32_t>(q_.keys.size()), q_.any_minmax());
    out_.partial.hand_index_to(next);
    next.reserve_groups(kSealGroups);
    out_.sealed.push_back(std::move(out_.partial));
    out_.partial = std::move(next);
  }

  __attribute__((always_inline)) void add_values(std::size_t g) {
    ++out_.partial.n(g);
    for (uint32_t v = 0; v < q_.values.size(); ++v) {
      const ValueSpec& spec = q_.values[v];
      const uint32_t c = q_.value_col[v];
      ValueAcc& acc = out_.partial.acc(g, v);
      std::string_view text_v = raw(c);
      // A value needs no quote check unless quoted: a stray quote is not a number anyway.
      if (!text_v.empty() && text_v.front() == quote_) {
        text_v = text(c);
        if (done_) return;
      }
      if (!spec.numbers) {
        acc.missing += q_.dialect.na.number(text_v);
        continue;
      }
      const Decimal* d = number(c, text_v);
      if (done_) return;
      if (!d) {
        ++acc.missing;
        continue;
      }
      acc.sum.add(*d);
      if (spec.minmax) out_.partial.extremes(g, v).add(*d);
    }
  }

  // With bad_rows = "skip", every value is read before the row counts: a
  // row whose value is not a number is left out whole.
  __attribute__((noinline)) bool values_readable() {
    for (uint32_t v = 0; v < q_.values.size(); ++v) {
      const uint32_t c = q_.value_col[v];
      std::string_view text_v = raw(c);
      if (!text_v.empty() && text_v.front() == quote_) text_v = text(c);
      if (!done_ && q_.values[v].numbers) number(c, text_v);
      if (done_) return false;
    }
    return true;
  }

  // A NUL byte in a field (a composite key's separators are NULs) or the
  // other line end anywhere: bad_new_key() looks closer.
  // (A composite key's fields are the key less its NULs.)
  __attribute__((always_inline)) bool suspicious_new_key(std::string_view key) const {
    const char other = lf_ ? '\r' : '\n';
    if (single_key_) return has_nul_or(key.data(), key.size(), other);
    for (const std::string_view part : key_parts_) {
      if (has_nul_or(part.data(), part.size(), other)) return true;
    }
    return false;
  }

  // A new key's text checked once: no NUL byte (R strings cannot hold one;
  // the separators of a composite key are NULs too) and no line end outside
  // quotes (the file mixes line ends: a short answer otherwise).
  __attribute__((noinline, cold)) bool bad_new_key(std::string_view key) {
    if (std::memchr(key.data(), '\0', key.size()) && has_nul_field()) return true;
    const char other = lf_ ? '\r' : '\n';
    if (std::memchr(key.data(), other, key.size()) && has_line_end_field()) return true;
    return false;
  }

  // The first key column (not `.file`) for which bad(c) holds, or -1.
  template <class Bad>
  int32_t first_key_field(Bad bad) {
    for (std::size_t k = 0; k < q_.keys.size(); ++k) {
      const int32_t c = q_.key_col[k];
      if (c >= 0 && bad(static_cast<uint32_t>(c))) return c;
    }
    return -1;
  }

  bool has_line_end_field() {
    const int32_t c = first_key_field([&](uint32_t col) {
      const std::string_view v = raw(col);
      if (quote_ && !v.empty() && v.front() == quote_) return false;  // quoted: the line end is data
      return v.find_first_of("\r\n") != std::string_view::npos;
    });
    if (c < 0) return false;
    const uint32_t col = static_cast<uint32_t>(c);
    fail_parse(field_label(col) + " has a line end inside a field that is not quoted: " +
                   "the file mixes line ends (" + (lf_ ? "LF or CRLF, and a bare CR" : "bare CR, and LF") +
                   "). Convert it to one kind of line end.",
               fp_.cols[col] + 1, raw(col));
    return true;
  }

  bool has_nul_field() {
    const int32_t c = first_key_field([&](uint32_t col) {
      const std::string_view v = text(col);
      return done_ || std::memchr(v.data(), '\0', v.size()) != nullptr;
    });
    if (c < 0) return false;
    if (done_) return true;  // a stray quote, already reported
    const uint32_t col = static_cast<uint32_t>(c);
    fail_parse(field_label(col) + " has a NUL byte, which R strings cannot hold.", fp_.cols[col] + 1, text(col));
    return true;
  }

  static __attribute__((always_inline)) bool has_quote(const char* p, std::size_t n, char quote) {
    if (n > 8) return std::memchr(p, quote, n) != nullptr;
    // A zero byte in w ^ (quote in every byte) marks a quote.
    return (zero_bytes(load_small(p, n) ^ (kOnes * static_cast<unsigned char>(quote))) & low_bytes(n)) != 0;
  }

  // Strips enclosing quotes (and un-doubles inner ones, into tmp). False if
  // a quote stands anywhere else.
  static inline __attribute__((always_inline)) bool unquote(std::string_view& v, std::string& tmp, char quote) {
    const std::size_t n = v.size();
    if (n >= 2 && v.front() == quote && v.back() == quote && !has_quote(v.data() + 1, n - 2, quote)) {
      v = std::string_view(v.data() + 1, n - 2);
      return true;
    }
    if (!has_quote(v.data(), n, quote)) return true;
    return unquote_slow(v, tmp, quote);
  }

  static bool unquote_slow(std::string_view& v, std::string& tmp, char quote) {
    const std::size_t n = v.size();
    bool copied = false;
    if (!unquote_field(v.data(), n, tmp, copied, quote)) return false;
    v = copied ? std::string_view(tmp) : v.substr(1, n - 2);
    return true;
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

  // A problem of one row: an error, or with bad_rows = "skip" the row is
  // left out (end_record() counts it).
  void fail_row(std::string message, int64_t column, std::string_view text) {
    if (!q_.dialect.skip_bad_rows) return fail_parse(std::move(message), column, text);
    row_bad_ = true;
    done_ = true;  // ends the row's work as an error would
  }

  void fail_parse(std::string message, int64_t column, std::string_view text) {
    CoreError& e = out_.error;
    e.kind = CoreError::Kind::parse;
    e.file = fp_.name;
    e.offset = rec_start_;
    e.has_offset = true;
    e.column = column;
    e.text = printable(text);
    e.message = std::move(message);
    done_ = true;
  }

  const Query& q_;
  const FilePlan& fp_;
  ChunkResult& out_;
  const uint64_t chunk_end_;
  const uint64_t ncols_;
  std::vector<Field> cols_;  // per query column
  std::vector<uint64_t> bounds_;  // per query column its start and end in the record, then a spare
  std::vector<uint64_t> saved_row_;  // per query column: its bytes are in cols_[c].buf for this row_
  std::vector<Stop> stops_;  // by field, then a kNone sentinel
  int32_t first_col_ = -1;   // the wanted column that is field 0
  bool single_key_ = false;
  std::string file_key_;     // this file's key text for `.file`

  const char* buf_ = nullptr;
  uint64_t base_ = 0;
  uint64_t in_quotes_ = 0;  // all ones inside quotes
  uint64_t parity_target_ = kNone;
  bool skipping_ = false;
  bool done_ = false;
  bool row_bad_ = false;   // done_ is set for this row only
  char quote_ = '"';       // 0: no quoting
  char dec_ = '.';
  bool lf_ = true;         // lines end in LF (or CRLF), not a bare CR
  bool na_standard_ = true;  // na.strings = c("", "NA")
  Syntax syntax_{'"', ',', '\n'};
  uint64_t quote_on_ = ~uint64_t{0};

  uint64_t rec_start_ = 0;
  uint64_t field_idx_ = 0;
  int stop_i_ = 0;
  uint64_t next_stop_ = kNone;
  bool cr_ = false;
  uint64_t row_ = 0;  // records started, to know a parsed number is this row's
  std::vector<uint64_t> number_row_;
  std::vector<uint8_t> number_missing_;
  std::vector<Decimal> numbers_;
  std::string key_buf_;
  std::vector<std::string_view> key_parts_;
  int32_t filter_col_ = -1;  // the filter's one column, if it is one comparison (or test) of one column
  char memo_[32];            // that column's bytes in the last row filtered, and the verdict
  uint64_t memo_word_ = 0;   // the bytes packed by load_small() when at most 8
  std::size_t memo_len_ = ~std::size_t{0};
  Truth memo_truth_ = Truth::no;
};

// The scan loop, for each instruction set.
#define PARAIRLINE_ISA generic_isa
#define PARAIRLINE_SCAN scan_generic
#define PARAIRLINE_ON_BLOCK on_block_generic
#define PARAIRLINE_TARGET
#include "scan_impl.inc"
#undef PARAIRLINE_ISA
#undef PARAIRLINE_SCAN
#undef PARAIRLINE_ON_BLOCK
#undef PARAIRLINE_TARGET

#if PARAIRLINE_HAVE_AVX2_PATH
// A target attribute on each function, not `#pragma GCC target`: clang
// ignores the pragma, and lambdas do not inherit a target, so none are used.
#define PARAIRLINE_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt,pclmul")))
namespace avx2_isa {

PARAIRLINE_AVX2 inline uint64_t eq_mask(__m256i lo, __m256i hi, char ch) {
  const __m256i c = _mm256_set1_epi8(ch);
  const uint64_t l = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, c)));
  const uint64_t h = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, c)));
  return l | (h << 32);
}

PARAIRLINE_AVX2 inline BlockMasks block_masks(const char* p, Syntax sx) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  return BlockMasks{eq_mask(lo, hi, sx.quote), eq_mask(lo, hi, sx.sep), eq_mask(lo, hi, sx.eol)};
}

PARAIRLINE_AVX2 inline uint64_t prefix_xor(uint64_t x) {
  const __m128i all = _mm_set1_epi8(static_cast<char>(0xFF));
  return static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_clmulepi64_si128(_mm_set_epi64x(0, static_cast<int64_t>(x)), all, 0)));
}

PARAIRLINE_AVX2 inline uint64_t popcount(uint64_t x) { return static_cast<uint64_t>(_mm_popcnt_u64(x)); }

constexpr bool kConstantSelect = true;  // pdep: one instruction
PARAIRLINE_AVX2 inline int select_bit(uint64_t x, uint64_t k) {
  return static_cast<int>(_tzcnt_u64(_pdep_u64(uint64_t{1} << k, x)));
}

}  // namespace avx2_isa

#define PARAIRLINE_ISA avx2_isa
#define PARAIRLINE_SCAN scan_avx2
#define PARAIRLINE_ON_BLOCK on_block_avx2
#define PARAIRLINE_TARGET PARAIRLINE_AVX2
#include "scan_impl.inc"
#undef PARAIRLINE_ISA
#undef PARAIRLINE_SCAN
#undef PARAIRLINE_ON_BLOCK

// The same for CPUs whose pdep is slow (cpu_slow_pdep()): the k-th bit is
// found by clearing the lowest bit k times (k is the commas to skip inside
// one 64-byte block, usually a few).
namespace avx2_slow_pdep_isa {
using avx2_isa::block_masks;
using avx2_isa::popcount;
using avx2_isa::prefix_xor;
// Clears the lowest set bit k times; inlined here it compiles to blsr and tzcnt.
using generic_isa::kConstantSelect;
using generic_isa::select_bit;

}  // namespace avx2_slow_pdep_isa

#define PARAIRLINE_ISA avx2_slow_pdep_isa
#define PARAIRLINE_SCAN scan_avx2_slow_pdep
#define PARAIRLINE_ON_BLOCK on_block_avx2_slow_pdep
#include "scan_impl.inc"
#undef PARAIRLINE_ISA
#undef PARAIRLINE_SCAN
#undef PARAIRLINE_ON_BLOCK
#undef PARAIRLINE_TARGET
#endif

// Scans one task with a reusable buffer. Never throws for bad input: errors
// land in the result. `stop` is polled between reads.
inline void scan_task(const Query& q, const FilePlan& fp, const TaskSpec& task, uint8_t state, std::vector<char>& buf,
                      const std::atomic<bool>& stop, std::atomic<uint64_t>* progress, ChunkResult& out) {
  // A fresh result that keeps the partial's memory (see run_item()).
  PartialResult table = std::move(out.partial);
  out = ChunkResult();
  out.partial = std::move(table);
  out.partial.reset(static_cast<uint32_t>(q.values.size()), static_cast<uint32_t>(q.keys.size()), q.any_minmax());
  const uint64_t start = task.first ? fp.data_begin : task.begin - 1;
  const uint64_t span = task.last && fp.compressed() ? uint64_t{1} << 20 : task.end - start;
  const std::size_t first_read = static_cast<std::size_t>(std::min<uint64_t>(span + 4096, 16u << 20));
  const std::size_t window = std::max<std::size_t>(first_read, 64 * 1024);
  if (buf.size() < window + ChunkScanner::kPad) buf.resize(window + ChunkScanner::kPad);
  uint64_t last_good = start;  // (decompressed) bytes read whole so far
  try {
    std::unique_ptr<ByteSource> src = open_source(fp, start, fp.compressed());
    uint64_t disk_seen = src->disk_position();
    auto fill = [&](std::size_t at, std::size_t want) {
      const std::size_t got = src->read(buf.data() + at, want);
      if (progress) {
        const uint64_t d = src->disk_position();
        progress->fetch_add(d - disk_seen, std::memory_order_relaxed);
        disk_seen = d;
      }
      return got;
    };
    std::size_t len = fill(0, std::min(buf.size() - ChunkScanner::kPad, first_read));
    last_good = start + len;
    bool eof = len == 0;
    bool hyp = state == kInsideQuotes;
    if (task.first) {
      hyp = false;
    } else if (state == kGuessState) {
      hyp = guess_in_quotes(buf.data(), len, q.dialect.quote, fp.eol);
    }
    ChunkScanner sc(q, task.file, fp, task, hyp, out);
    if (task.first) {
      sc.start_at_record(fp.data_begin);
    } else {
      sc.start_skipping();
    }
    uint64_t base = start;
    std::size_t next = 0;
    for (;;) {
      std::size_t to = len;
      if (eof) {
        std::memset(buf.data() + len, 0, ChunkScanner::kPad);
      } else {
        to = next + (len - next) / 64 * 64;
      }
      next = sc.scan(buf.data(), base, next, to);
      if (sc.done()) break;
      if (eof) {
        // A last record cut off at the planned end while the file has grown
        // was rewritten under us: its tail is missing, so the number would be wrong.
        if (len > 0 && buf[len - 1] != fp.eol && src->grew()) {
          throw IoFailure("The file changed while being read: it is longer than when reading started.");
        }
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
      if (buf.size() - ChunkScanner::kPad - len < 4096) buf.resize(2 * buf.size());  // one huge field
      const std::size_t got = fill(len, buf.size() - ChunkScanner::kPad - len);
      if (got == 0) eof = true;
      len += got;
      last_good = base + len;
    }
    ChunkScanner::groups_hint() = out.partial.size();
  } catch (const IoFailure& e) {
    out.error = io_error(fp.name, e.what());
    if (fp.compressed()) {
      // How far the stream was read: the error names the line reached.
      out.error.offset = last_good;
      out.error.has_offset = true;
    }
  }
}

}  // namespace parairline
