# Sourced by the scripts that run `cargo lambda watch` (local-api.sh, local-stack.sh), after
# they set DB_PORT (moto) and DNS_PORT (tests/support/localdns.py): the local endpoints
# every function is given. They are flags rather than entries of Cargo.toml's watch
# environment because they name ports, and cargo lambda lets that table win over flags.
db_endpoint="http://127.0.0.1:$DB_PORT"
watch_endpoints=(
  --env-var "DYNAMODB_ENDPOINT=$db_endpoint"
  --env-var "EVENTBRIDGE_ENDPOINT=$db_endpoint"
  --env-var "SES_ENDPOINT=$db_endpoint"
  --env-var "STS_ENDPOINT=$db_endpoint"
  --env-var "DNS_RESOLVER=127.0.0.1:$DNS_PORT"
)
