/*
 * x25519.c - wrap a container's data key to public-key recipients
 * (bk-format(5), Key type 3).  For each recipient, with a fresh
 * ephemeral key pair (esk, epk):
 *
 *	ss  = X25519(esk, recipient public key)	(all zero: refused)
 *	kek = HKDF-SHA256(IKM = ss, salt = epk || recipient public key,
 *	      info = "bk-encrypt x25519 data key", L = 32)
 *	wrapped = AES-256-GCM(kek, nonce = 12 zero bytes, data key,
 *	      AAD = 0x03 || count || key id || check value)
 *
 * The nonce can be fixed because each kek wraps exactly one key.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bk.h"
#include "key/x25519.h"

#define AADLEN (2 + X25519_IDLEN + BK_CHECKLEN)

static EVP_PKEY *
private_key(const unsigned char sk[X25519_LEN])
{
	EVP_PKEY *p;

	if ((p = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk,
	    X25519_LEN)) == NULL)
		warn0("cannot load an X25519 private key");
	return p;
}

int
x25519_public(const unsigned char sk[X25519_LEN],
    unsigned char pk[X25519_LEN])
{
	EVP_PKEY *p;
	size_t len = X25519_LEN;
	int rc = -1;

	if ((p = private_key(sk)) == NULL)
		return -1;
	if (EVP_PKEY_get_raw_public_key(p, pk, &len) != 1 || len != X25519_LEN)
		warn0("cannot compute an X25519 public key");
	else
		rc = 0;
	EVP_PKEY_free(p);
	return rc;
}

/*
 * ss = X25519(sk, pk).  BK_OK; BK_NEGATIVE, not reported, when pk gives
 * no secret (a low-order point, whose result is all zero); BK_FAIL.
 */
static int
shared_secret(const unsigned char sk[X25519_LEN],
    const unsigned char pk[X25519_LEN], unsigned char ss[X25519_LEN])
{
	static const unsigned char zero[X25519_LEN];
	EVP_PKEY *p, *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = X25519_LEN;
	int rc = BK_FAIL;

	if ((p = private_key(sk)) == NULL)
		return BK_FAIL;
	if ((peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pk,
	    X25519_LEN)) == NULL || (ctx = EVP_PKEY_CTX_new(p, NULL)) == NULL ||
	    EVP_PKEY_derive_init(ctx) != 1 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) != 1)
		warn0("cannot set up X25519 key agreement");
	else if (EVP_PKEY_derive(ctx, ss, &len) != 1 || len != X25519_LEN ||
	    CRYPTO_memcmp(ss, zero, X25519_LEN) == 0)
		rc = BK_NEGATIVE;
	else
		rc = BK_OK;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(p);
	return rc;
}

/* The key-encryption key for the pair (esk or sk, epk, rpk). */
static int
kek_derive(const unsigned char ss[X25519_LEN],
    const unsigned char epk[X25519_LEN], const unsigned char rpk[X25519_LEN],
    unsigned char kek[BK_KEY_LEN])
{
	unsigned char salt[2 * X25519_LEN];

	memcpy(salt, epk, X25519_LEN);
	memcpy(salt + X25519_LEN, rpk, X25519_LEN);
	return bk_hkdf_sha256(ss, X25519_LEN, salt, sizeof(salt),
	    (const unsigned char *)X25519_INFO, strlen(X25519_INFO), kek,
	    BK_KEY_LEN);
}

/*
 * AES-256-GCM under kek with the zero nonce over the 32 bytes at in into
 * out (with the tag after them when sealing).  enc: 1 seal, 0 open.
 * BK_OK, BK_NEGATIVE (the tag does not verify), BK_FAIL (reported).
 */
static int
gcm_once(int enc, const unsigned char kek[BK_KEY_LEN],
    const unsigned char aad[AADLEN], const unsigned char *in,
    unsigned char *out)
{
	static const unsigned char iv[12];
	unsigned char tag[16];
	EVP_CIPHER_CTX *c;
	int outl, finl, rc = BK_FAIL;

	if ((c = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, kek, iv, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &outl, aad, AADLEN) != 1 ||
	    EVP_CipherUpdate(c, out, &outl, in, BK_KEY_LEN) != 1 ||
	    (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16,
	    (void *)(in + BK_KEY_LEN)) != 1)) {
		warn0("AES-256-GCM key wrap failed");
		goto done;
	}
	if (EVP_CipherFinal_ex(c, out + outl, &finl) != 1) {
		rc = enc ? BK_FAIL : BK_NEGATIVE;
		if (enc)
			warn0("AES-256-GCM key wrap failed");
		goto done;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16,
	    tag) != 1) {
		warn0("AES-256-GCM key wrap failed");
		goto done;
	}
	if (enc)
		memcpy(out + BK_KEY_LEN, tag, 16);
	rc = BK_OK;
done:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* The associated data of a stanza: 0x03 || count || id || check value. */
static void
stanza_aad(unsigned char aad[AADLEN], size_t n, const unsigned char *st)
{
	aad[0] = X25519_KEYTYPE;
	aad[1] = (unsigned char)n;
	memcpy(aad + 2, st, X25519_IDLEN + BK_CHECKLEN);
}

/* Write the stanza of recipient r with ephemeral key esk at st. */
static int
seal_stanza(const struct x25519_rcpt *r, size_t n,
    const unsigned char dk[BK_KEY_LEN], const unsigned char esk[X25519_LEN],
    unsigned char *st)
{
	unsigned char ss[X25519_LEN], kek[BK_KEY_LEN], aad[AADLEN];
	unsigned char *epk = st + X25519_IDLEN + BK_CHECKLEN;
	char idhex[2 * X25519_IDLEN + 1];
	int rc = -1, ok;

	memcpy(st, r->id, X25519_IDLEN);
	if (bk_check_value(r->pub, st + X25519_IDLEN) != 0 ||
	    x25519_public(esk, epk) != 0)
		return -1;
	if ((ok = shared_secret(esk, r->pub, ss)) == BK_NEGATIVE) {
		bk_hex(idhex, r->id, X25519_IDLEN);
		warn0("recipient %s: not a usable X25519 public key", idhex);
	}
	if (ok != BK_OK || kek_derive(ss, epk, r->pub, kek) != 0)
		goto done;
	stanza_aad(aad, n, st);
	if (gcm_once(1, kek, aad, dk, epk + X25519_LEN) == BK_OK)
		rc = 0;
done:
	bk_wipe(ss, sizeof(ss));
	bk_wipe(kek, sizeof(kek));
	return rc;
}

int
x25519_seal_ref(const struct x25519_rcpt *r, size_t n,
    const unsigned char dk[BK_KEY_LEN], const unsigned char *esk,
    unsigned char *ref, size_t *reflen)
{
	unsigned char e[X25519_LEN];
	size_t i;
	int rc = 0;

	if (n == 0 || n > X25519_MAXRCPT) {
		warn0("%zu recipients: a container takes 1 to %d", n,
		    X25519_MAXRCPT);
		return -1;
	}
	ref[0] = (unsigned char)n;
	for (i = 0; i < n && rc == 0; i++) {
		if (esk != NULL)
			memcpy(e, esk + i * X25519_LEN, X25519_LEN);
		else if (RAND_priv_bytes(e, sizeof(e)) != 1) {
			warn0("cannot get random bytes for an ephemeral key");
			rc = -1;
			break;
		}
		rc = seal_stanza(&r[i], n, dk, e,
		    ref + 1 + i * X25519_STANZALEN);
	}
	bk_wipe(e, sizeof(e));
	*reflen = 1 + n * X25519_STANZALEN;
	return rc;
}

size_t
x25519_ref_count(const unsigned char *ref, size_t reflen)
{
	if (reflen < 1 + X25519_STANZALEN || ref[0] == 0 ||
	    ref[0] > X25519_MAXRCPT ||
	    reflen != 1 + (size_t)ref[0] * X25519_STANZALEN)
		return 0;
	return ref[0];
}

int
x25519_unwrap(const unsigned char *ref, size_t i,
    const unsigned char sk[X25519_LEN], const unsigned char pk[X25519_LEN],
    unsigned char dk[BK_KEY_LEN])
{
	const unsigned char *st = ref + 1 + i * X25519_STANZALEN;
	const unsigned char *epk = st + X25519_IDLEN + BK_CHECKLEN;
	unsigned char ss[X25519_LEN], kek[BK_KEY_LEN], aad[AADLEN];
	int rc = BK_FAIL;

	/* A forged ephemeral key of low order is a tampered header. */
	if ((rc = shared_secret(sk, epk, ss)) != BK_OK)
		goto done;
	rc = BK_FAIL;
	if (kek_derive(ss, epk, pk, kek) != 0)
		goto done;
	stanza_aad(aad, ref[0], st);
	rc = gcm_once(0, kek, aad, epk + X25519_LEN, dk);
done:
	bk_wipe(ss, sizeof(ss));
	bk_wipe(kek, sizeof(kek));
	return rc;
}
