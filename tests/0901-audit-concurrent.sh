#!/bin/bash
# Concurrent writers keep one valid chain: 8 loops of bk-hash and two
# bk-backup.sh runs (their stages and their own shell-written lines) append
# to one audit log at the same time.  Every line is there once, every seq
# once, the chain checks, and each run's digest anchors a line of it.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh
export BK_AUDIT_LOG=$T/audit.log

bk-encrypt --genkey -k keyring >/dev/null
mkdir -p uploads nas/a nas/b
gen_bytes u 200000 >uploads/f
make_alert_recorder
backup_conf a.conf "file://$T/nas/a" "BK_STATE_DIR=$T/state-a"
backup_conf b.conf "file://$T/nas/b" "BK_STATE_DIR=$T/state-b"
echo data >d

pids=()
for w in 1 2 3 4 5 6 7 8; do
	(
		for i in $(seq 15); do
			bk-hash --no-progress -n "w$w-$i" <d >/dev/null 2>&1 || exit 1
		done
	) &
	pids+=($!)
done
bash "$backup" -c a.conf files 2>a.err &
pids+=($!)
bash "$backup" -c b.conf files 2>b.err &
pids+=($!)
for p in "${pids[@]}"; do
	wait "$p" || fail "a writer failed: $(cat a.err b.err)"
done

# The --genkey line, 120 bk-hash lines, and per run: 4 stages, the
# commit, the digest's upload, the script's own line.
n=$(wc -l <audit.log)
[ "$n" -eq 135 ] || fail "$n lines, expected 135"
for w in 1 2 3 4 5 6 7 8; do
	for i in $(seq 15); do
		[ "$(grep -c "\"w$w-$i\"" audit.log)" -eq 1 ] || fail "w$w-$i is not there once"
	done
done
jq -se '[.[].seq] == [range(1; length + 1)] and
    (map(select(.tool == "bk-backup.sh" and .result == "committed")) | length == 2)' \
    audit.log >/dev/null || fail "seqs or runs: $(cut -c 1-80 audit.log)"
digests=(nas/a/audit/*.digest nas/b/audit/*.digest)
[ -f "${digests[0]}" ] || fail "no digest in nas/a"
[ -f "${digests[1]}" ] || fail "no digest in nas/b"
audit_check audit.log "${digests[@]}" >report || fail "checker: $(cat report)"
expect_grep '^audit.log: 135 line\(s\), chain intact, last sha256 [0-9a-f]{64}, every digest matches$' report
