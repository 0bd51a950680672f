#!/bin/bash
# bk-restore reads an archive written by an independent implementation of
# the spec (tests/mongoarchive.py: small interleaved segments, as
# mongodump's multiplexer writes them) and the result equals the source.
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/fdb"
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$FERRETDB_URI" --small 1500 --big-mib 1 >/dev/null
"$PY" "$BK_TOP/tests/mongoarchive.py" write "$FERRETDB_URI" shop media \
    --segment 7 >"$T/py.arch" || fail "mongoarchive.py write failed"
bk-restore --dry-run <"$T/py.arch" >"$T/plan" || fail "bk-restore rejects a spec archive"
expect_grep '^shop.orders -> shop.orders: 1500 documents' "$T/plan"
gzip -c "$T/py.arch" | bk-restore --uri "$FERRETDB_URI" --ns-from 'shop.*' \
    --ns-to 'shop_py.*' --ns-from 'media.*' --ns-to 'media_py.*' --validate \
    >"$T/table" || fail "restore of the gzip spec archive failed"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$FERRETDB_URI" shop,media \
    "$FERRETDB_URI" shop_py,media_py || fail "restored data differs"
echo ok
