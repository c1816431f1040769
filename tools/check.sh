#!/bin/sh
# R CMD build + R CMD check --as-cran on the tarball, then one closing line
# with the testthat totals. Exits non-zero on any check ERROR or WARNING or
# failed test.
set -u
R=${R:-R}
CHECK_DIR=${CHECK_DIR:-check}
rm -rf "$CHECK_DIR" && mkdir -p "$CHECK_DIR"
"$R" CMD build --no-manual . || { echo "R CMD build failed"; echo "0 passed, 1 failed"; exit 1; }
VERSION=$(sed -n 's/^Version: //p' DESCRIPTION)
TARBALL=parairline_${VERSION}.tar.gz

# Offline machines: skip the CRAN look-ups of --as-cran, keep the rest.
# NOT_CRAN: run the snapshot tests too (testthat skips them on CRAN).
NOT_CRAN=true \
_R_CHECK_CRAN_INCOMING_REMOTE_=false \
_R_CHECK_FORCE_SUGGESTS_=true \
_R_CHECK_SYSTEM_CLOCK_=false \
_R_CHECK_CRAN_INCOMING_USE_ASPELL_=false \
"$R" CMD check --as-cran --no-manual -o "$CHECK_DIR" "$TARBALL"
status=$?

LOG="$CHECK_DIR/parairline.Rcheck/00check.log"
if [ -f "$LOG" ] && grep -Eq '^Status: .*(ERROR|WARNING)' "$LOG"; then status=1; fi
Rscript --vanilla tools/test-totals.R "$CHECK_DIR/parairline.Rcheck" "$status"
