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
#include "compress.h"
#include "io/stage.h"
#include "io/zpolicy.h"
#include "unit.h"

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

/*
 * len bytes through -z zstd (the per-frame writer) in pieces of 100,003
 * bytes, then back through the decompressing stage: the bytes return, and
 * the stream holds *frames zstd frames.
 */
static void
roundtrip(const unsigned char *data, size_t len, int *frames)
{
	struct bk_stage *mem, *z, *packed;
	const unsigned char *c, *back;
	size_t clen, blen, off, n, fsz;

	CHECK((packed = bk_stage_compress(BK_COMP_ZSTD, BK_ZSTD_DEFAULT,
	    "<t>", mem = bk_stage_mem())) != NULL);
	for (off = 0; off < len; off += n) {
		n = len - off < 100003 ? len - off : 100003;
		CHECK(bk_stage_write(packed, data + off, n) == BK_OK);
	}
	CHECK(bk_stage_finish(packed) == BK_OK);
	c = bk_stage_mem_data(mem, &clen);
	*frames = 0;
	for (off = 0; off < clen; off += fsz, (*frames)++) {
		fsz = ZSTD_findFrameCompressedSize(c + off, clen - off);
		CHECK(!ZSTD_isError(fsz) && fsz > 0);
		if (ZSTD_isError(fsz) || fsz == 0)
			break;
	}
	CHECK((z = bk_stage_decompress("<t>", mem = bk_stage_mem())) != NULL);
	CHECK(bk_stage_write(z, c, clen) == BK_OK);
	CHECK(bk_stage_finish(z) == BK_OK);
	back = bk_stage_mem_data(mem, &blen);
	CHECK(blen == len && (len == 0 || memcmp(back, data, len) == 0));
	bk_stage_free(z);
	bk_stage_free(packed);
}

/* Frames of BK_ZFRAME input bytes, whatever the data, and all read back. */
static void
frames(void)
{
	size_t len = 2 * BK_ZFRAME + 5;
	unsigned char *data = malloc(len);
	int k;

	CHECK(data != NULL);
	/* A frame of tiny-vocabulary text, one of noise, and 5 bytes. */
	CHECK(tiny_vocabulary(data, BK_ZFRAME + 300) >= BK_ZFRAME);
	noise(data + BK_ZFRAME, len - BK_ZFRAME);
	roundtrip(data, len, &k);
	CHECK(k == 3);
	roundtrip(data, 2 * BK_ZFRAME, &k);	/* ends on a boundary */
	CHECK(k == 2);
	roundtrip(data, BK_ZSAMPLE - 1, &k);	/* shorter than a sample */
	CHECK(k == 1);
	roundtrip(data, 0, &k);		/* an empty stream is one frame */
	CHECK(k == 1);
	free(data);
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
	frames();
	return unit_exit();
}
