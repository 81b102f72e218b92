#!/bin/sh
# Identification score on every Debian `lib*-java` package, split for a held-out figure: the
# packages are numbered in the sorted order of `apt-cache search --names-only '^lib.*-java$'`
# (from 1); rules were tuned on the jars of the even-numbered packages in earlier rounds. The
# odd-numbered ones are split once more: those numbered n % 4 == 1 are the next round's tuning
# quarter (q1), those numbered n % 4 == 3 stay held out (q3). Needs the download and unpacking
# of `distinct-corpus.sh` in DIR (DIR/debs/*.deb, DIR/root). Writes DIR/jars-even.txt,
# DIR/jars-odd.txt, DIR/jars-q1.txt and DIR/jars-q3.txt (the real path of each regular `.jar`
# file a package holds) and the `--skip` files DIR/skip-q1.txt and DIR/skip-q3.txt (every jar
# of the other parts), and prints the score of the whole, of the even half, of the odd half
# and of its two quarters. `--verbose` lists the misses of the even half and of q1 only: the
# misses of the held-out quarter (and so of the odd half and of the whole) are never listed,
# only counted by category.
# Usage: bench/ident-heldout.sh [DIR [--verbose]]
set -eu
DIR=${1:-/tmp/scan-corpus}
VERBOSE=${2:-}
DIR=$(realpath "$DIR")
apt-cache search --names-only '^lib.*-java$' | awk '{print $1}' | sort >"$DIR/packages.txt"
for part in even odd q1 q3; do
    : >"$DIR/jars-$part.txt"
done
n=0
while read -r pkg; do
    n=$((n + 1))
    part=q$((n % 4))
    [ $((n % 2)) -eq 0 ] && part=even
    for deb in "$DIR/debs/${pkg}"_*.deb; do
        [ -e "$deb" ] || continue
        # Regular files only (a link to a jar is the jar it links to).
        dpkg-deb -c "$deb" | awk '$1 ~ /^-/ && $NF ~ /\.jar$/ {print $NF}' | while read -r path; do
            real="$DIR/root/${path#./}"
            [ -f "$real" ] && realpath "$real"
        done >>"$DIR/jars-$part.txt"
    done
done <"$DIR/packages.txt"
cat "$DIR/jars-q1.txt" "$DIR/jars-q3.txt" >"$DIR/jars-odd.txt"
cat "$DIR/jars-even.txt" "$DIR/jars-q3.txt" >"$DIR/skip-q1.txt"
cat "$DIR/jars-even.txt" "$DIR/jars-q1.txt" >"$DIR/skip-q3.txt"
echo "$(wc -l <"$DIR/jars-even.txt") jars in even-numbered packages, $(wc -l <"$DIR/jars-odd.txt") in odd" \
    "($(wc -l <"$DIR/jars-q1.txt") in n % 4 == 1, $(wc -l <"$DIR/jars-q3.txt") in n % 4 == 3)" >&2
cd "$(dirname "$0")/.."
cargo build -q -p vulnrelay-bench --bin ident
REPO="$DIR/root/usr/share/maven-repo"
echo "== whole"
target/debug/ident "$REPO"
echo "== even-numbered packages (tuned on in earlier rounds)"
target/debug/ident "$REPO" --skip "$DIR/jars-odd.txt" $VERBOSE
echo "== odd-numbered packages"
target/debug/ident "$REPO" --skip "$DIR/jars-even.txt"
echo "== q1: odd-numbered packages with n % 4 == 1 (this round's tuning quarter)"
target/debug/ident "$REPO" --skip "$DIR/skip-q1.txt" $VERBOSE
echo "== q3: odd-numbered packages with n % 4 == 3 (held out)"
target/debug/ident "$REPO" --skip "$DIR/skip-q3.txt"
