#!/bin/bash
# bk-prune's safety rules with bk-verify's state file (written here by
# hand, in its documented format): nothing newer than the newest backup
# verified ok at level full or deep is removed (a quick check or a bad
# result does not count, nor a verification of other contents); with
# nothing verified, nothing goes; an empty listing where the state knows
# of backups is refused; a state file that cannot be read is an error.
. "$BK_TOP/tests/lib.sh"

D=$T/nas/db
U=file://$D/
mkdir -p "$D" "$T/nas/other"
backup() {
	local f=$D/$1 sum
	printf 'backup %s\n' "$1" >"$f"
	sum=$(sha256sum "$f" | cut -d ' ' -f 1)
	printf '%s  %s\n' "$sum" "$1" >"$f.sha256"
	printf '{"name":"%s","kind":"db","created":"%s","size":%d,"sha256":"%s"}\n' \
	    "$1" "$2" "$(stat -c %s "$f")" "$sum" >"$f.manifest.json"
}
for d in 20 21 22 23 24 25 26 27; do
	backup "db-$d.bk" "2026-11-${d}T12:00:00Z"
done
sum() { cut -d ' ' -f 1 "$D/$1.sha256"; }
# state LINE...: a state file of these lines "NAME LEVEL RESULT [SHA]".
state() {
	local name level result sha
	echo '# bk-verify state 1'
	for l in "$@"; do
		read -r name level result sha <<<"$l"
		printf '%s\t%s\t%s\t2026-11-27T15:00:00Z\t%s\n' "$U$name" \
		    "${sha:-$(sum "$name")}" "$level" "$result"
	done
}
# keep-last 1 alone would remove seven of eight.
P=(--keep-last 1 --max-remove 100)

state "db-23.bk full ok" "db-24.bk quick ok" "db-25.bk deep bad" \
	"db-26.bk full ok 0000000000000000000000000000000000000000000000000000000000000000" \
	>state
expect_exit 0 bk-prune "${P[@]}" --state state "$U" >plan
expect_grep "^keep   db 2026-11-27T12:00:00Z ${U}db-27.bk: last 1\$" plan
expect_grep "^keep   db 2026-11-26T12:00:00Z ${U}db-26.bk: safety: newer than the newest verified\$" plan
expect_grep "^keep   db 2026-11-24T12:00:00Z ${U}db-24.bk: safety: newer than the newest verified\$" plan
expect_grep "^keep   db 2026-11-23T12:00:00Z ${U}db-23.bk: safety: the newest verified\$" plan
expect_grep "^remove db 2026-11-22T12:00:00Z ${U}db-22.bk\$" plan
expect_grep ': keep 5, would remove 3 ' plan

# The state's newest verified is the newest backup: keep-last alone rules.
state "db-27.bk deep ok" >state
expect_exit 0 bk-prune "${P[@]}" --state state --apply "$U" >plan
expect_grep ': keep 1, removed 7$' plan
expect_exit 0 bk-prune --undo db-26.bk "$U" >/dev/null

# Nothing verified: nothing removed, and said why.
state "db-26.bk quick ok" "db-27.bk full bad" >state
expect_exit 0 bk-prune "${P[@]}" --state state "$U" >plan
expect_grep "^keep   db 2026-11-26T12:00:00Z ${U}db-26.bk: safety: nothing of its kind verified yet\$" plan
expect_grep ': keep 2, would remove 0 ' plan

# The newest of a kind is kept whatever the policy says.
expect_exit 0 bk-prune --keep-within 1h "$U" >plan
expect_grep "^keep   db 2026-11-27T12:00:00Z ${U}db-27.bk: within\$" plan
expect_exit 0 bk-prune --keep-daily 1 --keep-within 1h --max-remove 100 \
	--now 2026-11-27T12:30:00Z "$U" >plan
expect_grep ': keep 1, would remove 1 ' plan

# A listing with nothing where the state knows of backups (they were
# verified there yesterday): refused.
state "db-27.bk full ok" | sed "s|$U|file://$T/nas/other/|" >state
expect_exit 1 bk-prune "${P[@]}" --state state --apply "file://$T/nas/other/" >plan 2>err
expect_grep 'no committed backups listed, but the state file knows of 1; the listing looks wrong' err
expect_exit 0 bk-prune "${P[@]}" --state state --apply --force "file://$T/nas/other/" >plan

# A state file that is not one: an error, nothing done.
printf 'not a state\n' >bad
expect_exit 3 bk-prune "${P[@]}" --state bad --apply "$U" 2>err
expect_grep 'not a bk-verify state file' err
{ state "db-27.bk full ok"; printf '%s\tzz\tfull\tnow\tok\n' "${U}db-26.bk"; } >bad
expect_exit 3 bk-prune "${P[@]}" --state bad --apply "$U" 2>err
expect_grep 'bad:3: not URL, SHA-256' err
[ -e "$D/db-26.bk.manifest.json" ] || fail "a bad state file let a prune go on"
