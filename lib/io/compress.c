/*
 * compress.c - gzip (zlib) and zstd: a compressing stage, a decompressing
 * stage that detects the method by magic, and the fd writer and reader
 * of compress.h on them (the reader pulls through the same decoder).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "bk.h"
#include "compress.h"
#include "io/stage.h"
#include "io/zpolicy.h"

#define ZBUF (256 * 1024)

static const unsigned char gzip_magic[2] = { 0x1f, 0x8b };
static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

int
bk_comp_parse(const char *spec, enum bk_comp *method, int *level)
{
	const char *colon = strchr(spec, ':');
	size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
	char *end;
	long lv;

	if (n == 4 && strncmp(spec, "none", 4) == 0) {
		*method = BK_COMP_NONE;
		*level = 0;
	} else if (n == 4 && strncmp(spec, "gzip", 4) == 0) {
		*method = BK_COMP_GZIP;
		*level = BK_GZIP_DEFAULT_LEVEL;
	} else if (n == 4 && strncmp(spec, "zstd", 4) == 0) {
		*method = BK_COMP_ZSTD;
		*level = BK_ZSTD_DEFAULT;
	} else {
		warn0("compression %s: expected none, gzip or zstd[:LEVEL]",
		    spec);
		return -1;
	}
	if (colon == NULL)
		return 0;
	errno = 0;
	lv = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' ||
	    (*method == BK_COMP_GZIP && (lv < 1 || lv > 9)) ||
	    (*method == BK_COMP_ZSTD && (lv < 1 || lv > ZSTD_maxCLevel())) ||
	    *method == BK_COMP_NONE) {
		warn0("compression %s: bad level", spec);
		return -1;
	}
	*level = (int)lv;
	return 0;
}

const char *
bk_comp_name(enum bk_comp method)
{
	switch (method) {
	case BK_COMP_GZIP: return "gzip";
	case BK_COMP_ZSTD: return "zstd";
	default: return "none";
	}
}

/* The compressing stage. */
struct zenc {
	struct bk_stage s;
	enum bk_comp method;
	z_stream zs;
	int zsinit;
	ZSTD_CCtx *zc;
	unsigned char *out;
	/* -z zstd without a level: a setting per frame (zpolicy.h). */
	int adaptive;
	ZSTD_CCtx *trial;	/* the trial compressions' context */
	unsigned char *sample;	/* the frame's first bytes, until chosen */
	size_t nsample;
	size_t inframe;		/* input bytes in the current frame */
	uint64_t frames;	/* frames begun */
};

/*
 * Start zstd at level, or for BK_ZSTD_DEFAULT with a setting chosen per
 * frame (zpolicy.h).  0 or -1.
 */
static int
zenc_zstd_start(struct zenc *e, int level)
{
	if ((e->zc = ZSTD_createCCtx()) == NULL)
		return -1;
	if (level == BK_ZSTD_DEFAULT) {
		e->adaptive = 1;
		if ((e->trial = ZSTD_createCCtx()) == NULL ||
		    (e->sample = malloc(BK_ZSAMPLE)) == NULL)
			return -1;
		return 0;
	}
	if (ZSTD_isError(ZSTD_CCtx_setParameter(e->zc,
	    ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(e->zc,
	    ZSTD_c_checksumFlag, 1)))
		return -1;
	/*
	 * With BK_ZSTD_WORKERS, compress in zstd's own threads.  A libzstd
	 * without threads refuses: compress inline then; either stream
	 * reads back the same.
	 */
	if (BK_ZSTD_WORKERS > 0)
		(void)ZSTD_CCtx_setParameter(e->zc, ZSTD_c_nbWorkers,
		    BK_ZSTD_WORKERS);
	return 0;
}

static int
zenc_gzip(struct zenc *e, const void *buf, size_t len, int flush)
{
	int rc;

	e->zs.next_in = (Bytef *)(uintptr_t)buf;
	e->zs.avail_in = (uInt)len;
	do {
		e->zs.next_out = e->out;
		e->zs.avail_out = ZBUF;
		rc = deflate(&e->zs, flush);
		if (rc == Z_STREAM_ERROR) {
			warn0("%s: gzip compression failed", e->s.name);
			return BK_FAIL;
		}
		if (bk_stage_emit(&e->s, e->out, ZBUF - e->zs.avail_out) !=
		    BK_OK)
			return BK_FAIL;
	} while (e->zs.avail_out == 0 ||
	    (flush == Z_FINISH && rc != Z_STREAM_END));
	return BK_OK;
}

static int
zenc_zstd(struct zenc *e, const void *buf, size_t len, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	ZSTD_outBuffer out;
	size_t rem;

	do {
		out = (ZSTD_outBuffer){ e->out, ZBUF, 0 };
		rem = ZSTD_compressStream2(e->zc, &out, &in, end);
		if (ZSTD_isError(rem)) {
			warn0("%s: zstd compression failed: %s", e->s.name,
			    ZSTD_getErrorName(rem));
			return BK_FAIL;
		}
		if (bk_stage_emit(&e->s, e->out, out.pos) != BK_OK)
			return BK_FAIL;
	} while (end == ZSTD_e_end ? rem != 0 : in.pos < in.size);
	return BK_OK;
}

/* Begin a frame: choose its setting from the sample, then compress it. */
static int
zenc_frame_start(struct zenc *e)
{
	int setting;

	if ((setting = bk_zpolicy_choose(e->trial, e->sample,
	    e->nsample)) < 0 || bk_zpolicy_set(e->zc, setting) != 0 ||
	    zenc_zstd(e, e->sample, e->nsample, ZSTD_e_continue) != BK_OK)
		return BK_FAIL;
	e->inframe = e->nsample;
	e->nsample = 0;
	e->frames++;
	return BK_OK;
}

/* -z zstd: frames of BK_ZFRAME input bytes, each with its own setting. */
static int
zenc_adaptive(struct zenc *e, const unsigned char *p, size_t len)
{
	size_t n;

	while (len > 0) {
		if (e->inframe == 0) {
			n = BK_ZSAMPLE - e->nsample < len ?
			    BK_ZSAMPLE - e->nsample : len;
			memcpy(e->sample + e->nsample, p, n);
			e->nsample += n;
			if (e->nsample == BK_ZSAMPLE &&
			    zenc_frame_start(e) != BK_OK)
				return BK_FAIL;
		} else {
			n = BK_ZFRAME - e->inframe < len ?
			    BK_ZFRAME - e->inframe : len;
			if (zenc_zstd(e, p, n, ZSTD_e_continue) != BK_OK)
				return BK_FAIL;
			e->inframe += n;
			if (e->inframe == BK_ZFRAME) {
				if (zenc_zstd(e, NULL, 0, ZSTD_e_end) != BK_OK)
					return BK_FAIL;
				e->inframe = 0;
			}
		}
		p += n;
		len -= n;
	}
	return BK_OK;
}

/* End the last frame (an empty stream still gets one, as zstd makes). */
static int
zenc_adaptive_finish(struct zenc *e)
{
	if (e->inframe == 0 && e->nsample == 0 && e->frames > 0)
		return BK_OK;	/* ended on a frame's boundary */
	if (e->inframe == 0 && zenc_frame_start(e) != BK_OK)
		return BK_FAIL;
	return zenc_zstd(e, NULL, 0, ZSTD_e_end);
}

static int
zenc_write(struct bk_stage *s, const void *buf, size_t len)
{
	struct zenc *e = (struct zenc *)s;
	const unsigned char *p = buf;
	size_t n;

	switch (e->method) {
	case BK_COMP_GZIP:
		/* avail_in is a uInt: feed very large buffers in pieces. */
		for (; len > 0; p += n, len -= n) {
			n = len > (1u << 30) ? (1u << 30) : len;
			if (zenc_gzip(e, p, n, Z_NO_FLUSH) != BK_OK)
				return BK_FAIL;
		}
		return BK_OK;
	case BK_COMP_ZSTD:
		if (e->adaptive)
			return zenc_adaptive(e, buf, len);
		return zenc_zstd(e, buf, len, ZSTD_e_continue);
	default:
		return bk_stage_emit(s, buf, len);
	}
}

static int
zenc_finish(struct bk_stage *s)
{
	struct zenc *e = (struct zenc *)s;

	if (e->method == BK_COMP_GZIP)
		return zenc_gzip(e, NULL, 0, Z_FINISH);
	if (e->method == BK_COMP_ZSTD && e->adaptive)
		return zenc_adaptive_finish(e);
	if (e->method == BK_COMP_ZSTD)
		return zenc_zstd(e, NULL, 0, ZSTD_e_end);
	return BK_OK;
}

static void
zenc_free(struct bk_stage *s)
{
	struct zenc *e = (struct zenc *)s;

	if (e->zsinit)
		deflateEnd(&e->zs);
	ZSTD_freeCCtx(e->zc);
	ZSTD_freeCCtx(e->trial);
	free(e->sample);
	free(e->out);
	free(e);
}

static const struct bk_stage_ops zenc_ops = {
	zenc_write, zenc_finish, zenc_free
};

struct bk_stage *
bk_stage_compress(enum bk_comp method, int level, const char *name,
    struct bk_stage *next)
{
	struct zenc *e;

	if ((e = (struct zenc *)bk_stage_new(sizeof(*e), &zenc_ops, next,
	    name)) == NULL)
		return NULL;
	e->method = method;
	if (method != BK_COMP_NONE && (e->out = malloc(ZBUF)) == NULL) {
		warnp("malloc");
		goto err;
	}
	/* windowBits 15 + 16: a gzip wrapper, as mongorestore --gzip reads. */
	if (method == BK_COMP_GZIP && deflateInit2(&e->zs, level, Z_DEFLATED,
	    15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		warn0("%s: cannot start gzip", name);
		goto err;
	}
	e->zsinit = method == BK_COMP_GZIP;
	if (method == BK_COMP_ZSTD && zenc_zstd_start(e, level) != 0) {
		warn0("%s: cannot start zstd", name);
		goto err;
	}
	return &e->s;
err:
	bk_stage_free(&e->s);
	return NULL;
}

struct bk_zwriter {
	struct bk_stage *head, *sink;
};

struct bk_zwriter *
bk_zwriter_new(int fd, enum bk_comp method, int level, const char *name)
{
	struct bk_zwriter *w;

	if ((w = malloc(sizeof(*w))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	if ((w->sink = bk_stage_fd(fd, name)) == NULL ||
	    (w->head = bk_stage_compress(method, level, name,
	    w->sink)) == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

int
bk_zwriter_write(struct bk_zwriter *w, const void *buf, size_t len)
{
	return bk_stage_write(w->head, buf, len) == BK_OK ? 0 : -1;
}

int
bk_zwriter_finish(struct bk_zwriter *w)
{
	int rc = bk_stage_finish(w->head) == BK_OK ? 0 : -1;

	bk_zwriter_free(w);
	return rc;
}

uint64_t
bk_zwriter_out(const struct bk_zwriter *w)
{
	return bk_stage_bytes(w->sink);
}

void
bk_zwriter_free(struct bk_zwriter *w)
{
	if (w != NULL)
		bk_stage_free(w->head);
	free(w);
}

/*
 * The decoder both the stage and the reader drive: one gzip member or
 * zstd frame after another.  pos counts the compressed bytes it has
 * consumed, for messages.
 */
struct zdec {
	const char *name;
	enum bk_comp method;
	z_stream zs;
	int zsinit;
	ZSTD_DCtx *zd;
	uint64_t pos;
};

/* The method that n bytes at p (n >= 4, or the whole input) start. */
static enum bk_comp
zdec_detect(const unsigned char *p, size_t n)
{
	if (n >= 2 && memcmp(p, gzip_magic, 2) == 0)
		return BK_COMP_GZIP;
	if (n >= 4 && memcmp(p, zstd_magic, 4) == 0)
		return BK_COMP_ZSTD;
	return BK_COMP_NONE;
}

/* 1 if all n bytes of p (the whole input) begin magic but are too few. */
static int
magic_prefix(const unsigned char *p, size_t n, const unsigned char *magic,
    size_t mlen)
{
	return n < mlen && memcmp(p, magic, n) == 0;
}

/*
 * With the whole input n (< 4) bytes at p: 0 if it is plain data or a
 * gzip stream, -1 (reported) if it is a compressed stream's magic cut.
 */
static int
zdec_short(const unsigned char *p, size_t n, const char *name)
{
	if (n == 0 || zdec_detect(p, n) != BK_COMP_NONE ||
	    !(magic_prefix(p, n, gzip_magic, 2) ||
	    magic_prefix(p, n, zstd_magic, 4)))
		return 0;
	/* Nothing else can be this short and start so. */
	warn0("%s: truncated %s stream: ends at byte %zu inside its "
	    "magic number", name, p[0] == gzip_magic[0] ? "gzip" : "zstd", n);
	return -1;
}

/* Set up d for method.  0 or -1 (reported). */
static int
zdec_start(struct zdec *d, enum bk_comp method, const char *name)
{
	memset(d, 0, sizeof(*d));
	d->name = name;
	d->method = method;
	if (method == BK_COMP_GZIP) {
		if (inflateInit2(&d->zs, 15 + 16) != Z_OK) {
			warn0("%s: cannot start gzip", name);
			return -1;
		}
		d->zsinit = 1;
	} else if (method == BK_COMP_ZSTD) {
		if ((d->zd = ZSTD_createDCtx()) == NULL ||
		    ZSTD_isError(ZSTD_DCtx_setParameter(d->zd,
		    ZSTD_d_windowLogMax, BK_ZSTD_WINDOWLOG_MAX))) {
			warn0("%s: cannot start zstd", name);
			return -1;
		}
	}
	return 0;
}

static void
zdec_end(struct zdec *d)
{
	if (d->zsinit)
		inflateEnd(&d->zs);
	ZSTD_freeDCtx(d->zd);
	d->zsinit = 0;
	d->zd = NULL;
}

/*
 * After the end of a member or frame, the n (> 0) bytes at p must start
 * another one.  0, or -1 (reported) for anything else.
 */
static int
zdec_next(struct zdec *d, const unsigned char *p, size_t n)
{
	if (zdec_detect(p, n) != d->method) {
		warn0("%s: garbage after the %s stream at byte %ju", d->name,
		    bk_comp_name(d->method), (uintmax_t)d->pos);
		return -1;
	}
	if (d->method == BK_COMP_GZIP)
		inflateReset(&d->zs);
	return 0;
}

/* The input ended inside a member or frame: say where. */
static void
zdec_truncated(const struct zdec *d)
{
	warn0("%s: truncated %s stream: ends at byte %ju inside a %s",
	    d->name, bk_comp_name(d->method), (uintmax_t)d->pos,
	    d->method == BK_COMP_GZIP ? "member" : "frame");
}

/*
 * Decode from in[*used..inlen) into out[*made..cap), advancing *used and
 * *made.  1 at the end of a member or frame, 0 when the input is used up
 * or the output full, -1 on corrupt data (reported with its offset).
 */
static int
zdec_run(struct zdec *d, const unsigned char *in, size_t inlen, size_t *used,
    unsigned char *out, size_t cap, size_t *made)
{
	ZSTD_inBuffer zi = { in, inlen, *used };
	ZSTD_outBuffer zo = { out, cap, *made };
	size_t r;
	int rc;

	if (d->method == BK_COMP_GZIP) {
		d->zs.next_in = (Bytef *)(uintptr_t)(in + *used);
		d->zs.avail_in = (uInt)(inlen - *used);
		d->zs.next_out = out + *made;
		d->zs.avail_out = (uInt)(cap - *made > (1u << 30) ?
		    (1u << 30) : cap - *made);
		rc = inflate(&d->zs, Z_NO_FLUSH);
		d->pos += (inlen - *used) - d->zs.avail_in;
		*used = inlen - d->zs.avail_in;
		*made = (size_t)(d->zs.next_out - out);
		if (rc == Z_STREAM_END)
			return 1;
		if (rc == Z_OK || rc == Z_BUF_ERROR)
			return 0;
		warn0("%s: corrupt gzip stream near byte %ju: %s", d->name,
		    (uintmax_t)d->pos, d->zs.msg ? d->zs.msg : "inflate failed");
		return -1;
	}
	r = ZSTD_decompressStream(d->zd, &zo, &zi);
	d->pos += zi.pos - *used;
	*used = zi.pos;
	*made = zo.pos;
	if (ZSTD_isError(r) && ZSTD_getErrorCode(r) ==
	    ZSTD_error_frameParameter_windowTooLarge) {
		warn0("%s: zstd frame at byte %ju needs a window over %d MiB: "
		    "refused, to bound memory", d->name, (uintmax_t)d->pos,
		    1 << (BK_ZSTD_WINDOWLOG_MAX - 20));
		return -1;
	}
	if (ZSTD_isError(r)) {
		warn0("%s: corrupt zstd stream near byte %ju: %s", d->name,
		    (uintmax_t)d->pos, ZSTD_getErrorName(r));
		return -1;
	}
	return r == 0;
}

/*
 * The decompressing stage.  The first 4 bytes wait in head until the
 * method is known; after each member or frame, the next one's magic
 * waits there to be checked.
 */
struct zdec_stage {
	struct bk_stage s;
	struct zdec d;
	int detected;
	int between;		/* at the end of a member or frame */
	unsigned char head[4];
	size_t hlen;
	unsigned char *out;
};

/*
 * Decode from len bytes at p, passing the output on, until they are used
 * up or a member or frame ends (then z->between); *used gets how many it
 * took.  A result.
 */
static int
zdec_feed(struct zdec_stage *z, const unsigned char *p, size_t len,
    size_t *used)
{
	size_t made;
	int rc;

	*used = 0;
	if (z->d.method == BK_COMP_NONE) {
		*used = len;
		return bk_stage_emit(&z->s, p, len);
	}
	do {
		made = 0;
		if ((rc = zdec_run(&z->d, p, len, used, z->out, ZBUF,
		    &made)) < 0 || bk_stage_emit(&z->s, z->out, made) != BK_OK)
			return BK_FAIL;
		if (rc == 1) {
			z->between = 1;
			return BK_OK;
		}
	} while (*used < len || made == ZBUF);
	return BK_OK;
}

/*
 * Hold bytes from *p in z->head (advancing *p, *len) until it has the
 * magic it waits for: 4 bytes to detect the method, or the next member's
 * or frame's.  1 when it has them, 0 while it waits.
 */
static int
zdec_hold(struct zdec_stage *z, const unsigned char **p, size_t *len)
{
	size_t want = z->between && z->d.method == BK_COMP_GZIP ? 2 : 4;
	size_t n = want - z->hlen < *len ? want - z->hlen : *len;

	memcpy(z->head + z->hlen, *p, n);
	z->hlen += n;
	*p += n;
	*len -= n;
	return z->hlen == want;
}

/*
 * The magic held in head is complete (or the input ended with it): start
 * the decoder on it, or check it starts the next member or frame, and
 * decode it.  A result.
 */
static int
zdec_head(struct zdec_stage *z)
{
	size_t hlen = z->hlen, used;

	z->hlen = 0;
	if (z->between) {
		z->between = 0;
		if (zdec_next(&z->d, z->head, hlen) != 0)
			return BK_FAIL;
	} else {
		z->detected = 1;
		if (zdec_start(&z->d, zdec_detect(z->head, hlen),
		    z->s.name) != 0)
			return BK_FAIL;
		if (z->d.method != BK_COMP_NONE &&
		    (z->out = malloc(ZBUF)) == NULL) {
			warnp("malloc");
			return BK_FAIL;
		}
	}
	/* Too short to hold a whole member or frame: all of it is used. */
	return zdec_feed(z, z->head, hlen, &used);
}

static int
zdec_write(struct bk_stage *s, const void *buf, size_t len)
{
	struct zdec_stage *z = (struct zdec_stage *)s;
	const unsigned char *p = buf;
	size_t used;
	int rc;

	while (len > 0) {
		if (!z->detected || z->between) {
			if (!zdec_hold(z, &p, &len))
				return BK_OK;
			rc = zdec_head(z);
		} else {
			rc = zdec_feed(z, p, len, &used);
			p += used;
			len -= used;
		}
		if (rc != BK_OK)
			return rc;
	}
	return BK_OK;
}

static int
zdec_finish(struct bk_stage *s)
{
	struct zdec_stage *z = (struct zdec_stage *)s;
	int rc;

	if (!z->detected) {
		if (zdec_short(z->head, z->hlen, s->name) != 0)
			return BK_FAIL;
		if ((rc = zdec_head(z)) != BK_OK)
			return rc;
	}
	if (z->d.method == BK_COMP_NONE || (z->between && z->hlen == 0))
		return BK_OK;
	if (z->between)
		return zdec_next(&z->d, z->head, z->hlen) == 0 ? BK_OK :
		    BK_FAIL;
	zdec_truncated(&z->d);
	return BK_FAIL;
}

static void
zdec_stage_free(struct bk_stage *s)
{
	struct zdec_stage *z = (struct zdec_stage *)s;

	zdec_end(&z->d);
	free(z->out);
	free(z);
}

static const struct bk_stage_ops zdec_ops = {
	zdec_write, zdec_finish, zdec_stage_free
};

struct bk_stage *
bk_stage_decompress(const char *name, struct bk_stage *next)
{
	return bk_stage_new(sizeof(struct zdec_stage), &zdec_ops, next, name);
}

enum bk_comp
bk_stage_decompress_method(const struct bk_stage *s)
{
	return ((const struct zdec_stage *)s)->d.method;
}

struct bk_zreader {
	int fd;
	struct zdec d;
	unsigned char *in;
	size_t inpos, inlen;	/* unconsumed input is in[inpos..inlen) */
	uint64_t consumed;	/* raw bytes consumed before in[0] */
	int eof;		/* fd reached end of file */
	int done;
};

/* Bytes of input available, read more when there are none; 0 at EOF, -1. */
static ssize_t
zreader_fill(struct bk_zreader *r)
{
	ssize_t n;

	if (r->inpos == r->inlen && !r->eof) {
		r->consumed += r->inlen;
		r->inpos = r->inlen = 0;
		if ((n = bk_read_full(r->fd, r->in, ZBUF, r->d.name)) < 0)
			return -1;
		r->eof = n < ZBUF;
		r->inlen = (size_t)n;
	}
	return (ssize_t)(r->inlen - r->inpos);
}

struct bk_zreader *
bk_zreader_new(int fd, const char *name)
{
	struct bk_zreader *r;
	ssize_t n;

	/* The input buffer follows the struct, in one allocation. */
	if ((r = calloc(1, sizeof(*r) + ZBUF)) == NULL) {
		warnp("malloc");
		return NULL;
	}
	r->in = (unsigned char *)(r + 1);
	r->fd = fd;
	r->d.name = name;
	if ((n = zreader_fill(r)) < 0 ||
	    (n < 4 && zdec_short(r->in, (size_t)n, name) != 0) ||
	    zdec_start(&r->d, zdec_detect(r->in, (size_t)n), name) != 0)
		goto err;
	/* Empty input stays NONE: the next stage says what that means. */
	return r;
err:
	bk_zreader_free(r);
	return NULL;
}

/* At the end of a member/frame: more input must be another one, or EOF. */
static int
zreader_next_frame(struct bk_zreader *r)
{
	ssize_t n;

	if ((n = zreader_fill(r)) < 0)
		return -1;
	if (n == 0) {
		r->done = 1;
		return 0;
	}
	return zdec_next(&r->d, r->in + r->inpos, (size_t)n);
}

/* Decompress up to len bytes into buf; the count, or -1 (reported). */
static ssize_t
zreader_decode(struct bk_zreader *r, unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int rc;

	while (got < len && !r->done) {
		if ((n = zreader_fill(r)) < 0)
			return -1;
		if (n == 0) {
			zdec_truncated(&r->d);
			return -1;
		}
		if ((rc = zdec_run(&r->d, r->in, r->inlen, &r->inpos, buf,
		    len, &got)) < 0)
			return -1;
		if (rc == 1 && zreader_next_frame(r) != 0)
			return -1;
	}
	return (ssize_t)got;
}

ssize_t
bk_zreader_read(struct bk_zreader *r, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0, n;
	ssize_t m;

	if (r->d.method != BK_COMP_NONE)
		return zreader_decode(r, buf, len);
	while (got < len) {
		if ((m = zreader_fill(r)) < 0)
			return -1;
		if (m == 0)
			break;
		n = (size_t)m < len - got ? (size_t)m : len - got;
		memcpy(p + got, r->in + r->inpos, n);
		r->inpos += n;
		got += n;
	}
	return (ssize_t)got;
}

enum bk_comp
bk_zreader_method(const struct bk_zreader *r)
{
	return r->d.method;
}

uint64_t
bk_zreader_in(const struct bk_zreader *r)
{
	return r->consumed + r->inpos;
}

void
bk_zreader_free(struct bk_zreader *r)
{
	if (r != NULL)
		zdec_end(&r->d);
	free(r);
}
