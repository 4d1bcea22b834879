/* AVX2 reader kernels (contracts in reader/dsp.h), 32 pixels a step: each
 * 128-bit lane takes 16 pixels apart as the SSSE3 version does. */
#include <immintrin.h>

#include "reader/generic/kernels.h"
#include "reader/x86/kernels.h"

#define LQ_PLANE_ROW(ch, lo) _mm256_broadcastsi128_si256(_mm_setr_epi8(LQ_PLANE_BYTES(ch, lo)))

/* Pixels 0-15 of the step in the low lane, 16-31 in the high one. */
static inline __m256i load_lanes(const uint8_t *p)
{
    return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p)),
                                   _mm_loadu_si128((const __m128i *)(p + 48)), 1);
}

static inline __m256i plane(__m256i a, __m256i b, __m256i c, const __m256i idx[3])
{
    return _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, idx[0]), _mm256_shuffle_epi8(b, idx[1])),
                           _mm256_shuffle_epi8(c, idx[2]));
}

/* at most 65408: the unsigned 16-bit products and sums do not wrap */
static inline __m256i luma16(__m256i r, __m256i g, __m256i b)
{
    __m256i s = _mm256_add_epi16(_mm256_mullo_epi16(r, _mm256_set1_epi16(77)),
                                 _mm256_mullo_epi16(g, _mm256_set1_epi16(150)));
    s = _mm256_add_epi16(s, _mm256_mullo_epi16(b, _mm256_set1_epi16(29)));
    return _mm256_srli_epi16(_mm256_add_epi16(s, _mm256_set1_epi16(128)), 8);
}

static inline __m256i nonzero_one(__m256i x)
{
    return _mm256_andnot_si256(_mm256_cmpeq_epi8(x, _mm256_setzero_si256()), _mm256_set1_epi8(1));
}

static inline size_t ones(__m256i mark)
{
    return (size_t)__builtin_popcount((unsigned)_mm256_movemask_epi8(_mm256_slli_epi16(mark, 7)));
}

size_t lq_rgb_luma_avx2(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n)
{
    const __m256i idx[3][3] = {{LQ_PLANE_ROW(0, 0), LQ_PLANE_ROW(0, 16), LQ_PLANE_ROW(0, 32)},
                               {LQ_PLANE_ROW(1, 0), LQ_PLANE_ROW(1, 16), LQ_PLANE_ROW(1, 32)},
                               {LQ_PLANE_ROW(2, 0), LQ_PLANE_ROW(2, 16), LQ_PLANE_ROW(2, 32)}};
    const __m256i zero = _mm256_setzero_si256(), limit = _mm256_set1_epi8(96);
    size_t count = 0, i = 0;
    for (; i + 32 <= n; i += 32) {
        const uint8_t *p = rgb + 3 * i;
        __m256i a = load_lanes(p), b = load_lanes(p + 16), c = load_lanes(p + 32);
        __m256i r = plane(a, b, c, idx[0]), g = plane(a, b, c, idx[1]), bl = plane(a, b, c, idx[2]);
        __m256i lo = luma16(_mm256_unpacklo_epi8(r, zero), _mm256_unpacklo_epi8(g, zero),
                            _mm256_unpacklo_epi8(bl, zero));
        __m256i hi = luma16(_mm256_unpackhi_epi8(r, zero), _mm256_unpackhi_epi8(g, zero),
                            _mm256_unpackhi_epi8(bl, zero));
        _mm256_storeu_si256((__m256i *)(luma + i), _mm256_packus_epi16(lo, hi)); /* per lane: order kept */
        __m256i top = _mm256_max_epu8(_mm256_max_epu8(r, g), bl), bottom = _mm256_min_epu8(_mm256_min_epu8(r, g), bl);
        __m256i spread = _mm256_subs_epu8(top, bottom);
        __m256i mark = _mm256_and_si256(nonzero_one(_mm256_subs_epu8(spread, limit)),
                                        nonzero_one(_mm256_subs_epu8(spread, bottom)));
        _mm256_storeu_si256((__m256i *)(graphics + i), mark);
        count += ones(mark);
    }
    return count + lq_rgb_luma_c(luma + i, graphics + i, rgb + 3 * i, n - i);
}

size_t lq_ybr_luma_avx2(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n)
{
    const __m256i idx[3][3] = {{LQ_PLANE_ROW(0, 0), LQ_PLANE_ROW(0, 16), LQ_PLANE_ROW(0, 32)},
                               {LQ_PLANE_ROW(1, 0), LQ_PLANE_ROW(1, 16), LQ_PLANE_ROW(1, 32)},
                               {LQ_PLANE_ROW(2, 0), LQ_PLANE_ROW(2, 16), LQ_PLANE_ROW(2, 32)}};
    const __m256i limit = _mm256_set1_epi8(96), centre = _mm256_set1_epi8((char)0x80);
    size_t count = 0, i = 0;
    for (; i + 32 <= n; i += 32) {
        const uint8_t *p = ybr + 3 * i;
        __m256i a = load_lanes(p), b = load_lanes(p + 16), c = load_lanes(p + 32);
        _mm256_storeu_si256((__m256i *)(luma + i), plane(a, b, c, idx[0]));
        __m256i cb = _mm256_abs_epi8(_mm256_xor_si256(plane(a, b, c, idx[1]), centre));
        __m256i cr = _mm256_abs_epi8(_mm256_xor_si256(plane(a, b, c, idx[2]), centre));
        __m256i mark = nonzero_one(_mm256_subs_epu8(_mm256_adds_epu8(cb, cr), limit));
        _mm256_storeu_si256((__m256i *)(graphics + i), mark);
        count += ones(mark);
    }
    return count + lq_ybr_luma_c(luma + i, graphics + i, ybr + 3 * i, n - i);
}

size_t lq_mask_positions_avx2(uint32_t *pos, const uint8_t *mask, size_t n)
{
    size_t count = 0, i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i m = _mm256_loadu_si256((const __m256i *)(mask + i));
        unsigned set = ~(unsigned)_mm256_movemask_epi8(_mm256_cmpeq_epi8(m, _mm256_setzero_si256()));
        while (set) {
            pos[count++] = (uint32_t)(i + (unsigned)__builtin_ctz(set));
            set &= set - 1;
        }
    }
    return count + lq_mask_positions_from_c(pos + count, mask, i, n);
}
