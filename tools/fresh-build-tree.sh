#!/bin/sh
# Copies the package sources (no .git, builds, checks or objects) to DEST, so
# that instrumented builds never touch the work tree. Usage: copy-sources.sh DEST
set -eu
[ $# -eq 1 ] || { echo "usage: copy-sources.sh DEST" >&2; exit 2; }
cd "$(dirname "$0")/.."
mkdir -p "$1"
tar --exclude=./.git --exclude=./build --exclude=./tools/build --exclude=./check --exclude='./*.Rcheck' \
  --exclude='./src/*.o' --exclude='./src/*.so' -cf - . | (cd "$1" && tar -xf -)
