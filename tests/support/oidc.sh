# Sourced after tests/support/watch-env.sh (which sets OIDC_PORT, OIDC_ISSUER, CONSOLE_URL
# and the client): start_oidc LOG starts the local OpenID provider (tests/support/oidc.py) in
# the background, with the console as its one registered client and a platform admin to
# sign in as, and returns once its discovery document answers; its pid is in $oidc_pid.
# A person signs in on its page as $OIDC_ADMIN_SUB (one click), or as anyone with any
# claims (the page's "claims" field, a JSON object).
OIDC_ADMIN_SUB=platform-admin
oidc_admin_claims="{\"sub\": \"$OIDC_ADMIN_SUB\", \"roles\": [\"platform_admin\"], \"email\": \"platform-admin@tenant-api.local\", \"email_verified\": true}"

start_oidc() { # log file
  # A provider already there (another make local's) would answer the wait below with
  # another client and key.
  if (echo >"/dev/tcp/127.0.0.1/$OIDC_PORT") 2>/dev/null; then
    echo "port $OIDC_PORT (OIDC_PORT) is in use: is another local API running?" >&2
    return 1
  fi
  .venv/bin/python tests/support/oidc.py serve --host 127.0.0.1 --port "$OIDC_PORT" --issuer "$OIDC_ISSUER" \
    --client-id "$OIDC_CLIENT_ID" --client-secret "$OIDC_CLIENT_SECRET" \
    --redirect-uri "$CONSOLE_URL/console/callback" \
    --user-claims "$oidc_admin_claims" ${OIDC_TOKEN_TTL:+--token-ttl "$OIDC_TOKEN_TTL"} >"$1" 2>&1 &
  oidc_pid=$!
  if ! .venv/bin/python tests/support/oidc.py wait --issuer "$OIDC_ISSUER" --timeout 30 ||
    ! kill -0 "$oidc_pid" 2>/dev/null; then
    tail -n 20 "$1" >&2
    kill "$oidc_pid" 2>/dev/null || true
    return 1
  fi
}

# How to sign in, for the scripts' banners.
oidc_sign_in_help() {
  echo "Sign in on the provider's page ($OIDC_ISSUER): click \"$OIDC_ADMIN_SUB\" (platform admin), or type any sub and claims, e.g. {\"roles\": [\"tenant_admin\"], \"tenant_id\": \"tenant_...\", \"email\": \"ada@example.com\", \"email_verified\": true}"
}
