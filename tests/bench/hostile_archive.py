#!/usr/bin/python3
"""hostile_archive.py KIND N - write a hostile mongodump archive on stdout
for the bounds of bk-restore (tests/bench/bench-bounds-db.sh, tests/0308):

  meta N    N namespaces, each with 15 MiB of metadata (valid JSON)
  ns N      N empty namespaces, each closed by its EOF block
"""
import struct
import sys

import bson

MAGIC = 0x8199E26D
TERM = b"\xff\xff\xff\xff"


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    out = sys.stdout.buffer
    out.write(struct.pack("<I", MAGIC))
    out.write(bson.encode({"concurrent_collections": 1, "version": "0.1",
                           "server_version": "", "tool_version": "hostile"}))
    md = ""
    if kind == "meta":
        md = "{" + " " * (15 * 1024 * 1024 - 2) + "}"
    for i in range(n):
        out.write(bson.encode({"db": "d", "collection": "c%d" % i,
                               "metadata": md, "size": 0,
                               "type": "collection"}))
    out.write(TERM)
    for i in range(n):
        out.write(bson.encode({"db": "d", "collection": "c%d" % i,
                               "EOF": True, "CRC": bson.int64.Int64(0)}))
        out.write(TERM)
    out.flush()


if __name__ == "__main__":
    main()
