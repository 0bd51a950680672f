#!/bin/bash
# bk-approve: a request is the document bk-approve(1) defines; approvers
# sign it with ssh-keygen -Y sign (ed25519, ecdsa and rsa keys, or
# through bk-approve --sign), and --verify checks it against the restore
# policy, which is refused when group or others could rewrite it.
. "$BK_TOP/tests/lib.sh"

mkdir -m 700 etc
for k in alice bob; do ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$k"; done
ssh-keygen -q -t ecdsa -b 256 -N '' -f carol
ssh-keygen -q -t rsa -b 3072 -N '' -f dave
for k in alice bob carol dave; do
	echo "$k@example.org namespaces=\"bk-restore\" $(cut -d' ' -f1,2 "$k.pub")"
done >etc/signers
printf '%s\n' '# production' 'protect /srv/uploads' 'require 2' \
    'allowed-signers signers' >etc/policy
export BK_RESTORE_POLICY=$T/etc/policy
sum=$(printf 'backup bytes' | sha256sum | cut -c1-64)

bk-approve --request --backup prod/db/db-1.bk --sha256 "$sum" \
    --target /srv/uploads --expires +2h >req || fail "request: exit $?"
expect_grep '^bk-restore-request 1$' req
expect_grep '^backup prod/db/db-1\.bk$' req
expect_grep "^sha256 $sum\$" req
expect_grep '^target /srv/uploads$' req
expect_grep '^expires [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' req
expect_grep '^nonce [0-9a-f]{32}$' req
expect_grep '^requester .+@.+$' req
expect_grep '^created [0-9-]{10}T[0-9:]{8}Z$' req
[ "$(wc -l <req)" -eq 8 ] || fail "request: $(cat req)"
# Two requests for the same restore differ (the nonce).
bk-approve --request --backup prod/db/db-1.bk --sha256 "$sum" \
    --target /srv/uploads --expires 2099-01-01T00:00:00Z >req2
cmp -s req req2 && fail "two requests are the same"
expect_grep '^expires 2099-01-01T00:00:00Z$' req2

# Usage: a past expiry, a bad digest, a relative directory target.
expect_exit 2 bk-approve --request --backup b --sha256 "$sum" \
    --target /srv/uploads --expires 2001-01-01T00:00:00Z 2>err
expect_grep 'expires' err
expect_exit 2 bk-approve --request --backup b --sha256 abc \
    --target /srv/uploads --expires +1h 2>/dev/null
expect_exit 2 bk-approve --request --backup b --sha256 "$sum" \
    --target srv/uploads --expires +1h 2>/dev/null
expect_exit 2 bk-approve --backup b 2>/dev/null
expect_exit 2 bk-approve --request --verify 2>/dev/null
# bk-restore: an approval without its request is a usage error.
expect_exit 2 bk-restore --files x --approval a.sig </dev/null 2>err
expect_grep '^bk-restore: --approval needs --request$' err
expect_exit 2 bk-restore --approval a.sig </dev/null 2>/dev/null

# Each key type signs with ssh-keygen; bk-approve --sign wraps it.
for k in alice carol dave; do
	ssh-keygen -q -Y sign -f "$k" -n bk-restore req || fail "sign $k"
	mv req.sig "$k.sig"
done
bk-approve --sign -f bob req || fail "bk-approve --sign: exit $?"
mv req.sig bob.sig
ssh-keygen -Y verify -f etc/signers -I bob@example.org -n bk-restore \
    -s bob.sig <req >/dev/null 2>&1 || fail "ssh-keygen rejects bob.sig"

bk-approve --verify req alice.sig bob.sig >out || fail "verify ed25519"
expect_grep '^approved: prod/db/db-1\.bk for /srv/uploads by alice@example\.org bob@example\.org$' out
bk-approve --verify req carol.sig dave.sig >out || fail "verify ecdsa+rsa"
expect_grep 'by carol@example\.org dave@example\.org$' out
expect_exit 1 bk-approve --verify req alice.sig 2>err
expect_grep 'requires 2; refused' err
expect_exit 1 bk-approve --verify req alice.sig alice.sig 2>err
expect_grep 'distinct signers' err
# The request edited after signing: every signature is bad.
sed 's/db-1/db-2/' req >req.edited
expect_exit 1 bk-approve --verify req.edited alice.sig bob.sig 2>err
expect_grep 'alice\.sig: bad signature \(ssh-ed25519\); refused' err

# A policy, or its directory, that group or others can write is refused.
chmod 620 etc/policy
expect_exit 3 bk-approve --verify req alice.sig bob.sig 2>err
expect_grep 'writable by group or others \(mode 0620\); refused' err
chmod 600 etc/policy
chmod 770 etc
expect_exit 3 bk-approve --verify req alice.sig bob.sig 2>err
expect_grep 'its directory .* is writable by group or others' err
chmod 700 etc
# A policy that does not parse names the line.
printf 'protect /x\nrequire many\nallowed-signers signers\n' >etc/policy
expect_exit 3 bk-approve --verify req alice.sig bob.sig 2>err
expect_grep 'policy:2: require many: expected 1 to 16' err
echo ok
