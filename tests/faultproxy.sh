# shellcheck shell=bash
# shellcheck disable=SC2034 # PROXY is for the test that sources this
# tests/faultproxy.sh - sourced after tests/lib.sh by the tests that put
# tests/faultproxy.py in front of their versitygw ($VGW_PORT).

# start_proxy RULE...: a fresh proxy with these rules (the previous one
# stopped), logging to $T/proxy.log; sets PROXY to its endpoint.
PROXY_PID=
start_proxy() {
	[ -z "$PROXY_PID" ] || { kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; }
	local port
	port=$(free_port)
	: >"$T/proxy.log"
	"$PY" "$BK_TOP/tests/faultproxy.py" "$port" "$VGW_PORT" "$T/proxy.log" "$@" &
	PROXY_PID=$!
	BK_PIDS="$BK_PIDS $PROXY_PID"
	wait_port "$port" 10 || fail "proxy did not start"
	PROXY=http://127.0.0.1:$port
}
