/*
 * Unit tests for lib/store/store.c URLs, lib/store/awsconf.c (AWS CLI
 * files and precedence) and lib/store/manifest.c (build, then read back).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "store/awsconf.h"
#include "store/manifest.h"
#include "store/s3.h"
#include "store/store.h"
#include "unit.h"

static void
test_urls(void)
{
	struct store_url u;
	struct s3_location *l;

	CHECK(store_url_parse("s3://bk/db/x.bk?profile=eu&region=eu-west-1"
	    "&endpoint=http%3A%2F%2F127.0.0.1%3A9000&style=path", &u, 1) == 0);
	l = u.conf;
	CHECK(strcmp(store_scheme(&u), "s3") == 0 &&
	    strcmp(l->bucket, "bk") == 0 &&
	    strcmp(u.key, "db/x.bk") == 0 && strcmp(l->profile, "eu") == 0 &&
	    strcmp(l->region, "eu-west-1") == 0 &&
	    strcmp(l->endpoint, "http://127.0.0.1:9000") == 0 &&
	    strcmp(l->style, "path") == 0 && strcmp(u.url, "s3://bk/db/x.bk") == 0);
	store_url_free(&u);
	CHECK(store_url_parse("s3://bk/a%20b", &u, 1) == 0 &&
	    strcmp(u.key, "a b") == 0);
	store_url_free(&u);
	CHECK(store_url_parse("s3://bk/db/", &u, 0) == 0 &&
	    strcmp(u.key, "db/") == 0);
	store_url_free(&u);
	CHECK(store_url_parse("file:///mnt/nas/x.bk", &u, 1) == 0 &&
	    strcmp(store_scheme(&u), "file") == 0 && strcmp(u.key, "/mnt/nas/x.bk") == 0);
	store_url_free(&u);
	CHECK(store_url_parse("file://localhost/x", &u, 1) == 0 &&
	    strcmp(u.key, "/x") == 0);
	store_url_free(&u);
	/* Refused: no key, prefixes as objects, unknown settings, others. */
	CHECK(store_url_parse("s3://bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/db/", &u, 1) == -1);
	CHECK(store_url_parse("s3:///key", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/k?secret=x", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/k?profile=a&profile=b", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/k%00", &u, 1) == -1);
	CHECK(store_url_parse("file://host/x", &u, 1) == -1);
	CHECK(store_url_parse("file:///x?profile=a", &u, 1) == -1);
	CHECK(store_url_parse("http://x/y", &u, 1) == -1);
	CHECK(store_url_parse("/tmp/x", &u, 1) == -1);
	/* Dot and empty segments, escaped or not, in keys and paths. */
	CHECK(store_url_parse("s3://bk/db/../../etc/x.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/db/%2E%2E/x.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/db/%2e%2e%2Fx.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/./x.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/..", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/db//x.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk//x.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://bk/db/..?profile=a", &u, 0) == -1);
	CHECK(store_url_parse("s3://bk/db/../", &u, 0) == -1);
	CHECK(store_url_parse("file:///mnt/../etc/x", &u, 1) == -1);
	CHECK(store_url_parse("file:///mnt/nas/%2e/x", &u, 1) == -1);
	CHECK(store_url_parse("file:///mnt//x", &u, 1) == -1);
	CHECK(store_url_parse("file:///..", &u, 1) == -1);
	CHECK(store_url_parse("s3://../etc/x.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://./x.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://a%2F..%2Fb/x.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://evil.com#/x.bk", &u, 1) == -1);
	CHECK(store_url_parse("s3://b.k_t-1/x.bk", &u, 1) == 0);
	store_url_free(&u);
	CHECK(store_key_check("a/..b/c..d/.e") == 0 && store_key_check("a/") == 0);
	CHECK(store_key_check("") == 0 && store_key_check("/a") == -1);
	/* Names with dots that are not segments are fine. */
	CHECK(store_url_parse("s3://bk/db/..x/x..bk", &u, 1) == 0);
	store_url_free(&u);
	CHECK(store_url_parse("file:///mnt/.nas/x.", &u, 1) == 0);
	store_url_free(&u);
}

/* A listed URL parses back to its key, settings kept. */
static void
test_url_for(void)
{
	static const char *keys[] = { "db/a\nb\tc.bk", "db/50%?#x y.bk",
	    "db/plain.bk", "db/\x7f\x1b[31m" };
	struct store_url u, back;
	char *url;
	size_t i;

	CHECK(store_url_parse("s3://bk/db/?profile=eu&region=r", &u, 0) == 0);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		CHECK((url = store_url_for(&u, keys[i])) != NULL);
		if (url == NULL)
			continue;
		CHECK(strpbrk(url, "\n\t\r\x1b\x7f ") == NULL);
		CHECK(strstr(url, "?profile=eu&region=r") != NULL);
		CHECK(store_url_parse(url, &back, 1) == 0 &&
		    strcmp(back.key, keys[i]) == 0 &&
		    strcmp(((struct s3_location *)back.conf)->profile,
		    "eu") == 0);
		store_url_free(&back);
		free(url);
	}
	store_url_free(&u);
	CHECK(store_url_parse("file:///mnt/nas/", &u, 0) == 0);
	CHECK((url = store_url_for(&u, "/mnt/nas/a\nb")) != NULL &&
	    strcmp(url, "file:///mnt/nas/a%0Ab") == 0);
	free(url);
	store_url_free(&u);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static void
test_awsconf(void)
{
	char dir[] = "/tmp/bk-test-awsconf.XXXXXX", cred[64], conf[64];
	struct awsconf c;
	int found = 0;
	char *v;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(cred, sizeof(cred), "%s/credentials", dir);
	snprintf(conf, sizeof(conf), "%s/config", dir);
	write_file(cred, "[default]\naws_access_key_id = AKDEF\n"
	    "aws_secret_access_key = sdef\n\n[eu]\naws_access_key_id=AKEU\n"
	    "aws_secret_access_key=seu\naws_session_token = tok\n");
	write_file(conf, "[default]\nregion = us-west-2\n"
	    "[profile eu]\nregion = eu-west-1\ns3 =\n"
	    "  endpoint_url = https://eu.example\n  addressing_style = path\n"
	    "endpoint_url = https://other.example\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
	unsetenv("AWS_CA_BUNDLE");
	unsetenv("AWS_SESSION_TOKEN");

	v = awsconf_ini_get(conf, "profile eu", "s3", "endpoint_url", &found);
	CHECK(found && v != NULL && strcmp(v, "https://eu.example") == 0);
	free(v);
	v = awsconf_ini_get(conf, "profile eu", NULL, "endpoint_url", &found);
	CHECK(v != NULL && strcmp(v, "https://other.example") == 0);
	free(v);

	/* The environment's keys win over the default profile's ... */
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "senv", 1);
	CHECK(awsconf_load(&c, NULL) == 0);
	CHECK(strcmp(c.access_key, "AKENV") == 0 &&
	    strcmp(c.secret_key, "senv") == 0 && c.token == NULL &&
	    strcmp(c.region, "us-west-2") == 0 && c.endpoint == NULL);
	awsconf_free(&c);
	/* ... but a profile named for a destination wins over them. */
	CHECK(awsconf_load(&c, "eu") == 0);
	CHECK(strcmp(c.access_key, "AKEU") == 0 &&
	    strcmp(c.secret_key, "seu") == 0 && strcmp(c.token, "tok") == 0 &&
	    strcmp(c.region, "eu-west-1") == 0 &&
	    strcmp(c.endpoint, "https://eu.example") == 0 &&
	    strcmp(c.addressing, "path") == 0);
	awsconf_free(&c);
	CHECK(awsconf_load(&c, "nosuch") == -1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	CHECK(awsconf_load(&c, NULL) == 0 && strcmp(c.access_key, "AKDEF") == 0);
	awsconf_free(&c);
	setenv("AWS_PROFILE", "eu", 1);
	CHECK(awsconf_load(&c, NULL) == 0 && strcmp(c.access_key, "AKEU") == 0);
	awsconf_free(&c);
	unsetenv("AWS_PROFILE");
	unlink(cred);
	unlink(conf);
	rmdir(dir);
}

static void
test_manifest(void)
{
	struct manifest m = { .name = "db-1.bk", .kind = "db", .size = 1234,
	    .key_id = "k1", .compression = "zstd", .source = "mongodb://x",
	    .counts_json = "{\"tool\":\"bk-dump\",\"counts\":{\"a.b\":3}}" };
	struct manifest back;
	char *json;

	memset(m.sha256, 'a', 64);
	json = manifest_build(&m);
	CHECK(json != NULL && strstr(json, "\"counts\" : { \"a.b\" : 3 }") &&
	    strstr(json, "\"tool_version\"") && strstr(json, "\"created\""));
	CHECK(json != NULL && manifest_parse(json, strlen(json), "m",
	    &back) == 0 && back.size == 1234 &&
	    strcmp(back.sha256, m.sha256) == 0 &&
	    strcmp(back.created, m.created) == 0);
	free(json);
	CHECK(manifest_parse("{\"size\":1}", 10, "m", &back) == -1);
	CHECK(manifest_parse("not json", 8, "m", &back) == -1);
	CHECK(strcmp(back.kindbuf, "") == 0);
	/* Fields that reach a listing cannot carry a control character. */
	{
		static const char *bad[] = {
		    "{\"size\":1,\"sha256\":\"%.63s\\n\"}",
		    "{\"size\":1,\"sha256\":\"%s\",\"created\":\"x\\ty\"}",
		    "{\"size\":1,\"sha256\":\"%s\",\"kind\":\"db\\nx\"}",
		    "{\"size\":1,\"sha256\":\"%s\",\"kind\":\"\"}",
		};
		char hex[65], buf[256];
		size_t i;

		memset(hex, 'f', 64);
		hex[64] = '\0';
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(buf, sizeof(buf), bad[i], hex);
			CHECK(manifest_parse(buf, strlen(buf), "m", &back) ==
			    -1);
		}
		snprintf(buf, sizeof(buf), "{\"size\":1,\"sha256\":\"%s\","
		    "\"kind\":\"files\",\"created\":\"2026-11-27T09:00:00Z\"}",
		    hex);
		CHECK(manifest_parse(buf, strlen(buf), "m", &back) == 0 &&
		    strcmp(back.kindbuf, "files") == 0);
		CHECK(manifest_kind_valid("db") && !manifest_kind_valid("") &&
		    !manifest_kind_valid("a b") &&
		    !manifest_kind_valid("0123456789012345678901234567890123"));
	}
	m.counts_json = "[1,2";
	CHECK(manifest_build(&m) == NULL);
}

int
main(void)
{
	test_urls();
	test_url_for();
	test_awsconf();
	test_manifest();
	return unit_exit();
}
