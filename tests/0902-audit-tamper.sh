#!/bin/bash
# The audit chain of real bk-backup.sh runs, tampered with: an edited,
# deleted, reordered or inserted line is found and named; lines cut from
# the end, a rewritten last line and a whole log replaced pass the chain
# (its documented limit) but not the digests the runs stored beside their
# backups.  A log with a torn last line stops the next backup: its stages
# cannot audit, so nothing is committed.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

bk-encrypt --genkey -k keyring >/dev/null
mkdir -p uploads nas
gen_bytes u 50000 >uploads/f
make_alert_recorder
backup_conf bk.conf "file://$T/nas"
bash "$backup" -c bk.conf files 2>err1 || fail "run 1: $(cat err1)"
bash "$backup" -c bk.conf files 2>err2 || fail "run 2: $(cat err2)"
log=state/audit.log
n=$(wc -l <$log)
[ "$n" -eq 14 ] || fail "$n lines after two runs: $(cut -c 1-100 $log)"

# The digests, as an auditor fetches them from the store.
i=0
for name in $(cd nas/audit && ls); do
	i=$((i + 1))
	bk-get --uncommitted "file://$T/nas/audit/$name" >"d$i" || fail "bk-get $name"
done
[ "$i" -eq 2 ] || fail "$i digests stored"
s1=$(jq .seq d1) s2=$(jq .seq d2)
[ "$s1 $s2" = "5 12" ] || fail "digests anchor lines $s1 and $s2"
audit_check $log d1 d2 >report || fail "intact log: $(cat report)"
expect_grep "every digest matches" report

# tampered NAME EXPECTED [DIGEST...]: t.log (made by the caller) fails
# the check with EXPECTED as its report.
tampered() {
	local what=$1 want=$2
	shift 2
	expect_exit 1 audit_check t.log "$@" >report
	[ "$(cat report)" = "$want" ] || fail "$what: $(cat report)"
}
# keep SED: t.log is the log through sed.
keep() { sed "$1" $log >t.log; }

keep '3s/"pid" : [0-9]*/"pid" : 1/'
cmp -s t.log $log && fail "the edit changed nothing"
tampered edit "t.log line 4: prev does not match line 3 (a line edited, deleted, inserted or moved)"
keep 5d
tampered delete "t.log line 5: prev does not match line 4 (a line edited, deleted, inserted or moved)"
keep '2{h;d};3G'
tampered swap "t.log line 2: prev does not match line 1 (a line edited, deleted, inserted or moved)"
keep '6p'
tampered duplicate "t.log line 7: prev does not match line 6 (a line edited, deleted, inserted or moved)"
keep 1,2d
tampered head "t.log line 1: prev is not the genesis value (lines deleted at the head?)"

# The tail cut: the chain holds; the second run's digest does not.
keep 10q
audit_check t.log d1 >report || fail "a cut tail before the digest: $(cat report)"
tampered cut "t.log line 11: missing: the log ends at line 10, but the digest d2 anchors line 12 (the tail was cut)" d1 d2
# The anchored line rewritten, everything after it cut.
keep '12s/"result" : "ok"/"result" : "fail"/; 12q'
audit_check t.log >/dev/null || fail "a rewritten last line breaks no chain"
tampered rewrite "t.log line 12: does not match the digest d2 (line edited or replaced)" d1 d2
# A whole new log: a valid chain of its own.
rm -f t.log
for x in $(seq 14); do echo "$x" | BK_AUDIT_LOG=$T/t.log bk-hash >/dev/null 2>&1; done
audit_check t.log >/dev/null || fail "the forged log's chain"
tampered forged "t.log line 5: does not match the digest d1 (line edited or replaced)" d1 d2
# The log and the backups in one run: a forged log makes it 1 although
# every backup is good; the intact log and the same prefix give 0.
expect_exit 1 env -u BK_AUDIT_LOG bk-verify --audit t.log --audit-digest d1 \
    "file://$T/nas/files/" >both.out
grep -q '^ok .*files-.*\.bk$' both.out || fail "--audit with a prefix: the backups were not verified: $(cat both.out)"
env -u BK_AUDIT_LOG bk-verify --audit $log --audit-digest d1 --audit-digest d2 \
    "file://$T/nas/files/" >both.out || fail "--audit with a prefix: $(cat both.out)"

# A torn last line: the next backup's stages cannot audit; it fails and
# commits nothing, and says why.
printf '{"seq":15,' >>$log
expect_exit 3 bash "$backup" -c bk.conf files 2>err3
expect_grep 'the last line is incomplete' err3
expect_grep 'cannot append to the audit log' err3
[ "$(find nas -name '*.manifest.json' | wc -l)" -eq 2 ] || fail "a run that could not be audited committed"
