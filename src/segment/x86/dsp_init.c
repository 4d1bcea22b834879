/* Overwrites the scalar entries with the best x86 kernels for `level`.
 * Compiled without ISA flags: it only assigns pointers. An entry keeps the
 * lower level's kernel where a wider one measured no faster (checkasm --bench). */
#include "segment/x86/kernels.h"

#include "lumenq/lumenq.h"

void lq_seg_dsp_init_x86(LqSegDsp *dsp, int level)
{
    if (level >= LQ_CPU_SSE2) {
        dsp->feature_ray = lq_feature_ray_sse2;
        dsp->score = lq_score_sse2;
        dsp->dp_row = lq_dp_row_sse2;
        dsp->speckle_row = lq_speckle_row_sse2;
    }
    if (level >= LQ_CPU_SSE41) {
        dsp->pair_min = lq_pair_min_sse41;
        dsp->dp_row = lq_dp_row_sse41;
    }
    if (level >= LQ_CPU_AVX2) {
        dsp->polar = lq_polar_avx2;
        dsp->feature_ray = lq_feature_ray_avx2;
        dsp->score = lq_score_avx2;
        dsp->cost_row = lq_cost_row_avx2;
        dsp->prior_add = lq_prior_add_avx2;
        dsp->pair_min = lq_pair_min_avx2;
        dsp->dp_row = lq_dp_row_avx2;
        dsp->speckle_row = lq_speckle_row_avx2;
    }
}
