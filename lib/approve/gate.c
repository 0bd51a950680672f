/*
 * gate.c - bk-restore's approvals: the policy, the request and its
 * signatures checked before any input is read, the input's digest
 * checked before the restore sees it, and what the status line records.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bson/bson.h>

#include "approve/approve.h"

struct approve_gate {
	struct approve_policy *policy;
	struct approve_intake *intake;
	struct approve_result res;
	int approved;		/* the request's approvals are valid */
	int used;		/* a protected target relied on them */
	char target[PATH_MAX];	/* a directory restore's, resolved */
	char *aside;		/* where it is restored, to be swapped in */
};

/* dir as an absolute path without symlinks (its parent's, if new). */
static int
abs_target(const char *dir, char out[PATH_MAX])
{
	char *d1 = NULL, *d2 = NULL, parent[PATH_MAX];
	int rc = -1;

	if (realpath(dir, out) != NULL)
		return 0;
	if ((d1 = strdup(dir)) == NULL || (d2 = strdup(dir)) == NULL)
		goto out;
	if (realpath(dirname(d1), parent) != NULL &&
	    strlen(parent) + strlen(basename(d2)) + 2 <= PATH_MAX) {
		snprintf(out, PATH_MAX, "%s%s%s", parent,
		    strcmp(parent, "/") == 0 ? "" : "/", basename(d2));
		rc = 0;
	}
out:
	if (rc != 0)
		warnp("%s: cannot resolve the target against the restore "
		    "policy", dir);
	free(d1);
	free(d2);
	return rc;
}

/* The policy for a restore that writes. */
static struct approve_policy *
gate_policy(void)
{
	const char *path = getenv("BK_RESTORE_POLICY");

	if (path != NULL && *path != '\0')
		return approve_policy_load(path, 0);
	return approve_policy_load(APPROVE_POLICY_DEFAULT, 1);
}

/*
 * The policy's verdict on a restore that writes: a directory's target
 * now, a database's as its prelude is read (approve_gate_target).
 */
static int
gate_check(struct approve_gate *g, const struct approve_gate_opts *o,
    const char *dir)
{
	const char *target = NULL;
	int rc;

	if (dir != NULL) {
		if (abs_target(dir, g->target) != 0)
			return BK_FAIL;
		target = g->target;
		if (!approve_protected(g->policy, target) &&
		    o->request == NULL)
			return BK_OK;
		g->used = approve_protected(g->policy, target);
	} else if (o->request == NULL)
		return BK_OK;
	rc = approve_check(g->policy, o->request, o->approvals,
	    o->napprovals, target, time(NULL), &g->res);
	if (rc == BK_OK)
		g->approved = 1;
	return rc;
}

/* A new empty sibling of target, ".NAME.bk-restore.XXXXXX"; NULL. */
static char *
aside_dir(const char *target)
{
	char *d1 = NULL, *d2 = NULL, *p = NULL;
	size_t n;

	if ((d1 = strdup(target)) == NULL || (d2 = strdup(target)) == NULL)
		goto out;
	n = strlen(target) + 32;
	if ((p = malloc(n)) == NULL)
		goto out;
	snprintf(p, n, "%s%s.%s.bk-restore.XXXXXX", dirname(d1),
	    strcmp(d1, "/") == 0 ? "" : "/", basename(d2));
	if (mkdtemp(p) == NULL) {
		warnp("mkdtemp %s", p);
		free(p);
		p = NULL;
	}
out:
	if (p == NULL && errno == ENOMEM)
		warnp("%s", target);
	free(d1);
	free(d2);
	return p;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	if (remove(path) != 0 && errno != ENOENT)
		warnp("remove %s", path);
	return 0;
}

/* Remove the tree at path (what was swapped out, or a failed restore). */
static void
remove_tree(const char *path)
{
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0 &&
	    errno != ENOENT)
		warnp("remove %s", path);
}

/* fsync the directory that holds path. */
static void
sync_parent(const char *path)
{
	char *d = strdup(path);
	int fd;

	if (d != NULL && (fd = open(dirname(d), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(d);
}

/* The restore made aside, checked: swap it in.  A result. */
static int
swap_in(struct approve_gate *g, const unsigned char *d, int have)
{
	char hw[2 * BK_SHA256_LEN + 1], hh[2 * BK_SHA256_LEN + 1];

	if (!have || memcmp(d, g->res.req.sha256, BK_SHA256_LEN) != 0) {
		bk_hex(hw, g->res.req.sha256, BK_SHA256_LEN);
		if (have)
			bk_hex(hh, d, BK_SHA256_LEN);
		warn0("<stdin>: SHA-256 %s, the approved request names %s; "
		    "refused, %s left as it was", have ? hh : "unknown", hw,
		    g->target);
		return BK_NEGATIVE;
	}
	if (renameat2(AT_FDCWD, g->aside, AT_FDCWD, g->target,
	    RENAME_EXCHANGE) == 0) {
		sync_parent(g->target);
		remove_tree(g->aside);	/* now the previous contents */
		return BK_OK;
	}
	if (errno == ENOENT && rename(g->aside, g->target) == 0) {
		sync_parent(g->target);
		free(g->aside);
		g->aside = NULL;
		return BK_OK;
	}
	warnp("swap %s into %s; %s left as it was", g->aside, g->target,
	    g->target);
	return BK_FAIL;
}

int
approve_gate_open(const struct approve_gate_opts *o, const char *dir,
    int writes, struct approve_gate **out)
{
	struct approve_gate *g;
	int rc;

	if ((*out = g = calloc(1, sizeof(*g))) == NULL) {
		warnp("approvals");
		return BK_FAIL;
	}
	if (writes) {
		if ((g->policy = gate_policy()) == NULL)
			return BK_FAIL;
		if ((rc = gate_check(g, o, dir)) != BK_OK)
			return rc;
	}
	if (dir != NULL && g->used) {
		if (o->incremental) {
			warn0("%s: --delete applies an incremental stream to a "
			    "directory, but a protected directory is replaced "
			    "whole; restore the chain elsewhere first", dir);
			return BK_NEGATIVE;
		}
		if ((g->aside = aside_dir(g->target)) == NULL)
			return BK_FAIL;
		return approve_intake_start(o->keyring,
		    o->keyring != NULL || o->kms, NULL, 1, &g->intake);
	}
	return approve_intake_start(o->keyring, o->keyring != NULL || o->kms,
	    g->approved ? g->res.req.sha256 : NULL, 0, &g->intake);
}

const char *
approve_gate_dir(const struct approve_gate *g, const char *dir)
{
	return g != NULL && g->aside != NULL ? g->aside : dir;
}

int
approve_gate_active(const struct approve_gate *g)
{
	return g != NULL && g->policy != NULL &&
	    (g->policy->nprotect > 0 || g->approved);
}

int
approve_gate_target(void *gate, const char *target, int *protect)
{
	struct approve_gate *g = gate;

	if (!approve_protected(g->policy, target))
		return BK_OK;
	if (!g->approved) {
		warn0("%s is a protected target: a restore into it needs "
		    "--request and %u approvals (bk-approve(1)); refused",
		    target, g->policy->require);
		return BK_NEGATIVE;
	}
	if (strcmp(g->res.req.target, target) != 0) {
		warn0("the request is for target %s, not %s; refused",
		    g->res.req.target, target);
		return BK_NEGATIVE;
	}
	g->used = 1;
	*protect = 1;
	return BK_OK;
}

/* The approvers as a JSON array in st. */
static void
status_approvers(const struct approve_gate *g, struct bk_status *st)
{
	bson_t *arr;
	char key[24];
	size_t i;

	if ((arr = bson_new()) == NULL)
		return;
	for (i = 0; i < g->res.n; i++) {
		snprintf(key, sizeof(key), "%zu", i);
		BSON_APPEND_UTF8(arr, key, g->res.approvers[i]);
	}
	bk_status_array(st, "approvers", arr);
	bson_destroy(arr);
}

int
approve_gate_close(struct approve_gate *g, int rc, struct bk_status *st)
{
	unsigned char d[BK_SHA256_LEN];
	char hex[2 * BK_SHA256_LEN + 1];
	int have, irc;

	if (g == NULL)
		return rc;
	/* A failure opening the input is the cause of the restore's. */
	if ((irc = approve_intake_end(g->intake, d, &have)) != BK_OK)
		rc = irc;
	if (g->aside != NULL) {
		if (rc == BK_OK)
			rc = swap_in(g, d, have);
		else
			warn0("%s left as it was", g->target);
		if (g->aside != NULL && rc != BK_OK)
			remove_tree(g->aside);
	}
	if (have) {
		bk_hex(hex, d, BK_SHA256_LEN);
		bk_status_str(st, "sha256", hex);
	}
	if (g->approved) {
		status_approvers(g, st);
		bk_status_str(st, "request_nonce", g->res.req.nonce);
		bk_status_str(st, "approved_target", g->res.req.target);
		bk_status_bool(st, "protected", g->used);
	}
	approve_result_clear(&g->res);
	approve_policy_free(g->policy);
	free(g->aside);
	free(g);
	return rc;
}
