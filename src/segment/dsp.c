#include "dsp.h"

#include "lumenq/lumenq.h"
#if defined(LQ_ARCH_X86)
#include "segment/x86/kernels.h"
#elif defined(LQ_ARCH_ARM)
#include "segment/arm/kernels.h"
#endif

void lq_seg_dsp_init(LqSegDsp *dsp, int cpu_level)
{
    lq_seg_dsp_init_c(dsp);
#if defined(LQ_ARCH_X86)
    if (cpu_level != LQ_CPU_NEON) lq_seg_dsp_init_x86(dsp, cpu_level);
#elif defined(LQ_ARCH_ARM)
    lq_seg_dsp_init_arm(dsp, cpu_level);
#endif
    (void)cpu_level;
}
