#!/bin/bash
# bk-encrypt and KMS saying no: a disabled key stops both directions (exit
# 3, nothing written) until it is enabled again; a key pending deletion and
# an unknown key name the key and exit 3; so do no credentials, a bad
# endpoint and a 403;
# 5xx answers are retried, and a KMS that stays down or unreachable is exit
# 75 (retry later), with nothing written as if complete.
. "$BK_TOP/tests/lib.sh"
. "$BK_TOP/tests/faultproxy.sh"

start_kms "$T/kms"
unset BK_KEYRING
key=$(kms_aws create-key --query KeyMetadata.KeyId --output text)
gen_bytes refuse 1500000 >in
bk-encrypt --kms-key-id "$key" <in >c

# nothing FILE: the refused run wrote no byte.
nothing() { [ ! -s "$1" ] || fail "a refused run wrote $(wc -c <"$1") bytes"; }

# --- A disabled key --------------------------------------------------------
kms_aws disable-key --key-id "$key"
expect_exit 3 bk-encrypt -d <c >out 2>err
expect_grep "KMS Decrypt with key arn:aws:kms:[^ ]*$key at .*DisabledException.*the key is disabled" err
nothing out
expect_exit 3 bk-encrypt --kms-key-id "$key" <in >out 2>err
expect_grep "KMS GenerateDataKey with key $key at .*DisabledException" err
nothing out
# Only KMS said no: the container is intact and opens once re-enabled.
kms_aws enable-key --key-id "$key"
bk-encrypt -d <c | cmp - in || fail "re-enabled key: no round trip"

# --- A key pending deletion, and one that does not exist -------------------
doomed=$(kms_aws create-key --query KeyMetadata.KeyId --output text)
bk-encrypt --kms-key-id "$doomed" <in >cdoomed
kms_aws schedule-key-deletion --key-id "$doomed" \
    --pending-window-in-days 7 >/dev/null
expect_exit 3 bk-encrypt -d <cdoomed >out 2>err
expect_grep "$doomed.*KMSInvalidStateException" err
nothing out
expect_exit 3 bk-encrypt --kms-key-id no-such-key <in >out 2>err
expect_grep 'no-such-key .*NotFoundException.*no such key' err
nothing out

# (AccessDeniedException: local-kms enforces no IAM or key policy; its
# mapping to exit 3 is in test-kms, and a 403 answer is met below.)

# --- No credentials; a bad endpoint ----------------------------------------
expect_exit 3 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    HOME="$T" bk-encrypt -d <c >out 2>err
expect_grep 'KMS: no AWS credentials' err
nothing out
expect_exit 3 env AWS_ENDPOINT_URL_KMS=ftp://127.0.0.1/ \
    bk-encrypt --kms-key-id "$key" <in >out 2>err
expect_grep 'KMS endpoint ftp://127.0.0.1/: not an http' err
nothing out

# --- 5xx answers: retried, then through ------------------------------------
VGW_PORT=$KMS_PORT start_proxy "POST - 503 ServiceUnavailable 2"
AWS_ENDPOINT_URL_KMS=$PROXY bk-encrypt -d <c 2>err | cmp - in ||
    fail "no round trip after two 503 answers"
expect_grep 'HTTP 503 .*retrying \(2 of 4\)' err
[ "$(grep -c 'injected' "$T/proxy.log")" -eq 2 ] || fail "$(cat "$T/proxy.log")"
# A KMS that keeps failing: exit 75, nothing written.
VGW_PORT=$KMS_PORT start_proxy "POST - 500 InternalError -1"
expect_exit 75 env AWS_ENDPOINT_URL_KMS="$PROXY" bk-encrypt -d <c >out 2>err
expect_grep 'HTTP 500 .*gave up after 5 attempts' err
nothing out
# A 403 that is no KMS error (a proxy's, say): exit 3 at once.
VGW_PORT=$KMS_PORT start_proxy "POST - 403 AccessDenied -1"
expect_exit 3 env AWS_ENDPOINT_URL_KMS="$PROXY" \
    bk-encrypt --kms-key-id "$key" <in >out 2>err
expect_grep 'HTTP 403 \(no error type\)' err
[ "$(wc -l <err)" -eq 1 ] || fail "a 403 was retried: $(cat err)"
nothing out

# --- KMS down: exit 75, nothing written ------------------------------------
kill "$KMS_PID"
wait "$KMS_PID" 2>/dev/null || true
expect_exit 75 bk-encrypt -d <c >out 2>err
expect_grep "at $KMS_ENDPOINT: .*onnect.*gave up after 5 attempts" err
nothing out
expect_exit 75 bk-encrypt --kms-key-id "$key" <in >out 2>err
nothing out
