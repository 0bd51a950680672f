/*
 * Unit tests for the container stages (lib/io/aead.c): the known-answer vectors of
 * tests/vectors/aead-kat.txt byte for byte, and every single-bit flip and
 * every truncation of a small multi-segment container refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/aead.h"
#include "io/sha256.h"
#include "io/stage.h"
#include "key/keysrc.h"
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

static unsigned char *
pattern(size_t n)
{
	unsigned char *p = malloc(n + 1);
	size_t j;

	for (j = 0; j < n; j++)
		p[j] = (unsigned char)(j % 251);
	return p;
}

/* The vector's key as a struct bk_key. */
static void
kat_key(const struct kat *k, struct bk_key *key)
{
	memset(key, 0, sizeof(*key));
	key->type = AEAD_KEYTYPE_KEYRING;
	key->reflen = 8;
	memcpy(key->ref, k->id, 8);
	memcpy(key->key, k->key, AEAD_KEYLEN);
}

/* Seal plaintext under the vector's fixed parameters. */
static unsigned char *
seal(const struct kat *k, const unsigned char *pt, size_t *lenp)
{
	struct bk_stage *s, *mem = bk_stage_mem();
	const unsigned char *data;
	struct aead_stats st;
	unsigned char *sealed;
	struct bk_key key;

	kat_key(k, &key);
	CHECK((s = bk_aead_seal(&key, k->segshift, k->salt, k->prefix,
	    mem)) != NULL);
	CHECK(bk_stage_write(s, pt, k->ptlen) == BK_OK);
	CHECK(bk_stage_finish(s) == BK_OK);
	data = bk_stage_mem_data(mem, lenp);
	sealed = malloc(*lenp + 1);
	memcpy(sealed, data, *lenp);
	bk_aead_stats(s, &st);
	CHECK(st.in == k->ptlen && st.out == *lenp);
	bk_stage_free(s);
	return sealed;
}

/*
 * Open a container, written in pieces of 97 bytes; a bk_result, the
 * plaintext into *out (if not NULL).
 */
static int
open_buf(const unsigned char *keybytes, const unsigned char *c, size_t len,
    unsigned char **out, size_t *outlen)
{
	struct bk_stage *s, *mem = bk_stage_mem();
	struct bk_keysrc *ks;
	const unsigned char *data;
	struct bk_key key;
	size_t off, n;
	int rc = BK_OK;

	memset(&key, 0, sizeof(key));
	memcpy(key.key, keybytes, AEAD_KEYLEN);
	ks = bk_keysrc_fixed(&key);
	s = bk_aead_open(ks, "<test>", mem);
	for (off = 0; off < len && rc == BK_OK; off += n) {
		n = len - off < 97 ? len - off : 97;
		rc = bk_stage_write(s, c + off, n);
	}
	if (rc == BK_OK)
		rc = bk_stage_finish(s);
	if (out != NULL) {
		data = bk_stage_mem_data(mem, outlen);
		*out = malloc(*outlen + 1);
		memcpy(*out, data, *outlen);
	}
	bk_stage_free(s);
	bk_keysrc_free(ks);
	return rc;
}

static void
sha256(const unsigned char *p, size_t n, unsigned char out[32])
{
	CHECK(bk_sha256(p, n, out) == 0);
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
			    BK_NEGATIVE;
			c[i] ^= (unsigned char)(1 << bit);
		}
	/* Zero bytes is an earlier stage that failed, not a refusal. */
	CHECK(open_buf(many.key, c, 0, NULL, NULL) == BK_FAIL);
	for (i = 1; i < len; i++) {
		tries++;
		refused += open_buf(many.key, c, i, NULL, NULL) ==
		    BK_NEGATIVE;
	}
	c = realloc(c, len + 1);
	c[len] = 0;
	tries++;
	refused += open_buf(many.key, c, len + 1, NULL, NULL) == BK_NEGATIVE;
	memcpy(wrong, many.key, sizeof(wrong));
	wrong[0] ^= 1;
	tries++;
	refused += open_buf(wrong, c, len, NULL, NULL) == BK_NEGATIVE;
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
	CHECK(open_buf(many.key, d, len, NULL, NULL) == BK_NEGATIVE);
	/* duplicate segment 1 */
	memcpy(d, c, hl + 2 * seg);
	memcpy(d + hl + 2 * seg, c + hl + seg, len - hl - seg);
	CHECK(open_buf(many.key, d, len + seg, NULL, NULL) == BK_NEGATIVE);
	/* drop segment 1 */
	memcpy(d, c, hl + seg);
	memcpy(d + hl + seg, c + hl + 2 * seg, len - hl - 2 * seg);
	CHECK(open_buf(many.key, d, len - seg, NULL, NULL) == BK_NEGATIVE);
	dup2(saved, 2);
	free(d);
	free(c);
	free(pt);
	close(devnull);
	close(saved);
}

/* A sealing stage with the key (type, ref of reflen bytes), or NULL. */
static struct bk_stage *
seal_with(unsigned type, size_t reflen, unsigned segshift,
    struct bk_stage *next)
{
	struct bk_key k;

	memset(&k, 'r', sizeof(k));
	k.type = type;
	k.reflen = reflen;
	return bk_aead_seal(&k, segshift, NULL, NULL, next);
}

static void
test_params(void)
{
	struct bk_stage *s;

	CHECK(seal_with(1, 8, AEAD_SEGSHIFT_MIN - 1, NULL) == NULL);
	CHECK(seal_with(1, 8, AEAD_SEGSHIFT_MAX + 1, NULL) == NULL);
	CHECK(seal_with(1, 0, 20, NULL) == NULL);
	CHECK((s = seal_with(1, 8, 20, NULL)) != NULL);
	bk_stage_free(s);
	CHECK(seal_with(2, AEAD_KEYREF_MAX + 1, 20, NULL) == NULL);
}

/*
 * The largest key reference fits the HKDF info OpenSSL 3.0 accepts, and a
 * KMS container opened with the wrong key is refused.
 */
static void
test_kms_room(void)
{
	static const unsigned char key[AEAD_KEYLEN];
	struct bk_stage *s, *mem = bk_stage_mem();
	const unsigned char *c;
	struct aead_stats st;
	size_t len;

	CHECK((s = seal_with(AEAD_KEYTYPE_KMS, AEAD_KEYREF_MAX, 20,
	    mem)) != NULL);
	if (s == NULL)
		return;
	CHECK(bk_stage_write(s, "x", 1) == BK_OK);
	CHECK(bk_stage_finish(s) == BK_OK);
	bk_aead_stats(s, &st);
	CHECK(bk_aead_header(s)->len == AEAD_HEADER_MAX &&
	    st.out == AEAD_HEADER_MAX + 1 + AEAD_TAGLEN);
	c = bk_stage_mem_data(mem, &len);
	CHECK(open_buf(key, c, len, NULL, NULL) == BK_NEGATIVE);
	bk_stage_free(s);
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
