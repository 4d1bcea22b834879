/* Overwrites the scalar entries with the NEON kernels. The mask listing
 * stays scalar: without a movemask, NEON gains little there. */
#include "reader/arm/kernels.h"

#include "lumenq/lumenq.h"

void lq_reader_dsp_init_arm(LqReaderDsp *dsp, int level)
{
    if (level != LQ_CPU_NEON) return;
    dsp->rgb_luma = lq_rgb_luma_neon;
    dsp->ybr_luma = lq_ybr_luma_neon;
}
