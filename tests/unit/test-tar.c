/*
 * Unit tests for lib/tar.c: the writer's headers read back exactly; the
 * reader's caps and checks hold against forged headers.
 */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "files/tar.h"
#include "unit.h"

struct mem {
	unsigned char *p;
	size_t len, cap, pos;
};

static int
mem_out(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

/* Hand out at most 700 bytes a call, to cross block boundaries. */
static ssize_t
mem_in(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t n = m->len - m->pos;

	if (n > len)
		n = len;
	if (n > 700)
		n = 700;
	memcpy(buf, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

static void
write_member(struct tar_writer *w, const struct tar_entry *e, const char *data)
{
	uint64_t missing;

	CHECK(tar_write_header(w, e) == 0);
	if (data != NULL)
		CHECK(tar_write_data(w, data, strlen(data)) == 0);
	CHECK(tar_member_end(w, &missing) == 0);
}

static void
test_roundtrip(void)
{
	struct mem m = { 0 };
	struct tar_writer *w = tar_writer_new(mem_out, &m);
	struct tar_reader *r;
	struct tar_entry e, g;
	char longname[3000], buf[100];
	uint64_t missing;
	int i;

	memset(longname, 0, sizeof(longname));
	for (i = 0; i < 2990; i++)
		longname[i] = i % 50 == 49 ? '/' : 'a' + i % 26;
	memset(&e, 0, sizeof(e));
	e.path = "plain";
	e.type = TAR_REG;
	e.mode = 04755;
	e.uid = 1000;
	e.gid = 100;
	e.uname = "alice";
	e.gname = "users";
	e.size = 5;
	e.mtime = 1700000000;
	e.mtime_nsec = 123456789;
	e.xattrs[0].name = "user.k";
	e.xattrs[0].value = (const unsigned char *)"v\0w";
	e.xattrs[0].len = 3;
	e.nxattrs = 1;
	write_member(w, &e, "hello");
	/* A long non-ASCII name, a big uid, an old mtime. */
	memset(&e, 0, sizeof(e));
	e.path = longname;
	e.type = TAR_SYM;
	e.link = "ünïcödé target";
	e.uid = 40000000;
	e.gid = 7;
	e.uname = "a-user-name-longer-than-thirty-two-bytes";
	e.gname = "";
	e.mtime = -2;
	e.mtime_nsec = 500000000;
	write_member(w, &e, NULL);
	/* A file that shrank: padded. */
	memset(&e, 0, sizeof(e));
	e.path = "dir";
	e.type = TAR_DIR;
	e.mode = 0755;
	e.uname = e.gname = "";
	write_member(w, &e, NULL);
	e.path = "dir/short";
	e.type = TAR_REG;
	e.size = 1000;
	CHECK(tar_write_header(w, &e) == 0);
	CHECK(tar_write_data(w, "abc", 3) == 0);
	CHECK(tar_write_data(w, buf, 998) == -1);	/* past the size */
	CHECK(tar_member_end(w, &missing) == 0);
	CHECK(missing == 997);
	CHECK(tar_writer_finish(w) == 0);
	CHECK(m.len % TAR_RECORD == 0);

	r = tar_reader_new(mem_in, &m, "mem");
	CHECK(tar_next(r, &g) == 1);
	CHECK(strcmp(g.path, "plain") == 0 && g.type == TAR_REG);
	CHECK(g.mode == 04755 && g.uid == 1000 && g.gid == 100);
	CHECK(strcmp(g.uname, "alice") == 0 && strcmp(g.gname, "users") == 0);
	CHECK(g.size == 5 && g.mtime == 1700000000 &&
	    g.mtime_nsec == 123456789);
	CHECK(g.nxattrs == 1 && strcmp(g.xattrs[0].name, "user.k") == 0 &&
	    g.xattrs[0].len == 3 && memcmp(g.xattrs[0].value, "v\0w", 3) == 0);
	CHECK(tar_read(r, buf, sizeof(buf)) == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK(tar_read(r, buf, sizeof(buf)) == 0);
	CHECK(tar_next(r, &g) == 1);
	CHECK(strcmp(g.path, longname) == 0 && g.type == TAR_SYM);
	CHECK(strcmp(g.link, "ünïcödé target") == 0);
	CHECK(g.uid == 40000000 && g.gid == 7);
	CHECK(strcmp(g.uname, "a-user-name-longer-than-thirty-two-bytes") == 0);
	CHECK(g.mtime == -2 && g.mtime_nsec == 500000000);
	CHECK(tar_next(r, &g) == 1);
	CHECK(strcmp(g.path, "dir/") == 0 && g.type == TAR_DIR);
	CHECK(tar_next(r, &g) == 1);	/* skips nothing: no data read */
	CHECK(strcmp(g.path, "dir/short") == 0 && g.size == 1000);
	CHECK(tar_next(r, &g) == 0);
	tar_reader_free(r);
	free(m.p);
}

/* A header only: sizes beyond ustar's 8 GiB go through pax. */
static void
test_big_size(void)
{
	struct mem m = { 0 };
	struct tar_writer *w = tar_writer_new(mem_out, &m);
	struct tar_reader *r;
	struct tar_entry e, g;

	memset(&e, 0, sizeof(e));
	e.path = "huge";
	e.type = TAR_REG;
	e.size = (10ULL << 30) + 7;
	e.uname = e.gname = "";
	CHECK(tar_write_header(w, &e) == 0);
	CHECK(tar_writer_flush(w) == 0);
	CHECK(m.len == 3 * TAR_BLOCK);		/* pax header, its data, ustar */
	r = tar_reader_new(mem_in, &m, "mem");
	CHECK(tar_next(r, &g) == 1);
	CHECK(strcmp(g.path, "huge") == 0 && g.size == (10ULL << 30) + 7);
	CHECK(tar_next(r, &g) == -1);		/* the data is missing */
	tar_reader_free(r);
	/* The writer will not end the archive inside a member. */
	CHECK(tar_writer_finish(w) == -1);
	free(m.p);
}

static void
test_numbers(void)
{
	uint64_t v;
	int64_t s;
	long ns;

	CHECK(tar_parse_number("0000644\0", 8, &v) == 0 && v == 0644);
	CHECK(tar_parse_number("   644 ", 7, &v) == 0 && v == 0644);
	CHECK(tar_parse_number("\0\0\0\0", 4, &v) == 0 && v == 0);
	CHECK(tar_parse_number("0008", 4, &v) == -1);
	CHECK(tar_parse_number("12 3", 4, &v) == -1);
	CHECK(tar_parse_number("\x80\0\0\0\0\0\0\x02\0\0\0\0", 12, &v) == 0 &&
	    v == (2ULL << 32));
	CHECK(tar_parse_number("\xff\xff\xff\xff", 4, &v) == -1); /* < 0 */
	CHECK(tar_parse_number("\x80\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
	    "\xff", 12, &v) == -1);	/* > INT64_MAX */
	CHECK(tar_parse_time("1700000000.5", &s, &ns) == 0 &&
	    s == 1700000000 && ns == 500000000);
	CHECK(tar_parse_time("1.123456789123", &s, &ns) == 0 &&
	    s == 1 && ns == 123456789);
	CHECK(tar_parse_time("-1.5", &s, &ns) == 0 && s == -2 &&
	    ns == 500000000);
	CHECK(tar_parse_time("12x", &s, &ns) == -1);
	CHECK(tar_parse_time("", &s, &ns) == -1);
	CHECK(tar_parse_time("99999999999999999999", &s, &ns) == -1);
}

/* Forged archives: each must fail, not crash or return a member. */
static int
read_all(const unsigned char *p, size_t len)
{
	struct mem m = { (unsigned char *)p, len, len, 0 };
	struct tar_reader *r = tar_reader_new(mem_in, &m, "forged");
	struct tar_entry e;
	char buf[512];
	int rc;

	while ((rc = tar_next(r, &e)) == 1)
		while (tar_read(r, buf, sizeof(buf)) > 0)
			;
	tar_reader_free(r);
	return rc;
}

static void
set_sum(unsigned char *h)
{
	unsigned sum = 0;
	int i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static void
header(unsigned char *h, const char *name, char type, const char *size)
{
	memset(h, 0, 512);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 124, size, strlen(size));
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	set_sum(h);
}

static void
test_forged(void)
{
	unsigned char a[8192];
	const char *rec;

	memset(a, 0, sizeof(a));
	header(a, "ok", '0', "00000000003");
	memcpy(a + 512, "abc", 3);
	CHECK(read_all(a, 3072) == 0);			/* sane */
	CHECK(read_all(a, 1000) == -1);			/* no end blocks */
	CHECK(read_all(a, 300) == -1);			/* cut header */
	a[0] ^= 1;
	CHECK(read_all(a, 3072) == -1);			/* checksum */
	header(a, "big", '0', "77777777777");
	CHECK(read_all(a, 3072) == -1);			/* size > data */
	header(a, "p", 'x', "00004000001");		/* 1 MiB + 1 pax */
	CHECK(read_all(a, 3072) == -1);
	header(a, "L", 'L', "00000020000");		/* 8 KiB name */
	CHECK(read_all(a, 8192) == -1);
	rec = "30 path=short\n";			/* length overruns */
	header(a, "p", 'x', "00000000016");
	memset(a + 512, 0, 512);
	memcpy(a + 512, rec, strlen(rec));
	header(a + 1024, "f", '0', "00000000000");
	CHECK(read_all(a, 4096) == -1);
	rec = "14 path=short\n";			/* fine */
	memcpy(a + 512, rec, strlen(rec));
	CHECK(read_all(a, 4096) == 0);
	rec = "18 GNU.sparse.x=1\n";			/* unsupported */
	header(a, "p", 'x', "00000000022");
	memset(a + 512, 0, 512);
	memcpy(a + 512, rec, strlen(rec));
	CHECK(read_all(a, 4096) == -1);
	header(a, "s", 'S', "00000000000");
	CHECK(read_all(a, 4096) == -1);			/* GNU sparse */
	header(a, "n", 'Z', "00000000000");
	CHECK(read_all(a, 4096) == -1);			/* unknown type */
	header(a, "bad", '0', "0000000000z");
	CHECK(read_all(a, 4096) == -1);			/* bad number */
}

/* One extended-header member (flag 'L', 'K' or 'x') holding text. */
static size_t
meta(unsigned char *a, char flag, const char *text)
{
	char size[24];
	size_t len = strlen(text) + (flag == 'x' ? 0 : 1);

	snprintf(size, sizeof(size), "%011zo", len);
	header(a, flag == 'x' ? "PaxHeaders/x" : "././@LongLink", flag, size);
	memset(a + 512, 0, 512);
	memcpy(a + 512, text, strlen(text));
	return 1024;
}

/* The first member of the len bytes at a: path, link, first xattr value. */
static int
first_member(unsigned char *a, size_t len, char *path, char *link,
    char *xval, size_t *nx)
{
	struct mem m = { a, len, len, 0 };
	struct tar_reader *r = tar_reader_new(mem_in, &m, "t");
	struct tar_entry e;
	int rc = tar_next(r, &e);

	if (rc == 1) {
		snprintf(path, 64, "%s", e.path);
		snprintf(link, 64, "%s", e.link);
		*nx = e.nxattrs;
		if (e.nxattrs > 0)
			snprintf(xval, 64, "%.*s", (int)e.xattrs[0].len,
			    (const char *)e.xattrs[0].value);
	}
	tar_reader_free(r);
	return rc;
}

/* Which name wins, as GNU tar reads it; empty input is told apart. */
static void
test_precedence(void)
{
	unsigned char a[8192];
	char path[64], link[64], xval[64];
	size_t o, nx;
	struct mem m = { a, 0, 0, 0 };
	struct tar_reader *r;
	struct tar_entry e;

	memset(a, 0, sizeof(a));
	o = meta(a, 'L', "first");
	o += meta(a + o, 'L', "second");
	o += meta(a + o, 'K', "t1");
	o += meta(a + o, 'K', "t2");
	header(a + o, "hdr", '2', "00000000000");
	CHECK(first_member(a, sizeof(a), path, link, NULL, &nx) == 1);
	CHECK(strcmp(path, "second") == 0);		/* last L */
	CHECK(strcmp(link, "t2") == 0);			/* last K */

	memset(a, 0, sizeof(a));
	o = meta(a, 'x', "11 path=px\n");
	o += meta(a + o, 'L', "gnu");
	header(a + o, "hdr", '0', "00000000000");
	CHECK(first_member(a, sizeof(a), path, link, NULL, &nx) == 1);
	CHECK(strcmp(path, "px") == 0);			/* pax over a later L */

	memset(a, 0, sizeof(a));
	o = meta(a, 'L', "gnu");
	o += meta(a + o, 'x', "11 path=p1\n11 path=p2\n"
	    "25 SCHILY.xattr.user.a=1\n25 SCHILY.xattr.user.a=2\n");
	header(a + o, "hdr", '0', "00000000000");
	CHECK(first_member(a, sizeof(a), path, link, xval, &nx) == 1);
	CHECK(strcmp(path, "p2") == 0);			/* last pax path */
	CHECK(nx == 1 && strcmp(xval, "2") == 0);	/* last xattr record */

	memset(a, 0, sizeof(a));			/* two pax headers */
	o = meta(a, 'x', "11 path=p1\n25 SCHILY.xattr.user.a=1\n");
	o += meta(a + o, 'x', "11 path=p2\n");
	header(a + o, "hdr", '0', "00000000000");
	CHECK(first_member(a, sizeof(a), path, link, xval, &nx) == 1);
	CHECK(strcmp(path, "p2") == 0 && nx == 0);	/* the second, whole */

	r = tar_reader_new(mem_in, &m, "t");		/* no byte at all */
	CHECK(tar_next(r, &e) == -1 && tar_reader_empty(r));
	tar_reader_free(r);
	m.len = 300;					/* cut, not empty */
	r = tar_reader_new(mem_in, &m, "t");
	CHECK(tar_next(r, &e) == -1 && !tar_reader_empty(r));
	tar_reader_free(r);
}

int
main(void)
{
	test_roundtrip();
	test_big_size();
	test_numbers();
	test_forged();
	test_precedence();
	return unit_exit();
}
