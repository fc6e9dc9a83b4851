#!/usr/bin/env python3
"""The local stand-in for Lambda's event source mapping (development only, never deployed).

In AWS, the table's stream feeds publish-events through an event source mapping with a
filter (template.yaml, PublishEventsFunction). moto cannot run one (it would start Docker),
so this pump does its job against the local moto server and `cargo lambda watch`:

  devpump.py run [--endpoint URL] [--table tenants] [--invoke URL]
      Polls the table's stream, keeps the records the template's FilterCriteria pattern
      matches (read from template.yaml, so it is the same filter), and invokes
      publish-events with them as a Lambda DynamoDB stream event. A partial batch failure
      is retried from the record it names, as Lambda does. Every poll takes a fresh shard
      iterator after the last sequence number seen: an iterator kept across a cancelled
      transaction goes stale in moto.
      It also drives the local provisioning queue (fed by the template's ProvisioningRule
      on the local bus) into provision-tenant as Lambda's SQS event source mapping does
      (partial batch failures stay on the queue and come back), and prints every
      invitation link the local SES sends.
  devpump.py print-events [--endpoint URL] [--queue tenant-events-local] [--wait S]
      Prints (and removes) the events the local bus delivered to its queue, one line each.
  devpump.py invitations [--endpoint URL]
      Prints every invitation the local SES sent: recipient, link and token.
"""

import argparse
import datetime
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import localdb  # noqa: E402  (the template loader)

LOCAL_QUEUE = "tenant-events-local"
PROVISIONING_QUEUE = "tenant-provisioning-local"


def client(service, endpoint):
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def stream_filters():
    """The publisher's FilterCriteria patterns, from template.yaml."""
    template = localdb.load_template()
    props = template["Resources"]["PublishEventsFunction"]["Properties"]
    filters = props["Events"]["Stream"]["Properties"]["FilterCriteria"]["Filters"]
    return [json.loads(f["Pattern"]) for f in filters]


def matches(pattern, value):
    """Event-filter matching for the forms the template uses: nested objects, and lists
    of allowed values."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(k in value and matches(p, value[k]) for k, p in pattern.items())
    if isinstance(pattern, list):
        return value in pattern
    return pattern == value


def as_lambda_record(record, stream_arn):
    """A DynamoDB Streams API record as Lambda delivers it."""
    record = dict(record)
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime.datetime):
        change["ApproximateCreationDateTime"] = created.timestamp()
    record["dynamodb"] = change
    record["eventSourceARN"] = stream_arn
    return record


def invoke(url, records):
    body = json.dumps({"Records": records}, default=str).encode()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read() or b"{}")


def sent_invitations(endpoint):
    """(recipient, link, token) of every email moto's SES accepted that holds a link."""
    with urllib.request.urlopen(f"{endpoint}/_local/ses/sent", timeout=10) as response:
        messages = json.loads(response.read())
    found = []
    for message in messages:
        for word in str(message.get("body", "")).split():
            if "token=" in word:
                token = word.split("token=", 1)[1]
                found.append((", ".join(message.get("destinations", {}).get("ToAddresses", [])), word, token))
    return found


def pump_provisioning(sqs, url, invoke_url):
    """One poll of the provisioning queue into provision-tenant, as Lambda's SQS event
    source mapping: failed messages are left for redelivery after the visibility timeout."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                   AttributeNames=["All"]).get("Messages", [])
    if not messages:
        return
    records = [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": {},
        "md5OfBody": m.get("MD5OfBody"), "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{PROVISIONING_QUEUE}",
        "awsRegion": "us-east-1",
    } for m in messages]
    answer = invoke(invoke_url, records)
    failed = {f.get("itemIdentifier") for f in answer.get("batchItemFailures", [])}
    if "errorType" in answer:
        failed = {m["MessageId"] for m in messages}
    for m in messages:
        if m["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    done = len(messages) - len(failed)
    print(f"dev pump: provision-tenant handled {done} message(s)"
          + (f", {len(failed)} back on the queue" if failed else ""), flush=True)


def run(args):
    dynamodb = client("dynamodb", args.endpoint)
    streams = client("dynamodbstreams", args.endpoint)
    filters = stream_filters()
    url = f"{args.invoke.rstrip('/')}/2015-03-31/functions/publish-events/invocations"
    last = {}  # shard id -> last sequence number handled
    print(f"dev pump: stream of table {args.table} -> publish-events ({url})", flush=True)
    sqs = client("sqs", args.endpoint)
    provision_url = f"{args.invoke.rstrip('/')}/2015-03-31/functions/provision-tenant/invocations"
    mailed = None  # invitations seen so far (None: not read yet)
    while True:
        try:
            queue = sqs.get_queue_url(QueueName=PROVISIONING_QUEUE)["QueueUrl"]
            pump_provisioning(sqs, queue, provision_url)
            invitations = sent_invitations(args.endpoint)
            for to, link, _ in invitations[mailed or 0:] if mailed is not None else []:
                print(f"dev pump: invitation to {to}: {link}", flush=True)
            mailed = len(invitations)
        except Exception as e:  # the API or moto restarting: keep pumping
            print(f"dev pump: provisioning: {type(e).__name__}: {e}", flush=True)
        try:
            arn = dynamodb.describe_table(TableName=args.table)["Table"]["LatestStreamArn"]
            shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
            for shard in shards:
                shard_id = shard["ShardId"]
                if shard_id in last:
                    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                                    ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                                    SequenceNumber=last[shard_id])
                else:
                    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id,
                                                    ShardIteratorType="TRIM_HORIZON")
                records = streams.get_records(ShardIterator=it["ShardIterator"], Limit=100)["Records"]
                if not records:
                    continue
                wanted = [as_lambda_record(r, arn) for r in records
                          if any(matches(f, r) for f in filters)]
                if wanted:
                    answer = invoke(url, wanted)
                    failures = [f.get("itemIdentifier") for f in answer.get("batchItemFailures", [])]
                    if "errorType" in answer or failures:
                        # Lambda retries from the failed record: resume just before it.
                        failed = failures[0] if failures else wanted[0]["dynamodb"]["SequenceNumber"]
                        before = [r["dynamodb"]["SequenceNumber"] for r in records
                                  if int(r["dynamodb"]["SequenceNumber"]) < int(failed)]
                        if before:
                            last[shard_id] = before[-1]
                        print(f"dev pump: publish-events failed at {failed}; retrying", flush=True)
                        time.sleep(2)
                        continue
                    print(f"dev pump: published {len(wanted)} event(s)", flush=True)
                last[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        except Exception as e:  # the API or moto restarting: keep pumping
            print(f"dev pump: {type(e).__name__}: {e}", flush=True)
            time.sleep(2)
        time.sleep(args.interval)


def print_events(args):
    sqs = client("sqs", args.endpoint)
    url = sqs.get_queue_url(QueueName=args.queue)["QueueUrl"]
    deadline = time.time() + args.wait
    printed = 0
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for m in messages:
            event = json.loads(m["Body"])
            detail = event.get("detail", {})
            if args.json:
                print(json.dumps(detail), flush=True)
            else:
                print(f"{detail.get('occurredAt')}  {event.get('detail-type'):<22} "
                      f"tenant={detail.get('tenantId')} version={detail.get('version')} "
                      f"by={detail.get('actor', {}).get('id')} id={detail.get('eventId')}", flush=True)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            printed += 1
        if not messages:
            if time.time() >= deadline:
                return printed
            time.sleep(0.5)


def print_invitations(args):
    invitations = sent_invitations(args.endpoint)
    for to, link, token in invitations:
        print(f"{to}  {link}  INVITATION={token}")
    if not invitations:
        print("no invitation sent yet (a tenant with an ownerEmail, and make local running)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--endpoint", default="http://127.0.0.1:8042")
    r.add_argument("--table", default="tenants")
    r.add_argument("--invoke", default="http://127.0.0.1:9000")
    r.add_argument("--interval", type=float, default=0.5)
    p = sub.add_parser("print-events")
    p.add_argument("--endpoint", default="http://127.0.0.1:8042")
    p.add_argument("--queue", default=LOCAL_QUEUE)
    p.add_argument("--wait", type=float, default=0.0, help="keep waiting this many seconds for more")
    p.add_argument("--json", action="store_true", help="print each event's JSON")
    i = sub.add_parser("invitations")
    i.add_argument("--endpoint", default="http://127.0.0.1:8042")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    elif args.command == "invitations":
        print_invitations(args)
    else:
        print_events(args)


if __name__ == "__main__":
    main()
