#!/usr/bin/env python3
"""The local OpenID provider the console signs in with: oidc-provider-mock (pinned in
requirements.txt), made to behave like the real provider the console is configured for.

  oidc.py serve [--host 127.0.0.1] [--port 9400] [--issuer URL] --client-id ID
                --client-secret SECRET --redirect-uri URI [--redirect-uri URI...]
                [--user-claims JSON...] [--token-ttl 3600] [--no-require-pkce]
                [--no-require-nonce]
      Serve until killed; prints "READY <issuer>" once listening.
  oidc.py wait --issuer URL [--timeout 30]
      Wait until URL/.well-known/openid-configuration answers 200.

What it changes in oidc-provider-mock, and why (docs/local-oidc.md has the whole
behaviour, as observed through this file):
  - one client, registered at start with a fixed id, secret and redirect URIs, and client
    registration required: the mock otherwise accepts any client id, any secret and any
    redirect URI, so a console sending the wrong ones would pass here and fail in AWS.
    The secret is accepted in the Authorization header (client_secret_basic) or in the
    form (client_secret_post); unauthenticated ("none") token requests are refused;
  - PKCE (RFC 7636) verified: the mock accepts code_challenge and never checks it. Here a
    challenge is required (S256 only; --no-require-pkce makes it optional) and the
    token request's code_verifier must match it;
  - a nonce is required on the authorization request (--no-require-nonce: optional);
    either way the one sent lands in the ID token;
  - the ID token's header names its key ("kid", as in the JWKS document; the mock leaves
    it out);
  - the issuer is fixed (--issuer, default http://HOST:PORT): the mock derives it from each
    request's Host header, so the same provider reached as localhost and as 127.0.0.1
    would name two issuers;
  - its authorization page has a "claims" field (a JSON object) beside "sub": filled, it
    replaces that user's claims before the code is issued, so a person (or a browser
    test) signs in with any roles, tenant and email. Left empty, the user keeps the
    claims given with --user-claims or PUT /users/{sub}, or, when new, {"email": sub};
  - smaller: the discovery document lists the client auth methods and PKCE method it
    enforces, a request without a scope no longer fails with a 500, errors are logged
    rather than shown in the debugger page, and the pages load no stylesheet from a CDN.
"""

import argparse
import json
import logging
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from datetime import timedelta
from http import HTTPStatus

HERE = os.path.dirname(os.path.abspath(__file__))


def build_app(args):
    # The mock refuses plain-http requests otherwise (authlib's transport check).
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    # authlib 1.9 warns at import about its own modules the mock uses (jose, httpx).
    from authlib.deprecate import AuthlibDeprecationWarning

    warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)
    import flask
    import jinja2
    from authlib import jose
    from authlib.oauth2.rfc6749.errors import InvalidRequestError
    from authlib.oauth2.rfc7636 import CodeChallenge
    import oidc_provider_mock
    from oidc_provider_mock import _app
    from oidc_provider_mock._storage import Client, User

    challenges = {}  # authorization code -> (code_challenge, code_challenge_method)
    require_pkce = args.require_pkce

    class Pkce(CodeChallenge):
        DEFAULT_CODE_CHALLENGE_METHOD = "S256"
        SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

        def validate_code_challenge(self, grant, redirect_uri):
            data = grant.request.payload.data
            if require_pkce and not data.get("code_challenge"):
                raise InvalidRequestError("PKCE is required: code_challenge (S256) is missing")
            if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
                raise InvalidRequestError("code_challenge_method must be S256")
            super().validate_code_challenge(grant, redirect_uri)

        def get_authorization_code_challenge(self, authorization_code):
            return challenges.get(authorization_code.code, (None, None))[0]

        def get_authorization_code_challenge_method(self, authorization_code):
            return challenges.get(authorization_code.code, (None, None))[1]

    class AuthorizationCodeGrant(_app.AuthorizationCodeGrant):
        def __init__(self, request, server):
            super().__init__(request, server)
            Pkce(required=True)(self)

        def save_authorization_code(self, code, request):
            super().save_authorization_code(code, request)
            data = request.payload.data
            if data.get("code_challenge"):
                challenges[code] = (data["code_challenge"], data.get("code_challenge_method"))

    class ConfidentialClient(Client):
        def check_endpoint_auth_method(self, method, endpoint):
            return method in ("client_secret_basic", "client_secret_post")

        def get_allowed_scope(self, scope):
            # The mock's fails (500) on a request without a scope.
            return super().get_allowed_scope(scope or "")

    class OpenIDCode(_app.OpenIDCode):
        def get_encode_header(self, client):
            # The key id the JWKS document gives the key, in the ID token's header too (the
            # mock leaves "kid" out; real providers send it, and rotate keys by it).
            jwks = jose.KeySet((flask.g.oidc_provider_mock_storage.jwk,)).as_dict()
            return {**super().get_encode_header(client), "kid": jwks["keys"][0]["kid"]}

    # The mock registers its grant class and OpenID extension from these module attributes
    # when init_app runs (oidc-provider-mock 0.3.4, _app.setup), and checks requests
    # against the same names.
    _app.AuthorizationCodeGrant = AuthorizationCodeGrant
    _app.OpenIDCode = OpenIDCode

    users = []
    for text in args.user_claims:
        claims = json.loads(text)
        users.append(User(sub=claims.pop("sub"), claims=claims))

    # The mock finds its templates as its own app's (its blueprint names no folder): here
    # they are found after ours, of which authorization_form.html is the mock's with the
    # claims field added and _base.html the mock's without its stylesheet from a CDN.
    app = flask.Flask("oidc_local")
    app.jinja_loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(os.path.join(HERE, "oidc_templates")),
        jinja2.FileSystemLoader(os.path.join(os.path.dirname(oidc_provider_mock.__file__), "templates")),
    ])
    oidc_provider_mock.init_app(
        app,
        require_client_registration=True,
        require_nonce=args.require_nonce,
        issue_refresh_token=True,
        access_token_max_age=timedelta(seconds=args.token_ttl),
        user_claims=users,
    )
    app.secret_key = os.urandom(16)
    # No interactive debugger page on errors: they are logged, and answered with a 500.
    app.debug = False
    app.wsgi_app = app.wsgi_app.app

    client = ConfidentialClient(
        id=args.client_id,
        secret=args.client_secret,
        redirect_uris=list(args.redirect_uri),
        allowed_scopes=Client.SCOPES_SUPPORTED,
        token_endpoint_auth_method="client_secret_basic",
    )

    @app.before_request
    def register_client_and_apply_claims():
        # After the mock's own before_request, which puts its storage in flask.g.
        storage = flask.g.oidc_provider_mock_storage
        if storage.get_client(client.id) is None:
            storage.store_client(client)
        request = flask.request
        if request.path == "/oauth2/authorize" and request.method == "POST":
            sub = request.form.get("sub", "").strip()
            text = request.form.get("claims", "").strip()
            if sub and text:
                try:
                    claims = json.loads(text)
                    if not isinstance(claims, dict):
                        raise ValueError("not a JSON object")
                except ValueError as error:
                    return (f"claims must be a JSON object: {error}\n", HTTPStatus.BAD_REQUEST,
                            {"content-type": "text/plain; charset=utf-8"})
                claims.pop("sub", None)
                storage.store_user(User(sub=sub, claims=claims))
        return None

    @app.after_request
    def describe_what_is_enforced(response):
        # The discovery document the mock serves leaves these out (their defaults would be
        # client_secret_basic only, and no PKCE).
        if flask.request.path == "/.well-known/openid-configuration" and response.status_code == 200:
            config = response.get_json()
            config["token_endpoint_auth_methods_supported"] = ["client_secret_basic", "client_secret_post"]
            config["code_challenge_methods_supported"] = ["S256"]
            response.set_data(json.dumps(config, indent=2))
        return response

    issuer = urllib.parse.urlsplit(args.issuer)
    inner = app.wsgi_app

    def fixed_issuer(environ, start_response):
        environ["HTTP_HOST"] = issuer.netloc
        environ["wsgi.url_scheme"] = issuer.scheme
        return inner(environ, start_response)

    app.wsgi_app = fixed_issuer
    return app


def serve(args):
    import werkzeug.serving

    args.issuer = (args.issuer or f"http://{args.host}:{args.port}").rstrip("/")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = build_app(args)
    server = werkzeug.serving.make_server(args.host, args.port, app, threaded=True)
    print(f"READY {args.issuer}", flush=True)
    server.serve_forever()


def wait(args):
    url = args.issuer.rstrip("/") + "/.well-known/openid-configuration"
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200 and json.load(response).get("issuer"):
                    return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        if time.monotonic() > deadline:
            sys.exit(f"the OpenID provider did not answer {url} within {args.timeout} s")
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=9400)
    s.add_argument("--issuer")
    s.add_argument("--client-id", required=True)
    s.add_argument("--client-secret", required=True)
    s.add_argument("--redirect-uri", action="append", required=True)
    s.add_argument("--user-claims", action="append", default=[],
                   help='a predefined user, as JSON with "sub" (repeatable)')
    s.add_argument("--token-ttl", type=int, default=3600, help="seconds the ID and access tokens live")
    s.add_argument("--no-require-pkce", dest="require_pkce", action="store_false")
    s.add_argument("--no-require-nonce", dest="require_nonce", action="store_false")
    w = sub.add_parser("wait")
    w.add_argument("--issuer", required=True)
    w.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()
    {"serve": serve, "wait": wait}[args.command](args)


if __name__ == "__main__":
    main()
