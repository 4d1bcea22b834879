/* SSSE3 colour kernels (contracts in reader/dsp.h), 16 pixels a step:
 * pshufb takes the interleaved samples apart. Built with -mssse3 and used
 * from the SSE4.1 level on. */
#include <tmmintrin.h>

#include "reader/generic/kernels.h"
#include "reader/x86/kernels.h"

#define LQ_PLANE_ROW(ch, lo) _mm_setr_epi8(LQ_PLANE_BYTES(ch, lo))

static inline __m128i plane(__m128i a, __m128i b, __m128i c, const __m128i idx[3])
{
    return _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, idx[0]), _mm_shuffle_epi8(b, idx[1])),
                        _mm_shuffle_epi8(c, idx[2]));
}

/* (77 r + 150 g + 29 b + 128) >> 8 of 8 pixels in 16-bit lanes: at most
 * 65408, so the unsigned 16-bit products and sums do not wrap. */
static inline __m128i luma8(__m128i r, __m128i g, __m128i b)
{
    __m128i s = _mm_add_epi16(_mm_mullo_epi16(r, _mm_set1_epi16(77)), _mm_mullo_epi16(g, _mm_set1_epi16(150)));
    s = _mm_add_epi16(s, _mm_mullo_epi16(b, _mm_set1_epi16(29)));
    return _mm_srli_epi16(_mm_add_epi16(s, _mm_set1_epi16(128)), 8);
}

/* 1 in each byte that is nonzero in x. */
static inline __m128i nonzero_one(__m128i x)
{
    return _mm_andnot_si128(_mm_cmpeq_epi8(x, _mm_setzero_si128()), _mm_set1_epi8(1));
}

size_t lq_rgb_luma_ssse3(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n)
{
    const __m128i idx[3][3] = {{LQ_PLANE_ROW(0, 0), LQ_PLANE_ROW(0, 16), LQ_PLANE_ROW(0, 32)},
                               {LQ_PLANE_ROW(1, 0), LQ_PLANE_ROW(1, 16), LQ_PLANE_ROW(1, 32)},
                               {LQ_PLANE_ROW(2, 0), LQ_PLANE_ROW(2, 16), LQ_PLANE_ROW(2, 32)}};
    const __m128i zero = _mm_setzero_si128(), limit = _mm_set1_epi8(96);
    size_t count = 0, i = 0;
    for (; i + 16 <= n; i += 16) {
        const uint8_t *p = rgb + 3 * i;
        __m128i a = _mm_loadu_si128((const __m128i *)p), b = _mm_loadu_si128((const __m128i *)(p + 16)),
                c = _mm_loadu_si128((const __m128i *)(p + 32));
        __m128i r = plane(a, b, c, idx[0]), g = plane(a, b, c, idx[1]), bl = plane(a, b, c, idx[2]);
        __m128i lo = luma8(_mm_unpacklo_epi8(r, zero), _mm_unpacklo_epi8(g, zero), _mm_unpacklo_epi8(bl, zero));
        __m128i hi = luma8(_mm_unpackhi_epi8(r, zero), _mm_unpackhi_epi8(g, zero), _mm_unpackhi_epi8(bl, zero));
        _mm_storeu_si128((__m128i *)(luma + i), _mm_packus_epi16(lo, hi));
        /* 2 (hi - lo) > hi is hi - lo > lo: both tests are unsigned byte compares */
        __m128i top = _mm_max_epu8(_mm_max_epu8(r, g), bl), bottom = _mm_min_epu8(_mm_min_epu8(r, g), bl);
        __m128i spread = _mm_subs_epu8(top, bottom);
        __m128i mark = _mm_and_si128(nonzero_one(_mm_subs_epu8(spread, limit)), nonzero_one(_mm_subs_epu8(spread, bottom)));
        _mm_storeu_si128((__m128i *)(graphics + i), mark);
        count += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(_mm_slli_epi16(mark, 7)));
    }
    return count + lq_rgb_luma_c(luma + i, graphics + i, rgb + 3 * i, n - i);
}

size_t lq_ybr_luma_ssse3(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n)
{
    const __m128i idx[3][3] = {{LQ_PLANE_ROW(0, 0), LQ_PLANE_ROW(0, 16), LQ_PLANE_ROW(0, 32)},
                               {LQ_PLANE_ROW(1, 0), LQ_PLANE_ROW(1, 16), LQ_PLANE_ROW(1, 32)},
                               {LQ_PLANE_ROW(2, 0), LQ_PLANE_ROW(2, 16), LQ_PLANE_ROW(2, 32)}};
    const __m128i limit = _mm_set1_epi8(96), centre = _mm_set1_epi8((char)0x80);
    size_t count = 0, i = 0;
    for (; i + 16 <= n; i += 16) {
        const uint8_t *p = ybr + 3 * i;
        __m128i a = _mm_loadu_si128((const __m128i *)p), b = _mm_loadu_si128((const __m128i *)(p + 16)),
                c = _mm_loadu_si128((const __m128i *)(p + 32));
        _mm_storeu_si128((__m128i *)(luma + i), plane(a, b, c, idx[0]));
        /* x ^ 0x80 is x - 128 as a signed byte; its absolute value (128 for
         * -128) read unsigned; the sum saturates above 255, well past 96 */
        __m128i cb = _mm_abs_epi8(_mm_xor_si128(plane(a, b, c, idx[1]), centre));
        __m128i cr = _mm_abs_epi8(_mm_xor_si128(plane(a, b, c, idx[2]), centre));
        __m128i mark = nonzero_one(_mm_subs_epu8(_mm_adds_epu8(cb, cr), limit));
        _mm_storeu_si128((__m128i *)(graphics + i), mark);
        count += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(_mm_slli_epi16(mark, 7)));
    }
    return count + lq_ybr_luma_c(luma + i, graphics + i, ybr + 3 * i, n - i);
}
