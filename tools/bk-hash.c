/*
 * bk-hash - copy standard input to standard output unchanged while
 * computing its SHA-256; write the digest as a sha256sum(1) line, or check
 * it against one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "cli.h"
#include "io/sha256.h"
#include "io/stage.h"

#define SUMFILE_MAX (1024 * 1024)

static const char synopsis[] =
    "usage: bk-hash [-o sumfile | --fd n] [-n name] [--progress] "
    "[--json[=file]]\n"
    "       bk-hash -c sumfile [-n name] [--progress] [--json[=file]]\n";
static const char help[] =
    "Copy standard input to standard output unchanged and compute its "
    "SHA-256.\n\n"
    "  -o, --output FILE  write the sha256sum line to FILE (atomically)\n"
    "      --fd N         write it to descriptor N (default: stderr)\n"
    "  -c, --check FILE   check the stream against FILE (sha256sum "
    "format);\n"
    "                     exit 1 on a mismatch\n"
    "  -n, --name NAME    the file name on the line (default \"-\"); "
    "with -c, the\n"
    "                     line to check in a file of several\n";
static const char footer[] =
    "Exit: 0 ok, 1 mismatch, 2 usage, 3 failure.  See bk-hash(1).\n";

/* The tool's own options; lib/cli adds the common ones. */
static const struct option longopts[] = {
	{ "check", required_argument, NULL, 'c' },
	{ "output", required_argument, NULL, 'o' },
	{ "name", required_argument, NULL, 'n' },
	{ "fd", required_argument, NULL, 'F' },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	const char *check, *outfile, *name;
	int outfd;
};

static int
opt(void *ctx, int ch, const char *arg)
{
	struct opts *o = ctx;
	long fd;

	switch (ch) {
	case 'c': o->check = arg; return 0;
	case 'o': o->outfile = arg; return 0;
	case 'n': o->name = arg; return 0;
	case 'F':
		if (bk_parse_long(arg, 2, 1024, &fd) != 0 ||
		    fd == STDOUT_FILENO) {
			warn0("--fd %s: not a usable descriptor "
			    "(2 or 3..1024)", arg);
			return -1;
		}
		o->outfd = (int)fd;
		return 0;
	}
	return -1;
}

/* Copy stdin to stdout, hashing; a bk_result (failures reported). */
static int
hash_stream(unsigned char digest[BK_SHA256_LEN], uint64_t *total,
    struct bk_progress *prog)
{
	struct bk_stage *sha;
	int rc = BK_FAIL;

	*total = 0;
	if ((sha = bk_stage_sha256(bk_stage_fd(STDOUT_FILENO,
	    "<stdout>"))) == NULL)
		return BK_FAIL;
	if ((rc = bk_stage_pump(STDIN_FILENO, "<stdin>", sha, prog,
	    total)) == BK_OK && (rc = bk_stage_finish(sha)) == BK_OK)
		(void)bk_stage_sha256_digest(sha, digest);
	bk_stage_free(sha);
	return rc;
}

/* Read the expected digest before any data flows, so a bad -c fails early. */
static int
load_expected(const char *path, const char *name,
    unsigned char digest[BK_SHA256_LEN])
{
	char *text;
	int rc;

	if ((text = bk_read_small_file(path, SUMFILE_MAX, NULL,
	    "checksum file")) == NULL)
		return -1;
	rc = bk_sumtext_lookup(text, path, name, digest);
	free(text);
	return rc;
}

/* Deliver the sum line to -o FILE (atomically), --fd N, or stderr. */
static int
write_sum(const char *line, const char *outfile, int outfd)
{
	if (outfile != NULL)
		return bk_atomic_write(outfile, line, strlen(line), 0644, 0);
	return bk_write_full(outfd, line, strlen(line), "checksum output");
}

int
main(int argc, char *argv[])
{
	/* The data stream owns stdout, so the status line goes to stderr. */
	struct bk_cli cli = { synopsis, help, BK_CLI_PROGRESS | BK_CLI_JSON |
	    BK_CLI_HELP, STDERR_FILENO, 0, NULL, 0, 0, footer };
	struct opts o = { NULL, NULL, NULL, STDERR_FILENO };
	unsigned char digest[BK_SHA256_LEN], expected[BK_SHA256_LEN];
	char hex[2 * BK_SHA256_LEN + 1], ehex[2 * BK_SHA256_LEN + 1];
	const char *check, *name;
	struct bk_progress *prog;
	struct bk_status *st;
	int ex = BK_EXIT_FAIL;
	uint64_t total = 0;
	char *line = NULL;

	bk_setprogname(argv[0]);
	if ((ex = bk_cli_parse(&cli, argc, argv, "c:o:n:", longopts, opt,
	    &o)) != BK_CLI_GO)
		return ex;
	ex = BK_EXIT_FAIL;
	check = o.check;
	name = o.name;
	if (cli.argi != argc)
		return bk_cli_usage(&cli, "unexpected argument: %s",
		    argv[cli.argi]);
	if (check != NULL && (o.outfile != NULL || o.outfd != STDERR_FILENO))
		return bk_cli_usage(&cli, "-c checks a sum; it does not "
		    "write one (-o, --fd)");
	bk_ignore_sigpipe();
	/* The data stream owns stdout, so the status line goes to stderr. */
	st = bk_cli_status(&cli);
	if (cli.json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	bk_status_op(st, check != NULL ? "check" : "hash");
	bk_status_object(st, name);

	if (check != NULL && load_expected(check, name, expected) != 0)
		goto out;
	prog = bk_progress_new(check ? "checking" : "hashing",
	    bk_fd_size(STDIN_FILENO), cli.progress);
	if (hash_stream(digest, &total, prog) != 0) {
		bk_progress_done(prog);
		goto out;
	}
	bk_progress_done(prog);
	if (bk_close_stdout() != 0)
		goto out;
	bk_hex(hex, digest, sizeof(digest));
	bk_status_str(st, "sha256", hex);
	bk_status_int(st, "bytes", (int64_t)total);
	if (check != NULL) {
		if (memcmp(digest, expected, sizeof(digest)) != 0 &&
		    total == 0) {
			/* Not bad data: the stage before us sent nothing. */
			warn0("<stdin>: " BK_EMPTY_INPUT);
			goto out;
		}
		if (memcmp(digest, expected, sizeof(digest)) != 0) {
			bk_hex(ehex, expected, sizeof(expected));
			warn0("SHA-256 mismatch for %s: %s expects %s, "
			    "the stream has %s", name ? name : "the stream",
			    check, ehex, hex);
			ex = BK_EXIT_NEGATIVE;
			goto out;
		}
		ex = BK_EXIT_OK;
		goto out;
	}
	if ((line = bk_sumline(digest, name ? name : "-")) == NULL ||
	    write_sum(line, o.outfile, o.outfd) != 0)
		goto out;
	ex = BK_EXIT_OK;
out:
	free(line);
	return bk_status_done(st, ex);
}
