#!/bin/bash
# bk-dump --uri mongodb://host/shop dumps database shop only, as
# mongodump does; --db may be given several times; with neither, every
# database but local and config is dumped (a staging copy on the same
# server included).
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/fdb"
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$FERRETDB_URI" --small 50 --big-mib 1 >/dev/null
"$PY" - "$FERRETDB_URI" <<'PYEOF'
import sys
from pymongo import MongoClient
c = MongoClient(sys.argv[1])
c.staging_shop.orders.insert_many([{"_id": i} for i in range(5)])
PYEOF
dbs_of() {	# the databases of archive $1, one per line, sorted
	bk-restore --dry-run <"$1" | sed -n 's/^\([^.]*\)\..* -> .*/\1/p' | sort -u
}
base=${FERRETDB_URI%/}
bk-dump --uri "$base/shop" >"$T/uri.arch" || fail "bk-dump --uri .../shop failed"
[ "$(dbs_of "$T/uri.arch")" = shop ] ||
    fail "--uri .../shop dumped: $(dbs_of "$T/uri.arch" | tr '\n' ' ')"
bk-dump --uri "$base/shop?serverSelectionTimeoutMS=20000" >"$T/uri2.arch" ||
    fail "a URI with a database and options failed"
[ "$(dbs_of "$T/uri2.arch")" = shop ] || fail "URI options lose the database"
bk-dump --uri "$FERRETDB_URI" --db shop --db media --db shop >"$T/two.arch" ||
    fail "repeated --db failed"
[ "$(dbs_of "$T/two.arch" | tr '\n' ' ')" = "media shop " ] ||
    fail "--db shop --db media dumped: $(dbs_of "$T/two.arch" | tr '\n' ' ')"
# --db wins over the URI's database.
bk-dump --uri "$base/shop" --db media >"$T/over.arch" || fail "--db with a URI db failed"
[ "$(dbs_of "$T/over.arch")" = media ] || fail "--db did not override the URI"
bk-dump --uri "$FERRETDB_URI" >"$T/all.arch" || fail "bk-dump of all failed"
dbs_of "$T/all.arch" >"$T/all"
expect_grep '^staging_shop$' "$T/all"
expect_grep '^shop$' "$T/all"
expect_grep '^media$' "$T/all"
# --collection needs one database, from --db or the URI.
bk-dump --uri "$base/shop" --collection orders >"$T/c.arch" ||
    fail "--collection with the URI's database failed"
bk-restore --dry-run <"$T/c.arch" >"$T/plan"
[ "$(wc -l <"$T/plan")" -eq 1 ] && expect_grep '^shop.orders ' "$T/plan"
expect_exit 2 bk-dump --uri "$FERRETDB_URI" --collection orders >/dev/null 2>&1
expect_exit 2 bk-dump --uri "$FERRETDB_URI" --db a --db b --collection c >/dev/null 2>&1
echo ok
# The "authenticate against admin" URI limits the dump to admin, loudly.
bk-dump --uri "$base/admin" >"$T/admin.arch" 2>"$T/admin.err" ||
    fail "bk-dump --uri .../admin failed"
expect_grep 'only admin is dumped .*authSource=admin' "$T/admin.err"
