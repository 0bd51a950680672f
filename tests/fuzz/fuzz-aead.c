/*
 * fuzz-aead.c - the encrypted container reader: header, key commitment and
 * every segment, under a fixed test key (the seeds are containers made
 * with it, so mutations reach the segments past the commitment).  The
 * input goes to the opening stage in two writes, split where its first
 * byte says, so a header or segment cut across writes is fuzzed too.
 */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "fuzz.h"
#include "io/aead.h"
#include "io/stage.h"
#include "key/keysrc.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bk_keysrc *ks;
	struct bk_stage *s;
	struct bk_key k;
	size_t cut;

	fuzz_quiet();
	if (ks == NULL) {
		memset(&k, 0, sizeof(k));
		memset(k.key, 0x42, sizeof(k.key));
		if ((ks = bk_keysrc_fixed(&k)) == NULL)
			abort();
	}
	if ((s = bk_aead_open(ks, "<fuzz>", NULL)) == NULL)
		abort();
	cut = size > 0 ? data[0] * size / 256 : 0;
	if (bk_stage_write(s, data, cut) == BK_OK &&
	    bk_stage_write(s, data + cut, size - cut) == BK_OK)
		(void)bk_stage_finish(s);
	bk_stage_free(s);
	return 0;
}
