/* The per-study measures both modalities share (docs/measurements.md, "Per
 * study"): IVUS frames (stenosis.c) and CT cross-sections (ct/ct.c) are both
 * LqFrameMeasure, and both are measured by these functions, so each clinical
 * definition is written once. Frame indices are into the array given;
 * ranges are inclusive and walked from `from` towards `to` (either may be
 * the larger): where equal values tie, the first met wins. */
#ifndef LQ_MEASURE_H
#define LQ_MEASURE_H

#include "lumenq/lumenq.h"

#include <stddef.h>
#include <stdint.h>

#define LQ_LESION_FRACTION 0.5 /* lesion segment: CSA below 50 % of A_ref */

/* Which frames a measure may use: any with a contour, or (confident) only
 * those also at or above the confidence cut and with a non-zero area. */
typedef struct LqFrameUse {
    int confident;
    double min_confidence;
} LqFrameUse;

int lq_frame_usable(const LqFrameMeasure *m, LqFrameUse use);

/* The shoelace area of a closed polygon of n points (x, y pairs), signed:
 * positive when counter-clockwise in a y-up frame. A contour's CSA is its
 * absolute value (lq_shape_measure). */
double lq_polygon_area(const double *xy, size_t n);
/* 2 sqrt(A / pi), the diameter of a circle of that area: a frame's
 * equivalent diameter, and D_ref from A_ref. */
double lq_equiv_diameter(double area_mm2);
/* A_ref = the mean CSA of the usable frames from..to, D_ref from it.
 * Returns how many frames were used; with none, *area and *diameter are
 * left as they were. */
int lq_reference_mean(const LqFrameMeasure *f, size_t from, size_t to, LqFrameUse use, double *area_mm2,
                      double *diameter_mm);
/* The lesion: the usable frame of minimal CSA (MLA) in from..to; -1 if none. */
long lq_mla_frame(const LqFrameMeasure *f, size_t from, size_t to, LqFrameUse use);
/* Lesion segment: the contiguous frames around `lesion` (of f[0..n)) with a
 * contour and CSA below LQ_LESION_FRACTION of A_ref; its length, each frame
 * standing for spacing_mm of vein. 0 (and nothing set) when the lesion
 * frame itself is not below that. */
int lq_lesion_segment(const LqFrameMeasure *f, size_t n, size_t lesion, double reference_area_mm2, double spacing_mm,
                      size_t *first, size_t *last, double *length_mm);
/* The same run kept within frames lo..hi (lo <= frame <= hi): every narrowed
 * segment is one, the IVC's cut at the IVC's end (segments.c). */
int lq_segment_run(const LqFrameMeasure *f, size_t lo, size_t hi, size_t frame, double reference_area_mm2,
                   double spacing_mm, size_t *first, size_t *last, double *length_mm);

/* The reference segment's rule (docs/measurements.md, Per study 1.): the
 * longest run of confident frames, walked in anatomical order from walk
 * index `from` to `to` (exclusive), whose CSA stays within +-15 % of the
 * run's median, of min_len frames at least. *first, *last are walk indices
 * (file order, or reversed when `reversed`). 1 found, 0 none, -1 out of memory. */
int lq_stable_run(const LqFrameMeasure *f, size_t n, int reversed, double low_confidence, size_t from, size_t to,
                  size_t min_len, size_t *first, size_t *last);

/* The published normal infrarenal IVC (docs/measurements.md, "Every narrowed
 * segment"): circumference-derived diameter 20.4 mm on CT of 1503 patients;
 * the area of that circle. */
#define LQ_IVC_NORMAL_DIAMETER_MM 20.4
#define LQ_IVC_NORMAL_AREA_MM2 (LQ_PI * 10.2 * 10.2)

/* What the narrowed segments are found in: the pullback proper, walked IVC
 * -> CFV (reversed: file order is CFV -> IVC), its first ivc_frames frames
 * in that order being the IVC. */
typedef struct LqSegmentScan {
    const LqFrameMeasure *f;
    size_t n;
    int reversed;
    double low_confidence;
    size_t ivc_frames;
    size_t min_run;          /* frames of a stable IVC stretch, at least */
    double spacing_mm;
    double reference_area_mm2, reference_diameter_mm; /* the study's (EIV) reference */
    LqMetric metric;
    double threshold_pct;
} LqSegmentScan;

/* Every narrowed segment into out->segments (and the IVC reference into
 * out->ivc_*), frame numbers relative to f. LQ_OK, or LQ_ERR_INTERNAL when
 * out of memory. */
int lq_narrowed_segments(const LqSegmentScan *scan, LqSummary *out);
/* The segment holding `frame` (index into out->segments), -1 if none. */
int lq_segment_holding(const LqSummary *s, int frame);

/* A caliper of a closed contour (n points, mm) along direction angle_rad
 * (LqShape's min/max_feret_angle_rad), through its area centroid, between
 * the two lines perpendicular to it that touch the contour: ends = x0, y0,
 * x1, y1 in mm. Its length is the Feret diameter in that direction. */
void lq_contour_caliper(const double *xy, size_t n, double angle_rad, double ends[4]);

/* The three stenosis definitions, in percent. */
typedef struct LqStenosis {
    double diameter_pct;       /* 100 (1 - MLD / D_ref), the verdict's default */
    double area_pct;           /* 100 (1 - MLA / A_ref) */
    double equiv_diameter_pct; /* 100 (1 - sqrt(MLA / A_ref)) */
} LqStenosis;

LqStenosis lq_stenosis(double mla_mm2, double mld_mm, double reference_area_mm2, double reference_diameter_mm);
/* The one of them the verdict uses. */
double lq_stenosis_pct(const LqStenosis *s, LqMetric metric);
/* The verdict: significant when strictly above the threshold. */
int lq_stenosis_significant(double pct, double threshold_pct);

/* Dynamic lesions (dynamics.c). A frame's signature: samples of its polar
 * image (angles x radii bytes) beyond the catheter. Two signatures are
 * alike (near 1, -1..1) when the catheter stood still between the frames
 * (tissue texture persists) and less so as it moved. */
#define LQ_SIGNATURE_SIDE 32
#define LQ_SIGNATURE_BYTES (LQ_SIGNATURE_SIDE * LQ_SIGNATURE_SIDE)
#define LQ_STILL_LAG_S 2.0 /* signatures compared this far apart: 2 mm or more of pullback at 1 mm/s */
void lq_frame_signature(const uint8_t *polar, size_t angles, size_t radii, uint8_t sig[LQ_SIGNATURE_BYTES]);
double lq_signature_likeness(const uint8_t *a, const uint8_t *b);
/* Before r's summary is measured: every run of frames held still into
 * r's dynamics (LqPause); within a timed pullback, its frames given one
 * position and the frames after it moved back by the pullback the file's
 * rate ran on meanwhile, so that lq_measure_frames sees the vein the
 * catheter travelled. */
int lq_pauses_hold(LqResult *r, const LqStudyInfo *in, const uint8_t *signatures);
/* After r's summary is measured: a pause of the pullback at the lesion (or a
 * recording still throughout) measured over time, and the verdict from the
 * strongest evidence r holds (lq_result_dynamics). */
int lq_dynamics_update(LqResult *r, const LqStudyInfo *in);

#endif
