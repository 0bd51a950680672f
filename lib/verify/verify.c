/*
 * verify/verify.c - bk-verify's run: the backups under every prefix are
 * gathered (copies of one backup, the same name below each prefix's
 * directory, become one item), the copies compared across prefixes, the
 * backups to check in depth chosen (all; --sample at random; --state:
 * new ones and a rotating share of the rest), each checked, the newest of
 * each kind held against --max-age, and every backup printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bk.h"
#include "vec.h"
#include "store/catalog.h"
#include "store/manifest.h"
#include "store/store.h"
#include "verify/vpriv.h"

/* An object as the prefix's listing shows it. */
struct lobj {
	char *key;
	uint64_t size;
	int64_t mtime;
};

/* One copy found, before the copies of a name are merged. */
struct found {
	char *rel;
	int k;
	char kind[32];
	struct vcopy c;
};

struct gather {
	struct store *s;
	int k;
	size_t plen;		/* the prefix's directory part */
	struct vec objs;	/* struct lobj, sorted by key */
	struct vec *found;	/* struct found */
};

int
vitem_problem(struct vitem *e, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	if (vec_grow(&e->problems, &e->capproblems, e->nproblems,
	    sizeof(*e->problems)) != 0)
		return -1;
	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0) {
		warnp("malloc");
		return -1;
	}
	e->problems[e->nproblems++] = p;
	return 0;
}

static int
cmp_lobj(const void *a, const void *b)
{
	return strcmp(((const struct lobj *)a)->key,
	    ((const struct lobj *)b)->key);
}

static int
list_fn(const struct store_obj *so, void *arg)
{
	struct gather *g = arg;
	struct lobj *o;

	if ((o = vec_push(&g->objs)) == NULL)
		return BK_FAIL;
	if ((o->key = strdup(so->key)) == NULL) {
		warnp("malloc");
		return BK_FAIL;
	}
	o->size = so->size;
	o->mtime = so->mtime;
	return 0;
}

static struct lobj *
find_obj(const struct gather *g, const char *key)
{
	struct lobj k = { (char *)key, 0, 0 };

	if (g->objs.n == 0)
		return NULL;
	return bsearch(&k, g->objs.v, g->objs.n, sizeof(k), cmp_lobj);
}

/* A copy of key (a data object's) into the gathered list. */
static struct found *
add_found(struct gather *g, const char *key)
{
	struct found *f;
	struct lobj *o;
	char *sum;

	if ((f = vec_push(g->found)) == NULL)
		return NULL;
	f->k = g->k;
	if ((f->rel = strdup(strncmp(key, g->s->u.key, g->plen) == 0 ?
	    key + g->plen : key)) == NULL || (f->c.key = strdup(key)) ==
	    NULL || asprintf(&sum, "%s%s", key, CATALOG_SUM_SUFFIX) < 0) {
		warnp("malloc");
		return NULL;
	}
	if ((f->c.url = store_url_for(&g->s->u, key)) == NULL) {
		free(sum);
		return NULL;
	}
	if ((o = find_obj(g, key)) != NULL) {
		f->c.have_obj = 1;
		f->c.objsize = o->size;
		f->c.mtime = o->mtime;
	}
	f->c.have_sum = find_obj(g, sum) != NULL;
	free(sum);
	return f;
}

static int
backup_fn(const struct catalog_backup *b, void *arg)
{
	struct gather *g = arg;
	struct found *f;

	/* An unfinished upload is no backup (bk-prune cleans them). */
	if (strcmp(b->class, "MULTIPART") == 0 && !b->committed)
		return 0;
	if ((f = add_found(g, b->name)) == NULL)
		return BK_FAIL;
	f->c.committed = b->committed;
	f->c.damaged = b->damaged;
	f->c.size = b->size;
	snprintf(f->c.sha256, sizeof(f->c.sha256), "%s", b->sha256);
	snprintf(f->c.created, sizeof(f->c.created), "%s", b->created);
	snprintf(f->kind, sizeof(f->kind), "%s", b->kind);
	return 0;
}

/*
 * A manifest whose data object is gone: the listing of backups (data
 * objects) never shows it, but it is a committed backup that cannot be
 * restored.
 */
static int
orphan(struct gather *g, const char *mkey)
{
	size_t dlen = strlen(mkey) - strlen(CATALOG_MANIFEST_SUFFIX), len;
	struct manifest m;
	struct found *f;
	char *key, *json = NULL;
	int rc;

	if ((key = strndup(mkey, dlen)) == NULL) {
		warnp("malloc");
		return BK_FAIL;
	}
	if (find_obj(g, key) != NULL) {
		free(key);
		return BK_OK;
	}
	f = add_found(g, key);
	free(key);
	if (f == NULL)
		return BK_FAIL;
	rc = store_get_small(g->s, mkey, STORE_SMALL_MAX, &json, &len);
	if (rc == BK_RETRY) {
		free(json);
		return rc;
	}
	if (rc != BK_OK || manifest_parse(json, len, mkey, &m) != 0)
		f->c.damaged = 1;
	else {
		f->c.committed = 1;
		f->c.size = m.size;
		memcpy(f->c.sha256, m.sha256, sizeof(f->c.sha256));
		memcpy(f->c.created, m.created, sizeof(f->c.created));
		memcpy(f->kind, m.kindbuf, sizeof(f->kind));
	}
	free(json);
	return BK_OK;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcmp(s + n - m, suf) == 0;
}

/* Gather the copies under store k's prefix into found. */
static int
gather_store(struct store *s, int k, struct vec *found)
{
	const char *slash = strrchr(s->u.key, '/');
	struct gather g = { s, k, slash ? (size_t)(slash - s->u.key) + 1 : 0,
	    { 0 }, found };
	struct lobj *o;
	size_t i;
	int rc;

	vec_init(&g.objs, sizeof(struct lobj));
	rc = store_list(s, s->u.key, list_fn, &g);
	if (rc == BK_OK && g.objs.n > 0)
		qsort(g.objs.v, g.objs.n, sizeof(struct lobj), cmp_lobj);
	if (rc == BK_OK)
		rc = catalog_backups(s, backup_fn, &g);
	for (i = 0; rc == BK_OK && i < g.objs.n; i++) {
		o = vec_at(&g.objs, i);
		if (has_suffix(o->key, CATALOG_MANIFEST_SUFFIX))
			rc = orphan(&g, o->key);
	}
	for (i = 0; i < g.objs.n; i++)
		free(((struct lobj *)vec_at(&g.objs, i))->key);
	vec_free(&g.objs);
	return rc == BK_OK || rc == BK_RETRY ? rc : BK_FAIL;
}

static int
cmp_found(const void *a, const void *b)
{
	const struct found *x = a, *y = b;
	int d = strcmp(x->rel, y->rel);

	return d != 0 ? d : x->k - y->k;
}

static int
cmp_item(const void *a, const void *b)
{
	const struct vitem *x = a, *y = b;
	int d = strcmp(x->created, y->created);

	return d != 0 ? d : strcmp(x->rel, y->rel);
}

/* The copies of each name as one item, oldest first. */
static int
merge(struct vec *found, int n, struct vec *items)
{
	struct found *f;
	struct vitem *e = NULL;
	size_t i;

	if (found->n > 0)
		qsort(found->v, found->n, sizeof(struct found), cmp_found);
	for (i = 0; i < found->n; i++) {
		f = vec_at(found, i);
		if (e == NULL || strcmp(e->rel, f->rel) != 0) {
			if ((e = vec_push(items)) == NULL)
				return BK_FAIL;
			e->level = -1;
			if ((e->c = calloc((size_t)n, sizeof(*e->c))) == NULL) {
				warnp("malloc");
				return BK_FAIL;
			}
			e->rel = f->rel;
			f->rel = NULL;
		}
		free(f->rel);
		f->rel = NULL;
		if (e->c[f->k].key != NULL)	/* the same name twice */
			continue;
		e->c[f->k] = f->c;
		memset(&f->c, 0, sizeof(f->c));
		if (e->c[f->k].committed || e->kind[0] == '\0')
			memcpy(e->kind, f->kind, sizeof(e->kind));
		if (e->created[0] == '\0' || (e->c[f->k].committed &&
		    strcmp(e->c[f->k].created, e->created) < 0))
			memcpy(e->created, e->c[f->k].created,
			    sizeof(e->created));
	}
	if (items->n > 0)
		qsort(items->v, items->n, sizeof(struct vitem), cmp_item);
	return BK_OK;
}

static void
free_found(struct vec *found)
{
	struct found *f;
	size_t i;

	for (i = 0; i < found->n; i++) {
		f = vec_at(found, i);
		free(f->rel);
		free(f->c.key);
		free(f->c.url);
	}
	vec_free(found);
}

static void
free_items(struct vec *items, int n)
{
	struct vitem *e;
	size_t i, j;
	int k;

	for (i = 0; i < items->n; i++) {
		e = vec_at(items, i);
		for (k = 0; e->c != NULL && k < n; k++) {
			free(e->c[k].key);
			free(e->c[k].url);
		}
		for (j = 0; j < e->nproblems; j++)
			free(e->problems[j]);
		free(e->problems);
		free(e->c);
		free(e->rel);
	}
	vec_free(items);
}

/* Is the item committed in at least one store? */
static int
committed(const struct vitem *e, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (e->c[k].key != NULL && e->c[k].committed)
			return 1;
	return 0;
}

/* The first committed copy: what the others are compared with. */
static const struct vcopy *
first_committed(const struct vitem *e, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (e->c[k].key != NULL && e->c[k].committed)
			return &e->c[k];
	return NULL;
}

/* A committed backup must be in every region, the same there. */
static int
compare_regions(struct store **st, struct vitem *e, int n)
{
	const struct vcopy *p = first_committed(e, n), *c;
	int k, rc;

	for (k = 0; p != NULL && k < n; k++) {
		c = &e->c[k];
		if (c == p)
			continue;
		if (c->key == NULL)
			rc = vitem_problem(e, "missing in %s (held by %s)",
			    st[k]->u.url, p->url);
		else if (!c->committed && !c->damaged)
			rc = vitem_problem(e, "%s: not committed (no "
			    "manifest), while %s is", c->url, p->url);
		else if (c->committed && (c->size != p->size ||
		    strcmp(c->sha256, p->sha256) != 0))
			rc = vitem_problem(e, "%s differs from %s: size %llu "
			    "sha256 %s against size %llu sha256 %s", c->url,
			    p->url, (unsigned long long)c->size, c->sha256,
			    (unsigned long long)p->size, p->sha256);
		else
			rc = 0;
		if (rc != 0)
			return -1;
	}
	return 0;
}

static uint64_t
share_of(uint64_t n, const struct verify_opts *o, uint64_t dflt)
{
	if (o->sample >= 0)
		return (uint64_t)o->sample < n ? (uint64_t)o->sample : n;
	if (o->sample_pct >= 0)
		return (n * (uint64_t)o->sample_pct + 99) / 100;
	return dflt;
}

/* --sample: pick k of the candidate items idx[0..m) at random. */
static void
pick_random(struct vitem **cand, size_t m, uint64_t k)
{
	size_t i, j;
	struct vitem *t;

	srandom((unsigned)time(NULL) ^ ((unsigned)getpid() << 16));
	for (i = 0; i < m && i < k; i++) {
		j = i + (size_t)random() % (m - i);
		t = cand[i];
		cand[i] = cand[j];
		cand[j] = t;
		cand[i]->picked = 1;
	}
}

/*
 * When was e last verified at o's level or deeper, with its copies as
 * they are now?  "" when one of its copies never was (or was found bad).
 */
static const char *
last_verified(struct vitem *e, int n, struct vstate *vs,
    const struct verify_opts *o)
{
	struct vstate_line *l;
	const char *oldest = NULL;
	int k;

	for (k = 0; k < n; k++) {
		if (e->c[k].key == NULL || !e->c[k].committed)
			continue;
		l = vstate_find(vs, e->c[k].url);
		if (l == NULL || strcmp(l->sha256, e->c[k].sha256) != 0 ||
		    verify_parse_level(l->level) < (int)o->level ||
		    strcmp(l->result, "ok") != 0)
			return "";
		if (oldest == NULL || strcmp(l->at, oldest) < 0)
			oldest = l->at;
	}
	return oldest ? oldest : "";
}

struct aged {
	struct vitem *e;
	const char *at;
};

static int
cmp_aged(const void *a, const void *b)
{
	return strcmp(((const struct aged *)a)->at,
	    ((const struct aged *)b)->at);
}

/*
 * --state: every backup not yet verified at the level is picked, and of
 * the others a share (--sample, else a seventh: a week's daily runs go
 * round them all), those verified longest ago.
 */
static int
pick_state(struct vitem **cand, size_t m, int n, struct vstate *vs,
    const struct verify_opts *o)
{
	struct aged *a;
	size_t i, na = 0;
	uint64_t k;

	if ((a = calloc(m + 1, sizeof(*a))) == NULL) {
		warnp("malloc");
		return -1;
	}
	for (i = 0; i < m; i++) {
		a[na].at = last_verified(cand[i], n, vs, o);
		if (a[na].at[0] == '\0')
			cand[i]->picked = 1;
		else
			a[na++].e = cand[i];
	}
	qsort(a, na, sizeof(*a), cmp_aged);
	k = share_of(na, o, (na + 6) / 7);
	for (i = 0; i < na && i < k; i++)
		a[i].e->picked = 1;
	free(a);
	return 0;
}

/* Which committed backups get the level's check (the rest: quick). */
static int
pick(struct vec *items, int n, struct vstate *vs,
    const struct verify_opts *o)
{
	struct vitem **cand, *e;
	size_t i, m = 0;
	int rc = 0;

	if ((cand = calloc(items->n + 1, sizeof(*cand))) == NULL) {
		warnp("malloc");
		return -1;
	}
	for (i = 0; i < items->n; i++) {
		e = vec_at(items, i);
		if (committed(e, n))
			cand[m++] = e;
	}
	if (o->state != NULL)
		rc = pick_state(cand, m, n, vs, o);
	else if (o->sample >= 0 || o->sample_pct >= 0)
		pick_random(cand, m, share_of(m, o, m));
	else
		for (i = 0; i < m; i++)
			cand[i]->picked = 1;
	free(cand);
	return rc;
}

static void
now_text(int64_t now, char *buf, size_t len)
{
	time_t t = (time_t)now;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Check every copy of e; the state learns each copy's outcome. */
static int
check_item(struct store **st, struct vitem *e, int n, struct vstate *vs,
    const struct verify_opts *o)
{
	int k, level, rc = BK_OK, r, bad;
	size_t before;
	char at[32];

	level = e->picked ? (int)o->level : VERIFY_QUICK;
	now_text(o->now, at, sizeof(at));
	for (k = 0; k < n; k++) {
		if (e->c[k].key == NULL || !e->c[k].committed)
			continue;
		before = e->nproblems;
		r = vcheck_copy(st[k], e, &e->c[k], level, o, n > 1);
		if (r != BK_OK) {
			rc = r;
			e->result = VR_ERROR;
			continue;
		}
		/*
		 * The state learns of every check at the level, of a copy
		 * it never saw, and of any copy found bad (so that a quick
		 * check's finding is not hidden by an older "ok").
		 */
		bad = e->nproblems > before;
		if (o->state != NULL && (e->picked || bad || vstate_find(vs,
		    e->c[k].url) == NULL) && vstate_set(vs, e->c[k].url,
		    e->c[k].sha256, verify_level_name(level), at, bad ? "bad" :
		    "ok") != 0)
			return BK_FAIL;
	}
	e->level = level;
	return rc;
}

/* The result of an item from what was found; a bk_result. */
static int
judge(struct store **st, struct vitem *e, int n)
{
	int k;

	if (!committed(e, n)) {
		for (k = 0; k < n; k++)
			if (e->c[k].key != NULL && e->c[k].damaged)
				break;
		if (k == n) {
			e->result = VR_INCOMPLETE;
			return 0;
		}
	}
	for (k = 0; k < n; k++)
		if (e->c[k].key != NULL && e->c[k].damaged &&
		    vitem_problem(e, "%s: manifest %s%s cannot be read or "
		    "parsed", e->c[k].url, e->rel, CATALOG_MANIFEST_SUFFIX) != 0)
			return -1;
	return compare_regions(st, e, n);
}

static int64_t
iso_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return -1;
	return (int64_t)timegm(&tm);
}

/* An age: "29h05m", "12m30s". */
static void
fmt_age(char *buf, size_t len, int64_t secs)
{
	if (secs >= 3600)
		snprintf(buf, len, "%lldh%02lldm", (long long)(secs / 3600),
		    (long long)(secs % 3600 / 60));
	else
		snprintf(buf, len, "%lldm%02llds", (long long)(secs / 60),
		    (long long)(secs % 60));
}

/*
 * The newest committed backup of kind that is not in the future (a host
 * with a clock ahead must not make a kind look fresh until that time), or
 * NULL; *future counts those skipped.
 */
static struct vitem *
newest_of(struct vec *items, int n, const char *kind, int64_t now,
    int *future)
{
	struct vitem *e;
	size_t j;

	*future = 0;
	for (j = items->n; j-- > 0;) {
		e = vec_at(items, j);
		if (!committed(e, n) || strcmp(e->kind, kind) != 0)
			continue;
		if (iso_time(e->created) <= now)
			return e;
		(*future)++;
	}
	return NULL;
}

/* Hold the newest backup of kind against the limit m; a bk_result. */
static int
age_kind(struct vec *items, int n, const char *kind,
    const struct verify_maxage *m, const struct verify_opts *o)
{
	struct vitem *e;
	char age[32];
	int64_t t;
	int future;

	e = newest_of(items, n, kind, o->now, &future);
	if (future > 0)
		warn0("%d committed %s backup%s from the future (created "
		    "after now), not counted by --max-age", future, kind,
		    future == 1 ? "" : "s");
	if (e == NULL) {
		warn0("no committed %s backup (--max-age %s=%s)", kind, kind,
		    m->text);
		return BK_NEGATIVE;
	}
	t = iso_time(e->created);
	if (t < 0 || o->now - t <= m->secs)
		return BK_OK;
	fmt_age(age, sizeof(age), o->now - t);
	if (vitem_problem(e, "stale: the newest %s backup is %s old "
	    "(--max-age %s)", kind[0] ? kind : "(no kind)", age,
	    m->text) != 0)
		return BK_FAIL;
	if (e->result == VR_OK)
		e->result = VR_STALE;
	return BK_OK;
}

/*
 * --max-age: the newest committed backup of each kind named, or of every
 * kind found for a bare DURATION, must be younger.  A kind named with no
 * committed backup (or none at all, bare) is a finding, reported.
 */
static int
check_ages(struct vec *items, int n, const struct verify_opts *o)
{
	struct vitem *e;
	struct strset seen;
	int i, rc = BK_OK, r;
	size_t j;

	for (i = 0; i < o->nmaxage; i++) {
		if (o->maxage[i].kind[0] != '\0') {
			r = age_kind(items, n, o->maxage[i].kind,
			    &o->maxage[i], o);
			rc = r == BK_FAIL ? r : rc == BK_OK ? r : rc;
			continue;
		}
		strset_init(&seen, 0);
		for (j = items->n; j-- > 0;) {
			e = vec_at(items, j);
			if (!committed(e, n) || (r = strset_add(&seen,
			    e->kind)) == 0)
				continue;
			if (r < 0 || (r = age_kind(items, n, e->kind,
			    &o->maxage[i], o)) == BK_FAIL) {
				strset_free(&seen);
				return BK_FAIL;
			}
		}
		if (seen.n == 0) {
			warn0("no committed backup (--max-age)");
			rc = BK_NEGATIVE;
		}
		strset_free(&seen);
	}
	return rc;
}

/* Check, judge and count every item; a bk_result. */
static int
check_all(struct store **st, struct vec *items, int n, struct vstate *vs,
    const struct verify_opts *o)
{
	struct vitem *e;
	size_t i;
	int rc = BK_OK;

	for (i = 0; i < items->n; i++) {
		e = vec_at(items, i);
		if (judge(st, e, n) != 0)
			return BK_FAIL;
		if (e->result == VR_INCOMPLETE)
			continue;
		rc = bk_result_worse(rc, check_item(st, e, n, vs, o));
		if (e->result == VR_OK && e->nproblems > 0)
			e->result = VR_BAD;
	}
	return rc;
}

/* Print every item and count the results into sum. */
static int
report(FILE *out, struct vec *items, int n, const struct verify_opts *o,
    struct verify_summary *sum)
{
	struct vitem *e;
	size_t i;

	if (!o->json && vreport_head(out) != 0)
		return BK_FAIL;
	for (i = 0; i < items->n; i++) {
		e = vec_at(items, i);
		sum->backups++;
		sum->ok += e->result == VR_OK;
		sum->bad += e->result == VR_BAD;
		sum->stale += e->result == VR_STALE;
		sum->incomplete += e->result == VR_INCOMPLETE;
		sum->errors += e->result == VR_ERROR;
		sum->checked += e->picked && e->result != VR_ERROR;
		if (e->result == VR_ERROR)
			warn0("%s: %s", e->rel, e->nproblems ?
			    e->problems[e->nproblems - 1] : "failed");
		if (vreport_item(out, e, n, o->json) != 0)
			return BK_FAIL;
	}
	if (fflush(out) != 0) {
		warnp("<stdout>");
		return BK_FAIL;
	}
	return BK_OK;
}

/* Does url lie under the prefix of s (both without their query)? */
static int
under(const char *url, struct store *s)
{
	char *p;
	size_t plen, ulen = strcspn(url, "?");
	int in;

	if ((p = store_url_for(&s->u, s->u.key)) == NULL)
		return -1;
	plen = strcspn(p, "?");
	in = ulen >= plen && strncmp(url, p, plen) == 0;
	free(p);
	return in;
}

/*
 * Write the state: the lines of the copies listed now, and those of
 * other prefixes (a state file shared by runs over different prefixes
 * keeps them all); a line under these prefixes whose copy is gone is
 * dropped.
 */
static int
save_state(struct store **st, struct vec *items, int n, struct vstate *vs,
    const char *path)
{
	struct vstate_line *l;
	struct vitem *e;
	size_t i;
	int k, r;

	for (i = 0; i < items->n; i++) {
		e = vec_at(items, i);
		for (k = 0; k < n; k++)
			if (e->c[k].key != NULL && (l = vstate_find(vs,
			    e->c[k].url)) != NULL)
				l->keep = 1;
	}
	for (i = 0; i < vs->n; i++) {
		for (k = 0, r = 0; !vs->l[i].keep && r == 0 && k < n; k++)
			if ((r = under(vs->l[i].url, st[k])) < 0)
				return BK_FAIL;
		if (!vs->l[i].keep && r == 0)
			vs->l[i].keep = 1;
	}
	return vstate_save(path, vs) == 0 ? BK_OK : BK_FAIL;
}

int
verify_run(struct store **st, int n, const struct verify_opts *o,
    FILE *out, struct verify_summary *sum)
{
	struct vec found, items;
	struct vstate vs = { NULL, 0, 0, NULL, 0 };
	int k, rc = BK_OK, r;

	memset(sum, 0, sizeof(*sum));
	vec_init(&found, sizeof(struct found));
	vec_init(&items, sizeof(struct vitem));
	if (o->state != NULL && (rc = vstate_load(o->state, &vs)) != BK_OK)
		goto out;
	for (k = 0; k < n; k++)
		rc = bk_result_worse(rc, gather_store(st[k], k, &found));
	/* A prefix that cannot be listed would make every copy "missing". */
	if (rc != BK_OK || (rc = merge(&found, n, &items)) != BK_OK ||
	    pick(&items, n, &vs, o) != 0) {
		rc = rc == BK_OK ? BK_FAIL : rc;
		goto out;
	}
	bk_set_quiet(1);
	rc = check_all(st, &items, n, &vs, o);
	bk_set_quiet(0);
	if (rc == BK_FAIL && items.n == 0)
		goto out;
	if ((r = check_ages(&items, n, o)) != BK_OK)
		rc = bk_result_worse(rc, r);
	rc = bk_result_worse(rc, report(out, &items, n, o, sum));
	if (sum->bad + sum->stale > 0)
		rc = bk_result_worse(rc, BK_NEGATIVE);
	if (o->state != NULL && rc != BK_RETRY)
		rc = bk_result_worse(rc, save_state(st, &items, n, &vs,
		    o->state));
out:
	bk_set_quiet(0);
	vstate_free(&vs);
	free_found(&found);
	free_items(&items, n);
	return rc;
}
