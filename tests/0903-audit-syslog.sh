#!/bin/bash
# Each audit line's hash goes to syslog (bk(7) AUDIT): a tool sends
# "audit seq=N sha256=H ..." with facility authpriv, level info, its own
# name as ident, H being the SHA-256 of line N; bk-backup.sh does the same
# for its own line through logger(1).  Observed on a private /dev/log: in
# a private mount namespace (unshare -m) a tmpfs covers /dev there, so the
# host's /dev is never touched, and a datagram socket listens at /dev/log.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

unshare -m --propagation private true 2>/dev/null || skip "no private mount namespace (unshare -m) here"
bk-encrypt --genkey -k keyring >/dev/null
mkdir -p uploads nas
gen_bytes u 20000 >uploads/f
make_alert_recorder
backup_conf bk.conf "file://$T/nas"
cat >listen.py <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + ".ready", "w").close()
with open(sys.argv[2], "ab") as out:
    while True:
        m = s.recv(65536)
        if m == b"stop":
            break
        out.write(m.rstrip(b"\0\n") + b"\n")
        out.flush()
EOF
cat >inside.sh <<'EOF'
set -eu
mkdir -p olddev
mount --bind /dev olddev
mount -t tmpfs bk-test-dev /dev
for n in null zero random urandom; do
	touch "/dev/$n"
	mount --bind "olddev/$n" "/dev/$n"
done
ln -s /proc/self/fd /dev/fd
"$PY" listen.py /dev/log syslog.out &
n=0
while [ ! -e syslog.out.ready ] && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
echo data | BK_AUDIT_LOG=$T/audit.log bk-hash >/dev/null 2>&1
bash "$BACKUP" -c bk.conf files 2>backup.err
"$PY" -c 'import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"stop", "/dev/log")'
wait
EOF
T=$T PY=$PY BACKUP=$backup unshare -m --propagation private bash inside.sh || fail "inside the namespace: $(cat backup.err 2>/dev/null)"
[ -s syslog.out ] || fail "nothing reached /dev/log"

# hash N FILE: the SHA-256 of line N of FILE without its newline.
hash() { sed -n "$1p" "$2" | tr -d '\n' | sha256sum | cut -c 1-64; }
h=$(hash 1 audit.log)
expect_grep "^<86>.*bk-hash\\[[0-9]+\\]: audit seq=1 sha256=$h op=hash result=ok exit=0\$" syslog.out
log=state/audit.log
n=$(wc -l <$log)
[ "$n" -eq 7 ] || fail "$n lines in the backup's log"
# Every line of the run, the stages' and the script's own, is in syslog.
for i in $(seq "$n"); do
	grep -q "audit seq=$i sha256=$(hash "$i" $log) " syslog.out || fail "line $i not in syslog: $(cat syslog.out)"
done
expect_grep "^<86>.*bk-backup(\\[[0-9]+\\])?: audit seq=7 sha256=$(hash 7 $log) op=backup kind=files result=committed exit=0\$" syslog.out
