/* Unit tests for s3_list_page: listing replies, good and hostile. */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "store/s3.h"
#include "unit.h"

struct seen {
	int n;
	uint64_t total;
	char last[64];
};

static int
count(const struct s3_object *o, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->total += o->size;
	snprintf(s->last, sizeof(s->last), "%s %s", o->key, o->storage_class);
	return 0;
}

/* Parse body as one page; the return code, *seen and *token set. */
static int
page(const char *body, struct seen *seen, char **token)
{
	struct s3_resp r = { 0 };

	memset(seen, 0, sizeof(*seen));
	r.body = (char *)(uintptr_t)body;
	r.len = strlen(body);
	return s3_list_page(&r, count, seen, token);
}

int
main(void)
{
	struct seen s;
	char *tok;

	bk_setprogname("test-s3list");
	CHECK(page("<ListBucketResult><IsTruncated>true</IsTruncated>"
	    "<Contents><Key>a</Key><Size>10</Size></Contents>"
	    "<Contents><Key>b&amp;c</Key><Size>4000000000000</Size>"
	    "<StorageClass>GLACIER</StorageClass></Contents>"
	    "<NextContinuationToken>t1</NextContinuationToken>"
	    "</ListBucketResult>", &s, &tok) == BK_OK);
	CHECK(s.n == 2 && s.total == 4000000000010ull);
	CHECK(strcmp(s.last, "b&c GLACIER") == 0);
	CHECK(tok != NULL && strcmp(tok, "t1") == 0);
	free(tok);

	CHECK(page("<ListBucketResult><IsTruncated>false</IsTruncated>"
	    "</ListBucketResult>", &s, &tok) == BK_OK && s.n == 0 &&
	    tok == NULL);

	/* Hostile replies: refused, not read as 0 or as a partial list. */
	CHECK(page("<ListBucketResult><Contents><Key>a</Key>"
	    "<Size>12abc</Size></Contents></ListBucketResult>", &s,
	    &tok) == BK_FAIL && s.n == 0);
	CHECK(page("<ListBucketResult><Contents><Key>a</Key>"
	    "<Size>-1</Size></Contents></ListBucketResult>", &s,
	    &tok) == BK_FAIL);
	CHECK(page("<ListBucketResult><Contents><Key>a</Key>"
	    "<Size>99999999999999999999999</Size></Contents>"
	    "</ListBucketResult>", &s, &tok) == BK_FAIL);
	CHECK(page("<ListBucketResult><Contents><Key>a</Key>"
	    "<Size></Size></Contents></ListBucketResult>", &s,
	    &tok) == BK_FAIL);
	CHECK(page("<ListBucketResult><Contents><Size>1</Size></Contents>"
	    "</ListBucketResult>", &s, &tok) == BK_FAIL);
	CHECK(page("<ListBucketResult><IsTruncated>true</IsTruncated>"
	    "<Contents><Key>a</Key><Size>1</Size></Contents>"
	    "</ListBucketResult>", &s, &tok) == BK_FAIL);
	return unit_exit();
}
