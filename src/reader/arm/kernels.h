/* NEON reader kernels (contracts in reader/dsp.h). */
#ifndef LQ_READER_KERNELS_ARM_H
#define LQ_READER_KERNELS_ARM_H
#include "reader/dsp.h"

size_t lq_rgb_luma_neon(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n);
size_t lq_ybr_luma_neon(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n);

void lq_reader_dsp_init_arm(LqReaderDsp *dsp, int level);
#endif
