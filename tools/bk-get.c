/*
 * bk-get - stream an object from a store (s3://, file:///) to standard
 * output, resuming with ranged GETs after a dropped connection; restore
 * archived objects on request; or list the backups stored under a prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "cli.h"
#include "store/catalog.h"
#include "store/download.h"
#include "store/store.h"

static const char synopsis[] =
    "usage: bk-get [--version-id id] [--restore [--restore-days n] "
    "[--restore-tier tier]\n"
    "              [--wait [--wait-interval secs]]] [--retries n] "
    "[--uncommitted]\n"
    "              [--progress] [--json[=file]] src > stream\n"
    "       bk-get --list [--all] [--kind kind] [--json] "
    "prefix-url...\n";
static const char help[] =
    "  --version-id id     read that version of the object\n"
    "  --restore           ask for a copy of an archived object\n"
    "  --restore-days n    keep the restored copy n days (default 7)\n"
    "  --restore-tier tier Standard (default), Bulk or Expedited\n"
    "  --wait              wait for the restore, then stream\n"
    "  --wait-interval s   poll every s seconds (default 60)\n"
    "  --retries n         retries of a failed request (default 8)\n"
    "  --uncommitted       read an object that has no "
    "NAME.manifest.json\n"
    "  --progress          a meter on stderr (default: if a terminal)\n"
    "  --no-progress       no meter\n"
    "  --json[=file]       a status line on stderr (or file); with "
    "--list,\n"
    "                      the listing as JSON lines\n"
    "  --list              list the backups under each prefix-url, "
    "oldest first\n"
    "  --all               with --list: incomplete backups too\n"
    "  --kind kind         with --list: only backups of that kind "
    "(db, files)\n"
    "  --help              this text\n"
    "  --version           the version\n"
    "See bk-get(1).\n";

struct opts {
	struct download_opts dl;
	struct catalog_listopts ls;
	int list, retries, uncommitted;
};

/* Where the bytes go: stdout, counted on the meter. */
static int
to_stdout(const void *p, size_t len, void *arg)
{
	if (bk_write_full(STDOUT_FILENO, p, len, "<stdout>") != 0)
		return -1;
	bk_progress_add(arg, len);
	return 0;
}

/* The options with a number in a range. */
static int
opt_number(struct opts *o, int ch, const char *arg)
{
	static const struct range {
		int ch;
		const char *name;
		long lo, hi;
	} ranges[] = {
		{ 'D', "--restore-days", 1, 3650 },
		{ 'I', "--wait-interval", 1, 86400 },
		{ 'r', "--retries", 0, 100 },
	};
	const struct range *r = ranges;
	long v;

	while (r->ch != ch && r < &ranges[2])
		r++;
	if (r->ch != ch || bk_parse_long(arg, r->lo, r->hi, &v) != 0) {
		warn0("%s %s: want %ld..%ld", r->name, arg, r->lo, r->hi);
		return -1;
	}
	if (ch == 'D')
		o->dl.days = (int)v;
	else if (ch == 'I')
		o->dl.interval = v;
	else
		o->retries = (int)v;
	return 0;
}

static int
opt(void *ctx, int ch, const char *arg)
{
	struct opts *o = ctx;

	switch (ch) {
	case 'i': o->dl.vid = arg; return 0;
	case 'R': o->dl.restore = 1; return 0;
	case 'T': o->dl.tier = arg; return 0;
	case 'W': o->dl.wait = 1; return 0;
	case 'l': o->list = 1; return 0;
	case 'a': o->ls.all = 1; return 0;
	case 'k': o->ls.kind = arg; return 0;
	case 'u': o->uncommitted = 1; return 0;
	}
	return opt_number(o, ch, arg);
}

/* The operands and the options that go together: 0, or the usage exit. */
static int
check_args(const struct bk_cli *cli, struct opts *o, int n)
{
	const char *t = o->dl.tier;

	if (n == 0)
		return bk_cli_usage(cli, "no source");
	if (!o->list && n != 1)
		return bk_cli_usage(cli, "one source only");
	if (!o->list && (o->ls.all || o->ls.kind != NULL))
		return bk_cli_usage(cli, "--all and --kind go with --list");
	if (t != NULL && strcmp(t, "Standard") != 0 &&
	    strcmp(t, "Bulk") != 0 && strcmp(t, "Expedited") != 0)
		return bk_cli_usage(cli, "--restore-tier %s: want Standard, "
		    "Bulk or Expedited", t);
	if (t == NULL)
		o->dl.tier = "Standard";
	return 0;
}

/* --list: every prefix opened first (a bad URL is a usage error). */
static int
run_list(struct opts *o, const struct bk_cli *cli, char **urls, int n)
{
	struct store **st;
	int k, rc, ex = BK_EXIT_USAGE;

	if ((st = calloc((size_t)n, sizeof(*st))) == NULL) {
		warnp("malloc");
		return BK_EXIT_FAIL;
	}
	for (k = 0; k < n; k++) {
		if ((st[k] = store_open(urls[k], 0)) == NULL)
			goto out;
		store_set_retries(st[k], o->retries);
	}
	/* The listing is the output: --json makes it JSON lines. */
	o->ls.json = cli->json != NULL;
	rc = catalog_list(st, n, &o->ls, stdout);
	if (bk_close_stdout() != 0 && rc != BK_RETRY)
		rc = BK_FAIL;
	ex = bk_exit_status(rc);
out:
	for (k = 0; k < n; k++)
		store_close(st[k]);
	free(st);
	return ex;
}

/* Read a committed backup (or anything, --uncommitted) to stdout. */
static int
run_get(struct opts *o, const struct bk_cli *cli, struct bk_status *st,
    const char *url)
{
	struct bk_progress *prog;
	struct store *s;
	uint64_t bytes = 0;
	int rc, ex;

	if ((s = store_open(url, 1)) == NULL)
		return BK_EXIT_USAGE;
	bk_status_str(st, "url", s->u.url);
	bk_status_object(st, s->u.url);
	store_set_retries(s, o->retries);
	if (o->dl.vid != NULL && !store_has_versions(s)) {
		warn0("--version-id: not for %s:// stores",
		    store_scheme(&s->u));
		store_close(s);
		return BK_EXIT_USAGE;
	}
	if ((rc = catalog_readable(s, o->dl.vid, o->uncommitted,
	    &o->dl.size)) == BK_OK) {
		prog = bk_progress_new("downloading", 0, cli->progress);
		rc = store_download(s, &o->dl, to_stdout, prog, &bytes);
		bk_progress_done(prog);
		if (bk_close_stdout() != 0 && rc == BK_OK)
			rc = BK_FAIL;
		bk_status_int(st, "bytes", (int64_t)bytes);
	}
	ex = bk_exit_status(rc);
	store_close(s);
	return ex;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		BK_CLI_ARG("version-id", 'i'),
		BK_CLI_FLAG("restore", 'R'),
		BK_CLI_ARG("restore-days", 'D'),
		BK_CLI_ARG("restore-tier", 'T'),
		BK_CLI_FLAG("wait", 'W'),
		BK_CLI_ARG("wait-interval", 'I'),
		BK_CLI_ARG("retries", 'r'),
		BK_CLI_FLAG("list", 'l'),
		BK_CLI_FLAG("all", 'a'),
		BK_CLI_ARG("kind", 'k'),
		BK_CLI_FLAG("uncommitted", 'u'),
		BK_CLI_END
	};
	/* The data stream owns stdout, so the status line goes to stderr. */
	struct bk_cli cli = { synopsis, help, BK_CLI_PROGRESS | BK_CLI_JSON,
	    STDERR_FILENO, 0, NULL, 0, 0 };
	struct opts o = { .dl = { NULL, -1, 0, 0, 60, 7, NULL },
	    .retries = 8 };
	struct bk_status *st;
	int ex, i;

	bk_setprogname(argv[0]);
	if ((ex = bk_cli_parse(&cli, argc, argv, "", longopts, opt, &o)) !=
	    BK_CLI_GO || (ex = check_args(&cli, &o, argc - cli.argi)) != 0)
		return ex;
	bk_ignore_sigpipe();
	if (o.list) {
		/* The listing is the --json output: audit only. */
		st = bk_status_new(NULL, -1);
		bk_status_op(st, "list");
		for (i = cli.argi; i < argc; i++)
			bk_status_object(st, argv[i]);
		ex = run_list(&o, &cli, argv + cli.argi, argc - cli.argi);
		return bk_status_done(st, ex);
	}
	st = bk_cli_status(&cli);
	if (cli.json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	ex = run_get(&o, &cli, st, argv[cli.argi]);
	return bk_status_done(st, ex);
}
