/*
 * dirs.c - bk-restore --files: directories get their mode and mtime at
 * the end, deepest first (a temporary file holds them, memory 32 bytes a
 * directory); an existing directory of ours that shuts us out is opened
 * to us meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bk.h"
#include "restorer.h"

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
			return rs_osfail(rs, "dup");
	} else if ((fd = rs_open_beneath(rs, path, 0, 1)) < 0)
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
		return rs_fail(rs, BK_FAIL);
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
		return rs_fail(rs, BK_NEGATIVE);
	}
	memset(&rec, 0, sizeof(rec));
	rec.sec = mtime->tv_sec;
	rec.nsec = (int32_t)mtime->tv_nsec;
	rec.mode = mode;
	rec.len = (uint32_t)strlen(path);
	if (fwrite(&rec, sizeof(rec), 1, d->f) != 1 ||
	    fwrite(path, 1, rec.len, d->f) != rec.len) {
		warnp("write the temporary file of directory modes");
		return rs_fail(rs, BK_FAIL);
	}
	if ((df = vec_push(&d->fix)) == NULL)
		return rs_fail(rs, BK_FAIL);
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
int
rs_defer_dir(struct restorer *rs)
{
	struct timespec mt;

	mt.tv_sec = (time_t)rs->e.mtime;
	mt.tv_nsec = rs->e.mtime_nsec;
	return defer_mode(rs, rs->path, rs_final_mode(rs, rs->e.mode), &mt);
}

/*
 * Not root: the existing directory comp (path dir up to len) in fd shuts
 * us out.  If it is ours, open it to us and give its mode back at the
 * end (unless the stream lists it, then it gets the stream's).  1 if it
 * was opened, 0 if not, -1 on error.
 */
int
rs_open_to_us(struct restorer *rs, int fd, const char *comp, const char *dir,
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
		return rs_osfail(rs, "chmod");
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
int
rs_fix_dirs(struct restorer *rs)
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
		return rs_fail(rs, BK_FAIL);
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
			return rs_fail(rs, BK_FAIL);
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

void
rs_dirs_free(struct dirstore *d)
{
	if (d->f != NULL)
		fclose(d->f);
	vec_free(&d->fix);
}
