#!/bin/bash
# A prune killed (SIGKILL) at every point of its removals, and at a few
# moments of its run, never leaves a committed backup without its data or
# sidecar (manifest first, data last), and each backup it touched is
# brought back whole with --undo; the next prune breaks the dead one's
# lock once it is stale.
. "$BK_TOP/tests/lib.sh"

mkdir -p fx
backup() {
	local f=fx/$1 sum
	printf 'backup %s\n' "$1" >"$f"
	sum=$(sha256sum "$f" | cut -d ' ' -f 1)
	printf '%s  %s\n' "$sum" "$1" >"$f.sha256"
	printf '{"name":"%s","kind":"db","created":"%s","size":%d,"sha256":"%s"}\n' \
	    "$1" "$2" "$(stat -c %s "$f")" "$sum" >"$f.manifest.json"
}
for d in 20 21 22 23 24 25 26 27; do
	backup "db-$d.bk" "2026-11-${d}T12:00:00Z"
done
P=(--keep-last 1 --max-remove 100 --apply)

# committed_whole DIR: every manifest has its sidecar and its data.
committed_whole() {
	local m
	for m in "$1"/*.manifest.json; do
		{ [ -e "${m%.manifest.json}" ] && [ -e "${m%.manifest.json}.sha256" ]; } ||
			fail "run $2: ${m##*/} committed without its data or sidecar"
	done
}

# bring_back DIR: undo every backup the killed prune touched; all eight
# read back whole, as committed backups.
bring_back() {
	local d=$1 n f
	for f in "$d"/.bk-trash/*/*; do
		[ -e "$f" ] || continue
		n=${f##*/}
		n=${n%.manifest.json}
		n=${n%.sha256}
		bk-prune --undo "$n" --break-lock "file://$d/" >/dev/null 2>&1 || true
	done
	[ "$(bk-get --list "file://$d/" | wc -l)" -eq 8 ] ||
		fail "run $2: not all eight committed after the undo"
	for f in fx/*; do
		cmp -s "$f" "$d/${f##*/}" ||
			fail "run $2: ${f##*/} not brought back whole"
	done
}

runs=0
# At every removal: 7 backups, 3 objects each.
for k in $(seq 1 21); do
	rm -rf s && cp -a fx s
	got=0
	BK_PRUNE_TEST_KILL=$k bk-prune "${P[@]}" "file://$T/s/" >/dev/null 2>&1 || got=$?
	[ "$got" -eq 137 ] || fail "kill point $k: exit $got"
	committed_whole s "$k"
	[ -e s/.bk-prune.lock ] || fail "kill point $k: no lock left by the dead prune"
	bring_back "$T/s" "$k"
	runs=$((runs + 1))
done
# At moments of a run, whatever it was doing then.
for ms in 0 2 5 10 20; do
	rm -rf s && cp -a fx s
	bk-prune "${P[@]}" "file://$T/s/" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$(printf '%02d' "$ms")"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	committed_whole s "delay $ms"
	bring_back "$T/s" "delay $ms"
	runs=$((runs + 1))
done
[ "$runs" -ge 20 ] || fail "only $runs runs"

# After a crash the next prune waits for the lock to go stale, then runs.
rm -rf s && cp -a fx s
BK_PRUNE_TEST_KILL=4 bk-prune "${P[@]}" "file://$T/s/" >/dev/null 2>&1 || true
expect_exit 75 bk-prune "${P[@]}" "file://$T/s/" >/dev/null 2>err
expect_exit 0 bk-prune "${P[@]}" --lock-stale 1h \
	--now "$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%SZ)" "file://$T/s/" >out 2>err
expect_grep 'breaking a stale lock' err
[ "$(find s -maxdepth 1 -name '*.manifest.json' | wc -l)" -eq 1 ] || fail "the prune after the crash: $(ls s)"
committed_whole s final
