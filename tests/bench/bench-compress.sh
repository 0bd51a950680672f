#!/bin/bash
# The stored size: bk-dump's compressor (lib/compress.c, through zpipe.c)
# against gzip -6 and zstd -3 on three real bk-dump archives of
# BENCH_COMPRESS_DOCS (default 300,000) documents each, seeded into
# FerretDB by compress_docs.py: "text" (2,000-word vocabulary), "small"
# (20-word vocabulary, short documents) and "ordinary" (mixed types,
# random ids).  Then the whole pipeline, bk-dump -z ... | bk-encrypt, from
# FerretDB.  The FerretDB data and the archives are cached under
# $BK_CACHE/bench-compress (keyed by the generator), since seeding takes
# minutes.  Speed is input MB per CPU second of the compressor (the cores
# are shared with the database and bk-encrypt) and per wall second.
. "$BK_TOP/tests/bench/lib.sh"
# tests/lib.sh: start_ferretdb, need_mongo_tools, $PY; servers die on exit.
. "$BK_TOP/tests/lib.sh"

ndocs=${BENCH_COMPRESS_DOCS:-300000}
gen=$BK_TOP/tests/bench/compress_docs.py
key=$(sha256sum <"$gen" | cut -c1-12)
C=$BK_CACHE/bench-compress/$ndocs-$key
kinds="text small ordinary"
mkdir -p "$C"

# zpipe: bk-dump's own writer over a file, so every row is what bk-dump
# -z would store.
zpipe=$BENCH_DIR/zpipe
cc -D_GNU_SOURCE -std=c11 -O2 -pthread -I"$BK_TOP/lib" -o "$zpipe" \
    "$BK_TOP/tests/bench/zpipe.c" "$BK_TOP/build/lib/libbk.a" \
    -lz -lzstd -lcrypto
default=$("$zpipe" --default-zstd)

# The FerretDB data and the archives are made together, kept together.
[ -d "$C/fdb/data" ] || rm -f "$C"/*.arch
start_ferretdb "$C/fdb"
U=$FERRETDB_URI
for k in $kinds; do
	[ -f "$C/$k.arch" ] && continue
	echo "bench-compress: seeding $ndocs $k documents (minutes, once)" >&2
	"$PY" "$gen" "$k" "$U" "cz_$k" "$ndocs" >/dev/null
	bk-dump --uri "$U" --db "cz_$k" >"$C/$k.tmp"
	mv "$C/$k.tmp" "$C/$k.arch"
done

# crow LABEL INPUT CMD: one row: stored bytes, their ratio to the first
# (gzip -6) row, CPU MB/s, wall MB/s, speed ratio to gzip -6 by CPU, peak
# RSS; median of BENCH_ROUNDS by CPU time.
crow() {
	local label=$1 in=$2 cmd=$3 i e u s m cpus=() walls=() maxrss=0
	local out=$BENCH_DIR/crow.out bytes size cpu wall
	for ((i = 0; i < BENCH_ROUNDS; i++)); do
		/usr/bin/time -f '%e %U %S %M' -o "$BENCH_DIR/time" \
		    bash -c "$cmd" <"$in" >"$out" ||
		    { echo "bench: '$label' failed" >&2; return 1; }
		read -r e u s m <"$BENCH_DIR/time"
		cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')")
		walls+=("$e")
		[ "$m" -gt "$maxrss" ] && maxrss=$m
	done
	bytes=$(stat -c %s "$in")
	size=$(stat -c %s "$out")
	cpu=$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(( (BENCH_ROUNDS + 1) / 2 ))p")
	wall=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(( (BENCH_ROUNDS + 1) / 2 ))p")
	if [ -z "$CBASE_SIZE" ]; then
		CBASE_SIZE=$size
		CBASE_CPU=$cpu
	fi
	awk -v l="${label//|/\\|}" -v b="$bytes" -v z="$size" -v c="$cpu" \
	    -v w="$wall" -v bz="$CBASE_SIZE" -v bc="$CBASE_CPU" -v m="$maxrss" \
	    'function r(x, y) { return y > 0 ? x / y : 0 }
	    BEGIN { printf "| `%s` | %d | %.3f | %.1f | %.1f | %.1f | %.1f |\n",
	    l, z, r(z, bz), r(b, c) / 1e6, r(b, w) / 1e6, r(bc, c), m / 1024 }' \
	    >>"$BENCH_OUT"
}

for k in $kinds; do
	a=$C/$k.arch
	CBASE_SIZE=""
	{
		echo
		echo "### Compress the $k archive ($(stat -c %s "$a") bytes, $ndocs documents)"
		echo
		echo "| command | bytes stored | / gzip -6 | MB/s per CPU s | MB/s wall | x gzip -6 (CPU) | peak RSS MiB |"
		echo "|---|---:|---:|---:|---:|---:|---:|"
	} >>"$BENCH_OUT"
	crow "gzip -6" "$a" "gzip -6"
	crow "bk-dump -z gzip (zlib 6)" "$a" "$zpipe gzip"
	crow "bk-dump -z zstd:3 (the old default)" "$a" "$zpipe zstd:3"
	crow "bk-dump -z zstd (default: $default)" "$a" "$zpipe zstd"
	crow "bk-dump -z zstd:7" "$a" "$zpipe zstd:7"
	echo "  - ratios are to the gzip -6 row; MB/s are of the plain archive" >>"$BENCH_OUT"
done

# The pipeline from the database: BSON MB per wall second; the server's
# CPU beside it.
kr=$BENCH_DIR/keyring
bk-encrypt --genkey -k "$kr" >/dev/null
server_cpu() { awk '{ print $14 + $15 }' "/proc/$FERRETDB_PID/stat"; }
prow() {
	local label=$1 bytes=$2 cmd=$3 c0 c1 hz BENCH_ROUNDS=1
	hz=$(getconf CLK_TCK)
	c0=$(server_cpu)
	bench "$label" "$bytes" "$cmd >$BENCH_DIR/pipe.out"
	c1=$(server_cpu)
	echo "  - \`$label\`: $(stat -c %s "$BENCH_DIR/pipe.out") bytes stored; FerretDB used $(awk -v a="$c0" -v b="$c1" -v h="$hz" -v r="$BENCH_ROUNDS" 'BEGIN { printf "%.1f", (b - a) / h / r }') s CPU per round" >>"$BENCH_OUT"
}
# FerretDB serves these documents at a few MB/s per CPU second, far below
# any compressor here, so one round of the issue's case (small) shows it;
# BENCH_COMPRESS_PIPE="text small ordinary" runs them all.
for k in ${BENCH_COMPRESS_PIPE:-small}; do
	bytes=$(stat -c %s "$C/$k.arch")
	bench_group "Pipeline from FerretDB 1.24, $k documents: dump | bk-encrypt > file (MB/s of BSON)"
	for z in zstd zstd:3 gzip none; do
		prow "bk-dump -z $z | bk-encrypt" "$bytes" \
		    "bk-dump --uri $U --db cz_$k -z $z | bk-encrypt -k $kr"
	done
	if ( need_mongo_tools ) 9>/dev/null 2>&1; then
		need_mongo_tools
		prow "mongodump --archive --gzip | bk-encrypt" "$bytes" \
		    "$MONGODUMP --quiet --uri $U --db cz_$k --archive --gzip | bk-encrypt -k $kr"
	fi
done
