#!/bin/bash
# bk-restore --files refuses hostile archives (traversal, absolute names,
# symlink tricks, hard links out, lengths it must not trust, corruption):
# exit 1, a message naming the member and its byte offset, and nothing
# written outside the target directory (a sentinel directory beside it
# stays empty).
. "$BK_TOP/tests/lib.sh"

mkdir evil sentinel
"$PY" "$BK_TOP/tests/mktar_hostile.py" evil "$T/sentinel"

# hostile NAME PATTERN: extracting evil/NAME into a fresh DIR exits 1 with
# a message matching PATTERN; the sentinel is still empty.
hostile() {
	rm -rf dir && mkdir dir
	# A symlink that already exists in DIR, pointing at the sentinel.
	ln -s "$T/sentinel" dir/pre
	expect_exit 1 bk-restore --files dir <"evil/$1" 2>err
	expect_grep "$2" err
	[ -z "$(ls -A sentinel)" ] || fail "$1 wrote into the sentinel: $(ls -A sentinel)"
	# No temporary file is left behind either.
	! find dir -name '.bk-restore.*' | grep -q . || fail "$1 left a temporary file"
}

hostile dotdot.tar 'member \.\./evil at byte 0: path leaves the target directory \(\.\.\); refused'
hostile dotdot-deep.tar 'a/b/\.\./\.\./\.\./evil .*path leaves the target directory'
hostile absolute.tar 'sentinel/evil at byte 0: absolute path; refused'
hostile symlink-then-file.tar 'member escape/evil at byte 512: path goes through a symlink; refused'
hostile symlink-rel-then-file.tar 'member d/up/evil at byte 1024: path goes through a symlink; refused'
hostile through-existing-symlink.tar 'member pre/evil .*path goes through a symlink; refused'
hostile hardlink-outside.tar 'member h .*hard link target outside DIR; refused'
hostile hardlink-absolute.tar 'member h .*hard link target outside DIR; refused'
hostile hardlink-not-yet.tar 'member h .*hard link to a member not extracted before it; refused'
hostile gnu-longname-dotdot.tar 'path leaves the target directory'
hostile huge-size.tar 'member huge at byte 0: stream ends at byte 522 inside the member.s data \(truncated\)'
hostile huge-size-b256.tar 'member huge at byte 0: stream ends at byte [0-9]+ inside the member.s data \(truncated\)'
hostile truncated-header.tar 'header at byte 1024: stream ends at byte 1324 before the end-of-archive blocks \(truncated\)'
hostile truncated-data.tar 'member short .*truncated'
hostile bad-checksum.tar 'member cad at byte 0: header checksum mismatch'
hostile pax-huge-header.tar 'member PaxHeaders/x at byte 0: extended header larger than the cap; refused'
hostile pax-huge-record.tar 'malformed pax extended header record'
hostile gnu-huge-longname.tar 'extended header larger than the cap; refused'
hostile garbage.tar 'header at byte 0: not a tar header'
# The truncated member never appears under its final name.
hostile huge-size.tar 'truncated'
[ ! -e dir/huge ] || fail "a truncated file was left under its final name"

# A symlink, then a file of the same name: without --overwrite the file
# is skipped (exit 4); with it, the symlink itself is replaced.  Neither
# writes through the link.
rm -rf dir && mkdir dir
expect_exit 4 bk-restore --files dir <evil/symlink-then-same-name.tar 2>err
expect_grep 'dir/same: exists; not overwritten' err
rm -rf dir && mkdir dir
bk-restore --files dir --overwrite <evil/symlink-then-same-name.tar
if [ -L dir/same ] || [ ! -f dir/same ]; then fail "--overwrite did not replace the symlink"; fi
[ -z "$(ls -A sentinel)" ] || fail "wrote through the symlink"

# A compressed stream that is cut short or corrupted: exit 1, precisely.
mkdir src && gen_bytes c 200000 >src/data && echo x >src/small
bk-dump --files src -z gzip >ok.tgz
head -c 5000 ok.tgz >cut.tgz
expect_exit 1 bk-restore --files d2 <cut.tgz 2>err
expect_grep 'truncated|ends' err
[ ! -e d2/data ] || fail "half a file under its final name"
bk-dump --files src -z zstd >ok.tzst
cp ok.tzst bad.tzst
printf '\377\377\377\377' | dd of=bad.tzst bs=1 seek=3000 conv=notrunc 2>/dev/null
expect_exit 1 bk-restore --files d3 <bad.tzst 2>err
expect_grep 'byte' err
[ ! -e d3/data ] || fail "a corrupt file under its final name"

# Devices are refused unless asked for.
"$PY" - <<'EOF'
import tarfile
with tarfile.open("dev.tar", "w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("null"); ti.type = tarfile.CHRTYPE
    ti.devmajor, ti.devminor = 1, 3; ti.mode = 0o666
    t.addfile(ti)
EOF
expect_exit 4 bk-restore --files d4 <dev.tar 2>err
expect_grep 'd4/null: device or FIFO not restored \(use --devices\)' err
[ ! -e d4/null ] || fail "device created without --devices"
bk-restore --files d5 --devices <dev.tar
[ -c d5/null ] || fail "--devices did not create the device"

# An interrupted extraction leaves no file under its final name: stop the
# stream half way through a large member, then kill bk-restore.
gen_bytes big 20000000 >src/zbig
bk-dump --files src >big.tar
mkfifo pipe
bk-restore --files d6 <pipe 2>/dev/null &
pid=$!
{ head -c 5000000 big.tar; sleep 1; kill -TERM "$pid"; sleep 1; } >pipe || true
wait "$pid" 2>/dev/null || true
[ ! -e d6/zbig ] || fail "an interrupted file is under its final name"
! find d6 -name '.bk-restore.*' | grep -q . || fail "the temporary file survived SIGTERM"
exit 0
