/* fuzz-sumfile.c - sha256sum lines (text, binary, escaped, BSD, CRLF). */
#include <stdlib.h>

#include "bk.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char digest[BK_SHA256_LEN];
	char *text;

	fuzz_quiet();
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)bk_sumtext_lookup(text, "<fuzz>", NULL, digest);
	(void)bk_sumtext_lookup(text, "<fuzz>", "db.bk", digest);
	free(text);
	return 0;
}
