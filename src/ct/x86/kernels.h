/* x86 CT kernels by instruction set; each file is compiled with its own
 * flags (meson.build) so that the rest of the library runs on any x86-64. */
#ifndef LQ_CT_KERNELS_X86_H
#define LQ_CT_KERNELS_X86_H
#include "ct/dsp.h"

void lq_trilinear_avx2(int16_t *dst, const int16_t *vol, int nx, int ny, int nz, const int32_t p0[3],
                       const int32_t step[3], int n, int16_t outside);

void lq_ct_dsp_init_x86(LqCtDsp *dsp, int level);
#endif
