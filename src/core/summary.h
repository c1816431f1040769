// The end of a run: the groups' key texts typed (key_types.h), groups whose
// typed keys are equal merged ("01" and "1"), and the rows sorted by the
// keys (numbers numerically, text in byte order, missing last).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tbb/parallel_sort.h>
#include <tbb/task_arena.h>

#include "csv_source.h"
#include "key_types.h"
#include "partial.h"
#include "query.h"
#include "tbb_threads.h"

namespace parairline {

struct KeyColumn {
  KeyType type = KeyType::text;   // none never stays: an all-missing column is text
  std::vector<uint8_t> missing;   // per row
  std::vector<int32_t> ints;      // integer columns
  std::vector<double> reals;      // real columns
  std::vector<std::string_view> texts;  // text columns (views into the partials or the plan)
};

// Per row and value column (index row * nvalues + v), the accumulator: the
// group's own in its partial, not a copy (millions of groups), or a merged
// one when typing made several groups one.
class SummaryAccs {
 public:
  const ValueAcc& operator[](std::size_t i) const { return *at_[i]; }
  std::size_t size() const { return at_.size(); }
  void push_back(const ValueAcc& a) {
    at_.push_back(&a);
    mine_.push_back(nullptr);
  }
  // Merges `a` into entry i, which from then on lives here.
  void merge_into(std::size_t i, const ValueAcc& a) {
    if (!mine_[i]) {
      own_.push_back(*at_[i]);
      mine_[i] = &own_.back();
      at_[i] = mine_[i];
    }
    mine_[i]->merge(a);
  }

 private:
  std::vector<const ValueAcc*> at_;
  std::vector<ValueAcc*> mine_;  // the entry's own copy, once merged
  std::deque<ValueAcc> own_;     // stable addresses
};

struct Summary {
  std::vector<KeyColumn> keys;
  std::vector<int64_t> n;
  SummaryAccs acc;  // nvalues per row
  uint32_t nvalues = 0;
  std::size_t size() const { return n.size(); }
};

namespace summary_detail {

// Sorts on `threads` TBB threads (an arena of that size, never the global
// scheduler's), or here alone.
template <class It, class Less>
void sort_on(int threads, It begin, It end, Less less) {
  if (threads <= 1 || end - begin < 100000) {
    std::sort(begin, end, less);
    return;
  }
  tbb::task_arena arena(tbb_threads(threads));
  arena.execute([&] { tbb::parallel_sort(begin, end, less); });
}

// One group of one partial, and its key fields split at the NULs.
struct GroupRef {
  const PartialResult* part;
  uint32_t index;
};

// Dense ranks of one key column's typed values: equal values (after typing)
// share a rank; ranks follow the sort order, missing last. `sorted` holds
// (sort key, row) for the non-missing rows, sorted; `same` says whether two
// adjacent entries hold the same value. Sorting beats hashing here: millions
// of groups, and no memory beyond the array.
template <class Entry, class Same>
std::vector<uint32_t> ranks_of_sorted(std::size_t n, const std::vector<Entry>& sorted, Same same) {
  std::vector<uint32_t> rank(n, 0);
  uint32_t r = 0;
  for (std::size_t s = 0; s < sorted.size(); ++s) {
    if (s > 0 && !same(sorted[s - 1], sorted[s])) ++r;
    rank[sorted[s].row] = r;
  }
  const uint32_t na_rank = sorted.empty() ? 0 : r + 1;
  std::vector<uint8_t> seen(n, 0);
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

template <class T>
std::vector<uint32_t> number_ranks(const std::vector<T>& x, const std::vector<uint8_t>& missing, int threads) {
  std::vector<NumberEntry<T>> e;
  e.reserve(x.size());
  for (uint32_t i = 0; i < x.size(); ++i) {
    if (!missing[i]) e.push_back({x[i], i});
  }
  sort_on(threads, e.begin(), e.end(), [](const NumberEntry<T>& a, const NumberEntry<T>& b) { return a.value < b.value; });
  return ranks_of_sorted(x.size(), e, [](const NumberEntry<T>& a, const NumberEntry<T>& b) { return a.value == b.value; });
}

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

inline std::vector<uint32_t> text_ranks(const std::vector<std::string_view>& x, const std::vector<uint8_t>& missing,
                                        int threads) {
  std::vector<TextEntry> e;
  e.reserve(x.size());
  for (uint32_t i = 0; i < x.size(); ++i) {
    if (!missing[i]) e.push_back({word_at(x[i], 0), word_at(x[i], 8), i});
  }
  const auto cmp = [&](const TextEntry& a, const TextEntry& b) {
    if (a.w0 != b.w0) return a.w0 < b.w0 ? -1 : 1;
    if (a.w1 != b.w1) return a.w1 < b.w1 ? -1 : 1;
    const std::string_view ta = x[a.row], tb = x[b.row];
    if (ta.size() <= 16 && tb.size() <= 16) return 0;
    const int c = ta.compare(tb);  // byte order: char_traits<char> compares as unsigned char
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  };
  sort_on(threads, e.begin(), e.end(), [&](const TextEntry& a, const TextEntry& b) { return cmp(a, b) < 0; });
  return ranks_of_sorted(x.size(), e, [&](const TextEntry& a, const TextEntry& b) { return cmp(a, b) == 0; });
}

}  // namespace summary_detail

// Builds the summary from a run's partitions, sorting on `threads` threads.
// `key_types` are the widest types seen in rows the filter dropped; `files`
// name the `.file` keys. The summary's texts are views into `parts` and
// `files`, which must outlive it.
inline Summary summarise_groups(const std::vector<PartialResult>& parts, const std::vector<uint8_t>& key_types,
                                const Query& q, const std::vector<FilePlan>& files, int threads = 1) {
  using namespace summary_detail;
  const std::size_t nk = q.keys.size();
  const uint32_t nv = static_cast<uint32_t>(q.values.size());
  std::vector<GroupRef> groups;
  for (const PartialResult& p : parts) {
    for (std::size_t g = 0; g < p.size(); ++g) groups.push_back(GroupRef{&p, static_cast<uint32_t>(g)});
  }
  const std::size_t ng = groups.size();

  // Key fields per group (a composite key is its fields joined by NULs).
  std::vector<std::string_view> field(ng * nk);
  for (std::size_t i = 0; i < ng; ++i) {
    std::string_view key = groups[i].part->key(groups[i].index);
    for (std::size_t k = 0; k < nk; ++k) {
      const std::size_t cut = k + 1 == nk ? key.size() : key.find('\0');
      std::string_view f = key.substr(0, cut);
      if (q.key_col[k] < 0) {
        std::size_t file = 0;
        for (char c : f) file = file * 10 + static_cast<std::size_t>(c - '0');
        f = file < files.size() ? std::string_view(files[file].name) : std::string_view();
      }
      field[i * nk + k] = f;
      key.remove_prefix(cut == key.size() ? cut : cut + 1);
    }
  }

  Summary out;
  out.nvalues = nv;
  std::vector<KeyColumn> typed(nk);
  std::vector<std::vector<uint32_t>> ranks(nk);
  for (std::size_t k = 0; k < nk; ++k) {
    KeyColumn& col = typed[k];
    KeyType t = k < key_types.size() ? static_cast<KeyType>(key_types[k]) : KeyType::none;
    if (q.key_col[k] < 0) t = KeyType::text;
    col.missing.assign(ng, 0);
    for (std::size_t i = 0; i < ng && t != KeyType::text; ++i) t = wider(t, classify_key(field[i * nk + k]));
    if (t == KeyType::none) t = KeyType::text;
    col.type = t;
    for (std::size_t i = 0; i < ng; ++i) col.missing[i] = q.key_col[k] >= 0 && missing_text(field[i * nk + k]);
    if (t == KeyType::integer) {
      col.ints.assign(ng, 0);
      for (std::size_t i = 0; i < ng; ++i) {
        if (!col.missing[i]) classify_key(field[i * nk + k], &col.ints[i], nullptr);
      }
      ranks[k] = number_ranks(col.ints, col.missing, threads);
    } else if (t == KeyType::real) {
      col.reals.assign(ng, 0.0);
      for (std::size_t i = 0; i < ng; ++i) {
        if (col.missing[i]) continue;
        int32_t as_int = 0;
        if (classify_key(field[i * nk + k], &as_int, &col.reals[i]) == KeyType::integer) col.reals[i] = as_int;
      }
      ranks[k] = number_ranks(col.reals, col.missing, threads);
    } else {
      col.texts.assign(ng, std::string_view());
      for (std::size_t i = 0; i < ng; ++i) col.texts[i] = field[i * nk + k];
      ranks[k] = text_ranks(col.texts, col.missing, threads);
    }
  }

  // Sort by the rank tuple, packed into one integer when it fits.
  std::vector<uint32_t> order(ng);
  std::iota(order.begin(), order.end(), 0u);
  unsigned bits = 0;
  std::vector<unsigned> width(nk);
  for (std::size_t k = 0; k < nk; ++k) {
    uint32_t most = 0;
    for (uint32_t r : ranks[k]) most = std::max(most, r);
    unsigned w = 1;
    while (w < 32 && (uint64_t{1} << w) <= most) ++w;
    width[k] = w;
    bits += w;
  }
  if (nk == 1) {
    // Counting sort: the ranks are dense.
    std::vector<uint32_t> count(ng + 2, 0);
    for (uint32_t r : ranks[0]) ++count[r + 1];
    for (std::size_t r = 1; r < count.size(); ++r) count[r] += count[r - 1];
    for (uint32_t i = 0; i < ng; ++i) order[count[ranks[0][i]]++] = i;
  } else if (bits <= 64) {
    std::vector<std::pair<uint64_t, uint32_t>> packed(ng);
    for (std::size_t i = 0; i < ng; ++i) {
      uint64_t v = 0;
      for (std::size_t k = 0; k < nk; ++k) v = (v << width[k]) | ranks[k][i];
      packed[i] = {v, static_cast<uint32_t>(i)};
    }
    sort_on(threads, packed.begin(), packed.end(), std::less<std::pair<uint64_t, uint32_t>>());
    for (std::size_t i = 0; i < ng; ++i) order[i] = packed[i].second;
  } else {
    sort_on(threads, order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      for (std::size_t k = 0; k < nk; ++k) {
        if (ranks[k][a] != ranks[k][b]) return ranks[k][a] < ranks[k][b];
      }
      return false;
    });
  }

  // Emit the rows; a run of equal rank tuples is one group.
  out.keys.resize(nk);
  for (std::size_t k = 0; k < nk; ++k) out.keys[k].type = typed[k].type;
  auto same = [&](uint32_t a, uint32_t b) {
    for (std::size_t k = 0; k < nk; ++k) {
      if (ranks[k][a] != ranks[k][b]) return false;
    }
    return true;
  };
  for (std::size_t s = 0; s < ng; ++s) {
    const uint32_t i = order[s];
    const GroupRef& g = groups[i];
    if (s > 0 && same(order[s - 1], i)) {
      out.n.back() += g.part->n(g.index);
      for (uint32_t v = 0; v < nv; ++v) out.acc.merge_into(out.acc.size() - nv + v, g.part->acc(g.index, v));
      continue;
    }
    for (std::size_t k = 0; k < nk; ++k) {
      const KeyColumn& from = typed[k];
      KeyColumn& to = out.keys[k];
      to.missing.push_back(from.missing[i]);
      if (from.type == KeyType::integer) to.ints.push_back(from.ints[i]);
      if (from.type == KeyType::real) to.reals.push_back(from.reals[i]);
      if (from.type == KeyType::text) to.texts.push_back(from.texts[i]);
    }
    out.n.push_back(g.part->n(g.index));
    for (uint32_t v = 0; v < nv; ++v) out.acc.push_back(g.part->acc(g.index, v));
  }
  return out;
}

}  // namespace parairline
