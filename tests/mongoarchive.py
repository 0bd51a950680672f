#!/usr/bin/python3
"""mongoarchive.py - an independent reader and writer of the mongodump
--archive format, written from mongo-tools common/archive/spec.md with the
bson module that ships with pymongo (no bk code involved), to check bk-dump
and bk-restore against the spec rather than against each other.

  mongoarchive.py validate [FILE]      check structure and CRCs; print a
                                       JSON summary; exit 1 if invalid
  mongoarchive.py write URI DB... [--segment N]
                                       write an archive of those databases
                                       on stdout, segments of N documents,
                                       namespaces interleaved round-robin
  mongoarchive.py craft SPEC.json      write a hand-made (possibly hostile)
                                       archive on stdout: SPEC is a list of
                                       {"db", "collection", "metadata" (a
                                       string, or an object to encode),
                                       "type", "docs" (Extended JSON
                                       objects), "rawdocs" (hex strings of
                                       raw document bytes)}; CRCs are right
"""
import json
import struct
import sys

import bson
import bson.json_util
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient

MAGIC = 0x8199E26D
TERM = b"\xff\xff\xff\xff"
DOC_MAX = 16 * 1024 * 1024


def _crc_table():
    poly = 0xC96C5795D7870F42
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table


CRC_TABLE = _crc_table()


def crc64(crc, data):
    """CRC-64/XZ (Go crc64.ECMA): reflected, init and xorout all ones."""
    crc ^= 0xFFFFFFFFFFFFFFFF
    t = CRC_TABLE
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFFFFFFFFFF


assert crc64(0, b"123456789") == 0x995DC9BBDF1939FA


class Bad(Exception):
    pass


class Reader:
    def __init__(self, f):
        self.f = f
        self.off = 0

    def read(self, n):
        b = self.f.read(n)
        self.off += len(b)
        return b

    def word(self, what, eof_ok=False):
        at = self.off
        b = self.read(4)
        if not b and eof_ok:
            return None
        if len(b) < 4:
            raise Bad("truncated at byte %d reading %s" % (at, what))
        return struct.unpack("<I", b)[0]

    def doc(self, n, at, what):
        if n < 5 or n > DOC_MAX:
            raise Bad("%s at byte %d: bad length %d" % (what, at, n))
        rest = self.read(n - 4)
        if len(rest) < n - 4:
            raise Bad("truncated inside %s at byte %d" % (what, at))
        raw = struct.pack("<I", n) + rest
        if raw[-1] != 0:
            raise Bad("%s at byte %d: no final NUL" % (what, at))
        return raw


def validate(f):
    r = Reader(f)
    if r.word("magic") != MAGIC:
        raise Bad("bad magic")
    at = r.off
    header = bson.decode(r.doc(r.word("header"), at, "header"))
    if header.get("version") != "0.1":
        raise Bad("format version %r" % header.get("version"))
    for k in ("concurrent_collections", "server_version", "tool_version"):
        if k not in header:
            raise Bad("header lacks %s" % k)
    order = []
    ns = {}
    while True:
        at = r.off
        n = r.word("prelude")
        if n == 0xFFFFFFFF:
            break
        m = bson.decode(r.doc(n, at, "metadata"))
        if list(m.keys())[:4] != ["db", "collection", "metadata", "size"]:
            raise Bad("metadata fields %r" % list(m.keys()))
        if not isinstance(m["size"], int):
            raise Bad("size is not an integer")
        name = "%s.%s" % (m["db"], m["collection"])
        if m["metadata"]:
            md = json.loads(m["metadata"])
            if not isinstance(md.get("indexes"), list):
                raise Bad("%s: metadata without an indexes array" % name)
            if md.get("collectionName") != m["collection"]:
                raise Bad("%s: metadata collectionName differs" % name)
        order.append(name)
        ns[name] = {"docs": 0, "bytes": 0, "crc": 0, "closed": False,
                    "type": m.get("type", ""), "segments": 0}
    current = None
    while True:
        at = r.off
        if current is None:
            n = r.word("namespace header", eof_ok=True)
            if n is None:
                break
            if n == 0xFFFFFFFF:
                raise Bad("two terminators in a row at byte %d" % at)
            h = bson.decode(r.doc(n, at, "namespace header"))
            if list(h.keys()) != ["db", "collection", "EOF", "CRC"]:
                raise Bad("header fields %r at byte %d" % (list(h), at))
            name = "%s.%s" % (h["db"], h["collection"])
            if name not in ns:
                raise Bad("%s not in the prelude (byte %d)" % (name, at))
            s = ns[name]
            if s["closed"]:
                raise Bad("%s reopened at byte %d" % (name, at))
            if h["EOF"]:
                if r.word("terminator") != 0xFFFFFFFF:
                    raise Bad("no terminator after EOF at byte %d" % at)
                crc = h["CRC"] & 0xFFFFFFFFFFFFFFFF
                if crc != s["crc"]:
                    raise Bad("%s: CRC mismatch at byte %d: %x != %x" %
                              (name, at, crc, s["crc"]))
                s["closed"] = True
            else:
                if h["CRC"] != 0:
                    raise Bad("segment header CRC not 0 at byte %d" % at)
                current = name
                s["segments"] += 1
            continue
        n = r.word("document")
        if n == 0xFFFFFFFF:
            current = None
            continue
        raw = r.doc(n, at, "document of " + current)
        bson.decode(raw)  # must be valid BSON
        s = ns[current]
        s["crc"] = crc64(s["crc"], raw)
        s["docs"] += 1
        s["bytes"] += len(raw)
    if current is not None:
        raise Bad("ends inside a segment of %s" % current)
    for name in order:
        if not ns[name]["closed"]:
            raise Bad("%s never closed" % name)
    return {"header": {k: header[k] for k in header},
            "namespaces": {k: {"docs": v["docs"], "bytes": v["bytes"],
                               "segments": v["segments"],
                               "type": v["type"],
                               "crc": "%016x" % v["crc"]}
                           for k, v in ns.items()},
            "order": order, "bytes": r.off}


def enc(d):
    return bson.encode(d)


def nsheader(db, coll, eof, crc):
    # CRC is an unsigned value stored bit for bit in an int64.
    if crc >= 1 << 63:
        crc -= 1 << 64
    return enc({"db": db, "collection": coll, "EOF": eof,
                "CRC": bson.int64.Int64(crc)})


def write(uri, dbs, segment):
    out = sys.stdout.buffer
    c = MongoClient(uri, document_class=RawBSONDocument)
    plain = MongoClient(uri)
    nss = []
    for db in dbs:
        for info in plain[db].list_collections():
            if info["name"].startswith("system."):
                continue
            idx = list(plain[db][info["name"]].list_indexes())
            md = {"indexes": [dict(i) for i in idx],
                  "collectionName": info["name"], "type": "collection"}
            if info.get("options"):
                md = dict(options=info["options"], **md)
            nss.append((db, info["name"],
                        bson.json_util.dumps(md, json_options=bson.json_util.CANONICAL_JSON_OPTIONS)))
    out.write(struct.pack("<I", MAGIC))
    out.write(enc({"concurrent_collections": 1, "version": "0.1",
                   "server_version": "", "tool_version": "mongoarchive.py"}))
    for db, coll, md in nss:
        out.write(enc({"db": db, "collection": coll, "metadata": md,
                       "size": 0, "type": "collection"}))
    out.write(TERM)
    cursors = [(db, coll, c[db][coll].find().batch_size(segment), [0])
               for db, coll, _ in nss]
    live = list(cursors)
    while live:
        for cur in list(live):
            db, coll, it, crc = cur
            docs = []
            for d in it:
                docs.append(d.raw)
                if len(docs) >= segment:
                    break
            if docs:
                out.write(nsheader(db, coll, False, 0))
                for raw in docs:
                    crc[0] = crc64(crc[0], raw)
                    out.write(raw)
                out.write(TERM)
            if len(docs) < segment:
                out.write(nsheader(db, coll, True, crc[0]))
                out.write(TERM)
                live.remove(cur)
    out.flush()


def craft(spec):
    out = sys.stdout.buffer
    nss = json.load(open(spec))
    out.write(struct.pack("<I", MAGIC))
    out.write(enc({"concurrent_collections": 1, "version": "0.1",
                   "server_version": "", "tool_version": "craft"}))
    for ns in nss:
        md = ns.get("metadata", "")
        if not isinstance(md, str):
            md = json.dumps(md)
        out.write(enc({"db": ns["db"], "collection": ns["collection"],
                       "metadata": md, "size": 0,
                       "type": ns.get("type", "collection")}))
    out.write(TERM)
    for ns in nss:
        raws = [bson.encode(bson.json_util.loads(json.dumps(d)))
                for d in ns.get("docs", [])]
        raws += [bytes.fromhex(h) for h in ns.get("rawdocs", [])]
        crc = 0
        if raws:
            out.write(nsheader(ns["db"], ns["collection"], False, 0))
            for raw in raws:
                crc = crc64(crc, raw)
                out.write(raw)
            out.write(TERM)
        out.write(nsheader(ns["db"], ns["collection"], True, crc))
        out.write(TERM)
    out.flush()


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "validate":
        f = open(sys.argv[2], "rb") if len(sys.argv) > 2 else sys.stdin.buffer
        try:
            print(json.dumps(validate(f), sort_keys=True, default=str))
        except Bad as e:
            print("mongoarchive.py: invalid archive: %s" % e, file=sys.stderr)
            sys.exit(1)
    elif len(sys.argv) == 3 and sys.argv[1] == "craft":
        craft(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "write":
        args = sys.argv[3:]
        segment = 100
        if "--segment" in args:
            i = args.index("--segment")
            segment = int(args[i + 1])
            del args[i:i + 2]
        write(sys.argv[2], args, segment)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
