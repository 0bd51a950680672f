#!/usr/bin/python3
"""bkcrypt_ref.py - an independent implementation of the bk encrypted
container, written from bk-format(5) alone with Python's `cryptography`
(AESGCM, HKDF, HMAC, X25519), to cross-check bk-encrypt.  Whole streams in
memory: for tests only.

  bkcrypt_ref.py encrypt KEYRING [SEGSHIFT] < plain > sealed
  bkcrypt_ref.py encrypt-noid KEYRING < plain > sealed  (no check value)
  bkcrypt_ref.py decrypt KEYRING < sealed > plain
  bkcrypt_ref.py kat VECTORS          check known-answer vectors
  bkcrypt_ref.py genkat               print the vectors (from the spec)
  bkcrypt_ref.py xkat VECTORS         check the key vectors (check values,
                                      X25519 recipients)
  bkcrypt_ref.py genxkat              print them

A keyring whose current key is an X25519 one seals to it and to every key
marked recipient (key type 3).

Exit 0 on success, 1 if the container is refused (message on stderr).
"""
import hashlib
import os
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"\x89BKENC\r\n"
VERSION = 1
ALG = 1
KEYTYPE_KEYRING = 1
KEYTYPE_X25519 = 3
TAGLEN = 16
STANZA = 8 + 6 + 32 + 48
MAXRCPT = 10


class Refused(Exception):
    pass


def read_keyring(path):
    """{id: key}, the current id and the recipient ids, from the keyring
    text.  A key is ("aes", key) or ("x25519", public, private or None)."""
    keys, current, rcpts, seen_magic = {}, None, [], False
    with open(path) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if not line.strip() or line.startswith("#"):
                continue
            if not seen_magic:
                if line != "bk-keyring 1":
                    raise Refused("not a keyring")
                seen_magic = True
                continue
            fields = line.split()
            kid = bytes.fromhex(fields[1])
            assert len(kid) == 8
            state = fields[3]
            if fields[0] == "key":
                assert len(fields) == 5 and len(fields[4]) == 64
                keys[kid] = ("aes", bytes.fromhex(fields[4]))
            else:
                assert fields[0] == "x25519" and len(fields) == 6
                priv = None if fields[5] == "-" else bytes.fromhex(fields[5])
                keys[kid] = ("x25519", bytes.fromhex(fields[4]), priv)
            if state == "current":
                current = kid
            elif state == "recipient":
                rcpts.append(kid)
    return keys, current, rcpts


def check_value(m):
    """The first 6 bytes of HMAC-SHA256(m, "bk key check value")."""
    h = hmac.HMAC(m, hashes.SHA256())
    h.update(b"bk key check value")
    return h.finalize()[:6]


def x25519_public(sk):
    return X25519PrivateKey.from_private_bytes(sk).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def kek(sk, epk, rpk, peer):
    """The key-encryption key of the pair: ss = X25519(sk, peer)."""
    ss = X25519PrivateKey.from_private_bytes(sk).exchange(
        X25519PublicKey.from_public_bytes(peer))
    if ss == bytes(32):
        raise Refused("X25519 shared secret is zero")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + rpk,
                info=b"bk-encrypt x25519 data key").derive(ss)


def seal_rcpts(rcpts, dk, esks):
    """The recipient list wrapping dk to rcpts [(id, public)]."""
    n = len(rcpts)
    assert 1 <= n <= MAXRCPT
    out = [bytes([n])]
    for (kid, rpk), esk in zip(rcpts, esks):
        cv = check_value(rpk)
        epk = x25519_public(esk)
        aad = bytes([KEYTYPE_X25519, n]) + kid + cv
        wrapped = AESGCM(kek(esk, epk, rpk, rpk)).encrypt(bytes(12), dk, aad)
        out.append(kid + cv + epk + wrapped)
    return b"".join(out)


def open_rcpts(keys, ref):
    """The data key of recipient list ref, with a private key of keys."""
    n = ref[0] if ref else 0
    if not 1 <= n <= MAXRCPT or len(ref) != 1 + n * STANZA:
        raise Refused("damaged recipient list")
    public_only = None
    for i in range(n):
        st = ref[1 + i * STANZA:1 + (i + 1) * STANZA]
        kid, cv, epk, wrapped = st[:8], st[8:14], st[14:46], st[46:]
        k = keys.get(kid)
        if k is None or k[0] != "x25519":
            continue
        if k[2] is None:
            public_only = kid
            continue
        if check_value(k[1]) != cv:
            raise Refused("key %s has check value %s, the container needs %s"
                          % (kid.hex(), check_value(k[1]).hex(), cv.hex()))
        aad = bytes([KEYTYPE_X25519, n]) + kid + cv
        try:
            return AESGCM(kek(k[2], epk, k[1], epk)).decrypt(
                bytes(12), wrapped, aad)
        except InvalidTag:
            raise Refused("wrapped data key for %s does not authenticate"
                          % kid.hex())
    if public_only is not None:
        raise Refused("no private key for recipient " + public_only.hex())
    raise Refused("no recipient in the keyring")


def derive(key, salt, info):
    okm = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt,
               info=info).derive(key)
    return okm[:32], okm[32:]


def nonce(prefix, i, last):
    return prefix + struct.pack(">IB", i, 1 if last else 0)


def encrypt(key, kid, plain, salt, prefix, segshift,
            keytype=KEYTYPE_KEYRING):
    """Seal plain under key; kid is the whole key reference."""
    pre = (MAGIC + bytes([VERSION, ALG, segshift, keytype])
           + struct.pack(">H", len(kid)) + kid + salt + prefix)
    segkey, commit = derive(key, salt, pre)
    header = pre + commit
    aead = AESGCM(segkey)
    plen = (1 << segshift) - TAGLEN
    out = [header]
    # Full segments are never last; the final one holds 0..plen-1 bytes.
    nfull = len(plain) // plen
    for i in range(nfull + 1):
        chunk = plain[i * plen:(i + 1) * plen]
        out.append(aead.encrypt(nonce(prefix, i, i == nfull), chunk,
                                header))
    return b"".join(out)


def decrypt(keys, data):
    if data[:8] != MAGIC:
        raise Refused("bad magic")
    if len(data) < 14:
        raise Refused("truncated header")
    version, alg, segshift, keytype = data[8:12]
    (reflen,) = struct.unpack(">H", data[12:14])
    if version != VERSION or alg != ALG or keytype not in (KEYTYPE_KEYRING,
                                                           KEYTYPE_X25519):
        raise Refused("unsupported version/algorithm/key type")
    if not 8 <= segshift <= 24 or (keytype == KEYTYPE_KEYRING and
                                   reflen not in (8, 14)):
        raise Refused("bad segment size or key id length")
    hlen = 14 + reflen + 32 + 7 + 32
    if len(data) < hlen:
        raise Refused("truncated header")
    ref = data[14:14 + reflen]
    salt, prefix = data[14 + reflen:46 + reflen], data[46 + reflen:53 + reflen]
    header = data[:hlen]
    if keytype == KEYTYPE_X25519:
        key = open_rcpts(keys, ref)
    else:
        kid = ref[:8]
        if kid not in keys or keys[kid][0] != "aes":
            raise Refused("unknown key id " + kid.hex())
        key = keys[kid][1]
        if reflen == 14 and check_value(key) != ref[8:]:
            raise Refused("key %s has check value %s, the container needs "
                          "%s" % (kid.hex(), check_value(key).hex(),
                                  ref[8:].hex()))
    segkey, commit = derive(key, salt, header[:-32])
    if commit != header[-32:]:
        raise Refused("header check failed")
    aead = AESGCM(segkey)
    segsize = 1 << segshift
    out, pos, i = [], hlen, 0
    while True:
        seg = data[pos:pos + segsize]
        if len(seg) == 0:
            raise Refused("truncated: no final segment")
        last = len(seg) < segsize
        try:
            out.append(aead.decrypt(nonce(prefix, i, last), seg, header))
        except InvalidTag:
            raise Refused("authentication failed in segment %d" % i)
        pos += len(seg)
        i += 1
        if last:
            return b"".join(out)


# Known-answer vectors: fixed key, id, salt and prefix; plaintext byte j
# is j % 251.  (name, segshift, plaintext length)
KAT_KEY = bytes(range(32))
KAT_ID = bytes(range(8))
KAT_SALT = bytes(range(0xa0, 0xc0))
KAT_PREFIX = bytes(range(0xc0, 0xc7))
KATS = [("empty", 8, 0), ("one", 8, 1), ("seg-1", 8, 239), ("seg", 8, 240),
        ("seg+1", 8, 241), ("many", 8, 1000),
        ("default-3seg", 20, 3 * ((1 << 20) - 16) + 5)]
KAT_HEXMAX = 4096     # sealed bytes shown in full up to this size


def pattern(n):
    return bytes(j % 251 for j in range(n))


def genkat():
    print("# bk encrypted container, version 1: known-answer vectors.")
    print("# Generated by tests/bkcrypt_ref.py genkat from bk-format(5).")
    print("# Plaintext byte j is j % 251.  Fields: name segshift ptlen key")
    print("# keyid salt prefix sha256(sealed) sealed-hex (or - if large)")
    for name, shift, n in KATS:
        sealed = encrypt(KAT_KEY, KAT_ID, pattern(n), KAT_SALT, KAT_PREFIX,
                         shift)
        print(name, shift, n, KAT_KEY.hex(), KAT_ID.hex(), KAT_SALT.hex(),
              KAT_PREFIX.hex(), hashlib.sha256(sealed).hexdigest(),
              sealed.hex() if len(sealed) <= KAT_HEXMAX else "-")


def kat(path):
    bad = 0
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, shift, n, key, kid, salt, prefix, digest, hx = line.split()
            key, kid = bytes.fromhex(key), bytes.fromhex(kid)
            plain = pattern(int(n))
            sealed = encrypt(key, kid, plain, bytes.fromhex(salt),
                             bytes.fromhex(prefix), int(shift))
            ok = hashlib.sha256(sealed).hexdigest() == digest
            ok = ok and (hx == "-" or sealed.hex() == hx)
            ok = ok and decrypt({kid: ("aes", key)}, sealed) == plain
            if not ok:
                print("KAT %s: mismatch" % name, file=sys.stderr)
                bad += 1
    return 1 if bad else 0


# Key vectors: check values, and containers of key types 1 (with the
# check value) and 3.  Recipient private keys, ephemeral keys and the data
# key are fixed; plaintext as above.
XKAT_SK = [bytes(range(0x20, 0x40)), bytes(range(0x40, 0x60))]
XKAT_ESK = [bytes(range(0x60, 0x80)), bytes(range(0x80, 0xa0))]
XKAT_IDS = [bytes(range(0x10, 0x18)), bytes(range(0x18, 0x20))]
XKAT_DK = bytes(range(0xe0, 0x100))
XKATS = [("x25519-one", 8, 1000, 1), ("x25519-two", 8, 1000, 2),
         ("x25519-two-empty", 8, 0, 2)]


def xkat_lines():
    """The key vectors, one line each (see genxkat)."""
    yield "check %s %s" % (KAT_KEY.hex(), check_value(KAT_KEY).hex())
    for sk in XKAT_SK:
        yield "x25519-public %s %s %s" % (
            sk.hex(), x25519_public(sk).hex(),
            check_value(x25519_public(sk)).hex())
    sealed = encrypt(KAT_KEY, KAT_ID + check_value(KAT_KEY), pattern(1000),
                     KAT_SALT, KAT_PREFIX, 8)
    yield "keyring-check 8 1000 %s %s %s %s %s %s" % (
        KAT_KEY.hex(), KAT_ID.hex(), KAT_SALT.hex(), KAT_PREFIX.hex(),
        hashlib.sha256(sealed).hexdigest(), sealed.hex())
    for name, shift, n, nr in XKATS:
        rcpts = [(XKAT_IDS[i], x25519_public(XKAT_SK[i])) for i in range(nr)]
        ref = seal_rcpts(rcpts, XKAT_DK, XKAT_ESK[:nr])
        sealed = encrypt(XKAT_DK, ref, pattern(n), KAT_SALT, KAT_PREFIX,
                         shift, KEYTYPE_X25519)
        yield "%s %d %d %s %s %s %s %s %s %s %s" % (
            name, shift, n, XKAT_DK.hex(), KAT_SALT.hex(), KAT_PREFIX.hex(),
            ",".join(x.hex() for x in XKAT_IDS[:nr]),
            ",".join(x.hex() for x in XKAT_SK[:nr]),
            ",".join(x.hex() for x in XKAT_ESK[:nr]),
            hashlib.sha256(sealed).hexdigest(), sealed.hex())


def genxkat():
    print("# bk key vectors: check values, X25519 public keys, a key type 1")
    print("# container with its check value, key type 3 containers.")
    print("# Generated by tests/bkcrypt_ref.py genxkat from bk-format(5).")
    print("# check KEY CV | x25519-public PRIVATE PUBLIC CV")
    print("# keyring-check segshift ptlen key keyid salt prefix sha256 hex")
    print("# NAME segshift ptlen datakey salt prefix ids privates ephemerals")
    print("#   sha256 hex   (lists comma-separated, one per recipient)")
    for line in xkat_lines():
        print(line)


def xkat(path):
    """Recompute every vector; also open each container with each key."""
    with open(path) as f:
        want = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    got = list(xkat_lines())
    bad = 0 if want == got else 1
    for line in got:
        f = line.split()
        if f[0].startswith("x25519-") and f[0] != "x25519-public":
            sealed = bytes.fromhex(f[-1])
            for kid, sk in zip(f[6].split(","), f[7].split(",")):
                sk = bytes.fromhex(sk)
                keys = {bytes.fromhex(kid): ("x25519", x25519_public(sk), sk)}
                bad += decrypt(keys, sealed) != pattern(int(f[2]))
    if bad:
        print("key vectors: mismatch", file=sys.stderr)
    return 1 if bad else 0


def seal_current(keys, current, rcpts, data, shift, with_check=True):
    """Seal data as bk-encrypt does with this keyring."""
    salt, prefix = os.urandom(32), os.urandom(7)
    if keys[current][0] == "aes":
        key = keys[current][1]
        ref = current + (check_value(key) if with_check else b"")
        return encrypt(key, ref, data, salt, prefix, shift)
    ids = [current] + rcpts
    dk = os.urandom(32)
    ref = seal_rcpts([(i, keys[i][1]) for i in ids], dk,
                     [os.urandom(32) for _ in ids])
    return encrypt(dk, ref, data, salt, prefix, shift, KEYTYPE_X25519)


def main(argv):
    if argv[1:2] == ["genkat"]:
        genkat()
        return 0
    if argv[1:2] == ["kat"]:
        return kat(argv[2])
    if argv[1:2] == ["genxkat"]:
        genxkat()
        return 0
    if argv[1:2] == ["xkat"]:
        return xkat(argv[2])
    keys, current, rcpts = read_keyring(argv[2])
    data = sys.stdin.buffer.read()
    try:
        if argv[1] == "encrypt":
            shift = int(argv[3]) if len(argv) > 3 else 20
            out = seal_current(keys, current, rcpts, data, shift)
        elif argv[1] == "encrypt-noid":
            out = seal_current(keys, current, rcpts, data, 20, False)
        else:
            out = decrypt(keys, data)
    except Refused as e:
        print("bkcrypt_ref: %s" % e, file=sys.stderr)
        return 1
    sys.stdout.buffer.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
