#!/bin/bash
# The file:// store: atomic (temporary name, fsync, rename), never
# overwrites unless told, and refuses what is not a file URL.
. "$BK_TOP/tests/lib.sh"

mkdir nas
gen_bytes f 1000000 >in
bk-put "file://$T/nas/a.bk" <in
cmp in nas/a.bk || fail "file store copy differs"
bk-get --uncommitted "file://$T/nas/a.bk" | cmp - in || fail "bk-get from a file store"
echo x | expect_exit 3 bk-put "file://$T/nas/a.bk" 2>err
expect_grep 'already exists' err
cmp in nas/a.bk || fail "a refused overwrite changed the file"
echo x | bk-put --overwrite "file://$T/nas/a.bk"
[ "$(cat nas/a.bk)" = x ] || fail "--overwrite"
echo x | expect_exit 3 bk-put "file://$T/missing/dir/a.bk" 2>err
echo x | expect_exit 2 bk-put "file://relative/a.bk" 2>err
echo x | expect_exit 2 bk-put "file://$T/nas/" 2>err
[ "$(find nas -name '*.tmp.*' | wc -l)" -eq 0 ] || fail "temporary files left"

# The directory holding the file is made one level deep, never more: an
# unmounted NAS (missing parent) is an error, not a write to local disk.
echo data >small
bk-put "file://$T/made/x" <small || fail "one missing level was not made"
cmp small made/x || fail "made/x differs"
expect_exit 3 bk-put "file://$T/not/mounted/x" <small 2>err
expect_grep 'parent directory does not exist \(is the store mounted\?\)' err
[ ! -e not ] || fail "created a directory tree for an unmounted store"
