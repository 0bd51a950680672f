#!/bin/bash
# No secret on any command line or in any log.  Full runs of
# scripts/bk-backup.sh (db from FerretDB, files) to a versitygw bucket and a
# directory, successful, degraded (a store not mounted), failing at the
# store (a wrong S3 secret) and failing at the database (a server that is
# not there), with: the keyring's key, the S3 secret in an AWS credentials
# file (never in the environment), and a database password in the URI file
# (FerretDB with the SQLite backend takes any user and password over PLAIN,
# so the password really travels and is accepted).  While the runs go, a
# sampler reads /proc/*/cmdline of every process, and /proc/*/environ of
# the bk processes; afterwards stderr, the audit log, the metrics, the
# alerts, the state directory, the tools' --json status lines and the
# store's manifests and sidecars are
# searched for each secret: the key in hex and in base64, both S3 secrets,
# the password.  The sampler can only miss a process, never see one that
# was not there, so it cannot make the test fail by chance.
#
# The environment is a channel only where bk(7) says so: MONGODB_URI for
# bk-dump (and bk-restore); AWS_SECRET_ACCESS_KEY is documented too but
# this test keeps the secret in the credentials file, so no process may
# hold it.  The key is never in any environment.  The alert command (a
# webhook script, not a bk tool) must not be handed the password.
. "$BK_TOP/tests/lib.sh"
backup=$BK_TOP/scripts/bk-backup.sh

start_ferretdb "$T/fdb"
start_versitygw "$T/s3"
AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
    AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_REGION=us-east-1 \
    aws s3api create-bucket --bucket bk-leak >/dev/null
# bk and awscli read the credentials from the files only.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export AWS_ENDPOINT_URL=$S3_ENDPOINT AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
mkdir -m 700 aws
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >aws/credentials
WRONG_SECRET=wrong$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$S3_ACCESS_KEY" "$WRONG_SECRET" >aws/credentials-wrong
printf '[default]\nregion = us-east-1\n' >aws/config
chmod 600 aws/*
export AWS_SHARED_CREDENTIALS_FILE=$T/aws/credentials AWS_CONFIG_FILE=$T/aws/config

PW=Pw$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
URI="mongodb://backup:$PW@127.0.0.1:$FERRETDB_PORT/shop?authMechanism=PLAIN&serverSelectionTimeoutMS=3000"
umask 077
printf '%s\n' "$URI" >uri
# A server that is not there: the failure message names the URI.
printf 'mongodb://backup:%s@127.0.0.1:%s/shop?authMechanism=PLAIN&serverSelectionTimeoutMS=1000\n' \
    "$PW" "$(free_port)" >uri-down
umask 022
# The URI goes by the environment: on a command line ps would show it.
SEED_URI=$URI "$PY" - <<'PYEOF'
import os
from pymongo import MongoClient
c = MongoClient(os.environ["SEED_URI"]).shop
c.orders.insert_many([{"n": i, "s": "x" * 100} for i in range(500)])
PYEOF
mkdir uploads nas
gen_bytes up 300000 >uploads/a
echo small >uploads/b

bk-encrypt --genkey -k keyring >/dev/null
# The secrets, one per line, in a private file: nothing here puts one on
# a command line (grep -f, the sampler reads the file).
KEYHEX=$(awk '$1 == "key" { print $5 }' keyring)
[ "${#KEYHEX}" -eq 64 ] || fail "cannot read the key from the keyring"
KEYB64=$(printf '%s' "$KEYHEX" | xxd -r -p | base64 -w0)
umask 077
printf '%s\n' "$KEYHEX" "$(printf '%s' "$KEYHEX" | tr a-f A-F)" "$KEYB64" \
    "$S3_SECRET_KEY" "$WRONG_SECRET" "$PW" >secrets
printf '%s\n' key-hex key-HEX key-base64 s3-secret s3-wrong-secret db-password >labels
umask 022

make_alert_recorder
# The alert command records whether its environment holds a secret.
cat >alert-env <<'EOA'
#!/bin/sh
if tr '\0' '\n' </proc/$$/environ | grep -qF -f "$T/secrets"; then
	echo leak >>"$T/alert-env.leaks"
fi
exec "$T/alert" "$@"
EOA
chmod +x alert-env

# The sampler: every process's cmdline, the environ of the bk processes.
cat >sampler.py <<'EOP'
import os, sys
secrets = open(sys.argv[1]).read().split("\n")[:6]
labels = open(sys.argv[2]).read().split()
stop, out = sys.argv[3], open(sys.argv[4], "a")
me, samples, seen = os.getpid(), 0, set()
tools = {"bk-dump", "bk-encrypt", "bk-hash", "bk-put", "bk-get", "bk-restore"}
def read(pid, what):
    try:
        with open("/proc/%s/%s" % (pid, what), "rb") as f:
            return f.read()
    except OSError:
        return b""
while not os.path.exists(stop):
    samples += 1
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        cmd = read(pid, "cmdline")
        comm = read(pid, "comm").strip().decode(errors="replace")
        for s, l in zip(secrets, labels):
            if s and s.encode() in cmd:
                out.write("cmdline %s %s: %s\n" % (pid, comm, l))
        argv = cmd.split(b"\0")
        bk = comm in tools or any(a.endswith(b"bk-backup.sh") for a in argv[:3])
        if bk:
            env = read(pid, "environ")
            # A process may exec between the reads (bk-backup.sh's
            # subshell becomes bk-dump with MONGODB_URI): the environ
            # read is the new program's.  cmdline and environ come from
            # the same memory, so an unchanged cmdline read after the
            # environ proves the environ is the process's named above;
            # else it is skipped here and sampled again next round.
            if read(pid, "cmdline") != cmd:
                continue
            seen.add(comm)
            for s, l in zip(secrets, labels):
                if s and s.encode() in env:
                    out.write("environ %s %s: %s\n" % (pid, comm, l))
    out.flush()
out.write("samples %d seen %s\n" % (samples, " ".join(sorted(seen))))
EOP
"$PY" sampler.py secrets labels "$T/stop" "$T/sampled" &
sampler=$!
BK_PIDS="$BK_PIDS $sampler"

conf() {	# conf NAME URIFILE DESTS
	backup_conf "$1" "$3" "BK_MONGODB_URI_FILE=$T/$2" \
	    "BK_ALERT_CMD=\"env T=$T $T/alert-env\""
}
conf ok.conf uri "s3://bk-leak/prod file://$T/nas"
conf degraded.conf uri "s3://bk-leak/prod file://$T/nas file://$T/unmounted"
conf down.conf uri-down "s3://bk-leak/prod file://$T/nas"

bash "$backup" -c ok.conf db 2>run-db.err || fail "db backup: $(cat run-db.err)"
bash "$backup" -c ok.conf files 2>run-files.err || fail "files backup: $(cat run-files.err)"
expect_exit 4 bash "$backup" -c degraded.conf db 2>run-degraded.err
AWS_SHARED_CREDENTIALS_FILE=$T/aws/credentials-wrong \
    expect_exit 4 bash "$backup" -c ok.conf files 2>run-wrongsecret.err
expect_grep 'SignatureDoesNotMatch|403' run-wrongsecret.err
expect_exit 75 bash "$backup" -c down.conf db 2>run-down.err
expect_grep 'backup:\*\*\*@' run-down.err
# The restore side reads the same secrets.
name=$(bk-get --list --kind db s3://bk-leak/prod/db/ | head -n 1 | cut -f 1)
bk-get "$name" 2>get.err | bk-encrypt -d -k keyring 2>dec.err |
    MONGODB_URI=$URI bk-restore --dry-run >/dev/null 2>restore.err ||
    fail "restore check: $(cat get.err dec.err restore.err)"
# The tools' JSON status lines (bk-backup.sh keeps them in its temporary
# directory, removed at the end): the same paths, run directly, each
# appending its audit line (bk(7) AUDIT), failures included.
mkdir json
export BK_AUDIT_LOG=$T/state/direct-audit.log
MONGODB_URI=$(cat uri) bk-dump --json=json/dump.json 2>json/dump.err |
    bk-encrypt -k keyring --json=json/enc.json 2>json/enc.err |
    bk-put --json=json/put.json s3://bk-leak/direct/d.bk 2>json/put.err ||
    fail "direct pipeline: $(cat json/*.err)"
rc=0
MONGODB_URI=$(cat uri-down) bk-dump --json=json/dump-down.json >/dev/null 2>json/dump-down.err || rc=$?
[ "$rc" -eq 75 ] || fail "bk-dump to a server that is not there exited $rc"
rc=0
AWS_SHARED_CREDENTIALS_FILE=$T/aws/credentials-wrong \
    bk-put --json=json/put-wrong.json s3://bk-leak/direct/e.bk <uri >/dev/null 2>json/put-wrong.err || rc=$?
[ "$rc" -eq 3 ] || fail "bk-put with a wrong secret exited $rc: $(cat json/put-wrong.err)"
rc=0
AWS_SHARED_CREDENTIALS_FILE=$T/aws/credentials-wrong \
    bk-get --json=json/get-wrong.json "$name" >/dev/null 2>json/get-wrong.err || rc=$?
[ "$rc" -eq 3 ] || fail "bk-get with a wrong secret exited $rc: $(cat json/get-wrong.err)"
bk-get "$name" | bk-encrypt -d -k keyring --json=json/dec.json 2>json/dec.err |
    MONGODB_URI=$URI bk-restore --dry-run --json=json/restore.json >/dev/null 2>json/restore.err ||
    fail "restore check with --json: $(cat json/*.err)"
unset BK_AUDIT_LOG
[ "$(grep -c '"tool" : "bk-' state/direct-audit.log)" -ge 9 ] ||
    fail "the direct runs' audit lines: $(cat state/direct-audit.log)"
touch stop
wait "$sampler" || fail "the sampler failed"

note "sampler: $(grep '^samples' sampled)"
[ -s alerts ] || fail "no alert was raised; the alert path went untested"
# Files: nothing anywhere holds a secret.
logs=(run-*.err get.err dec.err restore.err alerts json/*)
while IFS= read -r f; do logs+=("$f"); done < <(find state nas -type f ! -name '*.bk')
if grep -lF -f secrets "${logs[@]}" >leaks 2>/dev/null; then
	fail "a secret is in: $(tr '\n' ' ' <leaks)"
fi
# Command lines: never.  Environments: the key and the S3 secret never; the
# password only in bk-dump (MONGODB_URI, bk(7)).
if grep '^cmdline' sampled; then fail "a secret on a command line (above)"; fi
if grep -E '^environ .*: (key-|s3-)' sampled; then fail "a key or S3 secret in an environment (above)"; fi
# The password goes to bk-dump alone: never to another stage or the alert
# command (bk-backup(8); bk-backup.sh exported it to all of them once).
if [ -e alert-env.leaks ]; then
	fail "the alert command (BK_ALERT_CMD) was handed the database password in its environment"
fi
others=$(grep -E '^environ [0-9]+ [^ ]+: db-password' sampled | awk '$3 != "bk-dump:" && $3 != "bk-restore:" { print $3 }' |
    sort -u | tr '\n' ' ')
[ -z "$others" ] ||
    fail "the database password is in the environment of $others(bk(7) documents MONGODB_URI for bk-dump and bk-restore only)"
exit 0
