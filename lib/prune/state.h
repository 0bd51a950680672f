/*
 * prune/state.h - bk-verify's state file, read: which backups were
 * verified when, at which level, with which result.
 *
 *	# bk-verify state 1
 *	URL<TAB>SHA256-HEX<TAB>LEVEL<TAB>VERIFIED-AT<TAB>RESULT
 *
 * one line per backup (its data object's URL as bk-get --list prints
 * it); LEVEL quick|full|deep; VERIFIED-AT RFC 3339 UTC; RESULT ok|bad.
 */
#ifndef PRUNE_STATE_H
#define PRUNE_STATE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_MAX (64 * 1024 * 1024)

struct state_entry {
	char *url;
	char sha256[65];
	int verified;		/* ok at level full or deep */
	int64_t at;
};

struct state {
	struct state_entry *e;	/* sorted by url */
	size_t n;
};

/* Read path into a new *st.  0, or -1 (reported, naming the line). */
int state_read(const char *path, struct state **st);
/* The same from text (a NUL-ended copy, changed in place). */
int state_parse(char *text, const char *path, struct state **st);
void state_free(struct state *st);

/* The entry for url, or NULL. */
const struct state_entry *state_find(const struct state *st,
    const char *url);

/* How many entries name an object directly under the prefix URL dir. */
size_t state_count_under(const struct state *st, const char *dir);

#endif /* !PRUNE_STATE_H */
