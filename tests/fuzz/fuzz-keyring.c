/* fuzz-keyring.c - the keyring file parser (through a private temp file). */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "bk.h"
#include "fuzz.h"
#include "key/keyring.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[] = "/tmp/bk-fuzz-keyring.XXXXXX";
	static int fd = -1;
	struct keyring *kr;

	fuzz_quiet();
	if (fd == -1 && (fd = mkstemp(path)) == -1)
		abort();
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size || fchmod(fd, 0600) != 0)
		abort();
	if ((kr = keyring_load(path)) != NULL) {
		(void)keyring_current(kr);
		keyring_free(kr);
	}
	return 0;
}
