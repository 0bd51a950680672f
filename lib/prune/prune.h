/*
 * prune/prune.h - bk-prune's work: list the backups under one prefix,
 * plan by the retention policy per kind, apply the safety rules, and
 * (with apply) remove what the plan removes so that it can be brought
 * back within the grace period; or bring one back (undo).
 */
#ifndef PRUNE_PRUNE_H
#define PRUNE_PRUNE_H

#include <stdint.h>
#include <stdio.h>

#include "prune/retention.h"

struct bk_status;

struct prune_opts {
	struct ret_policy pol;
	const char *url;	/* the prefix, ending in "/" */
	const char *state;	/* bk-verify's state file, or NULL */
	int apply, force, json, tag, break_lock;
	int max_remove;		/* percent of a kind's committed backups */
	int64_t grace;		/* removed backups recoverable (file: trash) */
	int64_t incomplete_grace;	/* before an incomplete one is removed */
	int64_t upload_grace;	/* before an unfinished upload is aborted */
	int64_t lock_stale;	/* a lock older than this may be broken */
	int64_t now;
	const char *undo;	/* a backup's name to bring back, or NULL */
	int retries;		/* of a failed store request */
};

/*
 * Run the prune (or the undo) on o, the plan (text or JSON lines) on
 * out, counts into st.  A bk_result: BK_NEGATIVE for a refusal (said
 * why) or nothing to bring back, BK_RETRY when another prune holds the
 * lock.
 */
int prune_run(const struct prune_opts *o, FILE *out, struct bk_status *st);

/*
 * Print the S3 lifecycle configuration for the policy on out (JSON),
 * for prefix (a key prefix, "" for all).  0, or -1 (reported).
 */
int prune_lifecycle(const struct prune_opts *o, const char *prefix,
    FILE *out);

#endif /* !PRUNE_PRUNE_H */
