#!/usr/bin/env python3
"""The load and the audit of `make chaos` (tests/support/chaos.sh starts the stack).

Load: --requests mixed requests from --clients concurrent clients through the local API,
while tests/support/faultproxy.py injects faults at --rate into every AWS call the
functions make. Each client retries a 503 (after its Retry-After) and a lost answer
(connection error, or an answer that is not the API's) the way the README tells users
to: the same request again, with the same client-chosen id or the same If-Match,
at most --attempts times.

Audit, with the faults off, once the dev pump has published every event: reads the table
straight from moto and checks (each failure is listed, and the run fails):
  - the stats counters equal a recount of the tenant items;
  - each tenant's events, in order, replay to its stored state: no duplicate eventId;
    the tenant-item events' versions run 1, 2, ... to the stored version with no gap,
    and the last one's state is the stored tenant; events of grants and domains carry
    the version they were checked against (at most the stored one);
  - every slug and scope reservation, admin grant (both directions and the count) and
    verified domain has its counterpart, and nothing is orphaned;
  - every request answered 2xx is visible in the table;
  - every request that ended on a 503 or a lost answer was applied wholly or not at all
    (the counts of each are reported);
  - each client-chosen id created exactly one tenant;
  - every event item reached the bus at least once (faultproxy's delivery log), and each
    tenant's first deliveries are in the order of its events.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter, defaultdict

PLANS = ["free", "starter", "pro", "business", "enterprise"]
OK = range(200, 300)


class Api:
    """One client's HTTP connection to the local API."""

    def __init__(self, base, token):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.token = token
        self.connection = None

    def call(self, method, path, body=None, headers=None, content_type="application/json"):
        """(status, headers, parsed body); status None: the answer was lost."""
        all_headers = {"authorization": f"Bearer {self.token}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["content-type"] = content_type
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            self.connection.request(method, path, body=data, headers=all_headers)
            response = self.connection.getresponse()
            raw = response.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = None
            return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed
        except (OSError, http.client.HTTPException) as e:
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return None, {}, {"error": type(e).__name__}


class Run:
    """The shared state of the load: known tenants, every operation's record, counters."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.tenants = []  # ids the load knows of (created, or maybe created)
        self.keys = []  # API key ids
        self.records = []
        self.statuses = Counter()  # every answer the clients got, per attempt
        self.final = Counter()  # the last answer of each operation
        self.retries = 0
        self.no_retry_after = 0  # 503s without Retry-After
        self.created_ids = {}  # client-chosen id -> record
        self.domains = {}  # tenant -> domains the load added to it
        self.deadline = time.time() + args.time_limit
        self.issued = 0

    def next_slot(self):
        with self.lock:
            if self.issued >= self.args.requests or time.time() > self.deadline:
                return False
            self.issued += 1
            return True

    def pick_tenant(self, rng):
        with self.lock:
            return rng.choice(self.tenants) if self.tenants else None


class Client:
    def __init__(self, run, index):
        self.run = run
        self.index = index
        self.rng = random.Random(run.args.seed * 1000 + index)
        self.api = Api(run.args.api, run.args.token)
        self.counter = 0

    def send(self, op, method, path, body=None, headers=None, content_type="application/json", tenant=None):
        """One operation with its retries; returns its record."""
        record = {"op": op, "method": method, "path": path, "tenant": tenant, "attempts": []}
        for attempt in range(self.run.args.attempts):
            status, answer_headers, answer = self.api.call(method, path, body, headers, content_type)
            code = answer.get("code") if isinstance(answer, dict) else None
            record["attempts"].append(status if status is not None else "lost")
            with self.run.lock:
                self.run.statuses[status if status is not None else "lost"] += 1
            # An answer that is not the API's (the local gateway's own error) is lost too.
            lost = status is None or (status >= 500 and code is None)
            if status == 503 and "retry-after" not in answer_headers:
                with self.run.lock:
                    self.run.no_retry_after += 1
            if status == 503 and code == "service_unavailable" or lost:
                if attempt + 1 < self.run.args.attempts:
                    with self.run.lock:
                        self.run.retries += 1
                    wait = float(answer_headers.get("retry-after", "1")) if status == 503 else 0.2
                    time.sleep(min(wait, 2.0) * (0.5 + self.rng.random()))
                    continue
            record["status"] = status if status is not None else "lost"
            record["code"] = code
            record["body"] = answer if status in OK else None
            record["answered"] = [a for a in record["attempts"] if a != "lost"]
            break
        with self.run.lock:
            self.run.final[record["status"]] += 1
            self.run.records.append(record)
        return record

    # --- the operations -------------------------------------------------------------

    def create(self):
        self.counter += 1
        slug = f"c{self.run.args.seed}-{self.index}-{self.counter}-{self.rng.randrange(10**6)}"
        body = {"name": f"Chaos {slug}", "slug": slug, "kind": self.rng.choice(["standard", "enterprise", "trial"]),
                "metadata": {"chaos": slug}}
        if self.rng.random() < 0.3:
            body["ownerEmail"] = f"owner-{slug}@chaos.example.com"
        with_id = self.rng.random() < 0.6
        tenant_id = None
        if with_id:
            tenant_id = f"tenant_{uuid.uuid7() if hasattr(uuid, 'uuid7') else uuid7(self.rng)}"
            body["id"] = tenant_id
        record = self.send("create-with-id" if with_id else "create", "POST", "/v1/tenants", body, tenant=tenant_id)
        record["slug"] = slug
        created = record["body"]["id"] if record["body"] else tenant_id
        if with_id:
            with self.run.lock:
                self.run.created_ids[tenant_id] = record
        if created:
            with self.run.lock:
                self.run.tenants.append(created)

    def read_version(self, tenant):
        status, headers, body = self.api.call("GET", f"/v1/tenants/{tenant}")
        if status == 200 and isinstance(body, dict):
            return body.get("version"), body
        return None, None

    def patch(self, tenant):
        body = {"metadata": {f"k{self.rng.randrange(5)}": self.rng.randrange(1000)}}
        if self.rng.random() < 0.5:
            body["name"] = f"Chaos renamed {self.rng.randrange(10**6)}"
        headers = {}
        op = "patch"
        if self.rng.random() < 0.5:
            version, _ = self.read_version(tenant)
            if version is not None:
                headers["if-match"] = f'"{version}"'
                op = "patch-if-match"
        self.send(op, "PATCH", f"/v1/tenants/{tenant}", body, headers,
                  content_type="application/merge-patch+json", tenant=tenant)

    def lifecycle(self, tenant):
        action = self.rng.choice(["suspend", "activate"])
        body = {"reason": "chaos"} if action == "suspend" else None
        self.send(action, "POST", f"/v1/tenants/{tenant}/{action}", body, tenant=tenant)

    def plan(self, tenant):
        action = self.rng.choice(["upgrade", "downgrade"])
        self.send(action, "POST", f"/v1/tenants/{tenant}/{action}", {"plan": self.rng.choice(PLANS)}, tenant=tenant)

    def admins(self, tenant):
        user = f"user-{self.rng.randrange(6)}"
        if self.rng.random() < 0.6:
            self.send("grant", "PUT", f"/v1/tenants/{tenant}/admins/{user}", tenant=tenant)
        else:
            self.send("revoke", "DELETE", f"/v1/tenants/{tenant}/admins/{user}", tenant=tenant)

    def api_keys(self, tenant):
        with self.run.lock:
            key = self.rng.choice(self.run.keys) if self.run.keys and self.rng.random() < 0.4 else None
        if key:
            self.send("revoke-key", "DELETE", f"/v1/api-keys/{key}")
            return
        record = self.send("create-key", "POST", "/v1/api-keys",
                           {"name": f"chaos-{self.rng.randrange(10**6)}", "roles": ["tenant_admin"], "tenantId": tenant},
                           tenant=tenant)
        if record["body"] and record["body"].get("keyId"):
            with self.run.lock:
                self.run.keys.append(record["body"]["keyId"])

    def domains(self, tenant):
        choice = self.rng.random()
        with self.run.lock:
            added = self.run.domains.get(tenant, [])
            domain = self.rng.choice(added) if added and choice >= 0.45 else f"d{self.rng.randrange(40)}.chaos.example.com"
            if choice < 0.45:
                self.run.domains.setdefault(tenant, []).append(domain)
        if choice < 0.45:
            record = self.send("add-domain", "POST", f"/v1/tenants/{tenant}/domains", {"domain": domain}, tenant=tenant)
            expected = (record["body"] or {}).get("verification") or (record["body"] or {}).get("record")
            if isinstance(expected, dict) and expected.get("name") and expected.get("value"):
                publish_txt(self.run.args.dns_records, expected["name"], expected["value"])
        elif choice < 0.75:
            self.send("verify-domain", "POST", f"/v1/tenants/{tenant}/domains/{domain}/verify", tenant=tenant)
        else:
            self.send("remove-domain", "DELETE", f"/v1/tenants/{tenant}/domains/{domain}", tenant=tenant)

    def delete(self, tenant):
        self.send("delete", "DELETE", f"/v1/tenants/{tenant}", tenant=tenant)

    def read(self, tenant):
        if self.rng.random() < 0.5:
            self.send("get", "GET", f"/v1/tenants/{tenant}", tenant=tenant)
        else:
            self.send("stats", "GET", "/v1/tenants/stats")

    def usage(self, tenant):
        """A usage report of maxProjects (+1 mostly, sometimes -1), its idempotency key kept
        across the retries: the audit checks each key counted at most once."""
        delta = 1 if self.rng.random() < 0.8 else -1
        key = f"chaos-{self.index}-{self.counter}-{self.rng.getrandbits(48):012x}"
        self.counter += 1
        record = self.send("usage", "POST", f"/v1/tenants/{tenant}/usage/maxProjects", {"delta": delta},
                           {"idempotency-key": key}, tenant=tenant)
        record["delta"] = delta

    MIX = [("create", 14), ("patch", 18), ("lifecycle", 10), ("plan", 10), ("admins", 14),
           ("api_keys", 6), ("domains", 12), ("delete", 3), ("read", 13), ("usage", 12)]

    def loop(self):
        names = [name for name, _ in self.MIX]
        weights = [weight for _, weight in self.MIX]
        while self.run.next_slot():
            tenant = self.run.pick_tenant(self.rng)
            name = self.rng.choices(names, weights)[0]
            if name == "create" or tenant is None:
                self.create()
            else:
                getattr(self, name)(tenant)


def uuid7(rng):
    """A UUIDv7 text (Python < 3.14 has no uuid.uuid7)."""
    ms = int(time.time() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def publish_txt(folder, name, value):
    """A TXT record on the run's DNS server (tests/support/localdns.py reads the folder)."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name.rstrip(".").lower()), "a", encoding="utf-8") as f:
        f.write(value + "\n")


def set_faults(proxy, settings):
    url = urllib.parse.urlsplit(proxy)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("POST", "/_faults/config", body=json.dumps(settings))
    answer = json.loads(connection.getresponse().read())
    connection.close()
    return answer


def warm_up(args):
    """Starts every function the load calls (faults off) so the load measures them warm."""
    api = Api(args.api, args.token)
    for _ in range(600):
        status, _, _ = api.call("GET", "/v1/tenants/stats")
        if status == 200:
            break
        time.sleep(0.5)
    else:
        raise SystemExit("the local API never answered GET /v1/tenants/stats")


def load(args):
    run = Run(args)
    warm_up(args)
    set_faults(args.proxy, {"rate": args.rate, "seed": args.seed, **({"kinds": args.kinds.split(",")} if args.kinds else {})})
    started = time.time()
    clients = [Client(run, i) for i in range(args.clients)]
    threads = [threading.Thread(target=c.loop, daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run.seconds = time.time() - started
    run.faults = set_faults(args.proxy, {"rate": 0.0})
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", required=True)
    parser.add_argument("--db", required=True, help="moto itself, for the audit")
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--token", required=True, help="a platform-admin bearer token")
    parser.add_argument("--dns-records", required=True)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rate", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--kinds", default=None)
    parser.add_argument("--attempts", type=int, default=6, help="tries per operation")
    parser.add_argument("--time-limit", type=float, default=1500, help="seconds of load at most")
    parser.add_argument("--drain", type=float, default=1200, help="seconds to wait for the pump at most")
    parser.add_argument("--drain-stall", type=float, default=60, help="... or while nothing moves")
    parser.add_argument("--log-dir", default=None, help="where the audit leaves table.json and records.json")
    parser.add_argument("--deliveries", required=True)
    parser.add_argument("--report", default=None)
    args = parser.parse_args()
    run = load(args)
    import chaos_audit  # noqa: E402  (beside this file)

    result = chaos_audit.audit(args, run)
    if run.no_retry_after:
        print(f"AUDIT: {run.no_retry_after} answers 503 without Retry-After")
    sys.exit(0 if result and not run.no_retry_after else 1)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
