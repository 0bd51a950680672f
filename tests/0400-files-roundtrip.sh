#!/bin/bash
# bk-dump --files / bk-restore --files: a tree with every kind of file
# round-trips exactly, as GNU tar and bsdtar see it too; their archives
# restore as well.  Compared with find(1) and sha256sum, not with bk.
. "$BK_TOP/tests/lib.sh"

# snap DIR: type, mode, size, mtime (ns), symlink target, link count and
# name of everything under DIR, then the SHA-256 of every regular file.
snap() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %s %T@ %l %n %P\n' | LC_ALL=C sort &&
	    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}
# owners DIR: numeric owner and group of everything.
owners() {
	(cd "$1" && find . -mindepth 1 -printf '%U:%G %P\n' | LC_ALL=C sort)
}
same_tree() {
	snap "$1" >"$T/snap.a"
	snap "$2" >"$T/snap.b"
	diff "$T/snap.a" "$T/snap.b" >"$T/snap.diff" ||
	    fail "$3: trees differ: $(head -n 20 "$T/snap.diff")"
}

# The tree: sizes around block edges, modes, nanosecond and odd mtimes,
# symlinks (relative, absolute, dangling), hard links, long and non-ASCII
# names, an empty and a read-only directory, a FIFO, owners.
mkdir -p src/sub/deep src/empty src/ro
for n in 0 1 511 512 513 10240; do gen_bytes "f$n" "$n" >"src/f$n"; done
gen_bytes big 3000000 >src/sub/big
echo secret >src/sub/private && chmod 600 src/sub/private
echo run >src/sub/tool && chmod 4755 src/sub/tool
echo none >src/sub/nothing && chmod 000 src/sub/nothing
echo g >src/sub/group && chmod 2710 src/sub/group
ln -s ../f1 src/sub/rel
ln -s /etc/hostname src/sub/abs
ln -s no/such/target src/sub/dangling
ln -s sub src/dirlink
ln src/f512 src/sub/hard1
ln src/f512 src/sub/deep/hard2
long=$(printf 'long%.0s' $(seq 1 30))
mkdir -p "src/$long/$long"
echo deep >"src/$long/$long/$long.txt"
mkdir -p "src/ünïcödé/日本語"
echo utf8 >"src/ünïcödé/日本語/ファイル.txt"
echo space >"src/with space and 'quote'"
echo ro >src/ro/inside && chmod 555 src/ro
mkfifo src/fifo
touch -h -d '2020-02-29 12:34:56.123456789' src/f1 src/sub/rel
touch -d '1970-01-01 00:00:01' src/f0
touch -d "2038-01-19 03:14:08.5" src/f511
chown 1234:5678 src/f513
chown -h 2345:3456 src/sub/abs
touch -d '2019-05-05 05:05:05.555555555' src/sub/deep src/empty src/ro
$PY -c 'import os; os.setxattr("src/f10240", "user.bk", b"value\0bin")'

# Round trip: exit 0, identical tree and owners (we run as root).
bk-dump --files src >a.tar 2>err || fail "bk-dump: $(cat err)"
bk-restore --files out --devices <a.tar 2>err || fail "bk-restore: $(cat err)"
same_tree src out "bk round trip"
owners src >o.a; owners out >o.b
diff o.a o.b >/dev/null || fail "owners differ: $(diff o.a o.b | head)"

# --validate agrees, then lists each difference and exits 1.
bk-restore --files out --validate <a.tar >diffs 2>err || fail "validate: $(cat err) $(cat diffs)"
[ ! -s diffs ] || fail "validate found differences: $(cat diffs)"
echo changed >>out/f1
chmod 640 out/sub/big
ln -sfn elsewhere out/sub/rel
rm out/f0
printf 'x' | dd of=out/f10240 bs=1 seek=100 conv=notrunc 2>/dev/null
echo stray >out/sub/extra
mkdir -p out/newdir/deeper
expect_exit 1 bk-restore --files out --validate <a.tar >diffs 2>err
expect_grep '^sub/extra: in out, not in the stream$' diffs
expect_grep '^newdir: in out, not in the stream$' diffs
grep -q '^newdir/deeper' diffs && fail "reported inside an extra directory: $(cat diffs)"
rm -r out/sub/extra out/newdir
expect_grep '^f1: size differs' diffs
expect_grep '^sub/big: mode differs: stream 0644, out 0640' diffs
expect_grep '^sub/rel: symlink target differs' diffs
expect_grep '^f0: missing' diffs
expect_grep '^f10240: contents differ' diffs
expect_grep 'differences from the stream' err

# Nothing is overwritten without --overwrite; with it, all is restored.
expect_exit 4 bk-restore --files out <a.tar 2>err
expect_grep 'out/f1: exists; not overwritten' err
bk-restore --files out --overwrite --devices <a.tar 2>err || fail "overwrite: $(cat err)"
same_tree src out "after --overwrite"
# Without --devices the FIFO is skipped: exit 4, the rest restored.
expect_exit 4 bk-restore --files out2 <a.tar 2>err
expect_grep 'out2/fifo: device or FIFO not restored' err
[ -f out2/sub/big ] || fail "out2 not restored"

# --xattrs: stored as SCHILY.xattr, restored, and seen by GNU tar.
bk-dump --files src --xattrs >x.tar
bk-restore --files outx --devices <x.tar
[ "$($PY -c 'import os; print(os.getxattr("outx/f10240", "user.bk"))')" = "b'value\\x00bin'" ] ||
	fail "xattr not restored"
mkdir gx && tar --xattrs --xattrs-include='*' -C gx -xf x.tar
[ "$($PY -c 'import os; print(os.getxattr("gx/f10240", "user.bk"))')" = "b'value\\x00bin'" ] ||
	fail "GNU tar does not see the xattr"

# Compression: gzip and zstd round-trip, and GNU tar reads them.
for z in gzip zstd:19; do
	bk-dump --files src -z "$z" >"c.tar.${z%%:*}"
	bk-restore --files "out-${z%%:*}" --devices <"c.tar.${z%%:*}"
	same_tree src "out-${z%%:*}" "-z $z"
done
tar -tzf c.tar.gzip >/dev/null || fail "GNU tar cannot read -z gzip"
tar --zstd -tf c.tar.zstd >/dev/null || fail "GNU tar cannot read -z zstd"

# GNU tar and bsdtar list the same names and extract the same tree.
tar -tf a.tar | sed 's,/$,,' | LC_ALL=C sort >l.gnu
bsdtar -tf a.tar | sed 's,/$,,' | LC_ALL=C sort >l.bsd
diff l.gnu l.bsd >/dev/null || fail "listings differ: $(diff l.gnu l.bsd | head)"
# DIR itself is the member "./" (as with GNU tar's -C src .).
(cd src && find . -printf '%P\n' | sed 's,^$,.,' | LC_ALL=C sort) >l.src
diff l.src l.gnu >/dev/null || fail "listing differs from the tree: $(diff l.src l.gnu | head)"
mkdir gnu bsd
tar -C gnu -xpf a.tar || fail "GNU tar -x"
bsdtar -C bsd -xpf a.tar || fail "bsdtar -x"
same_tree src gnu "GNU tar extraction"
same_tree src bsd "bsdtar extraction"
owners gnu >o.g; diff o.a o.g >/dev/null || fail "GNU tar owners differ"

# Archives made by GNU tar (pax) and bsdtar (pax) restore exactly.
tar --format=pax -C src -cf g.tar .
bk-restore --files from-gnu --devices <g.tar 2>err || fail "GNU tar archive: $(cat err)"
same_tree src from-gnu "GNU tar archive"
bsdtar --format=pax -C src -cf b.tar .
bk-restore --files from-bsd --devices <b.tar 2>err || fail "bsdtar archive: $(cat err)"
same_tree src from-bsd "bsdtar archive"
# GNU's own format (long names as 'L' members) too.
tar --format=gnu -C src -cf gg.tar .
bk-restore --files from-gnufmt --devices <gg.tar 2>err || fail "GNU format: $(cat err)"
[ -f "from-gnufmt/$long/$long/$long.txt" ] || fail "GNU long name lost"

# Owners: by name unless --numeric-owner.  A member owned by "daemon"
# with a uid that is not daemon's maps to daemon's uid by name.
$PY - <<'EOF'
import io, tarfile
with tarfile.open("owner.tar", "w", format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo("owned"); ti.size = 2; ti.uid = 4321; ti.gid = 4322
    ti.uname = "daemon"; ti.gname = "daemon"; ti.mtime = 1700000000
    t.addfile(ti, io.BytesIO(b"o\n"))
EOF
bk-restore --files own1 <owner.tar
[ "$(stat -c %u:%g own1/owned)" = "$(id -u daemon):$(id -g daemon)" ] ||
	fail "owner by name: $(stat -c %u:%g own1/owned)"
bk-restore --files own2 --numeric-owner <owner.tar
[ "$(stat -c %u:%g own2/owned)" = "4321:4322" ] || fail "--numeric-owner: $(stat -c %u:%g own2/owned)"

# --exclude (fnmatch on the path or the name) and --dry-run listing.
bk-dump --files src --exclude 'f5*' --exclude 'sub/deep' >e.tar
bk-restore --files ex --dry-run <e.tar >list
grep -q '^f512$' list && fail "--exclude f5* kept f512"
grep -q '^sub/deep' list && fail "--exclude sub/deep kept it"
expect_grep '^f1$' list
expect_grep '^sub/rel -> \.\./f1$' list
[ ! -e ex ] || fail "--dry-run created the directory"

# --one-file-system: a mount point is stored, what is under it is not.
mkdir src2 && echo top >src2/top && mkdir src2/mnt
if mount -t tmpfs bk-test src2/mnt 2>/dev/null; then
	trap 'umount src2/mnt 2>/dev/null || true; cleanup_servers' EXIT
	echo under >src2/mnt/under
	bk-dump --files src2 --one-file-system | bk-restore --files ofs --dry-run >list
	expect_grep '^mnt/$' list
	grep -q under list && fail "--one-file-system crossed into the mount"
	bk-dump --files src2 | bk-restore --files ofs --dry-run >list
	expect_grep '^mnt/under$' list
	umount src2/mnt
	trap cleanup_servers EXIT
else
	note "mount not permitted: --one-file-system not tested"
fi

# --json: counts for scripts.
bk-dump --files src --json=dump.json >/dev/null
jq -e '.ok == true and .files == 15 and .hardlinks == 2 and .symlinks == 4' dump.json >/dev/null ||
	fail "dump json: $(cat dump.json)"
bk-restore --files jo --devices --json=rest.json <a.tar
jq -e '.ok == true and .files == 15 and .hardlinks == 2 and .bytes > 3000000' rest.json >/dev/null ||
	fail "restore json: $(cat rest.json)"

# Usage errors exit 2.
expect_exit 2 bk-dump --files src extra 2>/dev/null
expect_exit 2 bk-dump --files src -z bogus 2>/dev/null
expect_exit 2 bk-restore --files x --dry-run --validate </dev/null 2>/dev/null
expect_exit 2 bk-dump --files src --since yesterday 2>/dev/null
expect_exit 3 bk-dump --files nosuchdir >/dev/null 2>err
expect_grep 'nosuchdir: No such file' err
exit 0
