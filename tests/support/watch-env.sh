# Sourced by the scripts that run `cargo lambda watch` (local-api.sh, local-stack.sh), after
# they set DB_PORT (moto), DNS_PORT (tests/support/localdns.py) and API_PORT (the API): the
# local endpoints every function is given. They are flags rather than entries of Cargo.toml's
# watch environment because they name ports, and cargo lambda lets that table win over flags.
db_endpoint="http://127.0.0.1:$DB_PORT"
watch_endpoints=(
  --env-var "DYNAMODB_ENDPOINT=$db_endpoint"
  --env-var "EVENTBRIDGE_ENDPOINT=$db_endpoint"
  --env-var "SES_ENDPOINT=$db_endpoint"
  --env-var "STS_ENDPOINT=$db_endpoint"
  --env-var "DNS_RESOLVER=127.0.0.1:$DNS_PORT"
)

# The console (functions/console) and the local OpenID provider it signs in with
# (tests/support/oidc.py on OIDC_PORT, started by tests/support/oidc.sh). CONSOLE_URL is the
# console's public origin, from which its redirect URI ($CONSOLE_URL/console/callback) is
# made: http://127.0.0.1, because chromium keeps the console's __Host- cookies (Secure) over
# plain http on loopback origins (127.0.0.1 and localhost alike; on any other http origin it
# drops them). Flags here too, not Cargo.toml entries: the origin and issuer name ports, and
# the client id and secret must be the ones the provider is started with (oidc.sh).
OIDC_PORT=${OIDC_PORT:-9400}
CONSOLE_URL=http://127.0.0.1:$API_PORT
OIDC_ISSUER=http://127.0.0.1:$OIDC_PORT
OIDC_CLIENT_ID=tenant-console
OIDC_CLIENT_SECRET=local-console-secret-0123456789
console_env=(
  "CONSOLE_URL=$CONSOLE_URL"
  "OIDC_ISSUER=$OIDC_ISSUER"
  "OIDC_CLIENT_ID=$OIDC_CLIENT_ID"
  "OIDC_CLIENT_SECRET=$OIDC_CLIENT_SECRET"
  # Local only: the local provider and `make token`'s HS256 tokens are two issuers whose
  # users are one namespace on purpose (tests grant through the API, then sign in).
  "OIDC_ISSUER_MAY_DIFFER=true"
)
for var in "${console_env[@]}"; do watch_endpoints+=(--env-var "$var"); done
