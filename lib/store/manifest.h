/*
 * store/manifest.h - the per-backup manifest: one JSON object, written last
 * (the commit), built and read with libbson.
 */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stddef.h>
#include <stdint.h>

struct manifest {
	const char *name;		/* the data object's base name */
	const char *kind;		/* "db", "files", ... or NULL */
	char created[32];		/* ISO 8601 UTC; filled if empty */
	uint64_t size;
	char sha256[65];		/* hex */
	const char *key_id;		/* encryption key id, or NULL */
	const char *compression;	/* "zstd", "gzip", "none", or NULL */
	const char *source;		/* what was backed up, or NULL */
	const char *counts_json;	/* a JSON object of counts, or NULL */
	char kindbuf[32];		/* manifest_parse: kind, "" if none */
};

/*
 * The manifest m as a new JSON string (one line, ending in a newline),
 * with "tool_version" and "format" added.  counts_json, if given, must be
 * a JSON object: its "counts" member if it has one (a tool's --json
 * status line), else the whole object.  NULL on error (reported).
 */
char *manifest_build(struct manifest *m);

/*
 * Read the fields listing needs from manifest JSON text: created, size,
 * sha256 and kind (into m; strings point into nothing, only the fixed
 * arrays created, sha256 and kindbuf are set).  sha256 must be 64 hex
 * digits, created an ISO 8601 time and kind a short word (letters,
 * digits, "-", "_"), so nothing read from a store can carry a control
 * character into a listing.  0, or -1 (reported, naming where).
 */
int manifest_parse(const char *json, size_t len, const char *where,
    struct manifest *m);

/* 1 if kind is a kind a manifest may record: a short word. */
int manifest_kind_valid(const char *kind);

#endif /* !MANIFEST_H */
