/* The scalar reference of every CT kernel (contracts in ct/dsp.h). */
#include "ct/generic/kernels.h"

#include <stddef.h>

static inline int32_t lerp8(int32_t a, int32_t b, int32_t f) { return (a * (256 - f) + b * f + 128) >> 8; }

void lq_trilinear_c(int16_t *dst, const int16_t *vol, int nx, int ny, int nz, const int32_t p0[3],
                    const int32_t step[3], int n, int16_t outside)
{
    const ptrdiff_t sy = nx, sz = (ptrdiff_t)nx * ny;
    for (int i = 0; i < n; i++) {
        int32_t px = p0[0] + i * step[0], py = p0[1] + i * step[1], pz = p0[2] + i * step[2];
        int32_t ix = px >> 16, iy = py >> 16, iz = pz >> 16;
        if (ix < 0 || iy < 0 || iz < 0 || ix >= nx - 1 || iy >= ny - 1 || iz >= nz - 1) {
            dst[i] = outside;
            continue;
        }
        int32_t fx = ((px & 0xFFFF) + 128) >> 8, fy = ((py & 0xFFFF) + 128) >> 8, fz = ((pz & 0xFFFF) + 128) >> 8;
        const int16_t *c = vol + iz * sz + iy * sy + ix;
        int32_t a = lerp8(lerp8(c[0], c[1], fx), lerp8(c[sy], c[sy + 1], fx), fy);
        int32_t b = lerp8(lerp8(c[sz], c[sz + 1], fx), lerp8(c[sz + sy], c[sz + sy + 1], fx), fy);
        dst[i] = (int16_t)lerp8(a, b, fz);
    }
}

void lq_ct_dsp_init_c(LqCtDsp *dsp) { dsp->trilinear = lq_trilinear_c; }
