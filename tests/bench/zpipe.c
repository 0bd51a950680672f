/*
 * zpipe.c - compress standard input to standard output with bk-dump's own
 * compressor (lib/compress.c), so tests/bench/bench-compress.sh measures
 * exactly what bk-dump -z SPEC would store, without a database in front.
 *   zpipe SPEC < in > out        SPEC as bk-dump -z takes it
 *   zpipe --default-zstd         print what -z zstd means: zstd:LEVEL
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bk.h"
#include "compress.h"

int
main(int argc, char **argv)
{
	static unsigned char buf[64 * 1024];
	struct bk_zwriter *w;
	enum bk_comp m;
	ssize_t n;
	int level;

	bk_setprogname(argv[0]);
	if (argc != 2) {
		fprintf(stderr, "usage: zpipe none|gzip|zstd[:LEVEL] | "
		    "--default-zstd\n");
		return BK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--default-zstd") == 0) {
		if (bk_comp_parse("zstd", &m, &level) != 0)
			return BK_EXIT_FAIL;
		if (level == BK_ZSTD_DEFAULT)
			printf("zstd (per frame: 3, or 5 with a deeper "
			    "search)\n");
		else
			printf("zstd:%d\n", level);
		return BK_EXIT_OK;
	}
	if (bk_comp_parse(argv[1], &m, &level) != 0)
		return BK_EXIT_USAGE;
	if ((w = bk_zwriter_new(STDOUT_FILENO, m, level, "<stdout>")) == NULL)
		return BK_EXIT_FAIL;
	while ((n = bk_read_full(STDIN_FILENO, buf, sizeof(buf), "<stdin>")) > 0)
		if (bk_zwriter_write(w, buf, (size_t)n) != 0)
			goto err;
	if (n < 0)
		goto err;
	return bk_zwriter_finish(w) == 0 ? BK_EXIT_OK : BK_EXIT_FAIL;
err:
	bk_zwriter_free(w);
	return BK_EXIT_FAIL;
}
