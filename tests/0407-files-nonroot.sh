#!/bin/bash
# bk-restore --files as an ordinary user (nobody), against GNU tar -xp as
# the same user:
# - a directory listed after its contents with mode 000, or any mode
#   without owner write or search, does not stop the extraction: every
#   directory stays open to us until the end and gets its mode last;
# - sticky and set-group-ID bits on directories are kept; set-user-ID is
#   dropped (the files are ours, not the stored owner's);
# - --delete removes a directory of ours that shuts us out.
. "$BK_TOP/tests/lib.sh"

command -v setpriv >/dev/null || skip "setpriv missing"
[ "$(id -u)" = 0 ] || skip "needs root to become nobody"
# A directory nobody can enter (the runner's is 0700).
nb=$(mktemp -d /tmp/bk-nonroot.XXXXXX)
chmod 755 "$nb"
chown nobody:nogroup "$nb"
trap 'chmod -R u+rwx "$nb" 2>/dev/null; rm -rf "$nb"; cleanup_servers' EXIT
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
snap() {
	(cd "$1" && find . -mindepth 1 -printf '%y %m %s %T@ %l %P\n' | LC_ALL=C sort)
}

"$PY" - "$nb" <<'PYEOF'
import io, os, sys, tarfile
os.chdir(sys.argv[1])
def add(t, name, mode, data=None, kind=None):
    ti = tarfile.TarInfo(name)
    ti.type = kind or (tarfile.REGTYPE if data is not None else tarfile.DIRTYPE)
    ti.mode = mode
    ti.mtime = 1700000000
    ti.size = len(data) if data is not None else 0
    t.addfile(ti, io.BytesIO(data) if data is not None else None)
# Directories listed after their contents, shut to their owner.
with tarfile.open("late.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "d/sub/", 0o755)
    add(t, "d/sub/f", 0o644, b"f\n")
    add(t, "d/", 0o000)
    add(t, "r/x/y/", 0o500)
    add(t, "r/x/y/g", 0o444, b"g\n")
    add(t, "r/x/", 0o300)
    add(t, "r/", 0o100)
    add(t, "w/", 0o000)
    add(t, "w/h", 0o600, b"h\n")
# Special bits.
with tarfile.open("bits.tar", "w", format=tarfile.PAX_FORMAT) as t:
    add(t, "sticky/", 0o1777)
    add(t, "sgid/", 0o2775)
    add(t, "both/", 0o3755)
    add(t, "suid-dir/", 0o4755)
    add(t, "suid", 0o4755, b"#!/bin/sh\n")
    add(t, "sticky-file", 0o1644, b"s\n")
PYEOF
chmod 644 "$nb"/*.tar

for t in late bits; do
	as_nobody tar -C "$nb" -xpf "$nb/$t.tar" --one-top-level="gnu-$t" 2>err ||
		fail "GNU tar as nobody, $t.tar: $(cat err)"
	as_nobody bk-restore --files "$nb/bk-$t" <"$nb/$t.tar" 2>err ||
		fail "bk-restore as nobody, $t.tar: $(cat err)"
done
# Read what nobody made (root can).
snap "$nb/gnu-late" >g; snap "$nb/bk-late" >b
diff g b >/dev/null || fail "late modes: bk-restore differs from GNU tar: $(diff g b)"
[ "$(stat -c %a "$nb/bk-late/d")" = 0 ] || fail "d: mode $(stat -c %a "$nb/bk-late/d")"
[ "$(cat "$nb/bk-late/r/x/y/g")" = g ] || fail "r/x/y/g not extracted"
# GNU tar -p keeps set-user-ID; we drop it and keep the rest.
snap "$nb/gnu-bits" | sed 's/^\([df]\) 4\([0-7][0-7][0-7]\) /\1 \2 /; s/^\([df]\) 6\([0-7][0-7][0-7]\) /\1 2\2 /' >g
snap "$nb/bk-bits" >b
diff g b >/dev/null || fail "special bits: bk-restore differs from GNU tar -p less setuid: $(diff g b)"
[ "$(stat -c %a "$nb/bk-bits/sticky")" = 1777 ] || fail "sticky bit dropped"
[ "$(stat -c %a "$nb/bk-bits/sgid")" = 2775 ] || fail "set-group-ID dropped from a directory"
[ "$(stat -c %a "$nb/bk-bits/suid")" = 755 ] || fail "set-user-ID kept as non-root"

# A restore on top of an existing tree with a directory shut to us.
as_nobody bk-restore --files "$nb/again" <"$nb/late.tar" 2>err || fail "first: $(cat err)"
as_nobody bk-restore --files "$nb/again" --overwrite <"$nb/late.tar" 2>err ||
	fail "again over a tree with mode-000 directories: $(cat err)"
snap "$nb/again" >a
snap "$nb/gnu-late" >g
diff g a >/dev/null || fail "second restore differs: $(diff g a)"
# --delete, not root: a directory to delete that shuts us out (0500,
# with a file in it) is opened to us and removed.
mkdir -p src/keep src/gone
echo k >src/keep/k && echo g >src/gone/g
chmod 500 src/gone
bk-dump --files src >"$nb/full.tar"
sleep 1.1
since=$(date -u +@%s.%N)
sleep 1.1
chmod 700 src/gone && rm -r src/gone
bk-dump --files src --since "$since" >"$nb/inc.tar"
chmod 644 "$nb/full.tar" "$nb/inc.tar"
as_nobody bk-restore --files "$nb/del" <"$nb/full.tar" 2>err || fail "full: $(cat err)"
[ "$(stat -c %a "$nb/del/gone")" = 500 ] || fail "gone: mode $(stat -c %a "$nb/del/gone")"
as_nobody bk-restore --files "$nb/del" --overwrite --delete <"$nb/inc.tar" 2>err ||
	fail "--delete of a 0500 directory as nobody: $(cat err)"
[ ! -e "$nb/del/gone" ] || fail "gone was not deleted"
[ -f "$nb/del/keep/k" ] || fail "keep/k lost"
exit 0
