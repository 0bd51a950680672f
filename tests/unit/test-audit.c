/*
 * Unit tests for lib/audit.c: the chain a writer makes, concurrent
 * writers, and the checker naming the first broken line of an edited,
 * deleted, reordered, inserted or cut log (with a digest for the cut).
 * Runs in a scratch directory (tests/run.sh gives each test its own).
 */
#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bson/bson.h>

#include "audit.h"
#include "bk.h"
#include "unit.h"

#define NLINES 12

/* Run the checker on path with digests; *out gets its report. */
static int
check(const char *path, char *const *dig, int nd, char **out)
{
	size_t len;
	FILE *f;
	int rc;

	if ((f = open_memstream(out, &len)) == NULL)
		return 99;
	rc = bk_audit_check_anchored(path, dig, nd, f);
	fclose(f);
	return rc;
}

/* The checker's verdict on path must be rc with want in the report. */
static int
verdict(const char *path, char *const *dig, int nd, int rc, const char *want)
{
	char *out = NULL;
	int ok, got;

	got = check(path, dig, nd, &out);
	ok = got == rc && strstr(out, want) != NULL;
	if (!ok)
		fprintf(stderr, "%s: rc %d (want %d), report: %s", path, got,
		    rc, out);
	free(out);
	return ok;
}

static int
append(const char *path, int i)
{
	bson_t *objs = bson_new(), *st = bson_new();
	char obj[64];
	int rc;

	snprintf(obj, sizeof(obj), "s3://user:secret@bucket/db/%d.bk", i);
	BSON_APPEND_UTF8(objs, "0", obj);
	BSON_APPEND_UTF8(st, "url", obj);
	BSON_APPEND_INT64(st, "n", i);
	rc = bk_audit_append(path, "test", objs, st, i % 2 ? 0 : 3);
	bson_destroy(objs);
	bson_destroy(st);
	return rc;
}

/* Read the lines of path into lines[] (max n); their count. */
static int
read_lines(const char *path, char **lines, int n)
{
	char *text, *p, *nl;
	int k = 0;

	if ((text = bk_read_small_file(path, 1 << 22, NULL, "log")) == NULL)
		return -1;
	for (p = text; k < n && (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		lines[k++] = strndup(p, (size_t)(nl - p));
	free(text);
	return k;
}

/* Write lines[order[0..n)] to path, each with its newline. */
static void
write_lines(const char *path, char **lines, const int *order, int n)
{
	FILE *f = fopen(path, "w");
	int i;

	for (i = 0; f != NULL && i < n; i++)
		fprintf(f, "%s\n", lines[order[i]]);
	if (f != NULL)
		fclose(f);
}

/* A copy of line with its status's "n" changed, still valid JSON. */
static char *
edited(const char *line)
{
	char *e = strdup(line), *p;

	if (e != NULL && (p = strstr(e, "\"n\" : ")) != NULL)
		p[6] = p[6] == '9' ? '8' : p[6] + 1;
	return e;
}

static void
test_chain(char **lines)
{
	int i, n;
	char *out = NULL;

	unlink("a.log");
	for (i = 1; i <= NLINES; i++)
		CHECK(append("a.log", i) == 0);
	CHECK(verdict("a.log", NULL, 0, BK_OK, "12 line(s), chain intact"));
	n = read_lines("a.log", lines, NLINES);
	CHECK(n == NLINES);
	/* Each line: its seq, the genesis or the hash before it. */
	CHECK(strstr(lines[0], "\"seq\" : 1,") != NULL);
	CHECK(strstr(lines[0], BK_AUDIT_GENESIS) != NULL);
	CHECK(strstr(lines[1], "\"seq\" : 2,") != NULL);
	/* No secret, no query; the operation and result are there. */
	for (i = 0; i < n; i++)
		CHECK(strstr(lines[i], "secret") == NULL &&
		    strstr(lines[i], "\"objects\" : [ \"s3://REDACTED@bucket"
		    "/db/") != NULL &&
		    strstr(lines[i], ".bk\" ]") != NULL &&
		    strstr(lines[i], "\"op\" : \"test\"") != NULL);
	CHECK(strstr(lines[0], "\"result\" : \"ok\", \"exit\" : 0") != NULL);
	CHECK(strstr(lines[1], "\"result\" : \"fail\", \"exit\" : 3") != NULL);
	CHECK(check("missing.log", NULL, 0, &out) == BK_FAIL);
	free(out);
}

static void
test_tamper(char **lines)
{
	int order[NLINES], i;
	char *saved;

	for (i = 0; i < NLINES; i++)
		order[i] = i;
	/* Edited line 5: line 6 no longer follows it. */
	saved = lines[4];
	lines[4] = edited(saved);
	write_lines("t.log", lines, order, NLINES);
	CHECK(verdict("t.log", NULL, 0, BK_NEGATIVE,
	    "t.log line 6: prev does not match line 5"));
	free(lines[4]);
	lines[4] = saved;
	/* Line 5 deleted. */
	for (i = 4; i < NLINES - 1; i++)
		order[i] = i + 1;
	write_lines("t.log", lines, order, NLINES - 1);
	CHECK(verdict("t.log", NULL, 0, BK_NEGATIVE,
	    "t.log line 5: prev does not match line 4"));
	/* Lines 7 and 8 swapped. */
	for (i = 0; i < NLINES; i++)
		order[i] = i;
	order[6] = 7;
	order[7] = 6;
	write_lines("t.log", lines, order, NLINES);
	CHECK(verdict("t.log", NULL, 0, BK_NEGATIVE,
	    "t.log line 7: prev does not match line 6"));
	/* Line 3 duplicated. */
	order[3] = 2;
	write_lines("t.log", lines, order, NLINES);
	CHECK(verdict("t.log", NULL, 0, BK_NEGATIVE,
	    "t.log line 4: prev does not match line 3"));
	/* The first two lines deleted. */
	write_lines("t.log", lines, (int[]){ 2, 3, 4 }, 3);
	CHECK(verdict("t.log", NULL, 0, BK_NEGATIVE,
	    "t.log line 1: prev is not the genesis value"));
}

static void
test_broken_lines(char **lines)
{
	int order[NLINES], i;
	char *saved;
	FILE *f;

	for (i = 0; i < NLINES; i++)
		order[i] = i;
	saved = lines[2];
	lines[2] = "not json";
	write_lines("t.log", lines, order, NLINES);
	CHECK(verdict("t.log", NULL, 0, BK_NEGATIVE,
	    "t.log line 3: not a JSON object"));
	lines[2] = "{\"prev\":\"" BK_AUDIT_GENESIS "\"}";
	write_lines("t.log", lines, order, NLINES);
	CHECK(verdict("t.log", NULL, 0, BK_NEGATIVE,
	    "t.log line 3: no \"seq\""));
	lines[2] = saved;
	/* A torn last line. */
	write_lines("t.log", lines, order, NLINES);
	if ((f = fopen("t.log", "a")) != NULL) {
		fputs("{\"seq\":13", f);
		fclose(f);
	}
	CHECK(verdict("t.log", NULL, 0, BK_NEGATIVE,
	    "t.log line 13: no newline at the end"));
	/* The writer refuses to chain onto it. */
	CHECK(append("t.log", 13) == -1);
	CHECK(strstr(bk_last_error(), "last line is incomplete") != NULL);
}

/* A digest anchoring line n of the lines. */
static void
write_digest(const char *path, char **lines, int n)
{
	char hex[65];
	FILE *f;

	if (bk_audit_hash(lines[n - 1], strlen(lines[n - 1]), hex) != 0 ||
	    (f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "{\"type\":\"bk-audit-digest\",\"seq\":%d,\"sha256\":"
	    "\"%s\"}\n", n, hex);
	fclose(f);
}

static void
test_anchor(char **lines)
{
	char *dig[2] = { "d10.json", "d5.json" };
	int order[NLINES], i;
	char *saved;

	for (i = 0; i < NLINES; i++)
		order[i] = i;
	write_digest("d10.json", lines, 10);
	write_digest("d5.json", lines, 5);
	CHECK(verdict("a.log", dig, 2, BK_OK, "every digest matches"));
	/* The last three lines cut: the chain alone cannot tell. */
	write_lines("t.log", lines, order, 9);
	CHECK(verdict("t.log", NULL, 0, BK_OK, "9 line(s), chain intact"));
	CHECK(verdict("t.log", dig, 2, BK_NEGATIVE, "t.log line 10: missing: "
	    "the log ends at line 9, but the digest d10.json anchors line 10"));
	/* The last line rewritten (its successor is gone): the digest. */
	saved = lines[9];
	lines[9] = edited(saved);
	write_lines("t.log", lines, order, 10);
	CHECK(verdict("t.log", dig, 2, BK_NEGATIVE,
	    "t.log line 10: does not match the digest d10.json"));
	free(lines[9]);
	lines[9] = saved;
	dig[0] = "nothing.json";
	CHECK(verdict("a.log", dig, 1, BK_FAIL, ""));
}

/* 8 processes appending at once keep one valid chain. */
static void
test_concurrent(void)
{
	int i, k, st, ok = 1;
	pid_t pid;

	unlink("c.log");
	for (i = 0; i < 8; i++) {
		if ((pid = fork()) == 0) {
			for (k = 0; k < 25; k++)
				if (append("c.log", k) != 0)
					_exit(1);
			_exit(0);
		}
		CHECK(pid > 0);
	}
	while ((pid = wait(&st)) > 0)
		ok &= WIFEXITED(st) && WEXITSTATUS(st) == 0;
	CHECK(ok);
	CHECK(verdict("c.log", NULL, 0, BK_OK, "200 line(s), chain intact"));
}

/* The status API: with BK_AUDIT_LOG set, a status without --json. */
static void
test_status(void)
{
	struct bk_status *st;
	char *line[1] = { NULL };

	unlink("s.log");
	setenv(BK_AUDIT_ENV, "s.log", 1);
	CHECK((st = bk_status_new(NULL, -1)) != NULL);
	bk_status_op(st, "put");
	bk_status_object(st, "s3://AKIA:hush@b/p/x.bk?profile=p&x=hush");
	bk_status_str(st, "sha256", BK_AUDIT_GENESIS);
	CHECK(bk_status_done(st, BK_EXIT_OK) == BK_EXIT_OK);
	CHECK(read_lines("s.log", line, 1) == 1);
	CHECK(line[0] != NULL && strstr(line[0], "hush") == NULL &&
	    strstr(line[0], "\"op\" : \"put\", \"objects\" : [ "
	    "\"s3://REDACTED@b/p/x.bk\" ], \"sha256\" : \"" BK_AUDIT_GENESIS
	    "\", \"result\" : \"ok\"") != NULL);
	free(line[0]);
	/* A log that cannot be written fails a tool that did its job. */
	setenv(BK_AUDIT_ENV, "no/such/dir/s.log", 1);
	CHECK((st = bk_status_new(NULL, -1)) != NULL);
	CHECK(bk_status_done(st, BK_EXIT_OK) == BK_EXIT_FAIL);
	unsetenv(BK_AUDIT_ENV);
	CHECK(bk_status_new(NULL, -1) == NULL);
}

static void
test_redact(void)
{
	char *r;

	r = bk_audit_redact("mongodb://u:p%40ss@h1,h2:27017/db and "
	    "s3://b/k@x.bk, https://tok@host?a=b@c");
	CHECK(r != NULL && strcmp(r, "mongodb://REDACTED@h1,h2:27017/db and "
	    "s3://b/k@x.bk, https://REDACTED@host?a=b@c") == 0);
	free(r);
	r = bk_audit_redact("no url @ all ://@");
	CHECK(r != NULL && strcmp(r, "no url @ all ://REDACTED@") == 0);
	free(r);
}

/*
 * test-audit LOG [DIGEST...]: the checker on a log, for the numbered
 * tests (bk-verify --audit will be its command): the report on stdout,
 * exit 0 intact, 1 broken, 3 cannot read.
 */
static int
check_main(int argc, char *argv[])
{
	int rc = bk_audit_check_anchored(argv[1], argv + 2, argc - 2, stdout);

	return bk_exit_status(rc);
}

int
main(int argc, char *argv[])
{
	char *lines[NLINES] = { NULL };
	int i;

	bk_setprogname("test-audit");
	if (argc > 1)
		return check_main(argc, argv);
	bk_set_quiet(1);
	test_redact();
	test_chain(lines);
	if (lines[NLINES - 1] != NULL) {
		test_tamper(lines);
		test_broken_lines(lines);
		test_anchor(lines);
	}
	test_concurrent();
	test_status();
	for (i = 0; i < NLINES; i++)
		free(lines[i]);
	return unit_exit();
}
