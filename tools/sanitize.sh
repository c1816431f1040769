#!/bin/sh
# Builds the package with AddressSanitizer and UndefinedBehaviorSanitizer
# into a private library and runs the whole test suite against it. R itself
# is not instrumented, so the ASan runtime is preloaded into every R process
# (child R processes, forked workers and callr/processx children inherit it).
# Every sanitizer report is written under tools/build/sanitize/logs/; the script
# fails if there is any, or if a test fails.
#
# Tests see PARAIRLINE_SANITIZE=true and loosen their timing bounds.
#
# Environment: R (default R), RSCRIPT, CXX (g++ or a clang++), SANITIZE_FILTER (a testthat filter,
# e.g. "reliability", to run some test files only).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)

R=${R:-R}
RSCRIPT=${RSCRIPT:-Rscript}
OUT=$ROOT/tools/build/sanitize
SRC=$OUT/src/parairline  # these three made by tools/fresh-build-tree.sh
LIB=$OUT/lib
LOGS=$OUT/logs

# gcc (R's own compiler) by default; CXX=clang++-14 builds with clang, whose
# ASan runtime is a different library.
CXX=${CXX:-g++}
case "$CXX" in
  *clang*)
    CC=${CC:-$(echo "$CXX" | sed 's/clang++/clang/')}
    LIBASAN=$($CXX -print-file-name=libclang_rt.asan-x86_64.so)
    COMPILERS="CC = $CC
CXX = $CXX
CXX11 = $CXX
CXX14 = $CXX
CXX17 = $CXX"
    ;;
  *)
    LIBASAN=$($CXX -print-file-name=libasan.so)
    COMPILERS=""
    ;;
esac
if [ ! -e "$LIBASAN" ]; then
  echo "sanitize.sh: the ASan runtime ($LIBASAN) was not found for $CXX" >&2
  exit 1
fi

sh tools/fresh-build-tree.sh "$OUT"

SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
cat > "$OUT/Makevars" <<EOF
$COMPILERS
CFLAGS = -g -O1 $SAN
CXXFLAGS = -g -O1 $SAN
CXX11FLAGS = -g -O1 $SAN
CXX14FLAGS = -g -O1 $SAN
CXX17FLAGS = -g -O1 $SAN
LDFLAGS = $SAN
EOF

# R leaks by design at exit, so LeakSanitizer is off; valgrind.sh checks
# leaks. Reports go to files (one per process) so that children's count too.
# UBSan keeps going after a report so all of them are collected.
export ASAN_OPTIONS="detect_leaks=0:log_path=$LOGS/asan:print_summary=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$LOGS/ubsan"

echo "== installing into $LIB with $SAN"
(cd "$SRC" && LD_PRELOAD=$LIBASAN R_MAKEVARS_USER="$OUT/Makevars" "$R" CMD INSTALL --no-multiarch -l "$LIB" . \
  > "$OUT/install.log" 2>&1) || {
  tail -n 40 "$OUT/install.log" >&2
  echo "sanitize.sh: install failed (log: $OUT/install.log)" >&2
  exit 1
}
grep -q -- "-fsanitize=address,undefined" "$OUT/install.log" || {
  echo "sanitize.sh: the package was not compiled with the sanitizers" >&2
  exit 1
}

echo "== running the tests"
status=0
(cd "$SRC/tests" && LD_PRELOAD=$LIBASAN NOT_CRAN=true PARAIRLINE_SANITIZE=true R_LIBS="$LIB" "$RSCRIPT" --vanilla -e "
  options(testthat.progress.max_fails = 1000)
  res <- testthat::test_dir('testthat', package = 'parairline', load_package = 'installed',
                            filter = if (nzchar(Sys.getenv('SANITIZE_FILTER'))) Sys.getenv('SANITIZE_FILTER'),
                            stop_on_failure = FALSE, reporter = 'summary')
  df <- as.data.frame(res)
  cat(sprintf('%d passed, %d failed\n', sum(df\$nb) - sum(df\$failed), sum(df\$failed)))
  quit(status = if (any(df\$failed > 0) || any(df\$error)) 1 else 0)
") || status=$?

reports=$(cat "$LOGS"/* 2>/dev/null | grep -c -E "ERROR: AddressSanitizer|runtime error:" || true)
if [ "$reports" -ne 0 ]; then
  for f in "$LOGS"/*; do
    echo "---- $f" >&2
    head -n 40 "$f" >&2
  done
  echo "sanitize.sh: $reports sanitizer report(s) (logs in $LOGS)" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "sanitize.sh: 0 sanitizer reports, but the tests failed (status $status)" >&2
  exit "$status"
fi
echo "sanitize.sh: 0 sanitizer reports; tests passed"
