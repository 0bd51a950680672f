/*
 * Unit tests for lib/vec.c: a growable array keeps every element, in
 * order, zeroed when pushed, across many doublings; a string set holds
 * each string once, answers membership for strings of any length, grows
 * past its first table, refuses a string beyond its cap without losing
 * the others, and is empty and reusable after strset_free.
 */
#include <stdio.h>
#include <string.h>

#include "bk.h"
#include "vec.h"
#include "unit.h"

struct item {
	size_t i;
	char name[24];
	double pad;
};

static void
test_vec(void)
{
	struct vec a;
	struct item *it;
	size_t i, bad = 0, dirty = 0;

	vec_init(&a, sizeof(struct item));
	CHECK(a.n == 0 && a.v == NULL);
	for (i = 0; i < 100000; i++) {
		if ((it = vec_push(&a)) == NULL)
			break;
		dirty += it->i != 0 || it->name[0] != '\0';
		it->i = i;
		snprintf(it->name, sizeof(it->name), "n%zu", i);
	}
	CHECK(a.n == 100000);
	CHECK(a.cap >= a.n && a.cap < 2 * a.n + 16);
	CHECK(dirty == 0);
	for (i = 0; i < a.n; i++) {
		char want[24];

		it = vec_at(&a, i);
		snprintf(want, sizeof(want), "n%zu", i);
		bad += it->i != i || strcmp(it->name, want) != 0;
	}
	CHECK(bad == 0);
	/* The array itself, for qsort and friends. */
	CHECK(((struct item *)a.v)[99999].i == 99999);
	vec_free(&a);
	CHECK(a.n == 0 && a.v == NULL);
	/* Reusable after vec_free; vec_free(NULL) is a no-op. */
	CHECK((it = vec_push(&a)) != NULL && a.n == 1);
	vec_free(&a);
	vec_free(NULL);
}

static void
test_strset(void)
{
	struct strset s;
	char k[64], longname[5000];
	size_t i, missing = 0, extra = 0, again = 0;

	strset_init(&s, 0);
	CHECK(!strset_has(&s, "a"));	/* before any table exists */
	CHECK(strset_add(&s, "a") == 1);
	CHECK(strset_add(&s, "a") == 0);
	CHECK(strset_has(&s, "a") && !strset_has(&s, "b"));
	CHECK(strset_add(&s, "") == 1 && strset_has(&s, ""));
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(strset_add(&s, longname) == 1);
	longname[4000] = 'y';		/* differs far beyond any prefix */
	CHECK(!strset_has(&s, longname));
	/* Past the first table of 1024 slots, many times. */
	for (i = 0; i < 50000; i++) {
		snprintf(k, sizeof(k), "dir/%zu/file", i);
		again += strset_add(&s, k) != 1;
	}
	CHECK(again == 0);
	CHECK(s.n == 50003);
	for (i = 0; i < 50000; i++) {
		snprintf(k, sizeof(k), "dir/%zu/file", i);
		missing += !strset_has(&s, k);
		snprintf(k, sizeof(k), "dir/%zu/other", i);
		extra += strset_has(&s, k);
	}
	CHECK(missing == 0 && extra == 0);
	strset_free(&s);
	CHECK(s.n == 0 && !strset_has(&s, "a"));
	strset_free(NULL);

	/* A cap: the string beyond it is refused, the others stay. */
	strset_init(&s, 3);
	CHECK(strset_add(&s, "1") == 1 && strset_add(&s, "2") == 1 &&
	    strset_add(&s, "3") == 1);
	CHECK(strset_add(&s, "4") == BK_NEGATIVE);
	CHECK(strset_add(&s, "2") == 0);	/* present: not refused */
	CHECK(strset_has(&s, "1") && strset_has(&s, "3") &&
	    !strset_has(&s, "4"));
	strset_free(&s);
}

static void
test_digest(void)
{
	unsigned char a[STRSET_DIGEST], b[STRSET_DIGEST];
	static const unsigned char zero[STRSET_DIGEST];

	strset_digest("a/b", a);
	strset_digest("a/b", b);
	CHECK(memcmp(a, b, sizeof(a)) == 0);
	strset_digest("a/c", b);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(memcmp(a, zero, sizeof(a)) != 0);
}

int
main(void)
{
	test_vec();
	test_strset();
	test_digest();
	return unit_exit();
}
