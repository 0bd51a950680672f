/*
 * audit.h - the hash-chained audit log (bk(7) AUDIT).
 *
 * One JSON object per line, each naming the SHA-256 of the line before it:
 * "seq" is the line's number (1 for the first line of a log), "prev" the
 * lowercase hex SHA-256 of the previous line's bytes without its newline,
 * BK_AUDIT_GENESIS for line 1.  Writers append under flock(2) on the log,
 * so every line is a whole line and every seq is used once.
 */
#ifndef BK_AUDIT_H
#define BK_AUDIT_H

#include <stdint.h>
#include <stdio.h>

#include "bk.h"

/* The "prev" of line 1. */
#define BK_AUDIT_GENESIS \
	"0000000000000000000000000000000000000000000000000000000000000000"
/* The longest line a writer appends and the checker reads. */
#define BK_AUDIT_LINE_MAX (256 * 1024)
/* The environment variable naming the log. */
#define BK_AUDIT_ENV "BK_AUDIT_LOG"

struct _bson_t;

/* The log BK_AUDIT_LOG names, or NULL if it is unset or empty. */
const char *bk_audit_path(void);

/*
 * Append the line for one operation to the log at path: seq, prev, time,
 * host, user, uid, pid, tool, op, objects, sha256 (if status has one),
 * result, exit, error, and a copy of the status document, every string
 * with URL userinfo redacted; then a short line to syslog.  0, or -1
 * (reported).
 */
int bk_audit_append(const char *path, const char *op,
    const struct _bson_t *objects, const struct _bson_t *status,
    int exitcode);

/*
 * Parse one line (len bytes, no newline) of a log or of a digest: its
 * seq (>= 1) and its prev, or for a digest (key "sha256" instead of
 * "prev") that hash, as 64 lowercase hex digits plus NUL.  0, or -1 with
 * *why saying what is wrong (not reported).
 */
int bk_audit_parse_line(const char *line, size_t len, int digest,
    int64_t *seq, char hex[65], const char **why);

/* The SHA-256 of len bytes as 64 lowercase hex digits plus NUL; 0 or -1. */
int bk_audit_hash(const char *line, size_t len, char hex[65]);

/*
 * Check the chain of the log at path, and against each digest file (a
 * line "seq" + "sha256" of a line that must be in the log, bk-backup(8)
 * stores one with every backup): the first broken line is named on report
 * ("audit.log line 17: prev does not match line 16").  BK_OK (a summary
 * on report), BK_NEGATIVE, or BK_FAIL (cannot read; reported).
 */
int bk_audit_check(const char *path, FILE *report);
int bk_audit_check_anchored(const char *path, char *const *digests,
    int ndigests, FILE *report);

/*
 * A copy of s with the userinfo of every URL in it ("scheme://USER:PASS@")
 * replaced by "REDACTED@"; NULL if out of memory.
 */
char *bk_audit_redact(const char *s);

#endif /* !BK_AUDIT_H */
