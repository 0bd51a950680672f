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
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bk.h"
#include "compress.h"
#include "modes.h"
#include "tar.h"

#define IOBUF (256 * 1024)
#define INDEX_NAME ".bk-index"

struct dirfix {			/* set a directory's mode and mtime last */
	char *path;
	mode_t mode;
	struct timespec mtime;
};

struct idcache {		/* owner name -> id, the last few */
	char name[16][64];
	unsigned long id[16];
	int found[16];
	int n;
	unsigned next;
};

struct strset {			/* open addressing set of strings */
	char **v;
	size_t n, cap;
};

struct restorer {
	const char *dir;
	int rootfd;
	int overwrite, devices, numeric, dryrun, validate, dofsync, delete;
	int isroot, no_openat2;
	struct tar_reader *r;
	struct bk_zreader *z;
	struct bk_progress *prog;
	struct tar_entry e;
	char path[TAR_PATH_MAX + 1];	/* the member's normalized name */
	char cachedir[TAR_PATH_MAX + 1];
	int cachefd;
	struct strset made;		/* non-directories extracted */
	struct idcache users, groups;
	long pid;
	struct strset index;		/* --delete: paths in .bk-index;
					   --validate: paths in the stream */
	int have_index;
	struct dirfix *dirs;
	size_t ndirs, capdirs;
	unsigned char *buf, *buf2;
	unsigned tmpseq;
	uint64_t nfiles, ndirs_made, nsyms, nhard, nother, bytes, ndiff;
	uint64_t nskipped, ndeleted;
	int ex;				/* exit status of the first failure */
	int incomplete;
};

/* Signal cleanup: the temporary file being written, if any. */
static volatile sig_atomic_t sig_active;
static int sig_dirfd = -1;
static char sig_tmp[64];

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bk-restore --files DIR [--overwrite] [--devices] "
	    "[--numeric-owner] [--fsync]\n"
	    "                  [--delete] [--dry-run | --validate] [-v] "
	    "[--progress | --no-progress]\n"
	    "                  [--json[=FILE]] < stream\n");
	exit(BK_EXIT_USAGE);
}

static void
on_signal(int sig)
{
	if (sig_active)
		unlinkat(sig_dirfd, sig_tmp, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Record the first failure's exit status. */
static int
fail(struct restorer *rs, int ex)
{
	if (rs->ex == BK_EXIT_OK)
		rs->ex = ex;
	return -1;
}

/* "<stdin>: member NAME at byte N: MSG; refused", exit 1. */
static int
refuse(struct restorer *rs, const char *name, const char *msg)
{
	char pname[TAR_PATH_MAX + 1];

	tar_printable(pname, sizeof(pname), name);
	warn0("<stdin>: member %s at byte %" PRIu64 ": %s; refused", pname,
	    tar_member_offset(rs->r), msg);
	return fail(rs, BK_EXIT_NEGATIVE);
}

/* A failed system call on a member: reported, exit 3. */
static int
osfail(struct restorer *rs, const char *what)
{
	warnp("%s/%s: %s", rs->dir, rs->path, what);
	return fail(rs, BK_EXIT_FAIL);
}

/* ---- string set ---- */

static size_t
set_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t
set_slot(const struct strset *s, const char *k)
{
	size_t h = set_hash(k) & (s->cap - 1);

	while (s->v[h] != NULL && strcmp(s->v[h], k) != 0)
		h = (h + 1) & (s->cap - 1);
	return h;
}

static int
set_has(const struct strset *s, const char *k)
{
	return s->cap > 0 && s->v[set_slot(s, k)] != NULL;
}

/* Add a copy of k; 0 or -1 (reported). */
static int
set_add(struct strset *s, const char *k)
{
	char **old = s->v;
	size_t oldcap = s->cap, i, h;

	if (s->n * 2 >= s->cap) {
		s->cap = oldcap ? oldcap * 2 : 1024;
		if ((s->v = calloc(s->cap, sizeof(*s->v))) == NULL) {
			warnp("malloc");
			s->v = old;
			s->cap = oldcap;
			return -1;
		}
		for (i = 0; i < oldcap; i++)
			if (old[i] != NULL)
				s->v[set_slot(s, old[i])] = old[i];
		free(old);
	}
	h = set_slot(s, k);
	if (s->v[h] != NULL)
		return 0;
	if ((s->v[h] = strdup(k)) == NULL) {
		warnp("malloc");
		return -1;
	}
	s->n++;
	return 0;
}

static void
set_free(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->v[i]);
	free(s->v);
}

/* ---- names ---- */

/*
 * Normalize a member name into out: drop "." and empty components and a
 * leading "./"; refuse absolute names and "..".  "" is DIR itself.
 * Returns 0, or -1 with *why set.
 */
static int
normalize(const char *in, char *out, const char **why)
{
	const char *p = in, *q;
	size_t len, o = 0;

	if (*in == '/') {
		*why = "absolute path";
		return -1;
	}
	while (*p != '\0') {
		q = strchr(p, '/');
		len = q ? (size_t)(q - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			*why = "path leaves the target directory (..)";
			return -1;
		}
		if (len > 0 && !(len == 1 && p[0] == '.')) {
			if (o + len + 1 > TAR_PATH_MAX) {
				*why = "path too long";
				return -1;
			}
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		p += len;
		if (*p == '/')
			p++;
	}
	out[o] = '\0';
	return 0;
}

/* ---- resolving directories beneath DIR ---- */

static int
try_openat2(struct restorer *rs, const char *dir)
{
	struct open_how how;
	long fd;

	if (rs->no_openat2)
		return -1;
	memset(&how, 0, sizeof(how));
	how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
	    RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, rs->rootfd, dir, &how, sizeof(how));
	if (fd < 0 && (errno == ENOSYS || errno == EPERM || errno == E2BIG))
		rs->no_openat2 = 1;	/* old kernel or seccomp: walk */
	return (int)fd;
}

/*
 * Open the directory dir (a normalized relative path) beneath DIR without
 * following any symlink, creating missing components if create is set.
 * Returns a new descriptor, or -1: refused (exit 1), missing (errno
 * ENOENT, reported only if report), or a system error (exit 3).
 */
static int
open_beneath(struct restorer *rs, const char *dir, int create, int report)
{
	char comp[TAR_PATH_MAX + 1];
	const char *p = dir, *q;
	struct stat st;
	size_t len;
	int fd, nfd;

	if ((fd = try_openat2(rs, dir)) >= 0)
		return fd;
	/* Walk it component by component: precise refusals, creation. */
	if ((fd = dup(rs->rootfd)) == -1)
		return osfail(rs, "dup");
	while (*p != '\0') {
		q = strchr(p, '/');
		len = q ? (size_t)(q - p) : strlen(p);
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len + (q != NULL);
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1 && errno == ENOENT && create) {
			if (mkdirat(fd, comp, 0755) != 0 && errno != EEXIST) {
				close(fd);
				return osfail(rs, "mkdir");
			}
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd == -1) {
			int saved = errno;

			if ((saved == ELOOP || saved == ENOTDIR) &&
			    fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
				close(fd);
				return refuse(rs, rs->e.path, S_ISLNK(st.st_mode) ?
				    "path goes through a symlink" :
				    "path goes through a non-directory");
			}
			close(fd);
			errno = saved;
			if (saved == ENOENT && !report)
				return -1;
			return osfail(rs, "open directory");
		}
		close(fd);
		fd = nfd;
	}
	return fd;
}

/*
 * The directory holding rs->path (borrowed descriptor, cached for the
 * next member in the same directory); *leaf gets the last component.
 */
static int
parent_fd(struct restorer *rs, int create, int report, const char **leaf)
{
	char *slash = strrchr(rs->path, '/');
	int fd;

	*leaf = slash ? slash + 1 : rs->path;
	if (slash == NULL)
		return rs->rootfd;
	*slash = '\0';
	if (rs->cachefd != -1 && strcmp(rs->cachedir, rs->path) == 0) {
		*slash = '/';
		return rs->cachefd;
	}
	fd = open_beneath(rs, rs->path, create, report);
	if (fd >= 0) {
		if (rs->cachefd != -1)
			close(rs->cachefd);
		rs->cachefd = fd;
		strcpy(rs->cachedir, rs->path);
	}
	*slash = '/';
	return fd;
}

/* Split path into a new directory descriptor and its leaf (hard links). */
static int
open_parent_of(struct restorer *rs, char *path, const char **leaf)
{
	char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL) {
		*leaf = path;
		return dup(rs->rootfd);
	}
	*slash = '\0';
	fd = open_beneath(rs, path, 0, 1);
	*slash = '/';
	*leaf = slash + 1;
	return fd;
}

/* ---- attributes ---- */

/*
 * The id of user (or group) name, or fallback if it has none here.  The
 * last few answers are kept: NSS reads /etc/passwd on every call, which
 * would cost more than extracting a small file.
 */
static unsigned long
name_to_id(struct idcache *c, const char *name, unsigned long fallback,
    int user)
{
	struct passwd *pw;
	struct group *gr;
	unsigned long id = fallback;
	int i, slot;

	if (name[0] == '\0' || strlen(name) >= sizeof(c->name[0]))
		return fallback;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->name[i], name) == 0)
			return c->found[i] ? c->id[i] : fallback;
	slot = c->n < 16 ? c->n++ : (int)(c->next++ % 16);
	snprintf(c->name[slot], sizeof(c->name[slot]), "%s", name);
	c->found[slot] = 0;
	if (user && (pw = getpwnam(name)) != NULL)
		id = pw->pw_uid;
	else if (!user && (gr = getgrnam(name)) != NULL)
		id = gr->gr_gid;
	else
		return fallback;
	c->found[slot] = 1;
	c->id[slot] = id;
	return id;
}

static uid_t
owner_uid(struct restorer *rs)
{
	if (rs->numeric)
		return (uid_t)rs->e.uid;
	return (uid_t)name_to_id(&rs->users, rs->e.uname, rs->e.uid, 1);
}

static gid_t
owner_gid(struct restorer *rs)
{
	if (rs->numeric)
		return (gid_t)rs->e.gid;
	return (gid_t)name_to_id(&rs->groups, rs->e.gname, rs->e.gid, 0);
}

/*
 * Owner (as root), mode, xattrs and mtime of the file open on fd.  A
 * failure is a warning and makes the run incomplete.
 */
static void
set_attrs_fd(struct restorer *rs, int fd, int setmode)
{
	const struct tar_entry *e = &rs->e;
	struct timespec ts[2];
	size_t i;

	if (rs->isroot && fchown(fd, owner_uid(rs),
	    owner_gid(rs)) != 0) {
		warnp("%s/%s: chown", rs->dir, rs->path);
		rs->incomplete = 1;
	}
	if (setmode && fchmod(fd, e->mode & (rs->isroot ? 07777 : 0777)) != 0) {
		warnp("%s/%s: chmod", rs->dir, rs->path);
		rs->incomplete = 1;
	}
	for (i = 0; i < e->nxattrs; i++) {
		if (fsetxattr(fd, e->xattrs[i].name, e->xattrs[i].value,
		    e->xattrs[i].len, 0) != 0) {
			warnp("%s/%s: extended attribute %s", rs->dir, rs->path,
			    e->xattrs[i].name);
			rs->incomplete = 1;
		}
	}
	if (!setmode)
		return;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[0].tv_sec = 0;
	ts[1].tv_sec = (time_t)e->mtime;
	ts[1].tv_nsec = e->mtime_nsec;
	if (futimens(fd, ts) != 0) {
		warnp("%s/%s: set mtime", rs->dir, rs->path);
		rs->incomplete = 1;
	}
}

/* Owner and mtime of a symlink (or device) at dirfd/name. */
static void
set_attrs_at(struct restorer *rs, int dirfd, const char *name, int setmode)
{
	const struct tar_entry *e = &rs->e;
	struct timespec ts[2];

	if (rs->isroot && fchownat(dirfd, name, owner_uid(rs),
	    owner_gid(rs), AT_SYMLINK_NOFOLLOW) != 0) {
		warnp("%s/%s: chown", rs->dir, rs->path);
		rs->incomplete = 1;
	}
	if (setmode && fchmodat(dirfd, name, e->mode & 07777, 0) != 0) {
		warnp("%s/%s: chmod", rs->dir, rs->path);
		rs->incomplete = 1;
	}
	ts[0].tv_nsec = UTIME_OMIT;
	ts[0].tv_sec = 0;
	ts[1].tv_sec = (time_t)e->mtime;
	ts[1].tv_nsec = e->mtime_nsec;
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) != 0) {
		warnp("%s/%s: set mtime", rs->dir, rs->path);
		rs->incomplete = 1;
	}
}

/* ---- extraction ---- */

static void
tmp_name(struct restorer *rs, char *buf, size_t len)
{
	snprintf(buf, len, ".bk-restore.%ld.%u", rs->pid, rs->tmpseq++);
}

/*
 * Give the temporary tmp in dirfd its final name leaf: replacing what is
 * there only with --overwrite.  Returns 0, 1 if the name exists (warned,
 * skipped), -1 on error.  The temporary name is gone either way.
 */
static int
commit_name(struct restorer *rs, int dirfd, const char *tmp, const char *leaf)
{
	int rc;

	if (rs->overwrite)
		rc = renameat(dirfd, tmp, dirfd, leaf);
	else
		rc = renameat2(dirfd, tmp, dirfd, leaf, RENAME_NOREPLACE);
	if (rc == 0) {
		/* rename between two links to one file does nothing. */
		if (rs->e.type == TAR_HARD)
			unlinkat(dirfd, tmp, 0);
		return set_add(&rs->made, rs->path);
	}
	rc = errno;
	unlinkat(dirfd, tmp, 0);
	if (rc == EEXIST) {
		warn0("%s/%s: exists; not overwritten (use --overwrite)",
		    rs->dir, rs->path);
		rs->incomplete = 1;
		rs->nskipped++;
		/* Still a member seen under a safe name: links may use it. */
		return set_add(&rs->made, rs->path) == 0 ? 1 : -1;
	}
	errno = rc;
	return osfail(rs, "rename into place");
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
				return osfail(rs, "seek");
		} else if (bk_write_full(fd, rs->buf, (size_t)n, rs->path) != 0)
			return fail(rs, BK_EXIT_FAIL);
		off += (uint64_t)n;
		rs->bytes += (uint64_t)n;
	}
	if (n < 0)
		return fail(rs, BK_EXIT_NEGATIVE);
	/* A file that ends in a hole gets its length from ftruncate. */
	if (hole && ftruncate(fd, (off_t)off) != 0)
		return osfail(rs, "truncate");
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
		return osfail(rs, "create");
	sig_dirfd = dirfd;
	memcpy(sig_tmp, tmp, sizeof(tmp));
	sig_active = 1;
	if (write_data(rs, fd) != 0)
		goto bad;
	set_attrs_fd(rs, fd, 1);
	if (rs->dofsync && fsync(fd) != 0) {
		osfail(rs, "fsync");
		goto bad;
	}
	if (close(fd) != 0) {
		fd = -1;
		osfail(rs, "close");
		goto bad;
	}
	rc = commit_name(rs, dirfd, tmp, leaf);
	sig_active = 0;
	if (rc == 0)
		rs->nfiles++;
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
	struct dirfix *df;
	struct stat st;
	int fd;

	if (mkdirat(dirfd, leaf, 0700) != 0) {
		if (errno != EEXIST)
			return osfail(rs, "mkdir");
		if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return osfail(rs, "stat");
		if (!S_ISDIR(st.st_mode))
			return refuse(rs, rs->e.path,
			    "a non-directory of that name exists");
	}
	if ((fd = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return osfail(rs, "open directory");
	set_attrs_fd(rs, fd, 0);
	close(fd);
	if (rs->ndirs == rs->capdirs) {
		size_t cap = rs->capdirs ? rs->capdirs * 2 : 64;
		struct dirfix *nd = realloc(rs->dirs, cap * sizeof(*nd));

		if (nd == NULL) {
			warnp("malloc");
			return fail(rs, BK_EXIT_FAIL);
		}
		rs->dirs = nd;
		rs->capdirs = cap;
	}
	df = &rs->dirs[rs->ndirs];
	if ((df->path = strdup(rs->path)) == NULL) {
		warnp("malloc");
		return fail(rs, BK_EXIT_FAIL);
	}
	df->mode = rs->e.mode & (rs->isroot ? 07777 : 0777);
	df->mtime.tv_sec = (time_t)rs->e.mtime;
	df->mtime.tv_nsec = rs->e.mtime_nsec;
	rs->ndirs++;
	rs->ndirs_made++;
	return 0;
}

static int
extract_link(struct restorer *rs, int dirfd, const char *leaf)
{
	char target[TAR_PATH_MAX + 1], tmp[64];
	const char *why, *tleaf;
	int tfd, rc;

	if (normalize(rs->e.link, target, &why) != 0)
		return refuse(rs, rs->e.path, "hard link target outside DIR");
	if (!set_has(&rs->made, target))
		return refuse(rs, rs->e.path,
		    "hard link to a member not extracted before it");
	if ((tfd = open_parent_of(rs, target, &tleaf)) == -1)
		return fail(rs, BK_EXIT_FAIL);
	tmp_name(rs, tmp, sizeof(tmp));
	rc = linkat(tfd, tleaf, dirfd, tmp, 0);
	close(tfd);
	if (rc != 0)
		return osfail(rs, "hard link");
	if ((rc = commit_name(rs, dirfd, tmp, leaf)) == 0)
		rs->nhard++;
	return rc < 0 ? -1 : 0;
}

static int
extract_symlink(struct restorer *rs, int dirfd, const char *leaf)
{
	char tmp[64];
	int rc;

	if (rs->e.link[0] == '\0')
		return refuse(rs, rs->e.path, "symlink with an empty target");
	tmp_name(rs, tmp, sizeof(tmp));
	if (symlinkat(rs->e.link, dirfd, tmp) != 0)
		return osfail(rs, "symlink");
	set_attrs_at(rs, dirfd, tmp, 0);
	if ((rc = commit_name(rs, dirfd, tmp, leaf)) == 0)
		rs->nsyms++;
	return rc < 0 ? -1 : 0;
}

static int
extract_special(struct restorer *rs, int dirfd, const char *leaf)
{
	const struct tar_entry *e = &rs->e;
	char tmp[64];
	mode_t type;
	int rc;

	if (!rs->devices) {
		warn0("%s/%s: device or FIFO not restored (use --devices)",
		    rs->dir, rs->path);
		rs->incomplete = 1;
		rs->nskipped++;
		return 0;
	}
	type = e->type == TAR_CHR ? S_IFCHR : e->type == TAR_BLK ? S_IFBLK :
	    S_IFIFO;
	tmp_name(rs, tmp, sizeof(tmp));
	if (mknodat(dirfd, tmp, type | 0600,
	    makedev(e->devmajor, e->devminor)) != 0)
		return osfail(rs, "mknod");
	set_attrs_at(rs, dirfd, tmp, 1);
	if ((rc = commit_name(rs, dirfd, tmp, leaf)) == 0)
		rs->nother++;
	return rc < 0 ? -1 : 0;
}

static int
extract(struct restorer *rs)
{
	const char *leaf;
	int dirfd;

	if ((dirfd = parent_fd(rs, 1, 1, &leaf)) < 0)
		return -1;
	switch (rs->e.type) {
	case TAR_REG: return extract_reg(rs, dirfd, leaf);
	case TAR_DIR: return extract_dir(rs, dirfd, leaf);
	case TAR_HARD: return extract_link(rs, dirfd, leaf);
	case TAR_SYM: return extract_symlink(rs, dirfd, leaf);
	default: return extract_special(rs, dirfd, leaf);
	}
}

/* Set directory modes and mtimes, children before their parents. */
static int
fix_dirs(struct restorer *rs)
{
	struct timespec ts[2];
	const char *leaf;
	size_t i = rs->ndirs;
	int dirfd, fd;

	while (i-- > 0) {
		snprintf(rs->path, sizeof(rs->path), "%s", rs->dirs[i].path);
		rs->e.path = rs->dirs[i].path;
		if ((dirfd = parent_fd(rs, 0, 1, &leaf)) < 0)
			return -1;
		if ((fd = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			return osfail(rs, "open directory");
		ts[0].tv_sec = 0;
		ts[0].tv_nsec = UTIME_OMIT;
		ts[1] = rs->dirs[i].mtime;
		if (fchmod(fd, rs->dirs[i].mode) != 0 || futimens(fd, ts) != 0) {
			close(fd);
			return osfail(rs, "set mode and mtime");
		}
		close(fd);
	}
	return 0;
}

/* ---- --validate ---- */

static void
differs(struct restorer *rs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One difference, on stdout: "PATH: WHAT". */
static void
differs(struct restorer *rs, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", rs->path);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	rs->ndiff++;
}

static int
type_of(mode_t m)
{
	return S_ISREG(m) ? TAR_REG : S_ISDIR(m) ? TAR_DIR : S_ISLNK(m) ?
	    TAR_SYM : S_ISCHR(m) ? TAR_CHR : S_ISBLK(m) ? TAR_BLK :
	    S_ISFIFO(m) ? TAR_FIFO : '?';
}

/* SHA-256 of the member's data and of the file at dirfd/leaf. */
static int
compare_data(struct restorer *rs, int dirfd, const char *leaf)
{
	unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
	EVP_MD_CTX *a = EVP_MD_CTX_new(), *b = EVP_MD_CTX_new();
	ssize_t n;
	int fd = -1, rc = -1;

	if (a == NULL || b == NULL || EVP_DigestInit_ex(a, EVP_sha256(),
	    NULL) != 1 || EVP_DigestInit_ex(b, EVP_sha256(), NULL) != 1) {
		warn0("cannot initialise SHA-256");
		fail(rs, BK_EXIT_FAIL);
		goto done;
	}
	if ((fd = openat(dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		osfail(rs, "open");
		goto done;
	}
	while ((n = tar_read(rs->r, rs->buf, IOBUF)) > 0)
		EVP_DigestUpdate(a, rs->buf, (size_t)n);
	if (n < 0) {
		fail(rs, BK_EXIT_NEGATIVE);
		goto done;
	}
	while ((n = read(fd, rs->buf2, IOBUF)) > 0)
		EVP_DigestUpdate(b, rs->buf2, (size_t)n);
	if (n < 0) {
		osfail(rs, "read");
		goto done;
	}
	EVP_DigestFinal_ex(a, da, NULL);
	EVP_DigestFinal_ex(b, db, NULL);
	if (memcmp(da, db, BK_SHA256_LEN) != 0)
		differs(rs, "contents differ (SHA-256)");
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	EVP_MD_CTX_free(a);
	EVP_MD_CTX_free(b);
	return rc;
}

/* Compare a hard link member: the same file as its target? */
static int
compare_hardlink(struct restorer *rs, const struct stat *st)
{
	char target[TAR_PATH_MAX + 1];
	const char *why, *tleaf;
	struct stat ts;
	int tfd;

	if (normalize(rs->e.link, target, &why) != 0)
		return refuse(rs, rs->e.path, "hard link target outside DIR");
	errno = 0;
	if ((tfd = open_parent_of(rs, target, &tleaf)) == -1) {
		if (errno != ENOENT)
			return -1;
		differs(rs, "hard link target %s missing", target);
		return 0;
	}
	if (fstatat(tfd, tleaf, &ts, AT_SYMLINK_NOFOLLOW) != 0 ||
	    ts.st_ino != st->st_ino || ts.st_dev != st->st_dev)
		differs(rs, "not a hard link to %s", target);
	close(tfd);
	return 0;
}

static int
validate_one(struct restorer *rs)
{
	const struct tar_entry *e = &rs->e;
	char target[TAR_PATH_MAX + 1];
	const char *leaf;
	struct stat st;
	ssize_t n;
	int dirfd;

	errno = 0;
	if ((dirfd = parent_fd(rs, 0, 0, &leaf)) < 0) {
		if (errno != ENOENT)
			return -1;
		differs(rs, "missing from %s", rs->dir);
		return 0;
	}
	if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT)
			return osfail(rs, "stat");
		differs(rs, "missing from %s", rs->dir);
		return 0;
	}
	if (e->type == TAR_HARD)
		return compare_hardlink(rs, &st);
	if (type_of(st.st_mode) != e->type) {
		differs(rs, "type differs: stream %c, %s %c", e->type, rs->dir,
		    type_of(st.st_mode));
		return 0;
	}
	if (e->type != TAR_SYM && (st.st_mode & 07777) != e->mode)
		differs(rs, "mode differs: stream %04o, %s %04o",
		    (unsigned)e->mode, rs->dir, (unsigned)(st.st_mode & 07777));
	if (st.st_mtim.tv_sec != e->mtime ||
	    st.st_mtim.tv_nsec != e->mtime_nsec)
		differs(rs, "mtime differs: stream %" PRId64 ".%09ld, %s "
		    "%lld.%09ld", e->mtime, e->mtime_nsec, rs->dir,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (e->type == TAR_SYM) {
		if ((n = readlinkat(dirfd, leaf, target, sizeof(target) - 1)) < 0)
			return osfail(rs, "readlink");
		target[n] = '\0';
		if (strcmp(target, e->link) != 0)
			differs(rs, "symlink target differs: stream %s, %s %s",
			    e->link, rs->dir, target);
	}
	if (e->type != TAR_REG)
		return 0;
	if ((uint64_t)st.st_size != e->size) {
		differs(rs, "size differs: stream %" PRIu64 ", %s %lld",
		    e->size, rs->dir, (long long)st.st_size);
		return 0;
	}
	rs->bytes += e->size;
	return compare_data(rs, dirfd, leaf);
}

/* ---- --delete ---- */

/* Read the .bk-index member into rs->index. */
static int
load_index(struct restorer *rs)
{
	char *acc = NULL;
	size_t len = 0, i, start;
	ssize_t n;
	int rc = -1;

	if (rs->e.size > 512ULL * 1024 * 1024) {
		refuse(rs, rs->e.path, "index larger than 512 MiB");
		return -1;
	}
	if ((acc = malloc((size_t)rs->e.size + 1)) == NULL) {
		warnp("malloc");
		return fail(rs, BK_EXIT_FAIL);
	}
	while ((n = tar_read(rs->r, acc + len, (size_t)rs->e.size - len)) > 0)
		len += (size_t)n;
	if (n < 0) {
		fail(rs, BK_EXIT_NEGATIVE);
		goto done;
	}
	for (i = start = 0; i < len; i++) {
		if (acc[i] != '\0')
			continue;
		if (set_add(&rs->index, acc + start) != 0) {
			fail(rs, BK_EXIT_FAIL);
			goto done;
		}
		start = i + 1;
	}
	rs->have_index = 1;
	rc = 0;
done:
	free(acc);
	return rc;
}

static int prune_dir(struct restorer *, int, size_t);

/* Remove what is in the directory open on fd (path rs->path) and not in
 * the index; recursion goes by descriptors, never through symlinks. */
static int
prune_entry(struct restorer *rs, int fd, const char *name, size_t base)
{
	struct stat st;
	int sub, rc;

	if (base + 1 + strlen(name) > TAR_PATH_MAX)
		return 0;
	if (base > 0)
		rs->path[base] = '/';
	strcpy(rs->path + base + (base > 0), name);
	if (strncmp(name, ".bk-restore.", 12) == 0 ||
	    fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		rs->path[base] = '\0';
		return 0;
	}
	if (!set_has(&rs->index, rs->path) && rs->validate) {
		differs(rs, "in %s, not in the stream", rs->dir);
	} else if (!set_has(&rs->index, rs->path)) {
		if (S_ISDIR(st.st_mode)) {
			if ((sub = openat(fd, name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC)) == -1)
				return osfail(rs, "open directory");
			rc = prune_dir(rs, sub, strlen(rs->path));
			close(sub);
			if (rc != 0)
				return -1;
		}
		if (unlinkat(fd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0)
		    != 0)
			return osfail(rs, "remove");
		rs->ndeleted++;
	} else if (S_ISDIR(st.st_mode)) {
		if ((sub = openat(fd, name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			return osfail(rs, "open directory");
		rc = prune_dir(rs, sub, strlen(rs->path));
		close(sub);
		if (rc != 0)
			return -1;
	}
	rs->path[base] = '\0';
	return 0;
}

static int
prune_dir(struct restorer *rs, int fd, size_t base)
{
	struct dirent *de;
	DIR *dp;
	int dfd, rc = 0;

	if ((dfd = dup(fd)) == -1 || (dp = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return osfail(rs, "open directory");
	}
	while (rc == 0 && (de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		rc = prune_entry(rs, fd, de->d_name, base);
	}
	closedir(dp);
	rs->path[base] = '\0';
	return rc;
}

/* ---- the member loop ---- */

/* List one member (--dry-run) on stdout. */
static void
list_one(const struct restorer *rs)
{
	const struct tar_entry *e = &rs->e;

	if (e->type == TAR_SYM)
		printf("%s -> %s\n", rs->path, e->link);
	else if (e->type == TAR_HARD)
		printf("%s link to %s\n", rs->path, e->link);
	else
		printf("%s%s\n", rs->path, e->type == TAR_DIR ? "/" : "");
}

static int
one_member(struct restorer *rs)
{
	const char *why;
	char where[TAR_PATH_MAX + 1];

	if (normalize(rs->e.path, rs->path, &why) != 0)
		return refuse(rs, rs->e.path, why);
	if (rs->path[0] == '\0') {
		if (rs->e.type == TAR_DIR)
			return 0;	/* "./": DIR itself */
		return refuse(rs, rs->e.path, "empty name");
	}
	if (rs->e.type == TAR_HARD && normalize(rs->e.link, where, &why) != 0)
		return refuse(rs, rs->e.path, "hard link target outside DIR");
	if (strcmp(rs->path, INDEX_NAME) == 0 && rs->e.type == TAR_REG)
		return (rs->delete && !rs->dryrun) || rs->validate ?
		    load_index(rs) : 0;
	if (rs->dryrun) {
		list_one(rs);
		return 0;
	}
	if (rs->validate) {
		/* Remember the member, to find what DIR has beyond it. */
		if (set_add(&rs->index, rs->path) != 0)
			return fail(rs, BK_EXIT_FAIL);
		return validate_one(rs);
	}
	return extract(rs);
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

/* Read the stream to its end; the exit status. */
static int
run(struct restorer *rs)
{
	int rc;

	while ((rc = tar_next(rs->r, &rs->e)) == 1)
		if (one_member(rs) != 0)
			return rs->ex;
	if (rc < 0)
		return fail(rs, BK_EXIT_NEGATIVE), rs->ex;
	/* What DIR holds beyond the stream (or its index) is a difference. */
	if (rs->validate) {
		rs->path[0] = '\0';
		if (prune_dir(rs, rs->rootfd, 0) != 0)
			return rs->ex;
	}
	/* Deletions first: they change the mtimes of their directories. */
	if (rs->delete && !rs->dryrun && !rs->validate) {
		if (!rs->have_index) {
			warn0("<stdin>: --delete: the stream has no %s "
			    "(not written by bk-dump --since)", INDEX_NAME);
			return fail(rs, BK_EXIT_NEGATIVE), rs->ex;
		}
		rs->path[0] = '\0';
		if (prune_dir(rs, rs->rootfd, 0) != 0)
			return rs->ex;
	}
	if (!rs->dryrun && !rs->validate && fix_dirs(rs) != 0)
		return rs->ex;
	if (rs->ndiff > 0)
		return BK_EXIT_NEGATIVE;
	return rs->incomplete ? BK_EXIT_INCOMPLETE : BK_EXIT_OK;
}

/* DIR: created if missing (not its parents), then opened. */
static int
open_root(struct restorer *rs)
{
	if (rs->dryrun)
		return 0;	/* lists only: DIR need not exist */
	if (!rs->dryrun && !rs->validate && mkdir(rs->dir, 0755) != 0 &&
	    errno != EEXIST) {
		warnp("mkdir %s", rs->dir);
		return -1;
	}
	if ((rs->rootfd = open(rs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		warnp("%s", rs->dir);
		return -1;
	}
	return 0;
}

static void
report(struct restorer *rs, struct bk_status *st, int verbose, int ex)
{
	char b[32];

	bk_fmt_bytes(b, sizeof(b), (double)rs->bytes);
	if (verbose)
		fprintf(stderr, "%s: %s: %" PRIu64 " files (%s), %" PRIu64
		    " directories, %" PRIu64 " symlinks, %" PRIu64
		    " hard links, %" PRIu64 " other, %" PRIu64 " skipped%s\n",
		    bk_progname(), rs->dir, rs->nfiles, b, rs->ndirs_made,
		    rs->nsyms, rs->nhard, rs->nother, rs->nskipped,
		    ex == BK_EXIT_OK ? "" : "; NOT COMPLETE");
	if (rs->validate && rs->ndiff > 0)
		warn0("%s: %" PRIu64 " differences from the stream", rs->dir,
		    rs->ndiff);
	bk_status_str(st, "mode", rs->validate ? "validate" : rs->dryrun ?
	    "dry-run" : "files");
	bk_status_str(st, "target", rs->dir);
	bk_status_int(st, "files", (int64_t)rs->nfiles);
	bk_status_int(st, "directories", (int64_t)rs->ndirs_made);
	bk_status_int(st, "symlinks", (int64_t)rs->nsyms);
	bk_status_int(st, "hardlinks", (int64_t)rs->nhard);
	bk_status_int(st, "other", (int64_t)rs->nother);
	bk_status_int(st, "bytes", (int64_t)rs->bytes);
	bk_status_int(st, "skipped", (int64_t)rs->nskipped);
	if (rs->validate)
		bk_status_int(st, "differences", (int64_t)rs->ndiff);
	if (rs->delete)
		bk_status_int(st, "deleted", (int64_t)rs->ndeleted);
}

int
restore_files_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "files", required_argument, NULL, 'f' },
		{ "overwrite", no_argument, NULL, 'o' },
		{ "devices", no_argument, NULL, 'D' },
		{ "numeric-owner", no_argument, NULL, 'N' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "validate", no_argument, NULL, 'C' },
		{ "fsync", no_argument, NULL, 'F' },
		{ "delete", no_argument, NULL, 'X' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "progress", no_argument, NULL, 'P' },
		{ "no-progress", no_argument, NULL, 'Q' },
		{ "json", optional_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct restorer rs;
	struct bk_status *st;
	const char *json = NULL;
	int ch, progress = bk_progress_default(), verbose = 0;
	int ex = BK_EXIT_FAIL;
	size_t i;

	memset(&rs, 0, sizeof(rs));
	rs.rootfd = rs.cachefd = -1;
	while ((ch = getopt_long(argc, argv, "nvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': rs.dir = optarg; break;
		case 'o': rs.overwrite = 1; break;
		case 'D': rs.devices = 1; break;
		case 'N': rs.numeric = 1; break;
		case 'n': rs.dryrun = 1; break;
		case 'C': rs.validate = 1; break;
		case 'F': rs.dofsync = 1; break;
		case 'X': rs.delete = 1; break;
		case 'v': verbose = 1; break;
		case 'P': progress = 1; break;
		case 'Q': progress = 0; break;
		case 'J': json = optarg ? optarg : ""; break;
		case 'V': bk_print_version(); return 0;
		case 'h':
		default: usage();
		}
	}
	if (optind != argc) {
		warn0("unexpected argument: %s", argv[optind]);
		usage();
	}
	if (rs.dir == NULL || *rs.dir == '\0')
		usage();
	if (rs.dryrun && rs.validate) {
		warn0("--dry-run and --validate exclude each other");
		usage();
	}
	rs.isroot = geteuid() == 0;
	rs.pid = (long)getpid();
	/* stdout carries the listing or the differences, if anything. */
	st = bk_status_new(json, STDERR_FILENO);
	if (json != NULL && st == NULL)
		return BK_EXIT_FAIL;
	catch_signals();
	if ((rs.buf = malloc(IOBUF)) == NULL ||
	    (rs.buf2 = malloc(IOBUF)) == NULL) {
		warnp("malloc");
		goto out;
	}
	if (open_root(&rs) != 0 ||
	    (rs.z = bk_zreader_new(STDIN_FILENO, "<stdin>")) == NULL ||
	    (rs.r = tar_reader_new(in_z, &rs, "<stdin>")) == NULL)
		goto out;
	rs.prog = bk_progress_new(rs.validate ? "validating" : "restoring",
	    0, progress);
	ex = run(&rs);
	bk_progress_done(rs.prog);
	if ((rs.dryrun || rs.validate) && bk_close_stdout() != 0 &&
	    ex != BK_EXIT_NEGATIVE)
		ex = BK_EXIT_FAIL;
	report(&rs, st, verbose || progress, ex);
out:
	tar_reader_free(rs.r);
	bk_zreader_free(rs.z);
	if (rs.cachefd != -1)
		close(rs.cachefd);
	if (rs.rootfd != -1)
		close(rs.rootfd);
	for (i = 0; i < rs.ndirs; i++)
		free(rs.dirs[i].path);
	free(rs.dirs);
	set_free(&rs.made);
	set_free(&rs.index);
	free(rs.buf);
	free(rs.buf2);
	if (bk_status_emit(st, ex) != 0 && ex == BK_EXIT_OK)
		ex = BK_EXIT_FAIL;
	return ex;
}
