/* CT kernels as a function table, like the segmentation's (segment/dsp.h):
 * lq_ct_dsp_init() fills it with the scalar C reference, then lets each
 * architecture overwrite the entries its CPU level supports. It resolves
 * the level itself (-1: the best this CPU runs, lowered by LUMENQ_CPU), so
 * no caller can hand it an unresolved one. Every kernel is integer-only so
 * that optimised versions are bit-exact (tests/checkasm). */
#ifndef LQ_CT_DSP_H
#define LQ_CT_DSP_H

#include <stdint.h>

typedef struct LqCtDsp {
    /* Cross-sections: n samples of an int16 volume (nx*ny*nz, x fastest)
     * along a line, trilinear. Positions are 16.16 fixed point in voxels:
     * sample i at p0 + i*step per axis; fractions are rounded to 8 bits and
     * each axis is interpolated with rounding (v = (a*(256-f) + b*f + 128) >> 8),
     * x, then y, then z, so every version is bit-exact. A sample whose cell
     * leaves the volume is `outside`. The volume must have
     * LQ_TRILINEAR_PADDING readable bytes after its last voxel. */
    void (*trilinear)(int16_t *dst, const int16_t *vol, int nx, int ny, int nz, const int32_t p0[3],
                      const int32_t step[3], int n, int16_t outside);
} LqCtDsp;

#define LQ_TRILINEAR_PADDING 4

/* cpu_level: an LqCpuLevel, or -1 for the best; clamped to what runs here. */
void lq_ct_dsp_init(LqCtDsp *dsp, int cpu_level);
void lq_ct_dsp_init_c(LqCtDsp *dsp);

#endif
