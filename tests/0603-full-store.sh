#!/bin/bash
# A file:// store on a small filesystem (a 4 MiB tmpfs the test mounts;
# skipped where mounting is not permitted) that fills up: bk-put fails
# with 3 (bk(7): the disk is full) in one line, removes its temporary
# file and leaves nothing under the final name; bk-backup.sh fails the
# same way with no manifest, and the backup committed before stays whole;
# a commit that finds no room for the sidecar commits nothing.  The other
# writers meet a full disk too: bk-hash -o, bk-encrypt into a file,
# bk-restore --files (no partial file under its final name).
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

mkdir small
mount -t tmpfs -o size=4m,mode=755 tmpfs "$T/small" 2>mount.err ||
    skip "cannot mount a tmpfs here: $(head -c 200 mount.err)"
trap 'cleanup_servers; umount "$T/small" 2>/dev/null || true' EXIT

# free: bytes available in the store.
free() { df -B1 --output=avail "$T/small" | tail -n 1 | tr -d ' '; }
# fill_to BYTES: leave about BYTES free (a filler file takes the rest).
fill_to() {
	rm -f small/filler
	local n=$(( $(free) - $1 ))
	[ "$n" -le 0 ] || head -c "$n" /dev/zero >small/filler
}
# nothing_final DIR: only committed backups (with a manifest) and no
# temporary file in DIR.
nothing_final() {
	local f
	for f in "$1"/*; do
		[ -e "$f" ] || continue
		case $f in
		*.manifest.json | *.sha256 | */filler) ;;
		*) [ -e "$f.manifest.json" ] || fail "$f: data without a manifest under its final name" ;;
		esac
	done
	! find "$1" -name '*.tmp.*' | grep -q . || fail "a temporary file was left: $(find "$1" -name '*.tmp.*')"
}

# bk-put alone: 6 MiB into 4 MiB.
gen_bytes full 6000000 >big
expect_exit 3 bk-put "file://$T/small/b.bk" <big 2>err
[ "$(wc -l <err)" -eq 1 ] || fail "bk-put: more than one line: $(cat err)"
expect_grep 'No space left on device' err
[ ! -e small/b.bk ] || fail "bk-put left a partial object under its final name"
nothing_final small

# bk-backup.sh: one backup that fits, committed; then one that does not.
mkdir uploads
gen_bytes u1 500000 >uploads/a
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
mkdir small/bk
backup_conf bk.conf "file://$T/small/bk"
bash "$backup" -c bk.conf files 2>ok.err || fail "the backup that fits: $(cat ok.err)"
first=$(bk-get --list "file://$T/small/bk/files/" | cut -f 1)
[ -n "$first" ] || fail "the first backup is not listed"
gen_bytes u2 5000000 >uploads/b
expect_exit 3 bash "$backup" -c bk.conf files 2>full.err
expect_grep 'bk-put exited 3: .*No space left on device' full.err
expect_grep 'files backup failed' alerts
[ "$(tail -n 1 state/audit.log | jq -r .result)" = failed ] || fail "audit: $(tail -n 1 state/audit.log)"
nothing_final small/bk/files
[ "$(bk-get --list "file://$T/small/bk/files/" | cut -f 1)" = "$first" ] ||
    fail "the listing changed: $(bk-get --list "file://$T/small/bk/files/")"
bk-get "$first.sha256" >sum
bk-get "$first" | bk-hash -c sum -n "${first##*/}" >/dev/null || fail "the first backup is damaged"

# Room for the data but not for the sidecar: the commit fails, nothing is
# committed (tmpfs counts whole pages: leave the data's pages, no more).
rm uploads/b
gen_bytes u3 300000 >uploads/c
bk-dump --files uploads | bk-encrypt -k keyring | bk-hash -n c.bk -o csum >c.bk
size=$(stat -c %s c.bk)
bk-put "file://$T/small/bk/files/c.bk" <c.bk 2>/dev/null || fail "a trial store of c.bk failed"
rm small/bk/files/c.bk
fill_to $(( (size + 4095) / 4096 * 4096 ))
bk-put "file://$T/small/bk/files/c.bk" <c.bk 2>put.err || fail "the data should fit: $(cat put.err)"
rc=0
bk-put --commit --sum csum --kind files "file://$T/small/bk/files/c.bk" 2>commit.err || rc=$?
[ "$rc" -eq 3 ] || fail "commit on a full disk exited $rc, expected 3: $(cat commit.err)"
expect_grep 'No space left on device' commit.err
[ ! -e small/bk/files/c.bk.manifest.json ] || fail "a manifest was committed"
[ ! -e small/bk/files/c.bk.sha256 ] || [ -s small/bk/files/c.bk.sha256 ] ||
    fail "an empty sidecar under its final name"
expect_exit 1 bk-get "file://$T/small/bk/files/c.bk" >/dev/null 2>/dev/null
rm small/bk/files/c.bk*

# The other writers.
fill_to 0
expect_exit 3 bk-hash -o small/sum -n big <big >/dev/null 2>err
expect_grep 'No space left on device' err
[ ! -e small/sum ] || fail "bk-hash -o wrote a sum file"
fill_to 0
rc=0
bk-encrypt -k keyring <big >small/enc 2>err || rc=$?
[ "$rc" -eq 3 ] || fail "bk-encrypt into a full disk exited $rc, expected 3: $(cat err)"
[ "$(wc -l <err)" -eq 1 ] || fail "bk-encrypt: $(cat err)"
rm -f small/enc
mkdir src && gen_bytes r 3000000 >src/big && echo x >src/small
bk-dump --files src >src.tar
fill_to 1000000
rc=0
bk-restore --files small/out <src.tar 2>err || rc=$?
[ "$rc" -eq 3 ] || fail "bk-restore --files into a full disk exited $rc, expected 3: $(cat err)"
expect_grep 'No space left on device' err
[ ! -e small/out/big ] || fail "a partial file under its final name"
! find small/out -name '.bk-restore.*' | grep -q . || fail "bk-restore left a temporary file"
exit 0
