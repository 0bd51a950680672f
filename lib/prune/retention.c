/*
 * prune/retention.c - the retention planner (restic's semantics, see
 * retention.h).  Buckets in a zone other than UTC come from localtime_r
 * under TZ set to the zone for the duration of the plan: the system's tz
 * database decides DST, and the process's own TZ is restored after.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bk.h"
#include "prune/retention.h"

static const char *const rule_names[RET_NRULES] = {
	"last", "hourly", "daily", "weekly", "monthly", "yearly"
};

const char *
ret_rule_name(enum ret_rule r)
{
	return rule_names[r];
}

int
ret_policy_any(const struct ret_policy *p)
{
	int r;

	for (r = 0; r < RET_NRULES; r++)
		if (p->count[r] != 0)
			return 1;
	return p->within > 0;
}

int
ret_zone_check(const char *zone)
{
	const char *dir = getenv("TZDIR");
	struct stat st;
	char path[512];

	if (strcmp(zone, "UTC") == 0)
		return 0;
	if (dir == NULL || *dir == '\0')
		dir = "/usr/share/zoneinfo";
	/* glibc takes an unknown zone for UTC without a word: refuse it. */
	if (*zone == '\0' || *zone == '/' || strstr(zone, "..") != NULL ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, zone) >=
	    sizeof(path) || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		warn0("--tz %s: not a zone of the tz database in %s", zone,
		    dir);
		return -1;
	}
	return 0;
}

/* The bucket key of t for rule r, and its label. */
static int64_t
bucket(const struct tm *tm, enum ret_rule r, size_t nr, char *label,
    size_t len)
{
	char iso[16];
	int64_t y = tm->tm_year + 1900;

	switch (r) {
	case RET_LAST:
		snprintf(label, len, "%zu", nr + 1);
		return (int64_t)nr;
	case RET_HOURLY:
		strftime(label, len, "%Y-%m-%dT%H", tm);
		return ((y * 100 + tm->tm_mon + 1) * 100 + tm->tm_mday) * 100 +
		    tm->tm_hour;
	case RET_DAILY:
		strftime(label, len, "%Y-%m-%d", tm);
		return (y * 100 + tm->tm_mon + 1) * 100 + tm->tm_mday;
	case RET_WEEKLY:
		/* The ISO 8601 week: Monday to Sunday, its own year. */
		strftime(iso, sizeof(iso), "%G%V", tm);
		snprintf(label, len, "%.4s-W%.2s", iso, iso + 4);
		return strtoll(iso, NULL, 10);
	case RET_MONTHLY:
		strftime(label, len, "%Y-%m", tm);
		return y * 100 + tm->tm_mon + 1;
	default:
		strftime(label, len, "%Y", tm);
		return y;
	}
}

static int
cmp_newest(const void *a, const void *b)
{
	const struct ret_item *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? 1 : -1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* The newest time not in the future (restic's "latest"). */
static int64_t
latest(const struct ret_item *it, size_t n, int64_t now)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (it[i].t <= now)
			return it[i].t;
	return n > 0 ? it[n - 1].t : 0;
}

/* Apply every rule to it[nr], the nr-th newest of n. */
static void
plan_one(long count[], int64_t last[],
    struct ret_item *it, size_t nr, size_t n, const struct tm *tm)
{
	char label[24];
	int64_t key;
	int r;

	for (r = 0; r < RET_NRULES; r++) {
		if (count[r] == 0)
			continue;
		key = bucket(tm, (enum ret_rule)r, nr, label, sizeof(label));
		/* The oldest is kept too while the rule has counts left. */
		if (key == last[r] && nr != n - 1)
			continue;
		if (key == last[r])
			it[nr].oldest |= 1u << r;
		it[nr].keep = 1;
		it[nr].rules |= 1u << r;
		snprintf(it[nr].label[r], sizeof(it[nr].label[r]), "%s",
		    label);
		last[r] = key;
		if (count[r] > 0)
			count[r]--;
	}
}

/* Set TZ to zone (saving the old one in *old); restore with zone NULL. */
static int
set_zone(const char *zone, char **old)
{
	const char *cur;

	if (zone != NULL) {
		cur = getenv("TZ");
		*old = NULL;
		if (cur != NULL && (*old = strdup(cur)) == NULL) {
			warnp("malloc");
			return -1;
		}
		if (setenv("TZ", zone, 1) != 0) {
			warnp("setenv TZ");
			free(*old);
			return -1;
		}
	} else {
		if (*old != NULL)
			setenv("TZ", *old, 1);
		else
			unsetenv("TZ");
		free(*old);
	}
	tzset();
	return 0;
}

int
ret_plan(const struct ret_policy *p, struct ret_item *it, size_t n,
    int64_t now)
{
	long count[RET_NRULES];
	int64_t last[RET_NRULES], newest;
	char *oldtz = NULL;
	struct tm tm;
	time_t t;
	size_t i;
	int r;

	if (p->tz != NULL && (ret_zone_check(p->tz) != 0 ||
	    set_zone(p->tz, &oldtz) != 0))
		return -1;
	for (i = 0; i < n; i++)
		it[i].ord = i;
	if (n > 0)
		qsort(it, n, sizeof(*it), cmp_newest);
	for (r = 0; r < RET_NRULES; r++) {
		count[r] = p->count[r];
		last[r] = -1;
	}
	newest = latest(it, n, now);
	for (i = 0; i < n; i++) {
		it[i].keep = it[i].within = 0;
		it[i].rules = it[i].oldest = 0;
		if (p->within > 0 && it[i].t > newest - p->within)
			it[i].keep = it[i].within = 1;
		t = (time_t)it[i].t;
		if (p->tz != NULL)
			localtime_r(&t, &tm);
		else
			gmtime_r(&t, &tm);
		plan_one(count, last, it, i, n, &tm);
	}
	if (p->tz != NULL)
		set_zone(NULL, &oldtz);
	return 0;
}

void
ret_reasons(const struct ret_item *it, char *buf, size_t len)
{
	size_t o = 0;
	int r;

	buf[0] = '\0';
	if (it->within && o < len)
		o += (size_t)snprintf(buf + o, len - o, "within");
	for (r = 0; r < RET_NRULES && o < len; r++) {
		if (!(it->rules & (1u << r)))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s%s %s", o ? ", " :
		    "", it->oldest & (1u << r) ? "oldest " : "", rule_names[r],
		    it->label[r]);
	}
}

int
ret_longest(const struct ret_item *it)
{
	int r;

	for (r = RET_YEARLY; r >= RET_LAST; r--)
		if (it->rules & (1u << r))
			return r;
	return -1;
}

/* n digits at s into *v; the end, or NULL. */
static const char *
digits(const char *s, int n, int *v)
{
	*v = 0;
	while (n-- > 0) {
		if (!isdigit((unsigned char)*s))
			return NULL;
		*v = *v * 10 + (*s++ - '0');
	}
	return s;
}

/* "Z", or "+HH:MM" / "-HH:MM" / "+HHMM" into *off seconds east. */
static int
zone_offset(const char *s, int64_t *off)
{
	int h, m, sign;

	if (strcmp(s, "Z") == 0 || strcmp(s, "z") == 0) {
		*off = 0;
		return 0;
	}
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	if ((s = digits(s, 2, &h)) == NULL)
		return -1;
	if (*s == ':')
		s++;
	if ((s = digits(s, 2, &m)) == NULL || *s != '\0' || h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

int
ret_parse_time(const char *s, int64_t *t)
{
	struct tm tm;
	int v[6];
	int64_t off;

	memset(&tm, 0, sizeof(tm));
	if ((s = digits(s, 4, &v[0])) == NULL || *s++ != '-' ||
	    (s = digits(s, 2, &v[1])) == NULL || *s++ != '-' ||
	    (s = digits(s, 2, &v[2])) == NULL || (*s != 'T' && *s != 't') ||
	    (s = digits(s + 1, 2, &v[3])) == NULL || *s++ != ':' ||
	    (s = digits(s, 2, &v[4])) == NULL || *s++ != ':' ||
	    (s = digits(s, 2, &v[5])) == NULL)
		return -1;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			;
	if (zone_offset(s, &off) != 0 || v[1] < 1 || v[1] > 12 ||
	    v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	*t = (int64_t)timegm(&tm) - off;
	return 0;
}

int
ret_parse_duration(const char *s, int64_t *secs)
{
	int64_t total = 0, n;
	char *end;

	if (*s == '\0')
		return -1;
	while (*s != '\0') {
		if (!isdigit((unsigned char)*s))
			return -1;
		n = strtoll(s, &end, 10);
		if (n > 1000000)
			return -1;
		switch (*end) {
		case 's': break;
		case 'h': n *= 3600; break;
		case 'd': n *= 86400; break;
		case 'w': n *= 7 * 86400; break;
		default: return -1;
		}
		total += n;
		s = end + 1;
	}
	if (total <= 0)
		return -1;
	*secs = total;
	return 0;
}
