/*
 * fuzz-audit.c - the audit checker (lib/audit.c): its line parser, for
 * log lines and digests, on each line of the input; the redaction of URL
 * userinfo; and the whole check of the input as a log.
 */
#include <sys/mman.h>

#include <stdlib.h>
#include <unistd.h>

#include "audit.h"
#include "bk.h"
#include "fuzz.h"

/* The input as a log in a memory file, checked whole. */
static void
check_whole(const uint8_t *data, size_t size)
{
	char path[64];
	FILE *devnull;
	int fd;

	if ((fd = memfd_create("fuzz-audit", 0)) == -1)
		return;
	if (write(fd, data, size) == (ssize_t)size &&
	    (devnull = fopen("/dev/null", "w")) != NULL) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		(void)bk_audit_check(path, devnull);
		fclose(devnull);
	}
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p, *end, *nl, *why;
	char hex[65], *text;
	int64_t seq;

	fuzz_quiet();
	for (p = (const char *)data, end = p + size; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		(void)bk_audit_parse_line(p, (size_t)(nl - p), 0, &seq, hex,
		    &why);
		(void)bk_audit_parse_line(p, (size_t)(nl - p), 1, &seq, hex,
		    &why);
	}
	if ((text = malloc(size + 1)) != NULL) {
		memcpy(text, data, size);
		text[size] = '\0';
		free(bk_audit_redact(text));
		free(text);
	}
	check_whole(data, size);
	return 0;
}
