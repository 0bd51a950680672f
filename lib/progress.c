/* progress.c - the --progress meter: bytes, rate, and ETA when known. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bk.h"

struct bk_progress {
	const char *label;
	uint64_t total;
	uint64_t done;
	double start;
	double last;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
bk_progress_default(void)
{
	return isatty(STDERR_FILENO);
}

struct bk_progress *
bk_progress_new(const char *label, uint64_t total, int on)
{
	struct bk_progress *p;

	if (!on)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;	/* a meter is not worth failing a backup */
	p->label = label;
	p->total = total;
	p->start = p->last = now();
	return p;
}

static void
draw(struct bk_progress *p, double t, const char *end)
{
	char done[32], rate[32];
	double el = t - p->start;
	double r = el > 0 ? (double)p->done / el : 0;

	bk_fmt_bytes(done, sizeof(done), (double)p->done);
	bk_fmt_bytes(rate, sizeof(rate), r);
	if (p->total > 0 && r > 0 && p->done <= p->total) {
		double eta = (double)(p->total - p->done) / r;
		fprintf(stderr, "\r%s: %s: %s  %3.0f%%  %s/s  ETA %02d:%02d:%02d%s",
		    bk_progname(), p->label, done,
		    100.0 * (double)p->done / (double)p->total, rate,
		    (int)(eta / 3600), (int)(eta / 60) % 60, (int)eta % 60, end);
	} else
		fprintf(stderr, "\r%s: %s: %s  %s/s  %02d:%02d:%02d%s",
		    bk_progname(), p->label, done, rate, (int)(el / 3600),
		    (int)(el / 60) % 60, (int)el % 60, end);
}

void
bk_progress_add(struct bk_progress *p, uint64_t n)
{
	double t;

	if (p == NULL)
		return;
	p->done += n;
	t = now();
	if (t - p->last >= 0.25) {
		p->last = t;
		draw(p, t, "\033[K");
	}
}

void
bk_progress_done(struct bk_progress *p)
{
	if (p == NULL)
		return;
	draw(p, now(), "\033[K\n");
	free(p);
}
