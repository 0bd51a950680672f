/*
 * aead.c - the bk encrypted container (bk-format(5), ENCRYPTED CONTAINER).
 *
 *	header	magic(8) version(1) alg(1) segshift(1) keytype(1)
 *		keyreflen(2, big-endian) keyref(keyreflen) salt(32) prefix(7)
 *		commitment(32)
 *	segments of 2^segshift bytes (ciphertext || 16-byte tag); the last
 *	one is always shorter, so a stream cut on a segment boundary lacks
 *	its final segment and is refused.
 *
 * HKDF-SHA256(key, salt, info = header before the commitment) gives 64
 * bytes: the segment key, then the commitment, which proves the key
 * before any plaintext is released.  Segment i is sealed with nonce
 * prefix || be32(i) || last, and the whole header as associated data.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "aead.h"

static const unsigned char magic[AEAD_MAGICLEN] = {
	0x89, 'B', 'K', 'E', 'N', 'C', '\r', '\n'
};

/* The per-stream state shared by both directions. */
struct seal {
	EVP_CIPHER_CTX *ctx;
	const struct aead_header *h;
	size_t segsize;		/* ciphertext bytes of a full segment */
};

int
aead_header_init(struct aead_header *h, unsigned keytype,
    const unsigned char *keyref, size_t keyreflen, unsigned segshift,
    const unsigned char *salt, const unsigned char *prefix)
{
	if (keyreflen == 0 || keyreflen > AEAD_KEYREF_MAX ||
	    segshift < AEAD_SEGSHIFT_MIN || segshift > AEAD_SEGSHIFT_MAX) {
		warn0("bad container parameters");
		return -1;
	}
	memset(h, 0, sizeof(*h));
	h->version = AEAD_VERSION;
	h->alg = AEAD_ALG_AES256GCM_HKDF;
	h->segshift = segshift;
	h->keytype = keytype;
	h->keyreflen = keyreflen;
	memcpy(h->keyref, keyref, keyreflen);
	if (salt != NULL)
		memcpy(h->salt, salt, AEAD_SALTLEN);
	if (prefix != NULL)
		memcpy(h->prefix, prefix, AEAD_PREFIXLEN);
	if ((salt == NULL && RAND_bytes(h->salt, AEAD_SALTLEN) != 1) ||
	    (prefix == NULL && RAND_bytes(h->prefix, AEAD_PREFIXLEN) != 1)) {
		warn0("cannot get random bytes for salt and nonce prefix");
		return -1;
	}
	return 0;
}

/* Serialise everything but the commitment into h->raw; its length. */
static size_t
header_encode(struct aead_header *h)
{
	unsigned char *p = h->raw;

	memcpy(p, magic, AEAD_MAGICLEN);
	p += AEAD_MAGICLEN;
	*p++ = (unsigned char)h->version;
	*p++ = (unsigned char)h->alg;
	*p++ = (unsigned char)h->segshift;
	*p++ = (unsigned char)h->keytype;
	*p++ = (unsigned char)(h->keyreflen >> 8);
	*p++ = (unsigned char)h->keyreflen;
	memcpy(p, h->keyref, h->keyreflen);
	p += h->keyreflen;
	memcpy(p, h->salt, AEAD_SALTLEN);
	p += AEAD_SALTLEN;
	memcpy(p, h->prefix, AEAD_PREFIXLEN);
	p += AEAD_PREFIXLEN;
	return (size_t)(p - h->raw);
}

/*
 * HKDF-SHA256 over the header (up to infolen bytes, which excludes the
 * commitment) into segkey and commit.  0 or -1 (reported).
 */
static int
derive(const struct aead_header *h, size_t infolen,
    const unsigned char key[AEAD_KEYLEN], unsigned char segkey[AEAD_KEYLEN],
    unsigned char commit[AEAD_COMMITLEN])
{
	unsigned char okm[AEAD_KEYLEN + AEAD_COMMITLEN];
	OSSL_PARAM params[5];
	EVP_KDF_CTX *kctx = NULL;
	EVP_KDF *kdf;
	int rc = -1;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)key, AEAD_KEYLEN);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)h->salt, AEAD_SALTLEN);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)h->raw, infolen);
	params[4] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(kctx, okm, sizeof(okm), params) != 1) {
		warn0("HKDF-SHA256 key derivation failed");
		goto done;
	}
	memcpy(segkey, okm, AEAD_KEYLEN);
	memcpy(commit, okm + AEAD_KEYLEN, AEAD_COMMITLEN);
	rc = 0;
done:
	bk_wipe(okm, sizeof(okm));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

/* Set up AES-256-GCM with segkey for one direction.  0 or -1. */
static int
seal_init(struct seal *s, const struct aead_header *h,
    const unsigned char segkey[AEAD_KEYLEN], int enc)
{
	s->h = h;
	s->segsize = (size_t)1 << h->segshift;
	if ((s->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(s->ctx, EVP_aes_256_gcm(), NULL, segkey, NULL,
	    enc) != 1) {
		warn0("cannot initialise AES-256-GCM");
		EVP_CIPHER_CTX_free(s->ctx);
		s->ctx = NULL;
		return -1;
	}
	return 0;
}

/* Start segment i: nonce = prefix || be32(i) || last; header as AAD. */
static int
seal_start(struct seal *s, uint32_t i, int last)
{
	unsigned char iv[AEAD_PREFIXLEN + 5];
	int outl;

	memcpy(iv, s->h->prefix, AEAD_PREFIXLEN);
	iv[7] = (unsigned char)(i >> 24);
	iv[8] = (unsigned char)(i >> 16);
	iv[9] = (unsigned char)(i >> 8);
	iv[10] = (unsigned char)i;
	iv[11] = last ? 1 : 0;
	if (EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_CipherUpdate(s->ctx, NULL, &outl, s->h->raw,
	    (int)s->h->len) != 1) {
		warn0("AES-256-GCM segment setup failed");
		return -1;
	}
	return 0;
}

/* Encrypt n bytes of buf in place and append the tag. */
static int
seal_segment(struct seal *s, uint32_t i, int last, unsigned char *buf,
    size_t n)
{
	int outl, finl;

	if (seal_start(s, i, last) != 0)
		return -1;
	if (EVP_EncryptUpdate(s->ctx, buf, &outl, buf, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(s->ctx, buf + outl, &finl) != 1 ||
	    (size_t)outl + (size_t)finl != n ||
	    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, AEAD_TAGLEN,
	    buf + n) != 1) {
		warn0("AES-256-GCM encryption failed");
		return -1;
	}
	return 0;
}

/*
 * Decrypt the n-byte segment in buf in place (plaintext n - TAGLEN bytes).
 * 0 if the tag verifies, 1 if not, -1 on an internal error.
 */
static int
open_segment(struct seal *s, uint32_t i, int last, unsigned char *buf,
    size_t n)
{
	size_t pn = n - AEAD_TAGLEN;
	int outl, finl;

	if (seal_start(s, i, last) != 0)
		return -1;
	if (EVP_DecryptUpdate(s->ctx, buf, &outl, buf, (int)pn) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_SET_TAG, AEAD_TAGLEN,
	    buf + pn) != 1) {
		warn0("AES-256-GCM decryption failed");
		return -1;
	}
	if (EVP_DecryptFinal_ex(s->ctx, buf + outl, &finl) != 1)
		return 1;
	return 0;
}

int
aead_encrypt_stream(int in, int out, struct aead_header *h,
    const unsigned char key[AEAD_KEYLEN], struct bk_progress *prog,
    struct aead_stats *st)
{
	unsigned char segkey[AEAD_KEYLEN], *buf = NULL;
	struct seal s = { NULL, NULL, 0 };
	size_t plen;
	ssize_t n;
	uint64_t i;
	int rc = -1, last;

	memset(st, 0, sizeof(*st));
	h->len = header_encode(h);
	if (derive(h, h->len, key, segkey, h->commit) != 0)
		goto done;
	memcpy(h->raw + h->len, h->commit, AEAD_COMMITLEN);
	h->len += AEAD_COMMITLEN;
	if (seal_init(&s, h, segkey, 1) != 0)
		goto done;
	if ((buf = malloc(s.segsize)) == NULL) {
		warnp("malloc");
		goto done;
	}
	if (bk_write_full(out, h->raw, h->len, "<stdout>") != 0)
		goto done;
	st->out = h->len;
	plen = s.segsize - AEAD_TAGLEN;
	for (i = 0, last = 0; !last; i++) {
		if ((n = bk_read_full(in, buf, plen, "<stdin>")) < 0)
			goto done;
		/* A full segment is never the last: that is what
		 * makes a cut on a segment boundary detectable. */
		last = (size_t)n < plen;
		if (i > UINT32_MAX) {
			warn0("input too large: more than 2^32 segments");
			goto done;
		}
		if (seal_segment(&s, (uint32_t)i, last, buf, (size_t)n) != 0 ||
		    bk_write_full(out, buf, (size_t)n + AEAD_TAGLEN,
		    "<stdout>") != 0)
			goto done;
		st->in += (uint64_t)n;
		st->out += (uint64_t)n + AEAD_TAGLEN;
		st->segments++;
		bk_progress_add(prog, (uint64_t)n);
	}
	rc = 0;
done:
	bk_wipe(segkey, sizeof(segkey));
	if (buf != NULL) {
		bk_wipe(buf, s.segsize);
		free(buf);
	}
	EVP_CIPHER_CTX_free(s.ctx);
	return rc;
}

/* Check the fixed fields in h->raw[0..AEAD_FIXEDLEN).  0 or REFUSED. */
static int
header_check_fixed(struct aead_header *h, const char *name)
{
	const unsigned char *p = h->raw + AEAD_MAGICLEN;

	h->version = p[0];
	h->alg = p[1];
	h->segshift = p[2];
	h->keytype = p[3];
	h->keyreflen = (size_t)p[4] << 8 | p[5];
	if (h->version != AEAD_VERSION) {
		warn0("%s: unsupported container version %u at byte 8 (this "
		    "bk-encrypt reads version %d)", name, h->version,
		    AEAD_VERSION);
		return AEAD_REFUSED;
	}
	if (h->alg != AEAD_ALG_AES256GCM_HKDF) {
		warn0("%s: unknown algorithm %u at byte 9", name, h->alg);
		return AEAD_REFUSED;
	}
	if (h->segshift < AEAD_SEGSHIFT_MIN ||
	    h->segshift > AEAD_SEGSHIFT_MAX) {
		warn0("%s: segment size 2^%u at byte 10 is outside 2^%d..2^%d",
		    name, h->segshift, AEAD_SEGSHIFT_MIN, AEAD_SEGSHIFT_MAX);
		return AEAD_REFUSED;
	}
	if (h->keytype == AEAD_KEYTYPE_KMS) {
		warn0("%s: key type 2 (KMS-wrapped data key) is not supported "
		    "by this bk-encrypt", name);
		return AEAD_REFUSED;
	}
	if (h->keytype != AEAD_KEYTYPE_KEYRING) {
		warn0("%s: unknown key type %u at byte 11", name, h->keytype);
		return AEAD_REFUSED;
	}
	if (h->keyreflen != 8) {
		warn0("%s: key id of %zu bytes at byte 12 (keyring ids have 8)",
		    name, h->keyreflen);
		return AEAD_REFUSED;
	}
	return 0;
}

/* Read exactly len more header bytes; REFUSED if the stream ends. */
static int
header_more(int fd, const char *name, struct aead_header *h, size_t len)
{
	ssize_t n;

	if ((n = bk_read_full(fd, h->raw + h->len, len, name)) < 0)
		return -1;
	h->len += (size_t)n;
	if ((size_t)n < len) {
		warn0("%s: truncated: stream ends at byte %zu, inside the "
		    "header", name, h->len);
		return AEAD_REFUSED;
	}
	return 0;
}

int
aead_header_read(int fd, const char *name, struct aead_header *h)
{
	unsigned char *p;
	ssize_t n;
	int rc;

	memset(h, 0, sizeof(*h));
	/* Read the magic alone first: a foreign file is "not ours", not
	 * "truncated", however short it is. */
	if ((n = bk_read_full(fd, h->raw, AEAD_MAGICLEN, name)) < 0)
		return -1;
	if (memcmp(h->raw, magic, (size_t)n) != 0) {
		warn0("%s: not a bk-encrypt container (bad magic)", name);
		return AEAD_REFUSED;
	}
	if (n == 0) {
		warn0("%s: " BK_EMPTY_INPUT, name);
		return -1;
	}
	h->len = (size_t)n;
	if (h->len < AEAD_MAGICLEN) {
		warn0("%s: truncated: stream ends at byte %zu, inside the "
		    "header", name, h->len);
		return AEAD_REFUSED;
	}
	if ((rc = header_more(fd, name, h, AEAD_FIXEDLEN - AEAD_MAGICLEN)) != 0)
		return rc;
	if ((rc = header_check_fixed(h, name)) != 0)
		return rc;
	if ((rc = header_more(fd, name, h, h->keyreflen + AEAD_SALTLEN +
	    AEAD_PREFIXLEN + AEAD_COMMITLEN)) != 0)
		return rc;
	p = h->raw + AEAD_FIXEDLEN;
	memcpy(h->keyref, p, h->keyreflen);
	p += h->keyreflen;
	memcpy(h->salt, p, AEAD_SALTLEN);
	p += AEAD_SALTLEN;
	memcpy(h->prefix, p, AEAD_PREFIXLEN);
	p += AEAD_PREFIXLEN;
	memcpy(h->commit, p, AEAD_COMMITLEN);
	return 0;
}

/* Say which segment failed and where, in the terms of the stream. */
static void
auth_failed(const char *name, uint64_t i, uint64_t start, size_t n, int last)
{
	if (last)
		warn0("%s: authentication failed in segment %" PRIu64
		    " (bytes %" PRIu64 "..%" PRIu64 ", the end of the stream):"
		    " corrupted data, a stream cut short, or garbage appended",
		    name, i, start, start + n - 1);
	else
		warn0("%s: authentication failed in segment %" PRIu64
		    " (bytes %" PRIu64 "..%" PRIu64 "): corrupted, reordered"
		    " or substituted data", name, i, start, start + n - 1);
}

/* Read segment i into buf; its length, or -1, or REFUSED at a bad end. */
static ssize_t
read_segment(int in, const char *name, unsigned char *buf, size_t segsize,
    uint64_t i, uint64_t start)
{
	ssize_t n;

	if ((n = bk_read_full(in, buf, segsize, name)) < 0)
		return -1;
	if (n == 0) {
		warn0("%s: truncated: stream ends at byte %" PRIu64
		    " without a final segment", name, start);
		return AEAD_REFUSED;
	}
	if (n < AEAD_TAGLEN) {
		warn0("%s: truncated: stream ends at byte %" PRIu64 " inside "
		    "segment %" PRIu64 ", before its tag", name,
		    start + (uint64_t)n, i);
		return AEAD_REFUSED;
	}
	if (i > UINT32_MAX) {
		warn0("%s: more than 2^32 segments at byte %" PRIu64, name,
		    start);
		return AEAD_REFUSED;
	}
	return n;
}

/* Derive the segment key and check the header's key commitment. */
static int
check_commitment(const struct aead_header *h, const char *name,
    const unsigned char key[AEAD_KEYLEN], unsigned char segkey[AEAD_KEYLEN])
{
	unsigned char commit[AEAD_COMMITLEN];
	char idhex[2 * 8 + 1];
	int bad;

	if (derive(h, h->len - AEAD_COMMITLEN, key, segkey, commit) != 0)
		return -1;
	bad = CRYPTO_memcmp(commit, h->commit, AEAD_COMMITLEN) != 0;
	bk_wipe(commit, sizeof(commit));
	if (bad) {
		bk_hex(idhex, h->keyref, 8);
		warn0("%s: header check failed (bytes 0..%zu): wrong key for "
		    "key id %s, or a corrupted header", name, h->len - 1,
		    idhex);
		return AEAD_REFUSED;
	}
	return 0;
}

int
aead_decrypt_stream(int in, const char *name, int out,
    const struct aead_header *h, const unsigned char key[AEAD_KEYLEN],
    struct bk_progress *prog, struct aead_stats *st)
{
	unsigned char segkey[AEAD_KEYLEN], *buf = NULL;
	struct seal s = { NULL, NULL, 0 };
	uint64_t i, start;
	ssize_t n;
	int rc, last = 0;

	memset(st, 0, sizeof(*st));
	st->in = h->len;
	if ((rc = check_commitment(h, name, key, segkey)) != 0)
		goto done;
	rc = -1;
	if (seal_init(&s, h, segkey, 0) != 0)
		goto done;
	if ((buf = malloc(s.segsize)) == NULL) {
		warnp("malloc");
		goto done;
	}
	for (i = 0, start = h->len; !last; i++, start += (uint64_t)n) {
		if ((n = read_segment(in, name, buf, s.segsize, i, start)) < 0) {
			rc = (int)n;
			goto done;
		}
		last = (size_t)n < s.segsize;
		if ((rc = open_segment(&s, (uint32_t)i, last, buf,
		    (size_t)n)) != 0) {
			if (rc == 1) {
				auth_failed(name, i, start, (size_t)n, last);
				rc = AEAD_REFUSED;
			}
			goto done;
		}
		rc = -1;
		if (bk_write_full(out, buf, (size_t)n - AEAD_TAGLEN,
		    "<stdout>") != 0)
			goto done;
		st->in += (uint64_t)n;
		st->out += (uint64_t)n - AEAD_TAGLEN;
		st->segments++;
		bk_progress_add(prog, (uint64_t)n);
	}
	rc = 0;
done:
	bk_wipe(segkey, sizeof(segkey));
	if (buf != NULL) {
		bk_wipe(buf, s.segsize);
		free(buf);
	}
	EVP_CIPHER_CTX_free(s.ctx);
	return rc;
}
