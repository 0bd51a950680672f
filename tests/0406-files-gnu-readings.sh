#!/bin/bash
# Where tar readers could disagree, bk-restore --files reads a stream as
# GNU tar does: of two GNU long-name ('L') or long-link ('K') records the
# last wins; of repeated records in one pax header the last wins, and of
# two pax headers the second; a pax
# path wins over an 'L' record whatever their order; a directory listed
# twice gets the mode and mtime of its last listing.  Each stream is
# extracted by GNU tar and by bk-restore, and the trees must be equal.
. "$BK_TOP/tests/lib.sh"

snap() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %s %T@ %l %P\n' | LC_ALL=C sort &&
	    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

"$PY" - <<'PYEOF'
import io, tarfile

def block(name, typeflag=b"0", size=0, mode=0o644, link=b"", mtime=1700000000,
          magic=b"ustar  \0"):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % mtime
    h[156:157] = typeflag
    h[157:157 + len(link)] = link
    h[257:265] = magic
    h[148:156] = b"        "
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)

def data(b):
    return b + b"\0" * (-len(b) % 512)

def longrec(flag, value):
    v = value + b"\0"
    return block(b"././@LongLink", flag, len(v)) + data(v)

def pax(records):
    body = b""
    for k, v in records:
        rec = b" %s=%s\n" % (k, v)
        n = len(rec) + 1
        while len(b"%d" % n) + len(rec) != n:
            n += 1
        body += b"%d" % n + rec
    return block(b"PaxHeaders/x", b"x", len(body), magic=b"ustar\x0000") + data(body)

end = b"\0" * 1024
# Two 'L' records: the second names the file.
open("ll.tar", "wb").write(longrec(b"L", b"first-name") +
    longrec(b"L", b"second-name") + block(b"short", b"0", 3) + data(b"ll\n") + end)
# Two 'K' records: the second is the symlink's target.
open("kk.tar", "wb").write(longrec(b"K", b"target-one") +
    longrec(b"K", b"target-two") + block(b"link", b"2", link=b"short") + end)
# Repeated pax records: the last path and mtime win.
ustar = b"ustar\x0000"
open("px.tar", "wb").write(pax([(b"path", b"pax-one"), (b"mtime", b"1600000000.5"),
    (b"path", b"pax-two"), (b"mtime", b"1650000000.25")]) +
    block(b"plain", b"0", 3, magic=ustar) + data(b"px\n") + end)
# A pax path wins over an 'L' record, before or after it.
open("pl.tar", "wb").write(pax([(b"path", b"from-pax")]) + longrec(b"L", b"from-gnu") +
    block(b"hdr", b"0", 3) + data(b"pl\n") +
    longrec(b"L", b"from-gnu2") + pax([(b"path", b"from-pax2")]) +
    block(b"hdr2", b"0", 3) + data(b"p2\n") + end)
# Two pax headers before one member: the second replaces the first.
open("xx.tar", "wb").write(pax([(b"path", b"x-one"), (b"mtime", b"1600000000")]) +
    pax([(b"path", b"x-two")]) + block(b"hdr", b"0", 3, magic=ustar) + data(b"xx\n") + end)
# A directory listed twice: the last mode and mtime.
open("dd.tar", "wb").write(block(b"d/", b"5", mode=0o700, mtime=1500000000, magic=ustar) +
    block(b"d/f", b"0", 3, magic=ustar) + data(b"dd\n") +
    block(b"e/", b"5", mode=0o755, magic=ustar) +
    block(b"d/", b"5", mode=0o750, mtime=1550000000, magic=ustar) + end)
PYEOF

for t in ll kk px pl xx dd; do
	mkdir "gnu-$t"
	tar -C "gnu-$t" -xpf "$t.tar" 2>err || fail "GNU tar -x $t.tar: $(cat err)"
	bk-restore --files "bk-$t" <"$t.tar" 2>err || fail "bk-restore $t.tar: $(cat err)"
	snap "gnu-$t" >g; snap "bk-$t" >b
	diff g b >/dev/null || fail "$t.tar: bk-restore differs from GNU tar: $(diff g b)"
done
# What GNU tar does is what we meant.
[ -f bk-ll/second-name ] || fail "two L records: not the last"
[ "$(readlink bk-kk/link)" = target-two ] || fail "two K records: not the last"
[ -f bk-px/pax-two ] || fail "repeated pax path: not the last"
{ [ -f bk-xx/x-two ] || fail "two pax headers: not the second"
[ -f bk-pl/from-pax ] && [ -f bk-pl/from-pax2 ]; } || fail "an L record won over a pax path"
[ "$(stat -c %a bk-dd/d)" = 750 ] || fail "directory listed twice: mode $(stat -c %a bk-dd/d)"
# bsdtar agrees on the long names.
mkdir bsd-ll
bsdtar -C bsd-ll -xf ll.tar
[ -f bsd-ll/second-name ] || fail "bsdtar reads two L records differently"
exit 0
