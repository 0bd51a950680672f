/*
 * store/manifest.c - build and read the backup manifest with libbson.  Relaxed
 * extended JSON prints 64-bit integers as plain numbers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson/bson.h>

#include "bk.h"
#include "store/manifest.h"

#define MANIFEST_FORMAT 1

/* Append counts_json's "counts" member, or the whole object. */
static int
append_counts(bson_t *doc, const char *counts_json)
{
	bson_error_t e;
	bson_iter_t it;
	uint32_t len;
	const uint8_t *data;
	bson_t *c, sub;
	int rc = -1;

	if ((c = bson_new_from_json((const uint8_t *)counts_json, -1,
	    &e)) == NULL) {
		warn0("counts: not a JSON object: %s", e.message);
		return -1;
	}
	if (bson_iter_init_find(&it, c, "counts") &&
	    BSON_ITER_HOLDS_DOCUMENT(&it)) {
		bson_iter_document(&it, &len, &data);
		if (bson_init_static(&sub, data, len))
			rc = BSON_APPEND_DOCUMENT(doc, "counts", &sub) ? 0 : -1;
	} else
		rc = BSON_APPEND_DOCUMENT(doc, "counts", c) ? 0 : -1;
	if (rc != 0)
		warn0("counts: cannot add to the manifest");
	bson_destroy(c);
	return rc;
}

char *
manifest_build(struct manifest *m)
{
	struct tm tm;
	time_t now;
	bson_t doc;
	size_t len;
	char *json = NULL, *out = NULL;

	if (m->created[0] == '\0') {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(m->created, sizeof(m->created), "%Y-%m-%dT%H:%M:%SZ",
		    &tm);
	}
	bson_init(&doc);
	BSON_APPEND_INT32(&doc, "format", MANIFEST_FORMAT);
	BSON_APPEND_UTF8(&doc, "name", m->name);
	if (m->kind != NULL)
		BSON_APPEND_UTF8(&doc, "kind", m->kind);
	BSON_APPEND_UTF8(&doc, "created", m->created);
	BSON_APPEND_INT64(&doc, "size", (int64_t)m->size);
	BSON_APPEND_UTF8(&doc, "sha256", m->sha256);
	if (m->key_id != NULL)
		BSON_APPEND_UTF8(&doc, "key_id", m->key_id);
	if (m->compression != NULL)
		BSON_APPEND_UTF8(&doc, "compression", m->compression);
	if (m->source != NULL)
		BSON_APPEND_UTF8(&doc, "source", m->source);
	if (m->counts_json != NULL && append_counts(&doc, m->counts_json) != 0)
		goto out;
	BSON_APPEND_UTF8(&doc, "tool_version", BK_VERSION);
	if ((json = bson_as_relaxed_extended_json(&doc, &len)) == NULL) {
		warn0("cannot format the manifest");
		goto out;
	}
	if ((out = malloc(len + 2)) == NULL) {
		warnp("malloc");
		goto out;
	}
	memcpy(out, json, len);
	out[len] = '\n';
	out[len + 1] = '\0';
out:
	bson_free(json);
	bson_destroy(&doc);
	return out;
}

/* Is every byte of s in the set ok (and s not longer than max)? */
static int
only_chars(const char *s, const char *ok, size_t max)
{
	return strlen(s) <= max && strspn(s, ok) == strlen(s);
}

int
manifest_kind_valid(const char *kind)
{
	return *kind != '\0' && only_chars(kind,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
	    sizeof(((struct manifest *)0)->kindbuf) - 1);
}

#define MANIFEST_FIELDS_MAX 256

/*
 * A size as the manifest gives it: a JSON integer, or a number without a
 * fraction, from 0 to 2^53 (beyond that a double no longer holds every
 * whole number, and a larger integer would wrap).  0, or -1.
 */
static int
whole_size(const bson_iter_t *it, uint64_t *size)
{
	double d;

	switch (bson_iter_type(it)) {
	case BSON_TYPE_INT32:
		if (bson_iter_int32(it) < 0)
			return -1;
		*size = (uint64_t)bson_iter_int32(it);
		return 0;
	case BSON_TYPE_INT64:
		if (bson_iter_int64(it) < 0 ||
		    bson_iter_int64(it) > ((int64_t)1 << 53))
			return -1;
		*size = (uint64_t)bson_iter_int64(it);
		return 0;
	case BSON_TYPE_DOUBLE:
		d = bson_iter_double(it);
		if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)
		    (uint64_t)d)
			return -1;
		*size = (uint64_t)d;
		return 0;
	default:
		return -1;
	}
}

/*
 * The first top-level key that appears twice in doc, or NULL.  A manifest
 * has a dozen fields; one with over MANIFEST_FIELDS_MAX is refused before
 * this quadratic search (as if a field were given twice).
 */
static const char *
duplicate_key(const bson_t *doc)
{
	bson_iter_t a, b;
	const char *k;

	if (bson_count_keys(doc) > MANIFEST_FIELDS_MAX)
		return "(any: too many fields)";
	if (!bson_iter_init(&a, doc))
		return NULL;
	while (bson_iter_next(&a)) {
		k = bson_iter_key(&a);
		b = a;
		while (bson_iter_next(&b))
			if (strcmp(k, bson_iter_key(&b)) == 0)
				return k;
	}
	return NULL;
}

int
manifest_parse(const char *json, size_t len, const char *where,
    struct manifest *m)
{
	bson_error_t e;
	bson_iter_t it;
	bson_t *doc;
	const char *s;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if ((doc = bson_new_from_json((const uint8_t *)json, (ssize_t)len,
	    &e)) == NULL) {
		warn0("%s: not JSON: %s", where, e.message);
		return -1;
	}
	if ((s = duplicate_key(doc)) != NULL) {
		warn0("%s: the field \"%s\" is given twice (readers would "
		    "disagree on its value)", where, s);
		goto out;
	}
	if (!bson_iter_init_find(&it, doc, "sha256") ||
	    !BSON_ITER_HOLDS_UTF8(&it) ||
	    strlen(s = bson_iter_utf8(&it, NULL)) != 64 ||
	    !only_chars(s, "0123456789abcdefABCDEF", 64)) {
		warn0("%s: no sha256 (64 hex digits)", where);
		goto out;
	}
	memcpy(m->sha256, s, 65);
	if (!bson_iter_init_find(&it, doc, "size")) {
		warn0("%s: no size", where);
		goto out;
	}
	if (whole_size(&it, &m->size) != 0) {
		warn0("%s: size is not a whole number of bytes below 2^53",
		    where);
		goto out;
	}
	if (bson_iter_init_find(&it, doc, "created") &&
	    BSON_ITER_HOLDS_UTF8(&it)) {
		if (!only_chars(s = bson_iter_utf8(&it, NULL),
		    "0123456789TZ:.+-", sizeof(m->created) - 1)) {
			warn0("%s: created is not an ISO 8601 time", where);
			goto out;
		}
		snprintf(m->created, sizeof(m->created), "%s", s);
	}
	if (bson_iter_init_find(&it, doc, "kind") &&
	    BSON_ITER_HOLDS_UTF8(&it)) {
		if (!manifest_kind_valid(s = bson_iter_utf8(&it, NULL))) {
			warn0("%s: kind is not a short word", where);
			goto out;
		}
		snprintf(m->kindbuf, sizeof(m->kindbuf), "%s", s);
	}
	rc = 0;
out:
	bson_destroy(doc);
	return rc;
}
