/*
 * store/sigv4.c - AWS Signature Version 4: canonical request, string to sign,
 * derived signing key, signature.  Pure functions of their inputs (the
 * caller supplies the date), so the published examples are unit tests.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bk.h"
#include "io/sha256.h"
#include "store/sigv4.h"

#define MAX_HEADERS 32
#define MAX_QUERY_PARAMS 32

char *
sigv4_uri_encode(const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char *out, *o;

	if ((out = malloc(strlen(s) * 3 + 1)) == NULL) {
		warnp("malloc");
		return NULL;
	}
	for (p = (const unsigned char *)s, o = out; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' ||
		    *p == '~' || (keep_slash && *p == '/'))
			*o++ = (char)*p;
		else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

void
sigv4_amzdate(time_t t, char out[17])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void
sigv4_sha256_hex(const void *buf, size_t len, char out[65])
{
	unsigned char d[BK_SHA256_LEN] = { 0 };

	/* Fails only without memory: a wrong hash fails the signature. */
	(void)bk_sha256(buf, len, d);
	bk_hex(out, d, sizeof(d));
}

static int
cmp_header(const void *a, const void *b)
{
	const struct sigv4_header *x = a, *y = b;

	return strcasecmp(x->name, y->name);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Header value as SigV4 wants it: outer blanks gone, runs of blanks one. */
static void
put_trimmed(FILE *f, const char *v)
{
	int space = 0, started = 0;

	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			space = started;
			continue;
		}
		if (space)
			fputc(' ', f);
		space = 0;
		started = 1;
		fputc(*v, f);
	}
}

static void
put_lower(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		fputc(tolower((unsigned char)*s), f);
}

/*
 * The canonical query: parameters sorted by (encoded) name then value; a
 * parameter without '=' gets an empty value.  The query arrives encoded.
 */
static int
put_query(FILE *f, const char *query)
{
	char *copy, *params[MAX_QUERY_PARAMS], *p, *save = NULL;
	size_t n = 0, i;

	if ((copy = strdup(query)) == NULL) {
		warnp("malloc");
		return -1;
	}
	for (p = strtok_r(copy, "&", &save); p != NULL;
	    p = strtok_r(NULL, "&", &save)) {
		if (n == MAX_QUERY_PARAMS) {
			warn0("sigv4: too many query parameters");
			free(copy);
			return -1;
		}
		params[n++] = p;
	}
	/* '=' sorts before every unreserved character, as the spec wants. */
	qsort(params, n, sizeof(params[0]), cmp_str);
	for (i = 0; i < n; i++) {
		fprintf(f, "%s%s%s", i ? "&" : "", params[i],
		    strchr(params[i], '=') ? "" : "=");
	}
	free(copy);
	return 0;
}

/* Canonical request, hashed, into hex. */
static int
canonical_hash(const struct sigv4_request *rq, char hex[65],
    char *signed_headers, size_t shlen)
{
	struct sigv4_header h[MAX_HEADERS];
	char *buf = NULL;
	size_t len = 0, i, off = 0;
	FILE *f;
	int n;

	if (rq->nheaders > MAX_HEADERS) {
		warn0("sigv4: too many headers");
		return -1;
	}
	memcpy(h, rq->headers, rq->nheaders * sizeof(h[0]));
	qsort(h, rq->nheaders, sizeof(h[0]), cmp_header);
	if ((f = open_memstream(&buf, &len)) == NULL) {
		warnp("open_memstream");
		return -1;
	}
	fprintf(f, "%s\n%s\n", rq->method, rq->path);
	if (put_query(f, rq->query) != 0) {
		fclose(f);
		free(buf);
		return -1;
	}
	fputc('\n', f);
	signed_headers[0] = '\0';
	for (i = 0; i < rq->nheaders; i++) {
		put_lower(f, h[i].name);
		fputc(':', f);
		put_trimmed(f, h[i].value);
		fputc('\n', f);
		n = snprintf(signed_headers + off, shlen - off, "%s%s",
		    i ? ";" : "", h[i].name);
		if (n < 0 || (size_t)n >= shlen - off) {
			warn0("sigv4: signed header list too long");
			fclose(f);
			free(buf);
			return -1;
		}
		for (; signed_headers[off] != '\0'; off++)
			signed_headers[off] = (char)tolower(
			    (unsigned char)signed_headers[off]);
	}
	fprintf(f, "\n%s\n%s", signed_headers, rq->payload_hash);
	if (fclose(f) != 0) {
		warnp("open_memstream");
		free(buf);
		return -1;
	}
	sigv4_sha256_hex(buf, len, hex);
	free(buf);
	return 0;
}

static void
hmac(unsigned char out[32], const void *key, size_t klen, const char *msg)
{
	unsigned int olen = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    strlen(msg), out, &olen);
}

int
sigv4_authorization(const struct sigv4_request *rq, const char *access,
    const char *secret, char *out, size_t outlen, char *sts, size_t stslen)
{
	char crhash[65], shdr[1024], scope[128], tosign[512], date[9];
	char ksecret[256], sig[65];
	unsigned char k[32];
	int n;

	if (strlen(rq->amzdate) != 16) {
		warn0("sigv4: bad x-amz-date %s", rq->amzdate);
		return -1;
	}
	memcpy(date, rq->amzdate, 8);
	date[8] = '\0';
	if (canonical_hash(rq, crhash, shdr, sizeof(shdr)) != 0)
		return -1;
	n = snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", date,
	    rq->region, rq->service);
	if (n < 0 || (size_t)n >= sizeof(scope))
		goto toolong;
	n = snprintf(tosign, sizeof(tosign), "AWS4-HMAC-SHA256\n%s\n%s\n%s",
	    rq->amzdate, scope, crhash);
	if (n < 0 || (size_t)n >= sizeof(tosign))
		goto toolong;
	if (sts != NULL)
		snprintf(sts, stslen, "%s", tosign);
	n = snprintf(ksecret, sizeof(ksecret), "AWS4%s", secret);
	if (n < 0 || (size_t)n >= sizeof(ksecret)) {
		bk_wipe(ksecret, sizeof(ksecret));
		goto toolong;
	}
	hmac(k, ksecret, (size_t)n, date);
	bk_wipe(ksecret, sizeof(ksecret));
	hmac(k, k, 32, rq->region);
	hmac(k, k, 32, rq->service);
	hmac(k, k, 32, "aws4_request");
	hmac(k, k, 32, tosign);
	bk_hex(sig, k, 32);
	bk_wipe(k, sizeof(k));
	n = snprintf(out, outlen, "AWS4-HMAC-SHA256 Credential=%s/%s, "
	    "SignedHeaders=%s, Signature=%s", access, scope, shdr, sig);
	if (n < 0 || (size_t)n >= outlen)
		goto toolong;
	return 0;
toolong:
	warn0("sigv4: credential scope or header too long");
	return -1;
}
