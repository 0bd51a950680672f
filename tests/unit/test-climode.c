/*
 * Unit tests for lib/climode.c, the command line of bk-dump and
 * bk-restore: --files[=DIR] before "--" chooses the directory mode and
 * nothing else does; a run's result maps to its exit status (4 only for
 * a success left incomplete); an unknown option or an operand is a usage
 * error (2) and --version a success (0), with the mode's options taken.
 */
#include <stdio.h>
#include <unistd.h>

#include "bk.h"
#include "climode.h"
#include "unit.h"

struct opts {
	const char *dir;
	int flag, progress, verbose;
};

static int
opt(void *ctx, int ch, const char *arg)
{
	struct opts *o = ctx;

	if (ch == 'f')
		o->dir = arg;
	else if (ch == 'F')
		o->flag = 1;
	return ch == 'f' || ch == 'F' ? 0 : -1;
}

static const struct option longopts[] = {
	{ "files", required_argument, NULL, 'f' },
	{ "flag", no_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 }
};
static const struct climode mode = { "usage: test-climode\n", "help\n",
    "", longopts, opt, STDERR_FILENO };

static int
parse(int argc, char *argv[], struct opts *o)
{
	struct bk_cli cli;

	return climode_parse(&mode, &cli, argc, argv, o, &o->progress,
	    &o->verbose);
}

static void
test_files(void)
{
	char *a1[] = { "t", "--files", "d", NULL };
	char *a2[] = { "t", "--files=d", NULL };
	char *a3[] = { "t", "--filesx", NULL };
	char *a4[] = { "t", "--", "--files", "d", NULL };
	char *a5[] = { "t", "--uri", "x", NULL };

	CHECK(climode_files(3, a1) == 1);
	CHECK(climode_files(2, a2) == 1);
	CHECK(climode_files(2, a3) == 0);
	CHECK(climode_files(4, a4) == 0);	/* an operand after "--" */
	CHECK(climode_files(3, a5) == 0);
}

static void
test_exit(void)
{
	CHECK(climode_finish(NULL, BK_OK, 0) == BK_EXIT_OK);
	CHECK(climode_finish(NULL, BK_OK, 1) == BK_EXIT_INCOMPLETE);
	CHECK(climode_finish(NULL, BK_NEGATIVE, 1) == BK_EXIT_NEGATIVE);
	CHECK(climode_finish(NULL, BK_FAIL, 0) == BK_EXIT_FAIL);
	CHECK(climode_finish(NULL, BK_RETRY, 1) == BK_EXIT_TEMP);
}

static void
test_parse(void)
{
	char *ok[] = { "t", "--files", "d", "--flag", "-v", "--no-progress",
	    NULL };
	char *unknown[] = { "t", "--nope", NULL };
	char *operand[] = { "t", "--flag", "extra", NULL };
	char *version[] = { "t", "--version", NULL };
	struct opts o = { NULL, 0, 1, 0 };

	CHECK(parse(6, ok, &o) == BK_CLI_GO);
	CHECK(o.dir != NULL && o.flag == 1 && o.verbose == 1 &&
	    o.progress == 0);
	CHECK(parse(2, unknown, &o) == BK_EXIT_USAGE);
	CHECK(parse(3, operand, &o) == BK_EXIT_USAGE);
	CHECK(parse(2, version, &o) == BK_EXIT_OK);
}

int
main(void)
{
	bk_setprogname("test-climode");
	test_files();
	test_exit();
	test_parse();
	return unit_exit();
}
