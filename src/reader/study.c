/* DICOM study → frames, calibration and pullback positions.
 * The calibration and timing chains follow docs/measurements.md ("Calibration
 * and timing"). */
#include "dicom_shim.h"
#include "j2k.h"
#include "prescan.h"
#include "internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG(g, e) (((uint32_t)(g) << 16) | (uint32_t)(e))

enum {
    T_SOP_CLASS = TAG(0x0008, 0x0016),
    T_SOP_INSTANCE = TAG(0x0008, 0x0018),
    T_STUDY_DATE = TAG(0x0008, 0x0020),
    T_MODALITY = TAG(0x0008, 0x0060),
    T_MANUFACTURER = TAG(0x0008, 0x0070),
    T_STUDY_DESCRIPTION = TAG(0x0008, 0x1030),
    T_PATIENT_NAME = TAG(0x0010, 0x0010),
    T_PATIENT_ID = TAG(0x0010, 0x0020),
    T_CINE_RATE = TAG(0x0018, 0x0040),
    T_FRAME_TIME = TAG(0x0018, 0x1063),
    T_FRAME_TIME_VECTOR = TAG(0x0018, 0x1065),
    T_IMAGER_PIXEL_SPACING = TAG(0x0018, 0x1164),
    T_IVUS_PULLBACK_RATE = TAG(0x0018, 0x3101),
    T_IVUS_PULLBACK_START = TAG(0x0018, 0x3103),
    T_IVUS_PULLBACK_STOP = TAG(0x0018, 0x3104),
    T_US_REGIONS = TAG(0x0018, 0x6011),
    T_REGION_SPATIAL_FORMAT = TAG(0x0018, 0x6012),
    T_REGION_DATA_TYPE = TAG(0x0018, 0x6014),
    T_REGION_X0 = TAG(0x0018, 0x6018),
    T_REGION_Y0 = TAG(0x0018, 0x601A),
    T_REGION_X1 = TAG(0x0018, 0x601C),
    T_REGION_Y1 = TAG(0x0018, 0x601E),
    T_PHYS_UNITS_X = TAG(0x0018, 0x6024),
    T_PHYS_UNITS_Y = TAG(0x0018, 0x6026),
    T_PHYS_DELTA_X = TAG(0x0018, 0x602C),
    T_PHYS_DELTA_Y = TAG(0x0018, 0x602E),
    T_STUDY_UID = TAG(0x0020, 0x000D),
    T_SERIES_UID = TAG(0x0020, 0x000E),
    T_SAMPLES_PER_PIXEL = TAG(0x0028, 0x0002),
    T_PHOTOMETRIC = TAG(0x0028, 0x0004),
    T_PLANAR_CONFIGURATION = TAG(0x0028, 0x0006),
    T_NUMBER_OF_FRAMES = TAG(0x0028, 0x0008),
    T_ROWS = TAG(0x0028, 0x0010),
    T_COLUMNS = TAG(0x0028, 0x0011),
    T_PIXEL_SPACING = TAG(0x0028, 0x0030),
    T_IMAGE_POSITION = TAG(0x0020, 0x0032),
    T_IMAGE_ORIENTATION = TAG(0x0020, 0x0037),
    T_RESCALE_INTERCEPT = TAG(0x0028, 0x1052),
    T_RESCALE_SLOPE = TAG(0x0028, 0x1053),
    /* Enhanced (multi-frame) objects: functional groups and their macros */
    T_SHARED_GROUPS = TAG(0x5200, 0x9229),
    T_PER_FRAME_GROUPS = TAG(0x5200, 0x9230),
    T_PIXEL_MEASURES = TAG(0x0028, 0x9110),
    T_PLANE_POSITION = TAG(0x0020, 0x9113),
    T_PLANE_ORIENTATION = TAG(0x0020, 0x9116),
    T_PIXEL_VALUE_TRANSFORM = TAG(0x0028, 0x9145),
    T_BITS_ALLOCATED = TAG(0x0028, 0x0100),
    T_BITS_STORED = TAG(0x0028, 0x0101),
    T_PIXEL_REPRESENTATION = TAG(0x0028, 0x0103),
    T_PALETTE_DESCRIPTOR_R = TAG(0x0028, 0x1101), /* G, B follow */
    T_PALETTE_DATA_R = TAG(0x0028, 0x1201),       /* G, B follow */
    T_SEGMENTED_PALETTE_R = TAG(0x0028, 0x1221),
};

/* Sanity limits: refuse before allocating. */
#define LQ_MAX_DIM 8192u
#define LQ_MAX_FRAMES 200000u
#define LQ_MAX_PIXEL_MM 5.0
/* Sequence + item levels; real objects use a handful, DCMTK recurses per level. */
#define LQ_MAX_NESTING 256

struct LqStudy {
    LqStudyInfo info;
    LqDicomFile *file;
    int planar_configuration;
    int pixel_signed;
    double *position_mm;   /* one per frame */
    double *frame_position; /* Enhanced objects: Image Position (Patient) of each frame (frames x 3) */
    uint8_t *decode_buf;   /* one decoded frame as DCMTK delivers it */
    uint8_t *palette_luma; /* PALETTE COLOR: stored index -> luma, 2^bits_stored entries */
    uint8_t *overlay_mask; /* colour frames: console graphics found in the frame being read */
    uint8_t *palette_luma_graphics; /* bit per palette entry: a saturated colour (graphics) */
    int palette_has_graphics;
    size_t decode_len;
    int measurable;
    int j2k;               /* frames decoded with OpenJPEG */
    int syntax_known;      /* DCMTK knows the transfer syntax */
    char not_measurable_why[200];
};

void lq_open_options_default(LqOpenOptions *opt)
{
    memset(opt, 0, sizeof *opt);
}

const char *lq_calibration_source_name(LqCalibrationSource src)
{
    switch (src) {
    case LQ_CAL_US_REGION: return "Sequence of Ultrasound Regions (0018,6011)";
    case LQ_CAL_PIXEL_SPACING: return "Pixel Spacing (0028,0030)";
    case LQ_CAL_IMAGER_PIXEL_SPACING: return "Imager Pixel Spacing (0018,1164)";
    case LQ_CAL_USER: return "--pixel-size given by the user";
    default: return "none";
    }
}

static int spacing_ok(double v) { return isfinite(v) && v > 0.0 && v <= LQ_MAX_PIXEL_MM; }

/* Region units: 3 = cm (PS3.3 C.8.5.5.1.15). Other units are not spatial. */
static int us_region_calibration(LqStudy *s)
{
    LqStudyInfo *in = &s->info;
    unsigned n = lqd_sequence_length(s->file, T_US_REGIONS);
    double best_area = -1.0;
    for (unsigned i = 0; i < n; i++) {
        long ux = 0, uy = 0, fmt = 0, dtype = 0, x0 = 0, y0 = 0, x1 = 0, y1 = 0;
        double dx = 0, dy = 0;
        if (!lqd_get_long(s->file, T_US_REGIONS, i, T_PHYS_UNITS_X, &ux) ||
            !lqd_get_long(s->file, T_US_REGIONS, i, T_PHYS_UNITS_Y, &uy) ||
            !lqd_get_float(s->file, T_US_REGIONS, i, T_PHYS_DELTA_X, 0, &dx) ||
            !lqd_get_float(s->file, T_US_REGIONS, i, T_PHYS_DELTA_Y, 0, &dy))
            continue;
        if (ux != 3 || uy != 3) continue;
        lqd_get_long(s->file, T_US_REGIONS, i, T_REGION_SPATIAL_FORMAT, &fmt);
        lqd_get_long(s->file, T_US_REGIONS, i, T_REGION_DATA_TYPE, &dtype);
        /* spatial format 1 = 2D; other formats (M-mode, spectral) are not images */
        if (fmt != 0 && fmt != 1) continue;
        dx = fabs(dx) * 10.0;
        dy = fabs(dy) * 10.0;
        if (!spacing_ok(dx) || !spacing_ok(dy)) continue;
        lqd_get_long(s->file, T_US_REGIONS, i, T_REGION_X0, &x0);
        lqd_get_long(s->file, T_US_REGIONS, i, T_REGION_Y0, &y0);
        if (!lqd_get_long(s->file, T_US_REGIONS, i, T_REGION_X1, &x1)) x1 = (long)in->cols - 1;
        if (!lqd_get_long(s->file, T_US_REGIONS, i, T_REGION_Y1, &y1)) y1 = (long)in->rows - 1;
        x0 = LQ_CLAMP(x0, 0, (long)in->cols - 1);
        x1 = LQ_CLAMP(x1, x0, (long)in->cols - 1);
        y0 = LQ_CLAMP(y0, 0, (long)in->rows - 1);
        y1 = LQ_CLAMP(y1, y0, (long)in->rows - 1);
        /* The image is the largest 2D region; tissue regions (data type 1) win ties. */
        double area = (double)(x1 - x0 + 1) * (double)(y1 - y0 + 1) + (dtype == 1 ? 0.5 : 0.0);
        if (area > best_area) {
            best_area = area;
            in->pixel_dx_mm = dx;
            in->pixel_dy_mm = dy;
            in->region_x0 = (unsigned)x0;
            in->region_y0 = (unsigned)y0;
            in->region_x1 = (unsigned)x1;
            in->region_y1 = (unsigned)y1;
        }
    }
    return best_area >= 0.0;
}

/* An attribute of a functional group macro (Pixel Measures, Plane
 * Position...) for one frame: the frame's own group, else the shared one. */
static int group_float(LqStudy *s, unsigned frame, uint32_t macro, uint32_t tag, unsigned vm_index, double *v)
{
    return lqd_get_float_nested(s->file, T_PER_FRAME_GROUPS, frame, macro, tag, vm_index, v) ||
           lqd_get_float_nested(s->file, T_SHARED_GROUPS, 0, macro, tag, vm_index, v);
}

/* Pixel Spacing: the attribute, or an Enhanced object's Pixel Measures. */
static int pixel_spacing(LqStudy *s, double *row_mm, double *col_mm)
{
    if (lqd_get_float(s->file, 0, 0, T_PIXEL_SPACING, 0, row_mm) &&
        lqd_get_float(s->file, 0, 0, T_PIXEL_SPACING, 1, col_mm))
        return 1;
    return group_float(s, 0, T_PIXEL_MEASURES, T_PIXEL_SPACING, 0, row_mm) &&
           group_float(s, 0, T_PIXEL_MEASURES, T_PIXEL_SPACING, 1, col_mm);
}

/* Enhanced CT (and any multi-frame object with plane positions): each frame's
 * Image Position, the orientation and the rescale from the functional groups.
 * Frames without a position leave the object without geometry. */
static int read_enhanced_geometry(LqStudy *s)
{
    LqStudyInfo *in = &s->info;
    if (in->has_geometry || in->frames < 2 || lqd_sequence_length(s->file, T_PER_FRAME_GROUPS) != in->frames)
        return LQ_OK;
    int ok = 1;
    for (int k = 0; k < 6; k++)
        ok &= group_float(s, 0, T_PLANE_ORIENTATION, T_IMAGE_ORIENTATION, (unsigned)k, &in->image_orientation[k]) &&
              isfinite(in->image_orientation[k]);
    if (!ok) return LQ_OK;
    s->frame_position = malloc((size_t)in->frames * 3 * sizeof *s->frame_position);
    if (!s->frame_position) return LQ_ERR_INTERNAL;
    for (unsigned f = 0; ok && f < in->frames; f++)
        for (int k = 0; ok && k < 3; k++)
            ok = lqd_get_float_nested(s->file, T_PER_FRAME_GROUPS, f, T_PLANE_POSITION, T_IMAGE_POSITION,
                                      (unsigned)k, &s->frame_position[3 * f + k]) &&
                 isfinite(s->frame_position[3 * f + k]);
    if (!ok) {
        free(s->frame_position);
        s->frame_position = NULL;
        return LQ_OK;
    }
    memcpy(in->image_position, s->frame_position, sizeof in->image_position);
    in->has_geometry = 1;
    double v;
    if (group_float(s, 0, T_PIXEL_VALUE_TRANSFORM, T_RESCALE_SLOPE, 0, &v) && isfinite(v) && v != 0)
        in->rescale_slope = v;
    if (group_float(s, 0, T_PIXEL_VALUE_TRANSFORM, T_RESCALE_INTERCEPT, 0, &v) && isfinite(v))
        in->rescale_intercept = v;
    return LQ_OK;
}

int lq_study_frame_patient_position(const LqStudy *s, unsigned frame, double pos[3])
{
    if (frame >= s->info.frames || !s->info.has_geometry) return 0;
    memcpy(pos, s->frame_position ? s->frame_position + 3 * frame : s->info.image_position, 3 * sizeof *pos);
    return 1;
}

static void calibrate(LqStudy *s, const LqOpenOptions *opt)
{
    LqStudyInfo *in = &s->info;
    double row_mm = 0, col_mm = 0;
    in->region_x0 = in->region_y0 = 0;
    in->region_x1 = in->cols ? in->cols - 1 : 0;
    in->region_y1 = in->rows ? in->rows - 1 : 0;
    if (us_region_calibration(s)) {
        in->calibration = LQ_CAL_US_REGION;
        /* A Pixel Spacing that says otherwise is named in the report: the
         * region is the standard's calibration for ultrasound and is used. */
        if (lqd_get_float(s->file, 0, 0, T_PIXEL_SPACING, 0, &row_mm) &&
            lqd_get_float(s->file, 0, 0, T_PIXEL_SPACING, 1, &col_mm) &&
            (!(fabs(col_mm - in->pixel_dx_mm) <= 0.02 * in->pixel_dx_mm) ||
             !(fabs(row_mm - in->pixel_dy_mm) <= 0.02 * in->pixel_dy_mm)))
            snprintf(in->calibration_note, sizeof in->calibration_note,
                     "Pixel Spacing (0028,0030) says %g x %g mm, the ultrasound region %.4f x %.4f mm: the region "
                     "is used", col_mm, row_mm, in->pixel_dx_mm, in->pixel_dy_mm);
        return;
    }
    /* Pixel Spacing is "row spacing \ column spacing": the first value is the
     * distance between rows, i.e. along y. */
    if (pixel_spacing(s, &row_mm, &col_mm) && spacing_ok(row_mm) && spacing_ok(col_mm)) {
        in->pixel_dx_mm = col_mm;
        in->pixel_dy_mm = row_mm;
        in->calibration = LQ_CAL_PIXEL_SPACING;
        return;
    }
    if (lqd_get_float(s->file, 0, 0, T_IMAGER_PIXEL_SPACING, 0, &row_mm) &&
        lqd_get_float(s->file, 0, 0, T_IMAGER_PIXEL_SPACING, 1, &col_mm) &&
        spacing_ok(row_mm) && spacing_ok(col_mm)) {
        in->pixel_dx_mm = col_mm;
        in->pixel_dy_mm = row_mm;
        in->calibration = LQ_CAL_IMAGER_PIXEL_SPACING;
        return;
    }
    if (opt && opt->pixel_size_mm > 0.0) {
        in->pixel_dx_mm = in->pixel_dy_mm = opt->pixel_size_mm;
        in->calibration = LQ_CAL_USER;
        return;
    }
    in->calibration = LQ_CAL_NONE;
}

/* Frame time: Frame Time, else the mean of Frame Time Vector (its first entry
 * is 0 by definition), else Cine Rate. */
static double file_frame_time_ms(LqStudy *s)
{
    double v = 0;
    if (lqd_get_float(s->file, 0, 0, T_FRAME_TIME, 0, &v) && isfinite(v) && v > 0) return v;
    double sum = 0;
    unsigned n = 0;
    for (unsigned i = 1; i < s->info.frames; i++) {
        if (!lqd_get_float(s->file, 0, 0, T_FRAME_TIME_VECTOR, i, &v)) break;
        sum += v;
        n++;
    }
    if (n && sum > 0 && isfinite(sum)) return sum / n;
    if (lqd_get_float(s->file, 0, 0, T_CINE_RATE, 0, &v) && isfinite(v) && v > 0) return 1000.0 / v;
    return 0.0;
}

static void timing(LqStudy *s, const LqOpenOptions *opt)
{
    LqStudyInfo *in = &s->info;
    double rate = 0;
    int user = 0;
    in->frame_time_ms = file_frame_time_ms(s);
    if (lqd_get_float(s->file, 0, 0, T_IVUS_PULLBACK_RATE, 0, &rate) && isfinite(rate) && rate > 0)
        in->pullback_rate_mm_s = rate;
    if (opt && opt->frame_time_ms > 0) in->frame_time_ms = opt->frame_time_ms, user = 1;
    if (opt && opt->pullback_rate_mm_s > 0) in->pullback_rate_mm_s = opt->pullback_rate_mm_s, user = 1;

    long start = 0, stop = 0;
    in->pullback_start_frame = 0;
    in->pullback_stop_frame = in->frames ? in->frames - 1 : 0;
    if (lqd_get_long(s->file, 0, 0, T_IVUS_PULLBACK_START, &start) && start >= 1 &&
        (unsigned long)start <= in->frames)
        in->pullback_start_frame = (unsigned)start - 1;
    if (lqd_get_long(s->file, 0, 0, T_IVUS_PULLBACK_STOP, &stop) && stop >= 1 &&
        (unsigned long)stop <= in->frames && (unsigned)stop - 1 >= in->pullback_start_frame)
        in->pullback_stop_frame = (unsigned)stop - 1;

    double step_mm = 0;
    if (in->frame_time_ms > 0 && in->pullback_rate_mm_s > 0) {
        in->timing = user ? LQ_TIMING_USER : LQ_TIMING_DICOM;
        step_mm = in->pullback_rate_mm_s * in->frame_time_ms / 1000.0;
    } else {
        in->timing = LQ_TIMING_NONE;
    }
    /* docs/measurements.md: position = frame index x pullback rate x frame time, from the
     * first frame of the pullback (IVUS Pullback Start Frame Number); frames
     * before it, the catheter still, get negative positions. */
    double origin = in->pullback_start_frame;
    for (unsigned i = 0; i < in->frames; i++)
        s->position_mm[i] = in->timing == LQ_TIMING_NONE ? (double)i - origin : ((double)i - origin) * step_mm;
}

/* Image Position / Orientation (Patient) and the rescale, for CT. */
static void read_patient_geometry(LqStudy *s)
{
    LqStudyInfo *in = &s->info;
    int ok = 1;
    for (int k = 0; k < 3; k++) ok &= lqd_get_float(s->file, 0, 0, T_IMAGE_POSITION, (unsigned)k, &in->image_position[k]);
    for (int k = 0; k < 6; k++)
        ok &= lqd_get_float(s->file, 0, 0, T_IMAGE_ORIENTATION, (unsigned)k, &in->image_orientation[k]);
    for (int k = 0; ok && k < 9; k++)
        ok &= isfinite(k < 3 ? in->image_position[k] : in->image_orientation[k - 3]);
    in->has_geometry = ok;
    if (!lqd_get_float(s->file, 0, 0, T_RESCALE_SLOPE, 0, &in->rescale_slope) || !isfinite(in->rescale_slope) ||
        in->rescale_slope == 0)
        in->rescale_slope = 1.0;
    if (!lqd_get_float(s->file, 0, 0, T_RESCALE_INTERCEPT, 0, &in->rescale_intercept) ||
        !isfinite(in->rescale_intercept))
        in->rescale_intercept = 0.0;
}

static void read_identification(LqStudy *s)
{
    LqStudyInfo *in = &s->info;
    read_patient_geometry(s);
    lqd_get_string(s->file, 0, 0, T_SOP_CLASS, in->sop_class_uid, sizeof in->sop_class_uid);
    lqd_sop_class_name(in->sop_class_uid, in->sop_class_name, sizeof in->sop_class_name);
    lqd_get_string(s->file, 0, 0, T_SOP_INSTANCE, in->sop_instance_uid, sizeof in->sop_instance_uid);
    lqd_get_string(s->file, 0, 0, T_STUDY_UID, in->study_instance_uid, sizeof in->study_instance_uid);
    lqd_get_string(s->file, 0, 0, T_SERIES_UID, in->series_instance_uid, sizeof in->series_instance_uid);
    lqd_get_string(s->file, 0, 0, T_MODALITY, in->modality, sizeof in->modality);
    lqd_get_string(s->file, 0, 0, T_PATIENT_NAME, in->patient_name, sizeof in->patient_name);
    lqd_get_string(s->file, 0, 0, T_PATIENT_ID, in->patient_id, sizeof in->patient_id);
    lqd_get_string(s->file, 0, 0, T_STUDY_DATE, in->study_date, sizeof in->study_date);
    lqd_get_string(s->file, 0, 0, T_STUDY_DESCRIPTION, in->study_description,
                   sizeof in->study_description);
    lqd_get_string(s->file, 0, 0, T_MANUFACTURER, in->manufacturer, sizeof in->manufacturer);
    lqd_get_string(s->file, 0, 0, T_PHOTOMETRIC, in->photometric, sizeof in->photometric);
    s->syntax_known = lqd_transfer_syntax(s->file, in->transfer_syntax_uid, sizeof in->transfer_syntax_uid,
                                          in->transfer_syntax_name, sizeof in->transfer_syntax_name);
    /* HTJ2K is newer than DCMTK 3.6.7, which reads its dataset (explicit VR
     * little endian, encapsulated pixel data) right all the same: OpenJPEG
     * decodes the frames. */
    const char *j2k_name = lq_j2k_transfer_syntax_name(in->transfer_syntax_uid);
    if (!s->syntax_known && j2k_name) {
        s->syntax_known = 1;
        snprintf(in->transfer_syntax_name, sizeof in->transfer_syntax_name, "%s", j2k_name);
    }
}

static unsigned get_uint(LqStudy *s, uint32_t tag, unsigned fallback)
{
    long v = 0;
    if (!lqd_get_long(s->file, 0, 0, tag, &v) || v < 0) return fallback;
    return (unsigned)v;
}

/* Fills the image geometry; returns 0 or a reason the pixels cannot be used. */
static const char *read_geometry(LqStudy *s)
{
    LqStudyInfo *in = &s->info;
    if (!lqd_has_pixel_data(s->file)) return "no Pixel Data (7FE0,0010): not an image";
    in->rows = get_uint(s, T_ROWS, 0);
    in->cols = get_uint(s, T_COLUMNS, 0);
    in->frames = get_uint(s, T_NUMBER_OF_FRAMES, 1);
    in->samples_per_pixel = get_uint(s, T_SAMPLES_PER_PIXEL, 1);
    in->bits_allocated = get_uint(s, T_BITS_ALLOCATED, 0);
    in->bits_stored = get_uint(s, T_BITS_STORED, in->bits_allocated);
    s->planar_configuration = (int)get_uint(s, T_PLANAR_CONFIGURATION, 0);
    s->pixel_signed = get_uint(s, T_PIXEL_REPRESENTATION, 0) == 1;
    if (in->rows == 0 || in->cols == 0) return "Rows or Columns missing or zero";
    if (in->rows > LQ_MAX_DIM || in->cols > LQ_MAX_DIM) return "image dimensions beyond 8192";
    if (in->frames == 0 || in->frames > LQ_MAX_FRAMES) return "Number of Frames is zero or beyond 200000";
    if (in->bits_allocated != 8 && in->bits_allocated != 16) return "Bits Allocated is neither 8 nor 16";
    if (in->bits_stored == 0 || in->bits_stored > in->bits_allocated) return "Bits Stored is inconsistent";
    if (in->samples_per_pixel != 1 && in->samples_per_pixel != 3) return "Samples per Pixel is neither 1 nor 3";
    return NULL;
}

/* ITU-R BT.601 luma in 8.8 fixed point; DICOM RGB carries no other weighting. */
static inline uint8_t luma(unsigned r, unsigned g, unsigned b)
{
    return (uint8_t)((77u * r + 150u * g + 29u * b + 128u) >> 8);
}

/* Console graphics burned into colour frames (text, measurement marks,
 * borders) are saturated colours; ultrasound is grey or a gentle tint. A
 * pixel whose chroma is large both in itself and against its brightness is
 * graphics, not tissue. */
static int is_overlay_colour(int ybr, unsigned a, unsigned b, unsigned c)
{
    if (ybr) { /* Y, Cb, Cr */
        unsigned chroma = (unsigned)abs((int)b - 128) + (unsigned)abs((int)c - 128);
        return chroma > 96;
    }
    unsigned hi = a > b ? (a > c ? a : c) : (b > c ? b : c), lo = a < b ? (a < c ? a : c) : (b < c ? b : c);
    return hi - lo > 96 && 2 * (hi - lo) > hi;
}

/* Overlay pixels take the values of the image around them: repeatedly, every
 * marked pixel with unmarked 4-neighbours becomes their mean and is unmarked,
 * so the graphics are filled from their edges inwards, as by peeling. Only
 * the marked pixels are visited (a list, shrinking each pass), so the cost
 * follows the graphics, not the frame. */
static void fill_overlay(uint8_t *img, uint8_t *mask, unsigned cols, unsigned rows)
{
    size_t px = (size_t)cols * rows, n = 0;
    for (size_t i = 0; i < px; i++) n += mask[i] == 1;
    size_t *todo = malloc(n * sizeof *todo), *done = malloc(n * sizeof *done);
    if (!todo || !done) {
        free(todo), free(done);
        return; /* out of memory: the graphics stay as they were read */
    }
    n = 0;
    for (size_t i = 0; i < px; i++)
        if (mask[i] == 1) todo[n++] = i;
    for (int pass = 0; pass < 64 && n; pass++) {
        size_t left = 0, filled = 0;
        for (size_t k = 0; k < n; k++) {
            size_t i = todo[k];
            unsigned x = (unsigned)(i % cols), y = (unsigned)(i / cols), sum = 0, count = 0;
            if (x > 0 && !mask[i - 1]) sum += img[i - 1], count++;
            if (x + 1 < cols && !mask[i + 1]) sum += img[i + 1], count++;
            if (y > 0 && !mask[i - cols]) sum += img[i - cols], count++;
            if (y + 1 < rows && !mask[i + cols]) sum += img[i + cols], count++;
            if (count) img[i] = (uint8_t)((sum + count / 2) / count), done[filled++] = i;
            else todo[left++] = i;
        }
        for (size_t k = 0; k < filled; k++) mask[done[k]] = 0; /* usable as neighbours from the next pass */
        n = left;
    }
    for (size_t k = 0; k < n; k++) mask[todo[k]] = 0;
    free(todo), free(done);
}

/* Segmented palette data (PS3.3 C.7.9.2): from word `at`, up to `segments`
 * segments (or to the end) appended to out[*o..n_out): discrete (opcode 0:
 * length, values), linear (1: length, end value; from the last entry) and,
 * when allowed, indirect (2: count of segments, 32-bit word offset of the
 * first, low word first). Every read is bounds-checked: the data come from
 * the sender. Returns 0, or -1 on malformed data. */
static int expand_segments(const uint16_t *seg, size_t nseg, size_t at, size_t segments, uint16_t *out, size_t *o,
                           size_t n_out, int allow_indirect)
{
    for (size_t done = 0; done < segments && at + 1 < nseg && *o < n_out; done++) {
        unsigned op = seg[at], len = seg[at + 1];
        if (op == 0) {
            if (at + 2 + len > nseg) return -1;
            for (unsigned k = 0; k < len && *o < n_out; k++) out[(*o)++] = seg[at + 2 + k];
            at += 2 + (size_t)len;
        } else if (op == 1) {
            if (*o == 0 || at + 2 >= nseg) return -1;
            double y0 = out[*o - 1], y1 = seg[at + 2];
            for (unsigned k = 1; k <= len && *o < n_out; k++) out[(*o)++] = (uint16_t)(y0 + (y1 - y0) * k / len + 0.5);
            at += 3;
        } else if (op == 2 && allow_indirect) {
            if (at + 3 >= nseg) return -1;
            size_t offset = (size_t)seg[at + 2] | (size_t)seg[at + 3] << 16;
            if (offset >= nseg || expand_segments(seg, nseg, offset, len, out, o, n_out, 0) != 0) return -1;
            at += 4;
        } else {
            return -1;
        }
    }
    return 0;
}

/* PALETTE COLOR (PS3.3 C.7.6.3.1.5): each channel's descriptor gives the
 * number of entries (0 = 65536), the first stored value mapped, and the bits
 * per entry; values below the first map to the first entry, above the last to
 * the last. The table is given whole or as segments (expanded here; DCMTK
 * 3.6.7 does not). The three tables become one stored value -> luma table. */
static const char *load_palette(LqStudy *s)
{
    unsigned n[3], first[3], bits[3];
    const uint16_t *data[3];
    uint16_t *expanded[3] = {NULL, NULL, NULL};
    size_t count[3];
    const char *problem = NULL;
    for (int c = 0; c < 3 && !problem; c++) {
        if (!lqd_get_u16(s->file, T_PALETTE_DESCRIPTOR_R + (uint32_t)c, 0, &n[c]) ||
            !lqd_get_u16(s->file, T_PALETTE_DESCRIPTOR_R + (uint32_t)c, 1, &first[c]) ||
            !lqd_get_u16(s->file, T_PALETTE_DESCRIPTOR_R + (uint32_t)c, 2, &bits[c])) {
            problem = "PALETTE COLOR without a complete palette color lookup table";
            break;
        }
        if (n[c] == 0) n[c] = 65536;
        if (bits[c] != 8 && bits[c] != 16) {
            problem = "palette entries are neither 8 nor 16 bits";
            break;
        }
        const uint16_t *seg;
        size_t nseg;
        if (lqd_get_u16_array(s->file, T_SEGMENTED_PALETTE_R + (uint32_t)c, &seg, &nseg)) {
            if (bits[c] != 16) {
                problem = "segmented palette with 8-bit entries is not supported";
                break;
            }
            size_t o = 0;
            expanded[c] = malloc(n[c] * sizeof **expanded);
            if (!expanded[c]) {
                problem = "out of memory for the palette";
                break;
            }
            if (expand_segments(seg, nseg, 0, SIZE_MAX, expanded[c], &o, n[c], 1) != 0 || o < n[c]) {
                problem = "segmented palette color lookup table malformed or shorter than its descriptor";
                break;
            }
            data[c] = expanded[c], count[c] = n[c];
            continue;
        }
        if (!lqd_get_u16_array(s->file, T_PALETTE_DATA_R + (uint32_t)c, &data[c], &count[c])) {
            problem = "PALETTE COLOR without a complete palette color lookup table";
            break;
        }
        /* 8-bit entries may be packed two to a 16-bit word */
        size_t need = bits[c] == 8 ? (n[c] + 1) / 2 : n[c];
        if (count[c] < need) problem = "palette color lookup table shorter than its descriptor";
    }
    unsigned levels = 1u << s->info.bits_stored;
    if (!problem && (!(s->palette_luma = malloc(levels)) || !(s->palette_luma_graphics = calloc(levels / 8 + 1, 1))))
        problem = "out of memory for the palette";
    for (unsigned v = 0; !problem && v < levels; v++) {
        unsigned rgb[3];
        for (int c = 0; c < 3; c++) {
            long i = (long)v - (long)first[c];
            i = i < 0 ? 0 : i >= (long)n[c] ? (long)n[c] - 1 : i;
            if (bits[c] == 16) {
                rgb[c] = data[c][i] >> 8;
            } else {
                uint16_t w = data[c][i / 2]; /* little-endian packing: even index in the low byte */
                rgb[c] = i % 2 ? w >> 8 : w & 0xFF;
            }
        }
        s->palette_luma[v] = luma(rgb[0], rgb[1], rgb[2]);
        if (is_overlay_colour(0, rgb[0], rgb[1], rgb[2])) {
            s->palette_has_graphics = 1;
            s->palette_luma_graphics[v / 8] |= (uint8_t)(1u << (v % 8));
        }
    }
    for (int c = 0; c < 3; c++) free(expanded[c]);
    return problem;
}

int lq_study_open(const char *path, const LqOpenOptions *opt, LqStudy **out, LqError *err)
{
    *out = NULL;
    char msg[400];
    LqStudy *s = calloc(1, sizeof *s);
    if (!s) return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
    snprintf(s->info.path, sizeof s->info.path, "%s", path);
    int depth = 0;
    char why[200];
    int rc = lq_prescan(path, LQ_MAX_NESTING, &depth, why, sizeof why);
    if (rc == LQ_ERR_DATA) {
        free(s);
        return lq_fail(err, rc, "%s: %s", path, why);
    }
    rc = lqd_open(path, &s->file, msg, sizeof msg);
    if (rc != LQ_OK) {
        free(s);
        return lq_fail(err, rc, "%s: %s", path, msg);
    }
    read_identification(s);
    const char *geometry_problem = read_geometry(s);
    if (geometry_problem) {
        /* Absurd declared dimensions are bad data; any other object without
         * usable pixels is still a valid study for `info`, just not measurable. */
        snprintf(s->not_measurable_why, sizeof s->not_measurable_why, "%s", geometry_problem);
        if (s->info.rows > LQ_MAX_DIM || s->info.cols > LQ_MAX_DIM || s->info.frames > LQ_MAX_FRAMES) {
            lq_study_close(&s);
            return lq_fail(err, LQ_ERR_DATA, "%s: %s", path, geometry_problem);
        }
        s->info.frames = 0;
        *out = s;
        return LQ_OK;
    }
    s->position_mm = calloc(s->info.frames, sizeof *s->position_mm);
    if (!s->position_mm) {
        lq_study_close(&s);
        return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
    }
    if (read_enhanced_geometry(s) != LQ_OK) {
        lq_study_close(&s);
        return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
    }
    calibrate(s, opt);
    timing(s, opt);
    if (!s->syntax_known) {
        /* DCMTK parsed the dataset with a guessed syntax: its pixels are not
         * usable, and their layout says nothing. Still a study for `info`. */
        snprintf(s->not_measurable_why, sizeof s->not_measurable_why, "transfer syntax %s (%s) cannot be decoded",
                 s->info.transfer_syntax_uid, s->info.transfer_syntax_name);
        *out = s;
        return LQ_OK;
    }

    size_t px = (size_t)s->info.rows * s->info.cols;
    size_t bytes_per_sample = s->info.bits_allocated / 8;
    int encapsulated = 0;
    uint64_t native_length = 0;
    lqd_pixel_layout(s->file, &encapsulated, &native_length);
    s->j2k = encapsulated && lq_is_j2k_transfer_syntax(s->info.transfer_syntax_uid);
    if (s->j2k) {
        s->decode_len = px * s->info.samples_per_pixel * bytes_per_sample; /* decoded as native data */
    } else if (encapsulated) {
        rc = lqd_frame_size(s->file, &s->decode_len, msg, sizeof msg);
        if (rc == LQ_OK && s->decode_len < px * s->info.samples_per_pixel * bytes_per_sample) {
            snprintf(msg, sizeof msg, "decoded frame is %zu bytes, %ux%u x %u samples need more",
                     s->decode_len, s->info.cols, s->info.rows, s->info.samples_per_pixel);
            rc = LQ_ERR_DATA;
        }
        if (rc != LQ_OK) {
            lq_study_close(&s);
            return lq_fail(err, rc, "%s: %s", path, msg);
        }
    } else {
        /* Native 4:2:2 keeps two samples a pixel (Y Y Cb Cr for two pixels). */
        size_t samples = strcmp(s->info.photometric, "YBR_FULL_422") == 0 ? 2 : s->info.samples_per_pixel;
        s->decode_len = px * samples * bytes_per_sample;
        uint64_t need = (uint64_t)s->decode_len * s->info.frames;
        if (native_length < need) {
            uint64_t have = native_length;
            unsigned frames = s->info.frames;
            lq_study_close(&s);
            return lq_fail(err, LQ_ERR_DATA, "%s: pixel data holds %llu bytes, %u frames need %llu", path,
                           (unsigned long long)have, frames, (unsigned long long)need);
        }
    }
    s->decode_buf = malloc(s->decode_len + 2);
    if (!s->decode_buf) {
        lq_study_close(&s);
        return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
    }
    const char *palette_problem = NULL;
    if (strcmp(s->info.photometric, "PALETTE COLOR") == 0 && s->info.samples_per_pixel == 1)
        palette_problem = load_palette(s);
    if (palette_problem) {
        /* still a study `info` can describe; its frames cannot be turned into luma */
        snprintf(s->not_measurable_why, sizeof s->not_measurable_why, "%s", palette_problem);
    } else if (s->info.calibration == LQ_CAL_NONE) {
        snprintf(s->not_measurable_why, sizeof s->not_measurable_why,
                 "no calibration (no ultrasound region, Pixel Spacing or Imager Pixel Spacing); "
                 "give --pixel-size MM");
    } else if (s->frame_position) {
        /* its frames are slices at positions in space, not a pullback */
        snprintf(s->not_measurable_why, sizeof s->not_measurable_why,
                 "a multi-frame %s volume (frames are slices, not a pullback): use lumenq ct",
                 s->info.modality[0] ? s->info.modality : "image");
    } else {
        s->measurable = 1;
    }
    *out = s;
    return LQ_OK;
}

void lq_study_close(LqStudy **study)
{
    if (!study || !*study) return;
    LqStudy *s = *study;
    if (s->file) lqd_close(s->file);
    free(s->position_mm);
    free(s->frame_position);
    free(s->decode_buf);
    free(s->palette_luma);
    free(s->overlay_mask);
    free(s->palette_luma_graphics);
    free(s);
    *study = NULL;
}

const LqStudyInfo *lq_study_info(const LqStudy *study) { return &study->info; }

int lq_study_measurable(const LqStudy *study, const char **why)
{
    if (why) *why = study->measurable ? "" : study->not_measurable_why;
    return study->measurable;
}

double lq_study_frame_position_mm(const LqStudy *study, unsigned index)
{
    if (!study->position_mm || index >= study->info.frames) return 0.0;
    return study->position_mm[index];
}

int lq_study_frame_at_mm(const LqStudy *study, double mm, unsigned *index, LqError *err)
{
    const LqStudyInfo *in = &study->info;
    if (in->timing == LQ_TIMING_NONE || !study->position_mm)
        return lq_fail(err, LQ_ERR_USAGE, "%s: no frame time or pullback rate, so positions in mm cannot be used "
                                          "(give frame numbers, or --pullback-rate)", in->path);
    unsigned a = in->pullback_start_frame, b = in->pullback_stop_frame;
    double lo = study->position_mm[a], hi = study->position_mm[b];
    double half_step = b > a ? 0.5 * (hi - lo) / (b - a) : 0.0;
    if (!isfinite(mm) || mm < lo - half_step || mm > hi + half_step)
        return lq_fail(err, LQ_ERR_USAGE, "%s: position %.2f mm is outside the pullback: %.2f-%.2f mm", in->path, mm,
                       lo, hi);
    unsigned best = a;
    for (unsigned i = a; i <= b; i++)
        if (fabs(study->position_mm[i] - mm) < fabs(study->position_mm[best] - mm)) best = i;
    *index = best;
    return LQ_OK;
}

/* Sample (sample index `c` of pixel `i`) scaled to 8 bits. */
static inline unsigned sample8(const LqStudy *s, size_t idx)
{
    if (s->info.bits_allocated == 8) {
        unsigned v = s->decode_buf[idx];
        if (s->pixel_signed) v ^= 0x80u;
        return v;
    }
    uint16_t raw;
    memcpy(&raw, s->decode_buf + 2 * idx, 2);
    unsigned bits = s->info.bits_stored;
    unsigned v = raw & ((1u << bits) - 1u);
    if (s->pixel_signed) v ^= 1u << (bits - 1); /* two's complement -> offset binary */
    return bits > 8 ? v >> (bits - 8) : v << (8 - bits);
}


/* The RLE header of a frame (PS3.5 G.5: 16 little-endian words, the number
 * of segments then their offsets) checked before DCMTK decodes the frame:
 * DCMTK 3.6.7 follows offsets past the end of the data and crashes (found by
 * fuzz_reader). One segment per sample byte, the first at 64, increasing,
 * all within the frame. */
static int check_rle_frame(LqStudy *s, unsigned index, char *msg, size_t msg_len)
{
    const LqStudyInfo *in = &s->info;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = lqd_encapsulated_frame(s->file, index, in->frames, &data, &len, msg, msg_len);
    if (rc != LQ_OK) return rc;
    uint32_t h[16] = {0};
    if (len >= 64)
        for (int i = 0; i < 16; i++)
            h[i] = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 | (uint32_t)data[4 * i + 2] << 16 |
                   (uint32_t)data[4 * i + 3] << 24;
    free(data);
    unsigned want = in->samples_per_pixel * (in->bits_allocated / 8);
    if (len < 64 || h[0] != want || h[1] != 64) {
        snprintf(msg, msg_len, "frame %u: RLE header says %u segments starting at %u, expected %u at 64", index + 1,
                 len < 64 ? 0 : h[0], h[1], want);
        return LQ_ERR_DATA;
    }
    for (unsigned k = 1; k <= h[0]; k++)
        if (h[k] >= len || (k > 1 && h[k] <= h[k - 1])) {
            snprintf(msg, msg_len, "frame %u: RLE segment %u starts at %u, outside the %zu bytes of the frame", index + 1,
                     k, h[k], len);
            return LQ_ERR_DATA;
        }
    return LQ_OK;
}

static int decode_frame(LqStudy *s, unsigned index, char model[17], LqError *err);

int lq_study_read_frame_hu(LqStudy *s, unsigned index, int16_t *out, LqError *err)
{
    const LqStudyInfo *in = &s->info;
    if (in->samples_per_pixel != 1)
        return lq_fail(err, LQ_ERR_DATA, "%s: %u samples per pixel: no single value per pixel", in->path,
                       in->samples_per_pixel);
    char model[17] = "";
    int rc = decode_frame(s, index, model, err);
    if (rc != LQ_OK) return rc;
    size_t px = (size_t)in->rows * in->cols;
    unsigned bits = in->bits_stored, mask = (1u << bits) - 1u, sign = 1u << (bits - 1);
    double slope = in->rescale_slope, intercept = in->rescale_intercept;
    /* CT stores whole HU steps (slope 1, whole intercept): integer arithmetic */
    int exact = slope == 1.0 && intercept > -70000 && intercept < 70000 && intercept == (double)(long)intercept;
    long ib = exact ? (long)intercept : 0;
    for (size_t i = 0; i < px; i++) {
        long raw;
        if (in->bits_allocated == 8) {
            raw = s->decode_buf[i];
        } else {
            uint16_t w;
            memcpy(&w, s->decode_buf + 2 * i, 2);
            unsigned v = w & mask;
            raw = s->pixel_signed && (v & sign) ? (long)v - (1L << bits) : (long)v;
        }
        if (exact) {
            long hu = raw + ib;
            out[i] = (int16_t)(hu < -32768 ? -32768 : hu > 32767 ? 32767 : hu);
        } else {
            double hu = raw * slope + intercept;
            out[i] = (int16_t)(hu < -32768 ? -32768 : hu > 32767 ? 32767 : floor(hu + 0.5));
        }
    }
    return LQ_OK;
}

/* The stored values of frame `index` into s->decode_buf; `model` gets the
 * colour model the codec delivered ("" when unchanged). */
static int decode_frame(LqStudy *s, unsigned index, char model[17], LqError *err)
{
    const LqStudyInfo *in = &s->info;
    char msg[400];
    if (!s->decode_buf)
        return lq_fail(err, LQ_ERR_DATA, "%s: %s", in->path, s->not_measurable_why);
    if (index >= in->frames)
        return lq_fail(err, LQ_ERR_USAGE, "%s: frame %u out of range: frames 1-%u", in->path, index + 1,
                       in->frames);
    int rc;
    if (s->j2k) {
        uint8_t *cs = NULL;
        size_t cs_len = 0;
        rc = lqd_encapsulated_frame(s->file, index, in->frames, &cs, &cs_len, msg, sizeof msg);
        if (rc == LQ_OK)
            rc = lq_j2k_decode(cs, cs_len, s->decode_buf, in->cols, in->rows, in->samples_per_pixel,
                               in->bits_allocated / 8, s->pixel_signed, model, msg, sizeof msg);
        free(cs);
        if (rc != LQ_OK) return lq_fail(err, rc, "%s: frame %u: %s", in->path, index + 1, msg);
    } else {
        rc = LQ_OK;
        if (strcmp(in->transfer_syntax_uid, "1.2.840.10008.1.2.5") == 0) rc = check_rle_frame(s, index, msg, sizeof msg);
        if (rc == LQ_OK) rc = lqd_read_frame(s->file, index, s->decode_buf, s->decode_len, model, msg, sizeof msg);
    }
    if (rc != LQ_OK) return lq_fail(err, rc, "%s: %s", in->path, msg);
    return LQ_OK;
}

int lq_study_read_frame(LqStudy *s, unsigned index, uint8_t *out, LqError *err)
{
    const LqStudyInfo *in = &s->info;
    char model[17] = "";
    int rc = decode_frame(s, index, model, err);
    if (rc != LQ_OK) return rc;
    size_t px = (size_t)in->rows * in->cols;
    if (in->samples_per_pixel == 1) {
        int invert = strcmp(model[0] ? model : in->photometric, "MONOCHROME1") == 0;
        if (strcmp(in->photometric, "PALETTE COLOR") == 0 && !s->palette_luma)
            return lq_fail(err, LQ_ERR_DATA, "%s: %s", in->path, s->not_measurable_why);
        if (s->palette_luma) {
            unsigned mask = (1u << in->bits_stored) - 1u;
            size_t overlay = 0;
            for (size_t i = 0; i < px; i++) {
                unsigned v;
                if (in->bits_allocated == 8) {
                    v = s->decode_buf[i];
                } else {
                    uint16_t raw;
                    memcpy(&raw, s->decode_buf + 2 * i, 2);
                    v = raw;
                }
                out[i] = s->palette_luma[v & mask];
                if (s->palette_has_graphics && (s->palette_luma_graphics[(v & mask) / 8] >> ((v & mask) % 8) & 1)) {
                    if (!s->overlay_mask && !(s->overlay_mask = malloc(px)))
                        return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
                    if (!overlay++) memset(s->overlay_mask, 0, px);
                    s->overlay_mask[i] = 1;
                }
            }
            if (overlay) fill_overlay(out, s->overlay_mask, in->cols, in->rows);
            return LQ_OK;
        }
        if (in->bits_allocated == 8 && !s->pixel_signed && !invert) {
            memcpy(out, s->decode_buf, px); /* the common IVUS case: already luma */
            return LQ_OK;
        }
        for (size_t i = 0; i < px; i++) {
            unsigned v = sample8(s, i);
            out[i] = (uint8_t)(invert ? 255u - v : v);
        }
        return LQ_OK;
    }
    const char *pm = model[0] ? model : in->photometric;
    if (strcmp(pm, "YBR_FULL_422") == 0 && s->decode_len < px * 3 * (in->bits_allocated / 8)) {
        /* Uncompressed 4:2:2: Y0 Y1 Cb Cr for every pair of pixels; luma is Y. */
        for (size_t i = 0; i < px; i++) out[i] = (uint8_t)sample8(s, (i / 2) * 4 + (i & 1));
        return LQ_OK;
    }
    int ybr = strncmp(pm, "YBR_FULL", 8) == 0;
    int planar = s->planar_configuration == 1;
    size_t overlay = 0;
    for (size_t i = 0; i < px; i++) {
        size_t i0 = planar ? i : 3 * i, i1 = planar ? px + i : 3 * i + 1, i2 = planar ? 2 * px + i : 3 * i + 2;
        unsigned a = sample8(s, i0), b = sample8(s, i1), c = sample8(s, i2);
        out[i] = ybr ? (uint8_t)a : luma(a, b, c);
        if (is_overlay_colour(ybr, a, b, c)) {
            if (!overlay++ && !s->overlay_mask && !(s->overlay_mask = malloc(px)))
                return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
            if (overlay == 1) memset(s->overlay_mask, 0, px);
            s->overlay_mask[i] = 1;
        }
    }
    if (overlay) fill_overlay(out, s->overlay_mask, in->cols, in->rows);
    return LQ_OK;
}
