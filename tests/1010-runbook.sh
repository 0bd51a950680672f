#!/bin/bash
# The runbook's main path (docs/RUNBOOK.md, section 2) run as written, so
# that it cannot silently rot: its fenced blocks marked "sh runbook-main"
# are taken from the page in order and run in one shell (the approvers'
# block, "sh runbook-approve", once per approver with their own key as
# ~/.ssh/id_ed25519_sk), with this test's servers in place of the site's
# settings block ("sh runbook-site", whose variable names must be the
# ones set here).  Backups made by scripts/bk-backup.sh into two "regions"
# (two buckets of a versitygw); the database dropped and the uploads
# deleted; then list, fetch, checksum, decrypt, staging restore and
# validation, two ssh-keygen approvals, the approved restore into the
# protected production database and directory.  Production must then
# hold exactly what was backed up, with no restore leftovers, and the
# audit log (checked by the runbook's section 9 block against the digest
# stored with the backup) must name both approvers.  Section 3 after it:
# half of one collection deleted and a document added elsewhere, the
# collection replaced ("sh runbook-collection"); then a third of it
# deleted again and a document written since, merged back ("sh
# runbook-merge": 300 inserted, the new one kept).  bk-runbook(7) must
# carry every line of those blocks too.
. "$BK_TOP/tests/lib.sh"
rb=$BK_TOP/docs/RUNBOOK.md
backup=$BK_TOP/scripts/bk-backup.sh

# blocks TAG: the content of the runbook's fenced blocks "```sh TAG".
blocks() {
	awk -v open="\`\`\`sh $1" '
	    inb && /^```/ { inb = 0; next }
	    !inb && $0 == open { inb = 1; next }
	    inb' "$rb"
}
# names FILE: the variables a settings block sets, sorted.
names() { sed -n 's/^\(export \)\{0,1\}\([A-Z][A-Z0-9_]*\)=.*/\2/p' "$1" | sort; }

start_ferretdb "$T/staging"
STAGING=$FERRETDB_URI
start_ferretdb "$T/prod"
PROD=$FERRETDB_URI
hp=127.0.0.1:$FERRETDB_PORT
s3_buckets bk-us bk-eu

"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).shop
d.clients.insert_many([{"_id": i, "name": "client %d" % i} for i in range(300)])
d.cases.insert_many([{"_id": i, "client": i % 300, "title": "x" * (i % 40)} for i in range(900)])
d.invoices.insert_many([{"n": i, "amount": i * 7} for i in range(500)])
d.cases.create_index("client")' "$PROD"
mkdir -p uploads/cases/17 uploads/img
for i in 1 2 3; do gen_bytes "pdf$i" $((i * 50000)) >"uploads/cases/17/doc$i.pdf"; done
gen_bytes img 120000 >uploads/img/logo.png
cp -a uploads pristine

umask 077
mkdir state tmp
bk-encrypt --genkey -k keyring >/dev/null
printf '%sshop?serverSelectionTimeoutMS=3000\n' "$PROD" >uri
make_alert_recorder
backup_conf bk.conf "s3://bk-us/prod s3://bk-eu/prod" "BK_MONGODB_URI_FILE=$T/uri"
bash "$backup" -c bk.conf db 2>db.err || fail "db backup: $(cat db.err)"
bash "$backup" -c bk.conf files 2>files.err || fail "files backup: $(cat files.err)"
"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).shop
print(sorted((n, d[n].count_documents({})) for n in d.list_collection_names()))' "$PROD" >before

# The restore policy: production's database and uploads, two of alice and bob.
approvers alice bob
printf '%s\n' "protect $hp/shop" "protect $(realpath uploads)" 'require 2' \
    'allowed-signers signers' >etc/policy
printf '%s\n' "$STAGING" >staging-uri
printf '%s\n' "$PROD" >prod-uri

# The site's settings, for this test's servers.
cat >runbook.env <<EOF
export BK_KEYRING=$T/keyring
export BK_AUDIT_LOG=$T/state/audit.log
export BK_RESTORE_POLICY=$T/etc/policy
export TMPDIR=$T/tmp
DB1='s3://bk-us/prod/db/'
DB2='s3://bk-eu/prod/db/'
FILES1='s3://bk-us/prod/files/'
FILES2='s3://bk-eu/prod/files/'
STAGING_URI_FILE=$T/staging-uri
PROD_URI_FILE=$T/prod-uri
PROD_DB=shop
PROD_TARGET=$hp/shop
UPLOADS=$T/uploads
WORK=$T/work
EOF
blocks runbook-site >site
[ -s site ] || fail "no runbook-site block in $rb"
[ "$(names site)" = "$(names runbook.env)" ] ||
	fail "the runbook's settings are not the test's: $(names site | tr '\n' ' ')"

# The disaster: the database dropped, the uploads deleted.
"$PY" -c 'import sys; from pymongo import MongoClient
MongoClient(sys.argv[1]).drop_database("shop")' "$PROD"
rm -rf uploads/cases uploads/img

# The main path, block by block in the page's order; the approvers' block
# where it stands.
# The approvers' blocks (2.7, 3) are the same commands.
awk '/^```sh runbook-approve$/ { n++ } END { print n + 0 }' "$rb" >n.approve
[ "$(cat n.approve)" -ge 1 ] || fail "no runbook-approve block in $rb"
blocks runbook-approve >approve.all
awk -v n="$(cat n.approve)" '{ a[NR] = $0 } END { for (i = 1; i <= NR / n; i++) print a[i] }' \
    approve.all >approve.sh
for _ in $(seq "$(cat n.approve)"); do cat approve.sh; done | cmp -s - approve.all ||
	fail "the runbook's approvers' blocks differ"
{
	cat <<'EOF'
set -euo pipefail
rb_approvals() {
	local who s b
	for who in alice bob; do
		mkdir -p "$T/ap-$who/.ssh" "$T/ap-$who/in"
		cp "$T/$who" "$T/ap-$who/.ssh/id_ed25519_sk"
		cp "$WORK"/*.req "$T/ap-$who/in/"
		(cd "$T/ap-$who/in" && HOME=$T/ap-$who bash -euo pipefail "$T/approve.sh") >&2
		for s in "$T/ap-$who/in"/*.req.sig; do
			b=${s##*/}
			mv "$s" "$WORK/${b%.sig}.$who"
		done
	done
}
EOF
	# Section 3 after the main path: half of shop.cases deleted, and a
	# document added to clients, which the collection's restore must keep.
	cat <<'EOF'
rb_collection_disaster() {
	"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).shop
d.cases.delete_many({"_id": {"$gte": 450}})
d.clients.insert_one({"_id": "new", "name": "after the restore"})' "$PROD"
}
EOF
	# Section 3's merge: a third of cases deleted again, and a case
	# written since, which the merge must keep.
	cat <<'EOF'
rb_merge_disaster() {
	"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).shop
d.cases.delete_many({"_id": {"$gte": 600}})
d.cases.insert_one({"_id": "since", "title": "written after the backup"})' "$PROD"
}
EOF
	awk '/^```sh runbook-approve$/ { print "rb_approvals" }
	    /^```sh runbook-collection$/ && !coll { print "rb_collection_disaster"; coll = 1 }
	    /^```sh runbook-merge$/ && !merge { print "rb_merge_disaster"; merge = 1 }
	    inb && /^```/ { inb = 0; next }
	    !inb && /^```sh runbook-(main|collection|merge)$/ { inb = 1; next }
	    inb' "$rb"
} | sed "s#/etc/bk/runbook.env#$T/runbook.env#" >main.sh
for c in 'bk-get --list --kind db "$DB1" "$DB2"' 'bk-verify --level quick' \
    'bk-get "$URL"' 'bk-hash -c "$NAME.sha256"' 'bk-encrypt -d <"$NAME" | bk-restore --dry-run' \
    '--ns-to "restored_$PROD_DB.*" --validate' 'bk-restore --files "$WORK/uploads" --validate' \
    'bk-approve --request' 'bk-approve --verify' 'rb_approvals' \
    '--request "$NAME.req" --approval' '--request "$FNAME.req" --approval' \
    'bk-verify --audit'; do
	grep -qF -- "$c" main.sh || fail "the runbook's main path lacks: $c"
done
grep -qF 'ssh-keygen -Y sign -f ~/.ssh/id_ed25519_sk -n bk-restore' approve.sh ||
	fail "the approvers' block does not sign with ssh-keygen -Y sign -n bk-restore"

grep -qF -- '--ns-include "$PROD_DB.cases" --request "$NAME.cases.req"' main.sh ||
	fail "the runbook's section 3 lacks the approved restore of one collection"
grep -qF -- 'bk-restore -k "$BK_KEYRING" --merge' main.sh ||
	fail "the runbook's section 3 lacks the merge"
T=$T PY=$PY PROD=$PROD bash main.sh >main.out 2>main.err ||
	fail "the runbook's main path failed: $(tail -n 5 main.err)"

# Staging held the backup under restored_shop, validated.
for c in clients cases invoices; do
	expect_grep "^restored_shop\.$c +[0-9]+ +[0-9]+ +equal +ok" main.out
done
expect_grep '^approved: .*db-.*\.bk for .*/shop by ' main.out
[ "$(grep -Ec '^shop\.cases +900 +900 +equal +ok' main.out)" -eq 2 ] ||
	fail "shop.cases was not restored and validated twice (2.8, 3): $(cat main.out)"
# The merge: 300 inserted, 600 there, the case written since kept.
expect_grep '^shop\.cases +900 +300 +600 +601 +901 +ok$' main.out
# Production holds what was backed up (and, after section 3, the client
# added since), and nothing of the restore's own.
"$PY" -c 'import sys; from pymongo import MongoClient
d = MongoClient(sys.argv[1]).shop
print(sorted((n, d[n].count_documents({})) for n in d.list_collection_names()))' "$PROD" >after
sed "s/('clients', 300)/('clients', 301)/; s/('cases', 900)/('cases', 901)/" before >want
cmp -s want after || fail "production after the restores: $(cat after), wanted: $(cat want)"
grep -q 'bk-restore-\|bk-old-' after && fail "restore leftovers: $(cat after)"
diff -r pristine uploads >/dev/null || fail "the uploads differ from what was backed up"
left=$(find . -maxdepth 1 -name '*.bk-restore.*')
[ -z "$left" ] || fail "a restore sibling was left: $left"
for j in work/restore-db.json work/restore-files.json; do
	jq -e '.ok and .protected and (.approvers | sort) == ["alice@example.org", "bob@example.org"]' \
	    "$j" >/dev/null || fail "$j: $(cat "$j")"
done
jq -se '[.[] | select(.tool == "bk-restore" and .status.protected == true)] | length == 4' \
    state/audit.log >/dev/null || fail "the audit log lacks the four approved restores (2.8 twice, 3 twice)"

# Section 9: the chain against the digest stored with the newest backup.
{
	echo 'set -euo pipefail'
	cat runbook.env
	echo 'cd "$WORK"'
	blocks runbook-audit
} | sed "s#/var/lib/bk/audit.log#$T/state/audit.log#" >audit.sh
grep -qF -- '--audit-digest digest' audit.sh || fail "no runbook-audit block"
bash audit.sh >audit.out 2>&1 || fail "the runbook's audit check: $(cat audit.out)"

# bk-runbook(7) says the same: every command line of the page (fenced or
# indented) is in it, and every heading.
mandoc -T ascii "$BK_TOP/man/bk-runbook.7" | col -bx | sed 's/^ *//' >man.txt
awk '/^```/ { inb = !inb; next } inb || /^    / { sub(/^ +/, ""); if ($0 != "") print }' \
    "$rb" >code.lines
[ "$(wc -l <code.lines)" -gt 100 ] || fail "the runbook's commands: $(wc -l <code.lines) lines"
while IFS= read -r l; do
	grep -qxF -- "$l" man.txt || fail "bk-runbook(7) lacks the line: $l"
done <code.lines
sed -n 's/^##\{1,2\} //p' "$rb" | while IFS= read -r h; do
	grep -qixF -- "$h" man.txt || fail "bk-runbook(7) lacks the heading: $h"
done
exit 0
