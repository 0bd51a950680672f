/*
 * archive.c - the mongodump --archive format: CRC-64/XZ, a writer of
 * prelude/segments/EOF blocks, and a streaming reader that checks every
 * rule of the format (document bounds, terminators, namespaces known and
 * closed exactly once, CRCs) and names the namespace and byte offset of
 * whatever is wrong.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bson/bson.h>

#include "bk.h"
#include "archive.h"
#include "vec.h"

#define TERMINATOR 0xffffffffU

/*
 * Deeper nesting than any server stores (MongoDB: 100 levels, 180 with
 * internal wrapping).  libbson's bson_validate recurses without a limit
 * and a 16 MiB document nested a million levels deep overflows the
 * stack, so depth is checked first, without recursion.
 */
#define DOC_DEPTH_MAX 200

/* Reflected polynomial of CRC-64/ECMA-182 (XZ, Go's crc64.ECMA). */
#define CRC64_POLY 0xc96c5795d7870f42ULL

static uint64_t crc_table[8][256];
static int crc_ready;

/* Slicing-by-8 tables; built once (idempotent, so a race is harmless). */
static void
crc64_init(void)
{
	uint64_t c;
	int i, j;

	for (i = 0; i < 256; i++) {
		c = (uint64_t)i;
		for (j = 0; j < 8; j++)
			c = (c & 1) ? (c >> 1) ^ CRC64_POLY : c >> 1;
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			crc_table[j][i] = (crc_table[j - 1][i] >> 8) ^
			    crc_table[0][crc_table[j - 1][i] & 0xff];
	crc_ready = 1;
}

uint64_t
crc64_xz(uint64_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t w;

	if (!crc_ready)
		crc64_init();
	crc = ~crc;
	while (len >= 8) {
		w = crc ^ ((uint64_t)p[0] | (uint64_t)p[1] << 8 |
		    (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
		    (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
		    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56);
		crc = crc_table[7][w & 0xff] ^
		    crc_table[6][(w >> 8) & 0xff] ^
		    crc_table[5][(w >> 16) & 0xff] ^
		    crc_table[4][(w >> 24) & 0xff] ^
		    crc_table[3][(w >> 32) & 0xff] ^
		    crc_table[2][(w >> 40) & 0xff] ^
		    crc_table[1][(w >> 48) & 0xff] ^
		    crc_table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

char *
archive_nsname(const char *db, const char *coll)
{
	char *s;

	if (asprintf(&s, "%s.%s", db, coll) < 0) {
		warnp("malloc");
		return NULL;
	}
	return s;
}

/* Writer. */

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t
get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static int
put_u32(const struct archive_out *o, uint32_t v)
{
	unsigned char b[4];

	put_le32(b, v);
	return o->write(o->ctx, b, 4);
}

static int
put_bson(const struct archive_out *o, const bson_t *b)
{
	return o->write(o->ctx, bson_get_data(b), b->len);
}

int
archive_put_prelude(const struct archive_out *o,
    const struct archive_header *h, const struct archive_ns *ns, size_t n)
{
	uint64_t meta = 0;
	bson_t b;
	size_t i;
	int rc;

	/* Never write what the reader would refuse as hostile. */
	for (i = 0; i < n; i++)
		meta += ns[i].metadata ? strlen(ns[i].metadata) : 0;
	if (n > ARCHIVE_NS_MAX || meta > ARCHIVE_META_MAX) {
		warn0("%zu namespaces with %llu bytes of metadata: more than "
		    "an archive may hold (%d, %d MiB)", n,
		    (unsigned long long)meta, ARCHIVE_NS_MAX,
		    ARCHIVE_META_MAX >> 20);
		return -1;
	}
	if (put_u32(o, ARCHIVE_MAGIC) != 0)
		return -1;
	bson_init(&b);
	BSON_APPEND_INT32(&b, "concurrent_collections", h->concurrent);
	BSON_APPEND_UTF8(&b, "version", ARCHIVE_VERSION);
	BSON_APPEND_UTF8(&b, "server_version",
	    h->server_version ? h->server_version : "");
	BSON_APPEND_UTF8(&b, "tool_version",
	    h->tool_version ? h->tool_version : "");
	rc = put_bson(o, &b);
	bson_destroy(&b);
	for (i = 0; rc == 0 && i < n; i++) {
		bson_init(&b);
		BSON_APPEND_UTF8(&b, "db", ns[i].db);
		BSON_APPEND_UTF8(&b, "collection", ns[i].coll);
		BSON_APPEND_UTF8(&b, "metadata",
		    ns[i].metadata ? ns[i].metadata : "");
		/* Go's encoder writes an int as int32 when it fits. */
		if (ns[i].size >= INT32_MIN && ns[i].size <= INT32_MAX)
			BSON_APPEND_INT32(&b, "size", (int32_t)ns[i].size);
		else
			BSON_APPEND_INT64(&b, "size", ns[i].size);
		BSON_APPEND_UTF8(&b, "type", ns[i].type ? ns[i].type : "");
		rc = put_bson(o, &b);
		bson_destroy(&b);
	}
	if (rc == 0)
		rc = put_u32(o, TERMINATOR);
	return rc;
}

/* The namespace header mongodump writes: db, collection, EOF, CRC. */
static int
put_nsheader(const struct archive_out *o, const char *db, const char *coll,
    int eof, uint64_t crc)
{
	bson_t b;
	int rc;

	bson_init(&b);
	BSON_APPEND_UTF8(&b, "db", db);
	BSON_APPEND_UTF8(&b, "collection", coll);
	BSON_APPEND_BOOL(&b, "EOF", eof != 0);
	/* The unsigned CRC is stored bit for bit in a BSON int64. */
	BSON_APPEND_INT64(&b, "CRC", (int64_t)crc);
	rc = put_bson(o, &b);
	bson_destroy(&b);
	return rc;
}

/* Close the open segment, if any, with its terminator. */
static int
close_open(struct archive_out *o)
{
	if (o->open_db == NULL)
		return 0;
	free(o->open_db);
	free(o->open_coll);
	o->open_db = o->open_coll = NULL;
	return put_u32(o, TERMINATOR);
}

/*
 * As mongodump's multiplexer: a namespace header only when the namespace
 * changes (the previous segment's terminator is written then), so that
 * consecutive buffers of one namespace make one segment; len may be 0
 * (mongodump writes an empty segment for an empty namespace or a view).
 */
int
archive_put_segment(struct archive_out *o, const char *db,
    const char *coll, const void *docs, size_t len)
{
	if (o->open_db == NULL || strcmp(o->open_db, db) != 0 ||
	    strcmp(o->open_coll, coll) != 0) {
		if (close_open(o) != 0 || put_nsheader(o, db, coll, 0, 0) != 0)
			return -1;
		if ((o->open_db = strdup(db)) == NULL ||
		    (o->open_coll = strdup(coll)) == NULL) {
			warnp("malloc");
			return -1;
		}
	}
	return len == 0 ? 0 : o->write(o->ctx, docs, len);
}

int
archive_put_eof(struct archive_out *o, const char *db,
    const char *coll, uint64_t crc)
{
	if (close_open(o) != 0 || put_nsheader(o, db, coll, 1, crc) != 0)
		return -1;
	return put_u32(o, TERMINATOR);
}

/* Reader. */

struct archive_reader {
	archive_readfn *fn;
	void *ctx;
	const char *name;
	uint64_t off;		/* bytes consumed */
	unsigned char *buf;	/* the current document, up to DOC_MAX */
	size_t cap;
	struct archive_header h;
	struct vec ns;		/* of struct archive_ns: the prelude */
	uint64_t metabytes;	/* metadata strings of the prelude so far */
	size_t *htab;		/* namespace index + 1 by hash, 0 empty */
	size_t hcap;		/* a power of two >= 2 * nns */
	size_t cur;		/* namespace of the open segment */
	int insegment;
	int ended;
};

/* The prelude's namespaces, as an array. */
static struct archive_ns *
nsv(const struct archive_reader *r)
{
	return r->ns.v;
}

struct archive_reader *
archive_reader_new(archive_readfn *fn, void *ctx, const char *name)
{
	struct archive_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	r->fn = fn;
	r->ctx = ctx;
	r->name = name;
	vec_init(&r->ns, sizeof(struct archive_ns));
	return r;
}

static void
ns_free(struct archive_ns *ns)
{
	free(ns->db);
	free(ns->coll);
	free(ns->metadata);
	free(ns->type);
}

void
archive_reader_free(struct archive_reader *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->ns.n; i++)
		ns_free(vec_at(&r->ns, i));
	vec_free(&r->ns);
	free(r->htab);
	free(r->h.version);
	free(r->h.server_version);
	free(r->h.tool_version);
	free(r->buf);
	free(r);
}

const struct archive_header *
archive_reader_header(const struct archive_reader *r)
{
	return &r->h;
}

struct archive_ns *
archive_reader_ns(const struct archive_reader *r, size_t *n)
{
	*n = r->ns.n;
	return r->ns.v;
}

uint64_t
archive_reader_offset(const struct archive_reader *r)
{
	return r->off;
}

/* Read exactly len bytes; returns the count read (short only at EOF). */
static ssize_t
rd(struct archive_reader *r, void *buf, size_t len)
{
	ssize_t n;

	if ((n = r->fn(r->ctx, buf, len)) < 0)
		return -1;
	r->off += (uint64_t)n;
	return n;
}

/*
 * Read a 4-byte length word.  Returns 1 (got it), 0 (clean end before any
 * byte), or -1 (error or a partial word, reported with what).
 */
static int
rd_word(struct archive_reader *r, uint32_t *v, const char *what)
{
	unsigned char b[4];
	uint64_t at = r->off;
	ssize_t n;

	if ((n = rd(r, b, 4)) < 0)
		return -1;
	if (n == 0)
		return 0;
	if (n < 4) {
		warn0("%s: truncated at byte %llu: %zd of 4 bytes of %s",
		    r->name, (unsigned long long)at, n, what);
		return -1;
	}
	*v = get_le32(b);
	return 1;
}

/*
 * Having read the length word len at offset at, read the rest of a BSON
 * document into r->buf and check its bounds and final NUL.  0 or -1.
 */
static int
rd_doc(struct archive_reader *r, uint32_t len, uint64_t at, const char *what)
{
	unsigned char *nb;
	ssize_t n;

	if (len < ARCHIVE_DOC_MIN || len > ARCHIVE_DOC_MAX) {
		warn0("%s: %s at byte %llu: length %lu is outside %d..%d "
		    "(corrupt or not an archive)", r->name, what,
		    (unsigned long long)at, (unsigned long)len,
		    ARCHIVE_DOC_MIN, ARCHIVE_DOC_MAX);
		return -1;
	}
	if (r->cap < len) {
		if ((nb = realloc(r->buf, len)) == NULL) {
			warnp("malloc");
			return -1;
		}
		r->buf = nb;
		r->cap = len;
	}
	put_le32(r->buf, len);
	if ((n = rd(r, r->buf + 4, len - 4)) < 0)
		return -1;
	if ((size_t)n < len - 4) {
		warn0("%s: truncated at byte %llu inside %s of %lu bytes "
		    "starting at byte %llu", r->name,
		    (unsigned long long)r->off, what, (unsigned long)len,
		    (unsigned long long)at);
		return -1;
	}
	if (r->buf[len - 1] != 0) {
		warn0("%s: %s at byte %llu does not end in a NUL byte "
		    "(corrupt)", r->name, what, (unsigned long long)at);
		return -1;
	}
	return 0;
}

/*
 * Walk b without recursion: nesting at most DOC_DEPTH_MAX, every string,
 * code and symbol value valid UTF-8 (a NUL inside is BSON and the server
 * takes it).  Then libbson's own walk (lengths, types, UTF-8 keys), safe
 * now that the depth is bounded.  NULL if valid, or why not.
 */
static const char *
doc_invalid(const bson_t *b)
{
	/* A struct pads each iterator to libbson's alignment. */
	struct { bson_iter_t it; } lv[DOC_DEPTH_MAX];
	const char *v;
	uint32_t len;
	int d = 0;

	if (!bson_iter_init(&lv[0].it, b))
		return "corrupt BSON";
	while (d >= 0) {
		if (!bson_iter_next(&lv[d].it)) {
			d--;
			continue;
		}
		switch (bson_iter_type(&lv[d].it)) {
		case BSON_TYPE_UTF8:
			v = bson_iter_utf8(&lv[d].it, &len);
			break;
		case BSON_TYPE_CODE:
			v = bson_iter_code(&lv[d].it, &len);
			break;
		case BSON_TYPE_SYMBOL:
			v = bson_iter_symbol(&lv[d].it, &len);
			break;
		case BSON_TYPE_DOCUMENT:
		case BSON_TYPE_ARRAY:
			if (d + 1 >= DOC_DEPTH_MAX)
				return "nested deeper than 200 levels";
			if (bson_iter_recurse(&lv[d].it, &lv[d + 1].it))
				d++;
			continue;
		default:
			continue;
		}
		if (v != NULL && !bson_utf8_validate(v, len, true))
			return "a string is not valid UTF-8";
	}
	if (!bson_validate(b, BSON_VALIDATE_UTF8 |
	    BSON_VALIDATE_UTF8_ALLOW_NULL, NULL))
		return "corrupt BSON";
	return NULL;
}

/* Read a length word and the BSON document it starts; as rd_word. */
static int
rd_bson(struct archive_reader *r, bson_t *b, const char *what, int term_ok)
{
	uint64_t at = r->off;
	uint32_t len;
	int got;

	if ((got = rd_word(r, &len, what)) <= 0) {
		if (got == 0)
			warn0("%s: truncated at byte %llu: expected %s",
			    r->name, (unsigned long long)at, what);
		return -1;
	}
	if (term_ok && len == TERMINATOR)
		return 0;
	if (rd_doc(r, len, at, what) != 0)
		return -1;
	if (!bson_init_static(b, r->buf, len) || doc_invalid(b) != NULL) {
		warn0("%s: %s at byte %llu is not valid BSON", r->name, what,
		    (unsigned long long)at);
		return -1;
	}
	return 1;
}

/*
 * A copy of the string field key of b (or "" if absent); NULL on error.
 * *bad is set if it is not a string or holds a NUL (which would make the
 * C string name something else than the archive does).
 */
static char *
dup_str(const bson_t *b, const char *key, int *bad)
{
	bson_iter_t it;
	const char *v;
	uint32_t len;
	char *s;

	if (!bson_iter_init_find(&it, b, key))
		s = strdup("");
	else if (!BSON_ITER_HOLDS_UTF8(&it)) {
		*bad = 1;
		s = strdup("");
	} else {
		v = bson_iter_utf8(&it, &len);
		if (strlen(v) != len)
			*bad = 1;
		s = strdup(v);
	}
	if (s == NULL)
		warnp("malloc");
	return s;
}

static int
parse_header(struct archive_reader *r, const bson_t *b, uint64_t at)
{
	bson_iter_t it;
	int bad = 0;

	if (bson_iter_init_find(&it, b, "concurrent_collections") &&
	    BSON_ITER_HOLDS_INT32(&it))
		r->h.concurrent = bson_iter_int32(&it);
	if ((r->h.version = dup_str(b, "version", &bad)) == NULL ||
	    (r->h.server_version = dup_str(b, "server_version", &bad)) ==
	    NULL ||
	    (r->h.tool_version = dup_str(b, "tool_version", &bad)) == NULL)
		return -1;
	if (bad || strcmp(r->h.version, ARCHIVE_VERSION) != 0) {
		warn0("%s: archive header at byte %llu: format version \"%s\" "
		    "is not %s", r->name, (unsigned long long)at,
		    r->h.version, ARCHIVE_VERSION);
		return -1;
	}
	return 0;
}

static int
parse_nsmeta(struct archive_reader *r, const bson_t *b, uint64_t at)
{
	struct archive_ns *ns;
	bson_iter_t it;
	int bad = 0;

	if (r->ns.n >= ARCHIVE_NS_MAX) {
		warn0("%s: more than %d namespaces in the prelude",
		    r->name, ARCHIVE_NS_MAX);
		return -1;
	}
	if ((ns = vec_push(&r->ns)) == NULL)
		return -1;
	/* "db" may be empty (the oplog's), never absent. */
	if (!bson_has_field(b, "db") || !bson_has_field(b, "collection"))
		bad = 1;
	if ((ns->db = dup_str(b, "db", &bad)) == NULL ||
	    (ns->coll = dup_str(b, "collection", &bad)) == NULL ||
	    (ns->metadata = dup_str(b, "metadata", &bad)) == NULL ||
	    (ns->type = dup_str(b, "type", &bad)) == NULL)
		return -1;
	if (bson_iter_init_find(&it, b, "size")) {
		if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it))
			ns->size = bson_iter_as_int64(&it);
		else
			bad = 1;
	}
	if (bad || ns->coll[0] == '\0') {
		warn0("%s: namespace metadata at byte %llu is malformed",
		    r->name, (unsigned long long)at);
		return -1;
	}
	r->metabytes += strlen(ns->metadata);
	if (r->metabytes > ARCHIVE_META_MAX) {
		warn0("%s: namespace metadata at byte %llu: the prelude's "
		    "metadata exceeds %d MiB (corrupt or hostile)", r->name,
		    (unsigned long long)at, ARCHIVE_META_MAX >> 20);
		return -1;
	}
	return 0;
}

/* FNV-1a of db, a NUL, coll. */
static uint64_t
ns_hash(const char *db, const char *coll)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *db != '\0'; db++)
		h = (h ^ (unsigned char)*db) * 0x100000001b3ULL;
	h *= 0x100000001b3ULL;
	for (; *coll != '\0'; coll++)
		h = (h ^ (unsigned char)*coll) * 0x100000001b3ULL;
	return h;
}

/* The slot of db.coll in the hash table: its entry, or the empty one. */
static size_t
ns_slot(const struct archive_reader *r, const char *db, const char *coll)
{
	size_t i = (size_t)ns_hash(db, coll) & (r->hcap - 1), e;

	while ((e = r->htab[i]) != 0 && (strcmp(nsv(r)[e - 1].db, db) != 0 ||
	    strcmp(nsv(r)[e - 1].coll, coll) != 0))
		i = (i + 1) & (r->hcap - 1);
	return i;
}

/* Index the prelude by name; a namespace listed twice is refused. */
static int
ns_index(struct archive_reader *r)
{
	size_t i, slot;

	for (r->hcap = 16; r->hcap < 2 * r->ns.n; r->hcap *= 2)
		;
	if ((r->htab = calloc(r->hcap, sizeof(*r->htab))) == NULL) {
		warnp("malloc");
		return -1;
	}
	for (i = 0; i < r->ns.n; i++) {
		slot = ns_slot(r, nsv(r)[i].db, nsv(r)[i].coll);
		if (r->htab[slot] != 0) {
			warn0("%s: namespace %s.%s is listed twice in the "
			    "prelude (corrupt)", r->name, nsv(r)[i].db,
			    nsv(r)[i].coll);
			return -1;
		}
		r->htab[slot] = i + 1;
	}
	return 0;
}

int
archive_read_prelude(struct archive_reader *r)
{
	uint32_t magic;
	uint64_t at;
	bson_t b;
	int got;

	if ((got = rd_word(r, &magic, "the magic number")) < 0)
		return -1;
	/* Not a corrupt archive but no archive at all: the caller says. */
	if (got == 0)
		return ARCHIVE_EMPTY;
	if (magic != ARCHIVE_MAGIC) {
		warn0("%s: magic 0x%08lx is not 0x%08x: not a mongodump "
		    "archive", r->name, (unsigned long)magic, ARCHIVE_MAGIC);
		return -1;
	}
	at = r->off;
	if (rd_bson(r, &b, "the archive header", 0) < 0 ||
	    parse_header(r, &b, at) != 0)
		return -1;
	for (;;) {
		at = r->off;
		if ((got = rd_bson(r, &b, "namespace metadata", 1)) < 0)
			return -1;
		if (got == 0)
			break;
		if (parse_nsmeta(r, &b, at) != 0)
			return -1;
	}
	return ns_index(r);
}

/* The index of db.coll in the prelude, or r->ns.n.  Constant time. */
static size_t
ns_find(const struct archive_reader *r, const char *db, const char *coll)
{
	size_t e = r->htab[ns_slot(r, db, coll)];

	return e != 0 ? e - 1 : r->ns.n;
}

/* After the stream ended cleanly: every namespace must have been closed. */
static int
check_all_closed(struct archive_reader *r)
{
	size_t i;

	for (i = 0; i < r->ns.n; i++) {
		if (nsv(r)[i].state != 2) {
			warn0("%s: truncated: the stream ends at byte %llu but "
			    "namespace %s.%s has no EOF block (%s)", r->name,
			    (unsigned long long)r->off, nsv(r)[i].db,
			    nsv(r)[i].coll, nsv(r)[i].state == 0 ?
			    "never seen" : "documents cut short");
			return -1;
		}
	}
	r->ended = 1;
	return 0;
}

/* Check and apply the EOF block of namespace i read at offset at. */
static int
close_ns(struct archive_reader *r, size_t i, uint64_t crc, uint64_t at)
{
	struct archive_ns *ns = &nsv(r)[i];
	uint32_t term;
	int got;

	if ((got = rd_word(r, &term, "the terminator after an EOF block")) <
	    0)
		return -1;
	if (got == 0 || term != TERMINATOR) {
		warn0("%s: namespace %s.%s: %s after the EOF block at byte "
		    "%llu", r->name, ns->db, ns->coll, got == 0 ?
		    "truncated" : "no terminator", (unsigned long long)at);
		return -1;
	}
	if (crc != ns->crc) {
		warn0("%s: namespace %s.%s: CRC mismatch at byte %llu "
		    "(archive says 0x%016llx, documents give 0x%016llx)",
		    r->name, ns->db, ns->coll, (unsigned long long)at,
		    (unsigned long long)crc, (unsigned long long)ns->crc);
		return -1;
	}
	ns->state = 2;
	return 0;
}

/* Outside a segment: read a namespace header (or end).  As archive_next. */
static int
next_header(struct archive_reader *r, struct archive_event *ev)
{
	char *db = NULL, *coll = NULL;
	bson_iter_t it;
	uint64_t at = r->off, crc = 0;
	uint32_t len;
	bson_t b;
	int got, eof = 0, bad = 0, rc = -1;
	size_t i;

	if ((got = rd_word(r, &len, "a namespace header")) < 0)
		return -1;
	if (got == 0)
		return check_all_closed(r) == 0 ? 0 : -1;
	if (len == TERMINATOR) {
		warn0("%s: two terminators in a row at byte %llu (corrupt)",
		    r->name, (unsigned long long)at);
		return -1;
	}
	if (rd_doc(r, len, at, "a namespace header") != 0)
		return -1;
	if (!bson_init_static(&b, r->buf, len) || doc_invalid(&b) != NULL) {
		warn0("%s: namespace header at byte %llu is not valid BSON",
		    r->name, (unsigned long long)at);
		return -1;
	}
	if (!bson_has_field(&b, "db") || !bson_has_field(&b, "collection"))
		bad = 1;
	if ((db = dup_str(&b, "db", &bad)) == NULL ||
	    (coll = dup_str(&b, "collection", &bad)) == NULL)
		goto done;
	/* Like mongorestore, refuse fields the format does not have. */
	if (bson_iter_init(&it, &b)) {
		while (bson_iter_next(&it)) {
			const char *k = bson_iter_key(&it);

			if (strcmp(k, "EOF") == 0 && BSON_ITER_HOLDS_BOOL(&it))
				eof = bson_iter_bool(&it);
			else if (strcmp(k, "CRC") == 0 &&
			    BSON_ITER_HOLDS_INT64(&it))
				crc = (uint64_t)bson_iter_int64(&it);
			else if (strcmp(k, "db") != 0 &&
			    strcmp(k, "collection") != 0)
				bad = 1;
		}
	}
	/* The spec: a segment header's CRC is always 0. */
	if (bad || (!eof && crc != 0)) {
		warn0("%s: namespace header at byte %llu is malformed",
		    r->name, (unsigned long long)at);
		goto done;
	}
	if ((i = ns_find(r, db, coll)) == r->ns.n) {
		warn0("%s: namespace %s.%s at byte %llu is not in the prelude",
		    r->name, db, coll, (unsigned long long)at);
		goto done;
	}
	if (nsv(r)[i].state == 2) {
		warn0("%s: namespace %s.%s reopened at byte %llu after its EOF "
		    "block", r->name, db, coll, (unsigned long long)at);
		goto done;
	}
	if (eof) {
		if (close_ns(r, i, crc, at) != 0)
			goto done;
		ev->type = ARCHIVE_NSEOF;
		ev->ns = i;
		ev->doc = NULL;
		ev->len = 0;
		ev->off = at;
		rc = 1;
	} else {
		nsv(r)[i].state = 1;
		r->cur = i;
		r->insegment = 1;
		rc = 2;		/* go on to the segment's documents */
	}
done:
	free(db);
	free(coll);
	return rc;
}

/* Inside a segment: a document or the terminator.  As archive_next. */
static int
next_doc(struct archive_reader *r, struct archive_event *ev)
{
	struct archive_ns *ns = &nsv(r)[r->cur];
	uint64_t at = r->off;
	const char *why;
	char what[512];
	bson_t b;
	uint32_t len;
	int got;

	if ((got = rd_word(r, &len, "a document")) < 0)
		return -1;
	if (got == 0) {
		warn0("%s: truncated at byte %llu inside a segment of "
		    "namespace %s.%s (no terminator)", r->name,
		    (unsigned long long)at, ns->db, ns->coll);
		return -1;
	}
	if (len == TERMINATOR) {
		r->insegment = 0;
		return 2;
	}
	snprintf(what, sizeof(what), "a document of namespace %s.%s",
	    ns->db, ns->coll);
	if (rd_doc(r, len, at, what) != 0)
		return -1;
	if (!bson_init_static(&b, r->buf, len))
		why = "corrupt BSON";
	else
		why = doc_invalid(&b);
	if (why != NULL) {
		warn0("%s: %s at byte %llu is not valid BSON: %s", r->name,
		    what, (unsigned long long)at, why);
		return -1;
	}
	ns->crc = crc64_xz(ns->crc, r->buf, len);
	ns->ndocs++;
	ns->nbytes += len;
	ev->type = ARCHIVE_DOC;
	ev->ns = r->cur;
	ev->doc = r->buf;
	ev->len = len;
	ev->off = at;
	return 1;
}

int
archive_next(struct archive_reader *r, struct archive_event *ev)
{
	int rc;

	if (r->ended)
		return 0;
	do {
		rc = r->insegment ? next_doc(r, ev) : next_header(r, ev);
	} while (rc == 2);
	return rc;
}
