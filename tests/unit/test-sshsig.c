/*
 * test-sshsig.c - SSHSIG parsing and verification (lib/approve/sshsig.c)
 * on signatures built here from PROTOCOL.sshsig with OpenSSL's Ed25519:
 * ssh-ed25519 and sk-ssh-ed25519@openssh.com (the user-presence flag),
 * another namespace, a changed message, malformed blobs.  Real
 * ssh-keygen signatures are the shell tests' (0310-0312).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "approve/approve.h"
#include "bk.h"
#include "io/sha256.h"
#include "unit.h"

struct buf {
	unsigned char b[4096];
	size_t n;
};

static void
put_raw(struct buf *b, const void *p, size_t len)
{
	memcpy(b->b + b->n, p, len);
	b->n += len;
}

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char u[4] = { v >> 24, v >> 16, v >> 8, v };

	put_raw(b, u, 4);
}

static void
put_str(struct buf *b, const void *p, size_t len)
{
	put_u32(b, (uint32_t)len);
	put_raw(b, p, len);
}

static void
put_cstr(struct buf *b, const char *s)
{
	put_str(b, s, strlen(s));
}

static EVP_PKEY *key;
static unsigned char pub[32];

static void
ed_sign(const void *data, size_t len, unsigned char sig[64])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sl = 64;

	EVP_DigestSignInit(ctx, NULL, NULL, NULL, key);
	EVP_DigestSign(ctx, sig, &sl, data, len);
	EVP_MD_CTX_free(ctx);
}

/* The armored signature of msg, as ssh-keygen -Y sign would write it. */
static char *
make_sig(const char *msg, const char *ns, int sk, unsigned char flags,
    int version)
{
	struct buf k = { .n = 0 }, d = { .n = 0 }, s = { .n = 0 },
	    blob = { .n = 0 };
	unsigned char h[64], sig[64], skmsg[69];
	unsigned hl;
	char *out, b64[8192];
	const char *type = sk ? "sk-ssh-ed25519@openssh.com" : "ssh-ed25519";

	put_cstr(&k, type);
	put_str(&k, pub, 32);
	if (sk)
		put_cstr(&k, "ssh:");
	EVP_Digest(msg, strlen(msg), h, &hl, EVP_sha512(), NULL);
	put_raw(&d, "SSHSIG", 6);
	put_cstr(&d, ns);
	put_str(&d, "", 0);
	put_cstr(&d, "sha512");
	put_str(&d, h, hl);
	put_cstr(&s, type);
	if (sk) {
		bk_sha256("ssh:", 4, skmsg);
		skmsg[32] = flags;
		memcpy(skmsg + 33, "\0\0\0\7", 4);
		bk_sha256(d.b, d.n, skmsg + 37);
		ed_sign(skmsg, sizeof(skmsg), sig);
		put_str(&s, sig, 64);
		put_raw(&s, skmsg + 32, 5);
	} else {
		ed_sign(d.b, d.n, sig);
		put_str(&s, sig, 64);
	}
	put_raw(&blob, "SSHSIG", 6);
	put_u32(&blob, (uint32_t)version);
	put_str(&blob, k.b, k.n);
	put_cstr(&blob, ns);
	put_str(&blob, "", 0);
	put_cstr(&blob, "sha512");
	put_str(&blob, s.b, s.n);
	EVP_EncodeBlock((unsigned char *)b64, blob.b, (int)blob.n);
	out = malloc(strlen(b64) + 100);
	sprintf(out, "-----BEGIN SSH SIGNATURE-----\n%.70s\n%s\n"
	    "-----END SSH SIGNATURE-----\n", b64,
	    strlen(b64) > 70 ? b64 + 70 : "");
	return out;
}

/* Parse text and verify it over msg in namespace bk-restore. */
static int
check(const char *text, const char *msg)
{
	struct approve_sig s;
	int rc;

	if ((rc = approve_sig_parse(text, strlen(text), "<t>", &s)) != BK_OK)
		return rc;
	rc = approve_sig_verify(&s, msg, strlen(msg), APPROVE_NAMESPACE,
	    "<t>");
	approve_sig_clear(&s);
	return rc;
}

int
main(void)
{
	const char *msg = "bk-restore-request 1\nbackup x\n";
	unsigned char dec[8];
	size_t pl = 32;
	char *t;

	bk_set_quiet(1);
	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY_get_raw_public_key(key, pub, &pl);

	t = make_sig(msg, "bk-restore", 0, 0, 1);
	CHECK(check(t, msg) == BK_OK);
	CHECK(check(t, "bk-restore-request 1\nbackup y\n") == BK_NEGATIVE);
	t[40] ^= 1;		/* inside the base64 */
	CHECK(check(t, msg) == BK_NEGATIVE);
	free(t);
	t = make_sig(msg, "file", 0, 0, 1);
	CHECK(check(t, msg) == BK_NEGATIVE);
	free(t);
	t = make_sig(msg, "bk-restore", 0, 0, 2);
	CHECK(check(t, msg) == BK_NEGATIVE);
	free(t);

	/* A FIDO key: valid only with the user-presence flag. */
	t = make_sig(msg, "bk-restore", 1, 0x01, 1);
	CHECK(check(t, msg) == BK_OK);
	CHECK(check(t, "other") == BK_NEGATIVE);
	free(t);
	t = make_sig(msg, "bk-restore", 1, 0x04, 1);
	CHECK(check(t, msg) == BK_NEGATIVE);
	free(t);

	/* Malformed armor and base64. */
	CHECK(check("", msg) == BK_NEGATIVE);
	CHECK(check("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n", msg) ==
	    BK_NEGATIVE);
	CHECK(check("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n"
	    "-----END SSH SIGNATURE-----\n", msg) == BK_NEGATIVE);
	CHECK(check("-----BEGIN SSH SIGNATURE-----\n!!!!\n"
	    "-----END SSH SIGNATURE-----\n", msg) == BK_NEGATIVE);
	CHECK(approve_b64decode("YWI=", 4, dec, sizeof(dec)) == 2);
	CHECK(memcmp(dec, "ab", 2) == 0);
	CHECK(approve_b64decode("YQ==", 4, dec, sizeof(dec)) == 1);
	CHECK(approve_b64decode("Y=Q=", 4, dec, sizeof(dec)) == -1);
	CHECK(approve_b64decode("YWJj", 3, dec, sizeof(dec)) == -1);
	CHECK(approve_b64decode("YWJjYWJjYWJj", 12, dec, 8) == -1);
	EVP_PKEY_free(key);
	return unit_exit();
}
