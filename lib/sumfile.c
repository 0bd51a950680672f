/* sumfile.c - read and write the sha256sum(1) line format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"

char *
bk_sumline(const unsigned char digest[BK_SHA256_LEN], const char *name)
{
	char hex[2 * BK_SHA256_LEN + 1];
	char *line, *q;
	const char *p;
	int esc = strpbrk(name, "\\\n\r") != NULL;

	/* Worst case every character doubles, plus "\\", hex, "  ", "\n". */
	if ((line = malloc(2 * strlen(name) + sizeof(hex) + 5)) == NULL) {
		warnp("malloc");
		return NULL;
	}
	bk_hex(hex, digest, BK_SHA256_LEN);
	q = line;
	if (esc)
		*q++ = '\\';
	q += sprintf(q, "%s  ", hex);
	for (p = name; *p != '\0'; p++) {
		if (esc && (*p == '\\' || *p == '\n' || *p == '\r')) {
			*q++ = '\\';
			*q++ = *p == '\\' ? '\\' : *p == '\n' ? 'n' : 'r';
		} else
			*q++ = *p;
	}
	*q++ = '\n';
	*q = '\0';
	return line;
}

/* Undo sha256sum's escaping in place; -1 on a bad escape. */
static int
unescape(char *s)
{
	char *r = s, *w = s;

	while (*r != '\0') {
		if (*r != '\\') {
			*w++ = *r++;
			continue;
		}
		switch (r[1]) {
		case '\\': *w++ = '\\'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		default: return -1;
		}
		r += 2;
	}
	*w = '\0';
	return 0;
}

/*
 * Split one line into its hex digest and name.  Returns 0, or -1 if the
 * line is not in either format.
 */
static int
parse_line(char *line, char **hexp, char **namep)
{
	int esc = 0;
	size_t n;
	char *eq;

	if (*line == '\\') {
		esc = 1;
		line++;
	}
	if (strncmp(line, "SHA256 (", 8) == 0) {
		/* BSD tag format: SHA256 (NAME) = HEX */
		if ((eq = strstr(line, ") = ")) == NULL)
			return -1;
		*eq = '\0';
		*namep = line + 8;
		*hexp = eq + 4;
		if (strlen(*hexp) != 2 * BK_SHA256_LEN)
			return -1;
	} else {
		n = strspn(line, "0123456789abcdefABCDEF");
		if (n != 2 * BK_SHA256_LEN || line[n] != ' ' ||
		    (line[n + 1] != ' ' && line[n + 1] != '*'))
			return -1;
		line[n] = '\0';
		*hexp = line;
		*namep = line + n + 2;
	}
	if (esc && unescape(*namep) != 0)
		return -1;
	return 0;
}

int
bk_sumtext_lookup(const char *text, const char *path, const char *name,
    unsigned char digest[BK_SHA256_LEN])
{
	char *copy, *line, *next, *hex, *lname;
	int found = 0, entries = 0, lineno = 0, rc = BK_FAIL;
	size_t n;

	if ((copy = strdup(text)) == NULL) {
		warnp("malloc");
		return -1;
	}
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		/* A file that went through Windows ends its lines in CRLF;
		 * sha256sum -c accepts it.  A CR inside a name is escaped
		 * (\r), so a raw one at the end is never part of the name. */
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (parse_line(line, &hex, &lname) != 0) {
			warn0("%s:%d: not a SHA-256 checksum line", path,
			    lineno);
			goto done;
		}
		entries++;
		if (name != NULL && strcmp(name, lname) != 0)
			continue;
		if (found++ > 0) {
			if (name != NULL)
				warn0("%s: more than one line for %s", path,
				    name);
			else
				warn0("%s: holds several checksums; name the "
				    "one to check with -n", path);
			goto done;
		}
		if (bk_unhex(digest, hex, BK_SHA256_LEN) != 0) {
			warn0("%s:%d: malformed digest", path, lineno);
			goto done;
		}
	}
	if (!found) {
		if (name != NULL && entries > 0) {
			warn0("%s: no checksum for %s", path, name);
			rc = BK_NEGATIVE;
		} else
			warn0("%s: no checksum line", path);
		goto done;
	}
	rc = BK_OK;
done:
	free(copy);
	return rc;
}
