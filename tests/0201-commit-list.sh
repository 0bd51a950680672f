#!/bin/bash
# The commit protocol: data object, then NAME.sha256, then
# NAME.manifest.json, only after the whole pipeline succeeded.  The listing
# shows only committed backups; incomplete ones only with --all, with age.
# Same on an S3 server and in a file:// directory.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-commit >/dev/null
mkdir -p "$T/nas/db"

for base in s3://bk-commit/db "file://$T/nas/db"; do
	gen_bytes ok 300000 >data
	# A good run: every stage exits 0, then the commit.
	bk-hash -n db-1.bk -o sum <data | bk-put "$base/db-1.bk"
	echo '{"tool":"bk-dump","counts":{"app.users":3,"app.orders":5}}' >counts.json
	bk-put --commit --sum sum --kind db --key-id k1 --compression zstd \
	    --source mongodb://prod/app --counts counts.json --json=commit.json \
	    "$base/db-1.bk"
	jq -e '.tool == "bk-put" and .ok and .exit == 0 and (has("bytes") | not)
	    and (.destinations | length == 1 and .[0].ok)' commit.json >/dev/null ||
		fail "$base: commit --json: $(cat commit.json)"
	# A failed run: the upstream stage fails, so no commit.
	{ gen_bytes bad 1000; exit 1; } | bk-put "$base/db-2.bk" || true

	bk-get --list "$base/" >list
	[ "$(wc -l <list)" -eq 1 ] || fail "$base: listing: $(cat list)"
	read -r name created size sha class <list
	[ "$name" = "$base/db-1.bk" ] || fail "$base: name $name"
	[ "$size" = 300000 ] || fail "$base: size $size"
	[ "$sha" = "$(sha256sum <data | cut -d' ' -f1)" ] || fail "$base: sha $sha"
	[ -n "$class" ] || fail "$base: no storage class: $(cat list)"
	[ -n "$created" ] || fail "$base: no time: $(cat list)"

	bk-get --list --all --json "$base/" >all.json
	jq -se 'length == 2 and (map(select(.committed == false))[0] |
	    .name == "db-2.bk" and (.url | endswith("/db/db-2.bk")) and .age >= 0)' all.json >/dev/null ||
		fail "$base: --all: $(cat all.json)"
	bk-get --list --all "$base/" | grep -q 'db-2.bk.*incomplete age=' ||
		fail "$base: incomplete backup not flagged"

	# The sidecar is sha256sum's own format, for the data's base name.
	bk-get "$base/db-1.bk.sha256" >db-1.bk.sha256
	cp data db-1.bk
	sha256sum -c --quiet db-1.bk.sha256 || fail "$base: sidecar"
	bk-get "$base/db-1.bk.manifest.json" >m.json
	jq -e '.name == "db-1.bk" and .kind == "db" and .size == 300000 and
	    .key_id == "k1" and .compression == "zstd" and
	    .counts["app.orders"] == 5 and (.created | test("Z$")) and
	    .tool_version != null' m.json >/dev/null || fail "manifest: $(cat m.json)"
	# Committing again is harmless; a different sum is refused.
	bk-put --commit --sum sum --kind db "$base/db-1.bk" ||
		fail "$base: committing again failed"
	echo "$(printf '0%.0s' $(seq 64))  db-1.bk" >badsum
	expect_exit 1 bk-put --commit --sum badsum "$base/db-1.bk" 2>err
	expect_grep 'SHA-256 0{64} in badsum, but the store holds [0-9a-f]{64}; not committed' err
	# A sidecar changed behind our back is not overwritten.
	echo "$(printf '1%.0s' $(seq 64))  db-1.bk" | bk-put --overwrite "$base/db-1.bk.sha256"
	expect_exit 3 bk-put --commit --sum sum "$base/db-1.bk" 2>err
	expect_grep 'exists with other contents' err
	bk-put --overwrite "$base/db-1.bk.sha256" <sum
	# Nothing to commit for an object that is not there.
	expect_exit 3 bk-put --commit --sum sum "$base/db-9.bk" 2>err
	expect_grep 'no such object' err
done
# No temporary files left in the directory store.
[ "$(find "$T/nas/db" -name '*.tmp.*' | wc -l)" -eq 0 ] ||
	fail "temporary files left"
