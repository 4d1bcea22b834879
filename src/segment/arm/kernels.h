/* aarch64 kernels (NEON is part of the base instruction set there). */
#ifndef LQ_KERNELS_ARM_H
#define LQ_KERNELS_ARM_H
#include "segment/dsp.h"

void lq_feature_ray_neon(uint16_t *mean, int16_t *f, const uint8_t *const prev[3], const uint8_t *const cur[3],
                         const uint8_t *const next[3], int n, int k_q3);
void lq_score_neon(int16_t *s, const int16_t *f, size_t n, int thr, int gain);
void lq_prior_add_neon(int32_t *cost, int n, int r_from, int centre, int mu, int cap);
void lq_pair_min_neon(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n);
void lq_speckle_row_neon(uint32_t sums[4], const uint8_t *row, int n);
void lq_dp_row_neon(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k,
                    const int32_t *pen);

void lq_seg_dsp_init_arm(LqSegDsp *dsp, int level);
#endif
