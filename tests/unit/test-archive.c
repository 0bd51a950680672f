/*
 * Unit tests for lib/archive.c: CRC-64/XZ check value; the writer's
 * output compared byte for byte with archives built here by hand from
 * mongo-tools common/archive/spec.md (BSON assembled without libbson);
 * the reader accepting such archives (interleaved segments, int64 size)
 * and rejecting every truncation, corruption and rule violation.
 */
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bk.h"
#include "db/archive.h"
#include "unit.h"

/* A growable byte buffer for hand-built archives. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void
put(struct buf *b, const void *d, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void
le32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff,
	    v >> 24 };

	put(b, x, 4);
}

static void
le64(struct buf *b, uint64_t v)
{
	le32(b, (uint32_t)v);
	le32(b, (uint32_t)(v >> 32));
}

/* Hand-made BSON: begin returns the offset where the length goes. */
static size_t
doc_begin(struct buf *b)
{
	size_t at = b->len;

	le32(b, 0);
	return at;
}

static void
doc_end(struct buf *b, size_t at)
{
	uint32_t n;

	put(b, "", 1);
	n = (uint32_t)(b->len - at);
	b->p[at] = n & 0xff;
	b->p[at + 1] = (n >> 8) & 0xff;
	b->p[at + 2] = (n >> 16) & 0xff;
	b->p[at + 3] = n >> 24;
}

static void
e_str(struct buf *b, const char *k, const char *v)
{
	put(b, "\x02", 1);
	put(b, k, strlen(k) + 1);
	le32(b, (uint32_t)strlen(v) + 1);
	put(b, v, strlen(v) + 1);
}

static void
e_i32(struct buf *b, const char *k, int32_t v)
{
	put(b, "\x10", 1);
	put(b, k, strlen(k) + 1);
	le32(b, (uint32_t)v);
}

static void
e_i64(struct buf *b, const char *k, uint64_t v)
{
	put(b, "\x12", 1);
	put(b, k, strlen(k) + 1);
	le64(b, v);
}

static void
e_bool(struct buf *b, const char *k, int v)
{
	unsigned char x = v ? 1 : 0;

	put(b, "\x08", 1);
	put(b, k, strlen(k) + 1);
	put(b, &x, 1);
}

static void
hand_header(struct buf *b, const char *sv, const char *tv)
{
	size_t at = doc_begin(b);

	e_i32(b, "concurrent_collections", 4);
	e_str(b, "version", "0.1");
	e_str(b, "server_version", sv);
	e_str(b, "tool_version", tv);
	doc_end(b, at);
}

static void
hand_meta(struct buf *b, const char *db, const char *coll, const char *md,
    int size64, const char *type)
{
	size_t at = doc_begin(b);

	e_str(b, "db", db);
	e_str(b, "collection", coll);
	e_str(b, "metadata", md);
	if (size64)
		e_i64(b, "size", 0);
	else
		e_i32(b, "size", 0);
	e_str(b, "type", type);
	doc_end(b, at);
}

static void
hand_nshdr(struct buf *b, const char *db, const char *coll, int eof,
    uint64_t crc)
{
	size_t at = doc_begin(b);

	e_str(b, "db", db);
	e_str(b, "collection", coll);
	e_bool(b, "EOF", eof);
	e_i64(b, "CRC", crc);
	doc_end(b, at);
}

/* A small document {_id: i, s: "..."} appended to b and to all. */
static void
hand_doc(struct buf *b, struct buf *all, int i, const char *s)
{
	size_t at0 = b->len, at = doc_begin(b);

	e_i32(b, "_id", i);
	e_str(b, "s", s);
	doc_end(b, at);
	if (all != NULL)
		put(all, b->p + at0, b->len - at0);
}

/* The archive of the tests: a.x (3 docs in 2 interleaved segments), a.y
 * (1 doc), b.empty (none), a.v (a view). */
static void
hand_archive(struct buf *b, int size64, uint64_t *crcx, uint64_t *crcy)
{
	struct buf x = { 0 }, y = { 0 };

	le32(b, 0x8199e26d);
	hand_header(b, "7.0.0", "test");
	hand_meta(b, "a", "x", "{\"indexes\":[]}", size64, "collection");
	hand_meta(b, "a", "y", "", size64, "collection");
	hand_meta(b, "b", "empty", "", size64, "collection");
	hand_meta(b, "a", "v", "{\"options\":{\"viewOn\":\"x\"}}", size64,
	    "view");
	le32(b, 0xffffffff);
	hand_nshdr(b, "a", "x", 0, 0);
	hand_doc(b, &x, 1, "one");
	hand_doc(b, &x, 2, "two");
	le32(b, 0xffffffff);
	hand_nshdr(b, "a", "y", 0, 0);
	hand_doc(b, &y, 7, "\xc3\xa9t\xc3\xa9");
	le32(b, 0xffffffff);
	hand_nshdr(b, "a", "x", 0, 0);
	hand_doc(b, &x, 3, "three");
	le32(b, 0xffffffff);
	*crcx = crc64_xz(0, x.p, x.len);
	*crcy = crc64_xz(0, y.p, y.len);
	hand_nshdr(b, "a", "y", 1, *crcy);
	le32(b, 0xffffffff);
	hand_nshdr(b, "b", "empty", 1, 0);
	le32(b, 0xffffffff);
	hand_nshdr(b, "a", "v", 1, 0);
	le32(b, 0xffffffff);
	hand_nshdr(b, "a", "x", 1, *crcx);
	le32(b, 0xffffffff);
	free(x.p);
	free(y.p);
}

struct src {
	const unsigned char *p;
	size_t len, pos;
};

static ssize_t
src_read(void *ctx, void *buf, size_t len)
{
	struct src *s = ctx;
	size_t n = s->len - s->pos < len ? s->len - s->pos : len;

	memcpy(buf, s->p + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

/* Read the whole archive: 0 ok, -1 rejected; counts docs and EOFs. */
static int
read_all(const unsigned char *p, size_t len, int *ndocs, int *neofs)
{
	struct src s = { p, len, 0 };
	struct archive_reader *r = archive_reader_new(src_read, &s, "test");
	struct archive_event ev;
	int got = -1;

	*ndocs = *neofs = 0;
	if (archive_read_prelude(r) == 0) {
		while ((got = archive_next(r, &ev)) == 1) {
			if (ev.type == ARCHIVE_DOC)
				(*ndocs)++;
			else
				(*neofs)++;
		}
	}
	archive_reader_free(r);
	return got == 0 ? 0 : -1;
}

static void
test_crc(void)
{
	CHECK(crc64_xz(0, "123456789", 9) == 0x995dc9bbdf1939faULL);
	CHECK(crc64_xz(0, "", 0) == 0);
	/* Incremental equals one shot, across the 8-byte fast path. */
	CHECK(crc64_xz(crc64_xz(0, "1234", 4), "56789", 5) ==
	    0x995dc9bbdf1939faULL);
}

static void
test_reader_accepts(void)
{
	struct buf b = { 0 };
	struct src s;
	struct archive_reader *r;
	struct archive_event ev;
	struct archive_ns *ns;
	uint64_t cx, cy;
	size_t n;
	int nd, ne, size64;

	for (size64 = 0; size64 <= 1; size64++) {
		b.len = 0;
		hand_archive(&b, size64, &cx, &cy);
		CHECK(read_all(b.p, b.len, &nd, &ne) == 0);
		CHECK(nd == 4 && ne == 4);
	}
	s = (struct src){ b.p, b.len, 0 };
	r = archive_reader_new(src_read, &s, "test");
	CHECK(archive_read_prelude(r) == 0);
	ns = archive_reader_ns(r, &n);
	CHECK(n == 4);
	CHECK(strcmp(ns[0].db, "a") == 0 && strcmp(ns[0].coll, "x") == 0);
	CHECK(strcmp(ns[3].type, "view") == 0);
	CHECK(strcmp(archive_reader_header(r)->server_version, "7.0.0") == 0);
	CHECK(archive_next(r, &ev) == 1 && ev.type == ARCHIVE_DOC &&
	    ev.ns == 0);
	CHECK(archive_next(r, &ev) == 1 && ev.ns == 0);
	CHECK(archive_next(r, &ev) == 1 && ev.ns == 1 &&
	    ev.type == ARCHIVE_DOC);
	CHECK(archive_next(r, &ev) == 1 && ev.ns == 0);
	CHECK(archive_next(r, &ev) == 1 && ev.ns == 1 &&
	    ev.type == ARCHIVE_NSEOF);
	while (archive_next(r, &ev) == 1)
		;
	CHECK(ns[0].crc == cx && ns[0].ndocs == 3);
	CHECK(ns[1].crc == cy && ns[2].ndocs == 0 && ns[2].state == 2);
	archive_reader_free(r);
	free(b.p);
}

static void
test_reader_rejects(void)
{
	struct buf b = { 0 }, c = { 0 };
	uint64_t cx, cy;
	size_t cut, i, prelude_end;
	int nd, ne, bad;

	hand_archive(&b, 0, &cx, &cy);
	/* Every truncation is caught, wherever it falls. */
	bad = 0;
	for (cut = 0; cut < b.len; cut++)
		bad += read_all(b.p, cut, &nd, &ne) == 0;
	CHECK(bad == 0);
	/* Every single flipped byte after the prelude is caught. */
	prelude_end = 4;
	prelude_end += b.p[4] | b.p[5] << 8;	/* header */
	for (i = 0; i < 4; i++)
		prelude_end += (size_t)(b.p[prelude_end] |
		    b.p[prelude_end + 1] << 8);
	prelude_end += 4;
	bad = 0;
	for (i = prelude_end; i < b.len; i++) {
		b.p[i] ^= 0x01;
		if (read_all(b.p, b.len, &nd, &ne) == 0) {
			fprintf(stderr, "flip at %zu not caught\n", i);
			bad++;
		}
		b.p[i] ^= 0x01;
	}
	CHECK(bad == 0);
	/* Bad magic. */
	b.p[0] ^= 0xff;
	CHECK(read_all(b.p, b.len, &nd, &ne) < 0);
	b.p[0] ^= 0xff;
	/* Trailing terminator: two in a row. */
	put(&b, "\xff\xff\xff\xff", 4);
	CHECK(read_all(b.p, b.len, &nd, &ne) < 0);
	b.len -= 4;
	/* Reopening a closed namespace. */
	c.len = 0;
	put(&c, b.p, b.len);
	hand_nshdr(&c, "a", "y", 0, 0);
	hand_doc(&c, NULL, 9, "late");
	le32(&c, 0xffffffff);
	CHECK(read_all(c.p, c.len, &nd, &ne) < 0);
	/* A namespace the prelude does not list. */
	c.len = 0;
	put(&c, b.p, b.len);
	hand_nshdr(&c, "zz", "top", 1, 0);
	le32(&c, 0xffffffff);
	CHECK(read_all(c.p, c.len, &nd, &ne) < 0);
	/* A document length beyond 16 MiB. */
	c.len = 0;
	put(&c, b.p, prelude_end);
	hand_nshdr(&c, "a", "x", 0, 0);
	le32(&c, ARCHIVE_DOC_MAX + 1);
	CHECK(read_all(c.p, c.len, &nd, &ne) < 0);
	free(b.p);
	free(c.p);
}

/* An archive_out that appends to the struct buf at ctx. */
static int
sink_put(void *ctx, const void *p, size_t n)
{
	put(ctx, p, n);
	return 0;
}

/* A prelude of the namespaces db/colls[i], each closed empty. */
static void
prelude_of(struct buf *b, const char *db, const char *const *colls,
    size_t n)
{
	size_t i;

	le32(b, 0x8199e26d);
	hand_header(b, "7.0.0", "test");
	for (i = 0; i < n; i++)
		hand_meta(b, db, colls[i], "", 0, "collection");
	le32(b, 0xffffffff);
}

/* Hostile archives: what a crafted stream must never get through. */
static void
test_reader_hostile(void)
{
	static const char *const dup[] = { "x", "y", "x" };
	static const char *const one[] = { "x" };
	struct buf b = { 0 }, d = { 0 };
	struct archive_reader *r;
	struct src s = { (const unsigned char *)"", 0, 0 };
	char name[32], *big;
	size_t at, i, n = 20000;
	int nd, ne, ok;

	/* Empty input: -2, for the caller to name an earlier stage. */
	r = archive_reader_new(src_read, &s, "test");
	CHECK(archive_read_prelude(r) == ARCHIVE_EMPTY);
	archive_reader_free(r);
	/* A namespace listed twice. */
	prelude_of(&b, "a", dup, 3);
	CHECK(read_all(b.p, b.len, &nd, &ne) < 0);
	/* A NUL inside the db name ("admin\0x" would read as "admin"). */
	b.len = 0;
	le32(&b, 0x8199e26d);
	hand_header(&b, "7.0.0", "test");
	at = doc_begin(&b);
	put(&b, "\x02" "db\0", 4);
	le32(&b, 8);
	put(&b, "admin\0x", 8);
	e_str(&b, "collection", "system.users");
	e_str(&b, "metadata", "");
	e_i32(&b, "size", 0);
	e_str(&b, "type", "collection");
	doc_end(&b, at);
	le32(&b, 0xffffffff);
	CHECK(read_all(b.p, b.len, &nd, &ne) < 0);
	/* A document with invalid UTF-8, and one whose inner length lies. */
	for (i = 0; i < 2; i++) {
		b.len = 0;
		prelude_of(&b, "a", one, 1);
		hand_nshdr(&b, "a", "x", 0, 0);
		d.len = 0;
		at = doc_begin(&d);
		if (i == 0)
			e_str(&d, "s", "\xff\xfe");
		else {
			put(&d, "\x03" "o\0", 3);
			le32(&d, 200);	/* an embedded document "of 200" */
			put(&d, "\0", 1);
		}
		doc_end(&d, at);
		put(&b, d.p, d.len);
		le32(&b, 0xffffffff);
		hand_nshdr(&b, "a", "x", 1, crc64_xz(0, d.p, d.len));
		le32(&b, 0xffffffff);
		CHECK(read_all(b.p, b.len, &nd, &ne) < 0);
	}
	/* A document nested a million levels deep: refused, no crash. */
	{
		size_t lv = 1000000, dl = 8 * lv + 5, k, l;
		unsigned char *p = calloc(dl, 1);

		for (k = 0; k <= lv; k++) {
			l = k < lv ? dl - 8 * k : 5;
			p[7 * k] = l & 0xff;
			p[7 * k + 1] = (l >> 8) & 0xff;
			p[7 * k + 2] = (l >> 16) & 0xff;
			p[7 * k + 3] = (unsigned char)(l >> 24);
			if (k < lv)
				memcpy(p + 7 * k + 4, "\x03" "a", 3);
		}
		b.len = 0;
		prelude_of(&b, "a", one, 1);
		hand_nshdr(&b, "a", "x", 0, 0);
		put(&b, p, dl);
		le32(&b, 0xffffffff);
		hand_nshdr(&b, "a", "x", 1, crc64_xz(0, p, dl));
		le32(&b, 0xffffffff);
		CHECK(read_all(b.p, b.len, &nd, &ne) < 0);
		free(p);
	}
	/* More than 64 MiB of metadata in the prelude. */
	big = malloc(15 << 20);
	memset(big, ' ', (15 << 20) - 1);
	big[0] = '{';
	big[(15 << 20) - 2] = '}';
	big[(15 << 20) - 1] = '\0';
	b.len = 0;
	le32(&b, 0x8199e26d);
	hand_header(&b, "7.0.0", "test");
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "c%zu", i);
		hand_meta(&b, "a", name, big, 0, "collection");
	}
	le32(&b, 0xffffffff);
	CHECK(read_all(b.p, b.len, &nd, &ne) < 0);
	/* The writer refuses to make such a prelude. */
	{
		struct archive_ns big5[5];
		struct archive_header h = { 1, NULL, "", "" };
		struct buf sk = { 0 };
		struct archive_out o = { sink_put, &sk };

		for (i = 0; i < 5; i++)
			big5[i] = (struct archive_ns){ .db = "a", .coll = "c",
			    .metadata = big, .type = "collection" };
		CHECK(archive_put_prelude(&o, &h, big5, 5) == -1);
		CHECK(sk.len == 0);
		CHECK(archive_put_prelude(&o, &h, big5, 4) == 0);
		free(sk.p);
	}
	free(big);
	/* Many namespaces, closed in reverse order: every lookup right. */
	b.len = 0;
	le32(&b, 0x8199e26d);
	hand_header(&b, "7.0.0", "test");
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "c%zu", i);
		hand_meta(&b, i % 2 ? "a" : "b", name, "", 0, "collection");
	}
	le32(&b, 0xffffffff);
	for (i = n; i-- > 0;) {
		snprintf(name, sizeof(name), "c%zu", i);
		hand_nshdr(&b, i % 2 ? "a" : "b", name, 1, 0);
		le32(&b, 0xffffffff);
	}
	ok = read_all(b.p, b.len, &nd, &ne) == 0;
	CHECK(ok && ne == (int)n);
	/* The same name under the other database is not in the prelude. */
	hand_nshdr(&b, "a", "c0", 1, 0);
	le32(&b, 0xffffffff);
	CHECK(read_all(b.p, b.len, &nd, &ne) < 0);
	free(b.p);
	free(d.p);
}

struct sink {
	struct buf b;
};

static int
sink_write(void *ctx, const void *p, size_t n)
{
	put(&((struct sink *)ctx)->b, p, n);
	return 0;
}

/* The writer produces exactly the hand-built layout. */
static void
test_writer_exact(void)
{
	struct archive_ns ns[4] = {
		{ .db = "a", .coll = "x", .metadata = "{\"indexes\":[]}",
		    .type = "collection" },
		{ .db = "a", .coll = "y", .metadata = "",
		    .type = "collection" },
		{ .db = "b", .coll = "empty", .metadata = "",
		    .type = "collection" },
		{ .db = "a", .coll = "v",
		    .metadata = "{\"options\":{\"viewOn\":\"x\"}}",
		    .type = "view" },
	};
	struct archive_header h = { 4, NULL, "7.0.0", "test" };
	struct sink s = { { 0 } };
	struct archive_out o = { .write = sink_write, .ctx = &s };
	struct buf want = { 0 }, x = { 0 }, y = { 0 }, seg = { 0 };
	uint64_t cx, cy;

	hand_archive(&want, 0, &cx, &cy);
	CHECK(archive_put_prelude(&o, &h, ns, 4) == 0);
	hand_doc(&seg, &x, 1, "one");
	hand_doc(&seg, &x, 2, "two");
	CHECK(archive_put_segment(&o, "a", "x", seg.p, seg.len) == 0);
	seg.len = 0;
	hand_doc(&seg, &y, 7, "\xc3\xa9t\xc3\xa9");
	CHECK(archive_put_segment(&o, "a", "y", seg.p, seg.len) == 0);
	seg.len = 0;
	hand_doc(&seg, &x, 3, "three");
	CHECK(archive_put_segment(&o, "a", "x", seg.p, seg.len) == 0);
	CHECK(archive_put_eof(&o, "a", "y", crc64_xz(0, y.p, y.len)) == 0);
	CHECK(archive_put_eof(&o, "b", "empty", 0) == 0);
	CHECK(archive_put_eof(&o, "a", "v", 0) == 0);
	CHECK(archive_put_eof(&o, "a", "x", crc64_xz(0, x.p, x.len)) == 0);
	CHECK(s.b.len == want.len);
	CHECK(s.b.len == want.len && memcmp(s.b.p, want.p, want.len) == 0);
	free(s.b.p);
	free(want.p);
	free(x.p);
	free(y.p);
	free(seg.p);
}

/* Documents of BSON types FerretDB cannot store pass through unchanged. */
static void
test_exotic_types(void)
{
	struct archive_ns ns = { .db = "d", .coll = "c", .metadata = "",
	    .type = "collection" };
	struct archive_header h = { 1, NULL, "", "" };
	struct sink s = { { 0 } };
	struct archive_out o = { .write = sink_write, .ctx = &s };
	struct archive_reader *r;
	struct archive_event ev;
	bson_decimal128_t dec;
	bson_t d = BSON_INITIALIZER, inner, inner2;
	struct src src;
	int same = 0;

	bson_decimal128_from_string("1234.5678E-3", &dec);
	BSON_APPEND_DECIMAL128(&d, "dec", &dec);
	BSON_APPEND_MINKEY(&d, "min");
	BSON_APPEND_MAXKEY(&d, "max");
	BSON_APPEND_CODE(&d, "js", "function() { return 1; }");
	BSON_APPEND_SYMBOL(&d, "sym", "s");
	BSON_APPEND_UNDEFINED(&d, "undef");
	BSON_APPEND_DOUBLE(&d, "negzero", -0.0);
	BSON_APPEND_ARRAY_BEGIN(&d, "nested", &inner);
	BSON_APPEND_ARRAY_BEGIN(&inner, "0", &inner2);
	BSON_APPEND_INT32(&inner2, "0", 1);
	bson_append_array_end(&inner, &inner2);
	bson_append_array_end(&d, &inner);
	CHECK(archive_put_prelude(&o, &h, &ns, 1) == 0);
	CHECK(archive_put_segment(&o, "d", "c", bson_get_data(&d), d.len) ==
	    0);
	CHECK(archive_put_eof(&o, "d", "c", crc64_xz(0, bson_get_data(&d),
	    d.len)) == 0);
	src = (struct src){ s.b.p, s.b.len, 0 };
	r = archive_reader_new(src_read, &src, "test");
	CHECK(archive_read_prelude(r) == 0);
	CHECK(archive_next(r, &ev) == 1 && ev.type == ARCHIVE_DOC);
	same = ev.len == d.len && memcmp(ev.doc, bson_get_data(&d), d.len) ==
	    0;
	CHECK(same);
	CHECK(archive_next(r, &ev) == 1 && ev.type == ARCHIVE_NSEOF);
	CHECK(archive_next(r, &ev) == 0);
	archive_reader_free(r);
	bson_destroy(&d);
	free(s.b.p);
}

int
main(void)
{
	test_crc();
	test_reader_accepts();
	test_reader_rejects();
	test_reader_hostile();
	test_writer_exact();
	test_exotic_types();
	return unit_exit();
}
