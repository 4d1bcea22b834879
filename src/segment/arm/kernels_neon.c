/* NEON segmentation kernels (aarch64, where NEON is baseline); bit-exact
 * twins of src/segment/generic/kernels_c.c. polar and cost_row stay scalar:
 * NEON has no gather, and cost_row's prefix sums gain little at 4 lanes. */
#include "segment/arm/kernels.h"
#include "segment/generic/kernels.h"

#include <arm_neon.h>
#include <string.h>

void lq_temporal_neon(uint16_t *mean, uint16_t *diff, const uint8_t *prev, const uint8_t *cur,
                      const uint8_t *next, size_t n)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint8x16_t c = vld1q_u8(cur + i), p = vld1q_u8(prev + i), q = vld1q_u8(next + i);
        uint8x16_t m = vminq_u8(vabdq_u8(c, p), vabdq_u8(c, q));
        vst1q_u16(mean + i, vshll_n_u8(vget_low_u8(c), 2));
        vst1q_u16(mean + i + 8, vshll_n_u8(vget_high_u8(c), 2));
        vst1q_u16(diff + i, vshll_n_u8(vget_low_u8(m), 1));
        vst1q_u16(diff + i + 8, vshll_n_u8(vget_high_u8(m), 1));
    }
    if (i < n) lq_temporal_c(mean + i, diff + i, prev + i, cur + i, next + i, n - i);
}

void lq_add3_neon(uint16_t *dst, const uint16_t *a, const uint16_t *b, const uint16_t *c, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) vst1q_u16(dst + i, vaddq_u16(vaddq_u16(vld1q_u16(a + i), vld1q_u16(b + i)), vld1q_u16(c + i)));
    if (i < n) lq_add3_c(dst + i, a + i, b + i, c + i, n - i);
}

void lq_box_row_neon(uint16_t *dst, const uint16_t *src, int n, int half)
{
    /* Vectors where no tap is clamped; the scalar reference at both edges. */
    int i = half < n ? half : n;
    lq_box_row_range_c(dst, src, n, half, 0, i);
    for (; i + 8 + half <= n; i += 8) {
        uint16x8_t s = vld1q_u16(src + i - half);
        for (int d = -half + 1; d <= half; d++) s = vaddq_u16(s, vld1q_u16(src + i + d));
        vst1q_u16(dst + i, s);
    }
    lq_box_row_range_c(dst, src, n, half, i, n);
}

void lq_feature_neon(int16_t *f, const uint16_t *mean, const uint16_t *diff, size_t n, int k_q3)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint16x8_t m = vld1q_u16(mean + i), d = vld1q_u16(diff + i);
        int32x4_t lo = vsubq_s32(vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(m))),
                                 vreinterpretq_s32_u32(vshrq_n_u32(vmulq_n_u32(vmovl_u16(vget_low_u16(d)), (uint32_t)k_q3), 3)));
        int32x4_t hi = vsubq_s32(vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(m))),
                                 vreinterpretq_s32_u32(vshrq_n_u32(vmulq_n_u32(vmovl_u16(vget_high_u16(d)), (uint32_t)k_q3), 3)));
        vst1q_s16(f + i, vcombine_s16(vqmovn_s32(lo), vqmovn_s32(hi))); /* saturates to int16 */
    }
    if (i < n) lq_feature_c(f + i, mean + i, diff + i, n - i, k_q3);
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

void lq_dp_row_neon(int32_t *acc, int8_t *from, const int32_t *prev, const int32_t *cost, int n, int k,
                    const int32_t *pen)
{
    int r = 0;
    for (; r + 4 <= n; r += 4) {
        int32x4_t best = vdupq_n_s32(INT32_MAX), bd = vdupq_n_s32(0);
        for (int d = -k; d <= k; d++) {
            int32x4_t v = vaddq_s32(vld1q_s32(prev + r + d), vdupq_n_s32(pen[d < 0 ? -d : d]));
            uint32x4_t lt = vcltq_s32(v, best); /* v < best: the first minimum wins */
            best = vminq_s32(best, v);
            bd = vbslq_s32(lt, vdupq_n_s32(d), bd);
        }
        vst1q_s32(acc + r, vaddq_s32(best, vld1q_s32(cost + r)));
        int16x4_t b16 = vmovn_s32(bd);
        int8x8_t b8 = vmovn_s16(vcombine_s16(b16, b16));
        int32_t four = vget_lane_s32(vreinterpret_s32_s8(b8), 0);
        memcpy(from + r, &four, 4);
    }
    if (r < n) lq_dp_row_c(acc + r, from + r, prev + r, cost + r, n - r, k, pen);
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

