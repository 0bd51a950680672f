#!/bin/bash
# bk-verify --level deep: one download of each backup, through SHA-256,
# the container and decompression, into the archive or tar reader.  A
# valid container around a truncated mongodump archive or tar stream, a
# backup sealed with a key that is not in the keyring, and a flipped byte
# in the ciphertext are each reported by name with exit 1; good backups
# (encrypted or plain, database or files, compressed or not) pass, on a
# NAS directory and in a bucket given together as two regions.
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/fdb"
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$FERRETDB_URI" --small 300 --big-mib 1 >/dev/null
bk-dump --uri "$FERRETDB_URI" >db.arch
kill "$FERRETDB_PID"
mkdir -p up/sub nas/b
gen_bytes files 300000 >up/a
echo hello >up/sub/b
bk-dump --files up >files.tar
bk-encrypt --genkey -k kr >/dev/null
bk-encrypt --genkey -k other >/dev/null
s3_buckets bk-b
N=file://$T/nas/b A=s3://bk-b/b

# backup NAME KIND KEYRING|- : standard input sealed (unless -), stored
# and committed under both prefixes.
backup() {
	local d
	if [ "$3" = - ]; then cat; else bk-encrypt -k "$3"; fi >"$1"
	bk-hash -n "$1" -o sum <"$1" >/dev/null
	for d in "$N" "$A"; do
		bk-put "$d/$1" <"$1"
		bk-put --commit --sum sum --kind "$2" "$d/$1"
	done
}
backup db-1.bk db kr <db.arch
zstd -q -c db.arch | backup db-2.bk db kr
backup db-3.bk db - <db.arch
backup files-4.bk files kr <files.tar
gzip -c files.tar | backup files-5.bk files -

bk-verify --level deep -k kr "$N/" "$A/" >out 2>err ||
	fail "good backups: exit $?: $(cat err out)"
[ "$(grep -c '^ok  *deep ' out)" -eq 5 ] || fail "good backups: $(cat out)"
[ ! -s err ] || fail "good backups: stderr: $(cat err)"

# The damage: truncated archives in valid containers, a key the keyring
# lacks, a flipped byte.
head -c $(($(stat -c %s db.arch) * 2 / 3)) db.arch | backup db-6.bk db kr
head -c 200000 files.tar | backup files-7.bk files kr
backup db-8.bk db other <db.arch
backup db-9.bk db kr <db.arch
printf 'X' | dd of=nas/b/db-9.bk bs=1 seek=5000 conv=notrunc 2>/dev/null

expect_exit 1 bk-verify --level deep -k kr --json "$N/" "$A/" >out.json 2>err
jq -se '.[0:9] | map({(.name): .result}) | add ==
    {"db-1.bk":"ok","db-2.bk":"ok","db-3.bk":"ok","files-4.bk":"ok",
     "files-5.bk":"ok","db-6.bk":"bad","files-7.bk":"bad","db-8.bk":"bad",
     "db-9.bk":"bad"}' out.json >/dev/null || fail "results: $(cat out.json)"
problems() { jq -r --arg n "$1" 'select(.name == $n) | .problems[]' out.json; }
# Each copy is checked: both regions report the truncated archive.
[ "$(problems db-6.bk | grep -c 'namespace [a-z_]*\.[^ ]* .*byte [0-9]*')" -eq 2 ] ||
	fail "truncated archive: $(problems db-6.bk)"
[ "$(problems files-7.bk | grep -c 'member .* (truncated)$')" -eq 2 ] ||
	fail "truncated tar: $(problems files-7.bk)"
id=$(bk-encrypt --list -k other | awk 'NR == 1 { print $1 }')
[ "$(problems db-8.bk | grep -c "^[a-z0-9]*://.*/db-8.bk: key id $id is not in the keyring kr\$")" -eq 2 ] ||
	fail "key not in the keyring ($id): $(problems db-8.bk)"
problems db-9.bk >p9
expect_grep "^$N/db-9.bk: authentication failed in segment 0 " p9
expect_grep "^$N/db-9.bk: checksum mismatch: " p9
[ "$(wc -l <p9)" -eq 2 ] || fail "db-9: the bucket's copy is good: $(cat p9)"

# An encrypted backup and no keyring: it cannot be checked (exit 3).
expect_exit 3 bk-verify --level deep "$N/" >out 2>err
expect_grep 'db-1.bk: .*encrypted, and no keyring given \(-k\)' err
grep -Eq "^error  *deep .*$N/db-1.bk\$" out || fail "no keyring: $(cat out)"
grep -Eq "^ok  *deep .*$N/db-3.bk\$" out || fail "plain backup: $(cat out)"
