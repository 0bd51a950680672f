#!/bin/bash
# bk-demo.sh - the main job on an embedded default, end to end: a local
# FerretDB (seeded with a small shop database) and an uploads directory
# are backed up by bk-backup.sh into a local directory store (file://),
# listed, then restored into a fresh database and directory and validated.
# "make demo" runs it from the source tree; BK_DEMO_DIR keeps the files.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# BK_BIN: where the tools are (the test suite points it at the build under
# test); by default the tree's own build.
export PATH=${BK_BIN:-$top/build/bin}:$PATH
cache=${BK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bk}
ferretdb=$cache/ferretdb-v1.24.2/bin/bk-test-ferretdb
[ -x "$ferretdb" ] || sh "$top/tests/servers/build.sh" ferretdb
dir=${BK_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/bk-demo.XXXXXX")}
mkdir -p "$dir"
say() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$ferretdb" -listen "127.0.0.1:$port" -dir "$dir/ferretdb" >"$dir/ferretdb.log" 2>&1 &
fpid=$!
trap 'kill $fpid 2>/dev/null; wait $fpid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
uri=mongodb://127.0.0.1:$port/

say "a local FerretDB on 127.0.0.1:$port, seeded with shop.customers and shop.orders"
/usr/bin/python3 - "$uri" <<'PY'
import sys, datetime
from pymongo import MongoClient
db = MongoClient(sys.argv[1]).shop
db.customers.insert_many([{"_id": i, "name": "customer %d" % i,
    "email": "c%d@example.com" % i} for i in range(500)])
db.customers.create_index("email", unique=True)
db.orders.insert_many([{"customer": i % 500, "total": i * 1.5,
    "at": datetime.datetime(2026, 11, 26, 12, 0) + datetime.timedelta(minutes=i)}
    for i in range(5000)])
db.orders.create_index([("customer", 1), ("at", -1)])
print("seeded:", db.customers.count_documents({}), "customers,",
      db.orders.count_documents({}), "orders")
PY
mkdir -p "$dir/uploads/2026/11"
for i in $(seq 20); do
	head -c $((i * 1000)) /dev/urandom >"$dir/uploads/2026/11/upload-$i.bin"
done
echo "an uploads directory of 20 files: $dir/uploads"

say "a keyring and a configuration (examples/bk.conf explains each setting)"
run bk-encrypt --genkey -k "$dir/keyring"
printf '%s\n' "$uri" >"$dir/mongodb-uri"
chmod 600 "$dir/mongodb-uri"
cat >"$dir/bk.conf" <<EOC
BK_MONGODB_URI_FILE=$dir/mongodb-uri
BK_UPLOADS_DIR=$dir/uploads
BK_KEYRING=$dir/keyring
BK_DESTS="file://$dir/store"
BK_COMPRESS=zstd
BK_STATE_DIR=$dir/state
EOC
chmod 600 "$dir/bk.conf"
# The store's top directory must exist (as a mounted NAS would): bk-put
# makes only the level below it, so an unmounted store fails loudly.
mkdir -p "$dir/store"

say "the main job: one database backup and one uploads backup"
run bash "$top/scripts/bk-backup.sh" -c "$dir/bk.conf" db
run bash "$top/scripts/bk-backup.sh" -c "$dir/bk.conf" files
run bk-get --list "file://$dir/store/db/"
run bk-get --list "file://$dir/store/files/"

say "restore the database into restored.* and validate it"
# The newest committed backup, as the listing reports it.
db=$(bk-get --list --json "file://$dir/store/db/" | jq -r 'select(.committed) | .name' | sort | tail -n 1)
set -x
bk-get "file://$dir/store/db/$db" |
	bk-hash -c "$dir/store/db/$db.sha256" -n "$db" |
	bk-encrypt -d -k "$dir/keyring" |
	bk-restore --uri "$uri" --ns-from 'shop.*' --ns-to 'restored.*' --validate
{ set +x; } 2>/dev/null

say "restore the uploads into a new directory and validate it"
f=$(bk-get --list --json "file://$dir/store/files/" | jq -r 'select(.committed) | .name' | sort | tail -n 1)
set -x
bk-get "file://$dir/store/files/$f" | bk-hash -c "$dir/store/files/$f.sha256" -n "$f" |
	bk-encrypt -d -k "$dir/keyring" | bk-restore --files "$dir/restored-uploads"
bk-get "file://$dir/store/files/$f" | bk-encrypt -d -k "$dir/keyring" |
	bk-restore --files "$dir/restored-uploads" --validate
{ set +x; } 2>/dev/null
diff -r "$dir/uploads" "$dir/restored-uploads" && echo "uploads: identical (diff -r)"

say "audit trail and metrics"
cat "$dir/state/audit.log"
grep -hv '^#' "$dir"/state/metrics/*.prom
say "demo complete: everything is in $dir"
