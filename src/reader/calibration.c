/* Calibration (mm per pixel) and patient geometry of a study: the chain of
 * docs/measurements.md ("Calibration and timing"). */
#include "study.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

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
int lq_study_read_enhanced_geometry(LqStudy *s)
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

void lq_study_calibrate(LqStudy *s, const LqOpenOptions *opt)
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

/* Image Position / Orientation (Patient) and the rescale, for CT. */
void lq_study_read_patient_geometry(LqStudy *s)
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
