/*
 * prune/prune.c - bk-prune's run (prune.h): list, plan per kind, the
 * safety rules, then (with apply) the removals, each backup manifest
 * first, then sidecar, then data, so that a prune killed at any point
 * leaves no committed backup without its data.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson/bson.h>

#include "bk.h"
#include "vec.h"
#include "prune/lock.h"
#include "prune/prune.h"
#include "prune/state.h"
#include "store/catalog.h"
#include "store/store.h"

#define WHY_MAX 512

/* One backup under the prefix. */
struct bkp {
	char *key, *url, *kind, *created;
	char sha256[65];
	int committed, damaged, multipart;
	int64_t t, age;
	int keep;		/* the plan's final word */
	char why[WHY_MAX];	/* its reasons */
	int longest;		/* ret_longest, for the tag */
};

struct run {
	const struct prune_opts *o;
	struct store *s;
	struct state *state;
	struct bkp *b;
	size_t n, cap;
	char stamp[20];		/* this run, "YYYYMMDDTHHMMSSZ" */
	FILE *out;
	size_t kept, removed, failed, locked, incomplete, plan_remove;
	int apply;		/* o->apply, unless the plan was refused */
};

static void
bkp_free(struct bkp *b)
{
	free(b->key);
	free(b->url);
	free(b->kind);
	free(b->created);
}

/* Add a word to b's reasons. */
static void
add_why(struct bkp *b, const char *fmt, const char *arg)
{
	size_t o = strlen(b->why);

	if (o > 0 && o < sizeof(b->why))
		o += (size_t)snprintf(b->why + o, sizeof(b->why) - o, ", ");
	if (o < sizeof(b->why))
		snprintf(b->why + o, sizeof(b->why) - o, fmt, arg);
}

/* Lock files and trash are no backups. */
static int
is_meta(const char *key)
{
	const char *slash = strrchr(key, '/');

	return strncmp(slash ? slash + 1 : key, ".bk-", 4) == 0;
}

static int
collect(const struct catalog_backup *cb, void *arg)
{
	struct run *r = arg;
	struct bkp *b;

	if (vec_grow(&r->b, &r->cap, r->n, sizeof(*r->b)) != 0)
		return BK_FAIL;
	b = &r->b[r->n];
	memset(b, 0, sizeof(*b));
	b->key = strdup(cb->name);
	b->url = store_url_for(&r->s->u, cb->name);
	b->kind = strdup(cb->kind[0] != '\0' ? cb->kind : "-");
	b->created = strdup(cb->created);
	if (b->key == NULL || b->url == NULL || b->kind == NULL ||
	    b->created == NULL) {
		warnp("malloc");
		bkp_free(b);
		return BK_FAIL;
	}
	snprintf(b->sha256, sizeof(b->sha256), "%s", cb->sha256);
	b->committed = cb->committed;
	b->damaged = cb->damaged;
	b->multipart = strcmp(cb->class, "MULTIPART") == 0;
	b->age = cb->age;
	b->keep = 1;
	if (b->committed && ret_parse_time(cb->created, &b->t) != 0) {
		/* A time we cannot read: never planned away. */
		warn0("%s: created %s is not a time; kept", b->url,
		    cb->created);
		b->committed = 0;
		b->damaged = 1;
	}
	r->n++;
	return 0;
}

/* Is b verified (ok at level full or deep, same SHA-256)? */
static int
verified(const struct run *r, const struct bkp *b)
{
	const struct state_entry *e = state_find(r->state, b->url);

	return e != NULL && e->verified && strcmp(e->sha256, b->sha256) == 0;
}

/* The safety rules for the committed backups of one kind, newest first. */
static void
safety(struct run *r, struct bkp **g, size_t n)
{
	int64_t tv = INT64_MIN;
	size_t i;

	if (n == 0)
		return;
	if (!g[0]->keep)
		add_why(g[0], "%s", "safety: the newest of its kind");
	g[0]->keep = 1;
	if (r->state == NULL)
		return;
	for (i = 0; i < n && tv == INT64_MIN; i++)
		if (verified(r, g[i]))
			tv = g[i]->t;
	for (i = 0; i < n; i++) {
		if (g[i]->keep || g[i]->t < tv)
			continue;
		g[i]->keep = 1;
		add_why(g[i], "%s", tv == INT64_MIN ?
		    "safety: nothing of its kind verified yet" :
		    g[i]->t == tv ? "safety: the newest verified" :
		    "safety: newer than the newest verified");
	}
}

/* Plan the committed backups of kind; fills keep and why. */
static int
plan_kind(struct run *r, const char *kind, size_t *nk, size_t *nrm)
{
	struct ret_item *it = NULL;
	struct bkp **g = NULL, *b;
	size_t i, n = 0;
	int rc = BK_FAIL;

	if ((it = calloc(r->n, sizeof(*it))) == NULL ||
	    (g = calloc(r->n, sizeof(*g))) == NULL) {
		warnp("malloc");
		goto out;
	}
	for (i = 0; i < r->n; i++)
		if (r->b[i].committed && strcmp(r->b[i].kind, kind) == 0) {
			it[n].t = r->b[i].t;
			it[n++].ref = &r->b[i];
		}
	if (ret_plan(&r->o->pol, it, n, r->o->now) != 0)
		goto out;
	*nk = n;
	*nrm = 0;
	for (i = 0; i < n; i++) {
		b = g[i] = it[i].ref;
		b->keep = it[i].keep;
		b->longest = ret_longest(&it[i]);
		ret_reasons(&it[i], b->why, sizeof(b->why));
	}
	safety(r, g, n);
	for (i = 0; i < n; i++)
		*nrm += !g[i]->keep;
	rc = BK_OK;
out:
	free(it);
	free(g);
	return rc;
}

static int
cmp_bkp(const void *a, const void *b)
{
	const struct bkp *x = a, *y = b;
	int k = strcmp(x->kind, y->kind);

	if (k != 0)
		return k;
	if (x->t != y->t)
		return x->t < y->t ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Every kind planned; refused when a kind would lose too many. */
static int
plan_all(struct run *r)
{
	size_t i, j, nk, nrm;
	int rc = BK_OK;

	if (r->n > 0)
		qsort(r->b, r->n, sizeof(*r->b), cmp_bkp);
	for (i = 0; i < r->n; i = j) {
		for (j = i; j < r->n && strcmp(r->b[j].kind, r->b[i].kind) ==
		    0; j++)
			;
		if (plan_kind(r, r->b[i].kind, &nk, &nrm) != BK_OK)
			return BK_FAIL;
		if (nk == 0)
			continue;
		r->plan_remove += nrm;
		if (!r->o->json)
			fprintf(r->out, "kind %s under %s: %zu committed, keep "
			    "%zu, remove %zu\n", r->b[i].kind, r->o->url, nk,
			    nk - nrm, nrm);
		if (nk > 0 && nrm * 100 > nk * (size_t)r->o->max_remove &&
		    !r->o->force) {
			warn0("kind %s under %s: the plan removes %zu of %zu "
			    "backups, more than --max-remove %d%%; refused "
			    "(--force to go ahead)", r->b[i].kind, r->o->url,
			    nrm, nk, r->o->max_remove);
			rc = BK_NEGATIVE;
		}
	}
	return rc;
}

/* A listing with nothing where the state knows of backups looks wrong. */
static int
check_listing(struct run *r)
{
	size_t i, committed = 0, known;
	char *dir;

	for (i = 0; i < r->n; i++)
		committed += r->b[i].committed;
	if (r->state == NULL || committed > 0 || r->o->force)
		return BK_OK;
	if ((dir = store_url_for(&r->s->u, r->s->u.key)) == NULL)
		return BK_FAIL;
	dir[strcspn(dir, "?")] = '\0';
	known = state_count_under(r->state, dir);
	free(dir);
	if (known == 0)
		return BK_OK;
	warn0("%s: no committed backups listed, but the state file knows of "
	    "%zu; the listing looks wrong (wrong prefix or credentials?); "
	    "refused (--force to go ahead)", r->o->url, known);
	return BK_NEGATIVE;
}

/* Text or JSON line for b. */
static void
print_bkp(struct run *r, const struct bkp *b, const char *action)
{
	char *json, *p, *q;
	bson_t *doc, arr;
	char idx[16];
	int k = 0;

	if (!r->o->json) {
		fprintf(r->out, "%-6s %s %s %s%s%s\n", action, b->kind,
		    b->created, b->url, b->why[0] ? ": " : "", b->why);
		return;
	}
	doc = bson_new();
	BSON_APPEND_UTF8(doc, "name", strrchr(b->key, '/') ?
	    strrchr(b->key, '/') + 1 : b->key);
	BSON_APPEND_UTF8(doc, "url", b->url);
	BSON_APPEND_UTF8(doc, "kind", b->kind);
	BSON_APPEND_UTF8(doc, "created", b->created);
	BSON_APPEND_UTF8(doc, "action", action);
	BSON_APPEND_ARRAY_BEGIN(doc, "reasons", &arr);
	for (p = (char *)b->why; *p != '\0'; p = q) {
		q = strstr(p, ", ");
		snprintf(idx, sizeof(idx), "%d", k++);
		bson_append_utf8(&arr, idx, -1, p, q ? (int)(q - p) : -1);
		q = q ? q + 2 : p + strlen(p);
	}
	bson_append_array_end(doc, &arr);
	if ((json = bson_as_relaxed_extended_json(doc, NULL)) != NULL)
		fprintf(r->out, "%s\n", json);
	bson_free(json);
	bson_destroy(doc);
}

/* Under object lock (data or manifest)?  Then kept, and said so. */
static int
check_lock(struct run *r, struct bkp *b)
{
	char mkey[2048], when[32];
	int64_t until, u2;
	struct tm tm;
	time_t t;
	int rc;

	snprintf(mkey, sizeof(mkey), "%s%s", b->key, CATALOG_MANIFEST_SUFFIX);
	if ((rc = store_lock_until(r->s, b->key, &until)) != BK_OK ||
	    (rc = store_lock_until(r->s, mkey, &u2)) != BK_OK)
		return rc;
	if (u2 > until)
		until = u2;
	if (until <= r->o->now)
		return BK_OK;
	b->keep = 1;
	r->locked++;
	if (until == INT64_MAX) {
		add_why(b, "%s", "object lock: legal hold");
		return BK_OK;
	}
	t = (time_t)until;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	add_why(b, "object lock until %s", when);
	return BK_OK;
}

/*
 * BK_PRUNE_TEST_KILL=n (bk-prune(1), for the crash tests): SIGKILL
 * after the n-th object removed, a crash at an exact point.
 */
static void
test_kill_point(void)
{
	static long left = -2;
	const char *e;

	if (left == -2)
		left = (e = getenv("BK_PRUNE_TEST_KILL")) != NULL ?
		    strtol(e, NULL, 10) : -1;
	if (left > 0 && --left == 0)
		raise(SIGKILL);
}

/* Remove b's objects: manifest first (the commit undone), data last. */
static int
remove_bkp(struct run *r, const struct bkp *b)
{
	static const char *const suffix[] = { CATALOG_MANIFEST_SUFFIX,
	    CATALOG_SUM_SUFFIX, "" };
	char key[2048];
	int i, kept, rc = BK_OK;

	for (i = 0; i < 3 && rc == BK_OK; i++) {
		snprintf(key, sizeof(key), "%s%s", b->key, suffix[i]);
		rc = store_remove_keep(r->s, key, r->stamp, &kept);
		test_kill_point();
	}
	return rc;
}

/* Print the plan; with apply, carry it out.  The worst result. */
static int
carry_out(struct run *r)
{
	struct bkp *b;
	size_t i;
	int rc, worst = BK_OK;

	for (i = 0; i < r->n; i++) {
		b = &r->b[i];
		if (!b->committed)
			continue;
		if (!b->keep && (rc = check_lock(r, b)) != BK_OK)
			return rc;
		print_bkp(r, b, b->keep ? "keep" : "remove");
		if (b->keep) {
			r->kept++;
			if (r->apply && r->o->tag && b->longest >= 0 &&
			    store_tag(r->s, b->key, "bk-retain",
			    ret_rule_name(b->longest)) != BK_OK)
				worst = BK_FAIL;
			continue;
		}
		if (!r->apply)
			continue;
		if ((rc = remove_bkp(r, b)) != BK_OK) {
			r->failed++;
			if (rc == BK_RETRY || worst == BK_OK)
				worst = rc;
			continue;
		}
		r->removed++;
	}
	return worst;
}

/* Incomplete backups past their grace, unfinished uploads, old trash. */
static int
clean_up(struct run *r)
{
	const struct prune_opts *o = r->o;
	char key[2048], before[20];
	struct tm tm;
	time_t t;
	size_t i;
	int kept, n, rc = BK_OK;

	for (i = 0; i < r->n && rc == BK_OK; i++) {
		struct bkp *b = &r->b[i];

		if (b->committed || b->damaged || b->multipart ||
		    b->age < o->incomplete_grace)
			continue;
		if (!o->json)
			fprintf(r->out, "incomplete %s: %s\n", b->url,
			    r->apply ? "removed" : "would be removed");
		if (!r->apply)
			continue;
		snprintf(key, sizeof(key), "%s%s", b->key, CATALOG_SUM_SUFFIX);
		if ((rc = store_remove_keep(r->s, key, r->stamp, &kept)) ==
		    BK_OK && (rc = store_remove_keep(r->s, b->key, r->stamp,
		    &kept)) == BK_OK)
			r->incomplete++;
	}
	if (rc != BK_OK || !r->apply)
		return rc;
	if ((rc = store_abort_uploads(r->s, r->s->u.key, o->now -
	    o->upload_grace, &n)) == BK_OK && n > 0 && !o->json)
		fprintf(r->out, "aborted %d unfinished uploads\n", n);
	t = (time_t)(o->now - o->grace);
	gmtime_r(&t, &tm);
	strftime(before, sizeof(before), "%Y%m%dT%H%M%SZ", &tm);
	if (rc == BK_OK && (rc = store_trash_purge(r->s, r->s->u.key,
	    before, &n)) == BK_OK && n > 0 && !o->json)
		fprintf(r->out, "emptied %d trash runs older than the grace "
		    "period\n", n);
	return rc;
}

static void
summary(const struct run *r, struct bk_status *st)
{
	bk_status_str(st, "prefix", r->o->url);
	bk_status_bool(st, "dry_run", !r->o->apply);
	bk_status_int(st, "backups", (int64_t)(r->kept + r->plan_remove));
	bk_status_int(st, "keep", (int64_t)r->kept);
	bk_status_int(st, "remove", (int64_t)(r->plan_remove - r->locked));
	bk_status_int(st, "removed", (int64_t)r->removed);
	bk_status_int(st, "locked", (int64_t)r->locked);
	bk_status_int(st, "incomplete_removed", (int64_t)r->incomplete);
	if (!r->o->json)
		fprintf(r->out, "%s: keep %zu, %s %zu%s\n", r->o->url,
		    r->kept, r->apply ? "removed" : "would remove",
		    r->apply ? r->removed : r->plan_remove - r->locked,
		    r->apply ? "" : r->o->apply ? " (refused: nothing removed)" :
		    " (a dry run: --apply to remove)");
}

/* Bring the backup named o->undo back: data, sidecar, manifest last. */
static int
undo(struct run *r)
{
	static const char *const suffix[] = { "", CATALOG_SUM_SUFFIX,
	    CATALOG_MANIFEST_SUFFIX };
	char key[2048];
	int i, rc = BK_OK, any = 0;

	if (strchr(r->o->undo, '/') != NULL || is_meta(r->o->undo)) {
		warn0("--undo %s: a backup's name under the prefix", r->o->undo);
		return BK_FAIL;
	}
	for (i = 0; i < 3 && (rc == BK_OK || rc == BK_NEGATIVE); i++) {
		snprintf(key, sizeof(key), "%s%s%s", r->s->u.key, r->o->undo,
		    suffix[i]);
		if ((rc = store_undelete(r->s, key)) == BK_OK)
			any = 1;
	}
	if (rc == BK_NEGATIVE && any)
		rc = BK_OK;
	if (rc == BK_NEGATIVE)
		warn0("%s%s: nothing to bring back (never removed, or past "
		    "the grace period)", r->o->url, r->o->undo);
	else if (rc == BK_OK)
		fprintf(r->out, "brought back %s%s\n", r->o->url, r->o->undo);
	return rc;
}

/* Everything after the lock is taken. */
static int
locked_run(struct run *r, struct bk_status *st)
{
	int rc, on, refused;

	if (r->o->undo != NULL)
		return undo(r);
	if ((rc = catalog_backups(r->s, collect, r)) != BK_OK ||
	    (rc = check_listing(r)) != BK_OK)
		return rc;
	/* A refused plan is still printed, every decision with its reasons. */
	if ((refused = plan_all(r)) == BK_FAIL)
		return BK_FAIL;
	r->apply = r->o->apply && refused == BK_OK;
	if (r->apply && r->plan_remove > 0 &&
	    (rc = store_can_undelete(r->s, &on)) == BK_OK && !on)
		warn0("%s: the bucket keeps no versions: what is removed "
		    "cannot be brought back (turn versioning on)", r->o->url);
	if (rc == BK_OK)
		rc = carry_out(r);
	if (rc == BK_OK && refused == BK_OK)
		rc = clean_up(r);
	summary(r, st);
	return rc == BK_OK ? refused : rc;
}

int
prune_run(const struct prune_opts *o, FILE *out, struct bk_status *st)
{
	struct run r = { .o = o, .out = out };
	time_t t = (time_t)o->now;
	struct tm tm;
	size_t i;
	int rc, urc;

	gmtime_r(&t, &tm);
	strftime(r.stamp, sizeof(r.stamp), "%Y%m%dT%H%M%SZ", &tm);
	if ((r.s = store_open(o->url, 0)) == NULL)
		return BK_FAIL;
	store_set_retries(r.s, o->retries);
	rc = BK_FAIL;
	if (r.s->u.key[0] != '\0' &&
	    r.s->u.key[strlen(r.s->u.key) - 1] != '/') {
		warn0("%s: a prefix ends in \"/\"", o->url);
		goto out;
	}
	if (o->state != NULL && state_read(o->state, &r.state) != 0)
		goto out;
	/* A dry run changes nothing: it needs no lock. */
	if ((o->apply || o->undo) &&
	    (rc = prune_lock(r.s, o->now, o->lock_stale, o->break_lock)) !=
	    BK_OK)
		goto out;
	rc = locked_run(&r, st);
	if ((o->apply || o->undo) && (urc = prune_unlock(r.s)) != BK_OK &&
	    rc == BK_OK)
		rc = urc;
out:
	for (i = 0; i < r.n; i++)
		bkp_free(&r.b[i]);
	free(r.b);
	state_free(r.state);
	store_close(r.s);
	return rc;
}
