/* Overwrites the scalar entries with the best x86 kernels for `level`.
 * Compiled without ISA flags: it only assigns pointers. The colour kernels
 * need a byte shuffle (pshufb) to take interleaved samples apart: SSSE3,
 * which every CPU of the SSE4.1 level has; SSE2 alone only lists the mask. */
#include "reader/x86/kernels.h"

#include "lumenq/lumenq.h"

void lq_reader_dsp_init_x86(LqReaderDsp *dsp, int level)
{
    if (level >= LQ_CPU_SSE2) dsp->mask_positions = lq_mask_positions_sse2;
    if (level >= LQ_CPU_SSE41) {
        dsp->rgb_luma = lq_rgb_luma_ssse3;
        dsp->ybr_luma = lq_ybr_luma_ssse3;
    }
    if (level >= LQ_CPU_AVX2) {
        dsp->rgb_luma = lq_rgb_luma_avx2;
        dsp->ybr_luma = lq_ybr_luma_avx2;
        dsp->mask_positions = lq_mask_positions_avx2;
    }
}
