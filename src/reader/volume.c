/* A CT series as a volume: the slices of one series, sorted by position
 * along the slice normal, checked for the geometry a centreline needs, in
 * Hounsfield units. Memory: the int16 volume itself, one slice decoded at a
 * time into it. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CT_IMAGE_STORAGE "1.2.840.10008.5.1.4.1.1.2"
#define ENHANCED_CT_IMAGE_STORAGE "1.2.840.10008.5.1.4.1.1.2.1"
#define MAX_VOLUME_BYTES (2ull << 30)  /* 2 GiB of int16 voxels */
#define MAX_TILT_DEG 0.5               /* more is gantry tilt */
#define SPACING_TOLERANCE 0.10         /* +-10 % of the median slice spacing */

/* One slice of the volume: a single-frame CT image, or one frame of an
 * Enhanced CT object. */
typedef struct Slice {
    const LqStudyInfo *in;
    unsigned frame;     /* 0-based frame in its file */
    double position[3]; /* Image Position (Patient) */
    double z;           /* position along the normal */
} Slice;

/* A CT object with geometry: single-frame CT images, and Enhanced CT objects
 * (their frames are the slices). */
static int is_ct_slice(const LqScanEntry *e)
{
    const LqStudyInfo *in = &e->info;
    return in->has_geometry && in->samples_per_pixel == 1 && in->frames >= 1 && in->rows && in->cols &&
           (strcmp(in->sop_class_uid, CT_IMAGE_STORAGE) == 0 ||
            strcmp(in->sop_class_uid, ENHANCED_CT_IMAGE_STORAGE) == 0 || strcmp(in->modality, "CT") == 0);
}

static int cmp_z(const void *a, const void *b)
{
    double x = ((const Slice *)a)->z, y = ((const Slice *)b)->z;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double dot(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

void lq_volume_to_voxel(const LqVolume *v, const double patient[3], double voxel[3])
{
    double rel[3] = {patient[0] - v->origin[0], patient[1] - v->origin[1], patient[2] - v->origin[2]};
    voxel[0] = dot(rel, v->row_dir) / v->dx_mm;
    voxel[1] = dot(rel, v->col_dir) / v->dy_mm;
    voxel[2] = dot(rel, v->normal) / v->dz_mm;
}

void lq_volume_to_patient(const LqVolume *v, const double voxel[3], double patient[3])
{
    for (int k = 0; k < 3; k++)
        patient[k] = v->origin[k] + voxel[0] * v->dx_mm * v->row_dir[k] + voxel[1] * v->dy_mm * v->col_dir[k] +
                     voxel[2] * v->dz_mm * v->normal[k];
}

void lq_volume_free(LqVolume **v)
{
    if (!v || !*v) return;
    free((*v)->hu);
    free((*v)->slice_paths);
    free((*v)->slice_uids);
    free((*v)->slice_frames);
    free(*v);
    *v = NULL;
}

/* The chosen series' slices, sorted, with the geometry checked. */
static int sort_and_check(const char *path, Slice *sl, size_t n, LqVolume *v, LqError *err)
{
    if (n < 2) return lq_fail(err, LQ_ERR_DATA, "%s: one slice is not a volume", path);
    const LqStudyInfo *first = sl[0].in;
    const double *o = first->image_orientation;
    memcpy(v->row_dir, o, sizeof v->row_dir);
    memcpy(v->col_dir, o + 3, sizeof v->col_dir);
    v->normal[0] = o[1] * o[5] - o[2] * o[4];
    v->normal[1] = o[2] * o[3] - o[0] * o[5];
    v->normal[2] = o[0] * o[4] - o[1] * o[3];
    double len = sqrt(dot(v->normal, v->normal));
    if (!(len > 0.5)) return lq_fail(err, LQ_ERR_DATA, "%s: Image Orientation (Patient) is not two directions", path);
    for (int k = 0; k < 3; k++) v->normal[k] /= len;
    for (size_t i = 0; i < n; i++) {
        const LqStudyInfo *in = sl[i].in;
        if (in->rows != first->rows || in->cols != first->cols)
            return lq_fail(err, LQ_ERR_DATA, "%s: slices of different sizes (%ux%u and %ux%u)", path, first->cols,
                           first->rows, in->cols, in->rows);
        for (int k = 0; k < 6; k++)
            if (fabs(in->image_orientation[k] - o[k]) > 1e-3)
                return lq_fail(err, LQ_ERR_DATA, "%s: slices of different orientations: %s", path, in->path);
        if (fabs(in->pixel_dx_mm - first->pixel_dx_mm) > 1e-4 || fabs(in->pixel_dy_mm - first->pixel_dy_mm) > 1e-4)
            return lq_fail(err, LQ_ERR_DATA, "%s: slices of different pixel spacing: %s", path, in->path);
        sl[i].z = dot(sl[i].position, v->normal);
    }
    qsort(sl, n, sizeof *sl, cmp_z);
    double *gaps = malloc((n - 1) * sizeof *gaps);
    if (!gaps) return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
    for (size_t i = 0; i + 1 < n; i++) gaps[i] = sl[i + 1].z - sl[i].z;
    qsort(gaps, n - 1, sizeof *gaps, cmp_double);
    double median = gaps[(n - 1) / 2];
    free(gaps);
    for (size_t i = 0; i + 1 < n; i++) {
        double d = sl[i + 1].z - sl[i].z;
        if (d < 0.01)
            return lq_fail(err, LQ_ERR_DATA, "%s: two slices at one position (%.2f mm along the normal): %s and %s",
                           path, sl[i].z, sl[i].in->path, sl[i + 1].in->path); /* (frames of one file: its name twice) */
        if (d > (1 + SPACING_TOLERANCE) * median || d < (1 - SPACING_TOLERANCE) * median)
            return lq_fail(err, LQ_ERR_DATA,
                           "%s: %s between %.2f and %.2f mm along the normal (%.2f mm elsewhere): refused",
                           path, d > 1.5 * median ? "slice missing" : "uneven slice spacing", sl[i].z, sl[i + 1].z,
                           median);
    }
    /* the slices must stack along the normal: a tilted gantry shifts them sideways */
    double step[3];
    for (int k = 0; k < 3; k++) step[k] = sl[n - 1].position[k] - sl[0].position[k];
    double cosang = fabs(dot(step, v->normal)) / sqrt(dot(step, step));
    double tilt = acos(fmin(1.0, cosang)) * 180.0 / LQ_PI;
    if (tilt > MAX_TILT_DEG)
        return lq_fail(err, LQ_ERR_DATA, "%s: gantry tilt of %.1f degrees: not supported (reconstruct the series "
                                         "without tilt)", path, tilt);
    v->dz_mm = median;
    return LQ_OK;
}

/* The volume, or with `geometry_only` its geometry without the voxels. */
static int load(const char *path, const char *series_uid, const LqOpenOptions *opt, int geometry_only,
                LqVolume **out, LqError *err)
{
    *out = NULL;
    LqScan *scan = NULL;
    int rc = lq_scan(path, opt, &scan, err);
    if (rc != LQ_OK) return rc;
    /* the series: the one asked for, else the one with the most CT slices
     * (an Enhanced CT object counts its frames) */
    const char *chosen = NULL;
    size_t best = 0;
    for (size_t a = 0; a < scan->count; a++) {
        if (!is_ct_slice(&scan->entries[a])) continue;
        const char *uid = scan->entries[a].info.series_instance_uid;
        size_t count = 0;
        for (size_t b = 0; b < scan->count; b++)
            if (is_ct_slice(&scan->entries[b]) && strcmp(scan->entries[b].info.series_instance_uid, uid) == 0)
                count += scan->entries[b].info.frames;
        if (series_uid ? strcmp(uid, series_uid) == 0 : count > best) chosen = uid, best = count;
    }
    if (!chosen) {
        rc = lq_fail(err, LQ_ERR_DATA, series_uid ? "%s: no CT series %s" : "%s: no CT series%s", path,
                     series_uid ? series_uid : "");
        lq_scan_free(&scan);
        return rc;
    }
    if (best < 2) {
        rc = lq_fail(err, LQ_ERR_DATA, "%s: CT series %s has one slice: not a volume", path, chosen);
        lq_scan_free(&scan);
        return rc;
    }
    Slice *sl = calloc(best, sizeof *sl);
    LqVolume *v = calloc(1, sizeof *v);
    size_t n = 0;
    rc = sl && v ? LQ_OK : lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
    for (size_t a = 0; rc == LQ_OK && a < scan->count; a++) {
        const LqStudyInfo *in = &scan->entries[a].info;
        if (!is_ct_slice(&scan->entries[a]) || strcmp(in->series_instance_uid, chosen) != 0) continue;
        if (in->frames == 1) {
            sl[n].in = in, sl[n].frame = 0;
            memcpy(sl[n++].position, in->image_position, sizeof sl->position);
            continue;
        }
        /* an Enhanced CT object: each frame's own plane position */
        LqStudy *st = NULL;
        rc = lq_study_open(in->path, opt, &st, err);
        for (unsigned f = 0; rc == LQ_OK && f < in->frames && n < best; f++) {
            sl[n].in = in, sl[n].frame = f;
            if (!lq_study_frame_patient_position(st, f, sl[n++].position))
                rc = lq_fail(err, LQ_ERR_DATA, "%s: frame %u has no plane position", in->path, f + 1);
        }
        lq_study_close(&st);
    }
    if (rc != LQ_OK) {
        free(sl);
        lq_scan_free(&scan);
        free(v);
        return rc;
    }
    rc = sl && v ? sort_and_check(path, sl, n, v, err) : lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
    if (rc == LQ_OK) {
        const LqStudyInfo *in = sl[0].in;
        snprintf(v->path, sizeof v->path, "%s", path);
        snprintf(v->patient_name, sizeof v->patient_name, "%s", in->patient_name);
        snprintf(v->patient_id, sizeof v->patient_id, "%s", in->patient_id);
        snprintf(v->study_date, sizeof v->study_date, "%s", in->study_date);
        snprintf(v->study_uid, sizeof v->study_uid, "%s", in->study_instance_uid);
        snprintf(v->series_uid, sizeof v->series_uid, "%s", in->series_instance_uid);
        v->cols = in->cols, v->rows = in->rows, v->slices = (unsigned)n;
        v->dx_mm = in->pixel_dx_mm, v->dy_mm = in->pixel_dy_mm;
        memcpy(v->origin, sl[0].position, sizeof v->origin);
        size_t px = (size_t)v->rows * v->cols;
        if (geometry_only) {
            /* no voxels */
        } else if ((unsigned long long)px * n * sizeof(int16_t) > MAX_VOLUME_BYTES)
            rc = lq_fail(err, LQ_ERR_LIMIT, "%s: the volume (%zu slices of %ux%u) exceeds 2 GiB", path, n, v->cols,
                         v->rows);
        else if (!(v->hu = malloc(px * n * sizeof(int16_t) + 16)) || /* + the kernels' read-ahead */
                 !(v->slice_paths = calloc(n, sizeof *v->slice_paths)) || !(v->slice_uids = calloc(n, sizeof *v->slice_uids)) ||
                 !(v->slice_frames = calloc(n, sizeof *v->slice_frames)))
            rc = lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory for %zu slices", path, n);
        for (size_t i = 0; rc == LQ_OK && !geometry_only && i < n; i++) {
            snprintf(v->slice_paths[i], sizeof v->slice_paths[i], "%s", sl[i].in->path);
            snprintf(v->slice_uids[i], sizeof v->slice_uids[i], "%s", sl[i].in->sop_instance_uid);
            v->slice_frames[i] = sl[i].in->frames > 1 ? sl[i].frame + 1 : 0;
        }
        /* frames of one file stay in one open study */
        LqStudy *st = NULL;
        const LqStudyInfo *open_in = NULL;
        for (size_t i = 0; rc == LQ_OK && !geometry_only && i < n; i++) {
            if (sl[i].in != open_in) {
                lq_study_close(&st);
                open_in = sl[i].in;
                rc = lq_study_open(open_in->path, opt, &st, err);
            }
            if (rc == LQ_OK) rc = lq_study_read_frame_hu(st, sl[i].frame, v->hu + i * px, err);
        }
        lq_study_close(&st);
    }
    free(sl);
    lq_scan_free(&scan);
    if (rc != LQ_OK) lq_volume_free(&v);
    *out = v;
    return rc;
}

int lq_volume_open(const char *path, const char *series_uid, const LqOpenOptions *opt, LqVolume **out, LqError *err)
{
    return load(path, series_uid, opt, 0, out, err);
}

int lq_volume_probe(const char *path, const char *series_uid, const LqOpenOptions *opt, LqVolume **out,
                    LqError *err)
{
    return load(path, series_uid, opt, 1, out, err);
}
