/*
 * bk-encrypt - seal standard input into the bk encrypted container
 * (AES-256-GCM segments, bk-format(5)) or, with -d, open one; and manage
 * the keyring that holds the keys (--genkey, --rotate, --list).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bk.h"
#include "cli.h"
#include "io/aead.h"
#include "io/stage.h"
#include "key/keyring.h"
#include "key/keysrc.h"

enum verb { ENCRYPT, DECRYPT, GENKEY, ROTATE, LIST };

static const char synopsis[] =
    "usage: bk-encrypt [-d] [-k keyring] [--progress] "
    "[--json[=file]] < in > out\n"
    "       bk-encrypt --genkey | --rotate | --list [-k keyring]\n";
static const char help[] =
    "Encrypt standard input into the AES-256-GCM container "
    "of bk-format(5),\nor with -d decrypt and authenticate one.\n\n"
    "  -d, --decrypt      decrypt; fails closed on any "
    "change, truncation or wrong key\n"
    "  -k, --keyring FILE the keyring (mode 0600; default: "
    "$BK_KEYRING)\n"
    "      --genkey       create a new keyring with one key "
    "(never replaces one)\n"
    "      --rotate       add a key and make it current; old "
    "keys stay for decryption\n"
    "      --list         list key ids, dates and which is "
    "current (never key bytes)\n";
static const char footer[] =
    "Exit: 0 ok, 1 refused (tampered, truncated, wrong key), "
    "2 usage, 3 failure.\nSee bk-encrypt(1).\n";

/* The tool's own options; lib/cli adds the common ones. */
static const struct option longopts[] = {
	{ "decrypt", no_argument, NULL, 'd' },
	{ "keyring", required_argument, NULL, 'k' },
	{ "genkey", no_argument, NULL, 'G' },
	{ "rotate", no_argument, NULL, 'R' },
	{ "list", no_argument, NULL, 'L' },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	enum verb verb;
	const char *keyring;
};

/* One of the tool's own options; a second verb is a usage error. */
static int
opt(void *ctx, int ch, const char *arg)
{
	struct opts *o = ctx;
	enum verb v;

	switch (ch) {
	case 'k': o->keyring = arg; return 0;
	case 'd': v = DECRYPT; break;
	case 'G': v = GENKEY; break;
	case 'R': v = ROTATE; break;
	case 'L': v = LIST; break;
	default: return -1;
	}
	if (o->verb != ENCRYPT && o->verb != v) {
		warn0("-d, --genkey, --rotate and --list exclude each other");
		return -1;
	}
	o->verb = v;
	return 0;
}

/* The keyring path from -k or BK_KEYRING; NULL if neither. */
static const char *
keyring_path(const char *arg)
{
	const char *env;

	if (arg != NULL)
		return arg;
	if ((env = getenv("BK_KEYRING")) != NULL && *env != '\0')
		return env;
	return NULL;
}

/* Add a key to kr, make it current, save kr and print its id. */
static int
add_key(struct keyring *kr, int noclobber)
{
	const struct keyring_key *k;
	char idhex[2 * KEYRING_IDLEN + 1];

	if ((k = keyring_add(kr, time(NULL))) == NULL ||
	    keyring_save(kr, noclobber) != 0)
		return -1;
	keyring_idhex(idhex, k->id);
	printf("%s\n", idhex);
	return 0;
}

/* --genkey: a new keyring with one key; never replaces a file. */
static int
genkey(const char *path)
{
	struct keyring *kr;
	int rc;

	if ((kr = keyring_new(path)) == NULL)
		return -1;
	rc = add_key(kr, 1);
	keyring_free(kr);
	return rc;
}

/* --rotate: add a key and make it current, under the keyring's lock. */
static int
rotate(const char *path)
{
	struct keyring *kr;
	int lockfd, rc = -1;

	if ((lockfd = keyring_lock(path)) == -1)
		return -1;
	if ((kr = keyring_load(path)) != NULL)
		rc = add_key(kr, 0);
	keyring_free(kr);
	close(lockfd);
	return rc;
}

/* --list: ids, dates and which key is current; never the key bytes. */
static int
list(const char *path)
{
	struct keyring *kr;
	char idhex[2 * KEYRING_IDLEN + 1];
	size_t i;

	if ((kr = keyring_load(path)) == NULL)
		return -1;
	for (i = 0; i < kr->n; i++) {
		keyring_idhex(idhex, kr->keys[i].id);
		printf("%s %s %s\n", idhex, kr->keys[i].created,
		    kr->keys[i].current ? "current" : "old");
	}
	keyring_free(kr);
	return 0;
}

/*
 * Run stdin through the chain at head (ending in stdout) to its end, with
 * a meter labelled label.  A bk_result.
 */
static int
run_chain(struct bk_stage *head, const char *label, int progress)
{
	struct bk_progress *prog;
	int rc;

	prog = bk_progress_new(label, bk_fd_size(STDIN_FILENO), progress);
	if ((rc = bk_stage_pump(STDIN_FILENO, "<stdin>", head, prog,
	    NULL)) == BK_OK)
		rc = bk_stage_finish(head);
	bk_progress_done(prog);
	return rc;
}

/* Record the key id a header names, and the counts once keyed. */
static void
report(const struct bk_stage *s, struct bk_status *st)
{
	const struct aead_header *h = bk_aead_header(s);
	char idhex[2 * AEAD_KEYREF_MAX + 1];
	struct aead_stats as;

	if (h == NULL)
		return;
	bk_hex(idhex, h->keyref, h->keyreflen);
	bk_status_str(st, "key_id", idhex);
	bk_aead_stats(s, &as);
	if (!as.keyed)
		return;
	bk_status_int(st, "bytes_in", (int64_t)as.in);
	bk_status_int(st, "bytes_out", (int64_t)as.out);
}

/*
 * Seal stdin to stdout with the source's key for new streams, or open
 * stdin with the key its header names.  A bk_result.
 */
static int
run_crypt(enum verb v, struct bk_keysrc *ks, struct bk_status *st, int progress)
{
	struct bk_stage *s;
	struct bk_key k;
	int rc;

	if (v == ENCRYPT) {
		if (bk_keysrc_seal_key(ks, &k) != 0)
			return BK_FAIL;
		s = bk_aead_seal(&k, AEAD_SEGSHIFT, NULL, NULL,
		    bk_stage_fd(STDOUT_FILENO, "<stdout>"));
		bk_wipe(&k, sizeof(k));
	} else
		s = bk_aead_open(ks, "<stdin>",
		    bk_stage_fd(STDOUT_FILENO, "<stdout>"));
	if (s == NULL)
		return BK_FAIL;
	rc = run_chain(s, v == ENCRYPT ? "encrypting" : "decrypting",
	    progress);
	report(s, st);
	bk_stage_free(s);
	return rc;
}

/*
 * Let a pipe on fd hold a whole segment: with the default 64 KiB, each
 * 1 MiB segment costs 16 handoffs with the neighbours in the pipeline.
 * Best effort; not a pipe or a lower limit is fine.
 */
static void
grow_pipe(int fd)
{
	(void)fcntl(fd, F_SETPIPE_SZ, 1 << AEAD_SEGSHIFT);
}

/* The stream verbs: load the key source, run, check stdout.  Exit status. */
static int
stream(enum verb v, const char *path, struct bk_status *st, int progress)
{
	struct bk_keysrc *ks;
	int ex;

	if (v == ENCRYPT && isatty(STDOUT_FILENO)) {
		warn0("refusing to write ciphertext to a terminal");
		return BK_EXIT_USAGE;
	}
	if ((ks = bk_keysrc_keyring(path)) == NULL)
		return BK_EXIT_FAIL;
	grow_pipe(STDIN_FILENO);
	grow_pipe(STDOUT_FILENO);
	bk_status_str(st, "mode", v == ENCRYPT ? "encrypt" : "decrypt");
	ex = bk_exit_status(run_crypt(v, ks, st, progress));
	bk_keysrc_free(ks);
	if (bk_close_stdout() != 0 && ex == BK_EXIT_OK)
		ex = BK_EXIT_FAIL;
	return ex;
}

/* The verb's name in the audit line. */
static const char *
verb_op(enum verb v)
{
	static const char *const ops[] = { "encrypt", "decrypt", "genkey",
	    "rotate", "list" };

	return v < sizeof(ops) / sizeof(ops[0]) ? ops[v] : "keyring";
}

/* The keyring verbs.  An exit status. */
static int
manage(enum verb v, const char *path)
{
	int rc;

	rc = v == GENKEY ? genkey(path) : v == ROTATE ? rotate(path) :
	    list(path);
	if (rc == 0 && bk_close_stdout() == 0)
		return BK_EXIT_OK;
	return BK_EXIT_FAIL;
}

int
main(int argc, char *argv[])
{
	/* stdout carries data or key ids, so the status line goes to stderr. */
	struct bk_cli cli = { synopsis, help, BK_CLI_PROGRESS | BK_CLI_JSON |
	    BK_CLI_HELP, STDERR_FILENO, 0, NULL, 0, 0, footer };
	struct opts o = { ENCRYPT, NULL };
	struct bk_status *st;
	const char *path;
	int ex;

	bk_setprogname(argv[0]);
	if ((ex = bk_cli_parse(&cli, argc, argv, "dk:", longopts, opt,
	    &o)) != BK_CLI_GO)
		return ex;
	if (cli.argi != argc)
		return bk_cli_usage(&cli, "unexpected argument: %s (data goes "
		    "through stdin and stdout; keys never on the command line)",
		    argv[cli.argi]);
	if ((path = keyring_path(o.keyring)) == NULL)
		return bk_cli_usage(&cli, "no keyring: give -k FILE or set "
		    "BK_KEYRING");
	bk_ignore_sigpipe();
	st = bk_cli_status(&cli);
	if (cli.json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	bk_status_op(st, verb_op(o.verb));
	bk_status_object(st, path);
	if (o.verb == ENCRYPT || o.verb == DECRYPT)
		ex = stream(o.verb, path, st, cli.progress);
	else
		ex = manage(o.verb, path);
	return bk_status_done(st, ex);
}
