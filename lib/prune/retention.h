/*
 * prune/retention.h - which backups a grandfather-father-son policy keeps,
 * with restic's semantics (its snapshot_policy.go): newest first, each
 * policy keeps the newest backup of each of its buckets (hour, day, ISO
 * week, month, year) until its count is spent, counting independently of
 * the others; -1 is unlimited; a policy with count left when the oldest
 * backup is reached keeps that one too; --keep-within keeps everything
 * younger than the duration before the newest backup that is not in the
 * future.  Buckets are taken in UTC, or in a tz database zone.
 */
#ifndef PRUNE_RETENTION_H
#define PRUNE_RETENTION_H

#include <stddef.h>
#include <stdint.h>

enum ret_rule { RET_LAST, RET_HOURLY, RET_DAILY, RET_WEEKLY, RET_MONTHLY,
    RET_YEARLY, RET_NRULES };

struct ret_policy {
	long count[RET_NRULES];	/* 0: off, -1: unlimited */
	int64_t within;		/* seconds, 0: off */
	const char *tz;		/* tz database zone, NULL: UTC */
};

/* One backup as the planner sees it; the plan fills the rest. */
struct ret_item {
	int64_t t;		/* created, seconds since the epoch */
	void *ref;		/* the caller's */
	size_t ord;		/* set by ret_plan: keeps the sort stable */
	int keep;
	unsigned rules;		/* 1 << enum ret_rule that kept it */
	unsigned oldest;	/* rules that kept it as the oldest */
	int within;		/* kept by --keep-within */
	char label[RET_NRULES][24];	/* each kept rule's bucket */
};

/* Does the policy keep anything at all (some count or within)? */
int ret_policy_any(const struct ret_policy *p);

/*
 * Plan it[0..n) (any order; sorted here, newest first, stable) under p
 * at time now.  0, or -1 (reported: an unknown zone).
 */
int ret_plan(const struct ret_policy *p, struct ret_item *it, size_t n,
    int64_t now);

/* The rule's name: "last", "hourly", ... "yearly". */
const char *ret_rule_name(enum ret_rule r);

/*
 * The item's reasons, "daily 2026-11-20, weekly 2026-W47", into buf
 * (empty when it is not kept by the policy).
 */
void ret_reasons(const struct ret_item *it, char *buf, size_t len);

/* The longest rule that keeps it (RET_YEARLY..RET_LAST), or -1. */
int ret_longest(const struct ret_item *it);

/*
 * Parse an ISO 8601 / RFC 3339 time ("2026-11-20T15:00:00Z", a fraction
 * and a "+01:00" offset allowed) to seconds.  0, or -1 (not reported).
 */
int ret_parse_time(const char *s, int64_t *t);

/* Parse "7d", "36h", "2w", "1w3d", "90s" to seconds (>0).  0, or -1. */
int ret_parse_duration(const char *s, int64_t *secs);

/* 0 if zone is a zone of the system's tz database; -1 (reported). */
int ret_zone_check(const char *zone);

#endif /* !PRUNE_RETENTION_H */
