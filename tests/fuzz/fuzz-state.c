/* fuzz-state.c - bk-verify's state file as bk-prune reads it. */
#include <stdlib.h>

#include "fuzz.h"
#include "prune/state.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state *st;
	char *text;

	fuzz_quiet();
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (state_parse(text, "<fuzz>", &st) == 0) {
		(void)state_find(st, "s3://b/db/db-1.bk");
		(void)state_count_under(st, "s3://b/db/");
		state_free(st);
	}
	free(text);
	return 0;
}
