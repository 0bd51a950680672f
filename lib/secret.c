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
	char *buf;
	ssize_t n;
	int fd;

	if ((fd = bk_open_regular(path, O_NOFOLLOW, "secret file")) == -1)
		return NULL;
	if (bk_check_private(fd, path) != 0)
		goto err0;
	if ((buf = malloc(max + 1)) == NULL) {
		warnp("malloc");
		goto err0;
	}
	/* Read one byte more than allowed to tell "too large" from "full". */
	if ((n = bk_read_full(fd, buf, max + 1, path)) < 0)
		goto err1;
	if ((size_t)n > max) {
		warn0("%s: larger than %zu bytes", path, max);
		goto err1;
	}
	close(fd);
	buf[n] = '\0';
	*lenp = (size_t)n;
	return buf;

err1:
	bk_wipe(buf, max + 1);
	free(buf);
err0:
	close(fd);
	return NULL;
}
