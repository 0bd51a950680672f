#!/bin/bash
# An upload killed with SIGKILL in the middle leaves no committed backup
# and no visible object, in an S3 bucket and in a directory; the next run
# under the same name works.
. "$BK_TOP/tests/lib.sh"

start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-kill >/dev/null
mkdir nas
gen_bytes kill $((30 << 20)) >in

# started DEST: bk-put has begun storing DEST (an S3 multipart upload with
# a part, or the temporary file), polled: the kill must come mid-upload,
# however loaded the machine is.
has_part() {
	local id
	id=$(aws s3api list-multipart-uploads --bucket bk-kill |
	    jq -r --arg k "$1" '.Uploads[]? | select(.Key == $k) | .UploadId')
	[ -n "$id" ] && aws s3api list-parts --bucket bk-kill --key "$1" \
	    --upload-id "$id" | jq -e '.Parts | length > 0' >/dev/null
}
started() {
	local n=0
	until case $1 in
	    s3://*) has_part "${1#s3://bk-kill/}" ;;
	    *) [ -n "$(find nas -name 'b.bk.tmp.*' -size +0)" ] ;;
	    esac 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 1200 ] || fail "$1: the upload never started"
		sleep 0.1
	done
}

for dest in s3://bk-kill/db/b.bk "file://$T/nas/b.bk"; do
	rm -f fifo
	mkfifo fifo
	# Half the stream, then the producer stalls (it becomes the sleep,
	# longer than any wait here: the stream must not end by itself).
	{ head -c $((15 << 20)) in; exec sleep 600; } >fifo 2>/dev/null &
	prod=$!
	BK_PIDS="$BK_PIDS $prod"
	bk-put --part-size 5M "$dest" <fifo 2>/dev/null &
	put=$!
	started "$dest"
	kill -9 "$put"
	kill "$prod"
	wait "$put" "$prod" 2>/dev/null || true
	prefix=${dest%/*}/
	bk-get --list "$prefix" >list
	[ ! -s list ] || fail "$dest: a killed upload is listed: $(cat list)"
	# --all shows what is left: a temporary file is not, an S3 upload is.
	bk-get --list --all "$prefix" >all
	case $dest in
	s3:*) grep -q "^s3://bk-kill/db/b.bk	.*MULTIPART	incomplete age=" all ||
		fail "the killed upload is not shown: $(cat all)" ;;
	*) [ ! -s all ] || fail "$dest: $(cat all)" ;;
	esac
	expect_exit 3 bk-get "$dest" >/dev/null 2>err
	# Again, whole, and committed.
	bk-hash -n b.bk -o sum <in | bk-put --part-size 5M "$dest"
	bk-put --commit --sum sum "$dest"
	bk-get --list "$prefix" | grep -q "b.bk" || fail "$dest: not listed"
	bk-get "$dest" | cmp - in || fail "$dest: differs"
done

# SIGTERM (or Ctrl-C) is different: bk-put aborts its multipart upload,
# so not even an invisible incomplete upload is left.
rm -f fifo
mkfifo fifo
{ head -c $((15 << 20)) in; exec sleep 600; } >fifo 2>/dev/null &
prod=$!
BK_PIDS="$BK_PIDS $prod"
bk-put --part-size 5M s3://bk-kill/term.bk <fifo 2>err &
put=$!
started s3://bk-kill/term.bk
kill -TERM "$put"
got=0
wait "$put" || got=$?
kill "$prod"
wait "$prod" 2>/dev/null || true
[ "$got" -eq 3 ] || fail "bk-put exited $got after SIGTERM: $(cat err)"
expect_grep 'interrupted by signal 15' err
expect_grep 'multipart upload aborted' err
aws s3api list-multipart-uploads --bucket bk-kill >mpu.json
# (The SIGKILLed upload above is still there: the listing does see them.)
jq -e '[.Uploads[]? | select(.Key == "db/b.bk")] | length == 1' mpu.json \
    >/dev/null || fail "no trace of the killed upload: $(cat mpu.json)"
jq -e '[.Uploads[]? | select(.Key == "term.bk")] | length == 0' mpu.json \
    >/dev/null || fail "an upload is left: $(cat mpu.json)"
