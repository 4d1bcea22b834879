/* C interface over the DCMTK C++ API (dcmtk_file.cc). Nothing above this
 * header knows about C++; everything below it is a thin translation. */
#ifndef LQ_DICOM_SHIM_H
#define LQ_DICOM_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct LqDicomFile LqDicomFile;

/* Opens and parses `path`, leaving large element values (pixel data) on disk.
 * Returns an LqStatus; on failure `msg` gets the reason (no file name). */
int lqd_open(const char *path, LqDicomFile **out, char *msg, size_t msg_len);
void lqd_close(LqDicomFile *f);
/* A pullback exported one file per frame: frame i is the single frame of
 * paths[i]. Attributes are read from paths[0]; lqd_read_frame and
 * lqd_encapsulated_frame open the file of the frame asked for, one at a time.
 * The caller has checked that the files agree in size and encoding. */
int lqd_open_series(const char *const *paths, unsigned count, LqDicomFile **out, char *msg, size_t msg_len);
/* A second handle on what f reads (the file at path, or f's series of
 * frame files), for a worker thread that reads frames of its own. */
int lqd_open_again(const LqDicomFile *f, const char *path, LqDicomFile **out, char *msg, size_t msg_len);

/* Attribute access. `seq_tag` 0 reads the top-level dataset; otherwise the
 * attribute is read from item `item` of that sequence. Tags are (group<<16)|element.
 * Each returns 1 if the value exists and was converted, 0 otherwise. */
int lqd_get_string(LqDicomFile *f, uint32_t seq_tag, unsigned item, uint32_t tag,
                   char *buf, size_t len);
int lqd_get_float(LqDicomFile *f, uint32_t seq_tag, unsigned item, uint32_t tag,
                  unsigned vm_index, double *value);
/* The same one level deeper: `tag` in the first item of sequence `inner_seq`
 * of item `item` of `seq_tag` (an Enhanced object's functional group macro). */
int lqd_get_float_nested(LqDicomFile *f, uint32_t seq_tag, unsigned item, uint32_t inner_seq, uint32_t tag,
                         unsigned vm_index, double *value);
int lqd_get_long(LqDicomFile *f, uint32_t seq_tag, unsigned item, uint32_t tag,
                 long *value);
/* Value `vm_index` of an unsigned or signed 16-bit attribute (US, SS, or the
 * ambiguous xs of palette descriptors). */
int lqd_get_u16(LqDicomFile *f, uint32_t tag, unsigned vm_index, unsigned *value);
/* A 16-bit array (OW, US): pointer into DCMTK's copy and its length in words. */
int lqd_get_u16_array(LqDicomFile *f, uint32_t tag, const uint16_t **values, size_t *count);
int lqd_has_tag(LqDicomFile *f, uint32_t tag);
unsigned lqd_sequence_length(LqDicomFile *f, uint32_t seq_tag);
int lqd_has_pixel_data(LqDicomFile *f);

/* Transfer syntax of the file (from its meta header when present): UID and
 * name. Returns 0 when DCMTK does not know the syntax (it cannot decode it). */
int lqd_transfer_syntax(LqDicomFile *f, char *uid, size_t uid_len, char *name, size_t name_len);
/* SOP class name for a UID ("" if unknown). */
void lqd_sop_class_name(const char *uid, char *name, size_t len);

/* Whether the pixel data is encapsulated (compressed) and, when native, the
 * length of its value in bytes. */
void lqd_pixel_layout(LqDicomFile *f, int *encapsulated, uint64_t *native_length);
/* Size in bytes of one decoded frame as DCMTK delivers it. */
int lqd_frame_size(LqDicomFile *f, size_t *bytes, char *msg, size_t msg_len);
/* Decodes frame `index` (0-based) into `buf` (>= frame size, even length).
 * Native pixel data is copied straight from the file: frame `index` is the
 * `buf_len` bytes at index * buf_len.
 * `color_model` (>= 17 bytes) gets the photometric interpretation of the decoded
 * samples, which differs from the file's for some codecs (YBR_FULL_422 -> RGB). */
int lqd_read_frame(LqDicomFile *f, unsigned index, void *buf, size_t buf_len,
                   char *color_model, char *msg, size_t msg_len);

/* The compressed bitstream of frame `index` of encapsulated pixel data, its
 * fragments joined (one fragment per frame, a single frame, or frames located
 * through the Basic Offset Table). *out is malloc'ed; the caller frees it. */
int lqd_encapsulated_frame(LqDicomFile *f, unsigned index, unsigned frames, uint8_t **out, size_t *len,
                           char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
