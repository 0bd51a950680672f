#!/bin/bash
# bk-encrypt with X25519 recipients (a write-only backup host): the host
# holds only public keys, seals to the ops key and an offline DR key, and
# cannot open what it wrote; each private keyring alone opens it; damage
# to any wrapped key or to the header is refused.
. "$BK_TOP/tests/lib.sh"

# flip FILE OFFSET: invert the low bit of one byte in place.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059 # the octal escape is built on purpose
	printf "\\$(printf %o $((b ^ 1)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
byte() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' '; }

# --- Keys: a pair per keyring, the public halves exported -------------------
ops=$(bk-encrypt --genkey --type x25519 -k ops)
[[ $ops =~ ^[0-9a-f]{16}$ ]] || fail "--genkey --type x25519 printed '$ops'"
[ "$(stat -c %a ops)" = 600 ] || fail "private keyring mode $(stat -c %a ops)"
dr=$(bk-encrypt --genkey --type x25519 -k dr)
bk-encrypt --export-public -k dr >dr.pub
grep -q '^key ' dr.pub && fail "a public keyring holds an AES key"
grep -Eq '^x25519 [0-9a-f]{16} \S+ current [0-9a-f]{64} -$' dr.pub ||
	fail "dr.pub: $(cat dr.pub)"
drpriv=$(awk '$1 == "x25519" { print $6 }' dr)
grep -q "$drpriv" dr.pub && fail "--export-public wrote the private key"
[ "$(bk-encrypt --add-recipient dr.pub -k ops)" = "$dr" ] ||
	fail "--add-recipient did not print the DR key id"
expect_exit 3 bk-encrypt --add-recipient dr.pub -k ops >/dev/null 2>err
expect_grep "already has a key with id $dr" err
bk-encrypt --export-public -k ops >host.pub
chmod 644 host.pub		# nothing secret: others may read it
# --list: one line per key with its type and check value; the public
# keyring shows the same check values as the private ones.
bk-encrypt --list -k ops >list
expect_grep "^$ops \S+ x25519 [0-9a-f]{12} current$" list
expect_grep "^$dr \S+ x25519-public [0-9a-f]{12} recipient$" list
bk-encrypt --list -k host.pub >plist
cmp <(sed 's/x25519-public/x25519/' plist | awk '{ print $1, $4, $5 }') \
    <(sed 's/x25519-public/x25519/' list | awk '{ print $1, $4, $5 }') ||
	fail "the public keyring lists other check values: $(cat plist)"
cvdr=$(bk-encrypt --list -k dr | awk '{ print $4 }')
expect_grep "^$dr \S+ x25519-public $cvdr recipient$" plist

# --- The backup host seals; only the private keyrings open ------------------
gen_bytes x 3000000 >p
bk-encrypt -k host.pub <p >c
[ "$(byte c 11)" = 3 ] || fail "key type $(byte c 11), want 3"
[ "$(byte c 14)" = 2 ] || fail "$(byte c 14) recipients, want 2"
expect_exit 3 bk-encrypt -d -k host.pub <c >out 2>err
expect_grep "no private key for recipient $ops in keyring host.pub" err
[ -s out ] && fail "the public keyring released plaintext"
bk-encrypt -d -k ops <c | cmp - p || fail "the ops keyring does not open it"
bk-encrypt -d -k dr <c | cmp - p || fail "the DR keyring alone does not open it"
bk-encrypt --genkey -k stranger >/dev/null
expect_exit 3 bk-encrypt -d -k stranger <c >/dev/null 2>err
expect_grep "none of the container's recipients \\($ops,$dr\\) is in keyring stranger" err
# Each container has its own data key and ephemeral keys.
bk-encrypt -k host.pub <p >c2
cmp -s <(head -c 300 c) <(head -c 300 c2) && fail "two headers are identical"
# --json names the current key, as for a keyring key.
bk-encrypt -d -k dr --json=st.json <c >/dev/null
jq -e --arg id "$ops" '.key_id == $id' st.json >/dev/null || fail "$(cat st.json)"

# --- Damage: header bytes 0..273; stanza i at 15 + 94 i ---------------
# (key id 8, check value 6, ephemeral public key 32, wrapped key 48)
t() {	# t OFFSET KEYRING PATTERN
	cp c x
	flip x "$1"
	expect_exit 1 bk-encrypt -d -k "$2" <x >out 2>err
	expect_grep "$3" err
	[ -s out ] && fail "released plaintext after a flip at $1"
	return 0
}
t 14 ops 'recipient list of 189 bytes at byte 12|damaged recipient list'
t 70 ops "the data key wrapped to recipient $ops \\(bytes 15\\.\\.108\\) does not authenticate"
t 35 ops "the data key wrapped to recipient $ops .* does not authenticate"
t 150 dr "the data key wrapped to recipient $dr \\(bytes 109\\.\\.202\\) does not authenticate"
# Another recipient's stanza, the salt, the commitment: the header check.
t 150 ops 'header check failed \(bytes 0\.\.273\): a corrupted header'
t 210 dr 'header check failed'
t 270 ops 'header check failed'
t 12 ops 'recipient list of 445 bytes at byte 12'
# A flipped check value reads as another key under that id.
t 23 ops "this keyring's key $ops has check value [0-9a-f]{12}, the container needs"

# --- A keyring typed back wrong --------------------------------------------
# Another pair under the ops id: the check values tell them apart.
bk-encrypt --genkey --type x25519 -k other >/dev/null
sed -E "s/^x25519 [0-9a-f]{16} /x25519 $ops /" other >ops.wrong
chmod 600 ops.wrong
cvw=$(bk-encrypt --list -k ops.wrong | awk '{ print $4 }')
cvops=$(bk-encrypt --list -k ops | awk 'NR == 1 { print $4 }')
expect_exit 1 bk-encrypt -d -k ops.wrong <c >/dev/null 2>err
expect_grep "this keyring's key $ops has check value $cvw, the container needs $cvops" err
# A private half that does not give its public half is refused on load.
priv=$(awk '$1 == "x25519" && $4 == "current" { print $6 }' ops)
awk -v p="$(printf '%064d' 3)" '$4 == "current" { $6 = p } { print }' ops >ops.typo
if [ -z "$priv" ] || grep -q "$priv" ops.typo; then fail "could not make ops.typo"; fi
chmod 600 ops.typo
expect_exit 3 bk-encrypt -d -k ops.typo <c >/dev/null 2>err
expect_grep 'the X25519 private key does not match its public key' err

# --- Modes: a private keyring stays 0600; nobody else writes a public one ---
cp ops ops.open; chmod 644 ops.open
expect_exit 3 bk-encrypt -d -k ops.open <c >/dev/null 2>err
expect_grep 'readable or writable by group or other \(mode 0644\)' err
cp host.pub w.pub; chmod 664 w.pub
expect_exit 3 bk-encrypt -k w.pub <p >/dev/null 2>err
expect_grep 'w.pub: writable by group or other \(mode 0664\)' err

# --- Limits and usage ------------------------------------------------------
# --genkey --type x25519 joins an existing keyring; AES stays the default.
aes=$(bk-encrypt --genkey -k mixed)
pair=$(bk-encrypt --genkey --type x25519 -k mixed)
bk-encrypt --list -k mixed | grep -c current | grep -qx 1 || fail "one current key"
expect_grep "^$aes \S+ aes256 [0-9a-f]{12} old$" <(bk-encrypt --list -k mixed)
expect_grep "^$pair \S+ x25519 [0-9a-f]{12} current$" <(bk-encrypt --list -k mixed)
bk-encrypt -k mixed <p | bk-encrypt -d -k mixed | cmp - p || fail "mixed keyring"
bk-encrypt --rotate -k mixed >/dev/null		# AES current again
expect_exit 3 bk-encrypt --export-public -k mixed >/dev/null 2>err
expect_grep 'the current key is not an X25519 key pair' err
expect_exit 2 bk-encrypt --type x25519 -k ops </dev/null >/dev/null 2>err
expect_grep 'type goes with --genkey or --rotate' err
expect_exit 2 bk-encrypt --genkey --type rsa -k new >/dev/null 2>err
expect_grep 'unknown key type rsa' err
# Ten recipients fit a header; an eleventh is refused.
bk-encrypt --genkey --type x25519 -k ten >/dev/null
for i in 1 2 3 4 5 6 7 8 9; do
	bk-encrypt --genkey --type x25519 -k "r$i" >/dev/null
	bk-encrypt --export-public -k "r$i" >"r$i.pub"
	bk-encrypt --add-recipient "r$i.pub" -k ten >/dev/null
done
bk-encrypt -k ten <p >c10
bk-encrypt -d -k r9 <c10 | cmp - p || fail "the tenth recipient does not open"
bk-encrypt --add-recipient dr.pub -k ten >/dev/null
expect_exit 3 bk-encrypt -k ten <p >/dev/null 2>err
expect_grep 'more than 10 recipients' err
exit 0
