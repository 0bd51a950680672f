/*
 * verify/opts.c - bk-verify's option values: levels and --max-age.
 */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "store/manifest.h"
#include "verify/verify.h"

static const char *const levels[] = { "quick", "full", "deep" };

int
verify_parse_level(const char *s)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, levels[i]) == 0)
			return i;
	return -1;
}

const char *
verify_level_name(int level)
{
	return level >= 0 && level < 3 ? levels[level] : "-";
}

/* "30m", "24h", "7d": seconds, or -1. */
static int64_t
duration(const char *s)
{
	static const struct { char c; int64_t secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 604800 },
	};
	char *end;
	long long v;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (end == s || end[0] == '\0' || end[1] != '\0' || v <= 0 ||
	    v > 100LL * 365 * 86400)
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (*end == units[i].c)
			return v * units[i].secs;
	return -1;
}

/* One "KIND=DURATION" or "DURATION" into o.  0 or -1 (reported). */
static int
maxage_one(char *item, struct verify_opts *o)
{
	struct verify_maxage *m;
	char *eq = strchr(item, '=');
	const char *d = eq ? eq + 1 : item;

	if (o->nmaxage == VERIFY_KINDS_MAX) {
		warn0("--max-age: more than %d kinds", VERIFY_KINDS_MAX);
		return -1;
	}
	m = &o->maxage[o->nmaxage];
	if (eq != NULL) {
		*eq = '\0';
		if (!manifest_kind_valid(item)) {
			warn0("--max-age: %s: not a kind", item);
			return -1;
		}
		memcpy(m->kind, item, strlen(item) + 1);
	} else
		m->kind[0] = '\0';
	if (strlen(d) >= sizeof(m->text) || (m->secs = duration(d)) < 0) {
		warn0("--max-age: %s: want a number with s, m, h, d or w", d);
		return -1;
	}
	memcpy(m->text, d, strlen(d) + 1);
	o->nmaxage++;
	return 0;
}

int
verify_parse_maxage(const char *arg, struct verify_opts *o)
{
	char *copy, *item, *save = NULL;
	int rc = 0;

	if ((copy = strdup(arg)) == NULL) {
		warnp("malloc");
		return -1;
	}
	for (item = strtok_r(copy, ",", &save); item != NULL && rc == 0;
	    item = strtok_r(NULL, ",", &save))
		rc = maxage_one(item, o);
	if (rc == 0 && o->nmaxage == 0) {
		warn0("--max-age: empty");
		rc = -1;
	}
	free(copy);
	return rc;
}
