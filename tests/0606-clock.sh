#!/bin/bash
# The clock: backups "from the future" (a host whose clock is ahead wrote
# their manifests), a host in another time zone, a daylight-saving change.
# bk-verify --max-age must not count a future backup as fresh; bk-prune
# measures --keep-within from the newest backup not in the future, names
# and manifests stay UTC whatever TZ says, and buckets are UTC unless --tz.
. "$BK_TOP/tests/lib.sh"

D=$T/nas/db
U=file://$D/
mkdir -p "$D"
# real NAME KIND WHEN: a backup committed by bk-put, its manifest's
# created then set to WHEN (date -d syntax, UTC); the sidecar stays valid.
real() {
	local when
	gen_bytes "$1" 3000 | bk-hash -n "$1" -o sum | bk-put "$U$1"
	bk-put --commit --sum sum --kind "$2" "$U$1"
	when=$(date -u -d "$3" +%Y-%m-%dT%H:%M:%SZ)
	sed -i "s/\"created\" : \"[^\"]*\"/\"created\" : \"$when\"/" \
	    "$D/$1.manifest.json"
	grep -q "$when" "$D/$1.manifest.json" || fail "$1: created not set"
}

# A host in Tokyo commits a backup: its manifest's created is UTC.
before=$(date -u +%s)
gen_bytes tokyo 3000 | TZ=Asia/Tokyo bk-hash -n db-0.bk -o sum |
	TZ=Asia/Tokyo bk-put "${U}db-0.bk"
TZ=Asia/Tokyo bk-put --commit --sum sum --kind db "${U}db-0.bk"
after=$(date -u +%s)
c=$(jq -r .created "$D/db-0.bk.manifest.json")
case $c in *Z) ;; *) fail "created not UTC: $c" ;; esac
t=$(date -u -d "$c" +%s)
if [ "$t" -lt "$((before - 1))" ] || [ "$t" -gt "$after" ]; then
	fail "created $c is not the UTC time of the commit ($before..$after)"
fi
rm "$D"/db-0.bk*

# --max-age: a stale kind stays stale when a backup from the future is
# added to it; the warning says why it is not counted.
real db-1.bk db "3 days ago"
real files-1.bk files "2 hours ago"
expect_exit 1 bk-verify --level quick --max-age db=24h "$U" >out 2>err
real db-2.bk db "now + 30 days"
expect_exit 1 bk-verify --level quick --max-age db=24h "$U" >out 2>err
grep -A1 "/db-1.bk\$" out | grep -q 'stale: the newest db backup is 7[12]h[0-9][0-9]m old' ||
	fail "a future backup made db look fresh: $(cat out err)"
expect_grep '1 committed db backup from the future' err
grep -Eq "^ok  *quick .*/db-2.bk\$" out || fail "the future backup itself: $(cat out)"
# Bare --max-age: the same for every kind found.
expect_exit 1 bk-verify --level quick --max-age 24h "$U" >out 2>err
[ "$(grep -c '^stale' out)" -eq 1 ] || fail "bare --max-age: $(cat out)"
# A fresh backup not in the future: fresh, with the warning.
real db-3.bk db "1 hour ago"
bk-verify --level quick --max-age db=2h "$U" >out 2>err ||
	fail "fresh db: exit $?: $(cat out err)"
expect_grep '1 committed db backup from the future' err
# The age is taken in UTC whatever the host's zone (Tokyo is 9h ahead,
# Honolulu 10h behind).
TZ=Asia/Tokyo bk-verify --level quick --max-age db=2h,files=3h "$U" >out 2>err ||
	fail "Tokyo: exit $?: $(cat out err)"
TZ=Pacific/Honolulu bk-verify --level quick --max-age db=2h,files=3h "$U" >out 2>err ||
	fail "Honolulu: exit $?: $(cat out err)"
# A kind with only backups from the future has no fresh backup.
real logs-1.bk logs "now + 2 days"
expect_exit 1 bk-verify --level quick --max-age logs=24h "$U" >out 2>err
expect_grep 'no committed logs backup' err
rm "$D"/*

# backup NAME CREATED: a committed backup as bk-put --commit writes it
# (bk-format(5)), at a chosen time (as 0801 does).
backup() {
	local f=$D/$1 sum
	printf 'backup %s\n' "$1" >"$f"
	sum=$(sha256sum "$f" | cut -d ' ' -f 1)
	printf '%s  %s\n' "$sum" "$1" >"$f.sha256"
	printf '{"name":"%s","kind":"db","created":"%s","size":%d,"sha256":"%s","format":1}\n' \
	    "$1" "$2" "$(stat -c %s "$f")" "$sum" >"$f.manifest.json"
}
NOW=2026-11-27T12:30:00Z
for d in 20 21 22 23 24 25 26; do
	backup "db-$d.bk" "2026-11-${d}T12:00:00Z"
done
backup db-future.bk 2027-06-01T00:00:00Z
# --keep-within 36h from the newest not in the future (db-26): db-26 and
# db-25; the future one is kept as the newest of its kind.
bk-prune --keep-within 36h --max-remove 100 --now "$NOW" "$U" >plan 2>err ||
	fail "keep-within: exit $?: $(cat err)"
grep -q "^keep   db 2026-11-26T12:00:00Z ${U}db-26.bk: within" plan || fail "db-26: $(cat plan)"
grep -q "^keep   db 2026-11-25T12:00:00Z ${U}db-25.bk: within" plan || fail "db-25: $(cat plan)"
grep -q "^keep   db 2027-06-01T00:00:00Z ${U}db-future.bk" plan || fail "future: $(cat plan)"
expect_grep "^remove db 2026-11-24T12:00:00Z ${U}db-24.bk\$" plan
expect_grep ': 8 committed, keep 3, remove 5$' plan
# Applied: what the plan did not remove is still committed and verifies.
bk-prune --keep-within 36h --max-remove 100 --now "$NOW" --apply "$U" >plan 2>err ||
	fail "apply: exit $?: $(cat err)"
bk-get --list "$U" >list 2>err || fail "list: $(cat err)"
[ "$(grep -c . list)" -eq 3 ] || fail "after prune: $(cat list)"
bk-verify --level full "$U" >out 2>err || fail "verify after prune: $(cat out err)"
rm -r "$D"; mkdir -p "$D"

# Another zone: buckets in UTC unless --tz.  20:00Z on the 26th is the
# 27th in Tokyo.
backup db-z.bk 2026-11-25T10:00:00Z
backup db-a.bk 2026-11-26T10:00:00Z
backup db-b.bk 2026-11-26T20:00:00Z
TZ=Asia/Tokyo bk-prune --keep-daily 2 --max-remove 100 --now "$NOW" "$U" >plan 2>err ||
	fail "Tokyo host: exit $?: $(cat err)"
expect_grep "^keep   db 2026-11-26T20:00:00Z ${U}db-b.bk: daily 2026-11-26\$" plan
expect_grep "^keep   db 2026-11-25T10:00:00Z ${U}db-z.bk: daily 2026-11-25\$" plan
expect_grep "^remove db 2026-11-26T10:00:00Z ${U}db-a.bk\$" plan
bk-prune --keep-daily 2 --tz Asia/Tokyo --max-remove 100 --now "$NOW" "$U" >plan 2>err ||
	fail "--tz Asia/Tokyo: exit $?: $(cat err)"
expect_grep "^keep   db 2026-11-26T20:00:00Z ${U}db-b.bk: daily 2026-11-27\$" plan
expect_grep "^keep   db 2026-11-26T10:00:00Z ${U}db-a.bk: daily 2026-11-26\$" plan
expect_grep "^remove db 2026-11-25T10:00:00Z ${U}db-z.bk\$" plan
rm -r "$D"; mkdir -p "$D"

# A daylight-saving change: Europe/Berlin leaves summer time at 01:00 UTC
# on 2026-10-25, a day of 25 hours (22:00Z on the 24th to 23:00Z on the
# 25th).
backup db-1.bk 2026-10-24T21:30:00Z	# Berlin 24th 23:30 CEST
backup db-2.bk 2026-10-24T22:30:00Z	# 25th 00:30 CEST
backup db-3.bk 2026-10-25T00:30:00Z	# 25th 02:30 CEST
backup db-4.bk 2026-10-25T01:30:00Z	# 25th 02:30 CET
backup db-5.bk 2026-10-25T22:30:00Z	# 25th 23:30 CET
backup db-6.bk 2026-10-25T23:30:00Z	# 26th 00:30 CET
bk-prune --keep-daily 3 --tz Europe/Berlin --max-remove 100 --now "$NOW" "$U" >plan 2>err ||
	fail "Berlin: exit $?: $(cat err)"
expect_grep "^keep   db 2026-10-25T23:30:00Z ${U}db-6.bk: daily 2026-10-26\$" plan
expect_grep "^keep   db 2026-10-25T22:30:00Z ${U}db-5.bk: daily 2026-10-25\$" plan
expect_grep "^keep   db 2026-10-24T21:30:00Z ${U}db-1.bk: daily 2026-10-24\$" plan
expect_grep ': 6 committed, keep 3, remove 3$' plan
# In UTC the days split elsewhere.
bk-prune --keep-daily 3 --max-remove 100 --now "$NOW" "$U" >plan 2>err ||
	fail "UTC: exit $?: $(cat err)"
expect_grep "^keep   db 2026-10-25T23:30:00Z ${U}db-6.bk: daily 2026-10-25\$" plan
expect_grep "^keep   db 2026-10-24T22:30:00Z ${U}db-2.bk: daily 2026-10-24\$" plan
expect_grep "^remove db 2026-10-25T22:30:00Z ${U}db-5.bk\$" plan
