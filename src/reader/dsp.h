/* Colour kernels of the reader as a function table, like the segmentation's
 * (segment/dsp.h): lq_reader_dsp_init() fills it with the scalar C reference,
 * then lets each architecture overwrite the entries its CPU level supports.
 * It resolves the level itself (-1: the best this CPU runs, lowered by
 * LUMENQ_CPU). Every kernel is integer-only, so optimised versions are
 * bit-exact (tests/checkasm/reader.c). */
#ifndef LQ_READER_DSP_H
#define LQ_READER_DSP_H

#include <stddef.h>
#include <stdint.h>

typedef struct LqReaderDsp {
    /* n interleaved 8-bit RGB pixels: luma[i] = BT.601 luma in 8.8 fixed
     * point, (77 R + 150 G + 29 B + 128) >> 8; graphics[i] = 1 where the
     * colour is a console graphic (hi - lo > 96 and 2 (hi - lo) > hi of the
     * three samples), else 0. Returns the number of graphics pixels. */
    size_t (*rgb_luma)(uint8_t *luma, uint8_t *graphics, const uint8_t *rgb, size_t n);
    /* The same for interleaved Y Cb Cr: luma[i] = Y; graphics where
     * |Cb - 128| + |Cr - 128| > 96. */
    size_t (*ybr_luma)(uint8_t *luma, uint8_t *graphics, const uint8_t *ybr, size_t n);
    /* The indices of the nonzero bytes of mask[0..n), ascending, into pos;
     * returns how many. n < 2^32. */
    size_t (*mask_positions)(uint32_t *pos, const uint8_t *mask, size_t n);
} LqReaderDsp;

/* cpu_level: an LqCpuLevel, or -1 for the best; clamped to what runs here. */
void lq_reader_dsp_init(LqReaderDsp *dsp, int cpu_level);
void lq_reader_dsp_init_c(LqReaderDsp *dsp);

#endif
