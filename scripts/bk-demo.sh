#!/bin/bash
# bk-demo.sh - the whole disaster story on an embedded default, in under a
# minute: a local FerretDB holding a law firm's database (clients, cases,
# invoices, hearings) and an uploads tree of PDFs and images; both backed
# up by bk-backup.sh through the full pipeline into a local directory
# store (file://); a deep verify; the disaster (the database dropped, the
# uploads deleted); the recovery an on-call admin types, with two
# approvals (ssh-keygen -Y sign) for the protected targets; validation;
# the RTO and RPO measured from timestamps; and, when scripts/bk-drill.sh
# is there, a DR drill into a second server with its HTML report.
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
run() { printf '$ %s\n' "$*" >&2; "$@"; }
now() { date -u +%s; }
py=/usr/bin/python3

pids=()
stop_servers() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap stop_servers EXIT
# ferretdb NAME: start a FerretDB with its data in $dir/NAME; sets port.
ferretdb() {
	port=$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$ferretdb" -listen "127.0.0.1:$port" -dir "$dir/$1" >"$dir/$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bk-demo: FerretDB did not start; see $dir/$1.log" >&2
	return 1
}

ferretdb ferretdb
hp=127.0.0.1:$port
uri=mongodb://$hp/

say "production: a local FerretDB on $hp with the firm's database, and its uploads"
$py - "$uri" "$dir/uploads" <<'PY'
import datetime, os, random, struct, sys, zlib
from pymongo import MongoClient
uri, up = sys.argv[1], sys.argv[2]
rnd = random.Random(2026)
db = MongoClient(uri).firm
t0 = datetime.datetime(2026, 1, 5, 9, 0)
db.clients.insert_many([{"_id": i, "name": "Client %03d" % i,
    "email": "client%03d@example.com" % i, "since": t0 + datetime.timedelta(days=i)}
    for i in range(300)])
db.clients.create_index("email", unique=True)
db.cases.insert_many([{"_id": i, "client": i % 300, "ref": "CASE-2026-%04d" % i,
    "court": rnd.choice(["Riyadh", "Jeddah", "Dammam"]),
    "status": rnd.choice(["open", "hearing", "closed"])} for i in range(900)])
db.cases.create_index("ref", unique=True)
db.invoices.insert_many([{"_id": i, "case": i % 900,
    "amount": round(rnd.uniform(500, 50000), 2), "paid": rnd.random() < 0.7,
    "issued": t0 + datetime.timedelta(hours=i)} for i in range(3000)])
db.invoices.create_index([("case", 1), ("issued", -1)])
db.hearings.insert_many([{"_id": i, "case": (i * 7) % 900,
    "at": t0 + datetime.timedelta(days=i % 330, hours=9 + i % 8),
    "notes": "Hearing %d: " % i + "adjourned " * (i % 5)} for i in range(1500)])
db.hearings.create_index("at")
print("seeded: %d clients, %d cases, %d invoices, %d hearings" % tuple(
    db[c].count_documents({}) for c in ("clients", "cases", "invoices", "hearings")))

def png(w, h, seed):
    r = random.Random(seed)
    rows = b"".join(b"\0" + bytes(r.randrange(256) for _ in range(w * 3)) for _ in range(h))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))

def pdf(text):
    body = "BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text
    objs = ["<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            " /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length %d >>\nstream\n%s\nendstream" % (len(body), body),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offs = "%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += "%d 0 obj\n%s\nendobj\n" % (i, o)
    x = len(out)
    out += "xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += "".join("%010d 00000 n \n" % o for o in offs)
    out += "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    return out.encode()

n = 0
for case in range(0, 900, 15):
    d = os.path.join(up, "cases", "CASE-2026-%04d" % case)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "statement.pdf"), "wb") as f:
        f.write(pdf("Statement of claim, case CASE-2026-%04d" % case)); n += 1
    if case % 45 == 0:
        with open(os.path.join(d, "evidence.png"), "wb") as f:
            f.write(png(160, 120, case)); n += 1
print("uploads: %d files (PDFs and PNG images)" % n)
PY

say "a keyring, two approvers, a restore policy and a configuration"
run bk-encrypt --genkey -k "$dir/keyring"
mkdir -m 700 "$dir/etc"
for k in alice bob; do
	ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$dir/etc/$k"
	echo "$k@example.org $(cut -d' ' -f1,2 "$dir/etc/$k.pub")"
done >"$dir/etc/signers"
printf '%s\n' "protect $hp/firm" "protect $dir/uploads" 'require 2' \
    'allowed-signers signers' >"$dir/etc/restore-policy"
export BK_RESTORE_POLICY=$dir/etc/restore-policy
cat "$BK_RESTORE_POLICY"
printf '%s\n' "$uri" >"$dir/mongodb-uri"
chmod 600 "$dir/mongodb-uri"
cat >"$dir/bk.conf" <<EOC
BK_MONGODB_URI_FILE=$dir/mongodb-uri
BK_DB_NAMES=firm
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
store=file://$dir/store

say "the scheduled jobs: a database backup and an uploads backup"
run bash "$top/scripts/bk-backup.sh" -c "$dir/bk.conf" db
run bash "$top/scripts/bk-backup.sh" -c "$dir/bk.conf" files
run bk-get --list "$store/db/"
run bk-get --list "$store/files/"

say "the daily verification, deep: every backup downloaded, decrypted and parsed"
run bk-verify --level deep -k "$dir/keyring" --max-age 1h "$store/db/"
run bk-verify --level deep -k "$dir/keyring" --max-age 1h "$store/files/"

# Fingerprints of production, to compare with after the recovery.
fingerprint() {
	$py -c 'import hashlib, sys
from bson import encode
from pymongo import MongoClient
db = MongoClient(sys.argv[1]).firm
for c in sorted(db.list_collection_names()):
    h = sorted(hashlib.sha256(encode(d)).hexdigest() for d in db[c].find())
    print(c, len(h), hashlib.sha256("".join(h).encode()).hexdigest()[:16])' "$uri"
	(cd "$dir/uploads" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum)
}
fingerprint >"$dir/before.fp"

say "THE DISASTER: the database is dropped and the uploads are deleted"
t_disaster=$(now)
$py -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).drop_database("firm")' "$uri"
rm -rf "$dir/uploads"
echo "firm dropped, $dir/uploads deleted at $(date -u -d "@$t_disaster" +%H:%M:%SZ)"

# From here on every tool appends its line to the audit log.
export BK_AUDIT_LOG=$dir/state/audit.log

say "recovery 1: find the newest committed backups"
newest() {	# newest KIND: name, sha256 and created of the newest committed one
	bk-get --list --json "$store/$1/" |
	    jq -r 'select(.committed) | [.created, .name, .sha256] | @tsv' |
	    sort | tail -n 1
}
IFS=$'\t' read -r db_created db_name db_sha < <(newest db)
IFS=$'\t' read -r f_created f_name f_sha < <(newest files)
echo "database: $db_name ($db_created), sha256 $db_sha"
echo "uploads:  $f_name ($f_created), sha256 $f_sha"

say "recovery 2: check them (SHA-256 against their sidecars, then open and parse)"
run bk-verify --level deep -k "$dir/keyring" "$store/db/"
run bk-verify --level deep -k "$dir/keyring" "$store/files/"

say "recovery 3: two approvals for each protected target"
for t in "db $db_name $db_sha $hp/firm" "files $f_name $f_sha $dir/uploads"; do
	read -r kind name sha target <<<"$t"
	run bk-approve --request --backup "$name" --sha256 "$sha" \
	    --target "$target" --expires +1h >"$dir/$kind.req"
	for k in alice bob; do
		# Each approver signs on their own machine and sends the .sig.
		run ssh-keygen -q -Y sign -f "$dir/etc/$k" -n bk-restore "$dir/$kind.req"
		mv "$dir/$kind.req.sig" "$dir/$kind.req.$k"
	done
done

say "recovery 4: restore into production, validated before it is swapped in"
set -x
bk-get "$store/db/$db_name" |
	bk-restore -k "$dir/keyring" --uri "$uri" --validate \
	    --request "$dir/db.req" --approval "$dir/db.req.alice" --approval "$dir/db.req.bob"
bk-get "$store/files/$f_name" |
	bk-restore -k "$dir/keyring" --files "$dir/uploads" \
	    --request "$dir/files.req" --approval "$dir/files.req.alice" --approval "$dir/files.req.bob"
bk-get "$store/files/$f_name" |
	bk-restore -k "$dir/keyring" --files "$dir/uploads" --validate
{ set +x; } 2>/dev/null
t_validated=$(now)
$py -c 'import sys; from pymongo import MongoClient
db = MongoClient(sys.argv[1]).firm
print("firm after the restore: %d clients, %d cases, %d invoices, %d hearings" % tuple(
    db[c].count_documents({}) for c in ("clients", "cases", "invoices", "hearings")))' "$uri"
echo "uploads after the restore: $(find "$dir/uploads" -type f | wc -l) files"
fingerprint >"$dir/after.fp"
cmp -s "$dir/before.fp" "$dir/after.fp" ||
    { echo "bk-demo: production differs from before the disaster" >&2; diff "$dir/before.fp" "$dir/after.fp" >&2; exit 1; }
echo "production: identical to before the disaster (every document and file)"

say "measured"
created=$(date -u -d "$db_created" +%s)
fcreated=$(date -u -d "$f_created" +%s)
[ "$fcreated" -lt "$created" ] && created=$fcreated
rto=$((t_validated - t_disaster))
rpo=$((t_disaster - created))
echo "RTO: ${rto} s (the disaster to both restores validated; target 4 h)"
echo "RPO: ${rpo} s (the age of the older backup used at the disaster; target 1 h)"

drill=$top/scripts/bk-drill.sh
if [ -x "$drill" ] || [ -f "$drill" ]; then
	say "the quarterly DR drill: the newest backups into a fresh server, timed, with a report"
	ferretdb drill-ferretdb
	printf '%s\n' "mongodb://127.0.0.1:$port/" >"$dir/drill-uri"
	chmod 600 "$dir/drill-uri"
	mkdir -p "$dir/drill" "$dir/reports"
	BK_DESTS=$store BK_KEYRING=$dir/keyring BK_DRILL_URI_FILE=$dir/drill-uri \
	    BK_DRILL_DIR=$dir/drill BK_REPORT_DIR=$dir/reports \
	    BK_STATE_DIR=$dir/state run bash "$drill" | tee "$dir/drill.out"
	report=$(sed -n 's/^report: //p' "$dir/drill.out" | tail -n 1)
	jq -r '"drill: \(.result), RTO \(.rto_seconds) s, RPO \(.rpo_seconds) s"' "$report"
	echo "drill report: ${report%.json}.html"
fi

say "the audit trail: one hash-chained line per tool run"
jq -r '"\(.seq)\t\(.tool)\t\(.op)\t\(.result)\t\(.objects[0] // "")"' "$dir/state/audit.log" |
    awk -F'\t' '{ printf "%-4s %-13s %-8s %-10s %s\n", $1, $2, $3, $4, $5 }'
run bk-verify --audit "$dir/state/audit.log"
say "demo complete: everything is in $dir"
