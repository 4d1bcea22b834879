/* SSE2 segmentation kernels; bit-exact twins of src/segment/generic/kernels_c.c.
 * Compiled with -msse2 only (baseline on x86-64). */
#include "segment/generic/kernels.h"
#include "segment/x86/kernels.h"

#include <emmintrin.h>
#include <string.h>

void lq_temporal_sse2(uint16_t *mean, uint16_t *diff, const uint8_t *prev, const uint8_t *cur,
                      const uint8_t *next, size_t n)
{
    const __m128i zero = _mm_setzero_si128();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(cur + i));
        __m128i p = _mm_loadu_si128((const __m128i *)(prev + i));
        __m128i q = _mm_loadu_si128((const __m128i *)(next + i));
        __m128i dp = _mm_or_si128(_mm_subs_epu8(c, p), _mm_subs_epu8(p, c));
        __m128i dq = _mm_or_si128(_mm_subs_epu8(c, q), _mm_subs_epu8(q, c));
        __m128i m = _mm_min_epu8(dp, dq);
        __m128i c0 = _mm_unpacklo_epi8(c, zero), c1 = _mm_unpackhi_epi8(c, zero);
        __m128i m0 = _mm_unpacklo_epi8(m, zero), m1 = _mm_unpackhi_epi8(m, zero);
        _mm_storeu_si128((__m128i *)(mean + i), _mm_slli_epi16(c0, 2));
        _mm_storeu_si128((__m128i *)(mean + i + 8), _mm_slli_epi16(c1, 2));
        _mm_storeu_si128((__m128i *)(diff + i), _mm_add_epi16(m0, m0));
        _mm_storeu_si128((__m128i *)(diff + i + 8), _mm_add_epi16(m1, m1));
    }
    lq_temporal_c(mean + i, diff + i, prev + i, cur + i, next + i, n - i);
}

void lq_add3_sse2(uint16_t *dst, const uint16_t *a, const uint16_t *b, const uint16_t *c, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i s = _mm_add_epi16(_mm_loadu_si128((const __m128i *)(a + i)), _mm_loadu_si128((const __m128i *)(b + i)));
        s = _mm_add_epi16(s, _mm_loadu_si128((const __m128i *)(c + i)));
        _mm_storeu_si128((__m128i *)(dst + i), s);
    }
    lq_add3_c(dst + i, a + i, b + i, c + i, n - i);
}

void lq_box_row_sse2(uint16_t *dst, const uint16_t *src, int n, int half)
{
    /* Vectors where no tap is clamped; the scalar reference at both edges. */
    int i = half < n ? half : n;
    lq_box_row_range_c(dst, src, n, half, 0, i);
    for (; i + 8 + half <= n; i += 8) {
        __m128i s = _mm_loadu_si128((const __m128i *)(src + i - half));
        for (int d = -half + 1; d <= half; d++) s = _mm_add_epi16(s, _mm_loadu_si128((const __m128i *)(src + i + d)));
        _mm_storeu_si128((__m128i *)(dst + i), s);
    }
    lq_box_row_range_c(dst, src, n, half, i, n);
}

void lq_feature_sse2(int16_t *f, const uint16_t *mean, const uint16_t *diff, size_t n, int k_q3)
{
    const __m128i zero = _mm_setzero_si128(), k = _mm_set1_epi16((short)k_q3);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i m = _mm_loadu_si128((const __m128i *)(mean + i));
        __m128i d = _mm_loadu_si128((const __m128i *)(diff + i));
        /* 16 x 16 -> 32-bit products from the low and high halves */
        __m128i lo = _mm_mullo_epi16(d, k), hi = _mm_mulhi_epu16(d, k);
        __m128i p0 = _mm_srai_epi32(_mm_unpacklo_epi16(lo, hi), 3), p1 = _mm_srai_epi32(_mm_unpackhi_epi16(lo, hi), 3);
        __m128i m0 = _mm_unpacklo_epi16(m, zero), m1 = _mm_unpackhi_epi16(m, zero);
        __m128i v = _mm_packs_epi32(_mm_sub_epi32(m0, p0), _mm_sub_epi32(m1, p1)); /* clamps to int16 */
        _mm_storeu_si128((__m128i *)(f + i), v);
    }
    lq_feature_c(f + i, mean + i, diff + i, n - i, k_q3);
}

/* Low 32 bits of a 32 x 32 product (the same for signed and unsigned). */
static inline __m128i mullo32(__m128i a, __m128i b)
{
    __m128i even = _mm_mul_epu32(a, b);
    __m128i odd = _mm_mul_epu32(_mm_srli_epi64(a, 32), _mm_srli_epi64(b, 32));
    return _mm_unpacklo_epi32(_mm_shuffle_epi32(even, _MM_SHUFFLE(0, 0, 2, 0)),
                              _mm_shuffle_epi32(odd, _MM_SHUFFLE(0, 0, 2, 0)));
}

void lq_score_sse2(int16_t *s, const int16_t *f, size_t n, int thr, int gain)
{
    const __m128i t = _mm_set1_epi32(thr), g = _mm_set1_epi32(gain);
    const __m128i lo = _mm_set1_epi16(-256), hi = _mm_set1_epi16(256);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i x = _mm_loadu_si128((const __m128i *)(f + i));
        __m128i x0 = _mm_srai_epi32(_mm_unpacklo_epi16(x, x), 16), x1 = _mm_srai_epi32(_mm_unpackhi_epi16(x, x), 16);
        x0 = _mm_srai_epi32(mullo32(_mm_sub_epi32(x0, t), g), 12);
        x1 = _mm_srai_epi32(mullo32(_mm_sub_epi32(x1, t), g), 12);
        __m128i v = _mm_packs_epi32(x0, x1);
        _mm_storeu_si128((__m128i *)(s + i), _mm_min_epi16(_mm_max_epi16(v, lo), hi));
    }
    lq_score_c(s + i, f + i, n - i, thr, gain);
}

void lq_dp_row_sse2(int32_t *acc, int8_t *from, const int32_t *prev, const int32_t *cost, int n, int k,
                    const int32_t *pen)
{
    int r = 0;
    for (; r + 4 <= n; r += 4) {
        __m128i best = _mm_set1_epi32(INT32_MAX), bd = _mm_setzero_si128();
        for (int d = -k; d <= k; d++) {
            __m128i v = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(prev + r + d)), _mm_set1_epi32(pen[d < 0 ? -d : d]));
            __m128i lt = _mm_cmpgt_epi32(best, v); /* v < best: the first minimum wins */
            best = _mm_or_si128(_mm_and_si128(lt, v), _mm_andnot_si128(lt, best));
            bd = _mm_or_si128(_mm_and_si128(lt, _mm_set1_epi32(d)), _mm_andnot_si128(lt, bd));
        }
        _mm_storeu_si128((__m128i *)(acc + r), _mm_add_epi32(best, _mm_loadu_si128((const __m128i *)(cost + r))));
        __m128i b8 = _mm_packs_epi16(_mm_packs_epi32(bd, bd), bd);
        int32_t four = _mm_cvtsi128_si32(b8);
        memcpy(from + r, &four, 4);
    }
    if (r < n) lq_dp_row_c(acc + r, from + r, prev + r, cost + r, n - r, k, pen);
}

/* Sixteen pairs a step. The mask of pixels above 8 comes from
 * max(x, 9) == x (SSE2 has no unsigned byte compare); the sums of a and of
 * the mask from _mm_sad_epu8, the squares from _mm_madd_epi16 on 16-bit
 * halves. A 32-bit lane gathers at most n/4 squares: below 2^32. */
void lq_speckle_row_sse2(uint32_t sums[4], const uint8_t *row, int n)
{
    const __m128i zero = _mm_setzero_si128(), nine = _mm_set1_epi8(9), one = _mm_set1_epi8(1);
    __m128i s = zero, cnt = zero, sq = zero, d2 = zero;
    int i = 0;
    for (; i + 17 <= n; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(row + i)), b = _mm_loadu_si128((const __m128i *)(row + i + 1));
        __m128i keep = _mm_and_si128(_mm_cmpeq_epi8(_mm_max_epu8(a, nine), a), _mm_cmpeq_epi8(_mm_max_epu8(b, nine), b));
        __m128i ak = _mm_and_si128(a, keep), bk = _mm_and_si128(b, keep);
        s = _mm_add_epi64(s, _mm_sad_epu8(ak, zero));
        cnt = _mm_add_epi64(cnt, _mm_sad_epu8(_mm_and_si128(keep, one), zero));
        __m128i a0 = _mm_unpacklo_epi8(ak, zero), a1 = _mm_unpackhi_epi8(ak, zero);
        __m128i b0 = _mm_unpacklo_epi8(bk, zero), b1 = _mm_unpackhi_epi8(bk, zero);
        sq = _mm_add_epi32(sq, _mm_add_epi32(_mm_madd_epi16(a0, a0), _mm_madd_epi16(a1, a1)));
        __m128i e0 = _mm_sub_epi16(a0, b0), e1 = _mm_sub_epi16(a1, b1);
        d2 = _mm_add_epi32(d2, _mm_add_epi32(_mm_madd_epi16(e0, e0), _mm_madd_epi16(e1, e1)));
    }
    uint32_t v[4];
    _mm_storeu_si128((__m128i *)v, s);
    sums[0] += v[0] + v[2];
    _mm_storeu_si128((__m128i *)v, sq);
    sums[1] += v[0] + v[1] + v[2] + v[3];
    _mm_storeu_si128((__m128i *)v, d2);
    sums[2] += v[0] + v[1] + v[2] + v[3];
    _mm_storeu_si128((__m128i *)v, cnt);
    sums[3] += v[0] + v[2];
    lq_speckle_row_c(sums, row + i, n - i);
}
