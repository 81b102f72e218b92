#!/usr/bin/env bash
# CSAF conformance: the standard's own tests (BSI/secvisogram csaf-validator-lib,
# pinned in package-lock.json) over every CSAF document vulnrelay writes — each
# document the demo serves (written by crates/server/tests/it/conformance.rs with
# VULNRELAY_CSAF_OUT) and the re-export (`vulnrelay export --format csaf`) of each CSAF
# advisory in testdata/examples/csaf (a re-export vulnrelay refuses, exit 2 with the
# reason, is listed as refused). Fails on any schema or mandatory-test (6.1.x) error;
# recommended-test (6.2.x) findings are listed.
#
# Environment: VULNRELAY_BIN (default: the freshly built target/debug/vulnrelay).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

if [ -z "${VULNRELAY_BIN:-}" ]; then
  (cd "$root" && cargo build --quiet -p vulnrelay)
  VULNRELAY_BIN="${CARGO_TARGET_DIR:-$root/target}/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}debug/vulnrelay"
fi
(cd "$root" && VULNRELAY_CSAF_OUT="$out/served" cargo test --quiet -p vulnrelay-server --test it -- conformance::)
mkdir -p "$out/reexported"
for file in "$root"/testdata/examples/csaf/*.json; do
  grep -q '"csaf_version"' "$file" || continue # the provider metadata example
  # A document vulnrelay cannot write validly is refused with exit 2 and the reason;
  # anything it does write must pass.
  status=0
  "$VULNRELAY_BIN" export --records "$file" --format csaf >"$out/reexported/$(basename "$file")" 2>"$out/stderr" || status=$?
  if [ "$status" -eq 2 ]; then
    echo "refused $(basename "$file"): $(tr '\n' ' ' <"$out/stderr")"
    rm "$out/reexported/$(basename "$file")"
  elif [ "$status" -ne 0 ]; then
    cat "$out/stderr" >&2
    exit 1
  fi
done

cd "$here"
if [ ! -d node_modules/@secvisogram/csaf-validator-lib ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --prefer-offline --no-audit --no-fund --ignore-scripts
fi
node validate.mjs "$out/served" "$out/reexported"
