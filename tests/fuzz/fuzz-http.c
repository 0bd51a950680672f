/*
 * fuzz-http.c - HTTP response headers as a hostile server sends them, line
 * by line through the header callback bk gives libcurl (status lines,
 * ETag, Content-Length, Content-Range, checksums), then the Content-Range
 * parser that decides where a resumed download's bytes belong.
 */
#include <stdlib.h>

#include "bk.h"
#include "fuzz.h"
#include "store/s3.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3_resp r;
	uint64_t a, b, t;
	size_t off = 0, len;
	char *copy;
	const char *nl;

	fuzz_quiet();
	memset(&r, 0, sizeof(r));
	/* libcurl hands over one line at a time, with its CRLF, unended. */
	while (off < size) {
		nl = memchr(data + off, '\n', size - off);
		len = nl ? (size_t)(nl - (const char *)data) - off + 1 :
		    size - off;
		if ((copy = malloc(len)) == NULL)
			break;
		memcpy(copy, data + off, len);
		if (s3_on_header(copy, 1, len, &r) != len)
			abort();
		free(copy);
		off += len;
	}
	if (s3_content_range(r.content_range, &a, &b, &t) == 0 && a > b)
		abort();
	s3_resp_free(&r);
	return 0;
}
