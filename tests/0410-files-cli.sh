#!/bin/bash
# The directory mode's command line: empty input is not a corrupt backup
# (an earlier stage of the pipeline failed: status 3), a truncated one is
# (status 1); --help prints the synopsis and every option on stdout with
# status 0; bk-dump --files --json carries a "counts" object, as the
# database mode does, for the cron script's manifest.
. "$BK_TOP/tests/lib.sh"

mkdir -p src/d
echo a >src/a && echo bb >src/d/b && ln -s a src/l && ln src/a src/h
bk-dump --files src >full.tar

expect_exit 3 bk-restore --files e1 </dev/null 2>err
[ "$(cat err)" = "bk-restore: <stdin>: empty input: an earlier stage of the pipeline probably failed" ] ||
	fail "empty input: $(cat err)"
# The usual pipeline, its first stage failing.
rc=0
false | bk-restore --files e2 2>err || rc=$?
[ "$rc" = 3 ] || fail "false | bk-restore: exit $rc"
expect_exit 3 bk-restore --files e3 --validate </dev/null 2>/dev/null
expect_exit 3 bk-restore --files e4 --dry-run </dev/null 2>/dev/null
head -c 3000 full.tar >cut.tar
expect_exit 1 bk-restore --files e5 <cut.tar 2>err
expect_grep 'truncated' err

for t in bk-dump bk-restore; do
	for args in "--files --help" "--files x --help" "--help --files x"; do
		# shellcheck disable=SC2086
		$t $args >out 2>err || fail "$t $args: exit $?"
		[ ! -s err ] || fail "$t $args wrote to stderr: $(cat err)"
		expect_grep "^usage: $t --files DIR" out
	done
done
bk-restore --files --help >out
for o in --overwrite --delete --devices --numeric-owner --xattrs-all --xattrs-include \
    --fsync --dry-run --validate --verbose --progress --json; do
	grep -q -- "^ *\(-[a-z], \)\?$o" out || fail "bk-restore --help does not describe $o"
done
bk-dump --files --help >out
for o in --compress --exclude --one-file-system --xattrs --since --verbose --progress --json; do
	grep -q -- "^ *\(-[a-z], \)\?$o" out || fail "bk-dump --help does not describe $o"
done

bk-dump --files src --json=st.json >/dev/null
jq -e '.counts == {"files": 2, "directories": 2, "symlinks": 1, "hardlinks": 1, "other": 0, "bytes": 5}' \
    st.json >/dev/null || fail "counts: $(cat st.json)"
exit 0
