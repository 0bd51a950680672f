/*
 * store/file.c - the file:// driver: a local or NAS directory.  Objects
 * are regular files, written under a temporary name and renamed into
 * place (never half there); a listing reads one directory.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "bk.h"
#include "io/sha256.h"
#include "vec.h"
#include "store/driver.h"

#define READ_BUF (256 * 1024)

static int
file_parse(struct store_url *u, char *rest, char *query, const char *url,
    int need_key)
{
	if (strncmp(rest, "localhost/", 10) == 0)
		rest += 9;
	if (*rest != '/') {
		warn0("%s: a file URL is file:///absolute/path", url);
		return -1;
	}
	if ((u->key = strdup(rest)) == NULL ||
	    (u->base = strdup("file://")) == NULL) {
		warnp("malloc");
		return -1;
	}
	if (store_pct_decode(u->key) != 0) {
		warn0("%s: bad %%-escape in the path", url);
		return -1;
	}
	/* The leading "/" of the absolute path is no segment. */
	if (u->key[1] != '\0' && store_key_check(u->key + 1) != 0) {
		warn0("%s: a path with a \".\", \"..\" or empty segment names "
		    "another file", url);
		return -1;
	}
	if (need_key && u->key[strlen(u->key) - 1] == '/') {
		warn0("%s: names a directory, not a file", url);
		return -1;
	}
	if (query != NULL) {
		warn0("%s: a file URL takes no settings", url);
		return -1;
	}
	return 0;
}

static void
file_conf_free(void *conf)
{
	(void)conf;
}

static int
file_open(struct store *s)
{
	(void)s;
	return 0;
}

static void
file_close(struct store *s)
{
	(void)s;
}

static int
file_head(struct store *s, const char *key, int *exists, uint64_t *size)
{
	struct stat st;

	(void)s;
	*exists = 0;
	*size = 0;
	if (stat(key, &st) == 0) {
		*exists = 1;
		*size = (uint64_t)st.st_size;
		return BK_OK;
	}
	if (errno == ENOENT)
		return BK_OK;
	warnp("stat %s", key);
	return BK_FAIL;
}

/* Hash what remains of fd into c; 0 at the end, -1 (reported). */
static int
hash_fd(struct bk_sha256 *c, int fd, const char *path)
{
	unsigned char *buf;
	ssize_t n;

	if ((buf = malloc(READ_BUF)) == NULL) {
		warnp("malloc");
		return -1;
	}
	while ((n = bk_read_full(fd, buf, READ_BUF, path)) > 0)
		if (bk_sha256_update(c, buf, (size_t)n) != 0) {
			n = -1;
			break;
		}
	free(buf);
	return n == 0 ? 0 : -1;
}

static int
file_digest(struct store *s, const char *path, unsigned char sha[32],
    int *known)
{
	struct bk_sha256 *c;
	int fd, rc = BK_FAIL;

	(void)s;
	if ((fd = bk_open_regular(path, 0, "object")) == -1)
		return BK_FAIL;
	if ((c = bk_sha256_new()) == NULL || hash_fd(c, fd, path) != 0 ||
	    bk_sha256_final(c, sha) != 0)
		goto out;
	*known = 1;
	rc = BK_OK;
out:
	bk_sha256_free(c);
	close(fd);
	return rc;
}

/* Deliver fd from *offset on to sink; BK_OK at its end. */
static int
send_fd(int fd, const char *path, store_sink_fn *sink, void *arg,
    uint64_t *offset)
{
	unsigned char *buf;
	ssize_t n = -1;

	if (*offset > 0 && lseek(fd, (off_t)*offset, SEEK_SET) < 0) {
		warnp("seek %s", path);
		return BK_FAIL;
	}
	if ((buf = malloc(READ_BUF)) == NULL) {
		warnp("malloc");
		return BK_FAIL;
	}
	while ((n = bk_read_full(fd, buf, READ_BUF, path)) > 0) {
		if (sink(buf, (size_t)n, arg) != 0) {
			n = -1;
			break;
		}
		*offset += (uint64_t)n;
	}
	free(buf);
	return n == 0 ? BK_OK : BK_FAIL;
}

static int
file_get(struct store *s, const char *path, const char *vid,
    store_sink_fn *sink, void *arg, uint64_t *offset, int64_t size,
    int *archived)
{
	uint64_t have;
	int fd, rc = BK_FAIL;

	(void)archived;
	if (vid != NULL) {
		warn0("%s: a file store keeps no versions", s->u.url);
		return BK_FAIL;
	}
	if ((fd = bk_open_regular(path, 0, "object")) == -1)
		return BK_FAIL;
	if (size >= 0 && (have = bk_fd_size(fd)) != (uint64_t)size) {
		warn0("%s: the file is %llu bytes, its manifest says %lld",
		    path, (unsigned long long)have, (long long)size);
		goto out;
	}
	if ((rc = send_fd(fd, path, sink, arg, offset)) == BK_OK &&
	    size >= 0 && *offset != (uint64_t)size) {
		warn0("%s: changed while read: %llu bytes, its manifest says "
		    "%lld", path, (unsigned long long)*offset, (long long)size);
		rc = BK_FAIL;
	}
out:
	close(fd);
	return rc;
}

/* A sidecar or manifest in a directory: a FIFO there never blocks. */
static int
file_get_small(struct store *s, const char *path, size_t max, char **buf,
    size_t *len)
{
	(void)s;
	if ((*buf = bk_read_small_file(path, max, len, "file")) == NULL)
		return errno == EFBIG || errno == EILSEQ ? BK_NEGATIVE :
		    BK_FAIL;
	return BK_OK;
}

static int
file_put_small(struct store *s, const char *path, const void *buf,
    size_t len, int noclobber, const char *content_type)
{
	(void)s;
	(void)content_type;
	return bk_atomic_write(path, buf, len, 0640, noclobber) == 0 ?
	    BK_OK : BK_FAIL;
}

/* Call fn for dir/name if it is a regular file. */
static int
list_one(const char *dir, const char *name, store_list_fn *fn, void *arg)
{
	struct store_obj o;
	struct stat st;
	char *path;
	int rc = BK_OK;

	if (asprintf(&path, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
	    name) < 0) {
		warnp("malloc");
		return BK_FAIL;
	}
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
		o = (struct store_obj){ path, (uint64_t)st.st_size,
		    (int64_t)st.st_mtime, "FILE", NULL };
		rc = fn(&o, arg);
	}
	free(path);
	return rc;
}

static int
file_list(struct store *s, const char *prefix, store_list_fn *fn, void *arg)
{
	char *dir, *slash;
	const char *base;
	struct dirent *de;
	DIR *d;
	int rc = BK_OK;

	(void)s;
	if ((dir = strdup(prefix)) == NULL) {
		warnp("malloc");
		return BK_FAIL;
	}
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	base = prefix + (strrchr(prefix, '/') - prefix) + 1;
	if ((d = opendir(dir)) == NULL) {
		warnp("open directory %s", dir);
		free(dir);
		return BK_FAIL;
	}
	while (rc == BK_OK && (de = readdir(d)) != NULL) {
		/* Hidden files and writes in progress are no objects. */
		if (strncmp(de->d_name, base, strlen(base)) != 0 ||
		    de->d_name[0] == '.' || strstr(de->d_name, ".tmp.") != NULL)
			continue;
		rc = list_one(dir, de->d_name, fn, arg);
	}
	closedir(d);
	free(dir);
	return rc;
}

static int
file_remove(struct store *s, const char *path)
{
	(void)s;
	if (unlink(path) == 0 || errno == ENOENT)
		return BK_OK;
	warnp("remove %s", path);
	return BK_FAIL;
}

/* The writer: a temporary file beside the path, written in order. */
static void *
file_w_open(struct store *s, const char *path, const struct store_putopts *o)
{
	(void)s;
	if (bk_mkdir_parent(path, 0750) != 0)
		return NULL;
	return bk_afile_open(path, 0640, o->noclobber);
}

static int
file_w_part(void *w, void *ctx, const struct store_wpart *p)
{
	(void)ctx;
	return bk_afile_write(w, p->buf, p->len) == 0 ? BK_OK : BK_FAIL;
}

static int
file_w_commit(void *w, int nparts)
{
	(void)nparts;
	return bk_afile_commit(w) == 0 ? BK_OK : BK_FAIL;
}

static void
file_w_abort(void *w)
{
	bk_afile_abort(w);
}

/*
 * The trash: a removed file goes to DIR/.bk-trash/RUN/NAME (RUN names the
 * prune that moved it, a UTC time), where a listing does not see it and
 * store_undelete finds it; store_trash_purge empties the runs older than
 * the grace period.
 */
#define TRASH ".bk-trash"

/* path's directory and base name, split into new strings. */
static int
split_path(const char *path, char **dir, char **base)
{
	const char *slash = strrchr(path, '/');

	*dir = *base = NULL;
	if (slash == NULL || slash[1] == '\0') {
		warn0("%s: not a file path", path);
		return -1;
	}
	if ((*dir = strndup(path, (size_t)(slash - path))) == NULL ||
	    (*base = strdup(slash + 1)) == NULL) {
		warnp("malloc");
		free(*dir);
		return -1;
	}
	return 0;
}

/* mkdir path unless it is there. */
static int
make_dir(const char *path)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	warnp("mkdir %s", path);
	return -1;
}

/* fsync a directory, so a rename in it survives a crash. */
static int
sync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1 || fsync(fd) != 0) {
		warnp("fsync %s", dir);
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	return rc;
}

static int
file_remove_keep(struct store *s, const char *path, const char *run,
    int *kept)
{
	char *dir, *base, *tdir = NULL, *to = NULL;
	int rc = BK_FAIL;

	(void)s;
	*kept = 0;
	if (split_path(path, &dir, &base) != 0)
		return BK_FAIL;
	if (asprintf(&tdir, "%s/" TRASH, dir) < 0 ||
	    asprintf(&to, "%s/" TRASH "/%s/%s", dir, run, base) < 0) {
		warnp("malloc");
		tdir = to = NULL;
		goto out;
	}
	if (make_dir(tdir) != 0)
		goto out;
	to[strlen(to) - strlen(base) - 1] = '\0';
	if (make_dir(to) != 0)
		goto out;
	to[strlen(to)] = '/';
	if (rename(path, to) != 0) {
		if (errno == ENOENT)
			rc = BK_OK;
		else
			warnp("move %s to %s", path, to);
		goto out;
	}
	*kept = 1;
	rc = sync_dir(dir) == 0 ? BK_OK : BK_FAIL;
out:
	free(dir);
	free(base);
	free(tdir);
	free(to);
	return rc;
}

static int
cmp_desc(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

/* The trash runs under dir, newest first, as a new array of names. */
static int
trash_runs(const char *dir, char ***runs, size_t *n)
{
	size_t cap = 0;
	struct dirent *de;
	char *tdir;
	DIR *d;
	int rc = 0;

	*runs = NULL;
	*n = 0;
	if (asprintf(&tdir, "%s/" TRASH, dir) < 0) {
		warnp("malloc");
		return -1;
	}
	if ((d = opendir(tdir)) == NULL) {
		free(tdir);
		if (errno == ENOENT)
			return 0;
		warnp("open directory %s/" TRASH, dir);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (vec_grow(runs, &cap, *n, sizeof(**runs)) != 0 ||
		    ((*runs)[*n] = strdup(de->d_name)) == NULL)
			rc = -1;
		else
			(*n)++;
	}
	closedir(d);
	free(tdir);
	if (*n > 0)
		qsort(*runs, *n, sizeof(**runs), cmp_desc);
	return rc;
}

static void
free_runs(char **runs, size_t n)
{
	while (n > 0)
		free(runs[--n]);
	free(runs);
}

/* Move the newest trashed copy of path back; BK_NEGATIVE: none. */
static int
file_undelete(struct store *s, const char *path)
{
	char *dir, *base, **runs = NULL, *from = NULL;
	struct stat st;
	size_t i, n = 0;
	int rc = BK_FAIL;

	(void)s;
	if (split_path(path, &dir, &base) != 0)
		return BK_FAIL;
	if (trash_runs(dir, &runs, &n) != 0)
		goto out;
	rc = BK_NEGATIVE;
	/* Already there (an undo retried): nothing to bring back. */
	for (i = lstat(path, &st) == 0 ? n : 0; i < n && rc == BK_NEGATIVE;
	    i++) {
		free(from);
		if (asprintf(&from, "%s/" TRASH "/%s/%s", dir, runs[i],
		    base) < 0) {
			warnp("malloc");
			from = NULL;
			rc = BK_FAIL;
		} else if (lstat(from, &st) == 0) {
			rc = rename(from, path) == 0 && sync_dir(dir) == 0 ?
			    BK_OK : BK_FAIL;
			if (rc != BK_OK)
				warnp("move %s back to %s", from, path);
		}
	}
out:
	free_runs(runs, n);
	free(from);
	free(dir);
	free(base);
	return rc;
}

/* Remove the trash run dir/.bk-trash/run and what it holds. */
static int
purge_run(const char *dir, const char *run)
{
	struct dirent *de;
	char *rdir, *p;
	DIR *d;
	int rc = BK_OK;

	if (asprintf(&rdir, "%s/" TRASH "/%s", dir, run) < 0) {
		warnp("malloc");
		return BK_FAIL;
	}
	if ((d = opendir(rdir)) == NULL) {
		warnp("open directory %s", rdir);
		free(rdir);
		return BK_FAIL;
	}
	while (rc == BK_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&p, "%s/%s", rdir, de->d_name) < 0) {
			warnp("malloc");
			rc = BK_FAIL;
		} else if (unlink(p) != 0 && errno != ENOENT) {
			warnp("remove %s", p);
			rc = BK_FAIL;
		}
		free(p);
	}
	closedir(d);
	if (rc == BK_OK && rmdir(rdir) != 0) {
		warnp("remove %s", rdir);
		rc = BK_FAIL;
	}
	free(rdir);
	return rc;
}

static int
file_trash_purge(struct store *s, const char *prefix, const char *before,
    int *purged)
{
	char **runs = NULL, *dir, *slash;
	size_t i, n = 0;
	int rc = BK_OK;

	(void)s;
	*purged = 0;
	if ((dir = strdup(prefix)) == NULL) {
		warnp("malloc");
		return BK_FAIL;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (trash_runs(dir, &runs, &n) != 0)
		rc = BK_FAIL;
	/* Run names are UTC times in one format: they sort as times. */
	for (i = 0; rc == BK_OK && i < n; i++)
		if (strcmp(runs[i], before) < 0 &&
		    (rc = purge_run(dir, runs[i])) == BK_OK)
			(*purged)++;
	free_runs(runs, n);
	free(dir);
	return rc;
}

/* A small file created only if absent (O_EXCL), written, synced. */
static int
file_create(struct store *s, const char *path, const void *buf, size_t len)
{
	int fd, rc;

	(void)s;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0640)) ==
	    -1) {
		if (errno == EEXIST)
			return BK_NEGATIVE;
		warnp("create %s", path);
		return BK_FAIL;
	}
	rc = bk_write_full(fd, buf, len, path) == 0 && fsync(fd) == 0 ?
	    BK_OK : BK_FAIL;
	if (close(fd) != 0 || rc != BK_OK) {
		warnp("write %s", path);
		unlink(path);
		rc = BK_FAIL;
	}
	return rc;
}

static int
file_can_undelete(struct store *s, int *on)
{
	(void)s;
	*on = 1;
	return BK_OK;
}

const struct store_driver store_driver_file = {
	.scheme = "file",
	.form = "file:///",
	.parallel = 0,		/* a file is written in order */
	.part_sums = 0,		/* nothing checks a part on the way */
	.versions = 0,
	.parse = file_parse,
	.conf_free = file_conf_free,
	.open = file_open,
	.close = file_close,
	.head = file_head,
	.digest = file_digest,
	.get = file_get,
	.get_small = file_get_small,
	.put_small = file_put_small,
	.list = file_list,
	.remove = file_remove,
	.remove_keep = file_remove_keep,
	.undelete = file_undelete,
	.create = file_create,
	.can_undelete = file_can_undelete,
	.trash_purge = file_trash_purge,
	.w_open = file_w_open,
	.w_part = file_w_part,
	.w_commit = file_w_commit,
	.w_abort = file_w_abort,
};
