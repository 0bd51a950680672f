/*
 * files.h - bk-dump's and bk-restore's directory mode (--files DIR),
 * without a command line: the tools parse the options into these structs
 * and call the run functions once.  Nothing here exits or prints a usage
 * text; results are enum bk_result (bk.h).
 */
#ifndef BK_FILES_H
#define BK_FILES_H

#include <stdint.h>
#include <time.h>

#include "compress.h"

struct bk_status;

#define FILES_EXCLUDES_MAX 256	/* bk-dump --exclude */
#define FILES_XPATTERNS_MAX 64	/* bk-restore --xattrs-include */

/* What both modes count, and report in the --json status line. */
struct files_counts {
	uint64_t files, dirs, syms, hard, other, bytes;
};
/*
 * counts.c: the counts as the status line's keys "files",
 * "directories", "symlinks", "hardlinks", "other", "bytes", and (with
 * doc set) also as a "counts" object, which the manifest records as it
 * is.
 */
void files_counts_status(const struct files_counts *c, struct bk_status *st,
    int doc);

/* dump_files.c: a directory -> a pax tar stream on stdout. */
struct dump_files_opts {
	const char *dir;
	const char *excludes[FILES_EXCLUDES_MAX];
	int nexcludes;
	int xattrs, onefs, since_set, progress, verbose;
	struct timespec since;
	enum bk_comp comp;
	int level;
};
/*
 * --since: "@EPOCH[.FRAC]" or "YYYY-MM-DDTHH:MM:SS[.FRAC]Z" into *ts.
 * 0, or -1 (reported).
 */
int dump_files_parse_since(const char *s, struct timespec *ts);
/*
 * Write o->dir to standard output; counts go to st (may be NULL).  BK_OK
 * or BK_FAIL (reported).  *incomplete is set when some files changed,
 * vanished or could not be read (each reported, and once at the end).
 */
int dump_files_run(const struct dump_files_opts *o, struct bk_status *st,
    int *incomplete);

/* restore_files.c: a tar stream on stdin -> a directory. */
struct restore_files_opts {
	const char *dir;
	const char *shown;	/* dir as the status line names it (NULL: dir) */
	const char *xpatterns[FILES_XPATTERNS_MAX];	/* --xattrs-include */
	int nxpatterns;
	int overwrite, devices, numeric, dryrun, validate, dofsync, delete;
	int xattrs_all, progress, verbose;
};
/*
 * Extract standard input into o->dir (--dry-run: list it on stdout;
 * --validate: compare o->dir with it, differences on stdout).  BK_OK,
 * BK_NEGATIVE (a member refused, a corrupt stream, a difference) or
 * BK_FAIL (reported).  *incomplete is set when some members could not be
 * restored as they are (reported).
 */
int restore_files_run(const struct restore_files_opts *o,
    struct bk_status *st, int *incomplete);

#endif /* !BK_FILES_H */
