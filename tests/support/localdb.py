#!/usr/bin/env python3
"""Local DynamoDB for development and tests: moto's server, single-threaded.

moto's server loses writes under concurrent writers, so requests are served one at a time
(werkzeug, threaded=False). The tenant table is created from template.yaml's own
definition, so local runs use exactly the table that SAM deploys.

  localdb.py serve [--port 8000] [--table tenants] [--exit-on-stdin-eof]
      Serve on 127.0.0.1 (port 0 picks a free port); prints "READY <endpoint>" once the
      table exists. With --exit-on-stdin-eof it stops when its parent closes stdin.
  localdb.py describe
      Print, as JSON, the table definition and routes declared by template.yaml and the
      `cargo lambda watch` router of Cargo.toml (the drift tests compare them to the code).
"""

import argparse
import json
import os
import sys
import threading
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "template.yaml")
CARGO_TOML = os.path.join(ROOT, "Cargo.toml")


def load_template():
    """template.yaml as plain data; CloudFormation tags (!Ref, !Sub...) become {"Fn": ...}."""
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
        return {"Fn::" + suffix: value}

    Loader.add_multi_constructor("!", tagged)
    with open(TEMPLATE, encoding="utf-8") as f:
        return yaml.load(f, Loader=Loader)


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
    }


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
        "table": table_definition(template),
        "routes": template_routes(template),
        "watchRoutes": watch_routes(),
    }, indent=2))


def serve(args):
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    import boto3
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(args.host, args.port, app, threaded=False)
    endpoint = f"http://{args.host}:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    if args.table:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
        existing = client.list_tables()["TableNames"]
        if args.table not in existing:
            definition = table_definition(load_template())
            client.create_table(TableName=args.table, BillingMode="PAY_PER_REQUEST", **definition)

    print(f"READY {endpoint}", flush=True)
    if args.exit_on_stdin_eof:
        # The parent (a test run) holds our stdin; when it exits, so do we.
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    try:
        thread.join()
    except KeyboardInterrupt:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--table", default=None)
    s.add_argument("--exit-on-stdin-eof", action="store_true")
    sub.add_parser("describe")
    args = parser.parse_args()
    if args.command == "describe":
        describe()
    else:
        serve(args)


if __name__ == "__main__":
    main()
