/* Segmentation kernels as a function table (dav1d-style). lq_seg_dsp_init()
 * fills it with the scalar C reference, then lets each architecture overwrite
 * the entries its CPU level supports. It resolves the level itself (-1: the
 * best this CPU runs, lowered by LUMENQ_CPU), so no caller can hand it an
 * unresolved one. Callers never branch on the ISA.
 * Every kernel is integer-only so that optimised versions are bit-exact. */
#ifndef LQ_SEG_DSP_H
#define LQ_SEG_DSP_H

#include <stddef.h>
#include <stdint.h>

/* One bilinear tap of the Cartesian -> polar resampling map: the top-left
 * source pixel and the 8-bit fractional weights towards x+1 and y+1. */
typedef struct LqPolarTap {
    int32_t offset;
    uint8_t wx, wy;
    uint16_t unused;
} LqPolarTap;

typedef struct LqSegDsp {
    /* dst[i] = bilinear(src at map[i]), rounded; src rows are `stride` bytes.
     * src must have LQ_POLAR_SRC_PADDING readable bytes after its last pixel
     * (vector versions load 4 bytes per tap). Unless rough is NULL, also
     * rough[i] = min((|p01 - p00| + |p10 - p00| + |p11 - p01| + |p11 - p10|) >> 1, 255)
     * over the tap's four pixels (p01: x + 1, p10: y + 1): the variation of
     * the image within the cell, read before interpolation smooths it away.
     * Speckle finer than blood's (a scar's) is rougher at the same brightness. */
    void (*polar)(uint8_t *dst, uint8_t *rough, const uint8_t *src, ptrdiff_t stride, const LqPolarTap *map,
                  size_t n);
    /* The feature of one ray of n samples (n <= LQ_FEATURE_MAX_N), from three
     * rays (the ray and its two neighbours: row 0, 1, 2 of prev, cur, next),
     * summed over those 3 rays x (2 * LQ_FEATURE_HALF + 1) samples along them,
     * the samples beyond either end of the ray replicating its end:
     *   mean[i] = 4 * sum(cur)                                  (0..15300)
     *   f[i] = mean[i] - ((2 * sum(min(|cur-prev|, |cur-next|)) * k_q3) >> 3)
     * with 0 <= k_q3 <= 32, so f never leaves int16. Echogenicity corrected
     * for decorrelation: blood speckle decorrelates between frames, tissue
     * texture persists. The minimum keeps a moving wall (gated pullbacks,
     * breathing) from looking like blood: an edge that moves differs from one
     * neighbour on each side, not from both at the same place. Intensity is
     * the current frame only, so moving edges are not smeared. */
    void (*feature_ray)(uint16_t *mean, int16_t *f, const uint8_t *const prev[3], const uint8_t *const cur[3],
                        const uint8_t *const next[3], int n, int k_q3);
    /* s = clamp(((f - thr) * gain) >> 12, -256, 256): signed tissue-ness. */
    void (*score)(int16_t *s, const int16_t *f, size_t n, int thr, int gain);
    /* Border cost along one ray, with win(r) = the score summed over [r, r+w):
     * cost(r) = alpha * (sum of max(win(r'), 0) for r_min <= r' < r) - w * win(r),
     * i.e. w times (alpha * mean tissue-like window passed - win): a wall passed
     * inside costs; speckle blobs in blood, whose 1 mm windows stay blood-like,
     * do not. Radii below r_min cost LQ_COST_FORBIDDEN. Scores lie in
     * [-256, 256]; n <= 1024, 1 <= w <= 64, 0 <= alpha <= 16. */
    void (*cost_row)(int32_t *cost, const int16_t *s, int n, int r_min, int w, int alpha);
    /* Previous-border prior: cost[r] += min(mu * (r - centre)^2, cap) for
     * r_from <= r < n. mu * n^2 < 2^31. */
    void (*prior_add)(int32_t *cost, int n, int r_from, int centre, int mu, int cap);
    /* Pairs of radii: dst[i] = min(src[2i], src[2i+1]), pick[i] = src[2i+1] < src[2i]. */
    void (*pair_min)(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n);
    /* One dynamic-programming step over angles:
     * acc[r] = cost[r] + min_{|d|<=k} (prev[r+d] + pen[|d|]). The chosen d is
     * not kept: the caller keeps every row and finds it again on the one path
     * it traces back (one state a row instead of n: min alone, no compare and
     * blend per candidate). prev[-k..-1] and prev[n..n+k-1] must hold
     * LQ_DP_SENTINEL: it never wins, since d = 0 is always a real candidate,
     * as long as prev + pen stays below it (prev is kept normalised). */
    void (*dp_row)(int32_t *acc, const int32_t *prev, const int32_t *cost, int n,
                   int k, const int32_t *pen);
    /* Speckle statistics of one image row: over the pairs (a, b) = (row[i],
     * row[i+1]), 0 <= i < n-1, whose pixels are both above 8 (background
     * outside the field of view is not speckle), sums[0] += a, sums[1] += a*a,
     * sums[2] += (a-b)^2, sums[3] += 1. n <= 4096, so a row's sums fit. */
    void (*speckle_row)(uint32_t sums[4], const uint8_t *row, int n);
} LqSegDsp;

#define LQ_FEATURE_HALF 2
#define LQ_FEATURE_MAX_N 1024
#define LQ_COST_FORBIDDEN (1 << 24)
#define LQ_DP_SENTINEL 0x3FFFFFFF
#define LQ_POLAR_SRC_PADDING 4

/* cpu_level: an LqCpuLevel, or -1 for the best; clamped to what runs here. */
void lq_seg_dsp_init(LqSegDsp *dsp, int cpu_level);
void lq_seg_dsp_init_c(LqSegDsp *dsp);

#endif
