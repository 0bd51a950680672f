/* Unit tests for lib/store/xml.c: element lookup, entities, hostile input. */
#include <stdlib.h>
#include <string.h>

#include "store/xml.h"
#include "unit.h"

static char *
text(const char *doc, const char *name)
{
	return xml_text(doc, doc + strlen(doc), name);
}

static int
is(char *got, const char *want)
{
	int ok = (got == NULL) ? want == NULL :
	    want != NULL && strcmp(got, want) == 0;

	free(got);
	return ok;
}

static void
test_lookup(void)
{
	const char *doc = "<?xml version=\"1.0\"?>\n<InitiateMultipartUploadResult"
	    " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b"
	    "</Bucket><Key>a&amp;b &lt;c&gt; &#233;&#x41;</Key><UploadId>"
	    "xyz</UploadId><KeyMarker/></InitiateMultipartUploadResult>";

	CHECK(is(text(doc, "UploadId"), "xyz"));
	CHECK(is(text(doc, "Key"), "a&b <c> \xc3\xa9" "A"));
	CHECK(is(text(doc, "KeyMarker"), ""));
	CHECK(is(text(doc, "Upload"), NULL));
	CHECK(is(text(doc, "Missing"), NULL));
}

static void
test_iterate(void)
{
	const char *doc = "<L><Contents><Key>a</Key><Size>1</Size></Contents>"
	    "<Contents><Key>b</Key><Size>22</Size></Contents></L>";
	const char *p = doc, *end = doc + strlen(doc), *in, *after;
	size_t inlen;
	int n = 0;

	while (xml_find(p, end, "Contents", &in, &inlen, &after) == 0) {
		n++;
		CHECK(is(xml_text(in, in + inlen, "Key"), n == 1 ? "a" : "b"));
		p = after;
	}
	CHECK(n == 2);
}

static void
test_hostile(void)
{
	CHECK(is(text("<Key>unterminated", "Key"), NULL));
	CHECK(is(text("<Key>a &bogus; b</Key>", "Key"), NULL));
	CHECK(is(text("<Key>&#0;</Key>", "Key"), NULL));
	CHECK(is(text("<Key>&#xD800;</Key>", "Key"), NULL));
	CHECK(is(text("<Key>a<b>c</b></Key>", "Key"), NULL));
	CHECK(is(text("<Key", "Key"), NULL));
	CHECK(is(text("", "Key"), NULL));
	CHECK(is(text("<Key>&#99999999999;</Key>", "Key"), NULL));
}

int
main(void)
{
	test_lookup();
	test_iterate();
	test_hostile();
	return unit_exit();
}
