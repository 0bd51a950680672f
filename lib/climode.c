/* climode.c - the command line of a tool with two modes; see climode.h. */
#include <string.h>

#include "bk.h"
#include "climode.h"

int
climode_files(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strncmp(argv[i], "--files", 7) == 0 &&
		    (argv[i][7] == '\0' || argv[i][7] == '='))
			return 1;
	return 0;
}

int
climode_parse(const struct climode *m, struct bk_cli *cli, int argc,
    char *argv[], void *ctx, int *progress, int *verbose)
{
	char *help_argv[] = { argv[0], "--help", NULL };
	int i;

	memset(cli, 0, sizeof(*cli));
	cli->synopsis = m->synopsis;
	cli->help = m->help;
	cli->common = BK_CLI_PROGRESS | BK_CLI_JSON | BK_CLI_VERBOSE;
	cli->json_fd = m->json_fd;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			return bk_cli_parse(cli, 2, help_argv, NULL, NULL,
			    NULL, NULL);
	if ((i = bk_cli_parse(cli, argc, argv, m->shortopts, m->longopts,
	    m->opt, ctx)) != BK_CLI_GO)
		return i;
	if (cli->argi != argc)
		return bk_cli_usage(cli, "unexpected argument: %s",
		    argv[cli->argi]);
	*progress = cli->progress;
	*verbose = cli->verbose > 0;
	return BK_CLI_GO;
}

int
climode_finish(struct bk_status *st, int result, int incomplete)
{
	int ex = bk_exit_status(result);

	if (ex == BK_EXIT_OK && incomplete)
		ex = BK_EXIT_INCOMPLETE;
	return bk_status_done(st, ex);
}
