#!/bin/bash
# The commit and its reading back, against mistakes and hostile files:
# bk-put --commit --sum refuses a sum file that names another object or
# whose digest is not what the store holds (exit 1, nothing committed);
# a sum, counts or AWS configuration file that is a FIFO is refused at
# once, never waited on; bk-get refuses a data object without its manifest
# (exit 1) unless --uncommitted; --help describes every option.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-chk >/dev/null
mkdir nas
gen_bytes data 100000 >data
gen_bytes big $((11 << 20)) >big

# nothing_committed URL: neither sidecar nor manifest exists.
nothing_committed() {
	expect_exit 3 bk-get "$1.sha256" >/dev/null 2>&1
	expect_exit 3 bk-get "$1.manifest.json" >/dev/null 2>&1
}

for base in s3://bk-chk "file://$T/nas"; do
	bk-hash -n db.bk -o sum <data | bk-put "$base/db.bk"
	# A sum file for another object, or for standard input.
	bk-hash -n other.bk -o other.sum <data >/dev/null
	expect_exit 1 bk-put --commit --sum other.sum "$base/db.bk" 2>err
	expect_grep 'other\.sum: no checksum for db\.bk' err
	bk-hash -o stdin.sum <data >/dev/null
	expect_exit 1 bk-put --commit --sum stdin.sum "$base/db.bk" 2>err
	expect_grep 'no checksum for db\.bk' err
	# The right name, another digest.
	gen_bytes else 100000 | bk-hash -n db.bk -o wrong.sum >/dev/null
	expect_exit 1 bk-put --commit --sum wrong.sum "$base/db.bk" 2>err
	expect_grep "^bk-put: $base/db.bk: SHA-256 [0-9a-f]{64} in wrong.sum, but the store holds $(sha256sum <data | cut -c1-64); not committed\$" err
	nothing_committed "$base/db.bk"

	# Not committed: bk-get says so and writes nothing.
	expect_exit 1 bk-get "$base/db.bk" >out 2>err
	expect_grep "^bk-get: $base/db.bk: not a committed backup: db.bk.manifest.json missing; an incomplete run" err
	[ "$(wc -l <err)" -eq 1 ] || fail "$base: not one line: $(cat err)"
	[ ! -s out ] || fail "$base: bk-get wrote data of an uncommitted backup"
	bk-get --uncommitted "$base/db.bk" | cmp - data || fail "$base: --uncommitted"
	# An object that is not there at all is the usual failure.
	expect_exit 3 bk-get "$base/none.bk" >/dev/null 2>err

	# The right sum commits; then the data, sidecar and manifest read back.
	bk-put --commit --sum sum "$base/db.bk" || fail "$base: commit"
	bk-get "$base/db.bk" | cmp - data || fail "$base: committed backup"
	bk-get "$base/db.bk.sha256" | cmp - sum || fail "$base: sidecar"
	# A data file cut short after the commit is refused, not streamed.
	if [ "$base" != s3://bk-chk ]; then
		truncate -s 99999 nas/db.bk
		expect_exit 3 bk-get "$base/db.bk" >out 2>err
		expect_grep 'the file is 99999 bytes, its manifest says 100000' err
		[ ! -s out ] || fail "a short file was streamed"
		cp data nas/db.bk
	fi

	# FIFOs as sum and counts files: refused at once.
	rm -f fifo
	mkfifo fifo
	got=0
	timeout 20 bk-put --commit --sum fifo "$base/db.bk" 2>err || got=$?
	[ "$got" -eq 3 ] || fail "$base: a FIFO sum file: exit $got"
	expect_grep 'sum file fifo: not a regular file' err
	got=0
	timeout 20 bk-put --commit --sum sum --counts fifo "$base/db.bk" 2>err || got=$?
	[ "$got" -eq 3 ] || fail "$base: a FIFO counts file: exit $got"
	expect_grep 'counts file fifo: not a regular file' err
done

# A multipart object: the store keeps no whole-object digest, so the name
# is what is checked (and the size goes into the manifest).
bk-hash -n big.bk -o bigsum <big | bk-put --part-size 5M s3://bk-chk/big.bk
expect_exit 1 bk-put --commit --sum sum s3://bk-chk/big.bk 2>err
expect_grep 'no checksum for big\.bk' err
bk-put --commit --sum bigsum s3://bk-chk/big.bk
bk-get s3://bk-chk/big.bk | cmp - big || fail "multipart backup"

# AWS configuration files and the CA bundle that are FIFOs.
for var in AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_CA_BUNDLE; do
	got=0
	env "$var=$T/fifo" timeout 20 bk-get --list s3://bk-chk/ >/dev/null 2>err || got=$?
	[ "$got" -eq 2 ] || [ "$got" -eq 3 ] || fail "$var as a FIFO: exit $got: $(cat err)"
	expect_grep "fifo: not a regular file" err
	[ "$(wc -l <err)" -eq 1 ] || fail "$var: not one line: $(cat err)"
done

# --help: the usage and a line for every option, on stdout, exit 0.
bk-put --help >help 2>err || fail "bk-put --help: exit $?"
[ ! -s err ] || fail "bk-put --help wrote to stderr"
for o in jobs part-size overwrite retries storage-class sse sse-kms-key-id \
    object-lock-mode object-lock-retain-until tag content-type progress \
    no-progress json commit sum kind key-id compression source counts help version; do
	grep -Eq -- "^  (-[a-z], )?--$o\b" help || fail "bk-put --help lacks --$o: $(cat help)"
done
bk-get --help >help 2>err || fail "bk-get --help: exit $?"
[ ! -s err ] || fail "bk-get --help wrote to stderr"
for o in version-id restore restore-days restore-tier wait wait-interval retries \
    uncommitted progress no-progress json list all kind help version; do
	grep -Eq -- "^  --$o\b" help || fail "bk-get --help lacks --$o: $(cat help)"
done
