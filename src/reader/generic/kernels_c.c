/* The scalar reference of every reader kernel (contracts in reader/dsp.h). */
#include "reader/generic/kernels.h"

#include "reader/study.h"

size_t lq_rgb_luma_c(uint8_t *out, uint8_t *graphics, const uint8_t *rgb, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++, rgb += 3) {
        out[i] = luma(rgb[0], rgb[1], rgb[2]);
        graphics[i] = (uint8_t)is_overlay_colour(0, rgb[0], rgb[1], rgb[2]);
        count += graphics[i];
    }
    return count;
}

size_t lq_ybr_luma_c(uint8_t *out, uint8_t *graphics, const uint8_t *ybr, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++, ybr += 3) {
        out[i] = ybr[0];
        graphics[i] = (uint8_t)is_overlay_colour(1, ybr[0], ybr[1], ybr[2]);
        count += graphics[i];
    }
    return count;
}

size_t lq_mask_positions_from_c(uint32_t *pos, const uint8_t *mask, size_t from, size_t n)
{
    size_t count = 0;
    for (size_t i = from; i < n; i++)
        if (mask[i]) pos[count++] = (uint32_t)i;
    return count;
}

size_t lq_mask_positions_c(uint32_t *pos, const uint8_t *mask, size_t n)
{
    return lq_mask_positions_from_c(pos, mask, 0, n);
}

void lq_reader_dsp_init_c(LqReaderDsp *dsp)
{
    dsp->rgb_luma = lq_rgb_luma_c;
    dsp->ybr_luma = lq_ybr_luma_c;
    dsp->mask_positions = lq_mask_positions_c;
}
