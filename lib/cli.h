/*
 * cli.h - the command line every bk tool shares.
 *
 * A tool describes its own options (a getopt_long table and a handler) and
 * its usage text; bk_cli_parse adds the common options and applies one
 * convention to all of them:
 *
 *   -h, --help        synopsis and help on stdout, exit 0
 *   --version         the version line on stdout, exit 0
 *   an unknown option, a missing argument or a value the handler refuses:
 *                     one line naming it, then the synopsis, on stderr,
 *                     exit 2 (BK_EXIT_USAGE)
 *   --progress / --no-progress, --json[=FILE], -v/--verbose
 *                     when the tool asks for them (BK_CLI_*)
 *
 * The library never exits: bk_cli_parse returns the status for main() to
 * return, or BK_CLI_GO to go on with the operands at cli->argi.
 */
#ifndef BK_CLI_H
#define BK_CLI_H

#include <getopt.h>

struct bk_status;

/* Which common options a tool takes. */
#define BK_CLI_PROGRESS	0x01	/* --progress, --no-progress */
#define BK_CLI_JSON	0x02	/* --json[=FILE] */
#define BK_CLI_VERBOSE	0x04	/* -v, --verbose */
/*
 * --help prints the lines for the common options itself, after the tool's
 * help and before its footer, in the layout "  -x, --long ARG   text"
 * with the text at column 21.
 */
#define BK_CLI_HELP	0x08

/* Rows of a tool's getopt_long table, one line each. */
#define BK_CLI_ARG(name, ch) { name, required_argument, NULL, ch }
#define BK_CLI_FLAG(name, ch) { name, no_argument, NULL, ch }
#define BK_CLI_END { NULL, 0, NULL, 0 }

/* bk_cli_parse's "no exit status: go on". */
#define BK_CLI_GO (-1)

struct bk_cli {
	/* Set by the tool. */
	const char *synopsis;	/* "usage: bk-x ...\n", one or more lines */
	const char *help;	/* what --help prints after a blank line */
	unsigned common;	/* BK_CLI_* */
	int json_fd;		/* where a bare --json goes: never the data's fd */
	/* Set by bk_cli_parse. */
	int progress;		/* default: stderr is a terminal */
	const char *json;	/* NULL: no --json; "": json_fd; else a file */
	int verbose;		/* how many -v */
	int argi;		/* the first operand */
	/* Set by the tool, with BK_CLI_HELP: what --help ends with. */
	const char *footer;
};

/*
 * The tool's handler for one of its own options: ch is the getopt_long
 * value, arg its argument (or NULL).  Returns 0, or -1 for a bad value,
 * already reported with warn0 naming the option.
 */
typedef int bk_cli_opt_fn(void *ctx, int ch, const char *arg);

/*
 * Parse argv: the tool's shortopts/longopts go to fn(ctx, ...), the common
 * ones are handled here.  shortopts must not hold 'h' or 'v' (added here);
 * longopts ends with a zeroed entry and its values must stay below 0x1000.
 * Returns BK_CLI_GO, or the exit status for main() to return at once.
 */
int bk_cli_parse(struct bk_cli *cli, int argc, char *argv[],
    const char *shortopts, const struct option *longopts,
    bk_cli_opt_fn *fn, void *ctx);

/*
 * A usage error found after parsing (a missing operand, two options that
 * exclude each other): "prog: MSG" and the synopsis on stderr.  Returns
 * BK_EXIT_USAGE, for main() to return.
 */
int bk_cli_usage(const struct bk_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The --json status object: bk_status_new(cli->json, cli->json_fd).  NULL
 * when no --json was given (every bk_status_* call is then a no-op) or when
 * its file cannot be opened (reported): tell the two apart by cli->json.
 */
struct bk_status *bk_cli_status(const struct bk_cli *cli);

#endif /* !BK_CLI_H */
