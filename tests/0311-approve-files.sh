#!/bin/bash
# Two-person restore into a protected directory, the runbook way: the
# backup's digest from bk-get --list goes into a request, two approvers
# sign it with ssh-keygen -Y sign, and bk-get | bk-restore -k RING
# --request --approval --approval restores it.  Every refusal of
# bk-restore(1), APPROVALS, leaves the protected directory as it was:
# none, one, the same signer twice, a forged signature, an unlisted
# signer, a wrong namespace, an expired request, another target, another
# digest.  An approved restore replaces the directory whole (restored
# aside, then swapped in).  An unprotected directory needs nothing.
. "$BK_TOP/tests/lib.sh"

mkdir -m 700 etc
for k in alice bob carol mallory; do
	ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$k"
done
for k in alice bob carol; do
	echo "$k@example.org $(cut -d' ' -f1,2 "$k.pub")"
done >etc/signers
mkdir -p prod/uploads
printf '%s\n' "protect $T/prod/uploads" 'require 2' \
    'allowed-signers signers' >etc/policy
export BK_RESTORE_POLICY=$T/etc/policy

# A backup in a file:// store, as bk-backup.sh makes it.
mkdir -p src/img && gen_bytes approve 300000 >src/img/a.bin && echo hi >src/b.txt
bk-encrypt --genkey -k ring >/dev/null
bk-dump --files src | bk-encrypt -k ring | bk-hash -n f-1.bk -o sum |
    bk-put "file://$T/nas/f-1.bk"
bk-put --commit --sum sum --kind files "file://$T/nas/f-1.bk"
sha=$(bk-get --list --json "file://$T/nas/" | jq -r .sha256)
url="file://$T/nas/f-1.bk"
echo old >prod/uploads/old.txt

# sign REQ SIGNER... : REQ.SIGNER for each.
sign() {
	local req=$1 k
	shift
	for k in "$@"; do
		ssh-keygen -q -Y sign -f "$k" -n bk-restore "$req" ||
		    fail "sign $req $k"
		mv "$req.sig" "$req.$k"
	done
}
bk-approve --request --backup f-1.bk --sha256 "$sha" \
    --target "$T/prod/uploads" --expires +1h >req
sign req alice bob mallory

# refused EXIT MESSAGE ARGS...: bk-restore refuses, the target unchanged.
# (A refusal comes before bk-restore reads its input, so the refused runs
# read a copy rather than a pipe from bk-get, which would die of EPIPE.)
bk-get "$url" >f-1.bk
refused() {
	local want=$1 msg=$2
	shift 2
	expect_exit "$want" bk-restore -k ring --files prod/uploads \
	    --overwrite "$@" <f-1.bk 2>err
	expect_grep "$msg" err
	[ "$(ls prod/uploads)" = old.txt ] || fail "$*: the target changed"
}
refused 1 'is a protected target: a restore into it needs --request and 2 approvals'
refused 1 '1 approval for a protected target; the restore policy requires 2' \
    --request req --approval req.alice
refused 1 'distinct signers' --request req --approval req.alice \
    --approval req.alice
refused 1 'not list' --request req --approval req.alice \
    --approval req.mallory
# Forged: bob's signature of another request, presented for this one.
bk-approve --request --backup f-1.bk --sha256 "$sha" \
    --target "$T/prod/uploads" --expires +1h >other
sign other bob
refused 1 'other\.bob: bad signature \(ssh-ed25519\); refused' \
    --request req --approval req.alice --approval other.bob
# Signed for another namespace.
ssh-keygen -q -Y sign -f carol -n file req && mv req.sig req.carolfile
refused 1 'signed for namespace "file", not "bk-restore"' \
    --request req --approval req.alice --approval req.carolfile
# Expired (its expiry edited into the past, then signed).
sed 's/^expires .*/expires 2020-01-01T00:00:00Z/' req >expired
sign expired alice bob
refused 1 'expired at 2020-01-01T00:00:00Z; refused' \
    --request expired --approval expired.alice --approval expired.bob
# Another target.
bk-approve --request --backup f-1.bk --sha256 "$sha" \
    --target "$T/prod/other" --expires +1h >elsewhere
sign elsewhere alice bob
refused 1 "is for target $T/prod/other, not $T/prod/uploads" \
    --request elsewhere --approval elsewhere.alice --approval elsewhere.bob
# Another digest: the stream is restored aside, hashed as it comes, and
# the sibling removed at the end instead of being swapped in.
bk-approve --request --backup f-1.bk --sha256 "$(echo x | sha256sum |
    cut -c1-64)" --target "$T/prod/uploads" --expires +1h >wrongsum
sign wrongsum alice bob
refused 1 "SHA-256 $sha, the approved request names .*; refused, $T/prod/uploads left as it was" \
    --request wrongsum --approval wrongsum.alice --approval wrongsum.bob
# Beneath the protected directory, and a directory holding it, are
# protected too.
refused 1 'is a protected target' --files prod
expect_exit 1 bk-restore -k ring --files prod/uploads/sub <f-1.bk 2>err
expect_grep 'prod/uploads/sub is a protected target' err

# --delete (an incremental stream) cannot go into a protected directory,
# which is replaced whole.
refused 1 'a protected directory is replaced whole' --delete \
    --request req --approval req.alice --approval req.bob
[ -z "$(find prod -name '.uploads.bk-restore.*')" ] ||
    fail "a refused restore left its sibling behind"

# Approved: restored aside and swapped in whole (old.txt is gone), the
# approvers in the --json status line.
bk-get "$url" | bk-restore -k ring --files prod/uploads \
    --request req --approval req.bob --approval req.alice --json \
    >status 2>err || fail "approved restore: exit $? $(cat err)"
cmp prod/uploads/img/a.bin src/img/a.bin || fail "restored file differs"
[ ! -e prod/uploads/old.txt ] || fail "the previous contents are still there"
[ "$(ls -A prod)" = uploads ] || fail "left beside the target: $(ls -A prod)"
jq -e --arg s "$sha" '.exit == 0 and .sha256 == $s and .protected and
    .target == "prod/uploads" and
    .approvers == ["bob@example.org", "alice@example.org"] and
    (.request_nonce | test("^[0-9a-f]{32}$"))' status >/dev/null ||
    fail "status: $(cat status)"

# Unprotected: nothing needed; the status line still has the digest.
bk-get "$url" | bk-restore -k ring --files scratch --json >status ||
    fail "unprotected restore: exit $?"
cmp scratch/img/a.bin src/img/a.bin || fail "unprotected restore differs"
jq -e --arg s "$sha" '.sha256 == $s and (has("approvers") | not)' \
    status >/dev/null || fail "status: $(cat status)"
# A dry run writes nothing and needs nothing.
bk-get "$url" | bk-restore -k ring --files prod/uploads --dry-run \
    >list || fail "dry run: exit $?"
expect_grep 'img/a\.bin' list
# A container cut short is refused (exit 1), its cause named.
head -c 100000 f-1.bk >cut.bk
expect_exit 1 bk-restore -k ring --files cut <cut.bk 2>err
expect_grep 'authentication failed|cut short' err
echo ok
