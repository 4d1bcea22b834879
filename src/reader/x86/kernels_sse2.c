/* SSE2 reader kernels (contracts in reader/dsp.h). */
#include <emmintrin.h>

#include "reader/generic/kernels.h"
#include "reader/x86/kernels.h"

/* Graphics are a few percent of a frame: 16 clear bytes are skipped with
 * one compare. */
size_t lq_mask_positions_sse2(uint32_t *pos, const uint8_t *mask, size_t n)
{
    size_t count = 0, i = 0;
    const __m128i zero = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        unsigned set = ~(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(mask + i)), zero)) &
                       0xFFFFu;
        while (set) {
            pos[count++] = (uint32_t)(i + (unsigned)__builtin_ctz(set));
            set &= set - 1;
        }
    }
    return count + lq_mask_positions_from_c(pos + count, mask, i, n);
}
