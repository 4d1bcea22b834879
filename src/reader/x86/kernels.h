/* x86 reader kernels by instruction set; each file is compiled with its own
 * flags (meson.build). */
#ifndef LQ_READER_KERNELS_X86_H
#define LQ_READER_KERNELS_X86_H
#include "reader/dsp.h"

/* The pshufb indices that gather plane `ch` (0-2) of 16 interleaved pixels
 * from the 16 bytes loaded at byte `lo` of their 48: byte k of the plane is
 * byte 3k + ch; -1 (a zero) where it lies in another load. */
#define LQ_PICK(base, lo) ((base) >= (lo) && (base) < (lo) + 16 ? (char)((base) - (lo)) : (char)-1)
#define LQ_PLANE_BYTES(ch, lo)                                                                                       \
    LQ_PICK(0 + ch, lo), LQ_PICK(3 + ch, lo), LQ_PICK(6 + ch, lo), LQ_PICK(9 + ch, lo), LQ_PICK(12 + ch, lo),      \
        LQ_PICK(15 + ch, lo), LQ_PICK(18 + ch, lo), LQ_PICK(21 + ch, lo), LQ_PICK(24 + ch, lo),                    \
        LQ_PICK(27 + ch, lo), LQ_PICK(30 + ch, lo), LQ_PICK(33 + ch, lo), LQ_PICK(36 + ch, lo),                    \
        LQ_PICK(39 + ch, lo), LQ_PICK(42 + ch, lo), LQ_PICK(45 + ch, lo)

size_t lq_mask_positions_sse2(uint32_t *pos, const uint8_t *mask, size_t n);

size_t lq_rgb_luma_ssse3(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n);
size_t lq_ybr_luma_ssse3(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n);

size_t lq_rgb_luma_avx2(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n);
size_t lq_ybr_luma_avx2(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n);
size_t lq_mask_positions_avx2(uint32_t *pos, const uint8_t *mask, size_t n);

void lq_reader_dsp_init_x86(LqReaderDsp *dsp, int level);
#endif
