/*
 * store/sigv4.h - AWS Signature Version 4 (header-based authentication),
 * written against the AWS "Create a signed AWS API request" specification
 * and checked against its published example signatures (tests/unit).
 */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

/* The SHA-256 of the empty string, the payload hash of a body-less request. */
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct sigv4_header {
	const char *name;	/* any case; lowercased for signing */
	const char *value;	/* trimmed and space-collapsed for signing */
};

struct sigv4_request {
	const char *method;		/* "GET", "PUT", ... */
	const char *path;		/* canonical URI, already URI-encoded */
	const char *query;		/* encoded "k=v&k2" or "" (any order) */
	const struct sigv4_header *headers;	/* all signed; host too */
	size_t nheaders;
	const char *payload_hash;	/* hex SHA-256 or UNSIGNED-PAYLOAD */
	const char *amzdate;		/* "YYYYMMDDTHHMMSSZ" */
	const char *region;
	const char *service;		/* "s3" */
};

/*
 * URI-encode s as SigV4 wants: every byte but A-Z a-z 0-9 - . _ ~ becomes
 * %XX (upper-case hex); '/' is kept when keep_slash is set (object keys
 * in paths).  Returns a new string, or NULL (reported).
 */
char *sigv4_uri_encode(const char *s, int keep_slash);

/* Format t as the x-amz-date value "YYYYMMDDTHHMMSSZ" (UTC). */
void sigv4_amzdate(time_t t, char out[17]);

/* Lowercase hex SHA-256 of len bytes at buf into out. */
void sigv4_sha256_hex(const void *buf, size_t len, char out[65]);

/*
 * Build the Authorization header value for rq signed with the given key
 * pair into out (outlen bytes).  When sts is not NULL it receives the
 * string to sign (for tests).  Returns 0, or -1 (reported) when a buffer
 * is too small or memory runs out.  The secret is wiped from every
 * intermediate buffer.
 */
int sigv4_authorization(const struct sigv4_request *rq, const char *access,
    const char *secret, char *out, size_t outlen, char *sts, size_t stslen);

#endif /* !SIGV4_H */
