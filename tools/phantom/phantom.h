/* IVUS venous pullback phantom with known truth (docs/phantom.md).
 * Used by lumenq-phantom, the demo, the tests and the benchmarks. */
#ifndef LQ_PHANTOM_H
#define LQ_PHANTOM_H

#include <stddef.h>
#include <stdint.h>

#include "lumenq/lumenq.h"

#define LQP_CONTOUR_POINTS 256

typedef struct LqpParams {
    uint64_t seed;
    unsigned frames;          /* default 300 */
    unsigned size;            /* rows = cols, default 512 */
    double length_mm;         /* pullback length IVC -> CFV, default 150 */
    double pullback_rate_mm_s;/* default 1.0; the frame time follows */
    int rgb;                  /* write RGB instead of MONOCHROME2 */
    int timing;               /* write Frame Time and IVUS Pullback Rate (default 1) */
    int calibration;          /* 1: US regions (default), 2: Pixel Spacing, 0: none,
                                 3: US regions and a contradicting Pixel Spacing (2x) */
    int hard;                 /* the hard cases of docs/phantom.md */
    unsigned row_step;        /* keep every row_step-th row: pixels row_step times taller than wide */
    unsigned stationary;      /* frames before the pullback starts (catheter still at the IVC) */
    int dynamic;              /* a dynamic lesion: its minor axis opens and closes with breathing */
    int overlay;              /* with rgb: coloured console graphics burned into the frames */
    int palette;              /* PALETTE COLOR with a sepia lookup table whose luma is the grey level */
} LqpParams;

void lqp_params_default(LqpParams *p);

typedef struct LqpPhantom LqpPhantom;

int lqp_new(const LqpParams *p, LqpPhantom **out);
void lqp_free(LqpPhantom **ph);
double lqp_pixel_mm(const LqpPhantom *ph);
double lqp_frame_time_ms(const LqpPhantom *ph);
double lqp_position_mm(const LqpPhantom *ph, unsigned frame);
/* Renders frame `i` (frames must be rendered in order: tissue texture evolves)
 * to 8-bit grey, size*size bytes; writes the truth lumen contour (mm, image
 * coordinates) as LQP_CONTOUR_POINTS (x,y) pairs. */
void lqp_render(LqpPhantom *ph, unsigned i, uint8_t *grey, double *truth_xy_mm);

/* Radius of the acquired field of view around the catheter in frame i (mm). */
double lqp_fov_mm(const LqpPhantom *ph, unsigned i);

/* Truth contour of frame i without rendering the image. */
void lqp_truth_contour(LqpPhantom *ph, unsigned i, double *truth_xy_mm);

/* Design facts, for tests: where the phantom put the lesion and the EIV. */
typedef struct LqpDesign {
    unsigned lesion_frame;            /* frame of the tightest compression */
    unsigned eiv_first, eiv_last;     /* frames of the straight EIV */
    double lesion_minor_mm, lesion_major_mm; /* semi-axes at the lesion (at expiration) */
    double breath_period_s;           /* respiratory cycle */
    double lesion_opening;            /* dynamic: peak minor-axis gain at the lesion (0 if static) */
} LqpDesign;
void lqp_design(const LqpPhantom *ph, LqpDesign *d);

/* Writes the whole pullback as an Ultrasound Multi-frame Image (DCMTK) and,
 * if truth_json is not NULL, the truth (contours, measures, summary). */
int lqp_write_study(const LqpParams *p, const char *dcm_path, const char *truth_json, char *msg,
                    size_t msg_len);

/* Overlap of two closed polygons (mm), by scanlines every step_mm. */
double lqp_jaccard(const double *a, size_t na, const double *b, size_t nb, double step_mm);
/* Symmetric Hausdorff distance between two closed polygons (mm). */
double lqp_hausdorff(const double *a, size_t na, const double *b, size_t nb);

/* Accuracy of a measured pullback against the phantom that made it. Where the
 * lumen runs out of the field of view, the truth is what the image shows: the
 * contour clipped to the acquisition circle (no reader can trace beyond it). */
typedef struct LqpScore {
    size_t frames;
    double mean_jaccard, min_jaccard, p1_jaccard;  /* p1: 1st percentile */
    double frac_jaccard_085;                       /* share of frames with Jaccard >= 0.85 */
    double lesion_jaccard;                         /* at the truth lesion frame */
    double mean_hausdorff_mm, max_hausdorff_mm;
    double mean_area_error_pct;                    /* signed, measured vs truth */
    LqSummary truth, measured;
} LqpScore;

int lqp_score(const LqpParams *p, const LqResult *r, LqpScore *score);

#endif
