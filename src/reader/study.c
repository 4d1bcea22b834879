/* DICOM study: opening (prescan, DCMTK), identification and image geometry.
 * Calibration, timing, palette and frame decoding are in calibration.c,
 * timing.c, palette.c and pixels.c (study.h). */
#include "study.h"
#include "j2k.h"
#include "jpeg.h"
#include "prescan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lq_open_options_default(LqOpenOptions *opt)
{
    memset(opt, 0, sizeof *opt);
}

static void read_identification(LqStudy *s)
{
    LqStudyInfo *in = &s->info;
    lq_study_read_patient_geometry(s);
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
    if (lq_study_read_enhanced_geometry(s) != LQ_OK) {
        lq_study_close(&s);
        return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
    }
    lq_study_calibrate(s, opt);
    lq_study_timing(s, opt);
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
    s->jpeg_turbo = encapsulated && lq_jpeg_turbo_takes(s->info.transfer_syntax_uid, s->info.bits_allocated,
                                                         s->info.bits_stored, s->pixel_signed,
                                                         s->info.samples_per_pixel, s->planar_configuration);
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
        palette_problem = lq_study_load_palette(s);
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
    lq_jpeg_free(&s->jpeg_handle);
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

const char *lq_study_frame_decoder(const LqStudy *s) { return s->frame_decoder ? s->frame_decoder : ""; }

int lq_study_measurable(const LqStudy *study, const char **why)
{
    if (why) *why = study->measurable ? "" : study->not_measurable_why;
    return study->measurable;
}
