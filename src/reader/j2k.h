/* JPEG 2000 frames (DCMTK 3.6.7 has no free JPEG 2000 codec): OpenJPEG decodes
 * a frame's codestream into the layout of uncompressed pixel data. */
#ifndef LQ_J2K_H
#define LQ_J2K_H
#include <stddef.h>
#include <stdint.h>

int lq_is_j2k_transfer_syntax(const char *uid);
/* Its name (for the JPEG 2000 syntaxes DCMTK 3.6.7 does not name), or NULL. */
const char *lq_j2k_transfer_syntax_name(const char *uid);
/* Decodes `len` bytes (a J2K codestream or a JP2 file) into `out`: cols*rows
 * pixels of `samples` interleaved samples of `bytes` (1 or 2) each, signed when
 * `is_signed`. `model` (>= 17 bytes) gets "RGB" for three components (OpenJPEG
 * undoes the ICT/RCT colour transform), "" otherwise. Returns an LqStatus. */
int lq_j2k_decode(const uint8_t *data, size_t len, uint8_t *out, unsigned cols, unsigned rows, unsigned samples,
                  unsigned bytes, int is_signed, char *model, char *msg, size_t msg_len);
#endif
