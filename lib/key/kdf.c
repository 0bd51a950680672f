/*
 * kdf.c - HKDF-SHA256 and key check values, through OpenSSL.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "bk.h"
#include "key/kdf.h"

int
bk_hkdf_sha256(const unsigned char *ikm, size_t ikmlen,
    const unsigned char *salt, size_t saltlen, const unsigned char *info,
    size_t infolen, unsigned char *out, size_t outlen)
{
	OSSL_PARAM params[5];
	EVP_KDF_CTX *kctx = NULL;
	EVP_KDF *kdf;
	int rc = -1;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)ikm, ikmlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)salt, saltlen);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, infolen);
	params[4] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(kctx, out, outlen, params) != 1)
		warn0("HKDF-SHA256 key derivation failed");
	else
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return rc;
}

int
bk_check_value(const unsigned char m[32], unsigned char cv[BK_CHECKLEN])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (HMAC(EVP_sha256(), m, 32, (const unsigned char *)BK_CHECK_LABEL,
	    strlen(BK_CHECK_LABEL), mac, &maclen) == NULL || maclen < 32) {
		warn0("HMAC-SHA256 failed");
		return -1;
	}
	memcpy(cv, mac, BK_CHECKLEN);
	bk_wipe(mac, sizeof(mac));
	return 0;
}
