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

/* The numbers of a measurement for the Structured Report; NAN where absent.
 * Frames are 1-based (0: none). */
typedef struct LqSrValues {
    double mla_mm2, mld_mm, max_diameter_mm, lesion_length_mm;
    double reference_area_mm2, reference_diameter_mm;
    double diameter_stenosis_pct, area_stenosis_pct, equiv_diameter_stenosis_pct;
    unsigned lesion_frame, reference_first, reference_last;
    const char *verdict;      /* one line, as the text report */
    const char *method;       /* how lesion and reference were chosen */
    const char *device_uid;   /* the observer: this lumenq */
    /* CT venography (NULL for an IVUS pullback): the procedure reported, the
     * file holding the reference (the lesion is the source file), and the
     * two groups' tracking identifiers */
    const char *procedure_code, *procedure_scheme, *procedure_meaning;
    const char *reference_source_path;
    const char *lesion_label, *reference_label;
} LqSrValues;

/* A TID 1500 Measurement Report (Enhanced SR) in the source's study, a new
 * series, the source instance and the lesion and reference frames
 * referenced. Written to `out_path`. Returns an LqStatus. */
int lq_dicom_write_sr(const char *source_path, const LqSrValues *v, const char *series_uid, const char *sop_uid,
                      const char *out_path, char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
