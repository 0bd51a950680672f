#!/bin/bash
# bk-prune on a directory store: a dry run prints every decision with its
# reasons and changes nothing; a plan removing too much is refused; with
# --apply the removed backups go to the trash (manifest first) and
# bk-get --list no longer shows them; --undo brings one back whole; the
# trash is emptied after the grace period; an incomplete backup older than
# its grace is cleaned, a damaged one never touched; the lock keeps a
# second prune out (exit 75) until it is stale.
. "$BK_TOP/tests/lib.sh"

D=$T/nas/db
U=file://$D/
mkdir -p "$D"
# backup NAME KIND CREATED: a committed backup, its manifest as bk-put
# --commit writes it (bk-format(5)), at a chosen time.
backup() {
	local f=$D/$1 sum
	printf 'backup %s\n' "$1" >"$f"
	sum=$(sha256sum "$f" | cut -d ' ' -f 1)
	printf '%s  %s\n' "$sum" "$1" >"$f.sha256"
	printf '{"name":"%s","kind":"%s","created":"%s","size":%d,"sha256":"%s","format":1}\n' \
	    "$1" "$2" "$3" "$(stat -c %s "$f")" "$sum" >"$f.manifest.json"
}
for d in 18 19 20 21 22 23 24 25 26 27; do
	backup "db-$d.bk" db "2026-11-${d}T12:00:00Z"
	backup "files-$d.bk" files "2026-11-${d}T13:00:00Z"
done
# Two more the same day: only the newest of the day is "daily".
backup db-27a.bk db 2026-11-27T06:00:00Z
# A real one, committed by bk-put now: a kind of its own (its time is
# today's, whatever the date).
gen_bytes real 5000 | bk-hash -n db-28.bk -o sum | bk-put "${U}db-28.bk"
bk-put --commit --sum sum --kind real "${U}db-28.bk"
# An incomplete run three days old, and a damaged manifest.
printf 'half\n' >"$D/db-old.bk"
touch -d '3 days ago' "$D/db-old.bk"
backup db-bad.bk db 2026-11-01T00:00:00Z
echo '{"broken' >"$D/db-bad.bk.manifest.json"
snap() { find "$D" -type f | sort | xargs sha256sum; }
snap >before

# A dry run: the plan, every decision with its reasons, nothing changed.
expect_exit 0 bk-prune --keep-daily 3 --keep-weekly 2 --max-remove 80 "$U" >plan 2>err
snap | cmp -s - before || fail "a dry run changed the store"
expect_grep '^kind db under '"$U"': 11 committed, keep 4, remove 7$' plan
expect_grep '^kind files under '"$U"': 10 committed, keep 4, remove 6$' plan
grep -qxF "keep   db 2026-11-27T12:00:00Z ${U}db-27.bk: daily 2026-11-27, weekly 2026-W48" plan ||
	fail "db-27: $(cat plan)"
grep -qxF "keep   db 2026-11-22T12:00:00Z ${U}db-22.bk: weekly 2026-W47" plan ||
	fail "db-22 (Sunday, ISO week 47): $(cat plan)"
grep -qxF "remove db 2026-11-27T06:00:00Z ${U}db-27a.bk" plan || fail "db-27a: $(cat plan)"
expect_grep "^keep   files 2026-11-27T13:00:00Z ${U}files-27.bk: daily 2026-11-27, weekly 2026-W48\$" plan
expect_grep "incomplete ${U}db-old.bk: would be removed" plan
expect_grep '^kind real under '"$U"': 1 committed, keep 1, remove 0$' plan
expect_grep 'would remove 13 \(a dry run' plan
grep -q 'db-bad' plan && fail "a damaged backup was planned: $(cat plan)"

# --json: one object per backup, then the status line.
bk-prune --keep-daily 3 --keep-weekly 2 --max-remove 80 --json "$U" >plan.json
jq -se '(.[:-1] | length == 22 and
	(map(select(.action == "remove")) | length == 13) and
	(map(select(.name == "files-27.bk"))[0].reasons ==
	    ["daily 2026-11-27", "weekly 2026-W48"])) and
	(.[-1] | .dry_run and .keep == 9 and .remove == 13 and .exit == 0)' \
	plan.json >/dev/null || fail "--json: $(cat plan.json)"

# The default --max-remove 50: the plan is printed and refused.
expect_exit 1 bk-prune --keep-daily 3 --apply "$U" >plan 2>err
expect_grep 'kind db .*removes 8 of 11 backups, more than --max-remove 50%; refused' err
expect_grep 'refused: nothing removed' plan
snap | cmp -s - before || fail "a refused plan changed the store"
expect_exit 2 bk-prune "$U"
expect_exit 2 bk-prune --keep-daily 3 "file://$D"
expect_exit 2 bk-prune --keep-daily 3 --tz Nowhere/Atlantis "$U"

# --apply: manifest, sidecar and data go to the trash; the list agrees.
expect_exit 0 bk-prune --keep-daily 3 --keep-weekly 2 --max-remove 80 --apply "$U" >plan 2>err
expect_grep "keep 9, removed 13$" plan
expect_exit 1 bk-get --list "$U" >list 2>/dev/null
[ "$(wc -l <list)" -eq 9 ] || fail "after the prune: $(cat list)"
for f in db-20.bk db-20.bk.sha256 db-20.bk.manifest.json db-old.bk; do
	[ ! -e "$D/$f" ] || fail "$f still there"
	ls "$D"/.bk-trash/*/"$f" >/dev/null || fail "$f not in the trash"
done
[ -e "$D/db-bad.bk.manifest.json" ] || fail "the damaged manifest went"
[ -e "$D/db-28.bk" ] || fail "the newest went"
[ ! -e "$D/.bk-prune.lock" ] || fail "the lock was left behind"

# --undo: the backup is whole again and reads back.
expect_exit 0 bk-prune --undo db-20.bk "$U" >out
expect_grep "^brought back ${U}db-20.bk\$" out
bk-get "${U}db-20.bk" | cmp - <(printf 'backup db-20.bk\n') || fail "db-20 after undo"
bk-get --list --kind db "$U" >list 2>/dev/null || true
grep -q "db-20.bk" list || fail "db-20 not listed: $(cat list)"
expect_exit 1 bk-prune --undo db-20.bk "$U" 2>err
expect_exit 1 bk-prune --undo db-nothing.bk "$U" 2>err
expect_grep 'nothing to bring back' err

# After the grace period the trash is emptied: no undo then.
expect_exit 0 bk-prune --keep-daily 3 --keep-weekly 2 --max-remove 80 --apply \
	--now 2026-12-31T00:00:00Z --grace 7d "$U" >plan
expect_grep 'emptied 1 trash runs' plan
expect_exit 1 bk-prune --undo db-21.bk "$U" 2>err

# The lock: a live one keeps a second prune out; a stale one is broken.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "bk-prune pid 1 on elsewhere at $now" >"$D/.bk-prune.lock"
expect_exit 75 bk-prune --keep-daily 3 --apply "$U" >/dev/null 2>err
expect_grep 'locked by bk-prune pid 1 on elsewhere' err
expect_exit 0 bk-prune --keep-daily 3 "$U" >/dev/null
expect_exit 75 bk-prune --undo db-21.bk "$U" 2>err
# bk-verify does not check a listing a live prune is changing (75); a
# lock a day old is a dead prune's, and no longer holds it off.
expect_exit 75 bk-verify --level quick "$U" >/dev/null 2>err
expect_grep 'a prune is running \(bk-prune pid 1 on elsewhere' err
echo "bk-prune pid 1 on elsewhere at $(date -u -d '-25 hours' +%Y-%m-%dT%H:%M:%SZ)" >"$D/.bk-prune.lock"
rc=0
bk-verify --level quick "$U" >/dev/null 2>err || rc=$?
# (It checks the prefix, whose damaged manifest is a finding: 1.)
if [ "$rc" -ne 1 ] || grep -q 'a prune is running' err; then
	fail "bk-verify held off by a stale lock: exit $rc: $(cat err)"
fi
echo "bk-prune pid 1 on elsewhere at $now" >"$D/.bk-prune.lock"
expect_exit 0 bk-prune --keep-daily 3 --apply --lock-stale 1h \
	--now "$(date -u -d '2 hours' +%Y-%m-%dT%H:%M:%SZ)" "$U" >/dev/null 2>err
expect_grep 'breaking a stale lock' err
[ ! -e "$D/.bk-prune.lock" ] || fail "the lock was left behind"
echo "bk-prune pid 1 on elsewhere at $now" >"$D/.bk-prune.lock"
expect_exit 0 bk-prune --keep-daily 3 --apply --break-lock "$U" >/dev/null
