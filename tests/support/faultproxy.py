#!/usr/bin/env python3
"""A fault-injecting HTTP proxy on loopback, between the functions and moto (tests only).

The functions reach it through the endpoint settings they already have
(DYNAMODB_ENDPOINT, EVENTBRIDGE_ENDPOINT, SES_ENDPOINT, STS_ENDPOINT all pointed at it).
Per request it draws, from a random generator with a fixed seed, whether to inject a fault
(probability --rate) and which one (uniformly among the --kinds that apply):

  throttle      DynamoDB: ProvisionedThroughputExceededException or ThrottlingException
                (400, DynamoDB's JSON error shape); EventBridge: ThrottlingException;
                SES v2: TooManyRequestsException (429); STS: Throttling (XML).
  internal      DynamoDB: InternalServerError (500); EventBridge: InternalException;
                SES v2 and STS: InternalFailure.
  conflict      TransactWriteItems only: TransactionCanceledException whose reasons name
                TransactionConflict for one item (and None for the others).
  partial       PutEvents only: 200 with every entry failed (ErrorCode InternalFailure),
                nothing put on the bus.
  reset-before  the connection is reset (RST) before the request is forwarded.
  reset-after   the request IS forwarded (the write happens) and then the connection is
                reset: the answer is lost. The hard case.
  delay         waits --delay seconds (past the client's attempt timeout), then forwards:
                the write may land after the client gave up and retried.

The services are told apart by X-Amz-Target (DynamoDB_20120810.*, AWSEvents.*), the
path (/v2/email/... is SES v2) and the body (Action=AssumeRole is STS); everything else
(SQS, IAM, moto's own endpoints) passes through untouched.

moto ignores TransactWriteItems' ClientRequestToken; real DynamoDB does not: a
transaction repeated with the same token within 10 minutes answers the first one's
success without writing again (and IdempotentParameterMismatch for another body). The
proxy keeps that promise for moto, so that an SDK retry after a lost answer meets the
DynamoDB it would meet in AWS.

Every PutEvents entry moto accepted is appended to --deliveries (JSON lines: seq, eventId,
tenantId, version, type), which the audit reads (tests/support/chaos.py).

  faultproxy.py serve --upstream URL [--port 0] [--seed 1] [--rate 0.1]
                      [--kinds throttle,internal,...] [--delay 3] [--deliveries FILE]
      Prints "READY http://127.0.0.1:<port>" once listening.
  Control, on the proxy itself:
      GET  /_faults/stats    counts: requests, faults by service/operation/kind
      POST /_faults/config   JSON {"rate": 0.0, "kinds": [...], "seed": 7, "delay": 3}
"""

import argparse
import hashlib
import http.client
import json
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KINDS = ["throttle", "internal", "conflict", "partial", "reset-before", "reset-after", "delay"]
TOKEN_WINDOW_SECONDS = 600


class Faults:
    """The configuration, the seeded draws and the counters, shared by every thread."""

    def __init__(self, seed, rate, kinds, delay, deliveries):
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.rate = rate
        self.kinds = list(kinds)
        self.delay = delay
        self.counts = {}
        self.requests = 0
        self.deliveries = deliveries
        self.delivered = 0
        self.tokens = {}  # ClientRequestToken -> (time, body hash, status, headers, body)
        self.token_locks = {}

    def configure(self, settings):
        with self.lock:
            if "rate" in settings:
                self.rate = float(settings["rate"])
            if "kinds" in settings:
                unknown = set(settings["kinds"]) - set(KINDS)
                if unknown:
                    raise ValueError(f"unknown fault kinds {sorted(unknown)}")
                self.kinds = list(settings["kinds"])
            if "seed" in settings:
                self.random = random.Random(settings["seed"])
            if "delay" in settings:
                self.delay = float(settings["delay"])

    def draw(self, service, operation):
        """The fault to inject into this request, or None; counts it either way."""
        applicable = [k for k in self.kinds if applies(k, service, operation)]
        with self.lock:
            self.requests += 1
            fault = None
            if applicable and self.random.random() < self.rate:
                fault = self.random.choice(applicable)
            key = f"{service}.{operation}"
            per = self.counts.setdefault(key, {})
            per[fault or "passed"] = per.get(fault or "passed", 0) + 1
            return fault, self.random.random()

    def stats(self):
        with self.lock:
            by_kind = {}
            for per in self.counts.values():
                for kind, n in per.items():
                    by_kind[kind] = by_kind.get(kind, 0) + n
            return {"requests": self.requests, "byKind": by_kind, "byOperation": self.counts,
                    "rate": self.rate, "kinds": self.kinds, "delivered": self.delivered}

    def token_lock(self, token):
        with self.lock:
            return self.token_locks.setdefault(token, threading.Lock())

    def record_delivery(self, request_body, response_body):
        """Logs every PutEvents entry moto accepted, in the order it accepted them."""
        if not self.deliveries:
            return
        try:
            sent = json.loads(request_body).get("Entries", [])
            answered = json.loads(response_body).get("Entries", [])
        except ValueError:
            return
        with self.lock:
            with open(self.deliveries, "a", encoding="utf-8") as log:
                for i, entry in enumerate(sent):
                    result = answered[i] if i < len(answered) else {}
                    if result.get("ErrorCode") or not result.get("EventId"):
                        continue
                    detail = json.loads(entry.get("Detail") or "{}")
                    self.delivered += 1
                    log.write(json.dumps({
                        "seq": self.delivered, "eventId": detail.get("eventId"),
                        "tenantId": detail.get("tenantId"), "version": detail.get("version"),
                        "type": detail.get("type"), "at": time.time(),
                    }) + "\n")


def applies(kind, service, operation):
    if service is None:
        return False
    if kind == "conflict":
        return service == "dynamodb" and operation == "TransactWriteItems"
    if kind == "partial":
        return service == "events" and operation == "PutEvents"
    return True


def identify(headers, path, body):
    """(service, operation) of a request, or (None, None) for one never faulted."""
    target = headers.get("X-Amz-Target", "")
    if target.startswith("DynamoDB_20120810."):
        return "dynamodb", target.split(".", 1)[1]
    if target.startswith("AWSEvents."):
        return "events", target.split(".", 1)[1]
    if path.startswith("/v2/email/"):
        return "ses", path.split("?")[0].rsplit("/", 1)[-1]
    if body[:200].find(b"Action=AssumeRole") >= 0:
        return "sts", "AssumeRole"
    return None, None


def error_answer(kind, service, operation, body, draw):
    """(status, headers, body) of an injected error, in the service's own shape."""
    if service == "dynamodb":
        json_type = {"Content-Type": "application/x-amz-json-1.0"}
        if kind == "throttle":
            if draw < 0.5:
                shape = ("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                         "The level of configured provisioned throughput for the table was exceeded.")
            else:
                shape = ("com.amazon.coral.availability#ThrottlingException",
                         "Rate of requests exceeds the allowed throughput.")
            return 400, json_type, {"__type": shape[0], "message": shape[1]}
        if kind == "internal":
            return 500, json_type, {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
                                    "message": "Internal server error"}
        if kind == "conflict":
            try:
                count = len(json.loads(body).get("TransactItems", [])) or 1
            except ValueError:
                count = 1
            conflicted = int(draw * count)
            reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
                       if i == conflicted else {"Code": "None"} for i in range(count)]
            codes = ", ".join(r["Code"] for r in reasons)
            return 400, json_type, {
                "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
                "message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                "CancellationReasons": reasons,
            }
    if service == "events":
        json_type = {"Content-Type": "application/x-amz-json-1.1"}
        if kind == "throttle":
            return 400, json_type, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        if kind == "internal":
            return 500, json_type, {"__type": "InternalException", "message": "Internal error"}
        if kind == "partial":
            try:
                count = len(json.loads(body).get("Entries", []))
            except ValueError:
                count = 1
            return 200, json_type, {"FailedEntryCount": count, "Entries": [
                {"ErrorCode": "InternalFailure", "ErrorMessage": "Internal failure"} for _ in range(count)]}
    if service == "ses":
        code, status = ("TooManyRequestsException", 429) if kind == "throttle" else ("InternalFailure", 500)
        return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, {"message": code}
    if service == "sts":
        code, status = ("Throttling", 400) if kind == "throttle" else ("InternalFailure", 500)
        xml = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
               f"<Type>{'Sender' if status == 400 else 'Receiver'}</Type><Code>{code}</Code>"
               f"<Message>{code}</Message></Error>"
               "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>")
        return status, {"Content-Type": "text/xml"}, xml
    raise AssertionError(f"no {kind} answer for {service}")


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    faults = None  # Faults
    upstream = None  # (host, port)

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def do_PUT(self):
        self.handle_any()

    def do_DELETE(self):
        self.handle_any()

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self):
        body = self.read_body()
        if self.path.startswith("/_faults/"):
            return self.control(body)
        service, operation = identify(self.headers, self.path, body)
        fault, draw = self.faults.draw(service, operation) if service else (None, 0.0)
        if fault in ("throttle", "internal", "conflict", "partial"):
            status, headers, payload = error_answer(fault, service, operation, body, draw)
            return self.answer(status, headers, payload if isinstance(payload, str) else json.dumps(payload))
        if fault == "reset-before":
            return self.reset()
        if fault == "delay":
            time.sleep(self.faults.delay)
        status, headers, answer = self.forward(service, operation, body)
        if fault == "reset-after":
            return self.reset()
        try:
            self.answer(status, headers, answer)
        except OSError:
            self.close_connection = True  # the client gave up (a delay past its timeout)

    def forward(self, service, operation, body):
        """Sends the request to moto, keeping DynamoDB's ClientRequestToken promise."""
        token = None
        if service == "dynamodb" and operation == "TransactWriteItems":
            try:
                token = json.loads(body).get("ClientRequestToken")
            except ValueError:
                token = None
        if token is None:
            return self.send_upstream(body)
        digest = hashlib.sha256(body).hexdigest()
        with self.faults.token_lock(token):
            seen = self.faults.tokens.get(token)
            if seen and time.time() - seen[0] < TOKEN_WINDOW_SECONDS:
                if seen[1] != digest:
                    return 400, {"Content-Type": "application/x-amz-json-1.0"}, json.dumps({
                        "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                        "message": "the request uses the same client token as a previous, but non-identical request"})
                return seen[2], seen[3], seen[4]
            status, headers, answer = self.send_upstream(body)
            if status == 200:
                self.faults.tokens[token] = (time.time(), digest, status, headers, answer)
            return status, headers, answer

    def send_upstream(self, body):
        connection = http.client.HTTPConnection(*self.upstream, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("connection", "transfer-encoding", "content-length")}
            headers["Content-Length"] = str(len(body))
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            kept = {k: v for k, v in response.getheaders()
                    if k.lower() not in ("connection", "transfer-encoding", "content-length", "date", "server")}
            if (self.headers.get("X-Amz-Target") == "AWSEvents.PutEvents" and response.status == 200):
                self.faults.record_delivery(body, answer)
            return response.status, kept, answer
        finally:
            connection.close()

    def answer(self, status, headers, payload):
        data = payload.encode() if isinstance(payload, str) else payload
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def reset(self):
        """Closes the connection with a TCP RST: the client sees 'connection reset'."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def finish(self):
        try:
            super().finish()
        except (OSError, ValueError):
            pass

    def control(self, body):
        if self.path.startswith("/_faults/stats"):
            return self.answer(200, {"Content-Type": "application/json"}, json.dumps(self.faults.stats()))
        if self.path.startswith("/_faults/config") and self.command == "POST":
            try:
                self.faults.configure(json.loads(body or b"{}"))
            except (ValueError, TypeError) as e:
                return self.answer(400, {"Content-Type": "application/json"}, json.dumps({"error": str(e)}))
            return self.answer(200, {"Content-Type": "application/json"}, json.dumps(self.faults.stats()))
        return self.answer(404, {"Content-Type": "application/json"}, json.dumps({"error": "no such control"}))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        pass  # a client that reset or gave up: nothing to report


def serve(args):
    upstream = urllib.parse.urlsplit(args.upstream)
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise SystemExit(f"unknown fault kinds: {sorted(unknown)} (known: {KINDS})")
    Proxy.faults = Faults(args.seed, args.rate, kinds, args.delay, args.deliveries)
    Proxy.upstream = (upstream.hostname, upstream.port or 80)
    server = Server(("127.0.0.1", args.port), Proxy)
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    if args.exit_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), server.shutdown()), daemon=True).start()
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--upstream", required=True, help="moto's endpoint, e.g. http://127.0.0.1:19042")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--rate", type=float, default=0.1)
    s.add_argument("--kinds", default=",".join(KINDS))
    s.add_argument("--delay", type=float, default=3.0, help="seconds a delayed request waits")
    s.add_argument("--deliveries", default=None, help="JSON-lines log of the events moto's bus accepted")
    s.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args()
    serve(args)


if __name__ == "__main__":
    main()
