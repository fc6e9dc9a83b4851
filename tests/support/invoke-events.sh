#!/usr/bin/env bash
# End-to-end check of the local stack: starts the local DynamoDB and `cargo lambda watch`,
# then (1) sends every event in events/ with `cargo lambda invoke` and checks each status
# code, and (2) calls the API over HTTP through the watch router with curl.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"

DB_PORT=8042
API_PORT=9000
log_dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

wait_for_port() {
  for _ in $(seq 1 300); do
    if (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "nothing listens on port $1" >&2
  return 1
}

for port in "$DB_PORT" "$API_PORT"; do
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use (is the local API running? stop it first)" >&2
    exit 1
  fi
done

.venv/bin/python tests/support/localdb.py serve --port "$DB_PORT" --table tenants >"$log_dir/db.log" 2>&1 &
pids+=($!)
wait_for_port "$DB_PORT"
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$API_PORT" >"$log_dir/watch.log" 2>&1 &
pids+=($!)
wait_for_port "$API_PORT"

failures=0
check() { # name expected actual detail
  if [ "$2" = "$3" ]; then
    echo "ok   $1 -> $3"
  else
    echo "FAIL $1: expected $2, got $3: $4"
    failures=$((failures + 1))
  fi
}

# Each event in the order a tenant lives its life, with the status it must get.
while read -r name expected; do
  out=$(cargo lambda invoke "$name" --data-file "events/$name.json" \
        --invoke-address 127.0.0.1 --invoke-port "$API_PORT" 2>&1) || true
  status=$(printf '%s' "$out" | python3 -c 'import json,sys
try: print(json.load(sys.stdin)["statusCode"])
except Exception: print("no-response")')
  check "invoke $name" "$expected" "$status" "$out"
done <<'EVENTS'
create-tenant 201
create-tenant 200
get-tenant 200
get-tenant-by-slug 200
list-tenants 200
update-tenant 200
upgrade-tenant 200
downgrade-tenant 200
suspend-tenant 200
activate-tenant 200
delete-tenant 200
tenant-stats 200
route-not-found 405
EVENTS

# The same API over HTTP, through the watch router.
base="http://127.0.0.1:$API_PORT"
http() { # method path [body]
  curl -s -o "$log_dir/body" -w '%{http_code}' -X "$1" "$base$2" \
    -H 'content-type: application/json' ${3:+--data "$3"}
}
check "curl POST /v1/tenants" 201 "$(http POST /v1/tenants '{"name":"Curl Co","slug":"curl-co"}')" "$(cat "$log_dir/body")"
check "curl GET /v1/tenants/slug/curl-co" 200 "$(http GET /v1/tenants/slug/curl-co)" "$(cat "$log_dir/body")"
check "curl GET /v1/tenants/stats" 200 "$(http GET /v1/tenants/stats)" "$(cat "$log_dir/body")"
check "curl POST duplicate slug" 409 "$(http POST /v1/tenants '{"name":"Again","slug":"curl-co"}')" "$(cat "$log_dir/body")"
check "curl GET unknown route" 404 "$(http GET /v2/nothing)" "$(cat "$log_dir/body")"
check "curl PUT /v1/tenants (wrong method)" 405 "$(http PUT /v1/tenants)" "$(cat "$log_dir/body")"
grep -q '"code":"method_not_allowed"' "$log_dir/body" || { echo "FAIL 405 body is not the error envelope"; failures=$((failures + 1)); }

if [ "$failures" -ne 0 ]; then
  echo "--- cargo lambda watch log (tail)"; tail -n 60 "$log_dir/watch.log"
  echo "$failures event check(s) failed"
  exit 1
fi
echo "all event checks passed"
