/*
 * Unit tests for lib/zpolicy.c: the per-frame choice behind -z zstd picks
 * the deeper search for text from a tiny vocabulary (where level 3 loses
 * to gzip) and level 3 for data where searching deeper gains little.
 */
#include <stdlib.h>
#include <string.h>

#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_CCtx_getParameter */
#include <zstd.h>

#include "bk.h"
#include "unit.h"
#include "zpolicy.h"

static unsigned long rnd = 12345;

static unsigned
next(void)
{
	rnd = rnd * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(rnd >> 33);
}

/* Append len bytes of p to buf at *n. */
static void
put(unsigned char *buf, size_t *n, const void *p, size_t len)
{
	memcpy(buf + *n, p, len);
	*n += len;
}

/*
 * BSON-like records whose text comes from a 20-word vocabulary of short
 * words, with counter ObjectIds: the shape of bench's "small" dataset.
 */
static size_t
tiny_vocabulary(unsigned char *buf, size_t len)
{
	static const char *words[] = { "ol", "yo", "sar", "shi", "ka",
	    "gan", "kadel", "delis", "trebrikaum", "ummonol", "pawuxetre",
	    "taplilo", "wu", "xeol", "ruloshian", "delkadel", "jianlo",
	    "tre", "um", "mo" };
	static const char *status[] = { "open", "closed", "pending" };
	unsigned char id[12] = { 0x69, 0x24, 0x81, 0, 0x42, 0x0e, 0x27 };
	unsigned count = 0, v;
	size_t n = 0, w, k;
	const char *s;

	while (n + 300 < len) {
		count++;
		memcpy(id + 8, &count, 4);
		put(buf, &n, "\x07_id", 5);
		put(buf, &n, id, sizeof(id));
		put(buf, &n, "\x02name", 6);
		for (k = 0; k < 2; k++) {
			s = words[next() % 20];
			put(buf, &n, s, strlen(s) + 1);
		}
		s = status[next() % 3];
		put(buf, &n, "\x02status", 8);
		put(buf, &n, s, strlen(s) + 1);
		v = next() % 100;
		put(buf, &n, "\x10n", 3);
		put(buf, &n, &v, 4);
		put(buf, &n, "\x02text", 6);
		for (k = 0, w = 5 + next() % 11; k < w; k++) {
			s = words[next() % 20];
			put(buf, &n, s, strlen(s));
			put(buf, &n, " ", 1);
		}
	}
	return n;
}

/* Bytes with no structure at all. */
static size_t
noise(unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)next();
	return len;
}

static int
param(ZSTD_CCtx *c, ZSTD_cParameter p)
{
	int v = -1;

	(void)ZSTD_CCtx_getParameter(c, p, &v);
	return v;
}

int
main(void)
{
	unsigned char *buf = malloc(BK_ZSAMPLE);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t n;

	CHECK(buf != NULL && c != NULL);
	n = tiny_vocabulary(buf, BK_ZSAMPLE);
	CHECK(bk_zpolicy_choose(c, buf, n) == BK_ZDEEP);
	n = noise(buf, BK_ZSAMPLE);
	CHECK(bk_zpolicy_choose(c, buf, n) == BK_ZFAST);
	CHECK(bk_zpolicy_choose(c, buf, 0) == BK_ZFAST);

	/* The settings themselves, each with a checksum in every frame. */
	CHECK(bk_zpolicy_set(c, BK_ZDEEP) == 0);
	CHECK(param(c, ZSTD_c_compressionLevel) == 5);
	CHECK(param(c, ZSTD_c_searchLog) == 5);
	CHECK(param(c, ZSTD_c_minMatch) == 6);
	CHECK(param(c, ZSTD_c_checksumFlag) == 1);
	CHECK(bk_zpolicy_set(c, BK_ZFAST) == 0);
	CHECK(param(c, ZSTD_c_compressionLevel) == 3);
	CHECK(param(c, ZSTD_c_searchLog) == 0);	/* the level's own */
	CHECK(param(c, ZSTD_c_checksumFlag) == 1);
	ZSTD_freeCCtx(c);
	free(buf);
	return unit_exit();
}
