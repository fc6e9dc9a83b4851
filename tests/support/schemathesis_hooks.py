"""schemathesis hooks for `make contract` (tests/support/schemathesis.toml loads them).

One filter, for the local stand-in rather than the API: `cargo lambda watch` cannot turn
a request body that is not UTF-8 into an API Gateway event and answers it with a 500 of
its own before any function runs. In AWS, API Gateway hands such a body to the function
base64-encoded and the function answers 400 `malformed_json`; tests/api/errors.rs
(`malformed_json_is_400_malformed_json`, with the bytes FF FE) proves that answer.

The same for header values outside visible ASCII: the stand-in answers them with a 500 of
its own; in AWS the function reads them and answers 400 (tests/api/entitlements.rs sends
a non-ASCII `Idempotency-Key`).
"""

import schemathesis


@schemathesis.hook
def filter_body(ctx, body):
    if isinstance(body, (bytes, bytearray)):
        try:
            bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


@schemathesis.hook
def filter_headers(ctx, headers):
    for value in (headers or {}).values():
        if isinstance(value, str) and any(not (" " <= ch <= "~") for ch in value):
            return False
    return True
