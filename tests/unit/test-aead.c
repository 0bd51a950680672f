/*
 * Unit tests for lib/aead.c: the known-answer vectors of
 * tests/vectors/aead-kat.txt byte for byte, and every single-bit flip and
 * every truncation of a small multi-segment container refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "aead.h"
#include "bk.h"
#include "unit.h"

struct kat {
	char name[32];
	unsigned segshift;
	size_t ptlen;
	unsigned char key[AEAD_KEYLEN], id[8], salt[AEAD_SALTLEN];
	unsigned char prefix[AEAD_PREFIXLEN], sha[32];
	char *hex;		/* the sealed bytes, or "-" */
};

/* A scratch file holding len bytes of buf, positioned at 0. */
static int
memfile(const unsigned char *buf, size_t len)
{
	FILE *f = tmpfile();
	int fd;

	if (f == NULL || (fd = dup(fileno(f))) == -1)
		abort();
	fclose(f);
	if (bk_write_full(fd, buf, len, "tmp") != 0 ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

/* The whole contents of fd, from its start; *lenp gets the length. */
static unsigned char *
slurp(int fd, size_t *lenp)
{
	off_t end = lseek(fd, 0, SEEK_END);
	unsigned char *buf = malloc((size_t)end + 1);

	if (buf == NULL || lseek(fd, 0, SEEK_SET) != 0 ||
	    bk_read_full(fd, buf, (size_t)end, "tmp") != end)
		abort();
	*lenp = (size_t)end;
	return buf;
}

static unsigned char *
pattern(size_t n)
{
	unsigned char *p = malloc(n + 1);
	size_t j;

	for (j = 0; j < n; j++)
		p[j] = (unsigned char)(j % 251);
	return p;
}

/* Seal plaintext under the vector's fixed parameters. */
static unsigned char *
seal(const struct kat *k, const unsigned char *pt, size_t *lenp)
{
	static struct aead_header h;
	struct aead_stats st;
	int in = memfile(pt, k->ptlen), out = memfile(NULL, 0);
	unsigned char *sealed;

	CHECK(aead_header_init(&h, AEAD_KEYTYPE_KEYRING, k->id, 8,
	    k->segshift, k->salt, k->prefix) == 0);
	CHECK(aead_encrypt_stream(in, out, &h, k->key, NULL, &st) == 0);
	sealed = slurp(out, lenp);
	CHECK(st.in == k->ptlen && st.out == *lenp);
	close(in);
	close(out);
	return sealed;
}

/* Open a container; 0, -1 or AEAD_REFUSED; plaintext into *out. */
static int
open_buf(const unsigned char *key, const unsigned char *c, size_t len,
    unsigned char **out, size_t *outlen)
{
	static struct aead_header h;
	struct aead_stats st;
	int in = memfile(c, len), o = memfile(NULL, 0), rc;

	if ((rc = aead_header_read(in, "<test>", &h)) == 0)
		rc = aead_decrypt_stream(in, "<test>", o, &h, key, NULL, &st);
	if (out != NULL)
		*out = slurp(o, outlen);
	close(in);
	close(o);
	return rc;
}

static void
sha256(const unsigned char *p, size_t n, unsigned char out[32])
{
	unsigned int len;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

static int
parse_kat(char *line, struct kat *k)
{
	char key[65], id[17], salt[65], prefix[15], sha[65];
	int hexoff;

	if (line[0] == '#' || line[0] == '\n')
		return 1;
	if (sscanf(line, "%31s %u %zu %64s %16s %64s %14s %64s %n", k->name,
	    &k->segshift, &k->ptlen, key, id, salt, prefix, sha,
	    &hexoff) != 8)
		return -1;
	k->hex = line + hexoff;
	k->hex[strcspn(k->hex, "\n")] = '\0';
	if (bk_unhex(k->key, key, 32) || bk_unhex(k->id, id, 8) ||
	    bk_unhex(k->salt, salt, 32) || bk_unhex(k->prefix, prefix, 7) ||
	    bk_unhex(k->sha, sha, 32))
		return -1;
	return 0;
}

/* One vector: exact bytes, and they open to the plaintext. */
static void
check_kat(const struct kat *k)
{
	unsigned char *pt = pattern(k->ptlen), *sealed, *back, d[32];
	size_t len, backlen;
	char *hex;

	sealed = seal(k, pt, &len);
	sha256(sealed, len, d);
	if (memcmp(d, k->sha, 32) != 0)
		fprintf(stderr, "KAT %s: digest differs\n", k->name);
	CHECK(memcmp(d, k->sha, 32) == 0);
	if (strcmp(k->hex, "-") != 0) {
		hex = malloc(2 * len + 1);
		bk_hex(hex, sealed, len);
		CHECK(strcmp(hex, k->hex) == 0);
		free(hex);
	}
	CHECK(open_buf(k->key, sealed, len, &back, &backlen) == 0);
	CHECK(backlen == k->ptlen && memcmp(back, pt, backlen) == 0);
	free(back);
	free(sealed);
	free(pt);
}

static struct kat many;		/* kept for the tamper tests */

static void
test_kats(void)
{
	char path[4096], *line = NULL;
	const char *top = getenv("BK_TOP");
	size_t cap = 0, n = 0;
	struct kat k;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/tests/vectors/aead-kat.txt",
	    top ? top : ".");
	CHECK((f = fopen(path, "r")) != NULL);
	if (f == NULL)
		return;
	while (getline(&line, &cap, f) > 0) {
		if ((rc = parse_kat(line, &k)) == 1)
			continue;
		CHECK(rc == 0);
		if (rc != 0)
			continue;
		check_kat(&k);
		if (strcmp(k.name, "many") == 0) {
			many = k;
			many.hex = NULL;
		}
		n++;
	}
	CHECK(n == 7);
	free(line);
	fclose(f);
}

/* Every single-bit flip, every truncation and an extra byte: refused. */
static void
test_tamper(void)
{
	unsigned char *pt = pattern(many.ptlen), *c, wrong[AEAD_KEYLEN];
	size_t len, i, refused = 0, tries = 0;
	int bit, saved = dup(2), devnull = open("/dev/null", O_WRONLY);

	c = seal(&many, pt, &len);
	CHECK(len > 4 * 256);	/* several segments */
	dup2(devnull, 2);	/* thousands of expected diagnostics */
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			c[i] ^= (unsigned char)(1 << bit);
			tries++;
			refused += open_buf(many.key, c, len, NULL, NULL) ==
			    AEAD_REFUSED;
			c[i] ^= (unsigned char)(1 << bit);
		}
	/* Zero bytes is an earlier stage that failed, not a refusal. */
	CHECK(open_buf(many.key, c, 0, NULL, NULL) == -1);
	for (i = 1; i < len; i++) {
		tries++;
		refused += open_buf(many.key, c, i, NULL, NULL) ==
		    AEAD_REFUSED;
	}
	c = realloc(c, len + 1);
	c[len] = 0;
	tries++;
	refused += open_buf(many.key, c, len + 1, NULL, NULL) == AEAD_REFUSED;
	memcpy(wrong, many.key, sizeof(wrong));
	wrong[0] ^= 1;
	tries++;
	refused += open_buf(wrong, c, len, NULL, NULL) == AEAD_REFUSED;
	dup2(saved, 2);
	fprintf(stderr, "tamper: %zu of %zu variants refused\n", refused,
	    tries);
	CHECK(refused == tries);
	CHECK(open_buf(many.key, c, len, NULL, NULL) == 0);
	free(c);
	free(pt);
	close(devnull);
	close(saved);
}

/* Segments swapped, duplicated or dropped: refused. */
static void
test_reorder(void)
{
	unsigned char *pt = pattern(many.ptlen), *c, *d;
	size_t len, hl = 93, seg = 256;
	int saved = dup(2), devnull = open("/dev/null", O_WRONLY);

	c = seal(&many, pt, &len);
	d = malloc(len + seg);
	dup2(devnull, 2);
	/* swap segments 0 and 1 */
	memcpy(d, c, len);
	memcpy(d + hl, c + hl + seg, seg);
	memcpy(d + hl + seg, c + hl, seg);
	CHECK(open_buf(many.key, d, len, NULL, NULL) == AEAD_REFUSED);
	/* duplicate segment 1 */
	memcpy(d, c, hl + 2 * seg);
	memcpy(d + hl + 2 * seg, c + hl + seg, len - hl - seg);
	CHECK(open_buf(many.key, d, len + seg, NULL, NULL) == AEAD_REFUSED);
	/* drop segment 1 */
	memcpy(d, c, hl + seg);
	memcpy(d + hl + seg, c + hl + 2 * seg, len - hl - 2 * seg);
	CHECK(open_buf(many.key, d, len - seg, NULL, NULL) == AEAD_REFUSED);
	dup2(saved, 2);
	free(d);
	free(c);
	free(pt);
	close(devnull);
	close(saved);
}

static void
test_params(void)
{
	static struct aead_header h;
	unsigned char id[8] = { 0 };

	CHECK(aead_header_init(&h, 1, id, 8, AEAD_SEGSHIFT_MIN - 1, NULL,
	    NULL) == -1);
	CHECK(aead_header_init(&h, 1, id, 8, AEAD_SEGSHIFT_MAX + 1, NULL,
	    NULL) == -1);
	CHECK(aead_header_init(&h, 1, id, 0, 20, NULL, NULL) == -1);
	CHECK(aead_header_init(&h, 1, id, 8, 20, NULL, NULL) == 0);
	CHECK(aead_header_init(&h, 2, id, AEAD_KEYREF_MAX + 1, 20, NULL,
	    NULL) == -1);
}

/*
 * The largest key reference fits the HKDF info OpenSSL 3.0 accepts, and a
 * reader refuses the reserved KMS key type by name rather than misparse.
 */
static void
test_kms_room(void)
{
	static struct aead_header h, back;
	static unsigned char ref[AEAD_KEYREF_MAX], key[AEAD_KEYLEN];
	struct aead_stats st;
	int in = memfile((const unsigned char *)"x", 1), out = memfile(NULL, 0);

	memset(ref, 'r', sizeof(ref));
	CHECK(aead_header_init(&h, AEAD_KEYTYPE_KMS, ref, sizeof(ref), 20,
	    NULL, NULL) == 0);
	CHECK(aead_encrypt_stream(in, out, &h, key, NULL, &st) == 0);
	CHECK(h.len == AEAD_HEADER_MAX && st.out == h.len + 1 + AEAD_TAGLEN);
	CHECK(lseek(out, 0, SEEK_SET) == 0);
	CHECK(aead_header_read(out, "<kms>", &back) == AEAD_REFUSED);
	close(in);
	close(out);
}

int
main(void)
{
	test_params();
	test_kms_room();
	test_kats();
	test_tamper();
	test_reorder();
	return unit_exit();
}
