/* vec.c - a growable array and a set of strings; see vec.h. */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "io/sha256.h"
#include "vec.h"

void
vec_init(struct vec *a, size_t size)
{
	*a = (struct vec){ .size = size };
}

int
vec_grow(void *arrayp, size_t *cap, size_t n, size_t size)
{
	void **a = arrayp, *na;
	size_t ncap = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return 0;
	if ((na = reallocarray(*a, ncap, size)) == NULL) {
		warnp("malloc");
		return -1;
	}
	*a = na;
	*cap = ncap;
	return 0;
}

void *
vec_push(struct vec *a)
{
	void *e;

	if (vec_grow(&a->v, &a->cap, a->n, a->size) != 0)
		return NULL;
	e = (char *)a->v + a->n++ * a->size;
	memset(e, 0, a->size);
	return e;
}

void *
vec_at(const struct vec *a, size_t i)
{
	return (char *)a->v + i * a->size;
}

void
vec_free(struct vec *a)
{
	if (a != NULL) {
		free(a->v);
		vec_init(a, a->size);
	}
}

static const unsigned char zero_digest[STRSET_DIGEST];

void
strset_init(struct strset *s, size_t max)
{
	*s = (struct strset){ .max = max };
}

void
strset_digest(const char *k, unsigned char d[STRSET_DIGEST])
{
	unsigned char full[BK_SHA256_LEN] = { 0 };

	/* Fails only without memory: then every name gets one slot's hash. */
	(void)bk_sha256(k, strlen(k), full);
	memcpy(d, full, STRSET_DIGEST);
	if (memcmp(d, zero_digest, STRSET_DIGEST) == 0)
		d[0] = 1;	/* all zeros marks a free slot */
}

/* The slot of digest d: where it is, or the free one where it would go. */
static size_t
slot(const struct strset *s, const unsigned char d[STRSET_DIGEST])
{
	size_t h;

	memcpy(&h, d + STRSET_DIGEST - sizeof(h), sizeof(h));
	h &= s->cap - 1;
	while (memcmp(s->v[h], zero_digest, STRSET_DIGEST) != 0 &&
	    memcmp(s->v[h], d, STRSET_DIGEST) != 0)
		h = (h + 1) & (s->cap - 1);
	return h;
}

/* Double the table (1024 slots to start).  0, or -1 (reported). */
static int
grow(struct strset *s)
{
	unsigned char (*old)[STRSET_DIGEST] = s->v;
	size_t oldcap = s->cap, i;

	s->cap = oldcap ? oldcap * 2 : 1024;
	if ((s->v = calloc(s->cap, sizeof(*s->v))) == NULL) {
		warnp("malloc");
		s->v = old;
		s->cap = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++)
		if (memcmp(old[i], zero_digest, STRSET_DIGEST) != 0)
			memcpy(s->v[slot(s, old[i])], old[i], STRSET_DIGEST);
	free(old);
	return 0;
}

int
strset_add(struct strset *s, const char *k)
{
	unsigned char d[STRSET_DIGEST];
	size_t h;

	if (s->n * 4 >= s->cap * 3 && grow(s) != 0)
		return BK_FAIL;
	strset_digest(k, d);
	h = slot(s, d);
	if (memcmp(s->v[h], zero_digest, STRSET_DIGEST) != 0)
		return 0;
	if (s->max != 0 && s->n == s->max)
		return BK_NEGATIVE;
	memcpy(s->v[h], d, STRSET_DIGEST);
	s->n++;
	return 1;
}

int
strset_has(const struct strset *s, const char *k)
{
	unsigned char d[STRSET_DIGEST];

	if (s->cap == 0)
		return 0;
	strset_digest(k, d);
	return memcmp(s->v[slot(s, d)], zero_digest, STRSET_DIGEST) != 0;
}

void
strset_free(struct strset *s)
{
	if (s != NULL) {
		free(s->v);
		strset_init(s, s->max);
	}
}
