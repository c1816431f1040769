#!/bin/sh
# `make faults`: tools/faults.R with the session's stderr kept apart, so that
# anything a worker prints (R's crash report, say) is caught: the script
# itself writes only to stdout.
set -u
RUNS=${FAULT_RUNS:-200}
ERR=$(mktemp)
Rscript --vanilla tools/faults.R "$RUNS" ${PARAIRLINE_FAULTS_DIR:+"$PARAIRLINE_FAULTS_DIR"} 2>"$ERR"
status=$?
# R itself writes a newline to stderr when Ctrl-C arrives; anything else is
# a worker's (or R's) output.
if [ "$(tr -d '\n' < "$ERR" | wc -c)" -gt 0 ]; then
  echo "PROBLEM: something was printed on stderr (a worker, or R):"
  head -n 40 "$ERR"
  status=1
fi
rm -f "$ERR"
exit $status
