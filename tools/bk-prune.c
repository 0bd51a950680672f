/*
 * bk-prune - keep what a grandfather-father-son policy says under one
 * prefix, per kind of backup, and remove the rest (with --apply) so that
 * it can be brought back within a grace period; --undo brings one back;
 * --lifecycle prints the S3 lifecycle configuration for the policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bk.h"
#include "cli.h"
#include "prune/lock.h"
#include "prune/prune.h"
#include "prune/retention.h"
#include "store/store.h"

static const char synopsis[] =
    "usage: bk-prune [--keep-last n] [--keep-hourly n] [--keep-daily n] "
    "[--keep-weekly n]\n"
    "                [--keep-monthly n] [--keep-yearly n] "
    "[--keep-within duration]\n"
    "                [--tz zone] [--state file] [--max-remove pct] "
    "[--apply] [--force]\n"
    "                [--grace duration] [--retries n] [--json] "
    "prefix-url\n"
    "       bk-prune --undo name prefix-url\n"
    "       bk-prune --lifecycle [--keep-... n] [--grace duration] "
    "[prefix-url]\n";
static const char help[] =
    "  --keep-last n       the n newest backups (-1: all)\n"
    "  --keep-hourly n     the newest of each of the n newest hours\n"
    "  --keep-daily n      ... days\n"
    "  --keep-weekly n     ... ISO weeks (Monday to Sunday)\n"
    "  --keep-monthly n    ... months\n"
    "  --keep-yearly n     ... years (-1 for every one: unlimited)\n"
    "  --keep-within d     all backups younger than d (e.g. 2d, 36h, 1w) "
    "before the newest\n"
    "  --tz zone           buckets in this tz database zone (default UTC)\n"
    "  --state file        bk-verify's state: nothing newer than the "
    "newest verified\n"
    "                      backup is removed, and an empty listing is "
    "refused\n"
    "  --max-remove pct    refuse a plan removing more than pct% of a "
    "kind (default 50)\n"
    "  --apply             remove (default: a dry run that only prints "
    "the plan)\n"
    "  --force             go ahead despite --max-remove or an empty "
    "listing\n"
    "  --grace d           removed backups stay recoverable (default 7d)\n"
    "  --incomplete-grace d  remove incomplete backups older than d "
    "(default 2d)\n"
    "  --lock-stale d      break a prune lock older than d (default 24h)\n"
    "  --break-lock        remove the prune lock first\n"
    "  --retries n         retries of a failed request (default 8)\n"
    "  --no-tag            do not tag kept backups bk-retain=RULE\n"
    "  --now time          plan as at this RFC 3339 time\n"
    "  --undo name         bring the removed backup name back\n"
    "  --lifecycle         print the S3 lifecycle configuration and exit\n"
    "  --json              the plan as JSON lines, then a summary line\n"
    "  --help              this text\n"
    "  --version           the version\n"
    "See bk-prune(1).\n";

struct opts {
	struct prune_opts p;
	int lifecycle;
};

static int
opt_duration(int ch, const char *arg, int64_t *v)
{
	if (ret_parse_duration(arg, v) != 0) {
		warn0("--%s %s: want a duration like 7d, 36h, 1w2d, 90s",
		    ch == 'W' ? "keep-within" : ch == 'g' ? "grace" :
		    ch == 'i' ? "incomplete-grace" : "lock-stale", arg);
		return -1;
	}
	return 0;
}

static int
opt_keep(struct opts *o, int ch, const char *arg)
{
	static const char rules[] = "LHDWMY";
	const char *p = strchr(rules, ch);
	long v;

	if (bk_parse_long(arg, -1, 1000000, &v) != 0) {
		warn0("--keep-%s %s: want -1 (unlimited) or 0..1000000",
		    ret_rule_name((enum ret_rule)(p - rules)), arg);
		return -1;
	}
	o->p.pol.count[p - rules] = v;
	return 0;
}

static int
opt(void *ctx, int ch, const char *arg)
{
	struct opts *o = ctx;
	long v;

	switch (ch) {
	case 'L': case 'H': case 'D': case 'w': case 'M': case 'Y':
		return opt_keep(o, ch == 'w' ? 'W' : ch, arg);
	case 'W': return opt_duration(ch, arg, &o->p.pol.within);
	case 'g': return opt_duration(ch, arg, &o->p.grace);
	case 'i': return opt_duration(ch, arg, &o->p.incomplete_grace);
	case 'S': return opt_duration(ch, arg, &o->p.lock_stale);
	case 'z': o->p.pol.tz = arg; return ret_zone_check(arg);
	case 's': o->p.state = arg; return 0;
	case 'a': o->p.apply = 1; return 0;
	case 'f': o->p.force = 1; return 0;
	case 'B': o->p.break_lock = 1; return 0;
	case 'T': o->p.tag = 0; return 0;
	case 'U': o->p.undo = arg; return 0;
	case 'l': o->lifecycle = 1; return 0;
	case 'n':
		if (ret_parse_time(arg, &o->p.now) != 0) {
			warn0("--now %s: want an RFC 3339 time", arg);
			return -1;
		}
		return 0;
	case 'm':
		if (bk_parse_long(arg, 0, 100, &v) != 0) {
			warn0("--max-remove %s: want 0..100 (percent)", arg);
			return -1;
		}
		o->p.max_remove = (int)v;
		return 0;
	case 'r':
		if (bk_parse_long(arg, 0, 100, &v) != 0) {
			warn0("--retries %s: want 0..100", arg);
			return -1;
		}
		o->p.retries = (int)v;
		return 0;
	}
	return -1;
}

/* --lifecycle [prefix-url]: the configuration on stdout. */
static int
run_lifecycle(const struct bk_cli *cli, struct opts *o, int n, char **av)
{
	struct store_url u;
	int rc;

	if (n > 1)
		return bk_cli_usage(cli, "--lifecycle: one prefix-url at most");
	if (n == 1 && store_url_parse(av[0], &u, 0) != 0)
		return BK_EXIT_USAGE;
	rc = prune_lifecycle(&o->p, n == 1 ? u.key : "", stdout);
	if (n == 1)
		store_url_free(&u);
	if (bk_close_stdout() != 0)
		rc = -1;
	return rc == 0 ? BK_EXIT_OK : BK_EXIT_FAIL;
}

/* The operands and the options that go together: 0, or the usage exit. */
static int
check_args(const struct bk_cli *cli, const struct opts *o, int n,
    const char *url)
{
	if (n != 1)
		return bk_cli_usage(cli, n == 0 ? "no prefix-url" :
		    "one prefix-url only");
	if (strcspn(url, "?") == 0 || url[strcspn(url, "?") - 1] != '/')
		return bk_cli_usage(cli, "%s: a prefix-url ends in \"/\"", url);
	if (o->p.undo != NULL && (o->p.apply || ret_policy_any(&o->p.pol)))
		return bk_cli_usage(cli, "--undo goes alone");
	if (o->p.undo == NULL && !ret_policy_any(&o->p.pol))
		return bk_cli_usage(cli, "no --keep-* option: a policy that "
		    "keeps nothing is refused");
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		BK_CLI_ARG("keep-last", 'L'), BK_CLI_ARG("keep-hourly", 'H'),
		BK_CLI_ARG("keep-daily", 'D'), BK_CLI_ARG("keep-weekly", 'w'),
		BK_CLI_ARG("keep-monthly", 'M'),
		BK_CLI_ARG("keep-yearly", 'Y'),
		BK_CLI_ARG("keep-within", 'W'), BK_CLI_ARG("tz", 'z'),
		BK_CLI_ARG("state", 's'), BK_CLI_ARG("max-remove", 'm'),
		BK_CLI_FLAG("apply", 'a'), BK_CLI_FLAG("force", 'f'),
		BK_CLI_ARG("grace", 'g'), BK_CLI_ARG("incomplete-grace", 'i'),
		BK_CLI_ARG("lock-stale", 'S'), BK_CLI_FLAG("break-lock", 'B'),
		BK_CLI_ARG("retries", 'r'),
		BK_CLI_FLAG("no-tag", 'T'), BK_CLI_ARG("now", 'n'),
		BK_CLI_ARG("undo", 'U'), BK_CLI_FLAG("lifecycle", 'l'),
		BK_CLI_END
	};
	/* The plan is the output: --json makes it JSON lines, summary last. */
	struct bk_cli cli = { synopsis, help, BK_CLI_JSON, STDOUT_FILENO, 0,
	    NULL, 0, 0, NULL };
	struct opts o = { .p = { .max_remove = 50, .tag = 1,
	    .grace = 7 * 86400, .incomplete_grace = 2 * 86400,
	    .upload_grace = 86400, .lock_stale = PRUNE_LOCK_STALE, .retries = 8 } };
	struct bk_status *st;
	int ex, n;

	bk_setprogname(argv[0]);
	o.p.now = (int64_t)time(NULL);
	if ((ex = bk_cli_parse(&cli, argc, argv, "", longopts, opt, &o)) !=
	    BK_CLI_GO)
		return ex;
	bk_ignore_sigpipe();
	n = argc - cli.argi;
	if (o.lifecycle)
		return run_lifecycle(&cli, &o, n, argv + cli.argi);
	if ((ex = check_args(&cli, &o, n, argv[cli.argi])) != 0)
		return ex;
	o.p.url = argv[cli.argi];
	o.p.json = cli.json != NULL;
	st = bk_cli_status(&cli);
	if (cli.json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	ex = bk_exit_status(prune_run(&o.p, stdout, st));
	if (fflush(stdout) != 0 && ex == BK_EXIT_OK)
		ex = BK_EXIT_FAIL;
	ex = bk_status_done(st, ex);
	if (bk_close_stdout() != 0 && ex == BK_EXIT_OK)
		ex = BK_EXIT_FAIL;
	return ex;
}
