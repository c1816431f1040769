#!/bin/sh
# `make cross-test`: the R-free engine's standalone tests (tools/*.cpp, the
# `make core-test` list) built for other systems and run here, and the R glue
# compiled for Windows; there is no Windows, Mac or ARM machine to run on.
#
#   windows-x86_64: mingw-w64's g++ (posix threads), static, run under wine.
#   linux-aarch64:  Debian's aarch64 g++, static, run under qemu-user.
#   macOS-like:     clang + libc++ on this machine, with children leaving as
#                   they do on macOS (PARAIRLINE_CHILD_EXIT_BY_SIGNAL=1).
#   windows glue:   every src/*.cpp through mingw-w64's g++ -fsyntax-only
#                   against this machine's R, Rcpp and RcppParallel (oneTBB)
#                   headers, with R for Windows' Rconfig.h (tools/cross/R-windows).
#
# TBB: Debian has none for mingw-w64 or aarch64, so the test builds use a
# stand-in on std::thread (tools/cross/tbb, also for the libc++ build, as
# Debian's TBB is built against libstdc++); the glue uses the real headers.
# Decompression: whatever configure finds for each compiler (Debian has zlib
# only for mingw-w64; zlib, bzip2, xz and zstd for arm64). The tests of fork()
# are not built for Windows; each test says what it skipped.
# Ends with three lines, `<target>: N passed, N failed` and
# `windows glue: N of N files compiled`. Installs what it needs first
# (tools/install-deps.sh cross). JOBS (default 2) compiles run at once.
set -eu
cd "$(dirname "$0")/.."
t0=$(date +%s)
sh tools/install-deps.sh cross >/dev/null || { echo "cross-test: tools/install-deps.sh cross failed"; exit 1; }

JOBS=${JOBS:-2}
BUILD=tools/build/cross
mkdir -p "$BUILD/windows" "$BUILD/aarch64" "$BUILD/macos" "$BUILD/glue"
# The Makefile's CORE_TESTS (make cross-test passes it), and formats-missing-test.
TESTS=${CORE_TESTS:-core-tests core-shrink-test core-counts-test demos-tests sim-tests summary-tests block-masks-test}
WARN="-Wall -Wextra"
COMMON="-std=c++17 -O2 $WARN -pthread -Isrc -Itools -Itools/cross/tbb"
WIN_CXX=x86_64-w64-mingw32-g++-posix
ARM_CXX=aarch64-linux-gnu-g++
MAC_CXX=clang++-14

# The decompression flags configure finds with this compiler.
compress_flags() {
  PARAIRLINE_PRINT_FLAGS=1 CXX="$1" sh configure 2>/dev/null | sed -e 's/^CPPFLAGS=//' -e 's/^LIBS=//' | tr '\n' ' '
}
defines() { for f in $1; do case "$f" in -D*) printf '%s ' "$f" ;; esac; done; }
libs() { for f in $1; do case "$f" in -l*|-L*|-pthread) printf '%s ' "$f" ;; esac; done; }

WIN_FLAGS=$(compress_flags "$WIN_CXX")
ARM_FLAGS=$(compress_flags "$ARM_CXX")
MAC_FLAGS=$(compress_flags "$MAC_CXX")

# Runs the jobs in file $1 ("<log> <command>" a line), JOBS at a time; a
# job's output goes to its log, and <log>.ok marks that it succeeded.
run_jobs() {
  while read -r log cmd; do rm -f "$log" "$log.ok"; done <"$1"
  # shellcheck disable=SC2016
  tr '\n' '\0' <"$1" | xargs -0 -n 1 -P "$JOBS" sh -c '
    log=${0%% *}; cmd=${0#* }
    sh -c "$cmd" >"$log" 2>&1 && echo ok >"$log.ok"; exit 0'
}

: >"$BUILD/compile.txt"
for t in $TESTS formats-missing-test; do
  if [ "$t" = formats-missing-test ]; then w="" a="" m=""; else w=$WIN_FLAGS a=$ARM_FLAGS m=$MAC_FLAGS; fi
  echo "$BUILD/windows/$t.log $WIN_CXX $COMMON $(defines "$w") tools/$t.cpp -o $BUILD/windows/$t.exe -static -lz $(libs "$w")" >>"$BUILD/compile.txt"
  echo "$BUILD/aarch64/$t.log $ARM_CXX $COMMON $(defines "$a") tools/$t.cpp -o $BUILD/aarch64/$t -static -lz $(libs "$a")" >>"$BUILD/compile.txt"
  echo "$BUILD/macos/$t.log $MAC_CXX -stdlib=libc++ $COMMON -DPARAIRLINE_CHILD_EXIT_BY_SIGNAL=1 $(defines "$m") tools/$t.cpp -o $BUILD/macos/$t -lz $(libs "$m")" >>"$BUILD/compile.txt"
done
echo "cross-test: compiling $(wc -l <"$BUILD/compile.txt") test programs, $JOBS at a time"
run_jobs "$BUILD/compile.txt"
compiled=yes
while read -r log cmd; do
  # glibc's warning for static programs that could call getaddrinfo() (none does) is noise.
  grep -v -e "statically linked applications requires at runtime" -e "in function .*getaddrinfo" "$log" | sed "s|^|  $log: |" || true
  [ -f "$log.ok" ] || { echo "  did not compile: $cmd"; compiled=""; }
done <"$BUILD/compile.txt"
[ -n "$compiled" ] || { echo "cross-test: a test program did not compile"; exit 1; }

# Runs each test with $1 as the runner ("" for none); adds up their totals.
# A test that ends without its "N passed, N failed" line counts as a failure.
run_all() {
  runner=$1 dir=$2 ext=$3
  passed=0 failed=0
  for t in $TESTS formats-missing-test; do
    out=$($runner "$dir/$t$ext" 2>"$dir/$t.stderr") && rc=0 || rc=$?
    line=$(printf '%s\n' "$out" | tr -d '\r' | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    printf '%s\n' "$out" | tr -d '\r' | grep -v -E '^[0-9]+ passed, [0-9]+ failed$' | sed "s|^|  $t: |" || true
    if [ -z "$line" ] || [ "$rc" != 0 ]; then
      echo "  $t: exit status $rc; stderr:"
      tail -n 20 "$dir/$t.stderr" | sed 's/^/    /'
      [ -n "$line" ] || line="0 passed, 1 failed"
    fi
    echo "  $t: $line"
    passed=$((passed + ${line%% passed*}))
    f=${line#*passed, }
    failed=$((failed + ${f%% failed*}))
  done
  RESULT="$passed passed, $failed failed"
  FAILED_TOTAL=$((FAILED_TOTAL + failed))
}
FAILED_TOTAL=0

t1=$(date +%s)
echo "cross-test: compiled in $((t1 - t0)) s"
echo "cross-test: windows-x86_64 under wine"
# The wine prefix stays out of the source tree: its drive z: links to /, and
# R CMD build copies the whole tree (symbolic links followed) before pruning.
export WINEPREFIX="${PARAIRLINE_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/parairline-wine}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$(dirname "$WINEPREFIX")"
run_all wine "$BUILD/windows" .exe
WIN_RESULT=$RESULT
echo "cross-test: linux-aarch64 under qemu"
run_all qemu-aarch64 "$BUILD/aarch64" ""
ARM_RESULT=$RESULT
echo "cross-test: macOS-like (clang + libc++, children exit by SIGKILL and a status slot) on this machine"
run_all "" "$BUILD/macos" ""
MAC_RESULT=$RESULT

echo "cross-test: the R glue for Windows"
RINC=$(Rscript -e 'cat(R.home("include"))')
RCPP=$(Rscript -e 'cat(system.file("include", package = "Rcpp"))')
RPAR=$(Rscript -e 'cat(system.file("include", package = "RcppParallel"))')
# As Makevars.win compiles them, less the decompression libraries mingw-w64
# lacks here; R's, Rcpp's and TBB's headers as system headers (their
# warnings are not ours); RcppExports.cpp is generated by Rcpp.
GLUE_FLAGS="-std=gnu++17 -fsyntax-only $WARN -isystem tools/cross/R-windows -isystem $RINC -isystem $RCPP -isystem $RPAR
  -Isrc -DRCPP_PARALLEL_USE_TBB=1 -DNOMINMAX -DWIN32_LEAN_AND_MEAN $(defines "$WIN_FLAGS")"
: >"$BUILD/glue.txt"
for f in src/*.cpp; do
  extra=""
  [ "$f" != src/RcppExports.cpp ] || extra="-Wno-cast-function-type"
  echo "$BUILD/glue/$(basename "$f").log $WIN_CXX $GLUE_FLAGS $extra $f" | tr '\n' ' ' >>"$BUILD/glue.txt"
  echo >>"$BUILD/glue.txt"
done
run_jobs "$BUILD/glue.txt"
glue_total=0 glue_ok=0
while read -r log cmd; do
  glue_total=$((glue_total + 1))
  if [ -f "$log.ok" ]; then glue_ok=$((glue_ok + 1)); else echo "  did not compile: $cmd"; fi
  sed "s|^|  $log: |" "$log" | head -n 30
done <"$BUILD/glue.txt"
echo "cross-test: ran in $(($(date +%s) - t1)) s; $(($(date +%s) - t0)) s in all"

echo "macos-like (clang+libc++, exit by signal): $MAC_RESULT"
echo "windows-x86_64 (wine): $WIN_RESULT"
echo "linux-aarch64 (qemu): $ARM_RESULT"
echo "windows glue: $glue_ok of $glue_total files compiled"
[ "$FAILED_TOTAL" = 0 ] && [ "$glue_ok" = "$glue_total" ]
