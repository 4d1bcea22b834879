/* Scalar reference of every segmentation kernel. The optimised versions in
 * src/segment/<arch>/ must give bit-identical results (tests/checkasm). */
#include "segment/generic/kernels.h"

#include <stdlib.h>

void lq_polar_c(uint8_t *dst, uint8_t *rough, const uint8_t *src, ptrdiff_t stride, const LqPolarTap *map,
                size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = src + map[i].offset;
        const int p00 = p[0], p01 = p[1], p10 = p[stride], p11 = p[stride + 1];
        unsigned wx = map[i].wx, wy = map[i].wy;
        unsigned top = p00 * (256 - wx) + p01 * wx;
        unsigned bot = p10 * (256 - wx) + p11 * wx;
        dst[i] = (uint8_t)((top * (256 - wy) + bot * wy + 32768) >> 16);
        if (rough) {
            const int v = (abs(p01 - p00) + abs(p10 - p00) + abs(p11 - p01) + abs(p11 - p10)) >> 1;
            rough[i] = (uint8_t)(v < 255 ? v : 255);
        }
    }
}

void lq_feature_cols_c(uint16_t *mean, int16_t *f, const uint16_t *col_c, const uint16_t *col_d, int k_q3,
                       int begin, int end)
{
    for (int i = begin; i < end; i++) {
        int sc = 0, sd = 0;
        for (int d = -LQ_FEATURE_HALF; d <= LQ_FEATURE_HALF; d++) sc += col_c[i + d], sd += col_d[i + d];
        mean[i] = (uint16_t)(4 * sc);
        f[i] = (int16_t)(4 * sc - ((2 * sd * k_q3) >> 3));
    }
}

void lq_feature_columns_c(uint16_t *col_c, uint16_t *col_d, const uint8_t *const prev[3], const uint8_t *const cur[3],
                          const uint8_t *const next[3], int begin, int n)
{
    for (int i = begin; i < n; i++) {
        int sc = 0, sd = 0;
        for (int a = 0; a < 3; a++) {
            int c = cur[a][i], dp = abs(c - prev[a][i]), dq = abs(c - next[a][i]);
            sc += c, sd += dp < dq ? dp : dq;
        }
        col_c[i] = (uint16_t)sc, col_d[i] = (uint16_t)sd;
    }
    for (int k = 1; k <= LQ_FEATURE_HALF; k++)
        col_c[-k] = col_c[0], col_d[-k] = col_d[0], col_c[n - 1 + k] = col_c[n - 1], col_d[n - 1 + k] = col_d[n - 1];
}

void lq_feature_ray_c(uint16_t *mean, int16_t *f, const uint8_t *const prev[3], const uint8_t *const cur[3],
                      const uint8_t *const next[3], int n, int k_q3)
{
    uint16_t col_c[LQ_FEATURE_MAX_N + 2 * LQ_FEATURE_HALF], col_d[LQ_FEATURE_MAX_N + 2 * LQ_FEATURE_HALF];
    lq_feature_columns_c(col_c + LQ_FEATURE_HALF, col_d + LQ_FEATURE_HALF, prev, cur, next, 0, n);
    lq_feature_cols_c(mean, f, col_c + LQ_FEATURE_HALF, col_d + LQ_FEATURE_HALF, k_q3, 0, n);
}

void lq_score_c(int16_t *s, const int16_t *f, size_t n, int thr, int gain)
{
    for (size_t i = 0; i < n; i++) {
        int v = ((f[i] - thr) * gain) >> 12;
        s[i] = (int16_t)(v < -256 ? -256 : v > 256 ? 256 : v);
    }
}

void lq_cost_row_c(int32_t *cost, const int16_t *s, int n, int r_min, int w, int alpha)
{
    /* Running sums make every radius O(1): the window [r, r + w) (shorter at
     * the end of the ray), and the tissue-like windows passed inside. */
    int32_t inside = 0, window = 0;
    int end = r_min;
    for (int r = 0; r < n; r++) {
        if (r < r_min) {
            cost[r] = LQ_COST_FORBIDDEN;
            continue;
        }
        int want = r + w < n ? r + w : n;
        while (end < want) window += s[end++];
        cost[r] = alpha * inside - w * window;
        inside += window > 0 ? window : 0;
        window -= s[r];
    }
}

void lq_prior_add_c(int32_t *cost, int n, int r_from, int centre, int mu, int cap)
{
    for (int r = r_from; r < n; r++) {
        int d = r - centre, v = mu * d * d;
        cost[r] += v < cap ? v : cap;
    }
}

void lq_pair_min_c(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int32_t c0 = src[2 * i], c1 = src[2 * i + 1];
        pick[i] = c1 < c0;
        dst[i] = c1 < c0 ? c1 : c0;
    }
}

void lq_dp_row_c(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k,
                 const int32_t *pen)
{
    for (int r = 0; r < n; r++) {
        int32_t best = INT32_MAX;
        for (int d = -k; d <= k; d++) {
            int32_t v = prev[r + d] + pen[d < 0 ? -d : d];
            best = v < best ? v : best;
        }
        acc[r] = cost[r] + best;
    }
}

void lq_speckle_row_c(uint32_t sums[4], const uint8_t *row, int n)
{
    for (int i = 0; i + 1 < n; i++) {
        uint32_t a = row[i], b = row[i + 1];
        if (a <= 8 || b <= 8) continue;
        int32_t d = (int32_t)a - (int32_t)b;
        sums[0] += a, sums[1] += a * a, sums[2] += (uint32_t)(d * d), sums[3]++;
    }
}

void lq_seg_dsp_init_c(LqSegDsp *dsp)
{
    dsp->polar = lq_polar_c;
    dsp->feature_ray = lq_feature_ray_c;
    dsp->score = lq_score_c;
    dsp->cost_row = lq_cost_row_c;
    dsp->prior_add = lq_prior_add_c;
    dsp->pair_min = lq_pair_min_c;
    dsp->dp_row = lq_dp_row_c;
    dsp->speckle_row = lq_speckle_row_c;
}
