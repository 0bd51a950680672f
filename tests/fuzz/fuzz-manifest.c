/* fuzz-manifest.c - the manifest reader that listing and restore trust. */
#include <stdlib.h>

#include "bk.h"
#include "fuzz.h"
#include "store/manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;

	fuzz_quiet();
	memset(&m, 0, sizeof(m));
	(void)manifest_parse((const char *)data, size, "<fuzz>", &m);
	return 0;
}
