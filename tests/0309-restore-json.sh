#!/bin/bash
# One command-line convention for bk-dump and bk-restore, in both modes:
# --help prints the synopsis and the options on stdout with exit 0, even
# after --files; --version exits 0; an unknown option is one line naming
# it and the synopsis on stderr, exit 2.  --json never goes where the data
# or a plan goes: bk-restore --dry-run prints its plan on stdout and the
# JSON status line on stderr (or in --json=FILE), --validate likewise; a
# plain restore, whose stdout carries nothing else, prints it on stdout.
. "$BK_TOP/tests/lib.sh"

for cmd in "bk-dump" "bk-dump --files d" "bk-restore" "bk-restore --files d"; do
	# shellcheck disable=SC2086
	set -- $cmd
	"$@" --help >"$T/out" 2>"$T/err" || fail "$cmd --help: exit $?"
	[ -s "$T/err" ] && fail "$cmd --help wrote to stderr: $(cat "$T/err")"
	expect_grep "^usage: $1 " "$T/out"
	"$@" --version >"$T/out" 2>"$T/err" || fail "$cmd --version: exit $?"
	expect_grep "^$1 \(bk\) " "$T/out"
	expect_exit 2 "$@" --no-such-option </dev/null >"$T/out" 2>"$T/err"
	[ -s "$T/out" ] && fail "$cmd --no-such-option wrote to stdout"
	expect_grep "^$1: unknown option --no-such-option$" "$T/err"
	expect_grep "^usage: $1 " "$T/err"
done

printf '%s\n' '[{"db": "shop", "collection": "orders",
  "docs": [{"_id": 1, "n": "a"}, {"_id": 2, "n": "b"}]},
 {"db": "shop", "collection": "users", "docs": [{"_id": 1}]}]' >"$T/spec.json"
"$PY" "$BK_TOP/tests/mongoarchive.py" craft "$T/spec.json" >"$T/a.arch" ||
    fail "craft"

# --dry-run --json: the plan alone on stdout, the status line on stderr.
bk-restore --dry-run --json <"$T/a.arch" >"$T/plan" 2>"$T/err" ||
    fail "dry run: exit $? $(cat "$T/err")"
[ "$(wc -l <"$T/plan")" -eq 2 ] || fail "plan: $(cat "$T/plan")"
expect_grep '^shop\.orders -> shop\.orders: 2 documents, ' "$T/plan"
grep -q '{' "$T/plan" && fail "the JSON status line is in the plan: $(cat "$T/plan")"
tail -n 1 "$T/err" | jq -e '.exit == 0 and .documents == 3' >/dev/null ||
    fail "status on stderr: $(cat "$T/err")"
# --json=FILE: the plan on stdout, the status line in FILE only.
bk-restore --dry-run --json="$T/st.json" <"$T/a.arch" >"$T/plan2" 2>"$T/err"
cmp -s "$T/plan" "$T/plan2" || fail "plan with --json=FILE differs"
[ -s "$T/err" ] && fail "stderr with --json=FILE: $(cat "$T/err")"
jq -e '.exit == 0 and .documents == 3' "$T/st.json" >/dev/null ||
    fail "status file: $(cat "$T/st.json")"

# A restore: nothing else on stdout, so the status line goes there; with
# --validate the table owns stdout and the status line goes to stderr.
start_ferretdb "$T/fdb"
bk-restore --uri "$FERRETDB_URI" --json <"$T/a.arch" >"$T/out" 2>"$T/err" ||
    fail "restore: exit $? $(cat "$T/err")"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "restore stdout: $(cat "$T/out")"
jq -e '.exit == 0 and .documents == 3' "$T/out" >/dev/null ||
    fail "restore status: $(cat "$T/out")"
bk-restore --uri "$FERRETDB_URI" --drop --validate --json <"$T/a.arch" \
    >"$T/table" 2>"$T/err" || fail "validate: exit $? $(cat "$T/err")"
expect_grep '^namespace ' "$T/table"
expect_grep '^shop\.orders .* ok$' "$T/table"
grep -q '{' "$T/table" && fail "the JSON status line is in the table: $(cat "$T/table")"
tail -n 1 "$T/err" | jq -e '.exit == 0' >/dev/null ||
    fail "validate status on stderr: $(cat "$T/err")"
echo ok
