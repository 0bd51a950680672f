#!/bin/bash
# tests/soak.sh [CYCLES] - the soak (make soak; not part of make check).
#
# CYCLES (default 200) hourly cycles compressed in time against a private
# FerretDB and versitygw, as cron would run them: the database changes,
# scripts/bk-backup.sh backs it up to S3 and a directory (the uploads
# directory too, every 24th cycle), bk-verify checks the new backups
# (--state), bk-prune applies a policy, and every tenth cycle a random
# committed backup is restored into a scratch database with --validate.
# Each backup runs under a random fault (SOAK_SEED makes the draw
# repeatable): none, SIGKILL of a pipeline stage, the S3 server or the
# database killed and restarted mid-run, or SIGTERM to the run itself.
#
# Nothing may be lost: every committed backup seen after one cycle is still
# committed, and verifies, after the next, unless bk-prune said it removed
# it.  The report: cycles, faults injected, backups made, restores
# validated, lost (must be 0), verify and restore failures (must be 0), and
# the peak memory of each tool (VmHWM sampled every 50 ms).  Exits 1 if
# anything was lost or failed.  docs/RELIABILITY.md keeps the last figures.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BK_BUILD:-$top/build}
cycles=${1:-${SOAK_CYCLES:-200}}
seed=${SOAK_SEED:-1}
export BK_TOP=$top BK_BUILD=$build MONGOC_DISABLE_SHM=1
export BK_CACHE=${BK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bk}
export PATH=$build/bin:$PATH
T=$(mktemp -d "${TMPDIR:-/tmp}/bk-soak.XXXXXX")
export T
cd "$T" || exit 3
# shellcheck source=tests/lib.sh
. "$BK_TOP/tests/lib.sh"
set +e +o pipefail
RANDOM=$seed
log() { printf '%s soak: %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$T/soak.log" >&2; }
have() { [ -x "$build/bin/$1" ]; }

start_ferretdb "$T/fdb"
fdb_port=$FERRETDB_PORT
start_versitygw "$T/s3"
use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
aws s3api create-bucket --bucket bk-soak >/dev/null || fail "create bucket"
mkdir -p nas/db nas/files uploads
gen_bytes up1 3000000 >uploads/one
printf '%s\n' "$FERRETDB_URI" >uri
bk-encrypt --genkey -k keyring >/dev/null
make_alert_recorder
# The application's database only: the restore tests write "scratch".
backup_conf soak.conf "s3://bk-soak/prod file://$T/nas" \
    "BK_MONGODB_URI_FILE=$T/uri" "BK_DB_NAMES=app"
"$PY" "$top/tests/seed_mongo.py" bulk "$FERRETDB_URI" app 4 >/dev/null ||
    fail "seed"
prefixes=("s3://bk-soak/prod/db/" "file://$T/nas/db/"
    "s3://bk-soak/prod/files/" "file://$T/nas/files/")

# The memory sampler: the highest VmHWM seen per tool.
cat >sampler.py <<'EOP'
import os, sys, time
stop, out, bindir, peak = sys.argv[1], sys.argv[2], sys.argv[3], {}
while not os.path.exists(stop):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
            if os.path.dirname(exe) != bindir:
                continue
            comm = os.path.basename(exe)
            for l in open("/proc/%s/status" % pid):
                if l.startswith("VmHWM:"):
                    kb = int(l.split()[1])
                    peak[comm] = max(peak.get(comm, 0), kb)
        except (OSError, ValueError):
            pass
    time.sleep(0.05)
with open(out, "w") as f:
    for k in sorted(peak):
        f.write("%s %d\n" % (k, peak[k]))
EOP
bindir=$(cd "$build/bin" && pwd -P)
"$PY" sampler.py "$T/stop-sampler" "$T/peaks" "$bindir" &
sampler=$!

# kill_ours TOOL: SIGKILL the running TOOL of this soak's build only (not
# one another job on the machine runs); 1 if none runs.
kill_ours() {
	local p e hit=1
	for p in $(pgrep -x "$1"); do
		e=$(readlink "/proc/$p/exe" 2>/dev/null) || continue
		[ "$e" = "$bindir/$1" ] || continue
		kill -9 "$p" 2>/dev/null && hit=0
	done
	return "$hit"
}
restart_vgw() { stop_versitygw; sleep "0.$((RANDOM % 10))"; rerun_versitygw "$T/s3"; }
restart_fdb() {
	kill -9 "$FERRETDB_PID" 2>/dev/null; wait "$FERRETDB_PID" 2>/dev/null
	sleep "0.$((RANDOM % 10))"
	spawn_server FerretDB "$fdb_port" 60 "$T/fdb/ferretdb.log.$RANDOM" \
	    "$BK_CACHE/ferretdb-v1.24.2/bin/bk-test-ferretdb" \
	    -listen "127.0.0.1:$fdb_port" -dir "$T/fdb/data"
	FERRETDB_PID=$SPAWNED
}
# committed: the committed backups under every prefix, one URL a line.
committed() {
	local p
	for p in "${prefixes[@]}"; do
		bk-get --list "$p" 2>/dev/null | cut -f 1
	done | sort
}

faults=0 missed=0 made=0 failed_runs=0 restores=0 restore_bad=0
lost=0 verify_bad=0 prune_bad=0 removed_total=0
declare -A nfault=()
committed >before
for c in $(seq "$cycles"); do
	# The application writes: new documents and changed ones.
	SOAK_URI=$FERRETDB_URI "$PY" -c '
import os, random
from pymongo import MongoClient
db = MongoClient(os.environ["SOAK_URI"]).app
ids = db.orders.insert_many([{"c": '"$c"', "i": i, "s": "x" * random.randint(10, 2000)} for i in range(50)]).inserted_ids
# Change some of them by _id (a filter on another field is a full scan,
# which on FerretDB grew to tens of seconds a cycle).
db.orders.update_many({"_id": {"$in": ids[:10]}}, {"$set": {"touched": '"$c"'}})' 2>>soak.err ||
	    log "cycle $c: the application write failed"
	kinds=(db)
	[ $((c % 24)) -eq 0 ] && { kinds+=(files); gen_bytes "up$c" 200000 >"uploads/f$c"; }
	for kind in "${kinds[@]}"; do
		r=$((RANDOM % 100))
		if [ "$r" -lt 55 ]; then f=none
		elif [ "$r" -lt 75 ]; then f=kill-stage
		elif [ "$r" -lt 85 ]; then f=kill-s3
		elif [ "$r" -lt 95 ]; then f=kill-db
		else f=term-run; fi
		[ "$kind" = files ] && [ "$f" = kill-db ] && f=kill-s3
		bash "$top/scripts/bk-backup.sh" -c soak.conf "$kind" >>run.out 2>>run.err &
		run=$!
		if [ "$f" != none ]; then
			sleep "0.$((RANDOM % 8))"
			hit=1
			case $f in
			kill-stage)
				stages=(bk-dump bk-encrypt bk-hash bk-put)
				kill_ours "${stages[RANDOM % 4]}" || hit=0 ;;
			kill-s3) kill -0 "$run" 2>/dev/null || hit=0; restart_vgw ;;
			kill-db) kill -0 "$run" 2>/dev/null || hit=0; restart_fdb ;;
			term-run) kill -TERM "$run" 2>/dev/null || hit=0 ;;
			esac
			if [ "$hit" = 1 ]; then
				faults=$((faults + 1)); nfault[$f]=$(( ${nfault[$f]:-0} + 1 ))
			else missed=$((missed + 1)); fi
		fi
		wait "$run"; rc=$?
		case $rc in 0|4) made=$((made + 1)) ;; *) failed_runs=$((failed_runs + 1)) ;; esac
		[ "$f" != none ] || [ "$rc" -eq 0 ] ||
		    log "cycle $c: $kind backup without a fault exited $rc: $(tail -n 1 run.err)"
	done
	kill -0 "$VGW_PID" 2>/dev/null || rerun_versitygw "$T/s3"
	kill -0 "$FERRETDB_PID" 2>/dev/null || restart_fdb
	# Verify the new backups fully, in every store.
	if have bk-verify; then
		for p in "${prefixes[@]}"; do
			bk-verify -k keyring --level full --state "verify.state" "$p" \
			    >verify.out 2>verify.err
			rc=$?
			[ "$rc" -eq 0 ] || { verify_bad=$((verify_bad + 1));
			    log "cycle $c: bk-verify $p exited $rc: $(grep -v ' ok' verify.out | head -n 3 | tr '\n' ' ') $(head -n 2 verify.err | tr '\n' ' ')"; }
		done
	fi
	# Prune, and note what it says it removed.
	: >removed
	if have bk-prune; then
		for p in "${prefixes[@]}"; do
			# Never past what bk-verify has seen whole (--state).
			bk-prune --keep-last 12 --keep-hourly 24 --keep-daily 7 \
			    --state verify.state --apply --json "$p" >prune.json 2>prune.err
			rc=$?
			[ "$rc" -eq 0 ] || { prune_bad=$((prune_bad + 1));
			    log "cycle $c: bk-prune $p exited $rc: $(head -n 2 prune.err | tr '\n' ' ')"; }
			jq -r 'select(.action == "remove") | .url // .name' prune.json 2>/dev/null |
			    while read -r n; do
				case $n in *://*) echo "$n" ;; *) echo "$p${n##*/}" ;; esac
			    done >>removed
		done
		removed_total=$((removed_total + $(wc -l <removed)))
	fi
	# Nothing lost: what was committed is still, unless pruned.
	committed >after
	sort -u removed >removed.s
	n=$(comm -23 before after | comm -23 - removed.s | tee lost.now | wc -l)
	if [ "$n" -gt 0 ]; then
		lost=$((lost + n))
		log "cycle $c: LOST $(tr '\n' ' ' <lost.now)"
	fi
	mv after before
	# Every tenth cycle, a restore test of a random committed db backup.
	if [ $((c % 10)) -eq 0 ]; then
		mapfile -t dbs < <(grep '/db/' before)
		if [ "${#dbs[@]}" -gt 0 ]; then
			pick=${dbs[RANDOM % ${#dbs[@]}]}
			restores=$((restores + 1))
			if ! bk-get "$pick" 2>restore.err | bk-encrypt -d -k keyring 2>>restore.err |
			    bk-restore --uri "$FERRETDB_URI" --ns-from 'app.*' --ns-to 'scratch.*' \
			    --drop --validate >/dev/null 2>>restore.err; then
				restore_bad=$((restore_bad + 1))
				log "cycle $c: restore test of $pick failed: $(tr '\n' ' ' <restore.err | head -c 300)"
			fi
		fi
	fi
	[ $((c % 10)) -eq 0 ] && log "cycle $c/$cycles: faults $faults, backups $made, failed runs $failed_runs, committed $(wc -l <before), lost $lost"
done
touch "$T/stop-sampler"
wait "$sampler"

{
	echo "soak: $cycles cycles, seed $seed"
	echo "faults injected: $faults ($(for k in "${!nfault[@]}"; do printf '%s %s, ' "$k" "${nfault[$k]}"; done | sed 's/, $//')); $missed drawn after the run had ended"
	echo "backups committed: $made; runs failed under a fault: $failed_runs"
	echo "committed at the end: $(wc -l <before); removed by bk-prune: $removed_total"
	echo "restore tests: $restores, failed: $restore_bad"
	echo "bk-verify runs not clean: $verify_bad; bk-prune runs failed: $prune_bad"
	echo "lost: $lost"
	echo "peak memory (VmHWM, KiB): $(tr '\n' ' ' <peaks)"
} | tee report
if [ "$lost" -gt 0 ] || [ "$restore_bad" -gt 0 ] || [ "$verify_bad" -gt 0 ] ||
    [ "$prune_bad" -gt 0 ]; then
	echo "soak: FAILED (work directory kept: $T)"
	exit 1
fi
cp report "$build/soak-report.txt" 2>/dev/null
rm -rf "$T"
exit 0
