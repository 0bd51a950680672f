/*
 * climode.h - the command line of a tool with two modes (bk-dump and
 * bk-restore: the database, or a directory with --files DIR), on top of
 * lib/cli: each mode is a table of its own options and usage text; the
 * tool picks the mode, parses, runs it and returns climode_finish().
 */
#ifndef BK_CLIMODE_H
#define BK_CLIMODE_H

#include "cli.h"

struct bk_status;

/* One mode: its usage text and its own options (see bk_cli_parse). */
struct climode {
	const char *synopsis, *help;
	const char *shortopts;
	const struct option *longopts;
	bk_cli_opt_fn *opt;
	int json_fd;		/* where a bare --json goes */
};

/* 1 if argv (before a "--") chooses the directory mode: --files[=DIR]. */
int climode_files(int argc, char *argv[]);
/*
 * Parse argv for mode m into cli (set up here; every common option) and
 * ctx (by m->opt); *progress and *verbose (the mode's options) get
 * --progress and whether -v was given.  --help wins wherever it stands
 * before "--", even as the argument of --files; an operand is a usage
 * error.  Returns BK_CLI_GO, or the exit status for main() to return.
 */
int climode_parse(const struct climode *m, struct bk_cli *cli, int argc,
    char *argv[], void *ctx, int *progress, int *verbose);
/*
 * The exit status of a run that came to result (enum bk_result), or
 * BK_EXIT_INCOMPLETE if it succeeded with incomplete set, after the --json
 * status line (st may be NULL); a status line that cannot be written
 * turns success into BK_EXIT_FAIL.
 */
int climode_finish(struct bk_status *st, int result, int incomplete);

#endif /* !BK_CLIMODE_H */
