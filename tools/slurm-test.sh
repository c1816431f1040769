#!/bin/bash
# make slurm-test: parairline's future backend on a real Slurm cluster.
#
# Brings up a one-node cluster of its own in a temporary directory
# (tools/slurm-cluster.sh), installs this tree into a library there (or uses
# PARAIRLINE_LIB, a library that already holds it), and runs tools/slurm-test.R:
# airline_distances(backend = "future") under future.batchtools::batchtools_slurm
# with the shipped template, in at least four jobs, bitwise against
# backend = "tbb"; a job that cannot read its file; Ctrl-C while jobs are
# pending. Then the same data under future.mirai when it is installed
# (PARAIRLINE_MIRAI_LIB: a library holding it). Stops every daemon it started
# and removes its directory on any exit. Ends with
#   slurm: N jobs, identical to tbb, failure reported
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)

. tools/slurm-cluster.sh

# batchtools lists a user's jobs with squeue --user=$USER.
export USER=${USER:-$(id -un)}
unset SLURM_JOB_ID SLURM_JOBID

dir=$(mktemp -d /tmp/parairline-slurm.XXXXXX)
cleanup() {
  status=$?
  trap - EXIT INT TERM
  slurm_down
  left=$(pgrep -f "$dir/" || true)   # only processes of this run: their command lines name $dir
  [ -z "$left" ] || { echo "slurm-test: processes left: $left"; status=1; }
  rm -rf "$dir"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

slurm_up "$dir"
export PARAIRLINE_SLURM_DIR=$dir

lib=$(sh tools/temp-install.sh "$dir" "$dir/log/install.log" slurm-test) || exit 1
export R_LIBS=$lib${R_LIBS:+:$R_LIBS}

cd "$dir/shared"
Rscript --vanilla "$here/tools/slurm-test.R" slurm | tee "$dir/log/slurm.out"
jobs=$(sed -n 's/^slurm-test: slurm ok //p' "$dir/log/slurm.out")
[ -n "$jobs" ] || exit 1

mirai_lib=${PARAIRLINE_MIRAI_LIB:-/usr/local/lib/R/parairline-mirai}
if [ -d "$mirai_lib/future.mirai" ]; then
  R_LIBS=$R_LIBS:$mirai_lib Rscript --vanilla "$here/tools/slurm-test.R" mirai |
    tee "$dir/log/mirai.out"
  grep -q '^slurm-test: mirai ok' "$dir/log/mirai.out" || exit 1
else
  echo "slurm-test: future.mirai not run: not installed in $mirai_lib (sh tools/install-deps.sh cluster)"
fi

cd "$here"
q=$(squeue --noheader)
echo "squeue after the runs: ${q:-empty}"
[ -z "$q" ] || exit 1
# The daemons remove their pid files as they stop: read them first.
pids=$(cat "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid")
slurm_down
for pid in $pids; do
  if kill -0 "$pid" 2>/dev/null; then echo "slurm-test: daemon $pid still running"; exit 1; fi
done
echo "daemons stopped: munged, slurmctld, slurmd"
echo "slurm: $jobs jobs, identical to tbb, failure reported"
