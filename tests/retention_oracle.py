#!/usr/bin/env python3
"""retention_oracle.py - an independent oracle for bk-prune's retention
plan, written from the semantics (restic's snapshot policy, as
docs and bk-prune(1) state them), not from lib/prune/retention.c.

Reads epoch seconds, one a line; arguments KEY=VAL as test-retention's
"plan" filter takes them (last hourly daily weekly monthly yearly within
tz now).  Prints "TIME keep|remove REASONS", newest first.

Method (different from the C planner's single pass): for each rule,
group the backups into buckets, take the newest backup of each of the
first COUNT buckets (newest first; all of them for -1), and keep the
oldest backup too when fewer than COUNT buckets exist.
"""
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

RULES = ["last", "hourly", "daily", "weekly", "monthly", "yearly"]


def bucket(rule, dt, idx):
    if rule == "last":
        return idx, str(idx + 1)
    if rule == "hourly":
        return (dt.year, dt.month, dt.day, dt.hour), dt.strftime("%Y-%m-%dT%H")
    if rule == "daily":
        return (dt.year, dt.month, dt.day), dt.strftime("%Y-%m-%d")
    if rule == "weekly":
        y, w, _ = dt.isocalendar()
        return (y, w), "%04d-W%02d" % (y, w)
    if rule == "monthly":
        return (dt.year, dt.month), dt.strftime("%Y-%m")
    return dt.year, dt.strftime("%Y")


def main():
    opts = dict(a.split("=", 1) for a in sys.argv[1:])
    counts = {r: int(opts.get(r, "0")) for r in RULES}
    within = int(opts.get("within", "0"))
    now = int(opts.get("now", "0"))
    zone = ZoneInfo(opts["tz"]) if "tz" in opts else timezone.utc
    times = [int(x) for x in sys.stdin.read().split()]
    order = sorted(range(len(times)), key=lambda i: (-times[i], i))
    items = [times[i] for i in order]
    n = len(items)
    reasons = [[] for _ in items]
    within_kept = [False] * n
    if within > 0 and n:
        past = [t for t in items if t <= now]
        latest = past[0] if past else items[-1]
        for i, t in enumerate(items):
            within_kept[i] = t > latest - within
    for rule in RULES:
        count = counts[rule]
        if count == 0:
            continue
        groups = {}
        keys = []
        for i, t in enumerate(items):
            k, label = bucket(rule, datetime.fromtimestamp(t, zone), i)
            if k not in groups:
                groups[k] = (i, label)
                keys.append(k)
        chosen = keys if count < 0 else keys[:count]
        for k in chosen:
            i, label = groups[k]
            reasons[i].append((RULES.index(rule), "%s %s" % (rule, label)))
        if (count < 0 or len(keys) < count) and n:
            last = n - 1
            if not any(r[0] == RULES.index(rule) for r in reasons[last]):
                _, label = bucket(rule, datetime.fromtimestamp(items[last],
                                                               zone), last)
                reasons[last].append((RULES.index(rule),
                                      "oldest %s %s" % (rule, label)))
    out = []
    for i, t in enumerate(items):
        why = [w for _, w in sorted(reasons[i])]
        if within_kept[i]:
            why.insert(0, "within")
        out.append("%d %s %s" % (t, "keep" if why else "remove",
                                 ", ".join(why)))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


if __name__ == "__main__":
    main()
