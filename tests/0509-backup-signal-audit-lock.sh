#!/bin/bash
# A signal that reaches bk-backup.sh while it holds (or waits for) the
# audit log's lock is handled once the lock is released: the run is
# recorded as interrupted, in one whole line chained onto the log, and
# ends.  (It used to record the run from inside the locked section and so
# wait for its own lock forever, holding the job's lock: every later run
# refused.)  The wait for the lock is held by a flock wrapper, as a
# concurrent run holding it would hold it, so the moment is exact.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

mkdir -p uploads nas
echo hello >uploads/a.txt
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
backup_conf b.conf "file://$T/nas"
bash "$backup" -c b.conf files 2>err || fail "first run: $(cat err)"

# bk-backup.sh takes the audit log's lock on its fd 9 with flock; a flock
# first on PATH makes that wait last until the test says go, as another run
# holding the lock would (the tools' own audit lines take it with
# flock(2), not this command).
mkdir wrap
cat >wrap/flock <<EOW
#!/bin/sh
case " \$* " in *" 9 "*)
	touch "$T/waiting"
	i=0
	while [ ! -e "$T/release" ] && [ "\$i" -lt 1200 ]; do sleep 0.05; i=\$((i + 1)); done ;;
esac
exec "$(command -v flock)" "\$@"
EOW
chmod +x wrap/flock
sleep 1	# a new backup name (they are by the second)
PATH=$T/wrap:$PATH bash "$backup" -c b.conf files 2>err &
bpid=$!
# bk-backup.sh has committed and now waits for the audit lock.
wait_file waiting
kill -TERM "$bpid"
touch release
n=0
while kill -0 "$bpid" 2>/dev/null; do
	n=$((n + 1))
	if [ "$n" -ge 600 ]; then
		pkill -KILL -P "$bpid" 2>/dev/null
		kill -KILL "$bpid" 2>/dev/null
		fail "bk-backup.sh did not end 30 s after SIGTERM with the lock free: it waits for itself"
	fi
	sleep 0.05
done
rc=0
wait "$bpid" || rc=$?
[ "$rc" -eq 143 ] || fail "exit $rc, expected 143: $(cat err)"
jq -se 'last | .result == "failed" and .exit == 143 and
    (.detail | test("interrupted by SIGTERM after the commit, while storing the audit digest"))' \
    state/audit.log >/dev/null || fail "audit: $(tail -n 1 state/audit.log)"
bk-verify --audit state/audit.log >out 2>&1 || fail "audit chain: $(cat out)"
# The job's lock is free: the next run commits.
sleep 1
bash "$backup" -c b.conf files 2>err || fail "the run after: $(cat err)"
echo ok
