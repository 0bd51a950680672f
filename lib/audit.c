/*
 * audit.c - the hash-chained audit log: the writer every tool calls at its
 * end (through bk_status_emit), and the checker.  The format and what the
 * chain proves are in bk(7) AUDIT and audit.h.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>

#include "audit.h"
#include "bk.h"
#include "io/sha256.h"

const char *
bk_audit_path(void)
{
	const char *p = getenv(BK_AUDIT_ENV);

	return p != NULL && *p != '\0' ? p : NULL;
}

int
bk_audit_hash(const char *line, size_t len, char hex[65])
{
	unsigned char d[BK_SHA256_LEN];

	if (bk_sha256(line, len, d) != 0)
		return -1;
	bk_hex(hex, d, sizeof(d));
	return 0;
}

/* --- redaction ----------------------------------------------------------- */

/* Where the authority after "://" at p ends. */
static const char *
authority_end(const char *p)
{
	return p + strcspn(p, "/?#\"' \t\r\n");
}

char *
bk_audit_redact(const char *s)
{
	static const char mark[] = "REDACTED";
	const char *p, *a, *q, *end, *at;
	char *out, *o;

	/* Each userinfo is replaced by the mark: at most strlen(mark) more
	 * per "://", each of which is 3 bytes. */
	if ((out = malloc(strlen(s) * 4 + 1)) == NULL)
		return NULL;
	o = out;
	for (p = s; (a = strstr(p, "://")) != NULL; p = end) {
		a += 3;
		end = authority_end(a);
		memcpy(o, p, (size_t)(a - p));
		o += a - p;
		at = NULL;
		for (q = a; q < end; q++)
			if (*q == '@')
				at = q;
		if (at != NULL) {
			memcpy(o, mark, sizeof(mark) - 1);
			o += sizeof(mark) - 1;
			a = at;
		}
		memcpy(o, a, (size_t)(end - a));
		o += end - a;
	}
	strcpy(o, p);
	return out;
}

/* Copy every field of src into dst, redacting strings; -1 if no memory. */
static int
copy_redacted(const bson_t *src, bson_t *dst)
{
	bson_iter_t it;
	bson_t sub, subdst;
	const uint8_t *data;
	uint32_t len;
	const char *k;
	char *r;
	int rc = 0, arr;

	if (!bson_iter_init(&it, src))
		return -1;
	while (rc == 0 && bson_iter_next(&it)) {
		k = bson_iter_key(&it);
		if (BSON_ITER_HOLDS_UTF8(&it)) {
			if ((r = bk_audit_redact(bson_iter_utf8(&it, NULL))) ==
			    NULL)
				return -1;
			BSON_APPEND_UTF8(dst, k, r);
			free(r);
		} else if (BSON_ITER_HOLDS_DOCUMENT(&it) ||
		    BSON_ITER_HOLDS_ARRAY(&it)) {
			if ((arr = BSON_ITER_HOLDS_ARRAY(&it)))
				bson_iter_array(&it, &len, &data);
			else
				bson_iter_document(&it, &len, &data);
			if (!bson_init_static(&sub, data, len))
				return -1;
			if (arr)
				BSON_APPEND_ARRAY_BEGIN(dst, k, &subdst);
			else
				BSON_APPEND_DOCUMENT_BEGIN(dst, k, &subdst);
			rc = copy_redacted(&sub, &subdst);
			if (arr)
				bson_append_array_end(dst, &subdst);
			else
				bson_append_document_end(dst, &subdst);
		} else if (!bson_append_iter(dst, k, -1, &it))
			rc = -1;
	}
	return rc;
}

/* --- the line -------------------------------------------------------------- */

static const char *
result_name(int exitcode)
{
	switch (exitcode) {
	case BK_EXIT_OK: return "ok";
	case BK_EXIT_NEGATIVE: return "negative";
	case BK_EXIT_USAGE: return "usage";
	case BK_EXIT_INCOMPLETE: return "incomplete";
	case BK_EXIT_TEMP: return "retry";
	default: return "fail";
	}
}

static void
append_time(bson_t *doc)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03ldZ",
	    ts.tv_nsec / 1000000);
	BSON_APPEND_UTF8(doc, "time", buf);
}

static void
append_who(bson_t *doc)
{
	struct passwd *pw;
	char host[256], uidbuf[32];
	uid_t uid = getuid();

	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "?");
	host[sizeof(host) - 1] = '\0';
	BSON_APPEND_UTF8(doc, "host", host);
	snprintf(uidbuf, sizeof(uidbuf), "%lu", (unsigned long)uid);
	pw = getpwuid(uid);
	BSON_APPEND_UTF8(doc, "user", pw != NULL ? pw->pw_name : uidbuf);
	BSON_APPEND_INT64(doc, "uid", (int64_t)uid);
	BSON_APPEND_INT64(doc, "pid", (int64_t)getpid());
}

/* The status document's "sha256", if it has one. */
static const char *
status_sha256(const bson_t *status)
{
	bson_iter_t it;

	if (status != NULL && bson_iter_init_find(&it, status, "sha256") &&
	    BSON_ITER_HOLDS_UTF8(&it))
		return bson_iter_utf8(&it, NULL);
	return NULL;
}

/*
 * The JSON text of the line numbered seq after prev, in a new string
 * (bson_free); the status copy is left out if the line would be too long.
 */
static char *
format_line(int64_t seq, const char *prev, const char *op,
    const bson_t *objects, const bson_t *status, int exitcode,
    int with_status, size_t *lenp)
{
	bson_t *doc, sub, empty = BSON_INITIALIZER;
	const char *sha;
	char *json = NULL;

	if ((doc = bson_new()) == NULL)
		return NULL;
	BSON_APPEND_INT64(doc, "seq", seq);
	BSON_APPEND_UTF8(doc, "prev", prev);
	append_time(doc);
	append_who(doc);
	BSON_APPEND_UTF8(doc, "tool", bk_progname());
	BSON_APPEND_UTF8(doc, "version", BK_VERSION);
	BSON_APPEND_UTF8(doc, "op", op);
	BSON_APPEND_ARRAY_BEGIN(doc, "objects", &sub);
	if (copy_redacted(objects != NULL ? objects : &empty, &sub) != 0)
		goto out;
	bson_append_array_end(doc, &sub);
	if ((sha = status_sha256(status)) != NULL)
		BSON_APPEND_UTF8(doc, "sha256", sha);
	BSON_APPEND_UTF8(doc, "result", result_name(exitcode));
	BSON_APPEND_INT32(doc, "exit", exitcode);
	if (with_status && status != NULL) {
		BSON_APPEND_DOCUMENT_BEGIN(doc, "status", &sub);
		if (copy_redacted(status, &sub) != 0)
			goto out;
		bson_append_document_end(doc, &sub);
	}
	json = bson_as_relaxed_extended_json(doc, lenp);
out:
	bson_destroy(doc);
	return json;
}

/* --- parsing ------------------------------------------------------------------ */

static int
is_hex64(const char *s, uint32_t len)
{
	uint32_t i;

	if (len != 64)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

int
bk_audit_parse_line(const char *line, size_t len, int digest, int64_t *seq,
    char hex[65], const char **why)
{
	const char *key = digest ? "sha256" : "prev";
	bson_error_t err;
	bson_iter_t it;
	bson_t *doc;
	const char *s;
	uint32_t slen;
	int rc = -1;

	*why = "not a JSON object";
	if (len == 0 || line[0] != '{' || memchr(line, '\0', len) != NULL ||
	    (doc = bson_new_from_json((const uint8_t *)line, (ssize_t)len,
	    &err)) == NULL)
		return -1;
	*why = "no \"seq\" number from 1";
	if (!bson_iter_init_find(&it, doc, "seq") ||
	    !(BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it)) ||
	    (*seq = bson_iter_as_int64(&it)) < 1)
		goto out;
	*why = digest ? "no \"sha256\" of 64 lowercase hex digits" :
	    "no \"prev\" of 64 lowercase hex digits";
	if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_UTF8(&it))
		goto out;
	s = bson_iter_utf8(&it, &slen);
	if (!is_hex64(s, slen))
		goto out;
	memcpy(hex, s, 64);
	hex[64] = '\0';
	rc = 0;
out:
	bson_destroy(doc);
	return rc;
}

/* --- the writer ----------------------------------------------------------------- */

/*
 * The seq and hash of the last line of the log open on fd (size bytes),
 * which the caller has locked: 0 and BK_AUDIT_GENESIS for an empty log.
 */
static int
last_line(int fd, const char *path, off_t size, int64_t *seq, char hex[65])
{
	size_t want, n;
	char *buf, *start;
	const char *why;
	char prev[65];
	ssize_t r;
	int rc = -1;

	if (size == 0) {
		*seq = 0;
		memcpy(hex, BK_AUDIT_GENESIS, 65);
		return 0;
	}
	want = size > BK_AUDIT_LINE_MAX + 1 ? BK_AUDIT_LINE_MAX + 1 :
	    (size_t)size;
	if ((buf = malloc(want)) == NULL) {
		warnp("malloc");
		return -1;
	}
	if ((r = pread(fd, buf, want, size - (off_t)want)) < 0) {
		warnp("read audit log %s", path);
		goto out;
	}
	if ((size_t)r != want || buf[want - 1] != '\n') {
		warn0("audit log %s: the last line is incomplete (no newline); "
		    "check the log (bk(7) AUDIT)", path);
		goto out;
	}
	n = want - 1;
	for (start = buf + n; start > buf && start[-1] != '\n'; start--)
		;
	if (start == buf && (off_t)want != size) {
		warn0("audit log %s: the last line is longer than %d bytes",
		    path, BK_AUDIT_LINE_MAX);
		goto out;
	}
	n -= (size_t)(start - buf);
	if (bk_audit_parse_line(start, n, 0, seq, prev, &why) != 0) {
		warn0("audit log %s: the last line is not an audit line: %s; "
		    "check the log (bk(7) AUDIT)", path, why);
		goto out;
	}
	rc = bk_audit_hash(start, n, hex);
out:
	free(buf);
	return rc;
}

/* Open the log for appending and reading; a regular file only. */
static int
open_log(const char *path)
{
	struct stat sb;
	int fd;

	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY | O_NONBLOCK, 0600);
	if (fd == -1) {
		warnp("open audit log %s", path);
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		warn0("audit log %s: not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

static void
to_syslog(int64_t seq, const char *hex, const char *op, int exitcode)
{
	openlog(bk_progname(), LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_INFO, "audit seq=%lld sha256=%s op=%s result=%s exit=%d",
	    (long long)seq, hex, op, result_name(exitcode), exitcode);
	closelog();
}

/* Write the line and its newline, or leave the log as it was. */
static int
write_line(int fd, const char *path, off_t size, char *json, size_t len)
{
	json[len] = '\n';
	if (bk_write_full(fd, json, len + 1, path) != 0)
		goto undo;
	if (fsync(fd) != 0) {
		warnp("fsync audit log %s", path);
		goto undo;
	}
	return 0;
undo:
	if (ftruncate(fd, size) != 0)
		warnp("audit log %s: cannot remove a partial line", path);
	return -1;
}

int
bk_audit_append(const char *path, const char *op, const bson_t *objects,
    const bson_t *status, int exitcode)
{
	char prev[65], hex[65];
	char *json = NULL;
	struct stat sb;
	int64_t seq;
	size_t len;
	int fd, rc = -1;

	if ((fd = open_log(path)) == -1)
		return -1;
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			warnp("lock audit log %s", path);
			goto out;
		}
	if (fstat(fd, &sb) != 0) {
		warnp("stat audit log %s", path);
		goto out;
	}
	if (last_line(fd, path, sb.st_size, &seq, prev) != 0)
		goto out;
	json = format_line(seq + 1, prev, op, objects, status, exitcode, 1,
	    &len);
	if (json != NULL && len > BK_AUDIT_LINE_MAX - 1) {
		bson_free(json);
		json = format_line(seq + 1, prev, op, objects, status,
		    exitcode, 0, &len);
	}
	if (json == NULL || len > BK_AUDIT_LINE_MAX - 1) {
		warn0("audit log %s: cannot format the line", path);
		goto out;
	}
	/* The NUL after the text becomes the newline. */
	if (bk_audit_hash(json, len, hex) != 0 ||
	    write_line(fd, path, sb.st_size, json, len) != 0)
		goto out;
	to_syslog(seq + 1, hex, op, exitcode);
	rc = 0;
out:
	bson_free(json);
	close(fd);	/* releases the lock */
	return rc;
}

/* --- the checker -------------------------------------------------------------- */

/*
 * The next line of f into buf (BK_AUDIT_LINE_MAX + 1 bytes), without its
 * newline.  1 a line, 0 end of file, -1 too long, -2 no newline at the
 * end, -3 a read error.
 */
static int
next_line(FILE *f, char *buf, size_t *lenp)
{
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (n == BK_AUDIT_LINE_MAX)
			return -1;
		buf[n++] = (char)c;
	}
	*lenp = n;
	if (ferror(f))
		return -3;
	if (c == EOF)
		return n == 0 ? 0 : -2;
	return 1;
}

struct anchor {
	char *name;
	int64_t seq;
	char hex[65];
	int seen;
};

/* Load one digest file into a. */
static int
load_anchor(const char *path, struct anchor *a)
{
	const char *why;
	char *text, hex[65];
	size_t len;
	int64_t seq;

	if ((text = bk_read_small_file(path, BK_AUDIT_LINE_MAX, &len,
	    "audit digest")) == NULL)
		return BK_FAIL;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (bk_audit_parse_line(text, len, 1, &seq, hex, &why) != 0) {
		warn0("audit digest %s: %s", path, why);
		free(text);
		return BK_FAIL;
	}
	free(text);
	a->name = (char *)path;
	a->seq = seq;
	memcpy(a->hex, hex, sizeof(hex));
	return BK_OK;
}

/* Line n (hash hex) against every anchor of its seq: 0, or -1 (reported). */
static int
check_anchors(struct anchor *a, int na, const char *path, int64_t n,
    const char *hex, FILE *report)
{
	int i;

	for (i = 0; i < na; i++) {
		if (a[i].seq != n)
			continue;
		a[i].seen = 1;
		if (strcmp(a[i].hex, hex) != 0) {
			fprintf(report, "%s line %lld: does not match the "
			    "digest %s (line edited or replaced)\n", path,
			    (long long)n, a[i].name);
			return -1;
		}
	}
	return 0;
}

/* Line n (its prev and seq) after the line whose hash is last. */
static int
check_link(const char *path, int64_t n, int64_t seq, const char *prev,
    const char *last, FILE *report)
{
	if (strcmp(prev, last) != 0) {
		if (n == 1)
			fprintf(report, "%s line 1: prev is not the genesis "
			    "value (lines deleted at the head?)\n", path);
		else
			fprintf(report, "%s line %lld: prev does not match "
			    "line %lld (a line edited, deleted, inserted or "
			    "moved)\n", path, (long long)n, (long long)n - 1);
		return -1;
	}
	if (seq != n) {
		fprintf(report, "%s line %lld: seq is %lld\n", path,
		    (long long)n, (long long)seq);
		return -1;
	}
	return 0;
}

/* Walk the chain of f; BK_OK or BK_NEGATIVE (said on report). */
static int
walk(FILE *f, const char *path, struct anchor *a, int na, char *buf,
    FILE *report, int64_t *nlines, char last[65])
{
	const char *why;
	char prev[65];
	int64_t n = 0, seq;
	size_t len;
	int r;

	memcpy(last, BK_AUDIT_GENESIS, 65);
	while ((r = next_line(f, buf, &len)) == 1) {
		n++;
		if (bk_audit_parse_line(buf, len, 0, &seq, prev, &why) != 0) {
			fprintf(report, "%s line %lld: %s\n", path,
			    (long long)n, why);
			return BK_NEGATIVE;
		}
		if (check_link(path, n, seq, prev, last, report) != 0)
			return BK_NEGATIVE;
		if (bk_audit_hash(buf, len, last) != 0)
			return BK_FAIL;
		if (check_anchors(a, na, path, n, last, report) != 0)
			return BK_NEGATIVE;
	}
	*nlines = n;
	if (r == -3) {
		warnp("read audit log %s", path);
		return BK_FAIL;
	}
	if (r != 0) {
		fprintf(report, "%s line %lld: %s\n", path, (long long)n + 1,
		    r == -1 ? "longer than the longest audit line" :
		    "no newline at the end (an interrupted write, or the "
		    "tail cut mid-line)");
		return BK_NEGATIVE;
	}
	return BK_OK;
}

/* Anchors beyond the end of the log: the tail was cut. */
static int
check_cut(struct anchor *a, int na, const char *path, int64_t n,
    FILE *report)
{
	int i;

	for (i = 0; i < na; i++)
		if (!a[i].seen) {
			fprintf(report, "%s line %lld: missing: the log ends "
			    "at line %lld, but the digest %s anchors line "
			    "%lld (the tail was cut)\n", path,
			    (long long)n + 1, (long long)n, a[i].name,
			    (long long)a[i].seq);
			return BK_NEGATIVE;
		}
	return BK_OK;
}

int
bk_audit_check_anchored(const char *path, char *const *digests, int nd,
    FILE *report)
{
	struct anchor *a = NULL;
	char *buf = NULL, last[65];
	FILE *f = NULL;
	int64_t n = 0;
	int fd, i, rc = BK_FAIL;

	if (nd > 0 && (a = calloc((size_t)nd, sizeof(*a))) == NULL) {
		warnp("malloc");
		return BK_FAIL;
	}
	for (i = 0; i < nd; i++)
		if (load_anchor(digests[i], &a[i]) != BK_OK)
			goto out;
	if ((buf = malloc(BK_AUDIT_LINE_MAX + 1)) == NULL) {
		warnp("malloc");
		goto out;
	}
	if ((fd = bk_open_regular(path, 0, "audit log")) == -1)
		goto out;
	if ((f = fdopen(fd, "r")) == NULL) {
		warnp("audit log %s", path);
		close(fd);
		goto out;
	}
	if ((rc = walk(f, path, a, nd, buf, report, &n, last)) == BK_OK &&
	    (rc = check_cut(a, nd, path, n, report)) == BK_OK)
		fprintf(report, "%s: %lld line(s), chain intact, last sha256 "
		    "%s%s\n", path, (long long)n, last, nd > 0 ?
		    ", every digest matches" : "");
out:
	if (f != NULL)
		fclose(f);
	free(buf);
	free(a);
	return rc;
}

int
bk_audit_check(const char *path, FILE *report)
{
	return bk_audit_check_anchored(path, NULL, 0, report);
}
