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
    double catheter_mm;       /* catheter radius (0: 1.45 mm, 8.7 F venous; coronary ones about 0.5) */
    /* Kinds that resemble recordings the default phantom did not (docs/phantom.md);
     * each draws from its own random stream, so with all of them off every seed
     * renders as before. */
    int scar;                 /* hypoechoic wall thickening between the lumen and the bright wall */
    int trabeculae;           /* thin echogenic strands across the lumen over stretches */
    double transducer_mhz;    /* 0: as before; 10-60: blood echogenicity, grain, depth of view */
    int gated;                /* one frame per heartbeat; tissue speckle decorrelates between frames */
    int motion;               /* ungated 30 frames/s with cardiac and respiratory motion */
    int capture;              /* console screen capture: RGB with crosshair, ticks, ring, text, mask */
    int beam;                 /* speckle shaped by the beam: the grain along the ray, 1.5-4 times
                                 longer across it, widening with depth (docs/phantom.md) */
    double scale;             /* 0 or 1: venous size; 0.15-1: anatomy, view and pullback times this,
                                 the catheter (default 0.5 mm), the speckle grain and the scar
                                 (--scar, 0.5-2 mm) in real size */
    int frame_files;          /* write the pullback one file per frame (single-frame US Images) into
                                 the folder named as the output, as some consoles export it */
    int hold_lesion;          /* a stationary recording instead of a pullback: the catheter held at
                                 the lesion for `frames` frames at 10 frames/s while the patient
                                 breathes (IVUS Acquisition SELECTIVE, no pullback rate) */
    double pause_s;           /* > 0: the pullback stops at the lesion for this many seconds (the
                                 patient breathing) within its `frames`; the file does not say so */
    /* Narrowed segments (--narrowing VEIN:RATIO:LENGTH, docs/phantom.md): the CIV one
     * reshapes the May-Thurner lesion, the others narrow and flatten the IVC, EIV
     * or CFV at a fixed place; none: every seed renders as before. */
    unsigned narrowings;
    struct LqpNarrowing {
        int vein;             /* an LqSite: IVC, CIV, EIV or CFV, one each */
        double ratio;         /* lumen area at its centre / the vein's there, 0.2-0.9 */
        double length_mm;     /* its whole extent along the pullback */
    } narrowing[4];
    /* Options for judging dynamics (docs/phantom.md); 0 leaves every phantom as before. */
    double breathing;         /* > 0: a dynamic lesion whose minor axis opens by this fraction at full
                                 inspiration (--dynamic draws 0.8-1.6 per seed) */
    double phase;             /* != 0: the same vein in another respiratory phase, the lesion's area
                                 changed by this fraction (-0.9..3), the other veins 1 % wider or narrower */
    double shift_mm;          /* the pullback starts this far further along the vein (a second pullback) */
    unsigned series;          /* > 0: another series of the same study (its own Series and SOP
                                 Instance UIDs, Series Number): a second recording */
} LqpParams;

/* "ivc:0.4:6" into n (the option's argument); 0 when malformed or out of range. */
int lqp_parse_narrowing(const char *arg, struct LqpNarrowing *n);
/* Where a narrowing of `vein` is centred: share of the pullback from the IVC. */
double lqp_narrowing_centre(int vein);

void lqp_params_default(LqpParams *p);
/* The pullback length of a gated phantom of `frames` frames: one frame per
 * heartbeat, 0.4 mm apart (lumenq-phantom --gated without --length). */
double lqp_gated_length_mm(unsigned frames);

typedef struct LqpPhantom LqpPhantom;

int lqp_new(const LqpParams *p, LqpPhantom **out);
void lqp_free(LqpPhantom **ph);
double lqp_pixel_mm(const LqpPhantom *ph);
double lqp_frame_time_ms(const LqpPhantom *ph);
/* The pullback rate the study states: the parameter's, except with gated or
 * motion, whose frame time is set by the heart or the frame rate and whose
 * rate is then the frame spacing over the frame time. */
double lqp_pullback_rate_mm_s(const LqpPhantom *ph);
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
    double heart_period_s;            /* gated or motion: the RR interval (0 otherwise) */
    unsigned narrowing_frame[4];      /* the centre frame of each params.narrowing[] */
} LqpDesign;
void lqp_design(const LqpPhantom *ph, LqpDesign *d);

/* What a screen capture (params.capture) burns in, chosen per seed. */
typedef struct LqpCapture {
    double ring_mm;           /* red ring around the catheter */
    double mask_mm;           /* disc hiding the catheter */
    uint8_t mask_rgb[3];      /* black, or a solid dull colour */
    unsigned cross_px;        /* thickness of the yellow crosshair (1-2) */
    uint8_t tick_grey;        /* grey level of the 1 mm ticks */
    double caliper_angle;     /* direction of the caliper across the lumen (rad) */
    double label_angle;       /* where the short label sits inside the field of view */
} LqpCapture;
void lqp_capture_design(const LqpPhantom *ph, LqpCapture *c);

/* Writes the whole pullback as an Ultrasound Multi-frame Image (DCMTK), or
 * with frame_files one Ultrasound Image per frame (dcm_path a folder, made if
 * missing: IMG00001.dcm ...), and, if truth_json is not NULL, the truth
 * (contours, measures, summary). */
int lqp_write_study(const LqpParams *p, const char *dcm_path, const char *truth_json, char *msg,
                    size_t msg_len);

/* Overlap of two closed polygons (mm), by scanlines every step_mm. */
double lqp_jaccard(const double *a, size_t na, const double *b, size_t nb, double step_mm);
/* Symmetric Hausdorff distance between two closed polygons (mm). */
double lqp_hausdorff(const double *a, size_t na, const double *b, size_t nb);
/* Speckle grain: the correlation of an image's grey levels (cols wide) with
 * themselves `lag` pixels along x (along_y 0) or y, over the window of
 * (2 half + 1) squared pixels centred at (cx, cy), which must lie, with the
 * lag, inside the image. */
double lqp_grey_correlation(const uint8_t *img, unsigned cols, int cx, int cy, int half, int lag, int along_y);

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
    double lesion_zone_jaccard;                    /* mean within 3 mm of the truth lesion frame */
    double spike_share;                            /* frames > 25 % off both neighbours' areas */
    size_t worst_frame;                            /* lowest Jaccard (0-based) */
    LqSummary truth, measured;
} LqpScore;

int lqp_score(const LqpParams *p, const LqResult *r, LqpScore *score);
/* The same, and each frame's Jaccard into frame_jaccard (p->frames values). */
int lqp_score_frames(const LqpParams *p, const LqResult *r, LqpScore *score, double *frame_jaccard);

#endif
