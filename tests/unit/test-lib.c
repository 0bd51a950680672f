/* Unit tests for lib/: parsers, hex, sum lines, atomic files, secrets. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "unit.h"

static void
test_parse_size(void)
{
	uint64_t v;

	CHECK(bk_parse_size("0", &v) == 0 && v == 0);
	CHECK(bk_parse_size("17", &v) == 0 && v == 17);
	CHECK(bk_parse_size("8M", &v) == 0 && v == 8u << 20);
	CHECK(bk_parse_size("8MiB", &v) == 0 && v == 8u << 20);
	CHECK(bk_parse_size("1g", &v) == 0 && v == 1u << 30);
	CHECK(bk_parse_size("2T", &v) == 0 && v == 2ull << 40);
	CHECK(bk_parse_size("", &v) == -1);
	CHECK(bk_parse_size("-1", &v) == -1);
	CHECK(bk_parse_size("12Q", &v) == -1);
	CHECK(bk_parse_size("1M extra", &v) == -1);
	CHECK(bk_parse_size("99999999999999999999", &v) == -1);
	CHECK(bk_parse_size("17000000T", &v) == -1);	/* overflows */
}

static void
test_parse_long(void)
{
	long v;

	CHECK(bk_parse_long("7", 1, 10, &v) == 0 && v == 7);
	CHECK(bk_parse_long("1", 1, 10, &v) == 0 && v == 1);
	CHECK(bk_parse_long("10", 1, 10, &v) == 0 && v == 10);
	CHECK(bk_parse_long("0", 1, 10, &v) == -1);
	CHECK(bk_parse_long("11", 1, 10, &v) == -1);
	CHECK(bk_parse_long("", 1, 10, &v) == -1);
	CHECK(bk_parse_long("3x", 1, 10, &v) == -1);
	CHECK(bk_parse_long("99999999999999999999999", 1, 10, &v) == -1);
	CHECK(bk_parse_long("-2", -5, 5, &v) == 0 && v == -2);
}

static void
test_hex(void)
{
	unsigned char in[4] = { 0x00, 0x7f, 0xa5, 0xff }, out[4];
	char hex[9];

	bk_hex(hex, in, 4);
	CHECK(strcmp(hex, "007fa5ff") == 0);
	CHECK(bk_unhex(out, "007FA5ff", 4) == 0 && memcmp(in, out, 4) == 0);
	CHECK(bk_unhex(out, "007fa5fg", 4) == -1);
	CHECK(bk_unhex(out, "007fa5f", 4) == -1);	/* NUL is not hex */
}

static void
test_sumline(void)
{
	unsigned char d[BK_SHA256_LEN], got[BK_SHA256_LEN];
	char *line;
	size_t i;

	for (i = 0; i < sizeof(d); i++)
		d[i] = (unsigned char)i;
	line = bk_sumline(d, "db.bk");
	CHECK(line != NULL && strcmp(line, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f  db.bk\n") == 0);
	CHECK(bk_sumtext_lookup(line, "t", NULL, got) == 0 &&
	    memcmp(d, got, sizeof(d)) == 0);
	CHECK(bk_sumtext_lookup(line, "t", "db.bk", got) == 0);
	CHECK(bk_sumtext_lookup(line, "t", "other", got) == BK_NEGATIVE);
	free(line);

	/* sha256sum escapes names with backslash or newline. */
	line = bk_sumline(d, "a\\b\nc");
	CHECK(line != NULL && line[0] == '\\' &&
	    strstr(line, "  a\\\\b\\nc\n") != NULL);
	memset(got, 0, sizeof(got));
	CHECK(bk_sumtext_lookup(line, "t", "a\\b\nc", got) == 0 &&
	    memcmp(d, got, sizeof(d)) == 0);
	free(line);

	/* Binary-mode marker and BSD tag lines. */
	CHECK(bk_sumtext_lookup("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f *x\n", "t", "x", got) == 0);
	CHECK(bk_sumtext_lookup("SHA256 (x) = 000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n", "t", "x", got) == 0 &&
	    memcmp(d, got, sizeof(d)) == 0);

	/* CRLF line ends (a sum file that went through Windows). */
	memset(got, 0, sizeof(got));
	CHECK(bk_sumtext_lookup("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f  x\r\n", "t", "x", got) == 0 &&
	    memcmp(d, got, sizeof(d)) == 0);
	CHECK(bk_sumtext_lookup("# c\r\n\r\n000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f  x\r\n", "t", NULL, got) == 0);
	/* Only one CR is a line end; a name is never cut short silently. */
	CHECK(bk_sumtext_lookup("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f  x\r\r\n", "t", "x", got) ==
	    BK_NEGATIVE);

	/* Hostile or ambiguous texts. */
	CHECK(bk_sumtext_lookup("", "t", NULL, got) == BK_FAIL);
	CHECK(bk_sumtext_lookup("", "t", "x", got) == BK_FAIL);
	CHECK(bk_sumtext_lookup("# only a comment\n", "t", "x", got) == BK_FAIL);
	CHECK(bk_sumtext_lookup("not a sum\n", "t", "x", got) == BK_FAIL);
	CHECK(bk_sumtext_lookup("not a sum\n", "t", NULL, got) == -1);
	CHECK(bk_sumtext_lookup("0001  x\n", "t", NULL, got) == -1);
	CHECK(bk_sumtext_lookup("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f  x\n"
	    "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f  y\n", "t", NULL, got) == -1);
	CHECK(bk_sumtext_lookup("\\000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f  bad\\q\n", "t", NULL, got) == -1);
}

static void
test_afile(void)
{
	char dir[] = "/tmp/bk-unit.XXXXXX", path[64], buf[16];
	struct bk_afile *af;
	struct stat st;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);

	/* Nothing is visible before commit; abort leaves nothing. */
	CHECK((af = bk_afile_open(path, 0600, 0)) != NULL);
	CHECK(bk_afile_write(af, "abc", 3) == 0);
	CHECK(stat(path, &st) == -1 && errno == ENOENT);
	bk_afile_abort(af);
	CHECK(stat(path, &st) == -1 && errno == ENOENT);
	bk_afile_abort(NULL);

	CHECK(bk_atomic_write(path, "one", 3, 0600, 0) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* noclobber refuses to replace, and keeps the old content. */
	CHECK(bk_atomic_write(path, "two", 3, 0600, 1) == -1);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 3 &&
	    memcmp(buf, "one", 3) == 0);
	close(fd);
	CHECK(bk_atomic_write(path, "two", 3, 0600, 0) == 0);

	/* Secrets: refused when group/other can read them. */
	size_t len;
	char *s;
	CHECK((s = bk_read_secret_file(path, 64, &len)) != NULL && len == 3);
	free(s);
	CHECK(bk_read_secret_file(path, 2, &len) == NULL);	/* too large */
	chmod(path, 0640);
	CHECK(bk_read_secret_file(path, 64, &len) == NULL);
	unlink(path);
	rmdir(dir);
}

static void
test_one_line(void)
{
	warn0("server said: %s", "first\nsecond\r\nthird");
	CHECK(strcmp(bk_last_error(),
	    "server said: first second  third") == 0);
}

int
main(void)
{
	bk_setprogname("test-lib");
	test_one_line();
	test_parse_size();
	test_parse_long();
	test_hex();
	test_sumline();
	test_afile();
	return unit_exit();
}
