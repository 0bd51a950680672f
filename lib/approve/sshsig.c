/*
 * sshsig.c - SSHSIG signatures as ssh-keygen -Y sign writes them
 * (OpenSSH PROTOCOL.sshsig), verified with OpenSSL: the armored blob, the
 * data it signs, and the key types an approver may hold.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "approve/approve.h"
#include "io/sha256.h"

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END "-----END SSH SIGNATURE-----"
#define SSHSIG_MAGIC "SSHSIG"
#define SSHSIG_VERSION 1
#define SK_USER_PRESENT 0x01
#define RSA_BITS_MIN 2048

/* A cursor over SSH wire data (RFC 4251 uint32 and string). */
struct rd {
	const unsigned char *p;
	size_t n;
};

static int
rd_u32(struct rd *r, uint32_t *v)
{
	if (r->n < 4)
		return -1;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	    (uint32_t)r->p[2] << 8 | r->p[3];
	r->p += 4;
	r->n -= 4;
	return 0;
}

static int
rd_str(struct rd *r, const unsigned char **s, size_t *len)
{
	uint32_t l;

	if (rd_u32(r, &l) != 0 || l > r->n)
		return -1;
	*s = r->p;
	*len = l;
	r->p += l;
	r->n -= l;
	return 0;
}

/* A string equal to the NUL-terminated want. */
static int
rd_is(struct rd *r, const char *want)
{
	const unsigned char *s;
	size_t l;

	return rd_str(r, &s, &l) == 0 && l == strlen(want) &&
	    memcmp(s, want, l) == 0;
}

/* A string of at most max - 1 bytes, no NUL, into out. */
static int
rd_cstr(struct rd *r, char *out, size_t max)
{
	const unsigned char *s;
	size_t l;

	if (rd_str(r, &s, &l) != 0 || l >= max || memchr(s, 0, l) != NULL)
		return -1;
	memcpy(out, s, l);
	out[l] = '\0';
	return 0;
}

long
approve_b64decode(const char *in, size_t len, unsigned char *out, size_t max)
{
	size_t pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > max || len > INT_MAX)
		return -1;
	if (strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") < len)
		return -1;
	if (in[len - 1] == '=')
		pad = in[len - 2] == '=' ? 2 : 1;
	if (memchr(in, '=', len - pad) != NULL)
		return -1;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in,
	    (int)len)) < 0)
		return -1;
	return (long)n - (long)pad;
}

/* The base64 between the armor lines, whitespace removed; NULL if none. */
static char *
armor_body(const char *text, size_t len, size_t *blen)
{
	const char *b, *e, *p;
	char *out;
	size_t n = 0;

	if ((b = memmem(text, len, ARMOR_BEGIN, strlen(ARMOR_BEGIN))) ==
	    NULL)
		return NULL;
	b += strlen(ARMOR_BEGIN);
	if ((e = memmem(b, len - (size_t)(b - text), ARMOR_END,
	    strlen(ARMOR_END))) == NULL)
		return NULL;
	if ((out = malloc((size_t)(e - b) + 1)) == NULL)
		return NULL;
	for (p = b; p < e; p++)
		if (*p != '\n' && *p != '\r' && *p != ' ' && *p != '\t')
			out[n++] = *p;
	out[n] = '\0';
	*blen = n;
	return out;
}

void
approve_sig_clear(struct approve_sig *s)
{
	if (s == NULL)
		return;
	free(s->reserved);
	free(s->sig);
	memset(s, 0, sizeof(*s));
}

/* The blob's fields into s: 0, or -1 if malformed. */
static int
sig_fields(const unsigned char *blob, size_t len, struct approve_sig *s)
{
	struct rd r = { blob, len };
	const unsigned char *k, *res, *sig;
	uint32_t ver;

	if (r.n < 6 || memcmp(r.p, SSHSIG_MAGIC, 6) != 0)
		return -1;
	r.p += 6;
	r.n -= 6;
	if (rd_u32(&r, &ver) != 0 || ver != SSHSIG_VERSION ||
	    rd_str(&r, &k, &s->keylen) != 0 || s->keylen == 0 ||
	    s->keylen > sizeof(s->key) ||
	    rd_cstr(&r, s->ns, sizeof(s->ns)) != 0 ||
	    rd_str(&r, &res, &s->reslen) != 0 ||
	    rd_cstr(&r, s->hash, sizeof(s->hash)) != 0 ||
	    rd_str(&r, &sig, &s->siglen) != 0 || r.n != 0)
		return -1;
	memcpy(s->key, k, s->keylen);
	if ((s->reserved = malloc(s->reslen + 1)) == NULL ||
	    (s->sig = malloc(s->siglen + 1)) == NULL)
		return -1;
	memcpy(s->reserved, res, s->reslen);
	memcpy(s->sig, sig, s->siglen);
	return 0;
}

int
approve_sig_parse(const char *text, size_t len, const char *name,
    struct approve_sig *s)
{
	unsigned char *blob = NULL;
	char *b64;
	size_t blen;
	long n;
	int rc = BK_NEGATIVE;

	memset(s, 0, sizeof(*s));
	if ((b64 = armor_body(text, len, &blen)) == NULL) {
		warn0("%s: not an SSH signature (no %s ... %s)", name,
		    ARMOR_BEGIN, ARMOR_END);
		return BK_NEGATIVE;
	}
	if ((blob = malloc(blen / 4 * 3 + 3)) == NULL) {
		warnp("%s", name);
		rc = BK_FAIL;
		goto out;
	}
	if ((n = approve_b64decode(b64, blen, blob, blen / 4 * 3 + 3)) < 0) {
		warn0("%s: the signature is not valid base64", name);
		goto out;
	}
	if (sig_fields(blob, (size_t)n, s) != 0) {
		warn0("%s: not an SSHSIG version 1 signature", name);
		approve_sig_clear(s);
		goto out;
	}
	rc = BK_OK;
out:
	free(blob);
	free(b64);
	return rc;
}

/* Append an SSH string to buf at *off (room checked by the caller). */
static void
put_str(unsigned char *buf, size_t *off, const void *s, size_t len)
{
	buf[*off] = (unsigned char)(len >> 24);
	buf[*off + 1] = (unsigned char)(len >> 16);
	buf[*off + 2] = (unsigned char)(len >> 8);
	buf[*off + 3] = (unsigned char)len;
	memcpy(buf + *off + 4, s, len);
	*off += 4 + len;
}

/*
 * What the signature covers: MAGIC || namespace || reserved || hash_alg
 * || H(message), into a new buffer (*lenp).  NULL on error (reported).
 */
static unsigned char *
signed_data(const struct approve_sig *s, const void *msg, size_t len,
    size_t *lenp)
{
	unsigned char h[EVP_MAX_MD_SIZE], *buf;
	const EVP_MD *md;
	unsigned hl;
	size_t off = 6;

	md = strcmp(s->hash, "sha512") == 0 ? EVP_sha512() :
	    strcmp(s->hash, "sha256") == 0 ? EVP_sha256() : NULL;
	if (md == NULL) {
		warn0("signature: hash algorithm %s: not sha256 or sha512",
		    s->hash);
		return NULL;
	}
	if (EVP_Digest(msg, len, h, &hl, md, NULL) != 1 ||
	    (buf = malloc(6 + 16 + strlen(s->ns) + s->reslen +
	    strlen(s->hash) + hl)) == NULL) {
		warn0("signature: cannot hash the message");
		return NULL;
	}
	memcpy(buf, SSHSIG_MAGIC, 6);
	put_str(buf, &off, s->ns, strlen(s->ns));
	put_str(buf, &off, s->reserved, s->reslen);
	put_str(buf, &off, s->hash, strlen(s->hash));
	put_str(buf, &off, h, hl);
	*lenp = off;
	return buf;
}

/* EVP verification of sig over data with pkey (md NULL: Ed25519). */
static int
evp_verify(EVP_PKEY *pkey, const EVP_MD *md, const unsigned char *sig,
    size_t siglen, const unsigned char *data, size_t len)
{
	EVP_MD_CTX *ctx;
	int ok = 0;

	if (pkey == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, data, len) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static int
ed25519_verify(const unsigned char *pk, size_t pklen,
    const unsigned char *sig, size_t siglen, const unsigned char *data,
    size_t len)
{
	EVP_PKEY *pkey;
	int ok;

	if (pklen != 32 || siglen != 64)
		return 0;
	pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk, 32);
	ok = evp_verify(pkey, NULL, sig, siglen, data, len);
	EVP_PKEY_free(pkey);
	return ok;
}

/* ssh-ed25519: key string pk; signature string "ssh-ed25519", sig. */
static int
verify_ed25519(struct rd *key, struct rd *sig, const unsigned char *data,
    size_t len)
{
	const unsigned char *pk, *sg;
	size_t pklen, sglen;

	if (rd_str(key, &pk, &pklen) != 0 || key->n != 0 ||
	    !rd_is(sig, "ssh-ed25519") || rd_str(sig, &sg, &sglen) != 0 ||
	    sig->n != 0)
		return 0;
	return ed25519_verify(pk, pklen, sg, sglen, data, len);
}

/*
 * sk-ssh-ed25519@openssh.com (a FIDO key): the authenticator signs
 * SHA256(application) || flags || counter || SHA256(data); only a
 * signature made with the user present counts.
 */
static int
verify_sk_ed25519(struct rd *key, struct rd *sig, const unsigned char *data,
    size_t len)
{
	const unsigned char *pk, *app, *sg;
	unsigned char msg[32 + 1 + 4 + 32];
	size_t pklen, applen, sglen;

	if (rd_str(key, &pk, &pklen) != 0 ||
	    rd_str(key, &app, &applen) != 0 || key->n != 0 ||
	    !rd_is(sig, "sk-ssh-ed25519@openssh.com") ||
	    rd_str(sig, &sg, &sglen) != 0 || sig->n != 5)
		return 0;
	if (!(sig->p[0] & SK_USER_PRESENT)) {
		warn0("signature: made without the user present (a FIDO "
		    "key's touch); refused");
		return 0;
	}
	if (bk_sha256(app, applen, msg) != 0 ||
	    bk_sha256(data, len, msg + 37) != 0)
		return 0;
	memcpy(msg + 32, sig->p, 5);
	return ed25519_verify(pk, pklen, sg, sglen, msg, sizeof(msg));
}

/* A public key from OSSL_PARAMs built by bld (freed here); NULL. */
static EVP_PKEY *
pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM *params;

	if (bld == NULL)
		return NULL;
	if ((params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* An SSH mpint as a BIGNUM (negative ones refused); NULL. */
static BIGNUM *
rd_bn(struct rd *r)
{
	const unsigned char *s;
	size_t l;

	if (rd_str(r, &s, &l) != 0 || l > 1024 || (l > 0 && (s[0] & 0x80)))
		return NULL;
	return BN_bin2bn(s, (int)l, NULL);
}

/* ecdsa-sha2-nistp256: key "nistp256", Q; signature (mpint r, mpint s). */
static int
verify_ecdsa(struct rd *key, struct rd *sig, const unsigned char *data,
    size_t len)
{
	const unsigned char *q, *inner;
	unsigned char *der = NULL;
	size_t qlen, ilen;
	OSSL_PARAM_BLD *bld;
	ECDSA_SIG *es = NULL;
	EVP_PKEY *pkey = NULL;
	BIGNUM *r = NULL, *s = NULL;
	struct rd in;
	int derlen, ok = 0;

	if (!rd_is(key, "nistp256") || rd_str(key, &q, &qlen) != 0 ||
	    key->n != 0 || qlen != 65 ||
	    !rd_is(sig, "ecdsa-sha2-nistp256") ||
	    rd_str(sig, &inner, &ilen) != 0 || sig->n != 0)
		return 0;
	in.p = inner;
	in.n = ilen;
	if ((r = rd_bn(&in)) == NULL || (s = rd_bn(&in)) == NULL ||
	    in.n != 0 || (es = ECDSA_SIG_new()) == NULL)
		goto out;
	if (ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	if ((derlen = i2d_ECDSA_SIG(es, &der)) <= 0)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    "prime256v1", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q,
	    qlen) != 1)) {
		OSSL_PARAM_BLD_free(bld);
		bld = NULL;
	}
	pkey = pkey_fromdata("EC", bld);
	ok = evp_verify(pkey, EVP_sha256(), der, (size_t)derlen, data, len);
out:
	EVP_PKEY_free(pkey);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	return ok;
}

/* ssh-rsa key (mpint e, mpint n); signature rsa-sha2-512 or -256. */
static int
verify_rsa(struct rd *key, struct rd *sig, const unsigned char *data,
    size_t len)
{
	const unsigned char *sg;
	const EVP_MD *md;
	OSSL_PARAM_BLD *bld;
	EVP_PKEY *pkey = NULL;
	BIGNUM *e = NULL, *n = NULL;
	struct rd t = *sig;
	size_t sglen;
	int ok = 0;

	if (rd_is(&t, "rsa-sha2-512"))
		md = EVP_sha512();
	else if (t = *sig, rd_is(&t, "rsa-sha2-256"))
		md = EVP_sha256();
	else
		return 0;
	if (rd_str(&t, &sg, &sglen) != 0 || t.n != 0 ||
	    (e = rd_bn(key)) == NULL || (n = rd_bn(key)) == NULL ||
	    key->n != 0 || BN_num_bits(n) < RSA_BITS_MIN)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) != NULL &&
	    (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1)) {
		OSSL_PARAM_BLD_free(bld);
		bld = NULL;
	}
	pkey = pkey_fromdata("RSA", bld);
	ok = evp_verify(pkey, md, sg, sglen, data, len);
out:
	EVP_PKEY_free(pkey);
	BN_free(e);
	BN_free(n);
	return ok;
}

/* The verifiers, by the key type a public key blob begins with. */
static const struct {
	const char *type;
	int (*verify)(struct rd *, struct rd *, const unsigned char *,
	    size_t);
} verifiers[] = {
	{ "ssh-ed25519", verify_ed25519 },
	{ "sk-ssh-ed25519@openssh.com", verify_sk_ed25519 },
	{ "ecdsa-sha2-nistp256", verify_ecdsa },
	{ "ssh-rsa", verify_rsa },
};

int
approve_sig_verify(const struct approve_sig *s, const void *msg,
    size_t len, const char *ns, const char *name)
{
	struct rd key = { s->key, s->keylen }, sig = { s->sig, s->siglen };
	unsigned char *data;
	char type[64];
	size_t i, dlen;
	int ok;

	if (strcmp(s->ns, ns) != 0) {
		warn0("%s: signed for namespace \"%s\", not \"%s\"; refused",
		    name, s->ns, ns);
		return BK_NEGATIVE;
	}
	if (rd_cstr(&key, type, sizeof(type)) != 0)
		type[0] = '\0';
	for (i = 0; i < sizeof(verifiers) / sizeof(verifiers[0]); i++)
		if (strcmp(verifiers[i].type, type) == 0)
			break;
	if (i == sizeof(verifiers) / sizeof(verifiers[0])) {
		warn0("%s: key type \"%s\" is not one bk verifies; refused",
		    name, type);
		return BK_NEGATIVE;
	}
	if ((data = signed_data(s, msg, len, &dlen)) == NULL)
		return BK_NEGATIVE;
	ok = verifiers[i].verify(&key, &sig, data, dlen);
	free(data);
	if (!ok) {
		warn0("%s: bad signature (%s); refused", name, type);
		return BK_NEGATIVE;
	}
	return BK_OK;
}
