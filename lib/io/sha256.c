/* sha256.c - SHA-256 through OpenSSL's EVP interface, and its stage. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bk.h"
#include "io/sha256.h"
#include "io/stage.h"

/* A struct bk_sha256 is an EVP_MD_CTX; the type keeps OpenSSL out of users. */
#define CTX(c) ((EVP_MD_CTX *)(c))

struct bk_sha256 *
bk_sha256_new(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		warn0("cannot initialise SHA-256");
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return (struct bk_sha256 *)ctx;
}

int
bk_sha256_update(struct bk_sha256 *c, const void *buf, size_t len)
{
	if (EVP_DigestUpdate(CTX(c), buf, len) != 1) {
		warn0("SHA-256 update failed");
		return -1;
	}
	return 0;
}

int
bk_sha256_final(struct bk_sha256 *c, unsigned char d[BK_SHA256_LEN])
{
	unsigned int dlen;

	if (EVP_DigestFinal_ex(CTX(c), d, &dlen) != 1 ||
	    dlen != BK_SHA256_LEN ||
	    EVP_DigestInit_ex(CTX(c), EVP_sha256(), NULL) != 1) {
		warn0("SHA-256 final failed");
		return -1;
	}
	return 0;
}

void
bk_sha256_free(struct bk_sha256 *c)
{
	EVP_MD_CTX_free(CTX(c));
}

int
bk_sha256(const void *buf, size_t len, unsigned char d[BK_SHA256_LEN])
{
	struct bk_sha256 *c;
	int rc = -1;

	if ((c = bk_sha256_new()) != NULL &&
	    bk_sha256_update(c, buf, len) == 0 && bk_sha256_final(c, d) == 0)
		rc = 0;
	bk_sha256_free(c);
	return rc;
}

struct sha_stage {
	struct bk_stage s;
	struct bk_sha256 *c;
	unsigned char d[BK_SHA256_LEN];
};

static int
sha_write(struct bk_stage *s, const void *buf, size_t len)
{
	struct sha_stage *h = (struct sha_stage *)s;

	if (bk_sha256_update(h->c, buf, len) != 0)
		return BK_FAIL;
	return bk_stage_emit(s, buf, len);
}

static int
sha_finish(struct bk_stage *s)
{
	struct sha_stage *h = (struct sha_stage *)s;

	return bk_sha256_final(h->c, h->d) == 0 ? BK_OK : BK_FAIL;
}

static void
sha_free(struct bk_stage *s)
{
	struct sha_stage *h = (struct sha_stage *)s;

	bk_sha256_free(h->c);
	free(h);
}

static const struct bk_stage_ops sha_ops = { sha_write, sha_finish, sha_free };

struct bk_stage *
bk_stage_sha256(struct bk_stage *next)
{
	struct sha_stage *h;

	if ((h = (struct sha_stage *)bk_stage_new(sizeof(*h), &sha_ops, next,
	    "sha256")) == NULL)
		return NULL;
	if ((h->c = bk_sha256_new()) == NULL) {
		bk_stage_free(&h->s);
		return NULL;
	}
	return &h->s;
}

int
bk_stage_sha256_digest(const struct bk_stage *s,
    unsigned char d[BK_SHA256_LEN])
{
	const struct sha_stage *h = (const struct sha_stage *)s;

	if (!s->finished || s->result != BK_OK)
		return -1;
	memcpy(d, h->d, BK_SHA256_LEN);
	return 0;
}
