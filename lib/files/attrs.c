/*
 * attrs.c - bk-restore --files: owners (by name, with a cache of the
 * last few, or by number), modes, times and extended attributes of what
 * is extracted.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bk.h"
#include "restorer.h"

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
mode_t
rs_final_mode(const struct restorer *rs, mode_t m)
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
void
rs_set_attrs_fd(struct restorer *rs, int fd, int setmode)
{
	const struct tar_entry *e = &rs->e;
	struct timespec ts[2];
	size_t i;

	if (rs->isroot && fchown(fd, owner_uid(rs),
	    owner_gid(rs)) != 0) {
		warnp("%s/%s: chown", rs->o->dir, rs->path);
		rs->incomplete = 1;
	}
	if (setmode && fchmod(fd, rs_final_mode(rs, e->mode)) != 0) {
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
			warnp("%s/%s: extended attribute %s", rs->o->dir,
			    rs->path, e->xattrs[i].name);
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
void
rs_set_attrs_at(struct restorer *rs, int dirfd, const char *name, int setmode)
{
	const struct tar_entry *e = &rs->e;
	struct timespec ts[2];

	if (rs->isroot && fchownat(dirfd, name, owner_uid(rs),
	    owner_gid(rs), AT_SYMLINK_NOFOLLOW) != 0) {
		warnp("%s/%s: chown", rs->o->dir, rs->path);
		rs->incomplete = 1;
	}
	if (setmode &&
	    fchmodat(dirfd, name, rs_final_mode(rs, e->mode), 0) != 0) {
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
