"""The audit of `make chaos` (see tests/support/chaos.py): reads the table straight from
moto, with the faults off, and checks that nothing was lost, invented or half-done."""

import json
import time
from collections import Counter, defaultdict
from decimal import Decimal

# Events that change the tenant item (each such change raises its version by one; one
# change may say several things, e.g. tenant.provisioned and tenant.invitation_sent).
OTHER_EVENTS = {"tenant.admin_granted", "tenant.admin_revoked", "tenant.domain_added",
                "tenant.domain_verified", "tenant.domain_removed", "tenant.domain_unverified",
                "api_key.created", "api_key.revoked", "tenant.resource_reported",
                # Entitlement events: the companions of a plan or limit change carry its
                # version; a threshold event, the version its report was checked against.
                "tenant.entitlements_changed", "tenant.over_limit", "tenant.usage_threshold_reached"}
# Fields the audit does not replay: server-kept clocks and the version itself.
NOT_REPLAYED = {"version", "updatedAt", "createdAt", "currentUserRoles"}


def plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == int(value) else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [plain(v) for v in value]
    return value


def scan(db, table):
    from boto3.dynamodb.types import TypeDeserializer

    des = TypeDeserializer()
    items = []
    for page in db.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        items.extend(plain({k: des.deserialize(v) for k, v in item.items()}) for item in page["Items"])
    return items


def delivered(path):
    order = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                order.append(json.loads(line))
    except FileNotFoundError:
        pass
    return order


def drain(db, args, table):
    """Waits until every event item reached the bus and two scans a few seconds apart read
    the same table (the pump still drives provisioning, which writes more): the audit
    must read a table nothing writes to, since a scan of several pages is not one
    snapshot. Gives up when nothing moved for --drain-stall seconds, or after --drain."""
    started = time.time()
    moved = started
    previous = None
    while True:
        items = scan(db, table)
        events = {i["eventId"] for i in items if i.get("entity") == "event"}
        sent = {d["eventId"] for d in delivered(args.deliveries)}
        state = (len(items), json.dumps(items, sort_keys=True, default=str).__hash__(), len(sent))
        if events <= sent and state == previous:
            return items, round(time.time() - started, 1), True
        if state != previous:
            moved = time.time()
        if time.time() - moved > args.drain_stall or time.time() - started > args.drain:
            return items, round(time.time() - started, 1), False
        previous = state
        time.sleep(3)


def audit(args, run, table="tenants"):
    import boto3

    db = boto3.client("dynamodb", endpoint_url=args.db, region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
    items, drained_in, quiet = drain(db, args, table)
    problems = [] if quiet else [f"the table never settled with every event on the bus within {drained_in} s"]
    if args.log_dir:
        with open(f"{args.log_dir}/table.json", "w", encoding="utf-8") as f:
            json.dump(items, f, default=str)
        with open(f"{args.log_dir}/records.json", "w", encoding="utf-8") as f:
            json.dump(run.records, f, default=str)
    by_entity = defaultdict(list)
    for item in items:
        by_entity[item.get("entity")].append(item)
    tenants = {t["id"]: t for t in by_entity["tenant"]}

    # 1. Stats counters equal a recount.
    counters = Counter()
    for shard in by_entity["stats"]:
        for name, value in shard.items():
            if name not in ("PK", "SK", "entity") and isinstance(value, int):
                counters[name] += value
    recount = Counter()
    for t in tenants.values():
        recount["total"] += 1
        recount[f"status_{t['status']}"] += 1
        recount[f"plan_{t['plan']}"] += 1
        recount[f"kind_{t['kind']}"] += 1
    for name in set(counters) | set(recount):
        if counters[name] != recount[name]:
            problems.append(f"stats counter {name} = {counters[name]}, recount {recount[name]}")

    # 2. Events: no duplicate id; per tenant, replay to the stored state.
    events = [json.loads(e["event"]) for e in by_entity["event"]]
    ids = Counter(e["eventId"] for e in events)
    duplicates = [i for i, n in ids.items() if n > 1]
    problems += [f"duplicate eventId {i}" for i in duplicates]
    per_tenant = defaultdict(list)
    for e in events:
        per_tenant[e["tenantId"]].append(e)
    phantom = 0
    for tenant_id, evs in per_tenant.items():
        if tenant_id not in tenants:
            phantom += len(evs)
            problems.append(f"{len(evs)} events of tenant {tenant_id}, which does not exist")
    replayed = 0
    lease_gaps = 0
    for tenant_id, tenant in tenants.items():
        evs = per_tenant.get(tenant_id, [])
        changes = sorted((e for e in evs if e["type"] not in OTHER_EVENTS),
                         key=lambda e: (e["version"], e["occurredAt"], e["eventId"]))
        created = [e for e in changes if e["type"] == "tenant.created"]
        if len(created) != 1:
            problems.append(f"tenant {tenant_id}: {len(created)} tenant.created events")
            continue
        versions = sorted({e["version"] for e in changes})
        if versions and versions[-1] > tenant["version"]:
            problems.append(f"tenant {tenant_id}: events up to version {versions[-1]}, stored {tenant['version']}")
        for e in evs:
            if e["type"] in OTHER_EVENTS and e.get("version") is not None and e["version"] > tenant["version"]:
                problems.append(f"tenant {tenant_id}: {e['type']} checked against version {e['version']} > stored {tenant['version']}")
        state = dict(created[0]["tenant"])
        by_version = defaultdict(list)
        for e in changes[1:]:
            by_version[e["version"]].append(e)
        for version in range(2, tenant["version"] + 1):
            if version not in by_version:
                # The provisioning worker's step leases bump the version without an event
                # of their own (service/provisioning.rs: a commit without a transition).
                # A gap is accepted only while the replayed tenant is being provisioned or
                # deprovisioned, and counted; any other is a change without its event.
                if (state.get("provisioning") or {}).get("status") in ("in_progress", "deprovisioning"):
                    lease_gaps += 1
                else:
                    problems.append(f"tenant {tenant_id}: version {version} has no event (versions {versions})")
                continue
            before = dict(state)
            for e in by_version[version]:
                for field, change in (e.get("changes") or {}).items():
                    if before.get(field) != change.get("from"):
                        problems.append(f"tenant {tenant_id} v{version} {e['type']}: {field} was {before.get(field)!r}, event says from {change.get('from')!r}")
                    state[field] = change.get("to")
        stored = dict(tenant)
        if isinstance(stored.get("metadata"), str):
            stored["metadata"] = json.loads(stored["metadata"])
        for field, value in state.items():
            if field in NOT_REPLAYED:
                continue
            if stored.get(field) != value and not (value in (None, [], {}) and stored.get(field) in (None, [], {})):
                problems.append(f"tenant {tenant_id}: {field} stored {stored.get(field)!r}, events replay to {value!r}")
        replayed += 1

    # 3. Reservations, grants and domains have their counterparts; no orphans.
    slugs = {s["slug"]: s for s in by_entity["slug"]}
    scopes = {s["scopeId"]: s for s in by_entity["scope"]}
    orphans = 0
    for tenant_id, t in tenants.items():
        if slugs.get(t["slug"], {}).get("tenantId") != tenant_id:
            problems.append(f"tenant {tenant_id}: no slug reservation {t['slug']}")
        if scopes.get(t["scopeId"], {}).get("tenantId") != tenant_id:
            problems.append(f"tenant {tenant_id}: no scope reservation {t['scopeId']}")
    for slug, s in slugs.items():
        if tenants.get(s["tenantId"], {}).get("slug") != slug:
            orphans += 1
            problems.append(f"orphan slug reservation {slug} -> {s['tenantId']}")
    for scope, s in scopes.items():
        if tenants.get(s["tenantId"], {}).get("scopeId") != scope:
            orphans += 1
            problems.append(f"orphan scope {scope} -> {s['tenantId']}")
    admins = {(a["tenantId"], a["userId"]) for a in by_entity["admin"]}
    members = {(m["tenantId"], m["userId"]) for m in by_entity["membership"]}
    for pair in admins ^ members:
        orphans += 1
        problems.append(f"admin grant without its counterpart: {pair}")
    counts = {c["PK"].split("#", 1)[1]: c["count"] for c in by_entity["admincount"]}
    per = Counter(t for t, _ in admins)
    for tenant_id in set(counts) | set(per):
        if counts.get(tenant_id, 0) != per.get(tenant_id, 0):
            problems.append(f"tenant {tenant_id}: admin count {counts.get(tenant_id, 0)}, grants {per.get(tenant_id, 0)}")
    for kind in ("admin", "membership", "admincount", "domainclaim", "apikey", "invitation"):
        for item in by_entity[kind]:
            tenant_id = item.get("tenantId") or item["PK"].split("#", 1)[1]
            if tenant_id not in tenants:
                orphans += 1
                problems.append(f"orphan {kind} {item['PK']}/{item['SK']}")
    # A verified claim holds its domain's reservation while its tenant lives; a deleted
    # tenant's domains are free (another tenant's verification may take the reservation
    # over, store/domains.rs), so its claims may stay verified without one.
    verified_claims = {(c["tenantId"], c["domain"]) for c in by_entity["domainclaim"] if c.get("status") == "verified"}
    owned = {(d["tenantId"], d["PK"].split("#", 1)[1]) for d in by_entity["domain"]}
    for pair in owned - verified_claims:
        orphans += 1
        problems.append(f"domain reservation without a verified claim: {pair}")
    for pair in verified_claims - owned:
        if tenants.get(pair[0], {}).get("status") != "deleted":
            problems.append(f"verified claim of a live tenant without its reservation: {pair}")

    # 4-6. What the clients were told.
    by_type = defaultdict(set)  # (tenant, type) -> versions
    for e in events:
        by_type[(e["tenantId"], e["type"])].add(e.get("version"))
    invisible = 0
    outcomes = Counter()
    for record in run.records:
        status, body, tenant_id = record["status"], record.get("body"), record.get("tenant")
        if isinstance(status, int) and 200 <= status < 300 and record["method"] != "GET":
            visible = True
            if isinstance(body, dict) and body.get("id", "").startswith("tenant_") and "version" in body:
                tid = body["id"]
                visible = tid in tenants and any(body["version"] in v for (t, _), v in by_type.items() if t == tid)
            elif record["op"] == "create-key":
                visible = any(k["id"] == (body or {}).get("keyId", (body or {}).get("id")) for k in by_entity["apikey"])
            elif record["op"] in ("grant", "revoke"):
                kind = "tenant.admin_granted" if record["op"] == "grant" else "tenant.admin_revoked"
                user = record["path"].rsplit("/", 1)[1]
                visible = (tenant_id, kind) in by_type or ((tenant_id, user) in admins) == (record["op"] == "grant")
            elif record["op"] == "add-domain":
                visible = (tenant_id, "tenant.domain_added") in by_type
            if not visible:
                invisible += 1
                problems.append(f"answered {status} but not in the table: {record['op']} {record['path']}")
        if status == "lost" or status == 503 or "lost" in record["attempts"] or 503 in record["attempts"]:
            if record["op"] == "create-with-id":
                outcomes["retried create applied" if tenant_id in tenants else "retried create not applied"] += 1
            else:
                outcomes["retried or unanswered (other)"] += 1
    # Usage reports: each counted at most once, whatever its retries; the counter is the
    # sum of the reports answered 2xx, give or take those whose answer never came.
    counted = defaultdict(lambda: [0, 0])  # tenant -> [sure sum, unsure reports]
    for record in run.records:
        if record["op"] != "usage":
            continue
        status = record["status"]
        if isinstance(status, int) and 200 <= status < 300:
            counted[record["tenant"]][0] += record["delta"]
        elif status == "lost" or status == 503:
            counted[record["tenant"]][1] += 1
    usage_items = {u.get("tenantId"): u for u in by_entity["usage"]}
    usage_checked = 0
    for tenant_id, (sure, unsure) in counted.items():
        value = usage_items.get(tenant_id, {}).get("U#maxProjects", 0)
        usage_checked += 1
        if not (sure - unsure <= value <= sure + unsure) or value < 0:
            problems.append(f"tenant {tenant_id}: maxProjects usage {value}, reports say {sure} (±{unsure})")

    # Each client-chosen id created exactly one tenant, and only when told so.
    for tenant_id, record in run.created_ids.items():
        created = len(by_type.get((tenant_id, "tenant.created"), set()))
        n_created = sum(1 for e in per_tenant.get(tenant_id, []) if e["type"] == "tenant.created")
        if record["status"] == 201 and n_created != 1:
            problems.append(f"client id {tenant_id}: answered 201, {n_created} tenant.created events")
        if n_created > 1 or created > 1:
            problems.append(f"client id {tenant_id}: {n_created} tenants created")
        if record["status"] in (201, 200) and tenant_id not in tenants:
            problems.append(f"client id {tenant_id}: answered {record['status']} but no tenant")
    no_id_slugs = Counter(t["slug"] for t in tenants.values())
    problems += [f"slug {s} held by {n} tenants" for s, n in no_id_slugs.items() if n > 1]

    # 7. The publisher delivered every event at least once, in order per tenant.
    order = delivered(args.deliveries)
    first = {}
    for d in order:
        first.setdefault(d["eventId"], d["seq"])
    undelivered = [e["eventId"] for e in events if e["eventId"] not in first]
    problems += [f"event {i} never reached the bus" for i in undelivered[:20]]
    out_of_order = 0
    for tenant_id, evs in per_tenant.items():
        versioned = sorted((e for e in evs if e.get("version") is not None and e["type"] not in OTHER_EVENTS and e["eventId"] in first),
                           key=lambda e: (e["version"], first[e["eventId"]]))
        seqs = [first[e["eventId"]] for e in versioned]
        if seqs != sorted(seqs):
            out_of_order += 1
            problems.append(f"tenant {tenant_id}: events reached the bus out of order")
    redelivered = len(order) - len(first)

    faults = run.faults
    statuses = {str(k): v for k, v in sorted(run.statuses.items(), key=lambda kv: str(kv[0]))}
    report = {
        "requests": len(run.records), "clients": args.clients, "faultRate": args.rate, "seed": args.seed,
        "seconds": round(run.seconds, 1), "drainSeconds": drained_in,
        "awsCalls": faults["requests"], "faultsInjected": {k: v for k, v in faults["byKind"].items() if k != "passed"},
        "answers": statuses, "finalStatuses": {str(k): v for k, v in run.final.items()},
        "clientRetries": run.retries,
        "status500": run.statuses.get(500, 0),
        "audit": {
            "tenants": len(tenants), "events": len(events), "tenantsReplayed": replayed, "workerLeaseVersionsWithoutEvent": lease_gaps,
            "lostWrites": invisible, "phantomEvents": phantom, "duplicateEvents": len(duplicates),
            "orphans": orphans, "countersExact": not any(p.startswith("stats counter") for p in problems),
            "undelivered": len(undelivered), "outOfOrderTenants": out_of_order,
            "busDeliveries": len(order), "redeliveries": redelivered,
            "retriedOutcomes": dict(outcomes), "usageCountersChecked": usage_checked,
            "problems": len(problems),
        },
    }
    print(json.dumps(report, indent=2))
    for p in problems[:60]:
        print("AUDIT:", p)
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump({**report, "problemList": problems}, f, indent=2)
    undocumented = [s for s in run.statuses if isinstance(s, int) and s not in (200, 201, 204, 400, 404, 409, 412, 429, 503)]
    if undocumented:
        print(f"AUDIT: statuses outside the expected ones: {undocumented}")
    return not problems and not undocumented
