/*
 * store/s3.c - S3 requests over libcurl, signed with SigV4, retried with
 * exponential backoff and jitter on 5xx, 429/SlowDown, timeouts and
 * dropped connections.  Bodies to send are always in memory, so a retry
 * never needs the caller's stream again.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bk.h"
#include "store/s3.h"
#include "store/sigv4.h"
#include "store/xml.h"
#include "vec.h"

#define BODY_MAX (16u << 20)	/* a ListObjectsV2 page is well below */
#define MAX_EXTRA 16
#define BACKOFF_BASE_MS 250
#define BACKOFF_CAP_MS 20000

struct s3_client {
	const struct s3_target *t;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

struct s3_req {
	const char *what;		/* "part 3" etc., for messages */
	const char *method;
	const char *key;		/* NULL: the bucket */
	const char *query;		/* encoded, "" if none */
	const char *extra[MAX_EXTRA];	/* "Name: value", all signed */
	size_t nextra;
	const void *body;
	size_t bodylen;
	const char *payload_hash;	/* NULL: hash of the body */
	int (*sink)(const void *, size_t, void *);	/* 2xx GET body */
	void *sinkarg;
	int sinkfailed;
	int reported;			/* failed before sending; said why */
	size_t upoff;			/* upload read position */
	long quiet_also[2];		/* more statuses returned as BK_OK */
};

static volatile sig_atomic_t *stop_flag;

void
s3_set_stop(volatile sig_atomic_t *flag)
{
	stop_flag = flag;
}

static int
stopped(void)
{
	return stop_flag != NULL && *stop_flag != 0;
}

/* curl calls this at least once a second: a non-zero answer aborts. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	(void)arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return stopped();
}

int
s3_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		warn0("libcurl initialisation failed");
		return -1;
	}
	return 0;
}

static int
is_aws(const char *endpoint)
{
	return endpoint == NULL || strstr(endpoint, ".amazonaws.com") != NULL;
}

int
s3_target_init(struct s3_target *t, const char *bucket, const char *profile,
    const char *region, const char *endpoint, const char *style)
{
	memset(t, 0, sizeof(*t));
	if (awsconf_load(&t->conf, profile) != 0)
		return -1;
	if ((t->bucket = strdup(bucket)) == NULL ||
	    asprintf(&t->name, "s3://%s", bucket) < 0) {
		t->name = NULL;
		goto nomem;
	}
	if (region != NULL) {
		free(t->conf.region);
		if ((t->conf.region = strdup(region)) == NULL)
			goto nomem;
	}
	if (endpoint != NULL) {
		free(t->conf.endpoint);
		if ((t->conf.endpoint = strdup(endpoint)) == NULL)
			goto nomem;
	}
	if (style == NULL)
		style = t->conf.addressing;
	if (style != NULL && strcmp(style, "path") == 0)
		t->path_style = 1;
	else if (style != NULL && strcmp(style, "virtual") == 0)
		t->path_style = 0;
	else if (style != NULL && strcmp(style, "auto") != 0) {
		warn0("%s: addressing style %s: use path or virtual", t->name,
		    style);
		goto err;
	} else
		/* Dotted names break TLS for virtual hosts; others want path. */
		t->path_style = !is_aws(t->conf.endpoint) ||
		    strchr(bucket, '.') != NULL;
	if (t->conf.endpoint != NULL &&
	    strncmp(t->conf.endpoint, "https://", 8) != 0 &&
	    strncmp(t->conf.endpoint, "http://", 7) != 0) {
		warn0("%s: endpoint %s: not an http:// or https:// URL",
		    t->name, t->conf.endpoint);
		goto err;
	}
	t->retries = 8;
	return 0;
nomem:
	warnp("malloc");
err:
	s3_target_free(t);
	return -1;
}

void
s3_target_free(struct s3_target *t)
{
	if (t == NULL)
		return;
	awsconf_free(&t->conf);
	free(t->bucket);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

struct s3_client *
s3_client_new(const struct s3_target *t)
{
	struct s3_client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		warnp("malloc");
		return NULL;
	}
	if ((c->curl = curl_easy_init()) == NULL) {
		warn0("libcurl: cannot create a handle");
		free(c);
		return NULL;
	}
	c->t = t;
	return c;
}

void
s3_client_free(struct s3_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

void
s3_resp_free(struct s3_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Copy a header value (after "Name:") into dst, trimmed. */
static void
hdr_copy(char *dst, size_t len, const char *v, size_t vlen)
{
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && isspace((unsigned char)v[vlen - 1]))
		vlen--;
	if (vlen >= len)
		vlen = len - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
}

/* A byte count as S3 writes it: decimal digits only.  0 or -1. */
static int
parse_size_text(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

size_t
s3_on_header(char *p, size_t size, size_t n, void *arg)
{
	static const struct { const char *name; size_t off, len; } h[] = {
#define H(name, field) { name, offsetof(struct s3_resp, field), \
	sizeof(((struct s3_resp *)0)->field) }
		H("etag:", etag), H("x-amz-version-id:", version_id),
		H("x-amz-storage-class:", storage_class),
		H("x-amz-restore:", restore),
		H("last-modified:", last_modified),
		H("content-range:", content_range),
		H("x-amz-checksum-sha256:", checksum_sha256),
		H("x-amz-object-lock-retain-until-date:", lock_until),
		H("x-amz-object-lock-legal-hold:", legal_hold),
#undef H
	};
	struct s3_resp *r = arg;
	size_t len = size * n, i, nl;
	char num[32];

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		nl = strlen(h[i].name);
		if (len > nl && strncasecmp(p, h[i].name, nl) == 0)
			hdr_copy((char *)r + h[i].off, h[i].len, p + nl,
			    len - nl);
	}
	/* A new response (after a redirect or 100) starts afresh. */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		r->etag[0] = r->version_id[0] = r->storage_class[0] = '\0';
		r->restore[0] = r->last_modified[0] = '\0';
		r->content_range[0] = r->checksum_sha256[0] = '\0';
		r->lock_until[0] = r->legal_hold[0] = '\0';
		r->length = 0;
		r->has_length = 0;
		hdr_copy(num, sizeof(num), p, len);
		r->status = strchr(num, ' ') ? strtol(strchr(num, ' '), NULL,
		    10) : 0;
	}
	if (len > 15 && strncasecmp(p, "content-length:", 15) == 0) {
		hdr_copy(num, sizeof(num), p + 15, len - 15);
		r->has_length = parse_size_text(num, &r->length) == 0;
	}
	return len;
}

struct wctx {
	struct s3_client *c;
	struct s3_req *rq;
	struct s3_resp *r;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct wctx *w = arg;
	size_t len = size * n;
	long status = 0;
	char *nb;

	curl_easy_getinfo(w->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (w->rq->sink != NULL && status >= 200 && status < 300) {
		if (w->rq->sink(p, len, w->rq->sinkarg) != 0) {
			w->rq->sinkfailed = 1;
			return 0;
		}
		return len;
	}
	if (w->r->len + len > BODY_MAX)
		return 0;
	if ((nb = realloc(w->r->body, w->r->len + len + 1)) == NULL)
		return 0;
	memcpy(nb + w->r->len, p, len);
	w->r->body = nb;
	w->r->len += len;
	nb[w->r->len] = '\0';
	return len;
}

static size_t
on_read(char *p, size_t size, size_t n, void *arg)
{
	struct s3_req *rq = arg;
	size_t len = size * n, left = rq->bodylen - rq->upoff;

	if (len > left)
		len = left;
	memcpy(p, (const char *)rq->body + rq->upoff, len);
	rq->upoff += len;
	return len;
}

/* Split the endpoint into scheme and host[:port]. */
static void
endpoint_parts(const struct s3_target *t, char *scheme, size_t slen,
    char *host, size_t hlen)
{
	const char *e = t->conf.endpoint, *h;
	size_t n;

	if (e == NULL) {
		snprintf(scheme, slen, "https");
		snprintf(host, hlen, "s3.%s.amazonaws.com", t->conf.region);
		return;
	}
	h = strstr(e, "://") + 3;
	snprintf(scheme, slen, "%.*s", (int)(h - 3 - e), e);
	n = strcspn(h, "/");
	snprintf(host, hlen, "%.*s", (int)n, h);
}

/* The URL, Host value and canonical path of a request. */
static int
build_url(const struct s3_target *t, const struct s3_req *rq, char **url,
    char *host, size_t hlen, char **path)
{
	char scheme[16], ep[256], *ekey = NULL, *ebucket = NULL;
	int rc = -1;

	/* The last line of defence: every request's key passes here. */
	if (rq->key != NULL && store_key_check(rq->key) != 0) {
		warn0("%s/%s: a key with a \".\", \"..\" or empty segment "
		    "names another object; refused", t->name, rq->key);
		return -1;
	}
	endpoint_parts(t, scheme, sizeof(scheme), ep, sizeof(ep));
	if ((ekey = sigv4_uri_encode(rq->key ? rq->key : "", 1)) == NULL ||
	    (ebucket = sigv4_uri_encode(t->bucket, 0)) == NULL)
		goto out;
	if (t->path_style) {
		snprintf(host, hlen, "%s", ep);
		if (asprintf(path, "/%s%s%s", ebucket, rq->key ? "/" : "",
		    ekey) < 0)
			goto nomem;
	} else {
		snprintf(host, hlen, "%s.%s", t->bucket, ep);
		if (asprintf(path, "/%s", ekey) < 0)
			goto nomem;
	}
	if (asprintf(url, "%s://%s%s%s%s", scheme, host, *path,
	    rq->query[0] ? "?" : "", rq->query) < 0) {
		free(*path);
		goto nomem;
	}
	rc = 0;
	goto out;
nomem:
	warnp("malloc");
out:
	free(ekey);
	free(ebucket);
	return rc;
}

/* The signed header list for curl, with Authorization. */
static struct curl_slist *
sign_headers(const struct s3_target *t, const struct s3_req *rq,
    const char *host, const char *path)
{
	struct sigv4_header h[MAX_EXTRA + 4];
	char amzdate[17], phash[65], authz[1024], *copy[MAX_EXTRA], *colon;
	char line[8192];	/* session tokens run to a few KiB */
	int has_ctype = 0;
	struct curl_slist *sl = NULL, *n;
	size_t nh = 0, i;
	struct sigv4_request sr;

	memset(copy, 0, sizeof(copy));
	sigv4_amzdate(time(NULL), amzdate);
	if (rq->payload_hash != NULL)
		snprintf(phash, sizeof(phash), "%s", rq->payload_hash);
	else
		sigv4_sha256_hex(rq->body ? rq->body : "", rq->bodylen, phash);
	h[nh++] = (struct sigv4_header){ "host", host };
	h[nh++] = (struct sigv4_header){ "x-amz-date", amzdate };
	h[nh++] = (struct sigv4_header){ "x-amz-content-sha256", phash };
	if (t->conf.token != NULL)
		h[nh++] = (struct sigv4_header){ "x-amz-security-token",
		    t->conf.token };
	for (i = 0; i < rq->nextra; i++) {
		if ((copy[i] = strdup(rq->extra[i])) == NULL)
			goto nomem;
		colon = strchr(copy[i], ':');
		*colon = '\0';
		has_ctype |= strcasecmp(copy[i], "Content-Type") == 0;
		h[nh++] = (struct sigv4_header){ copy[i], colon + 1 };
	}
	sr = (struct sigv4_request){ rq->method, path, rq->query, h, nh,
	    phash, amzdate, t->conf.region, "s3" };
	if (sigv4_authorization(&sr, t->conf.access_key, t->conf.secret_key,
	    authz, sizeof(authz), NULL, 0) != 0)
		goto err;
	for (i = 0; i < nh; i++) {
		if ((size_t)snprintf(line, sizeof(line), "%s: %s", h[i].name,
		    h[i].value) >= sizeof(line)) {
			warn0("header %s too long", h[i].name);
			goto err;
		}
		if ((n = curl_slist_append(sl, line)) == NULL)
			goto nomem;
		sl = n;
	}
	snprintf(line, sizeof(line), "Authorization: %s", authz);
	bk_wipe(authz, sizeof(authz));
	/* No 100-continue round trip; no form content type on POST. */
	if ((n = curl_slist_append(sl, line)) == NULL ||
	    (sl = n, n = curl_slist_append(sl, "Expect:")) == NULL ||
	    (sl = n, !has_ctype && (n = curl_slist_append(sl,
	    "Content-Type:")) == NULL))
		goto nomem;
	bk_wipe(line, sizeof(line));
	for (i = 0; i < rq->nextra; i++)
		free(copy[i]);
	return n;
nomem:
	warnp("malloc");
err:
	bk_wipe(line, sizeof(line));
	for (i = 0; i < rq->nextra; i++)
		free(copy[i]);
	curl_slist_free_all(sl);
	return NULL;
}

static void
set_method(CURL *h, struct s3_req *rq)
{
	if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)rq->bodylen);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, rq);
	} else if (strcmp(rq->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)rq->bodylen);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS,
		    rq->body ? rq->body : "");
	} else if (strcmp(rq->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(rq->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
}

/* One attempt.  Returns the curl result; r has the response. */
static CURLcode
attempt(struct s3_client *c, struct s3_req *rq, struct s3_resp *r)
{
	struct curl_slist *hdrs = NULL;
	char host[320], *url = NULL, *path = NULL, *v;
	struct wctx w = { c, rq, r };
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	CURL *h = c->curl;

	s3_resp_free(r);
	rq->upoff = 0;
	rq->sinkfailed = 0;
	rq->reported = 1;
	c->errbuf[0] = '\0';
	if (build_url(c->t, rq, &url, host, sizeof(host), &path) != 0)
		return CURLE_OUT_OF_MEMORY;
	if ((hdrs = sign_headers(c->t, rq, host, path)) == NULL)
		goto out;
	rq->reported = 0;
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
	/* A stalled connection (not a slow one) counts as dropped. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Send the path as signed: curl must not squash "/../". */
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	if (c->t->conf.ca_bundle != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->t->conf.ca_bundle);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, s3_on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &w);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
	set_method(h, rq);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->body != NULL) {
		if ((v = xml_text(r->body, r->body + r->len, "Code")) != NULL)
			snprintf(r->code, sizeof(r->code), "%s", v);
		free(v);
		if ((v = xml_text(r->body, r->body + r->len, "Message")))
			snprintf(r->message, sizeof(r->message), "%s", v);
		free(v);
	}
out:
	curl_slist_free_all(hdrs);
	free(url);
	free(path);
	return cc;
}

/* Is a transport failure worth another try? */
static int
curl_temporary(CURLcode cc)
{
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_WRITE_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
	case CURLE_LOGIN_DENIED:
		return 0;
	default:
		return 1;
	}
}

static int
http_temporary(const struct s3_resp *r)
{
	return r->status >= 500 || r->status == 429 ||
	    strcmp(r->code, "SlowDown") == 0 ||
	    strcmp(r->code, "RequestTimeout") == 0 ||
	    strcmp(r->code, "InternalError") == 0;
}

/* "s3://bucket/key" (or the bucket) for messages. */
static void
where(const struct s3_client *c, const struct s3_req *rq, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", c->t->name, rq->key ? "/" : "",
	    rq->key ? rq->key : "", rq->what ? ": " : "",
	    rq->what ? rq->what : "");
}

static void
describe(const struct s3_client *c, CURLcode cc, const struct s3_resp *r,
    char *buf, size_t len)
{
	if (cc != CURLE_OK)
		snprintf(buf, len, "%s", c->errbuf[0] ? c->errbuf :
		    curl_easy_strerror(cc));
	else if (r->code[0] != '\0')
		snprintf(buf, len, "HTTP %ld %s: %s", r->status, r->code,
		    r->message[0] ? r->message : "(no message)");
	else
		/* HEAD replies carry no body: say what the status means. */
		snprintf(buf, len, "HTTP %ld%s", r->status,
		    r->status == 403 ? " Forbidden (check the credentials)" :
		    r->status == 404 ? " Not Found" :
		    r->status == 400 ? " Bad Request (check the region)" :
		    r->status == 301 ? " Moved Permanently (the bucket is in "
		    "another region)" : "");
}

/* Sleep for attempt n: exponential, capped, "equal jitter". */
static void
backoff(int n)
{
	unsigned int rnd = 0;
	long ms = BACKOFF_BASE_MS;

	while (n-- > 0 && ms < BACKOFF_CAP_MS)
		ms *= 2;
	if (ms > BACKOFF_CAP_MS)
		ms = BACKOFF_CAP_MS;
	(void)RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
	ms = ms / 2 + (long)(rnd % (unsigned int)(ms / 2 + 1));
	/* In steps of at most 100 ms, so a stop is seen promptly. */
	for (; ms > 0 && !stopped(); ms -= 100)
		bk_sleep_ms(ms < 100 ? ms : 100);
}

/*
 * Send rq until it succeeds (2xx, or quiet), fails for good, or the
 * retries are spent.  Reports failures; quiet is a status (e.g. 404)
 * returned as BK_OK without a word.
 */
static int
call(struct s3_client *c, struct s3_req *rq, struct s3_resp *r, long quiet)
{
	char at[1200], why[800];
	CURLcode cc;
	int n, temp;

	if (c->t->conf.access_key == NULL) {
		where(c, rq, at, sizeof(at));
		warn0("%s: no AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE "
		    "or ~/.aws/credentials)", at);
		return BK_FAIL;
	}
	for (n = 0;; n++) {
		cc = attempt(c, rq, r);
		if (cc == CURLE_OK && ((r->status >= 200 && r->status < 300) ||
		    (quiet != 0 && r->status == quiet) ||
		    (r->status != 0 && (r->status == rq->quiet_also[0] ||
		    r->status == rq->quiet_also[1]))))
			return BK_OK;
		if (rq->sinkfailed || rq->reported)
			return BK_FAIL;
		if (stopped()) {
			where(c, rq, at, sizeof(at));
			warn0("%s: cancelled (stopping)", at);
			return BK_FAIL;
		}
		temp = (cc != CURLE_OK) ? curl_temporary(cc) :
		    http_temporary(r);
		where(c, rq, at, sizeof(at));
		describe(c, cc, r, why, sizeof(why));
		if (!temp) {
			warn0("%s: %s", at, why);
			return BK_FAIL;
		}
		if (n >= c->t->retries) {
			warn0("%s: %s; gave up after %d attempts", at, why,
			    n + 1);
			return BK_RETRY;
		}
		warn0("%s: %s; retrying (%d of %d)", at, why, n + 1,
		    c->t->retries);
		backoff(n);
	}
}

static int
add_hdr(struct s3_req *rq, char *buf, size_t len, const char *name,
    const char *val)
{
	if (val == NULL)
		return 0;
	if (rq->nextra == MAX_EXTRA ||
	    (size_t)snprintf(buf, len, "%s: %s", name, val) >= len) {
		warn0("%s: header %s too long", rq->key ? rq->key : "", name);
		return -1;
	}
	rq->extra[rq->nextra++] = buf;
	return 0;
}

/*
 * "NAME=VAL" (VAL %-encoded) as a new *q, or NULL without a val.  0, or
 * -1 (reported).
 */
static int
encoded_query(const char *name, const char *val, char **q)
{
	char *ev;

	*q = NULL;
	if (val == NULL)
		return 0;
	if ((ev = sigv4_uri_encode(val, 0)) == NULL)
		return -1;
	if (asprintf(q, "%s=%s", name, ev) < 0) {
		*q = NULL;
		warnp("malloc");
	}
	free(ev);
	return *q == NULL ? -1 : 0;
}

static int
head(struct s3_client *c, const char *key, const char *vid,
    struct s3_resp *r, int checksum)
{
	struct s3_req rq = { .method = "HEAD", .key = key, .query = "" };
	char *q = NULL;
	int rc;

	if (encoded_query("versionId", vid, &q) != 0)
		return BK_FAIL;
	if (q != NULL)
		rq.query = q;
	if (checksum)
		rq.extra[rq.nextra++] = "x-amz-checksum-mode: ENABLED";
	rc = call(c, &rq, r, 404);
	free(q);
	return rc;
}

int
s3_head(struct s3_client *c, const char *key, const char *vid,
    struct s3_resp *r)
{
	return head(c, key, vid, r, 0);
}

int
s3_head_checksum(struct s3_client *c, const char *key, struct s3_resp *r)
{
	return head(c, key, NULL, r, 1);
}

/* The object options as headers (not If-None-Match). */
static int
put_headers(struct s3_req *rq, const struct store_putopts *o, char b[][512])
{
	if (o == NULL)
		return 0;
	return add_hdr(rq, b[0], 512, "x-amz-storage-class",
	    o->storage_class) || add_hdr(rq, b[1], 512,
	    "x-amz-server-side-encryption", o->sse) || add_hdr(rq, b[2], 512,
	    "x-amz-server-side-encryption-aws-kms-key-id", o->kms_key) ||
	    add_hdr(rq, b[3], 512, "x-amz-object-lock-mode", o->lock_mode) ||
	    add_hdr(rq, b[4], 512, "x-amz-object-lock-retain-until-date",
	    o->lock_until) || add_hdr(rq, b[5], 512, "x-amz-tagging",
	    o->tagging) || add_hdr(rq, b[6], 512, "Content-Type",
	    o->content_type) ? -1 : 0;
}

static void
b64(char out[45], const unsigned char sum[32])
{
	EVP_EncodeBlock((unsigned char *)out, sum, 32);
}

/* An ETag without its quotes: where it starts, and *len. */
static const char *
unquoted(const char *e, size_t *len)
{
	size_t n = strlen(e);

	if (n >= 2 && e[0] == '"' && e[n - 1] == '"') {
		*len = n - 2;
		return e + 1;
	}
	*len = n;
	return e;
}

/* Are two ETags the same, quoted or not? */
static int
etag_eq(const char *a, const char *b)
{
	size_t la, lb;

	a = unquoted(a, &la);
	b = unquoted(b, &lb);
	return la == lb && memcmp(a, b, la) == 0;
}

/*
 * A multipart object's checksum and ETag as S3 forms them from its
 * parts': the SHA-256 of the parts' SHA-256s, base64, "-N"; the MD5 of
 * the parts' MD5s (their ETags, when they are MD5s), hex, "-N" ("" if a
 * part's ETag is not one).  0, or -1 (reported).
 */
static int
multipart_ids(int n, char (*etags)[256], const unsigned char (*sums)[32],
    char sum64[64], char etag[64])
{
	unsigned char *cat, d[32];
	unsigned int dl;
	char b[45];
	int i, md5s = 1;

	if ((cat = malloc((size_t)n * 32)) == NULL) {
		warnp("malloc");
		return -1;
	}
	for (i = 0; i < n; i++)
		memcpy(cat + (size_t)i * 32, sums[i], 32);
	EVP_Digest(cat, (size_t)n * 32, d, &dl, EVP_sha256(), NULL);
	b64(b, d);
	snprintf(sum64, 64, "%s-%d", b, n);
	for (i = 0; i < n && md5s; i++) {
		size_t el;
		const char *e = unquoted(etags[i], &el);

		md5s = el == 32 && bk_unhex(cat + (size_t)i * 16, e, 16) == 0;
	}
	etag[0] = '\0';
	if (md5s) {
		EVP_Digest(cat, (size_t)n * 16, d, &dl, EVP_md5(), NULL);
		bk_hex(b, d, 16);
		snprintf(etag, 64, "%s-%d", b, n);
	}
	free(cat);
	return 0;
}

/*
 * A conditional write (If-None-Match: *) answered 412, or a completion
 * answered NoSuchUpload: an attempt before may have landed and only its
 * answer been lost (a reset, a timeout; libcurl also resends by itself
 * on a reused connection that dies, so the caller cannot tell).  It did
 * if the object now at key is the one being written: the same SHA-256
 * (x-amz-checksum-sha256, composite "-N" for multipart) or the same
 * multipart ETag (both made from the bytes); and the same length when
 * known.
 * Whoever wrote it, the bytes are the ones wanted.  1 if so.
 */
static int
landed(struct s3_client *c, const char *key, const char *sum64,
    const char *etag, int64_t len)
{
	struct s3_resp h = { 0 };
	int ok = 0;

	if (head(c, key, NULL, &h, 1) == BK_OK && h.status == 200 &&
	    (len < 0 || (h.has_length && h.length == (uint64_t)len))) {
		ok = (sum64 != NULL && h.checksum_sha256[0] != '\0' &&
		    strcmp(h.checksum_sha256, sum64) == 0) ||
		    (etag != NULL && etag[0] != '\0' && etag_eq(h.etag, etag));
	}
	s3_resp_free(&h);
	if (ok)
		warn0("%s/%s: an earlier attempt had stored it (its answer was "
		    "lost); the object is the one written", c->t->name, key);
	return ok;
}

/* Say why a write was refused (call() was told to keep quiet on it). */
static void
refused(struct s3_client *c, struct s3_req *rq, struct s3_resp *r)
{
	char at[1200], why[800];

	if (r->status == 412) {
		warn0("%s/%s: already exists; not overwritten", c->t->name,
		    rq->key);
		return;
	}
	where(c, rq, at, sizeof(at));
	describe(c, CURLE_OK, r, why, sizeof(why));
	warn0("%s: %s", at, why);
}

int
s3_put_object(struct s3_client *c, const char *key, const void *buf,
    size_t len, const unsigned char sha256[32], const struct store_putopts *o)
{
	struct s3_req rq = { .method = "PUT", .key = key, .query = "",
	    .body = buf, .bodylen = len };
	char b[10][512], hex[65], sum64[45];
	struct s3_resp r = { 0 };
	int rc;

	bk_hex(hex, sha256, 32);
	b64(sum64, sha256);
	rq.payload_hash = hex;
	if (put_headers(&rq, o, b) != 0 ||
	    add_hdr(&rq, b[7], 512, "x-amz-checksum-sha256", sum64) != 0 ||
	    (o && o->noclobber && add_hdr(&rq, b[8], 512, "If-None-Match",
	    "*") != 0))
		return BK_FAIL;
	if (o && o->noclobber)
		rq.quiet_also[0] = 412;
	rc = call(c, &rq, &r, o && o->noclobber ? 501 : 0);
	if (rc == BK_OK && r.status == 501) {
		/* No conditional writes here: the HEAD before was the check. */
		rq.nextra--;
		rc = call(c, &rq, &r, 0);
	}
	if (rc == BK_OK && r.status == 412 &&
	    !landed(c, key, sum64, NULL, (int64_t)len)) {
		refused(c, &rq, &r);
		rc = BK_FAIL;
	}
	s3_resp_free(&r);
	return rc;
}

int
s3_mpu_create(struct s3_client *c, const char *key,
    const struct store_putopts *o, char **upload_id)
{
	struct s3_req rq = { .what = "create multipart upload",
	    .method = "POST", .key = key, .query = "uploads" };
	struct s3_resp r = { 0 };
	char b[10][512];
	int rc;

	if (put_headers(&rq, o, b) != 0 || add_hdr(&rq, b[7], 512,
	    "x-amz-checksum-algorithm", "SHA256") != 0)
		return BK_FAIL;
	if ((rc = call(c, &rq, &r, 0)) == BK_OK) {
		*upload_id = r.body ? xml_text(r.body, r.body + r.len,
		    "UploadId") : NULL;
		if (*upload_id == NULL || **upload_id == '\0') {
			warn0("%s/%s: no UploadId in the reply", c->t->name,
			    key);
			free(*upload_id);
			*upload_id = NULL;
			rc = BK_FAIL;
		}
	}
	s3_resp_free(&r);
	return rc;
}

int
s3_mpu_part(struct s3_client *c, const char *key, const char *upload_id,
    int num, const void *buf, size_t len, const unsigned char sha256[32],
    char etag[256])
{
	struct s3_req rq = { .method = "PUT", .key = key, .body = buf,
	    .bodylen = len };
	char what[32], hex[65], sum64[45], b[1][512], *q = NULL, *eid;
	struct s3_resp r = { 0 };
	int rc = BK_FAIL;

	if ((eid = sigv4_uri_encode(upload_id, 0)) == NULL)
		return BK_FAIL;
	if (asprintf(&q, "partNumber=%d&uploadId=%s", num, eid) < 0) {
		warnp("malloc");
		free(eid);
		return BK_FAIL;
	}
	free(eid);
	snprintf(what, sizeof(what), "part %d", num);
	rq.what = what;
	rq.query = q;
	bk_hex(hex, sha256, 32);
	b64(sum64, sha256);
	rq.payload_hash = hex;
	if (add_hdr(&rq, b[0], 512, "x-amz-checksum-sha256", sum64) != 0)
		goto out;
	if ((rc = call(c, &rq, &r, 0)) == BK_OK) {
		if (r.etag[0] == '\0') {
			warn0("%s/%s: %s: no ETag in the reply", c->t->name,
			    key, what);
			rc = BK_FAIL;
		} else
			snprintf(etag, 256, "%s", r.etag);
	}
out:
	s3_resp_free(&r);
	free(q);
	return rc;
}

/* The CompleteMultipartUpload body. */
static char *
complete_body(int n, char (*etags)[256], const unsigned char (*sums)[32],
    size_t *len)
{
	char *buf = NULL, sum64[45];
	FILE *f;
	int i;

	if ((f = open_memstream(&buf, len)) == NULL) {
		warnp("open_memstream");
		return NULL;
	}
	fputs("<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\">", f);
	for (i = 0; i < n; i++) {
		b64(sum64, sums[i]);
		/* ETags are quoted hex: nothing in them needs escaping. */
		fprintf(f, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag>"
		    "<ChecksumSHA256>%s</ChecksumSHA256></Part>", i + 1,
		    etags[i], sum64);
	}
	fputs("</CompleteMultipartUpload>", f);
	if (fclose(f) != 0) {
		warnp("open_memstream");
		free(buf);
		return NULL;
	}
	return buf;
}

int
s3_mpu_complete(struct s3_client *c, const char *key, const char *upload_id,
    int n, char (*etags)[256], const unsigned char (*sums)[32],
    int noclobber)
{
	struct s3_req rq = { .what = "complete multipart upload",
	    .method = "POST", .key = key };
	struct s3_resp r = { 0 };
	char b[2][512], *q = NULL, *body, *code;
	size_t len;
	int rc = BK_FAIL;

	if ((body = complete_body(n, etags, sums, &len)) == NULL)
		return BK_FAIL;
	if (encoded_query("uploadId", upload_id, &q) != 0)
		goto out;
	rq.query = q;
	rq.body = body;
	rq.bodylen = len;
	if (add_hdr(&rq, b[0], 512, "Content-Type", "application/xml") ||
	    (noclobber && add_hdr(&rq, b[1], 512, "If-None-Match", "*")))
		goto out;
	/* Looked at below: a retry may meet its own earlier success. */
	rq.quiet_also[0] = 404;
	rq.quiet_also[1] = noclobber ? 412 : 0;
	rc = call(c, &rq, &r, noclobber ? 501 : 0);
	if (rc == BK_OK && r.status == 501) {
		/* No conditional writes here: the HEAD before was the check. */
		rq.nextra--;
		rc = call(c, &rq, &r, 0);
	}
	if (rc == BK_OK && (r.status == 404 || r.status == 412)) {
		char sum64[64], etag[64];

		if (multipart_ids(n, etags, sums, sum64, etag) == 0 &&
		    landed(c, key, sum64, etag, -1)) {
			rc = BK_OK;
			goto out;
		}
		refused(c, &rq, &r);
		rc = BK_FAIL;
	}
	/* S3 may answer 200 and put the error in the body. */
	if (rc == BK_OK && r.body != NULL && (code = xml_text(r.body,
	    r.body + r.len, "Code")) != NULL) {
		warn0("%s/%s: complete multipart upload: %s: %s", c->t->name,
		    key, code, r.message);
		rc = strcmp(code, "InternalError") == 0 ||
		    strcmp(code, "SlowDown") == 0 ? BK_RETRY : BK_FAIL;
		free(code);
	}
out:
	s3_resp_free(&r);
	free(body);
	free(q);
	return rc;
}

/* One AbortMultipartUpload, retried; 404 (gone already) is success. */
static int
mpu_abort_once(struct s3_client *c, const char *key, const char *q)
{
	struct s3_req rq = { .what = "abort multipart upload",
	    .method = "DELETE", .key = key, .query = q };
	struct s3_resp r = { 0 };
	int rc;

	rc = call(c, &rq, &r, 404);
	s3_resp_free(&r);
	return rc;
}

/* Is the upload still there?  ListParts: 1 yes, 0 no (404), -1 unknown. */
static int
mpu_exists(struct s3_client *c, const char *key, const char *q)
{
	struct s3_req rq = { .what = "list parts", .method = "GET",
	    .key = key };
	struct s3_resp r = { 0 };
	char *lq = NULL;
	int rc;

	if (asprintf(&lq, "max-parts=1&%s", q) < 0) {
		warnp("malloc");
		return -1;
	}
	rq.query = lq;
	rc = call(c, &rq, &r, 404);
	rc = rc != BK_OK ? -1 : r.status == 404 ? 0 : 1;
	s3_resp_free(&r);
	free(lq);
	return rc;
}

/*
 * A part upload the server was still writing when the abort came may
 * land after it and bring the upload back (S3 says to abort again; the
 * posix gateway re-creates the upload's directory).  So the abort is
 * confirmed: the upload must be gone at two looks, the second 1.5 s
 * after it, or it is aborted again, up to 5 times.
 */
int
s3_mpu_abort(struct s3_client *c, const char *key, const char *upload_id)
{
	static const long look[] = { 300, 1500 };
	char *q = NULL;
	int rc = BK_FAIL, round, i, e = 0;

	if (encoded_query("uploadId", upload_id, &q) != 0)
		return BK_FAIL;
	for (round = 0; round < 5; round++) {
		if ((rc = mpu_abort_once(c, key, q)) != BK_OK)
			break;
		for (i = 0; i < 2; i++) {
			bk_sleep_ms(look[i]);
			if ((e = mpu_exists(c, key, q)) != 0)
				break;
		}
		if (e <= 0)	/* gone; or cannot tell, the abort was made */
			break;
	}
	if (rc == BK_OK && e == 1) {
		warn0("%s/%s: multipart upload %s is still there after 5 "
		    "aborts; bk-prune --incomplete-grace removes it later",
		    c->t->name, key, upload_id);
		rc = BK_FAIL;
	}
	free(q);
	return rc;
}

/*
 * A download: what it knows of its object from the first answer on.
 * Every later answer must agree (size, ETag, the range asked for), or
 * the bytes written would not be one object's.
 */
struct getctx {
	int (*sink)(const void *, size_t, void *);
	void *arg;
	uint64_t *offset;
	const struct s3_resp *r;	/* the answer being received */
	uint64_t start;		/* the byte this request asked from */
	uint64_t got;		/* body bytes of this answer delivered */
	int checked;		/* this answer's headers were checked */
	int bad;		/* ... and refused; why says why */
	int known;		/* total and etag are set */
	int64_t want;		/* the size it must have, or -1 */
	uint64_t total;		/* the object's size */
	char etag[256];		/* its ETag ("" if the server sent none) */
	char why[600];
};

int
s3_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *t)
{
	char na[32], nb[32], nt[32], extra;

	if (sscanf(s, "bytes %30[0-9]-%30[0-9]/%30[0-9]%c", na, nb, nt,
	    &extra) != 3)
		return -1;
	if (parse_size_text(na, a) != 0 || parse_size_text(nb, b) != 0 ||
	    parse_size_text(nt, t) != 0 || *a > *b)
		return -1;
	return 0;
}

#define BAD(...) do {							\
	snprintf(g->why, sizeof(g->why), __VA_ARGS__);			\
	g->bad = 1;							\
	return -1;							\
} while (0)

/*
 * Check an answer's headers before any of its bytes is written: 200 to
 * the first request (no Range), 206 from exactly the byte asked for to
 * the object's end; a Content-Length that matches; the size and ETag of
 * the first answer.  0, or -1 with g->why set.
 */
static int
check_answer(struct getctx *g, long status)
{
	const struct s3_resp *r = g->r;
	unsigned long long start = g->start;
	uint64_t a, b, t, total;

	g->checked = 1;
	if (start == 0 && status != 200)
		BAD("HTTP %ld to a request for the whole object", status);
	if (start > 0 && status != 206)
		BAD("HTTP %ld to a request from byte %llu: the server "
		    "ignored the Range", status, start);
	if (!r->has_length)
		BAD("an answer without Content-Length");
	total = r->length;
	if (status == 206) {
		if (s3_content_range(r->content_range, &a, &b, &t) != 0)
			BAD("Content-Range \"%.60s\" is not bytes A-B/SIZE",
			    r->content_range);
		if (a != start || b + 1 != t)
			BAD("Content-Range %.60s does not run from byte %llu "
			    "to the end", r->content_range, start);
		if (r->length != b - a + 1)
			BAD("Content-Length %llu does not match Content-Range "
			    "%.60s", (unsigned long long)r->length,
			    r->content_range);
		total = t;
	}
	if (!g->known && g->want >= 0 && total != (uint64_t)g->want)
		BAD("the object is %llu bytes, its manifest says %lld",
		    (unsigned long long)total, (long long)g->want);
	if (!g->known) {
		g->known = 1;
		g->total = total;
		snprintf(g->etag, sizeof(g->etag), "%s", r->etag);
		return 0;
	}
	if (total != g->total)
		BAD("the object's size changed from %llu to %llu bytes",
		    (unsigned long long)g->total, (unsigned long long)total);
	if (strcmp(r->etag, g->etag) != 0)
		BAD("the object's ETag changed from %.100s to %.100s",
		    g->etag, r->etag[0] ? r->etag : "(none)");
	return 0;
}

#undef BAD

static int
get_sink(const void *p, size_t len, void *arg)
{
	struct getctx *g = arg;

	if (!g->checked && check_answer(g, g->r->status) != 0)
		return -1;
	if (g->got + len > g->r->length) {
		snprintf(g->why, sizeof(g->why), "more bytes than the "
		    "Content-Length %llu", (unsigned long long)g->r->length);
		g->bad = 1;
		return -1;
	}
	if (g->sink(p, len, g->arg) != 0)
		return -1;
	g->got += len;
	*g->offset += len;
	return 0;
}

/*
 * After an answer with data came whole: was it all of what it announced,
 * and is the object now complete?  0, or -1 with g->why set.
 */
static int
check_complete(struct getctx *g, long status)
{
	if (!g->checked && check_answer(g, status) != 0)
		return -1;
	if (g->got != g->r->length) {
		snprintf(g->why, sizeof(g->why), "received %llu bytes of the "
		    "%llu announced", (unsigned long long)g->got,
		    (unsigned long long)g->r->length);
		return -1;
	}
	if (*g->offset != g->total) {
		snprintf(g->why, sizeof(g->why), "the answers ended at byte "
		    "%llu of %llu", (unsigned long long)*g->offset,
		    (unsigned long long)g->total);
		return -1;
	}
	return 0;
}

/* The Range and If-Match headers of the next request. */
static void
resume_headers(struct s3_req *rq, const struct getctx *g, char *range,
    size_t rlen, char *ifm, size_t ilen)
{
	rq->nextra = 0;
	if (*g->offset > 0) {
		snprintf(range, rlen, "Range: bytes=%llu-",
		    (unsigned long long)*g->offset);
		rq->extra[rq->nextra++] = range;
	}
	/* Resume (or start again) only the very object we started on. */
	if (g->known && g->etag[0] != '\0') {
		snprintf(ifm, ilen, "If-Match: %s", g->etag);
		rq->extra[rq->nextra++] = ifm;
	}
}

int
s3_get(struct s3_client *c, const char *key, const char *vid,
    int (*sink)(const void *, size_t, void *), void *arg, uint64_t *offset,
    int64_t size, int *archived)
{
	struct s3_resp r = { 0 };
	struct getctx g = { sink, arg, offset, &r, 0, 0, 0, 0, 0, size, 0, "",
	    "" };
	struct s3_req rq = { .method = "GET", .key = key, .query = "",
	    .sink = get_sink, .sinkarg = &g };
	char range[64], ifm[300], at[1200], why[800], *q = NULL;
	uint64_t before;
	CURLcode cc;
	int n = 0, rc = BK_FAIL;

	*archived = 0;
	if (c->t->conf.access_key == NULL)
		return call(c, &rq, &r, 0);
	if (encoded_query("versionId", vid, &q) != 0)
		return BK_FAIL;
	if (q != NULL)
		rq.query = q;
	for (;;) {
		resume_headers(&rq, &g, range, sizeof(range), ifm, sizeof(ifm));
		before = g.start = *offset;
		g.got = 0;
		g.checked = 0;
		cc = attempt(c, &rq, &r);
		where(c, &rq, at, sizeof(at));
		if (rq.reported)
			break;
		if (g.bad) {
			warn0("%s: %s; refused", at, g.why);
			break;
		}
		if (rq.sinkfailed)
			break;
		if (cc == CURLE_OK && (r.status == 200 || r.status == 206)) {
			if ((rc = check_complete(&g, r.status)) != 0) {
				warn0("%s: %s; refused", at, g.why);
				rc = BK_FAIL;
			}
			break;
		}
		/* The connection failed after the last byte: that is all. */
		if (g.checked && g.known && *offset == g.total &&
		    g.got == r.length) {
			rc = BK_OK;
			break;
		}
		if (cc == CURLE_OK && r.status == 416) {
			warn0("%s: HTTP 416 Range Not Satisfiable from byte "
			    "%llu of %llu: not the object being read; refused",
			    at, (unsigned long long)*offset,
			    (unsigned long long)g.total);
			break;
		}
		if (cc == CURLE_OK && r.status == 412 && g.known) {
			warn0("%s: the object changed during the download "
			    "(If-Match %s failed); start again", at, g.etag);
			break;
		}
		if (cc == CURLE_OK && r.status == 403 &&
		    strcmp(r.code, "InvalidObjectState") == 0) {
			*archived = 1;
			break;
		}
		describe(c, cc, &r, why, sizeof(why));
		if (cc == CURLE_OK ? !http_temporary(&r) : !curl_temporary(cc)) {
			warn0("%s: %s", at, why);
			break;
		}
		if (*offset > 0 && g.etag[0] == '\0') {
			warn0("%s: %s at byte %llu; cannot resume: the server "
			    "sent no ETag to check the object by", at, why,
			    (unsigned long long)*offset);
			break;
		}
		/* Progress resets the budget: a long download may drop often. */
		if (*offset > before)
			n = 1;
		if (n > c->t->retries) {
			warn0("%s: %s; gave up after %d attempts", at, why, n);
			rc = BK_RETRY;
			break;
		}
		warn0("%s: %s at byte %llu; resuming (%d of %d)", at, why,
		    (unsigned long long)*offset, n, c->t->retries);
		backoff(n - 1 < 0 ? 0 : n - 1);
		n++;
	}
	s3_resp_free(&r);
	free(q);
	return rc;
}

/* Where a page's entries go. */
struct entries {
	int (*fn)(const struct s3_object *, void *);
	void *arg;
};

/*
 * Read one page of a listing: call entry for the content of each element
 * name of r's body, in order, until it returns non-zero (returned); *more
 * says whether the listing goes on (IsTruncated).
 */
static int
read_page(const struct s3_resp *r, const char *name,
    int (*entry)(const char *, const char *, const struct entries *),
    const struct entries *e, int *more)
{
	const char *p = r->body, *end = r->body + r->len, *in, *after;
	char *trunc;
	size_t inlen;
	int rc = 0;

	while (rc == 0 && xml_find(p, end, name, &in, &inlen, &after) == 0) {
		rc = entry(in, in + inlen, e);
		p = after;
	}
	trunc = xml_text(r->body, end, "IsTruncated");
	*more = trunc != NULL && strcmp(trunc, "true") == 0;
	free(trunc);
	return rc;
}

/* One <Contents> entry of ListObjectsV2. */
static int
object_entry(const char *in, const char *end, const struct entries *e)
{
	char *key, *size, *lm, *sc;
	struct s3_object o;
	int rc;

	key = xml_text(in, end, "Key");
	size = xml_text(in, end, "Size");
	lm = xml_text(in, end, "LastModified");
	sc = xml_text(in, end, "StorageClass");
	if (key == NULL || size == NULL) {
		warn0("listing: an entry without Key or Size");
		rc = BK_FAIL;
	} else if (parse_size_text(size, &o.size) != 0) {
		warn0("listing: %s: Size is not a number: %.40s", key, size);
		rc = BK_FAIL;
	} else {
		o.key = key;
		o.last_modified = lm ? lm : "";
		o.storage_class = sc ? sc : "STANDARD";
		o.upload_id = NULL;
		rc = e->fn(&o, e->arg);
	}
	free(key);
	free(size);
	free(lm);
	free(sc);
	return rc;
}

int
s3_list_page(const struct s3_resp *r, int (*fn)(const struct s3_object *,
    void *), void *arg, char **token)
{
	const struct entries e = { fn, arg };
	int rc, more;

	*token = NULL;
	rc = read_page(r, "Contents", object_entry, &e, &more);
	if (rc == 0 && more && (*token = xml_text(r->body, r->body + r->len,
	    "NextContinuationToken")) == NULL) {
		warn0("listing: truncated without a continuation token");
		rc = BK_FAIL;
	}
	return rc;
}

/*
 * A paged listing: how to ask for the page after the markers em (two,
 * %-encoded; NULL on the first page), and how to read one, setting the
 * next markers m (m[0] NULL after the last page).
 */
struct pager {
	const char *what;	/* for messages */
	int (*query)(char **q, const char *ep, char *const em[2]);
	int (*page)(const struct s3_resp *r,
	    int (*fn)(const struct s3_object *, void *), void *arg,
	    char *m[2]);
};

static void
free_pair(char *p[2])
{
	free(p[0]);
	free(p[1]);
	p[0] = p[1] = NULL;
}

/* The query of the request for one page; 0, or -1 (reported). */
static int
page_query(const struct pager *pg, char **q, const char *ep, char *m[2])
{
	char *em[2] = { NULL, NULL };
	int i, rc = -1;

	for (i = 0; i < 2; i++)
		if (m[i] != NULL && (em[i] = sigv4_uri_encode(m[i], 0)) ==
		    NULL)
			goto out;
	if (pg->query(q, ep, em) < 0) {
		warnp("malloc");
		*q = NULL;
		goto out;
	}
	rc = 0;
out:
	free_pair(em);
	free_pair(m);
	return rc;
}

/* Ask for every page of a listing under prefix, calling fn per entry. */
static int
list_pages(struct s3_client *c, const struct pager *pg, const char *prefix,
    int (*fn)(const struct s3_object *, void *), void *arg)
{
	struct s3_req rq = { .what = pg->what, .method = "GET" };
	struct s3_resp r = { 0 };
	char *m[2] = { NULL, NULL }, *ep, *q = NULL;
	int rc, pages = 0;

	if ((ep = sigv4_uri_encode(prefix, 0)) == NULL)
		return BK_FAIL;
	do {
		free(q);
		q = NULL;
		if (page_query(pg, &q, ep, m) != 0) {
			rc = BK_FAIL;
			break;
		}
		rq.query = q;
		if ((rc = call(c, &rq, &r, 0)) != BK_OK)
			break;
		if (r.body == NULL) {
			warn0("%s: empty %s reply", c->t->name, pg->what);
			rc = BK_FAIL;
			break;
		}
		rc = pg->page(&r, fn, arg, m);
	} while (rc == 0 && m[0] != NULL && ++pages < 100000);
	s3_resp_free(&r);
	free_pair(m);
	free(ep);
	free(q);
	return rc;
}

static int
objects_query(char **q, const char *ep, char *const em[2])
{
	return asprintf(q, "list-type=2&prefix=%s%s%s", ep,
	    em[0] ? "&continuation-token=" : "", em[0] ? em[0] : "");
}

static int
objects_page(const struct s3_resp *r,
    int (*fn)(const struct s3_object *, void *), void *arg, char *m[2])
{
	return s3_list_page(r, fn, arg, &m[0]);
}

/* One <Upload> entry of ListMultipartUploads. */
static int
upload_entry(const char *in, const char *end, const struct entries *e)
{
	char *key, *init, *id;
	struct s3_object o;
	int rc = 0;

	key = xml_text(in, end, "Key");
	init = xml_text(in, end, "Initiated");
	id = xml_text(in, end, "UploadId");
	if (key != NULL) {
		o = (struct s3_object){ key, 0, init ? init : "", "MULTIPART",
		    id };
		rc = e->fn(&o, e->arg);
	}
	free(key);
	free(init);
	free(id);
	return rc;
}

int
s3_uploads_page(const struct s3_resp *r, int (*fn)(const struct s3_object *,
    void *), void *arg, char *m[2])
{
	const struct entries e = { fn, arg };
	const char *end = r->body + r->len;
	int rc, more;

	m[0] = m[1] = NULL;
	rc = read_page(r, "Upload", upload_entry, &e, &more);
	if (rc == 0 && more) {
		m[0] = xml_text(r->body, end, "NextKeyMarker");
		m[1] = xml_text(r->body, end, "NextUploadIdMarker");
		if (m[0] == NULL || m[1] == NULL) {
			warn0("upload listing: truncated without markers");
			rc = BK_FAIL;
		}
	}
	return rc;
}

static int
uploads_query(char **q, const char *ep, char *const em[2])
{
	return asprintf(q, "%s%s%sprefix=%s%s%s&uploads",
	    em[0] ? "key-marker=" : "", em[0] ? em[0] : "", em[0] ? "&" : "",
	    ep, em[1] ? "&upload-id-marker=" : "", em[1] ? em[1] : "");
}

int
s3_list(struct s3_client *c, const char *prefix, int uploads,
    int (*fn)(const struct s3_object *, void *), void *arg)
{
	static const struct pager pagers[2] = {
		{ "list", objects_query, objects_page },
		{ "list uploads", uploads_query, s3_uploads_page },
	};

	return list_pages(c, &pagers[uploads != 0], prefix, fn, arg);
}

int
s3_restore(struct s3_client *c, const char *key, const char *vid, int days,
    const char *tier)
{
	struct s3_req rq = { .what = "restore", .method = "POST", .key = key };
	struct s3_resp r = { 0 };
	char body[512], *q = NULL, *ev = NULL;
	int rc;

	if (vid != NULL && (ev = sigv4_uri_encode(vid, 0)) == NULL)
		return BK_FAIL;
	if (asprintf(&q, "restore%s%s", ev ? "&versionId=" : "",
	    ev ? ev : "") < 0) {
		warnp("malloc");
		free(ev);
		return BK_FAIL;
	}
	free(ev);
	snprintf(body, sizeof(body), "<RestoreRequest xmlns=\"http://s3."
	    "amazonaws.com/doc/2006-03-01/\"><Days>%d</Days><GlacierJobParam"
	    "eters><Tier>%s</Tier></GlacierJobParameters></RestoreRequest>",
	    days, tier);
	rq.query = q;
	rq.body = body;
	rq.bodylen = strlen(body);
	/* 409 RestoreAlreadyInProgress is what we asked for. */
	rc = call(c, &rq, &r, 409);
	if (rc == BK_OK && r.status == 409 &&
	    strcmp(r.code, "RestoreAlreadyInProgress") != 0) {
		warn0("%s/%s: restore: HTTP 409 %s: %s", c->t->name, key,
		    r.code[0] ? r.code : "Conflict",
		    r.message[0] ? r.message : "(no message)");
		rc = BK_FAIL;
	}
	s3_resp_free(&r);
	free(q);
	return rc;
}

int
s3_delete(struct s3_client *c, const char *key)
{
	struct s3_req rq = { .what = "delete", .method = "DELETE", .key = key,
	    .query = "" };
	struct s3_resp r = { 0 };
	int rc;

	rc = call(c, &rq, &r, 404);
	s3_resp_free(&r);
	return rc;
}

struct smallbuf {
	char *buf;
	size_t len, max;
	int toobig;
};

static int
small_sink(const void *p, size_t len, void *arg)
{
	struct smallbuf *s = arg;
	char *nb;

	if (s->len + len > s->max) {
		s->toobig = 1;
		return -1;
	}
	if ((nb = realloc(s->buf, s->len + len + 1)) == NULL) {
		warnp("malloc");
		return -1;
	}
	memcpy(nb + s->len, p, len);
	s->buf = nb;
	s->len += len;
	nb[s->len] = '\0';
	return 0;
}

int
s3_get_small(struct s3_client *c, const char *key, size_t max, char **buf,
    size_t *len)
{
	struct smallbuf s = { NULL, 0, max, 0 };
	uint64_t off = 0;
	int archived, rc;

	rc = s3_get(c, key, NULL, small_sink, &s, &off, -1, &archived);
	if (rc == BK_OK && s.buf == NULL && (s.buf = calloc(1, 1)) == NULL) {
		warnp("malloc");
		rc = BK_FAIL;
	}
	if (archived) {
		warn0("%s/%s: in an archive storage class", c->t->name, key);
		rc = BK_FAIL;
	}
	/* The contents are wrong, not the reading: a negative answer, as
	 * the file store's (bk_read_small_file) and with its words. */
	if (s.toobig) {
		warn0("%s/%s: larger than %zu bytes", c->t->name, key, max);
		rc = BK_NEGATIVE;
	} else if (rc == BK_OK && memchr(s.buf, '\0', s.len) != NULL) {
		warn0("%s/%s: binary data (a NUL byte), not text",
		    c->t->name, key);
		rc = BK_NEGATIVE;
	}
	if (rc != BK_OK) {
		free(s.buf);
		return rc;
	}
	*buf = s.buf;
	*len = s.len;
	return BK_OK;
}

int
s3_versioning(struct s3_client *c, int *on)
{
	struct s3_req rq = { .what = "get versioning", .method = "GET",
	    .query = "versioning" };
	struct s3_resp r = { 0 };
	char *st = NULL;
	int rc;

	*on = 0;
	/* versitygw without a versioning directory: 501, no versions. */
	if ((rc = call(c, &rq, &r, 501)) == BK_OK && r.status != 501 &&
	    r.body != NULL &&
	    (st = xml_text(r.body, r.body + r.len, "Status")) != NULL)
		*on = strcmp(st, "Enabled") == 0;
	free(st);
	s3_resp_free(&r);
	return rc;
}

int
s3_delete_version(struct s3_client *c, const char *key, const char *vid)
{
	struct s3_req rq = { .what = "delete version", .method = "DELETE",
	    .key = key };
	struct s3_resp r = { 0 };
	char *q;
	int rc;

	if (encoded_query("versionId", vid, &q) != 0)
		return BK_FAIL;
	rq.query = q;
	rc = call(c, &rq, &r, 0);
	s3_resp_free(&r);
	free(q);
	return rc;
}

struct marker {
	const char *key;
	char *vid;
	char **all;		/* every version id of key, when not NULL */
	size_t n, cap;
};

/* One <Version> or <DeleteMarker>: collect its id if it is key's. */
static int
version_entry(const char *in, const char *end, const struct entries *e)
{
	struct marker *m = e->arg;
	char *key, *vid;
	int rc = 0;

	key = xml_text(in, end, "Key");
	vid = xml_text(in, end, "VersionId");
	if (key != NULL && vid != NULL && strcmp(key, m->key) == 0) {
		if (vec_grow(&m->all, &m->cap, m->n, sizeof(*m->all)) != 0)
			rc = BK_FAIL;
		else {
			m->all[m->n++] = vid;
			vid = NULL;
		}
	}
	free(key);
	free(vid);
	return rc;
}

/* One <DeleteMarker>: the latest of our key? */
static int
marker_entry(const char *in, const char *end, const struct entries *e)
{
	struct marker *m = e->arg;
	char *key, *vid, *latest;

	key = xml_text(in, end, "Key");
	vid = xml_text(in, end, "VersionId");
	latest = xml_text(in, end, "IsLatest");
	if (key != NULL && vid != NULL && latest != NULL &&
	    strcmp(key, m->key) == 0 && strcmp(latest, "true") == 0 &&
	    m->vid == NULL) {
		m->vid = vid;
		vid = NULL;
	}
	free(key);
	free(vid);
	free(latest);
	return 0;
}

/* The first page of key's versions, read into m. */
static int
list_versions(struct s3_client *c, const char *key, struct marker *m)
{
	struct s3_req rq = { .what = "list versions", .method = "GET" };
	struct s3_resp r = { 0 };
	const struct entries e = { NULL, m };
	char *ep, *q = NULL;
	int rc, more;

	if ((ep = sigv4_uri_encode(key, 0)) == NULL)
		return BK_FAIL;
	if (asprintf(&q, "prefix=%s&versions", ep) < 0) {
		warnp("malloc");
		free(ep);
		return BK_FAIL;
	}
	rq.query = q;
	/* Versions of one key come first: the first page has its latest. */
	if ((rc = call(c, &rq, &r, 0)) == BK_OK && r.body != NULL) {
		if (m->all == NULL)
			rc = read_page(&r, "DeleteMarker", marker_entry, &e,
			    &more);
		else if ((rc = read_page(&r, "Version", version_entry, &e,
		    &more)) == 0)
			rc = read_page(&r, "DeleteMarker", version_entry, &e,
			    &more);
	}
	s3_resp_free(&r);
	free(ep);
	free(q);
	return rc;
}

int
s3_latest_marker(struct s3_client *c, const char *key, char **vid)
{
	struct marker m = { key, NULL, NULL, 0, 0 };
	int rc;

	rc = list_versions(c, key, &m);
	*vid = m.vid;
	return rc;
}

int
s3_delete_all(struct s3_client *c, const char *key)
{
	struct marker m = { key, NULL, NULL, 0, 0 };
	size_t i;
	int rc;

	/* A non-NULL m.all: collect every version. */
	if (vec_grow(&m.all, &m.cap, 0, sizeof(*m.all)) != 0)
		return BK_FAIL;
	rc = list_versions(c, key, &m);
	for (i = 0; i < m.n; i++) {
		if (rc == BK_OK)
			rc = s3_delete_version(c, key, m.all[i]);
		free(m.all[i]);
	}
	free(m.all);
	/* A bucket that keeps no versions lists none: a plain delete. */
	if (rc == BK_OK)
		rc = s3_delete(c, key);
	return rc;
}

int
s3_put_tag(struct s3_client *c, const char *key, const char *name,
    const char *value)
{
	struct s3_req rq = { .what = "put tagging", .method = "PUT",
	    .key = key, .query = "tagging" };
	struct s3_resp r = { 0 };
	unsigned char md5[16];
	char body[512], b[2][512], md5b64[32];
	unsigned int mdlen;
	int rc;

	snprintf(body, sizeof(body), "<Tagging xmlns=\"http://s3.amazonaws."
	    "com/doc/2006-03-01/\"><TagSet><Tag><Key>%s</Key><Value>%s"
	    "</Value></Tag></TagSet></Tagging>", name, value);
	rq.body = body;
	rq.bodylen = strlen(body);
	/* S3 wants Content-MD5 on PutObjectTagging. */
	if (EVP_Digest(body, rq.bodylen, md5, &mdlen, EVP_md5(), NULL) != 1) {
		warn0("MD5 of the tagging body failed");
		return BK_FAIL;
	}
	EVP_EncodeBlock((unsigned char *)md5b64, md5, 16);
	if (add_hdr(&rq, b[0], 512, "Content-MD5", md5b64) != 0)
		return BK_FAIL;
	rc = call(c, &rq, &r, 0);
	s3_resp_free(&r);
	return rc;
}

int
s3_put_if_absent(struct s3_client *c, const char *key, const void *buf,
    size_t len)
{
	struct s3_req rq = { .what = "create", .method = "PUT", .key = key,
	    .query = "", .body = buf, .bodylen = len };
	struct s3_resp r = { 0 };
	int rc;

	rq.extra[rq.nextra++] = "If-None-Match: *";
	rc = call(c, &rq, &r, 412);
	if (rc == BK_OK && r.status == 412)
		rc = BK_NEGATIVE;
	s3_resp_free(&r);
	return rc;
}
