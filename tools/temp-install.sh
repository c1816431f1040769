#!/bin/sh
# Prints the R library the cluster scripts use for parairline:
# $PARAIRLINE_LIB if set, else DIR/lib with this tree installed into it (the
# install's output in LOG; its tail on failure). WHO names the caller.
#
#   lib=$(sh tools/temp-install.sh DIR LOG WHO) || exit 1
set -u
lib=${PARAIRLINE_LIB:-}
if [ -z "$lib" ]; then
  lib=$1/lib
  mkdir -p "$lib"
  echo "$3: installing parairline into $lib" >&2
  R CMD INSTALL --preclean --no-multiarch -l "$lib" . >"$2" 2>&1 ||
    { tail -n 30 "$2" >&2; exit 1; }
fi
echo "$lib"
