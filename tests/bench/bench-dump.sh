#!/bin/bash
# bk-dump and bk-restore against a FerretDB (SQLite) holding BENCH_DUMP_MB
# (default 100) MB of ~1 KiB documents; mongodump/mongorestore beside them
# when they could be built.  Also the server's CPU time per row, since
# FerretDB, not bk, is expected to be the bottleneck.
. "$BK_TOP/tests/bench/lib.sh"
T=$BENCH_DIR/dump
mkdir -p "$T"
# tests/lib.sh: start_ferretdb, $PY, and the server is killed on exit.
. "$BK_TOP/tests/lib.sh"

mb=${BENCH_DUMP_MB:-100}
start_ferretdb "$T/fdb"
U=$FERRETDB_URI
ndocs=$("$PY" "$BK_TOP/tests/seed_mongo.py" bulk "$U" bench "$mb")
bk-dump --uri "$U" --db bench >"$T/a.arch"
bytes=$(stat -c %s "$T/a.arch")
zbytes=$(bk-dump --uri "$U" --db bench -z zstd | wc -c)

server_cpu() {
	awk '{ print $14 + $15 }' "/proc/$FERRETDB_PID/stat"
}
# note TEXT: a line under the current table.
note_row() { echo "$*" >>"$BENCH_OUT"; }
# timed LABEL CMD: a bench row plus the server's CPU seconds for it.
timed() {
	local c0 c1 hz
	hz=$(getconf CLK_TCK)
	c0=$(server_cpu)
	bench "$1" "$bytes" "$2"
	c1=$(server_cpu)
	note_row "  - \`$1\`: FerretDB used $(awk -v a="$c0" -v b="$c1" -v h="$hz" -v r="$BENCH_ROUNDS" 'BEGIN { printf "%.1f", (b - a) / h / r }') s CPU per round"
}

# peer LABEL TOOL ARGS: a timed row for the official TOOL (MONGODUMP or
# MONGORESTORE, which need_mongo_tools sets) with ARGS, or a note that it
# is absent.
peer() {
	if ( need_mongo_tools ) 9>/dev/null 2>&1; then
		need_mongo_tools
		timed "$1" "${!2} $3"
	else
		note_row "  - ${1%% *}: not built here (the Go module proxy refuses github.com/mongodb/mongo-tools); no peer row"
	fi
}

bench_group "bk-dump of $ndocs documents ($((bytes / 1000000)) MB of BSON) from FerretDB 1.24 (SQLite)"
timed "bk-dump --db bench > archive" "bk-dump --uri $U --db bench >/dev/null"
timed "bk-dump --db bench -j 1 > archive" "bk-dump --uri $U --db bench -j 1 >/dev/null"
timed "bk-dump --db bench -z zstd > archive" "bk-dump --uri $U --db bench -z zstd >/dev/null"
peer "mongodump --archive" MONGODUMP "--uri $U --db bench --archive >/dev/null"
note_row "  - archive: $bytes bytes plain, $zbytes bytes with -z zstd"

bench_group "bk-restore of the same archive into FerretDB (--drop, renamed)"
timed "bk-restore --drop < archive" "bk-restore --uri $U --drop --ns-from 'bench.*' --ns-to 'r.*' <$T/a.arch"
timed "bk-restore --dry-run < archive (no server)" "bk-restore --dry-run <$T/a.arch >/dev/null"
peer "mongorestore --archive --drop" MONGORESTORE \
    "--uri $U --archive --drop --nsFrom 'bench.*' --nsTo 'm.*' <$T/a.arch"
note_row "  - documents per second = $ndocs / (time); time = $bytes bytes / (MB/s column)"
