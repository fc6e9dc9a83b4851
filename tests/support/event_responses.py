#!/usr/bin/env python3
"""Normalises Lambda proxy responses so runs can be compared, and compares them.

invoke-events.sh appends every `cargo lambda invoke` response to a JSON-lines file; this
script reduces each to what must not change between two builds of the same behaviour:
the status, the headers but the request id and dates, the cookies set (when any), and the
body with ids, secrets, cursors and timestamps replaced by placeholders. An HTML body (the
console's pages) is kept whole, as a list of its pieces each ending at a tag's `>`, so that
a diff of the snapshot points at the changed piece; joined, they are the body again.

  event_responses.py check  RECORDED SNAPSHOT   fail (exit 1) on any difference
  event_responses.py update RECORDED SNAPSHOT   write the snapshot from this run
"""

import json
import re
import sys

PATTERNS = [
    (re.compile(r"tenant_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"), "<tenant-id>"),
    (re.compile(r"scope_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"), "<scope-id>"),
    (re.compile(r"evt_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"), "<event-id>"),
    (re.compile(r"tenant-api-verification=[0-9a-f]{32}"), "tenant-api-verification=<token>"),
    (re.compile(r"tk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}"), "<api-key>"),
    (re.compile(r"key_[0-9a-f]{32}"), "<key-id>"),
    (re.compile(r"ext_[0-9a-f]{64}"), "<aws-external-id>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z"), "<time>"),
    # The stylesheet's name holds its content's hash (tests/api/console.rs checks it).
    (re.compile(r"/console/assets/console-[0-9a-f]{16}\.css"), "/console/assets/console-<hash>.css"),
]
# Fields whose value is random or time-dependent however it is spelled.
OPAQUE = {"requestId": "<request-id>", "nextCursor": "<cursor>", "period": "<period>"}
IGNORED_HEADERS = {"x-request-id", "date"}


def scrub(value, key=None):
    if key in OPAQUE and value is not None:
        return OPAQUE[key]
    if isinstance(value, dict):
        return {k: scrub(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        for pattern, placeholder in PATTERNS:
            value = pattern.sub(placeholder, value)
    return value


def html_pieces(text):
    """An HTML document as the pieces that each end at a `>` (the last may not): nothing is
    dropped or changed, "".join(pieces) == text."""
    return [piece for piece in re.split(r"(?<=>)", text) if piece]


def normalise(record):
    response = record["response"]
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    body = response.get("body")
    if body and headers.get("content-type", "").startswith("text/html"):
        body = html_pieces(body)
    elif body:
        try:
            body = json.loads(body)
        except ValueError:
            pass
    if isinstance(body, dict) and "openapi" in body:
        # The contract has its own test; here only its version and its paths matter.
        body = {"openapi": body["openapi"], "paths": sorted(body.get("paths", {}))}
    normalised = {
        "event": record["event"],
        "statusCode": response.get("statusCode"),
        "headers": scrub({k: v for k, v in headers.items() if k not in IGNORED_HEADERS}),
        "body": scrub(body) if body else None,
    }
    # HTTP API (v2) responses carry Set-Cookie in `cookies`; only the console sets any.
    if response.get("cookies"):
        normalised["cookies"] = scrub(response["cookies"])
    return normalised


def load(path):
    with open(path, encoding="utf-8") as f:
        return [normalise(json.loads(line)) for line in f if line.strip()]


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("check", "update"):
        sys.exit(__doc__)
    mode, recorded, snapshot = sys.argv[1:]
    current = load(recorded)
    if mode == "update":
        with open(snapshot, "w", encoding="utf-8") as f:
            json.dump(current, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"wrote {len(current)} responses to {snapshot}")
        return
    with open(snapshot, encoding="utf-8") as f:
        expected = json.load(f)
    failures = 0
    for i in range(max(len(current), len(expected))):
        got = current[i] if i < len(current) else None
        want = expected[i] if i < len(expected) else None
        if got != want:
            failures += 1
            name = (want or got)["event"]
            print(f"FAIL response {i} ({name}) differs from {snapshot}:")
            print("  expected:", json.dumps(want, sort_keys=True))
            print("  got:     ", json.dumps(got, sort_keys=True))
    if failures:
        sys.exit(f"{failures} response(s) changed; if intended, run with UPDATE_SNAPSHOTS=1")
    print(f"all {len(current)} responses match {snapshot}")


if __name__ == "__main__":
    main()
