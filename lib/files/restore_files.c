/*
 * restore_files.c - bk-restore --files DIR: extract a tar stream (ours,
 * GNU tar's, bsdtar's; plain, gzip or zstd) from standard input into DIR,
 * safely; or compare DIR with it (--validate), or list it (--dry-run).
 *
 * Safety rules: a member name must be relative and free of ".."; every
 * directory on its way is opened beneath DIR without following symlinks
 * (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or openat O_NOFOLLOW one
 * component at a time where openat2 is missing), so neither a symlink in
 * the archive nor one already in DIR can lead a write outside.  A hard
 * link must name a file this run extracted.  Files are written under a
 * temporary name in their directory and renamed into place, so nothing
 * half-written ever carries a final name; existing names are replaced only
 * with --overwrite (renameat2 RENAME_NOREPLACE otherwise).  A member that
 * breaks a rule stops the extraction: the stream is not trusted further.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bk.h"
#include "compress.h"
#include "restorer.h"

/* Record the first failure's result (BK_FAIL or BK_NEGATIVE). */
int
rs_fail(struct restorer *rs, int result)
{
	if (rs->result == BK_OK)
		rs->result = result;
	return -1;
}

/* "<stdin>: member NAME at byte N: MSG; refused": BK_NEGATIVE. */
int
rs_refuse(struct restorer *rs, const char *name, const char *msg)
{
	char pname[TAR_PATH_MAX + 1];

	tar_printable(pname, sizeof(pname), name);
	warn0("<stdin>: member %s at byte %" PRIu64 ": %s; refused", pname,
	    tar_member_offset(rs->r), msg);
	return rs_fail(rs, BK_NEGATIVE);
}

/* A failed system call on a member: reported, BK_FAIL. */
int
rs_osfail(struct restorer *rs, const char *what)
{
	warnp("%s/%s: %s", rs->o->dir, rs->path, what);
	return rs_fail(rs, BK_FAIL);
}

/*
 * Add path k to set s (a struct strset, lib/vec.h); 0, or -1 when out of
 * memory (BK_FAIL) or over the cap (a hostile stream: BK_NEGATIVE),
 * reported and recorded in rs.
 */
int
rs_set_add(struct restorer *rs, struct strset *s, const char *k)
{
	int rc = strset_add(s, k);

	if (rc == BK_NEGATIVE)
		warn0("<stdin>: more than %lu paths; refused (the cap of "
		    "bk-restore(1))", (unsigned long)PATHSET_MAX);
	return rc < 0 ? rs_fail(rs, rc) : 0;
}

/* List one member (--dry-run) on stdout. */
static void
list_one(const struct restorer *rs)
{
	const struct tar_entry *e = &rs->e;

	if (e->type == TAR_SYM)
		printf("%s -> %s\n", rs->path, e->link);
	else if (e->type == TAR_HARD)
		printf("%s link to %s\n", rs->path, e->link);
	else if (rs->path[0] == '\0')
		printf("./\n");
	else
		printf("%s%s\n", rs->path, e->type == TAR_DIR ? "/" : "");
}

static int
one_member(struct restorer *rs)
{
	const char *why;
	char where[TAR_PATH_MAX + 1];

	if (rs_normalize(rs->e.path, rs->path, &why) != 0)
		return rs_refuse(rs, rs->e.path, why);
	if (rs->path[0] == '\0' && rs->e.type != TAR_DIR)
		return rs_refuse(rs, rs->e.path, "empty name");
	if (rs->path[0] == '\0' && !rs->o->dryrun)	/* "./": DIR itself */
		return rs->o->validate ? rs_validate_root(rs) :
		    rs_extract_root(rs);
	if (rs->e.type == TAR_HARD &&
	    rs_normalize(rs->e.link, where, &why) != 0)
		return rs_refuse(rs, rs->e.path,
		    "hard link target outside DIR");
	if (strcmp(rs->path, INDEX_NAME) == 0 && rs->e.type == TAR_REG)
		return (rs->o->delete && !rs->o->dryrun) || rs->o->validate ?
		    rs_load_index(rs) : 0;
	if (rs->o->dryrun) {
		list_one(rs);
		return 0;
	}
	if (rs->o->validate) {
		/* Remember the member, to find what DIR has beyond it. */
		if (rs_set_add(rs, &rs->index, rs->path) != 0)
			return -1;
		return rs_validate_one(rs);
	}
	return rs_extract(rs);
}

static ssize_t
in_z(void *ctx, void *buf, size_t len)
{
	struct restorer *rs = ctx;
	ssize_t n = bk_zreader_read(rs->z, buf, len);

	if (n > 0)
		bk_progress_add(rs->prog, (uint64_t)n);
	return n;
}

/* Read the stream to its end: BK_OK, BK_NEGATIVE or BK_FAIL. */
static int
run(struct restorer *rs)
{
	int rc;

	while ((rc = tar_next(rs->r, &rs->e)) == 1)
		if (one_member(rs) != 0)
			return rs->result;
	if (rc < 0)
		return rs_fail(rs, tar_reader_empty(rs->r) ? BK_FAIL :
		    BK_NEGATIVE), rs->result;
	/* What DIR holds beyond the stream (or its index) is a difference. */
	if (rs->o->validate) {
		rs->path[0] = '\0';
		if (rs_prune_dir(rs, rs->rootfd, 0) != 0)
			return rs->result;
	}
	/* Deletions first: they change the mtimes of their directories. */
	if (rs->o->delete && !rs->o->dryrun && !rs->o->validate) {
		if (!rs->have_index) {
			warn0("<stdin>: --delete: the stream has no %s "
			    "(not written by bk-dump --since)", INDEX_NAME);
			return rs_fail(rs, BK_NEGATIVE), rs->result;
		}
		rs->path[0] = '\0';
		if (rs_prune_dir(rs, rs->rootfd, 0) != 0 ||
		    rs_finish_replacements(rs) != 0)
			return rs->result;
	}
	if (!rs->o->dryrun && !rs->o->validate && rs_fix_dirs(rs) != 0)
		return rs->result;
	if (rs->nxskipped > 0)
		warn0("%s: %" PRIu64 " extended attributes outside user.* not "
		    "restored (--xattrs-all or --xattrs-include restores them)",
		    rs->o->dir, rs->nxskipped);
	if (rs->ndiff > 0)
		return BK_NEGATIVE;
	return BK_OK;
}

/* DIR: created if missing (not its parents), then opened. */
static int
open_root(struct restorer *rs)
{
	if (rs->o->dryrun)
		return 0;	/* lists only: DIR need not exist */
	if (!rs->o->validate && mkdir(rs->o->dir, 0755) != 0 &&
	    errno != EEXIST) {
		warnp("mkdir %s", rs->o->dir);
		return -1;
	}
	if ((rs->rootfd = open(rs->o->dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		warnp("%s", rs->o->dir);
		return -1;
	}
	return 0;
}

static void
report(struct restorer *rs, struct bk_status *st, int rc)
{
	char b[32];

	bk_fmt_bytes(b, sizeof(b), (double)rs->n.bytes);
	if (rs->o->verbose || rs->o->progress)
		fprintf(stderr, "%s: %s: %" PRIu64 " files (%s), %" PRIu64
		    " directories, %" PRIu64 " symlinks, %" PRIu64
		    " hard links, %" PRIu64 " other, %" PRIu64 " skipped%s\n",
		    bk_progname(), rs->o->dir, rs->n.files, b, rs->n.dirs,
		    rs->n.syms, rs->n.hard, rs->n.other, rs->nskipped,
		    rc == BK_OK && !rs->incomplete ? "" : "; NOT COMPLETE");
	if (rs->o->validate && rs->ndiff > 0)
		warn0("%s: %" PRIu64 " differences from the stream", rs->o->dir,
		    rs->ndiff);
	bk_status_str(st, "mode", rs->o->validate ? "validate" : rs->o->dryrun ?
	    "dry-run" : "files");
	bk_status_str(st, "target", rs->o->shown != NULL ? rs->o->shown :
	    rs->o->dir);
	files_counts_status(&rs->n, st, 0);
	bk_status_int(st, "skipped", (int64_t)rs->nskipped);
	if (rs->o->validate)
		bk_status_int(st, "differences", (int64_t)rs->ndiff);
	if (rs->o->delete)
		bk_status_int(st, "deleted", (int64_t)rs->ndeleted);
	bk_status_int(st, "xattrs_skipped", (int64_t)rs->nxskipped);
}

/* Set up rs for options o, with its buffers.  0, or -1 (reported). */
static int
restorer_init(struct restorer *rs, const struct restore_files_opts *o)
{
	memset(rs, 0, sizeof(*rs));
	rs->o = o;
	rs->rootfd = rs->cachefd = -1;
	rs->isroot = geteuid() == 0;
	rs->pid = (long)getpid();
	vec_init(&rs->dirs.fix, sizeof(struct dirfix));
	vec_init(&rs->repl, sizeof(struct replacement));
	strset_init(&rs->made, PATHSET_MAX);
	strset_init(&rs->skipped, PATHSET_MAX);
	strset_init(&rs->index, PATHSET_MAX);
	if ((rs->buf = malloc(IOBUF)) == NULL ||
	    (rs->buf2 = malloc(IOBUF)) == NULL) {
		warnp("malloc");
		return -1;
	}
	return 0;
}

/* Free what rs holds; the temporaries still waiting are removed. */
static void
restorer_free(struct restorer *rs)
{
	tar_reader_free(rs->r);
	bk_zreader_free(rs->z);
	rs_drop_replacements(rs);
	if (rs->cachefd != -1)
		close(rs->cachefd);
	if (rs->rootfd != -1)
		close(rs->rootfd);
	rs_dirs_free(&rs->dirs);
	strset_free(&rs->made);
	strset_free(&rs->skipped);
	strset_free(&rs->index);
	free(rs->buf);
	free(rs->buf2);
}

int
restore_files_run(const struct restore_files_opts *o, struct bk_status *st,
    int *incomplete)
{
	struct restorer rs;
	int rc = BK_FAIL;

	rs_catch_signals();
	if (restorer_init(&rs, o) != 0 || open_root(&rs) != 0 ||
	    (rs.z = bk_zreader_new(STDIN_FILENO, "<stdin>")) == NULL ||
	    (rs.r = tar_reader_new(in_z, &rs, "<stdin>")) == NULL)
		goto out;
	rs.prog = bk_progress_new(o->validate ? "validating" : "restoring",
	    0, o->progress);
	rc = run(&rs);
	bk_progress_done(rs.prog);
	if ((o->dryrun || o->validate) && bk_close_stdout() != 0 &&
	    rc != BK_NEGATIVE)
		rc = BK_FAIL;
	report(&rs, st, rc);
	*incomplete = rs.incomplete;
out:
	restorer_free(&rs);
	return rc;
}
