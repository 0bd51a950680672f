/*
 * policy.c - the restore policy (which targets need approvals, how many,
 * from whom) and the OpenSSH allowed_signers file it names.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "approve/approve.h"
#include "vec.h"

#define WS " \t"

/*
 * Refuse what group or others may write: the file open on fd, and the
 * directory path lies in (where it could be replaced).  0 or -1.
 */
static int
check_unwritable(int fd, const char *path, const char *what)
{
	struct stat st;
	char *dup, *dir;
	int rc = -1;

	if (fstat(fd, &st) != 0) {
		warnp("%s %s", what, path);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		warn0("%s %s: writable by group or others (mode %04o); "
		    "refused", what, path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if ((dup = strdup(path)) == NULL) {
		warnp("%s %s", what, path);
		return -1;
	}
	dir = dirname(dup);
	if (stat(dir, &st) != 0)
		warnp("%s %s: directory %s", what, path, dir);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		warn0("%s %s: its directory %s is writable by group or "
		    "others (mode %04o); refused", what, path, dir,
		    (unsigned)(st.st_mode & 07777));
	else
		rc = 0;
	free(dup);
	return rc;
}

/* Read a file that only its owner may change; *missing if absent. */
static char *
read_checked(const char *path, const char *what, int *missing)
{
	int fd;

	*missing = 0;
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 &&
	    errno == ENOENT && missing != NULL) {
		*missing = 1;
		return NULL;
	}
	if (fd != -1)
		close(fd);
	if ((fd = bk_open_regular(path, 0, what)) == -1)
		return NULL;
	if (check_unwritable(fd, path, what) != 0) {
		close(fd);
		return NULL;
	}
	return bk_read_text_fd(fd, path, APPROVE_FILE_MAX, NULL, what);
}

void
approve_policy_free(struct approve_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nprotect; i++)
		free(p->protect[i]);
	free(p->signers);
	free(p);
}

/* FILE as the policy names it: a relative one is beside the policy. */
static char *
beside(const char *path, const char *file)
{
	char *dup, *dir, *out;
	size_t n;

	if (file[0] == '/' || strchr(path, '/') == NULL)
		return strdup(file);
	if ((dup = strdup(path)) == NULL)
		return NULL;
	dir = dirname(dup);
	n = strlen(dir) + strlen(file) + 2;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "%s/%s", dir, file);
	free(dup);
	return out;
}

/* One line "KEYWORD VALUE" into p: 0, or -1 (reported). */
static int
policy_line(struct approve_policy *p, const char *kw, const char *val,
    const char *path, unsigned lineno)
{
	long n;

	if (strcmp(kw, "protect") == 0) {
		if (p->nprotect == APPROVE_PATTERNS_MAX) {
			warn0("%s:%u: more than %d protect lines", path,
			    lineno, APPROVE_PATTERNS_MAX);
			return -1;
		}
		if ((p->protect[p->nprotect] = strdup(val)) == NULL)
			goto nomem;
		p->nprotect++;
	} else if (strcmp(kw, "require") == 0) {
		if (bk_parse_long(val, 1, APPROVE_REQUIRE_MAX, &n) != 0) {
			warn0("%s:%u: require %s: expected 1 to %d", path,
			    lineno, val, APPROVE_REQUIRE_MAX);
			return -1;
		}
		p->require = (unsigned)n;
	} else if (strcmp(kw, "allowed-signers") == 0) {
		free(p->signers);
		if ((p->signers = beside(path, val)) == NULL)
			goto nomem;
	} else {
		warn0("%s:%u: unknown keyword \"%s\"", path, lineno, kw);
		return -1;
	}
	return 0;
nomem:
	warnp("%s", path);
	return -1;
}

struct approve_policy *
approve_policy_parse(const char *text, const char *path)
{
	struct approve_policy *p;
	char *buf, *line, *save = NULL, *kw, *val;
	unsigned lineno = 0;
	size_t n;

	if ((p = calloc(1, sizeof(*p))) == NULL || (buf = strdup(text)) ==
	    NULL) {
		warnp("%s", path);
		free(p);
		return NULL;
	}
	p->require = 2;
	/* strtok_r skips empty lines, so count them by hand. */
	for (line = buf; line != NULL; line = save) {
		lineno++;
		if ((save = strchr(line, '\n')) != NULL)
			*save++ = '\0';
		kw = line + strspn(line, WS);
		if (*kw == '\0' || *kw == '#')
			continue;
		n = strcspn(kw, WS);
		val = kw + n + strspn(kw + n, WS);
		kw[n] = '\0';
		n = strlen(val);
		while (n > 0 && strchr(WS "\r", val[n - 1]) != NULL)
			val[--n] = '\0';
		if (*val == '\0') {
			warn0("%s:%u: %s needs a value", path, lineno, kw);
			goto err;
		}
		if (policy_line(p, kw, val, path, lineno) != 0)
			goto err;
	}
	if (p->nprotect > 0 && p->signers == NULL) {
		warn0("%s: protect lines but no allowed-signers file", path);
		goto err;
	}
	free(buf);
	return p;
err:
	free(buf);
	approve_policy_free(p);
	return NULL;
}

struct approve_policy *
approve_policy_load(const char *path, int missing_ok)
{
	struct approve_policy *p;
	char *text;
	int missing;

	if ((text = read_checked(path, "restore policy", &missing)) ==
	    NULL) {
		if (!missing)
			return NULL;
		if (!missing_ok) {
			warn0("restore policy %s: no such file", path);
			return NULL;
		}
		return approve_policy_parse("", path);
	}
	p = approve_policy_parse(text, path);
	free(text);
	return p;
}

/* 1 if a (an absolute path) is b or lies beneath it. */
static int
beneath(const char *a, const char *b)
{
	size_t n = strlen(b);

	while (n > 0 && b[n - 1] == '/')
		n--;
	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

int
approve_protected(const struct approve_policy *p, const char *target)
{
	char sub[1100];
	size_t i;

	for (i = 0; i < p->nprotect; i++) {
		const char *pat = p->protect[i];

		if (fnmatch(pat, target, 0) == 0)
			return 1;
		if (pat[0] != '/' || target[0] != '/')
			continue;
		/* Beneath a protected directory, or holding one. */
		if (snprintf(sub, sizeof(sub), "%s/*", pat) < (int)sizeof(sub)
		    && fnmatch(sub, target, 0) == 0)
			return 1;
		if (beneath(target, pat) || beneath(pat, target))
			return 1;
	}
	return 0;
}

/* allowed_signers */

/* The next token at *s (double quotes group), NUL-terminated; NULL. */
static char *
token(char **s)
{
	char *p = *s + strspn(*s, WS), *t = p;
	int q = 0;

	if (*p == '\0')
		return NULL;
	for (; *p != '\0' && (q || strchr(WS, *p) == NULL); p++)
		if (*p == '"')
			q = !q;
	if (q)
		return NULL;
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return t;
}

/* 1 if the comma-separated pattern list (quotes removed) matches name. */
static int
list_matches(const char *list, const char *name)
{
	char buf[512], *save = NULL, *pat;

	if (strlen(list) >= sizeof(buf))
		return 0;
	strcpy(buf, list);
	for (pat = strtok_r(buf, ",", &save); pat != NULL;
	    pat = strtok_r(NULL, ",", &save))
		if (fnmatch(pat, name, 0) == 0)
			return 1;
	return 0;
}

/*
 * The options of one line into e: 0, 1 (a line bk leaves out: said), or
 * -1 (malformed).
 */
static int
signer_options(char *opts, struct approve_signer *e, const char *path,
    unsigned lineno)
{
	char *o = opts, *next, *v;
	size_t n;
	int q;

	while (*o != '\0') {
		for (next = o, q = 0; *next != '\0' && (q || *next != ',');
		    next++)
			if (*next == '"')
				q = !q;
		if (*next == ',')
			*next++ = '\0';
		if (strncasecmp(o, "namespaces=", 11) == 0) {
			v = o + 11;
			n = strlen(v);
			if (n < 2 || v[0] != '"' || v[n - 1] != '"')
				return -1;
			v[n - 1] = '\0';
			e->any_namespace = 0;
			e->bk_namespace = list_matches(v + 1,
			    APPROVE_NAMESPACE);
		} else {
			warn0("%s:%u: option \"%s\" is not one bk implements; "
			    "the line is left out", path, lineno, o);
			return 1;
		}
		o = next;
	}
	return 0;
}

/* 1 if s looks like a key type (not options). */
static int
is_keytype(const char *s)
{
	return strncmp(s, "ssh-", 4) == 0 || strncmp(s, "ecdsa-", 6) == 0 ||
	    strncmp(s, "sk-", 3) == 0;
}

/* One non-comment line into e: 0, 1 (left out), or -1 (reported). */
static int
signer_line(char *line, struct approve_signer *e, const char *path,
    unsigned lineno)
{
	char *princ, *type, *b64, *opts = NULL;
	long n;
	int rc;

	e->any_namespace = 1;
	if ((princ = token(&line)) == NULL || (type = token(&line)) == NULL)
		goto bad;
	if (!is_keytype(type)) {
		opts = type;
		if ((type = token(&line)) == NULL)
			goto bad;
	}
	if ((b64 = token(&line)) == NULL)
		goto bad;
	if (opts != NULL &&
	    (rc = signer_options(opts, e, path, lineno)) != 0) {
		if (rc < 0)
			goto bad;
		return 1;
	}
	if ((n = approve_b64decode(b64, strlen(b64), e->key,
	    sizeof(e->key))) < 4 + (long)strlen(type) ||
	    (size_t)e->key[3] != strlen(type) || e->key[0] || e->key[1] ||
	    e->key[2] || memcmp(e->key + 4, type, strlen(type)) != 0) {
		warn0("%s:%u: the key is not a %s public key", path, lineno,
		    type);
		return -1;
	}
	e->keylen = (size_t)n;
	if (princ[0] == '"') {
		princ++;
		princ[strlen(princ) - 1] = '\0';
	}
	if ((e->principals = strdup(princ)) == NULL) {
		warnp("%s", path);
		return -1;
	}
	return 0;
bad:
	warn0("%s:%u: expected \"PRINCIPALS [OPTIONS] KEYTYPE KEY\"", path,
	    lineno);
	return -1;
}

void
approve_signers_free(struct approve_signers *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		free(s->v[i].principals);
	free(s->v);
	free(s);
}

struct approve_signers *
approve_signers_parse(const char *text, const char *path)
{
	struct approve_signers *s;
	char *buf = NULL, *line, *save, *t;
	unsigned lineno = 0;
	size_t cap = 0;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (buf = strdup(text)) == NULL) {
		warnp("%s", path);
		approve_signers_free(s);
		return NULL;
	}
	for (line = buf; line != NULL; line = save) {
		lineno++;
		if ((save = strchr(line, '\n')) != NULL)
			*save++ = '\0';
		if ((t = strchr(line, '\r')) != NULL && t[1] == '\0')
			*t = '\0';
		t = line + strspn(line, WS);
		if (*t == '\0' || *t == '#')
			continue;
		if (s->n == APPROVE_SIGNERS_MAX) {
			warn0("%s: more than %d signers", path,
			    APPROVE_SIGNERS_MAX);
			goto err;
		}
		if (vec_grow(&s->v, &cap, s->n, sizeof(*s->v)) != 0)
			goto err;
		memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
		if ((rc = signer_line(t, &s->v[s->n], path, lineno)) < 0)
			goto err;
		if (rc == 0)
			s->n++;
	}
	free(buf);
	return s;
err:
	free(buf);
	approve_signers_free(s);
	return NULL;
}

struct approve_signers *
approve_signers_load(const char *path)
{
	struct approve_signers *s;
	char *text;
	int missing;

	if ((text = read_checked(path, "allowed signers", &missing)) ==
	    NULL) {
		if (missing)
			warn0("allowed signers %s: no such file", path);
		return NULL;
	}
	s = approve_signers_parse(text, path);
	free(text);
	return s;
}
