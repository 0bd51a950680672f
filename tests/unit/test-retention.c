/*
 * test-retention.c - the retention planner on lists written out by hand
 * (restic's semantics: retention.h), and, given arguments, a filter for
 * the oracle test (08xx-prune-oracle): "test-retention plan KEY=VAL..."
 * reads one epoch time a line and prints "TIME keep|remove REASONS",
 * newest first.  KEYs: last hourly daily weekly monthly yearly (counts),
 * within (seconds), tz (zone), now (epoch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bk.h"
#include "prune/retention.h"
#include "unit.h"

#define MAXN 200000

static int64_t
T(const char *iso)
{
	int64_t t = 0;

	if (ret_parse_time(iso, &t) != 0)
		fprintf(stderr, "bad time in the test: %s\n", iso);
	return t;
}

/*
 * Plan the times (ISO, any order) under p; want lists each kept one as
 * "ISO=reasons", newest first, the rest removed.  1 if it came out so.
 */
static int
plan_is(const struct ret_policy *p, const char *const *times, size_t n,
    const char *want)
{
	struct ret_item it[64];
	char got[4096] = "", why[256], when[32];
	size_t i, o = 0;
	time_t t;

	memset(it, 0, sizeof(it));
	for (i = 0; i < n; i++)
		it[i].t = T(times[i]);
	if (ret_plan(p, it, n, T("2030-01-01T00:00:00Z")) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (!it[i].keep)
			continue;
		t = (time_t)it[i].t;
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M", gmtime(&t));
		ret_reasons(&it[i], why, sizeof(why));
		o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s=%s",
		    o ? "; " : "", when, why);
	}
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "want: %s\n got: %s\n", want, got);
		return 0;
	}
	return 1;
}

#define N(a) (sizeof(a) / sizeof(a[0]))

static void
test_daily(void)
{
	static const char *const t[] = {
		"2026-11-25T12:00:00Z", "2026-11-27T06:00:00Z",
		"2026-11-26T12:00:00Z", "2026-11-27T18:00:00Z",
		"2026-11-24T12:00:00Z",
	};
	struct ret_policy p = { { 0, 0, 3, 0, 0, 0 }, 0, NULL };

	CHECK(plan_is(&p, t, N(t), "2026-11-27T18:00=daily 2026-11-27; "
	    "2026-11-26T12:00=daily 2026-11-26; "
	    "2026-11-25T12:00=daily 2026-11-25"));
	/* Counts left at the oldest keep it, even in a kept bucket. */
	p.count[RET_DAILY] = 10;
	CHECK(plan_is(&p, t, N(t), "2026-11-27T18:00=daily 2026-11-27; "
	    "2026-11-26T12:00=daily 2026-11-26; "
	    "2026-11-25T12:00=daily 2026-11-25; "
	    "2026-11-24T12:00=daily 2026-11-24"));
	p.count[RET_DAILY] = -1;
	CHECK(plan_is(&p, t, 3, "2026-11-27T06:00=daily 2026-11-27; "
	    "2026-11-26T12:00=daily 2026-11-26; "
	    "2026-11-25T12:00=daily 2026-11-25"));
}

static void
test_oldest(void)
{
	static const char *const t[] = {
		"2026-11-27T01:00:00Z", "2026-11-27T02:00:00Z",
		"2026-11-27T03:00:00Z",
	};
	struct ret_policy p = { { 0, 0, 5, 0, 0, 0 }, 0, NULL };

	CHECK(plan_is(&p, t, N(t), "2026-11-27T03:00=daily 2026-11-27; "
	    "2026-11-27T01:00=oldest daily 2026-11-27"));
	/* Unlimited also keeps the oldest: its count is never spent. */
	p.count[RET_DAILY] = -1;
	CHECK(plan_is(&p, t, N(t), "2026-11-27T03:00=daily 2026-11-27; "
	    "2026-11-27T01:00=oldest daily 2026-11-27"));
	/* A spent count does not. */
	p.count[RET_DAILY] = 1;
	CHECK(plan_is(&p, t, N(t), "2026-11-27T03:00=daily 2026-11-27"));
}

/* 2026 has 53 ISO weeks: 2027-01-02 (a Saturday) is in 2026-W53. */
static void
test_iso_weeks(void)
{
	static const char *const t[] = {
		"2026-12-27T12:00:00Z", "2026-12-31T12:00:00Z",
		"2027-01-02T12:00:00Z", "2027-01-04T12:00:00Z",
	};
	struct ret_policy p = { { 0, 0, 0, 10, 0, 0 }, 0, NULL };

	CHECK(plan_is(&p, t, N(t), "2027-01-04T12:00=weekly 2027-W01; "
	    "2027-01-02T12:00=weekly 2026-W53; "
	    "2026-12-27T12:00=weekly 2026-W52"));
	/* Yearly and monthly go by the calendar year, not the ISO one. */
	p.count[RET_WEEKLY] = 0;
	p.count[RET_YEARLY] = 1;
	p.count[RET_MONTHLY] = 1;
	CHECK(plan_is(&p, t, N(t), "2027-01-04T12:00=monthly 2027-01, "
	    "yearly 2027"));
}

/* Europe/Berlin leaves summer time at 01:00 UTC on 2026-10-25. */
static void
test_dst(void)
{
	static const char *const h[] = {
		"2026-10-24T23:30:00Z", "2026-10-25T00:30:00Z",
		"2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z",
	};
	static const char *const d[] = {
		"2026-11-19T10:00:00Z", "2026-11-20T22:30:00Z",
		"2026-11-20T23:30:00Z", "2026-11-21T10:00:00Z",
	};
	struct ret_policy p = { { 0, 10, 0, 0, 0, 0 }, 0, NULL };

	CHECK(plan_is(&p, h, N(h), "2026-10-25T02:30=hourly 2026-10-25T02; "
	    "2026-10-25T01:30=hourly 2026-10-25T01; "
	    "2026-10-25T00:30=hourly 2026-10-25T00; "
	    "2026-10-24T23:30=hourly 2026-10-24T23"));
	/* 02:30 CEST and 02:30 CET are one local hour. */
	p.tz = "Europe/Berlin";
	CHECK(plan_is(&p, h, N(h), "2026-10-25T02:30=hourly 2026-10-25T03; "
	    "2026-10-25T01:30=hourly 2026-10-25T02; "
	    "2026-10-24T23:30=hourly 2026-10-25T01"));
	p.count[RET_HOURLY] = 0;
	p.count[RET_DAILY] = 10;
	p.tz = NULL;
	CHECK(plan_is(&p, d, N(d), "2026-11-21T10:00=daily 2026-11-21; "
	    "2026-11-20T23:30=daily 2026-11-20; "
	    "2026-11-19T10:00=daily 2026-11-19"));
	p.tz = "Europe/Berlin";
	CHECK(plan_is(&p, d, N(d), "2026-11-21T10:00=daily 2026-11-21; "
	    "2026-11-20T22:30=daily 2026-11-20; "
	    "2026-11-19T10:00=daily 2026-11-19"));
	/* The process's own zone is left as it was. */
	CHECK(getenv("TZ") == NULL || strcmp(getenv("TZ"), "Europe/Berlin"));
	p.tz = "Nowhere/Atlantis";
	CHECK(plan_is(&p, d, N(d), "") == 0);
}

static void
test_last_within(void)
{
	static const char *const t[] = {
		"2026-11-27T10:00:00Z", "2026-11-27T11:00:00Z",
		"2026-11-27T12:00:00Z", "2026-11-25T12:00:00Z",
		"2031-01-01T00:00:00Z",	/* in the future: not "latest" */
	};
	struct ret_policy p = { { 2, 0, 0, 0, 0, 0 }, 0, NULL };

	CHECK(plan_is(&p, t, 4, "2026-11-27T12:00=last 1; "
	    "2026-11-27T11:00=last 2"));
	p.count[RET_LAST] = 0;
	p.within = 3600;	/* after 11:00, not at it */
	CHECK(plan_is(&p, t, N(t), "2031-01-01T00:00=within; "
	    "2026-11-27T12:00=within"));
	p.within = 2 * 86400;
	p.count[RET_DAILY] = 1;
	CHECK(plan_is(&p, t, 4, "2026-11-27T12:00=within, daily 2026-11-27; "
	    "2026-11-27T11:00=within; 2026-11-27T10:00=within"));
}

/* restic's example: the policies count independently. */
static void
test_independent(void)
{
	static const char *const t[] = {
		"2026-11-02T12:00:00Z", "2026-11-09T12:00:00Z",
		"2026-11-16T12:00:00Z", "2026-11-22T12:00:00Z",
		"2026-11-23T12:00:00Z",
	};
	struct ret_policy p = { { 0, 0, 2, 2, 0, 0 }, 0, NULL };

	CHECK(plan_is(&p, t, N(t), "2026-11-23T12:00=daily 2026-11-23, "
	    "weekly 2026-W48; 2026-11-22T12:00=daily 2026-11-22, "
	    "weekly 2026-W47"));
}

static void
test_parse(void)
{
	int64_t v;

	CHECK(ret_parse_time("2026-11-27T15:00:00Z", &v) == 0 &&
	    v == 1795791600);
	CHECK(ret_parse_time("2026-11-27T16:00:00.250+01:00", &v) == 0 &&
	    v == 1795791600);
	CHECK(ret_parse_time("2026-11-27 15:00:00Z", &v) != 0);
	CHECK(ret_parse_time("2026-11-27T15:00:00", &v) != 0);
	CHECK(ret_parse_time("2026-13-27T15:00:00Z", &v) != 0);
	CHECK(ret_parse_duration("1w2d3h", &v) == 0 &&
	    v == 9 * 86400 + 3 * 3600);
	CHECK(ret_parse_duration("3", &v) != 0);
	CHECK(ret_parse_duration("0d", &v) != 0);
	CHECK(ret_parse_duration("2m", &v) != 0);
	CHECK(ret_zone_check("Europe/Berlin") == 0);
	CHECK(ret_zone_check("../etc/passwd") != 0);
}

/* The oracle filter: see the top of the file. */
static int
plan_filter(int argc, char *argv[])
{
	struct ret_policy p = { { 0 }, 0, NULL };
	static struct ret_item it[MAXN];
	int64_t now = 0;
	char line[64], why[512];
	size_t n = 0;
	int i, r;

	for (i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (eq == NULL)
			return 2;
		*eq++ = '\0';
		for (r = 0; r < RET_NRULES; r++)
			if (strcmp(argv[i], ret_rule_name(r)) == 0)
				p.count[r] = strtol(eq, NULL, 10);
		if (strcmp(argv[i], "within") == 0)
			p.within = strtoll(eq, NULL, 10);
		else if (strcmp(argv[i], "tz") == 0)
			p.tz = eq;
		else if (strcmp(argv[i], "now") == 0)
			now = strtoll(eq, NULL, 10);
	}
	while (n < MAXN && fgets(line, sizeof(line), stdin) != NULL)
		it[n++].t = strtoll(line, NULL, 10);
	if (ret_plan(&p, it, n, now) != 0)
		return 3;
	for (size_t k = 0; k < n; k++) {
		ret_reasons(&it[k], why, sizeof(why));
		printf("%lld %s %s\n", (long long)it[k].t,
		    it[k].keep ? "keep" : "remove", why);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "plan") == 0)
		return plan_filter(argc, argv);
	test_daily();
	test_oldest();
	test_iso_weeks();
	test_dst();
	test_last_within();
	test_independent();
	test_parse();
	return unit_exit();
}
