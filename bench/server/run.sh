#!/usr/bin/env bash
# Server load benchmark: report intake and case reads against the real `vulnrelay serve`
# on SQLite and (when VULNRELAY_TEST_DATABASE_URL is set) PostgreSQL, with a static
# /healthz in the same run as the ceiling. Load generator: Debian's `wrk`, on loopback.
# Usage: bench/server/run.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-10}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
TARGET="${CARGO_TARGET_DIR:-target}"
cargo build --release -q -p vulnrelay
BIN="$TARGET/release/vulnrelay"
WORK="$(mktemp -d)"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$WORK"' EXIT

cat > "$WORK/report.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = [[{"product":{"name":"Apache Log4j2","model":"log4j-core","affected_versions":["2.14.1"]},
"technical_characteristics":"JNDI lookup","harm":"RCE","scope_of_impact":"Java applications",
"discovered_at":"2021-11-24T10:00:00+08:00"}]]
LUA
cat > "$WORK/read.lua" <<'LUA'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
LUA

# wrk's requests/s and p99 (ms) from its --latency output.
measure() {
  local out rps p99
  out="$(wrk -t2 -c16 -d"${DURATION}s" --latency "$@")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v=v*1000}; print v}' <<<"$out")"
  echo "$rps $p99"
}

run_backend() {
  local name="$1" url="$2"
  "$BIN" admin --database "$url" create-org --id bench-reporter --name Reporter --jurisdiction CN --role discoverer >/dev/null
  "$BIN" admin --database "$url" create-org --id bench-platform --name Platform --jurisdiction CN --role regulator_platform >/dev/null
  "$BIN" admin --database "$url" create-user --email bench@example.org --name Bench --org bench-reporter --role reporter >/dev/null
  TOKEN="$("$BIN" admin --database "$url" create-token --email bench@example.org)"
  export TOKEN
  "$BIN" serve --database "$url" --bind 127.0.0.1:0 --default-platform bench-platform >"$WORK/serve.out" 2>/dev/null &
  SERVER=$!
  for _ in $(seq 1 100); do grep -q listening "$WORK/serve.out" && break; sleep 0.1; done
  local base
  base="$(awk '{print $NF}' "$WORK/serve.out")"
  local case_id
  case_id="$(wrk -t1 -c1 -d1s -s "$WORK/report.lua" "$base/api/v1/reports" >/dev/null; curl -s -H "Authorization: Bearer $TOKEN" "$base/api/v1/cases?limit=1" | sed 's/.*"id":"\([^"]*\)".*/\1/')"
  read -r h_rps h_p99 < <(measure "$base/healthz")
  read -r i_rps i_p99 < <(measure -s "$WORK/report.lua" "$base/api/v1/reports")
  read -r r_rps r_p99 < <(measure -s "$WORK/read.lua" "$base/api/v1/cases/$case_id")
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
  printf '%-9s %-13s %10s req/s  p99 %8s ms\n' "$name" "healthz" "$h_rps" "$h_p99"
  printf '%-9s %-13s %10s req/s  p99 %8s ms  (%.3f of healthz)\n' "$name" "report intake" "$i_rps" "$i_p99" "$(echo "$i_rps / $h_rps" | bc -l)"
  printf '%-9s %-13s %10s req/s  p99 %8s ms  (%.3f of healthz)\n' "$name" "case read" "$r_rps" "$r_p99" "$(echo "$r_rps / $h_rps" | bc -l)"
}

run_backend sqlite "sqlite:$WORK/bench.db"
if [ -n "${VULNRELAY_TEST_DATABASE_URL:-}" ]; then
  schema="bench_$$"
  psql "$VULNRELAY_TEST_DATABASE_URL" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null 2>&1
  sep='?'; [[ "$VULNRELAY_TEST_DATABASE_URL" == *\?* ]] && sep='&'
  run_backend postgres "${VULNRELAY_TEST_DATABASE_URL}${sep}options=-c%20search_path%3D$schema"
  psql "$VULNRELAY_TEST_DATABASE_URL" -qc "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1
fi
