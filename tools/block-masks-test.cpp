// The portable block masks (src/core/block_masks_portable.h) against the byte
// loop: random blocks at every alignment, with the quote, separator and
// line end (\n or \r) among bytes one bit away from them (where a word-at-a-time compare
// would go wrong), for many quote and separator characters, high bytes too.
// Run by `make core-test` (the SWAR path on x86) and, built for aarch64, by
// `make cross-test` (NEON and SWAR under qemu). `--bench` prints timings,
// which mean something only on real hardware, never under emulation.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/block_masks_portable.h"
#include "core/check.h"

using namespace parairline;
using namespace parairline::portable_masks;
using namespace core_check;

static bool same(const BlockMasksN& a, const BlockMasksN& b) {
  return a.quote == b.quote && a.sep == b.sep && a.newline == b.newline;
}

static void test_random() {
  std::mt19937_64 rng(42);
  const char pairs[][2] = {{'"', ','}, {'"', ';'}, {'\'', '\t'}, {'"', '|'}, {'\0', ','},
                           {'\x7f', '\x80'}, {'\xff', '\x01'}, {'\xa7', '\xfe'}, {'\n', ','}, {',', ','}};
  std::vector<char> buf(64 + 64);
  int wrong = 0, blocks = 0;
  for (const char e : {'\n', '\r'}) {
    for (const auto& qs : pairs) {
      const char q = qs[0], s = qs[1];
      // Bytes equal to, or one bit away from, the three we look for, and a
      // few that break naive zero-byte tricks.
      std::vector<char> alphabet = {q, s, e, '\0', '\x7f', '\x80', '\xff', 'A', '1'};
      for (int bit = 0; bit < 8; ++bit) {
        for (char c : {q, s, e}) alphabet.push_back(static_cast<char>(c ^ (1 << bit)));
      }
      for (int it = 0; it < 2000; ++it) {
        for (char& c : buf) c = alphabet[rng() % alphabet.size()];
        const char* p = buf.data() + rng() % 64;
        const BlockMasksN want = block_masks_bytes(p, q, s, e);
        ++blocks;
        bool ok = same(block_masks_swar(p, q, s, e), want) && same(block_masks_portable(p, q, s, e), want);
#if PARAIRLINE_HAVE_NEON_MASKS
        ok = ok && same(block_masks_neon(p, q, s, e), want);
#endif
        if (e == '\n') ok = ok && same(block_masks_portable(p, q, s), want);  // the default line end
        if (!ok && ++wrong <= 3) {
          std::fprintf(stderr, "masks differ for quote 0x%02x sep 0x%02x eol 0x%02x\n", static_cast<unsigned char>(q),
                       static_cast<unsigned char>(s), static_cast<unsigned char>(e));
        }
      }
    }
  }
  CHECK(wrong == 0, std::to_string(wrong) + " of " + std::to_string(blocks) + " random blocks differ");
}

static void test_edges() {
  char all[64];
  for (char c : {'"', ',', '\n', '\0', '\xff'}) {
    std::memset(all, c, sizeof all);
    const BlockMasksN m = block_masks_portable(all, '"', ',');
    const uint64_t full = ~uint64_t{0};
    CHECK(m.quote == (c == '"' ? full : 0) && m.sep == (c == ',' ? full : 0) && m.newline == (c == '\n' ? full : 0),
          std::string("a block of one byte, 0x") + std::to_string(static_cast<unsigned char>(c)));
  }
  std::memset(all, 'x', sizeof all);
  for (int i = 0; i < 64; ++i) {
    all[i] = ';';
    const BlockMasksN m = block_masks_portable(all, '"', ';');
    CHECK(m.sep == (uint64_t{1} << i) && m.quote == 0 && m.newline == 0, "bit " + std::to_string(i) + " is byte " + std::to_string(i));
    all[i] = 'x';
  }
}

template <class F>
static double mb_per_s(const std::vector<char>& data, F&& masks) {
  uint64_t sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int rep = 0; rep < 20; ++rep) {
    for (std::size_t off = 0; off + 64 <= data.size(); off += 64) {
      const BlockMasksN m = masks(data.data() + off, '"', ',', '\n');
      sink += m.quote ^ (m.sep << 1) ^ (m.newline << 2);
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sink == 42) std::printf(" ");
  return 20.0 * static_cast<double>(data.size()) / 1e6 / s;
}

static void bench() {
  std::mt19937_64 rng(1);
  std::vector<char> data(std::size_t(8) << 20);
  const char line[] = "2019,1,AA,\"JFK\",\"LAX\",2475.00,0\n";
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = line[(i + rng() % 2) % (sizeof line - 1)];
  std::printf("bytes %.0f MB/s, swar %.0f MB/s", mb_per_s(data, block_masks_bytes), mb_per_s(data, block_masks_swar));
#if PARAIRLINE_HAVE_NEON_MASKS
  std::printf(", neon %.0f MB/s", mb_per_s(data, block_masks_neon));
#endif
  std::printf("\n");
}

int main(int argc, char** argv) {
  test_random();
  test_edges();
  if (argc > 1 && std::strcmp(argv[1], "--bench") == 0) bench();
  return report();
}
