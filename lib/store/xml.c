/*
 * store/xml.c - find elements in S3's XML replies and decode their text.  Every
 * scan is bounded by the end pointer, never by a NUL.
 */
#include <stdlib.h>
#include <string.h>

#include "store/xml.h"

/* p points at '<': is it the start tag of name (then *gt = its '>')? */
static int
is_start(const char *p, const char *end, const char *name, size_t nlen,
    const char **gt)
{
	const char *q;

	if ((size_t)(end - p) < nlen + 2 || memcmp(p + 1, name, nlen) != 0)
		return 0;
	q = p + 1 + nlen;
	if (*q != '>' && *q != ' ' && *q != '/' && *q != '\t' &&
	    *q != '\n' && *q != '\r')
		return 0;
	if ((q = memchr(q, '>', (size_t)(end - q))) == NULL)
		return 0;
	*gt = q;
	return 1;
}

int
xml_find(const char *p, const char *end, const char *name, const char **in,
    size_t *inlen, const char **after)
{
	size_t nlen = strlen(name);
	const char *gt, *c;

	while (p < end && (p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		if (!is_start(p, end, name, nlen, &gt)) {
			p++;
			continue;
		}
		if (gt[-1] == '/') {
			*in = gt + 1;
			*inlen = 0;
			*after = gt + 1;
			return 0;
		}
		for (c = gt + 1; c < end &&
		    (c = memchr(c, '<', (size_t)(end - c))) != NULL; c++) {
			if ((size_t)(end - c) >= nlen + 3 && c[1] == '/' &&
			    memcmp(c + 2, name, nlen) == 0 &&
			    c[2 + nlen] == '>') {
				*in = gt + 1;
				*inlen = (size_t)(c - *in);
				*after = c + 3 + nlen;
				return 0;
			}
		}
		return -1;
	}
	return -1;
}

/* Append the UTF-8 encoding of code point cp; -1 if not a valid one. */
static int
put_utf8(char **o, unsigned long cp)
{
	char *q = *o;

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	if (cp < 0x80)
		*q++ = (char)cp;
	else if (cp < 0x800) {
		*q++ = (char)(0xC0 | (cp >> 6));
		*q++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*q++ = (char)(0xE0 | (cp >> 12));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*q++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*q++ = (char)(0xF0 | (cp >> 18));
		*q++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*q++ = (char)(0x80 | (cp & 0x3F));
	}
	*o = q;
	return 0;
}

/* Decode one entity at p (just past '&'); returns its length or -1. */
static int
put_entity(char **o, const char *p, const char *end)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	const char *semi;
	unsigned long cp;
	char num[12], *e;
	size_t i, len;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		len = strlen(ents[i].name);
		if ((size_t)(end - p) >= len && memcmp(p, ents[i].name,
		    len) == 0) {
			*(*o)++ = ents[i].c;
			return (int)len;
		}
	}
	if (p >= end || *p != '#' ||
	    (semi = memchr(p, ';', (size_t)(end - p))) == NULL ||
	    semi - p < 2 || semi - p > 10)
		return -1;
	memcpy(num, p + 1, (size_t)(semi - p - 1));
	num[semi - p - 1] = '\0';
	cp = (num[0] == 'x') ? strtoul(num + 1, &e, 16) : strtoul(num, &e, 10);
	if (*e != '\0' || put_utf8(o, cp) != 0)
		return -1;
	return (int)(semi - p + 1);
}

char *
xml_text(const char *p, const char *end, const char *name)
{
	const char *in, *after, *s, *e;
	size_t inlen;
	char *out, *o;
	int n;

	if (xml_find(p, end, name, &in, &inlen, &after) != 0 ||
	    inlen > XML_TEXT_MAX)
		return NULL;
	if ((out = malloc(inlen + 1)) == NULL)
		return NULL;
	for (s = in, e = in + inlen, o = out; s < e; s++) {
		if (*s == '<' || *s == '\0')
			goto bad;
		if (*s != '&') {
			*o++ = *s;
			continue;
		}
		if ((n = put_entity(&o, s + 1, e)) < 0)
			goto bad;
		s += n;
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}
