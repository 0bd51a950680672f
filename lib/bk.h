/*
 * bk.h - the tiny common library shared by every bk tool.
 *
 * Conventions (libcperciva style): a library function that fails reports
 * the failure once, where it is detected, with warnp() (errno known) or
 * warn0() (no errno), naming the thing that failed, and returns -1 or NULL.
 * Callers only propagate.  Only main() exits.  foo_free(NULL) is a no-op.
 */
#ifndef BK_H
#define BK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define BK_VERSION "0.1.0"

/* Exit statuses, the contract documented in bk(7). */
enum bk_exit {
	BK_EXIT_OK = 0,		/* success */
	BK_EXIT_NEGATIVE = 1,	/* a negative answer: check failed, stale */
	BK_EXIT_USAGE = 2,	/* bad options or arguments */
	BK_EXIT_FAIL = 3,	/* operational failure, permanent */
	BK_EXIT_INCOMPLETE = 4,	/* finished, but the result is incomplete */
	BK_EXIT_TEMP = 75	/* temporary failure: retry later */
};

/*
 * One result type for what an operation can come to, where the difference
 * matters to the caller.  BK_FAIL is -1, so a function of the plain
 * 0/-1 convention already speaks it.  Every failure is reported (warn*)
 * where it is found; the value only says what kind it was.
 */
enum bk_result {
	BK_OK = 0,
	BK_FAIL = -1,		/* failed; trying again will not help */
	BK_NEGATIVE = -2,	/* a negative answer: mismatch, tampered, refused */
	BK_RETRY = -3		/* failed for now; may work later */
};
/* The exit status (enum bk_exit) for a result: the one mapping. */
int bk_exit_status(int result);
/*
 * The worse of two results, for a run that goes on after a failure:
 * BK_RETRY, then BK_FAIL, then BK_NEGATIVE, then BK_OK.
 */
int bk_result_worse(int a, int b);

/*
 * What a reader says of a stream of zero bytes: in a pipeline that is an
 * earlier stage that failed (its own message is above), not bad data, so
 * the readers exit BK_EXIT_FAIL with this, never BK_EXIT_NEGATIVE.
 */
#define BK_EMPTY_INPUT \
	"empty input: an earlier stage of the pipeline probably failed"

/* err.c */
/* Set the program name used in diagnostics from argv[0]. */
void bk_setprogname(const char *argv0);
/*
 * With on set, diagnostics are only kept for bk_last_error(), not printed
 * (a caller that reports problems its own way, e.g. the fuzz targets).
 */
void bk_set_quiet(int on);
/* The program name set by bk_setprogname ("bk" before). */
const char *bk_progname(void);
/* Print "prog: MSG: strerror(errno)" on stderr. */
void warnp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "prog: MSG" on stderr. */
void warn0(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the --version line on stdout. */
void bk_print_version(void);

/* io.c */
/*
 * Read up to len bytes from fd, retrying on EINTR and short reads; stop
 * early only at end of file.  Returns the number of bytes read (less than
 * len only at EOF), or -1 on error (reported, naming "name").
 */
ssize_t bk_read_full(int fd, void *buf, size_t len, const char *name);
/* Write all len bytes to fd despite EINTR and short writes; -1 on error. */
int bk_write_full(int fd, const void *buf, size_t len, const char *name);
/*
 * Flush and close standard output, reporting a late ENOSPC/EPIPE/EIO as an
 * error (style of sbase's fshut).  Returns 0 or -1.
 */
int bk_close_stdout(void);
/* Total size of a regular file open on fd, or 0 if unknown (pipe, tty). */
uint64_t bk_fd_size(int fd);
/* Sleep ms milliseconds, whatever signals arrive meanwhile. */
void bk_sleep_ms(long ms);
/* Ignore SIGPIPE so a closed reader surfaces as EPIPE from write(). */
void bk_ignore_sigpipe(void);
/*
 * Open path for reading (extra open flags in flags, e.g. O_NOFOLLOW)
 * without ever blocking: a FIFO, device, directory or socket is refused
 * with "WHAT PATH: not a regular file".  what names the role ("sum file",
 * "keyring").  Returns a blocking descriptor, or -1 (reported).
 */
int bk_open_regular(const char *path, int flags, const char *what);
/*
 * Read a whole regular text file of at most max bytes (no NUL bytes) into
 * a new NUL-terminated buffer; *lenp (if not NULL) gets its length.  The
 * caller frees it (bk_wipe first if it is a secret).  NULL on error
 * (reported, naming what and path), with errno EFBIG if the file is
 * larger than max, EILSEQ if it holds a NUL byte: the contents are wrong,
 * not the reading.
 */
char *bk_read_small_file(const char *path, size_t max, size_t *lenp,
    const char *what);
/*
 * The reading half of bk_read_small_file, on a descriptor already open on
 * path (closed here, whatever happens).
 */
char *bk_read_text_fd(int fd, const char *path, size_t max, size_t *lenp,
    const char *what);

/* afile.c: a file written under a temporary name, made visible by rename. */
struct bk_afile;
/*
 * Create "PATH.tmp.XXXXXX" beside path with the given mode.  Nothing
 * appears under path until bk_afile_commit().  If noclobber is set, commit
 * fails rather than replace an existing path.  Whatever stands at path
 * must be a regular file: a symlink, device, FIFO or directory there is
 * refused (at open and again at commit), never replaced.
 */
struct bk_afile *bk_afile_open(const char *path, mode_t mode, int noclobber);
/* Write len bytes; -1 on error (reported). */
int bk_afile_write(struct bk_afile *af, const void *buf, size_t len);
/* The descriptor of the temporary file. */
int bk_afile_fd(const struct bk_afile *af);
/* fsync the file, rename it into place, fsync the directory, free af. */
int bk_afile_commit(struct bk_afile *af);
/* Remove the temporary file and free af; NULL is a no-op. */
void bk_afile_abort(struct bk_afile *af);
/*
 * Make the directory that will hold path, one level only: its own parent
 * must exist, so a store on an unmounted NAS fails loudly instead of
 * filling the local disk.  0, or -1 (reported).
 */
int bk_mkdir_parent(const char *path, mode_t mode);
/* Write a whole small file atomically (open, write, commit). */
int bk_atomic_write(const char *path, const void *buf, size_t len,
    mode_t mode, int noclobber);

/* progress.c: a meter on stderr, redrawn at most a few times a second. */
struct bk_progress;
/* 1 if stderr is a terminal, the default for --progress. */
int bk_progress_default(void);
/* A meter labelled label; total 0 means unknown (no ETA). NULL if !on. */
struct bk_progress *bk_progress_new(const char *label, uint64_t total, int on);
/* Count n more bytes; redraws when due.  NULL is a no-op. */
void bk_progress_add(struct bk_progress *p, uint64_t n);
/* Draw the final state, end the line, free p.  NULL is a no-op. */
void bk_progress_done(struct bk_progress *p);

/* status.c: the final --json status line. */
struct bk_status;
/*
 * Start a status object for tool `tool'.  dest is the --json argument:
 * NULL for "not requested", "" for the tool's default descriptor deffd, or
 * a file path (opened for append).  With BK_AUDIT_LOG set the object is
 * built whatever dest is, and its end appends the audit line (audit.h);
 * else NULL dest gives NULL, and every call with it is a no-op.
 */
struct bk_status *bk_status_new(const char *dest, int deffd);
/* The audit line's operation (a static string); default: the tool's name
 * without "bk-". */
void bk_status_op(struct bk_status *s, const char *op);
/*
 * Name an object (URL, path) the operation touched, in the audit line:
 * without its ?query, and with its userinfo redacted there.
 */
void bk_status_object(struct bk_status *s, const char *obj);
void bk_status_str(struct bk_status *s, const char *key, const char *val);
void bk_status_int(struct bk_status *s, const char *key, int64_t val);
void bk_status_bool(struct bk_status *s, const char *key, int val);
/* Append a copy of a BSON document as a nested JSON object. */
struct _bson_t;
void bk_status_doc(struct bk_status *s, const char *key,
    const struct _bson_t *doc);
/* Append a BSON array (keys "0", "1", ...) as a JSON array. */
void bk_status_array(struct bk_status *s, const char *key,
    const struct _bson_t *arr);
/*
 * Append "ok", "exit" and "error" (the last warning, if any); print; with
 * BK_AUDIT_LOG set append the audit line; free.  0, or -1 if the status
 * or the audit line could not be written.
 */
int bk_status_emit(struct bk_status *s, int exitcode);
/*
 * bk_status_emit, then the exit status for main to return: exitcode, or
 * BK_EXIT_FAIL when a success could not write its status line.
 */
int bk_status_done(struct bk_status *s, int exitcode);
/* The last message passed to warnp/warn0, for the status line. */
const char *bk_last_error(void);

/* secret.c */
/* Overwrite len bytes at p with zeros in a way the compiler keeps. */
void bk_wipe(void *p, size_t len);
/*
 * Refuse a secret file that group or other can read or write, or that is
 * not a regular file.  fd is open on it; name is for messages.  0 or -1.
 */
int bk_check_private(int fd, const char *name);
/*
 * Read the whole of a private (mode 0600 or stricter) regular text file
 * (no symlink, no NUL byte) of at most max bytes into a new buffer; *lenp
 * gets its length.  The caller wipes and frees it.  NULL on error
 * (reported).
 */
char *bk_read_secret_file(const char *path, size_t max, size_t *lenp);

/* parse.c */
/*
 * Parse a whole decimal number in [lo, hi] (nothing else around it).
 * 0, or -1 if malformed or out of range (not reported: the caller names
 * the option).
 */
int bk_parse_long(const char *s, long lo, long hi, long *out);
/* Parse a decimal size with optional K/M/G/T (binary) suffix. */
int bk_parse_size(const char *s, uint64_t *out);
/* Format a byte count as "12.3 MiB" into buf. */
void bk_fmt_bytes(char *buf, size_t len, double n);
/* Lowercase hex of len bytes into out (2*len+1 bytes). */
void bk_hex(char *out, const unsigned char *in, size_t len);
/* Parse exactly 2*len hex digits into out; -1 if malformed (not reported). */
int bk_unhex(unsigned char *out, const char *in, size_t len);

/* sumfile.c: the sha256sum(1) line format, for sidecars and -c. */
#define BK_SHA256_LEN 32
/*
 * Format "HEX  NAME\n" into a new string exactly as sha256sum prints it,
 * including its escaping of names with backslash, CR or newline.
 */
char *bk_sumline(const unsigned char digest[BK_SHA256_LEN], const char *name);
/*
 * Find the SHA-256 recorded for name in sha256sum-format text (GNU or
 * BSD "SHA256 (NAME) = HEX" lines).  With name NULL the text must hold
 * exactly one entry.  BK_OK; BK_NEGATIVE if the text is well formed and
 * has entries, but none for name; else BK_FAIL (malformed or ambiguous
 * text, or no entry at all).  Reported, naming path.
 */
int bk_sumtext_lookup(const char *text, const char *path, const char *name,
    unsigned char digest[BK_SHA256_LEN]);

#endif /* !BK_H */
