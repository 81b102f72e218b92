#!/bin/sh
# Identification score on a deterministic sample of Debian's Java library packages: every
# STEP-th (default 20th) name of `apt-cache search --names-only '^lib.*-java$'`, sorted,
# starting at the OFFSET-th (default 1st), is
# installed (with its dependencies; needs root), then `bench ident` compares what
# `vulnrelay scan` names with /usr/share/maven-repo/GROUP/ARTIFACT/VERSION/.
# Usage: bench/ident-score.sh [STEP [OFFSET [--verbose]]]
set -eu
STEP=${1:-20}
OFFSET=${2:-1}
pkgs=$(apt-cache search --names-only '^lib.*-java$' | awk '{print $1}' | sort | awk -v s="$STEP" -v o="$OFFSET" 'NR % s == o % s')
echo "installing $(echo "$pkgs" | wc -l) packages (every ${STEP}th from the ${OFFSET}th)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q --no-install-recommends $pkgs >/dev/null; then
    # One that cannot be installed does not stop the others.
    for p in $pkgs; do apt-get install -y -q --no-install-recommends "$p" >/dev/null || echo "skipped $p" >&2; done
fi
cd "$(dirname "$0")/.."
cargo run -q -p vulnrelay-bench --bin ident -- /usr/share/maven-repo ${3:-}
