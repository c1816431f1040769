#!/bin/sh
# make mpi-demo: the lecture's area-under-the-curve example as 2 MPI ranks
# (inst/mpi/auc.R under mpirun, Rmpi over Open MPI), checked against auc().
# Uses PARAIRLINE_LIB, a library holding parairline, or installs this tree
# into a temporary one. Ends with
#   mpi: 2 ranks, area <value>, equal to auc(): TRUE
set -eu
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/parairline-mpi.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

lib=$(sh tools/temp-install.sh "$tmp" "$tmp/install.log" mpi-demo) || exit 1

# Open MPI refuses root unless told; --oversubscribe lets 2 ranks share
# fewer free cores.
root_flags=""
[ "$(id -u)" = 0 ] && root_flags="--allow-run-as-root"
echo "mpirun $root_flags --oversubscribe -np 2 Rscript inst/mpi/auc.R 1e7"
# shellcheck disable=SC2086
R_LIBS="$lib${R_LIBS:+:$R_LIBS}" mpirun $root_flags --oversubscribe -np 2 \
  Rscript inst/mpi/auc.R 1e7 >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
# The ranks' lines arrive in any order; the verdict goes last.
grep -v '^mpi: ' "$tmp/out" || true
line=$(grep '^mpi: 2 ranks, area .*, equal to auc(): TRUE$' "$tmp/out") || { echo "mpi-demo: failed"; exit 1; }
echo "$line"
