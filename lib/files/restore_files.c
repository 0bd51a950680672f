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
#include <fnmatch.h>
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
#include "files.h"
#include "tar.h"
#include "vec.h"

#define IOBUF (256 * 1024)
#define INDEX_NAME ".bk-index"

#define PATHSET_MAX (16UL * 1024 * 1024)	/* paths in one set */
#define REPLACE_MAX 4096	/* directories waiting to become non-directories */

/*
 * A directory member whose mode and mtime are set at the end.  The name,
 * mode and mtime wait in a temporary file (struct dirrec, then the name);
 * memory holds 32 bytes a directory, whatever the length of its name.
 */
struct dirfix {
	unsigned char digest[STRSET_DIGEST];
	uint64_t off;		/* of its record in the file */
	uint32_t seq;		/* the later listing of a name wins */
	uint32_t depth;		/* components: deeper ones first */
};

struct dirrec {
	int64_t sec;
	int32_t nsec;
	uint32_t mode;
	uint32_t len;		/* of the name that follows ("" is DIR) */
};

struct dirstore {
	struct vec fix;		/* of struct dirfix */
	FILE *f;
	uint64_t off;
};

struct replacement {		/* a non-empty directory in a file's way */
	char *path;		/* the member's name */
	char tmp[64];		/* the member, ready, in the same directory */
	int type;
};

struct idcache {		/* owner name -> id, the last few */
	char name[16][64];
	unsigned long id[16];
	int found[16];
	int n;
	unsigned next;
};


struct restorer {
	const struct restore_files_opts *o;
	int rootfd;
	int isroot, no_openat2;
	struct tar_reader *r;
	struct bk_zreader *z;
	struct bk_progress *prog;
	struct tar_entry e;
	char path[TAR_PATH_MAX + 1];	/* the member's normalized name */
	char cachedir[TAR_PATH_MAX + 1];
	int cachefd;
	struct strset made;		/* non-directories extracted */
	struct strset skipped;		/* members left out (replace_dir) */
	struct idcache users, groups;
	long pid;
	struct strset index;		/* --delete: paths in .bk-index;
					   --validate: those and the members */
	int have_index;
	struct dirstore dirs;		/* modes and mtimes to set at the end */
	struct vec repl;		/* of struct replacement: --delete,
					   done after the deletions */
	unsigned char *buf, *buf2;
	unsigned tmpseq;
	uint64_t nfiles, ndirs_made, nsyms, nhard, nother, bytes, ndiff;
	uint64_t nskipped, ndeleted, nxskipped;
	int result;			/* of the first failure: BK_* */
	int incomplete;
};

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

/* Record the first failure's result (BK_FAIL or BK_NEGATIVE). */
static int
fail(struct restorer *rs, int result)
{
	if (rs->result == BK_OK)
		rs->result = result;
	return -1;
}

/* "<stdin>: member NAME at byte N: MSG; refused": BK_NEGATIVE. */
static int
refuse(struct restorer *rs, const char *name, const char *msg)
{
	char pname[TAR_PATH_MAX + 1];

	tar_printable(pname, sizeof(pname), name);
	warn0("<stdin>: member %s at byte %" PRIu64 ": %s; refused", pname,
	    tar_member_offset(rs->r), msg);
	return fail(rs, BK_NEGATIVE);
}

/* A failed system call on a member: reported, BK_FAIL. */
static int
osfail(struct restorer *rs, const char *what)
{
	warnp("%s/%s: %s", rs->o->dir, rs->path, what);
	return fail(rs, BK_FAIL);
}

/* ---- path sets ---- */

/*
 * Add path k to set s (a struct strset, lib/vec.h); 0, or -1 when out of
 * memory (BK_FAIL) or over the cap (a hostile stream: BK_NEGATIVE),
 * reported and recorded in rs.
 */
static int
set_add(struct restorer *rs, struct strset *s, const char *k)
{
	int rc = strset_add(s, k);

	if (rc == BK_NEGATIVE)
		warn0("<stdin>: more than %lu paths; refused (the cap of "
		    "bk-restore(1))", (unsigned long)PATHSET_MAX);
	return rc < 0 ? fail(rs, rc) : 0;
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

static int open_to_us(struct restorer *, int, const char *, const char *,
    size_t);

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
	int fd, nfd, rc;

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
		if (nfd == -1 && errno == EACCES && create) {
			if ((rc = open_to_us(rs, fd, comp, dir,
			    (size_t)(p - dir) - (q != NULL))) < 0) {
				close(fd);
				return -1;
			}
			if (rc == 1)
				nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
			else
				errno = EACCES;
		}
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

/* Forget the cached directory descriptor (its directory is going). */
static void
drop_cache(struct restorer *rs)
{
	if (rs->cachefd != -1)
		close(rs->cachefd);
	rs->cachefd = -1;
	rs->cachedir[0] = '\0';
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
	if (rs->o->numeric)
		return (uid_t)rs->e.uid;
	return (uid_t)name_to_id(&rs->users, rs->e.uname, rs->e.uid, 1);
}

static gid_t
owner_gid(struct restorer *rs)
{
	if (rs->o->numeric)
		return (gid_t)rs->e.gid;
	return (gid_t)name_to_id(&rs->groups, rs->e.gname, rs->e.gid, 0);
}

/*
 * The permission bits we set: all of them as root; otherwise all but
 * set-user-ID (the file is ours, not the stored owner's).  The kernel
 * itself drops set-group-ID on a file whose group we are not in.
 */
static mode_t
final_mode(const struct restorer *rs, mode_t m)
{
	return m & (rs->isroot ? 07777 : 07777 & ~S_ISUID);
}

/*
 * 1 if the extended attribute name is to be restored: user.* by default;
 * security.*, trusted.* and system.* (file capabilities, ACLs, labels)
 * only when asked for by --xattrs-all or --xattrs-include.
 */
static int
xattr_wanted(const struct restorer *rs, const char *name)
{
	int i;

	if (rs->o->xattrs_all)
		return 1;
	if (rs->o->nxpatterns == 0)
		return strncmp(name, "user.", 5) == 0;
	for (i = 0; i < rs->o->nxpatterns; i++)
		if (fnmatch(rs->o->xpatterns[i], name, 0) == 0)
			return 1;
	return 0;
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
		warnp("%s/%s: chown", rs->o->dir, rs->path);
		rs->incomplete = 1;
	}
	if (setmode && fchmod(fd, final_mode(rs, e->mode)) != 0) {
		warnp("%s/%s: chmod", rs->o->dir, rs->path);
		rs->incomplete = 1;
	}
	for (i = 0; i < e->nxattrs; i++) {
		if (!xattr_wanted(rs, e->xattrs[i].name)) {
			rs->nxskipped++;
			continue;
		}
		if (fsetxattr(fd, e->xattrs[i].name, e->xattrs[i].value,
		    e->xattrs[i].len, 0) != 0) {
			warnp("%s/%s: extended attribute %s", rs->o->dir, rs->path,
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
		warnp("%s/%s: set mtime", rs->o->dir, rs->path);
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
		warnp("%s/%s: chown", rs->o->dir, rs->path);
		rs->incomplete = 1;
	}
	if (setmode && fchmodat(dirfd, name, final_mode(rs, e->mode), 0) != 0) {
		warnp("%s/%s: chmod", rs->o->dir, rs->path);
		rs->incomplete = 1;
	}
	ts[0].tv_nsec = UTIME_OMIT;
	ts[0].tv_sec = 0;
	ts[1].tv_sec = (time_t)e->mtime;
	ts[1].tv_nsec = e->mtime_nsec;
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) != 0) {
		warnp("%s/%s: set mtime", rs->o->dir, rs->path);
		rs->incomplete = 1;
	}
}

/* ---- extraction ---- */

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
		drop_cache(rs);
		if (renameat(dirfd, tmp, dirfd, leaf) == 0)
			return set_add(rs, &rs->made, rs->path) == 0 ? 0 : -1;
		unlinkat(dirfd, tmp, 0);
		return osfail(rs, "rename into place");
	}
	if (errno != ENOTEMPTY && errno != EEXIST) {
		unlinkat(dirfd, tmp, 0);
		return osfail(rs, "remove the directory in the way");
	}
	if (!rs->o->delete) {
		unlinkat(dirfd, tmp, 0);
		warn0("%s/%s: a directory that is not empty; not replaced "
		    "(--delete with an incremental stream removes what it no "
		    "longer holds)", rs->o->dir, rs->path);
		rs->incomplete = 1;
		rs->nskipped++;
		return set_add(rs, &rs->skipped, rs->path) == 0 ? 1 : -1;
	}
	if ((r = replacement_of(rs, rs->path)) != NULL)
		unlinkat(dirfd, r->tmp, 0);	/* the later wins */
	else if (rs->repl.n == REPLACE_MAX) {
		unlinkat(dirfd, tmp, 0);
		warn0("<stdin>: more than %d directories to replace by "
		    "other members; refused", REPLACE_MAX);
		return fail(rs, BK_NEGATIVE);
	} else if ((r = vec_push(&rs->repl)) == NULL) {
		unlinkat(dirfd, tmp, 0);
		return fail(rs, BK_FAIL);
	} else if ((r->path = strdup(rs->path)) == NULL) {
		warnp("malloc");
		rs->repl.n--;
		unlinkat(dirfd, tmp, 0);
		return fail(rs, BK_FAIL);
	}
	snprintf(r->tmp, sizeof(r->tmp), "%s", tmp);
	r->type = rs->e.type;
	/* A hard link may name it: extract_link finds its temporary. */
	return set_add(rs, &rs->made, rs->path) == 0 ? 2 : -1;
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
		return set_add(rs, &rs->made, rs->path);	/* 0 or -1 */
	}
	rc = errno;
	if (rs->o->overwrite && (rc == EISDIR || rc == ENOTEMPTY || rc == EEXIST))
		return replace_dir(rs, dirfd, tmp, leaf);
	unlinkat(dirfd, tmp, 0);
	if (rc == EEXIST) {
		warn0("%s/%s: exists; not overwritten (use --overwrite)",
		    rs->o->dir, rs->path);
		rs->incomplete = 1;
		rs->nskipped++;
		/* Still a member seen under a safe name: links may use it. */
		return set_add(rs, &rs->made, rs->path) == 0 ? 1 : -1;
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
			return fail(rs, BK_FAIL);
		off += (uint64_t)n;
		rs->bytes += (uint64_t)n;
	}
	if (n < 0)
		return fail(rs, BK_NEGATIVE);
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
	if (rs->o->dofsync && fsync(fd) != 0) {
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

/* ---- directories: created open to us, final mode and time last ---- */

/* Set the mode and mtime of the directory path (DIR itself for ""). */
static int
apply_dir(struct restorer *rs, const char *path, mode_t mode,
    const struct timespec *mtime)
{
	struct timespec ts[2];
	int fd;

	snprintf(rs->path, sizeof(rs->path), "%s", path);
	rs->e.path = rs->path;
	if (path[0] == '\0') {
		if ((fd = dup(rs->rootfd)) == -1)
			return osfail(rs, "dup");
	} else if ((fd = open_beneath(rs, path, 0, 1)) < 0)
		return -1;
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = *mtime;
	/* As for files: an attribute that cannot be set is a warning. */
	if (fchmod(fd, mode) != 0 || futimens(fd, ts) != 0) {
		warnp("%s%s%s: set mode and mtime", rs->o->dir,
		    path[0] != '\0' ? "/" : "", path);
		rs->incomplete = 1;
	}
	close(fd);
	return 0;
}

/*
 * The temporary file of the directory records: unnamed, on DIR's file
 * system (O_TMPFILE), or tmpfile(3) where that is not supported.
 */
static int
dirs_open(struct restorer *rs)
{
	int fd;

	fd = openat(rs->rootfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd != -1 && (rs->dirs.f = fdopen(fd, "w+")) == NULL)
		close(fd);
	if (rs->dirs.f == NULL && (rs->dirs.f = tmpfile()) == NULL) {
		warnp("temporary file for directory modes");
		return fail(rs, BK_FAIL);
	}
	return 0;
}

/* The directory path gets mode and mtime at the end. */
static int
defer_mode(struct restorer *rs, const char *path, mode_t mode,
    const struct timespec *mtime)
{
	struct dirstore *d = &rs->dirs;
	struct dirrec rec;
	struct dirfix *df;
	const char *p;

	if (d->f == NULL && dirs_open(rs) != 0)
		return -1;
	if (d->fix.n == PATHSET_MAX) {
		warn0("<stdin>: more than %lu directories; refused (the cap "
		    "of bk-restore(1))", (unsigned long)PATHSET_MAX);
		return fail(rs, BK_NEGATIVE);
	}
	memset(&rec, 0, sizeof(rec));
	rec.sec = mtime->tv_sec;
	rec.nsec = (int32_t)mtime->tv_nsec;
	rec.mode = mode;
	rec.len = (uint32_t)strlen(path);
	if (fwrite(&rec, sizeof(rec), 1, d->f) != 1 ||
	    fwrite(path, 1, rec.len, d->f) != rec.len) {
		warnp("write the temporary file of directory modes");
		return fail(rs, BK_FAIL);
	}
	if ((df = vec_push(&d->fix)) == NULL)
		return fail(rs, BK_FAIL);
	strset_digest(path, df->digest);
	df->off = d->off;
	df->seq = (uint32_t)(d->fix.n - 1);
	df->depth = path[0] != '\0';
	for (p = path; *p != '\0'; p++)
		df->depth += *p == '/';
	d->off += sizeof(rec) + rec.len;
	return 0;
}

/* A directory member at rs->path: its mode and mtime, for the end. */
static int
defer_dir(struct restorer *rs)
{
	struct timespec mt;

	mt.tv_sec = (time_t)rs->e.mtime;
	mt.tv_nsec = rs->e.mtime_nsec;
	return defer_mode(rs, rs->path, final_mode(rs, rs->e.mode), &mt);
}

/*
 * Not root: the existing directory comp (path dir up to len) in fd shuts
 * us out.  If it is ours, open it to us and give its mode back at the
 * end (unless the stream lists it, then it gets the stream's).  1 if it
 * was opened, 0 if not, -1 on error.
 */
static int
open_to_us(struct restorer *rs, int fd, const char *comp, const char *dir,
    size_t len)
{
	char path[TAR_PATH_MAX + 1];
	struct stat st;

	if (rs->isroot || fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0700) == 0700)
		return 0;
	memcpy(path, dir, len);
	path[len] = '\0';
	if (defer_mode(rs, path, st.st_mode & 07777, &st.st_mtim) != 0)
		return -1;
	if (fchmodat(fd, comp, (st.st_mode & 07777) | 0700, 0) != 0)
		return osfail(rs, "chmod");
	return 1;
}

/* Deeper first; one name's listings together, the last one first. */
static int
cmp_dirfix(const void *a, const void *b)
{
	const struct dirfix *x = a, *y = b;
	int c;

	if (x->depth != y->depth)
		return x->depth < y->depth ? 1 : -1;
	if ((c = memcmp(x->digest, y->digest, STRSET_DIGEST)) != 0)
		return c;
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

/*
 * At the end: set the directories' modes and mtimes, every one after
 * all that is beneath it (so a mode without owner write or search, 000
 * even, never shuts us out), each from its last listing (as GNU tar).
 */
static int
fix_dirs(struct restorer *rs)
{
	struct dirstore *d = &rs->dirs;
	struct dirfix *v = d->fix.v;
	struct dirrec rec;
	struct timespec mt;
	size_t i;

	if (d->fix.n == 0)
		return 0;
	if (fflush(d->f) != 0) {
		warnp("write the temporary file of directory modes");
		return fail(rs, BK_FAIL);
	}
	qsort(v, d->fix.n, sizeof(*v), cmp_dirfix);
	for (i = 0; i < d->fix.n; i++) {
		if (i > 0 && v[i].depth == v[i - 1].depth &&
		    memcmp(v[i].digest, v[i - 1].digest, STRSET_DIGEST) == 0)
			continue;	/* an earlier listing */
		if (pread(fileno(d->f), &rec, sizeof(rec), (off_t)v[i].off)
		    != (ssize_t)sizeof(rec) || rec.len > TAR_PATH_MAX ||
		    pread(fileno(d->f), rs->buf, rec.len,
		    (off_t)(v[i].off + sizeof(rec))) != (ssize_t)rec.len) {
			warnp("read the temporary file of directory modes");
			return fail(rs, BK_FAIL);
		}
		rs->buf[rec.len] = '\0';
		mt.tv_sec = (time_t)rec.sec;
		mt.tv_nsec = rec.nsec;
		if (apply_dir(rs, (const char *)rs->buf, (mode_t)rec.mode,
		    &mt) != 0)
			return -1;
	}
	return 0;
}

static void
dirs_free(struct dirstore *d)
{
	if (d->f != NULL)
		fclose(d->f);
	vec_free(&d->fix);
}

static int
extract_dir(struct restorer *rs, int dirfd, const char *leaf)
{
	struct stat st;
	int fd;

	if (mkdirat(dirfd, leaf, 0700) != 0) {
		if (errno != EEXIST)
			return osfail(rs, "mkdir");
		if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return osfail(rs, "stat");
		if (!S_ISDIR(st.st_mode) && !rs->o->overwrite)
			return refuse(rs, rs->e.path, "a non-directory of that "
			    "name exists (--overwrite replaces it)");
		if (!S_ISDIR(st.st_mode)) {
			/* --overwrite: a file, link or device gives way. */
			if (unlinkat(dirfd, leaf, 0) != 0)
				return osfail(rs, "remove to make a directory");
			if (mkdirat(dirfd, leaf, 0700) != 0)
				return osfail(rs, "mkdir");
		}
	}
	/* Not root: keep it open to us until its final mode is set. */
	if (!rs->isroot && fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    (st.st_mode & 0700) != 0700 &&
	    fchmodat(dirfd, leaf, (st.st_mode & 07777) | 0700, 0) != 0)
		return osfail(rs, "chmod");
	if ((fd = openat(dirfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return osfail(rs, "open directory");
	set_attrs_fd(rs, fd, 0);
	close(fd);
	if (defer_dir(rs) != 0)
		return -1;
	rs->ndirs_made++;
	return 0;
}

/* "./": DIR itself gets the member's owner, attributes, mode and mtime. */
static int
extract_root(struct restorer *rs)
{
	struct stat st;

	if (!rs->isroot && fstat(rs->rootfd, &st) == 0 &&
	    (st.st_mode & 0700) != 0700 &&
	    fchmod(rs->rootfd, (st.st_mode & 07777) | 0700) != 0)
		return osfail(rs, "chmod");
	set_attrs_fd(rs, rs->rootfd, 0);
	if (defer_dir(rs) != 0)
		return -1;
	rs->ndirs_made++;	/* counted as bk-dump counts it */
	return 0;
}

static int
extract_link(struct restorer *rs, int dirfd, const char *leaf)
{
	char target[TAR_PATH_MAX + 1], tmp[64];
	const char *why, *tleaf;
	struct replacement *r;
	int tfd, rc;

	if (normalize(rs->e.link, target, &why) != 0)
		return refuse(rs, rs->e.path, "hard link target outside DIR");
	if (!strset_has(&rs->made, target) &&
	    strset_has(&rs->skipped, target)) {
		warn0("%s/%s: hard link to %s, which was skipped; skipped",
		    rs->o->dir, rs->path, target);
		rs->incomplete = 1;
		rs->nskipped++;
		return 0;
	}
	if (!strset_has(&rs->made, target))
		return refuse(rs, rs->e.path,
		    "hard link to a member not extracted before it");
	if ((tfd = open_parent_of(rs, target, &tleaf)) == -1)
		return fail(rs, BK_FAIL);
	/* A target waiting for --delete (replace_dir) is its temporary. */
	if ((r = replacement_of(rs, target)) != NULL)
		tleaf = r->tmp;
	tmp_name(rs, tmp, sizeof(tmp));
	rc = linkat(tfd, tleaf, dirfd, tmp, 0);
	close(tfd);
	if (rc != 0)
		return osfail(rs, "hard link");
	if ((rc = commit_name(rs, dirfd, tmp, leaf)) == 0)
		rs->nhard++;
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

	set_attrs_at(rs, dirfd, tmp, setmode);
	if ((rc = commit_name(rs, dirfd, tmp, leaf)) == 0)
		(*count)++;
	return rc < 0 ? -1 : 0;
}

static int
extract_symlink(struct restorer *rs, int dirfd, const char *leaf)
{
	char tmp[64];

	if (rs->e.link[0] == '\0')
		return refuse(rs, rs->e.path, "symlink with an empty target");
	tmp_name(rs, tmp, sizeof(tmp));
	if (symlinkat(rs->e.link, dirfd, tmp) != 0)
		return osfail(rs, "symlink");
	return commit_counted(rs, dirfd, tmp, leaf, 0, &rs->nsyms);
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
		return osfail(rs, "mknod");
	return commit_counted(rs, dirfd, tmp, leaf, 1, &rs->nother);
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
		fail(rs, BK_FAIL);
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
		fail(rs, BK_NEGATIVE);
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
		differs(rs, "missing from %s", rs->o->dir);
		return 0;
	}
	if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT)
			return osfail(rs, "stat");
		differs(rs, "missing from %s", rs->o->dir);
		return 0;
	}
	if (e->type == TAR_HARD)
		return compare_hardlink(rs, &st);
	if (type_of(st.st_mode) != e->type) {
		differs(rs, "type differs: stream %c, %s %c", e->type, rs->o->dir,
		    type_of(st.st_mode));
		return 0;
	}
	if (e->type != TAR_SYM && (st.st_mode & 07777) != e->mode)
		differs(rs, "mode differs: stream %04o, %s %04o",
		    (unsigned)e->mode, rs->o->dir, (unsigned)(st.st_mode & 07777));
	if (st.st_mtim.tv_sec != e->mtime ||
	    st.st_mtim.tv_nsec != e->mtime_nsec)
		differs(rs, "mtime differs: stream %" PRId64 ".%09ld, %s "
		    "%lld.%09ld", e->mtime, e->mtime_nsec, rs->o->dir,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (e->type == TAR_SYM) {
		if ((n = readlinkat(dirfd, leaf, target, sizeof(target) - 1)) < 0)
			return osfail(rs, "readlink");
		target[n] = '\0';
		if (strcmp(target, e->link) != 0)
			differs(rs, "symlink target differs: stream %s, %s %s",
			    e->link, rs->o->dir, target);
	}
	if (e->type != TAR_REG)
		return 0;
	if ((uint64_t)st.st_size != e->size) {
		differs(rs, "size differs: stream %" PRIu64 ", %s %lld",
		    e->size, rs->o->dir, (long long)st.st_size);
		return 0;
	}
	rs->bytes += e->size;
	return compare_data(rs, dirfd, leaf);
}

/* "./": DIR's own permission bits (its mtime changes with every name). */
static int
validate_root(struct restorer *rs)
{
	struct stat st;

	if (fstat(rs->rootfd, &st) != 0)
		return osfail(rs, "stat");
	if ((st.st_mode & 07777) != rs->e.mode) {
		snprintf(rs->path, sizeof(rs->path), ".");
		differs(rs, "mode differs: stream %04o, %s %04o",
		    (unsigned)rs->e.mode, rs->o->dir,
		    (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

/* ---- --delete ---- */

/*
 * --validate: the index lists name, which was not a member: DIR must
 * have it.  rs->path is clobbered.
 */
static int
check_listed(struct restorer *rs, const char *name)
{
	const char *leaf;
	struct stat st;
	int dirfd;

	snprintf(rs->path, sizeof(rs->path), "%s", name);
	errno = 0;
	if ((dirfd = parent_fd(rs, 0, 0, &leaf)) < 0) {
		if (errno != ENOENT)
			return -1;
	} else if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	else if (errno != ENOENT)
		return osfail(rs, "stat");
	differs(rs, "missing from %s (listed in the stream's index)", rs->o->dir);
	return 0;
}

/* One name of the index: into rs->index (and checked, --validate). */
static int
index_name(struct restorer *rs, const char *raw)
{
	char name[TAR_PATH_MAX + 1];
	const char *why;

	if (normalize(raw, name, &why) != 0 || name[0] == '\0')
		return refuse(rs, INDEX_NAME, "a name in the index is not a "
		    "safe relative path");
	if (rs->o->validate && !strset_has(&rs->index, name) &&
	    check_listed(rs, name) != 0)
		return -1;
	return set_add(rs, &rs->index, name);
}

/*
 * Read the .bk-index member into rs->index, a name at a time: memory is
 * one name, however large the index.
 */
static int
load_index(struct restorer *rs)
{
	char name[TAR_PATH_MAX + 1];
	size_t len = 0;
	ssize_t n, i;

	while ((n = tar_read(rs->r, rs->buf, IOBUF)) > 0) {
		for (i = 0; i < n; i++) {
			if (rs->buf[i] != '\0') {
				if (len == TAR_PATH_MAX)
					return refuse(rs, INDEX_NAME, "a name "
					    "in the index is longer than the "
					    "cap");
				name[len++] = (char)rs->buf[i];
				continue;
			}
			name[len] = '\0';
			len = 0;
			if (index_name(rs, name) != 0)
				return -1;
		}
	}
	if (n < 0)
		return fail(rs, BK_NEGATIVE);
	if (len > 0)
		return refuse(rs, INDEX_NAME, "the index does not end with "
		    "a NUL byte");
	rs->have_index = 1;
	return 0;
}

static int prune_dir(struct restorer *, int, size_t);

/* prune_dir of the subdirectory name of fd (rs->path).  0 or -1. */
static int
prune_sub(struct restorer *rs, int fd, const char *name)
{
	int sub, rc;

	if ((sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return osfail(rs, "open directory");
	rc = prune_dir(rs, sub, strlen(rs->path));
	close(sub);
	return rc;
}

/* Remove what is in the directory open on fd (path rs->path) and not in
 * the index; recursion goes by descriptors, never through symlinks. */
static int
prune_entry(struct restorer *rs, int fd, const char *name, size_t base)
{
	struct stat st;

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
	if (!strset_has(&rs->index, rs->path) && rs->o->validate) {
		differs(rs, "in %s, not in the stream", rs->o->dir);
	} else if (!strset_has(&rs->index, rs->path)) {
		/* Not root: a directory of ours that shuts us out, going. */
		if (S_ISDIR(st.st_mode) && !rs->isroot &&
		    st.st_uid == geteuid() && (st.st_mode & 0700) != 0700 &&
		    fchmodat(fd, name, (st.st_mode & 07777) | 0700, 0) != 0)
			return osfail(rs, "chmod");
		if (S_ISDIR(st.st_mode) && prune_sub(rs, fd, name) != 0)
			return -1;
		if (unlinkat(fd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0)
		    != 0)
			return osfail(rs, "remove");
		rs->ndeleted++;
	} else if (S_ISDIR(st.st_mode) && prune_sub(rs, fd, name) != 0)
		return -1;
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

/*
 * --delete: the members that wait for a directory in their way
 * (replace_dir).  The deletions emptied it if the stream's index agreed;
 * otherwise the member is skipped with a warning.
 */
static int
finish_replacements(struct restorer *rs)
{
	struct replacement *r;
	const char *leaf;
	int dirfd;
	size_t i;

	drop_cache(rs);
	for (i = 0; i < rs->repl.n; i++) {
		r = vec_at(&rs->repl, i);
		snprintf(rs->path, sizeof(rs->path), "%s", r->path);
		if ((dirfd = parent_fd(rs, 0, 1, &leaf)) < 0)
			return -1;
		if (unlinkat(dirfd, leaf, AT_REMOVEDIR) != 0 &&
		    errno != ENOENT) {
			warnp("%s/%s: the directory in the way of a member "
			    "was not emptied by --delete; not replaced", rs->o->dir,
			    rs->path);
			unlinkat(dirfd, r->tmp, 0);
			r->tmp[0] = '\0';
			rs->incomplete = 1;
			rs->nskipped++;
			continue;
		}
		if (renameat(dirfd, r->tmp, dirfd, leaf) != 0)
			return osfail(rs, "rename into place");
		r->tmp[0] = '\0';
		if (set_add(rs, &rs->made, rs->path) != 0)
			return -1;
		*(r->type == TAR_REG ? &rs->nfiles : r->type == TAR_SYM ?
		    &rs->nsyms : r->type == TAR_HARD ? &rs->nhard :
		    &rs->nother) += 1;
	}
	return 0;
}

/* Remove the temporaries of members still waiting (after a failure). */
static void
drop_replacements(struct restorer *rs)
{
	struct replacement *r;
	const char *leaf;
	size_t i;
	int dirfd;

	for (i = 0; i < rs->repl.n; i++) {
		r = vec_at(&rs->repl, i);
		snprintf(rs->path, sizeof(rs->path), "%s", r->path);
		if (r->tmp[0] != '\0' && rs->rootfd != -1 &&
		    (dirfd = parent_fd(rs, 0, 0, &leaf)) >= 0)
			unlinkat(dirfd, r->tmp, 0);
		free(r->path);
	}
	vec_free(&rs->repl);
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

	if (normalize(rs->e.path, rs->path, &why) != 0)
		return refuse(rs, rs->e.path, why);
	if (rs->path[0] == '\0' && rs->e.type != TAR_DIR)
		return refuse(rs, rs->e.path, "empty name");
	if (rs->path[0] == '\0' && !rs->o->dryrun)	/* "./": DIR itself */
		return rs->o->validate ? validate_root(rs) : extract_root(rs);
	if (rs->e.type == TAR_HARD && normalize(rs->e.link, where, &why) != 0)
		return refuse(rs, rs->e.path, "hard link target outside DIR");
	if (strcmp(rs->path, INDEX_NAME) == 0 && rs->e.type == TAR_REG)
		return (rs->o->delete && !rs->o->dryrun) || rs->o->validate ?
		    load_index(rs) : 0;
	if (rs->o->dryrun) {
		list_one(rs);
		return 0;
	}
	if (rs->o->validate) {
		/* Remember the member, to find what DIR has beyond it. */
		if (set_add(rs, &rs->index, rs->path) != 0)
			return -1;
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

/* Read the stream to its end: BK_OK, BK_NEGATIVE or BK_FAIL. */
static int
run(struct restorer *rs)
{
	int rc;

	while ((rc = tar_next(rs->r, &rs->e)) == 1)
		if (one_member(rs) != 0)
			return rs->result;
	if (rc < 0)
		return fail(rs, tar_reader_empty(rs->r) ? BK_FAIL :
		    BK_NEGATIVE), rs->result;
	/* What DIR holds beyond the stream (or its index) is a difference. */
	if (rs->o->validate) {
		rs->path[0] = '\0';
		if (prune_dir(rs, rs->rootfd, 0) != 0)
			return rs->result;
	}
	/* Deletions first: they change the mtimes of their directories. */
	if (rs->o->delete && !rs->o->dryrun && !rs->o->validate) {
		if (!rs->have_index) {
			warn0("<stdin>: --delete: the stream has no %s "
			    "(not written by bk-dump --since)", INDEX_NAME);
			return fail(rs, BK_NEGATIVE), rs->result;
		}
		rs->path[0] = '\0';
		if (prune_dir(rs, rs->rootfd, 0) != 0 ||
		    finish_replacements(rs) != 0)
			return rs->result;
	}
	if (!rs->o->dryrun && !rs->o->validate && fix_dirs(rs) != 0)
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
	if (!rs->o->dryrun && !rs->o->validate && mkdir(rs->o->dir, 0755) != 0 &&
	    errno != EEXIST) {
		warnp("mkdir %s", rs->o->dir);
		return -1;
	}
	if ((rs->rootfd = open(rs->o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		warnp("%s", rs->o->dir);
		return -1;
	}
	return 0;
}

static void
report(struct restorer *rs, struct bk_status *st, int rc)
{
	char b[32];

	bk_fmt_bytes(b, sizeof(b), (double)rs->bytes);
	if (rs->o->verbose || rs->o->progress)
		fprintf(stderr, "%s: %s: %" PRIu64 " files (%s), %" PRIu64
		    " directories, %" PRIu64 " symlinks, %" PRIu64
		    " hard links, %" PRIu64 " other, %" PRIu64 " skipped%s\n",
		    bk_progname(), rs->o->dir, rs->nfiles, b, rs->ndirs_made,
		    rs->nsyms, rs->nhard, rs->nother, rs->nskipped,
		    rc == BK_OK && !rs->incomplete ? "" : "; NOT COMPLETE");
	if (rs->o->validate && rs->ndiff > 0)
		warn0("%s: %" PRIu64 " differences from the stream", rs->o->dir,
		    rs->ndiff);
	bk_status_str(st, "mode", rs->o->validate ? "validate" : rs->o->dryrun ?
	    "dry-run" : "files");
	bk_status_str(st, "target", rs->o->dir);
	bk_status_int(st, "files", (int64_t)rs->nfiles);
	bk_status_int(st, "directories", (int64_t)rs->ndirs_made);
	bk_status_int(st, "symlinks", (int64_t)rs->nsyms);
	bk_status_int(st, "hardlinks", (int64_t)rs->nhard);
	bk_status_int(st, "other", (int64_t)rs->nother);
	bk_status_int(st, "bytes", (int64_t)rs->bytes);
	bk_status_int(st, "skipped", (int64_t)rs->nskipped);
	if (rs->o->validate)
		bk_status_int(st, "differences", (int64_t)rs->ndiff);
	if (rs->o->delete)
		bk_status_int(st, "deleted", (int64_t)rs->ndeleted);
	bk_status_int(st, "xattrs_skipped", (int64_t)rs->nxskipped);
}

int
restore_files_run(const struct restore_files_opts *o, struct bk_status *st,
    int *incomplete)
{
	struct restorer rs;
	int rc = BK_FAIL;

	memset(&rs, 0, sizeof(rs));
	rs.o = o;
	rs.rootfd = rs.cachefd = -1;
	rs.isroot = geteuid() == 0;
	rs.pid = (long)getpid();
	vec_init(&rs.dirs.fix, sizeof(struct dirfix));
	vec_init(&rs.repl, sizeof(struct replacement));
	strset_init(&rs.made, PATHSET_MAX);
	strset_init(&rs.skipped, PATHSET_MAX);
	strset_init(&rs.index, PATHSET_MAX);
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
	tar_reader_free(rs.r);
	bk_zreader_free(rs.z);
	drop_replacements(&rs);
	if (rs.cachefd != -1)
		close(rs.cachefd);
	if (rs.rootfd != -1)
		close(rs.rootfd);
	dirs_free(&rs.dirs);
	strset_free(&rs.made);
	strset_free(&rs.skipped);
	strset_free(&rs.index);
	free(rs.buf);
	free(rs.buf2);
	return rc;
}
