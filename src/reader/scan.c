/* Input discovery: one file, a folder tree, or a DICOMDIR's file set. Each
 * DICOM object is opened (pixel data stays on disk) to describe it. */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct Walk {
    LqScan *scan;
    size_t cap;
    const LqOpenOptions *opt;
} Walk;

static int add(Walk *w, const char *path)
{
    LqStudy *st = NULL;
    int rc = lq_study_open(path, w->opt, &st, NULL);
    if (rc != LQ_OK) {
        w->scan->skipped++;
        return rc == LQ_ERR_INTERNAL ? rc : LQ_OK;
    }
    if (w->scan->count == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        LqScanEntry *e = realloc(w->scan->entries, cap * sizeof *e);
        if (!e) {
            lq_study_close(&st);
            return LQ_ERR_INTERNAL;
        }
        w->scan->entries = e, w->cap = cap;
    }
    LqScanEntry *e = &w->scan->entries[w->scan->count++];
    memset(e, 0, sizeof *e);
    e->info = *lq_study_info(st);
    const char *why = NULL;
    e->measurable = lq_study_measurable(st, &why);
    snprintf(e->why, sizeof e->why, "%s", why ? why : "");
    e->pullback = e->measurable && e->info.frames > 1 &&
                  (strcmp(e->info.modality, "IVUS") == 0 ||
                   strcmp(e->info.sop_class_uid, "1.2.840.10008.5.1.4.1.1.3.1") == 0);
    lq_study_close(&st);
    return LQ_OK;
}

/* Depth-first walk; symbolic links are not followed (no loops), the
 * DICOMDIR index itself is not an object. */
static int walk_folder(Walk *w, const char *folder, int depth)
{
    if (depth > 64) return LQ_OK;
    DIR *d = opendir(folder);
    if (!d) return depth == 0 ? LQ_ERR_OPEN : LQ_OK;
    struct dirent *de;
    int rc = LQ_OK;
    while (rc == LQ_OK && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char child[4096];
        if ((size_t)snprintf(child, sizeof child, "%s/%s", folder, de->d_name) >= sizeof child) continue;
        struct stat sb;
        if (lstat(child, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) rc = walk_folder(w, child, depth + 1);
        else if (S_ISREG(sb.st_mode) && strcmp(de->d_name, "DICOMDIR") != 0) rc = add(w, child);
    }
    closedir(d);
    return rc;
}

static int by_study_series_path(const void *a, const void *b)
{
    const LqStudyInfo *x = &((const LqScanEntry *)a)->info, *y = &((const LqScanEntry *)b)->info;
    int c = strcmp(x->study_instance_uid, y->study_instance_uid);
    if (!c) c = strcmp(x->series_instance_uid, y->series_instance_uid);
    return c ? c : strcmp(x->path, y->path);
}

/* A series of single-frame ultrasound or Secondary Capture images that are
 * not slices in space: a pullback exported one file per frame. */
static int frame_of_pullback(const LqStudyInfo *in)
{
    static const char *const classes[] = {"1.2.840.10008.5.1.4.1.1.6.1", /* US Image */
                                          "1.2.840.10008.5.1.4.1.1.7"};   /* Secondary Capture */
    if (in->frames != 1 || in->rows == 0 || in->has_geometry) return 0;
    for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++)
        if (strcmp(in->sop_class_uid, classes[k]) == 0) return 1;
    return 0;
}

static void mark_frame_series(LqScan *scan)
{
    for (size_t a = 0; a < scan->count;) {
        const LqStudyInfo *in = &scan->entries[a].info;
        size_t b = a + 1;
        int all = frame_of_pullback(in);
        while (b < scan->count && strcmp(scan->entries[b].info.study_instance_uid, in->study_instance_uid) == 0 &&
               strcmp(scan->entries[b].info.series_instance_uid, in->series_instance_uid) == 0)
            all &= frame_of_pullback(&scan->entries[b++].info);
        if (all && b - a >= 2 && in->series_instance_uid[0])
            for (size_t k = a; k < b; k++) scan->entries[k].frame_series = 1;
        a = b;
    }
}

int lq_scan(const char *path, const LqOpenOptions *opt, LqScan **out, LqError *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) return lq_fail(err, LQ_ERR_OPEN, "%s: %s", path, strerror(errno));
    LqScan *scan = calloc(1, sizeof *scan);
    if (!scan) return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
    Walk w = {scan, 0, opt};
    char folder[4096];
    snprintf(folder, sizeof folder, "%s", path);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    int is_dicomdir = S_ISREG(sb.st_mode) && strcmp(base, "DICOMDIR") == 0;
    if (S_ISREG(sb.st_mode) && !is_dicomdir) {
        int rc = add(&w, path);
        if (rc != LQ_OK) {
            lq_scan_free(&scan);
            return lq_fail(err, rc, "%s: out of memory", path);
        }
        *out = scan;
        return LQ_OK;
    }
    if (is_dicomdir) { /* the file set: the folder holding the DICOMDIR */
        char *slash = strrchr(folder, '/');
        if (slash) *slash = 0;
        else snprintf(folder, sizeof folder, ".");
    }
    int rc = walk_folder(&w, folder, 0);
    if (rc != LQ_OK) {
        lq_scan_free(&scan);
        if (rc == LQ_ERR_OPEN) return lq_fail(err, rc, "%s: cannot read the folder (%s)", path, strerror(errno));
        return lq_fail(err, rc, "%s: out of memory while scanning", path);
    }
    if (scan->count > 1) qsort(scan->entries, scan->count, sizeof *scan->entries, by_study_series_path);
    mark_frame_series(scan);
    *out = scan;
    return LQ_OK;
}

void lq_scan_free(LqScan **scan)
{
    if (!scan || !*scan) return;
    free((*scan)->entries);
    free(*scan);
    *scan = NULL;
}
