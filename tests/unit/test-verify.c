/*
 * test-verify.c - bk-verify's option values (levels, --max-age) and its
 * state file: read, update, keep what is still listed, write, read back;
 * a malformed file refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "verify/verify.h"
#include "verify/vpriv.h"
#include "unit.h"

static const char *const sha1 =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char *const sha2 =
    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

static void
test_levels(void)
{
	CHECK(verify_parse_level("quick") == VERIFY_QUICK);
	CHECK(verify_parse_level("full") == VERIFY_FULL);
	CHECK(verify_parse_level("deep") == VERIFY_DEEP);
	CHECK(verify_parse_level("Deep") == -1);
	CHECK(verify_parse_level("") == -1);
	CHECK(strcmp(verify_level_name(VERIFY_DEEP), "deep") == 0);
}

static void
test_maxage(void)
{
	struct verify_opts o;

	memset(&o, 0, sizeof(o));
	CHECK(verify_parse_maxage("24h", &o) == 0);
	CHECK(o.nmaxage == 1 && o.maxage[0].kind[0] == '\0' &&
	    o.maxage[0].secs == 86400 && strcmp(o.maxage[0].text, "24h") == 0);
	CHECK(verify_parse_maxage("db=90m,files=2d", &o) == 0);
	CHECK(o.nmaxage == 3 && strcmp(o.maxage[1].kind, "db") == 0 &&
	    o.maxage[1].secs == 5400 && strcmp(o.maxage[2].kind, "files") ==
	    0 && o.maxage[2].secs == 172800);
	CHECK(verify_parse_maxage("1w", &o) == 0 && o.maxage[3].secs ==
	    604800);
	memset(&o, 0, sizeof(o));
	CHECK(verify_parse_maxage("24", &o) == -1);
	CHECK(verify_parse_maxage("0h", &o) == -1);
	CHECK(verify_parse_maxage("-1h", &o) == -1);
	CHECK(verify_parse_maxage("1hh", &o) == -1);
	CHECK(verify_parse_maxage("db=", &o) == -1);
	CHECK(verify_parse_maxage("d b=1h", &o) == -1);
	CHECK(verify_parse_maxage(",", &o) == -1);
	CHECK(verify_parse_maxage("1h,1h,1h,1h,1h,1h,1h,1h,1h", &o) == -1);
}

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void
test_state(const char *dir)
{
	struct vstate st = { NULL, 0, 0, NULL, 0 };
	struct vstate_line *l;
	char path[512], bad[512], text[1024], *back;

	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	/* No file yet: nothing verified. */
	CHECK(vstate_load(path, &st) == BK_OK && st.n == 0);
	snprintf(text, sizeof(text), "# bk-verify state 1\n"
	    "file:///b/db-1.bk\t%s\tfull\t2026-11-20T10:00:00Z\tok\n"
	    "s3://b/db-2.bk\t%s\tdeep\t2026-11-21T10:00:00Z\tbad\n",
	    sha1, sha2);
	CHECK(write_file(path, text) == 0);
	CHECK(vstate_load(path, &st) == BK_OK && st.n == 2);
	l = vstate_find(&st, "s3://b/db-2.bk");
	CHECK(l != NULL && strcmp(l->sha256, sha2) == 0 &&
	    strcmp(l->level, "deep") == 0 && strcmp(l->result, "bad") == 0 &&
	    strcmp(l->at, "2026-11-21T10:00:00Z") == 0);
	CHECK(vstate_find(&st, "s3://b/db-3.bk") == NULL);
	/* Update one, add one, drop the one no longer listed. */
	CHECK(vstate_set(&st, "s3://b/db-2.bk", sha1, "quick",
	    "2026-11-27T15:00:00Z", "ok") == 0);
	CHECK(vstate_set(&st, "s3://b/db-3.bk", sha2, "full",
	    "2026-11-27T15:00:01Z", "ok") == 0);
	CHECK(st.n == 3);
	vstate_find(&st, "s3://b/db-2.bk")->keep = 1;
	vstate_find(&st, "s3://b/db-3.bk")->keep = 1;
	CHECK(vstate_save(path, &st) == 0);
	vstate_free(&st);
	back = bk_read_small_file(path, 4096, NULL, "state");
	snprintf(text, sizeof(text), "# bk-verify state 1\n"
	    "s3://b/db-2.bk\t%s\tquick\t2026-11-27T15:00:00Z\tok\n"
	    "s3://b/db-3.bk\t%s\tfull\t2026-11-27T15:00:01Z\tok\n", sha1,
	    sha2);
	CHECK(back != NULL && strcmp(back, text) == 0);
	free(back);
	/* Malformed files are refused. */
	bk_set_quiet(1);
	CHECK(write_file(bad, "s3://b/x\n") == 0);
	CHECK(vstate_load(bad, &st) == BK_FAIL);
	vstate_free(&st);
	snprintf(text, sizeof(text), "# bk-verify state 1\n"
	    "s3://b/x\t%s\tfull\t2026-11-27 15:00:00\tok\n", sha1);
	CHECK(write_file(bad, text) == 0 && vstate_load(bad, &st) ==
	    BK_FAIL);
	vstate_free(&st);
	snprintf(text, sizeof(text), "# bk-verify state 1\n"
	    "s3://b/x\t%s\tfull\t2026-11-27T15:00:00Z\tmaybe\n", sha1);
	CHECK(write_file(bad, text) == 0 && vstate_load(bad, &st) ==
	    BK_FAIL);
	vstate_free(&st);
	snprintf(text, sizeof(text), "# bk-verify state 1\n"
	    "s3://b/x\t%.63s\tfull\t2026-11-27T15:00:00Z\tok\n", sha1);
	CHECK(write_file(bad, text) == 0 && vstate_load(bad, &st) ==
	    BK_FAIL);
	vstate_free(&st);
	bk_set_quiet(0);
	unlink(bad);
	unlink(path);
}

int
main(void)
{
	char dir[] = "/tmp/test-verify.XXXXXX";

	bk_setprogname("test-verify");
	test_levels();
	test_maxage();
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_state(dir);
	rmdir(dir);
	return unit_exit();
}
