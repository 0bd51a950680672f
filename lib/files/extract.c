/*
 * extract.c - bk-restore --files: extracting one member.  Every member
 * is made under a temporary name in its directory and renamed into place
 * (renameat2 RENAME_NOREPLACE unless --overwrite); a signal removes the
 * temporary being written.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "bk.h"
#include "restorer.h"

/* Signal cleanup: the temporary file being written, if any. */
static volatile sig_atomic_t sig_active;
static int sig_dirfd = -1;
static char sig_tmp[64];

static void
on_signal(int sig)
{
	if (sig_active)
		unlinkat(sig_dirfd, sig_tmp, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
rs_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
tmp_name(struct restorer *rs, char *buf, size_t len)
{
	snprintf(buf, len, ".bk-restore.%ld.%u", rs->pid, rs->tmpseq++);
}

/* The replacement waiting for path (--delete), or NULL. */
static struct replacement *
replacement_of(const struct restorer *rs, const char *path)
{
	struct replacement *r;
	size_t i;

	for (i = 0; i < rs->repl.n; i++)
		if (strcmp((r = vec_at(&rs->repl, i))->path, path) == 0)
			return r;
	return NULL;
}

/*
 * --overwrite, and a directory stands where the member tmp goes: an
 * empty one is removed; a non-empty one only with --delete, after the
 * deletions, if they emptied it (rs->repl); otherwise the member is
 * skipped with a warning.  Nothing the user did not ask to delete goes.
 * Returns as commit_name().
 */
static int
replace_dir(struct restorer *rs, int dirfd, const char *tmp, const char *leaf)
{
	struct replacement *r;

	if (unlinkat(dirfd, leaf, AT_REMOVEDIR) == 0) {
		rs_drop_cache(rs);
		if (renameat(dirfd, tmp, dirfd, leaf) == 0)
			return rs_set_add(rs, &rs->made, rs->path) == 0 ?
			    0 : -1;
		unlinkat(dirfd, tmp, 0);
		return rs_osfail(rs, "rename into place");
	}
	if (errno != ENOTEMPTY && errno != EEXIST) {
		unlinkat(dirfd, tmp, 0);
		return rs_osfail(rs, "remove the directory in the way");
	}
	if (!rs->o->delete) {
		unlinkat(dirfd, tmp, 0);
		warn0("%s/%s: a directory that is not empty; not replaced "
		    "(--delete with an incremental stream removes what it no "
		    "longer holds)", rs->o->dir, rs->path);
		rs->incomplete = 1;
		rs->nskipped++;
		return rs_set_add(rs, &rs->skipped, rs->path) == 0 ? 1 : -1;
	}
	if ((r = replacement_of(rs, rs->path)) != NULL)
		unlinkat(dirfd, r->tmp, 0);	/* the later wins */
	else if (rs->repl.n == REPLACE_MAX) {
		unlinkat(dirfd, tmp, 0);
		warn0("<stdin>: more than %d directories to replace by "
		    "other members; refused", REPLACE_MAX);
		return rs_fail(rs, BK_NEGATIVE);
	} else if ((r = vec_push(&rs->repl)) == NULL) {
		unlinkat(dirfd, tmp, 0);
		return rs_fail(rs, BK_FAIL);
	} else if ((r->path = strdup(rs->path)) == NULL) {
		warnp("malloc");
		rs->repl.n--;
		unlinkat(dirfd, tmp, 0);
		return rs_fail(rs, BK_FAIL);
	}
	snprintf(r->tmp, sizeof(r->tmp), "%s", tmp);
	r->type = rs->e.type;
	/* A hard link may name it: extract_link finds its temporary. */
	return rs_set_add(rs, &rs->made, rs->path) == 0 ? 2 : -1;
}

/*
 * Give the temporary tmp in dirfd its final name leaf: replacing what is
 * there only with --overwrite.  Returns 0, 1 if the name exists (warned,
 * skipped), 2 if the member waits for --delete (replace_dir), -1 on
 * error.  The temporary name is gone, except in case 2.
 */
static int
commit_name(struct restorer *rs, int dirfd, const char *tmp, const char *leaf)
{
	int rc;

	if (rs->o->overwrite)
		rc = renameat(dirfd, tmp, dirfd, leaf);
	else
		rc = renameat2(dirfd, tmp, dirfd, leaf, RENAME_NOREPLACE);
	if (rc == 0) {
		/* rename between two links to one file does nothing. */
		if (rs->e.type == TAR_HARD)
			unlinkat(dirfd, tmp, 0);
		return rs_set_add(rs, &rs->made, rs->path);	/* 0 or -1 */
	}
	rc = errno;
	if (rs->o->overwrite &&
	    (rc == EISDIR || rc == ENOTEMPTY || rc == EEXIST))
		return replace_dir(rs, dirfd, tmp, leaf);
	unlinkat(dirfd, tmp, 0);
	if (rc == EEXIST) {
		warn0("%s/%s: exists; not overwritten (use --overwrite)",
		    rs->o->dir, rs->path);
		rs->incomplete = 1;
		rs->nskipped++;
		/* Still a member seen under a safe name: links may use it. */
		return rs_set_add(rs, &rs->made, rs->path) == 0 ? 1 : -1;
	}
	errno = rc;
	return rs_osfail(rs, "rename into place");
}

/* 1 if the len bytes at p are all zero (a hole can stand for them). */
static int
all_zero(const unsigned char *p, size_t len)
{
	return len > 0 && p[0] == 0 && memcmp(p, p + 1, len - 1) == 0;
}

/* Copy the member's data to fd, leaving holes for zero blocks. */
static int
write_data(struct restorer *rs, int fd)
{
	uint64_t off = 0;
	ssize_t n;
	int hole = 0;

	while ((n = tar_read(rs->r, rs->buf, IOBUF)) > 0) {
		hole = (size_t)n == IOBUF && all_zero(rs->buf, IOBUF);
		if (hole) {
			if (lseek(fd, n, SEEK_CUR) == -1)
				return rs_osfail(rs, "seek");
		} else if (bk_write_full(fd, rs->buf, (size_t)n, rs->path) != 0)
			return rs_fail(rs, BK_FAIL);
		off += (uint64_t)n;
		rs->n.bytes += (uint64_t)n;
	}
	if (n < 0)
		return rs_fail(rs, BK_NEGATIVE);
	/* A file that ends in a hole gets its length from ftruncate. */
	if (hole && ftruncate(fd, (off_t)off) != 0)
		return rs_osfail(rs, "truncate");
	return 0;
}

static int
extract_reg(struct restorer *rs, int dirfd, const char *leaf)
{
	char tmp[64];
	int fd, rc;

	tmp_name(rs, tmp, sizeof(tmp));
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return rs_osfail(rs, "create");
	sig_dirfd = dirfd;
	memcpy(sig_tmp, tmp, sizeof(tmp));
	sig_active = 1;
	if (write_data(rs, fd) != 0)
		goto bad;
	rs_set_attrs_fd(rs, fd, 1);
	if (rs->o->dofsync && fsync(fd) != 0) {
		rs_osfail(rs, "fsync");
		goto bad;
	}
	if (close(fd) != 0) {
		fd = -1;
		rs_osfail(rs, "close");
		goto bad;
	}
	rc = commit_name(rs, dirfd, tmp, leaf);
	sig_active = 0;
	if (rc == 0)
		rs->n.files++;
	return rc < 0 ? -1 : 0;
bad:
	if (fd != -1)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	sig_active = 0;
	return -1;
}

static int
extract_dir(struct restorer *rs, int dirfd, const char *leaf)
{
	struct stat st;
	int fd;

	if (mkdirat(dirfd, leaf, 0700) != 0) {
		if (errno != EEXIST)
			return rs_osfail(rs, "mkdir");
		if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return rs_osfail(rs, "stat");
		if (!S_ISDIR(st.st_mode) && !rs->o->overwrite)
			return rs_refuse(rs, rs->e.path, "a non-directory of "
			    "that name exists (--overwrite replaces it)");
		if (!S_ISDIR(st.st_mode)) {
			/* --overwrite: a file, link or device gives way. */
			if (unlinkat(dirfd, leaf, 0) != 0)
				return rs_osfail(rs,
				    "remove to make a directory");
			if (mkdirat(dirfd, leaf, 0700) != 0)
				return rs_osfail(rs, "mkdir");
		}
	}
	/* Not root: keep it open to us until its final mode is set. */
	if (!rs->isroot &&
	    fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mode & 0700) != 0700 &&
	    fchmodat(dirfd, leaf, (st.st_mode & 07777) | 0700, 0) != 0)
		return rs_osfail(rs, "chmod");
	if ((fd = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return rs_osfail(rs, "open directory");
	rs_set_attrs_fd(rs, fd, 0);
	close(fd);
	if (rs_defer_dir(rs) != 0)
		return -1;
	rs->n.dirs++;
	return 0;
}

/* "./": DIR itself gets the member's owner, attributes, mode and mtime. */
int
rs_extract_root(struct restorer *rs)
{
	struct stat st;

	if (!rs->isroot && fstat(rs->rootfd, &st) == 0 &&
	    (st.st_mode & 0700) != 0700 &&
	    fchmod(rs->rootfd, (st.st_mode & 07777) | 0700) != 0)
		return rs_osfail(rs, "chmod");
	rs_set_attrs_fd(rs, rs->rootfd, 0);
	if (rs_defer_dir(rs) != 0)
		return -1;
	rs->n.dirs++;	/* counted as bk-dump counts it */
	return 0;
}

static int
extract_link(struct restorer *rs, int dirfd, const char *leaf)
{
	char target[TAR_PATH_MAX + 1], tmp[64];
	const char *why, *tleaf;
	struct replacement *r;
	int tfd, rc;

	if (rs_normalize(rs->e.link, target, &why) != 0)
		return rs_refuse(rs, rs->e.path,
		    "hard link target outside DIR");
	if (!strset_has(&rs->made, target) &&
	    strset_has(&rs->skipped, target)) {
		warn0("%s/%s: hard link to %s, which was skipped; skipped",
		    rs->o->dir, rs->path, target);
		rs->incomplete = 1;
		rs->nskipped++;
		return 0;
	}
	if (!strset_has(&rs->made, target))
		return rs_refuse(rs, rs->e.path,
		    "hard link to a member not extracted before it");
	if ((tfd = rs_open_parent_of(rs, target, &tleaf)) == -1)
		return rs_fail(rs, BK_FAIL);
	/* A target waiting for --delete (replace_dir) is its temporary. */
	if ((r = replacement_of(rs, target)) != NULL)
		tleaf = r->tmp;
	tmp_name(rs, tmp, sizeof(tmp));
	rc = linkat(tfd, tleaf, dirfd, tmp, 0);
	close(tfd);
	if (rc != 0)
		return rs_osfail(rs, "hard link");
	if ((rc = commit_name(rs, dirfd, tmp, leaf)) == 0)
		rs->n.hard++;
	return rc < 0 ? -1 : 0;
}

/*
 * The new tmp in dirfd gets the member's attributes (and mode, with
 * setmode) and its final name leaf; *count counts it if it took the
 * name.  0 or -1.
 */
static int
commit_counted(struct restorer *rs, int dirfd, const char *tmp,
    const char *leaf, int setmode, uint64_t *count)
{
	int rc;

	rs_set_attrs_at(rs, dirfd, tmp, setmode);
	if ((rc = commit_name(rs, dirfd, tmp, leaf)) == 0)
		(*count)++;
	return rc < 0 ? -1 : 0;
}

static int
extract_symlink(struct restorer *rs, int dirfd, const char *leaf)
{
	char tmp[64];

	if (rs->e.link[0] == '\0')
		return rs_refuse(rs, rs->e.path,
		    "symlink with an empty target");
	tmp_name(rs, tmp, sizeof(tmp));
	if (symlinkat(rs->e.link, dirfd, tmp) != 0)
		return rs_osfail(rs, "symlink");
	return commit_counted(rs, dirfd, tmp, leaf, 0, &rs->n.syms);
}

static int
extract_special(struct restorer *rs, int dirfd, const char *leaf)
{
	const struct tar_entry *e = &rs->e;
	char tmp[64];
	mode_t type;

	if (!rs->o->devices) {
		warn0("%s/%s: device or FIFO not restored (use --devices)",
		    rs->o->dir, rs->path);
		rs->incomplete = 1;
		rs->nskipped++;
		return 0;
	}
	type = e->type == TAR_CHR ? S_IFCHR : e->type == TAR_BLK ? S_IFBLK :
	    S_IFIFO;
	tmp_name(rs, tmp, sizeof(tmp));
	if (mknodat(dirfd, tmp, type | 0600,
	    makedev(e->devmajor, e->devminor)) != 0)
		return rs_osfail(rs, "mknod");
	return commit_counted(rs, dirfd, tmp, leaf, 1, &rs->n.other);
}

int
rs_extract(struct restorer *rs)
{
	const char *leaf;
	int dirfd;

	if ((dirfd = rs_parent_fd(rs, 1, 1, &leaf)) < 0)
		return -1;
	switch (rs->e.type) {
	case TAR_REG: return extract_reg(rs, dirfd, leaf);
	case TAR_DIR: return extract_dir(rs, dirfd, leaf);
	case TAR_HARD: return extract_link(rs, dirfd, leaf);
	case TAR_SYM: return extract_symlink(rs, dirfd, leaf);
	default: return extract_special(rs, dirfd, leaf);
	}
}
