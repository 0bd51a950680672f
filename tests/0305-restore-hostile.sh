#!/bin/bash
# bk-restore against crafted archives (tests/mongoarchive.py craft), on a
# real FerretDB: a database name with a dot (admin.system + users) or any
# other character MongoDB forbids is refused as corrupt (exit 1) and never
# reaches admin.system.users; a rename into a system collection is
# refused; a collection option or index field the server does not
# document ($db above all) is refused and never redirects a create;
# malformed BSON, invalid UTF-8, absurd nesting, malformed metadata JSON, a
# view carrying documents and a namespace listed twice are all exit 1, in
# --dry-run as in a restore, and nothing of the stream is inserted.
# FerretDB stores no views, validators or TTL indexes: those paths are in
# tests/unit/test-restore-cmd.c.
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/fdb"
craft() {	# craft NAME JSON: $T/NAME.arch
	printf '%s\n' "$2" >"$T/$1.json"
	"$PY" "$BK_TOP/tests/mongoarchive.py" craft "$T/$1.json" >"$T/$1.arch" ||
	    fail "craft $1"
}
# refused NAME PATTERN [OPTION...]: exit 1 in --dry-run and in a restore,
# the message matching PATTERN.
refused() {
	local name=$1 pat=$2 rc mode
	shift 2
	for mode in --dry-run "--uri=$FERRETDB_URI"; do
		rc=0
		bk-restore "$mode" "$@" <"$T/$name.arch" >/dev/null \
		    2>"$T/$name.err" || rc=$?
		[ "$rc" -eq 1 ] || fail "$name: bk-restore $mode $* exited" \
		    "$rc, expected 1: $(head -c 300 "$T/$name.err")"
		expect_grep "$pat" "$T/$name.err"
	done
}
# nothing DB...: none of these databases exists, admin holds no collection
# but what FerretDB puts there.
nothing() {
	"$PY" - "$FERRETDB_URI" "$@" <<'PYEOF' || fail "something was restored: $*"
import sys
from pymongo import MongoClient
c = MongoClient(sys.argv[1])
dbs = c.list_database_names()
for d in sys.argv[2:]:
    assert d not in dbs, (d, dbs)
if "admin" in dbs:
    names = c.admin.list_collection_names()
    assert not [n for n in names if not n.startswith("system.")] and \
        "system.users" not in [n for n in names if c.admin[n].find_one({"user": "evil"})], names
PYEOF
}
GOOD='{"db":"shop","collection":"orders","metadata":{"indexes":[],"collectionName":"orders"},"docs":[{"_id":1}]}'

# B2: db "admin.system" + collection "users" is not admin.system.users.
craft dotdb '[{"db":"admin.system","collection":"users","docs":[{"_id":"admin.evil","user":"evil","db":"admin","roles":[{"role":"root","db":"admin"}]}]}]'
refused dotdb 'archive namespace: database "admin.system" collection "users": database name holds'
nothing admin.system
for db in 'a/b' 'a b' 'a$b' 'a"b' 'a\b'; do
	craft baddb "$("$PY" -c 'import json, sys
print(json.dumps([{"db": "x", "collection": "ok", "docs": [{"_id": 1}]},
                  {"db": sys.argv[1], "collection": "c", "docs": [{"_id": 1}]}]))' "$db")"
	refused baddb 'archive namespace: database'
	nothing x
done
craft dollarcoll '[{"db":"shop","collection":"a$b","docs":[{"_id":1}]}]'
refused dollarcoll 'collection name holds a \$'
craft longdb "[{\"db\":\"$(printf 'd%.0s' $(seq 70))\",\"collection\":\"c\"}]"
refused longdb 'longer than 63 bytes'

# The guard, after renaming too, however spelled.
craft good "[$GOOD]"
for to in 'admin.system.*' 'admin.System.users' 'local.x' 'Config.*' 'shop.system.views'; do
	expect_exit 2 bk-restore --dry-run --ns-from 'shop.*' --ns-to "$to" \
	    <"$T/good.arch" >/dev/null 2>"$T/err"
	expect_grep 'the target is a system collection' "$T/err"
done
# Targets that only the names in the archive make reserved: exit 1.
craft tem '[{"db":"shop","collection":"tem.users","docs":[{"_id":1}]}]'
refused tem 'refused: the target shop.system.users is a system collection' \
    --ns-from 'shop.*' --ns-to 'shop.sys*'
refused good 'refused: the target local.orders is a system collection or in the local' \
    --ns-from 'shop*.*' --ns-to 'local*.*'
# local and config in the archive are skipped, as system.* are.
craft local '[{"db":"local","collection":"oplog.rs","docs":[{"_id":1}]},{"db":"shop","collection":"sys","docs":[{"_id":1}]}]'
bk-restore --uri "$FERRETDB_URI" --ns-from 'shop.sys' --ns-to 'shop.system.x' \
    <"$T/local.arch" >/dev/null 2>"$T/err" && fail "rename into system.x accepted"
bk-restore --uri "$FERRETDB_URI" --ns-include 'local.*' <"$T/local.arch" \
    >/dev/null 2>"$T/err" || fail "local.oplog.rs is skipped, not fatal"
expect_grep 'local.oplog.rs: skipped' "$T/err"
nothing shop
craft sysusers '[{"db":"Admin","collection":"System.Users","docs":[{"_id":"admin.evil","user":"evil"}]}]'
bk-restore --uri "$FERRETDB_URI" <"$T/sysusers.arch" 2>"$T/err" ||
    fail "a users collection is skipped, not fatal"
expect_grep 'users and roles are not restored' "$T/err"
nothing Admin

# B3: $db in the options must not create anything in admin.
craft dollardb '[{"db":"shop","collection":"evil","metadata":{"options":{"$db":"admin"},"indexes":[],"collectionName":"evil"},"docs":[{"_id":1}]}]'
refused dollardb 'collection option "\$db" is not one the server documents' \
    --ns-from 'shop.*' --ns-to 'staging.*'
nothing staging shop
craft bogusopt '[{"db":"shop","collection":"c","metadata":{"options":{"writeConcern":{"w":0}},"indexes":[]},"docs":[{"_id":1}]}]'
refused bogusopt 'collection option "writeConcern"'
craft idxdb '[{"db":"shop","collection":"c","metadata":{"indexes":[{"key":{"a":1},"name":"a_1","$db":"admin"}]},"docs":[{"_id":1}]}]'
refused idxdb 'index field "\$db"'
craft idxbogus '[{"db":"shop","collection":"c","metadata":{"indexes":[{"key":{"a":1},"name":"a_1","evil":true}]}}]'
refused idxbogus 'index field "evil"'
nothing shop

# B10: every document is checked; bad metadata JSON is a corrupt stream.
craft utf8 "[{\"db\":\"shop\",\"collection\":\"bad\",\"rawdocs\":[\"$("$PY" -c 'import struct
body=b"\x02s\x00"+struct.pack("<i",3)+b"\xff\xfe\x00"
print((struct.pack("<i",len(body)+5)+body+b"\x00").hex())')\"]},$GOOD]"
refused utf8 'namespace shop.bad at byte [0-9]+ is not valid BSON: a string is not valid UTF-8'
craft lying "[{\"db\":\"shop\",\"collection\":\"bad\",\"rawdocs\":[\"$("$PY" -c 'import struct
body=b"\x03o\x00"+struct.pack("<i",200)+b"\x00"
print((struct.pack("<i",len(body)+5)+body+b"\x00").hex())')\"]}]"
refused lying 'is not valid BSON'
"$PY" - "$T/deep.json" <<'PYEOF'
import json, struct, sys
n = 100000
inner = struct.pack("<i", 5) + b"\x00"
for _ in range(n):
    body = b"\x03a\x00" + inner
    inner = struct.pack("<i", len(body) + 5) + body + b"\x00"
json.dump([{"db": "shop", "collection": "deep", "rawdocs": [inner.hex()]}],
          open(sys.argv[1], "w"))
PYEOF
"$PY" "$BK_TOP/tests/mongoarchive.py" craft "$T/deep.json" >"$T/deep.arch"
refused deep 'nested deeper than 200 levels'
craft badjson '[{"db":"shop","collection":"c","metadata":"{\"indexes\": [","docs":[{"_id":1}]}]'
refused badjson 'namespace shop.c: metadata is not valid Extended JSON'
nothing shop

# B22: a view that carries documents.
craft viewdocs "[{\"db\":\"shop\",\"collection\":\"v\",\"type\":\"view\",\"metadata\":{\"options\":{\"viewOn\":\"orders\",\"pipeline\":[]},\"indexes\":[]},\"docs\":[{\"_id\":1}]},$GOOD]"
refused viewdocs 'namespace shop.v at byte [0-9]+: a view that carries documents'
craft viewon "[{\"db\":\"shop\",\"collection\":\"v\",\"metadata\":{\"options\":{\"viewOn\":\"orders\"}},\"docs\":[{\"_id\":1}]}]"
refused viewon 'a view that carries documents'

# A namespace listed twice.
craft twice "[$GOOD,$GOOD]"
refused twice 'listed twice in the prelude'
nothing shop

# The good archive itself restores.
bk-restore --uri "$FERRETDB_URI" --validate <"$T/good.arch" >"$T/table" ||
    fail "the good crafted archive was refused"
expect_grep '^shop.orders +1 +1 +equal +ok' "$T/table"
echo ok
