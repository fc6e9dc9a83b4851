#!/usr/bin/env python3
"""A tiny authoritative DNS server on loopback for domain verification (development and
tests only): it answers TXT queries from a folder of record files and nothing else.

  localdns.py serve --records DIR [--port 8053] [--exit-on-stdin-eof]
      Serves UDP on 127.0.0.1 (port 0 picks a free one) and prints "READY <port>". A TXT
      query for NAME is answered with the lines of DIR/NAME (lower case, no trailing dot),
      one TXT record per line, TTL 0; a name without a file gets NXDOMAIN; any other
      query type gets an empty answer.
  localdns.py publish --records DIR NAME VALUE
      Adds VALUE to NAME's TXT records (what `make dns-record` runs).

Files are read on every query, so a record is visible the moment it is written.
"""

import argparse
import os
import socket
import struct
import sys
import threading

TXT, IN = 16, 1


def parse_question(packet):
    """(id, flags, qname, qtype, end of question) of a query."""
    ident, flags, qdcount = struct.unpack(">HHH", packet[:6])
    if qdcount != 1:
        raise ValueError("one question expected")
    labels, i = [], 12
    while True:
        length = packet[i]
        if length == 0:
            i += 1
            break
        if length & 0xC0:
            raise ValueError("compressed question names are not expected")
        labels.append(packet[i + 1:i + 1 + length].decode("ascii", "replace"))
        i += 1 + length
    qtype, qclass = struct.unpack(">HH", packet[i:i + 4])
    return ident, flags, ".".join(labels).lower(), qtype, qclass, i + 4


def records_of(directory, name):
    path = os.path.join(directory, name)
    if not name or "/" in name or name.startswith(".") or not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def answer(packet, directory):
    ident, flags, name, qtype, qclass, end = parse_question(packet)
    question = packet[12:end]
    values = records_of(directory, name)
    rd = flags & 0x0100
    if values is None:
        # NXDOMAIN, authoritative.
        header = struct.pack(">HHHHHH", ident, 0x8400 | rd | 3, 1, 0, 0, 0)
        return header + question
    answers = b""
    count = 0
    if qtype == TXT and qclass == IN:
        for value in values:
            data = value.encode("utf-8")
            chunks = [data[i:i + 255] for i in range(0, len(data), 255)] or [b""]
            rdata = b"".join(bytes([len(c)]) + c for c in chunks)
            # The name as a pointer to the question (offset 12).
            answers += struct.pack(">HHHIH", 0xC00C, TXT, IN, 0, len(rdata)) + rdata
            count += 1
    header = struct.pack(">HHHHHH", ident, 0x8400 | rd, 1, count, 0, 0)
    return header + question + answers


def serve(args):
    os.makedirs(args.records, exist_ok=True)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", args.port))
    print(f"READY {sock.getsockname()[1]}", flush=True)
    if args.exit_on_stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    while True:
        packet, peer = sock.recvfrom(4096)
        try:
            sock.sendto(answer(packet, args.records), peer)
        except (ValueError, IndexError, struct.error):
            continue  # not a query we answer: let the client time out


def publish(args):
    os.makedirs(args.records, exist_ok=True)
    name = args.name.lower().rstrip(".")
    with open(os.path.join(args.records, name), "a", encoding="utf-8") as f:
        f.write(args.value + "\n")
    print(f"published TXT {name} \"{args.value}\"")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--records", required=True)
    s.add_argument("--port", type=int, default=8053)
    s.add_argument("--exit-on-stdin-eof", action="store_true")
    p = sub.add_parser("publish")
    p.add_argument("--records", required=True)
    p.add_argument("name")
    p.add_argument("value")
    args = parser.parse_args()
    serve(args) if args.command == "serve" else publish(args)


if __name__ == "__main__":
    main()
