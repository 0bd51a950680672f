#!/bin/bash
# A path that changed type between the full and the incremental backup:
# bk-restore --files --overwrite --delete of the incremental, on top of
# the full one, gives the current tree for every pair of types (file,
# symlink, FIFO, empty directory, directory with contents; and a hard
# link).  A directory in the
# way of a non-directory is removed only when empty or when --delete's
# index says everything in it is gone; otherwise the member is skipped
# (status 4) and nothing is lost.
. "$BK_TOP/tests/lib.sh"

snap() {
	(cd "$1" && find . -printf '%y %m %s %T@ %l %n %P\n' | LC_ALL=C sort &&
	    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}
# mk TYPE PATH: f file, l symlink, p FIFO, e empty directory, d directory
# with a file and a subdirectory with a file.
mk() {
	case $1 in
	f) echo "file $2" >"$2" ;;
	l) ln -s "target-of-${2##*/}" "$2" ;;
	p) mkfifo "$2" ;;
	e) mkdir "$2" ;;
	d) mkdir -p "$2/sub" && echo inner >"$2/inner" && echo deeper >"$2/sub/deeper" ;;
	esac
}
types="f l p e d"
mkdir src
for a in $types; do for b in $types; do
	[ "$a" = "$b" ] || mk "$a" "src/${a}2$b"
done; done
mk d src/d2hard
bk-dump --files src >full.tar
sleep 1.1
since=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
sleep 1.1
for a in $types; do for b in $types; do
	[ "$a" = "$b" ] && continue
	rm -rf "src/${a}2$b"
	mk "$b" "src/${a}2$b"
done; done
# A directory became a file with two names (the second a hard link).
rm -r src/d2hard
echo two names >src/d2hard
ln src/d2hard src/z-second-name
bk-dump --files src --since "$since" >inc.tar

bk-restore --files out --devices <full.tar
bk-restore --files out --devices --overwrite --delete <inc.tar 2>err ||
	fail "incremental restore: $(cat err)"
snap src >a; snap out >b
diff a b >/dev/null || fail "full+incremental differs from the tree: $(diff a b | head -n 20)"
bk-restore --files out --validate <inc.tar >diffs 2>err || fail "validate: $(cat diffs err)"

# The same with GNU tar's archive of the full tree as the base.
mkdir gnu && tar -C gnu -xf full.tar
bk-restore --files gnu --devices --overwrite --delete <inc.tar 2>err ||
	fail "incremental on GNU tar's extraction: $(cat err)"
snap gnu >g
diff a g >/dev/null || fail "differs from the tree: $(diff a g | head)"

# A stream cut before its index: members waiting for --delete leave no
# temporary file behind, and the directories in their way stay.
bk-restore --files cut --devices <full.tar
"$PY" - <<'PYEOF'
import tarfile
with tarfile.open("inc.tar") as t:
    m = [x for x in t.getmembers() if x.name == ".bk-index"][0]
data = open("inc.tar", "rb").read()
open("cut.tar", "wb").write(data[:m.offset])
PYEOF
expect_exit 1 bk-restore --files cut --devices --overwrite --delete <cut.tar 2>err
expect_grep 'truncated' err
[ -z "$(find cut -name '.bk-restore.*')" ] || fail "temporary files left: $(find cut -name '.bk-restore.*')"
[ "$(cat cut/d2f/sub/deeper)" = deeper ] || fail "a cut stream deleted data"

# Without --delete, a non-empty directory is not removed to make way for
# a file or a symlink: skipped with a warning, status 4, data kept.  An
# empty one gives way.
bk-restore --files keep --devices <full.tar
expect_exit 4 bk-restore --files keep --devices --overwrite <inc.tar 2>err
expect_grep 'keep/d2f: a directory that is not empty; not replaced' err
expect_grep 'keep/d2l: a directory that is not empty; not replaced' err
expect_grep 'keep/z-second-name: hard link to d2hard, which was skipped; skipped' err
[ "$(cat keep/d2f/sub/deeper)" = deeper ] || fail "data lost without --delete"
[ -f keep/e2f ] || fail "an empty directory did not give way to a file"
[ -L keep/e2l ] || fail "an empty directory did not give way to a symlink"
{ [ -d keep/f2d ] && [ -d keep/l2e ]; } || fail "directories not made over a file or symlink"

# Without --overwrite nothing existing is replaced: a directory member
# over an existing file is refused, naming --overwrite.
bk-restore --files noov --devices <full.tar
expect_exit 1 bk-restore --files noov --devices <inc.tar 2>err
expect_grep 'a non-directory of that name exists .--overwrite replaces it.' err
[ "$(cat noov/f2d)" = "file src/f2d" ] || fail "replaced without --overwrite"
exit 0
