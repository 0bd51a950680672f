/*
 * verify/vpriv.h - what the parts of bk-verify share: the backups found
 * (one item per name, a copy per prefix), their problems, the checks and
 * the state file.
 */
#ifndef BK_VERIFY_VPRIV_H
#define BK_VERIFY_VPRIV_H

#include <stdint.h>
#include <stdio.h>

#include "verify/verify.h"

#define VERIFY_PROBLEM_MAX 600	/* one problem's text */

/* One store's copy of a backup. */
struct vcopy {
	char *key;		/* the data object's key; NULL: no copy */
	char *url;		/* its URL, as bk-get --list prints it */
	int committed, damaged;
	int have_obj, have_sum;	/* data object, sidecar in the listing */
	uint64_t objsize;	/* the data object's size, as listed */
	uint64_t size;		/* the manifest's */
	char sha256[65];	/* the manifest's */
	char created[32];
	int64_t mtime;		/* of whichever object was listed */
};

enum vresult { VR_OK, VR_BAD, VR_STALE, VR_INCOMPLETE, VR_ERROR };

/* One backup: its copies under each prefix, what was found. */
struct vitem {
	char *rel;		/* its name below its prefix's directory */
	char kind[32];
	char created[32];
	struct vcopy *c;	/* one per store */
	int level;		/* checked at; -1: not past quick */
	int picked;		/* chosen for the data check */
	enum vresult result;
	char **problems;
	size_t nproblems, capproblems;
};

/* Add a problem (printf format) to e; 0, or -1 (reported). */
int vitem_problem(struct vitem *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Check copy c of e in store s at level (quick, full, deep; o->ks for
 * deep).  Problems go to e.  BK_OK (checked, problems or not), or BK_FAIL
 * / BK_RETRY (reported).
 */
int vcheck_copy(struct store *s, struct vitem *e, struct vcopy *c,
    int level, const struct verify_opts *o, int multi);

/*
 * deep: download key (size bytes) from s once, hashing it into sha and
 * opening, decompressing and parsing it as kind in the same pass.  A
 * problem found goes to e.  A bk_result.
 */
int vdeep(struct store *s, struct vitem *e, const struct vcopy *c,
    const char *kind, const struct verify_opts *o, unsigned char sha[32]);

/* The state file: the last verification of each copy. */
struct vstate_line {
	char *url;
	char sha256[65];
	char level[8];
	char at[24];
	char result[4];
	int keep;		/* still listed: written back */
};

struct vstate {
	struct vstate_line *l;
	size_t n, cap;
	size_t *slot;		/* hash of url -> 1 + index; 0: free */
	size_t nslot;		/* a power of two, or 0 */
};

/* Read path into st (a missing file is empty).  A bk_result (reported). */
int vstate_load(const char *path, struct vstate *st);
/* The line of url, or NULL. */
struct vstate_line *vstate_find(struct vstate *st, const char *url);
/* Set (or add) url's line; 0 or -1 (reported). */
int vstate_set(struct vstate *st, const char *url, const char *sha256,
    const char *level, const char *at, const char *result);
/* Write the kept lines to path (a temporary, then renamed).  0 or -1. */
int vstate_save(const char *path, const struct vstate *st);
void vstate_free(struct vstate *st);

/* Print e (a table row and its problems, or a JSON line) on out. */
int vreport_item(FILE *out, const struct vitem *e, int nstores, int json);
/* The table's heading. */
int vreport_head(FILE *out);
/* A result's name. */
const char *vresult_name(enum vresult r);

#endif /* !BK_VERIFY_VPRIV_H */
