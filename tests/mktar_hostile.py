#!/usr/bin/python3
"""mktar_hostile.py OUTDIR SENTINEL - write hostile tar archives into OUTDIR.

Each archive tries to write outside the extraction directory (into
SENTINEL, an absolute path next to it), or to crash or mislead the reader
with lengths and checksums it should not trust.  bk-restore must refuse
every one of them, and SENTINEL must stay empty.

mktar_hostile.py --long-names N - write to standard output a valid tar of
N members whose names are about 4 KB long (every tenth a directory, the
rest empty files, all in one deep directory): a few hundred KB once
compressed, made to grow a reader's memory with the bytes of the names.
"""
import io
import os
import sys
import tarfile


def long_names(n):
    """The --long-names stream, written block by block (fast)."""
    w = sys.stdout.buffer
    deep = "/".join(c * 250 for c in "abcdefghijklmno")     # 3764 bytes

    def header(name, typeflag, size=0):
        h = bytearray(512)
        h[0:len(name)] = name
        h[100:108] = b"0000755\0" if typeflag == b"5" else b"0000644\0"
        h[108:116] = b"0000000\0"
        h[116:124] = b"0000000\0"
        h[124:136] = b"%011o\0" % size
        h[136:148] = b"14524754000\0"
        h[156:157] = typeflag
        h[257:265] = b"ustar\x0000"
        h[148:156] = b"        "
        h[148:156] = b"%06o\0 " % sum(h)
        return bytes(h)

    w.write(header(deep.encode()[:99], b"5"))   # a harmless first member
    for i in range(n):
        isdir = i % 10 == 0
        leaf = ("d%08d-" if isdir else "f%08d-") % i
        path = (deep + "/" + leaf + "p" * (240 - len(leaf))).encode()
        rec = b" path=" + path + b"\n"
        size = len(rec) + 4
        rec = b"%d" % size + rec
        assert len(rec) == size
        w.write(header(b"PaxHeaders/x", b"x", len(rec)))
        w.write(rec + b"\0" * (-len(rec) % 512))
        w.write(header(b"x", b"5" if isdir else b"0"))
    w.write(b"\0" * 1024)


if len(sys.argv) == 3 and sys.argv[1] == "--long-names":
    long_names(int(sys.argv[2]))
    sys.exit(0)

out, sentinel = sys.argv[1], sys.argv[2]


def member(name, data=b"", kind=tarfile.REGTYPE, link="", **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.linkname = link
    ti.mtime = 1700000000
    ti.mode = 0o644
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def archive(fname, members, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(os.path.join(out, fname), "w", format=fmt) as t:
        for ti, f in members:
            t.addfile(ti, f)


def raw(fname, data):
    with open(os.path.join(out, fname), "wb") as f:
        f.write(data)


def ustar_block(name, size_field, typeflag=b"0", fix_checksum=True):
    """One ustar header block with an arbitrary (raw) size field."""
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field
    h[136:148] = b"14524754000\0"
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b"        "
    if fix_checksum:
        h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


evil = b"pwned\n"
# Path traversal, plainly and hidden behind harmless components.
archive("dotdot.tar", [member("../evil", evil)])
archive("dotdot-deep.tar", [member("a/b/../../../evil", evil)])
# Absolute paths, straight into the sentinel.
archive("absolute.tar", [member(sentinel + "/evil", evil)])
# A symlink out of the directory, then a file through it.
archive("symlink-then-file.tar", [
    member("escape", kind=tarfile.SYMTYPE, link=sentinel),
    member("escape/evil", evil)])
archive("symlink-rel-then-file.tar", [
    member("d", kind=tarfile.DIRTYPE, mode=0o755),
    member("d/up", kind=tarfile.SYMTYPE, link="../../" +
           os.path.basename(sentinel)),
    member("d/up/evil", evil)])
# A symlink, then a regular file of the same name (must not write through).
archive("symlink-then-same-name.tar", [
    member("same", kind=tarfile.SYMTYPE, link=sentinel + "/evil"),
    member("same", evil)])
# Hard links: to a file outside, to one not extracted (yet).
archive("hardlink-outside.tar", [
    member("h", kind=tarfile.LNKTYPE, link="../" +
           os.path.basename(sentinel) + "/x")])
archive("hardlink-absolute.tar", [
    member("h", kind=tarfile.LNKTYPE, link="/etc/passwd")])
archive("hardlink-not-yet.tar", [
    member("h", kind=tarfile.LNKTYPE, link="later"),
    member("later", evil)])
# A file through a symlink that already exists in the target directory
# (the test creates DIR/pre -> SENTINEL before extracting).
archive("through-existing-symlink.tar", [member("pre/evil", evil)])
# GNU long-name member naming a traversal.
archive("gnu-longname-dotdot.tar",
        [member("../" + "x" * 150, evil)], fmt=tarfile.GNU_FORMAT)

# Raw archives: lengths and checksums nobody should trust.
end = b"\0" * 1024
# A size of 8 GiB with 10 bytes behind it: truncated, not a huge file.
raw("huge-size.tar", ustar_block(b"huge", b"77777777777\0") + b"x" * 10)
# Base-256 size near 2^62.
raw("huge-size-b256.tar", ustar_block(b"huge", b"\x80" + b"\0" * 3 +
                                       b"\x40" + b"\0" * 7) + end)
# Truncated in the middle of a header.
good = ustar_block(b"fine", b"00000000006\0") + evil.ljust(512, b"\0")
raw("truncated-header.tar", good + ustar_block(b"cut", b"0" * 11 + b"\0")
    [:300])
raw("truncated-data.tar", ustar_block(b"short", b"00000010000\0") +
    b"y" * 700)
# Bad checksum: one bit of the name flipped after it was computed.
bad = bytearray(ustar_block(b"bad", b"00000000006\0"))
bad[0] ^= 1
raw("bad-checksum.tar", bytes(bad) + evil.ljust(512, b"\0") + end)
# A pax extended header claiming 100 MB.
raw("pax-huge-header.tar", ustar_block(b"PaxHeaders/x", b"%011o\0" %
                                       (100 << 20), typeflag=b"x") + end)
# A pax record whose length field overruns its header.
rec = b"99999999999 path=evil\n"
raw("pax-huge-record.tar",
    ustar_block(b"PaxHeaders/x", b"%011o\0" % len(rec), typeflag=b"x") +
    rec.ljust(512, b"\0") + good + end)
# A GNU 'L' long name of 1 MB.
raw("gnu-huge-longname.tar",
    ustar_block(b"././@LongLink", b"%011o\0" % (1 << 20), typeflag=b"L") +
    end)
# Not a tar at all.
raw("garbage.tar", os.urandom(4096))
