#!/usr/bin/python3
"""tests/hostile/gen.py OUTDIR - write the inputs of the hostile corpus
(tests/hostile/cases.tsv) into OUTDIR, deterministically: fixed keys,
salts, nonce prefixes and plaintexts, so every run tries the same bytes.

Encrypted containers are sealed with tests/bkcrypt_ref.py (written from
bk-format(5), not from bk's code), mostly with 256-byte segments (s = 8)
so that a container of five segments is a kilobyte.  Archives use the
independent writer tests/mongoarchive.py.  The hostile tars come from
tests/mktar_hostile.py, run by the test itself.  The approvers' SSH
keys are made from fixed seeds; the approval cases make their requests
and signatures at run time with bk-approve and ssh-keygen, through the
small shell library this writes to OUTDIR/appr/lib.sh.  Only the standard
library, pymongo's bson and cryptography.
"""
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bkcrypt_ref as bc          # noqa: E402
import mongoarchive as ma         # noqa: E402
import bson                       # noqa: E402

STREAMS = ("big-metadata", "big-prelude", "many-namespaces")
if len(sys.argv) == 3 and sys.argv[1] == "--stream":
    stream = sys.argv[2]
    assert stream in STREAMS, stream
    out = None
else:
    stream = None
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)


def put(name, data, mode=0o644):
    if out is None:          # --stream: nothing goes to files
        return
    path = os.path.join(out, name)
    d = os.path.dirname(path)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


# ---- keys and keyrings -------------------------------------------------
KEY = bytes(range(0x40, 0x60))
KID = bytes.fromhex("1122334455667788")
OTHER = bytes(range(0x60, 0x80))
HDR = "# hostile corpus keyring\nbk-keyring 1\n"


def keyline(kid, key, state="current"):
    return "key %s 2026-11-01T00:00:00Z %s %s\n" % (kid.hex(), state, key.hex())


put("keyring", HDR + keyline(KID, KEY), 0o600)
put("keyring-wrongkey", HDR + keyline(KID, OTHER), 0o600)
put("keyring-otherid", HDR + keyline(bytes(8), OTHER), 0o600)
bad_keyrings = {
    "badline": HDR + keyline(KID, KEY) + "key zz 2026-11-01T00:00:00Z old 00\n",
    "nomagic": keyline(KID, KEY),
    "shortkey": HDR + keyline(KID, KEY)[:-2] + "\n",
    "twocurrent": HDR + keyline(KID, KEY) + keyline(bytes(8), OTHER),
    "nocurrent": HDR + keyline(KID, KEY, "old"),
    "badstate": HDR + keyline(KID, KEY, "active"),
    "nonhex": HDR + keyline(KID, KEY).replace("4041", "4g41"),
    "dupid": HDR + keyline(KID, KEY) + keyline(KID, OTHER, "old"),
    "empty": "",
    "nul": HDR + keyline(KID, KEY).replace(" current", "\0current"),
    "baddate": HDR + keyline(KID, KEY).replace("2026-11-01T00:00:00Z", "yesterday"),
    "extrafield": HDR + keyline(KID, KEY).replace(" current ", " current extra "),
    "1001keys": HDR + keyline(KID, KEY) + "".join(
        keyline(struct.pack(">Q", i + 1), hashlib.sha256(b"%d" % i).digest(), "old")
        for i in range(1000)),
}
for n, text in bad_keyrings.items():
    put("keyring-" + n, text, 0o600)
put("keyring-public", HDR + keyline(KID, KEY), 0o644)

# ---- encrypted containers ---------------------------------------------
SALT = bytes(range(0xa0, 0xc0))
SALT2 = bytes(range(0xb0, 0xd0))
PREFIX = bytes(range(0xc0, 0xc7))
PLAIN = bytes((j * 7 + 3) % 251 for j in range(1000))
S = 8                         # 256-byte segments, 240 bytes of plaintext
SEG = 1 << S
H = 93                        # header length with an 8-byte key id


def seal(plain=PLAIN, salt=SALT, key=KEY, kid=KID, shift=S):
    return bc.encrypt(key, kid, plain, salt, PREFIX, shift)


good = seal()                 # 93 + 4 * 256 + 56 = 1173 bytes
assert len(good) == H + 4 * SEG + 56
put("plain", PLAIN)
put("enc-good", good)
segs = [good[H + i * SEG:H + (i + 1) * SEG] for i in range(5)]
head = good[:H]


def flip(data, at, bit=0x01):
    b = bytearray(data)
    b[at] ^= bit
    return bytes(b)


def setbyte(data, at, v):
    b = bytearray(data)
    b[at] = v
    return bytes(b)


enc = {
    "trunc-magic": good[:5],
    "trunc-hdr-13": good[:13],
    "trunc-hdr-keyid": good[:18],
    "trunc-hdr-salt": good[:40],
    "trunc-hdr-commit": good[:H - 1],
    "trunc-after-header": good[:H],
    "trunc-seg0-before-tag": good[:H + 10],
    "trunc-seg0-mid": good[:H + 100],
    "trunc-between-segs": good[:H + 2 * SEG],
    "trunc-missing-final": good[:H + 4 * SEG],
    "trunc-final-tag": good[:-5],
    "flip-magic": flip(good, 0),
    "version-2": setbyte(good, 8, 2),
    "alg-9": setbyte(good, 9, 9),
    "segshift-7": setbyte(good, 10, 7),
    "segshift-25": setbyte(good, 10, 25),
    "keytype-kms": setbyte(good, 11, 2),
    "keytype-3": setbyte(good, 11, 3),
    "keyref-961": good[:12] + struct.pack(">H", 961) + good[14:],
    "keyref-9": good[:12] + struct.pack(">H", 9) + good[14:],
    "flip-keyid": flip(good, 15),
    "flip-salt": flip(good, 30),
    "flip-nonce": flip(good, 56),
    "flip-commit": flip(good, 80),
    "flip-seg0-ct": flip(good, H + 3),
    "flip-seg0-tag": flip(good, H + SEG - 1),
    "flip-seg2-ct": flip(good, H + 2 * SEG + 100),
    "flip-final": flip(good, len(good) - 20),
    "swap-seg1-seg2": head + segs[0] + segs[2] + segs[1] + segs[3] + segs[4],
    "dup-seg1": head + segs[0] + segs[1] + segs[1] + segs[2] + segs[3] + segs[4],
    "drop-seg1": head + segs[0] + segs[2] + segs[3] + segs[4],
    "foreign-seg1": head + segs[0] + seal(salt=SALT2)[H + SEG:H + 2 * SEG]
    + b"".join(segs[2:]),
    "append-1": good + b"\0",
    "append-segment": good + segs[1],
    "garbage": b"PK\x03\x04" + bytes(300),
}
# A plaintext that fills its segments: the last segment is a bare tag, and
# dropping it leaves a stream that ends exactly on a segment boundary.
full = seal(plain=PLAIN[:960])
assert len(full) == H + 4 * SEG + 16
enc["trunc-bare-tag-final"] = full[:-16]
for n, data in enc.items():
    put("enc/" + n, data)
put("enc/empty", b"")

# ---- mongodump archives ------------------------------------------------
MAGIC = struct.pack("<I", ma.MAGIC)
TERM = ma.TERM
HEADER = ma.enc({"concurrent_collections": 1, "version": "0.1",
                 "server_version": "", "tool_version": "hostile"})


def meta(db, coll, md=None, typ="collection"):
    if md is None:
        md = '{"indexes":[],"collectionName":"%s","type":"%s"}' % (coll, typ)
    return ma.enc({"db": db, "collection": coll, "metadata": md, "size": 0,
                   "type": typ})


def body(db, coll, raws):
    crc = 0
    o = b""
    if raws:
        o += ma.nsheader(db, coll, False, 0) + b"".join(raws) + TERM
        for r in raws:
            crc = ma.crc64(crc, r)
    return o + ma.nsheader(db, coll, True, crc) + TERM


def archive(nss, prelude_extra=b"", tail=b""):
    """nss: [(db, coll, raws, metadoc or None)]"""
    o = MAGIC + HEADER
    for db, coll, _raws, md in nss:
        o += md if md is not None else meta(db, coll)
    o += prelude_extra + TERM
    for db, coll, raws, _md in nss:
        o += body(db, coll, raws)
    return o + tail


DOCS = [bson.encode({"_id": i, "v": "x" * 20}) for i in range(3)]


def stream_out(name):
    """Archives too large to keep: written to stdout, past the bounds of
    bk-restore(1) (one document of 16 MiB, 64 MiB of metadata in all,
    100,000 namespaces)."""
    w = sys.stdout.buffer
    w.write(MAGIC + HEADER)
    if name == "big-metadata":
        pad = "x" * (17 << 20)
        w.write(meta("shop", "c", '{"indexes":[],"options":{"comment":"%s"}}' % pad))
    elif name == "big-prelude":
        pad = "x" * (13 << 20)
        for i in range(6):
            w.write(meta("shop", "c%d" % i,
                         '{"indexes":[],"collectionName":"c%d","pad":"%s"}' % (i, pad)))
    else:
        for i in range(100001):
            w.write(meta("shop", "c%d" % i))
    w.write(TERM)
    for i in range(3):
        w.write(body("shop", "c0", DOCS))
    w.flush()


if stream:
    try:
        stream_out(stream)
    except BrokenPipeError:
        pass
    sys.exit(0)
agood = archive([("shop", "orders", DOCS, None)])
put("arch/good", agood)
i_prelude = len(MAGIC) + len(HEADER)
i_body = agood.index(TERM, i_prelude) + 4
arch = {
    "bad-magic": flip(agood, 0),
    "trunc-magic": agood[:3],
    "trunc-header": agood[:10],
    "trunc-prelude": agood[:i_prelude + 20],
    "trunc-before-body": agood[:i_body],
    "trunc-mid-doc": agood[:i_body + 60],
    "header-size-lies": MAGIC + struct.pack("<i", 0x7fffff00) + HEADER[4:],
    "header-size-tiny": MAGIC + struct.pack("<i", 3) + HEADER[4:],
    "header-size-negative": MAGIC + struct.pack("<i", -8) + HEADER[4:],
    "prelude-size-lies": agood[:i_prelude] + struct.pack("<i", 40000)
    + agood[i_prelude + 4:],
    "doc-size-lies": agood[:i_body] + agood[i_body:].replace(
        DOCS[1][:4], struct.pack("<i", len(DOCS[1]) + 7), 1),
    "doc-size-huge": agood.replace(DOCS[0][:4] + DOCS[0][4:12],
                                   struct.pack("<i", 17 << 20) + DOCS[0][4:12], 1),
    "crc-mismatch": agood.replace(DOCS[2], DOCS[2].replace(b"xxxx", b"xxxy"), 1),
    "missing-eof": agood[:i_body] + ma.nsheader("shop", "orders", False, 0)
    + b"".join(DOCS) + TERM,
    "body-unknown-ns": archive([("shop", "orders", DOCS, None)]).replace(
        body("shop", "orders", DOCS), body("shop", "orders", DOCS)
        + body("shop", "ghost", DOCS), 1),
    "dot-db-admin-system": archive([("admin.system", "users",
                                     [bson.encode({"_id": "admin.evil", "user": "evil"})], None)]),
    "dot-coll-split": archive([("admin", "system.users",
                                [bson.encode({"_id": "admin.evil", "user": "evil"})], None),
                               ("shop", "orders", DOCS, None)]),
    "nul-in-db": archive([("sh\0op", "orders", DOCS, None)]),
    "nul-in-coll": archive([("shop", "ord\0ers", DOCS, None)]),
    "empty-db": archive([("", "orders", DOCS, None)]),
    "empty-coll": archive([("shop", "", DOCS, None)]),
    "dollar-db-opt": archive([("shop", "c", DOCS, meta(
        "shop", "c", '{"options":{"$db":"admin"},"indexes":[]}'))]),
    "options-not-object": archive([("shop", "c", DOCS, meta(
        "shop", "c", '{"options":[1,2],"indexes":[]}'))]),
    "indexes-not-array": archive([("shop", "c", DOCS, meta(
        "shop", "c", '{"indexes":{"key":{"a":1}}}'))]),
    "deep-options": archive([("shop", "c", DOCS, meta(
        "shop", "c", '{"options":{"validator":%s1%s},"indexes":[]}'
        % ('{"a":' * 500, "}" * 500)))]),
    "metadata-not-json": archive([("shop", "c", DOCS, meta(
        "shop", "c", '{"indexes": ['))]),
    "view-with-docs": archive([("shop", "v", DOCS, meta(
        "shop", "v", '{"options":{"viewOn":"orders","pipeline":[]},"indexes":[]}',
        "view"))]),
    "listed-twice": archive([("shop", "orders", DOCS, None),
                             ("shop", "orders", DOCS, None)]),
    "garbage": b"\x1f\x8b" + bytes(100),
    "header-not-doc": MAGIC + b"\x05\x00\x00\x00\x01",
    "two-terminators": MAGIC + HEADER + TERM + TERM,
    "prelude-db-int": MAGIC + HEADER + ma.enc({"db": 5, "collection": "o", "metadata": "{}"}) + TERM,
    # No "db" field at all: not the oplog (db "" and collection "oplog").
    "prelude-no-db": MAGIC + HEADER + ma.enc({"collection": "orders", "metadata": "{}"}) + TERM
    + body("", "orders", DOCS),
    "oplog": archive([("shop", "orders", DOCS, None), ("", "oplog", DOCS, None)]),
    "eof-twice": agood + ma.nsheader("shop", "orders", True, 0) + TERM,
    "docs-after-eof": agood + ma.nsheader("shop", "orders", False, 0) + DOCS[0] + TERM,
    "eof-crc-string": agood[:i_body] + ma.nsheader("shop", "orders", False, 0)
    + b"".join(DOCS) + TERM + ma.enc({"db": "shop", "collection": "orders", "EOF": True,
                                      "CRC": "0"}) + TERM,
    "trailing-garbage": agood + b"garbage!",
}
for n, data in arch.items():
    put("arch/" + n, data)
put("arch/empty", b"")

# ---- sum files for bk-hash -c -----------------------------------------
DATA = PLAIN
digest = hashlib.sha256(DATA).hexdigest()
other = hashlib.sha256(b"other").hexdigest()
sums = {
    "good": "%s  data.bk\n" % digest,
    "good-crlf-bsd": "SHA256 (data.bk) = %s\r\n" % digest,
    "mismatch": "%s  data.bk\n" % other,
    "short-hex": "%s  data.bk\n" % digest[:63],
    "nonhex": "%s  data.bk\n" % ("g" + digest[1:]),
    "no-name": "%s  other.bk\n" % digest,
    "ambiguous": "%s  data.bk\n%s  data.bk\n" % (digest, other),
    "garbage": "this is not a sum file\n",
    "nul": "%s  data.bk\0\n" % digest,
    "empty": "",
    "huge": ("%s  pad\n" % other) * 16000,
}
for n, text in sums.items():
    put("sum/" + n, text)
put("sum/data.bk", DATA)

# ---- manifests and sidecars of a file:// store ------------------------
MAN = ('{"format":1,"name":"b.bk","kind":"files","created":"2026-11-01T00:00:00Z",'
       '"size":%d,"sha256":"%s","key_id":"-","compression":"none",'
       '"source":"hostile","counts":{},"tool_version":"hostile"}\n')
manifests = {
    "good": MAN % (len(DATA), digest),
    "notjson": "{\"format\":1,\"size\":",
    "size-lies": MAN % (len(DATA) + 1, digest),
    "size-negative": MAN % (-1, digest),
    "size-huge": (MAN % (0, digest)).replace('"size":0', '"size":99999999999999999999999'),
    "sha-short": MAN % (len(DATA), digest[:10]),
    "created-bad": (MAN % (len(DATA), digest)).replace("2026-11-01T00:00:00Z", "yesterday"),
    "nul": (MAN % (len(DATA), digest)).replace('"hostile"', '"host\\u0000ile"', 1)[:-1] + "\0\n",
    "huge": '{"pad":"%s"}\n' % ("x" * (2 << 20)),
    "array": "[1,2,3]\n",
    "size-fraction": (MAN % (len(DATA), digest)).replace('"size":1000', '"size":1000.5'),
    "size-string": (MAN % (len(DATA), digest)).replace('"size":1000', '"size":"1000"'),
    # Two sizes: bk-get takes the first, jq (bk-backup.sh, operators) the last.
    "size-twice": (MAN % (len(DATA), digest)).replace('"size":1000', '"size":1000,"size":5'),
}
for n, text in manifests.items():
    put("store-%s/b.bk" % n, DATA)
    put("store-%s/b.bk.sha256" % n, "%s  b.bk\n" % digest)
    put("store-%s/b.bk.manifest.json" % n, text)
put("store-nomanifest/b.bk", DATA)
put("store-nomanifest/b.bk.sha256", "%s  b.bk\n" % digest)
# Commit: the data in the store, various sum files for --sum.
put("commit/store/b.bk", DATA)
put("commit/sum-good", "%s  b.bk\n" % digest)
put("commit/sum-othername", "%s  c.bk\n" % digest)
put("commit/sum-stdin", "%s  -\n" % digest)
put("commit/sum-otherdigest", "%s  b.bk\n" % other)
put("commit/sum-garbage", "not a sum\n")
put("commit/sum-empty", "")
# A store whose sidecar already says something else.
put("commit/store-sidecar/b.bk", DATA)
put("commit/store-sidecar/b.bk.sha256", "%s  b.bk\n" % other)

# ---- tars the test makes beside tests/mktar_hostile.py's ---------------
import io       # noqa: E402
import tarfile  # noqa: E402


def tar(name, members):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as t:
        for ti, data in members:
            ti.mtime = 1700000000
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    put("tar/" + name, bio.getvalue())


def ti(name, kind=tarfile.REGTYPE, size=0, link="", **kw):
    t = tarfile.TarInfo(name)
    t.type, t.size, t.linkname = kind, size, link
    for k, v in kw.items():
        setattr(t, k, v)
    return t


EVIL = b"evil\n"
tar("dev-char.tar", [(ti("null", tarfile.CHRTYPE, devmajor=1, devminor=3), None)])
tar("dev-block.tar", [(ti("sda", tarfile.BLKTYPE, devmajor=8, devminor=0), None)])
tar("fifo.tar", [(ti("pipe", tarfile.FIFOTYPE), None)])
tar("symlink-abs-then-file.tar", [
    (ti("out", tarfile.SYMTYPE, link=os.path.join(os.path.abspath(out), "sentinel")), None),
    (ti("out/evil", size=len(EVIL)), EVIL)])
tar("pax-path-dotdot.tar", [
    (ti("benign", size=len(EVIL), pax_headers={"path": "../evil"}), EVIL)])
tar("pax-linkpath-outside.tar", [
    (ti("h", tarfile.LNKTYPE, pax_headers={"linkpath": "../../etc/passwd"}), None)])
tar("dotdot-in-middle.tar", [(ti("a/../../evil", size=len(EVIL)), EVIL)])
tar("symlink-chain.tar", [
    (ti("l1", tarfile.SYMTYPE, link="l2"), None),
    (ti("l2", tarfile.SYMTYPE, link=".."), None),
    (ti("l1/evil", size=len(EVIL)), EVIL)])


# ---- X25519 recipients: key type 3 (bk-format(5)) -----------------------
XID = bytes(range(0x10, 0x18))          # our key pair
XSK = bytes(range(0x20, 0x40))
XID2 = bytes(range(0x18, 0x20))         # somebody else's
XSK2 = bytes(range(0x40, 0x60))
XPK, XPK2 = bc.x25519_public(XSK), bc.x25519_public(XSK2)
XESK = [bytes(range(0x60, 0x80)), bytes(range(0x80, 0xa0))]
XDK = bytes(range(0xe0, 0x100))


def xline(kid, pk, sk, state="current"):
    return "x25519 %s 2026-11-01T00:00:00Z %s %s %s\n" % (
        kid.hex(), state, pk.hex(), sk.hex() if sk else "-")


put("keyring-x25519", HDR + xline(XID, XPK, XSK), 0o600)
put("keyring-x25519-public", HDR + xline(XID, XPK, None), 0o644)


def xseal(rcpts, ref=None, plain=PLAIN):
    """A key type 3 container to rcpts [(id, public)], or with ref as
    its whole recipient list (sealed under XDK all the same)."""
    if ref is None:
        ref = bc.seal_rcpts(rcpts, XDK, XESK[:len(rcpts)])
    return bc.encrypt(XDK, ref, plain, SALT, PREFIX, S, bc.KEYTYPE_X25519)


XH = 14 + 1 + bc.STANZA + 71            # header of one recipient: 180 bytes
xgood = xseal([(XID, XPK)])
assert len(xgood) == XH + 4 * SEG + 56
XREF = xgood[14:14 + 1 + bc.STANZA]     # count || id || cv || epk || wrapped
XEPK = 14 + 1 + 14                      # where the ephemeral key begins


def xref_len(ref):
    return struct.pack(">H", len(ref)) + ref


def xsplice(ref):
    """xgood's header with another recipient list, resealed so that only
    the list is wrong."""
    return xseal(None, ref=ref)


x25519 = {
    "good": xgood,
    "trunc-rcpts": xgood[:14 + 50],
    "count-0": xsplice(b"\0" + XREF[1:]),
    "count-255": xsplice(b"\xff" + XREF[1:]),
    # The ephemeral key one byte short, one byte long: the list length
    # is then no whole number of stanzas.
    "epk-31": xsplice(XREF[:XEPK - 14 + 31] + XREF[XEPK - 14 + 32:]),
    "epk-33": xsplice(XREF[:XEPK - 14 + 32] + b"\x09" + XREF[XEPK - 14 + 32:]),
    # An all-zero (low-order) ephemeral key: X25519 gives an all-zero
    # shared secret, refused.
    "epk-zero": xsplice(XREF[:XEPK - 14] + bytes(32) + XREF[XEPK - 14 + 32:]),
    "flip-wrapped": flip(xgood, XEPK + 32 + 5),
    "flip-tag": flip(xgood, XEPK + 32 + 32 + 3),
    "flip-rcpt-id": flip(xgood, 15),
    "flip-rcpt-cv": flip(xgood, 15 + 8),
    "other-only": xseal([(XID2, XPK2)]),
    "flip-salt": flip(xgood, 14 + 1 + bc.STANZA + 3),
    "flip-nonce": flip(xgood, 14 + 1 + bc.STANZA + 33),
    "flip-seg0": flip(xgood, XH + 7),
    "trunc-seg1": xgood[:XH + SEG + 40],
}
# More recipients than a container takes: eleven whole stanzas.
x25519["count-11"] = xsplice(b"\x0b" + XREF[1:] * 11)
# A count of two over one stanza.
x25519["count-2-one-stanza"] = xsplice(b"\x02" + XREF[1:])
# Another low-order point: u = 1 also gives an all-zero shared secret.
x25519["epk-one"] = xsplice(XREF[:XEPK - 14] + b"\x01" + bytes(31)
                            + XREF[XEPK - 14 + 32:])
# Two recipients, ours first: the other's stanza tampered with.  Ours
# still unwraps, so the header commitment is what refuses it.
xtwo = xseal([(XID, XPK), (XID2, XPK2)])
x25519["two-flip-other"] = flip(xtwo, 15 + bc.STANZA + 14 + 2)
for n, data in x25519.items():
    put("x25519/" + n, data)

# ---- KMS envelope: key type 2 (bk-format(5)) ---------------------------
# Sealed under a fixed key, never opened: no KMS server holds its blob.
ARN = b"arn:aws:kms:eu-west-2:111122223333:key/6e1f3d2c-0000-4000-8000-000000000001"
BLOB = bytes((j * 13 + 5) % 256 for j in range(184))


def kseal(ref):
    return bc.encrypt(KEY, ref, PLAIN, SALT, PREFIX, S, 2)


kgood = kseal(struct.pack(">H", len(ARN)) + ARN + BLOB)
KH = 14 + 2 + len(ARN) + len(BLOB) + 71
kms = {
    "good": kgood,
    # The ARN's length runs past the key reference: no room for a blob.
    "arnlen-past": kseal(struct.pack(">H", len(ARN) + len(BLOB)) + ARN + BLOB),
    "arnlen-huge": kseal(struct.pack(">H", 0xffff) + ARN + BLOB),
    "blob-empty": kseal(struct.pack(">H", len(ARN)) + ARN),
    "not-arn": kseal(struct.pack(">H", len(ARN)) + b"xrn:" + ARN[4:] + BLOB),
    "ref-961": kgood[:12] + struct.pack(">H", 961) + kgood[14:],
    "ref-2": kgood[:12] + struct.pack(">H", 2) + kgood[14:],
    "trunc-blob": kgood[:14 + 2 + len(ARN) + 100],
    "trunc-after-blob": kgood[:KH - 40],
}
for n, data in kms.items():
    put("kms/" + n, data)

# ---- approvals: bk-approve(1), bk-restore(1) APPROVALS -----------------
# Approvers' ed25519 keys from fixed seeds, so that every signature
# ssh-keygen makes with them is the same every run (Ed25519 signatures are
# deterministic); mallory is not an allowed signer.
from cryptography.hazmat.primitives import serialization as ser  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import (   # noqa: E402
    Ed25519PrivateKey)

signers = []
for i, who in enumerate(("alice", "bob", "carol", "mallory")):
    sk = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(who.encode()).digest())
    put("appr/" + who, sk.private_bytes(ser.Encoding.PEM, ser.PrivateFormat.OpenSSH,
                                        ser.NoEncryption()), 0o600)
    pub = sk.public_key().public_bytes(ser.Encoding.OpenSSH,
                                       ser.PublicFormat.OpenSSH).decode()
    put("appr/%s.pub" % who, pub + " " + who + "\n")
    if who != "mallory":
        signers.append("%s@example.org %s\n" % (who, pub))
put("appr/etc/signers", "".join(signers), 0o600)
put("appr/etc/policy", "# hostile corpus: every ./dir of a case is protected\n"
    "protect */dir\nrequire 2\nallowed-signers signers\n", 0o600)
os.chmod(os.path.join(out, "appr/etc"), 0o700)
# The backup: a tar of one file, bk-restore --files reads it.
tar("appr.tar", [(ti("restored.txt", size=len(EVIL)), EVIL)])
os.rename(os.path.join(out, "tar/appr.tar"), os.path.join(out, "appr/f.tar"))
with open(os.path.join(out, "appr/f.tar"), "rb") as f:
    ASHA = hashlib.sha256(f.read()).hexdigest()
# Sourced by the approval cases, in their fresh directory: ./dir is the
# protected target, holding old.txt.
put("appr/lib.sh", """# sourced by the approval cases of tests/hostile/cases.tsv
A=$H/appr
SHA=%s
export BK_RESTORE_POLICY=$A/etc/policy
mkdir dir && echo old >dir/old.txt
# request FILE [TARGET]: a request to restore $A/f.tar into ./dir
request() {
\tbk-approve --request --backup f.tar --sha256 "$SHA" \\
\t    --target "${2:-$(pwd -P)/dir}" --expires +1h >"$1"
}
# sign FILE KEY...: FILE.KEY for each, signed by ssh-keygen
sign() {
\tlocal f=$1 k
\tshift
\tfor k in "$@"; do
\t\tssh-keygen -q -Y sign -f "$A/$k" -n bk-restore "$f" &&
\t\t    mv "$f.sig" "$f.$k" || return
\tdone
}
# untouched CMD...: run it; if ./dir changed or a sibling was left
# beside it, say so and return 99, else its own status
untouched() {
\tlocal rc=0
\t"$@" || rc=$?
\tif [ "$(find dir -mindepth 1)" != dir/old.txt ] ||
\t    [ "$(cat dir/old.txt)" != old ] ||
\t    find . -maxdepth 1 -name '*bk-restore*' | grep -q .; then
\t\techo "hostile: the target changed: $(find . | tr '\\n' ' ')" >&2
\t\treturn 99
\tfi
\treturn $rc
}
""" % ASHA)
