/* SSE4.1 segmentation kernels (blendv for the DP's argmin). Compiled with -msse4.1. */
#include "segment/generic/kernels.h"
#include "segment/x86/kernels.h"

#include <smmintrin.h>
#include <string.h>

void lq_dp_row_sse41(int32_t *acc, int8_t *from, const int32_t *prev, const int32_t *cost, int n, int k,
                     const int32_t *pen)
{
    int r = 0;
    for (; r + 4 <= n; r += 4) {
        __m128i best = _mm_set1_epi32(INT32_MAX), bd = _mm_setzero_si128();
        for (int d = -k; d <= k; d++) {
            __m128i v = _mm_add_epi32(_mm_loadu_si128((const __m128i *)(prev + r + d)), _mm_set1_epi32(pen[d < 0 ? -d : d]));
            __m128i lt = _mm_cmpgt_epi32(best, v); /* v < best: the first minimum wins */
            best = _mm_blendv_epi8(best, v, lt);
            bd = _mm_blendv_epi8(bd, _mm_set1_epi32(d), lt);
        }
        _mm_storeu_si128((__m128i *)(acc + r), _mm_add_epi32(best, _mm_loadu_si128((const __m128i *)(cost + r))));
        int32_t four = _mm_cvtsi128_si32(_mm_packs_epi16(_mm_packs_epi32(bd, bd), bd));
        memcpy(from + r, &four, 4);
    }
    if (r < n) lq_dp_row_c(acc + r, from + r, prev + r, cost + r, n - r, k, pen);
}
