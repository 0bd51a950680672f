#!/bin/bash
# With the official tools: mongorestore --archive reads what bk-dump writes
# (plain and --gzip), and bk-restore reads what mongodump --archive writes
# (plain and --gzip); each restore equals the source.
. "$BK_TOP/tests/lib.sh"
need_mongo_tools

start_ferretdb "$T/fdb"
U=$FERRETDB_URI
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$U" --small 1000 --big-mib 1 >/dev/null

bk-dump --uri "$U" --db shop | "$MONGORESTORE" --uri "$U" --archive \
    --nsFrom 'shop.*' --nsTo 'a.*' || fail "mongorestore rejects bk-dump"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$U" shop "$U" a || fail "a differs"
bk-dump --uri "$U" --db shop -z gzip | "$MONGORESTORE" --uri "$U" --archive \
    --gzip --nsFrom 'shop.*' --nsTo 'b.*' || fail "mongorestore --gzip rejects bk-dump -z gzip"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$U" shop "$U" b || fail "b differs"

"$MONGODUMP" --uri "$U" --db shop --archive | bk-restore --uri "$U" \
    --ns-from 'shop.*' --ns-to 'c.*' --validate || fail "bk-restore rejects mongodump"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$U" shop "$U" c || fail "c differs"
"$MONGODUMP" --uri "$U" --db shop --archive --gzip | bk-restore --uri "$U" \
    --ns-from 'shop.*' --ns-to 'd.*' --validate || fail "bk-restore rejects mongodump --gzip"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$U" shop "$U" d || fail "d differs"
echo ok
