#include "dsp.h"

void lq_seg_dsp_init(LqSegDsp *dsp, int cpu_level)
{
    lq_seg_dsp_init_c(dsp);
    /* Per-architecture entries (src/segment/x86/, src/segment/arm/) overwrite
     * the C reference here, by level, as they land. */
    (void)cpu_level;
}
