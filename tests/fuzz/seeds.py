#!/usr/bin/python3
"""seeds.py OUTDIR - write a starting corpus for each fuzz target into
OUTDIR/NAME/: small valid inputs made by independent writers (pymongo's
bson for archives, Python's tarfile, the reference container writer
tests/bkcrypt_ref.py), from which the fuzzer mutates.  Nothing here is
committed output; it is made anew by make fuzz and make check."""
import hashlib
import io
import os
import struct
import sys
import tarfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import bson  # noqa: E402
import bkcrypt_ref  # noqa: E402
import mongoarchive  # noqa: E402

out = sys.argv[1]


def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def archive(nss, docs_per_ns, segment):
    enc = mongoarchive.enc
    b = [struct.pack("<I", mongoarchive.MAGIC),
         enc({"concurrent_collections": 1, "version": "0.1",
              "server_version": "7.0.0", "tool_version": "seeds"})]
    for db, coll, kind in nss:
        md = '{"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"}],"collectionName":"%s","type":"%s"}' % (coll, kind)
        b.append(enc({"db": db, "collection": coll, "metadata": md,
                      "size": 0, "type": kind}))
    b.append(mongoarchive.TERM)
    for db, coll, _ in nss:
        crc = 0
        docs = [enc({"_id": i, "s": "x" * i, "n": i * 1.5, "a": [i, {"k": i}]})
                for i in range(docs_per_ns)]
        for i in range(0, len(docs), segment):
            b.append(mongoarchive.nsheader(db, coll, False, 0))
            for d in docs[i:i + segment]:
                crc = mongoarchive.crc64(crc, d)
                b.append(d)
            b.append(mongoarchive.TERM)
        b.append(mongoarchive.nsheader(db, coll, True, crc))
        b.append(mongoarchive.TERM)
    return b"".join(b)


put("archive", "one", archive([("shop", "orders", "collection")], 3, 2))
put("archive", "two", archive([("a", "x", "collection"), ("b", "y.z", "")], 2, 1))
put("archive", "empty-ns", archive([("a", "e", "collection")], 0, 1))
put("archive", "view", archive([("a", "v", "view")], 0, 1))


for n, (db, coll, md) in enumerate((
        ("shop", "orders", '{"indexes":[{"v":{"$numberInt":"2"},"key":{"_id":{"$numberInt":"1"}},"name":"_id_"},{"v":{"$numberInt":"2"},"key":{"sku":{"$numberInt":"1"},"qty":{"$numberInt":"-1"}},"name":"sku_qty","unique":true,"partialFilterExpression":{"qty":{"$gt":{"$numberInt":"0"}}}}],"uuid":"0123456789abcdef0123456789abcdef","collectionName":"orders","type":"collection"}'),
        ("a", "xv", '{"options":{"viewOn":"x","pipeline":[{"$match":{"a":{"$numberInt":"1"}}}],"collation":{"locale":"fr"}},"indexes":[],"collectionName":"xv","type":"view"}'),
        ("b", "capped", '{"options":{"capped":true,"size":{"$numberLong":"4096"},"validator":{"$jsonSchema":{"required":["a"]}}},"indexes":[{"v":2,"key":{"t":1},"name":"t_1","expireAfterSeconds":60,"ns":"b.capped"}],"collectionName":"capped"}'),
        ("admin", "system.users", '{"options":{"$db":"admin"},"indexes":[]}'))):
    put("meta", "ns%d" % n, (db + "\0" + coll + "\0" + md).encode())


def tar(fmt, members):
    f = io.BytesIO()
    with tarfile.open(fileobj=f, mode="w", format=fmt) as t:
        for name, kind, data, link in members:
            i = tarfile.TarInfo(name)
            i.type, i.size, i.linkname, i.mode = kind, len(data), link, 0o644
            t.addfile(i, io.BytesIO(data) if data else None)
    return f.getvalue()


members = [("d", tarfile.DIRTYPE, b"", ""), ("d/f", tarfile.REGTYPE, b"hello\n", ""),
           ("d/l", tarfile.SYMTYPE, b"", "f"), ("d/h", tarfile.LNKTYPE, b"", "d/f"),
           ("n" * 150 + "/\u00e9t\u00e9", tarfile.REGTYPE, b"x" * 700, "")]
put("tar", "pax", tar(tarfile.PAX_FORMAT, members))
put("tar", "gnu", tar(tarfile.GNU_FORMAT, members))
put("tar", "ustar", tar(tarfile.USTAR_FORMAT, members[:4]))

h = hashlib.sha256(b"x").hexdigest()
put("sumfile", "text", "%s  db.bk\n" % h)
put("sumfile", "binary-crlf", "%s *db.bk\r\n" % h)
put("sumfile", "escaped", "\\%s  a\\\\b\\nc\n" % h)
put("sumfile", "bsd", "SHA256 (db.bk) = %s\n# c\n\n" % h)
put("state", "two", "# bk-verify state 1\ns3://b/db/db-1.bk\t%s\tfull\t"
    "2026-11-27T15:00:00Z\tok\nfile:///n/db/x.bk\t%s\tquick\t"
    "2026-11-27T16:00:00.5+01:00\tbad\n" % (h, h))
put("state", "empty", "# bk-verify state 1\n# nothing yet\n")

put("manifest", "db", '{"format":"bk-manifest 1","name":"db-20261126T1500Z.bk","kind":"db","created":"2026-11-26T15:00:00Z","size":46798,"sha256":"%s","key_id":"0011223344556677","compression":"zstd","source":"mongodb://h/shop","counts":{"shop.orders":5000},"tool_version":"0.1.0"}' % h)
put("manifest", "files", '{ "format" : "bk-manifest 1", "name" : "f.bk", "kind" : "files", "created" : "2026-11-26T02:00:00Z", "size" : { "$numberLong" : "211404" }, "sha256" : "%s" }' % h)

put("s3list", "page", '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix>db/</Prefix><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken><Contents><Key>db/a.bk</Key><LastModified>2026-11-26T15:00:00.000Z</LastModified><ETag>"e"</ETag><Size>123</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>db/a.bk.sha256</Key><Size>90</Size></Contents></ListBucketResult>')
put("s3list", "last", '<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>x&amp;y&#x41;</Key><Size>0</Size></Contents></ListBucketResult>')
put("s3xml", "uploads", '<ListMultipartUploadsResult><Bucket>b</Bucket><IsTruncated>true</IsTruncated><NextKeyMarker>db/a.bk</NextKeyMarker><NextUploadIdMarker>u1</NextUploadIdMarker><Upload><Key>db/a.bk</Key><UploadId>u1</UploadId><Initiated>2026-11-26T15:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>')
put("s3xml", "error", '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate &amp; retry.</Message><RequestId>r1</RequestId></Error>')
put("s3xml", "create", '<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>db/a.bk</Key><UploadId>VXBsb2FkSWQ</UploadId></InitiateMultipartUploadResult>')
put("s3xml", "complete-error", '<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>')
put("http", "get206", "HTTP/1.1 206 Partial Content\r\nContent-Length: 1000\r\nContent-Range: bytes 1000-1999/4096\r\nETag: \"abc\"\r\nx-amz-version-id: v1\r\nLast-Modified: Thu, 26 Nov 2026 15:00:00 GMT\r\n\r\n")
put("http", "redirect", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\nx-amz-checksum-sha256: AAAA\r\nx-amz-storage-class: GLACIER\r\nx-amz-restore: ongoing-request=\"true\"\r\n\r\n")

key = bytes([0x42]) * 32
kid = bytes(range(8))
put("keyring", "one", "bk-keyring 1\nkey %s 2026-11-26T15:00:00Z current %s\n" % (kid.hex(), key.hex()))
put("keyring", "two", "bk-keyring 1\n# rotated\nkey %s 2026-11-26T15:00:00Z old %s\nkey 0102030405060708 2026-11-27T15:00:00Z current %s\n" % (kid.hex(), key.hex(), "ab" * 32))
for n, plain in (("empty", b""), ("short", b"hello"), ("segments", bytes(range(256)) * 3)):
    put("aead", n, bkcrypt_ref.encrypt(key, kid, plain, b"s" * 32, b"p" * 7, 8))
# Key type 1 with its check value; key type 3 to the recipient whose private
# key fuzz-aead.c holds (0x20..0x3f, id 0x10..0x17) and to it and another.
put("aead", "check-value", bkcrypt_ref.encrypt(
    key, kid + bkcrypt_ref.check_value(key), b"hello", b"s" * 32, b"p" * 7, 8))
xsk = [bytes(range(0x20, 0x40)), bytes(range(0x40, 0x60))]
xid = [bytes(range(0x10, 0x18)), bytes(range(0x18, 0x20))]
xpub = [bkcrypt_ref.x25519_public(k) for k in xsk]
for n, nr, plain in (("x25519-one", 1, b"hello"), ("x25519-two", 2, bytes(range(256)) * 2)):
    ref = bkcrypt_ref.seal_rcpts(list(zip(xid, xpub))[:nr], key,
                                 [bytes([0x60 + i]) * 32 for i in range(nr)])
    put("aead", n, bkcrypt_ref.encrypt(key, ref, plain, b"s" * 32, b"p" * 7, 8,
                                       bkcrypt_ref.KEYTYPE_X25519))
put("keyring", "x25519", "bk-keyring 1\nkey %s 2026-11-26T15:00:00Z old %s\n"
    "x25519 %s 2026-11-27T15:00:00Z current %s %s\n"
    "x25519 %s 2026-11-27T15:00:00Z recipient %s -\n" % (
        kid.hex(), key.hex(), xid[0].hex(), xpub[0].hex(), xsk[0].hex(),
        xid[1].hex(), xpub[1].hex()))
put("keyring", "public", "bk-keyring 1\nx25519 %s 2026-11-27T15:00:00Z current %s -\n" % (xid[0].hex(), xpub[0].hex()))

# The restore policy, allowed_signers, requests (first byte: the parser)
# and SSHSIG signatures made by ssh-keygen itself (first byte 0: armored;
# 1: the raw blob).
put("policy", "policy", "\0protect /srv/uploads\nprotect h:27017/prod*\nrequire 2\nallowed-signers signers\n")
put("policy", "request", "\2bk-restore-request 1\nbackup db-1.bk\nsha256 %s\ntarget /srv/uploads\nexpires 2026-11-27T16:00:00Z\nnonce %s\nrequester ops@h\ncreated 2026-11-27T15:00:00Z\n" % (h, "0f" * 16))
try:
    import base64
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        signers = ""
        for t, extra in (("ed25519", []), ("ecdsa", ["-b", "256"]), ("rsa", ["-b", "2048"])):
            k = os.path.join(tmp, t)
            subprocess.run(["ssh-keygen", "-q", "-t", t, "-N", "", "-f", k] + extra, check=True)
            with open(k + ".pub") as f:
                signers += "%s@x namespaces=\"bk-restore\" %s\n" % (t, " ".join(f.read().split()[:2]))
            req = os.path.join(tmp, "req")
            with open(req, "w") as f:
                f.write("bk-restore-request 1\n")
            subprocess.run(["ssh-keygen", "-q", "-Y", "sign", "-f", k, "-n", "bk-restore", req], check=True)
            with open(req + ".sig") as f:
                armored = f.read()
            os.unlink(req + ".sig")
            put("sshsig", t + "-armored", "\0" + armored)
            body = "".join(armored.splitlines()[1:-1])
            put("sshsig", t + "-blob", b"\1" + base64.b64decode(body))
        put("policy", "signers", "\1" + signers + "\"a,b\" cert-authority ssh-ed25519 AAAA\n")
except (OSError, subprocess.CalledProcessError) as e:
    print("seeds.py: no ssh-keygen seeds: %s" % e, file=sys.stderr)

# An audit log as bk(7) AUDIT defines it, chained here; a digest; a torn
# tail; URLs with userinfo for the redaction.
chain, prev = [], "0" * 64
for n, tool in enumerate(("bk-dump", "bk-put", "bk-backup.sh"), 1):
    line = '{"seq":%d,"prev":"%s","tool":"%s","objects":["s3://u:p@b/db/x.bk","mongodb://a:b@h1,h2/db?x=1"],"result":"ok","exit":0}' % (n, prev, tool)
    chain.append(line)
    prev = hashlib.sha256(line.encode()).hexdigest()
put("audit", "chain", "\n".join(chain) + "\n")
put("audit", "digest", '{"type":"bk-audit-digest","seq":3,"sha256":"%s"}\n' % prev)
put("audit", "torn", chain[0] + "\n" + chain[1][:40])
put("audit", "libbson", '{ "seq" : { "$numberLong" : "1" }, "prev" : "%s", "n" : 1.5e3 }\n' % ("0" * 64))
