# Sourced by the scripts that test the local API (invoke-events.sh, contract.sh): the
# local DynamoDB (moto, single-threaded) on 127.0.0.1:$DB_PORT and `cargo lambda watch` on
# 127.0.0.1:$API_PORT, both stopped when the script exits, their logs in $log_dir.
# The ports are the local API's (8042, 9000, 8053) unless DB_PORT, API_PORT and DNS_PORT
# say otherwise (to run beside a `make local`, or another checkout's tests); the functions
# are told them (tests/support/watch-env.sh). WATCH_ARGS adds arguments to
# `cargo lambda watch`.

DB_PORT=${DB_PORT:-8042}
API_PORT=${API_PORT:-9000}
DNS_PORT=${DNS_PORT:-8053}
WATCH_ARGS=("${WATCH_ARGS[@]}")
log_dir=${log_dir:-$(mktemp -d)}
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

# Refuses to start over a running local API (make local), whose data would mix in.
require_free_ports() {
  for port in "$DB_PORT" "$API_PORT"; do
    if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "port $port is in use (is the local API running? stop it first)" >&2
      exit 1
    fi
  done
}

# The local issuer, audience and secret of Cargo.toml's watch environment, for tenantctl.
local_auth=(
  JWT_ISSUER=tenant-api-local
  JWT_AUDIENCE=tenant-api
  JWT_HS256_SECRET=local-development-only-secret-0123456789
  TABLE_NAME=tenants
)
tenantctl="${CARGO_TARGET_DIR:-target}/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}debug/tenantctl"

. tests/support/watch-env.sh

start_local_stack() {
  .venv/bin/python tests/support/localdb.py serve --port "$DB_PORT" --table tenants --events --mail-sender invitations@tenant-api.local >"$log_dir/db.log" 2>&1 &
  pids+=($!)
  wait_for_port "$DB_PORT"
  # The local DNS server domain verification asks (DNS_RESOLVER, watch-env.sh).
  .venv/bin/python tests/support/localdns.py serve --port "$DNS_PORT" --records "$log_dir/dns" >"$log_dir/dns.log" 2>&1 &
  pids+=($!)
  cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$API_PORT" "${watch_endpoints[@]}" "${WATCH_ARGS[@]}" >"$log_dir/watch.log" 2>&1 &
  pids+=($!)
  wait_for_port "$API_PORT"
}

# The dev pump (tests/support/devpump.py): the table's stream -> publish-events, as the
# event source mapping does in AWS.
start_dev_pump() {
  .venv/bin/python tests/support/devpump.py run --endpoint "http://127.0.0.1:$DB_PORT" \
    --invoke "http://127.0.0.1:$API_PORT" >"$log_dir/pump.log" 2>&1 &
  pids+=($!)
}
