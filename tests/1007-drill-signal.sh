#!/bin/bash
# bk-drill.sh stopped by SIGTERM in the middle of a test restore (its
# restore stage still running, the bk_test_ databases already written):
# exit 143, the stage's process stopped, the test databases dropped, the
# scratch and temporary directories removed, and the report written with
# result "fail".
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh
drill=$BK_TOP/scripts/bk-drill.sh

start_ferretdb "$T/fdb"
s3_buckets bk-prod
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).shop.orders.insert_many([{"n": i} for i in range(800)])' "$FERRETDB_URI"
mkdir uploads
bk-encrypt --genkey -k keyring >/dev/null
printf '%s\n' "$FERRETDB_URI" >uri && chmod 600 uri
make_alert_recorder
backup_conf bk.conf "s3://bk-prod/prod" "BK_MONGODB_URI_FILE=$T/uri"
bash "$backup" -c bk.conf db 2>b.err || fail "db backup: $(cat b.err)"

# bk-restore, except that the real restore, once done, stays in the stage
# (as a long one would) until it is stopped.
mkdir bin
cat >bin/bk-restore <<EOW
#!/bin/bash
case " \$* " in *" --validate "*) ;; *) exec $(command -v bk-restore) "\$@" ;; esac
$(command -v bk-restore) "\$@" || exit
echo \$\$ >"$T/stage.pid"
exec sleep 300
EOW
chmod +x bin/bk-restore

dbs() {
	"$PY" -c 'import sys; from pymongo import MongoClient
print(" ".join(sorted(MongoClient(sys.argv[1]).list_database_names())))' "$FERRETDB_URI"
}
export BK_DESTS="s3://bk-prod/prod" BK_KEYRING=$T/keyring BK_DRILL_URI_FILE=$T/uri
export BK_DRILL_DIR=$T/scratch BK_STATE_DIR=$T/state TMPDIR=$T/tmp
mkdir tmp scratch
PATH=$T/bin:$PATH bash "$drill" --test-restore --kind db >out 2>err &
pid=$!
wait_file stage.pid
case $(dbs) in *bk_test_*_shop*) ;; *) fail "no test database during the restore: $(dbs)" ;; esac
kill -TERM "$pid"
st=0
wait "$pid" || st=$?
[ "$st" -eq 143 ] || fail "exit $st: $(cat err)"
! kill -0 "$(cat stage.pid)" 2>/dev/null || fail "the stage is still running"
[ "$(dbs)" = "shop" ] || fail "databases left: $(dbs)"
[ -z "$(ls -A tmp)" ] || fail "temporary files left: $(ls -A tmp)"
[ -z "$(ls -A scratch)" ] || fail "scratch left: $(ls -A scratch)"
json=$(tail -n 1 out | sed 's/^report: //')
jq -e '.result == "fail" and .failure == "interrupted by SIGTERM" and .rto_seconds == null
    and .stages[-1].stage == "restore" and .stages[-1].status == 143' "$json" >/dev/null ||
	fail "report: $(cat "$json")"
expect_grep 'interrupted by SIGTERM' err
