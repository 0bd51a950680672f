#!/bin/bash
# bk-encrypt: keyring management, byte-exact round trips at the segment
# edges, and every way a container can be damaged refused with exit 1.
. "$BK_TOP/tests/lib.sh"

P=1048560		# plaintext bytes in a full 1 MiB segment
H=99			# header bytes with a keyring key id and check value
S=1048576		# ciphertext bytes in a full segment

# flip FILE OFFSET: invert the low bit of one byte in place.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the octal escape is built on purpose
	printf "\\$(printf %o $((b ^ 1)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# refused FILE PATTERN: -d exits 1 naming PATTERN; returns the output size.
refused() {
	expect_exit 1 bk-encrypt -d -k kr <"$1" >out 2>err
	expect_grep "$2" err
	[ "$(wc -l <err)" -eq 1 ] || fail "more than one diagnostic: $(cat err)"
}

# --- The keyring -----------------------------------------------------------
id1=$(bk-encrypt --genkey -k kr)
[[ $id1 =~ ^[0-9a-f]{16}$ ]] || fail "--genkey printed '$id1'"
[ "$(stat -c %a kr)" = 600 ] || fail "keyring mode $(stat -c %a kr)"
cp kr kr.before
expect_exit 3 bk-encrypt --genkey -k kr >/dev/null 2>err
expect_grep 'kr: already exists; not overwritten' err
cmp kr kr.before || fail "--genkey replaced an existing keyring"
ls kr.tmp.* 2>/dev/null && fail "left a temporary file"
bk-encrypt --list -k kr >list
expect_grep "^$id1 [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z aes256 [0-9a-f]{12} current$" list
cv1=$(awk '{ print $4 }' list)
key1=$(awk '$1 == "key" { print $5 }' kr)
grep -q "$key1" list && fail "--list printed key bytes"

# --- Round trips, byte exact, at the segment edges ---------------------------
for n in 0 1 $((P - 1)) $P $((P + 1)) $((5 * P + 7)); do
	gen_bytes "rt$n" "$n" >p
	bk-encrypt -k kr <p >c
	bk-encrypt -d -k kr <c >q
	cmp p q || fail "round trip of $n bytes differs"
	# Overhead: header + one tag per segment; the last segment is short.
	want=$((H + n + 16 * (n / P + 1)))
	[ "$(stat -c %s c)" -eq "$want" ] || fail "$n bytes sealed to $(stat -c %s c), want $want"
done
# Through pipes, with BK_KEYRING instead of -k.
gen_bytes pipe 3000000 | BK_KEYRING=kr bk-encrypt | cat |
    BK_KEYRING=kr bk-encrypt -d | cmp - <(gen_bytes pipe 3000000) ||
	fail "pipe round trip with BK_KEYRING differs"
# Two encryptions of the same data differ (fresh salt and nonce prefix).
bk-encrypt -k kr <p >c2
cmp -s c c2 && fail "two containers of the same data are identical"

# The container used below: 2.5 segments, so segments 0, 1 and a short 2.
gen_bytes tamper $((2 * P + P / 2)) >p
bk-encrypt -k kr <p >c
[ "$(stat -c %s c)" -eq $((H + 2 * S + P / 2 + 16)) ] || fail "unexpected size"

# --- A flipped bit anywhere: header fields, segments, tags ------------------
t() { cp c x; flip x "$1"; refused x "$2"; }
t 0 'not a bk-encrypt container \(bad magic\)$'
t 8 'unsupported container version 0 at byte 8'
t 9 'unknown algorithm 0 at byte 9'
t 10 'header check failed \(bytes 0\.\.98\): a corrupted header'
t 11 'unknown key type 0 at byte 11'
t 13 'key id of 15 bytes at byte 12'
# A damaged check value (bytes 22..27) reads as another key under the id.
t 22 "this keyring's key [0-9a-f]{16} has check value $cv1, the container needs [0-9a-f]{12}"

# A key id the keyring lacks is exit 3 (bk(7): a missing key is for an
# operator to fix), whether the key is missing or the id was damaged.
cp c x; flip x 14
expect_exit 3 bk-encrypt -d -k kr <x >/dev/null 2>err
expect_grep "key id [0-9a-f]{16} \\(bytes 14\\.\\.21\\) is not in keyring kr: use the keyring that holds it, or the header is corrupted" err
t 30 'header check failed'				# salt
t 62 'header check failed'				# nonce prefix
t 80 'header check failed'				# key commitment
t $((H + 1000)) "authentication failed in segment 0 \\(bytes $H\\.\\.$((H + S - 1))\\): corrupted, reordered or substituted data"
t $((H + S - 1)) 'authentication failed in segment 0'	# its tag
t $((H + S + 5)) "authentication failed in segment 1 \\(bytes $((H + S))\\.\\.$((H + 2 * S - 1))\\)"
t $((H + 2 * S + 3)) 'authentication failed in segment 2 .*the end of the stream'
t $(($(stat -c %s c) - 1)) 'authentication failed in segment 2'	# last tag
# A bad segment's plaintext is never released: only segment 0 came out.
cp c x
flip x $((H + S + 5))
refused x 'segment 1'
cmp out <(head -c $P p) || fail "released plaintext of an unverified segment"

# The segment-size byte flipped to another legal size (2^21).
cp c x
printf '\025' | dd of=x bs=1 seek=10 conv=notrunc 2>/dev/null
refused x 'header check failed'
# An unknown version, and a keyring id read as a KMS reference, refused.
cp c x
printf '\002' | dd of=x bs=1 seek=8 conv=notrunc 2>/dev/null
refused x 'unsupported container version 2 at byte 8 \(this bk-encrypt reads version 1\)'
cp c x
printf '\002' | dd of=x bs=1 seek=11 conv=notrunc 2>/dev/null
refused x 'malformed KMS key reference at byte 14'

# --- Truncation at any byte, including exactly on segment boundaries --------
tr_() { head -c "$1" c >x; refused x "$2"; }
# Zero bytes is an earlier stage that failed, not a damaged container.
: >x
expect_exit 3 bk-encrypt -d -k kr <x >/dev/null 2>err
expect_grep 'empty input: an earlier stage of the pipeline probably failed' err
tr_ 5 'truncated: stream ends at byte 5, inside the header'
tr_ 50 'truncated: stream ends at byte 50, inside the header'
tr_ $((H - 1)) "truncated: stream ends at byte $((H - 1)), inside the header"
tr_ $H "truncated: stream ends at byte $H without a final segment"
tr_ $((H + 10)) "stream ends at byte $((H + 10)) inside segment 0, before its tag"
tr_ $((H + S)) "truncated: stream ends at byte $((H + S)) without a final segment"
tr_ $((H + 2 * S)) "truncated: stream ends at byte $((H + 2 * S)) without a final segment"
tr_ $((H + S + 1000)) 'authentication failed in segment 1 .*the end of the stream'
tr_ $(($(stat -c %s c) - 1)) 'authentication failed in segment 2 .*the end of the stream'

# --- Reordered, duplicated, dropped segments; appended garbage --------------
# cut FROM COUNT: bytes of c.
cut_() { dd if=c bs=64K iflag=skip_bytes,count_bytes skip="$1" count="$2" 2>/dev/null; }
cut_ 0 $H >h
cut_ $H $S >s0
cut_ $((H + S)) $S >s1
cut_ $((H + 2 * S)) $S >s2
cat h s0 s1 s2 | cmp - c || fail "splitting the container"
cat h s1 s0 s2 >x; refused x 'authentication failed in segment 0'
cat h s0 s0 s1 s2 >x; refused x 'authentication failed in segment 1'
cat h s0 s2 >x; refused x 'authentication failed in segment 1 .*the end of the stream'
cat h s0 s1 >x; refused x "stream ends at byte $((H + 2 * S)) without a final segment"
cat h s0 s1 s2 s2 >x; refused x 'authentication failed in segment 2'
cat c <(printf x) >x; refused x 'authentication failed in segment 2 .*garbage appended'
cat c c >x; refused x 'authentication failed in segment 2'
# A header spliced from another container of the same key.
dd if=c2 bs=$H count=1 2>/dev/null | cat - s0 s1 s2 >x; refused x 'authentication failed in segment 0'

# --- Keys: wrong key, unknown id, rotation ---------------------------------
sed "s/$key1/$(printf '%064d' 7)/" kr >kr.wrong
chmod 600 kr.wrong
expect_exit 1 bk-encrypt -d -k kr.wrong <c >/dev/null 2>err
cvw=$(bk-encrypt --list -k kr.wrong | awk '{ print $4 }')
expect_grep "this keyring's key $id1 has check value $cvw, the container needs $cv1: kr.wrong holds another key under that id" err
bk-encrypt --genkey -k other >/dev/null
expect_exit 3 bk-encrypt -d -k other <c >/dev/null 2>err
expect_grep "key id $id1 \\(bytes 14\\.\\.21\\) is not in keyring other" err

id2=$(bk-encrypt --rotate -k kr)
[ "$id2" != "$id1" ] || fail "--rotate reused the id"
bk-encrypt --list -k kr >list
expect_grep "^$id1 .* old$" list
expect_grep "^$id2 .* current$" list
[ "$(wc -l <list)" -eq 2 ] || fail "--list after rotate: $(cat list)"
[ "$(stat -c %a kr)" = 600 ] || fail "rotate changed the mode"
bk-encrypt -k kr <p >c3
[ "$(od -An -tx1 -j 14 -N 8 c3 | tr -d ' \n')" = "$id2" ] ||
	fail "new container does not name the current key"
bk-encrypt -d -k kr <c3 | cmp - p || fail "decrypt with the new key"
bk-encrypt -d -k kr <c | cmp - p || fail "an old container after rotation"
id3=$(bk-encrypt --rotate -k kr)
bk-encrypt --list -k kr | grep -c current | grep -qx 1 || fail "one current key"
bk-encrypt --list -k kr | grep -q "^$id3 .* current$" || fail "third key not current"

# --- The keyring file is refused when others can read it, or is missing ------
chmod 640 kr
expect_exit 3 bk-encrypt -k kr <p >/dev/null 2>err
expect_grep 'kr: readable or writable by group or other \(mode 0640\); run chmod 600 kr' err
expect_exit 3 bk-encrypt -d -k kr <c >/dev/null 2>err
expect_exit 3 bk-encrypt --list -k kr >/dev/null 2>err
chmod 600 kr
expect_exit 3 bk-encrypt -k missing <p >/dev/null 2>err
expect_grep 'open missing: No such file or directory' err
expect_exit 3 bk-encrypt --rotate -k missing >/dev/null 2>err
echo "not a keyring" >junk; chmod 600 junk
expect_exit 3 bk-encrypt -d -k junk <c >/dev/null 2>err
expect_grep 'junk:1: not a bk keyring' err

# A keyring that is a FIFO (or a directory) is refused at once by every
# verb, never waited on.
mkfifo kfifo
for v in "" -d --rotate --list --genkey; do
	# shellcheck disable=SC2086 # an empty verb is no argument
	expect_exit 3 timeout 10 bk-encrypt $v -k kfifo <p >/dev/null 2>err
	expect_grep 'kfifo: (not a regular file|exists and is not a regular file)' err
done
mkdir kdir
expect_exit 3 timeout 10 bk-encrypt -k kdir <p >/dev/null 2>err
expect_grep 'kdir: not a regular file' err

# --- Operational failures and usage ----------------------------------------
if [ -w /dev/full ]; then
	expect_exit 3 bk-encrypt -k kr <p >/dev/full 2>err
	expect_grep 'No space left' err
	expect_exit 3 bk-encrypt -d -k kr <c >/dev/full 2>err
fi
expect_exit 3 bash -c 'bk-encrypt -k kr <p 2>err | head -c 10 >/dev/null; exit ${PIPESTATUS[0]}'
expect_grep 'write <stdout>: Broken pipe \(the next stage of the pipeline stopped reading\)' err
expect_exit 2 env -u BK_KEYRING bk-encrypt <p >/dev/null 2>err
expect_grep 'no keyring: give -k FILE or set BK_KEYRING' err
expect_exit 2 bk-encrypt -k kr extra <p >/dev/null 2>/dev/null
expect_exit 2 bk-encrypt -d --genkey -k kr </dev/null >/dev/null 2>/dev/null
expect_exit 2 bk-encrypt --bogus -k kr </dev/null >/dev/null 2>/dev/null
bk-encrypt --help | grep -q '^usage: bk-encrypt' || fail "--help"
bk-encrypt --version | grep -q '^bk-encrypt (bk) ' || fail "--version"

# --- --json status line ----------------------------------------------------
bk-encrypt -k kr --json=st.json <p >c4
jq -e --arg id "$id3" '.ok == true and .mode == "encrypt" and .key_id == $id and .bytes_in == '"$((2 * P + P / 2))" st.json >/dev/null ||
	fail "json: $(cat st.json)"
cp c4 x; flip x 2000000
bk-encrypt -d -k kr --json=st2.json <x >/dev/null 2>/dev/null || true
jq -e '.ok == false and .exit == 1 and (.error | test("authentication failed"))' st2.json >/dev/null ||
	fail "json on failure: $(cat st2.json)"
exit 0
