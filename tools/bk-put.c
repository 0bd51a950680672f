/*
 * bk-put - stream standard input to one or more object stores (s3://,
 * file:///) in one pass, as multipart uploads of bounded memory; or, with
 * --commit, write the .sha256 sidecar and then the manifest of a backup
 * already stored: the last step of the commit protocol.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bson/bson.h>
#include <openssl/sha.h>

#include "bk.h"
#include "manifest.h"
#include "s3.h"
#include "store.h"

#define JOBS_MAX 16
#define DEST_MAX 8
#define PART_DEFAULT (6ULL << 20)
#define GROW_EVERY 1000		/* parts between doublings of part size */

struct slot {
	unsigned char *buf;
	size_t cap, len;
	unsigned char sum[32];
	int refs;		/* destinations still needing this part */
	int last;		/* shorter than its size: the stream's end */
};

struct dest {
	struct store *st;
	const char *arg;	/* the URL as given, for status */
	pthread_mutex_t mu;	/* guards upload_id creation */
	char *upload_id;
	char (*etags)[256];
	unsigned char (*sums)[32];
	int single;		/* whole stream in one PutObject */
	struct bk_afile *af;
	int next;		/* next part to take (under pipe mu) */
	int failed;		/* exit code once failed, else 0 */
	char error[512];
	int nworkers;
	pthread_t th[JOBS_MAX];
	struct pipe *p;
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	int nslots;
	int published;		/* parts 0..published-1 are readable */
	int eof;
	struct dest *d;
	int nd;
	struct s3_putopts opts;
	int overwrite;
};

/* The signal that asked us to stop, or 0. */
static volatile sig_atomic_t interrupted;
/*
 * Set with interrupted: the S3 driver cancels transfers and retries in
 * flight (s3_set_stop), so a stalled store cannot hold the stop for
 * minutes.  Cleared once the workers are gone, so the aborts go out.
 */
static volatile sig_atomic_t cancel;

static void
on_signal(int sig)
{
	interrupted = sig;
	cancel = 1;
	/* A second signal ends the process at once. */
	signal(sig, SIG_DFL);
}

/*
 * SIGINT, SIGTERM and SIGHUP interrupt the reader (no SA_RESTART) so the
 * uploads are aborted, not left behind; the workers never see them.
 */
static void
catch_signals(sigset_t *old)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	sigset_t set;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
		sigaddset(&set, sigs[i]);
	}
	/* Threads inherit this mask; main restores old after starting them. */
	pthread_sigmask(SIG_BLOCK, &set, old);
}

/* Read up to want bytes (less only at EOF); -1 on error or a signal. */
static ssize_t
read_part(unsigned char *buf, size_t want)
{
	size_t got = 0;
	ssize_t n;

	while (got < want) {
		if (interrupted) {
			warn0("interrupted by signal %d; aborting the uploads",
			    (int)interrupted);
			return -1;
		}
		if ((n = read(STDIN_FILENO, buf + got, want - got)) == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warnp("read <stdin>");
			return -1;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* The synopsis (and for --help every option): stdout and 0, or stderr, 2. */
static _Noreturn void
usage(int help)
{
	FILE *f = help ? stdout : stderr;

	fprintf(f,
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
	    "[--json[=file]] dest...\n");
	if (help)
		fprintf(f, "\n"
		    "  -j, --jobs n              parts in flight per "
		    "destination (default 4)\n"
		    "  --part-size size          multipart part size, 5M..5G "
		    "(default 6M)\n"
		    "  --overwrite               replace an existing object\n"
		    "  --retries n               retries of a failed request "
		    "(default 8)\n"
		    "  --storage-class class     S3 storage class "
		    "(STANDARD_IA, GLACIER, ...)\n"
		    "  --sse AES256|aws:kms      server-side encryption\n"
		    "  --sse-kms-key-id id       the KMS key, with --sse "
		    "aws:kms\n"
		    "  --object-lock-mode mode   GOVERNANCE or COMPLIANCE, "
		    "with:\n"
		    "  --object-lock-retain-until date  ISO 8601 time\n"
		    "  --tag key=value           an object tag (repeatable)\n"
		    "  --content-type type       the object's Content-Type\n"
		    "  --progress                a meter on stderr (default: "
		    "if a terminal)\n"
		    "  --no-progress             no meter\n"
		    "  --json[=file]             a status line on stdout (or "
		    "file)\n"
		    "  --commit                  commit a stored backup: "
		    "sidecar, then manifest\n"
		    "  --sum sumfile             with --commit: the sum file "
		    "naming the object\n"
		    "  --kind kind               with --commit: db, files, ...\n"
		    "  --key-id id               with --commit: the "
		    "encryption key's id\n"
		    "  --compression c           with --commit: zstd, gzip, "
		    "none\n"
		    "  --source src              with --commit: what was "
		    "backed up\n"
		    "  --counts file             with --commit: a JSON object "
		    "of counts\n"
		    "  -h, --help                this text\n"
		    "  --version                 the version\n"
		    "See bk-put(1).\n");
	exit(help ? BK_EXIT_OK : BK_EXIT_USAGE);
}

static int
exit_for(int rc)
{
	return rc == S3_TEMP ? BK_EXIT_TEMP : BK_EXIT_FAIL;
}

/* Part size for part seq: doubles every GROW_EVERY parts, capped. */
static size_t
part_size(uint64_t base, int seq)
{
	uint64_t sz = base;
	int i;

	for (i = seq / GROW_EVERY; i > 0 && sz < S3_PART_MAX; i--)
		sz *= 2;
	return (size_t)(sz > S3_PART_MAX ? S3_PART_MAX : sz);
}

/* Mark d failed (pipe mu held): give back every part it will not take. */
static void
fail_dest(struct pipe *p, struct dest *d, int code)
{
	if (d->failed)
		return;
	d->failed = code;
	snprintf(d->error, sizeof(d->error), "%s", bk_last_error());
	for (; d->next < p->published; d->next++)
		p->slots[d->next % p->nslots].refs--;
	pthread_cond_broadcast(&p->cv);
}

static int
ensure_upload(struct dest *d, struct s3_client *c)
{
	int rc = S3_OK;

	pthread_mutex_lock(&d->mu);
	if (d->upload_id == NULL)
		rc = s3_mpu_create(c, d->st->u.key, &d->p->opts,
		    &d->upload_id);
	pthread_mutex_unlock(&d->mu);
	return rc;
}

/* Store part seq of the stream at d.  S3_OK, S3_PERM or S3_TEMP. */
static int
put_part(struct dest *d, struct s3_client *c, struct slot *s, int seq)
{
	int rc;

	if (d->st->u.kind == STORE_FILE)
		return bk_afile_write(d->af, s->buf, s->len) == 0 ? S3_OK :
		    S3_PERM;
	if (seq == 0 && s->last) {
		d->single = 1;
		return s3_put_object(c, d->st->u.key, s->buf, s->len, s->sum,
		    &d->p->opts);
	}
	if ((rc = ensure_upload(d, c)) != S3_OK)
		return rc;
	memcpy(d->sums[seq], s->sum, 32);
	return s3_mpu_part(c, d->st->u.key, d->upload_id, seq + 1, s->buf,
	    s->len, s->sum, d->etags[seq]);
}

static void *
worker(void *arg)
{
	struct dest *d = arg;
	struct pipe *p = d->p;
	struct s3_client *c = NULL;
	struct slot *s;
	int seq, rc;

	if (d->st->u.kind == STORE_S3 &&
	    (c = s3_client_new(&d->st->t)) == NULL) {
		pthread_mutex_lock(&p->mu);
		fail_dest(p, d, BK_EXIT_FAIL);
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!d->failed && d->next >= p->published && !p->eof)
			pthread_cond_wait(&p->cv, &p->mu);
		if (d->failed || d->next >= p->published)
			break;
		seq = d->next++;
		s = &p->slots[seq % p->nslots];
		pthread_mutex_unlock(&p->mu);
		rc = put_part(d, c, s, seq);
		pthread_mutex_lock(&p->mu);
		if (rc != S3_OK)
			fail_dest(p, d, exit_for(rc));
		s->refs--;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	s3_client_free(c);
	return NULL;
}

/*
 * Wait for slot i to be free; 0, or -1 when every destination failed or a
 * signal asked us to stop (checked every 200 ms: the signal interrupts
 * only read(), not this wait).
 */
static int
wait_slot(struct pipe *p, struct slot *s)
{
	struct timespec ts;
	int i, alive = 0;

	pthread_mutex_lock(&p->mu);
	while (s->refs > 0 && !interrupted) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	if (interrupted) {
		pthread_mutex_unlock(&p->mu);
		warn0("interrupted by signal %d; aborting the uploads",
		    (int)interrupted);
		return -1;
	}
	for (i = 0; i < p->nd; i++)
		alive += !p->d[i].failed;
	pthread_mutex_unlock(&p->mu);
	return alive ? 0 : -1;
}

static void
publish(struct pipe *p, struct slot *s, int seq, int eof)
{
	int i;

	pthread_mutex_lock(&p->mu);
	s->refs = 0;
	for (i = 0; i < p->nd; i++)
		s->refs += !p->d[i].failed;
	p->published = seq + 1;
	p->eof = eof;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void
end_stream(struct pipe *p, int failed)
{
	int i;

	pthread_mutex_lock(&p->mu);
	p->eof = 1;
	for (i = 0; failed && i < p->nd; i++)
		fail_dest(p, &p->d[i], BK_EXIT_FAIL);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/*
 * Read stdin into parts and hand each to every destination.  Returns the
 * number of parts, or -1 after a read error or an over-long stream.
 */
static int
read_stream(struct pipe *p, uint64_t base, uint64_t *total,
    struct bk_progress *prog)
{
	struct slot *s;
	size_t want;
	ssize_t n;
	int seq;

	for (seq = 0;; seq++) {
		s = &p->slots[seq % p->nslots];
		if (wait_slot(p, s) != 0)
			return -1;
		want = part_size(base, seq);
		if (s->cap < want) {
			free(s->buf);
			if ((s->buf = malloc(want)) == NULL) {
				warnp("malloc %zu bytes", want);
				s->cap = 0;
				return -1;
			}
			s->cap = want;
		}
		if ((n = read_part(s->buf, want)) < 0)
			return -1;
		if (n == 0 && seq > 0) {
			end_stream(p, 0);
			return seq;
		}
		if (seq == S3_MAX_PARTS) {
			warn0("the stream is longer than %d parts allow; "
			    "raise --part-size", S3_MAX_PARTS);
			return -1;
		}
		s->len = (size_t)n;
		s->last = ((size_t)n < want);
		SHA256(s->buf, s->len, s->sum);
		*total += (uint64_t)n;
		bk_progress_add(prog, (uint64_t)n);
		publish(p, s, seq, s->last);
		if (s->last)
			return seq + 1;
	}
}

/* Refuse early, before any data moves, to replace an existing object. */
static int
check_absent(struct dest *d)
{
	uint64_t size;
	int exists, rc;

	if ((rc = store_head(d->st, d->st->u.key, &exists, &size)) != S3_OK)
		return exit_for(rc);
	if (exists) {
		warn0("%s: already exists; not overwritten (--overwrite "
		    "replaces it)", d->st->u.url);
		return BK_EXIT_FAIL;
	}
	return 0;
}

static int
dest_open(struct pipe *p, struct dest *d, const char *url, int jobs)
{
	memset(d, 0, sizeof(*d));
	d->p = p;
	d->arg = url;
	pthread_mutex_init(&d->mu, NULL);
	if ((d->st = store_open(url, 1)) == NULL)
		return BK_EXIT_USAGE;
	if (!p->overwrite && (d->failed = check_absent(d)) != 0) {
		snprintf(d->error, sizeof(d->error), "%s", bk_last_error());
		return 0;
	}
	if (d->st->u.kind == STORE_FILE) {
		d->nworkers = 1;	/* a file is written in order */
		if (bk_mkdir_parent(d->st->u.key, 0750) != 0 ||
		    (d->af = bk_afile_open(d->st->u.key, 0640,
		    !p->overwrite)) == NULL) {
			d->failed = BK_EXIT_FAIL;
			snprintf(d->error, sizeof(d->error), "%s",
			    bk_last_error());
		}
		return 0;
	}
	d->nworkers = jobs;
	d->etags = calloc(S3_MAX_PARTS, sizeof(*d->etags));
	d->sums = calloc(S3_MAX_PARTS, sizeof(*d->sums));
	if (d->etags == NULL || d->sums == NULL) {
		warnp("malloc");
		return BK_EXIT_FAIL;
	}
	return 0;
}

/* After the stream: complete or abort what d has started. */
static void
dest_finish(struct pipe *p, struct dest *d, int nparts)
{
	struct s3_client *c = d->st->c;
	int rc;

	if (d->st->u.kind == STORE_FILE) {
		if (d->failed)
			bk_afile_abort(d->af);
		else if (bk_afile_commit(d->af) != 0)
			fail_dest(p, d, BK_EXIT_FAIL);
		d->af = NULL;
		return;
	}
	if (!d->failed && !d->single) {
		rc = s3_mpu_complete(c, d->st->u.key, d->upload_id, nparts,
		    d->etags, (const unsigned char (*)[32])d->sums,
		    !p->overwrite);
		if (rc != S3_OK)
			fail_dest(p, d, exit_for(rc));
	}
	/* Nothing half-made stays behind (parts cost money, too). */
	if (d->failed && d->upload_id != NULL &&
	    s3_mpu_abort(c, d->st->u.key, d->upload_id) == S3_OK)
		warn0("%s: multipart upload aborted", d->st->u.url);
}

static void
dest_free(struct dest *d)
{
	bk_afile_abort(d->af);
	store_close(d->st);
	free(d->upload_id);
	free(d->etags);
	free(d->sums);
	pthread_mutex_destroy(&d->mu);
}

/*
 * The --json line, with one entry per destination; bytes and parts only
 * for an upload (nparts >= 0), not for --commit.
 */
static int
emit_json(const char *json, struct pipe *p, uint64_t bytes, int nparts,
    int ex)
{
	struct bk_status *st;
	bson_t arr, one;
	char idx[16];
	int i;

	if (json == NULL)
		return 0;
	/* stdout carries no data here, so the status line goes there. */
	if ((st = bk_status_new(json, STDOUT_FILENO)) == NULL)
		return -1;
	if (nparts >= 0) {
		bk_status_int(st, "bytes", (int64_t)bytes);
		bk_status_int(st, "parts", nparts);
	}
	bson_init(&arr);
	for (i = 0; i < p->nd; i++) {
		snprintf(idx, sizeof(idx), "%d", i);
		BSON_APPEND_DOCUMENT_BEGIN(&arr, idx, &one);
		BSON_APPEND_UTF8(&one, "url", p->d[i].st ?
		    p->d[i].st->u.url : p->d[i].arg);
		BSON_APPEND_BOOL(&one, "ok", !p->d[i].failed);
		BSON_APPEND_INT32(&one, "exit", p->d[i].failed);
		if (p->d[i].failed && p->d[i].error[0] != '\0')
			BSON_APPEND_UTF8(&one, "error", p->d[i].error);
		bson_append_document_end(&arr, &one);
	}
	bk_status_array(st, "destinations", &arr);
	bson_destroy(&arr);
	return bk_status_emit(st, ex);
}

struct putcfg {
	uint64_t part;
	int jobs, retries, progress;
	const char *json;
};

static int
run_put(struct pipe *p, char **urls, int n, const struct putcfg *cfg)
{
	struct bk_progress *prog;
	sigset_t oldmask;
	uint64_t total = 0;
	int i, w, nparts = 0, ex = BK_EXIT_OK, started = 0;

	p->nd = n;
	p->nslots = cfg->jobs;
	if ((p->d = calloc((size_t)n, sizeof(*p->d))) == NULL ||
	    (p->slots = calloc((size_t)p->nslots, sizeof(*p->slots))) ==
	    NULL) {
		warnp("malloc");
		return BK_EXIT_FAIL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	/* A destination after a bad URL is never opened: it still has a
	 * name and a status for --json and the cleanup. */
	for (i = 0; i < n; i++) {
		p->d[i].arg = urls[i];
		p->d[i].failed = BK_EXIT_USAGE;
		pthread_mutex_init(&p->d[i].mu, NULL);
	}
	for (i = 0; i < n; i++) {
		pthread_mutex_destroy(&p->d[i].mu);
		if ((ex = dest_open(p, &p->d[i], urls[i], cfg->jobs)) != 0)
			goto out;
		if (p->d[i].st->u.kind == STORE_S3)
			p->d[i].st->t.retries = cfg->retries;
	}
	catch_signals(&oldmask);
	for (i = 0; i < n; i++)
		for (w = 0; w < p->d[i].nworkers; w++) {
			if (pthread_create(&p->d[i].th[w], NULL, worker,
			    &p->d[i]) != 0) {
				warn0("cannot start a thread");
				p->d[i].nworkers = w;
				end_stream(p, 1);
				break;
			}
		}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	started = 1;
	prog = bk_progress_new("uploading", bk_fd_size(STDIN_FILENO),
	    cfg->progress);
	nparts = read_stream(p, cfg->part, &total, prog);
	bk_progress_done(prog);
	end_stream(p, nparts < 0);
	for (i = 0; i < n; i++)
		for (w = 0; w < p->d[i].nworkers; w++)
			pthread_join(p->d[i].th[w], NULL);
	cancel = 0;	/* the aborts below must go out */
	for (i = 0; i < n; i++)
		dest_finish(p, &p->d[i], nparts);
out:
	for (i = 0; i < n; i++) {
		if (p->d[i].failed && (ex == 0 || p->d[i].failed ==
		    BK_EXIT_TEMP))
			ex = p->d[i].failed;
	}
	if (emit_json(cfg->json, p, total, started ? nparts : 0, ex) != 0 &&
	    ex == 0)
		ex = BK_EXIT_FAIL;
	for (i = 0; i < n; i++)
		dest_free(&p->d[i]);
	for (i = 0; i < p->nslots; i++)
		free(p->slots[i].buf);
	free(p->slots);
	free(p->d);
	return ex;
}

/* --- --commit: sidecar, then manifest, for each destination --- */

struct commitcfg {
	const char *sumfile, *kind, *key_id, *compression, *source;
	const char *counts_file;
	int retries;
};

/*
 * Put key unless it is already there with the same contents (a commit
 * being retried).  A manifest counts as the same when it records the same
 * size and SHA-256: its creation time differs from run to run.
 */
static int
put_once(struct store *s, const char *key, const char *text,
    const char *ctype, const struct manifest *m)
{
	struct manifest old;
	uint64_t size;
	size_t len;
	char *buf;
	int exists, rc, same;

	if ((rc = store_head(s, key, &exists, &size)) != S3_OK)
		return rc;
	if (!exists)
		return store_put_small(s, key, text, strlen(text), 1, ctype);
	if ((rc = store_get_small(s, key, STORE_SMALL_MAX, &buf, &len)) !=
	    S3_OK)
		return rc;
	if (m != NULL)
		same = manifest_parse(buf, len, key, &old) == 0 &&
		    old.size == m->size && strcmp(old.sha256, m->sha256) == 0;
	else
		same = len == strlen(text) && memcmp(buf, text, len) == 0;
	free(buf);
	if (!same) {
		warn0("%s: %s exists with other contents; not overwritten",
		    s->u.url, key);
		return S3_PERM;
	}
	return S3_OK;
}

/*
 * Does the sum file vouch for the object at s?  It must hold a line for
 * the object's base name, and its digest must be the one the store knows
 * (a file is hashed; S3 keeps one for a single PutObject; a multipart
 * upload's cannot be compared).  0, or an exit status (reported).
 */
static int
check_sum(struct store *s, const char *sumtext, const char *sumfile,
    const char *base, unsigned char digest[32])
{
	unsigned char have[32];
	char hex[2][65];
	int known, rc;

	if (bk_sumtext_lookup(sumtext, sumfile, base, digest) != 0)
		return BK_EXIT_NEGATIVE;
	if ((rc = store_digest(s, s->u.key, have, &known)) != S3_OK)
		return exit_for(rc);
	if (known && memcmp(have, digest, 32) != 0) {
		bk_hex(hex[0], digest, 32);
		bk_hex(hex[1], have, 32);
		warn0("%s: SHA-256 %s in %s, but the store holds %s; not "
		    "committed", s->u.url, hex[0], sumfile, hex[1]);
		return BK_EXIT_NEGATIVE;
	}
	return 0;
}

static int
commit_one(struct store *s, const struct commitcfg *cc, const char *sumtext,
    const char *counts)
{
	struct manifest m;
	char *base = NULL, *copy = NULL, *sidecar = NULL, *mkey = NULL;
	char *line = NULL, *json = NULL;
	unsigned char digest[32];
	uint64_t size;
	int exists, rc, ex;

	if ((rc = store_head(s, s->u.key, &exists, &size)) != S3_OK)
		return exit_for(rc);
	if (!exists) {
		warn0("%s: no such object; nothing to commit", s->u.url);
		return BK_EXIT_FAIL;
	}
	rc = S3_PERM;
	if ((copy = strdup(s->u.key)) == NULL ||
	    (base = strdup(basename(copy))) == NULL ||
	    asprintf(&sidecar, "%s%s", s->u.key, STORE_SUM_SUFFIX) < 0 ||
	    asprintf(&mkey, "%s%s", s->u.key, STORE_MANIFEST_SUFFIX) < 0) {
		warnp("malloc");
		goto out;
	}
	if ((ex = check_sum(s, sumtext, cc->sumfile, base, digest)) != 0)
		goto done;
	memset(&m, 0, sizeof(m));
	m = (struct manifest){ .name = base, .kind = cc->kind, .size = size,
	    .key_id = cc->key_id, .compression = cc->compression,
	    .source = cc->source, .counts_json = counts };
	bk_hex(m.sha256, digest, 32);
	/* The sidecar names the base name, so sha256sum -c works beside it. */
	if ((line = bk_sumline(digest, base)) == NULL ||
	    (json = manifest_build(&m)) == NULL)
		goto out;
	if ((rc = put_once(s, sidecar, line, "text/plain", NULL)) != S3_OK)
		goto out;
	rc = put_once(s, mkey, json, "application/json", &m);
out:
	ex = rc == S3_OK ? 0 : exit_for(rc);
done:
	free(copy);
	free(base);
	free(sidecar);
	free(mkey);
	free(line);
	free(json);
	return ex;
}

static int
run_commit(char **urls, int n, const struct commitcfg *cc, const char *json)
{
	char *sumtext = NULL, *counts = NULL;
	struct store *s;
	struct pipe p;
	int i, ex = 0, r;

	memset(&p, 0, sizeof(p));
	/* Small local files: a FIFO is refused, never waited on. */
	if ((sumtext = bk_read_small_file(cc->sumfile, STORE_SMALL_MAX, NULL,
	    "sum file")) == NULL || (cc->counts_file != NULL &&
	    (counts = bk_read_small_file(cc->counts_file, STORE_SMALL_MAX,
	    NULL, "counts file")) == NULL)) {
		ex = BK_EXIT_FAIL;
		goto out;
	}
	if ((p.d = calloc((size_t)n, sizeof(*p.d))) == NULL) {
		warnp("malloc");
		ex = BK_EXIT_FAIL;
		goto out;
	}
	p.nd = n;
	for (i = 0; i < n; i++) {
		p.d[i].arg = urls[i];
		if ((s = store_open(urls[i], 1)) == NULL) {
			r = BK_EXIT_USAGE;
		} else {
			if (s->u.kind == STORE_S3)
				s->t.retries = cc->retries;
			r = commit_one(s, cc, sumtext, counts);
			store_close(s);
		}
		if (r != 0) {
			p.d[i].failed = r;
			snprintf(p.d[i].error, sizeof(p.d[i].error), "%s",
			    bk_last_error());
			if (ex == 0 || r == BK_EXIT_TEMP)
				ex = r;
		}
	}
out:
	if (emit_json(json, &p, 0, -1, ex) != 0 && ex == 0)
		ex = BK_EXIT_FAIL;
	free(p.d);
	free(sumtext);
	free(counts);
	return ex;
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

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "part-size", required_argument, NULL, 'p' },
		{ "overwrite", no_argument, NULL, 'O' },
		{ "retries", required_argument, NULL, 'r' },
		{ "storage-class", required_argument, NULL, 'S' },
		{ "sse", required_argument, NULL, 'E' },
		{ "sse-kms-key-id", required_argument, NULL, 'K' },
		{ "object-lock-mode", required_argument, NULL, 'L' },
		{ "object-lock-retain-until", required_argument, NULL, 'U' },
		{ "tag", required_argument, NULL, 'T' },
		{ "content-type", required_argument, NULL, 'C' },
		{ "commit", no_argument, NULL, 'c' },
		{ "sum", required_argument, NULL, 's' },
		{ "kind", required_argument, NULL, 'k' },
		{ "key-id", required_argument, NULL, 'I' },
		{ "compression", required_argument, NULL, 'z' },
		{ "source", required_argument, NULL, 'o' },
		{ "counts", required_argument, NULL, 'n' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'Q' },
		{ "json", optional_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct putcfg cfg = { PART_DEFAULT, 4, 8, 0, NULL };
	struct commitcfg cc = { 0 };
	struct pipe p;
	char *tags = NULL;
	int ch, commit = 0, ex;
	long num;

	bk_setprogname(argv[0]);
	memset(&p, 0, sizeof(p));
	cfg.progress = bk_progress_default();
	cc.retries = cfg.retries;
	while ((ch = getopt_long(argc, argv, "j:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			if (bk_parse_long(optarg, 1, JOBS_MAX, &num) != 0) {
				warn0("-j %s: want 1..%d", optarg, JOBS_MAX);
				usage(0);
			}
			cfg.jobs = (int)num;
			break;
		case 'p':
			if (bk_parse_size(optarg, &cfg.part) != 0 ||
			    cfg.part < S3_PART_MIN || cfg.part > S3_PART_MAX) {
				warn0("--part-size %s: want 5M..5G", optarg);
				usage(0);
			}
			break;
		case 'O': p.overwrite = 1; break;
		case 'r':
			if (bk_parse_long(optarg, 0, 100, &num) != 0) {
				warn0("--retries %s: want 0..100", optarg);
				usage(0);
			}
			cfg.retries = (int)num;
			cc.retries = cfg.retries;
			break;
		case 'S': p.opts.storage_class = optarg; break;
		case 'E': p.opts.sse = optarg; break;
		case 'K': p.opts.kms_key = optarg; break;
		case 'L': p.opts.lock_mode = optarg; break;
		case 'U': p.opts.lock_until = optarg; break;
		case 'T':
			if (add_tag(&tags, optarg) != 0)
				usage(0);
			break;
		case 'C': p.opts.content_type = optarg; break;
		case 'c': commit = 1; break;
		case 's': cc.sumfile = optarg; break;
		case 'k':
			if (!manifest_kind_valid(optarg)) {
				warn0("--kind %s: want a short word (letters, "
				    "digits, - and _)", optarg);
				usage(0);
			}
			cc.kind = optarg;
			break;
		case 'I': cc.key_id = optarg; break;
		case 'z': cc.compression = optarg; break;
		case 'o': cc.source = optarg; break;
		case 'n': cc.counts_file = optarg; break;
		case 'P': cfg.progress = 1; break;
		case 'Q': cfg.progress = 0; break;
		case 'J': cfg.json = optarg ? optarg : ""; break;
		case 'V': bk_print_version(); return 0;
		case 'h': usage(1);
		default: usage(0);
		}
	}
	if (optind == argc) {
		warn0("no destination");
		usage(0);
	}
	if (argc - optind > DEST_MAX) {
		warn0("at most %d destinations", DEST_MAX);
		usage(0);
	}
	if (commit != (cc.sumfile != NULL)) {
		warn0("--commit and --sum go together");
		usage(0);
	}
	if (p.opts.sse != NULL && strcmp(p.opts.sse, "AES256") != 0 &&
	    strcmp(p.opts.sse, "aws:kms") != 0) {
		warn0("--sse %s: want AES256 or aws:kms", p.opts.sse);
		usage(0);
	}
	if (p.opts.kms_key != NULL && (p.opts.sse == NULL ||
	    strcmp(p.opts.sse, "aws:kms") != 0)) {
		warn0("--sse-kms-key-id needs --sse aws:kms");
		usage(0);
	}
	if ((p.opts.lock_mode == NULL) != (p.opts.lock_until == NULL)) {
		warn0("--object-lock-mode and --object-lock-retain-until go "
		    "together");
		usage(0);
	}
	p.opts.tagging = tags;
	p.opts.noclobber = !p.overwrite;
	bk_ignore_sigpipe();
	s3_set_stop(&cancel);
	if (s3_global_init() != 0)
		return BK_EXIT_FAIL;
	if (commit)
		ex = run_commit(argv + optind, argc - optind, &cc, cfg.json);
	else
		ex = run_put(&p, argv + optind, argc - optind, &cfg);
	free(tags);
	return ex;
}
