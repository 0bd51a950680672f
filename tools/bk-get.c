/*
 * bk-get - stream an object from a store (s3://, file:///) to standard
 * output, resuming with ranged GETs after a dropped connection; restore
 * archived objects on request; or list the backups stored under a prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>

#include "bk.h"
#include "s3.h"
#include "store.h"

#define BUFSIZE (256 * 1024)

struct getcfg {
	const char *vid;
	int restore, wait, days, retries, progress, all, json_list;
	long interval;
	const char *tier;
	const char *json;
};

struct out {
	struct bk_progress *prog;
	uint64_t bytes;
};

/* The synopsis: on stdout and exit 0 for --help, else stderr and exit 2. */
static _Noreturn void
usage(int help)
{
	fprintf(help ? stdout : stderr,
	    "usage: bk-get [--version-id id] [--restore [--restore-days n] "
	    "[--restore-tier tier]\n"
	    "              [--wait [--wait-interval secs]]] [--retries n] "
	    "[--progress] [--json[=file]]\n"
	    "              src > stream\n"
	    "       bk-get --list [--all] [--json] prefix-url\n");
	exit(help ? BK_EXIT_OK : BK_EXIT_USAGE);
}

static int
exit_for(int rc)
{
	return rc == S3_TEMP ? BK_EXIT_TEMP : BK_EXIT_FAIL;
}

static int
to_stdout(const void *p, size_t len, void *arg)
{
	struct out *o = arg;

	if (bk_write_full(STDOUT_FILENO, p, len, "<stdout>") != 0)
		return -1;
	o->bytes += len;
	bk_progress_add(o->prog, len);
	return 0;
}

static int
get_file(const char *path, struct out *o)
{
	static unsigned char buf[BUFSIZE];
	ssize_t n;
	int fd, rc = BK_EXIT_FAIL;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warnp("open %s", path);
		return BK_EXIT_FAIL;
	}
	while ((n = bk_read_full(fd, buf, sizeof(buf), path)) > 0)
		if (to_stdout(buf, (size_t)n, o) != 0)
			goto out;
	if (n == 0)
		rc = 0;
out:
	close(fd);
	return rc;
}

/* Is a restore of the archived object finished (x-amz-restore)? */
static int
restored(struct store *s, const char *vid, int *done)
{
	struct s3_resp r = { 0 };
	int rc;

	*done = 0;
	if ((rc = s3_head(s->c, s->u.key, vid, &r)) != S3_OK)
		return rc;
	*done = strstr(r.restore, "ongoing-request=\"false\"") != NULL;
	s3_resp_free(&r);
	return S3_OK;
}

/* Ask for a restore and, with --wait, poll until it is done. */
static int
do_restore(struct store *s, const struct getcfg *g)
{
	int rc, done;

	if ((rc = s3_restore(s->c, s->u.key, g->vid, g->days, g->tier)) !=
	    S3_OK) {
		if (bk_last_error()[0] == '\0' ||
		    strstr(bk_last_error(), "RestoreAlreadyInProgress") == NULL)
			return exit_for(rc);
	}
	warn0("%s: restore requested (%s, %d days)", s->u.url, g->tier,
	    g->days);
	if (!g->wait) {
		warn0("%s: not readable until the restore finishes; run again "
		    "later", s->u.url);
		return BK_EXIT_TEMP;
	}
	for (;;) {
		if ((rc = restored(s, g->vid, &done)) != S3_OK)
			return exit_for(rc);
		if (done)
			return 0;
		sleep((unsigned int)g->interval);
	}
}

static int
get_s3(struct store *s, const struct getcfg *g, struct out *o)
{
	uint64_t off = 0;
	int archived, rc, tries;

	for (tries = 0; tries < 2; tries++) {
		rc = s3_get(s->c, s->u.key, g->vid, to_stdout, o, &off,
		    &archived);
		if (!archived)
			return rc == S3_OK ? 0 : exit_for(rc);
		if (!g->restore || tries > 0) {
			warn0("%s: InvalidObjectState: the object is in an "
			    "archive storage class; --restore requests a copy"
			    "%s", s->u.url, g->restore ? "" :
			    " (--wait waits for it)");
			return BK_EXIT_FAIL;
		}
		if ((rc = do_restore(s, g)) != 0)
			return rc;
	}
	return BK_EXIT_FAIL;
}

/* --- --list --- */

struct listctx {
	const struct getcfg *g;
	const struct store *s;
	int n;
};

/* The URL a later bk-get or bk-verify takes for backup b. */
static void
backup_url(const struct listctx *l, const struct store_backup *b,
    char *buf, size_t len)
{
	if (l->s->u.kind == STORE_S3)
		snprintf(buf, len, "s3://%s/%s", l->s->u.bucket, b->name);
	else
		snprintf(buf, len, "file://%s", b->name);
}

static int
print_json(const struct store_backup *b, const char *url)
{
	const char *base = strrchr(b->name, '/');
	char *json;
	size_t len;
	bson_t doc;
	int rc;

	bson_init(&doc);
	BSON_APPEND_UTF8(&doc, "url", url);
	BSON_APPEND_UTF8(&doc, "name", base ? base + 1 : b->name);
	BSON_APPEND_UTF8(&doc, "created", b->created);
	BSON_APPEND_INT64(&doc, "size", (int64_t)b->size);
	if (b->committed)
		BSON_APPEND_UTF8(&doc, "sha256", b->sha256);
	BSON_APPEND_UTF8(&doc, "storage_class", b->class);
	BSON_APPEND_BOOL(&doc, "committed", b->committed);
	BSON_APPEND_INT64(&doc, "age", b->age);
	json = bson_as_relaxed_extended_json(&doc, &len);
	bson_destroy(&doc);
	if (json == NULL) {
		warn0("cannot format the listing");
		return -1;
	}
	rc = printf("%s\n", json) < 0 ? -1 : 0;
	bson_free(json);
	return rc;
}

static int
list_fn(const struct store_backup *b, void *arg)
{
	struct listctx *l = arg;
	char url[4096];

	if (!b->committed && !l->g->all)
		return 0;
	l->n++;
	backup_url(l, b, url, sizeof(url));
	if (l->g->json_list)
		return print_json(b, url) == 0 ? 0 : S3_PERM;
	if (b->committed)
		printf("%s\t%s\t%llu\t%s\t%s\n", url, b->created,
		    (unsigned long long)b->size, b->sha256, b->class);
	else
		printf("%s\t%s\t%llu\t-\t%s\tincomplete age=%llds\n", url,
		    b->created, (unsigned long long)b->size, b->class,
		    (long long)b->age);
	return 0;
}

static int
run_list(const char *url, const struct getcfg *g)
{
	struct listctx l = { g, NULL, 0 };
	struct store *s;
	int rc;

	if ((s = store_open(url, 0)) == NULL)
		return BK_EXIT_USAGE;
	l.s = s;
	if (s->u.kind == STORE_S3)
		s->t.retries = g->retries;
	rc = store_backups(s, list_fn, &l);
	store_close(s);
	if (rc != S3_OK)
		return exit_for(rc);
	return bk_close_stdout() == 0 ? 0 : BK_EXIT_FAIL;
}

static void
parse_args(int argc, char *argv[], struct getcfg *g, int *list)
{
	static const struct option longopts[] = {
		{ "version-id", required_argument, NULL, 'v' },
		{ "restore", no_argument, NULL, 'R' },
		{ "restore-days", required_argument, NULL, 'D' },
		{ "restore-tier", required_argument, NULL, 'T' },
		{ "wait", no_argument, NULL, 'W' },
		{ "wait-interval", required_argument, NULL, 'I' },
		{ "retries", required_argument, NULL, 'r' },
		{ "list", no_argument, NULL, 'l' },
		{ "all", no_argument, NULL, 'a' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'Q' },
		{ "json", optional_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'v': g->vid = optarg; break;
		case 'R': g->restore = 1; break;
		case 'D':
			if (bk_parse_long(optarg, 1, 3650, &v) != 0)
				usage(0);
			g->days = (int)v;
			break;
		case 'T': g->tier = optarg; break;
		case 'W': g->wait = 1; break;
		case 'I':
			if (bk_parse_long(optarg, 1, 86400, &g->interval) != 0)
				usage(0);
			break;
		case 'r':
			if (bk_parse_long(optarg, 0, 100, &v) != 0)
				usage(0);
			g->retries = (int)v;
			break;
		case 'l': *list = 1; break;
		case 'a': g->all = 1; break;
		case 'P': g->progress = 1; break;
		case 'Q': g->progress = 0; break;
		case 'J': g->json = optarg ? optarg : ""; break;
		case 'V': bk_print_version(); exit(0);
		case 'h': usage(1);
		default: usage(0);
		}
	}
	if (optind != argc - 1) {
		warn0(optind == argc ? "no source" : "one source only");
		usage(0);
	}
	if (g->tier != NULL && strcmp(g->tier, "Standard") != 0 &&
	    strcmp(g->tier, "Bulk") != 0 &&
	    strcmp(g->tier, "Expedited") != 0) {
		warn0("--restore-tier %s: want Standard, Bulk or Expedited",
		    g->tier);
		usage(0);
	}
	if (g->tier == NULL)
		g->tier = "Standard";
}

int
main(int argc, char *argv[])
{
	struct getcfg g = { NULL, 0, 0, 7, 8, 0, 0, 0, 60, NULL, NULL };
	struct out o = { NULL, 0 };
	struct bk_status *st;
	struct store *s = NULL;
	int list = 0, ex = BK_EXIT_FAIL;

	bk_setprogname(argv[0]);
	g.progress = bk_progress_default();
	parse_args(argc, argv, &g, &list);
	bk_ignore_sigpipe();
	if (s3_global_init() != 0)
		return BK_EXIT_FAIL;
	if (list) {
		/* The listing is the output: --json makes it JSON lines. */
		g.json_list = g.json != NULL;
		return run_list(argv[optind], &g);
	}
	st = bk_status_new(g.json, STDERR_FILENO);
	if (g.json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	if ((s = store_open(argv[optind], 1)) == NULL) {
		ex = BK_EXIT_USAGE;
		goto out;
	}
	bk_status_str(st, "url", s->u.url);
	o.prog = bk_progress_new("downloading", 0, g.progress);
	if (s->u.kind == STORE_FILE) {
		ex = g.vid ? (warn0("--version-id: not for file:// stores"),
		    BK_EXIT_USAGE) : get_file(s->u.key, &o);
	} else {
		s->t.retries = g.retries;
		ex = get_s3(s, &g, &o);
	}
	bk_progress_done(o.prog);
	if (bk_close_stdout() != 0 && ex == 0)
		ex = BK_EXIT_FAIL;
	bk_status_int(st, "bytes", (int64_t)o.bytes);
out:
	store_close(s);
	if (bk_status_emit(st, ex) != 0 && ex == 0)
		ex = BK_EXIT_FAIL;
	return ex;
}
