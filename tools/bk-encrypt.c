/*
 * bk-encrypt - seal standard input into the bk encrypted container
 * (AES-256-GCM segments, bk-format(5)) or, with -d, open one; and manage
 * the keyring that holds the keys (--genkey, --rotate, --list,
 * --export-public, --add-recipient).
 */
#include <sys/stat.h>

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
#include "key/kdf.h"
#include "key/keyring.h"
#include "key/keysrc.h"
#include "key/kms.h"
#include "key/x25519.h"

enum verb { ENCRYPT, DECRYPT, GENKEY, ROTATE, LIST, EXPORT, ADDRCPT };

static const char synopsis[] =
    "usage: bk-encrypt [-d] [-k keyring] [--progress] "
    "[--json[=file]] < in > out\n"
    "       bk-encrypt [-d] --kms-key-id ID [--progress] "
    "[--json[=file]] < in > out\n"
    "       bk-encrypt --genkey | --rotate [--type aes|x25519] "
    "[-k keyring]\n"
    "       bk-encrypt --list | --export-public [-k keyring]\n"
    "       bk-encrypt --add-recipient pubring [-k keyring]\n";
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
    "      --type TYPE    the key --genkey or --rotate adds: aes "
    "(default) or x25519\n"
    "                     (a key pair; --genkey adds it to an "
    "existing keyring)\n"
    "      --list         list key ids, dates, types, check "
    "values, which is current\n"
    "      --export-public  write the X25519 public keys alone "
    "to stdout (no secret)\n"
    "      --add-recipient PUBRING  seal to PUBRING's current "
    "key too\n"
    "      --kms-key-id ID seal with a fresh AWS KMS data key "
    "of key ID; with -d,\n"
    "                     the key a KMS container must name "
    "(-d needs no keyring\n"
    "                     for KMS containers)\n";
static const char footer[] =
    "Exit: 0 ok, 1 refused (tampered, truncated, wrong key), "
    "2 usage, 3 failure,\n75 KMS unreachable or throttled "
    "(retry later).  See bk-encrypt(1).\n";

/* The tool's own options; lib/cli adds the common ones. */
static const struct option longopts[] = {
	{ "decrypt", no_argument, NULL, 'd' },
	{ "keyring", required_argument, NULL, 'k' },
	{ "genkey", no_argument, NULL, 'G' },
	{ "rotate", no_argument, NULL, 'R' },
	{ "list", no_argument, NULL, 'L' },
	{ "type", required_argument, NULL, 'T' },
	{ "export-public", no_argument, NULL, 'P' },
	{ "add-recipient", required_argument, NULL, 'A' },
	{ "kms-key-id", required_argument, NULL, 'K' },
	{ NULL, 0, NULL, 0 }
};

struct opts {
	enum verb verb;
	const char *keyring;
	const char *type;	/* --type, NULL if not given */
	const char *pubring;	/* --add-recipient */
	const char *kms;	/* --kms-key-id */
};

/* One of the tool's own options; a second verb is a usage error. */
static int
opt(void *ctx, int ch, const char *arg)
{
	struct opts *o = ctx;
	enum verb v;

	switch (ch) {
	case 'k': o->keyring = arg; return 0;
	case 'T': o->type = arg; return 0;
	case 'K': o->kms = arg; return 0;
	case 'd': v = DECRYPT; break;
	case 'G': v = GENKEY; break;
	case 'R': v = ROTATE; break;
	case 'L': v = LIST; break;
	case 'P': v = EXPORT; break;
	case 'A': v = ADDRCPT; o->pubring = arg; break;
	default: return -1;
	}
	if (o->verb != ENCRYPT && o->verb != v) {
		warn0("-d, --genkey, --rotate, --list, --export-public and "
		    "--add-recipient exclude each other");
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

/* Add a key of type to kr, make it current, save kr and print its id. */
static int
add_key(struct keyring *kr, enum keyring_type type, int noclobber)
{
	const struct keyring_key *k;
	char idhex[2 * KEYRING_IDLEN + 1];

	if ((k = keyring_add_type(kr, time(NULL), type)) == NULL ||
	    keyring_save(kr, noclobber) != 0)
		return -1;
	keyring_idhex(idhex, k->id);
	printf("%s\n", idhex);
	return 0;
}

/*
 * Load the keyring at path under its lock, let change alter it, save it.
 * 0 or -1 (reported).
 */
static int
update(const char *path, int (*change)(struct keyring *, const void *),
    const void *arg)
{
	struct keyring *kr;
	int lockfd, rc = -1;

	if ((lockfd = keyring_lock(path)) == -1)
		return -1;
	if ((kr = keyring_load(path)) != NULL)
		rc = change(kr, arg);
	keyring_free(kr);
	close(lockfd);
	return rc;
}

static int
change_add(struct keyring *kr, const void *type)
{
	return add_key(kr, *(const enum keyring_type *)type, 0);
}

/* --rotate: add a key and make it current, under the keyring's lock. */
static int
rotate(const char *path, enum keyring_type type)
{
	return update(path, change_add, &type);
}

/*
 * --genkey: a new keyring with one key; never replaces a file.  An X25519
 * pair joins an existing keyring instead, as with --rotate.
 */
static int
genkey(const char *path, enum keyring_type type)
{
	struct keyring *kr;
	struct stat st;
	int rc;

	if (type == KEYRING_X25519 && lstat(path, &st) == 0)
		return rotate(path, type);
	if ((kr = keyring_new(path)) == NULL)
		return -1;
	rc = add_key(kr, type, 1);
	keyring_free(kr);
	return rc;
}

/* Add the current X25519 key of the public keyring pubring as recipient. */
static int
change_recipient(struct keyring *kr, const void *pubring)
{
	struct keyring *pub;
	const struct keyring_key *k;
	char idhex[2 * KEYRING_IDLEN + 1];
	int rc = -1;

	if ((pub = keyring_load((const char *)pubring)) == NULL)
		return -1;
	k = keyring_current(pub);
	if (k->type != KEYRING_X25519)
		warn0("%s: the current key is not an X25519 key", (const char *)pubring);
	else if (keyring_add_recipient(kr, k) == 0 &&
	    keyring_save(kr, 0) == 0) {
		keyring_idhex(idhex, k->id);
		printf("%s\n", idhex);
		rc = 0;
	}
	keyring_free(pub);
	return rc;
}

/* What --list shows as a key's type. */
static const char *
type_name(const struct keyring_key *k)
{
	if (k->type == KEYRING_AES)
		return "aes256";
	return k->secret ? "x25519" : "x25519-public";
}

/*
 * --list: ids, dates, types, check values and which key is current or a
 * recipient; never the key bytes.
 */
static int
list(const char *path)
{
	struct keyring *kr;
	const struct keyring_key *k;
	char idhex[2 * KEYRING_IDLEN + 1], cvhex[2 * BK_CHECKLEN + 1];
	unsigned char cv[BK_CHECKLEN];
	size_t i;
	int rc = 0;

	if ((kr = keyring_load(path)) == NULL)
		return -1;
	for (i = 0; i < kr->n && rc == 0; i++) {
		k = &kr->keys[i];
		if ((rc = keyring_check_value(k, cv)) != 0)
			break;
		keyring_idhex(idhex, k->id);
		bk_hex(cvhex, cv, BK_CHECKLEN);
		printf("%s %s %s %s %s\n", idhex, k->created, type_name(k),
		    cvhex, k->current ? "current" : k->recipient ?
		    "recipient" : "old");
	}
	keyring_free(kr);
	return rc;
}

/* --export-public: the X25519 public keys, as a keyring, to stdout. */
static int
export_public(const char *path)
{
	struct keyring *kr;
	size_t len;
	char *text = NULL;
	int rc = -1;

	if ((kr = keyring_load(path)) == NULL)
		return -1;
	if (keyring_current(kr)->type != KEYRING_X25519)
		warn0("%s: the current key is not an X25519 key pair (add one "
		    "with --genkey --type x25519)", path);
	else if ((text = keyring_format(kr, 1, &len)) != NULL)
		rc = fwrite(text, 1, len, stdout) == len ? 0 : -1;
	free(text);
	keyring_free(kr);
	return rc;
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
	const unsigned char *blob;
	struct aead_stats as;
	size_t bloblen;

	if (h == NULL)
		return;
	/* A KMS container's key id is the KMS key's ARN; a keyring key's
	 * its id; a recipient list's the first recipient (the current key). */
	if (h->keytype == AEAD_KEYTYPE_KMS) {
		if (kms_ref_split(h->keyref, h->keyreflen, idhex, &blob,
		    &bloblen) != 0)
			bk_hex(idhex, h->keyref, h->keyreflen);
	} else
		bk_hex(idhex, h->keyref + (h->keytype == AEAD_KEYTYPE_X25519),
		    KEYRING_IDLEN);
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
		if ((rc = bk_keysrc_seal_key(ks, &k)) != 0)
			return rc;
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

/*
 * The key source: the keyring at path, KMS key kms for sealing, or (-d)
 * KMS for key type 2 and the keyring, if any, for the rest.  NULL on
 * error (reported).
 */
static struct bk_keysrc *
keysrc(enum verb v, const char *path, const char *kms)
{
	struct bk_keysrc *ring = NULL;

	if (v == ENCRYPT && kms != NULL)
		return bk_keysrc_kms(kms, NULL);
	if (v != ENCRYPT)
		return bk_keysrc_opener(path, kms);
	if (path != NULL && (ring = bk_keysrc_keyring(path)) == NULL)
		return NULL;
	return ring;
}

/* The stream verbs: load the key source, run, check stdout.  Exit status. */
static int
stream(const struct opts *o, const char *path, struct bk_status *st,
    int progress)
{
	enum verb v = o->verb;
	struct bk_keysrc *ks;
	int ex;

	if (v == ENCRYPT && isatty(STDOUT_FILENO)) {
		warn0("refusing to write ciphertext to a terminal");
		return BK_EXIT_USAGE;
	}
	if ((ks = keysrc(v, path, o->kms)) == NULL)
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
	/* In the order of enum verb. */
	static const char *const ops[] = { "encrypt", "decrypt", "genkey",
	    "rotate", "list", "export-public", "add-recipient" };

	return v < sizeof(ops) / sizeof(ops[0]) ? ops[v] : "keyring";
}

/* The keyring verbs.  An exit status. */
static int
manage(const struct opts *o, const char *path, enum keyring_type type)
{
	int rc;

	switch (o->verb) {
	case GENKEY: rc = genkey(path, type); break;
	case ROTATE: rc = rotate(path, type); break;
	case EXPORT: rc = export_public(path); break;
	case ADDRCPT: rc = update(path, change_recipient, o->pubring); break;
	default: rc = list(path); break;
	}
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
	struct opts o = { ENCRYPT, NULL, NULL, NULL, NULL };
	enum keyring_type type = KEYRING_AES;
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
	if (o.type != NULL && o.verb != GENKEY && o.verb != ROTATE)
		return bk_cli_usage(&cli, "--type goes with --genkey or "
		    "--rotate");
	if (o.type != NULL && strcmp(o.type, "x25519") == 0)
		type = KEYRING_X25519;
	else if (o.type != NULL && strcmp(o.type, "aes") != 0)
		return bk_cli_usage(&cli, "unknown key type %s (want aes or "
		    "x25519)", o.type);
	if (o.kms != NULL && o.verb != ENCRYPT && o.verb != DECRYPT)
		return bk_cli_usage(&cli, "--kms-key-id goes with encryption "
		    "or -d only");
	if (o.kms != NULL && o.verb == ENCRYPT && o.keyring != NULL)
		return bk_cli_usage(&cli, "-k and --kms-key-id exclude each "
		    "other when encrypting");
	/* Decryption and KMS sealing may do without a keyring. */
	if ((path = keyring_path(o.keyring)) == NULL &&
	    o.verb != DECRYPT && o.kms == NULL)
		return bk_cli_usage(&cli, "no keyring: give -k FILE or set "
		    "BK_KEYRING");
	bk_ignore_sigpipe();
	st = bk_cli_status(&cli);
	if (cli.json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	bk_status_op(st, verb_op(o.verb));
	bk_status_object(st, path);
	if (o.verb == ENCRYPT || o.verb == DECRYPT)
		ex = stream(&o, path, st, cli.progress);
	else
		ex = manage(&o, path, type);
	return bk_status_done(st, ex);
}
