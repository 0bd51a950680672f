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

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "io/aead.h"
#include "io/stage.h"
#include "key/kdf.h"
#include "key/keysrc.h"
#include "key/x25519.h"

_Static_assert(BK_KEY_LEN == AEAD_KEYLEN && BK_KEY_REFMAX == AEAD_KEYREF_MAX &&
    X25519_KEYTYPE == AEAD_KEYTYPE_X25519,
    "a key source's keys and references fit the container");

static const unsigned char magic[AEAD_MAGICLEN] = {
	0x89, 'B', 'K', 'E', 'N', 'C', '\r', '\n'
};

/*
 * The stage of either direction.  Input collects in buf until a whole
 * segment is there (a full one is never the last) or the input ends;
 * each sealed or opened segment goes through out to the next stage.
 */
struct aead_stage {
	struct bk_stage s;
	struct aead_header h;
	struct bk_keysrc *ks;	/* opening: where the key comes from */
	EVP_CIPHER_CTX *ctx;	/* NULL until the key is known */
	size_t segsize;		/* ciphertext bytes of a full segment */
	size_t seglen;		/* input bytes of a full segment */
	unsigned char *buf, *out;
	size_t fill;		/* bytes in buf */
	int headed;		/* header written (seal) or complete (open) */
	struct aead_stats st;
};

/*
 * Prepare a version 1 header naming key (keytype, keyref) with segments
 * of 2^segshift bytes, fresh salt and prefix unless given.  0 or -1.
 */
static int
header_init(struct aead_header *h, unsigned keytype,
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
	int rc;

	if ((rc = bk_hkdf_sha256(key, AEAD_KEYLEN, h->salt, AEAD_SALTLEN,
	    h->raw, infolen, okm, sizeof(okm))) == 0) {
		memcpy(segkey, okm, AEAD_KEYLEN);
		memcpy(commit, okm + AEAD_KEYLEN, AEAD_COMMITLEN);
	}
	bk_wipe(okm, sizeof(okm));
	return rc;
}

/*
 * Set up AES-256-GCM with segkey for one direction, and the buffers for
 * segments of 2^segshift bytes.  0 or -1 (reported).
 */
static int
stage_keyed(struct aead_stage *a, const unsigned char segkey[AEAD_KEYLEN],
    int enc)
{
	a->segsize = (size_t)1 << a->h.segshift;
	a->seglen = enc ? a->segsize - AEAD_TAGLEN : a->segsize;
	a->s.blksize = a->seglen;
	if ((a->buf = malloc(a->segsize)) == NULL) {
		warnp("malloc");
		return -1;
	}
	if ((a->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(a->ctx, EVP_aes_256_gcm(), NULL, segkey, NULL,
	    enc) != 1) {
		warn0("cannot initialise AES-256-GCM");
		return -1;
	}
	a->s.want = a->seglen;
	return 0;
}

/* Start segment i: nonce = prefix || be32(i) || last; header as AAD. */
static int
segment_start(struct aead_stage *a, uint32_t i, int last)
{
	unsigned char iv[AEAD_PREFIXLEN + 5];
	int outl;

	memcpy(iv, a->h.prefix, AEAD_PREFIXLEN);
	iv[7] = (unsigned char)(i >> 24);
	iv[8] = (unsigned char)(i >> 16);
	iv[9] = (unsigned char)(i >> 8);
	iv[10] = (unsigned char)i;
	iv[11] = last ? 1 : 0;
	if (EVP_CipherInit_ex(a->ctx, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_CipherUpdate(a->ctx, NULL, &outl, a->h.raw,
	    (int)a->h.len) != 1) {
		warn0("AES-256-GCM segment setup failed");
		return -1;
	}
	return 0;
}

/*
 * Where a segment read from p goes: back into buf when it is there (in
 * place), else into out, made on first use.  NULL on error (reported).
 */
static unsigned char *
segment_out(struct aead_stage *a, const unsigned char *p)
{
	if (p == a->buf)
		return a->buf;
	if (a->out == NULL && (a->out = malloc(a->segsize)) == NULL)
		warnp("malloc");
	return a->out;
}

/* Seal the n plaintext bytes at p as the next segment; pass it on. */
static int
seal_segment(struct aead_stage *a, const unsigned char *p, size_t n,
    int last)
{
	unsigned char *dst;
	int outl, finl;

	if (a->st.segments > UINT32_MAX) {
		warn0("input too large: more than 2^32 segments");
		return BK_FAIL;
	}
	if (segment_start(a, (uint32_t)a->st.segments, last) != 0)
		return BK_FAIL;
	if ((dst = segment_out(a, p)) == NULL)
		return BK_FAIL;
	if (EVP_EncryptUpdate(a->ctx, dst, &outl, p, (int)n) != 1 ||
	    EVP_EncryptFinal_ex(a->ctx, dst + outl, &finl) != 1 ||
	    (size_t)outl + (size_t)finl != n ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_GET_TAG, AEAD_TAGLEN,
	    dst + n) != 1) {
		warn0("AES-256-GCM encryption failed");
		return BK_FAIL;
	}
	a->st.in += n;
	a->st.out += n + AEAD_TAGLEN;
	a->st.segments++;
	return bk_stage_emit(&a->s, dst, n + AEAD_TAGLEN);
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

/*
 * Open the n-byte segment at c (n >= AEAD_TAGLEN); pass its plaintext on
 * only if its tag verifies.  A result (reported).
 */
static int
open_segment(struct aead_stage *a, const unsigned char *c, size_t n,
    int last)
{
	size_t pn = n - AEAD_TAGLEN;
	unsigned char tag[AEAD_TAGLEN], *dst;
	int outl, finl;

	if (a->st.segments > UINT32_MAX) {
		warn0("%s: more than 2^32 segments at byte %" PRIu64,
		    a->s.name, a->st.in);
		return BK_NEGATIVE;
	}
	memcpy(tag, c + pn, AEAD_TAGLEN);
	if ((dst = segment_out(a, c)) == NULL)
		return BK_FAIL;
	if (segment_start(a, (uint32_t)a->st.segments, last) != 0 ||
	    EVP_DecryptUpdate(a->ctx, dst, &outl, c, (int)pn) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->ctx, EVP_CTRL_GCM_SET_TAG, AEAD_TAGLEN,
	    tag) != 1) {
		warn0("AES-256-GCM decryption failed");
		return BK_FAIL;
	}
	if (EVP_DecryptFinal_ex(a->ctx, dst + outl, &finl) != 1) {
		auth_failed(a->s.name, a->st.segments, a->st.in, n, last);
		return BK_NEGATIVE;
	}
	a->st.in += n;
	a->st.out += pn;
	a->st.segments++;
	return bk_stage_emit(&a->s, dst, pn);
}

/*
 * Take len bytes of segments: whole ones straight from p, the rest
 * through buf; a full segment is never the last, so it goes at once.
 */
static int
take_segments(struct aead_stage *a, const unsigned char *p, size_t len,
    int (*segment)(struct aead_stage *, const unsigned char *, size_t, int))
{
	size_t n;
	int rc;

	for (; len > 0; a->s.want = a->seglen - a->fill) {
		if (a->fill == 0 && len >= a->seglen) {
			n = a->seglen;
			rc = segment(a, p, n, 0);
		} else {
			n = a->seglen - a->fill < len ? a->seglen - a->fill : len;
			if (p != a->buf + a->fill)
				memcpy(a->buf + a->fill, p, n);
			a->fill += n;
			rc = BK_OK;
			if (a->fill == a->seglen) {
				a->fill = 0;
				rc = segment(a, a->buf, a->seglen, 0);
			}
		}
		if (rc != BK_OK)
			return rc;
		p += n;
		len -= n;
	}
	return BK_OK;
}

/* The buffer op: the rest of the segment in buf, once keyed. */
static unsigned char *
aead_buffer(struct bk_stage *s, size_t *room)
{
	struct aead_stage *a = (struct aead_stage *)s;

	if (a->buf == NULL)
		return NULL;
	*room = a->seglen - a->fill;
	return a->buf + a->fill;
}

/* Write the header once, before the first segment. */
static int
seal_header(struct aead_stage *a)
{
	if (a->headed)
		return BK_OK;
	a->headed = 1;
	a->st.out = a->h.len;
	return bk_stage_emit(&a->s, a->h.raw, a->h.len);
}

static int
seal_write(struct bk_stage *s, const void *buf, size_t len)
{
	struct aead_stage *a = (struct aead_stage *)s;
	int rc;

	if ((rc = seal_header(a)) != BK_OK)
		return rc;
	return take_segments(a, buf, len, seal_segment);
}

/* The last segment: what is left, maybe nothing (it is never full). */
static int
seal_finish(struct bk_stage *s)
{
	struct aead_stage *a = (struct aead_stage *)s;
	int rc;

	if ((rc = seal_header(a)) != BK_OK)
		return rc;
	rc = seal_segment(a, a->buf, a->fill, 1);
	a->fill = 0;
	return rc;
}

static void
aead_stage_free(struct bk_stage *s)
{
	struct aead_stage *a = (struct aead_stage *)s;

	if (a->buf != NULL) {
		bk_wipe(a->buf, a->segsize);
		free(a->buf);
	}
	if (a->out != NULL) {
		bk_wipe(a->out, a->segsize);
		free(a->out);
	}
	EVP_CIPHER_CTX_free(a->ctx);
	free(a);
}

static const struct bk_stage_ops seal_ops = {
	seal_write, seal_finish, aead_stage_free, aead_buffer
};

struct bk_stage *
bk_aead_seal(const struct bk_key *k, unsigned segshift,
    const unsigned char *salt, const unsigned char *prefix,
    struct bk_stage *next)
{
	unsigned char segkey[AEAD_KEYLEN];
	struct aead_stage *a;
	struct aead_header *h;

	if ((a = (struct aead_stage *)bk_stage_new(sizeof(*a), &seal_ops,
	    next, "encryption")) == NULL)
		return NULL;
	h = &a->h;
	if (header_init(h, k->type, k->ref, k->reflen, segshift, salt,
	    prefix) != 0)
		goto err;
	h->len = header_encode(h);
	if (derive(h, h->len, k->key, segkey, h->commit) != 0)
		goto err;
	memcpy(h->raw + h->len, h->commit, AEAD_COMMITLEN);
	h->len += AEAD_COMMITLEN;
	if (stage_keyed(a, segkey, 1) != 0)
		goto err;
	a->st.keyed = 1;
	bk_wipe(segkey, sizeof(segkey));
	return &a->s;
err:
	bk_wipe(segkey, sizeof(segkey));
	bk_stage_free(&a->s);
	return NULL;
}

/* A recipient list (key type 3) holds 1 to 10 stanzas of 94 bytes. */
static int
header_check_rcpt(const struct aead_header *h, const char *name)
{
	if (h->keyreflen < 1 + X25519_STANZALEN ||
	    h->keyreflen > 1 + X25519_MAXRCPT * X25519_STANZALEN ||
	    (h->keyreflen - 1) % X25519_STANZALEN != 0) {
		warn0("%s: recipient list of %zu bytes at byte 12 (1 + %d per "
		    "recipient, 1 to %d recipients)", name, h->keyreflen,
		    X25519_STANZALEN, X25519_MAXRCPT);
		return BK_NEGATIVE;
	}
	return 0;
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
		return BK_NEGATIVE;
	}
	if (h->alg != AEAD_ALG_AES256GCM_HKDF) {
		warn0("%s: unknown algorithm %u at byte 9", name, h->alg);
		return BK_NEGATIVE;
	}
	if (h->segshift < AEAD_SEGSHIFT_MIN ||
	    h->segshift > AEAD_SEGSHIFT_MAX) {
		warn0("%s: segment size 2^%u at byte 10 is outside 2^%d..2^%d",
		    name, h->segshift, AEAD_SEGSHIFT_MIN, AEAD_SEGSHIFT_MAX);
		return BK_NEGATIVE;
	}
	if (h->keytype == AEAD_KEYTYPE_KMS) {
		/* The key source checks the reference's inside. */
		if (h->keyreflen < 3 || h->keyreflen > AEAD_KEYREF_MAX) {
			warn0("%s: KMS key reference of %zu bytes at byte 12 "
			    "(3..%d)", name, h->keyreflen, AEAD_KEYREF_MAX);
			return BK_NEGATIVE;
		}
		return 0;
	}
	if (h->keytype == AEAD_KEYTYPE_X25519)
		return header_check_rcpt(h, name);
	if (h->keytype != AEAD_KEYTYPE_KEYRING) {
		warn0("%s: unknown key type %u at byte 11", name, h->keytype);
		return BK_NEGATIVE;
	}
	if (h->keyreflen != 8 && h->keyreflen != 8 + BK_CHECKLEN) {
		warn0("%s: key id of %zu bytes at byte 12 (keyring ids have 8,"
		    " or %d with their check value)", name, h->keyreflen,
		    8 + BK_CHECKLEN);
		return BK_NEGATIVE;
	}
	return 0;
}

/* Split the complete header in h->raw into its fields. */
static void
header_fields(struct aead_header *h)
{
	const unsigned char *p = h->raw + AEAD_FIXEDLEN;

	memcpy(h->keyref, p, h->keyreflen);
	p += h->keyreflen;
	memcpy(h->salt, p, AEAD_SALTLEN);
	p += AEAD_SALTLEN;
	memcpy(h->prefix, p, AEAD_PREFIXLEN);
	p += AEAD_PREFIXLEN;
	memcpy(h->commit, p, AEAD_COMMITLEN);
}

/*
 * The key for the complete header: from the key source, checked against
 * the header's commitment, then the cipher set up.  A result.
 */
static int
open_keyed(struct aead_stage *a)
{
	unsigned char key[AEAD_KEYLEN], segkey[AEAD_KEYLEN];
	unsigned char commit[AEAD_COMMITLEN];
	char idhex[2 * 8 + 1];
	struct aead_header *h = &a->h;
	int rc;

	/* A key source may say why: refused, or retry later. */
	if ((rc = bk_keysrc_open_key(a->ks, h->keytype, h->keyref,
	    h->keyreflen, a->s.name, key)) != BK_OK)
		return rc;
	rc = BK_FAIL;
	a->st.keyed = 1;
	a->st.in = h->len;
	if (derive(h, h->len - AEAD_COMMITLEN, key, segkey, commit) != 0)
		goto done;
	if (CRYPTO_memcmp(commit, h->commit, AEAD_COMMITLEN) != 0) {
		bk_hex(idhex, h->keyref, 8);
		if (h->keytype == AEAD_KEYTYPE_KEYRING && h->keyreflen == 8)
			warn0("%s: header check failed (bytes 0..%zu): wrong "
			    "key for key id %s, or a corrupted header",
			    a->s.name, h->len - 1, idhex);
		else	/* the key is known right: its check value matched */
			warn0("%s: header check failed (bytes 0..%zu): a "
			    "corrupted header", a->s.name, h->len - 1);
		rc = BK_NEGATIVE;
		goto done;
	}
	if (stage_keyed(a, segkey, 0) == 0)
		rc = BK_OK;
done:
	bk_wipe(key, sizeof(key));
	bk_wipe(segkey, sizeof(segkey));
	bk_wipe(commit, sizeof(commit));
	return rc;
}

/*
 * How many header bytes h->raw must hold before the next check: the
 * magic, the fixed fields, then the rest their lengths say.
 */
static size_t
header_want(const struct aead_header *h)
{
	if (h->len < AEAD_MAGICLEN)
		return AEAD_MAGICLEN;
	if (h->len < AEAD_FIXEDLEN)
		return AEAD_FIXEDLEN;
	return AEAD_FIXEDLEN + h->keyreflen + AEAD_SALTLEN + AEAD_PREFIXLEN +
	    AEAD_COMMITLEN;
}

/*
 * Take header bytes from *p (advancing it and *len) and check each part
 * as it completes; a foreign stream is "not ours" however short it is.
 * A result; a->headed once the header is in and keyed.
 */
static int
take_header(struct aead_stage *a, const unsigned char **p, size_t *len)
{
	struct aead_header *h = &a->h;
	size_t want, n;
	int rc;

	while (!a->headed && *len > 0) {
		want = header_want(h);
		n = want - h->len < *len ? want - h->len : *len;
		memcpy(h->raw + h->len, *p, n);
		*p += n;
		*len -= n;
		if (h->len < AEAD_MAGICLEN && memcmp(h->raw + h->len,
		    magic + h->len, n) != 0) {
			warn0("%s: not a bk-encrypt container (bad magic)",
			    a->s.name);
			return BK_NEGATIVE;
		}
		if ((h->len += n) < want) {
			a->s.want = want - h->len;
			continue;
		}
		if (want == AEAD_FIXEDLEN &&
		    (rc = header_check_fixed(h, a->s.name)) != 0)
			return rc;
		a->s.want = header_want(h) - h->len;
		if (want > AEAD_FIXEDLEN) {
			header_fields(h);
			if ((rc = open_keyed(a)) != BK_OK)
				return rc;
			a->headed = 1;
		}
	}
	return BK_OK;
}

static int
open_write(struct bk_stage *s, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int rc;

	if ((rc = take_header((struct aead_stage *)s, &p, &len)) != BK_OK)
		return rc;
	return take_segments((struct aead_stage *)s, p, len, open_segment);
}

/* The end of the input: it must end in a final, shorter segment. */
static int
open_finish(struct bk_stage *s)
{
	struct aead_stage *a = (struct aead_stage *)s;

	if (a->h.len == 0) {
		warn0("%s: " BK_EMPTY_INPUT, s->name);
		return BK_FAIL;
	}
	if (!a->headed) {
		warn0("%s: truncated: stream ends at byte %zu, inside the "
		    "header", s->name, a->h.len);
		return BK_NEGATIVE;
	}
	if (a->fill == 0) {
		warn0("%s: truncated: stream ends at byte %" PRIu64
		    " without a final segment", s->name, a->st.in);
		return BK_NEGATIVE;
	}
	if (a->fill < AEAD_TAGLEN) {
		warn0("%s: truncated: stream ends at byte %" PRIu64 " inside "
		    "segment %" PRIu64 ", before its tag", s->name,
		    a->st.in + a->fill, a->st.segments);
		return BK_NEGATIVE;
	}
	return open_segment(a, a->buf, a->fill, 1);
}

static const struct bk_stage_ops open_ops = {
	open_write, open_finish, aead_stage_free, aead_buffer
};

struct bk_stage *
bk_aead_open(struct bk_keysrc *ks, const char *name, struct bk_stage *next)
{
	struct aead_stage *a;

	if ((a = (struct aead_stage *)bk_stage_new(sizeof(*a), &open_ops,
	    next, name)) == NULL)
		return NULL;
	a->ks = ks;
	a->s.want = AEAD_MAGICLEN;
	return &a->s;
}

const struct aead_header *
bk_aead_header(const struct bk_stage *s)
{
	const struct aead_stage *a = (const struct aead_stage *)s;

	return a->h.len >= header_want(&a->h) &&
	    a->h.len > AEAD_FIXEDLEN ? &a->h : NULL;
}

void
bk_aead_stats(const struct bk_stage *s, struct aead_stats *st)
{
	*st = ((const struct aead_stage *)s)->st;
}
