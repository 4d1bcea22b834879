/* DICOM objects lumenq writes back into the study (C interface over the
 * DCMTK C++ shim in dicom_write.cc). */
#ifndef LQ_DICOM_WRITE_H
#define LQ_DICOM_WRITE_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An Encapsulated PDF (PS3.3 A.45.1) in the source's study: patient and
 * study attributes copied from `source_path`, a new series, the source
 * instance referenced, `pdf` as the document. Written to `out_path` (the
 * caller makes it atomic). Returns an LqStatus; `msg` says why on failure. */
int lq_dicom_write_encapsulated_pdf(const char *source_path, const uint8_t *pdf, size_t pdf_len,
                                    const char *series_uid, const char *sop_uid, const char *out_path, char *msg,
                                    size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
