/* stage.c - the stream-stage chain, the pump and the plain stages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "io/stage.h"

#define PUMPBUF (256 * 1024)

struct bk_stage *
bk_stage_new(size_t sz, const struct bk_stage_ops *ops,
    struct bk_stage *next, const char *name)
{
	struct bk_stage *s;

	if ((s = calloc(1, sz)) != NULL) {
		s->ops = ops;
		s->next = next;
		s->name = name;
		return s;
	}
	warnp("malloc");
	bk_stage_free(next);
	return NULL;
}

int
bk_stage_write(struct bk_stage *s, const void *buf, size_t len)
{
	int rc;

	if (s->result != BK_OK || len == 0)
		return s->result;
	if ((rc = s->ops->write(s, buf, len)) != BK_OK)
		return s->result = rc;
	s->in += len;
	return BK_OK;
}

int
bk_stage_finish(struct bk_stage *s)
{
	int rc;

	for (; s != NULL; s = s->next) {
		if (s->result != BK_OK)
			return s->result;
		if (s->finished)
			continue;
		s->finished = 1;
		if ((rc = s->ops->finish(s)) != BK_OK)
			return s->result = rc;
	}
	return BK_OK;
}

int
bk_stage_result(const struct bk_stage *s)
{
	return s->result;
}

void
bk_stage_free(struct bk_stage *s)
{
	struct bk_stage *next;

	for (; s != NULL; s = next) {
		next = s->next;
		s->ops->free(s);
	}
}

int
bk_stage_emit(struct bk_stage *s, const void *buf, size_t len)
{
	if (s->next == NULL)
		return BK_OK;
	return bk_stage_write(s->next, buf, len);
}

uint64_t
bk_stage_bytes(const struct bk_stage *s)
{
	return s->in;
}

/*
 * Where the pump reads next, and how much: s's own buffer when it offers
 * one, else buf, up to what completes s's unit.
 */
static unsigned char *
pump_target(struct bk_stage *s, unsigned char *buf, size_t cap, size_t *len)
{
	unsigned char *p;

	if (s->ops->buffer != NULL && (p = s->ops->buffer(s, len)) != NULL)
		return p;
	*len = s->want > 0 && s->want < cap ? s->want : cap;
	return buf;
}

int
bk_stage_pump(int fd, const char *name, struct bk_stage *s,
    struct bk_progress *prog, uint64_t *total)
{
	unsigned char *buf, *p;
	size_t len;
	ssize_t n;
	int rc = BK_FAIL;

	if ((buf = malloc(PUMPBUF)) == NULL) {
		warnp("malloc");
		return BK_FAIL;
	}
	for (;;) {
		p = pump_target(s, buf, PUMPBUF, &len);
		if ((n = read(fd, p, len)) == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warnp("read %s", name);
			goto done;
		}
		if ((rc = bk_stage_write(s, p, (size_t)n)) != BK_OK)
			goto done;
		if (total != NULL)
			*total += (uint64_t)n;
		bk_progress_add(prog, (uint64_t)n);
	}
	rc = BK_OK;
done:
	free(buf);
	return rc;
}

/* A stage that needs nothing at its finish. */
static int
finish_nothing(struct bk_stage *s)
{
	(void)s;
	return BK_OK;
}

/* A stage with no state but its struct. */
static void
free_plain(struct bk_stage *s)
{
	free(s);
}

struct fd_sink {
	struct bk_stage s;
	int fd;
};

static int
fd_write(struct bk_stage *s, const void *buf, size_t len)
{
	struct fd_sink *f = (struct fd_sink *)s;

	return bk_write_full(f->fd, buf, len, s->name);
}

static const struct bk_stage_ops fd_ops = {
	fd_write, finish_nothing, free_plain
};

struct bk_stage *
bk_stage_fd(int fd, const char *name)
{
	struct fd_sink *f;

	if ((f = (struct fd_sink *)bk_stage_new(sizeof(*f), &fd_ops, NULL,
	    name)) == NULL)
		return NULL;
	f->fd = fd;
	return &f->s;
}

struct mem_sink {
	struct bk_stage s;
	unsigned char *buf;
	size_t len, cap;
};

static int
mem_write(struct bk_stage *s, const void *buf, size_t len)
{
	struct mem_sink *m = (struct mem_sink *)s;
	size_t cap = m->cap ? m->cap : 4096;
	unsigned char *p;

	while (cap - m->len < len)
		cap *= 2;
	if (cap != m->cap) {
		if ((p = realloc(m->buf, cap)) == NULL) {
			warnp("malloc");
			return BK_FAIL;
		}
		m->buf = p;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return BK_OK;
}

static void
mem_free(struct bk_stage *s)
{
	struct mem_sink *m = (struct mem_sink *)s;

	free(m->buf);
	free(m);
}

static const struct bk_stage_ops mem_ops = {
	mem_write, finish_nothing, mem_free
};

struct bk_stage *
bk_stage_mem(void)
{
	return bk_stage_new(sizeof(struct mem_sink), &mem_ops, NULL, "memory");
}

const unsigned char *
bk_stage_mem_data(const struct bk_stage *s, size_t *lenp)
{
	const struct mem_sink *m = (const struct mem_sink *)s;

	static const unsigned char none[1];

	*lenp = m->len;
	return m->buf != NULL ? m->buf : none;
}

static const struct bk_stage_ops size_ops = {
	bk_stage_emit, finish_nothing, free_plain
};

struct bk_stage *
bk_stage_size(struct bk_stage *next)
{
	return bk_stage_new(sizeof(struct bk_stage), &size_ops, next, "size");
}
