/* Report writers: one function per format, chosen by name in report.c. */
#ifndef LQ_REPORT_H
#define LQ_REPORT_H
#include <stdio.h>

#include "lumenq/lumenq.h"
#include "result.h"

void lq_report_text(FILE *fp, const LqStudy *study, const LqResult *r);
void lq_report_json(FILE *fp, const LqStudy *study, const LqResult *r);
void lq_report_csv(FILE *fp, const LqStudy *study, const LqResult *r);

/* Pictures and the PDF decode frames, so they can fail (docs/pictures.md). */
int lq_report_pdf(FILE *fp, LqStudy *study, const LqResult *r, LqError *err);
int lq_report_lesion_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err);
int lq_report_reference_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err);
int lq_report_profile_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err);

/* A UID derived from a source instance's UID and a purpose ("pdf", ...):
 * the same inputs and lumenq version always give the same UID. */
void lq_derived_uid(const char *source_uid, const char *purpose, char out[65]);

/* What a frame is in this study, for the CSV and JSON: any of "lesion",
 * "lesion-segment", "reference", "low-confidence", "no-contour",
 * "outside-pullback", joined by `sep`; "" for an ordinary frame. */
void lq_frame_flags(const LqResult *r, size_t i, char *buf, size_t len, char sep);
/* "diameter stenosis", "area stenosis", "equivalent-diameter stenosis" */
const char *lq_metric_phrase(LqMetric m);
/* The metric's value for one frame against the study's reference (NAN if none). */
double lq_frame_stenosis_pct(const LqSummary *s, const LqFrameMeasure *m, LqMetric metric);
#endif
