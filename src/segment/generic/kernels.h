/* The scalar reference kernels (the contracts are in segment/dsp.h). Vector
 * versions call them for the tails of rows that do not fill a vector. */
#ifndef LQ_KERNELS_C_H
#define LQ_KERNELS_C_H
#include "segment/dsp.h"

void lq_polar_c(uint8_t *dst, const uint8_t *src, ptrdiff_t stride, const LqPolarTap *map, size_t n);
void lq_temporal_c(uint16_t *mean, uint16_t *diff, const uint8_t *prev, const uint8_t *cur, const uint8_t *next,
                   size_t n);
void lq_box_row_c(uint16_t *dst, const uint16_t *src, int n, int half);
/* Outputs begin..end-1 of lq_box_row_c (edges of the vector versions). */
void lq_box_row_range_c(uint16_t *dst, const uint16_t *src, int n, int half, int begin, int end);
void lq_add3_c(uint16_t *dst, const uint16_t *a, const uint16_t *b, const uint16_t *c, size_t n);
void lq_feature_c(int16_t *f, const uint16_t *mean, const uint16_t *diff, size_t n, int k_q3);
void lq_score_c(int16_t *s, const int16_t *f, size_t n, int thr, int gain);
void lq_cost_row_c(int32_t *cost, const int16_t *s, int n, int r_min, int w, int alpha);
void lq_prior_add_c(int32_t *cost, int n, int r_from, int centre, int mu, int cap);
void lq_pair_min_c(int32_t *dst, uint8_t *pick, const int32_t *src, size_t n);
void lq_speckle_row_c(uint32_t sums[4], const uint8_t *row, int n);
void lq_dp_row_c(int32_t *acc, int8_t *from, const int32_t *prev, const int32_t *cost, int n, int k,
                 const int32_t *pen);
#endif
