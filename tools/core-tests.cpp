// Unit tests of the R-free core, built and run without R: `make core-test`.
// Also built with ThreadSanitizer by `make tsan`, and for Windows and aarch64
// by `make cross-test` (the process pool's tests need fork(): not on Windows).
#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <chrono>
#include <csignal>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/differential.h"
#include "core/process_pool.h"
#include "sim/compress_file.h"

using namespace parairline;

using namespace core_check;

static std::string tmp_dir;

static std::string write_file(const std::string& name, const std::string& bytes, bool gz = false) {
  const std::string path = tmp_dir + "/" + name;
  write_or_exit(path, bytes, gz);
  return path;
}

static double sum_of(const std::vector<std::string>& values) {
  ExactSum s;
  for (const auto& v : values) {
    Decimal d;
    if (parse_decimal(v.data(), v.data() + v.size(), d) == ParseStatus::ok) s.add(d);
  }
  return s.to_double();
}

// The word-at-a-time parse of short values against a byte loop over the
// same shape ([-]digits[mark digits], exact fields) and, for every other
// text, the general parser: every text of up to 5 bytes over an alphabet of
// digits, marks, signs and other bytes, and random longer ones.
static bool byte_loop_decimal(const std::string& s, char dec, Decimal& d) {
  std::size_t i = 0;
  d.neg = !s.empty() && s[0] == '-';
  i += d.neg;
  uint64_t m = 0;
  int nd = 0, frac = 0;
  bool mark = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      m = m * 10 + static_cast<uint64_t>(s[i] - '0');
      ++nd;
      frac += mark;
    } else if (s[i] == dec && !mark) {
      mark = true;
    } else {
      return false;
    }
  }
  if (nd == 0 || nd > 18) return false;
  d.big = false;
  d.mant = m;
  d.exp10 = m == 0 ? 0 : -frac;
  return true;
}

static void test_short_decimal() {
  const std::string alphabet = "0159.,-+eNA /:\xB0";
  std::vector<std::string> texts{""};
  for (std::size_t len = 1, from = 0; len <= 5; ++len) {
    const std::size_t to = texts.size();
    for (std::size_t t = from; t < to; ++t) {
      for (char c : alphabet) texts.push_back(texts[t] + c);
    }
    from = to;
  }
  std::mt19937_64 rng(7);
  const std::string digits = "0123456789012345678901234567.,-e";
  for (int i = 0; i < 200000; ++i) {
    std::string t(6 + rng() % 7, '0');
    for (char& c : t) c = digits[rng() % digits.size()];
    texts.push_back(t);
  }
  long mismatches = 0;
  std::string first;
  for (const char dec : {'.', ','}) {
    for (const std::string& t : texts) {
      Decimal got, want;
      const ParseStatus st = parse_decimal(t.data(), t.data() + t.size(), got, dec);
      bool same;
      if (t.empty() || t == "NA") {
        same = st == ParseStatus::missing;
      } else if (byte_loop_decimal(t, dec, want)) {
        same = st == ParseStatus::ok && got.neg == want.neg && !got.big && got.mant == want.mant && got.exp10 == want.exp10;
      } else {
        const ParseStatus ws = parse_decimal_general(t.data(), t.data() + t.size(), want, dec);
        same = st == ws && (st != ParseStatus::ok || compare_decimal(got, want) == 0);
      }
      if (!same && mismatches++ == 0) first = "\"" + t + "\" with dec '" + dec + "'";
    }
  }
  CHECK(mismatches == 0, "short decimals: " + std::to_string(mismatches) + " texts parse differently, first " + first);
}

static void test_decimal() {
  Decimal d;
  auto st = [&](const char* s) { return parse_decimal(s, s + std::strlen(s), d); };
  CHECK(st("2475.00") == ParseStatus::ok && d.mant == 247500 && d.exp10 == -2, "2475.00");
  CHECK(st("-5") == ParseStatus::ok && d.neg && d.mant == 5 && d.exp10 == 0, "-5");
  CHECK(st("1.5e3") == ParseStatus::ok && d.mant == 15 && d.exp10 == 2, "1.5e3");
  CHECK(st("+.5E-1") == ParseStatus::ok && d.mant == 5 && d.exp10 == -2, "+.5E-1");
  CHECK(st("5.") == ParseStatus::ok && d.mant == 5, "5.");
  CHECK(st("") == ParseStatus::missing, "empty");
  CHECK(st("NA") == ParseStatus::missing, "NA");
  for (const char* bad : {"12a", "a", "-", ".", "1e", "1e+", "1..2", "1.2.3", " 1", "1 ", "NaN", "Inf", "na", "0x10", "--1"}) {
    CHECK(st(bad) == ParseStatus::bad, std::string("bad: ") + bad);
  }
  CHECK(st("1e999") == ParseStatus::out_of_range, "1e999");
  CHECK(st("1e-999") == ParseStatus::out_of_range, "1e-999");
  CHECK(st("0e999") == ParseStatus::ok, "zero with any exponent");
  CHECK(st("123456789012345678901234567890123456789012345") == ParseStatus::ok && d.big, "45 digits is big");

  // Exact decimal sums, rounded once.
  CHECK(sum_of(std::vector<std::string>(10, "0.1")) == 1.0, "0.1 x 10 == 1");
  CHECK(sum_of({"0.1", "0.2"}) == 0.3, "0.1 + 0.2 == 0.3 (exactly rounded)");
  CHECK(sum_of({"1e20", "1", "-1e20"}) == 1.0, "no absorption");
  CHECK(sum_of({"1e300", "-1e300", "2.5"}) == 2.5, "big fallback");
  CHECK(sum_of({"123456789012345678901234567890123456789012345", "-123456789012345678901234567890123456789012344"}) == 1.0,
        "45-digit mantissas");
  CHECK(sum_of({"1e-300", "1"}) == 1.0, "tiny + 1");
  CHECK(sum_of({"1.7976931348623157e308"}) == 1.7976931348623157e308, "DBL_MAX");
  CHECK(sum_of({"170141183460469231731687303715884105727", "1", "-1"}) == 170141183460469231731687303715884105727.0,
        "int128 edge");
  CHECK(sum_of({"0.30000000000000004440892098500626"}) == 0.30000000000000004, "long fraction");

  // Merge is exact in any grouping.
  std::mt19937_64 rng(42);
  std::vector<std::string> vals;
  for (int i = 0; i < 2000; ++i) {
    char b[64];
    std::snprintf(b, sizeof b, "%s%llu.%0*llu%s", rng() % 2 ? "-" : "", static_cast<unsigned long long>(rng() % 100000),
                  static_cast<int>(rng() % 4 + 1), static_cast<unsigned long long>(rng() % 1000),
                  rng() % 50 == 0 ? "e25" : "");
    vals.push_back(b);
  }
  const double whole = sum_of(vals);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<ExactSum> parts(1 + rng() % 7);
    for (const auto& v : vals) {
      Decimal x;
      parse_decimal(v.data(), v.data() + v.size(), x);
      parts[rng() % parts.size()].add(x);
    }
    ExactSum total;
    for (std::size_t i = parts.size(); i-- > 0;) total.merge(parts[i]);
    CHECK(total.to_double() == whole, "merge in any grouping");
  }

  // Serialization keeps the exact accumulators.
  PartialResult p;
  Decimal x;
  const std::string_view big = "1e300", small = "0.25";
  parse_decimal(big.data(), big.data() + big.size(), x);
  p.group(p.find_or_insert("big")).sum.add(x);
  parse_decimal(small.data(), small.data() + small.size(), x);
  p.group(p.find_or_insert("small")).sum.add(x);
  p.n(p.find_or_insert(std::string_view("nul\0key", 7))) = 3;
  std::string bytes;
  p.serialize(bytes);
  wire::Reader q(bytes.data(), bytes.data() + bytes.size());
  PartialResult back = PartialResult::deserialize(q);
  CHECK(q.done(), "deserialize consumes everything");
  CHECK(reference::compare(p, CoreError(), back, CoreError()).empty(), "serialize round trip");
  bool threw = false;
  try {
    wire::Reader r(bytes.data(), bytes.data() + bytes.size() - 3);
    PartialResult::deserialize(r);
  } catch (const std::runtime_error&) {
    threw = true;
  }
  CHECK(threw, "truncated partial is detected");
}

static void check_all_chunkings(const std::string& name, const std::string& path, const char* key = "K",
                                const char* value = "V") {
  const long size = static_cast<long>(read_bytes(path).size());
  for (long cb = 1; cb <= size + 1; ++cb) {
    for (int threads : {0, 1, 2}) {
      const std::string diff = reference::check_file(path, key, value, static_cast<uint64_t>(cb), threads);
      CHECK(diff.empty(), name + " chunk " + std::to_string(cb) + " threads " + std::to_string(threads) + ": " + diff);
      if (!diff.empty()) return;
    }
  }
}

static PartialResult sum_file(const std::string& path, const char* key, const char* value, uint64_t cb, CoreError& err) {
  Plan plan;
  err = make_plan({path}, key, value, cb, plan);
  if (err) return PartialResult();
  ChainReducer reducer(plan);
  std::atomic<bool> stop{false};
  reduce_all(
      plan, reducer,
      [&](const WorkList& w) { run_tbb(plan, reducer, w, 2, stop, nullptr); }, stop);
  if (reducer.has_error()) {
    err = reducer.error();
    locate_error(plan, err, stop);
  }
  return reducer.total();
}

static void test_files() {
  const std::vector<std::pair<std::string, std::string>> good = {
      {"basic.csv", "K,V\nA,1\nB,2\nA,3\n"},
      {"quoted.csv", "\"K\",\"V\",\n\"AA\",2475.00,\n\"a,b\",1.5,\n\"q\"\"x\",\"7\",\n\"multi\nline\n\",3,\n\"\",4,\n"},
      {"crlf_bom.csv", "\xEF\xBB\xBFK,V\r\nA,1\r\nB,2\r\nA,\r\n"},
      {"no_final_newline.csv", "K,V\nA,1\nB,2"},
      {"header_only.csv", "K,V\n"},
      {"header_only_no_newline.csv", "K,V"},
      {"blank_lines.csv", "K,V\nA,1\n\nB,2\n\r\n"},
      {"reordered.csv", "V,X,K\n1,\"x,\n\",A\n2,y,B\nNA,z,A\n"},
      {"value_last_crlf.csv", "K,V\r\nA,1.25\r\nB,NA\r\n"},
      {"quotes_everywhere.csv", "K,X,V\nA,\"\"\"\",1\nB,\"\n\n\n,,,\"\"\",2\nA,\"\",3\n"},
      {"exponents.csv", "K,V\nA,1e3\nA,-2.5E-2\nB,1e300\nB,-1e300\nB,0.1\n"},
  };
  for (const auto& g : good) check_all_chunkings(g.first, write_file(g.first, g.second));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"ragged.csv", "K,V\nA,1\nB,2,3\nC,4\n"},
      {"bad_number.csv", "K,V\nA,1\nB,12a\n"},
      {"unterminated.csv", "K,V\nA,1\nB,\"2\n"},
      {"stray_quote.csv", "K,V\nA\"x,1\n"},
      {"nul_key.csv", std::string("K,V\nA,1\nB\0C,2\n", 15)},
  };
  for (const auto& b : bad) check_all_chunkings(b.first, write_file(b.first, b.second));

  CoreError err;
  sum_file(write_file("bad2.csv", "K,V\nA,1\nB,2\nC,12a\nD,x\n"), "K", "V", 3, err);
  CHECK(err && err.kind == CoreError::Kind::parse && err.line == 4 && err.column == 2 && err.text == "12a",
        "first bad number: line 4, column 2, text 12a; got line " + std::to_string(err.line) + ": " + err.message);
  sum_file(write_file("ragged2.csv", "K,V\n\"a\nb\",1\nB,2,3\n"), "K", "V", 1, err);
  CHECK(err && err.line == 4, "ragged row line counts physical lines: " + std::to_string(err.line));
  sum_file(write_file("empty.csv", ""), "K", "V", 7, err);
  CHECK(err && err.kind == CoreError::Kind::io && err.message.find("empty") != std::string::npos, "0-byte file");
  sum_file(write_file("nocol.csv", "A,B\n1,2\n"), "K", "V", 7, err);
  CHECK(err && err.message.find("\"K\" is not in the header") != std::string::npos &&
            err.message.find("\"A\", \"B\"") != std::string::npos,
        "missing column lists the header: " + err.message);
  sum_file(write_file("dup.csv", "K,V,K\n1,2,3\n"), "K", "V", 7, err);
  CHECK(err && err.message.find("appears 2 times") != std::string::npos, "duplicate column");
  sum_file(tmp_dir, "K", "V", 7, err);
  CHECK(err && err.message.find("directory") != std::string::npos, "directory");

  // gzip: streamed, one task per file, corrupt and truncated data detected.
  const std::string body = "K,V\nA,1\nB,2\n\"c\nd\",3\n";
  const std::string gz = write_file("ok.csv.gz", body, true);
  PartialResult r = sum_file(gz, "K", "V", 1, err);
  CHECK(!err && r.size() == 3, "gzip sums");
  check_all_chunkings("ok.csv.gz", gz);
  const std::string raw = read_bytes(gz);
  sum_file(write_file("trunc.csv.gz", raw.substr(0, raw.size() - 12)), "K", "V", 1, err);
  CHECK(err && err.kind == CoreError::Kind::io, "truncated gzip: " + err.message);
  std::string corrupt = raw;
  for (std::size_t i = 12; i < corrupt.size() - 8; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  sum_file(write_file("corrupt.csv.gz", corrupt), "K", "V", 1, err);
  CHECK(err && err.kind == CoreError::Kind::io, "corrupt gzip: " + err.message);
}

// Every compressed format gives the plain file's exact answer, whole streams
// concatenated are read whole, and a cut or damaged stream is an io error
// naming the file and the line reached, never a short sum.
static void test_formats() {
  // Random values, so the data compress like real data (block by block).
  std::mt19937_64 rng(11);
  std::string body = "K,V\n";
  for (int i = 0; i < 150000; ++i) {
    const uint64_t r = rng();
    body += (r % 7 == 0 ? "\"q,\"\"x\"\"\"" : std::string(1, static_cast<char>('A' + r % 5))) + "," +
            std::to_string((r >> 8) % 100000) + "." + std::to_string((r >> 32) % 100) + "\n";
  }
  const std::string plain = write_file("fmt.csv", body);
  const std::string head = write_file("fmt-head.csv", body.substr(0, body.find('\n', body.size() / 2) + 1));
  const std::string tail = write_file("fmt-tail.csv", body.substr(body.find('\n', body.size() / 2) + 1));
  CoreError want_err, err;
  const PartialResult want = sum_file(plain, "K", "V", 1 << 16, want_err);
  CHECK(!want_err && want.size() == 6, "the plain file sums");
  const std::pair<Format, const char*> formats[] = {
      {Format::gzip, "gz"}, {Format::bzip2, "bz2"}, {Format::xz, "xz"}, {Format::zstd, "zst"}, {Format::zip, "zip"}};
  for (const auto& f : formats) {
    if (!format_unsupported(f.first).empty()) {
      std::printf("skipping %s: not in this build\n", f.second);
      continue;
    }
    const std::string name = std::string("fmt.csv.") + f.second;
    const std::string path = tmp_dir + "/" + name;
    CHECK(compress_file(plain, path, f.first, "fmt.csv").empty(), "compress " + name);
    CHECK(detect_format(path) == f.first, name + " is recognised by its first bytes");
    PartialResult got = sum_file(path, "K", "V", 1 << 16, err);
    CHECK(!err && reference::compare(want, want_err, got, err).empty(), name + " gives the plain file's sums: " + err.message);
    for (int threads : {0, 2}) {
      const std::string diff = reference::check_file(path, "K", "V", 4096, threads);
      CHECK(diff.empty(), name + " differential, threads " + std::to_string(threads) + ": " + diff);
    }
    const std::string packed = read_bytes(path);
    if (f.first != Format::zip) {
      // Two streams back to back, as pigz, pbzip2, zstd -T or cat make them.
      const std::string a = tmp_dir + "/a." + f.second, b = tmp_dir + "/b." + f.second;
      compress_file(head, a, f.first);
      compress_file(tail, b, f.first);
      const std::string cat = write_file(std::string("cat.csv.") + f.second, read_bytes(a) + read_bytes(b));
      got = sum_file(cat, "K", "V", 1 << 16, err);
      CHECK(!err && reference::compare(want, want_err, got, err).empty(), name + ": concatenated streams are read whole");
    }
    // Cut short, and damaged in the middle: an io error with a line.
    const std::string cut = write_file("cut-" + name, packed.substr(0, packed.size() * 2 / 3));
    sum_file(cut, "K", "V", 1 << 16, err);
    // A cut zip has lost its directory: it fails before any line is read.
    CHECK(err.kind == CoreError::Kind::io && (err.line > 1 || f.first == Format::zip) && err.file.find(cut) == 0,
          name + " cut short: " + err.message + " line " + std::to_string(err.line));
    std::string damaged = packed;
    for (std::size_t i = packed.size() / 2; i < packed.size() / 2 + 64; ++i) damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
    sum_file(write_file("damaged-" + name, damaged), "K", "V", 1 << 16, err);
    // A decoder checks a block's checksum after handing out its bytes (and
    // while the scan runs on), so damage may first show as a bad row. Either
    // way an error, never a sum.
    CHECK(err, name + " damaged: no error");
  }
  if (format_unsupported(Format::zip).empty()) {
    // A member that is not a CSV file is skipped; an archive without one is an error.
    const std::string zip = tmp_dir + "/notes.zip";
    compress_file(plain, zip, Format::zip, "notes.txt");
    sum_file(zip, "K", "V", 1 << 16, err);
    CHECK(err && err.message.find("no member whose name ends in \".csv\"") != std::string::npos,
          "a zip without a CSV member: " + err.message);
    const std::string bad = write_file("bad.csv", "K,V\nA,1\nB,x\n");
    const std::string badzip = tmp_dir + "/bad.zip";
    compress_file(bad, badzip, Format::zip, "month.CSV");
    sum_file(badzip, "K", "V", 1 << 16, err);
    CHECK(err.kind == CoreError::Kind::parse && err.file == badzip + ":month.CSV" && err.line == 3,
          "a zip member's error names archive:member and the line: " + err.file);
  }
}

// Random CSV-ish bytes from a small alphabet that hits every rule.
static void test_random(int iterations) {
  std::mt19937_64 rng(7);
  const char alphabet[] = {'A', 'B', '1', '2', '.', 'e', '-', ',', ',', '"', '"', '\n', '\n', '\r', 'N'};
  for (int it = 0; it < iterations; ++it) {
    std::string s = rng() % 2 ? "K,V\n" : "\"K\",\"V\",\n";
    const int n = static_cast<int>(rng() % 60);
    for (int i = 0; i < n; ++i) s.push_back(alphabet[rng() % sizeof alphabet]);
    const std::string path = write_file("random.csv", s);
    const uint64_t cb = 1 + rng() % 20;
    const std::string diff = reference::check_file(path, "K", "V", cb, static_cast<int>(rng() % 3));
    CHECK(diff.empty(), "random input " + std::to_string(it) + " chunk " + std::to_string(cb) + ": " + diff);
    if (!diff.empty()) {
      std::fprintf(stderr, "input: ");
      for (char c : s) std::fprintf(stderr, c == '\n' ? "\\n" : c == '\r' ? "\\r" : "%c", c);
      std::fprintf(stderr, "\n");
      return;
    }
  }
}

// Once stopped, no runner takes another task (Ctrl-C must not wait for the
// rest of the queue).
static void test_stop() {
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> next{0};
  int calls = 0;
  drain_tasks(next, 100, stop, [&](std::size_t i) {
    ++calls;
    if (i == 4) stop.store(true);
    return true;
  });
  CHECK(calls == 5 && next.load() == 5, "drain_tasks takes nothing after stop: " + std::to_string(calls) + " calls");
  stop.store(false);
  next.store(0);
  calls = 0;
  drain_tasks(next, 100, stop, [&](std::size_t i) {
    ++calls;
    return i < 2;
  });
  CHECK(calls == 3, "drain_tasks ends when take returns false");

  std::string rows = "K,V\n";
  for (int i = 0; i < 2000; ++i) rows += "A,1\n";
  Plan plan;
  CHECK(!make_plan({write_file("stop.csv", rows)}, "K", "V", 16, plan), "plan");
  std::vector<std::size_t> ids(plan.tasks.size());
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
  stop.store(true);
  std::atomic<uint64_t> scanned{0};
  const std::string frames = run_tasks_to_frames(plan, ids, 2, stop, &scanned);
  const auto results = read_frames(frames.data(), frames.size());
  std::size_t skipped = 0;
  for (const auto& r : results) skipped += r.second.skipped;
  CHECK(results.size() == ids.size() && skipped == ids.size() && scanned.load() == 0,
        "a stopped run_tasks_to_frames reports every task skipped");
}

// Frame lengths near 2^32 and 2^64 must be refused, never wrap around a
// bounds check and read past the buffer (run under ASan by make sanitize).
static void test_wire_lengths() {
  ChunkResult r;
  r.partial.n(r.partial.find_or_insert("AA")) = 1;
  std::string good;
  write_frame(good, 0, r);
  CHECK(read_frames(good.data(), good.size()).size() == 1, "a whole frame reads back");
  CHECK(wire::whole_frames_length(good.data(), good.size()) == good.size(), "a whole frame is whole");
  const uint64_t big = ~uint64_t{0};
  const uint64_t lengths[] = {good.size() - 20, uint64_t{1} << 32, (uint64_t{1} << 32) - 1, (uint64_t{1} << 32) + 1,
                              big, big - 1, big - 7, big - 8, big - 9, big - 11, big - 12, big - 20};
  for (uint64_t len : lengths) {
    std::string bad = good;
    std::memcpy(&bad[4], &len, 8);
    const bool same = len == good.size() - 20;
    bool threw = false;
    try {
      read_frames(bad.data(), bad.size());
    } catch (const std::runtime_error&) {
      threw = true;
    }
    CHECK(threw != same, "frame length " + std::to_string(len) + (same ? " is read" : " is refused"));
    CHECK((wire::whole_frames_length(bad.data(), bad.size()) == bad.size()) == same,
          "frame length " + std::to_string(len) + (same ? " is whole" : " is not whole"));
  }
  // Counts inside a body are bounded by the bytes left, too.
  for (uint64_t n : {uint64_t{1} << 32, big, big - 7}) {
    std::string body;
    wire::put<uint64_t>(body, 1);
    wire::put<uint64_t>(body, n);  // the key's length
    wire::Reader in(body.data(), body.data() + body.size());
    bool threw = false;
    try {
      PartialResult::deserialize(in);
    } catch (const std::runtime_error&) {
      threw = true;
    }
    CHECK(threw, "key length " + std::to_string(n) + " is refused");
  }
}

// File names are UTF-8 everywhere (wide-character calls on Windows): a
// non-ASCII directory and file name plan, read and decompress in every format
// of this build, and a missing one says so in the system's words.
static void test_unicode_names() {
  const std::string dir = tmp_dir + "/d\xC3\xA9j\xC3\xA0 vu";             // "déjà vu"
  const std::string plain = dir + "/vols-\xC3\xA9t\xC3\xA9-\xE6\x97\xA5.csv";  // "vols-été-日.csv"
  std::error_code ec;
  std::filesystem::create_directory(std::filesystem::u8path(dir), ec);
  CHECK(!ec, "make a directory with a non-ASCII name: " + ec.message());
  const std::string body = "K,V\n\xC3\xBC,1\nB,2\n\xC3\xBC,3\n";
  write_or_exit(plain, body);
  CoreError err;
  PartialResult r = sum_file(plain, "K", "V", 4, err);
  CHECK(!err && r.size() == 2 && r.group(r.find_or_insert("\xC3\xBC")).n == 2, "a non-ASCII name reads: " + err.message);
  const std::pair<Format, const char*> formats[] = {
      {Format::gzip, "gz"}, {Format::bzip2, "bz2"}, {Format::xz, "xz"}, {Format::zstd, "zst"}, {Format::zip, "zip"}};
  for (const auto& f : formats) {
    if (!format_unsupported(f.first).empty()) continue;
    const std::string packed = plain + "." + f.second;
    const std::string made = compress_file(plain, packed, f.first, "vols-\xC3\xA9t\xC3\xA9.csv");
    CHECK(made.empty(), std::string("compress to a non-ASCII name: ") + f.second + ": " + made);
    r = sum_file(packed, "K", "V", 4, err);
    CHECK(!err && r.size() == 2, std::string("a non-ASCII ") + f.second + " name reads: " + err.message);
  }
  sum_file(dir + "/absent-\xC3\xA9.csv", "K", "V", 4, err);
  CHECK(err.kind == CoreError::Kind::io && err.message == "Cannot open the file: No such file or directory.",
        "a missing non-ASCII name: " + err.message);
  sum_file(dir, "K", "V", 4, err);
  CHECK(err && err.message.find("directory") != std::string::npos, "a non-ASCII directory is a directory");
}

#ifndef _WIN32

static volatile sig_atomic_t parent_handler_ran = 0;
static void parent_handler(int) { parent_handler_ran = 1; }

// Children start clean and a child's death is reported at once (the hang
// bounds below are generous on purpose: they catch waits without limit, not
// slowness).
static void test_process_pool() {
  using Clock = std::chrono::steady_clock;
  const auto seconds_since = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  // The parent's handlers, descriptors and stdin stay the parent's.
  struct sigaction sa, old;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = parent_handler;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGUSR1, &sa, &old);
  const int parent_fd = ::open("/dev/null", O_RDONLY);
  struct stat devnull;
  ::stat("/dev/null", &devnull);
  {
    ProcessPool pool(1, [&](int, int fd) {
      struct stat in;
      const bool fd_closed = ::fcntl(parent_fd, F_GETFD) == -1 && errno == EBADF;
      const bool stdin_null = ::fstat(0, &in) == 0 && in.st_rdev == devnull.st_rdev && S_ISCHR(in.st_mode);
      const char report[2] = {fd_closed ? 'c' : 'o', stdin_null ? 'n' : 'x'};
      if (!write_all(fd, report, 2)) return 2;
      ::raise(SIGUSR1);  // default action now: the child dies, the handler never runs
      return 0;
    });
    std::vector<std::string> out;
    const CollectEnd end = pool.collect(out, [] { return true; }, 20);
    CHECK(end == CollectEnd::fault, "a child killed by a signal is a fault");
    CHECK(out[0] == "cn", "the child has no inherited descriptor and stdin is /dev/null: " + out[0]);
    const auto faults = pool.faults();
    CHECK(faults.size() == 1 && faults[0].find("signal " + std::to_string(SIGUSR1)) != std::string::npos,
          "the fault says which signal");
  }
  CHECK(parent_handler_ran == 0, "the parent's signal handler never ran in the child");
  ::close(parent_fd);
  ::sigaction(SIGUSR1, &old, nullptr);

  // One worker dies while the other hangs or is stopped: reported at once.
  for (bool stopped : {false, true}) {
    const auto t0 = Clock::now();
    ProcessPool pool(2, [&](int w, int) {
      if (w == 0) {
        ::usleep(100000);
        ::raise(SIGKILL);
      }
      if (stopped) ::raise(SIGSTOP);
      ::sleep(60);
      return 0;
    });
    std::vector<std::string> out;
    const CollectEnd end = pool.collect(out, [] { return true; }, 20);
    const double took = seconds_since(t0);
    CHECK(end == CollectEnd::fault && pool.faults().size() == 1, "the dead worker is the one fault");
    CHECK(took < 5, "a death is reported at once, not when the others finish (took " + std::to_string(took) + " s)");
    std::vector<WorkerExit> exits = pool.exits();
    CHECK(exits.size() == 2, "both workers are reaped");
  }

  // Ctrl-C right after a death keeps the death.
  {
    ProcessPool pool(2, [&](int w, int) {
      if (w == 0) ::raise(SIGKILL);
      ::sleep(60);
      return 0;
    });
    // Until worker 0 is dead (not reaped: WNOWAIT), however loaded the machine.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pool.pid(0)), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
    std::vector<std::string> out;
    pool.collect(out, [] { return false; }, 1);
    CHECK(pool.faults().size() == 1, "a fault before Ctrl-C is kept");
  }
}

#endif  // _WIN32

// A thread that throws (out of memory, say) stops the team: the others take
// no more tasks and the exception reaches the caller.
static void test_first_failure() {
  for (int threads : {1, 2}) {
    std::atomic<std::size_t> next{0}, done{0};
    const std::atomic<bool> stop{false};
    FirstFailure failure;
    on_tbb_threads(threads, [&] {
      drain_tasks(next, 100000, stop, [&](std::size_t i) {
        return failure.guard([&] {
          if (i == 10) throw std::bad_alloc();
          ++done;
        });
      });
    });
    bool threw = false;
    try {
      failure.rethrow();
    } catch (const std::bad_alloc&) {
      threw = true;
    }
    CHECK(threw, "the exception reaches the caller on " + std::to_string(threads) + " threads");
    // Until the throw has been caught the others go on; under emulation
    // (qemu in make cross-test) unwinding takes long enough for thousands of
    // these empty tasks. Not stopping at all would do all 99,999.
    CHECK(done < 50000, "the others stop taking tasks: " + std::to_string(done.load()) + " done");
  }
}

// Locating an error's line stops when asked, leaving the line unknown.
static void test_locate_stops() {
  const std::string path = tmp_dir + "/locate.csv";
  write_or_exit(path, "K,V\nA,1\nB,x\n");
  Plan plan;
  CHECK(!make_plan({path}, "K", "V", 1 << 20, plan), "plan for locate");
  CoreError e;
  e.kind = CoreError::Kind::parse;
  e.file = path;
  e.offset = 8;
  e.has_offset = true;
  std::atomic<bool> stop{true};
  locate_error(plan, e, stop);
  CHECK(e.line == 0, "a stopped locate leaves the line unknown");
  stop.store(false);
  locate_error(plan, e, stop);
  CHECK(e.line == 3, "locate finds line 3");
}

// The scanner's select_bit() (the k-th set bit of a mask) is the same in
// every instruction set it is compiled for, pdep or not.
static void test_select_bit() {
  std::mt19937_64 rng(11);
  long mismatches = 0;
  for (int i = 0; i < 20000; ++i) {
    uint64_t x = rng();
    for (int thin = static_cast<int>(rng() % 4); thin > 0; --thin) x &= rng();  // sparse masks too
    if (i < 64) x = ~uint64_t{0} << i;
    const uint64_t bits = static_cast<uint64_t>(__builtin_popcountll(x));
    for (uint64_t k = 0; k < bits; ++k) {
      const int want = generic_isa::select_bit(x, k);
      bool same = ((x >> want) & 1) && static_cast<uint64_t>(__builtin_popcountll(x & ((uint64_t{1} << want) - 1))) == k;
#if PARAIRLINE_HAVE_AVX2_PATH
      if (cpu_has_avx2()) same = same && avx2_isa::select_bit(x, k) == want && avx2_slow_pdep_isa::select_bit(x, k) == want;
#endif
      mismatches += !same;
    }
  }
  CHECK(mismatches == 0, "select_bit agrees in every instruction set (" + std::to_string(mismatches) + " mismatches)");
}

// has_nul_or() (the check of each new key's bytes) agrees with memchr at
// every length and position.
static void test_has_nul_or() {
  std::mt19937_64 rng(12);
  long mismatches = 0;
  char buf[64];
  for (int i = 0; i < 200000; ++i) {
    const std::size_t n = rng() % 40, at = rng() % 8;
    for (std::size_t j = 0; j < n + at; ++j) buf[j] = static_cast<char>('A' + rng() % 60);
    if (n > 0 && rng() % 3 == 0) buf[at + rng() % n] = rng() % 2 ? '\0' : '\r';
    if (rng() % 5 == 0) buf[rng() % (n + at + 1)] = '\n';  // another byte, maybe outside
    const char* p = buf + at;
    const bool want = std::memchr(p, '\0', n) != nullptr || std::memchr(p, '\r', n) != nullptr;
    mismatches += has_nul_or(p, n, '\r') != want;
  }
  CHECK(mismatches == 0, "has_nul_or agrees with memchr (" + std::to_string(mismatches) + " mismatches)");
}

// Big arrays: mapped storage and the partitions' page pool hold what was
// written, reuse freed pieces, and a pooled table works as a heap one.
static void test_big_arrays() {
  BigArray<uint64_t> big;
  for (uint64_t i = 0; i < (uint64_t{1} << 20); ++i) big.push_back(i * 7);  // 8 MB: mapped
  bool same = true;
  for (uint64_t i = 0; i < big.size(); ++i) same = same && big[i] == i * 7;
  CHECK(same, "a mapped array keeps its values through growth");

  PagePool pool;
  {
    PoolArray<uint64_t> a{PoolAllocator<uint64_t>(&pool)}, b{PoolAllocator<uint64_t>(&pool)};
    for (uint64_t i = 0; i < 300000; ++i) {
      a.push_back(i);
      b.push_back(~i);
    }
    bool ok = a.get_allocator().pool() == &pool;
    for (uint64_t i = 0; i < a.size(); ++i) ok = ok && a[i] == i && b[i] == ~i;
    CHECK(ok, "two pooled arrays growing in step keep their values");
    PoolArray<uint64_t> c(a);  // a copy is the heap's
    CHECK(c.get_allocator().pool() == nullptr && c == a, "a copy of a pooled array is a heap array");
  }
  void* p = pool.allocate(40 * 8192);
  std::memset(p, 1, 40 * 8192);
  pool.deallocate(p, 40 * 8192);
  void* q = pool.allocate(40 * 8192 - 100);  // the same size class
  CHECK(q == p, "a freed piece is reused for its size class");
  void* r = pool.allocate(40 * 8192);
  CHECK(r != q && (static_cast<char*>(r) >= static_cast<char*>(q) + 40 * 8192 ||
                   static_cast<char*>(r) + 40 * 8192 <= static_cast<char*>(q)),
        "pieces in use do not overlap");
  pool.deallocate(q, 40 * 8192);
  pool.close();  // its owner going away: r is freed with the slabs
  pool.deallocate(r, 40 * 8192);
  pool.release();

  // A table on the pool against one on the heap: 200k groups, two values.
  PagePool table_pool;
  PartialResult pooled(2, 1, true, &table_pool), heap(2, 1, true);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 600000; ++i) {
    const std::string key = "K" + std::to_string(rng() % 200000);
    Decimal d;
    const std::string text = std::to_string(static_cast<int>(rng() % 2001) - 1000) + ".25";
    parse_decimal(text.data(), text.data() + text.size(), d, '.');
    for (PartialResult* t : {&pooled, &heap}) {
      const std::size_t g = t->find_or_insert(key);
      ++t->n(g);
      t->acc(g, 1).sum.add(d);
      t->extremes(g, 1).add(d);
    }
  }
  PartialResult copy = pooled;
  table_pool.drain();
  pooled.compact();
  bool agree = pooled.size() == heap.size() && copy.size() == heap.size();
  for (std::size_t g = 0; g < heap.size() && agree; ++g) {
    agree = pooled.key(g) == heap.key(g) && pooled.n(g) == heap.n(g) && copy.n(g) == heap.n(g) &&
            pooled.acc(g, 1).sum.to_double() == heap.acc(g, 1).sum.to_double() &&
            pooled.extremes(g, 1).max == heap.extremes(g, 1).max;
  }
  CHECK(agree, "a table on the page pool, compacted after a drain, agrees with one on the heap");
  pooled = PartialResult();
  table_pool.release();
  CHECK(copy.find_or_insert(std::string("K1")) < copy.size(), "a copy outlives the pool it was copied from");
}

int main(int argc, char** argv) {
  const TempDir dir("parairline-core");
  tmp_dir = dir.path();
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 3000;
  test_decimal();
  test_short_decimal();
  test_select_bit();
  test_big_arrays();
  test_has_nul_or();
  test_files();
  test_stop();
  test_wire_lengths();
  test_locate_stops();
  test_unicode_names();
#ifndef _WIN32
  test_process_pool();
#else
  std::printf("skipping the process pool's 11 checks: no fork() on Windows\n");
#endif
  test_first_failure();
  test_formats();
  test_random(iterations);
  return report();
}
