/*
 * vec.h - the two data structures the tools share: a growable array of
 * fixed-size elements (struct vec) and a set of strings kept as truncated
 * SHA-256 digests (struct strset).  Both are plain structs, zeroed by
 * their init; a zeroed struct is never used before its init.
 */
#ifndef BK_VEC_H
#define BK_VEC_H

#include <stddef.h>

/*
 * A growable array: v holds n elements of size bytes each, room for cap.
 * Growth doubles, so n pushes cost O(n) copying in all.
 */
struct vec {
	void *v;
	size_t n, cap, size;
};

/* An empty array of elements of size bytes. */
void vec_init(struct vec *a, size_t size);
/*
 * Append a zeroed element and return its address (valid until the next
 * push), or NULL on malloc failure (reported).
 */
void *vec_push(struct vec *a);
/*
 * The growth itself, for an array kept as a plain pointer (*arrayp, n
 * elements of size bytes, room for *cap): make room for one more,
 * doubling.  0, or -1 on malloc failure (reported).
 */
int vec_grow(void *arrayp, size_t *cap, size_t n, size_t size);
/* The address of element i (i < a->n). */
void *vec_at(const struct vec *a, size_t i);
/* Free the storage (not what the elements point to); NULL-safe, reusable. */
void vec_free(struct vec *a);

/*
 * A set of strings stored as the first STRSET_DIGEST bytes of their
 * SHA-256: 16 bytes a string however long, so a stream of long names
 * cannot make it grow with the names' bytes.  A collision (2^-64 for a
 * million strings) makes two strings one.  Open addressing, load <= 3/4.
 */
#define STRSET_DIGEST 16

struct strset {
	unsigned char (*v)[STRSET_DIGEST];
	size_t n, cap, max;
};

/* An empty set holding at most max strings (0: no cap). */
void strset_init(struct strset *s, size_t max);
/* k's digest as the set stores it (never all zeros: that is a free slot). */
void strset_digest(const char *k, unsigned char d[STRSET_DIGEST]);
/*
 * Add k: 1 if added, 0 if it was there, BK_FAIL on malloc failure
 * (reported), BK_NEGATIVE if the set already holds max strings (not
 * reported: the caller knows what the strings are).
 */
int strset_add(struct strset *s, const char *k);
/* 1 if k is in the set. */
int strset_has(const struct strset *s, const char *k);
/* Free the storage; NULL-safe; the set is empty (and reusable) after. */
void strset_free(struct strset *s);

#endif /* !BK_VEC_H */
