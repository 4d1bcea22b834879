/* SSE2 segmentation kernels; bit-exact twins of src/segment/generic/kernels_c.c.
 * Compiled with -msse2 only (baseline on x86-64). */
#include "segment/generic/kernels.h"
#include "segment/x86/kernels.h"

#include <emmintrin.h>
#include <string.h>

/* |a - b| of unsigned bytes */
static inline __m128i absdiff_u8(__m128i a, __m128i b) { return _mm_or_si128(_mm_subs_epu8(a, b), _mm_subs_epu8(b, a)); }

/* Two passes over the ray, both in L1: the column sums of the three rays
 * (with the ends replicated LQ_FEATURE_HALF samples beyond, so the box
 * needs no edge case), then the box along the ray and the feature. */
void lq_feature_ray_sse2(uint16_t *mean, int16_t *f, const uint8_t *const prev[3], const uint8_t *const cur[3],
                         const uint8_t *const next[3], int n, int k_q3)
{
    enum { H = LQ_FEATURE_HALF };
    if (n < 16 || n > LQ_FEATURE_MAX_N) {
        lq_feature_ray_c(mean, f, prev, cur, next, n, k_q3);
        return;
    }
    uint16_t col_c[LQ_FEATURE_MAX_N + 2 * H], col_d[LQ_FEATURE_MAX_N + 2 * H];
    uint16_t *cc = col_c + H, *cd = col_d + H;
    const __m128i zero = _mm_setzero_si128();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i c_lo = zero, c_hi = zero, d_lo = zero, d_hi = zero;
        for (int a = 0; a < 3; a++) {
            __m128i c = _mm_loadu_si128((const __m128i *)(cur[a] + i));
            __m128i m = _mm_min_epu8(absdiff_u8(c, _mm_loadu_si128((const __m128i *)(prev[a] + i))),
                                     absdiff_u8(c, _mm_loadu_si128((const __m128i *)(next[a] + i))));
            c_lo = _mm_add_epi16(c_lo, _mm_unpacklo_epi8(c, zero)), c_hi = _mm_add_epi16(c_hi, _mm_unpackhi_epi8(c, zero));
            d_lo = _mm_add_epi16(d_lo, _mm_unpacklo_epi8(m, zero)), d_hi = _mm_add_epi16(d_hi, _mm_unpackhi_epi8(m, zero));
        }
        _mm_storeu_si128((__m128i *)(cc + i), c_lo), _mm_storeu_si128((__m128i *)(cc + i + 8), c_hi);
        _mm_storeu_si128((__m128i *)(cd + i), d_lo), _mm_storeu_si128((__m128i *)(cd + i + 8), d_hi);
    }
    lq_feature_columns_c(cc, cd, prev, cur, next, i, n);
    /* (2 * sd * k_q3) >> 3 < 2^15 from its low and high 16 bits: sd <= 3825, 2 * k_q3 <= 64 */
    const __m128i k2 = _mm_set1_epi16((short)(2 * k_q3));
    for (i = 0; i + 8 <= n; i += 8) {
        __m128i sc = _mm_loadu_si128((const __m128i *)(cc + i - H)), sd = _mm_loadu_si128((const __m128i *)(cd + i - H));
        for (int d = -H + 1; d <= H; d++) {
            sc = _mm_add_epi16(sc, _mm_loadu_si128((const __m128i *)(cc + i + d)));
            sd = _mm_add_epi16(sd, _mm_loadu_si128((const __m128i *)(cd + i + d)));
        }
        __m128i m = _mm_slli_epi16(sc, 2);
        __m128i x = _mm_or_si128(_mm_srli_epi16(_mm_mullo_epi16(sd, k2), 3), _mm_slli_epi16(_mm_mulhi_epu16(sd, k2), 13));
        _mm_storeu_si128((__m128i *)(mean + i), m);
        _mm_storeu_si128((__m128i *)(f + i), _mm_sub_epi16(m, x));
    }
    lq_feature_cols_c(mean, f, cc, cd, k_q3, i, n);
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

void lq_dp_row_sse2(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k, const int32_t *pen)
{
    int r = 0;
    for (; r + 4 <= n; r += 4) {
        __m128i best = _mm_set1_epi32(INT32_MAX);
        for (int d = -k; d <= k; d++) {
            __m128i v = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(prev + r + d)), _mm_set1_epi32(pen[d < 0 ? -d : d]));
            __m128i lt = _mm_cmpgt_epi32(best, v); /* SSE2 has no signed 32-bit min */
            best = _mm_or_si128(_mm_and_si128(lt, v), _mm_andnot_si128(lt, best));
        }
        _mm_storeu_si128((__m128i *)(acc + r), _mm_add_epi32(best, _mm_loadu_si128((const __m128i *)(cost + r))));
    }
    if (r < n) lq_dp_row_c(acc + r, prev + r, cost + r, n - r, k, pen);
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
