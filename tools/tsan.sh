#!/bin/sh
# ThreadSanitizer on the R-free core's multithreaded (TBB) path, without R:
# builds tools/core-tests.cpp, tools/summary-tests.cpp (the summary's loops
# and sorts on threads) and a corpus replayer of the fuzz harness with
# -fsanitize=thread and runs them; fails on any report.
#
# Debian's libtbb is not instrumented, so TSan cannot see the hand-offs inside
# it and would report every task's captured data as a race. TBB exposes those
# hand-offs to race detectors as ITT sync events: we compile with
# TBB_USE_PROFILING_TOOLS=2 and load a ten-line ITT collector that forwards
# them to TSan (__tsan_release/__tsan_acquire). What remains is suppressed in
# tools/tsan.supp, TBB objects only. Before trusting a quiet run we check that
# a deliberate race across two TBB threads is still reported with all of this
# in place.
#
# Environment: CXX (default g++), TSAN_ITERATIONS (random inputs in the core
# tests, default 600: TSan is slow), TSAN_SUMMARY_CASES (random files in the
# summary tests, default 20), TSAN_ROUNDS (default 2: reports depend
# on timing, so the tests run more than once).
set -eu
cd "$(dirname "$0")/.."

CXX=${CXX:-g++}
CC=${CC:-gcc}
OUT=tools/build/tsan
mkdir -p "$OUT"
FLAGS="-std=c++17 -O1 -g -fno-omit-frame-pointer -fsanitize=thread -pthread -DTBB_USE_PROFILING_TOOLS=2"

cat > "$OUT/itt_tsan.c" <<'C'
/* An ITT collector (loaded by libtbb from INTEL_LIBITTNOTIFY64) that turns
   TBB's sync events into TSan happens-before edges. */
void __tsan_acquire(void* addr);
void __tsan_release(void* addr);
int __itt_api_version(void) { return 1; }
void __itt_sync_releasing(void* addr) { __tsan_release(addr); }
void __itt_sync_acquired(void* addr) { __tsan_acquire(addr); }
void __itt_fsync_releasing(void* addr) { __tsan_release(addr); }
void __itt_fsync_acquired(void* addr) { __tsan_acquire(addr); }
void __itt_sync_prepare(void* addr) { (void)addr; }
void __itt_sync_cancel(void* addr) { (void)addr; }
C
$CC -shared -fPIC -O1 "$OUT/itt_tsan.c" -o "$OUT/libitt_tsan.so"
export INTEL_LIBITTNOTIFY64="$(pwd)/$OUT/libitt_tsan.so"
export INTEL_ITTNOTIFY_GROUPS=sync,fsync
export TSAN_OPTIONS="halt_on_error=0 exitcode=66 history_size=4 suppressions=$(pwd)/tools/tsan.supp ${TSAN_OPTIONS:-}"

cat > "$OUT/canary.cpp" <<'CPP'
// A deliberate data race across two TBB threads: TSan must report it.
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#include <cstdio>
int main() {
  long counter = 0;
  tbb::task_arena arena(2);
  arena.execute([&] {
    tbb::parallel_for(0, 2, [&](int) { for (int i = 0; i < 100000; ++i) ++counter; }, tbb::simple_partitioner());
  });
  std::printf("%ld\n", counter);
}
CPP
# shellcheck disable=SC2086
$CXX $FLAGS "$OUT/canary.cpp" -o "$OUT/canary" -ltbb
if "$OUT/canary" > "$OUT/canary.log" 2>&1 || ! grep -q "WARNING: ThreadSanitizer: data race" "$OUT/canary.log"; then
  echo "tsan.sh: ThreadSanitizer did not report the deliberate race; it cannot be trusted here" >&2
  exit 1
fi
echo "tsan.sh: the deliberate race is reported (good)"

# The decompression libraries configure finds (bzip2, xz, zstd, zip).
FLAGS_OUT=$(PARAIRLINE_PRINT_FLAGS=1 CXX="$CXX" sh configure 2>/dev/null)
COMPRESS_CPPFLAGS=$(echo "$FLAGS_OUT" | sed -n 's/^CPPFLAGS=//p')
COMPRESS_LIBS=$(echo "$FLAGS_OUT" | sed -n 's/^LIBS=//p')
# shellcheck disable=SC2086
$CXX $FLAGS $COMPRESS_CPPFLAGS -Isrc -Itools tools/core-tests.cpp -o "$OUT/core-tests" -ltbb -lz $COMPRESS_LIBS
# shellcheck disable=SC2086
$CXX $FLAGS $COMPRESS_CPPFLAGS -Isrc -Itools tools/summary-tests.cpp -o "$OUT/summary-tests" -ltbb -lz $COMPRESS_LIBS
# shellcheck disable=SC2086
$CXX $FLAGS $COMPRESS_CPPFLAGS -DPARAIRLINE_FUZZ_STANDALONE -Isrc -Itools tools/fuzz/fuzz_chunks.cpp -o "$OUT/fuzz-replay" -ltbb -lz $COMPRESS_LIBS

status=0
reports=0
round=1
while [ "$round" -le "${TSAN_ROUNDS:-2}" ]; do
  "$OUT/core-tests" "${TSAN_ITERATIONS:-600}" > "$OUT/core-tests-$round.log" 2>&1 || status=$?
  "$OUT/summary-tests" "${TSAN_SUMMARY_CASES:-20}" > "$OUT/summary-tests-$round.log" 2>&1 || status=$?
  "$OUT/fuzz-replay" tools/fuzz/corpus/* > "$OUT/fuzz-replay-$round.log" 2>&1 || status=$?
  n=$(cat "$OUT/core-tests-$round.log" "$OUT/summary-tests-$round.log" "$OUT/fuzz-replay-$round.log" |
      grep -c "WARNING: ThreadSanitizer" || true)
  echo "round $round: $(tail -n 1 "$OUT/core-tests-$round.log"); summary-tests $(tail -n 1 "$OUT/summary-tests-$round.log");" \
       "$(tail -n 1 "$OUT/fuzz-replay-$round.log"); $n report(s)"
  reports=$((reports + n))
  round=$((round + 1))
done
if [ "$reports" -ne 0 ] || [ "$status" -ne 0 ]; then
  grep -h -A 40 "WARNING: ThreadSanitizer" "$OUT"/core-tests-*.log "$OUT"/summary-tests-*.log "$OUT"/fuzz-replay-*.log |
    head -n 150 >&2 || true
  echo "tsan.sh: $reports ThreadSanitizer report(s), exit status $status (logs in $OUT/)" >&2
  exit 1
fi
echo "tsan.sh: 0 ThreadSanitizer reports"
