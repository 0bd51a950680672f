# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables it sets are for the tests
# tests/lib.sh - sourced by every numbered test.  run.sh has put the tools
# under test first on PATH (wrapped in $EXEC when set), made the test's
# scratch directory $T its working directory.  A test starts the servers it
# needs (start_ferretdb, start_versitygw: private instances on free
# loopback ports, killed when the test exits).  A test exits 0 to pass, 77
# to skip (with the reason on stderr), anything else to fail.
set -euo pipefail

BK_TOP=${BK_TOP:?run tests through tests/run.sh}
BK_CACHE=${BK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bk}
T=${T:-$PWD}
# Debian's python3, which has pymongo and cryptography from make deps.
PY=/usr/bin/python3

# fd 9 keeps the test's stderr, so a message survives a 2>file redirection.
exec 9>&2
fail() { echo "FAIL: $*" >&9; exit 1; }
skip() { echo "SKIP: $*" >&9; exit 77; }
# Debian's AWS CLI v2 (make deps), whatever else is first on PATH.  It
# predates AWS_ENDPOINT_URL, so the endpoint is passed explicitly.
aws() { /usr/bin/aws ${AWS_ENDPOINT_URL:+--endpoint-url "$AWS_ENDPOINT_URL"} "$@"; }
note() { echo "# $*" >&2; }

# expect_exit CODE CMD...: run CMD, fail unless it exits with CODE.
expect_exit() {
	local want=$1 got=0
	shift
	"$@" || got=$?
	[ "$got" -eq "$want" ] || fail "'$*' exited $got, expected $want"
}

# expect_grep PATTERN FILE: FILE must contain PATTERN (extended regexp).
expect_grep() {
	grep -Eq -- "$1" "$2" || fail "$2 lacks /$1/: $(head -c 500 "$2")"
}

# free_port: a TCP port on 127.0.0.1 that is free now and that no other
# test will be given.  Tests run side by side (run.sh -j), and a server is
# told its port before it binds it, so ports are handed out in turn from
# one counter for the whole machine ($BK_CACHE/ports, under flock), below
# the kernel's ephemeral range: no two tests, and no client socket, are
# given the same port between the choice and the bind.
free_port() {
	"$PY" - "$BK_CACHE/ports" <<'PYEOF'
import fcntl, os, socket, sys
with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
    eph = int(f.read().split()[0])
hi = min(eph, 32768)
lo = max(hi - 12000, 1024)
os.makedirs(os.path.dirname(sys.argv[1]), exist_ok=True)
with open(sys.argv[1], "a+") as f:
    fcntl.flock(f, fcntl.LOCK_EX)
    f.seek(0)
    try:
        n = int(f.read().strip() or lo)
    except ValueError:
        n = lo
    for _ in range(hi - lo):
        if not lo <= n < hi:
            n = lo
        port, n = n, n + 1
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            s.close()
        f.seek(0)
        f.truncate()
        f.write("%d\n" % n)
        print(port)
        sys.exit(0)
sys.exit("free_port: no free port in %d-%d" % (lo, hi - 1))
PYEOF
}

# wait_port PORT [SECONDS]: wait until something accepts on 127.0.0.1:PORT.
wait_port() {
	local port=$1 n=$(( ${2:-30} * 10 ))
	while [ "$n" -gt 0 ]; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

BK_PIDS=""
cleanup_servers() {
	local p
	for p in $BK_PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $BK_PIDS; do
		wait "$p" 2>/dev/null || true
	done
	BK_PIDS=""
}
trap cleanup_servers EXIT

# spawn_server WHAT PORT SECONDS LOG CMD...: start CMD in the background
# (stdout and stderr to LOG), stopped at exit; wait up to SECONDS for it
# to listen on PORT.  Sets SPAWNED to its pid.
spawn_server() {
	local what=$1 port=$2 secs=$3 log=$4
	shift 4
	"$@" >"$log" 2>&1 &
	SPAWNED=$!
	BK_PIDS="$BK_PIDS $SPAWNED"
	wait_port "$port" "$secs" ||
	    fail "$what did not start: $(tail -n 5 "$log")"
}

# start_ferretdb DIR: a private FerretDB (SQLite in DIR); sets FERRETDB_URI,
# FERRETDB_PID, FERRETDB_PORT.
start_ferretdb() {
	local dir=$1 bin=$BK_CACHE/ferretdb-v1.24.2/bin/bk-test-ferretdb
	[ -x "$bin" ] || fail "FerretDB not built: run make deps"
	mkdir -p "$dir"
	FERRETDB_PORT=$(free_port)
	spawn_server FerretDB "$FERRETDB_PORT" 60 "$dir/ferretdb.log" \
	    "$bin" -listen "127.0.0.1:$FERRETDB_PORT" -dir "$dir/data"
	FERRETDB_PID=$SPAWNED
	FERRETDB_URI="mongodb://127.0.0.1:$FERRETDB_PORT/"
}

# start_versitygw DIR [tls]: a private versitygw (posix backend with
# --sidecar) with fresh root keys; sets S3_ENDPOINT, S3_ACCESS_KEY,
# S3_SECRET_KEY, VGW_PID, VGW_PORT.  With "tls", a self-signed certificate
# for 127.0.0.1 is made in DIR/cert.pem and https is served.
start_versitygw() {
	local dir=$1 tls=${2:-} bin=$BK_CACHE/versitygw-v1.7.0/bin/versitygw
	local scheme=http
	local -a tlsargs=()
	[ -x "$bin" ] || fail "versitygw not built: run make deps"
	mkdir -p "$dir/data" "$dir/meta"
	VGW_PORT=$(free_port)
	S3_ACCESS_KEY=bk$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	S3_SECRET_KEY=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
	if [ "$tls" = tls ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 1 \
		    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
		    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
		tlsargs=(--cert "$dir/cert.pem" --key "$dir/key.pem")
		scheme=https
	fi
	ROOT_ACCESS_KEY=$S3_ACCESS_KEY ROOT_SECRET_KEY=$S3_SECRET_KEY \
	    spawn_server versitygw "$VGW_PORT" 30 "$dir/versitygw.log" \
	    "$bin" --port "127.0.0.1:$VGW_PORT" --quiet "${tlsargs[@]}" \
	    posix --sidecar "$dir/meta" "$dir/data"
	VGW_PID=$SPAWNED
	S3_ENDPOINT="$scheme://127.0.0.1:$VGW_PORT"
}

# stop_versitygw: kill the server start_versitygw started, at once.
stop_versitygw() {
	kill -9 "$VGW_PID" 2>/dev/null || true
	wait "$VGW_PID" 2>/dev/null || true
}

# rerun_versitygw DIR: after stop_versitygw, start the server of DIR again
# on the same port with the same keys and data (plain http).
rerun_versitygw() {
	local dir=$1 bin=$BK_CACHE/versitygw-v1.7.0/bin/versitygw
	ROOT_ACCESS_KEY=$S3_ACCESS_KEY ROOT_SECRET_KEY=$S3_SECRET_KEY \
	    "$bin" --port "127.0.0.1:$VGW_PORT" --quiet \
	    posix --sidecar "$dir/meta" "$dir/data" >>"$dir/versitygw.log" 2>&1 &
	VGW_PID=$!
	BK_PIDS="$BK_PIDS $VGW_PID"
	wait_port "$VGW_PORT" 30 || fail "versitygw did not come back"
}

# start_kms DIR: a private local-kms (data in DIR/data), used: awscli (kms
# commands; use kms_aws) and bk-encrypt talk to it through
# AWS_ENDPOINT_URL_KMS with throwaway credentials (local-kms checks none).
# Sets KMS_ENDPOINT, KMS_PORT, KMS_PID.
start_kms() {
	local dir=$1
	local bin=$BK_CACHE/local-kms-v0.0.0-20260228092603-2a5e92d09ab6/bin/local-kms
	[ -x "$bin" ] || fail "local-kms not built: run make deps"
	mkdir -p "$dir/data"
	KMS_PORT=$(free_port)
	PORT=$KMS_PORT KMS_DATA_PATH=$dir/data KMS_REGION=eu-west-2 \
	    KMS_ACCOUNT_ID=111122223333 \
	    spawn_server local-kms "$KMS_PORT" 30 "$dir/local-kms.log" "$bin"
	KMS_PID=$SPAWNED
	KMS_ENDPOINT=http://127.0.0.1:$KMS_PORT
	export AWS_ENDPOINT_URL_KMS=$KMS_ENDPOINT
	export AWS_ACCESS_KEY_ID=bkkmstest AWS_SECRET_ACCESS_KEY=bkkmstest
	export AWS_REGION=eu-west-2 AWS_DEFAULT_REGION=eu-west-2
	unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL
}

# kms_aws ARGS...: awscli's kms commands against the local-kms.
kms_aws() { /usr/bin/aws --endpoint-url "$KMS_ENDPOINT" kms "$@"; }

# use_s3 ENDPOINT ACCESS SECRET: point awscli and bk at that server.
use_s3() {
	export AWS_ENDPOINT_URL=$1 AWS_ACCESS_KEY_ID=$2 AWS_SECRET_ACCESS_KEY=$3
	export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
	unset AWS_PROFILE AWS_SESSION_TOKEN
}

# s3_buckets BUCKET...: a private versitygw in $T/s3, used (use_s3), with
# these buckets made.
s3_buckets() {
	local b
	start_versitygw "$T/s3"
	use_s3 "$S3_ENDPOINT" "$S3_ACCESS_KEY" "$S3_SECRET_KEY"
	for b in "$@"; do
		aws s3api create-bucket --bucket "$b" >/dev/null ||
		    fail "cannot create bucket $b"
	done
}

# The official mongodump/mongorestore, or skip with the recorded reason.
need_mongo_tools() {
	local d
	for d in "$BK_CACHE"/mongo-tools-*; do
		if [ -x "$d/bin/mongodump" ] && [ -x "$d/bin/mongorestore" ]; then
			MONGODUMP=$d/bin/mongodump
			MONGORESTORE=$d/bin/mongorestore
			return 0
		fi
		if [ -f "$d/UNAVAILABLE" ]; then
			skip "official mongo-tools unavailable here: $(head -n 2 "$d/UNAVAILABLE" | tr '\n' ' ' | cut -c1-200)"
		fi
	done
	skip "official mongo-tools not built (make deps)"
}

# held N GATE: copy the first N bytes of stdin to stdout, create
# GATE.started, wait for GATE.go (bounded: a failed test leaves nothing
# running), then copy the rest.  A consumer fed through it is certain to
# be in the middle of its input until the test says go.
held() {
	"$PY" -c '
import os, sys, time
n, gate = int(sys.argv[1]), sys.argv[2]
i, o = sys.stdin.buffer, sys.stdout.buffer
left = n
try:
    while left:
        b = i.read(min(left, 1 << 16))
        if not b: break
        o.write(b); left -= len(b)
    o.flush()
    open(gate + ".started", "w").close()
    for _ in range(6000):
        if os.path.exists(gate + ".go"): break
        time.sleep(0.05)
    while True:
        b = i.read(1 << 16)
        if not b: break
        o.write(b)
    o.flush()
except BrokenPipeError:  # the reader stopped: its exit status says why
    pass' "$@" 2>/dev/null
}

# wait_file FILE: until FILE exists (bounded, 30 s).
wait_file() {
	local _
	for _ in $(seq 600); do [ -e "$1" ] && return 0; sleep 0.05; done
	fail "$1 never appeared"
}

# wait_grep REGEXP FILE WHY [PID]: wait (up to 5 min) until FILE has a
# line matching REGEXP; fail with WHY if it never does, or at once if PID
# is given and has ended.
wait_grep() {
	local n=0
	until grep -Eq -- "$1" "$2" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -lt 3000 ] || fail "$3"
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			fail "$3 (it ended)"
		fi
		sleep 0.1
	done
}

# Deterministic pseudo-random bytes: gen_bytes SEED COUNT.
gen_bytes() {
	# openssl dies of SIGPIPE when head has enough; that is not an error.
	{ openssl enc -aes-128-ctr -nosalt -pass "pass:$1" -pbkdf2 \
	    -in /dev/zero 2>/dev/null || true; } | head -c "$2"
}

# peak_rss FILE CMD...: run CMD (its stdin and stdout as given) and write
# its peak resident memory in KiB to FILE.  Under the ASan build the
# allocator's quarantine (freed memory held back to catch use after free,
# up to 256 MiB) is switched off for this one command, so the figure is
# the program's own memory and not the sanitizer's.
peak_rss() {
	local out=$1
	shift
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0" \
	    /usr/bin/time -f %M -o "$out" "$@"
}

# expect_flat WHAT SMALL_KIB LARGE_KIB SMALL_BYTES LARGE_BYTES: memory
# must not grow with the input.  No absolute figure (those depend on the
# build, sanitizers and the machine): the larger run may use at most 1/64
# of the extra input more than the smaller one, and 8 MiB of allocator
# noise.  A tool that buffered its input would fail by far.
expect_flat() {
	local what=$1 small=$2 large=$3 sbytes=$4 lbytes=$5 allow
	allow=$(( (lbytes - sbytes) / 1024 / 64 + 8192 ))
	note "$what: peak RSS ${small} KiB for $((sbytes >> 10)) KiB," \
	    "${large} KiB for $((lbytes >> 10)) KiB (growth allowed ${allow} KiB)"
	[ $((large - small)) -le "$allow" ] ||
	    fail "$what: memory grew from ${small} to ${large} KiB when the input grew from $((sbytes >> 10)) to $((lbytes >> 10)) KiB"
}

# make_alert_recorder: ./alert, an alert command for bk-backup.sh that
# appends "SUBJECT: $1" and the message to $T/alerts (set BK_ALERT_CMD to
# "env T=$T $T/alert").
make_alert_recorder() {
	cat >"$T/alert" <<'EOA'
#!/bin/sh
{ echo "SUBJECT: $1"; cat; } >>"$T/alerts"
EOA
	chmod +x "$T/alert"
}

# backup_conf FILE DESTS [LINE...]: a bk-backup.sh configuration, mode
# 0600: $T/uploads, $T/keyring, the destinations DESTS, state in $T/state,
# alerts to make_alert_recorder's ./alert; then each LINE (a later
# assignment wins, e.g. BK_ALERT_CMD=...).
backup_conf() {
	local f=$1 dests=$2
	shift 2
	{
		echo "BK_UPLOADS_DIR=$T/uploads"
		echo "BK_KEYRING=$T/keyring"
		echo "BK_DESTS=\"$dests\""
		echo "BK_STATE_DIR=$T/state"
		echo "BK_ALERT_CMD=\"env T=$T $T/alert\""
		printf '%s\n' "$@"
	} >"$f"
	chmod 600 "$f"
}

# audit_check LOG [DIGEST...]: bk-verify --audit LOG --audit-digest DIGEST...
# (its own audit line goes nowhere: BK_AUDIT_LOG unset for it).
audit_check() {
	local log=$1 d
	local -a dargs=()
	shift
	for d in "$@"; do dargs+=(--audit-digest "$d"); done
	env -u BK_AUDIT_LOG bk-verify --audit "$log" "${dargs[@]}"
}

# approvers NAME...: etc/ (mode 700) with etc/signers listing an Ed25519
# key NAME@example.org for each NAME (private key ./NAME), for a restore
# policy in etc/ (bk-restore(1), APPROVALS).
approvers() {
	local k
	mkdir -m 700 etc
	for k in "$@"; do
		ssh-keygen -q -t ed25519 -N '' -C "$k" -f "$k"
		echo "$k@example.org $(cut -d' ' -f1,2 "$k.pub")"
	done >etc/signers
}

# approved_request REQ SHA256 TARGET [BACKUP]: a restore request REQ for
# the backup (named BACKUP, default REQ's name) with that digest into
# TARGET, expiring in an hour, and the signatures REQ.alice and REQ.bob
# made with ssh-keygen -Y sign by approvers' keys alice and bob.
approved_request() {
	local req=$1 sha=$2 target=$3 k
	bk-approve --request --backup "${4:-${req##*/}}" --sha256 "$sha" \
	    --target "$target" --expires +1h >"$req" || fail "request $req"
	for k in alice bob; do
		ssh-keygen -q -Y sign -n bk-restore -f "$k" "$req" ||
		    fail "sign $req: $k"
		mv "$req.sig" "$req.$k"
	done
}
