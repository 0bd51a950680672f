#!/bin/bash
# bk-verify --level quick and full on a file:// store (a NAS directory):
# a clean prefix exits 0; a flipped byte, a missing sidecar, a manifest
# with the wrong size and a manifest whose data is gone are each reported
# by name with exit 1, in the table and in --json; an incomplete backup is
# shown, not a finding.  Quick reads no data, so it misses the flipped
# byte that full finds.
. "$BK_TOP/tests/lib.sh"

mkdir -p nas/db
N=file://$T/nas/db

# backup NAME SEED: one committed 3000-byte backup of kind db.
backup() {
	gen_bytes "$2" 3000 | bk-hash -n "$1" -o sum | bk-put "$N/$1"
	bk-put --commit --sum sum --kind db "$N/$1"
}
for i in 1 2 3 4 5; do
	backup "db-$i.bk" "seed$i"
done
gen_bytes partial 500 | bk-put "$N/db-6.bk"	# a run that failed

bk-verify "$N/" >out 2>err || fail "clean prefix: exit $?: $(cat err out)"
[ ! -s err ] || fail "clean prefix: stderr: $(cat err)"
[ "$(grep -c '^ok  *full ' out)" -eq 5 ] || fail "not 5 ok: $(cat out)"
grep -Eq "^incomplete .*$N/db-6.bk\$" out || fail "incomplete: $(cat out)"
expect_grep '^6 backups: 5 ok, 0 bad, 0 stale, 1 incomplete, 0 errors; 5 checked full$' out

# The damage, one kind per backup.
printf 'X' | dd of=nas/db/db-2.bk bs=1 seek=1234 conv=notrunc 2>/dev/null
rm nas/db/db-3.bk.sha256
sed -i 's/"size" : 3000/"size" : 3001/' nas/db/db-4.bk.manifest.json
grep -q '"size" : 3001' nas/db/db-4.bk.manifest.json || fail "manifest not edited"
rm nas/db/db-5.bk

expect_exit 1 bk-verify "$N/" >out 2>err
grep -Eq "^ok  *full .*$N/db-1.bk\$" out || fail "db-1: $(cat out)"
for i in 2 3 4 5; do
	grep -Eq "^bad  *full .*$N/db-$i.bk\$" out || fail "db-$i not bad: $(cat out)"
done
grep -A1 "db-2.bk\$" out | grep -q '^    checksum mismatch: the data hashes to [0-9a-f]\{64\}, the manifest says' ||
	fail "flipped byte: $(cat out)"
grep -A1 "db-3.bk\$" out | grep -q '^    missing sidecar db-3.bk.sha256$' ||
	fail "missing sidecar: $(cat out)"
grep -A1 "db-4.bk\$" out | grep -q '^    size mismatch: the data object holds 3000 bytes, the manifest says 3001$' ||
	fail "wrong size: $(cat out)"
grep -A1 "db-5.bk\$" out | grep -q '^    data object missing' ||
	fail "data gone: $(cat out)"
expect_grep '^6 backups: 1 ok, 4 bad, 0 stale, 1 incomplete, 0 errors' out

# Quick: everything but the flipped byte, without reading the data.
# -k is accepted (and not read) below deep.
expect_exit 1 bk-verify -k no-such-keyring --level quick "$N/" >out 2>err
grep -Eq "^ok  *quick .*$N/db-2.bk\$" out || fail "quick read the data: $(cat out)"
grep -Eq "^bad  *quick .*$N/db-3.bk\$" out || fail "quick db-3: $(cat out)"

# --json: one object per backup, then the status line with the counts.
expect_exit 1 bk-verify --json "$N/" >out.json 2>err
jq -se '.[0:6] | map({(.name): .result}) | add ==
    {"db-1.bk":"ok","db-2.bk":"bad","db-3.bk":"bad","db-4.bk":"bad",
     "db-5.bk":"bad","db-6.bk":"incomplete"}' out.json >/dev/null ||
	fail "--json results: $(cat out.json)"
jq -se '.[] | select(.name == "db-3.bk") | .problems == ["missing sidecar db-3.bk.sha256"] and .level == "full" and .kind == "db" and (.url | endswith("/nas/db/db-3.bk"))' out.json >/dev/null ||
	fail "--json db-3: $(cat out.json)"
jq -se '.[6] | .tool == "bk-verify" and .exit == 1 and .ok == false and
    .summary == {"backups":6,"checked":5,"ok":1,"bad":4,"stale":0,"incomplete":1,"errors":0}' out.json >/dev/null ||
	fail "--json summary: $(tail -n 1 out.json)"
[ "$(wc -l <out.json)" -eq 7 ] || fail "--json lines: $(cat out.json)"

# An empty prefix is no finding by itself; --max-age makes it one.
mkdir -p nas/empty
bk-verify "file://$T/nas/empty/" >out 2>err || fail "empty prefix: exit $?"
expect_grep '^0 backups: 0 ok, 0 bad' out
expect_exit 1 bk-verify --max-age 1d "file://$T/nas/empty/" >out 2>err
expect_grep 'no committed backup' err
# A directory that is not there cannot be listed.
expect_exit 3 bk-verify "file://$T/nas/typo/" >out 2>err
expect_grep 'nas/typo' err

# Usage, and a prefix that cannot be read.
expect_exit 2 bk-verify --level fast "$N/"
expect_exit 2 bk-verify
expect_exit 2 bk-verify --max-age 24x "$N/"
expect_exit 2 bk-verify --sample 0% "$N/"
chmod 000 nas/db
if ! ls nas/db >/dev/null 2>&1; then
	expect_exit 3 bk-verify "$N/" >out 2>err
	expect_grep 'nas/db' err
fi
chmod 755 nas/db
