/*
 * fuzz-s3xml.c - the other S3 XML replies a hostile server sends: a
 * ListMultipartUploads page, and the elements bk reads from error bodies
 * (Code, Message), from CreateMultipartUpload (UploadId) and from a
 * CompleteMultipartUpload that answers 200 with an error inside.
 */
#include <stdlib.h>

#include "bk.h"
#include "fuzz.h"
#include "store/s3.h"
#include "store/xml.h"

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
	static const char *const names[] = { "Code", "Message", "UploadId",
	    "ETag", "Key", "RequestId", "Error" };
	struct s3_resp r;
	char *m[2], *t;
	const char *in, *after;
	size_t n = 0, inlen, i;

	fuzz_quiet();
	memset(&r, 0, sizeof(r));
	if ((r.body = malloc(size + 1)) == NULL)
		return 0;
	memcpy(r.body, data, size);
	r.body[size] = '\0';
	r.len = size;
	r.status = 200;
	(void)s3_uploads_page(&r, count, &n, m);
	free(m[0]);
	free(m[1]);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		free(xml_text(r.body, r.body + r.len, names[i]));
		if (xml_find(r.body, r.body + r.len, names[i], &in, &inlen,
		    &after) == 0 && (t = xml_text(in, in + inlen, "Code")))
			free(t);
	}
	s3_resp_free(&r);
	return 0;
}
