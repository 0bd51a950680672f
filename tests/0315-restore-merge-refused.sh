#!/bin/bash
# Two namespaces of an archive are never restored into one collection: a
# renaming (--ns-from 'app.*' --ns-to 'scratch.*') that lands app.orders
# on the archive's own scratch.orders is refused before anything is read
# into a server, naming both (exit 1), in a dry run as in a restore; left
# out with --ns-include or --ns-exclude, the same restore goes ahead.  (A
# soak's restore test met it: a whole-server backup holding an earlier
# test restore, merged into one collection and failing --validate.)
. "$BK_TOP/tests/lib.sh"

cat >spec.json <<'EOS'
[{"db": "app", "collection": "orders", "docs": [{"_id": 1}, {"_id": 2}, {"_id": 3}]},
 {"db": "scratch", "collection": "orders", "docs": [{"_id": 1, "old": 1}]},
 {"db": "app", "collection": "users", "docs": [{"_id": "u1"}]}]
EOS
"$PY" "$BK_TOP/tests/mongoarchive.py" craft spec.json >a.arch || fail "craft"

expect_exit 1 bk-restore --dry-run --ns-from 'app.*' --ns-to 'scratch.*' <a.arch >out 2>err
expect_grep '^bk-restore: app\.orders and scratch\.orders would both be restored into scratch\.orders; leave one out' err
[ "$(wc -l <err)" -eq 1 ] || fail "not one line: $(cat err)"
[ ! -s out ] || fail "a plan was printed: $(cat out)"

start_ferretdb "$T/fdb"
expect_exit 1 bk-restore --uri "$FERRETDB_URI" --ns-from 'app.*' --ns-to 'scratch.*' \
    --drop <a.arch >/dev/null 2>err
expect_grep 'would both be restored into scratch\.orders' err
n=$(SEED_URI=$FERRETDB_URI "$PY" -c '
import os
from pymongo import MongoClient
print(len(MongoClient(os.environ["SEED_URI"]).list_database_names()))')
# Nothing was created (FerretDB lists no database until one is written).
[ "$n" -le 1 ] || fail "the refused restore wrote $n databases"

bk-restore --uri "$FERRETDB_URI" --ns-exclude 'scratch.*' --ns-from 'app.*' \
    --ns-to 'scratch.*' --drop --validate <a.arch >out 2>err ||
    fail "with the other left out: $(cat err)"
expect_grep '^scratch\.orders +3 +3 equal +ok' out
exit 0
