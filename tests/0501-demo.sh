#!/bin/bash
# README's first set-up command, "make demo", keeps working and tells the
# whole story: a law firm's database and uploads backed up through the
# full pipeline into a directory store, deep-verified, destroyed, restored
# with two approvals into the protected targets, validated identical to
# before the disaster, with RTO and RPO measured, a DR drill into a second
# server with its HTML report, and the audit chain intact.
. "$BK_TOP/tests/lib.sh"

BK_BIN=$(dirname "$(command -v bk-hash)") BK_DEMO_DIR=$T/demo \
	bash "$BK_TOP/scripts/bk-demo.sh" >demo.out 2>&1 || fail "demo: $(tail -n 20 demo.out)"
expect_grep '^seeded: 300 clients, 900 cases, 3000 invoices, 1500 hearings$' demo.out
expect_grep '^uploads: 80 files \(PDFs and PNG images\)$' demo.out
expect_grep '^ok +deep .* db +file://.*/store/db/db-[0-9]{8}T[0-9]{6}Z\.bk$' demo.out
expect_grep '^ok +deep .* files +file://.*/store/files/files-[0-9]{8}T[0-9]{6}Z\.bk$' demo.out
expect_grep '^firm\.invoices +3000 +3000 +equal +ok$' demo.out
expect_grep '^production: identical to before the disaster \(every document and file\)$' demo.out
expect_grep '^RTO: [0-9]+ s ' demo.out
expect_grep '^RPO: [0-9]+ s ' demo.out
expect_grep '^drill: pass, RTO [0-9.]+ s, RPO [0-9]+ s$' demo.out
html=$(sed -n 's/^drill report: //p' demo.out)
[ -s "$html" ] || fail "no drill report: $html"
grep -q '<svg' "$html" || fail "the drill report has no timeline"
expect_grep 'audit\.log: [0-9]+ line\(s\), chain intact' demo.out
expect_grep '^== demo complete' demo.out
[ "$(grep -c '"result":"committed"' demo/state/audit.log)" -eq 2 ] || fail "audit: $(cat demo/state/audit.log)"
# The restores into production are in the trail: the database once, the
# uploads twice (the approved restore, then --validate).
hp=$(sed -n 's/^== production: a local FerretDB on \([0-9.:]*\) .*/\1/p' demo.out)
n=$(jq -r 'select(.tool == "bk-restore") | .objects[0]' demo/state/audit.log)
[ "$(grep -c "^mongodb://$hp/\$" <<<"$n")" -eq 1 ] || fail "database restores of $hp in the audit log: $n"
[ "$(grep -c "^$T/demo/uploads\$" <<<"$n")" -eq 2 ] || fail "uploads restores in the audit log: $n"
