/*
 * verify/verify.h - bk-verify: are the backups under one or more prefixes
 * (one per region) whole, readable and fresh?  Each committed backup is
 * checked at a level (each a superset of the one before):
 *
 *   quick  the manifest parses, the sidecar agrees with it, the data
 *          object has the manifest's size; nothing is downloaded;
 *   full   the data object is downloaded and its SHA-256 recomputed;
 *   deep   in the same pass the container is opened (every segment
 *          authenticated) and the archive parsed to its end (mongodump
 *          archive: every namespace's CRC and EOF block, every document;
 *          tar: headers, sizes, the index), each byte read once.
 *
 * Results are enum bk_result values (bk.h): BK_NEGATIVE when a backup is
 * bad or stale (each problem printed, naming the backup), BK_FAIL or
 * BK_RETRY on an operational failure (reported).
 */
#ifndef BK_VERIFY_VERIFY_H
#define BK_VERIFY_VERIFY_H

#include <stdint.h>
#include <stdio.h>

struct bk_keysrc;
struct store;

enum verify_level { VERIFY_QUICK, VERIFY_FULL, VERIFY_DEEP };

#define VERIFY_KINDS_MAX 8

/* --max-age: how old the newest committed backup of a kind may be. */
struct verify_maxage {
	char kind[32];		/* "" for every kind found */
	char text[32];		/* as given, for messages */
	int64_t secs;
};

struct verify_opts {
	enum verify_level level;
	struct bk_keysrc *ks;		/* deep: opens containers; may be NULL */
	const char *keyring;		/* its path, for messages */
	struct verify_maxage maxage[VERIFY_KINDS_MAX];
	int nmaxage;
	int64_t sample;			/* --sample N, or -1 */
	int sample_pct;			/* --sample P%, or -1 */
	const char *state;		/* --state FILE, or NULL */
	int json;			/* JSON lines, not a table */
	int64_t now;			/* the time ages are measured at */
};

/* Counts for the summary. */
struct verify_summary {
	uint64_t backups, ok, bad, stale, incomplete, errors, checked;
};

/*
 * Verify the backups under the prefixes of the n stores st (copies of a
 * backup, the same name below each prefix's directory, must agree) and
 * print one line per backup on out (a table, or JSON lines).  sum gets
 * the counts.  The worst result: BK_RETRY, BK_FAIL, then BK_NEGATIVE.
 */
int verify_run(struct store **st, int n, const struct verify_opts *o,
    FILE *out, struct verify_summary *sum);

/*
 * Parse a --max-age value into o: "24h" (every kind) or
 * "db=1h,files=24h"; a number with s, m, h, d or w.  0, or -1 (reported).
 */
int verify_parse_maxage(const char *arg, struct verify_opts *o);

/* The level named s ("quick", "full", "deep"); -1 if none. */
int verify_parse_level(const char *s);
/* The name of a level. */
const char *verify_level_name(int level);

#endif /* !BK_VERIFY_VERIFY_H */
