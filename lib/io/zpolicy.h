/*
 * zpolicy.h - what `-z zstd' (the default, no level) compresses with.
 *
 * The stream is cut into zstd frames of BK_ZFRAME input bytes (a reader
 * sees one valid zstd stream of several frames, as zstd -d does).  Each
 * frame is compressed with zstd level 3 unless a trial on its first
 * BK_ZSAMPLE bytes finds that a deeper match search (level 5, searchLog 5,
 * minMatch 6) stores at least BK_ZDEEP_GAIN percent fewer bytes: then the
 * whole frame gets the deeper search.
 *
 * Why: level 3 stores less than gzip -6 on ordinary documents and on text
 * with a rich vocabulary, at 7 to 14 times less CPU, but 12% more on text
 * from a tiny vocabulary (many short repeats, which level 3's match finder
 * misses).  There the deeper search gains 11%, on the others 0 to 4%, so
 * paying 2.5 to 4 times the CPU everywhere for it was waste.  The choice
 * depends only on the data, never on the machine's load: the same input
 * always gives the same bytes.  docs/BENCHMARKS.md has the measurements.
 */
#ifndef BK_ZPOLICY_H
#define BK_ZPOLICY_H

#include <stddef.h>

#include <zstd.h>

#define BK_ZFRAME (4u << 20)		/* input bytes per frame */
#define BK_ZSAMPLE (128u << 10)		/* the trial's sample */
#define BK_ZDEEP_GAIN 8			/* percent fewer bytes to go deep */

/* The two settings a frame can get. */
enum bk_zsetting { BK_ZFAST, BK_ZDEEP };

/*
 * Choose the setting for a frame that starts with sample[0..len): trial
 * compressions of the sample with both settings in scratch (a context
 * of the caller's, reused).  BK_ZFAST or BK_ZDEEP, or -1 (reported).
 */
int bk_zpolicy_choose(ZSTD_CCtx *scratch, const void *sample, size_t len);

/*
 * Reset zc's parameters to setting s, with a content checksum in every
 * frame.  0, or -1 (reported).
 */
int bk_zpolicy_set(ZSTD_CCtx *zc, enum bk_zsetting s);

#endif /* !BK_ZPOLICY_H */
