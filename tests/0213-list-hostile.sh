#!/bin/bash
# bk-get --list against what a store may hold: a manifest that does not
# parse (or is a FIFO) hides no good backup, is named on stderr, and the
# exit status says something is wrong (1), and plain bk-get of a backup
# with a damaged manifest answers 1 from S3 and file:// alike; a key with a newline, tab,
# backslash or "%" cannot forge listing lines, and every listed URL,
# settings (?profile=...) included, works as given.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-list >/dev/null
mkdir -p nas/db

# backup URL SEED: a committed backup of 1000 bytes.
backup() {
	local name=${1##*/}
	name=$(printf '%b' "${name//%/\\x}")
	gen_bytes "$2" 1000 | bk-hash -n "$name" -o sum | bk-put "$1"
	bk-put --commit --sum sum --kind db "$1"
}

for base in s3://bk-list/db "file://$T/nas/db"; do
	backup "$base/a.bk" a
	backup "$base/c.bk" c
	# b.bk: data and a manifest that is not JSON.
	gen_bytes b 1000 | bk-put "$base/b.bk"
	echo 'not json {' | bk-put "$base/b.bk.manifest.json"
	got=0
	bk-get --list "$base/" >list 2>err || got=$?
	[ "$got" -eq 1 ] || fail "$base: a bad manifest: exit $got: $(cat err)"
	[ "$(cut -f 1 list | tr '\n' ' ')" = "$base/a.bk $base/c.bk " ] ||
		fail "$base: good backups hidden: $(cat list)"
	expect_grep 'b\.bk\.manifest\.json: not JSON' err
	expect_grep '1 backup manifest could not be read' err
	{ bk-get --list --all "$base/" 2>/dev/null || true; } >all
	grep -q "^$base/b.bk	.*	damaged age=" all || fail "$base: --all: $(cat all)"
	got=0
	bk-get --list --json "$base/" >list.json 2>err || got=$?
	[ "$got" -eq 1 ] || fail "$base: --json: exit $got"
	jq -se 'map(.name) == ["a.bk", "c.bk"]' list.json >/dev/null ||
		fail "$base: --json: $(cat list.json)"
done

# Reading one backup whose manifest is damaged is the same negative answer
# (1) from either store, whatever the damage: not JSON, over 1 MiB, binary.
for base in s3://bk-list/dm "file://$T/nas/dm"; do
	[ "${base%%:*}" = file ] && mkdir -p nas/dm
	for d in notjson huge nul; do
		backup "$base/$d.bk" "$d"
		case $d in
		notjson) echo 'not json {' ;;
		huge) head -c $((1 << 20)) /dev/zero | tr '\0' ' '; echo '{}' ;;
		nul) printf '{"name": "nul.bk",\0 "size": 1000}\n' ;;
		esac >m
		# Overwrite the manifest in place: as a damaged store would.
		if [ "${base%%:*}" = file ]; then cp m "nas/dm/$d.bk.manifest.json"
		else aws s3 cp m "s3://bk-list/dm/$d.bk.manifest.json" >/dev/null; fi
		got=0
		bk-get "$base/$d.bk" >out 2>err || got=$?
		[ "$got" -eq 1 ] || fail "$base/$d.bk: a damaged manifest: exit $got (want 1): $(cat err)"
		[ ! -s out ] || fail "$base/$d.bk: bytes written despite a damaged manifest"
		[ "$(wc -l <err)" -eq 1 ] || fail "$base/$d.bk: not one line: $(cat err)"
		expect_grep "$d\.bk\.manifest\.json: (not JSON|larger than 1048576 bytes|binary data \(a NUL byte\))" err
	done
done

# A "manifest" that is a FIFO is no manifest, and is never waited on.
rm nas/db/b.bk.manifest.json
mkfifo nas/db/b.bk.manifest.json
timeout 20 bk-get --list --all "file://$T/nas/db/" >list 2>err ||
	fail "a FIFO manifest: exit $?: $(cat err)"
[ "$(grep -c 'incomplete' list)" -eq 1 ] || fail "FIFO manifest: $(cat list)"
[ "$(wc -l <list)" -eq 3 ] || fail "FIFO manifest: $(cat list)"

# Keys that try to forge lines or fields.
for base in s3://bk-list/h "file://$T/nas/h"; do
	mkdir -p nas/h
	backup "$base/x.bk%0Aforged.bk%092099-01-01T00:00:00Z%091%09$(printf '0%.0s' $(seq 64))%09STANDARD" n
	backup "$base/t%09ab.bk" t
	backup "$base/back%5Cslash%25.bk" s
	backup "$base/plain.bk" p
	bk-get --list "$base/" >list
	[ "$(wc -l <list)" -eq 4 ] || fail "$base: forged lines: $(cat -A list)"
	! grep -q "^forged.bk" list || fail "$base: a forged line: $(cat -A list)"
	# Every first column is a URL that fetches that backup.
	while IFS= read -r line; do
		url=$(printf '%s\n' "$line" | cut -f 1)
		sha=$(printf '%s\n' "$line" | cut -f 4)
		[ "$(bk-get "$url" | sha256sum | cut -d' ' -f1)" = "$sha" ] ||
			fail "$base: $url does not fetch its backup"
	done <list
	bk-get --list --json "$base/" | jq -se 'length == 4' >/dev/null ||
		fail "$base: --json is not JSON lines"
	bk-get --list --json "$base/" | jq -re '.name' | grep -qF "t	ab.bk" ||
		fail "$base: --json name"
done

# Settings in the prefix URL are kept on every listed URL.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_ENDPOINT_URL
export AWS_SHARED_CREDENTIALS_FILE=$T/credentials AWS_CONFIG_FILE=$T/config
printf '[eu]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	"$S3_ACCESS_KEY" "$S3_SECRET_KEY" >credentials
printf '[profile eu]\nregion = us-east-1\nendpoint_url = %s\n' "$S3_ENDPOINT" >config
bk-get --list 's3://bk-list/db/?profile=eu' >list 2>/dev/null || true
[ "$(bk-get --list 's3://bk-list/db/?profile=eu' 2>/dev/null | tail -n 1 | cut -f 1)" = \
	's3://bk-list/db/c.bk?profile=eu' ] || fail "settings dropped: $(cat list)"
bk-get "$(tail -n 1 list | cut -f 1)" | cmp - <(gen_bytes c 1000) ||
	fail "a listed URL does not work as given"
