#!/usr/bin/env bash
# End-to-end check of the local stack: starts the local DynamoDB and `cargo lambda watch`,
# then (1) sends every event in events/ with `cargo lambda invoke` and checks each status
# code, and (2) calls the API over HTTP through the watch router with curl, with a bearer
# token and an API key minted by tenantctl (and once without any credential).
#
# The events carry a platform_admin HS256 token signed with the LOCAL development secret
# of Cargo.toml's [workspace.metadata.lambda.watch.env]; it is valid nowhere else.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"

. tests/support/local-stack.sh
require_free_ports

# tenantctl mints the bearer token and the API key used by the curl checks below; it uses
# the same local issuer, audience and secret as `cargo lambda watch` (Cargo.toml).
cargo build --quiet --bin tenantctl
token=$(env "${local_auth[@]}" "$tenantctl" token)

start_local_stack
# The signed-in console session events/console.json's cookie names (the console's sign-in
# would store it after an identity provider's callback): a platform admin, as the API
# events' token is.
.venv/bin/python tests/support/localdb.py console-session --endpoint "http://127.0.0.1:$DB_PORT" \
  --cookie local-console-session-not-a-real-one-0123456789 \
  --claims '{"sub": "events-admin", "roles": ["platform_admin"]}'

failures=0
check() { # name expected actual detail
  if [ "$2" = "$3" ]; then
    echo "ok   $1 -> $3"
  else
    echo "FAIL $1: expected $2, got $3: $4"
    failures=$((failures + 1))
  fi
}

# The API Gateway response in `cargo lambda invoke`'s output, as one JSON line: the first
# JSON object holding a statusCode, wherever it starts (anything printed around the
# response is skipped).
response_of() {
  python3 -c 'import json,sys
text = sys.stdin.read()
decoder = json.JSONDecoder()
for start in (i for i, c in enumerate(text) if c == "{"):
    try:
        value, _ = decoder.raw_decode(text, start)
    except ValueError:
        continue
    if isinstance(value, dict) and "statusCode" in value:
        print(json.dumps(value))
        break
else:
    print("{}")'
}

# Each event in the order a tenant lives its life (admins and API keys while it is live),
# with the status it must get; a third column names the function when it is not the
# event's name.
while read -r name expected fn; do
  fn=${fn:-$name}
  out=$(cargo lambda invoke "$fn" --data-file "events/$name.json" \
        --invoke-address 127.0.0.1 --invoke-port "$API_PORT" 2>&1) || true
  response=$(printf '%s' "$out" | response_of)
  status=$(printf '%s' "$response" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("statusCode", "no-response"))')
  check "invoke $name" "$expected" "$status" "$out"
  printf '{"event": "%s", "response": %s}\n' "$name" "$response" >>"$log_dir/responses.jsonl"
done <<'EVENTS'
create-tenant 201
create-tenant 200
get-tenant 200
get-tenant-anonymous 401 get-tenant
console-signed-out 200 console
console-anonymous 303 console
console 200
get-tenant-by-slug 200
list-tenants 200
update-tenant 200
upgrade-tenant 200
downgrade-tenant 200
list-plans 200
get-tenant-entitlements 200
report-usage 200
report-usage 200
check-entitlement 200
grant-tenant-admin 201
grant-tenant-admin 200
list-tenant-admins 200
revoke-tenant-admin 204
list-tenant-events 200
add-tenant-domain 201
add-tenant-domain 200
list-tenant-domains 200
verify-tenant-domain 400
remove-tenant-domain 204
list-tenant-resources 200
put-tenant-resource 201
resend-tenant-invitation 202
retry-tenant-provisioning 409
accept-invitation 404
discover-login 200
create-api-key 201
list-api-keys 200
revoke-api-key 404
suspend-tenant 200
activate-tenant 200
delete-tenant 200
tenant-stats 200
route-not-found 405
get-openapi 200
EVENTS

# publish-events is no HTTP function: its event is a stream batch, its answer a partial
# batch response with no failures, and the event it carries must reach the local bus.
out=$(cargo lambda invoke publish-events --data-file events/publish-events.json \
      --invoke-address 127.0.0.1 --invoke-port "$API_PORT" 2>&1) || true
compact=$(printf '%s' "$out" | tr -d ' \n')
case "$compact" in
  *'"batchItemFailures":[]'*) check "invoke publish-events" "no failures" "no failures" "" ;;
  *) check "invoke publish-events" "no failures" "other" "$out" ;;
esac

# provision-tenant is a queue consumer: its event is an SQS batch (the bus's tenant.created
# in its EventBridge envelope), its answer a partial batch response with no failures.
out=$(cargo lambda invoke provision-tenant --data-file events/provision-tenant.json \
      --invoke-address 127.0.0.1 --invoke-port "$API_PORT" 2>&1) || true
compact=$(printf '%s' "$out" | tr -d ' \n')
case "$compact" in
  *'"batchItemFailures":[]'*) check "invoke provision-tenant" "no failures" "no failures" "" ;;
  *) check "invoke provision-tenant" "no failures" "other" "$out" ;;
esac

# reverify-domains runs on a schedule: its event is the schedule's, its answer what the run
# did (a page of verified domains checked).
out=$(cargo lambda invoke reverify-domains --data-file events/reverify-domains.json \
      --invoke-address 127.0.0.1 --invoke-port "$API_PORT" 2>&1) || true
compact=$(printf '%s' "$out" | tr -d ' \n')
case "$compact" in
  *'"checked":'*'"unverified":'*) check "invoke reverify-domains" "a run's summary" "a run's summary" "" ;;
  *) check "invoke reverify-domains" "a run's summary" "other" "$out" ;;
esac

# Every response, normalised (no ids, times or secrets), must equal the recorded snapshot:
# refactorings keep behaviour. UPDATE_SNAPSHOTS=1 records a new one after an intended change.
snapshot=tests/snapshots/event-responses.json
if [ "${UPDATE_SNAPSHOTS:-0}" = 1 ]; then
  python3 tests/support/event_responses.py update "$log_dir/responses.jsonl" "$snapshot"
elif ! python3 tests/support/event_responses.py check "$log_dir/responses.jsonl" "$snapshot"; then
  failures=$((failures + 1))
fi

# The same API over HTTP, through the watch router.
base="http://127.0.0.1:$API_PORT"
request() { # credential-header ("" for none) method path [body]; prints the status code
  curl -s -o "$log_dir/body" -D "$log_dir/headers" -w '%{http_code}' -X "$2" "$base$3" \
    -H 'content-type: application/json' ${1:+-H "$1"} ${4:+--data "$4"}
}
http() { request "authorization: Bearer $token" "$@"; } # as a platform admin (JWT)
anonymous() { request "" "$@"; }
check "curl POST /v1/tenants" 201 "$(http POST /v1/tenants '{"name":"Curl Co","slug":"curl-co"}')" "$(cat "$log_dir/body")"
check "curl GET /v1/tenants/slug/curl-co" 200 "$(http GET /v1/tenants/slug/curl-co)" "$(cat "$log_dir/body")"
check "curl GET /v1/tenants/stats" 200 "$(http GET /v1/tenants/stats)" "$(cat "$log_dir/body")"
check "curl POST duplicate slug" 409 "$(http POST /v1/tenants '{"name":"Again","slug":"curl-co"}')" "$(cat "$log_dir/body")"
check "curl GET unknown route" 404 "$(http GET /v2/nothing)" "$(cat "$log_dir/body")"
check "curl PUT /v1/tenants (wrong method)" 405 "$(http PUT /v1/tenants)" "$(cat "$log_dir/body")"
grep -q '"code":"method_not_allowed"' "$log_dir/body" || { echo "FAIL 405 body is not the error envelope"; failures=$((failures + 1)); }
check "curl GET /v1/tenants without credentials" 401 "$(anonymous GET /v1/tenants)" "$(cat "$log_dir/body")"
grep -qi '^www-authenticate:' "$log_dir/headers" || { echo "FAIL 401 has no www-authenticate header"; failures=$((failures + 1)); }
# An API key written straight into the local table, as the first one is bootstrapped.
api_key=$(env "${local_auth[@]}" DYNAMODB_ENDPOINT="http://127.0.0.1:$DB_PORT" \
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_REGION=us-east-1 \
  "$tenantctl" create-api-key --name ci)
check "curl GET /v1/tenants with x-api-key" 200 "$(request "x-api-key: $api_key" GET /v1/tenants)" "$(cat "$log_dir/body")"

# The console's pages through the watch router (/console/{*rest}): every answer carries
# the security headers; a page without a session sends the browser to sign in.
check "curl GET /console/signed-out" 200 "$(anonymous GET /console/signed-out)" "$(cat "$log_dir/body")"
grep -qi "^content-security-policy: default-src 'none'" "$log_dir/headers" || { echo "FAIL the console's page has no content-security-policy"; failures=$((failures + 1)); }
check "curl GET /console/tenants without a session" 303 "$(anonymous GET /console/tenants)" "$(cat "$log_dir/headers")"
grep -qi '^location: /console/login?return=%2Fconsole%2Ftenants' "$log_dir/headers" || { echo "FAIL no redirect to the console's sign-in: $(cat "$log_dir/headers")"; failures=$((failures + 1)); }

# Change events end to end: create, update and suspend a tenant over HTTP; the dev pump
# takes their events off the stream into publish-events, which puts them on the local bus,
# whose rule copies them to a queue. The audit trail lists the same three.
start_dev_pump
check "curl POST /v1/tenants (events)" 201 "$(http POST /v1/tenants '{"name":"Evented","slug":"evented"}')" "$(cat "$log_dir/body")"
evented=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$log_dir/body")
check "curl PATCH (events)" 200 "$(http PATCH "/v1/tenants/$evented" '{"ownerName":"Ada"}')" "$(cat "$log_dir/body")"
check "curl suspend (events)" 200 "$(http POST "/v1/tenants/$evented/suspend" '{"reason":"test"}')" "$(cat "$log_dir/body")"
check "curl GET /v1/tenants/{id}/events" 200 "$(http GET "/v1/tenants/$evented/events")" "$(cat "$log_dir/body")"
# Provisioning events interleave with these as the pump runs; they are checked below.
trail=$(python3 -c 'import json,sys; print(" ".join(e["type"] for e in json.load(open(sys.argv[1]))["items"] if "provision" not in e["type"]))' "$log_dir/body")
check "audit trail, newest first" "tenant.suspended tenant.updated tenant.created" "$trail" "$(cat "$log_dir/body")"
: >"$log_dir/bus.jsonl"
on_bus=""
for _ in $(seq 1 90); do
  .venv/bin/python tests/support/devpump.py print-events --json --endpoint "http://127.0.0.1:$DB_PORT" >>"$log_dir/bus.jsonl"
  on_bus=$(python3 -c 'import json,sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(" ".join(sorted(e["type"] for e in events if e.get("tenantId") == sys.argv[2] and "provision" not in e["type"])))' "$log_dir/bus.jsonl" "$evented")
  [ "$on_bus" = "tenant.created tenant.suspended tenant.updated" ] && break
  sleep 2
done
check "events on the local bus" "tenant.created tenant.suspended tenant.updated" "$on_bus" "$(tail -n 20 "$log_dir/pump.log")"
grep -q '"evt_019ab0f1-0000-7000-8000-000000000001"' "$log_dir/bus.jsonl" \
  && check "events/publish-events.json's event on the bus" yes yes "" \
  || check "events/publish-events.json's event on the bus" yes no "$(cat "$log_dir/bus.jsonl")"

# Provisioning end to end: the create's event goes stream -> bus -> provisioning queue ->
# provision-tenant (all driven by the dev pump); the owner's invitation is mailed through
# the local SES and accepted over HTTP by the invited user.
check "curl POST /v1/tenants (provisioning)" 201 "$(http POST /v1/tenants '{"name":"Provisioned","slug":"provisioned","ownerEmail":"owner@provisioned.example"}')" "$(cat "$log_dir/body")"
provisioned=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$log_dir/body")
status=""
for _ in $(seq 1 90); do
  http GET "/v1/tenants/$provisioned" >/dev/null
  status=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["provisioning"]["status"])' "$log_dir/body")
  [ "$status" = ready ] && break
  sleep 2
done
check "provisioning reaches ready" ready "$status" "$(cat "$log_dir/body"; tail -n 20 "$log_dir/pump.log")"
invitation=$(.venv/bin/python tests/support/devpump.py invitations --endpoint "http://127.0.0.1:$DB_PORT" \
  | awk '$1 == "owner@provisioned.example" { sub("INVITATION=", "", $3); print $3 }' | tail -n 1)
ada=$(env "${local_auth[@]}" "$tenantctl" token --sub ada --email owner@provisioned.example)
check "curl POST /v1/invitations/accept" 200 \
  "$(request "authorization: Bearer $ada" POST /v1/invitations/accept "{\"token\":\"$invitation\"}")" "$(cat "$log_dir/body")"
owner=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("ownerUserId"))' "$log_dir/body")
check "the invited user owns the tenant" ada "$owner" "$(cat "$log_dir/body")"
check "curl POST /v1/invitations/accept (spent)" 404 \
  "$(request "authorization: Bearer $ada" POST /v1/invitations/accept "{\"token\":\"$invitation\"}")" "$(cat "$log_dir/body")"

if [ "$failures" -ne 0 ]; then
  echo "--- cargo lambda watch log (tail)"; tail -n 60 "$log_dir/watch.log"
  echo "--- dev pump log (tail)"; tail -n 20 "$log_dir/pump.log" 2>/dev/null || true
  echo "$failures event check(s) failed"
  exit 1
fi
echo "all event checks passed"
