#!/usr/bin/env bash
# Checks the running API against its published contract from outside: starts the local
# DynamoDB (moto) and `cargo lambda watch`, then runs schemathesis with every check over
# openapi.json as a platform admin (tests/support/schemathesis.toml: fixed seed, bounded
# examples, examples/coverage/fuzzing/stateful phases). Zero failures or it fails. The
# JUnit report lands in target/schemathesis/junit.xml.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"

. tests/support/local-stack.sh
require_free_ports
report_dir=target/schemathesis
mkdir -p "$report_dir"

cargo build --quiet --bin tenantctl
token=$(env "${local_auth[@]}" "$tenantctl" token --sub contract-admin --ttl 7200)

start_local_stack
# Build every function once before testing starts (cargo lambda watch compiles lazily):
# one anonymous request per route of the contract.
python3 - "$API_PORT" <<'PY'
import json, subprocess, sys
port = sys.argv[1]
paths = json.load(open("openapi.json"))["paths"]
for path, item in paths.items():
    url = f"http://127.0.0.1:{port}" + path.replace("{id}", "tenant_019ab0f0-5e1d-7c3a-9b2e-4f6a8c0d1e2f") \
        .replace("{slug}", "acme").replace("{userId}", "u").replace("{keyId}", "key_" + "0" * 32)
    for method in item:
        subprocess.run(["curl", "-s", "-o", "/dev/null", "-m", "600", "-X", method.upper(), url], check=False)
PY

status=0
schemathesis --config-file tests/support/schemathesis.toml run openapi.json \
  --url "http://127.0.0.1:$API_PORT" \
  --header "Authorization: Bearer $token" \
  --phases examples,coverage,fuzzing,stateful \
  --request-timeout 30 \
  --report junit --report-junit-path "$report_dir/junit.xml" \
  --no-color || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- cargo lambda watch log (tail)"; tail -n 40 "$log_dir/watch.log"
  grep -i "panicked\|internal error" "$log_dir/watch.log" | head -20 || true
fi
exit "$status"
