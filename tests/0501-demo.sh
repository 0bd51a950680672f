#!/bin/bash
# README's first set-up command, "make demo", keeps working: the demo runs
# the cron job against a local FerretDB into a directory store, restores
# both backups and validates them.
. "$BK_TOP/tests/lib.sh"

BK_BIN=$(dirname "$(command -v bk-hash)") BK_DEMO_DIR=$T/demo \
	bash "$BK_TOP/scripts/bk-demo.sh" >demo.out 2>&1 || fail "demo: $(tail -n 20 demo.out)"
expect_grep '^seeded: 500 customers, 5000 orders$' demo.out
expect_grep '^restored\.customers +500 +500 +equal +ok$' demo.out
expect_grep '^restored\.orders +5000 +5000 +equal +ok$' demo.out
expect_grep '^uploads: identical \(diff -r\)$' demo.out
expect_grep '^== demo complete' demo.out
[ "$(grep -c '"result":"committed"' demo/state/audit.log)" -eq 2 ] || fail "audit: $(cat demo/state/audit.log)"
