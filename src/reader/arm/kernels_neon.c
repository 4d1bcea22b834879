/* NEON colour kernels (contracts in reader/dsp.h): vld3 takes 16 pixels'
 * interleaved samples apart by itself. */
#include <arm_neon.h>

#include "reader/arm/kernels.h"
#include "reader/generic/kernels.h"

/* (77 r + 150 g + 29 b + 128) >> 8, rounded by the narrowing shift; at most
 * 65408, so the 16-bit accumulation does not wrap. */
static inline uint8x8_t luma8(uint8x8_t r, uint8x8_t g, uint8x8_t b)
{
    uint16x8_t s = vmull_u8(r, vdup_n_u8(77));
    s = vmlal_u8(s, g, vdup_n_u8(150));
    s = vmlal_u8(s, b, vdup_n_u8(29));
    return vrshrn_n_u16(s, 8);
}

/* Lanes of a 0/1 vector that are 1. */
static inline size_t ones(uint8x16_t mark) { return vaddvq_u8(mark); }

size_t lq_rgb_luma_neon(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n)
{
    const uint8x16_t limit = vdupq_n_u8(96), one = vdupq_n_u8(1);
    size_t count = 0, i = 0;
    for (; i + 16 <= n; i += 16) {
        uint8x16x3_t p = vld3q_u8(rgb + 3 * i);
        uint8x16_t r = p.val[0], g = p.val[1], b = p.val[2];
        vst1q_u8(luma + i, vcombine_u8(luma8(vget_low_u8(r), vget_low_u8(g), vget_low_u8(b)),
                                       luma8(vget_high_u8(r), vget_high_u8(g), vget_high_u8(b))));
        uint8x16_t top = vmaxq_u8(vmaxq_u8(r, g), b), bottom = vminq_u8(vminq_u8(r, g), b);
        uint8x16_t spread = vsubq_u8(top, bottom);
        /* 2 (hi - lo) > hi is hi - lo > lo */
        uint8x16_t mark = vandq_u8(vandq_u8(vcgtq_u8(spread, limit), vcgtq_u8(spread, bottom)), one);
        vst1q_u8(graphics + i, mark);
        count += ones(mark);
    }
    return count + lq_rgb_luma_c(luma + i, graphics + i, rgb + 3 * i, n - i);
}

size_t lq_ybr_luma_neon(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n)
{
    const uint8x16_t limit = vdupq_n_u8(96), centre = vdupq_n_u8(128), one = vdupq_n_u8(1);
    size_t count = 0, i = 0;
    for (; i + 16 <= n; i += 16) {
        uint8x16x3_t p = vld3q_u8(ybr + 3 * i);
        vst1q_u8(luma + i, p.val[0]);
        uint8x16_t chroma = vqaddq_u8(vabdq_u8(p.val[1], centre), vabdq_u8(p.val[2], centre));
        uint8x16_t mark = vandq_u8(vcgtq_u8(chroma, limit), one);
        vst1q_u8(graphics + i, mark);
        count += ones(mark);
    }
    return count + lq_ybr_luma_c(luma + i, graphics + i, ybr + 3 * i, n - i);
}
