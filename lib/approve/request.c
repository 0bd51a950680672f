/*
 * request.c - the restore request that approvers sign: a few lines of
 * "KEY VALUE" after a version line, defined in bk-approve(1).
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "approve/approve.h"

#define NONCE_LEN 16

void
approve_fmt_time(char out[21], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
approve_parse_time(const char *s, time_t *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) != 20 || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ",
	    &tm)) == NULL || *end != '\0')
		return -1;
	*t = timegm(&tm);
	return 0;
}

char *
approve_request_format(const struct approve_request *r)
{
	char hex[2 * BK_SHA256_LEN + 1], exp[21], cre[21], *out;
	size_t n;

	bk_hex(hex, r->sha256, BK_SHA256_LEN);
	approve_fmt_time(exp, r->expires);
	approve_fmt_time(cre, r->created);
	n = strlen(r->backup) + strlen(r->target) + strlen(r->requester) +
	    256;
	if ((out = malloc(n)) == NULL) {
		warnp("request");
		return NULL;
	}
	snprintf(out, n, "%s\nbackup %s\nsha256 %s\ntarget %s\nexpires %s\n"
	    "nonce %s\nrequester %s\ncreated %s\n", APPROVE_REQUEST_VERSION,
	    r->backup, hex, r->target, exp, r->nonce, r->requester, cre);
	return out;
}

/* Copy a value into a field of max bytes: 0, or -1 if too long. */
static int
field(char *dst, size_t max, const char *v)
{
	if (strlen(v) >= max)
		return -1;
	strcpy(dst, v);
	return 0;
}

/* One "KEY VALUE" line into r; bit gets the key's bit.  0 or -1. */
static int
request_line(struct approve_request *r, const char *k, const char *v,
    unsigned *bit)
{
	static const char *const keys[] = { "backup", "sha256", "target",
	    "expires", "nonce", "requester", "created" };
	unsigned i;

	for (i = 0; i < 7 && strcmp(keys[i], k) != 0; i++)
		;
	*bit = 1u << i;
	switch (i) {
	case 0: return field(r->backup, sizeof(r->backup), v);
	case 1:
		return strlen(v) == 2 * BK_SHA256_LEN ?
		    bk_unhex(r->sha256, v, BK_SHA256_LEN) : -1;
	case 2: return field(r->target, sizeof(r->target), v);
	case 3: return approve_parse_time(v, &r->expires);
	case 4:
		return strlen(v) == 2 * NONCE_LEN &&
		    strspn(v, "0123456789abcdef") == 2 * NONCE_LEN ?
		    field(r->nonce, sizeof(r->nonce), v) : -1;
	case 5: return field(r->requester, sizeof(r->requester), v);
	case 6: return approve_parse_time(v, &r->created);
	}
	return -1;
}

int
approve_request_parse(const char *text, const char *name,
    struct approve_request *r)
{
	const char *p = text, *nl;
	char line[1200], *v;
	unsigned seen = 0, bit, lineno = 0;
	size_t n;

	memset(r, 0, sizeof(*r));
	for (; *p != '\0'; p = nl + 1) {
		lineno++;
		if ((nl = strchr(p, '\n')) == NULL ||
		    (n = (size_t)(nl - p)) >= sizeof(line))
			goto bad;
		memcpy(line, p, n);
		line[n] = '\0';
		if (strpbrk(line, "\r\t") != NULL)
			goto bad;
		if (lineno == 1) {
			if (strcmp(line, APPROVE_REQUEST_VERSION) != 0)
				goto bad;
			continue;
		}
		if ((v = strchr(line, ' ')) == NULL)
			goto bad;
		*v++ = '\0';
		if (*v == '\0' || request_line(r, line, v, &bit) != 0 ||
		    (seen & bit))
			goto bad;
		seen |= bit;
	}
	if (seen == 0x7f)
		return BK_OK;
	warn0("%s: not a complete bk restore request (bk-approve(1))", name);
	return BK_NEGATIVE;
bad:
	warn0("%s: line %u: not a bk restore request line (bk-approve(1))",
	    name, lineno);
	return BK_NEGATIVE;
}

int
approve_request_init(struct approve_request *r)
{
	unsigned char nonce[NONCE_LEN];
	char host[256];
	const char *user = getenv("USER");
	struct passwd *pw;

	if (RAND_bytes(nonce, sizeof(nonce)) != 1) {
		warn0("request: no random bytes for the nonce");
		return -1;
	}
	bk_hex(r->nonce, nonce, sizeof(nonce));
	if (user == NULL && (pw = getpwuid(getuid())) != NULL)
		user = pw->pw_name;
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(r->requester, sizeof(r->requester), "%s@%s",
	    user != NULL ? user : "unknown", host);
	r->created = time(NULL);
	return 0;
}
