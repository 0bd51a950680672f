#!/bin/bash
# bk-verify --max-age (per kind, or for every kind), --sample (a count or
# a percentage chosen at random; the rest get the quick checks) and
# --state (new backups checked at the level, and a rotating share of the
# others, those verified longest ago), in the state file's format that
# bk-prune reads.
. "$BK_TOP/tests/lib.sh"

mkdir -p nas/b
N=file://$T/nas/b

# backup NAME KIND AGE: a committed backup whose manifest says it was made
# AGE ago (date -d syntax: "3 days", "2 hours").
backup() {
	local when
	gen_bytes "$1" 2000 | bk-hash -n "$1" -o sum | bk-put "$N/$1"
	bk-put --commit --sum sum --kind "$2" "$N/$1"
	when=$(date -u -d "-$3" +%Y-%m-%dT%H:%M:%SZ)
	sed -i "s/\"created\" : \"[^\"]*\"/\"created\" : \"$when\"/" \
	    "nas/b/$1.manifest.json"
	grep -q "$when" "nas/b/$1.manifest.json" || fail "$1: created not set"
}
backup db-1.bk db "3 days"
backup files-2.bk files "30 hours"
backup db-3.bk db "20 hours"
backup db-4.bk db "2 hours"
backup files-5.bk files "29 hours"
backup db-6.bk db "90 minutes"

# --max-age
bk-verify --level quick --max-age db=2h,files=30h "$N/" >out 2>err ||
	fail "fresh enough: exit $?: $(cat err out)"
expect_exit 1 bk-verify --level quick --max-age 24h "$N/" >out 2>err
grep -Eq "^stale  *quick .*$N/files-5.bk\$" out || fail "24h: $(cat out)"
grep -A1 "files-5.bk\$" out | grep -q '^    stale: the newest files backup is 29h0[0-9]m old (--max-age 24h)$' ||
	fail "24h problem: $(cat out)"
[ "$(grep -c '^stale' out)" -eq 1 ] || fail "24h: only the newest files backup: $(cat out)"
expect_exit 1 bk-verify --level quick --max-age db=1h --max-age files=2d --json "$N/" >out 2>err
jq -se '[.[] | select(.result == "stale") | .name] == ["db-6.bk"] and
    .[6].summary.stale == 1' out >/dev/null || fail "db=1h: $(cat out)"
expect_exit 1 bk-verify --level quick --max-age logs=1h "$N/" >out 2>err
expect_grep 'no committed logs backup' err

# --sample: the others get the quick checks.
bk-verify --sample 2 "$N/" >out 2>err || fail "--sample 2: exit $?"
[ "$(grep -c '^ok  *full ' out)" -eq 2 ] || fail "--sample 2: $(cat out)"
[ "$(grep -c '^ok  *quick ' out)" -eq 4 ] || fail "--sample 2: $(cat out)"
bk-verify --sample 50% --json "$N/" >out 2>err || fail "--sample 50%: exit $?"
jq -se '(.[0:6] | map(select(.level == "full")) | length) == 3 and .[6].summary.checked == 3' out >/dev/null ||
	fail "--sample 50%: $(cat out)"

# --state: the first run checks everything at the level.
bk-verify --state st "$N/" >out 2>err || fail "--state: exit $?: $(cat err)"
[ "$(grep -c '^ok  *full ' out)" -eq 6 ] || fail "first --state run: $(cat out)"
[ "$(head -n 1 st)" = "# bk-verify state 1" ] || fail "state header: $(cat st)"
[ "$(grep -cP "^file://$T/nas/b/[a-z]+-[0-9].bk\t[0-9a-f]{64}\tfull\t20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\tok\$" st)" -eq 6 ] ||
	fail "state lines: $(cat st)"
[ "$(wc -l <st)" -eq 7 ] || fail "state: $(cat st)"
# db-3 was verified longest ago: the next run's share (one) is db-3.
sed -i "s|^\(file://$T/nas/b/db-3.bk\t[0-9a-f]*\tfull\t\)[^\t]*|\12026-01-01T00:00:00Z|" st
grep -q "2026-01-01T00:00:00Z" st || fail "state not edited"
bk-verify --state st --sample 1 "$N/" >out 2>err || fail "second run: exit $?"
[ "$(grep -c '^ok  *full ' out)" -eq 1 ] || fail "second run: $(cat out)"
grep -Eq "^ok  *full .*/db-3.bk\$" out || fail "not the oldest verified: $(cat out)"
grep -q "2026-01-01T00:00:00Z" st && fail "db-3's line not updated: $(cat st)"
# A new backup is always checked; a removed one leaves the state.
backup db-7.bk db "10 minutes"
rm nas/b/db-1.bk*
bk-verify --state st --sample 0 "$N/" >out 2>err || fail "third run: exit $?"
[ "$(grep -c '^ok  *full ' out)" -eq 1 ] || fail "third run: $(cat out)"
grep -Eq "^ok  *full .*/db-7.bk\$" out || fail "new backup not checked: $(cat out)"
grep -q '/db-1.bk	' st && fail "a removed backup kept: $(cat st)"
[ "$(wc -l <st)" -eq 7 ] || fail "third state: $(cat st)"
# A bad backup is checked again on every run until it is good.
printf 'X' | dd of=nas/b/db-4.bk bs=1 seek=10 conv=notrunc 2>/dev/null
sed -i "s|^\(file://$T/nas/b/db-4.bk\t[0-9a-f]*\tfull\t[^\t]*\t\)ok|\1bad|" st
expect_exit 1 bk-verify --state st --sample 0 "$N/" >out 2>err
grep -Eq "^bad  *full .*/db-4.bk\$" out || fail "bad not rechecked: $(cat out)"
grep -qP "/db-4.bk\t[0-9a-f]{64}\tfull\t[^\t]+\tbad\$" st || fail "state of db-4: $(cat st)"
# A quick check's finding replaces an older "ok" in the state.
sed -i "s|^\(file://$T/nas/b/db-4.bk\t[0-9a-f]*\tfull\t[^\t]*\t\)bad|\1ok|" st
rm nas/b/db-4.bk.sha256
expect_exit 1 bk-verify --state st --sample 0 --level quick "$N/" >out 2>err
grep -qP "/db-4.bk\t[0-9a-f]{64}\tquick\t[^\t]+\tbad\$" st || fail "quick finding not in the state: $(cat st)"
# One state file for two prefixes: each run keeps the other's lines.
mkdir -p nas/c
gen_bytes c1 100 | bk-hash -n c-1.bk -o sum | bk-put "file://$T/nas/c/c-1.bk"
bk-put --commit --sum sum --kind db "file://$T/nas/c/c-1.bk"
bk-verify --state st "file://$T/nas/c/" >out 2>err || fail "prefix c: exit $?"
grep -q "/nas/c/c-1.bk	" st || fail "prefix c not in the state: $(cat st)"
[ "$(grep -c "/nas/b/" st)" -eq 6 ] || fail "prefix b's lines lost: $(cat st)"
expect_exit 1 bk-verify --state st --sample 0 "$N/" >out 2>err
grep -q "/nas/c/c-1.bk	" st || fail "prefix c's line lost: $(cat st)"
# A state file that is not one is refused, and left alone.
echo "hello" >bad.st
expect_exit 3 bk-verify --state bad.st "$N/" >out 2>err
expect_grep 'not a bk-verify state file' err
[ "$(cat bad.st)" = hello ] || fail "bad state file replaced"
