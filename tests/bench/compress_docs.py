#!/usr/bin/python3
"""compress_docs.py - the two datasets of tests/bench/bench-compress.sh.

  compress_docs.py text URI DB N
      N documents whose text comes from a small vocabulary (2,000 words,
      Zipf-distributed): product records with a 20-60 word description,
      0-3 comments of 5-30 words, names, cities, statuses, dates, numbers
  compress_docs.py small URI DB N
      N short documents whose text comes from a tiny vocabulary (20 words
      drawn uniformly, as from a word list): name, city, status, a number
      and 5-15 words of text; gzip -6 stores these smaller than zstd -3
  compress_docs.py ordinary URI DB N
      N documents of mixed types with little repeated text: random
      ObjectIds, UUIDs, hex tokens, free numbers, short random binaries,
      nested customer records (the shape of seed_mongo.py's orders)

Deterministic: the same N gives the same documents.  The text datasets
have _ids as a driver makes them; the ordinary one has random _ids.
Prints N.
"""
import datetime
import itertools
import random
import sys
import uuid

import bson
from pymongo import MongoClient

SYL = ["ka", "lo", "mi", "ne", "ru", "ta", "ve", "shi", "zo", "pa", "qu",
       "er", "an", "ol", "is", "um", "bri", "sto", "gan", "del", "fa", "ho",
       "ji", "wu", "xe", "yo", "tre", "pli", "mon", "sar"]


def vocabulary(rng, n):
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYL) for _ in range(rng.randint(1, 4))))
    words = sorted(words)
    rng.shuffle(words)
    return words


def oid(rng):
    return bson.ObjectId(rng.randbytes(12))


def driver_oids(rng, t0):
    """ObjectIds as one client makes them: seconds, a process value, a
    counter."""
    proc = rng.randbytes(5)
    count = rng.randrange(1 << 24)
    i = 0
    while True:
        yield bson.ObjectId((t0 + i // 2000).to_bytes(4, "big") + proc +
                            ((count + i) % (1 << 24)).to_bytes(3, "big"))
        i += 1


def text_docs(n):
    rng = random.Random(20261127)
    vocab = vocabulary(rng, 2000)
    weights = [1.0 / (r + 1) for r in range(len(vocab))]
    first = vocab[:150]
    last = vocab[150:450]
    cities = [w.capitalize() for w in vocab[450:530]]
    status = ["new", "paid", "shipped", "delivered", "returned", "cancelled"]
    t0 = datetime.datetime(2025, 1, 1)
    ids = driver_oids(rng, 1764000000)

    def words(lo, hi):
        return " ".join(rng.choices(vocab, weights, k=rng.randint(lo, hi)))

    for i in range(n):
        yield {
            "_id": next(ids),
            "sku": "SKU-%06d" % rng.randrange(50000),
            "name": words(2, 5).title(),
            "description": words(20, 60),
            "customer": {"first": rng.choice(first).capitalize(),
                         "last": rng.choice(last).capitalize(),
                         "city": rng.choice(cities)},
            "status": rng.choice(status),
            "created": t0 + datetime.timedelta(seconds=i * 97 +
                                               rng.randrange(90)),
            "price": round(rng.uniform(1, 500), 2),
            "qty": rng.randrange(1, 20),
            "tags": rng.choices(vocab[:300], k=rng.randint(1, 4)),
            "comments": [{"by": rng.choice(first).capitalize(),
                          "text": words(5, 30),
                          "stars": rng.randint(1, 5)}
                         for _ in range(rng.randint(0, 3))],
        }


def small_docs(n):
    rng = random.Random(20261129)
    vocab = vocabulary(rng, 20)
    status = ["open", "closed"]
    ids = driver_oids(rng, 1764000000)
    for i in range(n):
        yield {
            "_id": next(ids),
            "name": rng.choice(vocab) + " " + rng.choice(vocab),
            "status": rng.choice(status),
            "n": rng.randrange(100),
            "text": " ".join(rng.choices(vocab, k=rng.randint(5, 15))),
        }


def ordinary_docs(n):
    rng = random.Random(20261128)
    t0 = datetime.datetime(2026, 1, 1)
    for i in range(n):
        yield {
            "_id": oid(rng),
            "sku": "sku-%05d" % rng.randrange(99991),
            "qty": rng.randrange(1000),
            "customer": {"name": "Kunde %d" % rng.randrange(10 ** 7),
                         "id": bson.Binary.from_uuid(
                             uuid.UUID(bytes=rng.randbytes(16))),
                         "tags": [rng.randbytes(4).hex()
                                  for _ in range(rng.randint(0, 3))]},
            "when": t0 + datetime.timedelta(milliseconds=rng.randrange(
                3 * 10 ** 10)),
            "amount": rng.lognormvariate(3, 1.5),
            "ratio": rng.random(),
            "counter": bson.int64.Int64(rng.randrange(2 ** 62)),
            "token": rng.randbytes(rng.randint(8, 24)).hex(),
            "blob": bson.Binary(rng.randbytes(rng.randint(16, 64))),
            "ref": oid(rng),
            "flag": rng.random() < 0.5,
            "note": None if rng.random() < 0.7 else
            "ref %s/%d" % (rng.randbytes(3).hex(), rng.randrange(10 ** 6)),
        }


def main():
    a = sys.argv[1:]
    kinds = {"text": text_docs, "small": small_docs,
             "ordinary": ordinary_docs}
    if len(a) != 4 or a[0] not in kinds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    kind, uri, db, n = a[0], a[1], a[2], int(a[3])
    c = MongoClient(uri)
    c.drop_database(db)
    docs = kinds[kind](n)
    while batch := list(itertools.islice(docs, 5000)):
        c[db].docs.insert_many(batch, ordered=False)
    c[db].docs.create_index("sku")
    print(n)


if __name__ == "__main__":
    main()
