/*
 * verify/deep.c - bk-verify --level deep: one download of a backup, in
 * one process, through the stream stages
 *
 *	store get -> SHA-256
 *	          -> [open the container] -> decompress -> pipe -> parser
 *
 * The parsers (the mongodump archive reader, the tar reader) pull their
 * input, and the stages push theirs, so the download runs in a thread of
 * its own and its plaintext reaches the parser through a pipe: each byte
 * is read from the store once.  The parser reads its input to the end
 * even after it found a problem, so the hash is always whole.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "compress.h"
#include "db/archive.h"
#include "files/tar.h"
#include "io/aead.h"
#include "io/sha256.h"
#include "io/stage.h"
#include "key/keyring.h"
#include "key/keysrc.h"
#include "store/store.h"
#include "verify/vpriv.h"

/* What a container begins with (bk-format(5)). */
static const unsigned char container_magic[AEAD_MAGICLEN] = {
	0x89, 'B', 'K', 'E', 'N', 'C', '\r', '\n'
};

/* The index member of an incremental files backup (bk-dump(1)). */
#define FILES_INDEX ".bk-index"

/* A key source in front of the keyring: it notes a key it lacks. */
struct kproxy {
	struct bk_keysrc ks;
	struct bk_keysrc *in;		/* the keyring (if any) behind KMS */
	int ring;			/* was a keyring given? */
	int missing;
	char id[2 * 64 + 1];
};

struct deep {
	struct store *s;
	const struct vcopy *c;
	struct kproxy kp;
	int wfd;
	struct bk_stage *sha, *rest;	/* rest: NULL until sniffed */
	unsigned char head[AEAD_MAGICLEN];
	size_t nhead;
	int encrypted;
	int getrc, restrc;		/* the download, the stages after */
	char err[VERIFY_PROBLEM_MAX];	/* the first of their messages */
};

static int
kp_seal(struct bk_keysrc *ks, struct bk_key *k)
{
	(void)ks;
	(void)k;
	warn0("bk-verify seals nothing");
	return -1;
}

static int
kp_open(struct bk_keysrc *ks, unsigned type, const unsigned char *ref,
    size_t reflen, const char *name, unsigned char key[BK_KEY_LEN])
{
	struct kproxy *p = (struct kproxy *)ks;
	int rc;

	if (type == AEAD_KEYTYPE_KEYRING && !p->ring) {
		p->missing = 1;
		warn0("%s: encrypted, and no keyring given (-k)", name);
		return BK_FAIL;
	}
	rc = bk_keysrc_open_key(p->in, type, ref, reflen, name, key);
	/*
	 * A keyring key the keyring does not hold is the finding "key id X
	 * is not in the keyring"; anything else (a wrong key under the
	 * right id, no private key for the recipients, KMS refusing or
	 * unreachable) keeps the source's own message and result.
	 */
	if (rc == BK_FAIL && type == AEAD_KEYTYPE_KEYRING &&
	    reflen >= KEYRING_IDLEN) {
		p->missing = 1;
		bk_hex(p->id, ref, KEYRING_IDLEN);
	}
	return rc;
}

static void
kp_free(struct bk_keysrc *ks)
{
	(void)ks;
}

static const struct bk_keysrc_ops kproxy_ops = { kp_seal, kp_open,
	kp_free };

/* The stages after the hash, once the first bytes tell what it is. */
static int
build_rest(struct deep *d)
{
	struct bk_stage *t;

	d->encrypted = d->nhead == AEAD_MAGICLEN &&
	    memcmp(d->head, container_magic, AEAD_MAGICLEN) == 0;
	if ((t = bk_stage_fd(d->wfd, "<parser>")) == NULL ||
	    (t = bk_stage_decompress(d->c->url, t)) == NULL)
		return BK_FAIL;
	if (d->encrypted && (t = bk_aead_open(&d->kp.ks, d->c->url, t)) ==
	    NULL)
		return BK_FAIL;
	d->rest = t;
	if (d->nhead > 0)
		return bk_stage_write(t, d->head, d->nhead);
	return BK_OK;
}

/* A failure of the stages after the hash: noted, the hashing goes on. */
static void
rest_failed(struct deep *d, int rc)
{
	if (d->restrc == BK_OK) {
		d->restrc = rc;
		snprintf(d->err, sizeof(d->err), "%s", bk_last_error());
	}
}

static int
rest_write(struct deep *d, const unsigned char *p, size_t len)
{
	size_t take;
	int rc = BK_OK;

	if (d->restrc != BK_OK)
		return 0;
	if (d->rest == NULL) {
		take = sizeof(d->head) - d->nhead;
		take = take < len ? take : len;
		memcpy(d->head + d->nhead, p, take);
		d->nhead += take;
		p += take;
		len -= take;
		if (d->nhead < sizeof(d->head))
			return 0;
		rc = build_rest(d);
	}
	if (rc == BK_OK && len > 0)
		rc = bk_stage_write(d->rest, p, len);
	if (rc != BK_OK)
		rest_failed(d, rc);
	return 0;
}

static int
deep_sink(const void *buf, size_t len, void *arg)
{
	struct deep *d = arg;

	if (bk_stage_write(d->sha, buf, len) != BK_OK)
		return -1;
	return rest_write(d, buf, len);
}

/* The download thread: get, hash, open, decompress, into the pipe. */
static void *
download(void *arg)
{
	struct deep *d = arg;
	uint64_t off = 0;
	int archived = 0, rc;

	rc = store_get(d->s, d->c->key, NULL, deep_sink, d, &off, -1,
	    &archived);
	if (archived) {
		warn0("%s: in an archive storage class: cannot be read until "
		    "restored (bk-get --restore)", d->c->url);
		rc = BK_FAIL;
	}
	if (rc == BK_OK)
		rc = bk_stage_finish(d->sha);
	if (rc != BK_OK)
		snprintf(d->err, sizeof(d->err), "%s", bk_last_error());
	d->getrc = rc;
	if (rc == BK_OK && d->restrc == BK_OK && d->rest == NULL &&
	    (rc = build_rest(d)) != BK_OK)
		rest_failed(d, rc);
	if (rc == BK_OK && d->restrc == BK_OK &&
	    (rc = bk_stage_finish(d->rest)) != BK_OK)
		rest_failed(d, rc);
	close(d->wfd);
	d->wfd = -1;
	return NULL;
}

static ssize_t
pipe_read(void *ctx, void *buf, size_t len)
{
	return bk_read_full(*(int *)ctx, buf, len, "<pipe>");
}

/* A mongodump archive to its end: 0, or -1 (reported). */
static int
parse_db(int fd, const char *name)
{
	struct archive_reader *r;
	struct archive_event ev;
	struct archive_ns *ns;
	size_t n;
	int got;

	if ((r = archive_reader_new(pipe_read, &fd, name)) == NULL)
		return -1;
	if ((got = archive_read_prelude(r)) == ARCHIVE_EMPTY)
		warn0("%s: the archive is empty", name);
	if (got != 0) {
		archive_reader_free(r);
		return -1;
	}
	ns = archive_reader_ns(r, &n);
	while ((got = archive_next(r, &ev)) == 1)
		if (ev.type == ARCHIVE_DOC && strcmp(ns[ev.ns].type,
		    "view") == 0) {
			warn0("%s: namespace %s.%s at byte %llu: a view that "
			    "carries documents", name, ns[ev.ns].db,
			    ns[ev.ns].coll, (unsigned long long)ev.off);
			got = -1;
			break;
		}
	archive_reader_free(r);
	return got == 0 ? 0 : -1;
}

/* The index of an incremental: NUL-ended names.  0 or -1 (reported). */
static int
parse_index(struct tar_reader *r, const char *name)
{
	unsigned char buf[16384];
	size_t len = 0;
	ssize_t n, i;

	while ((n = tar_read(r, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++) {
			len = buf[i] == '\0' ? 0 : len + 1;
			if (len > TAR_PATH_MAX) {
				warn0("%s: %s: a name longer than %d bytes",
				    name, FILES_INDEX, TAR_PATH_MAX);
				return -1;
			}
		}
	if (n == 0 && len > 0)
		warn0("%s: %s does not end with a NUL byte", name,
		    FILES_INDEX);
	return n == 0 && len == 0 ? 0 : -1;
}

/* A tar stream to its end: 0, or -1 (reported). */
static int
parse_files(int fd, const char *name)
{
	struct tar_reader *r;
	struct tar_entry e;
	int got;

	if ((r = tar_reader_new(pipe_read, &fd, name)) == NULL)
		return -1;
	while ((got = tar_next(r, &e)) == 1)
		if (e.type == TAR_REG && strcmp(e.path, FILES_INDEX) == 0 &&
		    parse_index(r, name) != 0) {
			got = -1;
			break;
		}
	tar_reader_free(r);
	return got;
}

/* Read what is left in the pipe (after a problem, or unparsed). */
static void
drain(int fd)
{
	char buf[65536];

	while (bk_read_full(fd, buf, sizeof(buf), "<pipe>") > 0)
		;
}

/* Parse the pipe's stream as kind; the problem's text into err. */
static int
parse(int fd, const char *kind, const char *name, char *err, size_t len)
{
	int rc = 0;

	if (strcmp(kind, "db") == 0)
		rc = parse_db(fd, name);
	else if (strcmp(kind, "files") == 0)
		rc = parse_files(fd, name);
	if (rc != 0)
		snprintf(err, len, "%s", bk_last_error());
	drain(fd);
	return rc;
}

/* What the run came to, as a problem of e; a bk_result. */
static int
judge(struct deep *d, struct vitem *e, int parsed, const char *perr,
    const struct verify_opts *o)
{
	if (d->getrc != BK_OK)
		return vitem_problem(e, "%s", d->err) == 0 ? d->getrc :
		    BK_FAIL;
	if (d->kp.missing && !d->kp.ring) {
		vitem_problem(e, "%s", d->err);
		return BK_FAIL;
	}
	/* The readers' messages name the URL; this one, too. */
	if (d->kp.missing)
		return vitem_problem(e, "%s: key id %s is not in the keyring "
		    "%s", d->c->url, d->kp.id, o->keyring) == 0 ? BK_OK :
		    BK_FAIL;
	if (d->restrc != BK_OK)
		return vitem_problem(e, "%s", d->err) == 0 ? BK_OK : BK_FAIL;
	if (parsed != 0)
		return vitem_problem(e, "%s", perr) == 0 ? BK_OK : BK_FAIL;
	return BK_OK;
}

int
vdeep(struct store *s, struct vitem *e, const struct vcopy *c,
    const char *kind, const struct verify_opts *o, unsigned char sha[32])
{
	struct deep d = { s, c, { { &kproxy_ops }, o->ks, o->keyring != NULL, 0, "" }, -1, NULL,
	    NULL, { 0 }, 0, 0, BK_OK, BK_OK, "" };
	char perr[VERIFY_PROBLEM_MAX] = "";
	pthread_t th;
	int pfd[2], parsed, rc;

	if (pipe(pfd) != 0) {
		warnp("pipe");
		return BK_FAIL;
	}
	d.wfd = pfd[1];
	if ((d.sha = bk_stage_sha256(NULL)) == NULL ||
	    (errno = pthread_create(&th, NULL, download, &d)) != 0) {
		if (d.sha != NULL)
			warnp("pthread_create");
		bk_stage_free(d.sha);
		close(pfd[0]);
		close(pfd[1]);
		return BK_FAIL;
	}
	parsed = parse(pfd[0], kind, c->url, perr, sizeof(perr));
	pthread_join(th, NULL);
	close(pfd[0]);
	rc = judge(&d, e, parsed, perr, o);
	if (rc == BK_OK && bk_stage_sha256_digest(d.sha, sha) != 0)
		rc = BK_FAIL;
	bk_stage_free(d.sha);
	bk_stage_free(d.rest);
	return rc;
}
