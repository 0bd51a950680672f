/*
 * dump_files.c - bk-dump --files DIR: write DIR as a POSIX pax tar stream
 * on standard output, optionally compressed.
 *
 * The walk goes by directory descriptors (openat with O_NOFOLLOW, fstatat
 * with AT_SYMLINK_NOFOLLOW, fdopendir), so a symlink is stored as a link
 * and never followed, and a directory swapped for a symlink while we walk
 * cannot lead us out of DIR.  A file that changes, shrinks or vanishes
 * while it is read is reported and the run ends incomplete (exit 4); the
 * stream itself stays well formed (a short file is padded with zeros
 * to the size its header declared).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "bk.h"
#include "vec.h"
#include "compress.h"
#include "files.h"
#include "tar.h"

#define IOBUF (256 * 1024)
#define XATTR_BUF (64 * 1024)
#define INDEX_NAME ".bk-index"

struct hlink {			/* a file with several names, seen once */
	dev_t dev;
	ino_t ino;
	char *path;		/* NULL once every name was seen */
	nlink_t left;		/* names not seen yet */
	int used;
};

struct idcache {		/* uid or gid -> name, last few */
	unsigned long id[16];
	char name[16][64];
	int n, next;
};

struct dumper {
	struct tar_writer *w;
	struct bk_zwriter *z;
	struct bk_progress *prog;
	const struct dump_files_opts *o;
	dev_t rootdev;
	FILE *index;		/* --since: every current path, NUL-ended */
	struct hlink *links;	/* open-addressing table of (dev, ino) */
	size_t nlinks, caplinks;
	struct idcache users, groups;
	unsigned char *buf;
	unsigned char *xbuf;
	char path[TAR_PATH_MAX + 1];
	struct files_counts n;
	uint64_t skipped;
	int incomplete;
};

/* A problem with one file: reported, the run becomes incomplete. */
static void
incomplete(struct dumper *d)
{
	d->incomplete = 1;
}

/* d->path was replaced by another file while we read it (what): skipped. */
static int
replaced(struct dumper *d, const char *what)
{
	warn0("%s/%s: %s replaced while being read; skipped", d->o->dir,
	    d->path, what);
	incomplete(d);
	return 0;
}

static int
out_z(void *ctx, const void *buf, size_t len)
{
	struct dumper *d = ctx;

	bk_progress_add(d->prog, len);
	return bk_zwriter_write(d->z, buf, len);
}

/* ---- names of owners ---- */

static const char *
id_name(struct idcache *c, unsigned long id, int user)
{
	struct passwd *pw;
	struct group *gr;
	const char *s = NULL;
	int i, slot;

	for (i = 0; i < c->n; i++)
		if (c->id[i] == id)
			return c->name[i];
	if (user && (pw = getpwuid((uid_t)id)) != NULL)
		s = pw->pw_name;
	else if (!user && (gr = getgrgid((gid_t)id)) != NULL)
		s = gr->gr_name;
	slot = c->n < 16 ? c->n++ : (c->next++ % 16);
	c->id[slot] = id;
	snprintf(c->name[slot], sizeof(c->name[slot]), "%s", s ? s : "");
	return c->name[slot];
}

/* ---- hard links ---- */

static size_t
link_slot(const struct dumper *d, dev_t dev, ino_t ino)
{
	size_t h = ((size_t)ino * 0x9E3779B97F4A7C15ULL ^ (size_t)dev) &
	    (d->caplinks - 1);

	while (d->links[h].used &&
	    (d->links[h].dev != dev || d->links[h].ino != ino))
		h = (h + 1) & (d->caplinks - 1);
	return h;
}

static int
link_grow(struct dumper *d)
{
	struct hlink *old = d->links;
	size_t oldcap = d->caplinks, i, h;

	d->caplinks = oldcap ? oldcap * 2 : 1024;
	if ((d->links = calloc(d->caplinks, sizeof(*d->links))) == NULL) {
		warnp("malloc");
		d->links = old;
		d->caplinks = oldcap;
		return -1;
	}
	for (i = 0; i < oldcap; i++) {
		if (!old[i].used)
			continue;
		h = link_slot(d, old[i].dev, old[i].ino);
		d->links[h] = old[i];
	}
	free(old);
	return 0;
}

/*
 * The member name under which (dev, ino) was stored, or NULL after
 * recording d->path as that name.  *err is set on allocation failure.
 * A name is freed when the file's last name has been seen, as GNU tar
 * does, so the table holds names only for files with names still to
 * come; the caller frees the returned name with link_done().
 */
static char *
link_lookup(struct dumper *d, const struct stat *st, int *err, size_t *slot)
{
	size_t h;

	*err = 0;
	if (d->nlinks * 2 >= d->caplinks && link_grow(d) != 0) {
		*err = 1;
		return NULL;
	}
	h = link_slot(d, st->st_dev, st->st_ino);
	*slot = h;
	if (d->links[h].path != NULL) {
		d->links[h].left--;
		return d->links[h].path;
	}
	if ((d->links[h].path = strdup(d->path)) == NULL) {
		warnp("malloc");
		*err = 1;
		return NULL;
	}
	if (!d->links[h].used)
		d->nlinks++;
	d->links[h].used = 1;
	d->links[h].dev = st->st_dev;
	d->links[h].ino = st->st_ino;
	d->links[h].left = st->st_nlink - 1;
	return NULL;
}

/* After a link member: free the first name if no name is left to see. */
static void
link_done(struct dumper *d, size_t h)
{
	if (d->links[h].left == 0) {
		free(d->links[h].path);
		d->links[h].path = NULL;
	}
}

static void
links_free(struct dumper *d)
{
	size_t i;

	for (i = 0; i < d->caplinks; i++)
		free(d->links[i].path);
	free(d->links);
}

/* ---- entries ---- */

static void
entry_from_stat(struct dumper *d, struct tar_entry *e, const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->path = d->path;
	e->mode = st->st_mode & 07777;
	e->uid = st->st_uid;
	e->gid = st->st_gid;
	e->uname = id_name(&d->users, st->st_uid, 1);
	e->gname = id_name(&d->groups, st->st_gid, 0);
	e->mtime = st->st_mtim.tv_sec;
	e->mtime_nsec = st->st_mtim.tv_nsec;
}

/*
 * Add the extended attributes of the file open on fd to e (values in
 * d->xbuf).  Attributes the filesystem cannot list are no error.
 */
static int
get_xattrs(struct dumper *d, int fd, struct tar_entry *e)
{
	char names[XATTR_BUF];
	ssize_t len, v;
	size_t used = 0;
	char *p;

	if ((len = flistxattr(fd, names, sizeof(names))) < 0) {
		if (errno == ENOTSUP || errno == EOPNOTSUPP)
			return 0;
		warnp("%s/%s: list extended attributes", d->o->dir, d->path);
		return -1;
	}
	for (p = names; p < names + len; p += strlen(p) + 1) {
		if (e->nxattrs == TAR_XATTR_MAX) {
			warn0("%s/%s: more than %d extended attributes",
			    d->o->dir, d->path, TAR_XATTR_MAX);
			return -1;
		}
		v = fgetxattr(fd, p, d->xbuf + used, XATTR_BUF - used);
		if (v < 0) {
			warnp("%s/%s: extended attribute %s", d->o->dir, d->path,
			    p);
			return -1;
		}
		/* Names live in d->xbuf too, after the values. */
		e->xattrs[e->nxattrs].value = d->xbuf + used;
		e->xattrs[e->nxattrs].len = (size_t)v;
		used += (size_t)v;
		if (used + strlen(p) + 1 > XATTR_BUF) {
			warn0("%s/%s: extended attributes larger than %d bytes",
			    d->o->dir, d->path, XATTR_BUF);
			return -1;
		}
		memcpy(d->xbuf + used, p, strlen(p) + 1);
		e->xattrs[e->nxattrs].name = (char *)d->xbuf + used;
		used += strlen(p) + 1;
		e->nxattrs++;
	}
	return 0;
}

static int
newer(const struct dumper *d, const struct timespec *t)
{
	return t->tv_sec > d->o->since.tv_sec ||
	    (t->tv_sec == d->o->since.tv_sec && t->tv_nsec > d->o->since.tv_nsec);
}

/* 1 if the file (lstat) must be stored, in --since mode. */
static int
wanted(const struct dumper *d, const struct stat *st)
{
	return !d->o->since_set || S_ISDIR(st->st_mode) ||
	    newer(d, &st->st_mtim) || newer(d, &st->st_ctim);
}

/* 1 if the two stats of one file differ in what a reader would notice. */
static int
changed(const struct stat *a, const struct stat *b)
{
	return a->st_size != b->st_size ||
	    a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	    a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
	    a->st_ctim.tv_sec != b->st_ctim.tv_sec ||
	    a->st_ctim.tv_nsec != b->st_ctim.tv_nsec;
}

/* Copy the data of a regular file into the stream; -1 only if the
 * stream failed (file problems are warnings). */
static int
copy_data(struct dumper *d, int fd, const struct stat *st)
{
	uint64_t left = (uint64_t)st->st_size, missing;
	struct stat after;
	ssize_t n;
	size_t want;

	while (left > 0) {
		want = left < IOBUF ? (size_t)left : IOBUF;
		if ((n = read(fd, d->buf, want)) < 0) {
			if (errno == EINTR)
				continue;
			warnp("%s/%s: read", d->o->dir, d->path);
			incomplete(d);
			break;
		}
		if (n == 0)
			break;
		if (tar_write_data(d->w, d->buf, (size_t)n) != 0)
			return -1;
		left -= (uint64_t)n;
		d->n.bytes += (uint64_t)n;
	}
	if (tar_member_end(d->w, &missing) != 0)
		return -1;
	if (missing > 0) {
		warn0("%s/%s: file shrank by %" PRIu64 " bytes while being "
		    "read; padded with zeros", d->o->dir, d->path, missing);
		incomplete(d);
	} else if (fstat(fd, &after) != 0 || changed(st, &after)) {
		warn0("%s/%s: file changed as we read it", d->o->dir, d->path);
		incomplete(d);
	}
	return 0;
}

/* A regular file: a hard link to an earlier name, or header and data. */
static int
dump_reg(struct dumper *d, int dirfd, const char *name, const struct stat *lst)
{
	struct tar_entry e;
	struct stat st;
	const char *first = NULL;
	size_t slot;
	int fd, err, rc = -1;

	if (lst->st_nlink > 1) {
		if ((first = link_lookup(d, lst, &err, &slot)) == NULL && err)
			return -1;
		if (first != NULL) {
			entry_from_stat(d, &e, lst);
			e.type = TAR_HARD;
			e.link = first;
			d->n.hard++;
			rc = tar_write_header(d->w, &e) == 0 &&
			    tar_member_end(d->w, NULL) == 0 ? 0 : -1;
			link_done(d, slot);
			return rc;
		}
	}
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY |
	    O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		warnp("%s/%s: open%s", d->o->dir, d->path,
		    errno == ENOENT ? " (file vanished)" : "");
		incomplete(d);
		return 0;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_ino != lst->st_ino) {
		rc = replaced(d, "file");
		goto done;
	}
	entry_from_stat(d, &e, &st);
	e.type = TAR_REG;
	e.size = (uint64_t)st.st_size;
	if (d->o->xattrs && get_xattrs(d, fd, &e) != 0)
		incomplete(d);
	if (tar_write_header(d->w, &e) != 0 || copy_data(d, fd, &st) != 0)
		goto done;
	d->n.files++;
	rc = 0;
done:
	close(fd);
	return rc;
}

static int
dump_symlink(struct dumper *d, int dirfd, const char *name,
    const struct stat *st)
{
	char target[TAR_PATH_MAX + 1];
	struct tar_entry e;
	ssize_t n;

	if ((n = readlinkat(dirfd, name, target, sizeof(target))) < 0) {
		warnp("%s/%s: readlink", d->o->dir, d->path);
		incomplete(d);
		return 0;
	}
	if ((size_t)n == sizeof(target)) {
		warn0("%s/%s: symlink target longer than %d bytes; skipped",
		    d->o->dir, d->path, TAR_PATH_MAX);
		incomplete(d);
		return 0;
	}
	target[n] = '\0';
	entry_from_stat(d, &e, st);
	e.type = TAR_SYM;
	e.link = target;
	d->n.syms++;
	return tar_write_header(d->w, &e) == 0 &&
	    tar_member_end(d->w, NULL) == 0 ? 0 : -1;
}

static int
dump_special(struct dumper *d, const struct stat *st)
{
	struct tar_entry e;

	if (S_ISSOCK(st->st_mode)) {
		warn0("%s/%s: socket ignored", d->o->dir, d->path);
		return 0;
	}
	entry_from_stat(d, &e, st);
	e.type = S_ISCHR(st->st_mode) ? TAR_CHR : S_ISBLK(st->st_mode) ?
	    TAR_BLK : TAR_FIFO;
	e.devmajor = major(st->st_rdev);
	e.devminor = minor(st->st_rdev);
	d->n.other++;
	return tar_write_header(d->w, &e) == 0 &&
	    tar_member_end(d->w, NULL) == 0 ? 0 : -1;
}

static int walk(struct dumper *, int);

static int
dump_dir(struct dumper *d, int dirfd, const char *name, const struct stat *lst)
{
	struct tar_entry e;
	struct stat st;
	int fd, rc = -1;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		warnp("%s/%s: open directory%s", d->o->dir, d->path,
		    errno == ENOENT ? " (vanished)" : "");
		incomplete(d);
		return 0;
	}
	if (fstat(fd, &st) != 0 || st.st_ino != lst->st_ino ||
	    st.st_dev != lst->st_dev) {
		rc = replaced(d, "directory");
		goto done;
	}
	entry_from_stat(d, &e, &st);
	e.type = TAR_DIR;
	if (d->o->xattrs && get_xattrs(d, fd, &e) != 0)
		incomplete(d);
	if (tar_write_header(d->w, &e) != 0 ||
	    tar_member_end(d->w, NULL) != 0)
		goto done;
	d->n.dirs++;
	/* Like GNU tar: the mount point is stored, not what is under it. */
	if (d->o->onefs && st.st_dev != d->rootdev) {
		rc = 0;
		goto done;
	}
	rc = walk(d, fd);
done:
	close(fd);
	return rc;
}

static int
excluded(const struct dumper *d, const char *name)
{
	int i;

	for (i = 0; i < d->o->nexcludes; i++)
		if (fnmatch(d->o->excludes[i], d->path, 0) == 0 ||
		    fnmatch(d->o->excludes[i], name, 0) == 0)
			return 1;
	return 0;
}

/* One directory entry; d->path already names it. */
static int
dump_entry(struct dumper *d, int dirfd, const char *name)
{
	struct stat st;

	if (excluded(d, name))
		return 0;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		warnp("%s/%s: stat%s", d->o->dir, d->path,
		    errno == ENOENT ? " (file vanished)" : "");
		incomplete(d);
		return 0;
	}
	if (strcmp(d->path, INDEX_NAME) == 0) {
		warn0("%s/%s: name reserved for the --since index; skipped",
		    d->o->dir, d->path);
		incomplete(d);
		return 0;
	}
	if (d->index != NULL && (fputs(d->path, d->index) == EOF ||
	    putc('\0', d->index) == EOF)) {
		warnp("write the --since index");
		return -1;
	}
	if (!wanted(d, &st)) {
		d->skipped++;
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return dump_dir(d, dirfd, name, &st);
	if (S_ISREG(st.st_mode))
		return dump_reg(d, dirfd, name, &st);
	if (S_ISLNK(st.st_mode))
		return dump_symlink(d, dirfd, name, &st);
	return dump_special(d, &st);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Read the names in the directory open on fd (sorted, so the stream does
 * not depend on the directory's order).  NULL on error.
 */
static char **
list_dir(struct dumper *d, int fd, size_t *np)
{
	struct dirent *de;
	DIR *dp;
	char **v = NULL;
	size_t n = 0, cap = 0;
	int dfd;

	if ((dfd = dup(fd)) == -1 || (dp = fdopendir(dfd)) == NULL) {
		warnp("%s/%s: open directory", d->o->dir, d->path);
		if (dfd != -1)
			close(dfd);
		return NULL;
	}
	errno = 0;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (vec_grow(&v, &cap, n, sizeof(*v)) != 0)
			goto fail;
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto nomem;
		n++;
		errno = 0;
	}
	if (errno != 0) {
		warnp("%s/%s: read directory", d->o->dir, d->path);
		goto fail;
	}
	closedir(dp);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_names);
	*np = n;
	return v ? v : calloc(1, sizeof(*v));
nomem:
	warnp("malloc");
fail:
	while (n > 0)
		free(v[--n]);
	free(v);
	closedir(dp);
	return NULL;
}

/* Dump everything in the directory open on fd, whose path is d->path. */
static int
walk(struct dumper *d, int fd)
{
	size_t base = strlen(d->path), n = 0, i, len;
	char **names;
	int rc = 0;

	if ((names = list_dir(d, fd, &n)) == NULL) {
		incomplete(d);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (base + (base > 0) + strlen(names[i]) > TAR_PATH_MAX) {
			warn0("%s/%s/%s: path longer than %d bytes; skipped",
			    d->o->dir, d->path, names[i], TAR_PATH_MAX);
			incomplete(d);
			continue;
		}
		len = strlen(names[i]);
		if (base > 0)
			d->path[base] = '/';
		memcpy(d->path + base + (base > 0), names[i], len + 1);
		if (rc == 0 && dump_entry(d, fd, names[i]) != 0)
			rc = -1;
		d->path[base] = '\0';
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/*
 * DIR itself, as the member "./" (as GNU tar's "-C DIR ."), so that its
 * mode, times and owner are restored too.
 */
static int
dump_root(struct dumper *d, int fd, const struct stat *st)
{
	struct tar_entry e;

	snprintf(d->path, sizeof(d->path), ".");
	entry_from_stat(d, &e, st);
	e.type = TAR_DIR;
	if (d->o->xattrs && get_xattrs(d, fd, &e) != 0)
		incomplete(d);
	if (tar_write_header(d->w, &e) != 0 || tar_member_end(d->w, NULL) != 0)
		return -1;
	d->n.dirs++;
	return 0;
}

/* --since: append the ".bk-index" member listing every current path. */
static int
write_index(struct dumper *d)
{
	struct tar_entry e;
	long len;
	size_t n;

	if (fflush(d->index) != 0 || (len = ftell(d->index)) < 0) {
		warnp("write the --since index");
		return -1;
	}
	rewind(d->index);
	memset(&e, 0, sizeof(e));
	e.path = INDEX_NAME;
	e.type = TAR_REG;
	e.mode = 0600;
	e.size = (uint64_t)len;
	e.mtime = time(NULL);
	e.uname = e.gname = "";
	if (tar_write_header(d->w, &e) != 0)
		return -1;
	while ((n = fread(d->buf, 1, IOBUF, d->index)) > 0)
		if (tar_write_data(d->w, d->buf, n) != 0)
			return -1;
	if (ferror(d->index)) {
		warnp("read the --since index");
		return -1;
	}
	return tar_member_end(d->w, NULL);
}

int
dump_files_parse_since(const char *s, struct timespec *ts)
{
	struct tm tm;
	const char *p;
	int64_t sec;
	long nsec = 0;
	char frac[24] = "0";

	if (s[0] == '@') {
		if (tar_parse_time(s + 1, &sec, &nsec) != 0)
			goto bad;
		ts->tv_sec = (time_t)sec;
		ts->tv_nsec = nsec;
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		goto bad;
	if (*p == '.') {
		size_t k = strspn(p + 1, "0123456789");

		if (k == 0 || k > 9)
			goto bad;
		snprintf(frac, sizeof(frac), "0.%.*s", (int)k, p + 1);
		p += k + 1;
	}
	if (strcmp(p, "Z") != 0 || tar_parse_time(frac, &sec, &nsec) != 0)
		goto bad;
	ts->tv_sec = timegm(&tm);
	ts->tv_nsec = nsec;
	return 0;
bad:
	warn0("--since %s: not a UTC time (2026-11-26T15:00:00Z or @EPOCH)", s);
	return -1;
}

static void
report(struct dumper *d, struct bk_status *st)
{
	char b[32];

	bk_fmt_bytes(b, sizeof(b), (double)d->n.bytes);
	if (d->o->verbose || d->o->progress)
		fprintf(stderr, "%s: %s: %" PRIu64 " files (%s), %" PRIu64
		    " directories, %" PRIu64 " symlinks, %" PRIu64
		    " hard links, %" PRIu64 " other%s\n", bk_progname(),
		    d->o->dir, d->n.files, b, d->n.dirs, d->n.syms, d->n.hard,
		    d->n.other, d->incomplete ? "; INCOMPLETE" : "");
	bk_status_str(st, "mode", "files");
	bk_status_str(st, "source", d->o->dir);
	bk_status_str(st, "compression", bk_comp_name(d->o->comp));
	/* "counts" too: the manifest records it (as for the db mode). */
	files_counts_status(&d->n, st, 1);
	if (d->o->since_set)
		bk_status_int(st, "unchanged", (int64_t)d->skipped);
	bk_status_bool(st, "incomplete", d->incomplete);
}

/* Open DIR, write the archive: BK_OK or BK_FAIL. */
static int
dump_tree(struct dumper *d)
{
	struct stat st;
	int fd, rc = BK_FAIL;

	if ((fd = open(d->o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) != 0) {
		warnp("%s", d->o->dir);
		if (fd != -1)
			close(fd);
		return BK_FAIL;
	}
	d->rootdev = st.st_dev;
	if (d->o->since_set && (d->index = tmpfile()) == NULL) {
		warnp("tmpfile for the --since index");
		goto done;
	}
	if (dump_root(d, fd, &st) != 0)
		goto done;
	d->path[0] = '\0';
	if (walk(d, fd) != 0)
		goto done;
	if (d->index != NULL && write_index(d) != 0)
		goto done;
	rc = BK_OK;
done:
	if (d->index != NULL)
		fclose(d->index);
	close(fd);
	return rc;
}

int
dump_files_run(const struct dump_files_opts *o, struct bk_status *st,
    int *incomplete)
{
	struct dumper d;
	int rc = BK_FAIL;

	memset(&d, 0, sizeof(d));
	d.o = o;
	if ((d.buf = malloc(IOBUF)) == NULL || (d.xbuf = malloc(XATTR_BUF)) ==
	    NULL) {
		warnp("malloc");
		goto out;
	}
	if ((d.z = bk_zwriter_new(STDOUT_FILENO, o->comp, o->level,
	    "<stdout>")) == NULL || (d.w = tar_writer_new(out_z, &d)) == NULL)
		goto out;
	d.prog = bk_progress_new("dumping", 0, o->progress);
	rc = dump_tree(&d);
	if (rc == BK_OK && tar_writer_finish(d.w) != 0)
		rc = BK_FAIL;
	else if (rc != BK_OK)
		tar_writer_free(d.w);
	d.w = NULL;
	bk_progress_done(d.prog);
	if (rc == BK_OK && (bk_zwriter_finish(d.z) != 0 ||
	    bk_close_stdout() != 0))
		rc = BK_FAIL;
	else if (rc != BK_OK)
		bk_zwriter_free(d.z);
	d.z = NULL;
	if (rc == BK_OK && d.incomplete)
		warn0("%s: some files changed, vanished or could not be read;"
		    " the archive is incomplete", o->dir);
	report(&d, st);
	*incomplete = d.incomplete;
out:
	bk_zwriter_free(d.z);
	links_free(&d);
	free(d.buf);
	free(d.xbuf);
	return rc;
}
