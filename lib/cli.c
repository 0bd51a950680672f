/* cli.c - the common options and the one usage convention; see cli.h. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bk.h"
#include "cli.h"

enum {
	OPT_HELP = 0x1000, OPT_VERSION, OPT_PROGRESS, OPT_NO_PROGRESS,
	OPT_JSON, OPT_VERBOSE
};

#define MAXOPTS 64

static const struct option common_opts[] = {
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "json", optional_argument, NULL, OPT_JSON },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
};

/* 1 if the tool asked for the common option with value val. */
static int
wanted(const struct bk_cli *cli, int val)
{
	switch (val) {
	case OPT_PROGRESS:
	case OPT_NO_PROGRESS:
		return (cli->common & BK_CLI_PROGRESS) != 0;
	case OPT_JSON:
		return (cli->common & BK_CLI_JSON) != 0;
	case OPT_VERBOSE:
		return (cli->common & BK_CLI_VERBOSE) != 0;
	default:
		return 1;
	}
}

/* How the user wrote the option getopt_long just refused. */
static const char *
optname(char *argv[], int opt)
{
	static char buf[128];
	const char *w = argv[optind - 1], *eq;

	if (w != NULL && strncmp(w, "--", 2) == 0) {
		eq = strchr(w, '=');
		snprintf(buf, sizeof(buf), "%.*s", eq ? (int)(eq - w) : 100,
		    w);
	} else if (opt > 0 && opt < 0x100)
		snprintf(buf, sizeof(buf), "-%c", opt);
	else
		snprintf(buf, sizeof(buf), "%.100s", w ? w : "?");
	return buf;
}

/* The help lines of the common options, then the tool's footer. */
static void
common_help(const struct bk_cli *cli)
{
	if (cli->common & BK_CLI_PROGRESS)
		puts("      --progress     show bytes, rate and ETA on stderr "
		    "(--no-progress: off)");
	if (cli->common & BK_CLI_JSON)
		printf("      --json[=FILE]  a JSON status line at the end "
		    "(default: %s)\n", cli->json_fd == 1 ? "stdout" :
		    "stderr");
	if (cli->common & BK_CLI_VERBOSE)
		puts("  -v, --verbose      say more");
	puts("  -h, --help         this text;  --version  the version");
	if (cli->footer != NULL)
		printf("\n%s", cli->footer);
}

static int
synopsis_to_stderr(const struct bk_cli *cli)
{
	fputs(cli->synopsis, stderr);
	return BK_EXIT_USAGE;
}

int
bk_cli_usage(const struct bk_cli *cli, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn0("%s", msg);
	return synopsis_to_stderr(cli);
}

int
bk_cli_parse(struct bk_cli *cli, int argc, char *argv[],
    const char *shortopts, const struct option *longopts,
    bk_cli_opt_fn *fn, void *ctx)
{
	struct option all[MAXOPTS];
	char shorts[128];
	size_t n = 0, i;
	int ch;

	cli->progress = bk_progress_default();
	cli->json = NULL;
	cli->verbose = 0;
	for (; longopts != NULL && longopts[n].name != NULL; n++) {
		if (n >= MAXOPTS - 1 - sizeof(common_opts) /
		    sizeof(common_opts[0]))
			return bk_cli_usage(cli, "too many options");
		all[n] = longopts[n];
	}
	for (i = 0; i < sizeof(common_opts) / sizeof(common_opts[0]); i++)
		if (wanted(cli, common_opts[i].val))
			all[n++] = common_opts[i];
	memset(&all[n], 0, sizeof(all[n]));
	snprintf(shorts, sizeof(shorts), ":%s%s%s", shortopts ? shortopts : "",
	    "h", (cli->common & BK_CLI_VERBOSE) ? "v" : "");

	optind = 1;
	opterr = 0;	/* our own messages, one convention */
	while ((ch = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		switch (ch) {
		case 'h':
		case OPT_HELP:
			fputs(cli->synopsis, stdout);
			if (cli->help != NULL)
				printf("\n%s", cli->help);
			if (cli->common & BK_CLI_HELP)
				common_help(cli);
			return bk_close_stdout() == 0 ? BK_EXIT_OK :
			    BK_EXIT_FAIL;
		case OPT_VERSION:
			bk_print_version();
			return bk_close_stdout() == 0 ? BK_EXIT_OK :
			    BK_EXIT_FAIL;
		case OPT_PROGRESS: cli->progress = 1; break;
		case OPT_NO_PROGRESS: cli->progress = 0; break;
		case OPT_JSON: cli->json = optarg ? optarg : ""; break;
		case 'v':
		case OPT_VERBOSE: cli->verbose++; break;
		case ':':
			return bk_cli_usage(cli, "%s needs an argument",
			    optname(argv, optopt));
		case '?':
			return bk_cli_usage(cli, "unknown option %s",
			    optname(argv, optopt));
		default:
			if (fn == NULL || fn(ctx, ch, optarg) != 0)
				return synopsis_to_stderr(cli);
		}
	}
	cli->argi = optind;
	return BK_CLI_GO;
}

struct bk_status *
bk_cli_status(const struct bk_cli *cli)
{
	return bk_status_new(cli->json, cli->json_fd);
}
