#!/bin/bash
# bk-hash: a tee that computes SHA-256 in sha256sum's format, and checks it.
. "$BK_TOP/tests/lib.sh"

# The pipeline from the runbook: data passes unchanged, the sidecar is
# exactly what sha256sum would write.
gen_bytes hash1 100000000 | tee x | bk-hash -o s -n x >y
cmp x y || fail "bk-hash changed the data"
sha256sum -c s >/dev/null || fail "sha256sum -c rejects the sidecar"
[ "$(cat s)" = "$(sha256sum x)" ] || fail "sidecar differs from sha256sum's line"

# Checking: the same data passes, exit 0, output unchanged.
bk-hash -c s -n x <x >y2
cmp x y2 || fail "bk-hash -c changed the data"
bk-hash -c s <x >/dev/null || fail "single-entry sum file without -n"

# One flipped byte: exit 1 and a message naming the mismatch.
cp x x2
printf 'Z' | dd of=x2 bs=1 seek=5000 conv=notrunc 2>/dev/null
expect_exit 1 bk-hash -c s -n x <x2 >/dev/null 2>err
expect_grep '^bk-hash: SHA-256 mismatch for x: s expects [0-9a-f]{64}, the stream has [0-9a-f]{64}$' err

# An empty stream checked against a non-empty file's sum is an earlier
# stage that failed (exit 3), not a mismatch of the data.
expect_exit 3 bk-hash -c s -n x </dev/null >/dev/null 2>err
expect_grep 'empty input: an earlier stage of the pipeline probably failed' err

# Sizes at the edges, and the default name "-".
: >empty
bk-hash <empty >/dev/null 2>e
[ "$(cat e)" = "$(sha256sum <empty)" ] || fail "empty input: $(cat e)"
head -c 1 x | bk-hash --fd 2 >/dev/null 2>one
[ "$(cat one)" = "$(head -c 1 x | sha256sum)" ] || fail "1-byte input"

# Names sha256sum escapes (backslash, newline) round-trip through both.
n=$'we\\ird\nname'
cp x "$n"
bk-hash -n "$n" -o s3 <x >/dev/null
[ "$(cat s3)" = "$(sha256sum "$n")" ] || fail "escaped name differs from sha256sum"
sha256sum -c s3 >/dev/null || fail "sha256sum -c rejects escaped name"
bk-hash -c s3 -n "$n" <x >/dev/null || fail "bk-hash -c rejects escaped name"

# sha256sum's own output (binary marker, several files) is accepted.
sha256sum -b x empty >multi
bk-hash -c multi -n empty <empty >/dev/null || fail "binary marker, -n"
expect_exit 3 bk-hash -c multi <x >/dev/null 2>err
expect_grep 'several checksums; name the one' err

# Hostile sum files: a clear one-line error, exit 3, before any data flows.
echo "this is not a checksum" >bad
expect_exit 3 bk-hash -c bad <x >out 2>err
expect_grep 'bad:1: not a SHA-256 checksum line' err
[ ! -s out ] || fail "data flowed despite an unusable sum file"
expect_exit 3 bk-hash -c missing <x >/dev/null 2>err
expect_grep "open missing: No such file" err
head -c 2000000 /dev/zero >huge
expect_exit 3 bk-hash -c huge <x >/dev/null 2>err
expect_grep 'checksum file huge: larger than 1048576 bytes' err
printf '\0\0\0' >binary
expect_exit 3 bk-hash -c binary <x >/dev/null 2>err
expect_grep 'checksum file binary: binary data' err
# A FIFO (or any file that is not regular) is refused at once, never
# waited on; a directory too.
mkfifo fifo
expect_exit 3 timeout 10 bk-hash -c fifo <x >/dev/null 2>err
expect_grep 'checksum file fifo: not a regular file' err
expect_exit 3 timeout 10 bk-hash -c . <x >/dev/null 2>err
expect_grep 'checksum file \.: not a regular file' err
# CRLF line ends, as sha256sum -c accepts them.
sed 's/$/\r/' s >crlf
sha256sum -c crlf >/dev/null 2>&1 || fail "sha256sum -c rejects CRLF (peer changed?)"
bk-hash -c crlf -n x <x >/dev/null || fail "bk-hash -c rejects a CRLF sum file"

expect_exit 3 bk-hash -c s -n nosuch <x >/dev/null 2>err
expect_grep 'no checksum for nosuch' err

# Usage errors exit 2.
expect_exit 2 bk-hash -c s -o t <x >/dev/null 2>/dev/null
expect_exit 2 bk-hash --fd 1 <x >/dev/null 2>/dev/null
expect_exit 2 bk-hash extra-arg <x >/dev/null 2>/dev/null
expect_exit 2 bk-hash --bogus <x >/dev/null 2>/dev/null

# -o writes atomically: a failed run leaves an existing sidecar alone.
echo keep >kept
expect_exit 3 bk-hash -o nodir/s <x >/dev/null 2>err
expect_grep 'nodir/s' err
ls nodir 2>/dev/null && fail "created a directory"

# -o never replaces what is not a regular file: a symlink (as root,
# -o /dev/stdout would replace the system's link), a FIFO, a directory.
ln -s kept link
expect_exit 3 bk-hash -o link <x >/dev/null 2>err
expect_grep 'link: exists and is not a regular file; not replaced' err
[ -L link ] || fail "-o replaced a symlink"
[ "$(cat link)" = keep ] || fail "-o wrote through a symlink"
mkfifo ofifo
expect_exit 3 timeout 10 bk-hash -o ofifo <x >/dev/null 2>err
[ -p ofifo ] || fail "-o replaced a FIFO"
mkdir odir
expect_exit 3 bk-hash -o odir <x >/dev/null 2>err
expect_grep 'odir: exists and is not a regular file' err
ls ./*.tmp.* 2>/dev/null && fail "left a temporary file"
# A regular file is replaced, as documented.
echo old >oreg
bk-hash -o oreg -n x <x >/dev/null
[ "$(cat oreg)" = "$(cat s)" ] || fail "-o did not replace a regular file"

# A reader that goes away early is an error, never a silent success.
expect_exit 3 bash -c 'bk-hash -o s4 <x | head -c 10 >/dev/null; exit ${PIPESTATUS[0]}'
[ ! -e s4 ] || fail "wrote a sidecar for a stream that was not delivered"

# A full disk late in the pipeline is an error (ENOSPC at write or close).
if [ -w /dev/full ]; then
	expect_exit 3 bk-hash -o s5 <x >/dev/full 2>err
	expect_grep 'No space left' err
	[ ! -e s5 ] || fail "wrote a sidecar for data that did not arrive"
fi

# --json=FILE never waits on a FIFO nobody reads.
mkfifo jfifo
expect_exit 3 timeout 10 bk-hash --json=jfifo <x >/dev/null 2>err
expect_grep 'jfifo: a FIFO with no reader' err

# --json: one status line with the digest and the byte count.
bk-hash --json=status.json -o s6 <x >/dev/null
jq -e --arg h "$(cut -c1-64 s)" '.ok == true and .sha256 == $h and .bytes == 100000000' status.json >/dev/null ||
	fail "json status: $(cat status.json)"
bk-hash --json=st2.json -c s -n x <x2 >/dev/null 2>/dev/null || true
jq -e '.ok == false and .exit == 1 and (.error | test("mismatch"))' st2.json >/dev/null ||
	fail "json status on mismatch: $(cat st2.json)"

# --progress draws a meter on stderr (percentage when the size is known);
# --fd sends the sum line to another descriptor.
bk-hash --progress --fd 3 -n x <x >/dev/null 2>meter 3>sum3
expect_grep 'bk-hash: hashing: 95\.4 MiB +100%' meter
[ "$(cat sum3)" = "$(cat s)" ] || fail "--fd 3 line differs"
bk-hash -n x <x >/dev/null 2>quiet
[ "$(cat quiet)" = "$(cat s)" ] || fail "no meter unless asked when stderr is not a terminal"

bk-hash --version | grep -q '^bk-hash (bk) ' || fail "--version"
exit 0
