/*
 * tar.h - POSIX pax tar streams: a header writer (ustar blocks, with a pax
 * extended header in front whenever a field does not fit ustar or needs
 * more precision), and a reader of ustar, pax and GNU long-name members.
 * The reader trusts no length it reads: every one has a hard cap, and a
 * bad checksum, a malformed field or a stream that ends early is reported
 * naming the member and its byte offset.
 */
#ifndef BK_TAR_H
#define BK_TAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAR_BLOCK 512
#define TAR_RECORD 10240		/* what the end of an archive is padded to */
#define TAR_PATH_MAX 4096		/* longest name or link target accepted */
#define TAR_PAX_MAX (1024 * 1024)	/* largest pax extended header accepted */
#define TAR_XATTR_MAX 64		/* most extended attributes per member */

enum tar_type {
	TAR_REG = '0', TAR_HARD = '1', TAR_SYM = '2', TAR_CHR = '3',
	TAR_BLK = '4', TAR_DIR = '5', TAR_FIFO = '6'
};

struct tar_xattr {
	const char *name;		/* "user.foo", without SCHILY.xattr. */
	const unsigned char *value;
	size_t len;
};

/*
 * One member.  path is relative and has no trailing slash (the writer adds
 * one for directories).  link is the symlink target or the hard link's
 * member name.  Strings filled in by the reader stay valid until the next
 * tar_next().
 */
struct tar_entry {
	const char *path;
	const char *link;
	int type;			/* enum tar_type */
	mode_t mode;			/* permission bits, 07777 */
	uint64_t uid, gid;
	const char *uname, *gname;	/* "" when unknown */
	uint64_t size;			/* data bytes (regular files only) */
	int64_t mtime;
	long mtime_nsec;
	unsigned devmajor, devminor;
	struct tar_xattr xattrs[TAR_XATTR_MAX];
	size_t nxattrs;
};

/* Output and input callbacks: out returns 0 or -1, in as read(2). */
typedef int tar_out_fn(void *ctx, const void *buf, size_t len);
typedef ssize_t tar_in_fn(void *ctx, void *buf, size_t len);

struct tar_writer;
/* A writer buffering into out(ctx, ...); NULL on error (reported). */
struct tar_writer *tar_writer_new(tar_out_fn *out, void *ctx);
/*
 * Write the header(s) of e.  The previous member must have been ended
 * with tar_member_end().  -1 on error (reported, naming e->path).
 */
int tar_write_header(struct tar_writer *w, const struct tar_entry *e);
/*
 * Write member data.  Refuses (-1, reported) to write past the size the
 * header declared, so the stream can never be corrupted by a file that
 * grew.
 */
int tar_write_data(struct tar_writer *w, const void *buf, size_t len);
/*
 * End the member: pad with zeros up to the declared size (a file that
 * shrank) and to the block boundary.  *missing gets the number of zero
 * bytes that stood in for data.  0 or -1.
 */
int tar_member_end(struct tar_writer *w, uint64_t *missing);
/* Write the end-of-archive blocks, flush and free w.  0 or -1. */
int tar_writer_finish(struct tar_writer *w);
/* Hand what is buffered to out now (0 or -1). */
int tar_writer_flush(struct tar_writer *w);
/* Bytes of archive produced so far. */
uint64_t tar_writer_offset(const struct tar_writer *w);
/* Free without finishing; NULL is a no-op. */
void tar_writer_free(struct tar_writer *w);

struct tar_reader;
/* A reader of in(ctx, ...); name ("<stdin>") is for messages. */
struct tar_reader *tar_reader_new(tar_in_fn *in, void *ctx, const char *name);
/*
 * Skip what is left of the current member and parse the next one into e.
 * Of repeated GNU 'L'/'K' records or repeated pax records the last wins,
 * and a second pax header replaces the first (as GNU tar reads them); a
 * pax path or linkpath wins over 'L'/'K'.
 * Returns 1, 0 at the end of the archive (after reading the stream to its
 * end, so a compressed stream's trailer is checked), or -1 on a corrupt or
 * truncated stream (reported with member name and byte offset).
 */
int tar_next(struct tar_reader *r, struct tar_entry *e);
/* Read up to len bytes of the member's data: count, 0 at its end, -1. */
ssize_t tar_read(struct tar_reader *r, void *buf, size_t len);
/* Archive byte offset of the current member's first header. */
uint64_t tar_member_offset(const struct tar_reader *r);
/*
 * 1 if tar_next() failed because the stream held no byte at all (reported
 * as "empty input": an earlier stage of a pipeline failed, no archive is
 * corrupt).
 */
int tar_reader_empty(const struct tar_reader *r);
/* NULL is a no-op. */
void tar_reader_free(struct tar_reader *r);

/* Copy src to dst (len bytes) with control characters shown as '?'. */
void tar_printable(char *dst, size_t len, const char *src);

/* Helpers exposed for the unit tests. */
/* Parse a numeric header field (octal or base-256); -1 if malformed. */
int tar_parse_number(const char *f, size_t len, uint64_t *out);
/* Parse a pax mtime "SEC[.FRAC]"; -1 if malformed. */
int tar_parse_time(const char *s, int64_t *sec, long *nsec);

#endif /* !BK_TAR_H */
