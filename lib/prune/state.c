/*
 * prune/state.c - reading bk-verify's state file (state.h).  A line that
 * does not have the five fields in their forms is an error naming the
 * line: a prune must not act on a state it half understood.
 */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "vec.h"
#include "prune/retention.h"
#include "prune/state.h"

#define STATE_MAGIC "# bk-verify state 1"

static int
cmp_url(const void *a, const void *b)
{
	return strcmp(((const struct state_entry *)a)->url,
	    ((const struct state_entry *)b)->url);
}

/* Split line into 5 tab-separated fields; 0, or -1. */
static int
fields(char *line, char *f[5])
{
	int i;

	for (i = 0; i < 5; i++) {
		f[i] = line;
		line = strchr(line, '\t');
		if ((line == NULL) != (i == 4))
			return -1;
		if (line != NULL)
			*line++ = '\0';
	}
	return 0;
}

/* Parse one line into e; 0, or -1 (reported). */
static int
parse_line(char *line, struct state_entry *e, const char *path, size_t ln)
{
	unsigned char sha[32];
	char *f[5];
	int full;

	if (fields(line, f) != 0 || *f[0] == '\0' ||
	    strlen(f[1]) != 64 || bk_unhex(sha, f[1], 32) != 0 ||
	    (strcmp(f[2], "quick") != 0 && strcmp(f[2], "full") != 0 &&
	    strcmp(f[2], "deep") != 0) || ret_parse_time(f[3], &e->at) != 0 ||
	    (strcmp(f[4], "ok") != 0 && strcmp(f[4], "bad") != 0)) {
		warn0("%s:%zu: not URL, SHA-256, quick|full|deep, RFC 3339 "
		    "time, ok|bad separated by tabs", path, ln);
		return -1;
	}
	full = strcmp(f[2], "quick") != 0;
	e->verified = full && strcmp(f[4], "ok") == 0;
	memcpy(e->sha256, f[1], 65);
	if ((e->url = strdup(f[0])) == NULL) {
		warnp("malloc");
		return -1;
	}
	return 0;
}

static int parse_text(char *, struct state *, const char *);

int
state_parse(char *text, const char *path, struct state **stp)
{
	struct state *st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		warnp("malloc");
		return -1;
	}
	if (parse_text(text, st, path) != 0) {
		state_free(st);
		return -1;
	}
	*stp = st;
	return 0;
}

static int
parse_text(char *text, struct state *st, const char *path)
{
	size_t cap = 0, ln = 1;
	char *line, *nl;

	if (strncmp(text, STATE_MAGIC "\n", sizeof(STATE_MAGIC)) != 0) {
		warn0("%s: not a bk-verify state file (no \"%s\" line)", path,
		    STATE_MAGIC);
		return -1;
	}
	for (line = strchr(text, '\n') + 1; *line != '\0'; line = nl + 1) {
		ln++;
		if ((nl = strchr(line, '\n')) == NULL) {
			warn0("%s:%zu: the last line has no newline (cut "
			    "short?)", path, ln);
			return -1;
		}
		*nl = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		if (vec_grow(&st->e, &cap, st->n, sizeof(*st->e)) != 0 ||
		    parse_line(line, &st->e[st->n], path, ln) != 0)
			return -1;
		st->n++;
	}
	if (st->n > 0)
		qsort(st->e, st->n, sizeof(*st->e), cmp_url);
	return 0;
}

int
state_read(const char *path, struct state **stp)
{
	char *text;
	int rc = -1;

	if ((text = bk_read_small_file(path, STATE_MAX, NULL,
	    "state file")) != NULL)
		rc = state_parse(text, path, stp);
	free(text);
	return rc;
}

void
state_free(struct state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n; i++)
		free(st->e[i].url);
	free(st->e);
	free(st);
}

const struct state_entry *
state_find(const struct state *st, const char *url)
{
	struct state_entry k = { (char *)url, "", 0, 0 };

	if (st == NULL || st->n == 0)
		return NULL;
	return bsearch(&k, st->e, st->n, sizeof(k), cmp_url);
}

size_t
state_count_under(const struct state *st, const char *dir)
{
	size_t i, n = 0, len = strlen(dir);

	for (i = 0; st != NULL && i < st->n; i++)
		if (strncmp(st->e[i].url, dir, len) == 0 &&
		    strchr(st->e[i].url + len, '/') == NULL)
			n++;
	return n;
}
