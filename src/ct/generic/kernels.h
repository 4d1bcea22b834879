/* The scalar reference CT kernels (the contracts are in ct/dsp.h). Vector
 * versions call them for the tails that do not fill a vector. */
#ifndef LQ_CT_KERNELS_C_H
#define LQ_CT_KERNELS_C_H
#include "ct/dsp.h"

void lq_trilinear_c(int16_t *dst, const int16_t *vol, int nx, int ny, int nz, const int32_t p0[3],
                    const int32_t step[3], int n, int16_t outside);
#endif
