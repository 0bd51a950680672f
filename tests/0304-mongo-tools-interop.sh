#!/bin/bash
# With the official tools: mongorestore --archive reads what bk-dump writes
# (plain and --gzip), and bk-restore reads what mongodump --archive writes
# (plain and --gzip); each restore equals the source.  mongorestore adds
# the index option "ns" to every index it creates, which FerretDB rejects
# ('Index option "ns" is unknown', with mongodump's own archives too), so
# its restores run with --noIndexRestore and compare the documents; the
# index specifications in the archive are compared with mongodump's.
. "$BK_TOP/tests/lib.sh"
need_mongo_tools

start_ferretdb "$T/fdb"
U=$FERRETDB_URI
"$PY" "$BK_TOP/tests/seed_mongo.py" seed "$U" --small 1000 --big-mib 1 >/dev/null

bk-dump --uri "$U" --db shop | "$MONGORESTORE" --uri "$U" --archive \
    --noIndexRestore --nsFrom 'shop.*' --nsTo 'a.*' ||
	fail "mongorestore rejects bk-dump"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$U" shop "$U" a --no-indexes ||
	fail "a differs"
bk-dump --uri "$U" --db shop -z gzip | "$MONGORESTORE" --uri "$U" --archive \
    --noIndexRestore --gzip --nsFrom 'shop.*' --nsTo 'b.*' ||
	fail "mongorestore --gzip rejects bk-dump -z gzip"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$U" shop "$U" b --no-indexes ||
	fail "b differs"

# The same namespaces, metadata (collection options and index
# specifications) and documents as mongodump writes, read by the
# independent spec parser; only the prelude's order and the tool's name
# may differ.
bk-dump --uri "$U" --db shop >bk.archive
"$MONGODUMP" --uri "$U" --db shop --archive >official.archive
for f in bk official; do
	"$PY" - "$f.archive" >"$f.meta" <<'PY' || fail "cannot parse $f.archive"
import json, struct, sys, bson
data = open(sys.argv[1], "rb").read()
off, out = 4, []
n = struct.unpack_from("<i", data, off)[0]; off += n      # header
while struct.unpack_from("<I", data, off)[0] != 0xFFFFFFFF:
    n = struct.unpack_from("<i", data, off)[0]
    d = bson.decode(data[off:off + n]); off += n
    out.append((d["db"], d["collection"], d.get("type"),
                json.loads(d["metadata"])))
for ns in sorted(out, key=lambda x: (x[0], x[1])):
    print(json.dumps(ns, sort_keys=True))
PY
done
diff official.meta bk.meta || fail "bk-dump's prelude differs from mongodump's"

# One collection at a time the archives are the same bytes, but for the
# header's tool_version: segment boundaries (one segment per namespace
# change, not per 16 MiB), the empty segment of an empty collection, the
# compact metadata JSON, every CRC.
for c in orders types nothing_here 'zakázky_☃'; do
	bk-dump --uri "$U" --db shop --collection "$c" >one.bk
	"$MONGODUMP" --uri "$U" --db shop --collection "$c" --archive \
	    >one.official 2>/dev/null
	"$PY" - one.bk one.official <<'PY' || fail "shop.$c: bk-dump's archive differs from mongodump's"
import struct, sys, bson
def norm(path):
    data = open(path, "rb").read()
    n = struct.unpack_from("<i", data, 4)[0]
    h = bson.decode(data[4:4 + n])
    h["tool_version"] = "-"
    return data[:4] + bson.encode(h) + data[4 + n:]
a, b = norm(sys.argv[1]), norm(sys.argv[2])
if a != b:
    i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), None)
    print("differ: %d vs %d bytes, first difference at %s" % (len(a), len(b), i))
    sys.exit(1)
PY
done

"$MONGODUMP" --uri "$U" --db shop --archive | bk-restore --uri "$U" \
    --ns-from 'shop.*' --ns-to 'c.*' --validate || fail "bk-restore rejects mongodump"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$U" shop "$U" c || fail "c differs"
"$MONGODUMP" --uri "$U" --db shop --archive --gzip | bk-restore --uri "$U" \
    --ns-from 'shop.*' --ns-to 'd.*' --validate || fail "bk-restore rejects mongodump --gzip"
"$PY" "$BK_TOP/tests/seed_mongo.py" compare "$U" shop "$U" d || fail "d differs"
echo ok
