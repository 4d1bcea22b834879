/* x86 kernels by instruction set; each file is compiled with its own flags
 * (meson.build) so that the rest of the library runs on any x86-64. */
#ifndef LQ_KERNELS_X86_H
#define LQ_KERNELS_X86_H
#include "segment/dsp.h"

void lq_temporal_sse2(uint16_t *mean, uint16_t *diff, const uint8_t *prev, const uint8_t *cur,
                      const uint8_t *next, size_t n);
void lq_add3_sse2(uint16_t *dst, const uint16_t *a, const uint16_t *b, const uint16_t *c, size_t n);
void lq_box_row_sse2(uint16_t *dst, const uint16_t *src, int n, int half);
void lq_feature_sse2(int16_t *f, const uint16_t *mean, const uint16_t *diff, size_t n, int k_q3);
void lq_score_sse2(int16_t *s, const int16_t *f, size_t n, int thr, int gain);
void lq_dp_row_sse2(int32_t *acc, int8_t *from, const int32_t *prev, const int32_t *cost, int n, int k,
                    const int32_t *pen);

void lq_speckle_row_sse2(uint32_t sums[4], const uint8_t *row, int n);

void lq_pair_min_sse41(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n);
void lq_dp_row_sse41(int32_t *acc, int8_t *from, const int32_t *prev, const int32_t *cost, int n, int k,
                     const int32_t *pen);

void lq_polar_avx2(uint8_t *dst, const uint8_t *src, ptrdiff_t stride, const LqPolarTap *map, size_t n);
void lq_add3_avx2(uint16_t *dst, const uint16_t *a, const uint16_t *b, const uint16_t *c, size_t n);
void lq_box_row_avx2(uint16_t *dst, const uint16_t *src, int n, int half);
void lq_feature_avx2(int16_t *f, const uint16_t *mean, const uint16_t *diff, size_t n, int k_q3);
void lq_score_avx2(int16_t *s, const int16_t *f, size_t n, int thr, int gain);
void lq_cost_row_avx2(int32_t *cost, const int16_t *s, int n, int r_min, int w, int alpha);
void lq_prior_add_avx2(int32_t *cost, int n, int r_from, int centre, int mu, int cap);
void lq_pair_min_avx2(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n);
void lq_dp_row_avx2(int32_t *acc, int8_t *from, const int32_t *prev, const int32_t *cost, int n, int k,
                    const int32_t *pen);

void lq_speckle_row_avx2(uint32_t sums[4], const uint8_t *row, int n);

void lq_seg_dsp_init_x86(LqSegDsp *dsp, int level);
#endif
