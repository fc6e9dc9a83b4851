#!/usr/bin/env bash
# Serves the whole API on http://127.0.0.1:9000 with `cargo lambda watch`, over a local
# DynamoDB (moto, single-threaded) on 127.0.0.1:8042 holding the table "tenants", with the
# local event bus, its queue, and the dev pump feeding the stream to publish-events.
# The table and credentials the functions use are set in Cargo.toml
# ([workspace.metadata.lambda.watch.env]), the local endpoints in tests/support/watch-env.sh.
# The console (/console/) signs in with the local OpenID provider (tests/support/oidc.py) on
# 127.0.0.1:9400. Data lives in memory until you stop (Ctrl-C).
# The ports can be moved, e.g. to run a second copy: DB_PORT, API_PORT, DNS_PORT, OIDC_PORT.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"

DB_PORT=${DB_PORT:-8042}
API_PORT=${API_PORT:-9000}
DNS_PORT=${DNS_PORT:-8053}
. tests/support/watch-env.sh
. tests/support/oidc.sh

.venv/bin/python tests/support/localdb.py serve --port "$DB_PORT" --table tenants --events --mail-sender invitations@tenant-api.local &
db_pid=$!
pump_pid=
# The local DNS server domain verification asks (DNS_RESOLVER, watch-env.sh): `make
# dns-record NAME=... VALUE=...` publishes a TXT record on it.
mkdir -p .local/dns
.venv/bin/python tests/support/localdns.py serve --port "$DNS_PORT" --records .local/dns &
dns_pid=$!
oidc_pid=
trap 'kill "$db_pid" "$dns_pid" $pump_pid $oidc_pid 2>/dev/null || true' EXIT INT TERM
# The console's OpenID provider; its log in .local/oidc.log.
start_oidc .local/oidc.log

for _ in $(seq 1 100); do
  if (echo >"/dev/tcp/127.0.0.1/$DB_PORT") 2>/dev/null; then break; fi
  sleep 0.2
done

# The dev pump: the table's stream -> publish-events (as the event source mapping does in
# AWS); the local bus copies every event to a queue that `make -s bus-events` prints.
.venv/bin/python tests/support/devpump.py run --endpoint "http://127.0.0.1:$DB_PORT" \
  --invoke "http://127.0.0.1:$API_PORT" &
pump_pid=$!

echo "Local DynamoDB, Streams, EventBridge, SQS (moto): http://127.0.0.1:$DB_PORT (table: tenants, bus: tenant-events)"
echo "API: http://127.0.0.1:$API_PORT/v1/tenants  (functions compile on first request)"
echo "DNS (TXT records for domain verification): 127.0.0.1:$DNS_PORT (make dns-record NAME=... VALUE=...)"
echo "Change events: make -s bus-events (what reached the bus), GET /v1/tenants/{id}/events (audit trail)"
echo "OpenID provider (the console's; log in .local/oidc.log): $OIDC_ISSUER"
echo "Console: $CONSOLE_URL/console"
oidc_sign_in_help
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$API_PORT" "${watch_endpoints[@]}"
