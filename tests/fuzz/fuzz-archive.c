/* fuzz-archive.c - the mongodump --archive reader, to the end of stream. */
#include <stdlib.h>

#include "db/archive.h"
#include "bk.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size, 0 };
	struct archive_reader *r;
	struct archive_event ev;
	size_t n;

	fuzz_quiet();
	if ((r = archive_reader_new(fuzz_read, &in, "<fuzz>")) == NULL)
		return 0;
	if (archive_read_prelude(r) == 0) {
		(void)archive_reader_header(r);
		(void)archive_reader_ns(r, &n);
		while (archive_next(r, &ev) == 1)
			;
	}
	archive_reader_free(r);
	return 0;
}
