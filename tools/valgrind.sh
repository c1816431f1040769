#!/bin/sh
# Runs a representative subset of the tests under valgrind memcheck:
# `R -d "valgrind ..."` on a private build (-g -O1) of the package. Fails on
# any invalid read or write, use of uninitialised memory or bad free
# anywhere, and on any definite leak with a frame in parairline. Forked
# workers are checked too (one log per process).
#
# Environment: R (default R), VALGRIND_TESTS (test files to run, default
# "group_sum backend-tbb reliability"). Tests too slow for valgrind skip
# themselves when PARAIRLINE_VALGRIND is set.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)

R=${R:-R}
OUT=$ROOT/tools/build/valgrind
SRC=$OUT/src/parairline  # these three made by tools/fresh-build-tree.sh
LIB=$OUT/lib
LOGS=$OUT/logs
command -v valgrind >/dev/null 2>&1 || { echo "valgrind.sh: valgrind not found (apt-get install valgrind)" >&2; exit 1; }

sh tools/fresh-build-tree.sh "$OUT"
cat > "$OUT/Makevars" <<'EOF'
CXXFLAGS = -g -O1 -fno-omit-frame-pointer
CXX17FLAGS = -g -O1 -fno-omit-frame-pointer
EOF
echo "== installing into $LIB"
(cd "$SRC" && R_MAKEVARS_USER="$OUT/Makevars" "$R" CMD INSTALL --no-multiarch -l "$LIB" . > "$OUT/install.log" 2>&1) || {
  tail -n 40 "$OUT/install.log" >&2
  echo "valgrind.sh: install failed" >&2
  exit 1
}

TESTS=${VALGRIND_TESTS:-group_sum backend-tbb reliability}
cat > "$OUT/run.R" <<EOF
library(testthat)
library(parairline)
files <- file.path("$SRC/tests/testthat", paste0("test-", strsplit("$TESTS", " ")[[1]], ".R"))
failed <- 0
for (f in files) {
  res <- as.data.frame(test_file(f, package = "parairline", load_package = "installed", reporter = "summary"))
  failed <- failed + sum(res\$failed) + sum(res\$error)
}
cat("test failures:", failed, "\n")
if (failed > 0) quit(status = 3)
EOF

echo "== running $TESTS under valgrind (slow)"
status=0
# The script goes through a pipe, not `-f`: valgrind runs glibc's cleanup in
# every forked worker as it exits, which moves the offset of the script's
# file descriptor it shares with R, so R would read parts of it twice. A
# pipe has no offset.
(cd "$SRC/tests/testthat" && cat "$OUT/run.R" | NOT_CRAN=true PARAIRLINE_VALGRIND=true R_LIBS="$LIB" \
  "$R" --vanilla -d "valgrind --tool=memcheck --error-exitcode=42 --leak-check=full --errors-for-leak-kinds=none \
     --track-origins=yes --num-callers=30 --log-file=$LOGS/vg.%p") || status=$?

# Errors: every error block, in every process. Leaks: definite ones with our
# frames, in the R process only. A forked worker inherits blocks owned by
# the parent's other threads (TBB workers' thread-local buffers), which do
# not exist in the child, and it leaves by exit_group without destructors:
# valgrind calls those "definitely lost" although nothing leaks.
main_logs=""
for f in "$LOGS"/vg.*; do
  ppid=$(sed -n 's/^==[0-9]*== Parent PID: //p' "$f" | head -n 1)
  [ -e "$LOGS/vg.$ppid" ] || main_logs="$main_logs $f"
done
# shellcheck disable=SC2086
summary=$(awk -v main="$main_logs" '
  BEGIN { n = split(main, m, " "); for (i = 1; i <= n; i++) is_main[m[i]] = 1 }
  /^==[0-9]+== [A-Z]/ && (/Invalid (read|write|free)/ || /uninitialised/ || /Mismatched free/ || /Source and destination overlap/ || /Syscall param/) {
    errors++; print "error: " FILENAME ": " $0 > "/dev/stderr"
  }
  /definitely lost in/ { inleak = 1; leakblock = $0; next }
  inleak && /^==[0-9]+== *$/ {
    if (is_main[FILENAME] && leakblock ~ /parairline/) { leaks++; print "leak: " FILENAME ": " leakblock > "/dev/stderr" }
    inleak = 0; next
  }
  inleak { leakblock = leakblock "\n" $0 }
  END { printf "%d %d\n", errors + 0, leaks + 0 }
' "$LOGS"/vg.*)
errors=${summary% *}
leaks=${summary#* }
echo "valgrind: $(ls "$LOGS" | wc -l) processes, $errors error(s), $leaks definite leak(s) from parairline in R; logs in $LOGS"
if [ "$errors" -ne 0 ] || [ "$leaks" -ne 0 ]; then exit 1; fi
if [ "$status" -ne 0 ]; then
  echo "valgrind.sh: R exited with status $status (3: a test failed; 42: valgrind errors)" >&2
  exit 1
fi
echo "valgrind.sh: clean"
