#!/bin/bash
# bk-backup.sh --help (and -h) prints the usage and what each option and
# argument means on standard output and exits 0, recording nothing; the
# manifest of a files backup holds a counts object, as that of a db
# backup does, not bk-dump's whole status line.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

export BK_STATE_DIR=$T/env-state
for h in --help -h; do
	bash "$backup" "$h" >help.out 2>help.err || fail "$h exited $?"
	[ ! -s help.err ] || fail "$h wrote on stderr: $(cat help.err)"
	expect_grep '^usage: bk-backup.sh \[-c conf\] db\|files$' help.out
	expect_grep '^  -c conf ' help.out
	expect_grep '^  db ' help.out
	expect_grep '^  files ' help.out
	expect_grep '^Exit status: ' help.out
done
[ ! -e env-state ] || fail "--help recorded a run"

bk-encrypt --genkey -k keyring >/dev/null
mkdir -p uploads/sub store
echo one >uploads/a
echo two >uploads/sub/b
ln -s a uploads/link
cat >bk.conf <<EOC
BK_UPLOADS_DIR=$T/uploads
BK_KEYRING=$T/keyring
BK_DESTS="file://$T/store"
BK_STATE_DIR=$T/state
EOC
chmod 600 bk.conf
bash "$backup" -c bk.conf files 2>files.err || fail "files backup: $(cat files.err)"
m=$(find store -name '*.manifest.json')
[ -n "$m" ] || fail "no manifest: $(find store)"
jq -e '.counts | type == "object" and .files == 2 and .directories >= 1 and .symlinks == 1
    and (has("tool") or has("ok") or has("exit") or has("compression") | not)' "$m" >/dev/null ||
	fail "files counts: $(jq -c .counts "$m")"
