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

/* A lumen contour for the SR: a TID 1410 planar ROI group of its own. */
typedef struct LqSrRoi {
    unsigned frame;            /* 1-based */
    int is_lesion;             /* the lesion frame, else a reference frame */
    unsigned n;                /* points */
    const double *xy_mm;       /* n (x, y), image coordinates in mm as LqContour */
    double area_mm2;
    char tracking_uid[65];
} LqSrRoi;

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

/* A narrowed segment for the SR: a TID 1501 measurement group of its own
 * (docs/sr.md). Frames 1-based; NAN where absent. */
typedef struct LqSrSegment {
    int site;                        /* LqSite */
    unsigned number, first, last, mla_frame;
    double mla_mm2, mld_mm, length_mm;
    double diameter_stenosis_pct, area_stenosis_pct, equiv_diameter_stenosis_pct;
    double reference_area_mm2, reference_diameter_mm; /* its own reference (NAN: the study's) */
    const char *against;             /* what it is measured against, for its tracking identifier */
} LqSrSegment;

/* An IVUS pullback's geometry and provenance for the SR (0 / NULL when absent). */
typedef struct LqSrIvus {
    double pixel_dx_mm, pixel_dy_mm;  /* mm to image coordinates */
    const LqSrRoi *rois;              /* the lesion's and the reference frames' contours */
    unsigned roi_count;
    double mld_caliper_mm[4], max_caliper_mm[4]; /* x0, y0, x1, y1 on the lesion frame (mm) */
    int has_calipers;
    int lesion_site, reference_site;  /* LqSite: finding sites (0: not known) */
    const char *edits;                /* what a reader changed, who and when (NULL: no edits) */
    const LqSrSegment *segments;      /* every narrowed segment, IVC -> CFV */
    unsigned segment_count;
    /* a lesion judged dynamic or not from another recording (docs/measurements.md, "Dynamic lesions") */
    const char *dynamics;             /* the evidence and verdict, one line (NULL: none) */
    const char *dynamics_path;        /* that recording's file, referenced as evidence (NULL: this pullback) */
} LqSrIvus;

/* A TID 1500 Measurement Report (Enhanced SR) in the source's study, a new
 * series, the source instance and the lesion and reference frames
 * referenced. Written to `out_path`. Returns an LqStatus. */
int lq_dicom_write_sr(const char *source_path, const LqSrValues *v, const char *series_uid, const char *sop_uid,
                      const char *out_path, char *msg, size_t msg_len);
/* The same with an IVUS pullback's contours (TID 1410 planar ROI groups),
 * calipers (two-point polylines of MLD and maximal diameter), finding sites
 * and the reader's edits (docs/sr.md); g NULL is lq_dicom_write_sr. */
int lq_dicom_write_sr_ivus(const char *source_path, const LqSrValues *v, const LqSrIvus *g, const char *series_uid,
                           const char *sop_uid, const char *out_path, char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
