/*
 * bk-restore - read a stream written by bk-dump (or mongodump --archive, or a
 * pax tar) on standard input into MongoDB or into a directory.
 * The options are parsed here; the work is in lib/db/restore_db.c and
 * lib/files/restore_files.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approve/approve.h"
#include "bk.h"
#include "climode.h"
#include "db/db.h"
#include "files/files.h"

static const char db_synopsis[] =
    "usage: bk-restore [--uri URI] [--password-file FILE] "
    "[--drop | --merge]\n"
    "                  [--dry-run] [--ns-include PAT] [--ns-exclude PAT]\n"
    "                  [--ns-from PAT --ns-to PAT] [--batch-size N]\n"
    "                  [--batch-bytes SIZE] [--no-index-restore]\n"
    "                  [--continue-on-error] [--validate] [-v] "
    "[--progress]\n"
    "                  [--json[=FILE]] [-k KEYRING] [--kms]\n"
    "                  [--request REQ --approval SIG... "
    "[--break-lock]]\n"
    "       bk-restore --files DIR ...   (see bk-restore(1))\n";
static const char db_help[] =
    "Restore a mongodump --archive stream (plain, gzip or zstd) from "
    "standard input.\n"
    "  --uri URI              connection string (default $MONGODB_URI)\n"
    "  --password-file FILE   read the password from FILE (mode 0600)\n"
    "  --drop                 drop each target collection before "
    "restoring it\n"
    "  --merge                insert only the documents whose _id is "
    "missing\n"
    "  -n, --dry-run          check the whole stream, touch no server\n"
    "  --ns-include PAT       only namespaces DB.COLL matching PAT "
    "('*' wildcard)\n"
    "  --ns-exclude PAT       leave out namespaces matching PAT\n"
    "  --ns-from PAT --ns-to PAT  rename: each '*' of --ns-to gets what "
    "the\n"
    "                         matching '*' of --ns-from matched\n"
    "  --batch-size N         documents per insert (default 1000)\n"
    "  --batch-bytes SIZE     bytes per insert (default 16M)\n"
    "  --no-index-restore     create no indexes\n"
    "  --continue-on-error    go on after documents the server refuses "
    "(exit 4)\n"
    "  --validate             compare counts and digests with the server "
    "after\n"
    "  --kms                  open a KMS-sealed container (no keyring)\n"
    "  -k, --keyring FILE     open an encrypted container on stdin with "
    "FILE's keys\n"
    "  --request REQ          a restore request (bk-approve(1))\n"
    "  --approval SIG         an approver's ssh-keygen -Y sign signature "
    "of REQ\n"
    "  --break-lock           take a protected database's swap lock "
    "from a restore\n"
    "                         that died on another host\n"
    "  -v, --verbose          one line per collection on stderr\n"
    "  --progress, --no-progress  show the rate on stderr\n"
    "  --json[=FILE]          a JSON status line on stdout (or FILE); "
    "on stderr\n"
    "                         with --dry-run or --validate\n"
    "  --help, --version      this text; the version\n"
    "The server must answer within 5 s unless the URI sets "
    "serverSelectionTimeoutMS.\n"
    "See bk-restore(1).\n";

static const char files_synopsis[] =
    "usage: bk-restore --files DIR [--overwrite] [--delete] [--devices] "
    "[--numeric-owner]\n"
    "                  [--xattrs-all | --xattrs-include PATTERN]... "
    "[--fsync]\n"
    "                  [--dry-run | --validate] [-v] "
    "[--progress | --no-progress]\n"
    "                  [--json[=FILE]] [-k KEYRING] [--kms]\n"
    "                  [--request REQ --approval SIG...] < stream\n";
static const char files_help[] =
    "Extract a tar stream (plain, gzip or zstd) from standard input into "
    "DIR.\n"
    "  --files DIR          the target directory (created if missing)\n"
    "  --overwrite          replace existing files, links, devices; a "
    "member of\n"
    "                       another type replaces them too, and an empty "
    "directory\n"
    "  --delete             after an incremental stream: remove what its "
    "index\n"
    "                       does not list (and non-empty directories a "
    "file replaces)\n"
    "  --devices            create device nodes and FIFOs\n"
    "  --numeric-owner      restore owners by number, not by name\n"
    "  --xattrs-all         restore every extended attribute (default: "
    "user.* only)\n"
    "  --xattrs-include P   restore the attributes whose name matches "
    "pattern P\n"
    "  --fsync              fsync each file before renaming it into "
    "place\n"
    "  -n, --dry-run        list the members, write nothing\n"
    "  --validate           compare DIR with the stream; differences on "
    "stdout\n"
    "  --kms                open a KMS-sealed container (no keyring)\n"
    "  -k, --keyring FILE   open an encrypted container on stdin with "
    "FILE's keys\n"
    "  --request REQ        a restore request (bk-approve(1))\n"
    "  --approval SIG       an approver's ssh-keygen -Y sign signature "
    "of REQ\n"
    "  -v, --verbose        a summary on standard error\n"
    "  --progress, --no-progress  progress on standard error (default: "
    "if a tty)\n"
    "  --json[=FILE]        a JSON status line (standard error or FILE)\n"
    "  --help, --version    this text; the version\n"
    "See bk-restore(1), DIRECTORY MODE.\n";

/* --batch-size N (a plain number) or --batch-bytes SIZE (with a suffix). */
static int
count_opt(const char *opt, const char *s, uint64_t *v, int size)
{
	if (bk_parse_size(s, v) != 0 || *v == 0 ||
	    (!size && strspn(s, "0123456789") != strlen(s))) {
		warn0("%s %s: expected a positive %s", opt, s,
		    size ? "size" : "number");
		return -1;
	}
	return 0;
}

#define OPT_REQUEST 0x200
#define OPT_APPROVAL 0x201
#define OPT_KMS 0x202

/* What both modes take: the options of their approvals. */
struct db_ctx {
	struct restore_db_opts o;
	struct approve_gate_opts g;
};
struct files_ctx {
	struct restore_files_opts o;
	struct approve_gate_opts g;
};

/* -k, --request, --approval: 0, -1 (reported), or 1 (not one of them). */
static int
gate_opt(struct approve_gate_opts *g, int ch, const char *arg)
{
	switch (ch) {
	case 'k': g->keyring = arg; return 0;
	case OPT_KMS: g->kms = 1; return 0;
	case OPT_REQUEST: g->request = arg; return 0;
	case OPT_APPROVAL:
		if (g->napprovals == APPROVE_REQUIRE_MAX) {
			warn0("more than %d --approval options",
			    APPROVE_REQUIRE_MAX);
			return -1;
		}
		g->approvals[g->napprovals++] = arg;
		return 0;
	}
	return 1;
}

/* The database mode's own options. */
static int
db_opt(void *ctx, int ch, const char *arg)
{
	struct restore_db_opts *o = &((struct db_ctx *)ctx)->o;
	int rc;

	if ((rc = gate_opt(&((struct db_ctx *)ctx)->g, ch, arg)) <= 0)
		return rc;
	switch (ch) {
	case 'u': o->uri = arg; return 0;
	case 'W': o->pwfile = arg; return 0;
	case 'I':
		return db_pattern_add(o->incl, &o->nincl, arg, "--ns-include");
	case 'E':
		return db_pattern_add(o->excl, &o->nexcl, arg, "--ns-exclude");
	case 'F':
		return db_pattern_add((const char **)o->from, &o->nfrom, arg,
		    "--ns-from");
	case 'T':
		return db_pattern_add((const char **)o->to, &o->nto, arg,
		    "--ns-to");
	case 'D': o->drop = 1; return 0;
	case 'M': o->merge = 1; return 0;
	case 'n': o->dry = 1; return 0;
	case 'X': o->noindex = 1; return 0;
	case 'C': o->cont = 1; return 0;
	case 'A': o->validate = 1; return 0;
	case 'L': o->break_lock = 1; return 0;
	case 'b':
		return count_opt("--batch-size", arg, &o->batch_docs, 0);
	case 'B':
		return count_opt("--batch-bytes", arg, &o->batch_bytes, 1);
	}
	return -1;
}

/* The directory mode's own options. */
static int
files_opt(void *ctx, int ch, const char *arg)
{
	struct restore_files_opts *o = &((struct files_ctx *)ctx)->o;
	int rc;

	if ((rc = gate_opt(&((struct files_ctx *)ctx)->g, ch, arg)) <= 0)
		return rc;
	switch (ch) {
	case 'f': o->dir = arg; return 0;
	case 'o': o->overwrite = 1; return 0;
	case 'D': o->devices = 1; return 0;
	case 'N': o->numeric = 1; return 0;
	case 'n': o->dryrun = 1; return 0;
	case 'C': o->validate = 1; return 0;
	case 'F': o->dofsync = 1; return 0;
	case 'X': o->delete = 1; return 0;
	case 'A': o->xattrs_all = 1; return 0;
	case 'I':
		if (o->nxpatterns == FILES_XPATTERNS_MAX) {
			warn0("more than %d --xattrs-include patterns",
			    FILES_XPATTERNS_MAX);
			return -1;
		}
		o->xpatterns[o->nxpatterns++] = arg;
		return 0;
	}
	return -1;
}

static const struct option db_longopts[] = {
	{ "uri", required_argument, NULL, 'u' },
	{ "password-file", required_argument, NULL, 'W' },
	{ "ns-include", required_argument, NULL, 'I' },
	{ "ns-exclude", required_argument, NULL, 'E' },
	{ "ns-from", required_argument, NULL, 'F' },
	{ "ns-to", required_argument, NULL, 'T' },
	{ "drop", no_argument, NULL, 'D' },
	{ "merge", no_argument, NULL, 'M' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "no-index-restore", no_argument, NULL, 'X' },
	{ "continue-on-error", no_argument, NULL, 'C' },
	{ "validate", no_argument, NULL, 'A' },
	{ "batch-size", required_argument, NULL, 'b' },
	{ "batch-bytes", required_argument, NULL, 'B' },
	{ "break-lock", no_argument, NULL, 'L' },
	{ "keyring", required_argument, NULL, 'k' },
	{ "kms", no_argument, NULL, OPT_KMS },
	{ "request", required_argument, NULL, OPT_REQUEST },
	{ "approval", required_argument, NULL, OPT_APPROVAL },
	{ NULL, 0, NULL, 0 }
};
static const struct option files_longopts[] = {
	{ "files", required_argument, NULL, 'f' },
	{ "overwrite", no_argument, NULL, 'o' },
	{ "devices", no_argument, NULL, 'D' },
	{ "numeric-owner", no_argument, NULL, 'N' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "validate", no_argument, NULL, 'C' },
	{ "fsync", no_argument, NULL, 'F' },
	{ "delete", no_argument, NULL, 'X' },
	{ "xattrs-all", no_argument, NULL, 'A' },
	{ "xattrs-include", required_argument, NULL, 'I' },
	{ "keyring", required_argument, NULL, 'k' },
	{ "kms", no_argument, NULL, OPT_KMS },
	{ "request", required_argument, NULL, OPT_REQUEST },
	{ "approval", required_argument, NULL, OPT_APPROVAL },
	{ NULL, 0, NULL, 0 }
};
/*
 * A database restore prints nothing on stdout but the status line (or,
 * with --dry-run or --validate, the plan or the table: the line then
 * goes to stderr, set below); the directory mode's stdout carries the
 * listing or the differences, if anything.
 */
static const struct climode db_mode = { db_synopsis, db_help, "nk:",
    db_longopts, db_opt, STDOUT_FILENO };
static const struct climode files_mode = { files_synopsis, files_help, "nk:",
    files_longopts, files_opt, STDERR_FILENO };

static int
restore_db(int argc, char *argv[])
{
	struct db_ctx c = { 0 };
	struct restore_db_opts *o = &c.o;
	struct approve_gate *g;
	struct bk_status *st;
	struct bk_cli cli;
	int rc, incomplete = 0;

	restore_db_defaults(o);
	if ((rc = climode_parse(&db_mode, &cli, argc, argv, &c,
	    &o->progress, &o->verbose)) != BK_CLI_GO)
		return rc;
	if (restore_db_check(o) != 0)
		return fputs(cli.synopsis, stderr), BK_EXIT_USAGE;
	if (c.g.napprovals > 0 && c.g.request == NULL)
		return bk_cli_usage(&cli, "--approval needs --request");
	if (o->dry || o->validate)
		cli.json_fd = STDERR_FILENO;
	if ((st = bk_cli_status(&cli)) == NULL && cli.json != NULL)
		return BK_EXIT_FAIL;
	bk_status_object(st, o->uri != NULL ? o->uri : getenv("MONGODB_URI"));
	if ((rc = approve_gate_open(&c.g, NULL, !o->dry, &g)) == BK_OK) {
		if (approve_gate_active(g)) {
			o->target_check = approve_gate_target;
			o->target_ctx = g;
		}
		rc = restore_db_run(o, st, &incomplete);
	}
	rc = approve_gate_close(g, rc, st);
	return climode_finish(st, rc, incomplete);
}

/* The directory mode's options that exclude each other: 0, or exit 2. */
static int
files_conflict(const struct bk_cli *cli, const struct restore_files_opts *o,
    const struct approve_gate_opts *g)
{
	if (o->dir == NULL || *o->dir == '\0')
		return bk_cli_usage(cli, "--files needs a directory");
	if (o->xattrs_all && o->nxpatterns > 0)
		return bk_cli_usage(cli, "--xattrs-all and --xattrs-include "
		    "exclude each other");
	if (o->dryrun && o->validate)
		return bk_cli_usage(cli, "--dry-run and --validate exclude "
		    "each other");
	if (g->napprovals > 0 && g->request == NULL)
		return bk_cli_usage(cli, "--approval needs --request");
	return 0;
}

static int
restore_files(int argc, char *argv[])
{
	struct files_ctx c = { 0 };
	struct restore_files_opts *o = &c.o;
	struct approve_gate *g;
	struct bk_status *st;
	struct bk_cli cli;
	int rc, incomplete = 0;

	if ((rc = climode_parse(&files_mode, &cli, argc, argv, &c,
	    &o->progress, &o->verbose)) != BK_CLI_GO ||
	    (rc = files_conflict(&cli, o, &c.g)) != 0)
		return rc;
	if ((st = bk_cli_status(&cli)) == NULL && cli.json != NULL)
		return BK_EXIT_FAIL;
	bk_status_object(st, o->dir);
	c.g.incremental = o->delete;
	if ((rc = approve_gate_open(&c.g, o->dir, !o->dryrun && !o->validate,
	    &g)) == BK_OK) {
		o->shown = o->dir;
		o->dir = approve_gate_dir(g, o->dir);
		rc = restore_files_run(o, st, &incomplete);
	}
	rc = approve_gate_close(g, rc, st);
	return climode_finish(st, rc, incomplete);
}

int
main(int argc, char *argv[])
{
	bk_setprogname(argv[0]);
	bk_ignore_sigpipe();
	return climode_files(argc, argv) ? restore_files(argc, argv) :
	    restore_db(argc, argv);
}
