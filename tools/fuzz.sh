#!/bin/sh
# Builds the libFuzzer harness tools/fuzz/fuzz_chunks.cpp (differential: the
# chunked, threaded parse against the whole-file reference) with ASan and
# UBSan, replays the committed corpus, then fuzzes for FUZZ_SECONDS (default
# 60) with one worker. New interesting inputs go to tools/fuzz/corpus-work/
# (git-ignored); a finding fails the run and is written to tools/build/fuzz/
# as native-crash-* or generic-crash-*: copy it into tools/fuzz/corpus/ as a
# regression input once understood.
#
# The scanner has two hot loops, AVX2 and SSE2, picked at run time. Both are
# fuzzed: FUZZ_ISA=native (this CPU's choice) gets two thirds of the time,
# FUZZ_ISA=generic (the SSE2 loop forced) the rest; set FUZZ_ISA to run one.
#
# Needs clang with libFuzzer: apt-get install clang-14 libclang-rt-14-dev.
# Environment: FUZZ_SECONDS, FUZZ_ISA, CLANGXX, FUZZ_ARGS (extra libFuzzer flags).
set -eu
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_ISA=${FUZZ_ISA:-both}
CLANGXX=${CLANGXX:-}
# Like make test, install what is missing where apt can (a fresh machine
# lacks the libFuzzer runtime even when clang is there).
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 &&
   { ! command -v clang++-14 >/dev/null 2>&1 || ! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; }; then
  echo "fuzz.sh: apt-get install clang-14 libclang-rt-14-dev"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null 2>&1; } || true
fi
if [ -z "$CLANGXX" ]; then
  for c in clang++-14 clang++; do
    if command -v "$c" >/dev/null 2>&1; then CLANGXX=$c; break; fi
  done
fi
if [ -z "$CLANGXX" ]; then
  echo "fuzz.sh: clang++ not found (apt-get install clang-14 libclang-rt-14-dev)" >&2
  exit 1
fi

OUT=tools/build/fuzz
mkdir -p "$OUT" tools/fuzz/corpus-work
# The AVX2 loop carries its own target attribute (src/core/chunk_scan.h), so
# the harness is built like the package, for baseline x86-64; the run-time
# CPU check chooses the loop, and `__builtin_cpu_supports(x)=0` forces SSE2.
# The decompression libraries configure finds (bzip2, xz, zstd, zip).
FLAGS_OUT=$(PARAIRLINE_PRINT_FLAGS=1 CXX="$CLANGXX" sh configure 2>/dev/null)
COMPRESS_CPPFLAGS=$(echo "$FLAGS_OUT" | sed -n 's/^CPPFLAGS=//p')
COMPRESS_LIBS=$(echo "$FLAGS_OUT" | sed -n 's/^LIBS=//p')
build() {
  isa=$1
  force=""
  [ "$isa" = generic ] && force="-D__builtin_cpu_supports(x)=0"
  "$CLANGXX" -std=c++17 -g -O1 -fno-omit-frame-pointer $force \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    $COMPRESS_CPPFLAGS -Isrc -Itools tools/fuzz/fuzz_chunks.cpp -o "$OUT/fuzz_chunks_$isa" -ltbb -lz $COMPRESS_LIBS
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run() {
  isa=$1
  secs=$2
  bin=$OUT/fuzz_chunks_$isa
  echo "== $isa: replaying tools/fuzz/corpus"
  "$bin" -runs=0 tools/fuzz/corpus
  echo "== $isa: fuzzing for ${secs}s"
  # shellcheck disable=SC2086
  "$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$OUT/$isa-" ${FUZZ_ARGS:-} \
    tools/fuzz/corpus-work tools/fuzz/corpus
}

case "$FUZZ_ISA" in
  native | generic)
    build "$FUZZ_ISA"
    run "$FUZZ_ISA" "$FUZZ_SECONDS"
    ;;
  both)
    build native
    build generic
    generic_secs=$((FUZZ_SECONDS / 3))
    run native $((FUZZ_SECONDS - generic_secs))
    [ "$generic_secs" -gt 0 ] && run generic "$generic_secs"
    ;;
  *)
    echo "fuzz.sh: FUZZ_ISA must be native, generic or both" >&2
    exit 1
    ;;
esac
echo "fuzz.sh: no finding in ${FUZZ_SECONDS}s"
