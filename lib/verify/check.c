/*
 * verify/check.c - the checks of one copy of a backup: quick (manifest,
 * sidecar, size, from the listing and two small reads), full (the data
 * downloaded and hashed), deep (verify/deep.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "io/sha256.h"
#include "io/stage.h"
#include "store/catalog.h"
#include "store/store.h"
#include "verify/vpriv.h"

/* A problem of copy c: named by its URL when there are several copies. */
static int
problem(struct vitem *e, const struct vcopy *c, int multi,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
problem(struct vitem *e, const struct vcopy *c, int multi,
    const char *fmt, ...)
{
	char msg[VERIFY_PROBLEM_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vitem_problem(e, "%s%s%s", multi ? c->url : "",
	    multi ? ": " : "", msg);
}

static const char *
base_of(const char *key)
{
	const char *slash = strrchr(key, '/');

	return slash ? slash + 1 : key;
}

/* The sidecar must name the object with the manifest's digest. */
static int
check_sidecar(struct store *s, struct vitem *e, const struct vcopy *c,
    int multi)
{
	unsigned char d[BK_SHA256_LEN];
	char *key, *text = NULL, hex[65];
	size_t len;
	int rc;

	if (!c->have_sum)
		return problem(e, c, multi, "missing sidecar %s%s",
		    base_of(c->key), CATALOG_SUM_SUFFIX) == 0 ? BK_OK :
		    BK_FAIL;
	if (asprintf(&key, "%s%s", c->key, CATALOG_SUM_SUFFIX) < 0) {
		warnp("malloc");
		return BK_FAIL;
	}
	rc = store_get_small(s, key, STORE_SMALL_MAX, &text, &len);
	if (rc != BK_OK)
		rc = vitem_problem(e, "%s", bk_last_error()) == 0 ? rc :
		    BK_FAIL;
	else if (bk_sumtext_lookup(text, base_of(key), base_of(c->key),
	    d) != 0)
		rc = problem(e, c, multi, "bad sidecar: %s",
		    bk_last_error()) == 0 ? BK_OK : BK_FAIL;
	else {
		bk_hex(hex, d, sizeof(d));
		if (strcmp(hex, c->sha256) != 0 && problem(e, c, multi,
		    "sidecar %s says sha256 %s, the manifest %s",
		    base_of(key), hex, c->sha256) != 0)
			rc = BK_FAIL;
	}
	free(text);
	free(key);
	return rc;
}

static int
quick(struct store *s, struct vitem *e, const struct vcopy *c, int multi)
{
	int rc = BK_OK;

	if (!c->have_obj)
		rc = problem(e, c, multi, "data object missing (the manifest "
		    "says %llu bytes)", (unsigned long long)c->size);
	else if (c->objsize != c->size)
		rc = problem(e, c, multi, "size mismatch: the data object "
		    "holds %llu bytes, the manifest says %llu",
		    (unsigned long long)c->objsize,
		    (unsigned long long)c->size);
	if (rc != 0)
		return BK_FAIL;
	return check_sidecar(s, e, c, multi);
}

static int
to_stage(const void *buf, size_t len, void *arg)
{
	return bk_stage_write(arg, buf, len) == BK_OK ? 0 : -1;
}

/* full: download the object once, hashing it. */
static int
full(struct store *s, struct vitem *e, const struct vcopy *c,
    unsigned char sha[BK_SHA256_LEN])
{
	struct bk_stage *h;
	uint64_t off = 0;
	int archived = 0, rc;

	if ((h = bk_stage_sha256(NULL)) == NULL)
		return BK_FAIL;
	rc = store_get(s, c->key, NULL, to_stage, h, &off, -1, &archived);
	if (archived)
		warn0("%s: in an archive storage class: cannot be read until "
		    "restored (bk-get --restore)", c->url);
	if (rc == BK_OK || archived)
		rc = archived ? BK_FAIL : bk_stage_finish(h);
	if (rc == BK_OK && bk_stage_sha256_digest(h, sha) != 0)
		rc = BK_FAIL;
	if (rc != BK_OK && vitem_problem(e, "%s", bk_last_error()) != 0)
		rc = BK_FAIL;
	bk_stage_free(h);
	return rc;
}

int
vcheck_copy(struct store *s, struct vitem *e, struct vcopy *c, int level,
    const struct verify_opts *o, int multi)
{
	unsigned char sha[BK_SHA256_LEN];
	char hex[65];
	size_t before = e->nproblems;
	int rc;

	if ((rc = quick(s, e, c, multi)) != BK_OK || level == VERIFY_QUICK ||
	    !c->have_obj)
		return rc;
	/* A copy already known bad by its size is not downloaded. */
	if (e->nproblems > before && c->objsize != c->size)
		return BK_OK;
	if (level == VERIFY_DEEP)
		rc = vdeep(s, e, c, e->kind, o, sha);
	else
		rc = full(s, e, c, sha);
	if (rc != BK_OK)
		return rc;
	bk_hex(hex, sha, sizeof(sha));
	if (strcmp(hex, c->sha256) != 0 && problem(e, c, multi, "checksum "
	    "mismatch: the data hashes to %s, the manifest says %s", hex,
	    c->sha256) != 0)
		return BK_FAIL;
	return BK_OK;
}
