/*
 * gate.c - bk-restore's approvals: the policy, the request and its
 * signatures checked before any input is read, the input's digest
 * checked before the restore sees it, and what the status line records.
 */
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bson/bson.h>

#include "approve/approve.h"

struct approve_gate {
	struct approve_policy *policy;
	struct approve_intake *intake;
	struct approve_result res;
	int approved;		/* the request's approvals are valid */
	int used;		/* a protected target relied on them */
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

/* With no policy (a dry run), a request cannot be checked: refuse it. */
static int
gate_check(struct approve_gate *g, const struct approve_gate_opts *o,
    const char *dir)
{
	char target[PATH_MAX];
	int rc;

	if (dir != NULL) {
		if (abs_target(dir, target) != 0)
			return BK_FAIL;
		if (!approve_protected(g->policy, target) &&
		    o->request == NULL)
			return BK_OK;
		g->used = approve_protected(g->policy, target);
	} else if (o->request == NULL)
		return BK_OK;
	rc = approve_check(g->policy, o->request, o->approvals,
	    o->napprovals, dir != NULL ? target : NULL, time(NULL), &g->res);
	if (rc == BK_OK)
		g->approved = 1;
	return rc;
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
	if (o->request == NULL && o->napprovals > 0) {
		warn0("--approval without --request");
		return BK_NEGATIVE;
	}
	if (writes) {
		if ((g->policy = gate_policy()) == NULL)
			return BK_FAIL;
		if ((rc = gate_check(g, o, dir)) != BK_OK)
			return rc;
	}
	return approve_intake_start(o->keyring,
	    g->approved ? g->res.req.sha256 : NULL, &g->intake);
}

int
approve_gate_active(const struct approve_gate *g)
{
	return g != NULL && g->policy != NULL &&
	    (g->policy->nprotect > 0 || g->approved);
}

int
approve_gate_target(void *gate, const char *target)
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
	free(g);
	return rc;
}
