/* counts.c - the counts of the directory modes in the status line. */
#include <stddef.h>

#include <bson/bson.h>

#include "bk.h"
#include "files.h"

static const struct {
	const char *key;
	size_t off;
} keys[] = {
	{ "files", offsetof(struct files_counts, files) },
	{ "directories", offsetof(struct files_counts, dirs) },
	{ "symlinks", offsetof(struct files_counts, syms) },
	{ "hardlinks", offsetof(struct files_counts, hard) },
	{ "other", offsetof(struct files_counts, other) },
	{ "bytes", offsetof(struct files_counts, bytes) },
};

/* The count keys[i] names. */
static int64_t
count(const struct files_counts *c, size_t i)
{
	return (int64_t)*(const uint64_t *)((const char *)c + keys[i].off);
}

void
files_counts_status(const struct files_counts *c, struct bk_status *st,
    int doc)
{
	bson_t counts;
	size_t i;

	if (doc) {
		bson_init(&counts);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			BSON_APPEND_INT64(&counts, keys[i].key, count(c, i));
		bk_status_doc(st, "counts", &counts);
		bson_destroy(&counts);
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		bk_status_int(st, keys[i].key, count(c, i));
}
