/*
 * stage.h - stream stages: filters that compose inside one process.
 *
 * A stage takes bytes (bk_stage_write), does its work on them and writes
 * what it makes into the next stage of its chain; bk_stage_finish says the
 * input has ended, so each stage flushes what it holds and finishes the
 * next.  A sink (fd, memory) has no next.  A chain is built from its end:
 *
 *	sink = bk_stage_fd(STDOUT_FILENO, "<stdout>");
 *	sha = bk_stage_sha256(sink);
 *	seal = bk_aead_seal_new(..., sha);	(io/aead.h)
 *	bk_stage_pump(STDIN_FILENO, "<stdin>", seal, prog, NULL);
 *	rc = bk_stage_finish(seal);		then bk_sha256_digest(sha, d)
 *	bk_stage_free(seal);			frees seal, sha and sink
 *
 * Every stage reports a failure once, where it finds it (warn*), naming
 * what it reads or writes by the name its caller gave ("<stdin>",
 * "s3://b/k"), and keeps the result: after a failure every write and the
 * finish return it again, without another message.  Results are
 * enum bk_result values (bk.h): BK_NEGATIVE for data refused (tampered,
 * truncated, not ours), BK_FAIL for an operational failure.
 */
#ifndef BK_IO_STAGE_H
#define BK_IO_STAGE_H

#include <stddef.h>
#include <stdint.h>

struct bk_progress;
struct bk_stage;

/* What a kind of stage does: its ops table. */
struct bk_stage_ops {
	/* Take len (> 0) bytes; a bk_result (a failure reported). */
	int (*write)(struct bk_stage *s, const void *buf, size_t len);
	/* Flush into next what is held back (not next's finish); a result. */
	int (*finish)(struct bk_stage *s);
	/* Free the stage's own state and s itself (not next). */
	void (*free)(struct bk_stage *s);
	/*
	 * Optional: room in the stage's own buffer (*room bytes, > 0) where
	 * the next write's bytes may be read to, so that writing them costs
	 * no copy; NULL when it has none now.
	 */
	unsigned char *(*buffer)(struct bk_stage *s, size_t *room);
};

/* The part every stage shares; a kind of stage embeds it first. */
struct bk_stage {
	const struct bk_stage_ops *ops;
	struct bk_stage *next;	/* where the output goes; NULL: a sink */
	const char *name;	/* what it reads or writes, for messages */
	size_t blksize;		/* the largest unit it works in (0: none) */
	size_t want;		/* bytes that complete its unit (0: any) */
	int result;		/* the first failure; BK_OK until then */
	int finished;
	uint64_t in;		/* bytes taken so far */
};

/*
 * For the constructors of the kinds of stage: a zeroed object of sz bytes
 * (a struct that begins with struct bk_stage), its shared part set to ops,
 * next and name.  NULL on error (reported; next is freed).
 *
 * Every constructor of a stage that has a next takes it over: it is freed
 * with the new stage, or at once if the constructor fails, so a chain is
 * built with one test of each constructor's result.
 */
struct bk_stage *bk_stage_new(size_t sz, const struct bk_stage_ops *ops,
    struct bk_stage *next, const char *name);
/* Give len bytes to s.  BK_OK, or the stage's result (reported). */
int bk_stage_write(struct bk_stage *s, const void *buf, size_t len);
/*
 * The input of s has ended: s flushes, then finishes the rest of its
 * chain.  BK_OK, or the first failure in the chain (reported once).
 */
int bk_stage_finish(struct bk_stage *s);
/* The stage's result so far: BK_OK or its first failure. */
int bk_stage_result(const struct bk_stage *s);
/* Bytes given to s without error (for a sink: bytes written out). */
uint64_t bk_stage_bytes(const struct bk_stage *s);
/* Free s and every stage after it in its chain.  NULL is a no-op. */
void bk_stage_free(struct bk_stage *s);
/* For a stage's write/finish: pass len bytes to s->next (none: drop). */
int bk_stage_emit(struct bk_stage *s, const void *buf, size_t len);

/*
 * Read fd (name for messages) to its end, as the data arrives, giving it
 * to s (read into s's own buffer when it offers one, else in reads no
 * larger than s->want) and counting it into prog (may be NULL) and *total
 * (may be NULL).
 * Does not finish s.  BK_OK, or a result (reported).
 */
int bk_stage_pump(int fd, const char *name, struct bk_stage *s,
    struct bk_progress *prog, uint64_t *total);

/* A sink writing everything to fd (name: what fd is, for messages). */
struct bk_stage *bk_stage_fd(int fd, const char *name);
/* A sink keeping everything in memory. */
struct bk_stage *bk_stage_mem(void);
/*
 * What a memory sink holds (len in *lenp), never NULL; valid until the
 * next write or its free.
 */
const unsigned char *bk_stage_mem_data(const struct bk_stage *s,
    size_t *lenp);
/* A stage passing bytes on unchanged; bk_stage_bytes counts them. */
struct bk_stage *bk_stage_size(struct bk_stage *next);

#endif /* !BK_IO_STAGE_H */
