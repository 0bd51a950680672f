#!/bin/bash
# bk-verify (bk-verify(1)): 5,000 committed backups under one prefix
# (--level quick reads a listing, 5,000 manifests and 5,000 sidecars;
# full also downloads 5,000 small objects), beside bk-get --list of the
# same prefix; and --level deep, one process reading each byte once,
# against the pipeline a person would type for the same checks:
# bk-get | bk-hash -c | bk-encrypt -d | bk-restore --dry-run.
# A measurement, never an assertion.
. "$BK_TOP/tests/bench/lib.sh"
T=$BENCH_DIR/verify
mkdir -p "$T"
# As in the tests: no stray libmongoc line from a stale /dev/shm file.
export MONGOC_DISABLE_SHM=1
# A test or soak running beside the bench may "pkill -9 -x" a stage by
# its name (tests/soak.sh does), which kills this pipeline's stage too: a
# row is tried up to three times (each failure is said on stderr).
retry() {
	local a
	for a in 1 2 3; do
		"$@" && return 0
		echo "bench-verify: attempt $a failed" >&2
	done
	return 1
}
PY=/usr/bin/python3

# many DIR N: N committed backups of 64 bytes written straight into a
# file:// store in the format of bk-format(5) (cheaper than 5,000 runs of
# bk-put --commit, and the same bytes).
many() {
	"$PY" - "$1" "$2" <<'EOPY'
import hashlib, json, os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
for i in range(n):
    name = "db-%05d.bk" % i
    data = os.urandom(64)
    h = hashlib.sha256(data).hexdigest()
    t = "2026-%02d-%02dT%02d:00:00Z" % (1 + i // 700 % 12, 1 + i // 24 % 28, i % 24)
    open(os.path.join(d, name), "wb").write(data)
    open(os.path.join(d, name + ".sha256"), "w").write("%s  %s\n" % (h, name))
    m = {"format": 1, "name": name, "kind": "db", "created": t,
         "size": 64, "sha256": h, "tool_version": "bench"}
    open(os.path.join(d, name + ".manifest.json"), "w").write(
        json.dumps(m, separators=(" , ", " : ")) + "\n")
EOPY
}

{
	echo
	echo "### 5,000 committed backups under one file:// prefix"
	echo
	echo "| command | backups | median seconds | peak RSS MiB |"
	echo "|---|---:|---:|---:|"
} >>"$BENCH_OUT"
# row LABEL N 'CMD': median seconds of BENCH_ROUNDS runs.
row() {
	local label=$1 n=$2 cmd=$3 i t rss secs=() maxrss=0 med
	for ((i = 0; i < BENCH_ROUNDS; i++)); do
		/usr/bin/time -f '%e %M' -o "$T/time" bash -c "$cmd" >/dev/null ||
		    { echo "bench: '$label' failed" >&2; return 1; }
		read -r t rss <"$T/time"
		secs+=("$t")
		[ "$rss" -gt "$maxrss" ] && maxrss=$rss
	done
	med=$(printf '%s\n' "${secs[@]}" | sort -g | sed -n "$(( (BENCH_ROUNDS + 1) / 2 ))p")
	printf '| `%s` | %s | %s | %.1f |\n' "$label" "$n" "$med" \
	    "$(awk -v k="$maxrss" 'BEGIN { print k / 1024 }')" >>"$BENCH_OUT"
}
many "$T/many" 5000
U=file://$T/many/
row "bk-get --list" 5000 "bk-get --list $U"
row "bk-verify --level quick" 5000 "bk-verify --level quick $U"
row "bk-verify --level full" 5000 "bk-verify --level full $U"
rm -f "$T/state"
bk-verify --level full --state "$T/state" "$U" >/dev/null
row "bk-verify --state (a seventh downloaded)" 5000 \
    "cp $T/state $T/state2 && bk-verify --state $T/state2 $U"
rm -rf "$T/many"
# The same in a bucket of versitygw (written where its posix backend keeps
# objects): 15 listing pages of 1,000 keys, then a GET per manifest and
# per sidecar.
. "$BK_TOP/tests/lib.sh"
(
	s3_buckets bk-many
	many "$T/s3/data/bk-many/p" 5000
	{
		echo
		echo "### 5,000 committed backups in one bucket (versitygw on loopback)"
		echo
		echo "| command | backups | median seconds | peak RSS MiB |"
		echo "|---|---:|---:|---:|"
	} >>"$BENCH_OUT"
	row "bk-get --list" 5000 "bk-get --list s3://bk-many/p/"
	row "bk-verify --level quick" 5000 "bk-verify --level quick s3://bk-many/p/"
	row "bk-verify --level full" 5000 "bk-verify --level full s3://bk-many/p/"
)
rm -rf "$T/s3"

# One files backup (zstd, sealed) of 256 MiB of incompressible files,
# and one database backup, checked deep and by the pipeline.
mkdir -p "$T/up" "$T/store"
for i in 1 2 3 4; do
	cp "$(bench_input "verify-$i" $((64 << 20)))" "$T/up/f$i"
done
bk-encrypt --genkey -k "$T/kr" >/dev/null
retry bash -c "bk-dump --files $T/up -z zstd | bk-encrypt -k $T/kr |
    bk-hash -n files.bk -o $T/files.bk.sum | bk-put file://$T/store/files.bk"
retry bk-put --commit --sum "$T/files.bk.sum" --kind files "file://$T/store/files.bk"
rm -rf "$T/up"
deep_vs_pipe() {	# deep_vs_pipe NAME LABEL 'RESTORE --dry-run'
	local f=$T/store/$1 bytes
	bytes=$(stat -c %s "$f")
	bench_group "bk-verify --level deep against the pipeline: $1 ($((bytes >> 20)) MiB stored)"
	retry bench "bk-verify --level deep" "$bytes" \
	    "bk-verify --level deep -k $T/kr file://$T/store/$1 >/dev/null"
	retry bench "bk-get | bk-hash -c | bk-encrypt -d | $2" "$bytes" \
	    "bk-get file://$T/store/$1 | bk-hash -n $1 -c $T/$1.sum |
	     bk-encrypt -d -k $T/kr | $3 >/dev/null"
}
deep_vs_pipe files.bk "bk-restore --files DIR --dry-run" \
    "bk-restore --files $T/none --dry-run"

if [ -x "$BK_CACHE/ferretdb-v1.24.2/bin/bk-test-ferretdb" ]; then
	start_ferretdb "$T/fdb"
	"$PY" "$BK_TOP/tests/seed_mongo.py" bulk "$FERRETDB_URI" bench 128 >/dev/null
	# Uncompressed: the bulk documents would shrink to almost nothing.
	retry bash -c "bk-dump --uri $FERRETDB_URI | bk-encrypt -k $T/kr |
	    bk-hash -n db.bk -o $T/db.bk.sum | bk-put file://$T/store/db.bk"
	retry bk-put --commit --sum "$T/db.bk.sum" --kind db "file://$T/store/db.bk"
	kill "$FERRETDB_PID"
	deep_vs_pipe db.bk "bk-restore --dry-run" "bk-restore --dry-run"
fi
rm -rf "$T"
