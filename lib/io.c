/* io.c - read and write loops that survive EINTR and short transfers. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
			if (errno == EPIPE)
				warn0("write %s: Broken pipe (the next stage of "
				    "the pipeline stopped reading)", name);
			else
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
bk_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
bk_ignore_sigpipe(void)
{
	signal(SIGPIPE, SIG_IGN);
}

int
bk_open_regular(const char *path, int flags, const char *what)
{
	struct stat st;
	int fd, fl;

	/* O_NONBLOCK: open() of a FIFO with no writer would wait forever. */
	if ((fd = open(path, flags | O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1) {
		warnp("open %s", path);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		warnp("stat %s", path);
		goto err;
	}
	if (!S_ISREG(st.st_mode)) {
		warn0("%s %s: not a regular file", what, path);
		goto err;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		warnp("fcntl %s", path);
		goto err;
	}
	return fd;
err:
	close(fd);
	return -1;
}

char *
bk_read_text_fd(int fd, const char *path, size_t max, size_t *lenp,
    const char *what)
{
	char *buf;
	ssize_t n;
	int why = EIO;

	if ((buf = malloc(max + 1)) == NULL) {
		warnp("malloc");
		goto err0;
	}
	/* One byte more than allowed tells "too large" from "exactly full". */
	if ((n = bk_read_full(fd, buf, max + 1, path)) < 0)
		goto err1;
	if ((size_t)n > max) {
		warn0("%s %s: larger than %zu bytes", what, path, max);
		why = EFBIG;
		goto err1;
	}
	if (memchr(buf, '\0', (size_t)n) != NULL) {
		warn0("%s %s: binary data (a NUL byte), not text", what, path);
		why = EILSEQ;
		goto err1;
	}
	close(fd);
	buf[n] = '\0';
	if (lenp != NULL)
		*lenp = (size_t)n;
	return buf;
err1:
	bk_wipe(buf, max + 1);
	free(buf);
err0:
	close(fd);
	errno = why;
	return NULL;
}

char *
bk_read_small_file(const char *path, size_t max, size_t *lenp,
    const char *what)
{
	int fd;

	if ((fd = bk_open_regular(path, 0, what)) == -1)
		return NULL;
	return bk_read_text_fd(fd, path, max, lenp, what);
}
