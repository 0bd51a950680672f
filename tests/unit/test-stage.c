/*
 * Unit tests for the stream stages (lib/io/) in one process, without the
 * tools: plaintext -> compress -> seal -> sha256 -> memory, and back
 * through sha256 -> open -> decompress, written in awkward pieces; a
 * tampered or truncated container refused (BK_NEGATIVE); compressed
 * streams cut, corrupted or followed by garbage refused; the pump from a
 * file, into the container stages' own buffers; and the
 * container the stages make is the one bk-encrypt -d opens, and the
 * reverse (the format of bk-format(5) unchanged).
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bk.h"
#include "compress.h"
#include "io/aead.h"
#include "io/sha256.h"
#include "io/stage.h"
#include "key/keyring.h"
#include "key/keysrc.h"
#include "unit.h"

#define SEGSHIFT 12		/* 4 KiB segments: many of them */

/* Compressible text with some noise, n bytes. */
static unsigned char *
plaintext(size_t n)
{
	unsigned char *p = malloc(n + 1);
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		p[i] = (x >> 16) % 7 == 0 ? (unsigned char)(x >> 8) :
		    (unsigned char)("the quick brown fox "[i % 20]);
	}
	return p;
}

/*
 * Write len bytes to s in pieces of 1, 2, 3, ... 4099 bytes and around,
 * so that units straddle writes, then finish.  The result.
 */
static int
feed(struct bk_stage *s, const unsigned char *p, size_t len)
{
	size_t off = 0, n, step = 1;
	int rc = BK_OK;

	while (off < len && rc == BK_OK) {
		n = len - off < step ? len - off : step;
		rc = bk_stage_write(s, p + off, n);
		off += n;
		step = step * 3 % 4099 + 1;
	}
	return rc == BK_OK ? bk_stage_finish(s) : rc;
}

/* A copy of what the memory sink mem holds. */
static unsigned char *
mem_copy(const struct bk_stage *mem, size_t *lenp)
{
	const unsigned char *d = bk_stage_mem_data(mem, lenp);
	unsigned char *p = malloc(*lenp + 1);

	memcpy(p, d, *lenp);
	return p;
}

/* A fixed test key as a key source. */
static struct bk_keysrc *
test_keys(unsigned char fill)
{
	struct bk_key k;

	memset(&k, 0, sizeof(k));
	k.type = AEAD_KEYTYPE_KEYRING;
	k.reflen = KEYRING_IDLEN;
	memset(k.ref, 0x11, k.reflen);
	memset(k.key, fill, sizeof(k.key));
	return bk_keysrc_fixed(&k);
}

/*
 * plaintext -> compress(method) -> seal -> sha256 -> memory.  Returns the
 * container; *digest gets the sha256 stage's digest.
 */
static unsigned char *
seal_chain(struct bk_keysrc *ks, enum bk_comp method, const unsigned char *pt,
    size_t n, size_t *lenp, unsigned char digest[BK_SHA256_LEN])
{
	struct bk_stage *mem, *sha, *head;
	unsigned char *c;
	struct bk_key k;

	CHECK(bk_keysrc_seal_key(ks, &k) == 0);
	CHECK((mem = bk_stage_mem()) != NULL);
	CHECK((sha = bk_stage_sha256(mem)) != NULL);
	CHECK((head = bk_stage_compress(method, method == BK_COMP_GZIP ? 6 :
	    BK_ZSTD_DEFAULT, "<test>", bk_aead_seal(&k, SEGSHIFT, NULL, NULL,
	    sha))) != NULL);
	bk_wipe(&k, sizeof(k));
	CHECK(feed(head, pt, n) == BK_OK);
	CHECK(bk_stage_sha256_digest(sha, digest) == 0);
	c = mem_copy(mem, lenp);
	bk_stage_free(head);
	return c;
}

/*
 * memory -> sha256 -> open -> decompress -> memory.  The result; the
 * plaintext into *out, its digest of the container into digest.
 */
static int
open_chain(struct bk_keysrc *ks, const unsigned char *c, size_t len,
    unsigned char **out, size_t *outlen, unsigned char digest[BK_SHA256_LEN])
{
	struct bk_stage *mem, *sha;
	int rc;

	CHECK((mem = bk_stage_mem()) != NULL);
	CHECK((sha = bk_stage_sha256(bk_aead_open(ks, "<test>",
	    bk_stage_decompress("<test>", mem)))) != NULL);
	rc = feed(sha, c, len);
	if (digest != NULL)
		CHECK(bk_stage_sha256_digest(sha, digest) == 0);
	*out = mem_copy(mem, outlen);
	bk_stage_free(sha);
	return rc;
}

/* Both directions for method, and refusals of the damaged container. */
static void
test_roundtrip(enum bk_comp method)
{
	unsigned char d1[BK_SHA256_LEN], d2[BK_SHA256_LEN], *pt, *c, *back;
	struct bk_keysrc *ks = test_keys(0x42), *wrong = test_keys(0x43);
	size_t n = 300 * 1000 + 17, len, backlen;

	pt = plaintext(n);
	c = seal_chain(ks, method, pt, n, &len, d1);
	CHECK(method == BK_COMP_NONE ? len > n : len < n);
	CHECK(open_chain(ks, c, len, &back, &backlen, d2) == BK_OK);
	CHECK(memcmp(d1, d2, sizeof(d1)) == 0);
	CHECK(backlen == n && memcmp(back, pt, n) == 0);
	free(back);
	/* A byte in the third segment changed: refused, and nothing of that
	 * segment or after it released. */
	c[200 + 2 * (1 << SEGSHIFT)] ^= 0x20;
	CHECK(open_chain(ks, c, len, &back, &backlen, NULL) == BK_NEGATIVE);
	c[200 + 2 * (1 << SEGSHIFT)] ^= 0x20;
	CHECK(method == BK_COMP_NONE ? backlen == 2 * ((1 << SEGSHIFT) -
	    AEAD_TAGLEN) : backlen < n);
	free(back);
	/* Cut short inside a segment, and on a segment boundary. */
	CHECK(open_chain(ks, c, len - 1, &back, &backlen, NULL) ==
	    BK_NEGATIVE);
	free(back);
	CHECK(open_chain(ks, c, 93 + 3 * (1 << SEGSHIFT), &back, &backlen,
	    NULL) == BK_NEGATIVE);
	free(back);
	/* The wrong key: refused at the header, nothing released. */
	CHECK(open_chain(wrong, c, len, &back, &backlen, NULL) ==
	    BK_NEGATIVE);
	CHECK(backlen == 0);
	free(back);
	free(c);
	free(pt);
	bk_keysrc_free(ks);
	bk_keysrc_free(wrong);
}

/* len bytes of p through a decompressing stage; the result. */
static int
decompress(const unsigned char *p, size_t len, size_t *outlen)
{
	struct bk_stage *mem, *z;
	int rc;

	CHECK((z = bk_stage_decompress("<z>", mem = bk_stage_mem())) != NULL);
	rc = feed(z, p, len);
	(void)bk_stage_mem_data(mem, outlen);
	bk_stage_free(z);
	return rc;
}

/* p compressed with method into a new buffer. */
static unsigned char *
compress(enum bk_comp method, const unsigned char *p, size_t n, size_t *lenp)
{
	struct bk_stage *mem, *z;
	unsigned char *c;

	CHECK((z = bk_stage_compress(method, method == BK_COMP_GZIP ? 6 :
	    BK_ZSTD_DEFAULT, "<z>", mem = bk_stage_mem())) != NULL);
	CHECK(feed(z, p, n) == BK_OK);
	c = mem_copy(mem, lenp);
	bk_stage_free(z);
	return c;
}

/* Members or frames back to back; cut, corrupt, garbage after. */
static void
test_decompress(enum bk_comp method)
{
	size_t n = 100 * 1000, len, out;
	unsigned char *pt = plaintext(n), *c, *two;

	c = compress(method, pt, n, &len);
	two = malloc(2 * len + 1);
	memcpy(two, c, len);
	memcpy(two + len, c, len);
	CHECK(decompress(two, 2 * len, &out) == BK_OK && out == 2 * n);
	CHECK(decompress(c, len - 1, &out) == BK_FAIL);
	CHECK(decompress(c, 1, &out) == BK_FAIL);	/* a cut magic */
	two[len] = 'x';
	CHECK(decompress(two, len + 1, &out) == BK_FAIL);	/* garbage */
	CHECK(decompress(two, 2 * len, &out) == BK_FAIL);
	c[len / 2] ^= 0xff;
	CHECK(decompress(c, len, &out) == BK_FAIL);
	/* Plain data passes through, however short. */
	CHECK(decompress((const unsigned char *)"abc", 3, &out) == BK_OK &&
	    out == 3);
	CHECK(decompress(pt, n, &out) == BK_OK && out == n);
	free(two);
	free(c);
	free(pt);
}

/* The size and sha256 stages against the one-shot function. */
static void
test_size_sha(void)
{
	unsigned char d1[BK_SHA256_LEN], d2[BK_SHA256_LEN];
	size_t n = 12345;
	unsigned char *p = plaintext(n);
	struct bk_stage *sz, *sha;

	CHECK((sha = bk_stage_sha256(sz = bk_stage_size(NULL))) != NULL);
	CHECK(bk_stage_sha256_digest(sha, d1) == -1);	/* not finished */
	CHECK(feed(sha, p, n) == BK_OK);
	CHECK(bk_stage_bytes(sz) == n && bk_stage_bytes(sha) == n);
	CHECK(bk_stage_sha256_digest(sha, d1) == 0);
	CHECK(bk_sha256(p, n, d2) == 0 && memcmp(d1, d2, sizeof(d1)) == 0);
	bk_stage_free(sha);
	free(p);
}

/* A file holding len bytes of p, open for reading at its start. */
static int
memfd(const unsigned char *p, size_t len)
{
	FILE *f = tmpfile();
	int fd;

	CHECK(f != NULL && fwrite(p, 1, len, f) == len && fflush(f) == 0);
	fd = dup(fileno(f));
	fclose(f);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* fd pumped through s to its end; *total gets the bytes read. */
static int
pump(int fd, struct bk_stage *s, uint64_t *total)
{
	int rc;

	*total = 0;
	if ((rc = bk_stage_pump(fd, "<file>", s, NULL, total)) == BK_OK)
		rc = bk_stage_finish(s);
	close(fd);
	return rc;
}

/*
 * The pump from a file, reading into the container stages' own buffers
 * (segments sealed and opened in place): both ways, and a cut file.
 */
static void
test_pump(void)
{
	struct bk_keysrc *ks = test_keys(0x42);
	size_t n = 5 * (1 << SEGSHIFT) + 99, len, backlen;
	unsigned char *pt = plaintext(n), *c;
	struct bk_stage *mem, *s;
	const unsigned char *back;
	struct bk_key k;
	uint64_t total;

	CHECK(bk_keysrc_seal_key(ks, &k) == 0);
	CHECK((s = bk_aead_seal(&k, SEGSHIFT, NULL, NULL,
	    mem = bk_stage_mem())) != NULL);
	CHECK(pump(memfd(pt, n), s, &total) == BK_OK && total == n);
	c = mem_copy(mem, &len);
	bk_stage_free(s);
	CHECK((s = bk_aead_open(ks, "<file>", mem = bk_stage_mem())) != NULL);
	CHECK(pump(memfd(c, len), s, &total) == BK_OK && total == len);
	back = bk_stage_mem_data(mem, &backlen);
	CHECK(backlen == n && memcmp(back, pt, n) == 0);
	bk_stage_free(s);
	CHECK((s = bk_aead_open(ks, "<file>", NULL)) != NULL);
	CHECK(pump(memfd(c, len - 20), s, &total) == BK_NEGATIVE);
	bk_stage_free(s);
	free(c);
	free(pt);
	bk_keysrc_free(ks);
}

/* Write len bytes of p to path. */
static void
put_file(const char *path, const unsigned char *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	CHECK(f != NULL && fwrite(p, 1, len, f) == len && fclose(f) == 0);
}

/*
 * A container from the stages opens with bk-encrypt -d, and one from
 * bk-encrypt opens through the stages, under a real keyring.
 */
static void
test_bk_encrypt(void)
{
	const char *build = getenv("BK_BUILD");
	char dir[] = "/tmp/test-stage.XXXXXX", cmd[8192], kr[4096];
	unsigned char d[BK_SHA256_LEN], *pt, *c, *back;
	size_t n = 3 * 1000 * 1000 + 5, len, backlen;
	struct keyring *k;
	struct bk_keysrc *ks;
	FILE *f;

	if (build == NULL) {
		fprintf(stderr, "test_bk_encrypt: no BK_BUILD, skipped\n");
		return;
	}
	CHECK(mkdtemp(dir) != NULL);
	snprintf(kr, sizeof(kr), "%s/kr", dir);
	CHECK((k = keyring_new(kr)) != NULL);
	CHECK(keyring_add(k, time(NULL)) != NULL && keyring_save(k, 1) == 0);
	keyring_free(k);
	CHECK((ks = bk_keysrc_keyring(kr)) != NULL);
	pt = plaintext(n);
	c = seal_chain(ks, BK_COMP_NONE, pt, n, &len, d);
	snprintf(cmd, sizeof(cmd), "%s/c", dir);
	put_file(cmd, c, len);
	snprintf(cmd, sizeof(cmd), "%s/p", dir);
	put_file(cmd, pt, n);
	snprintf(cmd, sizeof(cmd), "cd %s && %s/bin/bk-encrypt -d -k kr <c |"
	    " cmp - p && %s/bin/bk-encrypt -k kr <p >c2", dir, build, build);
	CHECK(system(cmd) == 0);
	free(c);
	snprintf(cmd, sizeof(cmd), "%s/c2", dir);
	CHECK((f = fopen(cmd, "rb")) != NULL);
	c = malloc(2 * n);
	len = fread(c, 1, 2 * n, f);
	fclose(f);
	CHECK(open_chain(ks, c, len, &back, &backlen, NULL) == BK_OK);
	CHECK(backlen == n && memcmp(back, pt, n) == 0);
	snprintf(cmd, sizeof(cmd), "rm -r %s", dir);
	CHECK(system(cmd) == 0);
	free(back);
	free(c);
	free(pt);
	bk_keysrc_free(ks);
}

int
main(void)
{
	test_size_sha();
	test_roundtrip(BK_COMP_ZSTD);
	test_roundtrip(BK_COMP_GZIP);
	test_roundtrip(BK_COMP_NONE);
	test_decompress(BK_COMP_ZSTD);
	test_decompress(BK_COMP_GZIP);
	test_pump();
	test_bk_encrypt();
	return unit_exit();
}
