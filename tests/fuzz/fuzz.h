/*
 * fuzz.h - what the libFuzzer targets share: a reader over the fuzzer's
 * bytes, and silence (the library reports every refusal on stderr, which
 * would flood the fuzzer's output).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "bk.h"

struct fuzz_in {
	const uint8_t *p;
	size_t len, off;
};

/* A readfn over memory: at most len bytes, 0 at the end. */
static inline ssize_t
fuzz_read(void *ctx, void *buf, size_t len)
{
	struct fuzz_in *in = ctx;
	size_t n = in->len - in->off;

	if (n > len)
		n = len;
	memcpy(buf, in->p + in->off, n);
	in->off += n;
	return (ssize_t)n;
}

/* Keep the library's diagnostics off stderr unless FUZZ_VERBOSE is set. */
static inline void
fuzz_quiet(void)
{
	bk_set_quiet(getenv("FUZZ_VERBOSE") == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* !FUZZ_H */
