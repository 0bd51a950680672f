/*
 * test-policy.c - the restore policy, allowed_signers and restore
 * requests (lib/approve/policy.c, request.c): what parses, what is
 * refused, what a protect pattern covers.
 */
#include <stdlib.h>
#include <string.h>

#include "approve/approve.h"
#include "bk.h"
#include "unit.h"

#define ED_KEY "AAAAC3NzaC1lZDI1NTE5AAAAIFfpZMR9ayJqUfqZKHHPmdE6C7a9jPJdl2dqqa4oU1ag"

static void
test_policy(void)
{
	struct approve_policy *p;

	p = approve_policy_parse("# c\n\nprotect /srv/uploads\n"
	    "protect db.example:27017/prod*\t\n  require 3\n"
	    "allowed-signers signers\n", "/etc/bk/restore-policy");
	CHECK(p != NULL);
	if (p == NULL)
		return;
	CHECK(p->nprotect == 2 && p->require == 3);
	CHECK(strcmp(p->signers, "/etc/bk/signers") == 0);
	CHECK(strcmp(p->protect[1], "db.example:27017/prod*") == 0);
	CHECK(approve_protected(p, "/srv/uploads"));
	CHECK(approve_protected(p, "/srv/uploads/a/b"));
	CHECK(approve_protected(p, "/srv"));
	CHECK(approve_protected(p, "/"));
	CHECK(!approve_protected(p, "/srv/uploads2"));
	CHECK(!approve_protected(p, "/srv/other"));
	CHECK(approve_protected(p, "db.example:27017/prod"));
	CHECK(approve_protected(p, "db.example:27017/prod_eu"));
	CHECK(!approve_protected(p, "db.example:27017/staging"));
	CHECK(!approve_protected(p, "db.example:27018/prod"));
	approve_policy_free(p);

	p = approve_policy_parse("", "x");
	CHECK(p != NULL && p->nprotect == 0 && p->require == 2 &&
	    !approve_protected(p, "/"));
	approve_policy_free(p);
	CHECK(approve_policy_parse("require 0\n", "x") == NULL);
	CHECK(approve_policy_parse("require 17\n", "x") == NULL);
	CHECK(approve_policy_parse("protect\n", "x") == NULL);
	CHECK(approve_policy_parse("protects /x\n", "x") == NULL);
	CHECK(approve_policy_parse("protect /x\n", "x") == NULL);
	approve_policy_free(NULL);
}

static void
test_signers(void)
{
	struct approve_signers *s;

	s = approve_signers_parse(
	    "# approvers\n"
	    "alice@example.org ssh-ed25519 " ED_KEY " alice\n"
	    "\"bob@x,carol@x\" namespaces=\"file,bk-*\" ssh-ed25519 " ED_KEY
	    "\n"
	    "dave@x namespaces=\"file\" ssh-ed25519 " ED_KEY "\r\n"
	    "*@ca cert-authority ssh-ed25519 " ED_KEY "\n"
	    "erin@x valid-before=\"20300101\" ssh-ed25519 " ED_KEY "\n",
	    "signers");
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(s->n == 3);
	CHECK(strcmp(s->v[0].principals, "alice@example.org") == 0);
	CHECK(s->v[0].any_namespace && s->v[0].keylen == 51);
	CHECK(strcmp(s->v[1].principals, "bob@x,carol@x") == 0);
	CHECK(!s->v[1].any_namespace && s->v[1].bk_namespace);
	CHECK(!s->v[2].any_namespace && !s->v[2].bk_namespace);
	approve_signers_free(s);

	/* The key's own type must be the one the line names. */
	CHECK(approve_signers_parse("a ssh-rsa " ED_KEY "\n", "s") == NULL);
	CHECK(approve_signers_parse("a ssh-ed25519 AAAA!\n", "s") == NULL);
	CHECK(approve_signers_parse("a ssh-ed25519\n", "s") == NULL);
	CHECK(approve_signers_parse("\"a ssh-ed25519 " ED_KEY "\n", "s") ==
	    NULL);
	CHECK(approve_signers_parse("a namespaces=bk ssh-ed25519 " ED_KEY
	    "\n", "s") == NULL);
	approve_signers_free(NULL);
}

static void
test_request(void)
{
	struct approve_request r = { 0 }, q;
	char *text, *bad;
	time_t t;

	CHECK(approve_request_init(&r) == 0);
	strcpy(r.backup, "prod/db/db-1.bk");
	strcpy(r.target, "/srv/my uploads");
	memset(r.sha256, 0xab, sizeof(r.sha256));
	r.expires = r.created + 3600;
	text = approve_request_format(&r);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	CHECK(strncmp(text, "bk-restore-request 1\nbackup prod/db/db-1.bk\n",
	    44) == 0);
	CHECK(approve_request_parse(text, "r", &q) == BK_OK);
	CHECK(strcmp(q.target, r.target) == 0 && q.expires == r.expires &&
	    q.created == r.created && strcmp(q.nonce, r.nonce) == 0 &&
	    memcmp(q.sha256, r.sha256, BK_SHA256_LEN) == 0);
	/* A line twice, a line missing, an unknown line, no final newline. */
	bad = malloc(strlen(text) + 64);
	sprintf(bad, "%sbackup y\n", text);
	CHECK(approve_request_parse(bad, "r", &q) == BK_NEGATIVE);
	sprintf(bad, "%sextra y\n", text);
	CHECK(approve_request_parse(bad, "r", &q) == BK_NEGATIVE);
	strcpy(bad, text);
	bad[strlen(bad) - 1] = '\0';
	CHECK(approve_request_parse(bad, "r", &q) == BK_NEGATIVE);
	CHECK(approve_request_parse(strchr(text, '\n') + 1, "r", &q) ==
	    BK_NEGATIVE);
	free(bad);
	free(text);
	CHECK(approve_parse_time("2026-11-27T15:00:00Z", &t) == 0 &&
	    t == 1795791600);
	CHECK(approve_parse_time("2026-11-27T15:00:00", &t) == -1);
	CHECK(approve_parse_time("2026-11-27 15:00:00Z", &t) == -1);
}

int
main(void)
{
	bk_set_quiet(1);
	test_policy();
	test_signers();
	test_request();
	return unit_exit();
}
