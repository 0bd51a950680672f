/*
 * bk-put - stream standard input to one or more object stores (s3://,
 * file:///) in one pass, as multipart uploads of bounded memory; or, with
 * --commit, write the .sha256 sidecar and then the manifest of a backup
 * already stored: the last step of the commit protocol.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bson/bson.h>

#include "bk.h"
#include "cli.h"
#include "store/catalog.h"
#include "store/manifest.h"
#include "store/store.h"
#include "store/upload.h"

#define DEST_MAX 8
#define PART_DEFAULT (6ULL << 20)

static const char synopsis[] =
    "usage: bk-put [-j jobs] [--part-size size] [--overwrite] "
    "[--retries n]\n"
    "              [--storage-class class] [--sse AES256|aws:kms] "
    "[--sse-kms-key-id id]\n"
    "              [--object-lock-mode mode --object-lock-retain-until "
    "date]\n"
    "              [--tag key=value]... [--content-type type] "
    "[--progress] [--json[=file]]\n"
    "              dest... < stream\n"
    "       bk-put --commit --sum sumfile [--kind kind] [--key-id id] "
    "[--compression c]\n"
    "              [--source src] [--counts file] [--retries n] "
    "[--json[=file]] dest...\n";
static const char help[] =
    "  -j, --jobs n              parts in flight per destination "
    "(default 4)\n"
    "  --part-size size          multipart part size, 5M..5G "
    "(default 6M)\n"
    "  --overwrite               replace an existing object\n"
    "  --retries n               retries of a failed request "
    "(default 8)\n"
    "  --storage-class class     S3 storage class "
    "(STANDARD_IA, GLACIER, ...)\n"
    "  --sse AES256|aws:kms      server-side encryption\n"
    "  --sse-kms-key-id id       the KMS key, with --sse aws:kms\n"
    "  --object-lock-mode mode   GOVERNANCE or COMPLIANCE, with:\n"
    "  --object-lock-retain-until date  ISO 8601 time\n"
    "  --tag key=value           an object tag (repeatable)\n"
    "  --content-type type       the object's Content-Type\n"
    "  --progress                a meter on stderr (default: "
    "if a terminal)\n"
    "  --no-progress             no meter\n"
    "  --json[=file]             a status line on stdout (or file)\n"
    "  --commit                  commit a stored backup: "
    "sidecar, then manifest\n"
    "  --sum sumfile             with --commit: the sum file "
    "naming the object\n"
    "  --kind kind               with --commit: db, files, ...\n"
    "  --key-id id               with --commit: the encryption key's id\n"
    "  --compression c           with --commit: zstd, gzip, none\n"
    "  --source src              with --commit: what was backed up\n"
    "  --counts file             with --commit: a JSON object "
    "of counts\n"
    "  -h, --help                this text\n"
    "  --version                 the version\n"
    "See bk-put(1).\n";

struct opts {
	struct upload_opts up;
	struct store_putopts put;
	int overwrite, retries, commit;
	char *tags;
	const char *sumfile, *kind, *key_id, *compression, *source;
	const char *counts_file;
};

/* The signal that asked us to stop, or 0. */
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
	/* A second signal ends the process at once. */
	signal(sig, SIG_DFL);
}

/*
 * SIGINT, SIGTERM and SIGHUP interrupt the reader (no SA_RESTART) and
 * cancel the stores' transfers in flight, so the uploads are aborted,
 * not left behind, even when a store has stalled.
 */
static void
catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	store_set_stop(&interrupted);
}

/* Append "k=v" to the URL-encoded tag set. */
static int
add_tag(char **tags, const char *kv)
{
	char *n;

	if (strchr(kv, '=') == NULL || strpbrk(kv, "&?# ") != NULL) {
		warn0("--tag %s: want key=value without & ? # or spaces", kv);
		return -1;
	}
	if (asprintf(&n, "%s%s%s", *tags ? *tags : "", *tags ? "&" : "",
	    kv) < 0) {
		warnp("malloc");
		return -1;
	}
	free(*tags);
	*tags = n;
	return 0;
}

/* The options with a value to check. */
static int
opt_value(struct opts *o, int ch, const char *arg)
{
	long num;

	switch (ch) {
	case 'j':
		if (bk_parse_long(arg, 1, UPLOAD_JOBS_MAX, &num) != 0) {
			warn0("-j %s: want 1..%d", arg, UPLOAD_JOBS_MAX);
			return -1;
		}
		o->up.jobs = (int)num;
		return 0;
	case 'p':
		if (bk_parse_size(arg, &o->up.part) != 0 ||
		    o->up.part < UPLOAD_PART_MIN ||
		    o->up.part > UPLOAD_PART_MAX) {
			warn0("--part-size %s: want 5M..5G", arg);
			return -1;
		}
		return 0;
	case 'r':
		if (bk_parse_long(arg, 0, 100, &num) != 0) {
			warn0("--retries %s: want 0..100", arg);
			return -1;
		}
		o->retries = (int)num;
		return 0;
	case 'k':
		if (!manifest_kind_valid(arg)) {
			warn0("--kind %s: want a short word (letters, digits, "
			    "- and _)", arg);
			return -1;
		}
		o->kind = arg;
		return 0;
	case 'T':
		return add_tag(&o->tags, arg);
	}
	return -1;
}

static int
opt(void *ctx, int ch, const char *arg)
{
	struct opts *o = ctx;

	switch (ch) {
	case 'O': o->overwrite = 1; return 0;
	case 'S': o->put.storage_class = arg; return 0;
	case 'E': o->put.sse = arg; return 0;
	case 'K': o->put.kms_key = arg; return 0;
	case 'L': o->put.lock_mode = arg; return 0;
	case 'U': o->put.lock_until = arg; return 0;
	case 'C': o->put.content_type = arg; return 0;
	case 'c': o->commit = 1; return 0;
	case 's': o->sumfile = arg; return 0;
	case 'I': o->key_id = arg; return 0;
	case 'z': o->compression = arg; return 0;
	case 'o': o->source = arg; return 0;
	case 'n': o->counts_file = arg; return 0;
	}
	return opt_value(o, ch, arg);
}

/*
 * n destinations, and options that go together or not at all: 0, or the
 * usage exit status.
 */
static int
check_args(const struct bk_cli *cli, const struct opts *o, int n)
{
	const struct store_putopts *p = &o->put;

	if (n == 0)
		return bk_cli_usage(cli, "no destination");
	if (n > DEST_MAX)
		return bk_cli_usage(cli, "at most %d destinations", DEST_MAX);
	if (o->commit != (o->sumfile != NULL))
		return bk_cli_usage(cli, "--commit and --sum go together");
	if (p->sse != NULL && strcmp(p->sse, "AES256") != 0 &&
	    strcmp(p->sse, "aws:kms") != 0)
		return bk_cli_usage(cli, "--sse %s: want AES256 or aws:kms",
		    p->sse);
	if (p->kms_key != NULL && (p->sse == NULL ||
	    strcmp(p->sse, "aws:kms") != 0))
		return bk_cli_usage(cli, "--sse-kms-key-id needs --sse "
		    "aws:kms");
	if ((p->lock_mode == NULL) != (p->lock_until == NULL))
		return bk_cli_usage(cli, "--object-lock-mode and "
		    "--object-lock-retain-until go together");
	return 0;
}

/*
 * The --json line, with one entry per destination; one never opened (a
 * bad URL, or one after it) is named as given, with the usage status.
 * Bytes and parts only for an upload (stats not NULL), not --commit.
 */
static int
emit_json(const struct bk_cli *cli, char **urls, struct upload_dest *d,
    int n, const struct upload_stats *stats, int ex)
{
	struct bk_status *st;
	bson_t arr, one;
	char idx[16];
	int i, ok;

	if ((st = bk_cli_status(cli)) == NULL)
		return cli->json == NULL ? 0 : -1;
	bk_status_op(st, stats != NULL ? "put" : "commit");
	if (stats != NULL) {
		bk_status_int(st, "bytes", (int64_t)stats->bytes);
		bk_status_int(st, "parts", stats->parts);
	}
	bson_init(&arr);
	for (i = 0; i < n; i++) {
		snprintf(idx, sizeof(idx), "%d", i);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, idx, &one);
		BSON_APPEND_UTF8(&one, "url", d[i].st ? d[i].st->u.url :
		    urls[i]);
		bk_status_object(st, d[i].st ? d[i].st->u.url : urls[i]);
		ok = d[i].st != NULL && d[i].result == BK_OK;
		BSON_APPEND_BOOL(&one, "ok", ok);
		BSON_APPEND_INT32(&one, "exit", d[i].st == NULL ?
		    BK_EXIT_USAGE : bk_exit_status(d[i].result));
		if (!ok && d[i].error[0] != '\0')
			BSON_APPEND_UTF8(&one, "error", d[i].error);
		bson_append_document_end(&arr, &one);
	}
	bk_status_array(st, "destinations", &arr);
	bson_destroy(&arr);
	return bk_status_emit(st, ex);
}

/*
 * Open a store for d's URL, with retries; a bad URL is a usage error,
 * kept in d (its store stays NULL).  0, or BK_EXIT_USAGE.
 */
static int
open_dest(const char *url, struct upload_dest *d, int retries)
{
	if ((d->st = store_open(url, 1)) == NULL) {
		snprintf(d->error, sizeof(d->error), "%s", bk_last_error());
		return BK_EXIT_USAGE;
	}
	store_set_retries(d->st, retries);
	return 0;
}

/* The worse of two exit statuses: the first failure, but 75 wins. */
static int
worse(int ex, int r)
{
	return ex == 0 || r == BK_EXIT_TEMP ? r : ex;
}

static void
close_dests(struct upload_dest *d, int n)
{
	int i;

	for (i = 0; i < n; i++)
		store_close(d[i].st);
	free(d);
}

/* Commit at every destination; each keeps its result and message. */
static int
commit_all(struct opts *o, char **urls, struct upload_dest *d, int n,
    const char *sumtext, const char *counts)
{
	struct catalog_commit c = { o->sumfile, sumtext, o->kind, o->key_id,
	    o->compression, o->source, counts };
	int i, r, ex = 0;

	for (i = 0; i < n; i++) {
		if ((r = open_dest(urls[i], &d[i], o->retries)) == 0 &&
		    (d[i].result = catalog_commit(d[i].st, &c)) != BK_OK) {
			r = bk_exit_status(d[i].result);
			snprintf(d[i].error, sizeof(d[i].error), "%s",
			    bk_last_error());
		}
		if (r != 0)
			ex = worse(ex, r);
	}
	return ex;
}

static int
run_commit(struct bk_cli *cli, struct opts *o, char **urls, int n,
    struct upload_dest *d)
{
	char *sumtext = NULL, *counts = NULL;
	int ex = BK_EXIT_FAIL;

	/* Small local files: a FIFO is refused, never waited on. */
	if ((sumtext = bk_read_small_file(o->sumfile, STORE_SMALL_MAX, NULL,
	    "sum file")) == NULL || (o->counts_file != NULL &&
	    (counts = bk_read_small_file(o->counts_file, STORE_SMALL_MAX,
	    NULL, "counts file")) == NULL))
		n = 0;		/* no destination was tried */
	else
		ex = commit_all(o, urls, d, n, sumtext, counts);
	if (emit_json(cli, urls, d, n, NULL, ex) != 0 && ex == 0)
		ex = BK_EXIT_FAIL;
	free(sumtext);
	free(counts);
	return ex;
}

static int
run_put(struct bk_cli *cli, struct opts *o, char **urls, int n,
    struct upload_dest *d)
{
	struct upload_stats stats = { 0, 0 };
	int i, ex = 0;

	o->up.put = &o->put;
	o->up.progress = cli->progress;
	o->up.stop = &interrupted;
	/* A bad URL is a usage error before anything moves. */
	for (i = 0; i < n && ex == 0; i++)
		ex = open_dest(urls[i], &d[i], o->retries);
	if (ex == 0) {
		catch_signals();
		ex = bk_exit_status(upload_run(STDIN_FILENO, d, n, &o->up,
		    &stats));
	}
	if (emit_json(cli, urls, d, n, &stats, ex) != 0 && ex == 0)
		ex = BK_EXIT_FAIL;
	return ex;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		BK_CLI_ARG("jobs", 'j'),
		BK_CLI_ARG("part-size", 'p'),
		BK_CLI_FLAG("overwrite", 'O'),
		BK_CLI_ARG("retries", 'r'),
		BK_CLI_ARG("storage-class", 'S'),
		BK_CLI_ARG("sse", 'E'),
		BK_CLI_ARG("sse-kms-key-id", 'K'),
		BK_CLI_ARG("object-lock-mode", 'L'),
		BK_CLI_ARG("object-lock-retain-until", 'U'),
		BK_CLI_ARG("tag", 'T'),
		BK_CLI_ARG("content-type", 'C'),
		BK_CLI_FLAG("commit", 'c'),
		BK_CLI_ARG("sum", 's'),
		BK_CLI_ARG("kind", 'k'),
		BK_CLI_ARG("key-id", 'I'),
		BK_CLI_ARG("compression", 'z'),
		BK_CLI_ARG("source", 'o'),
		BK_CLI_ARG("counts", 'n'),
		BK_CLI_END
	};
	/* stdout carries no data here, so the status line goes there. */
	struct bk_cli cli = { synopsis, help, BK_CLI_PROGRESS | BK_CLI_JSON,
	    STDOUT_FILENO, 0, NULL, 0, 0 };
	struct opts o = { .up = { PART_DEFAULT, 4, 0, NULL, NULL },
	    .retries = 8 };
	struct upload_dest *d = NULL;
	int ex, n;

	bk_setprogname(argv[0]);
	if ((ex = bk_cli_parse(&cli, argc, argv, "j:", longopts, opt, &o)) !=
	    BK_CLI_GO || (ex = check_args(&cli, &o, argc - cli.argi)) != 0)
		goto out;
	n = argc - cli.argi;
	if ((d = calloc((size_t)n, sizeof(*d))) == NULL) {
		warnp("malloc");
		ex = BK_EXIT_FAIL;
		goto out;
	}
	o.put.tagging = o.tags;
	o.put.noclobber = !o.overwrite;
	bk_ignore_sigpipe();
	ex = o.commit ? run_commit(&cli, &o, argv + cli.argi, n, d) :
	    run_put(&cli, &o, argv + cli.argi, n, d);
	close_dests(d, n);
out:
	free(o.tags);
	return ex;
}
