/*
 * fuzz-policy.c - the restore policy, allowed_signers and restore request
 * parsers (lib/approve): the first byte picks the parser, the rest is its
 * text.
 */
#include "approve/approve.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct approve_policy *p;
	struct approve_request r;
	char *text;

	if (size < 1)
		return 0;
	fuzz_quiet();
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		if ((p = approve_policy_parse(text, "/etc/bk/policy")) != NULL) {
			(void)approve_protected(p, "/srv/uploads/a");
			(void)approve_protected(p, "h:27017/prod");
		}
		approve_policy_free(p);
		break;
	case 1:
		approve_signers_free(approve_signers_parse(text, "signers"));
		break;
	case 2:
		(void)approve_request_parse(text, "request", &r);
		break;
	}
	free(text);
	return 0;
}
