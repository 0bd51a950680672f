/* secret.c - keep secrets off argv, out of readable files, out of memory. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bk.h"

void
bk_wipe(void *p, size_t len)
{
	if (p != NULL)
		OPENSSL_cleanse(p, len);
}

int
bk_check_private(int fd, const char *name)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		warnp("stat %s", name);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		warn0("%s: not a regular file", name);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		warn0("%s: readable or writable by group or other (mode %04o);"
		    " run chmod 600 %s", name, (unsigned)(st.st_mode & 07777),
		    name);
		return -1;
	}
	return 0;
}

char *
bk_read_secret_file(const char *path, size_t max, size_t *lenp)
{
	int fd;

	if ((fd = bk_open_regular(path, O_NOFOLLOW, "secret file")) == -1)
		return NULL;
	if (bk_check_private(fd, path) != 0) {
		close(fd);
		return NULL;
	}
	return bk_read_text_fd(fd, path, max, lenp, "secret file");
}
