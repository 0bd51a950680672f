/*
 * compress.h - gzip and zstd, as stream stages (io/stage.h) and as
 * streams over a file descriptor.  Writers compress; readers detect gzip
 * or zstd by magic (or pass plain data through) and report a truncated or
 * corrupt stream precisely, with the compressed byte offset.
 */
#ifndef BK_COMPRESS_H
#define BK_COMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum bk_comp { BK_COMP_NONE, BK_COMP_GZIP, BK_COMP_ZSTD };

/*
 * Levels for a method named without one.  For zstd, bk_comp_parse gives
 * BK_ZSTD_DEFAULT, which the writer turns into a setting chosen per 4 MiB
 * frame (io/zpolicy.h: level 3, or a deeper search where a trial shows it
 * saves 8%): it stores 4.2%, 1.9% and 2.9% less than gzip -6 on make
 * bench's three archives at 4.9 to 11 times less CPU.  bk-dump(1), -z,
 * and docs/BENCHMARKS.md give the measurements.
 */
#define BK_GZIP_DEFAULT_LEVEL 6
#define BK_ZSTD_DEFAULT 0
/*
 * zstd compression threads besides the caller's: none.  With one, zstd
 * holds a finished 8 MiB job's output until the next write, so while the
 * source stalls (a slow database) the stream does not reach the next
 * stage, and bk-dump peaked at 70 MiB instead of 26; it saved no CPU.
 */
#define BK_ZSTD_WORKERS 0

/*
 * The largest zstd window a reader accepts (2^27 = 128 MiB, what zstd
 * -22 and --long use): bounds a reader's memory whatever the input says.
 */
#define BK_ZSTD_WINDOWLOG_MAX 27

/*
 * Parse "none", "gzip", "zstd", optionally ":LEVEL" ("zstd:19", "gzip:9").
 * level gets the default for the method when none is given.  -1 on a bad
 * spec (reported).
 */
int bk_comp_parse(const char *spec, enum bk_comp *method, int *level);
/* "none", "gzip" or "zstd". */
const char *bk_comp_name(enum bk_comp method);

struct bk_stage;
/*
 * A stage compressing what it takes with method at level (as from
 * bk_comp_parse) into next; name is the stream, for messages.  NULL on
 * error (reported; next is freed).
 */
struct bk_stage *bk_stage_compress(enum bk_comp method, int level,
    const char *name, struct bk_stage *next);
/*
 * A stage decompressing what it takes (name: what it reads) into next,
 * the method detected from the first bytes, plain data passed through.
 * A truncated or corrupt stream, or garbage after it, is BK_FAIL
 * (reported).  NULL on error (reported; next is freed).
 */
struct bk_stage *bk_stage_decompress(const char *name, struct bk_stage *next);
/* The method a decompressing stage detected (BK_COMP_NONE until then). */
enum bk_comp bk_stage_decompress_method(const struct bk_stage *s);

/* The fd writer: a compressing stage into an fd sink. */
struct bk_zwriter;
/* A writer compressing into fd (name for messages); NULL on error. */
struct bk_zwriter *bk_zwriter_new(int fd, enum bk_comp method, int level,
    const char *name);
/* Compress len bytes; -1 on error (reported). */
int bk_zwriter_write(struct bk_zwriter *w, const void *buf, size_t len);
/* End the stream, write what is pending, free w.  -1 on error. */
int bk_zwriter_finish(struct bk_zwriter *w);
/* Compressed bytes written to fd so far. */
uint64_t bk_zwriter_out(const struct bk_zwriter *w);
/* Free w without finishing (after an error); NULL is a no-op. */
void bk_zwriter_free(struct bk_zwriter *w);

/* The fd reader: pulls through the decompressing stage's decoder. */
struct bk_zreader;
/* A reader of fd that detects the compression from the first bytes. */
struct bk_zreader *bk_zreader_new(int fd, const char *name);
/*
 * Read up to len decompressed bytes.  Returns the count (less than len
 * only at the end of the stream), 0 at a clean end, or -1 on error
 * (reported, with the compressed byte offset), including a stream that
 * ends inside a gzip member or zstd frame, or garbage after it.
 */
ssize_t bk_zreader_read(struct bk_zreader *r, void *buf, size_t len);
/* The method detected. */
enum bk_comp bk_zreader_method(const struct bk_zreader *r);
/* Compressed (raw) bytes consumed from fd so far. */
uint64_t bk_zreader_in(const struct bk_zreader *r);
/* NULL is a no-op. */
void bk_zreader_free(struct bk_zreader *r);

#endif /* !BK_COMPRESS_H */
