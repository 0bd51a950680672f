/*
 * verify/report.c - one line per backup: a table row (and its problems
 * below it) for a person, or a JSON object for a script.  Text that came
 * from a store is shown safely: control characters become '?', and so do
 * bytes that are not UTF-8 in JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bk.h"
#include "verify/vpriv.h"

static const char *const names[] = { "ok", "bad", "stale", "incomplete",
	"error" };

const char *
vresult_name(enum vresult r)
{
	return names[r];
}

/* A copy of s fit to print: controls (and, for JSON, non-UTF-8) as '?'. */
static char *
printable(const char *s, int utf8)
{
	char *t;
	size_t i, len = strlen(s);

	if ((t = strdup(s)) == NULL) {
		warnp("malloc");
		return NULL;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			t[i] = '?';
	if (utf8 && !bson_utf8_validate(t, len, false))
		for (i = 0; i < len; i++)
			if ((unsigned char)t[i] > 0x7f)
				t[i] = '?';
	return t;
}

/* The URL a line names the backup by: its first copy's. */
static const char *
item_url(const struct vitem *e, int n)
{
	int k;

	for (k = 0; k < n; k++)
		if (e->c[k].url != NULL)
			return e->c[k].url;
	return e->rel;
}

int
vreport_head(FILE *out)
{
	return fprintf(out, "%-10s %-5s %-20s %-6s %s\n", "RESULT", "LEVEL",
	    "CREATED", "KIND", "BACKUP") < 0 ? -1 : 0;
}

static int
print_text(FILE *out, const struct vitem *e, int n)
{
	char *p;
	size_t i;
	int rc;

	if ((p = printable(item_url(e, n), 0)) == NULL)
		return -1;
	rc = fprintf(out, "%-10s %-5s %-20s %-6s %s\n", names[e->result],
	    e->result == VR_INCOMPLETE ? "-" : verify_level_name(e->level),
	    e->created, e->kind[0] ? e->kind : "-", p) < 0 ? -1 : 0;
	free(p);
	for (i = 0; rc == 0 && i < e->nproblems; i++) {
		if ((p = printable(e->problems[i], 0)) == NULL)
			return -1;
		rc = fprintf(out, "    %s\n", p) < 0 ? -1 : 0;
		free(p);
	}
	return rc;
}

static int
add_str(bson_t *doc, const char *key, const char *val)
{
	char *p;

	if ((p = printable(val, 1)) == NULL)
		return -1;
	BSON_APPEND_UTF8(doc, key, p);
	free(p);
	return 0;
}

static int
print_json(FILE *out, const struct vitem *e, int n)
{
	const char *base = strrchr(e->rel, '/');
	char idx[24], *json;
	bson_t doc, arr;
	size_t i, len;
	int rc = 0;

	bson_init(&doc);
	rc |= add_str(&doc, "name", base ? base + 1 : e->rel);
	rc |= add_str(&doc, "url", item_url(e, n));
	rc |= add_str(&doc, "created", e->created);
	if (e->kind[0] != '\0')
		rc |= add_str(&doc, "kind", e->kind);
	BSON_APPEND_UTF8(&doc, "result", names[e->result]);
	if (e->result != VR_INCOMPLETE)
		BSON_APPEND_UTF8(&doc, "level", verify_level_name(e->level));
	BSON_APPEND_ARRAY_BEGIN(&doc, "problems", &arr);
	for (i = 0; i < e->nproblems; i++) {
		snprintf(idx, sizeof(idx), "%zu", i);
		rc |= add_str(&arr, idx, e->problems[i]);
	}
	bson_append_array_end(&doc, &arr);
	json = rc == 0 ? bson_as_relaxed_extended_json(&doc, &len) : NULL;
	bson_destroy(&doc);
	if (json == NULL) {
		warn0("cannot format a result");
		return -1;
	}
	rc = fprintf(out, "%s\n", json) < 0 ? -1 : 0;
	bson_free(json);
	return rc;
}

int
vreport_item(FILE *out, const struct vitem *e, int nstores, int json)
{
	return json ? print_json(out, e, nstores) : print_text(out, e,
	    nstores);
}
