/*
 * fuzz-aead.c - the encrypted container reader: header, key commitment and
 * every segment, under a fixed test key (the seeds are containers made
 * with it, so mutations reach the segments past the commitment).  The
 * input goes to the opening stage in two writes, split where its first
 * byte says, so a header or segment cut across writes is fuzzed too.
 * An input whose key type byte says 3 (X25519 recipients) is opened with
 * a keyring holding the seeds' recipient key pair instead, so mutations
 * reach the recipient list, the unwrap and the check values.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "fuzz.h"
#include "io/aead.h"
#include "io/stage.h"
#include "key/keysrc.h"

/* The seeds' recipient (tests/fuzz/seeds.py): private key 0x20..0x3f. */
static const char keyring_text[] =
    "bk-keyring 1\n"
    "x25519 1011121314151617 2026-11-27T00:00:00Z current "
    "358072d6365880d1aeea329adf9121383851ed21a28e3b75e965d0d2cd166254 "
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\n";

/* The keyring source over a private temporary copy of keyring_text. */
static struct bk_keysrc *
x25519_source(void)
{
	char path[] = "/tmp/bk-fuzz-aead.XXXXXX";
	struct bk_keysrc *ks;
	int fd;

	if ((fd = mkstemp(path)) == -1 || write(fd, keyring_text,
	    sizeof(keyring_text) - 1) != (ssize_t)sizeof(keyring_text) - 1)
		abort();
	close(fd);
	ks = bk_keysrc_keyring(path);
	unlink(path);
	if (ks == NULL)
		abort();
	return ks;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bk_keysrc *fixed, *x25519;
	struct bk_stage *s;
	struct bk_key k;
	size_t cut;

	fuzz_quiet();
	if (fixed == NULL) {
		memset(&k, 0, sizeof(k));
		memset(k.key, 0x42, sizeof(k.key));
		if ((fixed = bk_keysrc_fixed(&k)) == NULL)
			abort();
		x25519 = x25519_source();
	}
	if ((s = bk_aead_open(size > 11 && data[11] == AEAD_KEYTYPE_X25519 ?
	    x25519 : fixed, "<fuzz>", NULL)) == NULL)
		abort();
	cut = size > 0 ? data[0] * size / 256 : 0;
	if (bk_stage_write(s, data, cut) == BK_OK &&
	    bk_stage_write(s, data + cut, size - cut) == BK_OK)
		(void)bk_stage_finish(s);
	bk_stage_free(s);
	return 0;
}
