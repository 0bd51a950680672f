/*
 * mongo_ns.c - namespaces, in one place: the check of a database and a
 * collection name (always given apart, as the archive's header gives them;
 * never "db.coll" split at a dot), the guard against system collections,
 * and the patterns of --ns-include, --ns-exclude and --ns-from/--ns-to.
 *
 * A pattern "DBPAT.COLLPAT" is split at its first dot: DBPAT is matched
 * against the database name and COLLPAT against the collection name, so
 * a '*' of the database part never reaches into a collection name (which
 * may hold dots) and the target of a renaming is built as a database and
 * a collection, never re-split.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bk.h"
#include "db.h"
#include "mongo.h"

#define CAPS_MAX 16

/* Characters MongoDB forbids in a database name (with NUL). */
#define DB_FORBIDDEN "/\\. \"$"

struct cap {
	const char *s;
	size_t len;
};

/*
 * Where a match stands: the states (position in the pattern, position in
 * the name) already known to fail, so that many stars against a long name
 * cost at most (pattern x name) states of (name) steps each, never an
 * exponential number.
 */
struct mstate {
	const char *p0, *s0;
	size_t slen;
	unsigned char *failed;	/* (plen + 1) * (slen + 1), or NULL */
};

#define PATTERN_MAX 512

/* Why db is not a database name, or NULL. */
static const char *
db_invalid(const char *db)
{
	size_t dl = strlen(db);

	if (dl == 0)
		return "empty database name";
	if (dl > MONGO_DB_MAX)
		return "database name longer than 63 bytes";
	if (strcspn(db, DB_FORBIDDEN) != dl)
		return "database name holds one of / \\ . \" $ or a space";
	return NULL;
}

int
mongo_db_check(const char *db, const char *what)
{
	const char *why = db_invalid(db);

	if (why == NULL)
		return 0;
	warn0("%s: database \"%.80s\": %s", what, db, why);
	return -1;
}

int
mongo_ns_check(const char *db, const char *coll, const char *what)
{
	const char *why = db_invalid(db);
	size_t cl = strlen(coll);

	if (why != NULL)
		;
	else if (cl == 0)
		why = "empty collection name";
	else if (coll[0] == '.')
		why = "collection name starts with a dot";
	else if (strchr(coll, '$') != NULL)
		why = "collection name holds a $";
	else if (strlen(db) + 1 + cl > MONGO_NS_MAX)
		why = "namespace longer than 255 bytes";
	if (why == NULL)
		return 0;
	warn0("%s: database \"%.80s\" collection \"%.80s\": %s", what, db,
	    coll, why);
	return -1;
}

int
mongo_ns_reserved(const char *db, const char *coll)
{
	/* Per-server state (the oplog is local.oplog.rs), never data. */
	if (strcasecmp(db, "local") == 0 || strcasecmp(db, "config") == 0)
		return 1;
	/* Any database: system.users and system.roles of old servers too. */
	return strncasecmp(coll, "system.", 7) == 0;
}

int
mongo_ns_users(const char *db, const char *coll)
{
	return strcasecmp(db, "admin") == 0 &&
	    (strcasecmp(coll, "system.users") == 0 ||
	    strcasecmp(coll, "system.roles") == 0);
}

/*
 * Match the pattern [p, pe) against s; on success record what each '*'
 * matched in cap[ncap...], each '*' taking the longest run that lets the
 * rest match.  A state found failing is remembered in m.
 */
static int
match_from(struct mstate *m, const char *p, const char *pe, const char *s,
    size_t ncap, struct cap *cap)
{
	const char *t;
	size_t k;

	for (; p < pe; p++, s++) {
		if (*p == '*') {
			k = (size_t)(p - m->p0) * (m->slen + 1) +
			    (size_t)(s - m->s0);
			if (m->failed != NULL && m->failed[k])
				return 0;
			for (t = s + strlen(s); t >= s; t--) {
				if (match_from(m, p + 1, pe, t, ncap + 1,
				    cap)) {
					if (ncap < CAPS_MAX) {
						cap[ncap].s = s;
						cap[ncap].len = (size_t)(t - s);
					}
					return 1;
				}
			}
			if (m->failed != NULL)
				m->failed[k] = 1;
			return 0;
		}
		if (*s != *p)
			return 0;
	}
	return *s == '\0';
}

static int
match(const char *p, const char *pe, const char *s, size_t ncap,
    struct cap *cap)
{
	unsigned char small[4096];
	struct mstate m = { p, s, strlen(s), NULL };
	size_t n = ((size_t)(pe - p) + 1) * (m.slen + 1);
	int rc;

	/* Without memory the answer is the same, only slower. */
	if (n <= sizeof(small)) {
		memset(small, 0, n);
		m.failed = small;
	} else
		m.failed = calloc(n, 1);
	rc = match_from(&m, p, pe, s, ncap, cap);
	if (m.failed != small)
		free(m.failed);
	return rc;
}

static size_t
stars(const char *s, const char *e)
{
	size_t n = 0;

	for (; s < e; s++)
		n += *s == '*';
	return n;
}

/* The end of the database part of pattern p (its first dot, or its end). */
static const char *
dbpart_end(const char *p)
{
	const char *dot = strchr(p, '.');

	return dot != NULL ? dot : p + strlen(p);
}

/* Match db and coll against pattern p, captures in cap.  1 if matched. */
static int
match_ns(const char *p, const char *db, const char *coll, struct cap *cap)
{
	const char *de = dbpart_end(p);

	if (!match(p, de, db, 0, cap))
		return 0;
	/* "DB" alone (no dot) stands for every collection of DB. */
	if (*de == '\0')
		return 1;
	return match(de + 1, de + 1 + strlen(de + 1), coll,
	    stars(p, de), cap);
}

int
mongo_ns_match(const char *pattern, const char *db, const char *coll)
{
	struct cap cap[CAPS_MAX];

	return match_ns(pattern, db, coll, cap);
}

int
mongo_nspat_check(const char *opt, const char *p)
{
	const char *de = dbpart_end(p);
	const char *why = NULL;

	if (de == p)
		why = "the database part (before the first dot) is empty";
	else if (strcspn(p, DB_FORBIDDEN) < (size_t)(de - p))
		why = "the database part holds one of / \\ \" $ or a space";
	else if (*de == '.' && de[1] == '\0')
		why = "the collection part (after the first dot) is empty";
	else if (stars(p, p + strlen(p)) > CAPS_MAX)
		why = "more than 16 '*'";
	else if (strlen(p) > PATTERN_MAX)
		why = "longer than 512 bytes";
	if (why == NULL)
		return 0;
	warn0("%s %s: %s", opt, p, why);
	return -1;
}

int
mongo_nspat_check_list(const char *opt, const char *const *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (mongo_nspat_check(opt, p[i]) != 0)
			return -1;
	return 0;
}

/* 1 if [p, e) is w, ignoring case. */
static int
is_word(const char *p, const char *e, const char *w)
{
	return (size_t)(e - p) == strlen(w) &&
	    strncasecmp(p, w, strlen(w)) == 0;
}

int
mongo_nspat_check_pair(const char *from, const char *to)
{
	const char *fd = dbpart_end(from), *td = dbpart_end(to);
	const char *why = NULL;

	if (mongo_nspat_check("--ns-from", from) != 0 ||
	    mongo_nspat_check("--ns-to", to) != 0)
		return -1;
	if (*fd == '\0')
		why = "--ns-from has no dot: give DB.COLLECTION";
	else if (*td == '\0')
		why = "--ns-to has no dot: give DB.COLLECTION";
	else if (stars(to, to + strlen(to)) > stars(from, from + strlen(from)))
		why = "--ns-to has more '*' than --ns-from";
	else if (stars(to, td) > stars(from, fd))
		why = "a '*' of the database part of --ns-to would receive "
		    "part of a collection name";
	else if (strchr(td + 1, '$') != NULL)
		why = "the collection part of --ns-to holds a $";
	else if (td[1] == '.')
		why = "the collection part of --ns-to starts with a dot";
	else if (strncasecmp(td + 1, "system.", 7) == 0 ||
	    is_word(to, td, "local") || is_word(to, td, "config"))
		why = "the target is a system collection or in the local or "
		    "config database";
	if (why == NULL)
		return 0;
	warn0("--ns-from %s --ns-to %s: %s", from, to, why);
	return -1;
}

/* [p, pe) with its stars replaced by cap[*k...]; a new string or NULL. */
static char *
substitute(const char *p, const char *pe, const struct cap *cap, size_t *k)
{
	const char *q;
	size_t len = 0, j = *k;
	char *out, *o;

	for (q = p; q < pe; q++)
		len += *q == '*' ? cap[j++].len : 1;
	if ((out = malloc(len + 1)) == NULL) {
		warnp("malloc");
		return NULL;
	}
	for (o = out, q = p; q < pe; q++) {
		if (*q != '*') {
			*o++ = *q;
			continue;
		}
		memcpy(o, cap[*k].s, cap[*k].len);
		o += cap[*k].len;
		(*k)++;
	}
	*o = '\0';
	return out;
}

int
mongo_ns_rename(char *const *from, char *const *to, size_t n,
    const char *db, const char *coll, char **tdb, char **tcoll)
{
	struct cap cap[CAPS_MAX];
	const char *td;
	size_t i, k = 0;

	*tdb = *tcoll = NULL;
	for (i = 0; i < n; i++) {
		if (mongo_nspat_check_pair(from[i], to[i]) != 0)
			return -1;
		if (!match_ns(from[i], db, coll, cap))
			continue;
		td = dbpart_end(to[i]);
		if ((*tdb = substitute(to[i], td, cap, &k)) == NULL ||
		    (*tcoll = substitute(td + 1, td + 1 + strlen(td + 1),
		    cap, &k)) == NULL)
			goto err;
		return 0;
	}
	if ((*tdb = strdup(db)) == NULL || (*tcoll = strdup(coll)) == NULL) {
		warnp("malloc");
		goto err;
	}
	return 0;
err:
	free(*tdb);
	*tdb = NULL;
	return -1;
}

int
db_pattern_add(const char **list, size_t *n, const char *p, const char *what)
{
	if (*n >= DB_PATTERNS_MAX) {
		warn0("too many %s (at most %d)", what, DB_PATTERNS_MAX);
		return -1;
	}
	list[(*n)++] = p;
	return 0;
}

int
mongo_ns_selected(const char *const *incl, size_t nincl,
    const char *const *excl, size_t nexcl, const char *db,
    const char *coll)
{
	size_t i;
	int ok = nincl == 0;

	for (i = 0; i < nincl && !ok; i++)
		ok = mongo_ns_match(incl[i], db, coll);
	for (i = 0; i < nexcl && ok; i++)
		ok = !mongo_ns_match(excl[i], db, coll);
	return ok;
}
