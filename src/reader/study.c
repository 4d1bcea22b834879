/* DICOM study: opening (prescan, DCMTK), identification and image geometry.
 * Calibration, timing, palette and frame decoding are in calibration.c,
 * timing.c, palette.c and pixels.c (study.h). */
#include "study.h"
#include "j2k.h"
#include "jpeg.h"
#include "prescan.h"

#include <math.h>
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
    lq_study_free_reading(s);
    free(s->position_mm);
    free(s->frame_position);
    free(s->palette_luma);
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

/* ------------------------------------------- a pullback, one file per frame */

typedef struct FrameFile {
    const LqScanEntry *entry;
    long instance;      /* Instance Number; -1 when absent */
    double time_s;      /* Content Time, else Acquisition Time, seconds into the day; -1 when absent */
    long name_number;   /* the last run of digits in the file name; -1 when none */
} FrameFile;

/* TM: HHMMSS.FFFFFF (or the old HH:MM:SS.FFFFFF) -> seconds; -1 if unreadable. */
static double tm_seconds(const char *tm)
{
    int d[6], n = 0;
    const char *p = tm;
    while (*p && n < 6) {
        if (*p == ':') {
            p++;
            continue;
        }
        if (*p < '0' || *p > '9') break;
        d[n++] = *p++ - '0';
    }
    if (n < 6) return -1;
    double frac = *p == '.' ? strtod(p, NULL) : 0.0;
    return (d[0] * 10 + d[1]) * 3600.0 + (d[2] * 10 + d[3]) * 60.0 + (d[4] * 10 + d[5]) + frac;
}

static long name_number(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    long number = -1;
    for (const char *p = base; *p;) {
        if (*p < '0' || *p > '9') {
            p++;
            continue;
        }
        char *end;
        number = strtol(p, &end, 10);
        p = end;
    }
    return number;
}

static int frame_file_keys(FrameFile *f)
{
    LqDicomFile *file = NULL;
    char msg[200];
    int rc = lqd_open(f->entry->info.path, &file, msg, sizeof msg);
    if (rc != LQ_OK) return rc;
    char tm[40] = "";
    if (!lqd_get_long(file, 0, 0, T_INSTANCE_NUMBER, &f->instance)) f->instance = -1;
    f->time_s = -1;
    if (lqd_get_string(file, 0, 0, T_CONTENT_TIME, tm, sizeof tm)) f->time_s = tm_seconds(tm);
    if (f->time_s < 0 && lqd_get_string(file, 0, 0, T_ACQUISITION_TIME, tm, sizeof tm)) f->time_s = tm_seconds(tm);
    f->name_number = name_number(f->entry->info.path);
    lqd_close(file);
    return LQ_OK;
}

/* Instance Number, then Content (Acquisition) Time, then the number in the
 * file name; each only when both files have it. */
static int by_pullback_order(const void *pa, const void *pb)
{
    const FrameFile *a = pa, *b = pb;
    if (a->instance >= 0 && b->instance >= 0 && a->instance != b->instance) return a->instance < b->instance ? -1 : 1;
    if (a->time_s >= 0 && b->time_s >= 0 && a->time_s != b->time_s) return a->time_s < b->time_s ? -1 : 1;
    if (a->name_number >= 0 && b->name_number >= 0 && a->name_number != b->name_number)
        return a->name_number < b->name_number ? -1 : 1;
    return 0;
}

/* Why two frames of one pullback cannot be put together, or NULL. */
static const char *unlike(const LqStudyInfo *a, const LqStudyInfo *b)
{
    if (a->rows != b->rows || a->cols != b->cols) return "image sizes differ";
    if (a->samples_per_pixel != b->samples_per_pixel || a->bits_allocated != b->bits_allocated ||
        a->bits_stored != b->bits_stored || strcmp(a->photometric, b->photometric) != 0)
        return "pixel formats differ";
    if (strcmp(a->transfer_syntax_uid, b->transfer_syntax_uid) != 0) return "transfer syntaxes differ";
    if (a->calibration != b->calibration || fabs(a->pixel_dx_mm - b->pixel_dx_mm) > 1e-9 ||
        fabs(a->pixel_dy_mm - b->pixel_dy_mm) > 1e-9)
        return "calibrations differ";
    return NULL;
}

/* The frame time the files' times keep when they are evenly spaced (within
 * a quarter frame), else 0: first to last over the gaps, so the times'
 * rounding to microseconds averages out. */
static double even_frame_time_ms(const FrameFile *f, unsigned n)
{
    if (n < 2) return 0;
    double span = 0, gaps[2] = {1e300, -1e300};
    for (unsigned i = 0; i + 1 < n; i++) {
        if (f[i].time_s < 0 || f[i + 1].time_s < 0) return 0;
        double gap = f[i + 1].time_s - f[i].time_s;
        if (gap < 0) gap += 86400; /* past midnight */
        span += gap;
        if (gap < gaps[0]) gaps[0] = gap;
        if (gap > gaps[1]) gaps[1] = gap;
    }
    double step = span / (n - 1);
    if (!(step > 0) || gaps[0] < 0.75 * step || gaps[1] > 1.25 * step) return 0;
    return 1000.0 * step;
}

int lq_study_open_series(const char *path, const char *series_uid, const LqOpenOptions *opt, LqStudy **out,
                         LqError *err)
{
    *out = NULL;
    LqScan *scan = NULL;
    int rc = lq_scan(path, opt, &scan, err);
    if (rc != LQ_OK) return rc;
    size_t first = 0, n = 0;
    for (size_t k = 0; k < scan->count; k++)
        if (scan->entries[k].frame_series && strcmp(scan->entries[k].info.series_instance_uid, series_uid) == 0) {
            if (!n) first = k;
            n++;
        }
    FrameFile *files = n ? calloc(n, sizeof *files) : NULL;
    const char **paths = n ? malloc(n * sizeof *paths) : NULL;
    LqStudy *s = NULL;
    if (!n) {
        rc = lq_fail(err, LQ_ERR_DATA, "%s: no series %s of single-frame images", path, series_uid);
        goto done;
    }
    if (!files || !paths) {
        rc = lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        files[k].entry = &scan->entries[first + k]; /* the scan sorts a series together */
        const char *why = unlike(&files[0].entry->info, &files[k].entry->info);
        if (why) {
            rc = lq_fail(err, LQ_ERR_DATA, "%s: series %s: %s and %s: %s, so they are not one pullback", path,
                         series_uid, files[0].entry->info.path, files[k].entry->info.path, why);
            goto done;
        }
        if ((rc = frame_file_keys(&files[k])) != LQ_OK) {
            rc = lq_fail(err, rc, "%s: cannot read again", files[k].entry->info.path);
            goto done;
        }
    }
    qsort(files, n, sizeof *files, by_pullback_order);
    for (size_t k = 0; k + 1 < n; k++)
        if (by_pullback_order(&files[k], &files[k + 1]) == 0) {
            rc = lq_fail(err, LQ_ERR_DATA,
                         "%s: series %s: %s and %s take the same place in the pullback (same Instance Number, "
                         "time and file number): a duplicate, or frames that cannot be ordered",
                         path, series_uid, files[k].entry->info.path, files[k + 1].entry->info.path);
            goto done;
        }
    /* a frame missing (not exported, or not readable DICOM) would shift every
     * later frame's position: numbered frames must follow one another */
    int numbered = 1;
    for (size_t k = 0; k < n; k++) numbered &= files[k].instance >= 0;
    for (size_t k = 0; numbered && k + 1 < n; k++)
        if (files[k + 1].instance != files[k].instance + 1) {
            rc = lq_fail(err, LQ_ERR_DATA, "%s: series %s: Instance Number %ld (%s) follows %ld (%s): frames are missing",
                         path, series_uid, files[k + 1].instance, files[k + 1].entry->info.path, files[k].instance,
                         files[k].entry->info.path);
            goto done;
        }
    for (size_t k = 0; k < n; k++) paths[k] = files[k].entry->info.path;
    if ((rc = lq_study_open(paths[0], opt, &s, err)) != LQ_OK) goto done;
    LqDicomFile *series = NULL;
    char msg[400];
    double *positions = realloc(s->position_mm, n * sizeof *positions);
    if (!positions) {
        rc = lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
        goto done;
    }
    s->position_mm = positions;
    if ((rc = lqd_open_series(paths, (unsigned)n, &series, msg, sizeof msg)) != LQ_OK) {
        rc = lq_fail(err, rc, "%s: %s", path, msg);
        goto done;
    }
    lqd_close(s->file);
    s->file = series;
    s->info.frames = (unsigned)n;
    snprintf(s->info.path, sizeof s->info.path, "%s", path);
    s->series_frame_time_ms = even_frame_time_ms(files, (unsigned)n);
    lq_study_timing(s, opt);
done:
    if (rc != LQ_OK) lq_study_close(&s);
    *out = s;
    free(paths);
    free(files);
    lq_scan_free(&scan);
    return rc;
}
