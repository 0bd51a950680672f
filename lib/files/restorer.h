/*
 * restorer.h - the parts of bk-restore --files (lib/files/restore_files.c
 * and the files it is split into), their shared state and functions;
 * private to lib/files.  See files.h for the interface.
 */
#ifndef BK_RESTORER_H
#define BK_RESTORER_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

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
	struct files_counts n;
	uint64_t ndiff;
	uint64_t nskipped, ndeleted, nxskipped;
	int result;			/* of the first failure: BK_* */
	int incomplete;
};

/* restore_files.c */
/* Record the first failure's result (BK_FAIL or BK_NEGATIVE). */
int rs_fail(struct restorer *rs, int result);

/* "<stdin>: member NAME at byte N: MSG; refused": BK_NEGATIVE. */
int rs_refuse(struct restorer *rs, const char *name, const char *msg);

/* A failed system call on a member: reported, BK_FAIL. */
int rs_osfail(struct restorer *rs, const char *what);

/*
 * Add path k to set s (a struct strset, lib/vec.h); 0, or -1 when out of
 * memory (BK_FAIL) or over the cap (a hostile stream: BK_NEGATIVE),
 * reported and recorded in rs.
 */
int rs_set_add(struct restorer *rs, struct strset *s, const char *k);

/* beneath.c */
/*
 * Normalize a member name into out: drop "." and empty components and a
 * leading "./"; refuse absolute names and "..".  "" is DIR itself.
 * Returns 0, or -1 with *why set.
 */
int rs_normalize(const char *in, char *out, const char **why);

/*
 * Open the directory dir (a normalized relative path) beneath DIR without
 * following any symlink, creating missing components if create is set.
 * Returns a new descriptor, or -1: refused (exit 1), missing (errno
 * ENOENT, reported only if report), or a system error (exit 3).
 */
int rs_open_beneath(struct restorer *rs, const char *dir, int create,
    int report);

/*
 * The directory holding rs->path (borrowed descriptor, cached for the
 * next member in the same directory); *leaf gets the last component.
 */
int rs_parent_fd(struct restorer *rs, int create, int report,
    const char **leaf);

/* Forget the cached directory descriptor (its directory is going). */
void rs_drop_cache(struct restorer *rs);

/* Split path into a new directory descriptor and its leaf (hard links). */
int rs_open_parent_of(struct restorer *rs, char *path, const char **leaf);

/* attrs.c */
/*
 * The permission bits we set: all of them as root; otherwise all but
 * set-user-ID (the file is ours, not the stored owner's).  The kernel
 * itself drops set-group-ID on a file whose group we are not in.
 */
mode_t rs_final_mode(const struct restorer *rs, mode_t m);

/*
 * Owner (as root), mode, xattrs and mtime of the file open on fd.  A
 * failure is a warning and makes the run incomplete.
 */
void rs_set_attrs_fd(struct restorer *rs, int fd, int setmode);

/* Owner and mtime of a symlink (or device) at dirfd/name. */
void rs_set_attrs_at(struct restorer *rs, int dirfd, const char *name,
    int setmode);

/* dirs.c */
/* A directory member at rs->path: its mode and mtime, for the end. */
int rs_defer_dir(struct restorer *rs);

/*
 * Not root: the existing directory comp (path dir up to len) in fd shuts
 * us out.  If it is ours, open it to us and give its mode back at the
 * end (unless the stream lists it, then it gets the stream's).  1 if it
 * was opened, 0 if not, -1 on error.
 */
int rs_open_to_us(struct restorer *rs, int fd, const char *comp,
    const char *dir, size_t len);

/*
 * At the end: set the directories' modes and mtimes, every one after
 * all that is beneath it (so a mode without owner write or search, 000
 * even, never shuts us out), each from its last listing (as GNU tar).
 */
int rs_fix_dirs(struct restorer *rs);

/* Close the temporary file and free the list. */
void rs_dirs_free(struct dirstore *d);

/* extract.c */
/* SIGINT, SIGTERM, SIGHUP remove the temporary being written, then kill. */
void rs_catch_signals(void);

/* "./": DIR itself gets the member's owner, attributes, mode and mtime. */
int rs_extract_root(struct restorer *rs);

/*
 * Extract the member rs->e at rs->path (normalized).  0, or -1 (reported,
 * recorded in rs); a member left out is a warning and makes the run
 * incomplete.
 */
int rs_extract(struct restorer *rs);

/* validate.c */
/* One difference, on stdout: "PATH: WHAT". */
void rs_differs(struct restorer *rs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Compare the member rs->e with DIR/rs->path: differences on stdout. */
int rs_validate_one(struct restorer *rs);

/* "./": DIR's own permission bits (its mtime changes with every name). */
int rs_validate_root(struct restorer *rs);

/* prune.c */
/*
 * Read the .bk-index member into rs->index, a name at a time: memory is
 * one name, however large the index.
 */
int rs_load_index(struct restorer *rs);

/*
 * Walk the directory fd (rs->path, base bytes long): --delete removes
 * what the index does not list, --validate reports it.  0 or -1.
 */
int rs_prune_dir(struct restorer *rs, int fd, size_t base);

/*
 * --delete: the members that wait for a directory in their way
 * (replace_dir).  The deletions emptied it if the stream's index agreed;
 * otherwise the member is skipped with a warning.
 */
int rs_finish_replacements(struct restorer *rs);

/* Remove the temporaries of members still waiting (after a failure). */
void rs_drop_replacements(struct restorer *rs);

#endif /* !BK_RESTORER_H */
