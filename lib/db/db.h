/*
 * db.h - bk-dump's and bk-restore's database mode, without a command
 * line: tools/bk-dump.c and tools/bk-restore.c parse the options into
 * these structs and call the run functions once.  Nothing here exits or
 * prints a usage text; results are enum bk_result (bk.h).
 */
#ifndef BK_DB_H
#define BK_DB_H

#include <stddef.h>
#include <stdint.h>

#include "compress.h"

struct bk_status;

#define DB_PATTERNS_MAX 64	/* --db, --ns-include, ... of one kind */
#define DB_JOBS_MAX 16		/* bk-dump -j */

/*
 * Append pattern p to list (n entries, room for DB_PATTERNS_MAX); what
 * names the option for the message.  0, or -1 when full (reported).
 */
int db_pattern_add(const char **list, size_t *n, const char *p,
    const char *what);

/* dump_db.c: MongoDB -> one mongodump --archive stream on stdout. */
struct dump_db_opts {
	const char *uri, *pwfile, *coll, *query, *readpref;
	const char *dbs[DB_PATTERNS_MAX], *incl[DB_PATTERNS_MAX],
	    *excl[DB_PATTERNS_MAX];
	size_t ndbs, nincl, nexcl;
	enum bk_comp comp;
	int level, jobs, users, progress, verbose;
};
/* Defaults: secondaryPreferred, 4 jobs, no compression. */
void dump_db_defaults(struct dump_db_opts *o);
/*
 * Add --db name to o once (a repeated name is kept once): the name is
 * checked.  0, or -1 (reported).
 */
int dump_db_add_db(struct dump_db_opts *o, const char *name);
/*
 * Check the options before anything connects: --collection with one
 * database, the patterns, the --query JSON, the URI's database.
 * BK_OK, BK_NEGATIVE (the options are refused: a usage error,
 * reported) or BK_FAIL (the URI does not parse, reported).
 */
int dump_db_check(const struct dump_db_opts *o);
/*
 * Dump to standard output; the counts go to st (may be NULL).  BK_OK,
 * BK_FAIL or BK_RETRY (no server answered), reported.
 */
int dump_db_run(const struct dump_db_opts *o, struct bk_status *st);

/* restore_db.c: an archive stream on stdin -> MongoDB. */
struct restore_db_opts {
	const char *uri, *pwfile;
	const char *incl[DB_PATTERNS_MAX], *excl[DB_PATTERNS_MAX];
	char *from[DB_PATTERNS_MAX], *to[DB_PATTERNS_MAX];
	size_t nincl, nexcl, nfrom, nto;
	uint64_t batch_docs, batch_bytes;
	int drop, dry, noindex, cont, validate, progress, verbose;
	int break_lock;		/* a protected target's swap lock (swap.h) */
	int merge;		/* insert only documents whose _id is missing */
	/*
	 * Optional (bk-restore's approvals): called for every target
	 * "HOST:PORT/DB" (each host of the URI, each database a selected
	 * namespace goes to after renaming) once the prelude is read and
	 * before anything is written; BK_OK, or a refusal (reported) that
	 * stops the restore.  It sets *protect when the target is a
	 * protected one: then every selected namespace is restored into a
	 * temporary collection, validated, and swapped in only when all
	 * are (bk-restore(1), APPROVALS).
	 */
	int (*target_check)(void *ctx, const char *target, int *protect);
	void *target_ctx;
};
/* Defaults: batches of 1000 documents or 16 MiB. */
void restore_db_defaults(struct restore_db_opts *o);
/*
 * Check the options before any input is read: --ns-from/--ns-to pairs,
 * the patterns, --dry-run with --validate.  0, or -1 (a usage error,
 * reported).
 */
int restore_db_check(const struct restore_db_opts *o);
/*
 * Restore standard input (with --dry-run: check it and print the plan on
 * stdout; with --validate: the comparison table on stdout).  BK_OK,
 * BK_NEGATIVE (the stream is corrupt or refused, or validation found a
 * difference), BK_FAIL or BK_RETRY (no server answered), reported.
 * *incomplete is set when the server refused some documents
 * (--continue-on-error).
 */
int restore_db_run(const struct restore_db_opts *o, struct bk_status *st,
    int *incomplete);

#endif /* !BK_DB_H */
