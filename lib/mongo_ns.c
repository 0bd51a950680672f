/*
 * mongo_ns.c - namespace patterns ("db.coll" with '*') for --ns-include,
 * --ns-exclude and the --ns-from/--ns-to renaming.
 */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "mongo.h"

#define CAPS_MAX 16

/*
 * Match pattern p against s; on success record what each '*' matched in
 * cap (start offsets and lengths into s).  Backtracking, but names are
 * short and patterns have a few stars.
 */
static int
match(const char *p, const char *s, const char *s0, size_t ncap,
    size_t *cs, size_t *cl)
{
	const char *t;

	for (; *p != '\0'; p++, s++) {
		if (*p == '*') {
			for (t = s + strlen(s); t >= s; t--) {
				if (match(p + 1, t, s0, ncap + 1, cs, cl)) {
					if (ncap < CAPS_MAX) {
						cs[ncap] = (size_t)(s - s0);
						cl[ncap] = (size_t)(t - s);
					}
					return 1;
				}
			}
			return 0;
		}
		if (*s != *p)
			return 0;
	}
	return *s == '\0';
}

int
mongo_ns_match(const char *pattern, const char *ns)
{
	size_t cs[CAPS_MAX], cl[CAPS_MAX];

	return match(pattern, ns, ns, 0, cs, cl);
}

static size_t
stars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '*';
	return n;
}

/* Build to with its stars replaced by the captures of ns. */
static char *
substitute(const char *to, const char *ns, const size_t *cs,
    const size_t *cl)
{
	size_t len = 0, k = 0, j;
	const char *p;
	char *out, *o;

	for (p = to; *p != '\0'; p++)
		len += *p == '*' ? cl[k++] : 1;
	if ((out = malloc(len + 1)) == NULL) {
		warnp("malloc");
		return NULL;
	}
	for (o = out, p = to, k = 0; *p != '\0'; p++) {
		if (*p != '*') {
			*o++ = *p;
			continue;
		}
		for (j = 0; j < cl[k]; j++)
			*o++ = ns[cs[k] + j];
		k++;
	}
	*o = '\0';
	return out;
}

char *
mongo_ns_rename(char *const *from, char *const *to, size_t n, const char *ns)
{
	size_t cs[CAPS_MAX], cl[CAPS_MAX], i;
	char *s;

	for (i = 0; i < n; i++) {
		if (stars(to[i]) > stars(from[i]) ||
		    stars(from[i]) > CAPS_MAX) {
			warn0("--ns-to %s: more '*' than --ns-from %s (at most "
			    "%d)", to[i], from[i], CAPS_MAX);
			return NULL;
		}
		if (match(from[i], ns, ns, 0, cs, cl))
			return substitute(to[i], ns, cs, cl);
	}
	if ((s = strdup(ns)) == NULL)
		warnp("malloc");
	return s;
}

int
mongo_ns_split(const char *ns, char **db, char **coll)
{
	const char *dot = strchr(ns, '.');

	*db = *coll = NULL;
	if (dot == NULL || dot == ns || dot[1] == '\0') {
		warn0("namespace %s: expected DB.COLLECTION", ns);
		return -1;
	}
	if ((*db = strndup(ns, (size_t)(dot - ns))) == NULL ||
	    (*coll = strdup(dot + 1)) == NULL) {
		warnp("malloc");
		free(*db);
		*db = NULL;
		return -1;
	}
	return 0;
}
