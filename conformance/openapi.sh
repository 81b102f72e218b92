#!/usr/bin/env bash
# OpenAPI conformance: the document /api/v1/openapi.json serves, checked by
# openapi-spec-validator (PyPI, pinned in openapi-requirements.txt) as OpenAPI 3.1.
# The document is read from the snapshot crates/server/tests/it/auth.rs holds equal to
# what the server serves (the test fails on any difference).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/openapi-requirements.txt"
# The snapshot's body follows its second `---` line.
awk 'body { print } /^---$/ { n++; if (n == 2) body = 1 }' \
  "$root/crates/server/tests/it/snapshots/it__auth__openapi.snap" >"$work/openapi.json"
"$work/venv/bin/python" - "$work/openapi.json" <<'PY'
import json
import sys

from openapi_spec_validator import OpenAPIV31SpecValidator

document = json.load(open(sys.argv[1]))
errors = list(OpenAPIV31SpecValidator(document).iter_errors())
for error in errors:
    print(f"{'/'.join(map(str, error.absolute_path))}: {error.message}")
operations = sum(len(item) for item in document["paths"].values())
print(f"OpenAPI 3.1: {operations} operations on {len(document['paths'])} paths, {len(errors)} errors")
sys.exit(1 if errors else 0)
PY
