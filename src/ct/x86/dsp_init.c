/* Overwrites the scalar CT entries with the best x86 kernels for `level`
 * (already resolved by lq_ct_dsp_init). Compiled without ISA flags: it only
 * assigns pointers. */
#include "ct/x86/kernels.h"

#include "lumenq/lumenq.h"

void lq_ct_dsp_init_x86(LqCtDsp *dsp, int level)
{
    if (level >= LQ_CPU_AVX2) dsp->trilinear = lq_trilinear_avx2;
}
