#!/bin/bash
# bk-drill.sh's HTML report: one self-contained page (no external
# resource, no script) that survives a backup named with <>&"' (every
# string escaped), and renders in headless Chromium: the screenshot is a
# PNG of the window's size, not blank.  Usage errors exit 2 with no report.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh
drill=$BK_TOP/scripts/bk-drill.sh

expect_exit 2 bash "$drill" --kind nope
expect_exit 2 bash "$drill" --bogus
expect_exit 2 env -u BK_DESTS bash "$drill"
bash "$drill" --help >help.out || fail "--help"
expect_grep '^usage: bk-drill.sh' help.out

mkdir -p uploads/d nas
gen_bytes h1 30000 >uploads/d/one
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf bk.conf "file://$T/nas"
bash "$backup" -c bk.conf files 2>b.err || fail "files backup: $(cat b.err)"
# The same committed backup under a hostile name.
bad="files-<b>&\"'x.bk"
for f in nas/files/files-*.bk*; do
	mv "$f" "nas/files/$bad${f##*.bk}"
done
bk-get --list --json "file://$T/nas/files/" >l.json
[ "$(jq -r .name l.json)" = "$bad" ] || fail "listing: $(cat l.json)"

export BK_DESTS="file://$T/nas" BK_KEYRING=$T/keyring BK_DRILL_DIR=$T/scratch
export BK_STATE_DIR=$T/state
bash "$drill" --kind files >out 2>err || fail "drill: $(cat err out)"
json=$(tail -n 1 out | sed 's/^report: //')
html=${json%.json}.html
[ "$(jq -r '.backups[0].name' "$json")" = "$bad" ] || fail "name in the JSON: $(cat "$json")"
expect_grep 'files-&lt;b&gt;&amp;&quot;&(apos|#39);x\.bk' "$html"
! grep -q "<b>" "$html" || fail "an unescaped name in the page"
! grep -E -i -q '<script|<link|src=|url\(|https?://[^w]' "$html" || fail "the page loads something: $(grep -E -i '<script|<link|src=|url\(|https?://' "$html")"
expect_grep '<svg ' "$html"
expect_grep '>PASS<' "$html"
[ "$(grep -c '<rect ' "$html")" -eq 7 ] || fail "timeline bars: $(grep -c '<rect ' "$html")"

# Headless Chromium renders it.
chrome=$(command -v chromium || true)
[ -n "$chrome" ] || skip "chromium is not installed (tests/deps.sh installs it)"
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars \
	--user-data-dir="$T/chrome" --screenshot="$T/shot.png" --window-size=1200,900 \
	"file://$html" >chrome.out 2>&1 || true
[ -s shot.png ] || skip "chromium cannot run here: $(tail -n 3 chrome.out)"
"$PY" - shot.png <<'EOP' || fail "screenshot"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, hdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        hdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype = hdr[:4]
assert (w, h) == (1200, 900), (w, h)
assert depth == 8 and ctype in (2, 6), hdr
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = set()
i = 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[x] = (line[x] + pr) & 255
    if y % 3 == 0:
        for x in range(0, stride, bpp * 2):
            colours.add(bytes(line[x:x + 3]))
    prev = line
# Text, the green headline and the blue bars: many colours, not a blank page.
assert len(colours) > 20, len(colours)
green = any(c[1] > 100 and c[0] < 60 and c[2] < 90 for c in colours)
blue = any(c[2] > 200 and c[0] < 80 for c in colours)
assert green and blue, "no green headline or blue bar"
EOP
