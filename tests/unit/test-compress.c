/* Unit tests for lib/compress.c: round trips, detection, truncation. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "compress.h"
#include "io/zpolicy.h"
#include "unit.h"

/* Compress n bytes of data with method into a temporary file; its fd. */
static int
pack_level(enum bk_comp m, int level, const unsigned char *data, size_t n,
    size_t *outlen)
{
	char path[] = "/tmp/bk-unit-z.XXXXXX";
	struct bk_zwriter *w;
	int fd = mkstemp(path);

	unlink(path);
	w = bk_zwriter_new(fd, m, level, "tmp");
	CHECK(w != NULL);
	/* Two writes, one of them large, to cross buffer boundaries. */
	CHECK(bk_zwriter_write(w, data, n / 3) == 0);
	CHECK(bk_zwriter_write(w, data + n / 3, n - n / 3) == 0);
	*outlen = (size_t)bk_zwriter_out(w);
	CHECK(bk_zwriter_finish(w) == 0);
	*outlen = (size_t)lseek(fd, 0, SEEK_END);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* As pack_level at the method's default level. */
static int
pack(enum bk_comp m, const unsigned char *data, size_t n, size_t *outlen)
{
	return pack_level(m, m == BK_COMP_GZIP ? BK_GZIP_DEFAULT_LEVEL :
	    m == BK_COMP_ZSTD ? BK_ZSTD_DEFAULT : 0, data, n, outlen);
}

/* Read everything back; returns bytes read or -1 on a reader error. */
static ssize_t
unpack(int fd, unsigned char *buf, size_t cap, enum bk_comp *m)
{
	struct bk_zreader *r = bk_zreader_new(fd, "tmp");
	size_t got = 0;
	ssize_t n;

	CHECK(r != NULL);
	*m = bk_zreader_method(r);
	while ((n = bk_zreader_read(r, buf + got, 1000 < cap - got ?
	    1000 : cap - got)) > 0)
		got += (size_t)n;
	bk_zreader_free(r);
	return n < 0 ? -1 : (ssize_t)got;
}

static void
roundtrip(enum bk_comp m, const unsigned char *data, size_t n)
{
	unsigned char *back = malloc(n + 1);
	enum bk_comp seen;
	size_t zlen;
	int fd = pack(m, data, n, &zlen);

	CHECK(unpack(fd, back, n + 1, &seen) == (ssize_t)n);
	CHECK(seen == m);
	CHECK(memcmp(back, data, n) == 0);

	/* Every truncation of a compressed stream is an error. */
	if (m != BK_COMP_NONE) {
		/* Descending: ftruncate would extend with zeros. */
		size_t cut[] = { zlen - 1, zlen / 2, 5 };
		for (size_t i = 0; i < 3; i++) {
			CHECK(ftruncate(fd, (off_t)cut[i]) == 0);
			lseek(fd, 0, SEEK_SET);
			CHECK(unpack(fd, back, n + 1, &seen) == -1);
		}
	}
	close(fd);
	free(back);
}

static void
garbage_after(enum bk_comp m)
{
	unsigned char data[100] = { 0 }, back[200];
	enum bk_comp seen;
	size_t zlen;
	int fd = pack(m, data, sizeof(data), &zlen);

	lseek(fd, 0, SEEK_END);
	CHECK(write(fd, "junk", 4) == 4);
	lseek(fd, 0, SEEK_SET);
	CHECK(unpack(fd, back, sizeof(back), &seen) == -1);
	close(fd);
}

static void
concatenated(enum bk_comp m)
{
	unsigned char a[5000], back[20000];
	enum bk_comp seen;
	size_t zlen, i;
	char path[] = "/tmp/bk-unit-z.XXXXXX";
	int out = mkstemp(path), fd;

	unlink(path);
	for (i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)(i * 7);
	/* Two members back to back read as one stream (gzip -c a b). */
	for (i = 0; i < 2; i++) {
		struct bk_zwriter *w = bk_zwriter_new(out, m, 1, "tmp");
		CHECK(bk_zwriter_write(w, a, sizeof(a)) == 0);
		CHECK(bk_zwriter_finish(w) == 0);
	}
	lseek(out, 0, SEEK_SET);
	fd = out;
	(void)zlen;
	CHECK(unpack(fd, back, sizeof(back), &seen) == 2 * sizeof(a));
	CHECK(memcmp(back, a, sizeof(a)) == 0 &&
	    memcmp(back + sizeof(a), a, sizeof(a)) == 0);
	close(fd);
}

/* The spec given to -z round-trips n bytes and stores them in *zlen. */
static void
roundtrip_spec(const char *spec, const unsigned char *data, size_t n,
    size_t *zlen)
{
	unsigned char *back = malloc(n + 1);
	enum bk_comp m, seen;
	int lv, fd;

	CHECK(bk_comp_parse(spec, &m, &lv) == 0);
	fd = pack_level(m, lv, data, n, zlen);
	CHECK(unpack(fd, back, n + 1, &seen) == (ssize_t)n && seen == m &&
	    memcmp(back, data, n) == 0);
	close(fd);
	free(back);
}

/*
 * What "-z zstd" means is what bk-dump(1) says in the -z paragraph: the
 * frame size, the sample, the deeper setting and the gain of io/zpolicy.h.
 */
static void
default_documented(void)
{
	const char *top = getenv("BK_TOP");
	char path[4096], want[4][64], *text = NULL, *p;
	enum bk_comp m;
	size_t n = 0;
	int lv, i;
	FILE *f;

	CHECK(bk_comp_parse("zstd", &m, &lv) == 0 && m == BK_COMP_ZSTD &&
	    lv == BK_ZSTD_DEFAULT);
	CHECK(bk_comp_parse("gzip", &m, &lv) == 0 && m == BK_COMP_GZIP &&
	    lv == 6);
	snprintf(path, sizeof(path), "%s/man/bk-dump.1", top ? top : ".");
	CHECK((f = fopen(path, "r")) != NULL);
	if (f == NULL)
		return;
	CHECK(getdelim(&text, &n, '\0', f) > 0);
	fclose(f);
	/* mandoc source: no line breaks inside these phrases. */
	for (p = text; p != NULL && *p != '\0'; p++)
		if (*p == '\n')
			*p = ' ';
	snprintf(want[0], sizeof(want[0]), "zstd frames of %u MiB",
	    BK_ZFRAME >> 20);
	snprintf(want[1], sizeof(want[1]), "its first %u KiB",
	    BK_ZSAMPLE >> 10);
	snprintf(want[2], sizeof(want[2]), "stores at least %d%% less",
	    BK_ZDEEP_GAIN);
	snprintf(want[3], sizeof(want[3]), "compressed at level 3 unless");
	for (i = 0; i < 4; i++) {
		CHECK(text != NULL && strstr(text, want[i]) != NULL);
		if (text == NULL || strstr(text, want[i]) == NULL)
			fprintf(stderr, "bk-dump(1) lacks \"%s\"\n", want[i]);
	}
	free(text);
}

/* A reader over the given raw bytes; its first read's result. */
static ssize_t
read_raw(const void *raw, size_t n, enum bk_comp *m, int *made)
{
	char path[] = "/tmp/bk-unit-z.XXXXXX";
	unsigned char buf[64];
	struct bk_zreader *r;
	ssize_t got = -1;
	int fd = mkstemp(path);

	unlink(path);
	CHECK(write(fd, raw, n) == (ssize_t)n);
	lseek(fd, 0, SEEK_SET);
	*made = (r = bk_zreader_new(fd, "tmp")) != NULL;
	if (r != NULL) {
		*m = bk_zreader_method(r);
		got = bk_zreader_read(r, buf, sizeof(buf));
	}
	bk_zreader_free(r);
	close(fd);
	return got;
}

/*
 * Empty input is passed on as empty (the archive or tar reader then says
 * an earlier stage probably failed); a stream cut inside its magic number
 * or right after its header is a truncated stream, not something else.
 */
static void
short_inputs(void)
{
	static const unsigned char zhdr[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x04,
	    0x58 };	/* magic, frame header: checksum, 2 MiB window */
	static const unsigned char ghdr[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0,
	    0, 3 };
	enum bk_comp m = BK_COMP_GZIP;
	int made;

	CHECK(read_raw("", 0, &m, &made) == 0 && made && m == BK_COMP_NONE);
	CHECK(read_raw(zhdr, 6, &m, &made) == -1 && made &&
	    m == BK_COMP_ZSTD);
	CHECK(read_raw(zhdr, 4, &m, &made) == -1 && made &&
	    m == BK_COMP_ZSTD);
	CHECK(read_raw(ghdr, 10, &m, &made) == -1 && made &&
	    m == BK_COMP_GZIP);
	CHECK(read_raw(ghdr, 2, &m, &made) == -1 && made &&
	    m == BK_COMP_GZIP);
	/* Cut inside the magic number itself. */
	CHECK(read_raw(zhdr, 3, &m, &made) == -1 && !made);
	CHECK(read_raw(zhdr, 1, &m, &made) == -1 && !made);
	CHECK(read_raw(ghdr, 1, &m, &made) == -1 && !made);
	/* A frame may use a 128 MiB window, not more (reader memory). */
	{
		unsigned char fr[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x88,
		    0x09, 0x00, 0x00, 'A' };	/* window 2^27, raw "A" */
		CHECK(read_raw(fr, sizeof(fr), &m, &made) == 1);
		fr[5] = 0x90;			/* window 2^28 */
		CHECK(read_raw(fr, sizeof(fr), &m, &made) == -1 && made);
	}
	/* Short plain data is still plain. */
	CHECK(read_raw("ab", 2, &m, &made) == 2 && made && m == BK_COMP_NONE);
}

int
main(void)
{
	size_t n = 3 * 1024 * 1024 + 17, i;
	unsigned char *data = malloc(n);
	enum bk_comp m;
	int lv;

	bk_setprogname("test-compress");
	for (i = 0; i < n; i++)	/* compressible but not trivial */
		data[i] = (unsigned char)((i * 2654435761u) >> 13) & 0x3f;
	roundtrip(BK_COMP_NONE, data, n);
	roundtrip(BK_COMP_GZIP, data, n);
	roundtrip(BK_COMP_ZSTD, data, n);
	roundtrip(BK_COMP_GZIP, data, 0);
	roundtrip(BK_COMP_ZSTD, data, 1);
	garbage_after(BK_COMP_GZIP);
	garbage_after(BK_COMP_ZSTD);
	concatenated(BK_COMP_GZIP);
	concatenated(BK_COMP_ZSTD);
	short_inputs();
	default_documented();
	{
		/* Explicit levels and the default decode; higher stores less. */
		size_t z1, zd, z19;
		roundtrip_spec("zstd:1", data, n, &z1);
		roundtrip_spec("zstd", data, n, &zd);
		roundtrip_spec("zstd:19", data, n, &z19);
		roundtrip_spec("gzip:1", data, 100000, &z1);
		roundtrip_spec("gzip", data, 100000, &zd);
		roundtrip_spec("zstd:22", data, 100000, &z19);
	}

	CHECK(bk_comp_parse("zstd", &m, &lv) == 0 && m == BK_COMP_ZSTD &&
	    lv == BK_ZSTD_DEFAULT);
	CHECK(bk_comp_parse("zstd:3", &m, &lv) == 0 && m == BK_COMP_ZSTD &&
	    lv == 3);
	CHECK(bk_comp_parse("gzip:9", &m, &lv) == 0 && m == BK_COMP_GZIP &&
	    lv == 9);
	CHECK(bk_comp_parse("none", &m, &lv) == 0 && m == BK_COMP_NONE);
	CHECK(bk_comp_parse("gzip:0", &m, &lv) == -1);
	CHECK(bk_comp_parse("zstd:99", &m, &lv) == -1);
	CHECK(bk_comp_parse("lz4", &m, &lv) == -1);
	CHECK(bk_comp_parse("none:3", &m, &lv) == -1);
	CHECK(bk_comp_parse("zstd:", &m, &lv) == -1);
	free(data);
	return unit_exit();
}
