/*
 * fuzz-kms.c - a KMS JSON reply body, as a hostile or broken endpoint
 * sends it; and the same bytes as a container's key type 2 reference.
 */
#include <stdlib.h>

#include "bk.h"
#include "fuzz.h"
#include "key/kms.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char arn[KMS_KEYID_MAX + 1];
	const unsigned char *blob;
	struct kms_reply r;
	size_t bloblen;

	fuzz_quiet();
	if (kms_reply_parse((const char *)data, size, "fuzz", &r) == 0)
		(void)kms_error_result(400, r.type);
	kms_reply_free(&r);
	if (size <= BK_KEY_REFMAX && kms_ref_split(data, size, arn, &blob,
	    &bloblen) == 0 && (blob < data || blob + bloblen != data + size))
		abort();
	return 0;
}
