/*
 * fuzz-sshsig.c - SSHSIG signatures (lib/approve/sshsig.c): the armor,
 * the blob and each key type's verifier.  First byte 0: the rest is the
 * armored text; otherwise the rest is the blob, armored here, so the
 * mutations reach the blob's fields directly.
 */
#include <openssl/evp.h>

#include "approve/approve.h"
#include "fuzz.h"

#define ARMOR_MAX 8192

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char msg[] = "bk-restore-request 1\n";
	struct approve_sig s;
	char *text;
	size_t len;

	if (size < 1 || size > ARMOR_MAX)
		return 0;
	fuzz_quiet();
	if ((text = malloc(ARMOR_MAX * 2 + 64)) == NULL)
		return 0;
	if (data[0] == 0) {
		memcpy(text, data + 1, size - 1);
		len = size - 1;
	} else {
		len = (size_t)sprintf(text, "-----BEGIN SSH SIGNATURE-----\n");
		len += (size_t)EVP_EncodeBlock((unsigned char *)text + len,
		    data + 1, (int)size - 1);
		len += (size_t)sprintf(text + len,
		    "\n-----END SSH SIGNATURE-----\n");
	}
	if (approve_sig_parse(text, len, "<fuzz>", &s) == BK_OK) {
		(void)approve_sig_verify(&s, msg, sizeof(msg) - 1,
		    APPROVE_NAMESPACE, "<fuzz>");
		approve_sig_clear(&s);
	}
	free(text);
	return 0;
}
