/*
 * store/catalog.h - what a store holds as backups, on top of the store
 * interface: the commit protocol's names (NAME, NAME.sha256 and, written
 * last, NAME.manifest.json), committing a stored backup, reading one only
 * once committed, and the listing of committed, incomplete and damaged
 * backups under one prefix or merged across several stores.
 *
 * Results are enum bk_result values (bk.h), reported where found.
 */
#ifndef STORE_CATALOG_H
#define STORE_CATALOG_H

#include <stdint.h>
#include <stdio.h>

#include "store/store.h"

#define CATALOG_SUM_SUFFIX ".sha256"
#define CATALOG_MANIFEST_SUFFIX ".manifest.json"

/* One backup found under a prefix. */
struct catalog_backup {
	const char *name;	/* data object key or path */
	const char *created;	/* manifest's time, or the object's */
	uint64_t size;
	const char *sha256;	/* hex, "-" when not committed */
	const char *class;
	int committed;		/* has a manifest */
	int damaged;		/* has a manifest that cannot be read */
	int64_t age;		/* seconds since it was written */
	const char *manifest;	/* the manifest JSON, NULL if none */
	const char *kind;	/* the manifest's kind, "" if none */
};

typedef int catalog_backup_fn(const struct catalog_backup *, void *);

/* Is key a backup's NAME.sha256 or NAME.manifest.json (not a backup)? */
int catalog_is_sidecar(const char *key);

/*
 * The backups under the store's prefix (its key): each data object with
 * a manifest is committed (size, sha256, time from the manifest); one
 * without is incomplete, with its age; one whose manifest cannot be read
 * or parsed is damaged (reported by name, and fn still called, so a
 * listing goes on).  Sidecars and manifests are not backups.  fn is
 * called in name order; objects named ".bk-*" (bk-prune's lock) are
 * skipped.  Then for each unfinished upload (one that was
 * killed), as incomplete with class "MULTIPART" and size 0.  Returns a
 * bk_result, or fn's non-zero value.
 */
int catalog_backups(struct store *s, catalog_backup_fn *fn, void *arg);

/*
 * May the store's object (its key) be read?  Only when its backup was
 * committed: its manifest is read, and *size set to the size the
 * download must then have (-1 when not to be checked: with another
 * version vid than the manifest describes).  The sidecar and the
 * manifest themselves, and anything with uncommitted, are read as they
 * are; an object that is not there at all is left to the download to
 * report.  BK_NEGATIVE: not committed, or its manifest is unreadable.
 */
int catalog_readable(struct store *s, const char *vid, int uncommitted,
    int64_t *size);

/* What a commit records in the manifest (see bk-format(5)). */
struct catalog_commit {
	const char *sumfile;	/* its name, for messages */
	const char *sumtext;	/* sha256sum text naming the object */
	const char *kind, *key_id, *compression, *source;
	const char *counts;	/* a JSON object of counts, or NULL */
};

/*
 * Commit the backup stored at the store's key: the sum text must vouch
 * for it (a line for its base name, and the digest the store knows, if
 * it knows one: else BK_NEGATIVE), then NAME.sha256 and last
 * NAME.manifest.json are written, each unless already there with the
 * same contents (a commit retried).
 */
int catalog_commit(struct store *s, const struct catalog_commit *c);

struct catalog_listopts {
	int all;		/* incomplete backups too */
	const char *kind;	/* only backups of this kind, or NULL */
	int json;		/* JSON lines, not text */
};

/*
 * List the backups under the prefixes of n stores as one listing on out,
 * oldest first: the copies of a backup (the same name below each
 * prefix's directory) are one line, saying which stores hold it and
 * whether the copies agree.  Text from the stores is escaped.  Returns
 * the worst result: BK_RETRY, BK_FAIL, then BK_NEGATIVE (a manifest
 * could not be read, or copies differ; the listing shows the rest).
 */
int catalog_list(struct store **st, int n, const struct catalog_listopts *o,
    FILE *out);

#endif /* !STORE_CATALOG_H */
