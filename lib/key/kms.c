/*
 * key/kms.c - AWS KMS as a key source: GenerateDataKey to seal, Decrypt
 * to open (key type 2), over libcurl with SigV4 (service "kms") and the
 * JSON 1.1 protocol; JSON through libbson, base64 through OpenSSL.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson/bson.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bk.h"
#include "io/aead.h"
#include "key/kms.h"
#include "store/awsconf.h"
#include "store/sigv4.h"

#define KMS_BODY_MAX (64u << 10)	/* a reply is a few hundred bytes */
#define KMS_ATTEMPTS 5
#define KMS_BACKOFF_MS 250

struct kms_src {
	struct bk_keysrc ks;
	char *keyid;			/* sealing key / expected key, or NULL */
	struct bk_keysrc *other;	/* other key types, or NULL */
	int loaded;
	struct awsconf conf;
	char *endpoint;			/* scheme://host[:port] */
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

/* What one exchange with KMS brought back. */
struct kms_http {
	long status;
	char *body;
	size_t len;
};

/* Base64 text s of slen bytes into a new *out; 0 or -1 (not reported). */
static int
b64_decode(const char *s, size_t slen, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	size_t pad;
	int n;

	*out = NULL;
	if (slen == 0 || slen % 4 != 0 || slen > KMS_BODY_MAX ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") < slen)
		return -1;
	/* Padding only at the end, at most two. */
	pad = (s[slen - 1] == '=') + (s[slen - 1] == '=' && s[slen - 2] == '=');
	if (memchr(s, '=', slen - pad) != NULL ||
	    (buf = malloc(slen / 4 * 3 + 1)) == NULL)
		return -1;
	if ((n = EVP_DecodeBlock(buf, (const unsigned char *)s,
	    (int)slen)) < 0) {
		bk_wipe(buf, slen / 4 * 3 + 1);
		free(buf);
		return -1;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	n -= (int)pad;
	*out = buf;
	*outlen = (size_t)n;
	return 0;
}

/* The UTF-8 string at it, or NULL if it is of another type. */
static const char *
iter_str(const bson_iter_t *it, size_t *len)
{
	uint32_t n;
	const char *s;

	if (!BSON_ITER_HOLDS_UTF8(it))
		return NULL;
	s = bson_iter_utf8(it, &n);
	*len = n;
	return s;
}

/* One member of a reply into r; 0 or -1 (reported). */
static int
reply_field(struct kms_reply *r, bson_iter_t *it, const char *what)
{
	const char *k = bson_iter_key(it), *s, *h;
	unsigned char *pt;
	size_t len, ptlen;

	if (strcmp(k, "__type") != 0 && strcasecmp(k, "message") != 0 &&
	    strcmp(k, "KeyId") != 0 && strcmp(k, "CiphertextBlob") != 0 &&
	    strcmp(k, "Plaintext") != 0)
		return 0;
	if ((s = iter_str(it, &len)) == NULL || memchr(s, '\0', len)) {
		warn0("%s: KMS reply: %s is not a string", what, k);
		return -1;
	}
	if (strcmp(k, "__type") == 0) {
		h = strrchr(s, '#');
		snprintf(r->type, sizeof(r->type), "%s", h ? h + 1 : s);
	} else if (strcasecmp(k, "message") == 0)
		snprintf(r->message, sizeof(r->message), "%s", s);
	else if (strcmp(k, "KeyId") == 0) {
		free(r->keyid);
		if ((r->keyid = strdup(s)) == NULL) {
			warnp("malloc");
			return -1;
		}
	} else if (strcmp(k, "CiphertextBlob") == 0) {
		free(r->blob);
		if (b64_decode(s, len, &r->blob, &r->bloblen) != 0) {
			warn0("%s: KMS reply: CiphertextBlob is not base64",
			    what);
			return -1;
		}
	} else {
		if (b64_decode(s, len, &pt, &ptlen) != 0 ||
		    ptlen != BK_KEY_LEN) {
			if (pt != NULL)
				bk_wipe(pt, ptlen);
			free(pt);
			warn0("%s: KMS reply: Plaintext is not a base64 "
			    "256-bit key", what);
			return -1;
		}
		memcpy(r->plaintext, pt, BK_KEY_LEN);
		r->has_plaintext = 1;
		bk_wipe(pt, ptlen);
		free(pt);
	}
	return 0;
}

int
kms_reply_parse(const char *body, size_t len, const char *what,
    struct kms_reply *r)
{
	bson_error_t err;
	bson_iter_t it;
	bson_t *doc;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	/* libbson would take a top-level array as a document. */
	while (len > 0 && strchr(" \t\r\n", *body) != NULL && *body != '\0') {
		body++;
		len--;
	}
	if (len == 0 || *body != '{' || len > KMS_BODY_MAX ||
	    (doc = bson_new_from_json((const uint8_t *)body, (ssize_t)len,
	    &err)) == NULL) {
		warn0("%s: KMS reply is not a JSON object", what);
		return -1;
	}
	if (!bson_iter_init(&it, doc))
		rc = -1;
	while (rc == 0 && bson_iter_next(&it))
		rc = reply_field(r, &it, what);
	/* The document held the key's base64: wipe it before it goes. */
	bk_wipe((void *)bson_get_data(doc), doc->len);
	bson_destroy(doc);
	return rc;
}

void
kms_reply_free(struct kms_reply *r)
{
	if (r == NULL)
		return;
	free(r->keyid);
	free(r->blob);
	bk_wipe(r, sizeof(*r));
}

int
kms_ref_make(unsigned char *ref, size_t *reflen, const char *keyid,
    const unsigned char *blob, size_t bloblen)
{
	size_t idlen = strlen(keyid);

	if (idlen == 0 || idlen > KMS_KEYID_MAX || bloblen == 0 ||
	    2 + idlen + bloblen > BK_KEY_REFMAX) {
		warn0("KMS key %.80s: a wrapped data key of %zu bytes and "
		    "a key ARN of %zu do not fit a header", keyid, bloblen,
		    idlen);
		return -1;
	}
	ref[0] = (unsigned char)(idlen >> 8);
	ref[1] = (unsigned char)idlen;
	memcpy(ref + 2, keyid, idlen);
	memcpy(ref + 2 + idlen, blob, bloblen);
	*reflen = 2 + idlen + bloblen;
	return 0;
}

int
kms_ref_split(const unsigned char *ref, size_t reflen,
    char keyid[KMS_KEYID_MAX + 1], const unsigned char **blob,
    size_t *bloblen)
{
	size_t idlen, i;

	if (reflen < 2)
		return -1;
	idlen = (size_t)ref[0] << 8 | ref[1];
	if (idlen < 5 || idlen > KMS_KEYID_MAX || reflen <= 2 + idlen ||
	    memcmp(ref + 2, "arn:", 4) != 0)
		return -1;
	for (i = 0; i < idlen; i++)
		if (ref[2 + i] < 0x21 || ref[2 + i] == 0x7f)
			return -1;
	memcpy(keyid, ref + 2, idlen);
	keyid[idlen] = '\0';
	*blob = ref + 2 + idlen;
	*bloblen = reflen - 2 - idlen;
	return 0;
}

/* getenv(name) if set and not empty, else NULL. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* A setting of the profile in the AWS config file; errno 0 if absent. */
static char *
profile_get(const char *parent, const char *key)
{
	const char *prof = env("AWS_PROFILE"), *path = env("AWS_CONFIG_FILE");
	char *p = NULL, *sec = NULL, *v = NULL;
	int found = 0;

	if (prof == NULL)
		prof = "default";
	if ((path == NULL && asprintf(&p, "%s/.aws/config",
	    env("HOME") ? env("HOME") : "") < 0) ||
	    (strcmp(prof, "default") == 0 ? (sec = strdup(prof)) == NULL :
	    asprintf(&sec, "profile %s", prof) < 0)) {
		warnp("malloc");
		errno = ENOMEM;
		free(p);
		return NULL;
	}
	v = awsconf_ini_get(path ? path : p, sec, parent, key, &found);
	free(p);
	free(sec);
	return v;
}

/* The endpoint as the environment or the config file set it, or NULL. */
static char *
endpoint_setting(int *err)
{
	const char *e;
	char *v;

	*err = 0;
	if ((e = env("AWS_ENDPOINT_URL_KMS")) != NULL ||
	    (e = env("AWS_ENDPOINT_URL")) != NULL) {
		if ((v = strdup(e)) == NULL)
			*err = 1;
		return v;
	}
	if ((v = profile_get("kms", "endpoint_url")) != NULL || errno != 0 ||
	    (v = profile_get(NULL, "endpoint_url")) != NULL || errno != 0)
		*err = v == NULL;
	return v;
}

char *
kms_endpoint(const char *region)
{
	char *v, *host;
	int err;

	if ((v = endpoint_setting(&err)) == NULL && !err &&
	    asprintf(&v, "https://kms.%s.amazonaws.com", region) < 0) {
		warnp("malloc");
		return NULL;
	}
	if (v == NULL)
		return NULL;	/* reported */
	if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) {
		warn0("KMS endpoint %s: not an http:// or https:// URL", v);
		free(v);
		return NULL;
	}
	/* The requests go to "/": drop any path. */
	host = strstr(v, "://") + 3;
	host[strcspn(host, "/")] = '\0';
	return v;
}

/* Read the settings once, at the first request.  0 or -1 (reported). */
static int
kms_load(struct kms_src *s)
{
	if (s->loaded)
		return 0;
	if (awsconf_load(&s->conf, NULL) != 0)
		return -1;
	if ((s->endpoint = kms_endpoint(s->conf.region)) == NULL)
		goto err;
	if (s->conf.access_key == NULL) {
		warn0("KMS: no AWS credentials (AWS_ACCESS_KEY_ID, "
		    "AWS_PROFILE or ~/.aws/credentials)");
		goto err;
	}
	if ((s->curl = curl_easy_init()) == NULL) {
		warn0("libcurl: cannot create a handle");
		goto err;
	}
	s->loaded = 1;
	return 0;
err:
	free(s->endpoint);
	s->endpoint = NULL;
	awsconf_free(&s->conf);
	return -1;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct kms_http *h = arg;
	size_t len = size * n;
	char *nb;

	if (h->len + len > KMS_BODY_MAX ||
	    (nb = malloc(h->len + len + 1)) == NULL)
		return 0;
	/* Copied, not realloc'ed: the old buffer may hold a key. */
	if (h->body != NULL) {
		memcpy(nb, h->body, h->len);
		bk_wipe(h->body, h->len);
		free(h->body);
	}
	memcpy(nb + h->len, p, len);
	h->body = nb;
	h->len += len;
	nb[h->len] = '\0';
	return len;
}

static void
http_free(struct kms_http *h)
{
	if (h->body != NULL)
		bk_wipe(h->body, h->len);
	free(h->body);
	memset(h, 0, sizeof(*h));
}

/* The signed headers of a POST of body to target; NULL (reported). */
static struct curl_slist *
kms_headers(struct kms_src *s, const char *target, const char *body)
{
	struct sigv4_header h[5];
	char amzdate[17], phash[65], authz[1024], tgt[96], line[8192];
	const char *host = strstr(s->endpoint, "://") + 3;
	struct curl_slist *sl = NULL, *n = NULL;
	struct sigv4_request rq;
	size_t nh = 0, i;

	sigv4_amzdate(time(NULL), amzdate);
	sigv4_sha256_hex(body, strlen(body), phash);
	snprintf(tgt, sizeof(tgt), "TrentService.%s", target);
	h[nh++] = (struct sigv4_header){ "host", host };
	h[nh++] = (struct sigv4_header){ "x-amz-date", amzdate };
	h[nh++] = (struct sigv4_header){ "x-amz-target", tgt };
	h[nh++] = (struct sigv4_header){ "content-type",
	    "application/x-amz-json-1.1" };
	if (s->conf.token != NULL) {
		if (strlen(s->conf.token) > sizeof(line) - 32) {
			warn0("KMS: the AWS session token is too long");
			return NULL;
		}
		h[nh++] = (struct sigv4_header){ "x-amz-security-token",
		    s->conf.token };
	}
	rq = (struct sigv4_request){ "POST", "/", "", h, nh, phash, amzdate,
	    s->conf.region, "kms" };
	if (sigv4_authorization(&rq, s->conf.access_key, s->conf.secret_key,
	    authz, sizeof(authz), NULL, 0) != 0)
		return NULL;
	for (i = 0; i <= nh; i++) {
		if (i < nh)
			snprintf(line, sizeof(line), "%s: %s", h[i].name,
			    h[i].value);
		else
			snprintf(line, sizeof(line), "Authorization: %s",
			    authz);
		if ((n = curl_slist_append(sl, line)) == NULL)
			break;
		sl = n;
	}
	if (n != NULL && (n = curl_slist_append(sl, "Expect:")) != NULL)
		sl = n;
	bk_wipe(authz, sizeof(authz));
	bk_wipe(line, sizeof(line));
	if (n == NULL) {
		warnp("malloc");
		curl_slist_free_all(sl);
		return NULL;
	}
	return sl;
}

/* One POST of body to target; the curl result, the answer in h. */
static CURLcode
kms_post(struct kms_src *s, const char *target, const char *body,
    struct kms_http *h)
{
	struct curl_slist *hdrs;
	CURL *c = s->curl;
	CURLcode cc;

	http_free(h);
	s->errbuf[0] = '\0';
	if ((hdrs = kms_headers(s, target, body)) == NULL)
		return CURLE_OUT_OF_MEMORY;
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, s->endpoint);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (s->conf.ca_bundle != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->conf.ca_bundle);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
	curl_slist_free_all(hdrs);
	return cc;
}

/* Is a transport failure worth another try? */
static int
curl_temporary(CURLcode cc)
{
	return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
	    cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_GOT_NOTHING ||
	    cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR ||
	    cc == CURLE_PARTIAL_FILE || cc == CURLE_SSL_CONNECT_ERROR;
}

int
kms_error_result(long status, const char *type)
{
	if (status >= 500 || status == 429 ||
	    strcmp(type, "ThrottlingException") == 0 ||
	    strcmp(type, "KMSInternalException") == 0 ||
	    strcmp(type, "DependencyTimeoutException") == 0 ||
	    strcmp(type, "KeyUnavailableException") == 0)
		return BK_RETRY;
	/* The header's wrapped key is not what KMS made: tampered or foreign. */
	if (strcmp(type, "InvalidCiphertextException") == 0 ||
	    strcmp(type, "IncorrectKeyException") == 0)
		return BK_NEGATIVE;
	return BK_FAIL;
}

/* What to tell the operator about a KMS error type, or "". */
static const char *
kms_hint(const char *type)
{
	if (strcmp(type, "DisabledException") == 0)
		return ": the key is disabled (aws kms enable-key)";
	if (strcmp(type, "KMSInvalidStateException") == 0)
		return ": the key is not usable (disabled, pending deletion "
		    "or import)";
	if (strcmp(type, "AccessDeniedException") == 0)
		return ": these credentials may not use the key (IAM or key "
		    "policy)";
	if (strcmp(type, "NotFoundException") == 0)
		return ": no such key in this account and region";
	if (strcmp(type, "UnrecognizedClientException") == 0 ||
	    strcmp(type, "InvalidSignatureException") == 0)
		return ": check the AWS credentials";
	if (strcmp(type, "InvalidCiphertextException") == 0 ||
	    strcmp(type, "IncorrectKeyException") == 0)
		return ": the header's wrapped key is corrupted or belongs to "
		    "another key";
	return "";
}

/* Sleep before attempt n+1: exponential with "equal jitter". */
static void
kms_backoff(int n)
{
	unsigned int rnd = 0;
	long ms = (long)KMS_BACKOFF_MS << n;

	(void)RAND_bytes((unsigned char *)&rnd, sizeof(rnd));
	ms = ms / 2 + (long)(rnd % (unsigned int)(ms / 2 + 1));
	bk_sleep_ms(ms);
}

/*
 * Send the JSON body to target until KMS answers 200 (parsed into r) or
 * the attempts are spent.  what names the operation for messages.  A
 * bk_result (reported).
 */
static int
kms_call(struct kms_src *s, const char *target, const char *body,
    const char *what, struct kms_reply *r)
{
	struct kms_http h = { 0 };
	char why[900];
	CURLcode cc;
	long status;
	int n, rc;

	memset(r, 0, sizeof(*r));
	if (kms_load(s) != 0)
		return BK_FAIL;
	for (n = 1;; n++) {
		kms_reply_free(r);
		if ((cc = kms_post(s, target, body, &h)) == CURLE_OUT_OF_MEMORY)
			return BK_FAIL;
		if (cc == CURLE_OK && h.status == 200) {
			rc = kms_reply_parse(h.body, h.len, what, r);
			http_free(&h);
			return rc == 0 ? BK_OK : BK_FAIL;
		}
		status = h.status;
		if (cc == CURLE_OK) {
			/* An error body that is not JSON (a proxy's) has no type. */
			if (h.len == 0 || h.body[0] != '{' ||
			    kms_reply_parse(h.body, h.len, what, r) != 0)
				kms_reply_free(r);
			snprintf(why, sizeof(why), "HTTP %ld %s%s%s%s",
			    h.status, r->type[0] ? r->type : "(no error type)",
			    r->message[0] ? " (" : "", r->message,
			    r->message[0] ? ")" : "");
		} else
			snprintf(why, sizeof(why), "%s", s->errbuf[0] ?
			    s->errbuf : curl_easy_strerror(cc));
		http_free(&h);
		rc = cc != CURLE_OK ? (curl_temporary(cc) ? BK_RETRY :
		    BK_FAIL) : kms_error_result(status, r->type);
		if (rc != BK_RETRY) {
			warn0("%s at %s: %s%s", what, s->endpoint, why,
			    kms_hint(r->type));
			return rc;
		}
		if (n == KMS_ATTEMPTS) {
			warn0("%s at %s: %s; gave up after %d attempts", what,
			    s->endpoint, why, n);
			return BK_RETRY;
		}
		warn0("%s at %s: %s; retrying (%d of %d)", what, s->endpoint,
		    why, n, KMS_ATTEMPTS - 1);
		kms_backoff(n - 1);
	}
}

/* A JSON request of string members (name, value, ..., NULL); NULL (rep). */
static char *
kms_json(const char *name, ...)
{
	bson_t *b = bson_new();
	const char *k, *v;
	char *json = NULL, *out = NULL;
	va_list ap;

	va_start(ap, name);
	for (k = name; k != NULL; k = va_arg(ap, const char *)) {
		v = va_arg(ap, const char *);
		BSON_APPEND_UTF8(b, k, v);
	}
	va_end(ap);
	if ((json = bson_as_relaxed_extended_json(b, NULL)) == NULL ||
	    (out = strdup(json)) == NULL)
		warnp("malloc");
	bson_free(json);
	bson_destroy(b);
	return out;
}

static int
kms_seal_key(struct bk_keysrc *ks, struct bk_key *k)
{
	struct kms_src *s = (struct kms_src *)ks;
	struct kms_reply r;
	char what[KMS_KEYID_MAX + 64], *body;
	int rc;

	if (s->keyid == NULL)
		return s->other != NULL ? bk_keysrc_seal_key(s->other, k) :
		    BK_FAIL;
	snprintf(what, sizeof(what), "KMS GenerateDataKey with key %s",
	    s->keyid);
	if ((body = kms_json("KeyId", s->keyid, "KeySpec", "AES_256",
	    NULL)) == NULL)
		return BK_FAIL;
	rc = kms_call(s, "GenerateDataKey", body, what, &r);
	free(body);
	if (rc == BK_OK && (!r.has_plaintext || r.blob == NULL ||
	    r.keyid == NULL)) {
		warn0("%s: the reply lacks Plaintext, CiphertextBlob or "
		    "KeyId", what);
		rc = BK_FAIL;
	}
	memset(k, 0, sizeof(*k));
	if (rc == BK_OK) {
		k->type = AEAD_KEYTYPE_KMS;
		if (kms_ref_make(k->ref, &k->reflen, r.keyid, r.blob,
		    r.bloblen) == 0)
			memcpy(k->key, r.plaintext, BK_KEY_LEN);
		else
			rc = BK_FAIL;
	}
	kms_reply_free(&r);
	return rc;
}

/* Base64 of len bytes at p, a new string; NULL (reported). */
static char *
b64_encode(const unsigned char *p, size_t len)
{
	char *out;

	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL) {
		warnp("malloc");
		return NULL;
	}
	EVP_EncodeBlock((unsigned char *)out, p, (int)len);
	return out;
}

static int
kms_open_key(struct bk_keysrc *ks, unsigned type, const unsigned char *ref,
    size_t reflen, const char *name, unsigned char key[BK_KEY_LEN])
{
	struct kms_src *s = (struct kms_src *)ks;
	char arn[KMS_KEYID_MAX + 1], what[2 * KMS_KEYID_MAX + 96];
	char *b64 = NULL, *body = NULL;
	const unsigned char *blob;
	struct kms_reply r;
	size_t bloblen;
	int rc;

	if (type != AEAD_KEYTYPE_KMS) {
		if (s->other != NULL)
			return bk_keysrc_open_key(s->other, type, ref, reflen,
			    name, key);
		warn0("%s: key type %u needs a keyring: give -k or set "
		    "BK_KEYRING", name, type);
		return BK_FAIL;
	}
	if (kms_ref_split(ref, reflen, arn, &blob, &bloblen) != 0) {
		warn0("%s: malformed KMS key reference at byte 14", name);
		return BK_NEGATIVE;
	}
	snprintf(what, sizeof(what), "%s: KMS Decrypt with key %s", name,
	    s->keyid ? s->keyid : arn);
	/*
	 * KeyId always, as AWS advises: the pinned key, else the header's
	 * ARN (which only pinning makes a check: whoever forged a blob
	 * wrote the ARN too), so KMS names that key when it refuses.
	 */
	if ((b64 = b64_encode(blob, bloblen)) == NULL ||
	    (body = kms_json("CiphertextBlob", b64, "KeyId",
	    s->keyid ? s->keyid : arn, NULL)) == NULL) {
		free(b64);
		return BK_FAIL;
	}
	rc = kms_call(s, "Decrypt", body, what, &r);
	if (rc == BK_OK && !r.has_plaintext) {
		warn0("%s: the reply lacks Plaintext", what);
		rc = BK_FAIL;
	}
	if (rc == BK_OK)
		memcpy(key, r.plaintext, BK_KEY_LEN);
	kms_reply_free(&r);
	free(b64);
	free(body);
	return rc;
}

static void
kms_src_free(struct bk_keysrc *ks)
{
	struct kms_src *s = (struct kms_src *)ks;

	bk_keysrc_free(s->other);
	free(s->keyid);
	free(s->endpoint);
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	awsconf_free(&s->conf);
	free(s);
}

static const struct bk_keysrc_ops kms_ops = {
	kms_seal_key, kms_open_key, kms_src_free
};

struct bk_keysrc *
bk_keysrc_kms(const char *keyid, struct bk_keysrc *other)
{
	struct kms_src *s;

	if (keyid != NULL && (*keyid == '\0' ||
	    strlen(keyid) > KMS_KEYID_MAX)) {
		warn0("KMS key id \"%.40s\": empty or longer than %d bytes",
		    keyid, KMS_KEYID_MAX);
		bk_keysrc_free(other);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (keyid != NULL && (s->keyid = strdup(keyid)) == NULL)) {
		warnp("malloc");
		free(s);
		bk_keysrc_free(other);
		return NULL;
	}
	s->ks.ops = &kms_ops;
	s->other = other;
	return &s->ks;
}

struct bk_keysrc *
bk_keysrc_opener(const char *keyring, const char *kms_keyid)
{
	struct bk_keysrc *ring = NULL;

	if (keyring != NULL && (ring = bk_keysrc_keyring(keyring)) == NULL)
		return NULL;
	return bk_keysrc_kms(kms_keyid, ring);
}
