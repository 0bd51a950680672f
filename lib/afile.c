/*
 * afile.c - files that appear whole or not at all: write to a temporary
 * name in the same directory, fsync, rename (or link, to refuse to
 * clobber), fsync the directory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"

struct bk_afile {
	char *path;
	char *tmp;
	int fd;
	int noclobber;
};

/*
 * Only a regular file (or nothing) may stand at path: a rename would
 * replace a symlink, a device node or a FIFO (as root, -o /dev/stdout
 * would replace the system's link), and a directory cannot be replaced.
 */
static int
replaceable(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		warnp("stat %s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		warn0("%s: exists and is not a regular file; not replaced",
		    path);
		return -1;
	}
	return 0;
}

struct bk_afile *
bk_afile_open(const char *path, mode_t mode, int noclobber)
{
	struct bk_afile *af;
	size_t len = strlen(path) + sizeof(".tmp.XXXXXX");

	if (replaceable(path) != 0)
		return NULL;
	if ((af = calloc(1, sizeof(*af))) == NULL)
		goto err0;
	if ((af->path = strdup(path)) == NULL)
		goto err1;
	if ((af->tmp = malloc(len)) == NULL)
		goto err2;
	snprintf(af->tmp, len, "%s.tmp.XXXXXX", path);
	if ((af->fd = mkstemp(af->tmp)) == -1) {
		warnp("create temporary file for %s", path);
		goto err3;
	}
	if (fchmod(af->fd, mode) != 0) {
		warnp("chmod %s", af->tmp);
		goto err4;
	}
	af->noclobber = noclobber;
	return af;

err4:
	close(af->fd);
	unlink(af->tmp);
err3:
	free(af->tmp);
err2:
	free(af->path);
err1:
	free(af);
	return NULL;
err0:
	warnp("malloc");
	return NULL;
}

int
bk_afile_fd(const struct bk_afile *af)
{
	return af->fd;
}

int
bk_afile_write(struct bk_afile *af, const void *buf, size_t len)
{
	return bk_write_full(af->fd, buf, len, af->tmp);
}

static void
afile_free(struct bk_afile *af)
{
	free(af->path);
	free(af->tmp);
	free(af);
}

static int
fsync_parent(const char *path)
{
	char *copy;
	int dfd, rc = -1;

	if ((copy = strdup(path)) == NULL) {
		warnp("malloc");
		return -1;
	}
	if ((dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY)) == -1) {
		warnp("open directory of %s", path);
		goto done;
	}
	if (fsync(dfd) != 0 && errno != EINVAL)
		warnp("fsync directory of %s", path);
	else
		rc = 0;
	close(dfd);
done:
	free(copy);
	return rc;
}

/*
 * Rename that fails with EEXIST instead of replacing; falls back to
 * link+unlink where the filesystem lacks RENAME_NOREPLACE.
 */
static int
rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (link(from, to) != 0)
		return -1;
	unlink(from);
	return 0;
}

int
bk_afile_commit(struct bk_afile *af)
{
	int rc = -1;

	if (fsync(af->fd) != 0) {
		warnp("fsync %s", af->tmp);
		goto fail;
	}
	if (close(af->fd) != 0) {
		af->fd = -1;
		warnp("close %s", af->tmp);
		goto fail;
	}
	af->fd = -1;
	if (af->noclobber) {
		if (rename_noreplace(af->tmp, af->path) != 0) {
			if (errno == EEXIST)
				warn0("%s: already exists; not overwritten",
				    af->path);
			else
				warnp("rename %s to %s", af->tmp, af->path);
			goto fail;
		}
	} else if (replaceable(af->path) != 0) {
		goto fail;
	} else if (rename(af->tmp, af->path) != 0) {
		warnp("rename %s to %s", af->tmp, af->path);
		goto fail;
	}
	rc = fsync_parent(af->path);
	afile_free(af);
	return rc;
fail:
	bk_afile_abort(af);
	return -1;
}

void
bk_afile_abort(struct bk_afile *af)
{
	if (af == NULL)
		return;
	if (af->fd != -1)
		close(af->fd);
	unlink(af->tmp);
	afile_free(af);
}

int
bk_mkdir_parent(const char *path, mode_t mode)
{
	char *copy;
	const char *dir;
	int rc = 0;

	if ((copy = strdup(path)) == NULL) {
		warnp("malloc");
		return -1;
	}
	dir = dirname(copy);
	if (mkdir(dir, mode) != 0 && errno != EEXIST) {
		if (errno == ENOENT)
			warn0("%s: its parent directory does not exist (is the "
			    "store mounted?)", dir);
		else
			warnp("mkdir %s", dir);
		rc = -1;
	}
	free(copy);
	return rc;
}

int
bk_atomic_write(const char *path, const void *buf, size_t len, mode_t mode,
    int noclobber)
{
	struct bk_afile *af;

	if ((af = bk_afile_open(path, mode, noclobber)) == NULL)
		return -1;
	if (bk_afile_write(af, buf, len) != 0) {
		bk_afile_abort(af);
		return -1;
	}
	return bk_afile_commit(af);
}
