#!/bin/sh
# Distinct-jar benchmark of `vulnrelay scan`: builds a corpus from Debian's Java library
# packages and measures the scan against `cat` of every byte, warm and cold, with and without
# reuse (`bench distinct`). Every STEP-th (default every) name of
# `apt-cache search --names-only '^lib.*-java$'`, sorted, is fetched with `apt-get download`
# into DIR/debs and unpacked with `dpkg-deb -x` into DIR/root (nothing is installed; no root
# needed but for dropping the page cache in the cold rounds). The corpus (DIR/corpus) holds
# each distinct jar (SHA-256) once: two thirds as plain files, a third nested in 20 fat
# archives of disjoint subsets. Keep DIR outside the repository (about 2.5 GB).
# Usage: bench/distinct-corpus.sh [DIR [STEP [RUNS]]]
set -eu
# The repository, found before the script changes directory (it may be run by a relative path).
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-/tmp/scan-corpus}
STEP=${2:-1}
RUNS=${3:-5}
mkdir -p "$DIR/debs" "$DIR/root"
DIR=$(cd "$DIR" && pwd)  # absolute: the script changes directory below
pkgs=$(apt-cache search --names-only '^lib.*-java$' | awk '{print $1}' | sort | awk -v s="$STEP" 'NR % s == 1 % s')
echo "fetching $(echo "$pkgs" | wc -l) packages (every ${STEP}th)" >&2
cd "$DIR/debs"
if ! apt-get download -q $pkgs >/dev/null; then
    # One that cannot be fetched does not stop the others.
    for p in $pkgs; do apt-get download -q "$p" >/dev/null || echo "skipped $p" >&2; done
fi
for d in "$DIR"/debs/*.deb; do dpkg-deb -x "$d" "$DIR/root"; done
cd "$ROOT"
cargo build -q --release -p vulnrelay-bench --bin distinct
rm -rf "$DIR/corpus"
target/release/distinct --build "$DIR/corpus" "$DIR/root"
target/release/distinct "$DIR/corpus" --runs "$RUNS"
