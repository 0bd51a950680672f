/* fuzz-tar.c - the pax/ustar/GNU tar reader: every header and all data. */
#include <stdlib.h>

#include "bk.h"
#include "fuzz.h"
#include "files/tar.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	struct tar_reader *r;
	struct tar_entry e;
	char buf[4096];
	int members = 0;

	fuzz_quiet();
	if ((r = tar_reader_new(fuzz_read, &in, "<fuzz>")) == NULL)
		return 0;
	memset(&e, 0, sizeof(e));
	/* Every member's data is read to its end (or the first error). */
	while (members++ < 10000 && tar_next(r, &e) == 1)
		while (tar_read(r, buf, sizeof(buf)) > 0)
			;
	tar_reader_free(r);
	return 0;
}
