#!/usr/bin/env bash
# `make console-test` (and the console-test stage of make test): the console's browser tests
# (tests/console/, pytest and Playwright driving Debian's chromium) against a local stack of
# their own: moto, the local DNS server, the OpenID provider (tests/support/oidc.py),
# `cargo lambda watch` serving the router and the Lambda runtime API, the functions (the
# debug binaries `make build` made, started here as chaos.sh starts them: no compilation
# while the tests wait) and the dev pump. Everything stops when the script exits.
#
# Needs make console-setup (.venv-console, /usr/bin/chromium) and make build. Settings:
# the ports CONSOLE_TEST_API_PORT (9410; the console's origin is http://127.0.0.1:<it>),
# CONSOLE_TEST_OIDC_PORT (9411), CONSOLE_TEST_DB_PORT (9412), CONSOLE_TEST_DNS_PORT (9413),
# none of make local's or make test's, so it runs beside either; CHROMIUM (/usr/bin/chromium);
# arguments are passed to pytest (e.g. -k smoke, -x). Screenshots land in target/console/,
# a failing test's in target/console/failures/, the stack's logs in target/console/logs/.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
# The build the Makefile names (the host's triple), where `make build` put the binaries.
export CARGO_BUILD_TARGET=${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}

DB_PORT=${CONSOLE_TEST_DB_PORT:-9412}
API_PORT=${CONSOLE_TEST_API_PORT:-9410}
DNS_PORT=${CONSOLE_TEST_DNS_PORT:-9413}
OIDC_PORT=${CONSOLE_TEST_OIDC_PORT:-9411}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
artifacts=target/console
log_dir=$artifacts/logs
rm -rf "$artifacts"
mkdir -p "$log_dir"
# The functions are started below, not by watch (as in chaos.sh): watch would compile
# each on its first request.
WATCH_ARGS=(--only-lambda-apis)
. tests/support/local-stack.sh
. tests/support/oidc.sh
require_free_ports

[ -x .venv-console/bin/python ] || { echo "no .venv-console: run make console-setup" >&2; exit 1; }
[ -x "$CHROMIUM" ] || { echo "$CHROMIUM is missing: run make console-setup" >&2; exit 1; }
bin_dir="${CARGO_TARGET_DIR:-target}/${CARGO_BUILD_TARGET:+$CARGO_BUILD_TARGET/}debug"
[ -x "$tenantctl" ] || { echo "$tenantctl is not built (make build)" >&2; exit 1; }
for dir in functions/*/; do
  fn=$(basename "$dir")
  [ -x "$bin_dir/$fn" ] || { echo "$bin_dir/$fn is not built (make build)" >&2; exit 1; }
done

token=$(env "${local_auth[@]}" "$tenantctl" token --sub console-test-admin --ttl 7200)

start_oidc "$log_dir/oidc.log"
pids+=("$oidc_pid")
start_local_stack
# Each function's environment: Cargo.toml's watch environment, the local endpoints and the
# console's settings (what watch-env.sh gives `cargo lambda watch` under make local).
mapfile -t function_env < <(.venv/bin/python - "${watch_endpoints[@]}" <<'PY'
import sys, tomllib
env = tomllib.load(open("Cargo.toml", "rb"))["workspace"]["metadata"]["lambda"]["watch"]["env"]
args = sys.argv[1:]
for flag, value in zip(args[::2], args[1::2]):
    assert flag == "--env-var", flag
    key, _, value = value.partition("=")
    env[key] = value
for key, value in env.items():
    if any(port in str(value) for port in (":8042", ":9000", ":8053", ":9400")):
        sys.exit(f"{key}={value} would reach make local's stack")
    print(f"{key}={value}")
PY
)
for dir in functions/*/; do
  fn=$(basename "$dir")
  env "${function_env[@]}" AWS_LAMBDA_FUNCTION_NAME="$fn" AWS_LAMBDA_FUNCTION_VERSION=1 \
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 AWS_LAMBDA_RUNTIME_API="http://127.0.0.1:$API_PORT/.rt/$fn" \
    "$bin_dir/$fn" >>"$log_dir/functions.log" 2>&1 &
  pids+=($!)
done
start_dev_pump

status=0
CONSOLE_URL=$CONSOLE_URL API_URL="http://127.0.0.1:$API_PORT" OIDC_ISSUER=$OIDC_ISSUER \
  CONSOLE_TEST_TOKEN=$token CHROMIUM=$CHROMIUM \
  .venv-console/bin/python -m pytest tests/console --junit-xml="$artifacts/junit.xml" "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- console-test failed (exit $status); screenshots of the failures in $artifacts/failures, logs in $log_dir"
  for log in functions oidc watch; do
    echo "--- $log.log (tail)"
    tail -n 15 "$log_dir/$log.log" 2>/dev/null || true
  done
fi
exit "$status"
