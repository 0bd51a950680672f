/*
 * store/upload.c - the parallel upload engine (see upload.h).  The main
 * thread reads the stream into a ring of jobs part buffers and publishes
 * each part; every destination has its workers (jobs of them, or one for
 * a driver that writes in order), which take the parts in turn and hand
 * them to the driver.  A buffer is reused once every destination still
 * alive has stored its part.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "bk.h"
#include "io/sha256.h"
#include "store/driver.h"
#include "store/upload.h"

#define GROW_EVERY 1000		/* parts between doublings of the size */

struct slot {
	unsigned char *buf;
	size_t cap, len;
	unsigned char sum[32];
	int refs;		/* destinations still needing this part */
	int last;		/* shorter than its size: the stream's end */
};

struct dest {
	struct upload_dest *ud;
	struct store *st;
	void *w;		/* the driver's write state */
	int next;		/* next part to take (under pipe mu) */
	int failed;		/* its result once failed, else 0 */
	int nworkers;
	pthread_t th[UPLOAD_JOBS_MAX];
	struct pipe *p;
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	int nslots;
	int published;		/* parts 0..published-1 are readable */
	int eof;
	int sums;		/* some destination wants part checksums */
	struct dest *d;
	int nd;
	const struct upload_opts *o;
	int fd;
};

/* Is a stop asked for?  Says so once per caller, naming the signal. */
static int
stopping(const struct pipe *p)
{
	if (p->o->stop == NULL || *p->o->stop == 0)
		return 0;
	warn0("interrupted by signal %d; aborting the uploads",
	    (int)*p->o->stop);
	return 1;
}

/* Read up to want bytes (less only at EOF); -1 on error or a stop. */
static ssize_t
read_part(struct pipe *p, unsigned char *buf, size_t want)
{
	size_t got = 0;
	ssize_t n;

	while (got < want) {
		if (stopping(p))
			return -1;
		if ((n = read(p->fd, buf + got, want - got)) == 0)
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

/* Part size for part seq: doubles every GROW_EVERY parts, capped. */
static size_t
part_size(uint64_t base, int seq)
{
	uint64_t sz = base;
	int i;

	for (i = seq / GROW_EVERY; i > 0 && sz < UPLOAD_PART_MAX; i--)
		sz *= 2;
	return (size_t)(sz > UPLOAD_PART_MAX ? UPLOAD_PART_MAX : sz);
}

/* Mark d failed (pipe mu held): give back every part it will not take. */
static void
fail_dest(struct pipe *p, struct dest *d, int result)
{
	if (d->failed)
		return;
	d->failed = result;
	snprintf(d->ud->error, sizeof(d->ud->error), "%s", bk_last_error());
	for (; d->next < p->published; d->next++)
		p->slots[d->next % p->nslots].refs--;
	pthread_cond_broadcast(&p->cv);
}

/* Store part seq of the stream at d. */
static int
put_part(struct dest *d, void *ctx, struct slot *s, int seq)
{
	struct store_wpart part = { seq, s->buf, s->len,
	    d->p->sums ? s->sum : NULL, s->last };

	return d->st->u.drv->w_part(d->w, ctx, &part);
}

/* Take parts for d until the stream ends or d fails (pipe mu held). */
static void
take_parts(struct pipe *p, struct dest *d, void *ctx)
{
	struct slot *s;
	int seq, rc;

	for (;;) {
		while (!d->failed && d->next >= p->published && !p->eof)
			pthread_cond_wait(&p->cv, &p->mu);
		if (d->failed || d->next >= p->published)
			break;
		seq = d->next++;
		s = &p->slots[seq % p->nslots];
		pthread_mutex_unlock(&p->mu);
		rc = put_part(d, ctx, s, seq);
		pthread_mutex_lock(&p->mu);
		if (rc != BK_OK)
			fail_dest(p, d, rc == BK_RETRY ? BK_RETRY : BK_FAIL);
		s->refs--;
		pthread_cond_broadcast(&p->cv);
	}
}

static void *
worker(void *arg)
{
	struct dest *d = arg;
	struct pipe *p = d->p;
	const struct store_driver *drv = d->st->u.drv;
	void *ctx = NULL;

	if (drv->w_thread != NULL && drv->w_thread(d->st, &ctx) != 0) {
		pthread_mutex_lock(&p->mu);
		fail_dest(p, d, BK_FAIL);
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	pthread_mutex_lock(&p->mu);
	take_parts(p, d, ctx);
	pthread_mutex_unlock(&p->mu);
	if (ctx != NULL)
		drv->w_thread_free(ctx);
	return NULL;
}

/*
 * Wait for slot s to be free; 0, or -1 when every destination failed or a
 * stop was asked for (checked every 200 ms: the signal interrupts only
 * read(), not this wait).
 */
static int
wait_slot(struct pipe *p, struct slot *s)
{
	struct timespec ts;
	int i, alive = 0;

	pthread_mutex_lock(&p->mu);
	while (s->refs > 0 && (p->o->stop == NULL || *p->o->stop == 0)) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	for (i = 0; i < p->nd; i++)
		alive += !p->d[i].failed;
	pthread_mutex_unlock(&p->mu);
	if (stopping(p))
		return -1;
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
		fail_dest(p, &p->d[i], BK_FAIL);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Make slot s hold want bytes; 0 or -1 (reported). */
static int
slot_size(struct slot *s, size_t want)
{
	if (s->cap >= want)
		return 0;
	free(s->buf);
	if ((s->buf = malloc(want)) == NULL) {
		warnp("malloc %zu bytes", want);
		s->cap = 0;
		return -1;
	}
	s->cap = want;
	return 0;
}

/*
 * Read the stream into parts and hand each to every destination.
 * Returns the number of parts, or -1 after a read error, a stop or an
 * over-long stream.
 */
static int
read_stream(struct pipe *p, struct upload_stats *stats,
    struct bk_progress *prog)
{
	struct slot *s;
	size_t want;
	ssize_t n;
	int seq;

	for (seq = 0;; seq++) {
		s = &p->slots[seq % p->nslots];
		want = part_size(p->o->part, seq);
		if (wait_slot(p, s) != 0 || slot_size(s, want) != 0 ||
		    (n = read_part(p, s->buf, want)) < 0)
			return -1;
		if (n == 0 && seq > 0) {
			end_stream(p, 0);
			return seq;
		}
		if (seq == UPLOAD_PARTS_MAX) {
			warn0("the stream is longer than %d parts allow; "
			    "raise --part-size", UPLOAD_PARTS_MAX);
			return -1;
		}
		s->len = (size_t)n;
		s->last = ((size_t)n < want);
		/* Only for a destination that checks parts on the way. */
		if (p->sums && bk_sha256(s->buf, s->len, s->sum) != 0)
			return -1;
		stats->bytes += (uint64_t)n;
		bk_progress_add(prog, (uint64_t)n);
		publish(p, s, seq, s->last);
		if (s->last)
			return seq + 1;
	}
}

/* Refuse early, before any data moves, to replace an existing object. */
static int
check_absent(struct store *st)
{
	uint64_t size;
	int exists, rc;

	if ((rc = store_head(st, st->u.key, &exists, &size)) != BK_OK)
		return rc;
	if (exists) {
		warn0("%s: already exists; not overwritten (--overwrite "
		    "replaces it)", st->u.url);
		return BK_FAIL;
	}
	return BK_OK;
}

/* Make d ready to take parts; a failure is d's alone (kept in d). */
static void
dest_open(struct pipe *p, struct dest *d)
{
	const struct store_driver *drv = d->st->u.drv;
	int rc = BK_OK;

	d->p = p;
	d->nworkers = drv->parallel ? p->o->jobs : 1;
	if (p->o->put->noclobber)
		rc = check_absent(d->st);
	if (rc == BK_OK && (d->w = drv->w_open(d->st, d->st->u.key,
	    p->o->put)) == NULL)
		rc = BK_FAIL;
	if (rc != BK_OK)
		fail_dest(p, d, rc);
	p->sums |= drv->part_sums && !d->failed;
}

/* After the stream: commit or abort what d has started. */
static void
dest_finish(struct pipe *p, struct dest *d, int nparts)
{
	const struct store_driver *drv = d->st->u.drv;
	int rc;

	if (d->w == NULL)
		return;
	if (d->failed) {
		drv->w_abort(d->w);
	} else if ((rc = drv->w_commit(d->w, nparts)) != BK_OK) {
		pthread_mutex_lock(&p->mu);
		fail_dest(p, d, rc == BK_RETRY ? BK_RETRY : BK_FAIL);
		pthread_mutex_unlock(&p->mu);
	}
	d->w = NULL;
}

/*
 * Start every destination's workers, with every signal blocked in them
 * (only the reading thread is interrupted).  On a failure the stream is
 * ended as failed.
 */
static void
start_workers(struct pipe *p)
{
	sigset_t all, old;
	int i, w;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < p->nd; i++)
		for (w = 0; w < p->d[i].nworkers; w++) {
			if (pthread_create(&p->d[i].th[w], NULL, worker,
			    &p->d[i]) != 0) {
				warn0("cannot start a thread");
				p->d[i].nworkers = w;
				end_stream(p, 1);
				break;
			}
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void
join_workers(struct pipe *p)
{
	int i, w;

	for (i = 0; i < p->nd; i++)
		for (w = 0; w < p->d[i].nworkers; w++)
			pthread_join(p->d[i].th[w], NULL);
}

/* The worst of the destinations' results, each kept in its upload_dest. */
static int
results(struct pipe *p)
{
	int i, rc = BK_OK;

	for (i = 0; i < p->nd; i++) {
		p->d[i].ud->result = p->d[i].failed;
		if (p->d[i].failed && (rc == BK_OK ||
		    p->d[i].failed == BK_RETRY))
			rc = p->d[i].failed;
	}
	return rc;
}

/* Start, stream, finish: the body of upload_run once p is allocated. */
static void
run(struct pipe *p, struct upload_stats *stats)
{
	struct bk_progress *prog;
	int i;

	for (i = 0; i < p->nd; i++)
		dest_open(p, &p->d[i]);
	start_workers(p);
	prog = bk_progress_new("uploading", bk_fd_size(p->fd),
	    p->o->progress);
	stats->parts = read_stream(p, stats, prog);
	bk_progress_done(prog);
	end_stream(p, stats->parts < 0);
	join_workers(p);
	/* The aborts and completions below must go out. */
	store_set_stop(NULL);
	for (i = 0; i < p->nd; i++)
		dest_finish(p, &p->d[i], stats->parts);
}

int
upload_run(int fd, struct upload_dest *d, int n,
    const struct upload_opts *o, struct upload_stats *stats)
{
	struct pipe p = { .nd = n, .nslots = o->jobs, .o = o, .fd = fd };
	int i, rc = BK_FAIL;

	stats->bytes = 0;
	stats->parts = 0;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	if ((p.d = calloc((size_t)n, sizeof(*p.d))) == NULL ||
	    (p.slots = calloc((size_t)p.nslots, sizeof(*p.slots))) == NULL) {
		warnp("malloc");
		goto out;
	}
	for (i = 0; i < n; i++) {
		p.d[i].ud = &d[i];
		p.d[i].st = d[i].st;
		d[i].error[0] = '\0';
	}
	run(&p, stats);
	rc = results(&p);
out:
	for (i = 0; p.slots != NULL && i < p.nslots; i++)
		free(p.slots[i].buf);
	free(p.slots);
	free(p.d);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return rc;
}
