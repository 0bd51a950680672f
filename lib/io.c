/* io.c - read and write loops that survive EINTR and short transfers. */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "bk.h"

ssize_t
bk_read_full(int fd, void *buf, size_t len, const char *name)
{
	unsigned char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warnp("read %s", name);
			return -1;
		}
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
bk_write_full(int fd, const void *buf, size_t len, const char *name)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warnp("write %s", name);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
bk_close_stdout(void)
{
	int bad = 0;

	if (fflush(stdout) != 0 || ferror(stdout))
		bad = 1;
	/*
	 * Close the descriptor too: on NFS and some pipes the error of a
	 * write only shows at close.
	 */
	if (fclose(stdout) != 0)
		bad = 1;
	if (bad) {
		warnp("<stdout>");
		return -1;
	}
	return 0;
}

uint64_t
bk_fd_size(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	return (uint64_t)st.st_size;
}

void
bk_ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}
