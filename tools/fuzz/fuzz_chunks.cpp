// libFuzzer harness for the R-free core: the chunked, speculative,
// multi-threaded parse must give exactly what the whole-file reference parse
// gives (tools/core/differential.h), for any bytes, chunk size and thread
// count. Any difference traps, so libFuzzer keeps the input as a crash.
//
// Input layout: byte 0 picks the chunk size, byte 1 the thread count and
// options, the rest is the file (after an optional built-in header, so the
// fuzzer need not rediscover one). See tools/fuzz.sh; `make fuzz`.
//
// Built without libFuzzer (-DPARAIRLINE_FUZZ_STANDALONE) it replays files
// given on the command line, e.g. the corpus under ThreadSanitizer.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/check.h"
#include "core/differential.h"

namespace {

// A private directory on tmpfs (or $TMPDIR) for the one input file; the core
// reads paths, and we keep it unchanged for the fuzzer. A plain array, so the
// exit-time cleanup never sees a destroyed string.
char g_dir[4096];

void remove_work_dir() {
  const std::string d = g_dir;
  ::unlink((d + "/in.csv").c_str());
  ::unlink((d + "/in.csv.gz").c_str());
  ::rmdir(d.c_str());
}

const char* work_dir() {
  if (g_dir[0] == '\0') {
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::getenv("TMPDIR");
    std::snprintf(g_dir, sizeof g_dir, "%s/parairline-fuzz-XXXXXX", base ? base : "/tmp");
    if (!::mkdtemp(g_dir)) std::abort();
    std::atexit(remove_work_dir);
  }
  return g_dir;
}

// Headers the fuzzer can ask for, covering key/value order and position,
// quoting, CRLF, a BOM and a trailing empty column.
const char* const kHeaders[] = {
    "K,V\n", "\"K\",\"V\",\n", "V,X,K\n", "\xEF\xBB\xBFK,V\r\n", "X,K,Y,V,Z\n", "V,K\n", "\"K\nx\",K,V\n", "K,V",
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const uint8_t b0 = data[0], b1 = data[1];
  // Mostly tiny chunks (every boundary case), sometimes whole-file ones.
  const uint64_t chunk = b0 < 0xC0 ? 1 + (b0 & 0x3F) : (uint64_t{1} + (b0 & 0x3F)) * 97;
  const int threads = (b1 & 3) == 3 ? 2 : (b1 & 3);  // 0 = via wire frames
  const bool gz = (b1 & 4) != 0;
  const bool own_header = (b1 & 8) != 0;
  std::string bytes = own_header ? "" : kHeaders[(b1 >> 4) & 7];
  bytes.append(reinterpret_cast<const char*>(data) + 2, size - 2);

  const std::string path = std::string(work_dir()) + (gz ? "/in.csv.gz" : "/in.csv");
  if (!core_check::write_bytes(path, bytes, gz)) std::abort();
  const std::string diff = parairline::reference::check_file(path, "K", "V", chunk, threads);
  if (!diff.empty()) {
    std::fprintf(stderr, "DIFFERENCE (chunk %llu, threads %d, gzip %d): %s\n", static_cast<unsigned long long>(chunk),
                 threads, static_cast<int>(gz), diff.c_str());
    __builtin_trap();
  }
  ::unlink(path.c_str());
  return 0;
}

#ifdef PARAIRLINE_FUZZ_STANDALONE
// Replays inputs without libFuzzer: fuzz_chunks FILE...
int main(int argc, char** argv) {
  int ran = 0;
  for (int i = 1; i < argc; ++i) {
    FILE* f = std::fopen(argv[i], "rb");
    if (!f) {
      std::fprintf(stderr, "cannot open %s\n", argv[i]);
      return 2;
    }
    std::string buf;
    char tmp[65536];
    for (std::size_t n; (n = std::fread(tmp, 1, sizeof tmp, f)) > 0;) buf.append(tmp, n);
    std::fclose(f);
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(buf.data()), buf.size());
    ++ran;
  }
  std::printf("replayed %d inputs, no difference\n", ran);
  return 0;
}
#endif
