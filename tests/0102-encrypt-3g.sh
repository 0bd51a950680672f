#!/bin/bash
# bk-encrypt: 3 GiB streamed through encrypt and decrypt in one pipeline
# (nothing stored), byte exact, with flat memory.
. "$BK_TOP/tests/lib.sh"
[ -z "${EXEC:-}" ] || skip "3 GiB under $EXEC is too slow; 0100 and the unit tests cover the same code"
bk-encrypt --genkey -k kr >/dev/null
n=$((3 << 30))
want=$(gen_bytes big "$n" | sha256sum)
got=$(gen_bytes big "$n" | bk-encrypt -k kr |
    peak_rss rss bk-encrypt -d -k kr | sha256sum)
[ "$got" = "$want" ] || fail "3 GiB round trip: $got, want $want"
# One 1 MiB segment buffer whatever the size: decrypting 3 GiB takes no
# more memory than decrypting 32 MiB.
small=$((32 << 20))
gen_bytes big "$small" | bk-encrypt -k kr |
    peak_rss rss-small bk-encrypt -d -k kr >/dev/null
expect_flat "bk-encrypt -d" "$(cat rss-small)" "$(cat rss)" "$small" "$n"
exit 0
