#!/usr/bin/python3
"""seed_mongo.py - test data for bk-dump/bk-restore, and the comparison.

  seed_mongo.py seed URI [--small N] [--big-mib M]
      fill databases shop, media and empty_db... with every BSON type
      FerretDB stores, nested documents, a document of M MiB (default 9),
      N small documents (default 5000), unicode collection and field
      names, an empty collection and secondary/unique/compound indexes
  seed_mongo.py compare URI1 DB1[,DB1b..] URI2 DB2[,DB2b..]
      every collection of DB1 equals its namesake in DB2 (same order of
      databases), document by document as raw BSON, with the same
      indexes; prints a line per collection, exits 1 on a difference
  seed_mongo.py bulk URI DB MB
      MB megabytes of ~1 KiB documents in DB.bulk (for the benchmark)
"""
import datetime
import sys
import uuid

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import ASCENDING, DESCENDING, MongoClient


def every_type(i):
    return {
        "_id": bson.ObjectId(),
        "double": 3.5 + i,
        "string": "héllo wörld ☃ %d" % i,
        "doc": {"a": 1, "b": {"c": [1, 2, {"d": "deep"}]}},
        "array": [1, "two", 3.0, {"four": 4}, None, True],
        "binary": bson.Binary(bytes(range(256)) * 2),
        "uuid": bson.Binary.from_uuid(uuid.UUID(int=i + 1)),
        "objectId": bson.ObjectId(),
        "bool": i % 2 == 0,
        "date": datetime.datetime(2026, 11, 26, 12, 0, 0, 123000),
        "null": None,
        "regex": bson.Regex("^ab+c$", "i"),
        "int32": 2 ** 31 - 1 - i,
        "timestamp": bson.Timestamp(1700000000 + i, 1),
        "int64": bson.int64.Int64(2 ** 62 + i),
        "ünïcode_ключ": "значение",
    }


def seed(uri, small, big_mib):
    c = MongoClient(uri, serverSelectionTimeoutMS=20000)
    for db in ("shop", "media", "empty_db"):
        c.drop_database(db)
    shop = c.shop
    shop.types.insert_many([every_type(i) for i in range(50)])
    shop.orders.insert_many(
        [{"_id": i, "sku": "sku-%05d" % (i % 997), "qty": i % 13,
          "customer": {"name": "Kunde %d" % i, "tags": ["a", "b"]},
          "when": datetime.datetime(2026, 1, 1) + datetime.timedelta(minutes=i)}
         for i in range(small)])
    shop.orders.create_index("sku")
    shop.orders.create_index([("sku", ASCENDING), ("qty", DESCENDING)],
                             name="sku_qty")
    shop.orders.create_index("customer.name", unique=True)
    shop["zakázky_☃"].insert_many([{"_id": "ü%d" % i, "v": i} for i in range(10)])
    shop.create_collection("nothing_here")
    media = c.media
    media.blobs.insert_one({"_id": "big", "data": bson.Binary(
        bytes(range(256)) * (big_mib * 4096))})
    media.blobs.insert_one({"_id": "big2", "text": "x" * (8 * 1024 * 1024 + 5)})
    media.blobs.insert_one({"_id": "small", "n": 1})
    media.blobs.create_index("n", unique=True, sparse=True)
    print("seeded")


def raw_docs(coll):
    return [d.raw for d in coll.find().sort("_id", ASCENDING)]


def index_set(coll):
    out = []
    for i in coll.list_indexes():
        out.append((i["name"], tuple(i["key"].items()),
                    bool(i.get("unique")), bool(i.get("sparse"))))
    return sorted(out)


def compare(uri1, dbs1, uri2, dbs2, indexes=True):
    opts = CodecOptions(document_class=RawBSONDocument)
    c1, c2 = MongoClient(uri1), MongoClient(uri2)
    bad = 0
    for d1, d2 in zip(dbs1.split(","), dbs2.split(",")):
        names1 = sorted(n for n in c1[d1].list_collection_names()
                        if not n.startswith("system."))
        names2 = sorted(n for n in c2[d2].list_collection_names()
                        if not n.startswith("system."))
        if names1 != names2:
            print("collections differ: %s %r vs %s %r" % (d1, names1, d2, names2))
            bad += 1
            continue
        for n in names1:
            a = raw_docs(c1[d1].get_collection(n, codec_options=opts))
            b = raw_docs(c2[d2].get_collection(n, codec_options=opts))
            ia, ib = index_set(c1[d1][n]), index_set(c2[d2][n])
            if not indexes:
                ia = ib = set()
            ok = a == b and ia == ib
            print("%s.%s -> %s.%s: %d docs, %d indexes: %s" %
                  (d1, n, d2, n, len(a), len(ia), "equal" if ok else "DIFFER"))
            if not ok:
                bad += 1
                if ia != ib:
                    print("  indexes %r vs %r" % (ia, ib))
                if len(a) != len(b):
                    print("  counts %d vs %d" % (len(a), len(b)))
    sys.exit(1 if bad else 0)


def bulk(uri, db, mb):
    c = MongoClient(uri)
    c.drop_database(db)
    n = mb * 1024
    pad = "p" * 900
    batch = []
    for i in range(n):
        batch.append({"_id": i, "k": i % 1000, "s": pad, "f": i * 0.5})
        if len(batch) == 2000:
            c[db].bulk.insert_many(batch, ordered=False)
            batch = []
    if batch:
        c[db].bulk.insert_many(batch, ordered=False)
    c[db].bulk.create_index("k")
    print(n)


def main():
    a = sys.argv[1:]
    if a[:1] == ["seed"] and len(a) >= 2:
        small, big = 5000, 9
        if "--small" in a:
            small = int(a[a.index("--small") + 1])
        if "--big-mib" in a:
            big = int(a[a.index("--big-mib") + 1])
        seed(a[1], small, big)
    elif a[:1] == ["compare"] and len(a) == 5:
        compare(a[1], a[2], a[3], a[4])
    elif a[:1] == ["compare"] and len(a) == 6 and a[5] == "--no-indexes":
        compare(a[1], a[2], a[3], a[4], indexes=False)
    elif a[:1] == ["bulk"] and len(a) == 4:
        bulk(a[1], a[2], int(a[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
