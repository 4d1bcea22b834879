/* Overwrites the scalar entries with the NEON kernels. */
#include "segment/arm/kernels.h"

#include "lumenq/lumenq.h"

void lq_seg_dsp_init_arm(LqSegDsp *dsp, int level)
{
    if (level != LQ_CPU_NEON) return;
    dsp->feature_ray = lq_feature_ray_neon;
    dsp->score = lq_score_neon;
    dsp->prior_add = lq_prior_add_neon;
    dsp->pair_min = lq_pair_min_neon;
    dsp->dp_row = lq_dp_row_neon;
    dsp->speckle_row = lq_speckle_row_neon;
}
