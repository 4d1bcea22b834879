/* The scalar reference of the reader's kernels (contracts in reader/dsp.h).
 * Vector versions call them for the pixels that do not fill a vector. */
#ifndef LQ_READER_KERNELS_C_H
#define LQ_READER_KERNELS_C_H
#include "reader/dsp.h"

size_t lq_rgb_luma_c(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n);
size_t lq_ybr_luma_c(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n);
/* lq_mask_positions_c for mask[from..n), numbering from `from`. */
size_t lq_mask_positions_from_c(uint32_t *pos, const uint8_t *mask, size_t from, size_t n);
size_t lq_mask_positions_c(uint32_t *pos, const uint8_t *mask, size_t n);
#endif
