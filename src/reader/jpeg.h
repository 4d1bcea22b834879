/* JPEG baseline and extended 8-bit frames (PS3.5 A.4.1, 1.2.840.10008.1.2.4.50
 * and .51) decoded with libjpeg-turbo; DCMTK stays the parser and the fallback
 * for anything turbojpeg refuses (pixels.c). */
#ifndef LQ_JPEG_H
#define LQ_JPEG_H
#include <stddef.h>
#include <stdint.h>

/* Whether frames of this layout go to libjpeg-turbo first: the two 8-bit
 * lossy syntaxes, 8 bits unsigned, one sample or three interleaved, and
 * LUMENQ_JPEG not "dcmtk" (the switch that forces DCMTK's own codec). */
int lq_jpeg_turbo_takes(const char *transfer_syntax_uid, unsigned bits_allocated, unsigned bits_stored,
                        int pixel_signed, unsigned samples, int planar_configuration);

/* Decodes one frame's JPEG bitstream into `out`: cols*rows pixels of `samples`
 * interleaved 8-bit samples, as DCMTK would deliver them (grey as stored; RGB
 * for YBR_FULL/YBR_FULL_422 and RGB). `*handle` is the turbojpeg instance,
 * created at first use; lq_jpeg_free releases it. `model` (>= 17 bytes) gets
 * "RGB" for colour, "" for grey. Returns an LqStatus; any error or warning
 * (corrupt data, another precision or colour space than declared) is a
 * refusal with the reason in msg, and the caller decodes with DCMTK. */
int lq_jpeg_decode(void **handle, const uint8_t *data, size_t len, uint8_t *out, unsigned cols, unsigned rows,
                   unsigned samples, const char *photometric, char *model, char *msg, size_t msg_len);
void lq_jpeg_free(void **handle);
#endif
