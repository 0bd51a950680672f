/*
 * prune.c - bk-restore --files --delete (and --validate): the
 * stream's .bk-index, removing what it does not list, and the members
 * that wait for a non-empty directory in their way to go.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bk.h"
#include "restorer.h"

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
	if ((dirfd = rs_parent_fd(rs, 0, 0, &leaf)) < 0) {
		if (errno != ENOENT)
			return -1;
	} else if (fstatat(dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	else if (errno != ENOENT)
		return rs_osfail(rs, "stat");
	rs_differs(rs, "missing from %s (listed in the stream's index)",
	    rs->o->dir);
	return 0;
}

/* One name of the index: into rs->index (and checked, --validate). */
static int
index_name(struct restorer *rs, const char *raw)
{
	char name[TAR_PATH_MAX + 1];
	const char *why;

	if (rs_normalize(raw, name, &why) != 0 || name[0] == '\0')
		return rs_refuse(rs, INDEX_NAME, "a name in the index is not a "
		    "safe relative path");
	if (rs->o->validate && !strset_has(&rs->index, name) &&
	    check_listed(rs, name) != 0)
		return -1;
	return rs_set_add(rs, &rs->index, name);
}

/*
 * Read the .bk-index member into rs->index, a name at a time: memory is
 * one name, however large the index.
 */
int
rs_load_index(struct restorer *rs)
{
	char name[TAR_PATH_MAX + 1];
	size_t len = 0;
	ssize_t n, i;

	while ((n = tar_read(rs->r, rs->buf, IOBUF)) > 0) {
		for (i = 0; i < n; i++) {
			if (rs->buf[i] != '\0') {
				if (len == TAR_PATH_MAX)
					return rs_refuse(rs, INDEX_NAME, "a name "
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
		return rs_fail(rs, BK_NEGATIVE);
	if (len > 0)
		return rs_refuse(rs, INDEX_NAME, "the index does not end with "
		    "a NUL byte");
	rs->have_index = 1;
	return 0;
}

/* prune_dir of the subdirectory name of fd (rs->path).  0 or -1. */
static int
prune_sub(struct restorer *rs, int fd, const char *name)
{
	int sub, rc;

	if ((sub = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return rs_osfail(rs, "open directory");
	rc = rs_prune_dir(rs, sub, strlen(rs->path));
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
		rs_differs(rs, "in %s, not in the stream", rs->o->dir);
	} else if (!strset_has(&rs->index, rs->path)) {
		/* Not root: a directory of ours that shuts us out, going. */
		if (S_ISDIR(st.st_mode) && !rs->isroot &&
		    st.st_uid == geteuid() && (st.st_mode & 0700) != 0700 &&
		    fchmodat(fd, name, (st.st_mode & 07777) | 0700, 0) != 0)
			return rs_osfail(rs, "chmod");
		if (S_ISDIR(st.st_mode) && prune_sub(rs, fd, name) != 0)
			return -1;
		if (unlinkat(fd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0)
		    != 0)
			return rs_osfail(rs, "remove");
		rs->ndeleted++;
	} else if (S_ISDIR(st.st_mode) && prune_sub(rs, fd, name) != 0)
		return -1;
	rs->path[base] = '\0';
	return 0;
}

int
rs_prune_dir(struct restorer *rs, int fd, size_t base)
{
	struct dirent *de;
	DIR *dp;
	int dfd, rc = 0;

	if ((dfd = dup(fd)) == -1 || (dp = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return rs_osfail(rs, "open directory");
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
int
rs_finish_replacements(struct restorer *rs)
{
	struct replacement *r;
	const char *leaf;
	int dirfd;
	size_t i;

	rs_drop_cache(rs);
	for (i = 0; i < rs->repl.n; i++) {
		r = vec_at(&rs->repl, i);
		snprintf(rs->path, sizeof(rs->path), "%s", r->path);
		if ((dirfd = rs_parent_fd(rs, 0, 1, &leaf)) < 0)
			return -1;
		if (unlinkat(dirfd, leaf, AT_REMOVEDIR) != 0 &&
		    errno != ENOENT) {
			warnp("%s/%s: the directory in the way of a member "
			    "was not emptied by --delete; not replaced",
			    rs->o->dir, rs->path);
			unlinkat(dirfd, r->tmp, 0);
			r->tmp[0] = '\0';
			rs->incomplete = 1;
			rs->nskipped++;
			continue;
		}
		if (renameat(dirfd, r->tmp, dirfd, leaf) != 0)
			return rs_osfail(rs, "rename into place");
		r->tmp[0] = '\0';
		if (rs_set_add(rs, &rs->made, rs->path) != 0)
			return -1;
		*(r->type == TAR_REG ? &rs->n.files : r->type == TAR_SYM ?
		    &rs->n.syms : r->type == TAR_HARD ? &rs->n.hard :
		    &rs->n.other) += 1;
	}
	return 0;
}

/* Remove the temporaries of members still waiting (after a failure). */
void
rs_drop_replacements(struct restorer *rs)
{
	struct replacement *r;
	const char *leaf;
	size_t i;
	int dirfd;

	for (i = 0; i < rs->repl.n; i++) {
		r = vec_at(&rs->repl, i);
		snprintf(rs->path, sizeof(rs->path), "%s", r->path);
		if (r->tmp[0] != '\0' && rs->rootfd != -1 &&
		    (dirfd = rs_parent_fd(rs, 0, 0, &leaf)) >= 0)
			unlinkat(dirfd, r->tmp, 0);
		free(r->path);
	}
	vec_free(&rs->repl);
}
