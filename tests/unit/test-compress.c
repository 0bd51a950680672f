/* Unit tests for lib/compress.c: round trips, detection, truncation. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "compress.h"
#include "unit.h"

/* Compress n bytes of data with method into a temporary file; its fd. */
static int
pack(enum bk_comp m, const unsigned char *data, size_t n, size_t *outlen)
{
	char path[] = "/tmp/bk-unit-z.XXXXXX";
	struct bk_zwriter *w;
	int fd = mkstemp(path);

	unlink(path);
	w = bk_zwriter_new(fd, m, m == BK_COMP_GZIP ? 6 : 3, "tmp");
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

	CHECK(bk_comp_parse("zstd", &m, &lv) == 0 && m == BK_COMP_ZSTD &&
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
