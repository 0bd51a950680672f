#!/bin/bash
# bk-get --list over several stores (two buckets and a directory, as the
# runbook keeps them): each backup once, oldest first, where its copies
# are and whether they agree; a copy missing or different in one store is
# marked, differing copies make the exit status 1.  --kind keeps one kind,
# so "| tail -n 1 | cut -f 1" is the newest backup of that kind, as a URL
# that works as given.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-a >/dev/null
aws s3api create-bucket --bucket bk-b >/dev/null
mkdir -p nas/db
A=s3://bk-a/db B=s3://bk-b/db N=file://$T/nas/db

# backup KIND NAME SEED STORE...: one backup, committed in each store.
backup() {
	local kind=$1 name=$2 seed=$3 d
	shift 3
	gen_bytes "$seed" 2000 | bk-hash -n "$name" -o sum >/dev/null
	printf '{"counts": {"shop.orders": {"documents": %d, "bytes": 2000}}}\n' \
	    "${#seed}" >counts
	for d in "$@"; do
		gen_bytes "$seed" 2000 | bk-put "$d/$name"
		bk-put --commit --sum sum --kind "$kind" --key-id 0123456789abcdef \
		    --counts counts "$d/$name"
	done
	# Manifests record whole seconds: the next backup is a later one.
	sleep 1
}
backup db db-1.bk one "$A" "$B" "$N"
backup db db-2.bk two "$A" "$N"
backup files files-3.bk three "$A" "$B" "$N"
backup db db-4.bk four "$A" "$N"
gen_bytes other 2000 | bk-hash -n db-4.bk -o sum | bk-put "$B/db-4.bk"
bk-put --commit --sum sum --kind db "$B/db-4.bk"

got=0
bk-get --list "$A/" "$B/" "$N/" >list 2>err || got=$?
[ "$got" -eq 1 ] || fail "differing copies: exit $got: $(cat err)"
expect_grep 'copies of a backup differ' err
[ "$(cut -f 1 list | tr '\n' ' ')" = "$A/db-1.bk $A/db-2.bk $A/files-3.bk $A/db-4.bk " ] ||
	fail "not each backup once, oldest first: $(cat list)"
grep -q "^$A/db-1.bk	.*	copies=3/3\$" list || fail "db-1: $(cat list)"
grep -qF "copies=2/3 missing=$B/db-2.bk" list || fail "db-2: $(cat list)"
grep -qF "copies=2/3 differs=$B/db-4.bk" list || fail "db-4: $(cat list)"

bk-get --list --json "$A/" "$B/" "$N/" >list.json 2>/dev/null || true
jq -se 'length == 4 and
    (map(select(.name == "db-4.bk"))[0] | .agree == false and .kind == "db" and
	(.copies | map(.state) == ["committed", "differs", "committed"])) and
    (map(select(.name == "db-2.bk"))[0] | .agree and .key_id == "0123456789abcdef" and
	.counts == {"shop.orders": {"documents": 3, "bytes": 2000}} and
	(.copies | map(.state) == ["committed", "missing", "committed"]) and
	.copies[1].url == "'"$B/db-2.bk"'")' list.json >/dev/null ||
	fail "--json: $(cat list.json)"

# Newest of a kind, by the runbook's pipeline; the URL works.
[ "$(bk-get --list --kind files "$A/" "$N/" | tail -n 1 | cut -f 1)" = "$A/files-3.bk" ] ||
	fail "--kind files"
url=$(bk-get --list --kind db "$N/" "$A/" | tail -n 1 | cut -f 1)
[ "$url" = "$N/db-4.bk" ] || fail "--kind db: $url"
bk-get "$url" | cmp - <(gen_bytes four 2000) || fail "$url does not work"
bk-get --list --kind db "$A/" "$N/" >list || fail "agreeing stores: exit $?"
[ "$(wc -l <list)" -eq 3 ] || fail "--kind db: $(cat list)"

# A store that cannot be listed is reported; the others are still shown.
got=0
bk-get --list "$A/" s3://bk-gone/db/ >list 2>err || got=$?
[ "$got" -eq 3 ] || fail "a dead store: exit $got: $(cat err)"
expect_grep 'bk-gone' err
[ "$(wc -l <list)" -eq 4 ] || fail "a dead store hid the others: $(cat list)"
