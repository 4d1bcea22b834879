#include "reader/dsp.h"

#include "cpu.h"
#include "lumenq/lumenq.h"
#if defined(LQ_ARCH_X86)
#include "reader/x86/kernels.h"
#elif defined(LQ_ARCH_ARM)
#include "reader/arm/kernels.h"
#endif

void lq_reader_dsp_init(LqReaderDsp *dsp, int cpu_level)
{
    int level = lq_cpu_resolve(cpu_level);
    lq_reader_dsp_init_c(dsp);
#if defined(LQ_ARCH_X86)
    if (level != LQ_CPU_NEON) lq_reader_dsp_init_x86(dsp, level);
#elif defined(LQ_ARCH_ARM)
    lq_reader_dsp_init_arm(dsp, level);
#endif
    (void)level;
}
