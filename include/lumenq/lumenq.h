/*
 * lumenq — venous stenosis from IVUS pullbacks (DICOM).
 *
 * Public C API. Everything a program needs to open a study, segment the lumen
 * of every frame, measure lesion and reference, and write reports.
 *
 * Conventions:
 *  - Functions return LQ_OK (0) or a negative LqStatus; when an LqError is
 *    passed, it receives the status and a one-line message that names the
 *    file and the reason. The library never prints and never exits.
 *  - LqStudy and LqResult are opaque handles, read through their functions.
 *    LqScan, LqVolume and LqCtResult are plain result structs whose fields
 *    the caller reads: the library allocates them and their arrays, and the
 *    caller owns them. Every lq_*_free(&p) and lq_study_close(&p) frees the
 *    object and all it holds, sets the pointer to NULL, and accepts NULL.
 *  - Lengths are in mm, areas in mm², percentages in percent; names carry the
 *    unit. Frame indices are 0-based in the API (the CLI and reports show
 *    1-based frame numbers, as scanners do).
 */
#ifndef LUMENQ_H
#define LUMENQ_H

#include <stddef.h>
#include <stdint.h>

#include "lumenq/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exported from the shared library: the functions below and nothing else
 * (it is built with hidden visibility; tests/symbols.sh checks both ways). */
#ifndef LQ_API
#if defined(__GNUC__) && __GNUC__ >= 4
#define LQ_API __attribute__((visibility("default")))
#else
#define LQ_API
#endif
#endif

/* The version of the library a program runs with (LUMENQ_VERSION is the
 * header's it was compiled with). */
LQ_API const char *lq_version(void);

typedef enum LqStatus {
    LQ_OK = 0,
    LQ_ERR_USAGE = -1,    /* invalid argument or option */
    LQ_ERR_DATA = -2,     /* input is not usable DICOM / not measurable */
    LQ_ERR_OPEN = -3,     /* input cannot be opened */
    LQ_ERR_INTERNAL = -4, /* bug or resource exhaustion */
    LQ_ERR_CREATE = -5,   /* output cannot be created */
    LQ_ERR_IO = -6,       /* read or write failed midway */
    LQ_ERR_LIMIT = -7,    /* a resource limit (frames, pixels, memory, time) was reached */
} LqStatus;

typedef struct LqError {
    int code;           /* LqStatus */
    char message[512];  /* one line, no trailing newline */
} LqError;

/* Conventional exit code (sysexits.h) for a status: 0, 64, 65, 66, 70, 73, 74, 75. */
LQ_API int lq_exit_code(int status);
LQ_API const char *lq_status_name(int status);

/* ---------------------------------------------------------------- study */

typedef enum LqCalibrationSource {
    LQ_CAL_NONE = 0,
    LQ_CAL_US_REGION,          /* Sequence of Ultrasound Regions (0018,6011) */
    LQ_CAL_PIXEL_SPACING,      /* Pixel Spacing (0028,0030) */
    LQ_CAL_IMAGER_PIXEL_SPACING, /* Imager Pixel Spacing (0018,1164) */
    LQ_CAL_USER,               /* --pixel-size given by the user */
} LqCalibrationSource;

typedef enum LqTimingSource {
    LQ_TIMING_NONE = 0,        /* positions are frame indices only */
    LQ_TIMING_DICOM,           /* frame time and IVUS Pullback Rate from the file */
    LQ_TIMING_USER,            /* --pullback-rate and/or --frame-time given */
} LqTimingSource;

typedef struct LqOpenOptions {
    double pixel_size_mm;      /* > 0: used only when the file has no calibration */
    double pullback_rate_mm_s; /* > 0: overrides/completes the file's rate */
    double frame_time_ms;      /* > 0: overrides/completes the file's frame time */
} LqOpenOptions;

LQ_API void lq_open_options_default(LqOpenOptions *opt);

typedef struct LqStudyInfo {
    char path[1024];
    char sop_class_uid[65];
    char sop_class_name[64];
    char sop_instance_uid[65];
    char study_instance_uid[65];
    char series_instance_uid[65];
    char transfer_syntax_uid[65];
    char transfer_syntax_name[64];
    char modality[17];
    char patient_name[128];
    char patient_id[65];
    char study_date[9];
    char study_description[65];
    char manufacturer[65];
    char photometric[17];
    unsigned rows, cols, frames;
    unsigned samples_per_pixel, bits_allocated, bits_stored;
    /* calibration: mm per pixel along x (columns) and y (rows) */
    double pixel_dx_mm, pixel_dy_mm;
    LqCalibrationSource calibration;
    char calibration_note[200];  /* another calibration in the file disagrees ("" if none) */
    /* image region (pixels, inclusive) that holds the ultrasound image */
    unsigned region_x0, region_y0, region_x1, region_y1;
    /* timing */
    double frame_time_ms;        /* 0 when unknown */
    double pullback_rate_mm_s;   /* 0 when unknown */
    LqTimingSource timing;
    unsigned pullback_start_frame, pullback_stop_frame; /* 0-based, inclusive */
    /* cross-sectional images (CT): patient geometry, LPS mm */
    int has_geometry;            /* Image Position and Orientation (Patient) present */
    double image_position[3];    /* centre of the first (top left) pixel */
    double image_orientation[6]; /* row direction, then column direction (unit vectors) */
    double rescale_slope, rescale_intercept; /* stored value -> HU (1, 0 when absent) */
    /* a stationary recording: the catheter held still (docs/measurements.md, "Dynamic lesions") */
    char ivus_acquisition[17];   /* IVUS Acquisition (0018,3100): MOTOR_PULLBACK, MANUAL_PULLBACK, SELECTIVE, ... */
    int stationary;              /* several frames with IVUS Acquisition SELECTIVE (lumenq measure also takes a
                                    recording without a pullback rate beside a pullback of its study that has one) */
} LqStudyInfo;

typedef struct LqStudy LqStudy;

LQ_API int lq_study_open(const char *path, const LqOpenOptions *opt, LqStudy **out, LqError *err);
LQ_API void lq_study_close(LqStudy **study);
LQ_API const LqStudyInfo *lq_study_info(const LqStudy *study);
/* Whether the study can be measured (calibrated, image object); *why gets the reason if not. */
LQ_API int lq_study_measurable(const LqStudy *study, const char **why);
/* Decode frame `index` (0-based) to 8-bit luminance, rows*cols bytes, row-major. */
LQ_API int lq_study_read_frame(LqStudy *study, unsigned index, uint8_t *luma, LqError *err);
/* Decode frame `index` to rescaled values (Hounsfield units for CT), rows*cols
 * int16, clamped; single-sample images only. */
LQ_API int lq_study_read_frame_hu(LqStudy *study, unsigned index, int16_t *out, LqError *err);
/* Position of a frame along the pullback, mm from the first frame (or the index when untimed). */
LQ_API double lq_study_frame_position_mm(const LqStudy *study, unsigned index);
/* The frame nearest a position (mm) within the pullback proper; LQ_ERR_USAGE
 * naming the valid span when it lies outside, or when the study is untimed. */
LQ_API int lq_study_frame_at_mm(const LqStudy *study, double mm, unsigned *index, LqError *err);
LQ_API const char *lq_calibration_source_name(LqCalibrationSource src);

/* Inputs: a file, a folder (walked recursively) or a DICOMDIR (its file-set
 * folder is walked). Files that are not DICOM are skipped and counted. */
typedef struct LqScanEntry {
    LqStudyInfo info;
    int measurable;
    int pullback;              /* measurable, several frames, IVUS or US multi-frame */
    int frame_series;          /* one frame of a pullback exported one file per frame: its series
                                  opens as one study with lq_study_open_series */
    char why[200];             /* why not measurable */
} LqScanEntry;

typedef struct LqScan {
    LqScanEntry *entries;      /* sorted by study, series, then path */
    size_t count;
    size_t skipped;            /* files that are not readable DICOM */
} LqScan;

LQ_API int lq_scan(const char *path, const LqOpenOptions *opt, LqScan **out, LqError *err);
LQ_API void lq_scan_free(LqScan **scan);

/* A pullback exported one file per frame (single-frame US or Secondary
 * Capture images of one Series Instance UID, found in `path` by lq_scan):
 * one study whose frame i is the i-th file in the order of Instance Number,
 * then Content (else Acquisition) Time, then the last number in the file
 * name. Calibration is the files' (they must agree) or --pixel-size; the
 * frame time is Frame Time or the even spacing of the files' times, or the
 * options'. LQ_ERR_DATA with a one-line reason for files of different size,
 * format or calibration, for two files at one place in that order, and for
 * a gap in the Instance Numbers (a frame missing). The study's path is `path`. */
LQ_API int lq_study_open_series(const char *path, const char *series_uid, const LqOpenOptions *opt, LqStudy **out,
                                LqError *err);

/* A CT series as a volume (CT venography, docs/ct.md): the slices of one
 * series sorted by their position along the slice normal (never by file
 * name), in Hounsfield units. Slices are single-frame CT images or the
 * frames of Enhanced CT objects (per-frame plane positions). */
typedef struct LqVolume {
    char path[1024];                /* the folder or DICOMDIR it was read from */
    char study_uid[65], series_uid[65];
    char patient_name[128], patient_id[65], study_date[9];
    char (*slice_paths)[1024];      /* the file of each slice, in volume order (NULL from lq_volume_probe) */
    char (*slice_uids)[65];         /* and its SOP Instance UID */
    unsigned *slice_frames;         /* and its frame number in an Enhanced CT object (1-based; 0: single-frame) */
    unsigned cols, rows, slices;
    double dx_mm, dy_mm, dz_mm;     /* along rows (column spacing), columns, slices */
    double origin[3];               /* centre of the first voxel, LPS mm */
    double row_dir[3], col_dir[3], normal[3];
    int16_t *hu;                    /* slices x rows x cols; slice 0 lowest along the normal */
} LqVolume;

/* The CT series in `path` (a folder or a DICOMDIR): the one given by
 * `series_uid`, else the series with the most slices. Refused with a
 * one-line reason (LQ_ERR_DATA): slices of different size or orientation,
 * two slices at one position, a missing slice or uneven spacing, gantry tilt. */
LQ_API int lq_volume_open(const char *path, const char *series_uid, const LqOpenOptions *opt, LqVolume **out,
                          LqError *err);
LQ_API void lq_volume_free(LqVolume **v);
/* Voxel coordinates (column, row, slice; fractional) of a patient point (LPS
 * mm), and back, through the volume's geometry. */
LQ_API void lq_volume_to_voxel(const LqVolume *v, const double patient[3], double voxel[3]);
LQ_API void lq_volume_to_patient(const LqVolume *v, const double voxel[3], double patient[3]);
/* The same checks and geometry without reading the voxels (`hu` and the
 * slice lists stay NULL): what `lumenq info` shows for a CT series. */
LQ_API int lq_volume_probe(const char *path, const char *series_uid, const LqOpenOptions *opt, LqVolume **out,
                           LqError *err);

/* ------------------------------------------------------------- geometry */

typedef struct LqShape {
    double area_mm2;            /* shoelace area of the closed contour */
    double equiv_diameter_mm;   /* 2*sqrt(area/pi) */
    double min_feret_mm;        /* minimal caliper diameter (MLD) */
    double max_feret_mm;        /* maximal caliper diameter */
    double min_feret_angle_rad; /* direction of the minimal caliper */
    double max_feret_angle_rad; /* direction of the maximal caliper */
    double eccentricity;        /* max_feret / min_feret */
} LqShape;

/* Measure a closed polygon given as n (x,y) pairs in mm (xy[2*i], xy[2*i+1]). */
LQ_API int lq_shape_measure(const double *xy, size_t n, LqShape *shape);

/* ---------------------------------------------------------- measurement */

typedef enum LqMethod {
    LQ_METHOD_AUTO = 0,    /* chosen by lumenq as docs/measurements.md defines */
    LQ_METHOD_USER,        /* given by the user (frame or range of this pullback) */
    LQ_METHOD_EXTERNAL,    /* reference measured on another pullback */
    LQ_METHOD_NORMAL,      /* reference from published normal values (Raju) */
} LqMethod;

/* What the verdict compares with the threshold; the report shows all three. */
typedef enum LqMetric {
    LQ_METRIC_DIAMETER = 0,     /* %DS = 100*(1 - MLD/D_ref) (default) */
    LQ_METRIC_AREA,             /* %AS = 100*(1 - MLA/A_ref) */
    LQ_METRIC_EQUIV_DIAMETER,   /* 100*(1 - sqrt(MLA/A_ref)) */
} LqMetric;

LQ_API const char *lq_metric_name(LqMetric m);   /* "diameter", "area", "eqdiameter" */
LQ_API int lq_metric_from_name(const char *name); /* an LqMetric, or -1 */

/* Veins with Raju's normal values (docs/measurements.md): CFV 12 mm / 125 mm2,
 * EIV 14 mm / 150 mm2, CIV 16 mm / 200 mm2. */
typedef enum LqVein { LQ_VEIN_CFV = 0, LQ_VEIN_EIV, LQ_VEIN_CIV } LqVein;

LQ_API const char *lq_vein_name(LqVein v);       /* "cfv", "eiv", "civ" */
LQ_API int lq_vein_from_name(const char *name);  /* an LqVein, or -1 */
LQ_API void lq_vein_normal(LqVein v, double *diameter_mm, double *area_mm2);

typedef struct LqMeasureSettings {
    double threshold_pct;      /* the metric strictly above this is significant; default 61 */
    LqMetric metric;           /* what the verdict uses; default diameter */
    int pullback_from_cfv;     /* 1: frame order is CFV -> IVC (jugular access) */
    int lesion_frame;          /* >= 0: user lesion frame (0-based); -1 auto */
    int lesion_first;          /* >= 0 with lesion_last: MLA searched in this range only */
    int lesion_last;
    int reference_first;       /* >= 0 with reference_last: user reference range */
    int reference_last;
    /* A reference from outside this pullback (used when > 0): another
     * pullback's A_ref and D_ref, described by external_reference_note. */
    double external_reference_area_mm2;
    double external_reference_diameter_mm;
    char external_reference_note[256];
    int reference_normal;      /* >= 0: an LqVein, the reference is Raju's normal value */
    double low_confidence;     /* frames below this confidence are avoided; default 0.5 */
    int positions_are_indices; /* 1: untimed pullback, positions are frame indices */
    int first_frame, last_frame; /* the pullback proper (IVUS Pullback Start/Stop Frame
                                    Number); -1: from the first / to the last frame */
    double pullback_rate_mm_s; /* > 0: the pullback's speed; the dynamic check looks a breath (5 s)
                                  of pullback either side of the lesion. 0: 1 mm/s assumed */
    double dynamic_threshold_pct; /* a recording held still, or a second pullback: the lesion is dynamic
                                     when its area varies by more than this (default 50, docs/measurements.md) */
} LqMeasureSettings;

LQ_API void lq_measure_settings_default(LqMeasureSettings *s);

typedef struct LqFrameMeasure {
    LqShape shape;
    double position_mm;
    double confidence;         /* 0..1, see docs/measurements.md */
    int valid;                 /* a contour was found */
} LqFrameMeasure;

#define LQ_STENT_MAX_SIZES 8
#define LQ_MAX_SEGMENTS 16

/* What a narrowed segment is measured against (docs/measurements.md, "Every
 * narrowed segment"): the study's reference, or for an IVC segment the IVC. */
typedef enum LqSegmentReference {
    LQ_SEGMENT_REF_STUDY = 0,      /* the study's reference (A_ref, D_ref of the summary) */
    LQ_SEGMENT_REF_IVC,            /* a normal IVC stretch of this pullback */
    LQ_SEGMENT_REF_IVC_NORMAL,     /* the published normal infrarenal IVC (20.4 mm) */
} LqSegmentReference;

/* A run of frames whose CSA is below 50 % of its reference: %AS above 50. */
typedef struct LqSegment {
    int site;                      /* an LqSite: IVC, CIV, EIV or CFV, from its place in the pullback */
    int first, last;               /* frames, 0-based, inclusive */
    int mla_frame;                 /* its confident frame of minimal CSA */
    double position_mm;            /* of the MLA frame */
    double length_mm;              /* frames x frame spacing */
    double mla_mm2, mld_mm, max_diameter_mm;
    double diameter_stenosis_pct, area_stenosis_pct, equiv_diameter_stenosis_pct;
    double verdict_pct;            /* the summary's metric */
    int significant;               /* verdict_pct > threshold: to be treated, inside the stent span */
    int lesion;                    /* holds the summary's lesion frame */
    LqSegmentReference reference;
    double reference_area_mm2, reference_diameter_mm;
} LqSegment;

typedef struct LqSummary {
    int ok;                        /* 0: not measurable, see `problem` */
    char problem[256];
    /* reference */
    LqMethod reference_method;
    char reference_note[256];      /* where an external or normal reference came from */
    int reference_run_first, reference_run_last;   /* stable run found (-1 if none) */
    int reference_first, reference_last;           /* frames averaged (-1: not this pullback) */
    double reference_area_mm2;     /* A_ref: mean CSA over the reference frames */
    double reference_diameter_mm;  /* D_ref = 2*sqrt(A_ref/pi) */
    /* lesion */
    LqMethod lesion_method;
    int lesion_search_first, lesion_search_last;   /* frames searched for the MLA */
    int lesion_frame;
    double lesion_position_mm;
    double mla_mm2;                /* CSA at the lesion frame */
    double mld_mm;                 /* min Feret at the lesion frame */
    double lesion_max_diameter_mm;
    int lesion_first, lesion_last; /* contiguous frames with CSA < 50 % A_ref (-1 if none) */
    double lesion_length_mm;
    /* stenosis */
    double diameter_stenosis_pct;  /* 100*(1 - MLD/D_ref) — primary */
    double area_stenosis_pct;      /* 100*(1 - MLA/A_ref) */
    double equiv_diameter_stenosis_pct; /* 100*(1 - sqrt(MLA/A_ref)) */
    LqMetric metric;               /* the one the verdict uses */
    double verdict_pct;            /* that metric's value */
    double threshold_pct;
    int significant;               /* verdict_pct > threshold_pct */
    int low_confidence_frames;     /* number of frames below the confidence cut */
    /* dynamic lesion: the lumen narrowing again after opening, near the lesion */
    int dynamic_checked;           /* enough usable frames near the lesion to tell */
    int dynamic;                   /* variation >= LQ_DYNAMIC_VARIATION_PCT */
    double dynamic_variation_pct;  /* largest re-narrowing within the window, % of the MLA */
    double dynamic_window_mm;      /* half-width of the window around the lesion: a breath of
                                      pullback, at most the lesion's neighbourhood (5 mm) */
    int dynamic_frames;            /* usable frames in it */
    double dynamic_area_min_mm2, dynamic_area_max_mm2;
    char dynamic_note[120];        /* why not judged ("" when judged) */
    /* stent sizing (advisory) */
    double stent_diameter_min_mm, stent_diameter_max_mm;   /* D_ref + 1 .. D_ref + 4 */
    int stent_sizes_mm[LQ_STENT_MAX_SIZES];                /* nominal diameters in that range */
    int stent_size_count;
    int stent_length_known;        /* 0 on an untimed pullback */
    double stent_span_mm;          /* lesion segment plus landing zones */
    double stent_span_from_mm, stent_span_to_mm;           /* positions it covers */
    int stent_length_mm;           /* nominal length >= max(span, 60); 0 if above 150 */
    /* every narrowed segment, IVC -> CFV (docs/measurements.md, "Every narrowed segment") */
    int segment_count;
    int segments_omitted;          /* more were found: the LQ_MAX_SEGMENTS worst are kept */
    LqSegment segments[LQ_MAX_SEGMENTS];
    int lesion_moved_to_worst;     /* the automatic lesion is the worst segment, outside the frames searched */
    int stent_segments;            /* segments over the threshold the stent span covers */
    int ivc_first, ivc_last;       /* the frames taken as the IVC (-1 if none) */
    int ivc_reference_first, ivc_reference_last;   /* the IVC stretch averaged (-1: the published normal) */
    double ivc_reference_area_mm2, ivc_reference_diameter_mm;
} LqSummary;

#define LQ_DYNAMIC_VARIATION_PCT 5.0

/* Lesion, reference and stenosis from per-frame measures, as docs/measurements.md. */
LQ_API int lq_measure_frames(const LqFrameMeasure *frames, size_t n, const LqMeasureSettings *s,
                             LqSummary *out, LqError *err);

/* ------------------------------------------------------ dynamic lesions */

/* Judging a lesion dynamic from the recordings that show it
 * (docs/measurements.md, "Dynamic lesions"): the catheter held still at the
 * lesion (a stationary recording, or a pause inside the pullback) through
 * a few breaths, or a second pullback in another respiratory phase. */
#define LQ_DYNAMIC_THRESHOLD_PCT 30.0 /* default: flags a lesion breathing +-30 % (46 %), not a still one */
#define LQ_STILL_MIN_S 3.0            /* a pause: the image barely moving for at least this long */
#define LQ_DYNAMICS_MAX_CYCLES 32
#define LQ_DYNAMICS_MAX_PAUSES 16

typedef enum LqDynamicSource {
    LQ_DYNAMIC_FROM_NONE = 0,     /* not judged */
    LQ_DYNAMIC_FROM_WINDOW,       /* the pullback around the lesion (LqSummary dynamic_*) */
    LQ_DYNAMIC_FROM_STATIONARY,   /* a stationary recording of the same study */
    LQ_DYNAMIC_FROM_PAUSE,        /* a pause of the pullback at the lesion */
    LQ_DYNAMIC_FROM_COMPARE,      /* a second pullback, in another respiratory phase or position */
} LqDynamicSource;

LQ_API const char *lq_dynamic_source_name(LqDynamicSource s); /* "none", "window", "stationary", "pause", "compare" */

/* Variation of an area between two states: 100 (max - min) / max, the area
 * reduction from the open state to the narrowed one. The one definition
 * every dynamic judgement uses. */
LQ_API double lq_area_variation_pct(double area_min_mm2, double area_max_mm2);

typedef struct LqBreathCycle {
    int first, last;               /* frames (0-based, in the recording) */
    double area_min_mm2, area_max_mm2, area_median_mm2;
    double variation_pct;          /* lq_area_variation_pct(min, max) */
} LqBreathCycle;

/* The lumen over time in frames held still. */
typedef struct LqTimeCourse {
    int judged;                    /* 0: see note */
    char note[160];                /* why not judged, or how the cycles were found */
    int first, last;               /* the frames held still (0-based, in the recording) */
    int frames;                    /* usable frames among them */
    double frame_time_ms, duration_s;
    double period_s;               /* breathing period from the area's own periodicity (0: none found) */
    double periodicity;            /* normalised autocorrelation of the area at that period */
    int cycles;                    /* cycles measured (the first LQ_DYNAMICS_MAX_CYCLES kept in cycle[]) */
    LqBreathCycle cycle[LQ_DYNAMICS_MAX_CYCLES];
    double area_min_mm2, area_max_mm2, area_median_mm2; /* over all the frames held still */
    double variation_pct;          /* median of the cycles' variations */
    double threshold_pct;
    int dynamic;                   /* variation_pct > threshold_pct */
} LqTimeCourse;

/* Two pullbacks of the same vein aligned on their area profiles. */
typedef struct LqComparison {
    int judged;                    /* 0: see note */
    char note[160];
    char path[1024], series_uid[65], sop_instance_uid[65]; /* the second pullback */
    double shift_mm;               /* its position = this pullback's position + shift_mm */
    double correlation;            /* normalised cross-correlation of the areas at that shift */
    int lesion_frame;              /* this pullback's lesion frame (0-based) */
    int other_lesion_frame;        /* the frame of minimal area at the same place in the other */
    double mla_mm2, other_mla_mm2; /* the lesion's MLA in each */
    double change_pct;             /* lq_area_variation_pct of the two MLAs */
    double threshold_pct;
    int dynamic;                   /* change_pct > threshold_pct */
} LqComparison;

/* A run of frames held still LQ_STILL_MIN_S or more, anywhere in the
 * recording. Within a timed pullback the catheter did not move: its frames
 * share the first one's position, and every frame after it comes
 * removed_mm closer (docs/measurements.md, "Frames held still"). */
typedef struct LqPause {
    int first, last;               /* frames (0-based, in the recording) */
    double held_s;
    double removed_mm;             /* pullback the file's rate ran on over it (0: untimed, or not in the pullback) */
} LqPause;

/* The evidence on a lesion's dynamics and the verdict it gives. */
typedef struct LqDynamics {
    LqDynamicSource source;        /* what the verdict rests on: a recording held still or a second
                                      pullback when there is one, else the pullback's own window */
    int dynamic;
    int has_course;                /* frames held still were measured (stationary or pause) */
    LqDynamicSource course_source; /* LQ_DYNAMIC_FROM_STATIONARY or LQ_DYNAMIC_FROM_PAUSE */
    LqTimeCourse course;
    char course_path[1024], course_series_uid[65], course_sop_instance_uid[65]; /* its recording */
    size_t samples;                /* the area over time there, for the pictures */
    const double *time_s, *area_mm2; /* (NAN where a frame has no usable contour) */
    int has_comparison;
    LqComparison comparison;
    int pauses;                    /* runs held still found (the first LQ_DYNAMICS_MAX_PAUSES kept) */
    LqPause pause[LQ_DYNAMICS_MAX_PAUSES];
} LqDynamics;

/* The lumen over time in frames first..last of a recording held still,
 * frame_time_ms apart: breathing cycles from the area's periodicity (2-10
 * s), min, max and median per cycle, the variation and the verdict at
 * threshold_pct. Frames below min_confidence are left out. */
LQ_API int lq_time_course_measure(const LqFrameMeasure *frames, size_t first, size_t last, double frame_time_ms,
                                  double min_confidence, double threshold_pct, LqTimeCourse *out, LqError *err);

/* CT venography along a traced centreline (docs/ct.md). */
typedef struct LqCtOptions {
    double step_mm;       /* cross-sections every step_mm along the centreline, at most (default 1) */
    double reference_mm;  /* A_ref: mean of the sections within this of the reference point (default 5) */
    double threshold_pct; /* a diameter stenosis above it is called significant (default 61) */
    double wall_weight;   /* path cost near the lumen's wall, docs/ct.md (default 4; 0: HU alone) */
    int recentre_passes;  /* centreline recentring passes, docs/ct.md (default 5) */
    double beyond_mm;     /* an MLA at the lesion point: the vein followed this far beyond it (default 15; 0 off) */
    int cpu_level;        /* -1: best */
} LqCtOptions;

typedef struct LqCtResult {
    double lesion_point[3], reference_point[3]; /* as given, LPS mm */
    size_t n;                  /* cross-sections, from the lesion point to the reference point */
    double *points;            /* n x 3: centreline, LPS mm */
    double *planes;            /* n x 6: each section's plane, unit vectors u (its columns, as the slices'
                                  rows run) and w (its rows, as the slices' columns run), LPS; u x w is
                                  the centreline's direction or its opposite */
    LqFrameMeasure *sections;  /* position_mm = arc length from the lesion point */
    unsigned outline_points;   /* points of each section's lumen outline */
    double *outlines;          /* n x outline_points x 2: (u, w) in mm from the centreline point */
    double lumen_hu;           /* lumen level (around the reference point) */
    int ok;
    char problem[256];
    int lesion, reference_first, reference_last, segment_first, segment_last; /* section indices (-1: none) */
    double mla_mm2, mld_mm, max_diameter_mm, reference_area_mm2, reference_diameter_mm;
    double diameter_stenosis_pct, area_stenosis_pct, equiv_diameter_stenosis_pct, lesion_length_mm;
    double threshold_pct;
    int significant;           /* %DS > threshold (CT alone never decides treatment) */
    double beyond_mm;          /* sections traced beyond the lesion point (their position_mm < 0) */
    char beyond_note[160];     /* why the search went beyond the lesion point and how far ("" if not) */
} LqCtResult;

LQ_API void lq_ct_options_default(LqCtOptions *o);
/* Traces the vein from `lesion` to `reference` (LPS mm) through the
 * contrast-filled lumen, cuts cross-sections perpendicular to it and measures
 * the lumen in each. LQ_ERR_USAGE for a point outside the volume. */
LQ_API int lq_ct_measure(const LqVolume *v, const double lesion[3], const double reference[3], const LqCtOptions *o,
                         LqCtResult **out, LqError *err);
LQ_API void lq_ct_result_free(LqCtResult **r);
/* The HU image of section s as the outline was found on it: size x size
 * samples `pitch_mm` apart, centred on the centreline point, x along u. */
LQ_API int lq_ct_section_image(const LqVolume *v, const LqCtResult *r, size_t s, int16_t *img, int size,
                               double pitch_mm);
/* The vein straightened along its centreline: column x at arc length
 * total * x / (width - 1) from the lesion point, row y at (y - height / 2) *
 * pitch_mm along that section's w (row-major, width x height): w is the
 * front-back direction of an axial series, across which the artery
 * flattens the vein. */
LQ_API int lq_ct_straightened(const LqVolume *v, const LqCtResult *r, int16_t *img, int width, int height,
                              double pitch_mm);

/* -------------------------------------------------------- segmentation */

typedef struct LqContour {
    unsigned n;        /* number of points */
    double *xy_mm;     /* n (x,y) pairs, image coordinates in mm, origin top-left pixel centre */
} LqContour;

typedef struct LqResult LqResult;

/* Resource budget of one measurement (docs: README "Limits"). A study over a
 * limit is refused with LQ_ERR_LIMIT before the work starts; the time limit
 * stops the work where it is reached. 0 means no limit. */
#define LQ_DEFAULT_MAX_FRAMES 20000u          /* 11 minutes at 30 frames/s */
#define LQ_DEFAULT_MAX_PIXELS (2048u * 2048u) /* per frame */
#define LQ_DEFAULT_MAX_MEMORY_MIB 1024u

typedef struct LqRunOptions {
    LqMeasureSettings measure;
    int cpu_level;     /* -1: best available (or LUMENQ_CPU); else an LqCpuLevel */
    int threads;       /* worker threads; 0: one per online CPU. Results do not depend on it. */
    unsigned max_frames;       /* frames in the file */
    unsigned max_pixels;       /* rows x columns of a frame */
    unsigned max_memory_mib;   /* estimated peak of the measurement (docs/measurements.md) */
    double time_limit_s;       /* wall-clock seconds for lq_study_measure */
} LqRunOptions;

LQ_API void lq_run_options_default(LqRunOptions *o);

/* Segment every frame of the study and measure. Frames are decoded one at a
 * time, in order; only the blocks being segmented are held (threads x 36 polar
 * frames of 128 KiB), never the whole pullback. */
LQ_API int lq_study_measure(LqStudy *study, const LqRunOptions *opt, LqResult **out, LqError *err);
/* A reference from another pullback of the same patient: measures `other`
 * (with opt's segmentation and pullback direction) and sets `into`'s external
 * reference to its A_ref and D_ref — its automatic EIV reference, or frames
 * first..last (0-based) when first >= 0. LQ_ERR_DATA when that pullback has
 * no reference segment of its own. */
LQ_API int lq_study_reference(LqStudy *other, const LqRunOptions *opt, int first, int last, LqMeasureSettings *into,
                              LqError *err);
LQ_API void lq_result_free(LqResult **r);
LQ_API size_t lq_result_frame_count(const LqResult *r);
LQ_API const LqFrameMeasure *lq_result_frame(const LqResult *r, size_t i);
LQ_API const LqContour *lq_result_contour(const LqResult *r, size_t i);
LQ_API const LqSummary *lq_result_summary(const LqResult *r);

/* The dynamics of r's lesion: the evidence and the verdict (never NULL). */
LQ_API const LqDynamics *lq_result_dynamics(const LqResult *r);
/* Judges r's lesion from a stationary recording of the same study
 * (`still` measured by lq_study_measure from `recording`): its frames held
 * still are measured over time and decide the verdict. LQ_ERR_DATA when it
 * is of another study or has no frame time. */
LQ_API int lq_result_judge_stationary(LqResult *r, const LqStudy *recording, const LqResult *still, LqError *err);
/* Judges r's lesion from a second pullback of the same vein (`other`,
 * measured from `other_study`): the two are aligned on their area profiles
 * and the lesion's MLA in each compared. LQ_ERR_DATA when it is of another
 * study, either is untimed, or they do not overlap. */
LQ_API int lq_result_compare(LqResult *r, const LqStudy *other_study, const LqResult *other, LqError *err);

/* Where a measurement was made, for the SR's finding sites (docs/sr.md). */
typedef enum LqSite {
    LQ_SITE_UNKNOWN = 0,
    LQ_SITE_CIV,        /* common iliac vein */
    LQ_SITE_EIV,        /* external iliac vein */
    LQ_SITE_CFV,        /* common femoral vein */
    LQ_SITE_IVC,        /* inferior vena cava */
} LqSite;

LQ_API const char *lq_site_name(LqSite s);       /* "civ", "eiv", "cfv", "ivc" ("" unknown) */
LQ_API int lq_site_from_name(const char *name);  /* an LqSite, or -1 */
/* The lesion's site as the user knows it (--site); by default the SR takes it
 * from the pullback's Anatomic Region Sequence when that names one of these. */
LQ_API void lq_result_set_site(LqResult *r, LqSite site);

/* -------------------------------------------------------------- edits */

/* A reader's corrections to a measured pullback (docs/json.md, "edits.json"):
 * lumen contours drawn again on some frames, and the lesion and reference
 * the reader chose. */
#define LQ_EDIT_MAX_POINTS 256 /* points of an edited contour (a measured one has 256) */

typedef struct LqEditedContour {
    unsigned frame;                        /* 0-based */
    unsigned n;                            /* 3..LQ_EDIT_MAX_POINTS */
    double xy_mm[2 * LQ_EDIT_MAX_POINTS];  /* closed polygon, image coordinates in mm as LqContour */
} LqEditedContour;

typedef struct LqEdits {
    char path[1024];             /* the file they were read from ("" when made in memory) */
    char sop_instance_uid[65];   /* the pullback they were made on */
    char reader[128];            /* who made them */
    char time[32];               /* when: ISO 8601 UTC, "2026-12-02T04:05:06Z" */
    int lesion_frame;            /* 0-based; -1: lumenq's lesion kept */
    int reference_first, reference_last; /* 0-based, inclusive; -1: lumenq's reference kept */
    size_t count;                /* edited contours, in increasing frame order */
    LqEditedContour *contours;
} LqEdits;

/* Empty edits for `study`, by `reader` (NULL: ""), dated now. */
LQ_API int lq_edits_new(const LqStudy *study, const char *reader, LqEdits **out, LqError *err);
/* Sets (adds or replaces) frame's contour: n points, xy in mm. LQ_ERR_USAGE
 * for fewer than 3 or more than LQ_EDIT_MAX_POINTS points, or not finite. */
LQ_API int lq_edits_set_contour(LqEdits *e, unsigned frame, const double *xy_mm, unsigned n, LqError *err);
/* Reads edits.json; LQ_ERR_OPEN when it cannot be read, LQ_ERR_DATA naming
 * the file and what is wrong with it. */
LQ_API int lq_edits_read(const char *path, LqEdits **out, LqError *err);
/* Writes edits.json atomically (as lq_report_write). */
LQ_API int lq_edits_write(const LqEdits *e, const char *path, LqError *err);
LQ_API void lq_edits_free(LqEdits **e);

/* Applies edits to a result of lq_study_measure(study, ...) measured with
 * settings `s` (the same as given to it; NULL: defaults): each edited
 * frame's contour is replaced and measured again (confidence 1: the reader
 * vouches for it), then lesion, reference and stenosis are measured again,
 * with the reader's lesion and reference where given. Edits made on another
 * SOP Instance UID, or naming frames the study does not have, are refused
 * with LQ_ERR_DATA and nothing changed. The result keeps a pointer to `e`
 * for its reports: keep `e` until the result is freed. */
LQ_API int lq_result_apply_edits(LqResult *r, const LqStudy *study, const LqMeasureSettings *s, const LqEdits *e,
                                 LqError *err);
/* The edits applied to r (NULL: none). */
LQ_API const LqEdits *lq_result_edits(const LqResult *r);
/* Edits from edits.json's text (`name` names it in messages), checked as lq_edits_read. */
LQ_API int lq_edits_from_json(const char *text, size_t len, const char *name, LqEdits **out, LqError *err);
/* A copy of r (frames, contours, summary; not its edits): the review keeps
 * the measured result and applies the reader's edits to copies of it. */
LQ_API int lq_result_copy(const LqResult *r, LqResult **out, LqError *err);
/* Frame i's stenosis by `metric` against r's reference (NAN without a
 * reference or a contour): the per-frame profile, as the report draws it. */
LQ_API double lq_result_frame_stenosis_pct(const LqResult *r, size_t i, LqMetric metric);
/* The calipers of frame i's contour, the minimal (MLD) and maximal Feret
 * diameters: x0, y0, x1, y1 in mm, as the pictures and the SR draw them. */
LQ_API int lq_result_calipers(const LqResult *r, size_t i, double min_mm[4], double max_mm[4]);

/* ------------------------------------------------------------- reports */

typedef enum LqReportFormat {
    LQ_REPORT_TEXT = 0,   /* the report a radiologist reads */
    LQ_REPORT_JSON,       /* everything, docs/json.md */
    LQ_REPORT_CSV,        /* one row per frame, docs/csv.md */
    LQ_REPORT_PDF,        /* one page: identification, numbers, verdict, pictures */
    LQ_REPORT_LESION_PNG, /* the lesion frame with contour, calipers, scale bar */
    LQ_REPORT_REFERENCE_PNG, /* the reference frame, the same way */
    LQ_REPORT_PROFILE_PNG,   /* area, %AS and the verdict metric along the pullback */
    LQ_REPORT_PDF_DICOM,     /* the PDF as a DICOM Encapsulated PDF in the source's study (a file only) */
    LQ_REPORT_SR,            /* DICOM Structured Report, TID 1500, in the source's study (a file only) */
    LQ_REPORT_DYNAMICS_PNG,  /* the lumen area over time where the catheter was held still (LQ_ERR_DATA
                                when no recording held still was measured) */
} LqReportFormat;

/* "text", "json", "csv", "pdf", "pdf-dicom"; the pictures are "lesion-png", "reference-png", "profile-png",
 * "dynamics-png". */
LQ_API int lq_report_format_from_name(const char *name, LqReportFormat *fmt);
/* Write a report; path NULL or "-" writes to stdout, otherwise atomically
 * (temporary file in the target folder, then rename). Pictures decode the
 * frames they show. LQ_REPORT_REFERENCE_PNG fails with LQ_ERR_DATA when the
 * reference is not a frame range of this pullback (external or normal value). */
LQ_API int lq_report_write(LqStudy *study, const LqResult *r, LqReportFormat fmt,
                           const char *path, LqError *err);
/* Append one row for this study to a summary CSV (docs/csv.md), creating it
 * with its header; the file is rewritten atomically under a lock, so several
 * lumenq processes can add to the same file. */
LQ_API int lq_report_append_summary_csv(const LqStudy *study, const LqResult *r, const char *path, LqError *err);
/* Reports of a CT measurement: text, JSON, CSV (one row per section);
 * LQ_REPORT_LESION_PNG and LQ_REPORT_REFERENCE_PNG the cross-sections,
 * LQ_REPORT_PROFILE_PNG the straightened vein over the area profile;
 * LQ_REPORT_SR a TID 1500 report in the CT's study. Atomic like
 * lq_report_write. */
LQ_API int lq_ct_report_write(const LqVolume *v, const LqCtResult *r, LqReportFormat fmt, const char *path,
                              LqError *err);

LQ_API const char *lq_method_name(LqMethod m);   /* "auto", "user", "external", "normal" */

/* Send DICOM files to a node with C-STORE (DCMTK's storage SCU): called AE
 * title, host, port; calling AE title (NULL: "LUMENQ"). LQ_OK only when the
 * peer accepted every instance. */
LQ_API int lq_dicom_send(const char *const *files, size_t count, const char *peer_aet, const char *host, unsigned port,
                         const char *calling_aet, LqError *err);

/* ------------------------------------------------------------------ CPU */

typedef enum LqCpuLevel {
    LQ_CPU_SCALAR = 0,
    LQ_CPU_SSE2 = 1,
    LQ_CPU_SSE41 = 2,
    LQ_CPU_AVX2 = 3,
    LQ_CPU_NEON = 4,
} LqCpuLevel;

/* Highest level this CPU supports (after the LUMENQ_CPU environment override). */
LQ_API int lq_cpu_best_level(void);
LQ_API const char *lq_cpu_level_name(int level);
LQ_API int lq_cpu_level_from_name(const char *name);

#ifdef __cplusplus
}
#endif
#endif
