#!/bin/bash
# Extended attributes, as root: bk-restore --files restores only user.*
# by default; security.* (file capabilities), trusted.* and the rest only
# with --xattrs-all or a matching --xattrs-include.  The ones it leaves
# out are counted in one warning (and "xattrs_skipped" in --json).
# Attributes are set and read with Python's os.setxattr/os.getxattr
# (setfattr/getfattr are in Debian's attr package).
. "$BK_TOP/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "trusted.* and security.* need root"
mkdir src
echo tool >src/tool
mkdir src/dir
# cap_setuid+ep, as setcap would write it (VFS_CAP_REVISION_2).
"$PY" - <<'PYEOF' || skip "the file system takes no trusted.* or security.* attributes"
import os
os.setxattr("src/tool", "security.capability",
            bytes.fromhex("0100000280000000000000000000000000000000"))
os.setxattr("src/tool", "trusted.note", b"t")
os.setxattr("src/tool", "user.note", b"u")
os.setxattr("src/dir", "trusted.dir", b"d")
os.setxattr("src/dir", "user.dir", b"v")
PYEOF
bk-dump --files src --xattrs >x.tar
tar --xattrs --xattrs-include='*' -tvf x.tar >/dev/null

names() {
	"$PY" -c 'import os, sys
for p in sys.argv[1:]:
    print(p.split("/", 1)[1], " ".join(sorted(os.listxattr(p))))' "$1/tool" "$1/dir"
}
bk-restore --files def --json=st.json <x.tar 2>err || fail "default: $(cat err)"
names def >got
printf '%s\n' 'tool user.note' 'dir user.dir' >want
diff want got >/dev/null || fail "default restored: $(cat got)"
expect_grep '^bk-restore: def: 3 extended attributes outside user\.\* not restored' err
[ "$(grep -c 'extended attributes' err)" = 1 ] || fail "more than one warning: $(cat err)"
jq -e '.ok == true and .xattrs_skipped == 3' st.json >/dev/null || fail "json: $(cat st.json)"

bk-restore --files all --xattrs-all <x.tar 2>err || fail "--xattrs-all: $(cat err)"
names all >got
printf '%s\n' 'tool security.capability trusted.note user.note' 'dir trusted.dir user.dir' >want
diff want got >/dev/null || fail "--xattrs-all restored: $(cat got)"
[ ! -s err ] || fail "--xattrs-all warned: $(cat err)"

bk-restore --files some --xattrs-include 'trusted.*' --xattrs-include 'user.*' <x.tar 2>err ||
	fail "--xattrs-include: $(cat err)"
names some >got
printf '%s\n' 'tool trusted.note user.note' 'dir trusted.dir user.dir' >want
diff want got >/dev/null || fail "--xattrs-include restored: $(cat got)"
expect_grep '1 extended attributes outside' err

expect_exit 2 bk-restore --files x --xattrs-all --xattrs-include 'user.*' <x.tar 2>/dev/null
exit 0
