/*
 * Unit tests for public-key recipients and check values (lib/key/x25519.c,
 * kdf.c, the keyring as a key source): the vectors of
 * tests/vectors/x25519-kat.txt byte for byte, each container opened by
 * each recipient's keyring, and a flip in every byte of a recipient list
 * refused.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "io/aead.h"
#include "io/stage.h"
#include "key/kdf.h"
#include "key/keysrc.h"
#include "key/x25519.h"
#include "unit.h"

#define MAXF 16
#define KATMAX 4096

#define PTMAX 1000		/* the longest plaintext of the vectors */

/* The vectors' plaintext: byte j is j % 251 (filled by main). */
static unsigned char pt[PTMAX];

/* hex (of exactly 2 * n digits) into out; 0 or -1. */
static int
unhex(unsigned char *out, const char *hex, size_t n)
{
	return strlen(hex) == 2 * n ? bk_unhex(out, hex, n) : -1;
}

/* Seal n pattern bytes under k with the vectors' salt and prefix. */
static unsigned char *
seal(const struct bk_key *k, unsigned segshift, const char *salthex,
    const char *prefixhex, size_t n, size_t *lenp)
{
	unsigned char salt[AEAD_SALTLEN], prefix[AEAD_PREFIXLEN], *out;
	struct bk_stage *s, *mem = bk_stage_mem();
	const unsigned char *data;

	CHECK(n <= PTMAX);
	CHECK(unhex(salt, salthex, sizeof(salt)) == 0);
	CHECK(unhex(prefix, prefixhex, sizeof(prefix)) == 0);
	CHECK((s = bk_aead_seal(k, segshift, salt, prefix, mem)) != NULL);
	CHECK(bk_stage_write(s, pt, n) == BK_OK);
	CHECK(bk_stage_finish(s) == BK_OK);
	data = bk_stage_mem_data(mem, lenp);
	out = malloc(*lenp + 1);
	memcpy(out, data, *lenp);
	bk_stage_free(s);
	return out;
}

/* Whether the sealed bytes are the vector's hex. */
static int
same(const unsigned char *c, size_t len, const char *hex)
{
	char *h = malloc(2 * len + 1);
	int eq;

	bk_hex(h, c, len);
	eq = strcmp(h, hex) == 0;
	free(h);
	return eq;
}

/* Open c with the keyring text; a bk_result, the plaintext checked. */
static int
open_with(const char *keyring, const unsigned char *c, size_t len, size_t n)
{
	struct bk_stage *s, *mem = bk_stage_mem();
	struct bk_keysrc *ks;
	const unsigned char *data;
	size_t outlen;
	FILE *f;
	int rc;

	CHECK((f = fopen("kr.x25519", "w")) != NULL);
	fputs(keyring, f);
	fclose(f);
	CHECK(chmod("kr.x25519", 0600) == 0);
	CHECK((ks = bk_keysrc_keyring("kr.x25519")) != NULL);
	s = bk_aead_open(ks, "<test>", mem);
	if ((rc = bk_stage_write(s, c, len)) == BK_OK)
		rc = bk_stage_finish(s);
	if (rc == BK_OK) {
		data = bk_stage_mem_data(mem, &outlen);
		CHECK(outlen == n && memcmp(data, pt, n) == 0);
	}
	bk_stage_free(s);
	bk_keysrc_free(ks);
	unlink("kr.x25519");
	return rc;
}

/* A keyring holding the pair sk (hex) under id (hex). */
static void
pair_keyring(char *buf, size_t cap, const char *idhex, const char *skhex)
{
	unsigned char sk[X25519_LEN], pk[X25519_LEN];
	char pkhex[2 * X25519_LEN + 1];

	CHECK(unhex(sk, skhex, X25519_LEN) == 0);
	CHECK(x25519_public(sk, pk) == 0);
	bk_hex(pkhex, pk, X25519_LEN);
	snprintf(buf, cap, "bk-keyring 1\nx25519 %s 2026-11-27T00:00:00Z "
	    "current %s %s\n", idhex, pkhex, skhex);
}

/* Split a comma-separated list in place into at most max items. */
static size_t
split(char *s, char **item, size_t max)
{
	size_t n = 0;
	char *save = NULL, *p;

	for (p = strtok_r(s, ",", &save); p != NULL && n < max;
	    p = strtok_r(NULL, ",", &save))
		item[n++] = p;
	return n;
}

/* "check KEY CV" and "x25519-public PRIVATE PUBLIC CV". */
static void
check_keys(char **f, size_t nf)
{
	unsigned char m[32], want[32], cv[BK_CHECKLEN], wantcv[BK_CHECKLEN];

	if (strcmp(f[0], "check") == 0) {
		CHECK(nf == 3 && unhex(m, f[1], 32) == 0);
		CHECK(unhex(wantcv, f[2], BK_CHECKLEN) == 0);
	} else {
		CHECK(nf == 4 && unhex(m, f[1], 32) == 0);
		CHECK(unhex(want, f[2], 32) == 0 && x25519_public(m, m) == 0);
		CHECK(memcmp(m, want, 32) == 0);
		CHECK(unhex(wantcv, f[3], BK_CHECKLEN) == 0);
	}
	CHECK(bk_check_value(m, cv) == 0 && memcmp(cv, wantcv, 6) == 0);
}

/* "keyring-check segshift n key id salt prefix sha hex". */
static void
check_keyring_kat(char **f, size_t nf)
{
	char kr[256];
	struct bk_key k;
	unsigned char *c;
	size_t len;

	CHECK(nf == 9);
	memset(&k, 0, sizeof(k));
	k.type = AEAD_KEYTYPE_KEYRING;
	k.reflen = 8 + BK_CHECKLEN;
	CHECK(unhex(k.key, f[3], 32) == 0 && unhex(k.ref, f[4], 8) == 0);
	CHECK(bk_check_value(k.key, k.ref + 8) == 0);
	c = seal(&k, (unsigned)atoi(f[1]), f[5], f[6], (size_t)atol(f[2]),
	    &len);
	CHECK(same(c, len, f[8]));
	snprintf(kr, sizeof(kr), "bk-keyring 1\nkey %s 2026-11-27T00:00:00Z "
	    "current %s\n", f[4], f[3]);
	CHECK(open_with(kr, c, len, (size_t)atol(f[2])) == BK_OK);
	free(c);
}

/* Flip each byte of the recipient list: every flip is refused. */
static void
flip_each(unsigned char *c, size_t len, size_t reflen, const char *kr,
    size_t n)
{
	size_t i, refused = 0;

	for (i = 14; i < 14 + reflen; i++) {
		c[i] ^= 0x01;
		refused += open_with(kr, c, len, n) != BK_OK;
		c[i] ^= 0x01;
	}
	CHECK(refused == reflen);
}

/* "NAME segshift n dk salt prefix ids sks esks sha hex". */
static void
check_x25519_kat(char **f, size_t nf)
{
	char *ids[X25519_MAXRCPT], *sks[X25519_MAXRCPT], *esks[X25519_MAXRCPT];
	unsigned char esk[X25519_MAXRCPT * X25519_LEN], sk[X25519_LEN];
	struct x25519_rcpt r[X25519_MAXRCPT];
	char kr[512];
	struct bk_key k;
	unsigned char *c;
	size_t nr, i, len, n = (size_t)atol(f[2]);

	CHECK(nf == 11);
	nr = split(f[6], ids, X25519_MAXRCPT);
	CHECK(split(f[7], sks, X25519_MAXRCPT) == nr);
	CHECK(split(f[8], esks, X25519_MAXRCPT) == nr);
	for (i = 0; i < nr; i++) {
		CHECK(unhex(r[i].id, ids[i], X25519_IDLEN) == 0);
		CHECK(unhex(sk, sks[i], X25519_LEN) == 0);
		CHECK(x25519_public(sk, r[i].pub) == 0);
		CHECK(unhex(esk + i * X25519_LEN, esks[i], X25519_LEN) == 0);
	}
	memset(&k, 0, sizeof(k));
	k.type = AEAD_KEYTYPE_X25519;
	CHECK(unhex(k.key, f[3], BK_KEY_LEN) == 0);
	CHECK(x25519_seal_ref(r, nr, k.key, esk, k.ref, &k.reflen) == 0);
	c = seal(&k, (unsigned)atoi(f[1]), f[4], f[5], n, &len);
	CHECK(same(c, len, f[10]));
	for (i = 0; i < nr; i++) {
		pair_keyring(kr, sizeof(kr), ids[i], sks[i]);
		CHECK(open_with(kr, c, len, n) == BK_OK);
	}
	flip_each(c, len, k.reflen, kr, n);
	free(c);
}

static void
test_vectors(void)
{
	char path[4096], line[KATMAX * 2 + 1024], *f[MAXF], *save, *p;
	const char *top = getenv("BK_TOP");
	size_t nf, lines = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/tests/vectors/x25519-kat.txt",
	    top != NULL ? top : ".");
	CHECK((fp = fopen(path, "r")) != NULL);
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		save = NULL;
		for (nf = 0, p = strtok_r(line, " \n", &save); p != NULL &&
		    nf < MAXF; p = strtok_r(NULL, " \n", &save))
			f[nf++] = p;
		lines++;
		if (strcmp(f[0], "check") == 0 ||
		    strcmp(f[0], "x25519-public") == 0)
			check_keys(f, nf);
		else if (strcmp(f[0], "keyring-check") == 0)
			check_keyring_kat(f, nf);
		else
			check_x25519_kat(f, nf);
	}
	fclose(fp);
	CHECK(lines == 7);
}

/* Too many or no recipients are refused; a malformed list counts none. */
static void
test_limits(void)
{
	struct x25519_rcpt r[X25519_MAXRCPT + 1];
	unsigned char dk[BK_KEY_LEN] = { 1 }, ref[BK_KEY_REFMAX];
	size_t reflen, i;

	memset(r, 0, sizeof(r));
	for (i = 0; i <= X25519_MAXRCPT; i++) {
		r[i].id[0] = (unsigned char)i;
		r[i].pub[0] = 9;	/* the base point: a valid key */
	}
	CHECK(x25519_seal_ref(r, 0, dk, NULL, ref, &reflen) == -1);
	CHECK(x25519_seal_ref(r, X25519_MAXRCPT + 1, dk, NULL, ref,
	    &reflen) == -1);
	CHECK(x25519_seal_ref(r, X25519_MAXRCPT, dk, NULL, ref, &reflen) == 0);
	CHECK(reflen == 1 + X25519_MAXRCPT * X25519_STANZALEN);
	CHECK(x25519_ref_count(ref, reflen) == X25519_MAXRCPT);
	CHECK(x25519_ref_count(ref, reflen - 1) == 0);
	ref[0] = 9;
	CHECK(x25519_ref_count(ref, reflen) == 0);
	/* A low-order public key (all zero) gives no shared secret. */
	memset(r[0].pub, 0, X25519_LEN);
	CHECK(x25519_seal_ref(r, 1, dk, NULL, ref, &reflen) == -1);
}

int
main(void)
{
	size_t j;

	bk_setprogname("test-aead-x25519");
	for (j = 0; j < PTMAX; j++)
		pt[j] = (unsigned char)(j % 251);
	test_vectors();
	test_limits();
	return unit_exit();
}
