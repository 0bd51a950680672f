#!/bin/bash
# bk-prune against versitygw: the plan, --apply, --undo through bucket
# versioning (the delete markers removed), a backup under object lock kept
# and said so, bk-retain tags on the kept ones, a warning when the bucket
# keeps no versions, dead multipart uploads aborted, the lock object
# created with If-None-Match: * (versitygw v1.7.0 answers 412 to a second
# one), and the --lifecycle configuration through awscli's own validation
# (versitygw answers NotImplemented to lifecycle: the request was valid
# enough to be sent, while a broken one is refused by awscli first).
. "$BK_TOP/tests/lib.sh"

mkdir -p "$T/versions"
export VGW_VERSIONING_DIR=$T/versions
s3_buckets bk-ver bk-plain
aws s3api put-bucket-versioning --bucket bk-ver \
	--versioning-configuration Status=Enabled
aws s3api create-bucket --bucket bk-lock --object-lock-enabled-for-bucket >/dev/null

mkdir -p fx
backup() {
	local f=fx/$1 sum
	printf 'backup %s\n' "$1" >"$f"
	sum=$(sha256sum "$f" | cut -d ' ' -f 1)
	printf '%s  %s\n' "$sum" "$1" >"$f.sha256"
	printf '{"name":"%s","kind":"db","created":"%s","size":%d,"sha256":"%s"}\n' \
	    "$1" "$2" "$(stat -c %s "$f")" "$sum" >"$f.manifest.json"
}
for d in 21 22 23 24 25 26 27; do
	backup "db-$d.bk" "2026-11-${d}T12:00:00Z"
done
for b in bk-ver bk-plain bk-lock; do
	aws s3 cp --recursive --quiet fx "s3://$b/prod/db/"
done
V=s3://bk-ver/prod/db/
P=(--keep-daily 3 --max-remove 100)

expect_exit 0 bk-prune "${P[@]}" "$V" >plan
expect_grep "^keep   db 2026-11-27T12:00:00Z ${V}db-27.bk: daily 2026-11-27\$" plan
expect_grep ': keep 3, would remove 4 ' plan
expect_exit 0 bk-prune "${P[@]}" --apply "$V" >plan 2>err
expect_grep ': keep 3, removed 4$' plan
[ ! -s err ] || fail "a versioned bucket: $(cat err)"
bk-get --list "$V" | cut -f 1 >list
[ "$(cat list)" = "$(printf '%s\n' "${V}db-25.bk" "${V}db-26.bk" "${V}db-27.bk")" ] ||
	fail "after the prune: $(cat list)"
aws s3api get-object-tagging --bucket bk-ver --key prod/db/db-26.bk >tags
jq -e '.TagSet == [{"Key": "bk-retain", "Value": "daily"}]' tags >/dev/null ||
	fail "tag: $(cat tags)"
aws s3api head-object --bucket bk-ver --key prod/db/.bk-prune.lock >/dev/null 2>&1 &&
	fail "the lock was left behind"

# --undo: the delete markers go, the backup reads back whole.
expect_exit 0 bk-prune --undo db-22.bk "$V" >out
bk-get "${V}db-22.bk" | cmp - fx/db-22.bk || fail "db-22 after undo"
bk-get "${V}db-22.bk.sha256" | cmp - fx/db-22.bk.sha256 || fail "db-22's sidecar"
expect_exit 1 bk-prune --undo db-22.bk "$V" 2>err

# The lock: If-None-Match: * keeps a second one out.
printf 'bk-prune pid 1 on elsewhere at %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >lock
aws s3 cp --quiet lock "s3://bk-ver/prod/db/.bk-prune.lock"
expect_exit 75 bk-prune "${P[@]}" --apply "$V" >/dev/null 2>err
expect_grep 'locked by bk-prune pid 1 on elsewhere' err
code=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 \
	--user "$S3_ACCESS_KEY:$S3_SECRET_KEY" -H 'If-None-Match: *' \
	-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT --data-binary @lock \
	"$S3_ENDPOINT/bk-ver/prod/db/.bk-prune.lock")
[ "$code" = 412 ] || fail "a conditional put over the lock: HTTP $code"
expect_exit 0 bk-prune "${P[@]}" --apply --break-lock "$V" >/dev/null

# Object lock: a backup under retention is kept, with the reason.
until=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
aws s3api put-object-retention --bucket bk-lock --key prod/db/db-22.bk \
	--retention "Mode=GOVERNANCE,RetainUntilDate=$until"
expect_exit 0 bk-prune "${P[@]}" --apply s3://bk-lock/prod/db/ >plan
expect_grep "^keep   db 2026-11-22T12:00:00Z s3://bk-lock/prod/db/db-22.bk: object lock until ${until}\$" plan
expect_grep ': keep 4, removed 3$' plan
aws s3api head-object --bucket bk-lock --key prod/db/db-22.bk.manifest.json >/dev/null ||
	fail "the locked backup's manifest went"

# No versioning: the removal cannot be undone, and bk-prune says so.
expect_exit 0 bk-prune "${P[@]}" --apply s3://bk-plain/prod/db/ >plan 2>err
expect_grep 'keeps no versions: what is removed cannot be brought back' err

# A multipart upload dead for more than a day is aborted.
aws s3api create-multipart-upload --bucket bk-plain --key prod/db/db-28.bk >/dev/null
expect_exit 0 bk-prune "${P[@]}" --apply s3://bk-plain/prod/db/ >plan
[ "$(aws s3api list-multipart-uploads --bucket bk-plain | jq -n '[inputs][0].Uploads // [] | length')" -eq 1 ] ||
	fail "a fresh upload was aborted"
expect_exit 0 bk-prune "${P[@]}" --apply --now "$(date -u -d '+2 days' +%Y-%m-%dT%H:%M:%SZ)" \
	s3://bk-plain/prod/db/ >plan
expect_grep 'aborted 1 unfinished uploads' plan
[ "$(aws s3api list-multipart-uploads --bucket bk-plain | jq -n '[inputs][0].Uploads // [] | length')" -eq 0 ] ||
	fail "the dead upload is still there"

# The lifecycle configuration for the seed's policy, checked by awscli.
bk-prune --lifecycle --keep-hourly 24 --keep-daily 30 --keep-weekly 52 \
	--keep-monthly 84 --keep-yearly -1 s3://bk-prod/prod/db/ >lc.json
cmp lc.json "$BK_TOP/examples/lifecycle-db.json" ||
	fail "examples/lifecycle-db.json is not what bk-prune prints"
bk-prune --lifecycle --keep-daily 30 --keep-weekly 52 --keep-monthly 84 \
	--keep-yearly -1 s3://bk-prod/prod/files/ | cmp - "$BK_TOP/examples/lifecycle-files.json" ||
	fail "examples/lifecycle-files.json is not what bk-prune prints"
jq -e '[.Rules[] | select(.ID == "bk-retain-weekly") | .Transitions[].StorageClass] == ["STANDARD_IA"] and
	([.Rules[] | select(.ID == "bk-retain-yearly") | .Transitions[].Days] == [30, 365, 2555]) and
	([.Rules[] | select(.ID == "bk-retain-monthly") | .Transitions[].StorageClass] == ["STANDARD_IA", "GLACIER"]) and
	([.Rules[] | select(.ID == "bk-retain-daily" or .ID == "bk-retain-hourly")] == []) and
	(.Rules[-1].NoncurrentVersionExpiration.NoncurrentDays == 7)' lc.json >/dev/null ||
	fail "lifecycle: $(cat lc.json)"
got=0
aws s3api put-bucket-lifecycle-configuration --bucket bk-ver \
	--lifecycle-configuration file://lc.json 2>err || got=$?
grep -q 'Parameter validation failed' err && fail "awscli refused it: $(cat err)"
[ "$got" -eq 0 ] || expect_grep 'NotImplemented' err
jq '.Rules[0].Transitions[0].Days = "thirty"' lc.json >broken.json
expect_exit 252 aws s3api put-bucket-lifecycle-configuration --bucket bk-ver \
	--lifecycle-configuration file://broken.json 2>err
expect_grep 'Parameter validation failed' err

# A gateway that keeps no versions at all (501 to GetBucketVersioning):
# the prune goes on and warns.
stop_versitygw
unset VGW_VERSIONING_DIR
start_versitygw "$T/s3-plain"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-nover >/dev/null
aws s3 cp --recursive --quiet fx s3://bk-nover/prod/db/
expect_exit 0 bk-prune "${P[@]}" --apply s3://bk-nover/prod/db/ >plan 2>err
expect_grep ': keep 3, removed 4$' plan
expect_grep 'keeps no versions: what is removed cannot be brought back' err
