/*
 * bk-verify - are the backups under each prefix whole, readable and
 * fresh?  Levels quick, full (default) and deep; several prefixes (one
 * per region) must hold the same backups; --max-age per kind; --sample
 * and --state choose what is downloaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>

#include "audit.h"
#include "bk.h"
#include "cli.h"
#include "key/keysrc.h"
#include "key/kms.h"
#include "prune/lock.h"
#include "store/store.h"
#include "vec.h"
#include "verify/verify.h"

static const char synopsis[] =
    "usage: bk-verify [-k keyring] [--level quick|full|deep] "
    "[--max-age duration]\n"
    "                 [--sample n|p%] [--state file] [--retries n] "
    "[--json[=file]]\n"
    "                 prefix-url...\n"
    "       bk-verify --audit log [--audit-digest file]... "
    "[prefix-url...]\n";
static const char help[] =
    "  -k keyring          the keyring that opens the containers "
    "(deep only)\n"
    "  --level level       quick: manifests, sidecars, sizes; full "
    "(default):\n"
    "                      also download and hash; deep: also open and "
    "parse\n"
    "  --max-age d         the newest backup of each kind must be "
    "younger:\n"
    "                      24h, or per kind: db=1h,files=24h "
    "(s, m, h, d, w)\n"
    "  --sample n|p%       download n backups (or p%) chosen at random; "
    "the\n"
    "                      rest quick\n"
    "  --state file        what was verified when: new backups and the "
    "share\n"
    "                      verified longest ago (--sample, else a "
    "seventh)\n"
    "  --retries n         retries of a failed request (default 8)\n"
    "  --audit log         check the audit log's hash chain; the first "
    "broken\n"
    "                      line is named\n"
    "  --audit-digest file a digest bk-backup.sh stored with a backup: "
    "the\n"
    "                      line it anchors must be in the log (a cut "
    "tail)\n"
    "  --json[=file]       one JSON object per backup on stdout, then a "
    "summary\n"
    "                      line (or the summary to file)\n"
    "  --help              this text\n"
    "  --version           the version\n"
    "See bk-verify(1).\n";

struct opts {
	struct verify_opts v;
	const char *keyring;
	int retries;
	const char *audit;	/* --audit */
	char **digests;		/* --audit-digest, ndigests of them */
	size_t ndigests, cap;
};

static int
opt_sample(struct opts *o, const char *arg)
{
	size_t len = strlen(arg);
	char num[32];
	long v;

	if (len > 1 && len < sizeof(num) && arg[len - 1] == '%') {
		memcpy(num, arg, len - 1);
		num[len - 1] = '\0';
		if (bk_parse_long(num, 1, 100, &v) == 0) {
			o->v.sample_pct = (int)v;
			return 0;
		}
	} else if (bk_parse_long(arg, 0, 100000000, &v) == 0) {
		o->v.sample = v;
		return 0;
	}
	warn0("--sample %s: want a count or 1%%..100%%", arg);
	return -1;
}

static int
opt(void *ctx, int ch, const char *arg)
{
	struct opts *o = ctx;
	long v;
	int l;

	switch (ch) {
	case 'k':
		o->keyring = arg;
		return 0;
	case 'L':
		if ((l = verify_parse_level(arg)) < 0) {
			warn0("--level %s: want quick, full or deep", arg);
			return -1;
		}
		o->v.level = l;
		return 0;
	case 'A':
		return verify_parse_maxage(arg, &o->v);
	case 'S':
		return opt_sample(o, arg);
	case 's':
		o->v.state = arg;
		return 0;
	case 'a':
		o->audit = arg;
		return 0;
	case 'D':
		if (vec_grow(&o->digests, &o->cap, o->ndigests,
		    sizeof(*o->digests)) != 0)
			return -1;
		o->digests[o->ndigests++] = (char *)arg;
		return 0;
	case 'r':
		if (bk_parse_long(arg, 0, 100, &v) != 0) {
			warn0("--retries %s: want 0..100", arg);
			return -1;
		}
		o->retries = (int)v;
		return 0;
	}
	return -1;
}

/* The counts, as the status line's "summary" object. */
static void
summary(struct bk_status *st, const struct verify_opts *o,
    const struct verify_summary *s)
{
	bson_t *doc;

	if (st == NULL || (doc = bson_new()) == NULL)
		return;
	BSON_APPEND_INT64(doc, "backups", (int64_t)s->backups);
	BSON_APPEND_INT64(doc, "checked", (int64_t)s->checked);
	BSON_APPEND_INT64(doc, "ok", (int64_t)s->ok);
	BSON_APPEND_INT64(doc, "bad", (int64_t)s->bad);
	BSON_APPEND_INT64(doc, "stale", (int64_t)s->stale);
	BSON_APPEND_INT64(doc, "incomplete", (int64_t)s->incomplete);
	BSON_APPEND_INT64(doc, "errors", (int64_t)s->errors);
	bk_status_str(st, "level", verify_level_name(o->level));
	bk_status_doc(st, "summary", doc);
	bson_destroy(doc);
}

/* The table's last line, for a person. */
static void
summary_text(const struct verify_opts *o, const struct verify_summary *s)
{
	printf("%llu backups: %llu ok, %llu bad, %llu stale, %llu incomplete, "
	    "%llu errors; %llu checked %s\n", (unsigned long long)s->backups,
	    (unsigned long long)s->ok, (unsigned long long)s->bad,
	    (unsigned long long)s->stale, (unsigned long long)s->incomplete,
	    (unsigned long long)s->errors, (unsigned long long)s->checked,
	    verify_level_name(o->level));
}

/* The keys deep opens containers with: the keyring (if any) behind KMS. */
static struct bk_keysrc *
deep_keys(const char *keyring)
{
	return bk_keysrc_opener(keyring, NULL);
}

static int
run(struct opts *o, const struct bk_cli *cli, struct bk_status *st,
    char **urls, int n)
{
	struct verify_summary sum;
	struct store **s;
	int k, rc, ex = BK_EXIT_USAGE;

	if ((s = calloc((size_t)n, sizeof(*s))) == NULL) {
		warnp("malloc");
		return BK_EXIT_FAIL;
	}
	for (k = 0; k < n; k++) {
		if ((s[k] = store_open(urls[k], 0)) == NULL)
			goto out;
		store_set_retries(s[k], o->retries);
	}
	/* Never check a listing a prune is changing: it would be reported
	 * as backups missing.  A prune dead for a day no longer counts. */
	for (k = 0; k < n; k++)
		if ((rc = prune_lock_check(s[k], (int64_t)time(NULL),
		    PRUNE_LOCK_STALE)) != BK_OK) {
			ex = bk_exit_status(rc);
			goto out;
		}
	ex = BK_EXIT_FAIL;
	/* A script may pass -k at every level; only deep opens it, and
	 * with KMS (a container of key type 2 asks KMS Decrypt). */
	if (o->v.level == VERIFY_DEEP && (o->v.ks = deep_keys(o->keyring)) ==
	    NULL)
		goto out;
	o->v.keyring = o->keyring;
	o->v.json = cli->json != NULL;
	o->v.now = (int64_t)time(NULL);
	rc = verify_run(s, n, &o->v, stdout, &sum);
	if (cli->json == NULL)
		summary_text(&o->v, &sum);
	summary(st, &o->v, &sum);
	/* stdout is closed after the status line, which may go there. */
	if (fflush(stdout) != 0 && rc != BK_RETRY) {
		warnp("<stdout>");
		rc = BK_FAIL;
	}
	ex = bk_exit_status(rc);
out:
	bk_keysrc_free(o->v.ks);
	for (k = 0; k < n; k++)
		store_close(s[k]);
	free(s);
	return ex;
}

/*
 * Of two exit statuses, the one that says more is wrong: in the order of
 * bk_result_worse (retry later, failure, negative answer), for run()'s
 * status is an exit status already.
 */
static int
worse_exit(int a, int b)
{
	static const int order[] = { BK_EXIT_TEMP, BK_EXIT_FAIL,
	    BK_EXIT_NEGATIVE };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (a == order[i] || b == order[i])
			return order[i];
	return a != BK_EXIT_OK ? a : b;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		BK_CLI_ARG("keyring", 'k'),
		BK_CLI_ARG("level", 'L'),
		BK_CLI_ARG("max-age", 'A'),
		BK_CLI_ARG("sample", 'S'),
		BK_CLI_ARG("state", 's'),
		BK_CLI_ARG("retries", 'r'),
		BK_CLI_ARG("audit", 'a'),
		BK_CLI_ARG("audit-digest", 'D'),
		BK_CLI_END
	};
	/* The report is the output: --json makes it, and its summary, JSON. */
	struct bk_cli cli = { synopsis, help, BK_CLI_JSON, STDOUT_FILENO, 0,
	    NULL, 0, 0, NULL };
	struct opts o = { .v = { .level = VERIFY_FULL, .sample = -1,
	    .sample_pct = -1 }, .retries = 8 };
	struct bk_status *st;
	int ex;

	bk_setprogname(argv[0]);
	if ((ex = bk_cli_parse(&cli, argc, argv, "k:", longopts, opt, &o)) !=
	    BK_CLI_GO)
		return ex;
	if (o.ndigests > 0 && o.audit == NULL)
		ex = bk_cli_usage(&cli, "--audit-digest goes with --audit");
	else if (cli.argi == argc && o.audit == NULL)
		ex = bk_cli_usage(&cli, "no prefix-url");
	if (ex != BK_CLI_GO) {
		free(o.digests);
		return ex;
	}
	bk_ignore_sigpipe();
	st = bk_cli_status(&cli);
	if (cli.json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	ex = BK_EXIT_OK;
	if (o.audit != NULL) {
		/* The chain first: a log that is not whole is the finding. */
		bk_status_object(st, o.audit);
		ex = bk_exit_status(bk_audit_check_anchored(o.audit,
		    o.digests, (int)o.ndigests, stdout));
	}
	if (cli.argi < argc)
		ex = worse_exit(ex, run(&o, &cli, st, argv + cli.argi,
		    argc - cli.argi));
	free(o.digests);
	ex = bk_status_done(st, ex);
	if (bk_close_stdout() != 0 && ex == BK_EXIT_OK)
		ex = BK_EXIT_FAIL;
	return ex;
}
