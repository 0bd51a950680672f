/*
 * intake.c - what bk-restore reads: with an approved digest, standard
 * input spooled aside and hashed before the restore sees a byte of it;
 * with a keyring, the container opened in this process (a thread pumps
 * it through the stream stages into a pipe that becomes standard input).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approve/approve.h"
#include "io/aead.h"
#include "io/sha256.h"
#include "io/stage.h"
#include "key/kms.h"
#include "key/keysrc.h"

/*
 * The sink into the restore's pipe.  When the restore stops reading (it
 * failed, and said why) the write gets EPIPE: that is no failure of the
 * input, so it is not reported, only remembered.
 */
struct pipe_sink {
	struct bk_stage s;
	int fd;
	int gone;		/* the restore stopped reading */
};

static int
pipe_write(struct bk_stage *s, const void *buf, size_t len)
{
	struct pipe_sink *p = (struct pipe_sink *)s;
	const char *b = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(p->fd, b, len)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {
				p->gone = 1;
				return BK_FAIL;
			}
			warnp("write to the restore");
			return BK_FAIL;
		}
		b += n;
		len -= (size_t)n;
	}
	return BK_OK;
}

static int
pipe_finish(struct bk_stage *s)
{
	(void)s;
	return BK_OK;
}

static void
pipe_free(struct bk_stage *s)
{
	free(s);
}

static const struct bk_stage_ops pipe_ops = {
	pipe_write, pipe_finish, pipe_free
};

struct approve_intake {
	struct bk_keysrc *ks;
	struct bk_stage *chain;	/* the thread's: [sha256 ->] open -> pipe */
	struct bk_stage *sha;	/* the hash in chain, or NULL */
	struct pipe_sink *sink;	/* the end of chain */
	pthread_t th;
	int started;
	int src;		/* what the thread reads */
	int wr;			/* the pipe's writing end */
	int result;
	int have;
	unsigned char digest[BK_SHA256_LEN];
};

/* An unlinked file in $TMPDIR (or /tmp) only this process can reach. */
static int
spool_open(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return fd;
	snprintf(path, sizeof(path), "%s/bk-restore.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1) {
		warnp("spool file in %s", dir);
		return -1;
	}
	unlink(path);
	return fd;
}

/*
 * Standard input to the spool, hashed; refused unless its digest is want.
 * The spool's descriptor into *fd.  A result.
 */
static int
spool_in(const unsigned char *want, unsigned char digest[BK_SHA256_LEN],
    int *fd)
{
	struct bk_stage *sha = NULL;
	char hw[2 * BK_SHA256_LEN + 1], hh[2 * BK_SHA256_LEN + 1];
	uint64_t total = 0;
	int rc;

	if ((*fd = spool_open()) == -1 ||
	    (sha = bk_stage_sha256(bk_stage_fd(*fd, "spool file"))) == NULL)
		return BK_FAIL;
	if ((rc = bk_stage_pump(STDIN_FILENO, "<stdin>", sha, NULL,
	    &total)) == BK_OK)
		rc = bk_stage_finish(sha);
	if (rc == BK_OK && bk_stage_sha256_digest(sha, digest) != 0)
		rc = BK_FAIL;
	bk_stage_free(sha);
	if (rc != BK_OK)
		return rc;
	if (total == 0) {
		warn0("<stdin>: " BK_EMPTY_INPUT);
		return BK_FAIL;
	}
	if (memcmp(digest, want, BK_SHA256_LEN) != 0) {
		bk_hex(hw, want, BK_SHA256_LEN);
		bk_hex(hh, digest, BK_SHA256_LEN);
		warn0("<stdin>: SHA-256 %s, the approved request names %s; "
		    "refused, nothing restored", hh, hw);
		return BK_NEGATIVE;
	}
	if (lseek(*fd, 0, SEEK_SET) != 0) {
		warnp("spool file");
		return BK_FAIL;
	}
	return BK_OK;
}

static void *
pump_thread(void *arg)
{
	struct approve_intake *in = arg;
	int rc;

	rc = bk_stage_pump(in->src, "<stdin>", in->chain, NULL, NULL);
	if (rc == BK_OK)
		rc = bk_stage_finish(in->chain);
	in->result = rc;
	close(in->wr);
	in->wr = -1;
	return NULL;
}

/*
 * The thread: src -> [sha256 ->] [open(ks) ->] a pipe that becomes
 * standard input.
 */
static int
start_thread(struct approve_intake *in, const char *keyring, int open,
    int hash)
{
	int p[2];

	if (open && (in->ks = bk_keysrc_opener(keyring, NULL)) == NULL)
		return BK_FAIL;
	if (pipe2(p, O_CLOEXEC) != 0) {
		warnp("pipe");
		return BK_FAIL;
	}
	in->wr = p[1];
	if (dup2(p[0], STDIN_FILENO) == -1) {
		warnp("pipe");
		close(p[0]);
		return BK_FAIL;
	}
	close(p[0]);
	if ((in->sink = (struct pipe_sink *)bk_stage_new(sizeof(*in->sink),
	    &pipe_ops, NULL, "<the restore>")) == NULL)
		return BK_FAIL;
	in->sink->fd = in->wr;
	in->chain = &in->sink->s;
	if (in->ks != NULL)
		in->chain = bk_aead_open(in->ks, "<stdin>", in->chain);
	if (in->chain != NULL && hash)
		in->chain = in->sha = bk_stage_sha256(in->chain);
	if (in->chain == NULL)
		return BK_FAIL;
	if ((errno = pthread_create(&in->th, NULL, pump_thread, in)) != 0) {
		warnp("thread");
		return BK_FAIL;
	}
	in->started = 1;
	return BK_OK;
}

int
approve_intake_start(const char *keyring, int open,
    const unsigned char *want, int hash, struct approve_intake **out)
{
	struct approve_intake *in;
	int rc;

	*out = NULL;
	if (!open && want == NULL && !hash)
		return BK_OK;
	if ((in = calloc(1, sizeof(*in))) == NULL) {
		warnp("intake");
		return BK_FAIL;
	}
	in->src = in->wr = -1;
	*out = in;
	if (want != NULL) {
		if ((rc = spool_in(want, in->digest, &in->src)) != BK_OK)
			return rc;
		in->have = 1;
		if (!open) {
			if (dup2(in->src, STDIN_FILENO) == -1) {
				warnp("spool file");
				return BK_FAIL;
			}
			return BK_OK;
		}
		hash = 0;
	} else if ((in->src = dup(STDIN_FILENO)) == -1) {
		warnp("<stdin>");
		return BK_FAIL;
	} else if (open)
		hash = 1;
	return start_thread(in, keyring, open, hash);
}

int
approve_intake_end(struct approve_intake *in,
    unsigned char sha256[BK_SHA256_LEN], int *have)
{
	int rc = BK_OK;

	if (have != NULL)
		*have = 0;
	if (in == NULL)
		return BK_OK;
	if (in->started) {
		/* A restore that stopped early: its writer gets EPIPE. */
		close(STDIN_FILENO);
		pthread_join(in->th, NULL);
		rc = in->sink->gone ? BK_OK : in->result;
		if (rc == BK_OK && in->sha != NULL &&
		    bk_stage_sha256_digest(in->sha, in->digest) == 0)
			in->have = 1;
	}
	if (in->have && sha256 != NULL && have != NULL) {
		memcpy(sha256, in->digest, BK_SHA256_LEN);
		*have = 1;
	}
	bk_stage_free(in->chain);
	bk_keysrc_free(in->ks);
	if (in->src != -1)
		close(in->src);
	if (in->wr != -1)
		close(in->wr);
	free(in);
	return rc;
}
