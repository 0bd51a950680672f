/*
 * verify/state.c - bk-verify's state file: the last verification of each
 * backup copy, which bk-prune reads too (bk-verify(1)):
 *
 *	# bk-verify state 1
 *	URL<TAB>SHA256-HEX<TAB>LEVEL<TAB>VERIFIED-AT<TAB>RESULT
 *
 * written whole to a temporary file beside it, then renamed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bk.h"
#include "vec.h"
#include "verify/vpriv.h"

#define STATE_HEADER "# bk-verify state 1"
#define STATE_MAX (256 * 1024 * 1024)

static int
hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* "2026-11-27T15:00:00Z" */
static int
rfc3339(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	return strlen(s) == 20 && (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ",
	    &tm)) != NULL && *end == '\0';
}

/* One line: its five fields, checked.  0, or -1 (reported). */
static int
parse_line(struct vstate *st, char *line, const char *path, size_t no)
{
	char *f[5], *save = NULL;
	int i;

	for (i = 0; i < 5; i++)
		if ((f[i] = strtok_r(i ? NULL : line, "\t", &save)) == NULL)
			break;
	if (i < 5 || strtok_r(NULL, "\t", &save) != NULL || !hex64(f[1]) ||
	    verify_parse_level(f[2]) < 0 || !rfc3339(f[3]) ||
	    (strcmp(f[4], "ok") != 0 && strcmp(f[4], "bad") != 0)) {
		warn0("%s: line %zu: not URL, SHA-256, level, time, result "
		    "separated by tabs", path, no);
		return -1;
	}
	return vstate_set(st, f[0], f[1], f[2], f[3], f[4]);
}

int
vstate_load(const char *path, struct vstate *st)
{
	char *text, *line, *save = NULL;
	struct stat sb;
	size_t no = 0;
	int rc = BK_OK;

	if (stat(path, &sb) != 0)	/* the first run: nothing verified */
		return BK_OK;
	if ((text = bk_read_small_file(path, STATE_MAX, NULL, "state "
	    "file")) == NULL)
		return BK_FAIL;
	for (line = strtok_r(text, "\n", &save); line != NULL && rc ==
	    BK_OK; line = strtok_r(NULL, "\n", &save)) {
		if (no++ == 0 && strcmp(line, STATE_HEADER) != 0) {
			warn0("%s: not a bk-verify state file (no \"%s\")",
			    path, STATE_HEADER);
			rc = BK_FAIL;
		} else if (no > 1 && parse_line(st, line, path, no) != 0)
			rc = BK_FAIL;
	}
	free(text);
	return rc;
}

/* FNV-1a: where a URL's probe starts. */
static size_t
url_hash(const char *url)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *url != '\0'; url++)
		h = (h ^ (unsigned char)*url) * 1099511628211ULL;
	return (size_t)h;
}

/* The slot that holds url, or the free one where it would go. */
static size_t *
probe(const struct vstate *st, const char *url)
{
	size_t i = url_hash(url) & (st->nslot - 1);

	while (st->slot[i] != 0 && strcmp(st->l[st->slot[i] - 1].url,
	    url) != 0)
		i = (i + 1) & (st->nslot - 1);
	return &st->slot[i];
}

/* Room for one more line in the table (load at most a half). */
static int
grow_slots(struct vstate *st)
{
	size_t i, n = st->nslot ? st->nslot * 2 : 64;

	if (st->nslot != 0 && (st->n + 1) * 2 <= st->nslot)
		return 0;
	free(st->slot);
	if ((st->slot = calloc(n, sizeof(*st->slot))) == NULL) {
		warnp("malloc");
		st->nslot = 0;
		return -1;
	}
	st->nslot = n;
	for (i = 0; i < st->n; i++)
		*probe(st, st->l[i].url) = i + 1;
	return 0;
}

struct vstate_line *
vstate_find(struct vstate *st, const char *url)
{
	size_t *p;

	if (st->nslot == 0)
		return NULL;
	p = probe(st, url);
	return *p != 0 ? &st->l[*p - 1] : NULL;
}

int
vstate_set(struct vstate *st, const char *url, const char *sha256,
    const char *level, const char *at, const char *result)
{
	struct vstate_line *l = vstate_find(st, url);

	if (l == NULL) {
		if (grow_slots(st) != 0 ||
		    vec_grow(&st->l, &st->cap, st->n, sizeof(*st->l)) != 0)
			return -1;
		l = &st->l[st->n];
		memset(l, 0, sizeof(*l));
		if ((l->url = strdup(url)) == NULL) {
			warnp("malloc");
			return -1;
		}
		*probe(st, url) = st->n + 1;
		st->n++;
	}
	snprintf(l->sha256, sizeof(l->sha256), "%s", sha256);
	snprintf(l->level, sizeof(l->level), "%s", level);
	snprintf(l->at, sizeof(l->at), "%s", at);
	snprintf(l->result, sizeof(l->result), "%s", result);
	return 0;
}

int
vstate_save(const char *path, const struct vstate *st)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;

	if ((f = open_memstream(&buf, &len)) == NULL) {
		warnp("open_memstream");
		return -1;
	}
	fprintf(f, "%s\n", STATE_HEADER);
	for (i = 0; i < st->n; i++)
		if (st->l[i].keep)
			fprintf(f, "%s\t%s\t%s\t%s\t%s\n", st->l[i].url,
			    st->l[i].sha256, st->l[i].level, st->l[i].at,
			    st->l[i].result);
	if (fclose(f) != 0) {
		warnp("open_memstream");
		free(buf);
		return -1;
	}
	rc = bk_atomic_write(path, buf, len, 0644, 0);
	free(buf);
	return rc;
}

void
vstate_free(struct vstate *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->l[i].url);
	free(st->l);
	free(st->slot);
	st->l = NULL;
	st->slot = NULL;
	st->n = st->cap = st->nslot = 0;
}
