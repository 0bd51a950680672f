/*
 * archive.h - the mongodump --archive stream format (mongo-tools
 * common/archive/spec.md), written and read incrementally with bounded
 * memory.  All integers are little-endian.
 *
 *   magic 6D E2 99 81
 *   header   {concurrent_collections, version, server_version, tool_version}
 *   metadata {db, collection, metadata, size, type}    one per namespace
 *   FF FF FF FF
 *   then, until the end:
 *     {db, collection, EOF:false, CRC:0} doc... FF FF FF FF    a segment
 *     {db, collection, EOF:true,  CRC}          FF FF FF FF    a namespace ends
 *
 * CRC is CRC-64/XZ of the concatenated raw documents of the namespace.
 */
#ifndef BK_ARCHIVE_H
#define BK_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARCHIVE_MAGIC 0x8199e26dU
#define ARCHIVE_VERSION "0.1"
/* Hard caps: a BSON document (the server's limit) and prelude entries. */
#define ARCHIVE_DOC_MIN 5
#define ARCHIVE_DOC_MAX (16 * 1024 * 1024)
#define ARCHIVE_NS_MAX 100000
/* The metadata strings of all namespaces of a prelude together. */
#define ARCHIVE_META_MAX (64 * 1024 * 1024)

/* CRC-64/XZ (Go's crc64.ECMA as used by mongodump): crc = 0 to start. */
uint64_t crc64_xz(uint64_t crc, const void *buf, size_t len);

/* One namespace as the prelude lists it, and what the reader saw of it. */
struct archive_ns {
	char *db;
	char *coll;
	char *metadata;		/* canonical Extended JSON; may be "" */
	char *type;		/* "", "view", "timeseries" */
	int64_t size;
	/* Filled in by the reader as the stream goes by. */
	uint64_t crc;
	uint64_t ndocs;
	uint64_t nbytes;
	int state;		/* 0 not seen, 1 segments seen, 2 closed */
};

struct archive_header {
	int32_t concurrent;
	char *version;
	char *server_version;
	char *tool_version;
};

/* Where the writer sends bytes: write() returns 0 or -1 (reported). */
struct archive_out {
	int (*write)(void *ctx, const void *buf, size_t len);
	void *ctx;
	/*
	 * The namespace whose segment is open (its terminator not yet
	 * written), as mongodump's multiplexer keeps it: NULL if none.
	 */
	char *open_db, *open_coll;
};

/*
 * Write the magic, the header and one metadata document per namespace
 * (db, coll, metadata, type; size as int32 when it fits, as mongodump's
 * Go encoder does), then the terminator.  More than ARCHIVE_NS_MAX
 * namespaces or ARCHIVE_META_MAX bytes of metadata, which the reader
 * refuses, are refused here.  0 or -1 (reported).
 */
int archive_put_prelude(const struct archive_out *o,
    const struct archive_header *h, const struct archive_ns *ns, size_t n);
/*
 * Write one segment: the namespace header, len bytes of whole documents
 * (the caller has checked them), the terminator.  0 or -1.
 */
int archive_put_segment(struct archive_out *o, const char *db,
    const char *coll, const void *docs, size_t len);
/* Write the EOF block of a namespace with the CRC of its documents. */
int archive_put_eof(struct archive_out *o, const char *db,
    const char *coll, uint64_t crc);

/* Reader. */
struct archive_reader;
/* Source of bytes: fewer than len only at the end, 0 at the end, -1 error. */
typedef ssize_t archive_readfn(void *ctx, void *buf, size_t len);

enum archive_evtype { ARCHIVE_DOC = 1, ARCHIVE_NSEOF = 2 };
struct archive_event {
	enum archive_evtype type;
	size_t ns;			/* index into the prelude */
	const unsigned char *doc;	/* ARCHIVE_DOC: valid until next call */
	size_t len;
	uint64_t off;			/* stream offset of the document/block */
};

/* A reader of the stream; name is used in every message ("<stdin>"). */
struct archive_reader *archive_reader_new(archive_readfn *fn, void *ctx,
    const char *name);
/*
 * Read and check the magic, the header and the metadata documents (at
 * most ARCHIVE_NS_MAX namespaces, each listed once, with at most
 * ARCHIVE_META_MAX bytes of metadata together).  0, -1 (reported with the
 * byte offset), or ARCHIVE_EMPTY if the stream is empty (not reported:
 * the caller knows whether that means an earlier stage failed).
 */
#define ARCHIVE_EMPTY 1
int archive_read_prelude(struct archive_reader *r);
/* The header and the namespaces, valid after archive_read_prelude. */
const struct archive_header *archive_reader_header(
    const struct archive_reader *r);
struct archive_ns *archive_reader_ns(const struct archive_reader *r,
    size_t *n);
/*
 * The next document or namespace end.  Returns 1 with *ev filled, 0 at a
 * clean end of stream (every namespace of the prelude closed), or -1 on a
 * malformed, truncated or corrupt stream (reported: namespace and byte
 * offset).  Every document handed out is valid BSON (walked to the end,
 * UTF-8 checked).  A namespace's CRC is checked before its ARCHIVE_NSEOF
 * is returned; lookups of a namespace take constant time.
 */
int archive_next(struct archive_reader *r, struct archive_event *ev);
/* Bytes of the (uncompressed) stream consumed so far. */
uint64_t archive_reader_offset(const struct archive_reader *r);
/* NULL is a no-op. */
void archive_reader_free(struct archive_reader *r);

/* "db.coll" into a new string (NULL on malloc failure, reported). */
char *archive_nsname(const char *db, const char *coll);

#endif /* !BK_ARCHIVE_H */
