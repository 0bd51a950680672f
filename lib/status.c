/*
 * status.c - the --json status line: one JSON object, built with libbson,
 * printed last so scripts and monitoring can read the outcome.  With
 * BK_AUDIT_LOG set it is built even without --json: the audit line
 * (audit.c) is made from the same facts when the tool ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bson/bson.h>

#include "audit.h"
#include "bk.h"

struct bk_status {
	/* bson_t wants 128-byte alignment: let libbson allocate it. */
	bson_t *doc;
	bson_t *objects;	/* for the audit line only */
	int nobjects;
	const char *op;		/* for the audit line; static */
	int fd;			/* -1: the audit line only, no --json */
	int closefd;
};

/* A status that only feeds the audit line (no --json). */
static struct bk_status *
status_alloc(void)
{
	struct bk_status *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	if ((s->doc = bson_new()) == NULL ||
	    (s->objects = bson_new()) == NULL) {
		warn0("cannot allocate the status");
		bson_destroy(s->doc);
		free(s);
		return NULL;
	}
	s->fd = -1;
	return s;
}

static void
status_free(struct bk_status *s)
{
	bson_destroy(s->doc);
	bson_destroy(s->objects);
	free(s);
}

struct bk_status *
bk_status_new(const char *dest, int deffd)
{
	struct bk_status *s;
	int fl;

	if (dest == NULL && bk_audit_path() == NULL)
		return NULL;
	if ((s = status_alloc()) == NULL)
		return NULL;
	if (dest != NULL && *dest == '\0')
		s->fd = deffd;
	else if (dest != NULL) {
		/* O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead
		 * of holding the tool before it has done anything. */
		s->fd = open(dest, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		    O_NONBLOCK | O_NOCTTY, 0644);
		if (s->fd == -1 || (fl = fcntl(s->fd, F_GETFL)) == -1 ||
		    fcntl(s->fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
			if (errno == ENXIO)
				warn0("--json file %s: a FIFO with no reader",
				    dest);
			else
				warnp("open --json file %s", dest);
			if (s->fd != -1)
				close(s->fd);
			status_free(s);
			return NULL;
		}
		s->closefd = 1;
	}
	BSON_APPEND_UTF8(s->doc, "tool", bk_progname());
	BSON_APPEND_UTF8(s->doc, "version", BK_VERSION);
	return s;
}

void
bk_status_op(struct bk_status *s, const char *op)
{
	if (s != NULL)
		s->op = op;
}

void
bk_status_object(struct bk_status *s, const char *obj)
{
	char key[16];

	if (s == NULL || obj == NULL)
		return;
	/* A query may hold settings (a MongoDB URI's passwords): never. */
	snprintf(key, sizeof(key), "%d", s->nobjects++);
	bson_append_utf8(s->objects, key, -1, obj, (int)strcspn(obj, "?"));
}

void
bk_status_str(struct bk_status *s, const char *key, const char *val)
{
	if (s != NULL && val != NULL)
		BSON_APPEND_UTF8(s->doc, key, val);
}

void
bk_status_int(struct bk_status *s, const char *key, int64_t val)
{
	if (s != NULL)
		BSON_APPEND_INT64(s->doc, key, val);
}

void
bk_status_bool(struct bk_status *s, const char *key, int val)
{
	if (s != NULL)
		BSON_APPEND_BOOL(s->doc, key, val != 0);
}

void
bk_status_doc(struct bk_status *s, const char *key, const bson_t *doc)
{
	if (s != NULL && doc != NULL)
		BSON_APPEND_DOCUMENT(s->doc, key, doc);
}

void
bk_status_array(struct bk_status *s, const char *key, const bson_t *arr)
{
	if (s != NULL && arr != NULL)
		BSON_APPEND_ARRAY(s->doc, key, arr);
}

int
bk_status_done(struct bk_status *s, int exitcode)
{
	if (bk_status_emit(s, exitcode) != 0 && exitcode == BK_EXIT_OK)
		return BK_EXIT_FAIL;
	return exitcode;
}

/* The operation: what the tool said, else its name without "bk-". */
static const char *
status_op(const struct bk_status *s)
{
	const char *p = bk_progname();

	if (s->op != NULL)
		return s->op;
	return strncmp(p, "bk-", 3) == 0 ? p + 3 : p;
}

/* Print the --json line, if one was asked for. */
static int
print_json(struct bk_status *s)
{
	char *json;
	size_t len;
	int rc = 0;

	if (s->fd == -1)
		return 0;
	/* Relaxed extended JSON prints int64 as plain numbers. */
	json = bson_as_relaxed_extended_json(s->doc, &len);
	if (json == NULL) {
		warn0("cannot format the --json status");
		rc = -1;
	} else {
		json = bson_realloc(json, len + 2);
		json[len++] = '\n';
		rc = bk_write_full(s->fd, json, len, "--json status");
		bson_free(json);
	}
	if (s->closefd && close(s->fd) != 0) {
		warnp("close --json file");
		rc = -1;
	}
	return rc;
}

int
bk_status_emit(struct bk_status *s, int exitcode)
{
	const char *audit = bk_audit_path();
	int rc;

	if (s == NULL)
		return 0;
	BSON_APPEND_BOOL(s->doc, "ok", exitcode == 0);
	BSON_APPEND_INT32(s->doc, "exit", exitcode);
	if (exitcode != 0 && bk_last_error()[0] != '\0')
		BSON_APPEND_UTF8(s->doc, "error", bk_last_error());
	rc = print_json(s);
	/* Unaudited is a failure: bk_status_done makes it exit 3. */
	if (audit != NULL && bk_audit_append(audit, status_op(s), s->objects,
	    s->doc, exitcode) != 0)
		rc = -1;
	status_free(s);
	return rc;
}
