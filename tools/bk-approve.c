/*
 * bk-approve - restore requests for protected targets: --request prints
 * one, --sign has ssh-keygen(1) sign one with an approver's key,
 * --verify checks one and its signatures against the restore policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "approve/approve.h"
#include "bk.h"
#include "cli.h"

static const char synopsis[] =
    "usage: bk-approve --request --backup NAME --sha256 HEX "
    "--target TARGET\n"
    "                  --expires TIME\n"
    "       bk-approve --sign -f KEY REQ\n"
    "       bk-approve --verify REQ SIG...\n";
static const char help[] =
    "Make, sign and check restore requests for protected targets.\n\n"
    "  --request          print a new request on stdout\n"
    "  --backup NAME      the backup to restore (its name in the store)\n"
    "  --sha256 HEX       its SHA-256, as bk-get --list shows it\n"
    "  --target TARGET    /abs/dir or HOST:PORT/DB, as bk-restore names "
    "it\n"
    "  --expires TIME     YYYY-MM-DDTHH:MM:SSZ, or +N[mhd] from now\n"
    "  --sign             sign REQ with ssh-keygen -Y sign -n bk-restore "
    "(REQ.sig)\n"
    "  -f, --key FILE     the approver's SSH private key, for --sign\n"
    "  --verify           check REQ and its signatures against the "
    "restore policy\n";
static const char footer[] =
    "Exit: 0 ok, 1 refused, 2 usage, 3 failure.  See bk-approve(1).\n";

enum { MODE_NONE, MODE_REQUEST, MODE_SIGN, MODE_VERIFY };

static const struct option longopts[] = {
	BK_CLI_FLAG("request", 'R'),
	BK_CLI_FLAG("sign", 'S'),
	BK_CLI_FLAG("verify", 'V'),
	BK_CLI_ARG("backup", 'b'),
	BK_CLI_ARG("sha256", 's'),
	BK_CLI_ARG("target", 't'),
	BK_CLI_ARG("expires", 'e'),
	BK_CLI_ARG("key", 'f'),
	BK_CLI_END
};

struct opts {
	int mode;
	const char *backup, *sha256, *target, *expires, *key;
};

static int
opt(void *ctx, int ch, const char *arg)
{
	struct opts *o = ctx;
	int m = ch == 'R' ? MODE_REQUEST : ch == 'S' ? MODE_SIGN :
	    ch == 'V' ? MODE_VERIFY : MODE_NONE;

	if (m != MODE_NONE) {
		if (o->mode != MODE_NONE && o->mode != m) {
			warn0("--request, --sign and --verify exclude each "
			    "other");
			return -1;
		}
		o->mode = m;
		return 0;
	}
	switch (ch) {
	case 'b': o->backup = arg; return 0;
	case 's': o->sha256 = arg; return 0;
	case 't': o->target = arg; return 0;
	case 'e': o->expires = arg; return 0;
	case 'f': o->key = arg; return 0;
	}
	return -1;
}

/* --expires: an absolute UTC time or +N[mhd] from now.  0 or -1. */
static int
parse_expires(const char *s, time_t now, time_t *t)
{
	static const char units[] = "mhd";
	static const long secs[] = { 60, 3600, 86400 };
	char num[16];
	const char *u;
	size_t n;
	long v;

	if (s[0] != '+')
		return approve_parse_time(s, t) == 0 && *t > now ? 0 : -1;
	n = strlen(s + 1);
	if (n < 2 || n >= sizeof(num) ||
	    (u = strchr(units, s[n])) == NULL || s[n] == '\0')
		return -1;
	memcpy(num, s + 1, n - 1);
	num[n - 1] = '\0';
	if (bk_parse_long(num, 1, 10000, &v) != 0)
		return -1;
	*t = now + v * secs[u - units];
	return 0;
}

/* 1 if target has the form bk-restore compares: /abs/dir or H:P/DB. */
static int
target_ok(const char *t)
{
	const char *slash = strchr(t, '/'), *colon = strchr(t, ':');

	if (t[0] == '/')
		return 1;
	return colon != NULL && slash != NULL && colon < slash &&
	    colon > t && slash[1] != '\0' && strchr(slash + 1, '/') == NULL;
}

static int
do_request(const struct bk_cli *cli, const struct opts *o)
{
	struct approve_request r = { 0 };
	char *text;
	int rc;

	if (o->backup == NULL || o->sha256 == NULL || o->target == NULL ||
	    o->expires == NULL)
		return bk_cli_usage(cli, "--request needs --backup, --sha256, "
		    "--target and --expires");
	if (strlen(o->sha256) != 2 * BK_SHA256_LEN ||
	    bk_unhex(r.sha256, o->sha256, BK_SHA256_LEN) != 0)
		return bk_cli_usage(cli, "--sha256 %s: expected 64 hex "
		    "digits", o->sha256);
	if (!target_ok(o->target))
		return bk_cli_usage(cli, "--target %s: expected /abs/dir or "
		    "HOST:PORT/DB", o->target);
	if (strlen(o->backup) >= sizeof(r.backup) ||
	    strlen(o->target) >= sizeof(r.target) ||
	    strpbrk(o->backup, "\n\r\t") != NULL ||
	    strpbrk(o->target, "\n\r\t") != NULL)
		return bk_cli_usage(cli, "--backup or --target: too long, or "
		    "holds a control character");
	if (approve_request_init(&r) != 0)
		return BK_EXIT_FAIL;
	if (parse_expires(o->expires, r.created, &r.expires) != 0)
		return bk_cli_usage(cli, "--expires %s: expected a future "
		    "YYYY-MM-DDTHH:MM:SSZ or +N[mhd]", o->expires);
	strcpy(r.backup, o->backup);
	strcpy(r.target, o->target);
	if ((text = approve_request_format(&r)) == NULL)
		return BK_EXIT_FAIL;
	rc = fputs(text, stdout) == EOF ? -1 : 0;
	free(text);
	if (rc != 0 || bk_close_stdout() != 0)
		return BK_EXIT_FAIL;
	return BK_EXIT_OK;
}

/* ssh-keygen -Y sign -f KEY -n bk-restore REQ: REQ.sig. */
static int
do_sign(const struct bk_cli *cli, const struct opts *o, int argc,
    char *argv[])
{
	struct approve_request r;
	char *text;
	int rc;

	if (o->key == NULL || argc != 1)
		return bk_cli_usage(cli, "--sign needs -f KEY and one REQ");
	if ((text = approve_read(argv[0], "request", NULL, &rc)) == NULL)
		return bk_exit_status(rc);
	rc = approve_request_parse(text, argv[0], &r);
	free(text);
	if (rc != BK_OK)
		return bk_exit_status(rc);
	fflush(stdout);
	execlp("ssh-keygen", "ssh-keygen", "-q", "-Y", "sign", "-f", o->key,
	    "-n", APPROVE_NAMESPACE, "--", argv[0], (char *)NULL);
	warnp("ssh-keygen");
	return BK_EXIT_FAIL;
}

static int
do_verify(const struct bk_cli *cli, int argc, char *argv[])
{
	struct approve_policy *p;
	struct approve_result res;
	const char *path = getenv("BK_RESTORE_POLICY");
	size_t i;
	int rc;

	if (argc < 1)
		return bk_cli_usage(cli, "--verify needs REQ and its "
		    "signatures");
	if ((p = path != NULL && *path != '\0' ? approve_policy_load(path,
	    0) : approve_policy_load(APPROVE_POLICY_DEFAULT, 0)) == NULL)
		return BK_EXIT_FAIL;
	rc = approve_check(p, argv[0], (const char *const *)argv + 1,
	    (size_t)argc - 1, NULL, time(NULL), &res);
	if (rc == BK_OK) {
		printf("approved: %s for %s by", res.req.backup,
		    res.req.target);
		for (i = 0; i < res.n; i++)
			printf(" %s", res.approvers[i]);
		printf("\n");
		if (bk_close_stdout() != 0)
			rc = BK_FAIL;
	}
	approve_result_clear(&res);
	approve_policy_free(p);
	return bk_exit_status(rc);
}

int
main(int argc, char *argv[])
{
	struct bk_cli cli = { synopsis, help, BK_CLI_HELP, STDERR_FILENO, 0,
	    NULL, 0, 0, footer };
	struct opts o = { 0 };
	int ex;

	bk_setprogname(argv[0]);
	bk_ignore_sigpipe();
	if ((ex = bk_cli_parse(&cli, argc, argv, "f:", longopts, opt,
	    &o)) != BK_CLI_GO)
		return ex;
	switch (o.mode) {
	case MODE_REQUEST:
		if (cli.argi != argc)
			return bk_cli_usage(&cli, "unexpected argument: %s",
			    argv[cli.argi]);
		return do_request(&cli, &o);
	case MODE_SIGN:
		return do_sign(&cli, &o, argc - cli.argi, argv + cli.argi);
	case MODE_VERIFY:
		return do_verify(&cli, argc - cli.argi, argv + cli.argi);
	}
	return bk_cli_usage(&cli, "give --request, --sign or --verify");
}
