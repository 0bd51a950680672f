/*
 * bk-encrypt - seal standard input into the bk encrypted container
 * (AES-256-GCM segments, bk-format(5)) or, with -d, open one; and manage
 * the keyring that holds the keys (--genkey, --rotate, --list).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aead.h"
#include "bk.h"
#include "keyring.h"

enum verb { ENCRYPT, DECRYPT, GENKEY, ROTATE, LIST };

/* The synopsis: on stdout and exit 0 for --help, else stderr and exit 2. */
static _Noreturn void
usage(int help)
{
	fprintf(help ? stdout : stderr,
	    "usage: bk-encrypt [-d] [-k keyring] [--progress] "
	    "[--json[=file]] < in > out\n"
	    "       bk-encrypt --genkey | --rotate | --list [-k keyring]\n");
	if (help)
		fputs("\nEncrypt standard input into the AES-256-GCM container "
		    "of bk-format(5),\nor with -d decrypt and authenticate "
		    "one.\n\n"
		    "  -d, --decrypt      decrypt; fails closed on any "
		    "change, truncation or wrong key\n"
		    "  -k, --keyring FILE the keyring (mode 0600; default: "
		    "$BK_KEYRING)\n"
		    "      --genkey       create a new keyring with one key "
		    "(never replaces one)\n"
		    "      --rotate       add a key and make it current; old "
		    "keys stay for decryption\n"
		    "      --list         list key ids, dates and which is "
		    "current (never key bytes)\n"
		    "      --progress     show bytes, rate and ETA on stderr "
		    "(--no-progress: off)\n"
		    "      --json[=FILE]  a JSON status line at the end "
		    "(default: stderr)\n"
		    "  -h, --help         this text;  --version  the version\n"
		    "\nExit: 0 ok, 1 refused (tampered, truncated, wrong key), "
		    "2 usage, 3 failure.\nSee bk-encrypt(1).\n", stdout);
	exit(help ? BK_EXIT_OK : BK_EXIT_USAGE);
}

/* The keyring path from -k or BK_KEYRING; NULL (reported) if neither. */
static const char *
keyring_path(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("BK_KEYRING")) != NULL && *env != '\0')
		return env;
	warn0("no keyring: give -k FILE or set BK_KEYRING");
	return NULL;
}

/* --genkey: a new keyring with one key; never replaces a file. */
static int
genkey(const char *path)
{
	const struct keyring_key *k;
	struct keyring *kr;
	char idhex[2 * KEYRING_IDLEN + 1];
	int rc = -1;

	if ((kr = keyring_new(path)) == NULL)
		return -1;
	if ((k = keyring_add(kr, time(NULL))) == NULL ||
	    keyring_save(kr, 1) != 0)
		goto done;
	keyring_idhex(idhex, k->id);
	printf("%s\n", idhex);
	rc = 0;
done:
	keyring_free(kr);
	return rc;
}

/* --rotate: add a key and make it current, under the keyring's lock. */
static int
rotate(const char *path)
{
	const struct keyring_key *k;
	struct keyring *kr = NULL;
	char idhex[2 * KEYRING_IDLEN + 1];
	int lockfd, rc = -1;

	if ((lockfd = keyring_lock(path)) == -1)
		return -1;
	if ((kr = keyring_load(path)) == NULL ||
	    (k = keyring_add(kr, time(NULL))) == NULL ||
	    keyring_save(kr, 0) != 0)
		goto done;
	keyring_idhex(idhex, k->id);
	printf("%s\n", idhex);
	rc = 0;
done:
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

/* Encrypt stdin to stdout with the current key.  An exit status. */
static int
encrypt(const struct keyring *kr, struct bk_status *st, int progress)
{
	static struct aead_header h;
	const struct keyring_key *k = keyring_current(kr);
	struct bk_progress *prog;
	struct aead_stats as;
	char idhex[2 * KEYRING_IDLEN + 1];
	int rc;

	keyring_idhex(idhex, k->id);
	bk_status_str(st, "key_id", idhex);
	if (aead_header_init(&h, AEAD_KEYTYPE_KEYRING, k->id, KEYRING_IDLEN,
	    AEAD_SEGSHIFT, NULL, NULL) != 0)
		return BK_EXIT_FAIL;
	prog = bk_progress_new("encrypting", bk_fd_size(STDIN_FILENO),
	    progress);
	rc = aead_encrypt_stream(STDIN_FILENO, STDOUT_FILENO, &h, k->key,
	    prog, &as);
	bk_progress_done(prog);
	bk_status_int(st, "bytes_in", (int64_t)as.in);
	bk_status_int(st, "bytes_out", (int64_t)as.out);
	return rc == 0 ? BK_EXIT_OK : BK_EXIT_FAIL;
}

/* Decrypt stdin to stdout with the key its header names.  Exit status. */
static int
decrypt(const struct keyring *kr, struct bk_status *st, int progress)
{
	static struct aead_header h;
	const struct keyring_key *k;
	struct bk_progress *prog;
	struct aead_stats as;
	char idhex[2 * KEYRING_IDLEN + 1];
	int rc;

	if ((rc = aead_header_read(STDIN_FILENO, "<stdin>", &h)) != 0)
		return rc == AEAD_REFUSED ? BK_EXIT_NEGATIVE : BK_EXIT_FAIL;
	keyring_idhex(idhex, h.keyref);
	bk_status_str(st, "key_id", idhex);
	if ((k = keyring_find(kr, h.keyref)) == NULL) {
		warn0("<stdin>: key id %s (bytes 14..21) is not in keyring %s:"
		    " use the keyring that holds it, or the header is "
		    "corrupted", idhex, kr->path);
		/* bk(7): a missing key is for an operator to fix (3). */
		return BK_EXIT_FAIL;
	}
	prog = bk_progress_new("decrypting", bk_fd_size(STDIN_FILENO),
	    progress);
	rc = aead_decrypt_stream(STDIN_FILENO, "<stdin>", STDOUT_FILENO, &h,
	    k->key, prog, &as);
	bk_progress_done(prog);
	bk_status_int(st, "bytes_in", (int64_t)as.in);
	bk_status_int(st, "bytes_out", (int64_t)as.out);
	if (rc == AEAD_REFUSED)
		return BK_EXIT_NEGATIVE;
	return rc == 0 ? BK_EXIT_OK : BK_EXIT_FAIL;
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

/* The stream verbs: load the keyring, run, check stdout.  Exit status. */
static int
stream(enum verb v, const char *path, struct bk_status *st, int progress)
{
	struct keyring *kr;
	int ex;

	if (v == ENCRYPT && isatty(STDOUT_FILENO)) {
		warn0("refusing to write ciphertext to a terminal");
		return BK_EXIT_USAGE;
	}
	if ((kr = keyring_load(path)) == NULL)
		return BK_EXIT_FAIL;
	grow_pipe(STDIN_FILENO);
	grow_pipe(STDOUT_FILENO);
	bk_status_str(st, "mode", v == ENCRYPT ? "encrypt" : "decrypt");
	ex = v == ENCRYPT ? encrypt(kr, st, progress) :
	    decrypt(kr, st, progress);
	keyring_free(kr);
	if (bk_close_stdout() != 0 && ex == BK_EXIT_OK)
		ex = BK_EXIT_FAIL;
	return ex;
}

/* Record a verb, refusing a second one. */
static void
set_verb(enum verb *v, enum verb nv)
{
	if (*v != ENCRYPT && *v != nv) {
		warn0("-d, --genkey, --rotate and --list exclude each other");
		usage(0);
	}
	*v = nv;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "decrypt", no_argument, NULL, 'd' },
		{ "keyring", required_argument, NULL, 'k' },
		{ "genkey", no_argument, NULL, 'G' },
		{ "rotate", no_argument, NULL, 'R' },
		{ "list", no_argument, NULL, 'L' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'Q' },
		{ "json", optional_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *kopt = NULL, *json = NULL, *path;
	struct bk_status *st;
	enum verb v = ENCRYPT;
	int ch, ex = BK_EXIT_FAIL, progress = bk_progress_default();

	bk_setprogname(argv[0]);
	while ((ch = getopt_long(argc, argv, "dk:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': set_verb(&v, DECRYPT); break;
		case 'k': kopt = optarg; break;
		case 'G': set_verb(&v, GENKEY); break;
		case 'R': set_verb(&v, ROTATE); break;
		case 'L': set_verb(&v, LIST); break;
		case 'P': progress = 1; break;
		case 'Q': progress = 0; break;
		case 'J': json = optarg ? optarg : ""; break;
		case 'V': bk_print_version(); return 0;
		case 'h': usage(1);
		default: usage(0);
		}
	}
	if (optind != argc) {
		warn0("unexpected argument: %s (data goes through stdin and "
		    "stdout; keys never on the command line)", argv[optind]);
		usage(0);
	}
	if ((path = keyring_path(kopt)) == NULL)
		usage(0);
	bk_ignore_sigpipe();
	/* stdout carries data or key ids, so the status line goes to stderr. */
	st = bk_status_new(json, STDERR_FILENO);
	if (json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	switch (v) {
	case ENCRYPT:
	case DECRYPT:
		ex = stream(v, path, st, progress);
		break;
	case GENKEY:
	case ROTATE:
	case LIST:
		if ((v == GENKEY ? genkey(path) : v == ROTATE ? rotate(path) :
		    list(path)) == 0 && bk_close_stdout() == 0)
			ex = BK_EXIT_OK;
		break;
	}
	if (bk_status_emit(st, ex) != 0 && ex == BK_EXIT_OK)
		ex = BK_EXIT_FAIL;
	return ex;
}
