/* fuzz-s3list.c - a ListObjectsV2 reply body, as a hostile server sends it. */
#include <stdlib.h>

#include "bk.h"
#include "fuzz.h"
#include "store/s3.h"

static int
count(const struct s3_object *o, void *arg)
{
	(void)o;
	++*(size_t *)arg;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct s3_resp r;
	char *token = NULL;
	size_t n = 0;

	fuzz_quiet();
	memset(&r, 0, sizeof(r));
	if ((r.body = malloc(size + 1)) == NULL)
		return 0;
	memcpy(r.body, data, size);
	r.body[size] = '\0';
	r.len = size;
	r.status = 200;
	(void)s3_list_page(&r, count, &n, &token);
	free(token);
	s3_resp_free(&r);
	return 0;
}
