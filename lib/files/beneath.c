/*
 * beneath.c - bk-restore --files: member names and the directories on
 * their way, opened beneath DIR without following a symlink (openat2
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or openat O_NOFOLLOW one component
 * at a time where openat2 is missing), with a cache of the last one.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bk.h"
#include "restorer.h"

/*
 * Normalize a member name into out: drop "." and empty components and a
 * leading "./"; refuse absolute names and "..".  "" is DIR itself.
 * Returns 0, or -1 with *why set.
 */
int
rs_normalize(const char *in, char *out, const char **why)
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
int
rs_open_beneath(struct restorer *rs, const char *dir, int create, int report)
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
		return rs_osfail(rs, "dup");
	while (*p != '\0') {
		q = strchr(p, '/');
		len = q ? (size_t)(q - p) : strlen(p);
		memcpy(comp, p, len);
		comp[len] = '\0';
		p += len + (q != NULL);
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd == -1 && errno == EACCES && create) {
			if ((rc = rs_open_to_us(rs, fd, comp, dir,
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
				return rs_osfail(rs, "mkdir");
			}
			nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd == -1) {
			int saved = errno;

			if ((saved == ELOOP || saved == ENOTDIR) &&
			    fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0) {
				close(fd);
				return rs_refuse(rs, rs->e.path, S_ISLNK(st.st_mode) ?
				    "path goes through a symlink" :
				    "path goes through a non-directory");
			}
			close(fd);
			errno = saved;
			if (saved == ENOENT && !report)
				return -1;
			return rs_osfail(rs, "open directory");
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
int
rs_parent_fd(struct restorer *rs, int create, int report, const char **leaf)
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
	fd = rs_open_beneath(rs, rs->path, create, report);
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
void
rs_drop_cache(struct restorer *rs)
{
	if (rs->cachefd != -1)
		close(rs->cachefd);
	rs->cachefd = -1;
	rs->cachedir[0] = '\0';
}

/* Split path into a new directory descriptor and its leaf (hard links). */
int
rs_open_parent_of(struct restorer *rs, char *path, const char **leaf)
{
	char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL) {
		*leaf = path;
		return dup(rs->rootfd);
	}
	*slash = '\0';
	fd = rs_open_beneath(rs, path, 0, 1);
	*slash = '/';
	*leaf = slash + 1;
	return fd;
}
