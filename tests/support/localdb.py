#!/usr/bin/env python3
"""Local DynamoDB for development and tests: moto's server, single-threaded.

moto's server loses writes under concurrent writers, so requests are served one at a time
(werkzeug, threaded=False). The tenant table is created from template.yaml's own
definition, so local runs use exactly the table that SAM deploys.

  localdb.py serve [--port 8000] [--table tenants] [--events] [--exit-on-stdin-eof]
      Serve on 127.0.0.1 (port 0 picks a free port); prints "READY <endpoint>" once the
      table exists (with --events, also the local event bus and its queue). With --exit-on-stdin-eof it stops when its parent closes stdin.
      The server also enforces IAM trust policies on sts:AssumeRole (moto lets anyone assume
      any role; real STS does not): see TrustPolicies.
  localdb.py role --endpoint URL --arn ARN [--external-id ID] [--delete]
      Create (or delete) an IAM role in the local account whose trust policy requires
      that external id: what a customer does to let the platform's aws-integration in.
  localdb.py console-session --endpoint URL --cookie VALUE [--claims JSON] [--table tenants]
      Store a signed-in console session for the cookie value VALUE (what the console's
      sign-in stores: the ID token's claims and a CSRF token, for an hour), so that a
      request with `Cookie: __Host-tm-session=VALUE` opens the console's pages without an
      identity provider. The CSRF token is "csrf-" + VALUE.
  localdb.py describe
      Print, as JSON, the table definition and routes declared by template.yaml and the
      `cargo lambda watch` router of Cargo.toml (the drift tests compare them to the code),
      and each function's log group, monitoring and policy statements (Fn::ForEach loops
      expanded).
  localdb.py expand [--output FILE]
      Print template.yaml as JSON with its Fn::ForEach loops expanded (what
      AWS::LanguageExtensions deploys), for checkers that do not expand them (checkov).
"""

import argparse
import io
import json
import os
import urllib.parse
import sys
import threading
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "template.yaml")
CARGO_TOML = os.path.join(ROOT, "Cargo.toml")


def load_template(cfn=False):
    """template.yaml as plain data, its Fn::ForEach loops expanded. CloudFormation tags
    (!Ref, !Sub...) become {"Fn::<tag>": ...}, or with cfn=True the JSON form CloudFormation
    itself reads ({"Ref": ...}, {"Fn::GetAtt": [resource, attribute]}...)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader, suffix, node):
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        if cfn and suffix == "Ref":
            return {"Ref": value}
        if cfn and suffix == "GetAtt" and isinstance(value, str):
            return {"Fn::GetAtt": value.split(".", 1)}
        return {"Fn::" + suffix: value}

    Loader.add_multi_constructor("!", tagged)
    with open(TEMPLATE, encoding="utf-8") as f:
        template = yaml.load(f, Loader=Loader)
    template["Resources"] = expand_for_each(template["Resources"])
    return template


def expand_for_each(section):
    """Expands every `Fn::ForEach::<loop>: [identifier, [values...], {key: fragment}]` of a
    template section the way AWS::LanguageExtensions does: one copy of the fragment per
    value, with ${identifier} and &{identifier} replaced in keys and strings."""
    expanded = {}
    for key, value in section.items():
        if not key.startswith("Fn::ForEach::"):
            expanded[key] = value
            continue
        identifier, collection, fragment = value
        if not isinstance(collection, list):
            raise SystemExit(f"{key}: only a literal list of values can be expanded here")
        for item in collection:
            copy = substitute(fragment, identifier, str(item))
            expanded.update(expand_for_each(copy))
    return expanded


def substitute(value, identifier, item):
    if isinstance(value, str):
        return value.replace("${" + identifier + "}", item).replace("&{" + identifier + "}", item)
    if isinstance(value, list):
        return [substitute(v, identifier, item) for v in value]
    if isinstance(value, dict):
        return {substitute(k, identifier, item): substitute(v, identifier, item) for k, v in value.items()}
    return value


def table_definition(template):
    """Key schema, attribute definitions and indexes of the one DynamoDB table."""
    tables = [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    if len(tables) != 1:
        raise SystemExit(f"template.yaml must declare exactly one table, found {len(tables)}")
    props = tables[0]["Properties"]
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": [
            {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection")}
            for gsi in props.get("GlobalSecondaryIndexes", [])
        ],
        "StreamSpecification": {"StreamEnabled": True, **props["StreamSpecification"]},
    }


def ttl_attribute(template):
    """The table's TTL attribute name."""
    tables = [r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table"]
    return tables[0]["Properties"]["TimeToLiveSpecification"]["AttributeName"]


def template_routes(template):
    """(method, path, binary) for every HttpApi event of every function."""
    routes = []
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        binary = resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary")
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "HttpApi":
                p = event["Properties"]
                routes.append({"method": p.get("Method", "ANY").upper(), "path": p.get("Path", "$default"), "function": binary})
    return routes


def permissions(resource):
    """A function's inline policy statements, one {"action", "resource", "condition"} per
    action and resource (intrinsics and conditions as canonical JSON text), sorted."""
    result = set()
    for policy in resource["Properties"].get("Policies", []) or []:
        if isinstance(policy, str):  # a managed policy or SAM policy template by name
            result.add((f"policy:{policy}", "", ""))
            continue
        for statement in policy.get("Statement", []):
            if statement.get("Effect") != "Allow":
                raise SystemExit(f"only Allow statements are described: {statement}")
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            condition = json.dumps(statement["Condition"], sort_keys=True) if "Condition" in statement else ""
            for action in actions:
                for target in resources:
                    text = target if isinstance(target, str) else json.dumps(target, sort_keys=True)
                    result.add((action, text, condition))
    return [{"action": a, "resource": r, "condition": c} for a, r, c in sorted(result)]


def functions(template):
    """Every function: its logical id, binary, LoggingConfig.LogGroup, alarms and inline
    policy statements."""
    resources = template["Resources"]
    alarms = {}
    for resource in resources.values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            props = resource["Properties"]
            for dim in props.get("Dimensions", []):
                if dim["Name"] == "FunctionName":
                    value = dim["Value"]  # {"Fn::Ref": id} or {"Fn::Sub": "${id}"}
                    target = value.get("Fn::Ref") or value.get("Fn::Sub", "").strip("${}")
                    alarms.setdefault(target, []).append(props["MetricName"])
    result = []
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        log_group = resource["Properties"].get("LoggingConfig", {}).get("LogGroup", {})
        result.append({
            "logicalId": logical_id,
            "binary": resource.get("Metadata", {}).get("BuildProperties", {}).get("Binary"),
            "logGroup": log_group.get("Fn::Ref") if isinstance(log_group, dict) else None,
            "alarms": sorted(alarms.get(logical_id, [])),
            "permissions": permissions(resource),
        })
    return result


def watch_routes():
    """(method, path, binary) from Cargo.toml's cargo lambda watch router."""
    with open(CARGO_TOML, "rb") as f:
        cargo = tomllib.load(f)
    router = cargo["workspace"]["metadata"]["lambda"]["watch"]["router"]
    routes = []
    for path, target in router.items():
        entries = target if isinstance(target, list) else [{"function": target}]
        for entry in entries:
            routes.append({"method": entry.get("method", "ANY"), "path": path, "function": entry["function"]})
    return routes


def describe():
    template = load_template()
    print(json.dumps({
        "table": {**table_definition(template), "TimeToLiveAttribute": ttl_attribute(template)},
        "routes": template_routes(template),
        "watchRoutes": watch_routes(),
        "functions": functions(template),
    }, indent=2))


def expand(args):
    text = json.dumps(load_template(cfn=True), indent=1)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        print(text)


class TrustPolicies:
    """WSGI wrapper of moto's server that makes sts:AssumeRole answer as real STS does.

    moto's STS lets anyone assume any role, so a tenant's aws-integration step could never
    fail locally. Real STS refuses (AccessDenied) unless the role exists and its trust
    policy lets the caller in, with the right sts:ExternalId when the policy names one.
    This wrapper checks both against moto's own IAM (`localdb.py role` creates such a role)
    and answers AccessDenied in STS's XML error shape otherwise; every other request goes
    to moto unchanged."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(body)
            params = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            if params.get("Action") == ["AssumeRole"]:
                arn = params.get("RoleArn", [""])[0]
                why = self.refusal(arn, params.get("ExternalId", [None])[0])
                if why:
                    return self.deny(start_response, arn, why)
        return self.app(environ, start_response)

    @staticmethod
    def refusal(arn, external_id):
        from moto.iam.models import iam_backends

        parts = arn.split(":")
        if len(parts) < 6 or parts[2] != "iam":
            return "not a role ARN"
        try:
            role = iam_backends[parts[4]]["global"].get_role_by_arn(arn)
        except Exception:
            return "the role does not exist"
        document = role.assume_role_policy_document
        if isinstance(document, str):
            document = json.loads(urllib.parse.unquote(document))
        for statement in document.get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            wanted = statement.get("Condition", {}).get("StringEquals", {}).get("sts:ExternalId")
            if wanted is None or wanted == external_id:
                return None
        return "the trust policy does not allow this external id"

    @staticmethod
    def deny(start_response, arn, why):
        body = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
            "<Type>Sender</Type><Code>AccessDenied</Code>"
            f"<Message>User: arn:aws:iam::123456789012:user/local is not authorized to perform: "
            f"sts:AssumeRole on resource: {arn} ({why})</Message></Error>"
            "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
        ).encode()
        start_response("403 Forbidden", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]


class SentMail:
    """WSGI wrapper of moto's server that answers `GET /_local/ses/sent` with every email
    moto's SES accepted, oldest first, as JSON: `[{source, destinations, subject, body}]`.

    moto's own `/moto-api/data.json` says the same, but serializes every model of every
    service to do it (all tables and their items): measured, 96 % of the server's CPU
    during the integration tests went there. This reads the SES messages alone."""

    PATH = "/_local/ses/sent"

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != self.PATH:
            return self.app(environ, start_response)
        from moto.core.model_instances import model_data

        model = model_data.get("ses", {}).get("Message")
        messages = [
            {"source": m.source, "destinations": m.destinations, "subject": m.subject, "body": m.body}
            for m in (model.instances_tracked if model else [])
        ]
        body = json.dumps(messages).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def undo_logged_transactions():
    """Makes moto's TransactWriteItems keep an undo log of the items it names instead of
    deep-copying every table it touches.

    moto snapshots each table of a transaction whole (every item, every stream record)
    with copy.deepcopy before applying it, so that it can roll back: a cost that grows
    with the table. Profiled during the integration tests, that copy was 95 % of the
    server's CPU. A transaction changes only the items it names (at most 100), so saving
    those and the length of each table's stream, and putting them back on failure, rolls
    back exactly as much. Everything else (conditions, their evaluation order, the
    cancellation reasons, the stream records of a transaction that succeeds) stays moto's.
    """
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    # moto's own snapshot becomes the live table itself (restoring it changes nothing);
    # every other deep copy it makes (an item's old image in update_item) stays one.
    models.copy = types.SimpleNamespace(
        deepcopy=lambda value, memo=None: value if isinstance(value, Table) else copy.deepcopy(value, memo))

    apply = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved, streams = [], {}
        for entry in transact_items:
            for op in entry.values() if isinstance(entry, dict) else []:
                table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
                if table is None:
                    continue
                key = op.get("Item") if "Item" in op else op.get("Key")
                try:
                    hash_value = DynamoType(key[table.hash_key_attr])
                    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
                except (KeyError, TypeError):
                    continue  # a malformed key: moto refuses the whole request before writing
                saved.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
                if table.stream_shard is not None:
                    streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
        try:
            return apply(self, transact_items)
        except BaseException:
            for table, hash_value, range_value, item in reversed(saved):
                if table.range_key_attr:
                    if item is None:
                        table.items[hash_value].pop(range_value, None)
                    else:
                        table.items[hash_value][range_value] = item
                elif item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
            for shard, length in streams.values():
                del shard.items[length:]
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items


def console_session(args):
    """Stores a console session item as shared/src/store/console.rs does: keyed by the
    SHA-256 of the cookie value, expiring (TTL) an hour from now."""
    import hashlib
    import time

    import boto3

    dynamodb = boto3.client("dynamodb", endpoint_url=args.endpoint, region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    digest = hashlib.sha256(args.cookie.encode()).hexdigest()
    now = int(time.time())
    dynamodb.put_item(TableName=args.table, Item={
        "PK": {"S": f"CONSOLESESSION#{digest}"},
        "SK": {"S": "CONSOLESESSION"},
        "entity": {"S": "consoleSession"},
        "claims": {"S": json.dumps(json.loads(args.claims), separators=(",", ":"))},
        "csrfToken": {"S": f"csrf-{args.cookie}"},
        "createdAt": {"S": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))},
        "expiresAt": {"N": str(now + 3600)},
    })


def role(args):
    """Creates (or deletes) a customer role in the local IAM that trusts the platform with
    `--external-id`."""
    import boto3

    iam = boto3.client("iam", endpoint_url=args.endpoint, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    name = args.arn.rsplit("/", 1)[-1]
    if args.delete:
        try:
            iam.delete_role(RoleName=name)
        except iam.exceptions.NoSuchEntityException:
            pass
        return
    statement = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                 "Action": "sts:AssumeRole"}
    if args.external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": args.external_id}}
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    try:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)
    except iam.exceptions.EntityAlreadyExistsException:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=document)


def serve(args):
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import boto3
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    undo_logged_transactions()
    app = SentMail(TrustPolicies(DomainDispatcherApplication(create_backend_app)))
    server = make_server(args.host, args.port, app, threaded=False)
    endpoint = f"http://{args.host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    if args.table:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        existing = client.list_tables()["TableNames"]
        if args.table not in existing:
            template = load_template()
            client.create_table(TableName=args.table, BillingMode="PAY_PER_REQUEST", **table_definition(template))
            client.update_time_to_live(
                TableName=args.table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute(template)},
            )

    if args.events:
        local_bus(endpoint)
    if args.mail_sender:
        # moto's SES refuses to send from an identity that is not verified, as SES does.
        boto3.client("sesv2", endpoint_url=endpoint, region_name="us-east-1").create_email_identity(
            EmailIdentity=args.mail_sender)

    print(f"READY {endpoint}", flush=True)
    if args.exit_on_stdin_eof:
        # The parent (a test run) holds our stdin; when it exits, so do we.
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    try:
        thread.join()
    except KeyboardInterrupt:
        pass


LOCAL_BUS = "tenant-events"
LOCAL_QUEUE = "tenant-events-local"
PROVISIONING_QUEUE = "tenant-provisioning-local"


def provisioning_pattern():
    """The event pattern of template.yaml's ProvisioningRule."""
    rules = [r for r in load_template()["Resources"].values()
             if r["Type"] == "AWS::Events::Rule" and "EventPattern" in r["Properties"]]
    if len(rules) != 1:
        raise SystemExit(f"template.yaml must declare exactly one rule with a pattern, found {len(rules)}")
    return rules[0]["Properties"]["EventPattern"]


def local_bus(endpoint):
    """The local event bus (EVENT_BUS_NAME of Cargo.toml's watch environment) with a rule
    copying every tenant-api event to the queue LOCAL_QUEUE, where `make -s bus-events`
    reads them. The rule targets SQS, never Lambda: a Lambda target makes moto's PutEvents
    fail (it tries to start Docker)."""
    import boto3

    events = boto3.client("events", endpoint_url=endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    if LOCAL_BUS not in [b["Name"] for b in events.list_event_buses()["EventBuses"]]:
        events.create_event_bus(Name=LOCAL_BUS)
    url = sqs.create_queue(QueueName=LOCAL_QUEUE)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="all-tenant-events", EventBusName=LOCAL_BUS,
                    EventPattern=json.dumps({"source": ["tenant-api"]}))
    events.put_targets(Rule="all-tenant-events", EventBusName=LOCAL_BUS,
                       Targets=[{"Id": "local-queue", "Arn": arn}])
    # The provisioning queue, fed as in AWS by the template's own rule; the dev pump
    # drives provision-tenant from it (tests/support/devpump.py).
    url = sqs.create_queue(QueueName=PROVISIONING_QUEUE, Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="provisioning", EventBusName=LOCAL_BUS, EventPattern=json.dumps(provisioning_pattern()))
    events.put_targets(Rule="provisioning", EventBusName=LOCAL_BUS,
                       Targets=[{"Id": "provisioning-queue", "Arn": arn}])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--table", default=None)
    s.add_argument("--exit-on-stdin-eof", action="store_true")
    s.add_argument("--events", action="store_true", help="also create the local event bus and its queues")
    s.add_argument("--mail-sender", default=None, help="verify this SES sender identity")
    r = sub.add_parser("role")
    r.add_argument("--endpoint", required=True)
    r.add_argument("--arn", required=True)
    r.add_argument("--external-id", default=None)
    r.add_argument("--delete", action="store_true")
    c = sub.add_parser("console-session")
    c.add_argument("--endpoint", required=True)
    c.add_argument("--cookie", required=True)
    c.add_argument("--claims", default='{"sub": "console-admin", "roles": ["platform_admin"]}')
    c.add_argument("--table", default="tenants")
    sub.add_parser("describe")
    e = sub.add_parser("expand")
    e.add_argument("--output", default=None)
    args = parser.parse_args()
    if args.command == "describe":
        describe()
    elif args.command == "expand":
        expand(args)
    elif args.command == "role":
        role(args)
    elif args.command == "console-session":
        console_session(args)
    else:
        serve(args)


if __name__ == "__main__":
    main()
