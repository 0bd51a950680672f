#!/bin/bash
# tests/bench/ab.sh OLD_BIN NEW_BIN: two builds of the tools side by side,
# run alternately on the same inputs (R rounds, default 3): the CPU seconds
# (user+sys, the least of the rounds) and peak RSS of each case, and the
# ratio after/before.  For a change that must not make a tool slower (the
# architecture issue); not part of make bench.  With FDB=mongodb://... the
# bk-dump cases dump database DB (default cz_small, which bench-compress
# seeds) from that server.
set -u
old=$1 new=$2 R=${R:-3}
D=$(mktemp -d "${TMPDIR:-/tmp}/bk-ab.XXXXXX")
trap 'rm -rf "$D"' EXIT
export MONGOC_DISABLE_SHM=1
head -c $((512 << 20)) /dev/urandom >"$D/in"
"$new/bk-encrypt" --genkey -k "$D/kr" >/dev/null
"$new/bk-encrypt" -k "$D/kr" <"$D/in" >"$D/in.bk"
"$new/bk-dump" --files "$new" >"$D/tar" 2>/dev/null

# cpu CMD: "SECONDS KIB" of one run of CMD (bash -c).
cpu() {
	/usr/bin/time -f '%U %S %M' -o "$D/t" bash -c "$1" ||
	    echo "ab: failed: $1" >&2
	awk '{ printf "%.2f %d\n", $1 + $2, $3 }' "$D/t"
}

# ab LABEL CMD: CMD with $B the bin directory, old and new alternately.
ab() {
	local label=$1 cmd=$2 bo=999 bn=999 mo=0 mn=0 t m i
	for ((i = 0; i < R; i++)); do
		rm -rf "$D/store" && mkdir "$D/store"
		read -r t m < <(cpu "B=$old; $cmd")
		bo=$(awk -v a="$t" -v b="$bo" 'BEGIN { print (a < b ? a : b) }') mo=$m
		rm -rf "$D/store" && mkdir "$D/store"
		read -r t m < <(cpu "B=$new; $cmd")
		bn=$(awk -v a="$t" -v b="$bn" 'BEGIN { print (a < b ? a : b) }') mn=$m
	done
	awk -v l="$label" -v a="$bo" -v b="$bn" -v ma="$mo" -v mb="$mn" \
	    'BEGIN { printf "| %s | %.2f | %.2f | %.2f | %d | %d |\n", l, a, b,
	    (a > 0 ? b / a : 0), ma / 1024, mb / 1024 }'
}

echo "| case | before CPU s | after CPU s | after/before | before RSS MiB | after RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|"
# shellcheck disable=SC2016 # $B is expanded by the case's own shell
{
ab "bk-hash 512 MiB" '$B/bk-hash -o '"$D/sum <$D/in >/dev/null"
ab "bk-encrypt 512 MiB" '$B/bk-encrypt -k '"$D/kr <$D/in >/dev/null"
ab "bk-encrypt -d 512 MiB" '$B/bk-encrypt -d -k '"$D/kr <$D/in.bk >/dev/null"
ab "bk-put 512 MiB to file://" '$B/bk-put --no-progress '"file://$D/store/x.bk <$D/in.bk"
ab "bk-restore --files --dry-run" '$B/bk-restore --files '"$D/store --dry-run <$D/tar >/dev/null"
if [ -n "${FDB:-}" ]; then
	ab "bk-dump -z none" '$B/bk-dump --no-progress --uri '"$FDB --db ${DB:-cz_small} >/dev/null"
	ab "bk-dump -z zstd" '$B/bk-dump --no-progress -z zstd --uri '"$FDB --db ${DB:-cz_small} >/dev/null"
	"$new/bk-dump" --uri "$FDB" --db "${DB:-cz_small}" >"$D/arch" 2>/dev/null
	ab "bk-restore --dry-run" '$B/bk-restore --dry-run '"<$D/arch >/dev/null"
fi
}
