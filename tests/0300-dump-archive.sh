#!/bin/bash
# bk-dump writes a mongodump --archive stream that an independent parser
# (tests/mongoarchive.py, written from the spec) accepts: structure, CRCs,
# every namespace closed; -z gzip and -z zstd wrap the same stream; --json
# carries the per-collection counts; the password never shows.
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/fdb"
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$FERRETDB_URI" --small 2000 >/dev/null

bk-dump --uri "$FERRETDB_URI" --json="$T/status.json" >"$T/plain.arch" ||
    fail "bk-dump exited $?"
"$PY" "$BK_TOP/tests/mongoarchive.py" validate "$T/plain.arch" >"$T/summary.json" ||
    fail "mongoarchive.py rejects bk-dump's archive"
"$PY" - "$T/summary.json" "$T/status.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
st = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
ns = s["namespaces"]
assert ns["shop.orders"]["docs"] == 2000, ns["shop.orders"]
assert ns["shop.types"]["docs"] == 50
assert ns["media.blobs"]["docs"] == 3
assert ns["shop.nothing_here"]["docs"] == 0
assert "shop.zak\u00e1zky_\u2603" in ns
assert s["header"]["version"] == "0.1"
assert s["order"] == sorted(s["order"]), "prelude sorted by name"
assert st["ok"] and st["counts"]["shop.orders"]["documents"] == 2000, st
assert st["counts"]["media.blobs"]["bytes"] == ns["media.blobs"]["bytes"], st
assert st["documents"] == sum(v["docs"] for v in ns.values())
print("archive ok:", len(ns), "namespaces")
PYEOF

# Compression wraps the whole stream: what gzip -d / zstd -d give back is
# the same archive format (documents may come in another order).
bk-dump --uri "$FERRETDB_URI" -z gzip --db shop >"$T/gz.arch"
[ "$(head -c 2 "$T/gz.arch" | od -An -tx1 | tr -d ' ')" = 1f8b ] || fail "not gzip"
gzip -dc "$T/gz.arch" | "$PY" "$BK_TOP/tests/mongoarchive.py" validate >/dev/null ||
    fail "gzip archive invalid"
bk-dump --uri "$FERRETDB_URI" -z zstd:19 -j 1 --ns-include 'media.*' >"$T/zst.arch"
zstd -dc "$T/zst.arch" | "$PY" "$BK_TOP/tests/mongoarchive.py" validate >"$T/z.json" ||
    fail "zstd archive invalid"
expect_grep '"media.blobs"' "$T/z.json"
grep -q '"shop.orders"' "$T/z.json" && fail "--ns-include let shop.orders through"

# --db/--collection/--query select; --ns-exclude removes.
bk-dump --uri "$FERRETDB_URI" --db shop --collection orders \
    --query '{"qty": {"$numberInt": "3"}}' >"$T/q.arch"
"$PY" "$BK_TOP/tests/mongoarchive.py" validate "$T/q.arch" >"$T/q.json"
"$PY" -c 'import json,sys; n=json.load(open(sys.argv[1]))["namespaces"]; assert list(n)==["shop.orders"] and 0<n["shop.orders"]["docs"]<2000, n' "$T/q.json" ||
    fail "--query/--collection selection wrong"
bk-dump --uri "$FERRETDB_URI" --ns-exclude 'shop.*' >"$T/x.arch"
"$PY" "$BK_TOP/tests/mongoarchive.py" validate "$T/x.arch" >"$T/x.json"
grep -q '"shop\.' "$T/x.json" && fail "--ns-exclude shop.* kept shop"

# Usage errors and an unreachable server (temporary: 75); no password shown.
expect_exit 2 bk-dump --bogus
expect_exit 2 bk-dump --collection orders
port=$(free_port)
expect_exit 75 bk-dump --uri "mongodb://u:hunter2@127.0.0.1:$port/?serverSelectionTimeoutMS=500" \
    >/dev/null 2>"$T/err"
expect_grep 'u:\*\*\*@' "$T/err"
grep -q hunter2 "$T/err" && fail "password printed"
echo ok
