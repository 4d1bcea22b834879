/* AVX2 segmentation kernels; bit-exact twins of src/segment/generic/kernels_c.c.
 * Compiled with -mavx2 for this file only. */
#include "segment/generic/kernels.h"
#include "segment/x86/kernels.h"

#include <immintrin.h>
#include <string.h>

/* Eight int32 lanes -> eight bytes (values already within the target range). */
static inline void store8_u8(uint8_t *dst, __m256i v)
{
    __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    _mm_storel_epi64((__m128i *)dst, _mm_packus_epi16(w, w));
}

/* Two vectors of eight int32 -> sixteen int16 in order, saturating. */
static inline __m256i packs16(__m256i a, __m256i b)
{
    return _mm256_permute4x64_epi64(_mm256_packs_epi32(a, b), _MM_SHUFFLE(3, 1, 2, 0));
}

void lq_polar_avx2(uint8_t *dst, uint8_t *rough, const uint8_t *src, ptrdiff_t stride, const LqPolarTap *map, size_t n)
{
    const __m256i most = _mm256_set1_epi32(255);
    const __m256i byte = _mm256_set1_epi32(0xFF), w256 = _mm256_set1_epi32(256), round = _mm256_set1_epi32(32768);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        /* taps are {offset, weights} pairs: split eight of them into two vectors */
        __m256 a = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(map + i)));
        __m256 b = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(map + i + 4)));
        __m256i off = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))),
                                               _MM_SHUFFLE(3, 1, 2, 0));
        __m256i wts = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))),
                                               _MM_SHUFFLE(3, 1, 2, 0));
        /* four bytes from each tap's row and the row below (src is padded) */
        __m256i g0 = _mm256_i32gather_epi32((const int *)src, off, 1);
        __m256i g1 = _mm256_i32gather_epi32((const int *)(src + stride), off, 1);
        __m256i wx = _mm256_and_si256(wts, byte), wy = _mm256_and_si256(_mm256_srli_epi32(wts, 8), byte);
        __m256i iwx = _mm256_sub_epi32(w256, wx), iwy = _mm256_sub_epi32(w256, wy);
        __m256i p00 = _mm256_and_si256(g0, byte), p01 = _mm256_and_si256(_mm256_srli_epi32(g0, 8), byte);
        __m256i p10 = _mm256_and_si256(g1, byte), p11 = _mm256_and_si256(_mm256_srli_epi32(g1, 8), byte);
        __m256i top = _mm256_add_epi32(_mm256_mullo_epi32(p00, iwx), _mm256_mullo_epi32(p01, wx));
        __m256i bot = _mm256_add_epi32(_mm256_mullo_epi32(p10, iwx), _mm256_mullo_epi32(p11, wx));
        __m256i v = _mm256_add_epi32(_mm256_mullo_epi32(top, iwy), _mm256_mullo_epi32(bot, wy));
        store8_u8(dst + i, _mm256_srli_epi32(_mm256_add_epi32(v, round), 16));
        if (rough) {
            __m256i d = _mm256_add_epi32(_mm256_abs_epi32(_mm256_sub_epi32(p01, p00)), _mm256_abs_epi32(_mm256_sub_epi32(p10, p00)));
            d = _mm256_add_epi32(d, _mm256_abs_epi32(_mm256_sub_epi32(p11, p01)));
            d = _mm256_add_epi32(d, _mm256_abs_epi32(_mm256_sub_epi32(p11, p10)));
            store8_u8(rough + i, _mm256_min_epi32(_mm256_srli_epi32(d, 1), most));
        }
    }
    if (i < n) lq_polar_c(dst + i, rough ? rough + i : NULL, src, stride, map + i, n - i);
}

static inline __m256i absdiff_u8(__m256i a, __m256i b)
{
    return _mm256_or_si256(_mm256_subs_epu8(a, b), _mm256_subs_epu8(b, a));
}

/* The SSE2 version's two passes, 32 samples a step for the column sums and
 * 16 for the box. */
void lq_feature_ray_avx2(uint16_t *mean, int16_t *f, const uint8_t *const prev[3], const uint8_t *const cur[3],
                         const uint8_t *const next[3], int n, int k_q3)
{
    enum { H = LQ_FEATURE_HALF };
    if (n < 32 || n > LQ_FEATURE_MAX_N) {
        lq_feature_ray_sse2(mean, f, prev, cur, next, n, k_q3);
        return;
    }
    uint16_t col_c[LQ_FEATURE_MAX_N + 2 * H], col_d[LQ_FEATURE_MAX_N + 2 * H];
    uint16_t *cc = col_c + H, *cd = col_d + H;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i c_lo = _mm256_setzero_si256(), c_hi = c_lo, d_lo = c_lo, d_hi = c_lo;
        for (int a = 0; a < 3; a++) {
            __m256i c = _mm256_loadu_si256((const __m256i *)(cur[a] + i));
            __m256i m = _mm256_min_epu8(absdiff_u8(c, _mm256_loadu_si256((const __m256i *)(prev[a] + i))),
                                        absdiff_u8(c, _mm256_loadu_si256((const __m256i *)(next[a] + i))));
            c_lo = _mm256_add_epi16(c_lo, _mm256_cvtepu8_epi16(_mm256_castsi256_si128(c)));
            c_hi = _mm256_add_epi16(c_hi, _mm256_cvtepu8_epi16(_mm256_extracti128_si256(c, 1)));
            d_lo = _mm256_add_epi16(d_lo, _mm256_cvtepu8_epi16(_mm256_castsi256_si128(m)));
            d_hi = _mm256_add_epi16(d_hi, _mm256_cvtepu8_epi16(_mm256_extracti128_si256(m, 1)));
        }
        _mm256_storeu_si256((__m256i *)(cc + i), c_lo), _mm256_storeu_si256((__m256i *)(cc + i + 16), c_hi);
        _mm256_storeu_si256((__m256i *)(cd + i), d_lo), _mm256_storeu_si256((__m256i *)(cd + i + 16), d_hi);
    }
    lq_feature_columns_c(cc, cd, prev, cur, next, i, n);
    const __m256i k2 = _mm256_set1_epi16((short)(2 * k_q3));
    for (i = 0; i + 16 <= n; i += 16) {
        __m256i sc = _mm256_loadu_si256((const __m256i *)(cc + i - H)), sd = _mm256_loadu_si256((const __m256i *)(cd + i - H));
        for (int d = -H + 1; d <= H; d++) {
            sc = _mm256_add_epi16(sc, _mm256_loadu_si256((const __m256i *)(cc + i + d)));
            sd = _mm256_add_epi16(sd, _mm256_loadu_si256((const __m256i *)(cd + i + d)));
        }
        __m256i m = _mm256_slli_epi16(sc, 2);
        __m256i x = _mm256_or_si256(_mm256_srli_epi16(_mm256_mullo_epi16(sd, k2), 3),
                                    _mm256_slli_epi16(_mm256_mulhi_epu16(sd, k2), 13));
        _mm256_storeu_si256((__m256i *)(mean + i), m);
        _mm256_storeu_si256((__m256i *)(f + i), _mm256_sub_epi16(m, x));
    }
    lq_feature_cols_c(mean, f, cc, cd, k_q3, i, n);
}

void lq_score_avx2(int16_t *s, const int16_t *f, size_t n, int thr, int gain)
{
    const __m256i t = _mm256_set1_epi32(thr), g = _mm256_set1_epi32(gain);
    const __m256i lo = _mm256_set1_epi32(-256), hi = _mm256_set1_epi32(256);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i x0 = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(f + i)));
        __m256i x1 = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(f + i + 8)));
        x0 = _mm256_srai_epi32(_mm256_mullo_epi32(_mm256_sub_epi32(x0, t), g), 12);
        x1 = _mm256_srai_epi32(_mm256_mullo_epi32(_mm256_sub_epi32(x1, t), g), 12);
        x0 = _mm256_min_epi32(_mm256_max_epi32(x0, lo), hi);
        x1 = _mm256_min_epi32(_mm256_max_epi32(x1, lo), hi);
        _mm256_storeu_si256((__m256i *)(s + i), packs16(x0, x1));
    }
    if (i < n) lq_score_c(s + i, f + i, n - i, thr, gain);
}

/* Inclusive prefix sum of eight int32 lanes. */
static inline __m256i prefix8(__m256i x)
{
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 4));
    x = _mm256_add_epi32(x, _mm256_slli_si256(x, 8));
    /* each 128-bit half now holds its own prefix: carry the low half's total up */
    __m256i low_total = _mm256_permutevar8x32_epi32(x, _mm256_set1_epi32(3));
    return _mm256_add_epi32(x, _mm256_blend_epi32(_mm256_setzero_si256(), low_total, 0xF0));
}

static inline __m256i last_lane(__m256i x) { return _mm256_permutevar8x32_epi32(x, _mm256_set1_epi32(7)); }

void lq_cost_row_avx2(int32_t *cost, const int16_t *s, int n, int r_min, int w, int alpha)
{
    if (n > 1024 || r_min < 0 || r_min >= n) {
        lq_cost_row_c(cost, s, n, r_min, w, alpha);
        return;
    }
    int32_t P[1024 + 8], win[1024 + 8];
    /* P[k] = s[0] + ... + s[k-1] */
    P[0] = 0;
    __m256i carry = _mm256_setzero_si256();
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i x = _mm256_add_epi32(prefix8(_mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)(s + i)))), carry);
        _mm256_storeu_si256((__m256i *)(P + i + 1), x);
        carry = last_lane(x);
    }
    for (; i < n; i++) P[i + 1] = P[i] + s[i];
    /* win[r] = P[min(r + w, n)] - P[r] */
    int r = r_min;
    for (; r + 8 + w <= n; r += 8)
        _mm256_storeu_si256((__m256i *)(win + r), _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(P + r + w)),
                                                                   _mm256_loadu_si256((const __m256i *)(P + r))));
    for (; r < n; r++) win[r] = P[r + w < n ? r + w : n] - P[r];
    /* cost = alpha * (exclusive prefix of max(win, 0)) - w * win */
    for (r = 0; r < r_min; r++) cost[r] = LQ_COST_FORBIDDEN;
    const __m256i va = _mm256_set1_epi32(alpha), vw = _mm256_set1_epi32(w);
    carry = _mm256_setzero_si256();
    r = r_min;
    for (; r + 8 <= n; r += 8) {
        __m256i wv = _mm256_loadu_si256((const __m256i *)(win + r));
        __m256i m = _mm256_max_epi32(wv, _mm256_setzero_si256());
        __m256i incl = _mm256_add_epi32(prefix8(m), carry);
        __m256i inside = _mm256_sub_epi32(incl, m);
        _mm256_storeu_si256((__m256i *)(cost + r),
                            _mm256_sub_epi32(_mm256_mullo_epi32(va, inside), _mm256_mullo_epi32(vw, wv)));
        carry = last_lane(incl);
    }
    int32_t inside = _mm256_cvtsi256_si32(carry);
    for (; r < n; r++) {
        cost[r] = alpha * inside - w * win[r];
        inside += win[r] > 0 ? win[r] : 0;
    }
}

void lq_prior_add_avx2(int32_t *cost, int n, int r_from, int centre, int mu, int cap)
{
    const __m256i vmu = _mm256_set1_epi32(mu), vcap = _mm256_set1_epi32(cap);
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    int r = r_from;
    for (; r + 8 <= n; r += 8) {
        __m256i d = _mm256_add_epi32(_mm256_set1_epi32(r - centre), lane);
        __m256i v = _mm256_min_epi32(_mm256_mullo_epi32(_mm256_mullo_epi32(d, d), vmu), vcap);
        __m256i c = _mm256_loadu_si256((const __m256i *)(cost + r));
        _mm256_storeu_si256((__m256i *)(cost + r), _mm256_add_epi32(c, v));
    }
    if (r < n) lq_prior_add_c(cost, n, r, centre, mu, cap);
}

void lq_pair_min_avx2(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n)
{
    const __m256i one = _mm256_set1_epi32(1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(src + 2 * i)));
        __m256 b = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(src + 2 * i + 8)));
        __m256i even = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))),
                                                _MM_SHUFFLE(3, 1, 2, 0));
        __m256i odd = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))),
                                               _MM_SHUFFLE(3, 1, 2, 0));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_min_epi32(even, odd));
        store8_u8(pick + i, _mm256_and_si256(_mm256_cmpgt_epi32(even, odd), one));
    }
    if (i < n) lq_pair_min_sse41(dst + i, pick + i, src + 2 * i, n - i);
}

void lq_dp_row_avx2(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k, const int32_t *pen)
{
    enum { MAX_K = 16 };
    if (k > MAX_K) {
        lq_dp_row_sse41(acc, prev, cost, n, k, pen);
        return;
    }
    /* the candidates' penalties, broadcast once per row, not once per
     * candidate and vector; four vectors of radii share each */
    __m256i pen_v[2 * MAX_K + 1];
    for (int d = -k; d <= k; d++) pen_v[d + k] = _mm256_set1_epi32(pen[d < 0 ? -d : d]);
    int r = 0;
    for (; r + 32 <= n; r += 32) {
        __m256i b0 = _mm256_set1_epi32(INT32_MAX), b1 = b0, b2 = b0, b3 = b0;
        for (int j = 0; j <= 2 * k; j++) {
            const int32_t *p = prev + r + j - k;
            b0 = _mm256_min_epi32(b0, _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)p), pen_v[j]));
            b1 = _mm256_min_epi32(b1, _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(p + 8)), pen_v[j]));
            b2 = _mm256_min_epi32(b2, _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(p + 16)), pen_v[j]));
            b3 = _mm256_min_epi32(b3, _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(p + 24)), pen_v[j]));
        }
        _mm256_storeu_si256((__m256i *)(acc + r), _mm256_add_epi32(b0, _mm256_loadu_si256((const __m256i *)(cost + r))));
        _mm256_storeu_si256((__m256i *)(acc + r + 8), _mm256_add_epi32(b1, _mm256_loadu_si256((const __m256i *)(cost + r + 8))));
        _mm256_storeu_si256((__m256i *)(acc + r + 16), _mm256_add_epi32(b2, _mm256_loadu_si256((const __m256i *)(cost + r + 16))));
        _mm256_storeu_si256((__m256i *)(acc + r + 24), _mm256_add_epi32(b3, _mm256_loadu_si256((const __m256i *)(cost + r + 24))));
    }
    for (; r + 8 <= n; r += 8) {
        __m256i b0 = _mm256_set1_epi32(INT32_MAX);
        for (int j = 0; j <= 2 * k; j++)
            b0 = _mm256_min_epi32(b0, _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(prev + r + j - k)), pen_v[j]));
        _mm256_storeu_si256((__m256i *)(acc + r), _mm256_add_epi32(b0, _mm256_loadu_si256((const __m256i *)(cost + r))));
    }
    if (r < n) lq_dp_row_sse41(acc + r, prev + r, cost + r, n - r, k, pen);
}

/* The SSE2 version's scheme on 32 pairs a step (unsigned compare through
 * max, sums through _mm256_sad_epu8 and _mm256_madd_epi16). */
void lq_speckle_row_avx2(uint32_t sums[4], const uint8_t *row, int n)
{
    const __m256i zero = _mm256_setzero_si256(), nine = _mm256_set1_epi8(9), one = _mm256_set1_epi8(1);
    __m256i s = zero, cnt = zero, sq = zero, d2 = zero;
    int i = 0;
    for (; i + 33 <= n; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(row + i)), b = _mm256_loadu_si256((const __m256i *)(row + i + 1));
        __m256i keep = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_max_epu8(a, nine), a),
                                        _mm256_cmpeq_epi8(_mm256_max_epu8(b, nine), b));
        __m256i ak = _mm256_and_si256(a, keep), bk = _mm256_and_si256(b, keep);
        s = _mm256_add_epi64(s, _mm256_sad_epu8(ak, zero));
        cnt = _mm256_add_epi64(cnt, _mm256_sad_epu8(_mm256_and_si256(keep, one), zero));
        __m256i a0 = _mm256_unpacklo_epi8(ak, zero), a1 = _mm256_unpackhi_epi8(ak, zero);
        __m256i b0 = _mm256_unpacklo_epi8(bk, zero), b1 = _mm256_unpackhi_epi8(bk, zero);
        sq = _mm256_add_epi32(sq, _mm256_add_epi32(_mm256_madd_epi16(a0, a0), _mm256_madd_epi16(a1, a1)));
        __m256i e0 = _mm256_sub_epi16(a0, b0), e1 = _mm256_sub_epi16(a1, b1);
        d2 = _mm256_add_epi32(d2, _mm256_add_epi32(_mm256_madd_epi16(e0, e0), _mm256_madd_epi16(e1, e1)));
    }
    uint32_t v[8];
    _mm256_storeu_si256((__m256i *)v, s);
    sums[0] += v[0] + v[2] + v[4] + v[6];
    _mm256_storeu_si256((__m256i *)v, sq);
    sums[1] += v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    _mm256_storeu_si256((__m256i *)v, d2);
    sums[2] += v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
    _mm256_storeu_si256((__m256i *)v, cnt);
    sums[3] += v[0] + v[2] + v[4] + v[6];
    lq_speckle_row_sse2(sums, row + i, n - i); /* the last 16-pair step, then C */
}
