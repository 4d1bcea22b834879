/* x86 reader kernels by instruction set; each file is compiled with its own
 * flags (meson.build). */
#ifndef LQ_READER_KERNELS_X86_H
#define LQ_READER_KERNELS_X86_H
#include "reader/dsp.h"

size_t lq_mask_positions_sse2(uint32_t *pos, const uint8_t *mask, size_t n);

size_t lq_rgb_luma_ssse3(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n);
size_t lq_ybr_luma_ssse3(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n);

size_t lq_rgb_luma_avx2(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n);
size_t lq_ybr_luma_avx2(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n);
size_t lq_mask_positions_avx2(uint32_t *pos, const uint8_t *mask, size_t n);

void lq_reader_dsp_init_x86(LqReaderDsp *dsp, int level);
#endif
