/* NEON segmentation kernels (aarch64, where NEON is baseline); bit-exact
 * twins of src/segment/generic/kernels_c.c. polar and cost_row stay scalar:
 * NEON has no gather, and cost_row's prefix sums gain little at 4 lanes. */
#include "segment/arm/kernels.h"
#include "segment/generic/kernels.h"

#include <arm_neon.h>
#include <string.h>

/* The SSE2 version's two passes: column sums of the three rays (ends
 * replicated), then the box along the ray and the feature. */
void lq_feature_ray_neon(uint16_t *mean, int16_t *f, const uint8_t *const prev[3], const uint8_t *const cur[3],
                         const uint8_t *const next[3], int n, int k_q3)
{
    enum { H = LQ_FEATURE_HALF };
    if (n < 16 || n > LQ_FEATURE_MAX_N) {
        lq_feature_ray_c(mean, f, prev, cur, next, n, k_q3);
        return;
    }
    uint16_t col_c[LQ_FEATURE_MAX_N + 2 * H], col_d[LQ_FEATURE_MAX_N + 2 * H];
    uint16_t *cc = col_c + H, *cd = col_d + H;
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        uint16x8_t c_lo = vdupq_n_u16(0), c_hi = c_lo, d_lo = c_lo, d_hi = c_lo;
        for (int a = 0; a < 3; a++) {
            uint8x16_t c = vld1q_u8(cur[a] + i);
            uint8x16_t m = vminq_u8(vabdq_u8(c, vld1q_u8(prev[a] + i)), vabdq_u8(c, vld1q_u8(next[a] + i)));
            c_lo = vaddw_u8(c_lo, vget_low_u8(c)), c_hi = vaddw_u8(c_hi, vget_high_u8(c));
            d_lo = vaddw_u8(d_lo, vget_low_u8(m)), d_hi = vaddw_u8(d_hi, vget_high_u8(m));
        }
        vst1q_u16(cc + i, c_lo), vst1q_u16(cc + i + 8, c_hi);
        vst1q_u16(cd + i, d_lo), vst1q_u16(cd + i + 8, d_hi);
    }
    lq_feature_columns_c(cc, cd, prev, cur, next, i, n);
    const uint16_t k2 = (uint16_t)(2 * k_q3);
    for (i = 0; i + 8 <= n; i += 8) {
        uint16x8_t sc = vld1q_u16(cc + i - H), sd = vld1q_u16(cd + i - H);
        for (int d = -H + 1; d <= H; d++) sc = vaddq_u16(sc, vld1q_u16(cc + i + d)), sd = vaddq_u16(sd, vld1q_u16(cd + i + d));
        uint16x8_t m = vshlq_n_u16(sc, 2);
        uint16x8_t x = vcombine_u16(vshrn_n_u32(vmull_n_u16(vget_low_u16(sd), k2), 3),
                                    vshrn_n_u32(vmull_n_u16(vget_high_u16(sd), k2), 3));
        vst1q_u16(mean + i, m);
        vst1q_s16(f + i, vreinterpretq_s16_u16(vsubq_u16(m, x)));
    }
    lq_feature_cols_c(mean, f, cc, cd, k_q3, i, n);
}

void lq_score_neon(int16_t *s, const int16_t *f, size_t n, int thr, int gain)
{
    const int32x4_t t = vdupq_n_s32(thr), lo = vdupq_n_s32(-256), hi = vdupq_n_s32(256);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        int16x8_t x = vld1q_s16(f + i);
        int32x4_t a = vshrq_n_s32(vmulq_n_s32(vsubq_s32(vmovl_s16(vget_low_s16(x)), t), gain), 12);
        int32x4_t b = vshrq_n_s32(vmulq_n_s32(vsubq_s32(vmovl_s16(vget_high_s16(x)), t), gain), 12);
        a = vminq_s32(vmaxq_s32(a, lo), hi);
        b = vminq_s32(vmaxq_s32(b, lo), hi);
        vst1q_s16(s + i, vcombine_s16(vmovn_s32(a), vmovn_s32(b)));
    }
    if (i < n) lq_score_c(s + i, f + i, n - i, thr, gain);
}

void lq_prior_add_neon(int32_t *cost, int n, int r_from, int centre, int mu, int cap)
{
    static const int32_t lane_init[4] = {0, 1, 2, 3};
    const int32x4_t lane = vld1q_s32(lane_init), vcap = vdupq_n_s32(cap);
    int r = r_from;
    for (; r + 4 <= n; r += 4) {
        int32x4_t d = vaddq_s32(vdupq_n_s32(r - centre), lane);
        int32x4_t v = vminq_s32(vmulq_n_s32(vmulq_s32(d, d), mu), vcap);
        vst1q_s32(cost + r, vaddq_s32(vld1q_s32(cost + r), v));
    }
    if (r < n) lq_prior_add_c(cost, n, r, centre, mu, cap);
}

void lq_pair_min_neon(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        int32x4x2_t eo = vld2q_s32(src + 2 * i); /* deinterleaves even and odd radii */
        vst1q_s32(dst + i, vminq_s32(eo.val[0], eo.val[1]));
        uint16x4_t p16 = vmovn_u32(vandq_u32(vcgtq_s32(eo.val[0], eo.val[1]), vdupq_n_u32(1)));
        uint8x8_t p8 = vmovn_u16(vcombine_u16(p16, p16));
        uint32_t four = vget_lane_u32(vreinterpret_u32_u8(p8), 0);
        memcpy(pick + i, &four, 4);
    }
    if (i < n) lq_pair_min_c(dst + i, pick + i, src + 2 * i, n - i);
}

void lq_dp_row_neon(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k, const int32_t *pen)
{
    int r = 0;
    for (; r + 8 <= n; r += 8) { /* two vectors share each candidate's penalty */
        int32x4_t best0 = vdupq_n_s32(INT32_MAX), best1 = best0;
        for (int d = -k; d <= k; d++) {
            int32x4_t p = vdupq_n_s32(pen[d < 0 ? -d : d]);
            best0 = vminq_s32(best0, vaddq_s32(vld1q_s32(prev + r + d), p));
            best1 = vminq_s32(best1, vaddq_s32(vld1q_s32(prev + r + d + 4), p));
        }
        vst1q_s32(acc + r, vaddq_s32(best0, vld1q_s32(cost + r)));
        vst1q_s32(acc + r + 4, vaddq_s32(best1, vld1q_s32(cost + r + 4)));
    }
    if (r < n) lq_dp_row_c(acc + r, prev + r, cost + r, n - r, k, pen);
}

/* Sixteen pairs a step: the mask from unsigned compares, a and the mask
 * summed by pairwise widening adds, squares by widening multiplies. */
void lq_speckle_row_neon(uint32_t sums[4], const uint8_t *row, int n)
{
    const uint8x16_t eight = vdupq_n_u8(8), one = vdupq_n_u8(1);
    uint32x4_t s = vdupq_n_u32(0), cnt = s, sq = s, d2 = s;
    int i = 0;
    for (; i + 17 <= n; i += 16) {
        uint8x16_t a = vld1q_u8(row + i), b = vld1q_u8(row + i + 1);
        uint8x16_t keep = vandq_u8(vcgtq_u8(a, eight), vcgtq_u8(b, eight));
        uint8x16_t ak = vandq_u8(a, keep), dk = vandq_u8(vabdq_u8(a, b), keep);
        s = vpadalq_u16(s, vpaddlq_u8(ak));
        cnt = vpadalq_u16(cnt, vpaddlq_u8(vandq_u8(keep, one)));
        uint16x8_t a0 = vmull_u8(vget_low_u8(ak), vget_low_u8(ak)), a1 = vmull_u8(vget_high_u8(ak), vget_high_u8(ak));
        uint16x8_t e0 = vmull_u8(vget_low_u8(dk), vget_low_u8(dk)), e1 = vmull_u8(vget_high_u8(dk), vget_high_u8(dk));
        sq = vpadalq_u16(vpadalq_u16(sq, a0), a1);
        d2 = vpadalq_u16(vpadalq_u16(d2, e0), e1);
    }
    sums[0] += vaddvq_u32(s), sums[1] += vaddvq_u32(sq), sums[2] += vaddvq_u32(d2), sums[3] += vaddvq_u32(cnt);
    lq_speckle_row_c(sums, row + i, n - i);
}

