#!/bin/bash
# The test MongoDB (FerretDB, SQLite backend) starts and answers a real
# client: pymongo seeds a collection and reads it back over TCP.
. "$BK_TOP/tests/lib.sh"

start_ferretdb "$T/fdb"
"$PY" - "$FERRETDB_URI" <<'PYEOF'
import sys
from pymongo import MongoClient
c = MongoClient(sys.argv[1], serverSelectionTimeoutMS=10000)
db = c["smoke"]
db.drop_collection("things")
db.things.insert_many([{"_id": i, "name": "thing %d" % i} for i in range(100)])
db.things.create_index("name", unique=True)
assert db.things.count_documents({}) == 100, "count"
assert db.things.find_one({"_id": 42})["name"] == "thing 42", "find"
names = c.list_database_names()
assert "smoke" in names, names
idx = db.things.index_information()
assert "name_1" in idx and idx["name_1"].get("unique"), idx
print("ferretdb ok:", c.server_info()["version"])
PYEOF
