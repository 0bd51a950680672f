#!/bin/bash
# The retention planner against an independent oracle
# (tests/retention_oracle.py, written from the semantics): three years of
# hourly backups with irregular gaps (a missed hour, a day-long outage,
# weeks down), under the seed's policy and others, in UTC and in zones
# with daylight saving (Europe/Berlin, America/New_York) and a half-hour
# one (Australia/Lord_Howe).  The small cases written out by hand (ISO
# weeks across a year boundary, a DST night) are in test-retention.
. "$BK_TOP/tests/lib.sh"

plan=$BK_BUILD/tests/test-retention
"$PY" - >times.txt <<'PYEOF'
import random
r = random.Random(20261127)
t = 1730000000 - 1730000000 % 3600
end = t + 3 * 365 * 86400
out = []
while t < end:
    out.append(t + r.randrange(0, 900))
    g = r.random()
    if g < 0.985:
        t += 3600
    elif g < 0.998:
        t += 3600 * r.randrange(2, 13)
    else:
        t += 86400 * r.randrange(2, 11)
print("\n".join(map(str, out)))
PYEOF
n=$(wc -l <times.txt)
[ "$n" -gt 15000 ] || fail "only $n backups generated"

check() {
	"$plan" plan "$@" <times.txt >c.out || fail "planner: $* exited $?"
	"$PY" "$BK_TOP/tests/retention_oracle.py" "$@" <times.txt >o.out
	[ "$(wc -l <c.out)" -eq "$n" ] || fail "$*: not one line per backup"
	diff c.out o.out >d.out || fail "$*: planner and oracle differ: $(head -n 6 d.out)"
	kept=$(grep -c ' keep ' c.out || true)
	{ [ "$kept" -gt 0 ] && [ "$kept" -lt "$n" ]; } || fail "$*: kept $kept of $n"
	note "$*: $kept of $n kept, as the oracle says"
}
check hourly=24 daily=30 weekly=52 monthly=84 yearly=-1
check hourly=24 daily=30 weekly=52 monthly=84 yearly=-1 tz=Europe/Berlin
check last=5 hourly=500 daily=-1 tz=America/New_York
check weekly=200 monthly=3 within=864000 now=1800000000 tz=Europe/Berlin
check daily=400 yearly=10 within=172800 now=1750000000 tz=Australia/Lord_Howe
check daily=-1 monthly=-1 tz=America/New_York
