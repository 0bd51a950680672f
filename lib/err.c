/* err.c - diagnostics: one line on stderr, prefixed with the tool's name. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bk.h"

static const char *progname = "bk";
static char lasterr[512];
static int quiet;

void
bk_set_quiet(int on)
{
	quiet = on;
}

void
bk_setprogname(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	progname = p ? p + 1 : argv0;
}

const char *
bk_progname(void)
{
	return progname;
}

const char *
bk_last_error(void)
{
	return lasterr;
}

static void
vwarn(const char *fmt, va_list ap, const char *suffix)
{
	int n;

	n = vsnprintf(lasterr, sizeof(lasterr), fmt, ap);
	if (suffix != NULL && n >= 0 && (size_t)n < sizeof(lasterr))
		snprintf(lasterr + n, sizeof(lasterr) - (size_t)n, ": %s",
		    suffix);
	/*
	 * One line per diagnostic, whatever the text: a server's message may
	 * hold newlines, and scripts read our stderr line by line.
	 */
	for (char *c = lasterr; *c != '\0'; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	/* One write so concurrent tools in a pipeline do not interleave. */
	if (!quiet)
		fprintf(stderr, "%s: %s\n", progname, lasterr);
}

void
warnp(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vwarn(fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
warn0(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vwarn(fmt, ap, NULL);
	va_end(ap);
	errno = saved;
}

int
bk_exit_status(int result)
{
	switch (result) {
	case BK_OK: return BK_EXIT_OK;
	case BK_NEGATIVE: return BK_EXIT_NEGATIVE;
	case BK_RETRY: return BK_EXIT_TEMP;
	default: return BK_EXIT_FAIL;
	}
}

int
bk_result_worse(int a, int b)
{
	static const int order[] = { BK_RETRY, BK_FAIL, BK_NEGATIVE };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (a == order[i] || b == order[i])
			return order[i];
	return BK_OK;
}

void
bk_print_version(void)
{
	printf("%s (bk) %s\n", progname, BK_VERSION);
}
