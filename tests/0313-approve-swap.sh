#!/bin/bash
# A protected directory is never half-replaced: an approved restore goes
# into a new sibling and is swapped in (renameat2 RENAME_EXCHANGE) only
# when the whole stream was restored and its digest is the approved one.
# bk-restore killed mid-way (SIGKILL), or a stream that fails part way,
# leaves the target exactly as it was; a target that did not exist is
# renamed into place.
. "$BK_TOP/tests/lib.sh"

approvers alice bob
printf '%s\n' "protect $T/prod/uploads" "protect $T/fresh" \
    'allowed-signers signers' >etc/policy
export BK_RESTORE_POLICY=$T/etc/policy

mkdir -p src prod/uploads/keep
for i in 1 2 3 4 5 6 7 8; do gen_bytes "s$i" 2000000 >"src/f$i"; done
bk-dump --files src >s.tar
sha=$(sha256sum <s.tar | cut -c1-64)
echo previous >prod/uploads/keep/a.txt
snapshot() { (cd prod/uploads && find . -printf '%p %s %m\n' | sort &&
    cat keep/a.txt); }
snapshot >before

# request TARGET: req.TARGET-NAME signed by alice and bob.
request() {
	approved_request "req.${1##*/}" "$sha" "$1" s.tar
}
request "$T/prod/uploads"
approved=(--request req.uploads --approval req.uploads.alice
    --approval req.uploads.bob)

# Killed mid-way: half the stream in, the sibling filling, then SIGKILL.
mkfifo in
bk-restore --files prod/uploads "${approved[@]}" <in 2>err &
pid=$!
exec 3>in
head -c 9000000 s.tar >&3
for _ in $(seq 300); do
	[ -n "$(find prod -path '*/.uploads.bk-restore.*/f*' -print -quit)" ] &&
	    break
	sleep 0.1
done
[ -n "$(find prod -path '*/.uploads.bk-restore.*/f*' -print -quit)" ] ||
    fail "the restore never wrote into its sibling: $(cat err)"
kill -KILL "$pid"
st=0
wait "$pid" || st=$?
exec 3>&-
[ "$st" -eq 137 ] || fail "bk-restore exited $st, not killed"
snapshot >after
cmp -s before after || fail "the killed restore changed the target"
rm -rf prod/.uploads.bk-restore.*

# A stream that fails part way (cut short): refused, the sibling removed.
head -c 9000000 s.tar >cut.tar
expect_exit 1 bk-restore --files prod/uploads "${approved[@]}" \
    <cut.tar 2>err
expect_grep "$T/prod/uploads left as it was" err
snapshot >after
cmp -s before after || fail "the failed restore changed the target"
[ "$(ls -A prod)" = uploads ] || fail "left behind: $(ls -A prod)"

# The whole stream: swapped in, the previous contents gone.
bk-restore --files prod/uploads "${approved[@]}" <s.tar ||
    fail "approved restore: exit $?"
diff -r src prod/uploads >/dev/null || fail "the target is not the backup"
[ "$(ls -A prod)" = uploads ] || fail "left behind: $(ls -A prod)"

# A protected target that does not exist yet is renamed into place.
request "$T/fresh"
bk-restore --files fresh --request req.fresh --approval req.fresh.alice \
    --approval req.fresh.bob <s.tar || fail "fresh: exit $?"
diff -r src fresh >/dev/null || fail "fresh is not the backup"
[ -z "$(find . -maxdepth 1 -name '.fresh.bk-restore.*')" ] ||
    fail "the sibling of fresh is left behind"
echo ok
