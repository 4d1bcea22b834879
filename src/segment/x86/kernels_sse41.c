/* SSE4.1 segmentation kernels (blendv for the DP's argmin). Compiled with -msse4.1. */
#include "segment/generic/kernels.h"
#include "segment/x86/kernels.h"

#include <smmintrin.h>
#include <string.h>

void lq_pair_min_sse41(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n)
{
    const __m128i one = _mm_set1_epi32(1);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m128 a = _mm_castsi128_ps(_mm_loadu_si128((const __m128i *)(src + 2 * i)));
        __m128 b = _mm_castsi128_ps(_mm_loadu_si128((const __m128i *)(src + 2 * i + 4)));
        __m128i even = _mm_castps_si128(_mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
        __m128i odd = _mm_castps_si128(_mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
        _mm_storeu_si128((__m128i *)(dst + i), _mm_min_epi32(even, odd));
        __m128i p = _mm_and_si128(_mm_cmpgt_epi32(even, odd), one);
        int32_t four = _mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(p, p), p));
        memcpy(pick + i, &four, 4);
    }
    if (i < n) lq_pair_min_c(dst + i, pick + i, src + 2 * i, n - i);
}

void lq_dp_row_sse41(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k, const int32_t *pen)
{
    int r = 0;
    for (; r + 8 <= n; r += 8) { /* two vectors share each candidate's penalty */
        __m128i best0 = _mm_set1_epi32(INT32_MAX), best1 = best0;
        for (int d = -k; d <= k; d++) {
            __m128i p = _mm_set1_epi32(pen[d < 0 ? -d : d]);
            best0 = _mm_min_epi32(best0, _mm_add_epi32(_mm_loadu_si128((const __m128i *)(prev + r + d)), p));
            best1 = _mm_min_epi32(best1, _mm_add_epi32(_mm_loadu_si128((const __m128i *)(prev + r + d + 4)), p));
        }
        _mm_storeu_si128((__m128i *)(acc + r), _mm_add_epi32(best0, _mm_loadu_si128((const __m128i *)(cost + r))));
        _mm_storeu_si128((__m128i *)(acc + r + 4), _mm_add_epi32(best1, _mm_loadu_si128((const __m128i *)(cost + r + 4))));
    }
    if (r < n) lq_dp_row_sse2(acc + r, prev + r, cost + r, n - r, k, pen);
}
