/* Internal helpers shared by every stage of the library. */
#ifndef LQ_INTERNAL_H
#define LQ_INTERNAL_H

#include "lumenq/lumenq.h"

#if defined(__GNUC__)
#define LQ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LQ_PRINTF(a, b)
#endif

/* Sets err (if not NULL) and returns `code`, so callers can `return lq_fail(...)`. */
int lq_fail(LqError *err, int code, const char *fmt, ...) LQ_PRINTF(3, 4);

/* Image Position (Patient) of one frame: an Enhanced object's per-frame
 * Plane Position, else the object's own. 0 when the study has no geometry. */
int lq_study_frame_patient_position(const LqStudy *s, unsigned frame, double pos[3]);
/* A reader of the same study's frames for another thread (src/reader/pixels.c):
 * lq_study_read_frame on it is independent of the study's own reads. It
 * borrows the study's tables: close it with lq_study_close_reader, before
 * the study. */
int lq_study_open_reader(const LqStudy *s, LqStudy **out, LqError *err);
void lq_study_close_reader(LqStudy **reader);

#define LQ_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LQ_MAX(a, b) ((a) > (b) ? (a) : (b))
#define LQ_CLAMP(v, lo, hi) ((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))
#define LQ_PI 3.14159265358979323846

#endif
