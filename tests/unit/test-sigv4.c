/*
 * Unit tests for lib/store/sigv4.c against AWS's published examples: the
 * Signature Version 4 test suite (get-vanilla, post-vanilla,
 * get-vanilla-query-order-key-case; credentials AKIDEXAMPLE, 2015-08-30)
 * and the Amazon S3 API reference "Signature Calculations for the
 * Authorization Header" examples (GET Object with Range, PUT Object).
 */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "store/sigv4.h"
#include "unit.h"

#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static int
sign_suite(const char *method, const char *query, char *out, size_t len)
{
	struct sigv4_header h[] = {
		{ "Host", "example.amazonaws.com" },
		{ "X-Amz-Date", "20150830T123600Z" },
	};
	struct sigv4_request rq = { method, "/", query, h, 2,
	    SIGV4_EMPTY_SHA256, "20150830T123600Z", "us-east-1", "service" };

	return sigv4_authorization(&rq, "AKIDEXAMPLE", SUITE_SECRET, out, len,
	    NULL, 0);
}

static void
test_suite(void)
{
	char a[512];

	CHECK(sign_suite("GET", "", a, sizeof(a)) == 0);
	CHECK(strcmp(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/"
	    "us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1"
	    "d763fbf31") == 0);
	CHECK(sign_suite("POST", "", a, sizeof(a)) == 0);
	CHECK(strstr(a, "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862"
	    "966e37dddb68e92efbe5d6b") != NULL);
	CHECK(sign_suite("GET", "Param2=value2&Param1=value1", a,
	    sizeof(a)) == 0);
	CHECK(strstr(a, "Signature=b97d918cfa904a5beff61c982a1b6f458b79922164"
	    "6efd99d3219ec94cdf2500") != NULL);
	CHECK(sign_suite("GET", "Param1=value1&Param2=value2", a,
	    sizeof(a)) == 0);
	CHECK(strstr(a, "Signature=b97d918cfa904a5beff61c982a1b6f458b79922164"
	    "6efd99d3219ec94cdf2500") != NULL);
}

static void
test_s3_get(void)
{
	struct sigv4_header h[] = {
		{ "x-amz-date", "20130524T000000Z" },
		{ "Range", "bytes=0-9" },
		{ "host", "examplebucket.s3.amazonaws.com" },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
	};
	struct sigv4_request rq = { "GET", "/test.txt", "", h, 4,
	    SIGV4_EMPTY_SHA256, "20130524T000000Z", "us-east-1", "s3" };
	char a[512], sts[512];

	CHECK(sigv4_authorization(&rq, "AKIAIOSFODNN7EXAMPLE", S3_SECRET, a,
	    sizeof(a), sts, sizeof(sts)) == 0);
	CHECK(strcmp(sts, "AWS4-HMAC-SHA256\n20130524T000000Z\n"
	    "20130524/us-east-1/s3/aws4_request\n"
	    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972")
	    == 0);
	CHECK(strcmp(a, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
	    "20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;"
	    "x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd"
	    "35b5d6ed310bd44f0170aba48dd91039c6036bdb41") == 0);
}

static void
test_s3_put(void)
{
	static const char body[] = "Welcome to Amazon S3.";
	char hash[65], a[512], *path;
	struct sigv4_header h[] = {
		{ "Host", "examplebucket.s3.amazonaws.com" },
		{ "Date", "Fri, 24 May 2013 00:00:00 GMT" },
		{ "x-amz-date", "20130524T000000Z" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
		{ "x-amz-content-sha256", hash },
	};
	struct sigv4_request rq = { "PUT", NULL, "", h, 5, hash,
	    "20130524T000000Z", "us-east-1", "s3" };

	sigv4_sha256_hex(body, strlen(body), hash);
	CHECK(strcmp(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e4"
	    "2034a8b803f8b072") == 0);
	path = sigv4_uri_encode("/test$file.text", 1);
	CHECK(path != NULL && strcmp(path, "/test%24file.text") == 0);
	rq.path = path;
	CHECK(sigv4_authorization(&rq, "AKIAIOSFODNN7EXAMPLE", S3_SECRET, a,
	    sizeof(a), NULL, 0) == 0);
	CHECK(strstr(a, "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380"
	    "cd77a1b5971af0ece108bd") != NULL);
	free(path);
}

static void
test_encode(void)
{
	char *s;

	s = sigv4_uri_encode("a b/c~d%e+f=", 0);
	CHECK(s != NULL && strcmp(s, "a%20b%2Fc~d%25e%2Bf%3D") == 0);
	free(s);
	s = sigv4_uri_encode("d\xc3\xa9j\xc3\xa0/x", 1);
	CHECK(s != NULL && strcmp(s, "d%C3%A9j%C3%A0/x") == 0);
	free(s);
}

int
main(void)
{
	test_suite();
	test_s3_get();
	test_s3_put();
	test_encode();
	return unit_exit();
}
