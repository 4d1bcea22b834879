/* libjpeg-turbo for JPEG baseline/extended frames (jpeg.h). DCMTK 3.6.7
 * decodes them with IJG 6b at about 4 ms per 512x512 frame; libjpeg-turbo's
 * SIMD IDCT and colour conversion halve that (bench-decode: what is left is
 * mostly Huffman decoding, which SIMD does not help). */
#include "jpeg.h"
#include "lumenq/lumenq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

int lq_jpeg_turbo_takes(const char *transfer_syntax_uid, unsigned bits_allocated, unsigned bits_stored,
                        int pixel_signed, unsigned samples, int planar_configuration)
{
    const char *force = getenv("LUMENQ_JPEG");
    if (force && strcmp(force, "dcmtk") == 0) return 0;
    int lossy8 = strcmp(transfer_syntax_uid, "1.2.840.10008.1.2.4.50") == 0 ||
                 strcmp(transfer_syntax_uid, "1.2.840.10008.1.2.4.51") == 0;
    /* 12-bit extended data and signed samples stay with DCMTK, which knows
     * what to make of them; planar colour is rearranged by DCMTK's codec. */
    return lossy8 && bits_allocated == 8 && bits_stored == 8 && !pixel_signed &&
           (samples == 1 || (samples == 3 && planar_configuration == 0));
}

/* The colour space the JPEG must carry for the photometric interpretation,
 * as DCMTK's decoder reads it (PS3.5 8.2.1: YBR_FULL_422 and YBR_FULL are
 * YCbCr in the bitstream, RGB is not transformed); -1 when DCMTK should decide. */
static int expected_colorspace(unsigned samples, const char *photometric)
{
    if (samples == 1) return TJCS_GRAY;
    if (strcmp(photometric, "YBR_FULL_422") == 0 || strcmp(photometric, "YBR_FULL") == 0) return TJCS_YCbCr;
    if (strcmp(photometric, "RGB") == 0) return TJCS_RGB;
    return -1;
}

int lq_jpeg_decode(void **handle, const uint8_t *data, size_t len, uint8_t *out, unsigned cols, unsigned rows,
                   unsigned samples, const char *photometric, char *model, char *msg, size_t msg_len)
{
    model[0] = '\0';
    if (len > 0x7fffffffu) {
        snprintf(msg, msg_len, "a %zu-byte JPEG frame is beyond turbojpeg's size", len);
        return LQ_ERR_DATA;
    }
    if (!*handle && !(*handle = tjInitDecompress())) {
        snprintf(msg, msg_len, "turbojpeg: %s", tjGetErrorStr2(NULL));
        return LQ_ERR_INTERNAL;
    }
    tjhandle tj = *handle;
    int width = 0, height = 0, subsampling = 0, colorspace = 0;
    if (tjDecompressHeader3(tj, data, (unsigned long)len, &width, &height, &subsampling, &colorspace) != 0) {
        snprintf(msg, msg_len, "turbojpeg: %s", tjGetErrorStr2(tj));
        return LQ_ERR_DATA;
    }
    if ((unsigned)width != cols || (unsigned)height != rows) {
        snprintf(msg, msg_len, "JPEG frame is %dx%d, the dataset says %ux%u", width, height, cols, rows);
        return LQ_ERR_DATA;
    }
    int want = expected_colorspace(samples, photometric);
    if (colorspace != want) {
        snprintf(msg, msg_len, "JPEG colour space %d does not match %s with %u samples", colorspace, photometric,
                 samples);
        return LQ_ERR_DATA;
    }
    /* Accurate IDCT and smooth upsampling: IJG 6b's defaults, as DCMTK uses
     * them. Warnings (a truncated or corrupt scan) are refusals: DCMTK then
     * decodes the frame as it always has. Progressive scans are capped. */
    int flags = TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
    /* Grey frames are their one plane, with no conversion. Colour frames go
     * to RGB, not to their Y plane alone: the graphics fill (pixels.c) tests
     * every pixel's colour, and DCMTK delivers RGB, which that test expects.
     * Decoding to YUV planes and converting only frames with chroma does not
     * pay: turbojpeg's tjDecodeYUVPlanes upsamples without the smoothing
     * tjDecompress2 uses (up to 73 levels apart on a capture frame), so such
     * frames would be decoded twice, and console exports carry graphics in
     * every frame. */
    int pixel_format = samples == 1 ? TJPF_GRAY : TJPF_RGB;
    if (tjDecompress2(tj, data, (unsigned long)len, out, width, 0, height, pixel_format, flags) != 0) {
        snprintf(msg, msg_len, "turbojpeg: %s", tjGetErrorStr2(tj));
        return LQ_ERR_DATA;
    }
    if (samples == 3) snprintf(model, 17, "RGB");
    return LQ_OK;
}

void lq_jpeg_free(void **handle)
{
    if (*handle) tjDestroy(*handle);
    *handle = NULL;
}
