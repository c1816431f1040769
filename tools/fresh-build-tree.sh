#!/bin/sh
# Makes OUT a fresh tree for an instrumented build that never touches the work
# tree: OUT/src/parairline (the package sources without .git, builds, checks
# or objects), and empty OUT/lib and OUT/logs. Usage: fresh-build-tree.sh OUT
set -eu
[ $# -eq 1 ] || { echo "usage: fresh-build-tree.sh OUT" >&2; exit 2; }
cd "$(dirname "$0")/.."
rm -rf "$1"
mkdir -p "$1/src/parairline" "$1/lib" "$1/logs"
tar --exclude=./.git --exclude=./build --exclude=./tools/build --exclude=./check --exclude='./*.Rcheck' \
  --exclude='./src/*.o' --exclude='./src/*.so' -cf - . | (cd "$1/src/parairline" && tar -xf -)
