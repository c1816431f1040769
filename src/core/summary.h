// The end of a run: the groups' key texts typed (key_types.h), groups whose
// typed keys are equal merged ("01" and "1"), and the rows sorted by the
// keys (numbers numerically, text in byte order, missing last).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_sort.h>
#include <tbb/task_arena.h>

#include "csv_source.h"
#include "big_array.h"
#include "key_types.h"
#include "partial.h"
#include "query.h"
#include "tbb_threads.h"

namespace parairline {

struct KeyColumn {
  KeyType type = KeyType::text;   // none never stays: an all-missing column is text
  BigArray<uint8_t> missing;   // per row
  BigArray<int32_t> ints;      // integer columns
  BigArray<double> reals;      // real columns
  // Text columns: per row the rank of its text (equal texts, equal ranks:
  // R makes each string once), and the distinct texts by rank (views into
  // the partials or the plan). A missing row's rank is dict.size().
  BigArray<uint32_t> text_rank;
  BigArray<std::string_view> dict;

  std::string_view text(std::size_t row) const {
    return text_rank[row] < dict.size() ? dict[text_rank[row]] : std::string_view();
  }
};

// Per row and value column (index row * nvalues + v), the accumulator and,
// if the query asks, the extremes: the group's own in its partial, not a
// copy (millions of groups), or merged ones when typing made several groups
// one.
class SummaryAccs {
 public:
  const ValueAcc& operator[](std::size_t i) const { return *at_[i]; }
  // Starts loading entry i (entries lie in hash order, rows in key order).
  void prefetch(std::size_t i) const { __builtin_prefetch(at_[i]); }
  // Over the non-missing values (infinite if none); only with extremes.
  double min(std::size_t i) const { return ext_at_[i]->min; }
  double max(std::size_t i) const { return ext_at_[i]->max; }
  bool has_extremes() const { return !ext_at_.empty(); }
  std::size_t size() const { return at_.size(); }
  // n entries, each then set() once (from any thread) before use.
  void resize(std::size_t n, bool extremes) {
    at_.assign(n, nullptr);
    own_index_.clear();  // made by the first merge: most summaries have none
    ext_at_.assign(extremes ? n : 0, nullptr);
  }
  void set(std::size_t i, const PartialResult& p, std::size_t g, uint32_t v) {
    at_[i] = &p.acc(g, v);
    if (!ext_at_.empty()) ext_at_[i] = p.has_extremes() ? &p.extremes(g, v) : &none();
  }
  // Merges group g's value v of p into entry i, which from then on lives here.
  void merge_into(std::size_t i, const PartialResult& p, std::size_t g, uint32_t v) {
    if (own_index_.empty()) own_index_.assign(at_.size(), 0);
    if (own_index_[i] == 0) {
      own_.push_back(*at_[i]);
      at_[i] = &own_.back();
      if (!ext_at_.empty()) {
        own_ext_.push_back(*ext_at_[i]);
        ext_at_[i] = &own_ext_.back();
      }
      own_index_[i] = static_cast<uint32_t>(own_.size());
    }
    own_[own_index_[i] - 1].merge(p.acc(g, v));
    if (!ext_at_.empty() && p.has_extremes()) own_ext_[own_index_[i] - 1].merge(p.extremes(g, v));
  }

 private:
  static const Extremes& none() {
    static const Extremes empty;
    return empty;
  }

  BigArray<const ValueAcc*> at_;
  BigArray<const Extremes*> ext_at_;
  BigArray<uint32_t> own_index_;  // 1 + the entry's place in own_, once merged (empty: none is)
  std::deque<ValueAcc> own_;         // stable addresses
  std::deque<Extremes> own_ext_;
};

struct Summary {
  std::vector<KeyColumn> keys;
  BigArray<int64_t> n;
  SummaryAccs acc;  // nvalues per row
  uint32_t nvalues = 0;
  std::size_t size() const { return n.size(); }
};

// Runs loops and sorts of the summary's rows on the threads of the arena it
// is called in, or here alone: millions of groups are gathered in hash
// order, so each row costs cache misses that threads overlap.
class RowWork {
 public:
  explicit RowWork(bool parallel) : parallel_(parallel) {}
  bool parallel() const { return parallel_; }

  // f(begin, end) over [0, n), in pieces.
  template <class F>
  void each(std::size_t n, F&& f) const {
    if (!parallel_ || n < 2 * kGrain) {
      f(std::size_t{0}, n);
      return;
    }
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, kGrain),
                      [&](const tbb::blocked_range<std::size_t>& r) { f(r.begin(), r.end()); });
  }

  template <class It, class Less>
  void sort(It begin, It end, Less less) const {
    if (!parallel_ || end - begin < 100000) {
      std::sort(begin, end, less);
    } else {
      tbb::parallel_sort(begin, end, less);
    }
  }

 private:
  static constexpr std::size_t kGrain = 16384;
  bool parallel_;
};

namespace summary_detail {

// The groups of all partials, numbered in partial order: group i is
// group i - first[p] of partial p = part[i]. Two bytes a group, where a
// (pointer, index) pair would take 16: millions of groups each cost fresh
// pages, and on some machines a page costs microseconds.
class Groups {
 public:
  explicit Groups(const std::vector<PartialResult>& parts) : parts_(parts), first_(parts.size() + 1, 0) {
    if (parts.size() > 65536) throw std::length_error("summarising more than 65536 partial results");
    for (std::size_t p = 0; p < parts.size(); ++p) first_[p + 1] = first_[p] + parts[p].size();
    if (first_.back() >= (std::size_t{1} << 32)) throw std::length_error("more than 2^32 groups");
    part_.resize(first_.back());
    for (std::size_t p = 0; p < parts.size(); ++p) {
      std::fill(part_.begin() + static_cast<std::ptrdiff_t>(first_[p]),
                part_.begin() + static_cast<std::ptrdiff_t>(first_[p + 1]), static_cast<uint16_t>(p));
    }
  }
  std::size_t size() const { return part_.size(); }
  const PartialResult& part(std::size_t i) const { return parts_[part_[i]]; }
  std::size_t index(std::size_t i) const { return i - first_[part_[i]]; }

 private:
  const std::vector<PartialResult>& parts_;
  std::vector<std::size_t> first_;
  BigArray<uint16_t> part_;
};

// Dense ranks of one key column's typed values: equal values (after typing)
// share a rank; ranks follow the sort order, missing last. `sorted` holds
// (sort key, row) for the non-missing rows, sorted; `same` says whether two
// adjacent entries hold the same value. Sorting beats hashing here: millions
// of groups, and no memory beyond the array.
template <class Entry, class Same>
BigArray<uint32_t> ranks_of_sorted(std::size_t n, const BigArray<Entry>& sorted, Same same) {
  BigArray<uint32_t> rank(n, 0);
  uint32_t r = 0;
  for (std::size_t s = 0; s < sorted.size(); ++s) {
    if (s > 0 && !same(sorted[s - 1], sorted[s])) ++r;
    rank[sorted[s].row] = r;
  }
  const uint32_t na_rank = sorted.empty() ? 0 : r + 1;
  BigArray<uint8_t> seen(n, 0);
  for (const Entry& e : sorted) seen[e.row] = 1;
  for (std::size_t i = 0; i < n; ++i) {
    if (!seen[i]) rank[i] = na_rank;
  }
  return rank;
}

template <class T>
struct NumberEntry {
  T value;
  uint32_t row;
};

// Bytes [at, at + 8) of v, big-endian and zero-padded: comparing two such
// words compares that stretch of the strings (keys hold no NUL byte).
inline uint64_t word_at(std::string_view v, std::size_t at) {
  unsigned char b[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  if (at < v.size()) std::memcpy(b, v.data() + at, std::min<std::size_t>(8, v.size() - at));
  uint64_t x = 0;
  for (unsigned char c : b) x = (x << 8) | c;
  return x;
}

struct TextEntry {
  uint64_t w0, w1;  // the first 16 bytes
  uint32_t row;
};

// Dense ranks of a text column of n groups (group i's text is x(i)): the
// distinct texts found by hashing (a key column of a many-group summary has
// few: tail numbers, dates), then only those sorted into `dict`. When the
// column is the whole key (`own_texts`), each group's text is its own and
// the hashing is skipped.
template <class Field>
BigArray<uint32_t> text_ranks(std::size_t n, const Field& x, const BigArray<uint8_t>& missing, bool own_texts,
                              const RowWork& work, BigArray<std::string_view>& dict) {
  BigArray<std::string_view> distinct;
  BigArray<uint32_t> id(n, 0);
  std::size_t nslots = 16;
  BigArray<uint32_t> slots(nslots, 0);  // id + 1
  BigArray<uint64_t> hashes;
  if (own_texts) distinct.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (missing[i]) continue;
    if (own_texts) {
      id[i] = static_cast<uint32_t>(distinct.size());
      distinct.push_back(x(i));
      continue;
    }
    const std::string_view v = x(i);
    const uint64_t h = hash_bytes(v.data(), v.size());
    std::size_t j = h & (nslots - 1);
    for (; slots[j] != 0; j = (j + 1) & (nslots - 1)) {
      const uint32_t d = slots[j] - 1;
      if (hashes[d] == h && distinct[d] == v) break;
    }
    if (slots[j] == 0) {
      distinct.push_back(v);
      hashes.push_back(h);
      slots[j] = static_cast<uint32_t>(distinct.size());
      if (distinct.size() * 2 > nslots) {
        nslots *= 2;
        slots.assign(nslots, 0);
        for (uint32_t d = 0; d < distinct.size(); ++d) {
          std::size_t k = hashes[d] & (nslots - 1);
          while (slots[k] != 0) k = (k + 1) & (nslots - 1);
          slots[k] = d + 1;
        }
      }
      id[i] = static_cast<uint32_t>(distinct.size() - 1);
    } else {
      id[i] = slots[j] - 1;
    }
  }
  BigArray<TextEntry> e(distinct.size());
  for (uint32_t d = 0; d < distinct.size(); ++d) e[d] = {word_at(distinct[d], 0), word_at(distinct[d], 8), d};
  work.sort(e.begin(), e.end(), [&](const TextEntry& a, const TextEntry& b) {
    if (a.w0 != b.w0) return a.w0 < b.w0;
    if (a.w1 != b.w1) return a.w1 < b.w1;
    return distinct[a.row] < distinct[b.row];  // byte order: char_traits<char> compares as unsigned char
  });
  BigArray<uint32_t> rank_of(distinct.size());
  dict.resize(distinct.size());
  for (uint32_t r = 0; r < e.size(); ++r) {
    rank_of[e[r].row] = r;
    dict[r] = distinct[e[r].row];
  }
  const uint32_t na_rank = static_cast<uint32_t>(distinct.size());
  for (std::size_t i = 0; i < n; ++i) id[i] = missing[i] ? na_rank : rank_of[id[i]];
  return id;
}

// Stable counting sort of `order` by the dense ranks `rank` (< limit);
// `scratch` (as long as `order`) ends up holding the old order.
inline void counting_sort(BigArray<uint32_t>& order, const BigArray<uint32_t>& rank, uint32_t limit,
                          BigArray<uint32_t>& scratch) {
  BigArray<uint32_t> count(static_cast<std::size_t>(limit) + 1, 0);
  for (uint32_t i : order) ++count[rank[i] + 1];
  for (std::size_t r = 1; r < count.size(); ++r) count[r] += count[r - 1];
  scratch.resize(order.size());
  for (uint32_t i : order) scratch[count[rank[i]]++] = i;
  order.swap(scratch);
}

template <class T>
BigArray<uint32_t> number_ranks(const BigArray<T>& x, const BigArray<uint8_t>& missing, const RowWork& work) {
  BigArray<NumberEntry<T>> e;
  e.reserve(x.size());
  for (uint32_t i = 0; i < x.size(); ++i) {
    if (!missing[i]) e.push_back({x[i], i});
  }
  work.sort(e.begin(), e.end(), [](const NumberEntry<T>& a, const NumberEntry<T>& b) { return a.value < b.value; });
  return ranks_of_sorted(x.size(), e, [](const NumberEntry<T>& a, const NumberEntry<T>& b) { return a.value == b.value; });
}

// Types a key column of ng groups (group i's text is field(i)), fills
// `col` and returns its dense ranks. `whole_key`: the column is the groups'
// only key, so no two groups have the same text.
template <class Field>
BigArray<uint32_t> type_key_column(std::size_t ng, const Field& field, KeyType t, bool file_key, bool whole_key,
                                   const NaSet& na, char dec, const RowWork& work, KeyColumn& col) {
  if (file_key) t = KeyType::text;
  if (t != KeyType::text) {
    // The widest type of the column's texts (each piece stops once text).
    std::mutex mu;
    work.each(ng, [&](std::size_t b, std::size_t e) {
      KeyType mine = KeyType::none;
      for (std::size_t i = b; i < e && mine != KeyType::text; ++i) {
        mine = wider(mine, classify_key(field(i), nullptr, nullptr, na, dec));
      }
      std::lock_guard<std::mutex> lock(mu);
      t = wider(t, mine);
    });
  }
  if (t == KeyType::none) t = KeyType::text;
  col.type = t;
  col.missing.assign(ng, 0);
  if (t == KeyType::integer) col.ints.assign(ng, 0);
  if (t == KeyType::real) col.reals.assign(ng, 0.0);
  work.each(ng, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
      const std::string_view f = field(i);
      // A number column's empty texts are missing; a text column's only if listed.
      const bool missing = !file_key && (t == KeyType::text ? na.text(f) : na.number(f));
      col.missing[i] = missing;
      if (missing || t == KeyType::text) continue;
      if (t == KeyType::integer) {
        classify_key(f, &col.ints[i], nullptr, na, dec);
      } else {
        int32_t as_int = 0;
        if (classify_key(f, &as_int, &col.reals[i], na, dec) == KeyType::integer) col.reals[i] = as_int;
      }
    }
  });
  if (t == KeyType::integer) return number_ranks(col.ints, col.missing, work);
  if (t == KeyType::real) return number_ranks(col.reals, col.missing, work);
  return text_ranks(ng, field, col.missing, whole_key && !file_key, work, col.dict);
}

}  // namespace summary_detail


// The summary, built by summarise_groups() below.
inline Summary summarise_groups_on(const std::vector<PartialResult>& parts, const std::vector<uint8_t>& key_types,
                                   const Query& q, const std::vector<FilePlan>& files, const RowWork& work) {
  using namespace summary_detail;
  const std::size_t nk = q.keys.size();
  const uint32_t nv = static_cast<uint32_t>(q.values.size());
  const Groups groups(parts);
  const std::size_t ng = groups.size();

  // Field k of group i's key (a composite key is its fields joined by NULs),
  // found when asked: an array of them would cost 16 bytes per group and key.
  const auto field_of = [&](std::size_t i, std::size_t k) {
    std::string_view key = groups.part(i).key(groups.index(i));
    // A byte loop, not find() (a call to memchr) per field: fields are short.
    const auto nul_at = [](std::string_view s) {
      std::size_t j = 0;
      while (j < s.size() && s[j] != '\0') ++j;
      return j;
    };
    for (std::size_t j = 0; j < k; ++j) key.remove_prefix(std::min(key.size(), nul_at(key) + 1));
    std::string_view f = k + 1 == nk ? key : key.substr(0, nul_at(key));
    if (q.key_col[k] < 0) {
      std::size_t file = 0;
      for (char c : f) file = file * 10 + static_cast<std::size_t>(c - '0');
      f = file < files.size() ? std::string_view(files[file].name) : std::string_view();
    }
    return f;
  };

  Summary out;
  out.nvalues = nv;
  std::vector<KeyColumn> typed(nk);
  std::vector<BigArray<uint32_t>> ranks(nk);
  const auto type_column = [&](std::size_t k) {
    const KeyType seen = k < key_types.size() ? static_cast<KeyType>(key_types[k]) : KeyType::none;
    const auto field = [&](std::size_t i) { return field_of(i, k); };
    ranks[k] = type_key_column(ng, field, seen, q.key_col[k] < 0, nk == 1, q.dialect.na, q.dialect.dec, work, typed[k]);
  };
  if (work.parallel() && nk > 1) {
    tbb::parallel_for(std::size_t{0}, nk, type_column);  // a text column's ranks are one thread's hashing
  } else {
    for (std::size_t k = 0; k < nk; ++k) type_column(k);
  }

  // Sort by the rank tuple: counting sorts from the last key to the first
  // (each stable, the ranks dense).
  BigArray<uint32_t> order(ng), scratch;
  std::iota(order.begin(), order.end(), 0u);
  for (std::size_t k = nk; k-- > 0;) {
    uint32_t most = 0;
    for (uint32_t r : ranks[k]) most = std::max(most, r);
    counting_sort(order, ranks[k], most + 1, scratch);
  }
  BigArray<uint32_t>().swap(scratch);

  // Emit the rows; a run of equal rank tuples is one group (typing can make
  // several groups one).
  BigArray<uint8_t> starts_row(ng, 0);
  work.each(ng, [&](std::size_t b, std::size_t e) {
    for (std::size_t s = b; s < e; ++s) {
      bool same = s > 0;
      for (std::size_t k = 0; k < nk && same; ++k) same = ranks[k][order[s - 1]] == ranks[k][order[s]];
      starts_row[s] = !same;
    }
  });
  // Where each row's run starts in `order`; kept only if some run is
  // longer than one group (else row r is order[r]).
  std::size_t nrows = 0;
  for (std::size_t s = 0; s < ng; ++s) nrows += starts_row[s];
  BigArray<uint32_t> starts;
  if (nrows < ng) {
    starts.reserve(nrows);
    for (std::size_t s = 0; s < ng; ++s) {
      if (starts_row[s]) starts.push_back(static_cast<uint32_t>(s));
    }
  }
  BigArray<uint8_t>().swap(starts_row);
  const auto start_of = [&](std::size_t r) { return starts.empty() ? r : std::size_t{starts[r]}; };
  const auto end_of = [&](std::size_t r) { return r + 1 < nrows ? start_of(r + 1) : ng; };
  // Gathers, one array at a time: independent loads in a tight loop keep
  // many cache misses in flight (millions of groups in hash order).
  out.keys.resize(nk);
  for (std::size_t k = 0; k < nk; ++k) {
    const KeyColumn& from = typed[k];
    KeyColumn& to = out.keys[k];
    to.type = from.type;
    to.missing.resize(nrows);
    if (from.type == KeyType::integer) to.ints.resize(nrows);
    if (from.type == KeyType::real) to.reals.resize(nrows);
    if (from.type == KeyType::text) {
      to.text_rank.resize(nrows);
      to.dict = std::move(typed[k].dict);
    }
    work.each(nrows, [&](std::size_t b, std::size_t e) {
      for (std::size_t r = b; r < e; ++r) to.missing[r] = from.missing[order[start_of(r)]];
      if (from.type == KeyType::integer) {
        for (std::size_t r = b; r < e; ++r) to.ints[r] = from.ints[order[start_of(r)]];
      } else if (from.type == KeyType::real) {
        for (std::size_t r = b; r < e; ++r) to.reals[r] = from.reals[order[start_of(r)]];
      } else {
        for (std::size_t r = b; r < e; ++r) to.text_rank[r] = ranks[k][order[start_of(r)]];
      }
    });
  }
  out.n.assign(nrows, 0);
  bool extremes = false;
  for (const PartialResult& p : parts) extremes = extremes || p.has_extremes();
  out.acc.resize(nrows * nv, extremes);
  work.each(nrows, [&](std::size_t b, std::size_t e) {
    constexpr std::size_t kAhead = 16;  // rows in key order are groups in hash order: misses
    for (std::size_t r = b; r < e; ++r) {
      if (r + kAhead < e) {
        const std::size_t a = order[start_of(r + kAhead)];
        groups.part(a).prefetch_group(groups.index(a));
      }
      int64_t n = 0;
      for (std::size_t s = start_of(r); s < end_of(r); ++s) n += groups.part(order[s]).n(groups.index(order[s]));
      out.n[r] = n;
      const std::size_t g = order[start_of(r)];
      for (uint32_t v = 0; v < nv; ++v) out.acc.set(r * nv + v, groups.part(g), groups.index(g), v);
    }
  });
  if (starts.empty()) return out;  // one group per row
  // A row whose groups typing made one: the others merged into the first's.
  for (std::size_t r = 0; r < nrows; ++r) {
    for (std::size_t s = start_of(r) + 1; s < end_of(r); ++s) {
      const std::size_t h = order[s];
      for (uint32_t v = 0; v < nv; ++v) out.acc.merge_into(r * nv + v, groups.part(h), groups.index(h), v);
    }
  }
  return out;
}

// f(begin, end) over [0, n) on `threads` threads (an arena of that size),
// or here alone.
template <class F>
void on_rows(int threads, std::size_t n, F&& f) {
  if (threads <= 1) {
    f(std::size_t{0}, n);
    return;
  }
  tbb::task_arena arena(tbb_threads(threads));
  arena.execute([&] { RowWork(true).each(n, f); });
}

// Builds the summary from a run's partitions, on `threads` threads (an
// arena of that size, never the global scheduler's). `key_types` are the
// widest types seen in rows the filter dropped; `files` name the `.file`
// keys. The summary's texts are views into `parts` and `files`, which must
// outlive it.
inline Summary summarise_groups(const std::vector<PartialResult>& parts, const std::vector<uint8_t>& key_types,
                                const Query& q, const std::vector<FilePlan>& files, int threads = 1) {
  Summary out;
  const auto body = [&] { out = summarise_groups_on(parts, key_types, q, files, RowWork(threads > 1)); };
  if (threads <= 1) {
    body();
  } else {
    tbb::task_arena arena(tbb_threads(threads));
    arena.execute(body);
  }
  return out;
}

}  // namespace parairline
