/*
 * Unit tests for lib/key/kms.c without a server: the JSON replies of
 * GenerateDataKey, Decrypt and errors (shaped as the AWS KMS API
 * reference shows them), hostile replies, what each error type means,
 * the key type 2 reference, and the endpoint's precedence.
 */
#include <stdlib.h>
#include <string.h>

#include "bk.h"
#include "key/kms.h"
#include "unit.h"

#define ARN "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-" \
	"56ef-1234567890ab"

static int
parse(const char *json, struct kms_reply *r)
{
	return kms_reply_parse(json, strlen(json), "test", r);
}

static void
test_replies(void)
{
	struct kms_reply r;
	size_t i;

	/* GenerateDataKey: Plaintext is bytes 0..31. */
	CHECK(parse("{\"CiphertextBlob\":\"AQIDBA==\",\"KeyId\":\"" ARN "\","
	    "\"Plaintext\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\","
	    "\"KeyMaterialId\":\"x\"}", &r) == 0);
	CHECK(r.has_plaintext && r.keyid && strcmp(r.keyid, ARN) == 0);
	for (i = 0; i < 32; i++)
		CHECK(r.plaintext[i] == i);
	CHECK(r.bloblen == 4 && memcmp(r.blob, "\1\2\3\4", 4) == 0);
	CHECK(r.type[0] == '\0');
	kms_reply_free(&r);
	/* Padding of one and of two '='; none. */
	CHECK(parse("{\"CiphertextBlob\":\"AQID\"}", &r) == 0 &&
	    r.bloblen == 3);
	kms_reply_free(&r);
	CHECK(parse("{\"CiphertextBlob\":\"AQIDBAU=\"}", &r) == 0 &&
	    r.bloblen == 5);
	kms_reply_free(&r);
	/* Errors, with and without the namespace prefix. */
	CHECK(parse("{\"__type\":\"com.amazonaws.kms#AccessDeniedException\","
	    "\"Message\":\"User: x is not authorized\"}", &r) == 0);
	CHECK(strcmp(r.type, "AccessDeniedException") == 0);
	CHECK(strcmp(r.message, "User: x is not authorized") == 0);
	CHECK(!r.has_plaintext && r.blob == NULL && r.keyid == NULL);
	kms_reply_free(&r);
	CHECK(parse("{\"__type\":\"DisabledException\",\"message\":\"k is "
	    "disabled.\"}", &r) == 0 && strcmp(r.type, "DisabledException")
	    == 0 && strcmp(r.message, "k is disabled.") == 0);
	kms_reply_free(&r);
	/* Long texts are cut, not overflowed. */
	{
		char big[2200];

		memset(big, 'a', sizeof(big));
		memcpy(big, "{\"message\":\"", 12);
		memcpy(big + sizeof(big) - 3, "\"}", 3);
		CHECK(parse(big, &r) == 0 &&
		    strlen(r.message) == sizeof(r.message) - 1);
		kms_reply_free(&r);
	}
}

static void
test_hostile(void)
{
	static const char *bad[] = {
		"", "[]", "{", "null", "{\"Plaintext\":5}",
		"{\"KeyId\":{\"a\":1}}", "{\"__type\":[\"x\"]}",
		"{\"Plaintext\":\"AAEC\"}",		/* 3 bytes */
		"{\"Plaintext\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\"}",
		"{\"CiphertextBlob\":\"AQ=D\"}",	/* '=' inside */
		"{\"CiphertextBlob\":\"AQID B==\"}",
		"{\"CiphertextBlob\":\"AQI\"}",		/* not 4n */
		"{\"CiphertextBlob\":\"\"}",
		"{\"CiphertextBlob\":\"A===\"}",
		"{\"KeyId\":\"a\\u0000b\"}",
	};
	struct kms_reply r;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &r) == 0) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			CHECK(0);
		}
		kms_reply_free(&r);
	}
	kms_reply_free(NULL);
}

static void
test_results(void)
{
	CHECK(kms_error_result(400, "DisabledException") == BK_FAIL);
	CHECK(kms_error_result(400, "KMSInvalidStateException") == BK_FAIL);
	CHECK(kms_error_result(400, "AccessDeniedException") == BK_FAIL);
	CHECK(kms_error_result(400, "NotFoundException") == BK_FAIL);
	CHECK(kms_error_result(403, "") == BK_FAIL);
	CHECK(kms_error_result(400, "InvalidCiphertextException") ==
	    BK_NEGATIVE);
	CHECK(kms_error_result(400, "IncorrectKeyException") == BK_NEGATIVE);
	CHECK(kms_error_result(400, "ThrottlingException") == BK_RETRY);
	CHECK(kms_error_result(500, "KMSInternalException") == BK_RETRY);
	CHECK(kms_error_result(503, "") == BK_RETRY);
	CHECK(kms_error_result(429, "") == BK_RETRY);
	CHECK(kms_error_result(400, "DependencyTimeoutException") ==
	    BK_RETRY);
}

static void
test_ref(void)
{
	unsigned char ref[BK_KEY_REFMAX], blob[BK_KEY_REFMAX];
	char arn[KMS_KEYID_MAX + 1], longid[KMS_KEYID_MAX + 2];
	const unsigned char *b;
	size_t len, bl;

	memset(blob, 0xab, sizeof(blob));
	CHECK(kms_ref_make(ref, &len, ARN, blob, 184) == 0);
	CHECK(len == 2 + strlen(ARN) + 184);
	CHECK(ref[0] == 0 && ref[1] == strlen(ARN));
	CHECK(kms_ref_split(ref, len, arn, &b, &bl) == 0);
	CHECK(strcmp(arn, ARN) == 0 && bl == 184 && b == ref + 2 +
	    strlen(ARN) && b[0] == 0xab);
	/* Too big for a header; empty parts. */
	CHECK(kms_ref_make(ref, &len, ARN, blob, BK_KEY_REFMAX) == -1);
	CHECK(kms_ref_make(ref, &len, ARN, blob, 0) == -1);
	CHECK(kms_ref_make(ref, &len, "", blob, 1) == -1);
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	CHECK(kms_ref_make(ref, &len, longid, blob, 1) == -1);
	/* Split refuses what make would never write. */
	CHECK(kms_ref_make(ref, &len, ARN, blob, 10) == 0);
	CHECK(kms_ref_split(ref, 1, arn, &b, &bl) == -1);
	CHECK(kms_ref_split(ref, 2 + strlen(ARN), arn, &b, &bl) == -1);
	ref[2 + 5] = ' ';
	CHECK(kms_ref_split(ref, len, arn, &b, &bl) == -1);
	ref[2 + 5] = 'w';
	ref[2] = 'A';
	CHECK(kms_ref_split(ref, len, arn, &b, &bl) == -1);
	ref[2] = 'a';
	ref[0] = 0xff;
	CHECK(kms_ref_split(ref, len, arn, &b, &bl) == -1);
	ref[0] = 0;
	CHECK(kms_ref_split(ref, len, arn, &b, &bl) == 0);
}

static int
endpoint_is(const char *want)
{
	char *e = kms_endpoint("eu-west-1");
	int ok = e != NULL && strcmp(e, want) == 0;

	if (!ok)
		fprintf(stderr, "endpoint %s, want %s\n", e ? e : "NULL", want);
	free(e);
	return ok;
}

static void
test_endpoint(void)
{
	setenv("AWS_CONFIG_FILE", "/nonexistent/bk-test-config", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_ENDPOINT_URL_KMS");
	unsetenv("AWS_ENDPOINT_URL");
	setenv("AWS_ENDPOINT_URL_S3", "http://s3.invalid", 1);
	CHECK(endpoint_is("https://kms.eu-west-1.amazonaws.com"));
	setenv("AWS_ENDPOINT_URL", "http://any.invalid:81/path", 1);
	CHECK(endpoint_is("http://any.invalid:81"));
	setenv("AWS_ENDPOINT_URL_KMS", "https://kms.invalid", 1);
	CHECK(endpoint_is("https://kms.invalid"));
	setenv("AWS_ENDPOINT_URL_KMS", "ftp://kms.invalid", 1);
	CHECK(kms_endpoint("eu-west-1") == NULL);
	unsetenv("AWS_ENDPOINT_URL_KMS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
}

int
main(void)
{
	test_replies();
	test_hostile();
	test_results();
	test_ref();
	test_endpoint();
	return unit_exit();
}
