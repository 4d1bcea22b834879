/* The scalar reference kernels (the contracts are in segment/dsp.h). Vector
 * versions call them for the tails of rows that do not fill a vector. */
#ifndef LQ_KERNELS_C_H
#define LQ_KERNELS_C_H
#include "segment/dsp.h"

void lq_polar_c(uint8_t *dst, uint8_t *rough, const uint8_t *src, ptrdiff_t stride, const LqPolarTap *map, size_t n);
void lq_feature_ray_c(uint16_t *mean, int16_t *f, const uint8_t *const prev[3], const uint8_t *const cur[3],
                      const uint8_t *const next[3], int n, int k_q3);
/* Column sums of the three rays for samples begin..n-1 (col_c: of cur,
 * col_d: of the minimum difference), then each end replicated
 * LQ_FEATURE_HALF samples beyond it (col_c[-1], col_c[n], ...): the vector
 * versions' tails. */
void lq_feature_columns_c(uint16_t *col_c, uint16_t *col_d, const uint8_t *const prev[3], const uint8_t *const cur[3],
                          const uint8_t *const next[3], int begin, int n);
/* The feature from the per-sample column sums of the three rays (col_c: of
 * cur, col_d: of the minimum difference, each with its ends replicated as
 * lq_feature_columns_c leaves them), outputs begin..end-1: the vector
 * versions' tails. */
void lq_feature_cols_c(uint16_t *mean, int16_t *f, const uint16_t *col_c, const uint16_t *col_d, int k_q3,
                       int begin, int end);
void lq_score_c(int16_t *s, const int16_t *f, size_t n, int thr, int gain);
void lq_cost_row_c(int32_t *cost, const int16_t *s, int n, int r_min, int w, int alpha);
void lq_prior_add_c(int32_t *cost, int n, int r_from, int centre, int mu, int cap);
void lq_pair_min_c(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n);
void lq_speckle_row_c(uint32_t sums[4], const uint8_t *row, int n);
void lq_dp_row_c(int32_t *acc, const int32_t *prev, const int32_t *cost, int n, int k,
                 const int32_t *pen);
#endif
