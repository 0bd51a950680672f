#!/bin/bash
# bk-verify against versitygw, and across regions (two buckets and a NAS
# directory, as the runbook keeps them): a flipped byte, a missing
# sidecar and a manifest with the wrong size are reported by name with
# exit 1; a backup missing from one region, or different there, is a
# finding too; every copy agreeing exits 0.
. "$BK_TOP/tests/lib.sh"

s3_buckets bk-a bk-b
mkdir -p nas/db
# The damage is done where versitygw keeps the objects, as rot or an
# operator's mistake would do it on a server.
SA=$T/s3/data/bk-a/db
A=s3://bk-a/db B=s3://bk-b/db N=file://$T/nas/db

# backup NAME SEED STORE...: one backup of 4000 bytes, committed in each.
backup() {
	local name=$1 seed=$2 d
	shift 2
	gen_bytes "$seed" 4000 | bk-hash -n "$name" -o sum >/dev/null
	for d in "$@"; do
		gen_bytes "$seed" 4000 | bk-put "$d/$name"
		bk-put --commit --sum sum --kind db "$d/$name"
	done
}
backup db-1.bk one "$A" "$B" "$N"
backup db-2.bk two "$A" "$B" "$N"

bk-verify "$A/" "$B/" "$N/" >out 2>err || fail "agreeing regions: exit $?: $(cat err out)"
[ "$(grep -c '^ok  *full ' out)" -eq 2 ] || fail "agreeing regions: $(cat out)"

# One bucket alone: each damage named.
backup db-3.bk three "$A"
backup db-4.bk four "$A"
backup db-5.bk five "$A"
[ -f "$SA/db-3.bk" ] || fail "versitygw keeps objects elsewhere: $(find "$T/s3/data" | head)"
printf 'X' | dd of="$SA/db-3.bk" bs=1 seek=100 conv=notrunc 2>/dev/null
rm "$SA/db-4.bk.sha256"
sed -i 's/"size" : 4000/"size" : 4096/' "$SA/db-5.bk.manifest.json"
grep -q '"size" : 4096' "$SA/db-5.bk.manifest.json" || fail "manifest not edited"

expect_exit 1 bk-verify --json "$A/" >out 2>err
jq -se '.[0:5] | map({(.name): .result}) | add ==
    {"db-1.bk":"ok","db-2.bk":"ok","db-3.bk":"bad","db-4.bk":"bad","db-5.bk":"bad"}' out >/dev/null ||
	fail "s3: $(cat out)"
jq -se '.[] | select(.name == "db-3.bk") | .problems[0] | startswith("checksum mismatch: ")' out >/dev/null ||
	fail "s3 flipped byte: $(cat out)"
jq -se '.[] | select(.name == "db-4.bk") | .problems == ["missing sidecar db-4.bk.sha256"]' out >/dev/null ||
	fail "s3 missing sidecar: $(cat out)"
jq -se '.[] | select(.name == "db-5.bk") | .problems == ["size mismatch: the data object holds 4000 bytes, the manifest says 4096"]' out >/dev/null ||
	fail "s3 wrong size: $(cat out)"

# Regions: db-3..5 are only in bucket A; db-2 differs in the NAS copy.
rm -f "$SA"/db-[345].bk*
backup db-6.bk six "$A" "$N"
rm nas/db/db-2.bk*
backup db-2.bk other "$N"
expect_exit 1 bk-verify "$A/" "$B/" "$N/" >out 2>err
grep -Eq "^ok  *full .*$A/db-1.bk\$" out || fail "db-1: $(cat out)"
grep -Eq "^bad  *full .*$A/db-6.bk\$" out || fail "db-6: $(cat out)"
grep -A1 "db-6.bk\$" out | grep -qF "    missing in $B/ (held by $A/db-6.bk)" ||
	fail "missing in a region: $(cat out)"
grep -A1 "db-2.bk\$" out | grep -qF "    $N/db-2.bk differs from $A/db-2.bk: size 4000 sha256 " ||
	fail "differs: $(cat out)"
