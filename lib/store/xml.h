/*
 * store/xml.h - just enough XML for S3 replies: find an element by name and
 * return its decoded text.  Not a parser: S3 bodies are flat, machine-made
 * and capped in size by the caller; element names are matched exactly.
 */
#ifndef XML_H
#define XML_H

#include <stddef.h>

/* Largest element text xml_text returns (longer text is refused). */
#define XML_TEXT_MAX (64 * 1024)

/*
 * Find the first element <name ...>...</name> in [p, end).  On success
 * in and inlen span its raw content and after points past the closing tag;
 * returns 0.  Returns -1 if there is none (not reported).  An empty
 * element written as a self-closing tag matches with empty content.
 */
int xml_find(const char *p, const char *end, const char *name,
    const char **in, size_t *inlen, const char **after);

/*
 * The decoded text (entities &amp; &lt; &gt; &quot; &apos; &#N; &#xN;
 * resolved, CDATA not supported) of the first element name in [p, end),
 * as a new string; NULL if absent, malformed or over XML_TEXT_MAX (not
 * reported: the caller knows what was missing).
 */
char *xml_text(const char *p, const char *end, const char *name);

#endif /* !XML_H */
