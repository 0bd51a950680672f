/* compress.c - gzip (zlib) and zstd streams with magic detection. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "bk.h"
#include "compress.h"

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

struct bk_zwriter {
	int fd;
	enum bk_comp method;
	const char *name;
	z_stream zs;
	ZSTD_CCtx *zc;
	unsigned char *out;
	uint64_t nout;
};

struct bk_zwriter *
bk_zwriter_new(int fd, enum bk_comp method, int level, const char *name)
{
	struct bk_zwriter *w;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->out = malloc(ZBUF)) == NULL) {
		warnp("malloc");
		free(w);
		return NULL;
	}
	w->fd = fd;
	w->method = method;
	w->name = name;
	if (method == BK_COMP_GZIP) {
		/* windowBits 15 + 16: a gzip wrapper, as mongorestore --gzip reads. */
		if (deflateInit2(&w->zs, level, Z_DEFLATED, 15 + 16, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK) {
			warn0("%s: cannot start gzip", name);
			goto err;
		}
	} else if (method == BK_COMP_ZSTD) {
		if ((w->zc = ZSTD_createCCtx()) == NULL ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->zc,
		    ZSTD_c_compressionLevel, level == BK_ZSTD_DEFAULT ?
		    BK_ZSTD_DEFAULT_LEVEL : level)) ||
		    (level == BK_ZSTD_DEFAULT && ZSTD_isError(
		    ZSTD_CCtx_setParameter(w->zc, ZSTD_c_searchLog,
		    BK_ZSTD_DEFAULT_SEARCHLOG))) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(w->zc,
		    ZSTD_c_checksumFlag, 1))) {
			warn0("%s: cannot start zstd", name);
			goto err;
		}
		/*
		 * With BK_ZSTD_WORKERS, compress in zstd's own threads.  A
		 * libzstd without threads refuses: compress inline then;
		 * either stream reads back the same.
		 */
		if (BK_ZSTD_WORKERS > 0)
			(void)ZSTD_CCtx_setParameter(w->zc, ZSTD_c_nbWorkers,
			    BK_ZSTD_WORKERS);
	}
	return w;
err:
	bk_zwriter_free(w);
	return NULL;
}

static int
zwriter_gzip(struct bk_zwriter *w, const void *buf, size_t len, int flush)
{
	int rc;

	w->zs.next_in = (Bytef *)(uintptr_t)buf;
	w->zs.avail_in = (uInt)len;
	do {
		w->zs.next_out = w->out;
		w->zs.avail_out = ZBUF;
		rc = deflate(&w->zs, flush);
		if (rc == Z_STREAM_ERROR) {
			warn0("%s: gzip compression failed", w->name);
			return -1;
		}
		if (bk_write_full(w->fd, w->out, ZBUF - w->zs.avail_out,
		    w->name) != 0)
			return -1;
		w->nout += ZBUF - w->zs.avail_out;
	} while (w->zs.avail_out == 0 ||
	    (flush == Z_FINISH && rc != Z_STREAM_END));
	return 0;
}

static int
zwriter_zstd(struct bk_zwriter *w, const void *buf, size_t len,
    ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = { buf, len, 0 };
	ZSTD_outBuffer out;
	size_t rem;

	do {
		out = (ZSTD_outBuffer){ w->out, ZBUF, 0 };
		rem = ZSTD_compressStream2(w->zc, &out, &in, end);
		if (ZSTD_isError(rem)) {
			warn0("%s: zstd compression failed: %s", w->name,
			    ZSTD_getErrorName(rem));
			return -1;
		}
		if (bk_write_full(w->fd, w->out, out.pos, w->name) != 0)
			return -1;
		w->nout += out.pos;
	} while (end == ZSTD_e_end ? rem != 0 : in.pos < in.size);
	return 0;
}

int
bk_zwriter_write(struct bk_zwriter *w, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t n;

	switch (w->method) {
	case BK_COMP_GZIP:
		/* avail_in is a uInt: feed very large buffers in pieces. */
		while (len > 0) {
			n = len > (1u << 30) ? (1u << 30) : len;
			if (zwriter_gzip(w, p, n, Z_NO_FLUSH) != 0)
				return -1;
			p += n;
			len -= n;
		}
		return 0;
	case BK_COMP_ZSTD:
		return zwriter_zstd(w, buf, len, ZSTD_e_continue);
	default:
		if (bk_write_full(w->fd, buf, len, w->name) != 0)
			return -1;
		w->nout += len;
		return 0;
	}
}

int
bk_zwriter_finish(struct bk_zwriter *w)
{
	int rc = 0;

	if (w->method == BK_COMP_GZIP)
		rc = zwriter_gzip(w, NULL, 0, Z_FINISH);
	else if (w->method == BK_COMP_ZSTD)
		rc = zwriter_zstd(w, NULL, 0, ZSTD_e_end);
	bk_zwriter_free(w);
	return rc;
}

uint64_t
bk_zwriter_out(const struct bk_zwriter *w)
{
	return w->nout;
}

void
bk_zwriter_free(struct bk_zwriter *w)
{
	if (w == NULL)
		return;
	if (w->method == BK_COMP_GZIP)
		deflateEnd(&w->zs);
	ZSTD_freeCCtx(w->zc);
	free(w->out);
	free(w);
}

struct bk_zreader {
	int fd;
	const char *name;
	enum bk_comp method;
	unsigned char *in;
	size_t inpos, inlen;	/* unconsumed input is in[inpos..inlen) */
	uint64_t consumed;	/* raw bytes consumed before in[0] */
	int eof;		/* fd reached end of file */
	int inframe;		/* inside a gzip member or zstd frame */
	int done;
	z_stream zs;
	ZSTD_DCtx *zd;
};

/* Refill the input buffer; returns bytes available, 0 at EOF, -1. */
static ssize_t
zreader_fill(struct bk_zreader *r)
{
	ssize_t n;

	if (r->inpos < r->inlen)
		return (ssize_t)(r->inlen - r->inpos);
	if (r->eof)
		return 0;
	r->consumed += r->inlen;
	r->inpos = r->inlen = 0;
	if ((n = bk_read_full(r->fd, r->in, ZBUF, r->name)) < 0)
		return -1;
	if (n < ZBUF)
		r->eof = 1;
	r->inlen = (size_t)n;
	return n;
}

/* 1 if all n bytes of p (the whole input) begin magic but are too few. */
static int
magic_prefix(const unsigned char *p, size_t n, const unsigned char *magic,
    size_t mlen)
{
	return n < mlen && memcmp(p, magic, n) == 0;
}

struct bk_zreader *
bk_zreader_new(int fd, const char *name)
{
	struct bk_zreader *r;
	ssize_t n;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->in = malloc(ZBUF)) == NULL) {
		warnp("malloc");
		free(r);
		return NULL;
	}
	r->fd = fd;
	r->name = name;
	if ((n = zreader_fill(r)) < 0)
		goto err;
	if (n >= 2 && memcmp(r->in, gzip_magic, 2) == 0) {
		r->method = BK_COMP_GZIP;
		if (inflateInit2(&r->zs, 15 + 16) != Z_OK) {
			warn0("%s: cannot start gzip", name);
			goto err;
		}
	} else if (n >= 4 && memcmp(r->in, zstd_magic, 4) == 0) {
		r->method = BK_COMP_ZSTD;
		if ((r->zd = ZSTD_createDCtx()) == NULL ||
		    ZSTD_isError(ZSTD_DCtx_setParameter(r->zd,
		    ZSTD_d_windowLogMax, BK_ZSTD_WINDOWLOG_MAX))) {
			warn0("%s: cannot start zstd", name);
			goto err;
		}
	} else if (n > 0 && (magic_prefix(r->in, (size_t)n, gzip_magic, 2) ||
	    magic_prefix(r->in, (size_t)n, zstd_magic, 4))) {
		/* Nothing else can be this short and start so. */
		warn0("%s: truncated %s stream: ends at byte %zd inside its "
		    "magic number", name, r->in[0] == gzip_magic[0] ?
		    "gzip" : "zstd", n);
		goto err;
	}
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
	if (r->method == BK_COMP_GZIP ? (n < 2 ||
	    memcmp(r->in + r->inpos, gzip_magic, 2) != 0) :
	    (n < 4 || memcmp(r->in + r->inpos, zstd_magic, 4) != 0)) {
		warn0("%s: garbage after the %s stream at byte %ju", r->name,
		    bk_comp_name(r->method), (uintmax_t)bk_zreader_in(r));
		return -1;
	}
	if (r->method == BK_COMP_GZIP)
		inflateReset(&r->zs);
	return 0;
}

static ssize_t
zreader_gzip(struct bk_zreader *r, unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int rc;

	while (got < len && !r->done) {
		if ((n = zreader_fill(r)) < 0)
			return -1;
		if (n == 0) {
			warn0("%s: truncated gzip stream: ends at byte %ju "
			    "inside a member", r->name,
			    (uintmax_t)bk_zreader_in(r));
			return -1;
		}
		r->zs.next_in = r->in + r->inpos;
		r->zs.avail_in = (uInt)(r->inlen - r->inpos);
		r->zs.next_out = buf + got;
		r->zs.avail_out = (uInt)(len - got > (1u << 30) ?
		    (1u << 30) : len - got);
		rc = inflate(&r->zs, Z_NO_FLUSH);
		got = (size_t)(r->zs.next_out - buf);
		r->inpos = r->inlen - r->zs.avail_in;
		if (rc == Z_STREAM_END) {
			if (zreader_next_frame(r) != 0)
				return -1;
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			warn0("%s: corrupt gzip stream near byte %ju: %s",
			    r->name, (uintmax_t)bk_zreader_in(r),
			    r->zs.msg ? r->zs.msg : "inflate failed");
			return -1;
		}
	}
	return (ssize_t)got;
}

static ssize_t
zreader_zstd(struct bk_zreader *r, unsigned char *buf, size_t len)
{
	ZSTD_inBuffer in;
	ZSTD_outBuffer out = { buf, len, 0 };
	size_t rc;
	ssize_t n;

	while (out.pos < len && !r->done) {
		if ((n = zreader_fill(r)) < 0)
			return -1;
		if (n == 0) {
			warn0("%s: truncated zstd stream: ends at byte %ju "
			    "inside a frame", r->name,
			    (uintmax_t)bk_zreader_in(r));
			return -1;
		}
		in = (ZSTD_inBuffer){ r->in, r->inlen, r->inpos };
		rc = ZSTD_decompressStream(r->zd, &out, &in);
		r->inpos = in.pos;
		if (ZSTD_isError(rc) && ZSTD_getErrorCode(rc) ==
		    ZSTD_error_frameParameter_windowTooLarge) {
			warn0("%s: zstd frame at byte %ju needs a window "
			    "over %d MiB: refused, to bound memory", r->name,
			    (uintmax_t)bk_zreader_in(r),
			    1 << (BK_ZSTD_WINDOWLOG_MAX - 20));
			return -1;
		}
		if (ZSTD_isError(rc)) {
			warn0("%s: corrupt zstd stream near byte %ju: %s",
			    r->name, (uintmax_t)bk_zreader_in(r),
			    ZSTD_getErrorName(rc));
			return -1;
		}
		if (rc == 0 && zreader_next_frame(r) != 0)
			return -1;
	}
	return (ssize_t)out.pos;
}

ssize_t
bk_zreader_read(struct bk_zreader *r, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0, n;
	ssize_t m;

	switch (r->method) {
	case BK_COMP_GZIP:
		return zreader_gzip(r, buf, len);
	case BK_COMP_ZSTD:
		return zreader_zstd(r, buf, len);
	default:
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
}

enum bk_comp
bk_zreader_method(const struct bk_zreader *r)
{
	return r->method;
}

uint64_t
bk_zreader_in(const struct bk_zreader *r)
{
	return r->consumed + r->inpos;
}

void
bk_zreader_free(struct bk_zreader *r)
{
	if (r == NULL)
		return;
	if (r->method == BK_COMP_GZIP)
		inflateEnd(&r->zs);
	ZSTD_freeDCtx(r->zd);
	free(r->in);
	free(r);
}
