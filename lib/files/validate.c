/*
 * validate.c - bk-restore --files --validate: compare DIR with the
 * stream, one line on stdout a difference.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>


#include "bk.h"
#include "io/sha256.h"
#include "restorer.h"

/* One difference, on stdout: "PATH: WHAT". */
void
rs_differs(struct restorer *rs, const char *fmt, ...)
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
	unsigned char da[BK_SHA256_LEN], db[BK_SHA256_LEN];
	struct bk_sha256 *a = bk_sha256_new(), *b = bk_sha256_new();
	ssize_t n;
	int fd = -1, rc = -1;

	if (a == NULL || b == NULL) {
		rs_fail(rs, BK_FAIL);
		goto done;
	}
	if ((fd = openat(dirfd, leaf, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		rs_osfail(rs, "open");
		goto done;
	}
	while ((n = tar_read(rs->r, rs->buf, IOBUF)) > 0)
		if (bk_sha256_update(a, rs->buf, (size_t)n) != 0)
			break;
	if (n != 0) {	/* a bad stream (reported), or the hash failed */
		rs_fail(rs, n < 0 ? BK_NEGATIVE : BK_FAIL);
		goto done;
	}
	while ((n = read(fd, rs->buf2, IOBUF)) > 0)
		if (bk_sha256_update(b, rs->buf2, (size_t)n) != 0)
			break;
	if (n < 0) {
		rs_osfail(rs, "read");
		goto done;
	}
	if (n > 0 || bk_sha256_final(a, da) != 0 ||
	    bk_sha256_final(b, db) != 0) {
		rs_fail(rs, BK_FAIL);
		goto done;
	}
	if (memcmp(da, db, BK_SHA256_LEN) != 0)
		rs_differs(rs, "contents differ (SHA-256)");
	rc = 0;
done:
	if (fd != -1)
		close(fd);
	bk_sha256_free(a);
	bk_sha256_free(b);
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

	if (rs_normalize(rs->e.link, target, &why) != 0)
		return rs_refuse(rs, rs->e.path,
		    "hard link target outside DIR");
	errno = 0;
	if ((tfd = rs_open_parent_of(rs, target, &tleaf)) == -1) {
		if (errno != ENOENT)
			return -1;
		rs_differs(rs, "hard link target %s missing", target);
		return 0;
	}
	if (fstatat(tfd, tleaf, &ts, AT_SYMLINK_NOFOLLOW) != 0 ||
	    ts.st_ino != st->st_ino || ts.st_dev != st->st_dev)
		rs_differs(rs, "not a hard link to %s", target);
	close(tfd);
	return 0;
}

int
rs_validate_one(struct restorer *rs)
{
	const struct tar_entry *e = &rs->e;
	char target[TAR_PATH_MAX + 1];
	const char *leaf;
	struct stat st;
	ssize_t n;
	int dirfd;

	errno = 0;
	if ((dirfd = rs_parent_fd(rs, 0, 0, &leaf)) < 0) {
		if (errno != ENOENT)
			return -1;
		rs_differs(rs, "missing from %s", rs->o->dir);
		return 0;
	}
	if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno != ENOENT)
			return rs_osfail(rs, "stat");
		rs_differs(rs, "missing from %s", rs->o->dir);
		return 0;
	}
	if (e->type == TAR_HARD)
		return compare_hardlink(rs, &st);
	if (type_of(st.st_mode) != e->type) {
		rs_differs(rs, "type differs: stream %c, %s %c", e->type,
		    rs->o->dir, type_of(st.st_mode));
		return 0;
	}
	if (e->type != TAR_SYM && (st.st_mode & 07777) != e->mode)
		rs_differs(rs, "mode differs: stream %04o, %s %04o",
		    (unsigned)e->mode, rs->o->dir, (unsigned)(st.st_mode & 07777));
	if (st.st_mtim.tv_sec != e->mtime ||
	    st.st_mtim.tv_nsec != e->mtime_nsec)
		rs_differs(rs, "mtime differs: stream %" PRId64 ".%09ld, %s "
		    "%lld.%09ld", e->mtime, e->mtime_nsec, rs->o->dir,
		    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (e->type == TAR_SYM) {
		if ((n = readlinkat(dirfd, leaf, target,
		    sizeof(target) - 1)) < 0)
			return rs_osfail(rs, "readlink");
		target[n] = '\0';
		if (strcmp(target, e->link) != 0)
			rs_differs(rs, "symlink target differs: stream %s, %s %s",
			    e->link, rs->o->dir, target);
	}
	if (e->type != TAR_REG)
		return 0;
	if ((uint64_t)st.st_size != e->size) {
		rs_differs(rs, "size differs: stream %" PRIu64 ", %s %lld",
		    e->size, rs->o->dir, (long long)st.st_size);
		return 0;
	}
	rs->n.bytes += e->size;
	return compare_data(rs, dirfd, leaf);
}

/* "./": DIR's own permission bits (its mtime changes with every name). */
int
rs_validate_root(struct restorer *rs)
{
	struct stat st;

	if (fstat(rs->rootfd, &st) != 0)
		return rs_osfail(rs, "stat");
	if ((st.st_mode & 07777) != rs->e.mode) {
		snprintf(rs->path, sizeof(rs->path), ".");
		rs_differs(rs, "mode differs: stream %04o, %s %04o",
		    (unsigned)rs->e.mode, rs->o->dir,
		    (unsigned)(st.st_mode & 07777));
	}
	return 0;
}
