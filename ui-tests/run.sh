#!/usr/bin/env bash
# Browser tests of the vulnrelay web UI: builds the `vulnrelay` binary, installs the
# pinned playwright-core from the lockfile (no browser download: Debian's chromium at
# /usr/bin/chromium is used), starts `vulnrelay demo` on a free port with a temporary
# database, and runs tests/ui.test.js, then tests/coordination.test.js (its own demo
# server), with node's test runner. Screenshots go to
# ui-tests/screenshots/; the dashboard and case page are copied to docs/screenshots/.
#
# Environment: CHROMIUM (default /usr/bin/chromium), VULNRELAY_BIN (default: the
# freshly built target/debug/vulnrelay).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

if [ -z "${VULNRELAY_BIN:-}" ]; then
  (cd "$root" && cargo build --quiet -p vulnrelay)
  export VULNRELAY_BIN="${CARGO_TARGET_DIR:-$root/target}/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}debug/vulnrelay"
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "ui-tests: no chromium at ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)" >&2
  exit 2
fi

cd "$here"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --prefer-offline --no-audit --no-fund
fi
node --test tests/ui.test.js
node --test tests/coordination.test.js
