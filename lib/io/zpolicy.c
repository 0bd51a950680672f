/* zpolicy.c - the per-frame choice behind `-z zstd'; see zpolicy.h. */
#include <stdlib.h>

#include "bk.h"
#include "io/zpolicy.h"

int
bk_zpolicy_set(ZSTD_CCtx *zc, enum bk_zsetting s)
{
	size_t r;

	r = ZSTD_CCtx_reset(zc, ZSTD_reset_session_and_parameters);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel,
		    s == BK_ZDEEP ? 5 : 3);
	if (!ZSTD_isError(r) && s == BK_ZDEEP)
		r = ZSTD_CCtx_setParameter(zc, ZSTD_c_searchLog, 5);
	if (!ZSTD_isError(r) && s == BK_ZDEEP)
		r = ZSTD_CCtx_setParameter(zc, ZSTD_c_minMatch, 6);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(zc, ZSTD_c_checksumFlag, 1);
	if (ZSTD_isError(r)) {
		warn0("zstd: cannot set parameters: %s", ZSTD_getErrorName(r));
		return -1;
	}
	return 0;
}

/* The compressed size of sample with setting s, or 0 (reported). */
static size_t
trial(ZSTD_CCtx *scratch, enum bk_zsetting s, void *out, size_t cap,
    const void *sample, size_t len)
{
	size_t r;

	if (bk_zpolicy_set(scratch, s) != 0)
		return 0;
	r = ZSTD_compress2(scratch, out, cap, sample, len);
	if (ZSTD_isError(r)) {
		warn0("zstd: trial compression failed: %s",
		    ZSTD_getErrorName(r));
		return 0;
	}
	return r;
}

int
bk_zpolicy_choose(ZSTD_CCtx *scratch, const void *sample, size_t len)
{
	size_t cap = ZSTD_compressBound(len), fast, deep;
	void *out;
	int rc = -1;

	if (len == 0)
		return BK_ZFAST;
	if ((out = malloc(cap)) == NULL) {
		warnp("zstd: trial buffer");
		return -1;
	}
	if ((fast = trial(scratch, BK_ZFAST, out, cap, sample, len)) != 0 &&
	    (deep = trial(scratch, BK_ZDEEP, out, cap, sample, len)) != 0)
		rc = deep * 100 <= fast * (100 - BK_ZDEEP_GAIN) ? BK_ZDEEP :
		    BK_ZFAST;
	free(out);
	return rc;
}
