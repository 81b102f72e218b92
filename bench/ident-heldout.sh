#!/bin/sh
# Identification score on every Debian `lib*-java` package, split for a held-out figure: the
# packages are numbered in the sorted order of `apt-cache search --names-only '^lib.*-java$'`
# (from 1); rules are tuned on the jars of the even-numbered packages and the odd-numbered
# ones are held out. Needs the download and unpacking of `distinct-corpus.sh` in DIR
# (DIR/debs/*.deb, DIR/root). Writes DIR/jars-even.txt and DIR/jars-odd.txt (the real path of
# each regular `.jar` file a package holds) and prints the score of the whole, of the even
# half (tuning) and of the odd half (held out), each with `bench ident`'s `--skip`.
# Usage: bench/ident-heldout.sh [DIR [--verbose]]
set -eu
DIR=${1:-/tmp/scan-corpus}
VERBOSE=${2:-}
DIR=$(realpath "$DIR")
apt-cache search --names-only '^lib.*-java$' | awk '{print $1}' | sort >"$DIR/packages.txt"
: >"$DIR/jars-even.txt"
: >"$DIR/jars-odd.txt"
n=0
while read -r pkg; do
    n=$((n + 1))
    half=odd
    [ $((n % 2)) -eq 0 ] && half=even
    for deb in "$DIR/debs/${pkg}"_*.deb; do
        [ -e "$deb" ] || continue
        # Regular files only (a link to a jar is the jar it links to).
        dpkg-deb -c "$deb" | awk '$1 ~ /^-/ && $NF ~ /\.jar$/ {print $NF}' | while read -r path; do
            real="$DIR/root/${path#./}"
            [ -f "$real" ] && realpath "$real"
        done >>"$DIR/jars-$half.txt"
    done
done <"$DIR/packages.txt"
echo "$(wc -l <"$DIR/jars-even.txt") jars in even-numbered packages, $(wc -l <"$DIR/jars-odd.txt") in odd" >&2
cd "$(dirname "$0")/.."
cargo build -q -p vulnrelay-bench --bin ident
REPO="$DIR/root/usr/share/maven-repo"
echo "== whole"
target/debug/ident "$REPO" $VERBOSE
echo "== even-numbered packages (tuning)"
target/debug/ident "$REPO" --skip "$DIR/jars-odd.txt" $VERBOSE
echo "== odd-numbered packages (held out)"
target/debug/ident "$REPO" --skip "$DIR/jars-even.txt" $VERBOSE
