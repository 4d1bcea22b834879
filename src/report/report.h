/* Report writers: one function per format, chosen by name in report.c. */
#ifndef LQ_REPORT_H
#define LQ_REPORT_H
#include <cairo.h>
#include <stdio.h>

#include "lumenq/lumenq.h"
#include "dicom_write.h"
#include "result.h"

void lq_report_text(FILE *fp, const LqStudy *study, const LqResult *r);
void lq_report_json(FILE *fp, const LqStudy *study, const LqResult *r);
void lq_report_csv(FILE *fp, const LqStudy *study, const LqResult *r);

/* Pictures and the PDF decode frames, so they can fail (docs/pictures.md). */
int lq_report_pdf(FILE *fp, LqStudy *study, const LqResult *r, LqError *err);
int lq_report_lesion_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err);
int lq_report_reference_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err);
int lq_report_profile_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err);
int lq_report_dynamics_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err);

/* DCMTK writes DICOM objects by path: it gets the atomic output's own file
 * (the unnamed file through /proc, or the temporary name), which is then
 * named as any other output. `write` fills `target`; returns an LqStatus. */
typedef int (*LqDicomWriter)(const char *target, const char *series_uid, const char *sop_uid, void *ctx, char *msg,
                             size_t msg_len);
/* `purpose` names the object for the UIDs derived from the source instance's
 * ("pdf", "sr"). */
int lq_write_dicom_output(const char *source_uid, const char *path, const char *purpose, LqDicomWriter write,
                          void *ctx, LqError *err);

/* A TID 1500 Structured Report of `v` in the study of the source object (its
 * path and SOP Instance UID), written to `path` as lq_write_dicom_output. */
int lq_write_sr_output(const char *source_path, const char *source_uid, const char *purpose, const LqSrValues *v,
                       const char *path, LqError *err);

/* JSON values: a string escaped, a number or null. */
void lq_json_string(FILE *fp, const char *s);
void lq_json_number(FILE *fp, double v, int decimals);
/* DICOM DA "20260102" as "2026-01-02" ("unknown" if empty). */
void lq_date_iso(const char *da, char *out, size_t len);
/* A cairo image surface written as an opaque RGB PNG. */
int lq_png_write(FILE *fp, cairo_surface_t *surface, LqError *err);
int lq_png_surface(int w, int h, cairo_surface_t **s, cairo_t **cr, LqError *err);

/* A CT measurement's pictures: the lesion or reference cross-section, or
 * the straightened vein over the area profile (ct_figures.c). */
int lq_ct_report_png(FILE *fp, const LqVolume *v, const LqCtResult *r, LqReportFormat fmt, LqError *err);

/* A UID derived from a source instance's UID and a purpose ("pdf", ...):
 * the same inputs and lumenq version always give the same UID. */
void lq_derived_uid(const char *source_uid, const char *purpose, char out[65]);

/* The names of the flags that are on, joined by `sep` ("" if none). */
typedef struct LqFlag {
    int on;
    const char *name;
} LqFlag;
void lq_join_flags(const LqFlag *flags, size_t n, char *buf, size_t len, char sep);

/* What a frame is in this study, for the CSV and JSON: any of "lesion",
 * "lesion-segment", "reference", "low-confidence", "no-contour",
 * "outside-pullback", joined by `sep`; "" for an ordinary frame. */
void lq_frame_flags(const LqResult *r, size_t i, char *buf, size_t len, char sep);
/* "diameter stenosis", "area stenosis", "equivalent-diameter stenosis" */
const char *lq_metric_phrase(LqMetric m);
/* The verdict sentence, made here only, in every report and picture:
 * "<finding>: <measure> <pct> % <op> [threshold ]<limit> %". The finding is
 * SIGNIFICANT / not significant (IVUS), or with LQ_VERDICT_CT COMPRESSION /
 * no significant compression (CT never decides treatment). */
enum {
    LQ_VERDICT_CT = 1,              /* the CT finding's words */
    LQ_VERDICT_TYPESET = 2,         /* pictures and PDF: "≤" for "<=" */
    LQ_VERDICT_SAYS_THRESHOLD = 4,  /* "threshold " before the limit */
    LQ_VERDICT_CAPITALISED = 8,     /* "Not significant" to open a line */
};
void lq_verdict_text(char *buf, size_t len, unsigned style, int significant, const char *measure, double pct,
                     double threshold_pct);
/* The metric's value for one frame against the study's reference (NAN if none). */
double lq_frame_stenosis_pct(const LqSummary *s, const LqFrameMeasure *m, LqMetric metric);
#endif
