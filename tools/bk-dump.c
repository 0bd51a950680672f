/*
 * bk-dump - write a MongoDB database (mongodump --archive format) or a
 * directory (pax tar) as one stream on standard output.
 * The options are parsed here; the work is in lib/db/dump_db.c and
 * lib/files/dump_files.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "climode.h"
#include "db/db.h"
#include "files/files.h"

static const char db_synopsis[] =
    "usage: bk-dump [--uri URI] [--password-file FILE] [--db DB]... "
    "[--collection C]\n"
    "               [--ns-include PAT] [--ns-exclude PAT] "
    "[--query JSON]\n"
    "               [--read-preference MODE] [-j JOBS] "
    "[-z none|gzip|zstd[:LEVEL]]\n"
    "               [--include-users] [-v] [--progress] "
    "[--json[=FILE]]\n"
    "       bk-dump --files DIR ...   (see bk-dump(1))\n";
static const char db_help[] =
    "Write a MongoDB backup (mongodump --archive format) on standard "
    "output.\n"
    "  --uri URI              connection string (default $MONGODB_URI); "
    "a database\n"
    "                         in it dumps only that database\n"
    "  --password-file FILE   read the password from FILE (mode 0600)\n"
    "  -d, --db DB            only database DB; repeat for several\n"
    "  -c, --collection C     only collection C (needs one database)\n"
    "  --ns-include PAT       only namespaces DB.COLL matching PAT "
    "('*' wildcard)\n"
    "  --ns-exclude PAT       leave out namespaces matching PAT\n"
    "  -q, --query JSON       only documents matching this filter\n"
    "  --read-preference MODE primary, primaryPreferred, secondary,\n"
    "                         secondaryPreferred (default) or nearest\n"
    "  -j, --jobs N           collections dumped at once, 1..16 "
    "(default 4)\n"
    "  -z, --compress M[:L]   none (default), gzip or zstd, with level L\n"
    "  --include-users        also dump admin.system.users and "
    "system.roles\n"
    "  -v, --verbose          one line per collection on stderr\n"
    "  --progress, --no-progress  show the rate on stderr\n"
    "  --json[=FILE]          a JSON status line on stderr (or FILE)\n"
    "  --help, --version      this text; the version\n"
    "The server must answer within 5 s unless the URI sets "
    "serverSelectionTimeoutMS.\n"
    "See bk-dump(1).\n";

static const char files_synopsis[] =
    "usage: bk-dump --files DIR [-z none|gzip|zstd[:LEVEL]] "
    "[--exclude PATTERN]...\n"
    "               [--one-file-system] [--xattrs] "
    "[--since TIMESTAMP] [-v]\n"
    "               [--progress | --no-progress] [--json[=FILE]]\n";
static const char files_help[] =
    "Write DIR as a pax tar stream on standard output.\n"
    "  --files DIR          the directory to archive (stored as \"./\" "
    "and below)\n"
    "  -z, --compress M     none (default), gzip or zstd, optionally "
    ":LEVEL\n"
    "  --exclude PATTERN    leave out paths or names matching the fnmatch "
    "pattern\n"
    "  --one-file-system    do not descend into other file systems\n"
    "  --xattrs             store extended attributes\n"
    "  --since TIMESTAMP    incremental: only what changed after "
    "TIMESTAMP\n"
    "                       (2026-11-26T15:00:00Z or @EPOCH), every "
    "directory, and\n"
    "                       a .bk-index of every current path\n"
    "  -v, --verbose        a summary on standard error\n"
    "  --progress, --no-progress  progress on standard error (default: "
    "if a tty)\n"
    "  --json[=FILE]        a JSON status line with a \"counts\" object "
    "(standard\n"
    "                       error or FILE)\n"
    "  --help, --version    this text; the version\n"
    "See bk-dump(1), DIRECTORY MODE.\n";

/* The database mode's own options. */
static int
db_opt(void *ctx, int ch, const char *arg)
{
	struct dump_db_opts *o = ctx;
	long n;

	switch (ch) {
	case 'u': o->uri = arg; return 0;
	case 'W': o->pwfile = arg; return 0;
	case 'd': return dump_db_add_db(o, arg);
	case 'c': o->coll = arg; return 0;
	case 'I':
		return db_pattern_add(o->incl, &o->nincl, arg, "--ns-include");
	case 'E':
		return db_pattern_add(o->excl, &o->nexcl, arg, "--ns-exclude");
	case 'q': o->query = arg; return 0;
	case 'R': o->readpref = arg; return 0;
	case 'j':
		if (bk_parse_long(arg, 1, DB_JOBS_MAX, &n) != 0) {
			warn0("--jobs %s: expected 1..%d", arg, DB_JOBS_MAX);
			return -1;
		}
		o->jobs = (int)n;
		return 0;
	case 'z': return bk_comp_parse(arg, &o->comp, &o->level);
	case 'U': o->users = 1; return 0;
	}
	return -1;
}

/* The directory mode's own options. */
static int
files_opt(void *ctx, int ch, const char *arg)
{
	struct dump_files_opts *o = ctx;

	switch (ch) {
	case 'f': o->dir = arg; return 0;
	case 'z': return bk_comp_parse(arg, &o->comp, &o->level);
	case 'x':
		if (o->nexcludes == FILES_EXCLUDES_MAX) {
			warn0("more than %d --exclude patterns",
			    FILES_EXCLUDES_MAX);
			return -1;
		}
		o->excludes[o->nexcludes++] = arg;
		return 0;
	case 'O': o->onefs = 1; return 0;
	case 'X': o->xattrs = 1; return 0;
	case 'S':
		o->since_set = 1;
		return dump_files_parse_since(arg, &o->since);
	}
	return -1;
}

static const struct option db_longopts[] = {
	{ "uri", required_argument, NULL, 'u' },
	{ "password-file", required_argument, NULL, 'W' },
	{ "db", required_argument, NULL, 'd' },
	{ "collection", required_argument, NULL, 'c' },
	{ "ns-include", required_argument, NULL, 'I' },
	{ "ns-exclude", required_argument, NULL, 'E' },
	{ "query", required_argument, NULL, 'q' },
	{ "read-preference", required_argument, NULL, 'R' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "compress", required_argument, NULL, 'z' },
	{ "include-users", no_argument, NULL, 'U' },
	{ NULL, 0, NULL, 0 }
};
static const struct option files_longopts[] = {
	{ "files", required_argument, NULL, 'f' },
	{ "compress", required_argument, NULL, 'z' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "one-file-system", no_argument, NULL, 'O' },
	{ "xattrs", no_argument, NULL, 'X' },
	{ "since", required_argument, NULL, 'S' },
	{ NULL, 0, NULL, 0 }
};
/* stdout carries the stream, so the status line goes to stderr. */
static const struct climode db_mode = { db_synopsis, db_help,
    "d:c:q:j:z:", db_longopts, db_opt, STDERR_FILENO };
static const struct climode files_mode = { files_synopsis, files_help,
    "z:", files_longopts, files_opt, STDERR_FILENO };

/* After parsing: a stream is no use on a terminal.  0, or exit 2. */
static int
tty_refused(void)
{
	if (!isatty(STDOUT_FILENO))
		return 0;
	warn0("refusing to write an archive to a terminal");
	return BK_EXIT_USAGE;
}

static int
dump_db(int argc, char *argv[])
{
	struct dump_db_opts o;
	struct bk_status *st;
	struct bk_cli cli;
	int rc;

	dump_db_defaults(&o);
	if ((rc = climode_parse(&db_mode, &cli, argc, argv, &o,
	    &o.progress, &o.verbose)) != BK_CLI_GO ||
	    (rc = tty_refused()) != 0)
		return rc;
	/* A negative answer: the options are refused, a usage error. */
	if ((rc = dump_db_check(&o)) == BK_NEGATIVE)
		return fputs(cli.synopsis, stderr), BK_EXIT_USAGE;
	if (rc != BK_OK)
		return bk_exit_status(rc);
	if ((st = bk_cli_status(&cli)) == NULL && cli.json != NULL)
		return BK_EXIT_FAIL;
	bk_status_object(st, o.uri != NULL ? o.uri : getenv("MONGODB_URI"));
	return climode_finish(st, dump_db_run(&o, st), 0);
}

static int
dump_files(int argc, char *argv[])
{
	struct dump_files_opts o;
	struct bk_status *st;
	struct bk_cli cli;
	int rc, incomplete = 0;

	memset(&o, 0, sizeof(o));
	if ((rc = climode_parse(&files_mode, &cli, argc, argv, &o,
	    &o.progress, &o.verbose)) != BK_CLI_GO)
		return rc;
	if (o.dir == NULL || *o.dir == '\0')
		return bk_cli_usage(&cli, "--files needs a directory");
	if ((rc = tty_refused()) != 0)
		return rc;
	if ((st = bk_cli_status(&cli)) == NULL && cli.json != NULL)
		return BK_EXIT_FAIL;
	bk_status_object(st, o.dir);
	rc = dump_files_run(&o, st, &incomplete);
	return climode_finish(st, rc, incomplete);
}

int
main(int argc, char *argv[])
{
	bk_setprogname(argv[0]);
	bk_ignore_sigpipe();
	return climode_files(argc, argv) ? dump_files(argc, argv) :
	    dump_db(argc, argv);
}
