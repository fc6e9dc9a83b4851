"""schemathesis hooks for `make contract` (tests/support/schemathesis.toml loads them).

A filter, for the local stand-in rather than the API: `cargo lambda watch` cannot turn
a request body that is not UTF-8 into an API Gateway event and answers it with a 500 of
its own before any function runs. In AWS, API Gateway hands such a body to the function
base64-encoded and the function answers 400 `malformed_json`; tests/api/errors.rs
(`malformed_json_is_400_malformed_json`, with the bytes FF FE) proves that answer.

The same for header values outside visible ASCII: the stand-in answers them with a 500 of
its own; in AWS the function reads them and answers 400 (tests/api/entitlements.rs sends
a non-ASCII `Idempotency-Key`).

A check, `positive_data_refused_only_as_named`: the narrow form of schemathesis's
`positive_data_acceptance` for the operations listed in `NAMED_REFUSALS`. Some
schema-valid requests are rightly refused for a reason no schema can express (a signed
cursor, the public suffix list, a DNS record published elsewhere...). The toml turns the
built-in check off for those operations only; this one still fails every refusal of
positive data except the 400 its exclusion names, recognised by its error code and the
fields it names. So a schema that accepts what the API refuses for any other reason (an
extra property, say) still fails `make contract`.
"""

import schemathesis
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case

# The statuses positive data may meet anywhere: the documented answers to the state of
# the data (tests/support/schemathesis.toml, `positive_data_acceptance.expected-statuses`).
STATE_OF_THE_DATA = {401, 403, 404, 409, 412}
LISTING = {401, 403, 404}


def _fields(body):
    """The `details.fields` of a `validation_error` body, as (field, reason) pairs."""
    if not isinstance(body, dict) or body.get("code") != "validation_error":
        return None
    fields = (body.get("details") or {}).get("fields")
    if not isinstance(fields, list) or not fields:
        return None
    return [(f.get("field"), f.get("reason", "")) for f in fields if isinstance(f, dict)]


def _only_fields(names, reason_prefixes=None):
    """A 400 `validation_error` naming only `names` (with one of `reason_prefixes`)."""

    def matches(body):
        fields = _fields(body)
        return bool(fields) and all(
            field in names
            and (reason_prefixes is None or any(reason.startswith(p) for p in reason_prefixes))
            for field, reason in fields
        )

    return matches


def _code(code):
    """A 400 whose error code is `code`."""
    return lambda body: isinstance(body, dict) and body.get("code") == code


# operationId: (the other statuses its positive data may meet, the one 400 it may meet).
NAMED_REFUSALS = {
    # A merge patch's acceptability depends on the stored tenant: `loginMode: sso` needs
    # `ssoStartUrl` and `ssoRegion` on the patched result, `email_domain` an `emailDomain`.
    "updateTenant": (
        STATE_OF_THE_DATA,
        _only_fields(
            {"ssoStartUrl", "ssoRegion", "emailDomain"},
            ["is required when loginMode is"],
        ),
    ),
    # A tenant key must name a live tenant: a missing one is 404, a deleted one this 400.
    "createApiKey": (STATE_OF_THE_DATA, _only_fields({"tenantId"}, ["no live tenant with id"])),
    # A listing's cursor is opaque and signed: a generated one is `invalid_cursor`.
    "listTenants": (LISTING, _code("invalid_cursor")),
    "listTenantAdmins": (LISTING, _code("invalid_cursor")),
    "listApiKeys": (LISTING, _code("invalid_cursor")),
    "listTenantEvents": (LISTING, _code("invalid_cursor")),
    "listTenantDomains": (LISTING, _code("invalid_cursor")),
    # Whether a string is a claimable domain depends on the public suffix list and IDNA.
    "addTenantDomain": (STATE_OF_THE_DATA, _only_fields({"domain"})),
    # Discovery takes exactly one of `email` and `slug`.
    "discoverLogin": (
        LISTING,
        _only_fields({"email"}, ["give email or slug, not both", "email or slug is required"]),
    ),
    # A resource's `metadata` is bounded at 2 KiB serialized.
    "putTenantResource": (STATE_OF_THE_DATA, _only_fields({"metadata"})),
    # Verification needs a DNS record published outside the API.
    "verifyTenantDomain": (STATE_OF_THE_DATA, _code("domain_not_verified")),
    # A second resend within InvitationResendIntervalMinutes is 429 `rate_limited`; no 400.
    "resendTenantInvitation": (STATE_OF_THE_DATA | {429}, lambda body: False),
    # A decrement below 0 depends on the usage counted before it.
    "reportUsage": (STATE_OF_THE_DATA, _only_fields({"delta"}, ["would take usage below 0"])),
}


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


@schemathesis.check
def positive_data_refused_only_as_named(ctx, response, case):
    """Positive data of a `NAMED_REFUSALS` operation is accepted (2xx), meets the state
    of the data, or is refused with exactly the 400 its exclusion names."""
    operation_id = case.operation.definition.raw.get("operationId")
    if operation_id not in NAMED_REFUSALS:
        return None
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or is_unexpected_http_status_case(case):
        return None
    status = response.status_code
    others, named = NAMED_REFUSALS[operation_id]
    if 200 <= status < 300 or status in others:
        return None
    body = None
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - a body that is no JSON is simply not the named case
        pass
    if status == 400 and named(body):
        return None
    raise AssertionError(
        f"Valid data should have been accepted: {operation_id} answered {status} "
        f"outside its named exclusion (tests/support/schemathesis.toml): {response.text_lossy()[:500]}"
    )
