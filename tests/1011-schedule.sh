#!/bin/bash
# The schedule: examples/crontab and examples/systemd/ run the same six
# jobs at the same times, and only jobs scripts/bk-backup.sh accepts.
# Each crontab line runs "bk-backup.sh -c /etc/bk/bk.conf JOB" as bk,
# with no unescaped % (cron would cut the command there); each timer
# bk-backup-JOB.timer starts bk-backup@JOB.service of the template
# bk-backup@.service, Persistent=true, RandomizedDelaySec except for the
# drill; the next eight runs of each timer from a fixed time, as systemd
# computes them, are the crontab line's next eight, as cron semantics
# compute them (day of month OR day of week; the drill's Sunday guard
# run by sh with the date of each candidate day); systemd-analyze verify
# finds nothing to say about the units.  Until the runner accepts the
# jobs of its contract (verify, prune, test-restore, drill), the test
# says which it lacks and skips after every other check.
. "$BK_TOP/tests/lib.sh"
ex=$BK_TOP/examples
backup=$BK_TOP/scripts/bk-backup.sh
jobs_want="db drill files prune test-restore verify"

# The jobs bk-backup.sh's usage names: "a|b|c" on its usage lines, and
# the words its help describes as "  JOB   text".
bash "$backup" --help >usage || fail "bk-backup.sh --help"
{
	grep '^ *\(usage:\|bk-backup.sh\)' usage | tr -d '[]' | tr ' ' '\n' | grep '|' | tr '|' '\n'
	sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' usage
} | grep -v '^-' | sort -u >accepted
if ! grep -qx db accepted || ! grep -qx files accepted; then
	fail "cannot read the jobs from bk-backup.sh's usage: $(cat usage)"
fi

# The crontab's job lines: five time fields, the user, the command.
grep -Ev '^(#|$|[A-Z_]+=)' "$ex/crontab" >lines
[ "$(wc -l <lines)" -eq 6 ] || fail "crontab: not six job lines: $(cat lines)"
: >cron.jobs
while read -r mi h dom mon dow user cmd; do
	[ "$user" = bk ] || fail "crontab: runs as $user: $cmd"
	job=${cmd##* }
	case $cmd in
	*"/usr/local/share/bk/scripts/bk-backup.sh -c /etc/bk/bk.conf $job") ;;
	*) fail "crontab: not a bk-backup.sh job: $cmd" ;;
	esac
	printf '%s\n' "$cmd" | sed 's/\\%//g' | grep -q % &&
	    fail "crontab: an unescaped % in: $cmd"
	printf '%s %s %s %s %s %s\n' "$job" "$mi" "$h" "$dom" "$mon" "$dow" >>cron.jobs
	printf '%s\n' "$cmd" >"cmd.$job"
done <lines
[ "$(cut -d' ' -f1 cron.jobs | sort | tr '\n' ' ')" = "$jobs_want " ] ||
	fail "crontab jobs: $(cut -d' ' -f1 cron.jobs | tr '\n' ' ')"

# The timers: one per job, each for its job's instance of the template.
[ -f "$ex/systemd/bk-backup@.service" ] || fail "no bk-backup@.service"
grep -qx 'ExecStart=/usr/local/share/bk/scripts/bk-backup.sh -c /etc/bk/bk.conf %i' \
    "$ex/systemd/bk-backup@.service" || fail "bk-backup@.service: ExecStart"
for k in User=bk NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/bk \
    PrivateTmp=yes; do
	grep -qx "$k" "$ex/systemd/bk-backup@.service" || fail "bk-backup@.service lacks $k"
done
timers=$(find "$ex/systemd" -name 'bk-backup-*.timer' | sed 's,.*/bk-backup-,,; s/\.timer$//' | sort | tr '\n' ' ')
[ "$timers" = "$jobs_want " ] || fail "timers: $timers"
for job in $jobs_want; do
	t=$ex/systemd/bk-backup-$job.timer
	grep -qx "Unit=bk-backup@$job.service" "$t" || fail "$t: not for bk-backup@$job.service"
	grep -qx 'Persistent=true' "$t" || fail "$t: not Persistent=true"
	if [ "$job" = drill ]; then
		grep -q '^RandomizedDelaySec=' "$t" && fail "$t: the drill is delayed at random"
	else
		grep -q '^RandomizedDelaySec=' "$t" || fail "$t: no RandomizedDelaySec"
	fi
	grep -qx 'WantedBy=timers.target' "$t" || fail "$t: not WantedBy=timers.target"
done

# When each runs: the next eight times from 2027-01-01T00:00Z, systemd's
# and cron's.
base=2027-01-01T00:00:00Z
while read -r job mi h dom mon dow; do
	cal=$(sed -n 's/^OnCalendar=//p' "$ex/systemd/bk-backup-$job.timer")
	TZ=UTC systemd-analyze calendar --iterations=8 --base-time="$(echo "$base" | tr T ' ' | tr -d Z) UTC" "$cal" |
	    sed -n 's/.*\(Next elapse\|Iter\. #[0-9]\): [A-Z][a-z][a-z] \(.*\) UTC$/\2/p' >"sd.$job"
	# The guard before "&&", as cron gives it to sh (\% is %), for a day.
	guard=$(sed -n 's/^\(.*\) && .*/\1/p' "cmd.$job" | sed 's/\\%/%/g')
	"$PY" - "$base" "$mi" "$h" "$dom" "$mon" "$dow" "$guard" >"cron.$job" <<'EOF'
import datetime, subprocess, sys
base, fields, guard = sys.argv[1], sys.argv[2:7], sys.argv[7]
def parse(f, lo, hi):
    out = set()
    for part in f.split(","):
        rng, _, step = part.partition("/")
        a, b = (lo, hi) if rng == "*" else (
            (int(rng.split("-")[0]), int(rng.split("-")[1])) if "-" in rng
            else (int(rng), int(rng)))
        out.update(range(a, b + 1, int(step or 1)))
    return out
mi, h, dom, mon, dow = (parse(f, lo, hi) for f, lo, hi in zip(
    fields, (0, 0, 1, 1, 0), (59, 23, 31, 12, 7)))
dow = {d % 7 for d in dow}
star_dom, star_dow = fields[2] == "*", fields[4] == "*"
t = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%SZ")
found, ok_day = [], {}
while len(found) < 8:
    d = t.date()
    if d not in ok_day:
        a, b = d.day in dom, (d.isoweekday() % 7) in dow
        day = (a and b) if (star_dom or star_dow) else (a or b)
        if day and guard:
            day = subprocess.run(["sh", "-c", guard.replace("date +", "date -d %s +" % d)]).returncode == 0
        ok_day[d] = day and d.month in mon
    if ok_day[d] and t.hour in h and t.minute in mi:
        found.append(t.strftime("%Y-%m-%d %H:%M:%S"))
    t += datetime.timedelta(minutes=1) if ok_day[d] else \
        datetime.datetime.combine(d + datetime.timedelta(days=1), datetime.time()) - t
print("\n".join(found))
EOF
	[ "$(wc -l <"sd.$job")" -eq 8 ] || fail "systemd-analyze calendar $cal: $(cat "sd.$job")"
	cmp -s "sd.$job" "cron.$job" ||
	    fail "$job: the timer runs at $(tr '\n' ' ' <"sd.$job"), the crontab at $(tr '\n' ' ' <"cron.$job")"
done <cron.jobs
expect_grep '^2027-01-03 04:00:00$' cron.drill
expect_grep '^2027-04-04 04:00:00$' cron.drill

# systemd-analyze verify, under a root holding the system's units, the
# units and a stand-in for the script they run.
r=$T/root
mkdir -p "$r/etc/systemd/system" "$r/usr/lib/systemd" "$r/usr/local/share/bk/scripts"
cp -a /usr/lib/systemd/system "$r/usr/lib/systemd/"
cp "$ex"/systemd/* "$r/etc/systemd/system/"
printf '#!/bin/sh\n' >"$r/usr/local/share/bk/scripts/bk-backup.sh"
chmod +x "$r/usr/local/share/bk/scripts/bk-backup.sh"
(cd "$r/etc/systemd/system" && systemd-analyze verify --man=no --root="$r" \
    bk-backup@db.service bk-backup-*.timer) >verify.out 2>&1 ||
	fail "systemd-analyze verify: $(cat verify.out)"
[ ! -s verify.out ] || fail "systemd-analyze verify: $(cat verify.out)"
rm -rf "$r"

# Last: every job must be one the runner takes.
missing=
for job in $jobs_want; do
	grep -qx -- "$job" accepted || missing="$missing $job"
done
[ -z "$missing" ] || skip "bk-backup.sh does not take these jobs yet:$missing (its usage: $(tr '\n' ' ' <accepted))"
exit 0
