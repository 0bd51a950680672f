/*
 * fuzz-aead.c - the encrypted container reader: header, key commitment and
 * every segment, under a fixed test key (the seeds are containers made
 * with it, so mutations reach the segments past the commitment).
 */
#include <sys/mman.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "aead.h"
#include "bk.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int in = -1, out = -1;
	unsigned char key[AEAD_KEYLEN];
	struct aead_header h;
	struct aead_stats st;

	fuzz_quiet();
	if (in == -1 && (in = memfd_create("fuzz-in", 0)) == -1)
		abort();
	if (out == -1 && (out = open("/dev/null", O_WRONLY)) == -1)
		abort();
	if (ftruncate(in, 0) != 0 || pwrite(in, data, size, 0) !=
	    (ssize_t)size || lseek(in, 0, SEEK_SET) != 0)
		abort();
	memset(key, 0x42, sizeof(key));
	memset(&st, 0, sizeof(st));
	if (aead_header_read(in, "<fuzz>", &h) == 0)
		(void)aead_decrypt_stream(in, "<fuzz>", out, &h, key, NULL,
		    &st);
	return 0;
}
