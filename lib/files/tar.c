/*
 * tar.c - pax tar writer and reader; see tar.h.  References: POSIX.1-2017
 * pax(1) "pax Interchange Format", GNU tar's "Basic Tar Format" (for the
 * 'L'/'K' long-name members and base-256 numbers).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "tar.h"

#define WBUF (256 * 1024)
#define RBUF (256 * 1024)
#define USTAR_SIZE_MAX 077777777777ULL	/* 11 octal digits */
#define USTAR_ID_MAX 07777777ULL	/* 7 octal digits */

/* The ustar header block, field by field. */
struct ustar {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12];
	char chksum[8], typeflag, linkname[100], magic[6], version[2];
	char uname[32], gname[32], devmajor[8], devminor[8], prefix[155];
	char pad[12];
};

struct tar_writer {
	tar_out_fn *out;
	void *ctx;
	unsigned char *buf;
	size_t fill;
	uint64_t offset;	/* bytes handed to out + buffered */
	uint64_t remaining;	/* data bytes the current header still owes */
	uint64_t written;	/* data bytes of the current member so far */
	char *pax;		/* pax records being built */
	size_t paxlen, paxcap;
};

/* ---- writer ---- */

struct tar_writer *
tar_writer_new(tar_out_fn *out, void *ctx)
{
	struct tar_writer *w;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->buf = malloc(WBUF)) == NULL) {
		warnp("malloc");
		free(w);
		return NULL;
	}
	w->out = out;
	w->ctx = ctx;
	return w;
}

void
tar_writer_free(struct tar_writer *w)
{
	if (w == NULL)
		return;
	free(w->buf);
	free(w->pax);
	free(w);
}

uint64_t
tar_writer_offset(const struct tar_writer *w)
{
	return w->offset;
}

static int
wflush(struct tar_writer *w)
{
	if (w->fill > 0 && w->out(w->ctx, w->buf, w->fill) != 0)
		return -1;
	w->fill = 0;
	return 0;
}

int
tar_writer_flush(struct tar_writer *w)
{
	return wflush(w);
}

/* Append raw bytes to the archive (NULL buf: zeros). */
static int
wput(struct tar_writer *w, const void *buf, size_t len)
{
	size_t n;

	while (len > 0) {
		if (w->fill == WBUF && wflush(w) != 0)
			return -1;
		n = WBUF - w->fill < len ? WBUF - w->fill : len;
		if (buf != NULL) {
			memcpy(w->buf + w->fill, buf, n);
			buf = (const unsigned char *)buf + n;
		} else
			memset(w->buf + w->fill, 0, n);
		w->fill += n;
		w->offset += n;
		len -= n;
	}
	return 0;
}

/* Pad the archive with zeros to a multiple of blk. */
static int
wpad(struct tar_writer *w, uint64_t blk)
{
	uint64_t r = w->offset % blk;

	return r == 0 ? 0 : wput(w, NULL, (size_t)(blk - r));
}

/* Octal, zero-padded, NUL-terminated, in a field of len bytes. */
static void
put_octal(char *f, size_t len, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)(len - 1), v);
	memcpy(f, tmp, len - 1);
	f[len - 1] = '\0';
}

static void
set_checksum(struct ustar *h)
{
	const unsigned char *p = (const unsigned char *)h;
	unsigned sum = 0;
	size_t i;

	memset(h->chksum, ' ', sizeof(h->chksum));
	for (i = 0; i < TAR_BLOCK; i++)
		sum += p[i];
	snprintf(h->chksum, sizeof(h->chksum), "%06o", sum);
	h->chksum[7] = ' ';
}

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Append "LEN KEY=VALUE\n" (LEN counts itself) to the pax records. */
static int
pax_add(struct tar_writer *w, const char *key, const void *val, size_t vlen)
{
	size_t base = strlen(key) + vlen + 3, len = base, d;
	char num[24];
	int n;

	/* The length counts its own digits: iterate until it is stable. */
	for (;;) {
		n = snprintf(num, sizeof(num), "%zu", len);
		d = base + (size_t)n;
		if (d == len)
			break;
		len = d;
	}
	if (w->paxlen + len > w->paxcap) {
		size_t cap = (w->paxlen + len) * 2;
		char *p = realloc(w->pax, cap);

		if (p == NULL) {
			warnp("malloc");
			return -1;
		}
		w->pax = p;
		w->paxcap = cap;
	}
	n = snprintf(w->pax + w->paxlen, len, "%zu %s=", len, key);
	memcpy(w->pax + w->paxlen + n, val, vlen);
	w->pax[w->paxlen + len - 1] = '\n';
	w->paxlen += len;
	return 0;
}

static int
pax_add_str(struct tar_writer *w, const char *key, const char *val)
{
	return pax_add(w, key, val, strlen(val));
}

static int
pax_add_num(struct tar_writer *w, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return pax_add_str(w, key, num);
}

static int
pax_add_time(struct tar_writer *w, int64_t sec, long nsec)
{
	char t[48];

	if (sec < 0 && nsec > 0)	/* -1.5 is sec -2 plus 0.5 */
		snprintf(t, sizeof(t), "-%" PRId64 ".%09ld", -(sec + 1),
		    1000000000L - nsec);
	else
		snprintf(t, sizeof(t), "%" PRId64 ".%09ld", sec, nsec);
	return pax_add_str(w, "mtime", t);
}

/*
 * Fit path into ustar name/prefix if it can be done losslessly; else 0.
 * full is the name with the directory slash already appended.
 */
static int
ustar_fit_name(struct ustar *h, const char *full)
{
	size_t len = strlen(full), i;

	if (!is_ascii(full))
		return 0;
	if (len <= sizeof(h->name)) {
		memcpy(h->name, full, len);
		return 1;
	}
	/* Split at a slash: prefix up to 155, name up to 100, non-empty. */
	for (i = len - 1; i > 0; i--) {
		if (full[i] != '/' || i > sizeof(h->prefix))
			continue;
		if (len - i - 1 > sizeof(h->name) || len - i - 1 == 0)
			return 0;
		memcpy(h->prefix, full, i);
		memcpy(h->name, full + i + 1, len - i - 1);
		return 1;
	}
	return 0;
}

/* Collect the pax records e needs and fill what fits into h. */
static int
build_header(struct tar_writer *w, const struct tar_entry *e, struct ustar *h,
    const char *full)
{
	uint64_t size = e->type == TAR_REG ? e->size : 0;
	char key[256];
	size_t i;

	w->paxlen = 0;
	if (!ustar_fit_name(h, full) && pax_add_str(w, "path", full) != 0)
		return -1;
	if (e->link != NULL) {
		if (strlen(e->link) <= sizeof(h->linkname) && is_ascii(e->link))
			memcpy(h->linkname, e->link, strlen(e->link));
		else if (pax_add_str(w, "linkpath", e->link) != 0)
			return -1;
	}
	put_octal(h->mode, sizeof(h->mode), e->mode & 07777);
	put_octal(h->uid, sizeof(h->uid), e->uid <= USTAR_ID_MAX ? e->uid : 0);
	put_octal(h->gid, sizeof(h->gid), e->gid <= USTAR_ID_MAX ? e->gid : 0);
	if ((e->uid > USTAR_ID_MAX && pax_add_num(w, "uid", e->uid) != 0) ||
	    (e->gid > USTAR_ID_MAX && pax_add_num(w, "gid", e->gid) != 0))
		return -1;
	put_octal(h->size, sizeof(h->size), size <= USTAR_SIZE_MAX ? size : 0);
	if (size > USTAR_SIZE_MAX && pax_add_num(w, "size", size) != 0)
		return -1;
	put_octal(h->mtime, sizeof(h->mtime), e->mtime >= 0 &&
	    (uint64_t)e->mtime <= USTAR_SIZE_MAX ? (uint64_t)e->mtime : 0);
	if ((e->mtime_nsec != 0 || e->mtime < 0 ||
	    (uint64_t)e->mtime > USTAR_SIZE_MAX) &&
	    pax_add_time(w, e->mtime, e->mtime_nsec) != 0)
		return -1;
	h->typeflag = (char)e->type;
	memcpy(h->magic, "ustar", 6);
	memcpy(h->version, "00", 2);
	if (e->uname != NULL) {
		if (strlen(e->uname) < sizeof(h->uname) && is_ascii(e->uname))
			memcpy(h->uname, e->uname, strlen(e->uname));
		else if (pax_add_str(w, "uname", e->uname) != 0)
			return -1;
	}
	if (e->gname != NULL) {
		if (strlen(e->gname) < sizeof(h->gname) && is_ascii(e->gname))
			memcpy(h->gname, e->gname, strlen(e->gname));
		else if (pax_add_str(w, "gname", e->gname) != 0)
			return -1;
	}
	put_octal(h->devmajor, sizeof(h->devmajor), e->devmajor & 07777777);
	put_octal(h->devminor, sizeof(h->devminor), e->devminor & 07777777);
	for (i = 0; i < e->nxattrs; i++) {
		snprintf(key, sizeof(key), "SCHILY.xattr.%s", e->xattrs[i].name);
		if (pax_add(w, key, e->xattrs[i].value, e->xattrs[i].len) != 0)
			return -1;
	}
	set_checksum(h);
	return 0;
}

/* The pax 'x' member carrying w->pax, named like GNU tar's. */
static int
write_pax(struct tar_writer *w, const struct tar_entry *e)
{
	struct ustar h;
	const char *base = strrchr(e->path, '/');
	char name[sizeof(h.name) + 1];

	memset(&h, 0, sizeof(h));
	base = base ? base + 1 : e->path;
	snprintf(name, sizeof(name), "PaxHeaders/%.88s", base);
	/* Keep the pax header's own name plain ASCII. */
	for (char *p = name; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '_';
	memcpy(h.name, name, strlen(name));
	put_octal(h.mode, sizeof(h.mode), 0644);
	put_octal(h.uid, sizeof(h.uid), 0);
	put_octal(h.gid, sizeof(h.gid), 0);
	put_octal(h.size, sizeof(h.size), w->paxlen);
	put_octal(h.mtime, sizeof(h.mtime), e->mtime >= 0 &&
	    (uint64_t)e->mtime <= USTAR_SIZE_MAX ? (uint64_t)e->mtime : 0);
	h.typeflag = 'x';
	memcpy(h.magic, "ustar", 6);
	memcpy(h.version, "00", 2);
	set_checksum(&h);
	if (wput(w, &h, sizeof(h)) != 0 || wput(w, w->pax, w->paxlen) != 0)
		return -1;
	return wpad(w, TAR_BLOCK);
}

int
tar_write_header(struct tar_writer *w, const struct tar_entry *e)
{
	struct ustar h;
	char *full;
	size_t len = strlen(e->path);
	int rc = -1;

	if (w->remaining != 0 || w->offset % TAR_BLOCK != 0) {
		warn0("%s: previous member not ended (bug)", e->path);
		return -1;
	}
	if ((full = malloc(len + 2)) == NULL) {
		warnp("malloc");
		return -1;
	}
	memcpy(full, e->path, len + 1);
	if (e->type == TAR_DIR && (len == 0 || full[len - 1] != '/'))
		memcpy(full + len, "/", 2);
	memset(&h, 0, sizeof(h));
	if (build_header(w, e, &h, full) != 0)
		goto done;
	if (w->paxlen > 0 && write_pax(w, e) != 0)
		goto done;
	if (wput(w, &h, sizeof(h)) != 0)
		goto done;
	w->remaining = e->type == TAR_REG ? e->size : 0;
	w->written = 0;
	rc = 0;
done:
	free(full);
	return rc;
}

int
tar_write_data(struct tar_writer *w, const void *buf, size_t len)
{
	if (len > w->remaining) {
		warn0("member data longer than its header says (bug)");
		return -1;
	}
	if (wput(w, buf, len) != 0)
		return -1;
	w->remaining -= len;
	w->written += len;
	return 0;
}

int
tar_member_end(struct tar_writer *w, uint64_t *missing)
{
	uint64_t n = w->remaining;

	if (missing != NULL)
		*missing = n;
	while (w->remaining > 0) {
		size_t k = w->remaining > WBUF ? WBUF : (size_t)w->remaining;

		if (wput(w, NULL, k) != 0)
			return -1;
		w->remaining -= k;
	}
	return wpad(w, TAR_BLOCK);
}

int
tar_writer_finish(struct tar_writer *w)
{
	int rc = -1;

	if (w->remaining != 0)
		warn0("last member not ended (bug)");
	else if (wpad(w, TAR_BLOCK) == 0 && wput(w, NULL, 2 * TAR_BLOCK) == 0 &&
	    wpad(w, TAR_RECORD) == 0 && wflush(w) == 0)
		rc = 0;
	tar_writer_free(w);
	return rc;
}

/* ---- reader ---- */

struct tar_reader {
	tar_in_fn *in;
	void *ctx;
	const char *name;
	unsigned char *buf;
	size_t pos, fill;
	int eof;
	int empty;		/* the stream held no byte at all */
	uint64_t offset;	/* archive bytes consumed */
	uint64_t member;	/* offset of the current member's first header */
	uint64_t remaining;	/* data bytes left in the current member */
	uint64_t padding;	/* zeros after them */
	char *path, *link;	/* from pax, for the next header */
	char *gpath, *glink;	/* from GNU 'L'/'K' (pax wins over them) */
	char *uname, *gname;
	char *pax;		/* the pax records, kept for xattr values */
	char hname[257], hlink[101], huname[33], hgname[33];
	char cur[TAR_PATH_MAX + 1];	/* name of the member, for messages */
};

struct tar_reader *
tar_reader_new(tar_in_fn *in, void *ctx, const char *name)
{
	struct tar_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->buf = malloc(RBUF)) == NULL) {
		warnp("malloc");
		free(r);
		return NULL;
	}
	r->in = in;
	r->ctx = ctx;
	r->name = name;
	return r;
}

static void
clear_pending(struct tar_reader *r)
{
	free(r->path);
	free(r->link);
	free(r->gpath);
	free(r->glink);
	free(r->uname);
	free(r->gname);
	r->path = r->link = r->gpath = r->glink = r->uname = r->gname = NULL;
}

void
tar_reader_free(struct tar_reader *r)
{
	if (r == NULL)
		return;
	clear_pending(r);
	free(r->pax);
	free(r->buf);
	free(r);
}

uint64_t
tar_member_offset(const struct tar_reader *r)
{
	return r->member;
}

int
tar_reader_empty(const struct tar_reader *r)
{
	return r->empty;
}

void
tar_printable(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src != '\0' && o + 1 < len; src++)
		dst[o++] = (unsigned char)*src < 0x20 ||
		    (unsigned char)*src == 0x7f ? '?' : *src;
	dst[o] = '\0';
}

/* Report a problem with the current member. */
static void
rwarn(struct tar_reader *r, const char *msg)
{
	char name[TAR_PATH_MAX + 1];

	tar_printable(name, sizeof(name), r->cur);
	if (r->cur[0] != '\0')
		warn0("%s: member %s at byte %" PRIu64 ": %s", r->name, name,
		    r->member, msg);
	else
		warn0("%s: header at byte %" PRIu64 ": %s", r->name, r->member,
		    msg);
}

/* Report a stream that ended early, with the offset where it did. */
static void
rtrunc(struct tar_reader *r, const char *where)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "stream ends at byte %" PRIu64 " %s "
	    "(truncated)", r->offset, where);
	rwarn(r, msg);
}

/* Refill the buffer; -1 on error, 0 at EOF, else bytes available. */
static ssize_t
refill(struct tar_reader *r)
{
	ssize_t n;

	if (r->pos < r->fill)
		return (ssize_t)(r->fill - r->pos);
	if (r->eof)
		return 0;
	r->pos = r->fill = 0;
	n = r->in(r->ctx, r->buf, RBUF);
	if (n < 0)
		return -1;
	if (n == 0)
		r->eof = 1;
	r->fill = (size_t)n;
	return n;
}

/*
 * Read exactly len bytes (dst NULL: skip them).  1 if done, 0 if the
 * stream ended first (nothing consumed reported), -1 on error.
 */
static int
rget(struct tar_reader *r, void *dst, uint64_t len)
{
	ssize_t n;
	size_t k;

	while (len > 0) {
		if ((n = refill(r)) <= 0)
			return (int)n;
		k = (uint64_t)n < len ? (size_t)n : (size_t)len;
		if (dst != NULL) {
			memcpy(dst, r->buf + r->pos, k);
			dst = (unsigned char *)dst + k;
		}
		r->pos += k;
		r->offset += k;
		len -= k;
	}
	return 1;
}

int
tar_parse_number(const char *f, size_t len, uint64_t *out)
{
	const unsigned char *u = (const unsigned char *)f;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 0 && (u[0] & 0x80)) {
		/* GNU base-256: big-endian, first byte's top bit set. */
		if (u[0] & 0x40)
			return -1;	/* negative */
		v = u[0] & 0x3f;
		for (i = 1; i < len; i++) {
			if (v > (UINT64_MAX >> 8))
				return -1;
			v = (v << 8) | u[i];
		}
		if (v > INT64_MAX)
			return -1;
		*out = v;
		return 0;
	}
	while (i < len && (f[i] == ' ' || f[i] == '\0'))
		i++;	/* an empty field is 0, as GNU tar reads it */
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > (UINT64_MAX >> 3))
			return -1;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

int
tar_parse_time(const char *s, int64_t *sec, long *nsec)
{
	int neg = 0, digits = 0;
	uint64_t v = 0;
	long ns = 0, scale = 100000000L;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (v > (uint64_t)INT64_MAX / 10 - 1)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (digits == 0)
		return -1;
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++) {
			ns += scale * (*s - '0');
			scale /= 10;
		}
	}
	if (*s != '\0')
		return -1;
	if (neg && ns > 0) {
		*sec = -(int64_t)v - 1;
		*nsec = 1000000000L - ns;
	} else {
		*sec = neg ? -(int64_t)v : (int64_t)v;
		*nsec = ns;
	}
	return 0;
}

static int
replace_str(char **dst, const char *src, size_t len)
{
	char *p;

	if ((p = malloc(len + 1)) == NULL) {
		warnp("malloc");
		return -1;
	}
	memcpy(p, src, len);
	p[len] = '\0';
	free(*dst);
	*dst = p;
	return 0;
}

/* Values of a pax header that matter to a member, before its header. */
struct paxvals {
	int has_size, has_uid, has_gid, has_mtime;
	uint64_t size, uid, gid;
	int64_t mtime;
	long nsec;
};

static int
pax_decimal(const char *v, size_t len, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	if (n > INT64_MAX)
		return -1;
	*out = n;
	return 0;
}

/* Apply one pax record; -1 (reported) if it is malformed or refused. */
static int
pax_record(struct tar_reader *r, struct paxvals *pv, struct tar_entry *e,
    const char *key, const char *val, size_t vlen, int global)
{
	char tmp[64];
	int bad = 0;

	if (strncmp(key, "GNU.sparse.", 11) == 0) {
		rwarn(r, "GNU sparse member: not supported; refused");
		return -1;
	}
	if (global)
		return 0;	/* bk-dump writes none; others' are ignored */
	if (strcmp(key, "path") == 0 || strcmp(key, "linkpath") == 0) {
		if (vlen > TAR_PATH_MAX || memchr(val, '\0', vlen) != NULL) {
			rwarn(r, "pax path longer than the cap or holds NUL");
			return -1;
		}
		return replace_str(key[0] == 'p' ? &r->path : &r->link, val,
		    vlen);
	}
	if (strcmp(key, "uname") == 0 || strcmp(key, "gname") == 0) {
		if (vlen > 255 || memchr(val, '\0', vlen) != NULL)
			return 0;
		return replace_str(key[0] == 'u' ? &r->uname : &r->gname, val,
		    vlen);
	}
	if (strcmp(key, "size") == 0)
		bad = pax_decimal(val, vlen, &pv->size) != 0 || !++pv->has_size;
	else if (strcmp(key, "uid") == 0)
		bad = pax_decimal(val, vlen, &pv->uid) != 0 || !++pv->has_uid;
	else if (strcmp(key, "gid") == 0)
		bad = pax_decimal(val, vlen, &pv->gid) != 0 || !++pv->has_gid;
	else if (strcmp(key, "mtime") == 0) {
		if (vlen >= sizeof(tmp))
			bad = 1;
		else {
			memcpy(tmp, val, vlen);
			tmp[vlen] = '\0';
			bad = tar_parse_time(tmp, &pv->mtime, &pv->nsec) != 0;
			pv->has_mtime = 1;
		}
	} else if (strncmp(key, "SCHILY.xattr.", 13) == 0) {
		size_t i;

		/* A repeated record replaces the earlier one (GNU tar). */
		for (i = 0; i < e->nxattrs; i++)
			if (strcmp(e->xattrs[i].name, key + 13) == 0)
				break;
		if (i < e->nxattrs) {
			e->xattrs[i].value = (const unsigned char *)val;
			e->xattrs[i].len = vlen;
			return 0;
		}
		if (e->nxattrs == TAR_XATTR_MAX) {
			rwarn(r, "too many extended attributes");
			return -1;
		}
		e->xattrs[e->nxattrs].name = key + 13;
		e->xattrs[e->nxattrs].value = (const unsigned char *)val;
		e->xattrs[e->nxattrs].len = vlen;
		e->nxattrs++;
	}
	if (bad) {
		rwarn(r, "malformed pax record value");
		return -1;
	}
	return 0;
}

/* Parse the len bytes of pax records at p (modified in place). */
static int
parse_pax(struct tar_reader *r, char *p, size_t len, struct paxvals *pv,
    struct tar_entry *e, int global)
{
	char *end = p + len, *sp, *eq;
	uint64_t rlen;

	while (p < end) {
		if ((sp = memchr(p, ' ', (size_t)(end - p))) == NULL ||
		    pax_decimal(p, (size_t)(sp - p), &rlen) != 0 ||
		    rlen < 5 || rlen > (uint64_t)(end - p) ||
		    p[rlen - 1] != '\n' ||
		    (eq = memchr(sp + 1, '=', (size_t)(p + rlen - sp - 1))) ==
		    NULL) {
			rwarn(r, "malformed pax extended header record");
			return -1;
		}
		*eq = '\0';	/* the key is now a C string */
		p[rlen - 1] = '\0';
		if (pax_record(r, pv, e, sp + 1, eq + 1,
		    (size_t)(p + rlen - 1 - eq - 1), global) != 0)
			return -1;
		p += rlen;
	}
	return 0;
}

static int
is_zero_block(const unsigned char *b)
{
	size_t i;

	for (i = 0; i < TAR_BLOCK; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static int
checksum_ok(const unsigned char *b)
{
	const struct ustar *h = (const struct ustar *)b;
	unsigned long usum = 0;
	long ssum = 0;
	uint64_t want;
	size_t i;

	if (tar_parse_number(h->chksum, sizeof(h->chksum), &want) != 0)
		return 0;
	for (i = 0; i < TAR_BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];

		usum += c;
		ssum += (signed char)c;
	}
	return want == usum || (int64_t)want == ssum;
}

/* Copy a fixed field into a C string of at most len bytes. */
static void
field_str(char *dst, const char *f, size_t len)
{
	size_t n = strnlen(f, len);

	memcpy(dst, f, n);
	dst[n] = '\0';
}

/* Read the data of a 'x', 'g', 'L' or 'K' member into a new buffer. */
static char *
read_meta(struct tar_reader *r, uint64_t size, uint64_t cap)
{
	char *p;
	int rc;

	if (size > cap) {
		rwarn(r, "extended header larger than the cap; refused");
		return NULL;
	}
	if ((p = malloc((size_t)size + 1)) == NULL) {
		warnp("malloc");
		return NULL;
	}
	if ((rc = rget(r, p, size)) != 1 ||
	    (rc = rget(r, NULL, (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK)) != 1) {
		if (rc == 0)
			rtrunc(r, "inside an extended header");
		free(p);
		return NULL;
	}
	p[size] = '\0';
	return p;
}

/*
 * An extended header: 'x' is kept in r->pax (xattr values point into it),
 * 'g' is checked and dropped, 'L'/'K' set the pending long names.
 */
static int
extended(struct tar_reader *r, char flag, uint64_t size, struct paxvals *pv,
    struct tar_entry *e)
{
	char *p;
	int rc = -1;

	if ((p = read_meta(r, size, flag == 'x' || flag == 'g' ? TAR_PAX_MAX :
	    TAR_PATH_MAX + 1)) == NULL)
		return -1;
	if (flag == 'x') {
		/* A second pax header replaces the first whole, as in GNU tar. */
		free(r->pax);
		free(r->path);
		free(r->link);
		free(r->uname);
		free(r->gname);
		r->path = r->link = r->uname = r->gname = NULL;
		memset(pv, 0, sizeof(*pv));
		e->nxattrs = 0;
		r->pax = p;
		return parse_pax(r, p, (size_t)size, pv, e, 0);
	}
	if (flag == 'g')
		rc = parse_pax(r, p, (size_t)size, pv, e, 1);
	/*
	 * Of several 'L' (or 'K') records the last wins, as in GNU tar and
	 * bsdtar; a pax path (linkpath) wins over them whatever the order.
	 */
	else if (flag == 'L')
		rc = replace_str(&r->gpath, p, strlen(p));
	else
		rc = replace_str(&r->glink, p, strlen(p));
	free(p);
	return rc;
}

/* At the end-of-archive block: read the stream to its end. */
static int
drain(struct tar_reader *r)
{
	ssize_t n;

	while ((n = refill(r)) > 0) {
		r->offset += (uint64_t)n;
		r->pos = r->fill;
	}
	return n < 0 ? -1 : 0;
}

/* Fill e from the ustar block b and whatever extended headers preceded. */
static int
fill_entry(struct tar_reader *r, const unsigned char *b, struct paxvals *pv,
    struct tar_entry *e)
{
	const struct ustar *h = (const struct ustar *)b;
	uint64_t v;
	int gnu = memcmp(h->magic, "ustar  ", 8) == 0;
	size_t n;

	if (tar_parse_number(h->mode, sizeof(h->mode), &v) != 0)
		goto bad;
	e->mode = (mode_t)(v & 07777);
	if (pv->has_uid)
		e->uid = pv->uid;
	else if (tar_parse_number(h->uid, sizeof(h->uid), &e->uid) != 0)
		goto bad;
	if (pv->has_gid)
		e->gid = pv->gid;
	else if (tar_parse_number(h->gid, sizeof(h->gid), &e->gid) != 0)
		goto bad;
	if (pv->has_size)
		e->size = pv->size;
	else if (tar_parse_number(h->size, sizeof(h->size), &e->size) != 0)
		goto bad;
	if (pv->has_mtime) {
		e->mtime = pv->mtime;
		e->mtime_nsec = pv->nsec;
	} else if (tar_parse_number(h->mtime, sizeof(h->mtime), &v) != 0)
		goto bad;
	else {
		e->mtime = (int64_t)v;
		e->mtime_nsec = 0;
	}
	if (tar_parse_number(h->devmajor, sizeof(h->devmajor), &v) != 0)
		goto bad;
	e->devmajor = (unsigned)v;
	if (tar_parse_number(h->devminor, sizeof(h->devminor), &v) != 0)
		goto bad;
	e->devminor = (unsigned)v;

	/* Name: pax/GNU long name, else ustar prefix "/" name. */
	r->hname[0] = '\0';
	if (!gnu && h->prefix[0] != '\0') {
		field_str(r->hname, h->prefix, sizeof(h->prefix));
		strcat(r->hname, "/");
	}
	n = strlen(r->hname);
	field_str(r->hname + n, h->name, sizeof(h->name));
	field_str(r->hlink, h->linkname, sizeof(h->linkname));
	field_str(r->huname, h->uname, sizeof(h->uname));
	field_str(r->hgname, h->gname, sizeof(h->gname));
	e->path = r->path ? r->path : r->gpath ? r->gpath : r->hname;
	e->link = r->link ? r->link : r->glink ? r->glink : r->hlink;
	e->uname = r->uname ? r->uname : r->huname;
	e->gname = r->gname ? r->gname : r->hgname;
	snprintf(r->cur, sizeof(r->cur), "%s", e->path);
	return 0;
bad:
	snprintf(r->cur, sizeof(r->cur), "%.100s", h->name);
	rwarn(r, "malformed numeric field in the header");
	return -1;
}

/* Map the type flag; data-carrying members set r->remaining. */
static int
set_type(struct tar_reader *r, char flag, struct tar_entry *e)
{
	size_t n = strlen(e->path);

	switch (flag) {
	case '0': case '\0': case '7':
		e->type = (n > 0 && e->path[n - 1] == '/') ? TAR_DIR : TAR_REG;
		break;
	case '1': case '2': case '3': case '4': case '5': case '6':
		e->type = flag;
		break;
	case 'S':
		rwarn(r, "GNU sparse member: not supported; refused");
		return -1;
	default:
		rwarn(r, "unknown member type; refused");
		return -1;
	}
	/* Only regular files carry data. */
	if (e->type != TAR_REG)
		e->size = 0;
	r->remaining = e->size;
	r->padding = (TAR_BLOCK - e->size % TAR_BLOCK) % TAR_BLOCK;
	return 0;
}

int
tar_next(struct tar_reader *r, struct tar_entry *e)
{
	unsigned char b[TAR_BLOCK];
	const struct ustar *h = (const struct ustar *)b;
	struct paxvals pv;
	uint64_t size;
	int rc;

	/* Skip the rest of the previous member. */
	if ((rc = rget(r, NULL, r->remaining + r->padding)) != 1) {
		if (rc == 0)
			rtrunc(r, "inside the member's data");
		return -1;
	}
	r->remaining = r->padding = 0;
	clear_pending(r);
	free(r->pax);
	r->pax = NULL;
	memset(&pv, 0, sizeof(pv));
	memset(e, 0, sizeof(*e));
	r->member = r->offset;
	r->cur[0] = '\0';
	for (;;) {
		if ((rc = rget(r, b, TAR_BLOCK)) != 1) {
			if (rc == 0 && r->offset == 0) {
				r->empty = 1;
				warn0("%s: empty input: an earlier stage of the "
				    "pipeline probably failed", r->name);
			} else if (rc == 0)
				rtrunc(r, "before the end-of-archive blocks");
			return -1;
		}
		if (is_zero_block(b)) {
			if (r->path != NULL || r->gpath != NULL ||
			    pv.has_size) {
				rwarn(r, "extended header without a member");
				return -1;
			}
			return drain(r) == 0 ? 0 : -1;
		}
		if (memcmp(h->magic, "ustar", 5) != 0) {
			rwarn(r, "not a tar header (no ustar magic)");
			return -1;
		}
		snprintf(r->cur, sizeof(r->cur), "%.100s", h->name);
		if (!checksum_ok(b)) {
			rwarn(r, "header checksum mismatch");
			return -1;
		}
		if (tar_parse_number(h->size, sizeof(h->size), &size) != 0) {
			rwarn(r, "malformed size field");
			return -1;
		}
		if (h->typeflag == 'x' || h->typeflag == 'g' ||
		    h->typeflag == 'L' || h->typeflag == 'K') {
			if (extended(r, h->typeflag, size, &pv, e) != 0)
				return -1;
			continue;
		}
		break;
	}
	if (fill_entry(r, b, &pv, e) != 0 || set_type(r, h->typeflag, e) != 0)
		return -1;
	return 1;
}

ssize_t
tar_read(struct tar_reader *r, void *buf, size_t len)
{
	ssize_t n;
	size_t k;

	if (r->remaining == 0)
		return 0;
	if ((n = refill(r)) < 0)
		return -1;
	if (n == 0) {
		rtrunc(r, "inside the member's data");
		return -1;
	}
	k = (size_t)n < len ? (size_t)n : len;
	if (k > r->remaining)
		k = (size_t)r->remaining;
	memcpy(buf, r->buf + r->pos, k);
	r->pos += k;
	r->offset += k;
	r->remaining -= k;
	return (ssize_t)k;
}
