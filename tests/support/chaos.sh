#!/usr/bin/env bash
# `make chaos` (and, small, the `chaos` stage of make test): a bounded load run through
# `cargo lambda watch` with tests/support/faultproxy.py injecting faults between the
# functions and moto, then an audit of the table with the faults off (tests/support/chaos.py;
# docs/faults.md says what it checks and what the last full run measured).
#
# Settings (environment): CHAOS_REQUESTS (5000), CHAOS_CLIENTS (16), CHAOS_RATE (0.1),
# CHAOS_SEED (1), CHAOS_KINDS (every kind), CHAOS_DELAY (seconds a delayed request waits, 3),
# CHAOS_TIME_LIMIT (seconds of load at most, 1500), CHAOS_REPORT (a JSON file for the
# figures), and the ports CHAOS_DB_PORT (19042), CHAOS_PROXY_PORT (19043), CHAOS_API_PORT
# (19000), CHAOS_DNS_PORT (19053): none of make test's, so both can run at once.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
# The build the Makefile names (the host's triple), where `make build` put the binaries.
export CARGO_BUILD_TARGET=${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}

DB_PORT=${CHAOS_DB_PORT:-19042}
API_PORT=${CHAOS_API_PORT:-19000}
DNS_PORT=${CHAOS_DNS_PORT:-19053}
PROXY_PORT=${CHAOS_PROXY_PORT:-19043}
log_dir=${CHAOS_LOG_DIR:-target/chaos}
rm -rf "$log_dir"
mkdir -p "$log_dir"
proxy="http://127.0.0.1:$PROXY_PORT"
# `cargo lambda watch` serves the router and the Lambda runtime API, and this script starts
# the functions (the debug binaries `make build` made) itself: watch gives the functions
# Cargo.toml's environment, whose endpoints (127.0.0.1:8042) --env-var does not override,
# and these functions must reach AWS through the proxy. CHAOS_INSTANCES processes per
# function (2) serve its invocations side by side, as Lambda's concurrency would.
WATCH_ARGS=(--only-lambda-apis)
. tests/support/local-stack.sh
require_free_ports

token=$(env "${local_auth[@]}" "$tenantctl" token)

# The proxy starts with its faults off: the stack warms up (each function's first
# invocation starts its process) before the load switches them on.
.venv/bin/python tests/support/faultproxy.py serve --upstream "http://127.0.0.1:$DB_PORT" \
  --port "$PROXY_PORT" --seed "${CHAOS_SEED:-1}" --rate 0 --delay "${CHAOS_DELAY:-3}" \
  --deliveries "$log_dir/deliveries.jsonl" >"$log_dir/proxy.log" 2>&1 &
pids+=($!)
start_local_stack
wait_for_port "$PROXY_PORT"
bin_dir="${CARGO_TARGET_DIR:-target}/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}debug"
mapfile -t function_env < <(.venv/bin/python - "$proxy" "$DNS_PORT" <<'PY'
import sys, tomllib
env = tomllib.load(open("Cargo.toml", "rb"))["workspace"]["metadata"]["lambda"]["watch"]["env"]
proxy, dns_port = sys.argv[1], sys.argv[2]
for name in ("DYNAMODB_ENDPOINT", "EVENTBRIDGE_ENDPOINT", "SES_ENDPOINT", "STS_ENDPOINT"):
    env[name] = proxy
env["DNS_RESOLVER"] = f"127.0.0.1:{dns_port}"
env["RUST_LOG"] = "warn"
for key, value in env.items():
    if "8042" in str(value) or "9000" in str(value) or "8053" in str(value):
        sys.exit(f"{key}={value} would reach make test's stack")
    print(f"{key}={value}")
PY
)
for dir in functions/*/; do
  fn=$(basename "$dir")
  [ -x "$bin_dir/$fn" ] || { echo "$bin_dir/$fn is not built (make build)" >&2; exit 1; }
  for _ in $(seq 1 "${CHAOS_INSTANCES:-2}"); do
    env "${function_env[@]}" AWS_LAMBDA_FUNCTION_NAME="$fn" AWS_LAMBDA_FUNCTION_VERSION=1 \
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$API_PORT/.rt/$fn" \
      "$bin_dir/$fn" >>"$log_dir/functions.log" 2>&1 &
    pids+=($!)
  done
done
start_dev_pump

status=0
.venv/bin/python tests/support/chaos.py --api "http://127.0.0.1:$API_PORT" --db "http://127.0.0.1:$DB_PORT" \
  --proxy "$proxy" --token "$token" --dns-records "$log_dir/dns" \
  --requests "${CHAOS_REQUESTS:-5000}" --clients "${CHAOS_CLIENTS:-16}" --rate "${CHAOS_RATE:-0.1}" \
  --seed "${CHAOS_SEED:-1}" ${CHAOS_KINDS:+--kinds "$CHAOS_KINDS"} \
  --time-limit "${CHAOS_TIME_LIMIT:-1500}" --deliveries "$log_dir/deliveries.jsonl" --log-dir "$log_dir" \
  ${CHAOS_REPORT:+--report "$CHAOS_REPORT"} || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- chaos failed (exit $status); logs in $log_dir (the functions': $log_dir/watch.log)"
  tail -n 20 "$log_dir/pump.log" || true
fi
exit "$status"
