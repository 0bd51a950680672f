#!/bin/bash
# bk-dump | bk-restore into a second FerretDB gives back every document
# byte for byte (every BSON type FerretDB stores, a 9 MiB document, unicode
# names, empty collections, indexes); --validate agrees.  Restoring again
# without --drop reports the duplicate _id errors; --drop replaces;
# --ns-from/--ns-to renames; --ns-include/--ns-exclude select.
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/src"
SRC=$FERRETDB_URI
start_ferretdb "$T/dst"
DST=$FERRETDB_URI
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$SRC" --small 3000 >/dev/null

bk-dump --uri "$SRC" -z zstd | bk-restore --uri "$DST" --validate \
    >"$T/table" || fail "dump | restore --validate exited $?"
expect_grep '^shop.orders +3000 +3000 +equal +ok' "$T/table"
expect_grep '^media.blobs +3 +3 +equal +ok' "$T/table"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$SRC" shop,media "$DST" shop,media ||
    fail "restored data differs"

# Again, no --drop: nothing is duplicated, the duplicates are reported.
bk-dump --uri "$SRC" --db shop >"$T/shop.arch"
expect_exit 3 bk-restore --uri "$DST" <"$T/shop.arch" 2>"$T/err"
expect_grep 'duplicate key' "$T/err"
# (--no-index-restore: FerretDB 1.24 panics on createIndexes of a compound
# index that already exists; real servers answer "nothing to do".)
expect_exit 4 bk-restore --uri "$DST" --continue-on-error --no-index-restore \
    <"$T/shop.arch" 2>"$T/err"
"$PY" - "$DST" <<'PYEOF' || fail "documents duplicated without --drop"
import sys
from pymongo import MongoClient
assert MongoClient(sys.argv[1]).shop.orders.count_documents({}) == 3000
PYEOF
# --drop replaces; validate then agrees.
bk-restore --uri "$DST" --drop --validate <"$T/shop.arch" >"$T/table2" ||
    fail "--drop restore failed"

# Rename prod-style: shop.* -> staging.*, only orders and types.
bk-restore --uri "$DST" --ns-include 'shop.orders' --ns-include 'shop.t*' \
    --ns-from 'shop.*' --ns-to 'staging.*' --batch-size 100 --validate \
    <"$T/shop.arch" >"$T/table3" || fail "renamed restore failed"
expect_grep '^staging.orders +3000 +3000 +equal +ok' "$T/table3"
"$PY" - "$DST" <<'PYEOF' || fail "rename/include wrong"
import sys
from pymongo import MongoClient
db = MongoClient(sys.argv[1]).staging
assert sorted(db.list_collection_names()) == ["orders", "types"], db.list_collection_names()
assert "sku_qty" in db.orders.index_information()
PYEOF

# --no-index-restore; --ns-exclude.
bk-restore --uri "$DST" --ns-exclude 'shop.orders' --no-index-restore \
    --ns-from 'shop.*' --ns-to 'noidx.*' <"$T/shop.arch"
"$PY" - "$DST" <<'PYEOF' || fail "--ns-exclude/--no-index-restore wrong"
import sys
from pymongo import MongoClient
db = MongoClient(sys.argv[1]).noidx
assert "orders" not in db.list_collection_names()
PYEOF

# Validation notices a server that does not hold what the archive has.
"$PY" -c 'import sys; from pymongo import MongoClient; MongoClient(sys.argv[1]).staging.orders.update_one({"_id": 5}, {"$set": {"qty": 99}})' "$DST"
bk-restore --uri "$DST" --ns-include 'shop.orders' --ns-from 'shop.*' \
    --ns-to 'staging.*' --continue-on-error --no-index-restore --validate \
    <"$T/shop.arch" \
    >"$T/table4" 2>/dev/null && fail "validation passed on changed data"
expect_grep '^staging.orders +3000 +3000 +differs +MISMATCH' "$T/table4"
echo ok
