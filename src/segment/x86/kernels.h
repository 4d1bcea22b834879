/* x86 kernels by instruction set; each file is compiled with its own flags
 * (meson.build) so that the rest of the library runs on any x86-64. */
#ifndef LQ_KERNELS_X86_H
#define LQ_KERNELS_X86_H
#include "segment/dsp.h"

void lq_feature_ray_sse2(uint16_t *mean, int16_t *f, const uint8_t *const prev[3], const uint8_t *const cur[3],
                         const uint8_t *const next[3], int n, int k_q3);
void lq_score_sse2(int16_t *s, const int16_t *f, size_t n, int thr, int gain);
void lq_dp_row_sse2(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k,
                    const int32_t *pen);

void lq_speckle_row_sse2(uint32_t sums[4], const uint8_t *row, int n);

void lq_pair_min_sse41(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n);
void lq_dp_row_sse41(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k,
                     const int32_t *pen);

void lq_polar_avx2(uint8_t *dst, uint8_t *rough, const uint8_t *src, ptrdiff_t stride, const LqPolarTap *map, size_t n);
void lq_feature_ray_avx2(uint16_t *mean, int16_t *f, const uint8_t *const prev[3], const uint8_t *const cur[3],
                         const uint8_t *const next[3], int n, int k_q3);
void lq_score_avx2(int16_t *s, const int16_t *f, size_t n, int thr, int gain);
void lq_cost_row_avx2(int32_t *cost, const int16_t *s, int n, int r_min, int w, int alpha);
void lq_prior_add_avx2(int32_t *cost, int n, int r_from, int centre, int mu, int cap);
void lq_pair_min_avx2(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n);
void lq_dp_row_avx2(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k,
                    const int32_t *pen);

void lq_speckle_row_avx2(uint32_t sums[4], const uint8_t *row, int n);

void lq_seg_dsp_init_x86(LqSegDsp *dsp, int level);
#endif
