/*
 * check.c - does a restore request, with the signatures given for it,
 * allow a restore into a protected target?
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "approve/approve.h"

void
approve_result_clear(struct approve_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++)
		free(res->approvers[i]);
	res->n = 0;
}

/* The allowed signer whose key is that of s, or NULL. */
static const struct approve_signer *
find_signer(const struct approve_signers *ss, const struct approve_sig *s)
{
	size_t i;

	for (i = 0; i < ss->n; i++)
		if (ss->v[i].keylen == s->keylen &&
		    memcmp(ss->v[i].key, s->key, s->keylen) == 0)
			return &ss->v[i];
	return NULL;
}

char *
approve_read(const char *path, const char *what, size_t *len, int *rc)
{
	char *text;

	if ((text = bk_read_small_file(path, APPROVE_FILE_MAX, len,
	    what)) == NULL)
		/* Binary or oversized: what was handed in is refused, like
		 * any other malformed request or signature. */
		*rc = errno == EILSEQ || errno == EFBIG ? BK_NEGATIVE : BK_FAIL;
	return text;
}

/*
 * One signature file: valid, by an allowed signer, for the request's
 * exact bytes.  *who gets the signer.  A result.
 */
static int
check_sig(const struct approve_signers *ss, const char *path,
    const char *req, size_t reqlen, const struct approve_signer **who)
{
	struct approve_sig s;
	char *text;
	size_t len;
	int rc;

	if ((text = approve_read(path, "approval", &len, &rc)) == NULL)
		return rc;
	rc = approve_sig_parse(text, len, path, &s);
	free(text);
	if (rc != BK_OK)
		return rc;
	if ((*who = find_signer(ss, &s)) == NULL) {
		warn0("%s: signed by a key the allowed signers do not list; "
		    "refused", path);
		rc = BK_NEGATIVE;
	} else if (!(*who)->any_namespace && !(*who)->bk_namespace) {
		warn0("%s: %s may not sign for namespace %s; refused", path,
		    (*who)->principals, APPROVE_NAMESPACE);
		rc = BK_NEGATIVE;
	} else
		rc = approve_sig_verify(&s, req, reqlen, APPROVE_NAMESPACE,
		    path);
	approve_sig_clear(&s);
	return rc;
}

/* The signatures: distinct allowed signers, p->require of them. */
static int
check_sigs(const struct approve_policy *p, const struct approve_signers *ss,
    const char *req, size_t reqlen, const char *const *sigs, size_t nsigs,
    struct approve_result *res)
{
	const struct approve_signer *who[APPROVE_REQUIRE_MAX], *w;
	size_t i, j;
	int rc;

	if (nsigs > APPROVE_REQUIRE_MAX) {
		warn0("more than %d approvals", APPROVE_REQUIRE_MAX);
		return BK_NEGATIVE;
	}
	for (i = 0; i < nsigs; i++) {
		if ((rc = check_sig(ss, sigs[i], req, reqlen, &w)) != BK_OK)
			return rc;
		for (j = 0; j < i; j++)
			if (who[j] == w) {
				warn0("%s and %s: both signed by %s; approvals "
				    "must come from distinct signers; refused",
				    sigs[j], sigs[i], w->principals);
				return BK_NEGATIVE;
			}
		who[i] = w;
		if ((res->approvers[res->n] = strdup(w->principals)) == NULL) {
			warnp("approval");
			return BK_FAIL;
		}
		res->n++;
	}
	if (nsigs < p->require) {
		warn0("%zu approval%s for a protected target; the restore "
		    "policy requires %u; refused", nsigs, nsigs == 1 ? "" :
		    "s", p->require);
		return BK_NEGATIVE;
	}
	return BK_OK;
}

/* The request itself: well formed, unexpired, for this target. */
static int
check_request(const char *req, const char *reqpath, const char *target,
    time_t now, struct approve_request *r)
{
	char when[21];
	int rc;

	if ((rc = approve_request_parse(req, reqpath, r)) != BK_OK)
		return rc;
	if (r->expires <= now) {
		approve_fmt_time(when, r->expires);
		warn0("%s: the request expired at %s; refused", reqpath, when);
		return BK_NEGATIVE;
	}
	if (target != NULL && strcmp(r->target, target) != 0) {
		warn0("%s: the request is for target %s, not %s; refused",
		    reqpath, r->target, target);
		return BK_NEGATIVE;
	}
	return BK_OK;
}

int
approve_check(const struct approve_policy *p, const char *reqpath,
    const char *const *sigs, size_t nsigs, const char *target, time_t now,
    struct approve_result *res)
{
	struct approve_signers *ss = NULL;
	char *req = NULL;
	size_t len;
	int rc = BK_FAIL;

	memset(res, 0, sizeof(*res));
	if (reqpath == NULL) {
		warn0("%s is a protected target: a restore into it needs "
		    "--request and %u approvals (bk-approve(1)); refused",
		    target, p->require);
		return BK_NEGATIVE;
	}
	if ((req = approve_read(reqpath, "request", &len, &rc)) == NULL)
		goto out;
	if ((rc = check_request(req, reqpath, target, now, &res->req)) !=
	    BK_OK)
		goto out;
	rc = BK_FAIL;
	if (p->signers == NULL) {
		warn0("the restore policy names no allowed-signers file");
		goto out;
	}
	if ((ss = approve_signers_load(p->signers)) == NULL)
		goto out;
	rc = check_sigs(p, ss, req, len, sigs, nsigs, res);
out:
	if (rc != BK_OK)
		approve_result_clear(res);
	approve_signers_free(ss);
	free(req);
	return rc;
}
