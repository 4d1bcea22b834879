#include "ct/dsp.h"

#include "cpu.h"
#include "lumenq/lumenq.h"
#if defined(LQ_ARCH_X86)
#include "ct/x86/kernels.h"
#endif

/* aarch64 has no CT kernel of its own yet: the C reference runs there. */
void lq_ct_dsp_init(LqCtDsp *dsp, int cpu_level)
{
    int level = lq_cpu_resolve(cpu_level);
    lq_ct_dsp_init_c(dsp);
#if defined(LQ_ARCH_X86)
    if (level != LQ_CPU_NEON) lq_ct_dsp_init_x86(dsp, level);
#endif
    (void)level;
}
