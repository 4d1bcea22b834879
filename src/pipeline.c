/* Reader -> segmentation -> measurement for one study. Frames are pulled one
 * at a time, in order; only the blocks being segmented are held. */
#include "internal.h"
#include "result.h"
#include "segment/segment.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void lq_run_options_default(LqRunOptions *o)
{
    memset(o, 0, sizeof *o);
    lq_measure_settings_default(&o->measure);
    o->cpu_level = -1;
    o->max_frames = LQ_DEFAULT_MAX_FRAMES;
    o->max_pixels = LQ_DEFAULT_MAX_PIXELS;
    o->max_memory_mib = LQ_DEFAULT_MAX_MEMORY_MIB;
}

/* Peak memory of a measurement, estimated from what it allocates: per frame
 * the result (measures and a 256-point contour); per thread a block of polar
 * frames and the segmenter's scratch; the frame being decoded (DCMTK holds a
 * frame of up to 3 samples of 16 bits). */
static double estimate_mib(const LqStudyInfo *in, int threads)
{
    double per_frame = sizeof(LqFrameMeasure) + sizeof(LqContour) + 2.0 * LQ_SEG_ANGLES * sizeof(double) + 8;
    double polar = (double)LQ_SEG_ANGLES * LQ_SEG_RADII;
    double per_thread = 40 * polar + 16 * polar; /* a block, the segmenter's planes */
    double frame = (double)in->rows * in->cols;
    double bytes = in->frames * per_frame + threads * per_thread + frame * (1 + 6) + 16.0 * 1024 * 1024;
    return bytes / (1024.0 * 1024.0);
}

static int check_budget(const LqStudyInfo *in, const LqRunOptions *opt, int threads, LqError *err)
{
    if (opt->max_frames && in->frames > opt->max_frames)
        return lq_fail(err, LQ_ERR_LIMIT, "%s: %u frames exceed the limit of %u (raise it with --max-frames)", in->path,
                       in->frames, opt->max_frames);
    if (opt->max_pixels && (double)in->rows * in->cols > opt->max_pixels)
        return lq_fail(err, LQ_ERR_LIMIT, "%s: %ux%u pixels per frame exceed the limit of %u (raise it with --max-pixels)",
                       in->path, in->cols, in->rows, opt->max_pixels);
    double need = estimate_mib(in, threads);
    if (opt->max_memory_mib && need > opt->max_memory_mib)
        return lq_fail(err, LQ_ERR_LIMIT, "%s: measuring needs about %.0f MiB, over the limit of %u MiB (raise it with "
                       "--max-memory)", in->path, need, opt->max_memory_mib);
    return LQ_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void lq_result_free(LqResult **r)
{
    if (!r || !*r) return;
    free((*r)->frames);
    free((*r)->contours);
    free((*r)->points);
    free((*r)->speckle);
    free(*r);
    *r = NULL;
}

size_t lq_result_frame_count(const LqResult *r) { return r ? r->n : 0; }
const LqFrameMeasure *lq_result_frame(const LqResult *r, size_t i) { return i < r->n ? &r->frames[i] : NULL; }
const LqContour *lq_result_contour(const LqResult *r, size_t i) { return i < r->n ? &r->contours[i] : NULL; }
const LqSummary *lq_result_summary(const LqResult *r) { return &r->summary; }

static LqResult *result_new(size_t n)
{
    LqResult *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->n = n;
    r->frames = calloc(n, sizeof *r->frames);
    r->contours = calloc(n, sizeof *r->contours);
    r->points = calloc(n * LQ_SEG_ANGLES * 2, sizeof *r->points);
    r->speckle = calloc(n, sizeof *r->speckle);
    if (!r->frames || !r->contours || !r->points || !r->speckle) {
        lq_result_free(&r);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        r->contours[i].n = LQ_SEG_ANGLES;
        r->contours[i].xy_mm = r->points + i * LQ_SEG_ANGLES * 2;
    }
    return r;
}

/* The pullback is segmented in fixed blocks of BLOCK frames, each preceded by
 * WARMUP frames that only set the previous-border prior. Blocks are
 * independent, so any number of threads gives the same contours. */
#define BLOCK 32
#define WARMUP 2

typedef struct Block {
    size_t first, last;        /* frames whose results this block produces */
    size_t polar_first, polar_last;
    uint8_t *polar;            /* frames polar_first..polar_last */
    LqSegmenter *seg;          /* this worker's scratch */
    LqResult *r;
    const LqStudy *study;
    pthread_t thread;
} Block;

static void *segment_block(void *arg)
{
    Block *b = arg;
    size_t n = b->r->n, pn = lq_segmenter_polar_size(b->seg);
    double scratch[2 * LQ_SEG_ANGLES], conf;
    lq_segmenter_reset(b->seg);
    for (size_t t = b->first >= WARMUP ? b->first - WARMUP : 0; t <= b->last; t++) {
        const uint8_t *cur = b->polar + (t - b->polar_first) * pn;
        const uint8_t *prev = t > 0 ? cur - pn : cur, *next = t + 1 < n ? cur + pn : cur;
        if (t < b->first) {
            lq_segmenter_frame(b->seg, prev, cur, next, scratch, &conf);
            continue;
        }
        LqFrameMeasure *m = &b->r->frames[t];
        LqContour *c = &b->r->contours[t];
        lq_segmenter_frame(b->seg, prev, cur, next, c->xy_mm, &m->confidence);
        m->valid = lq_shape_measure(c->xy_mm, c->n, &m->shape) == LQ_OK;
        m->position_mm = lq_study_frame_position_mm(b->study, (unsigned)t);
    }
    return NULL;
}

/* Consistency along the pullback (docs/segmentation.md). The true lumen
 * changes smoothly with breathing and the heartbeat; a frame whose area
 * differs by more than OUTLIER_SHARE from both neighbours, while they agree
 * with each other, has most likely taken another edge (a leak into the
 * outer layer, a wall lost in echogenic blood). It is segmented again under
 * the mean of its neighbours' borders as a firm prior; the result is kept
 * if it agrees better. Candidates go in order of rising confidence, and are
 * checked again just before, so that in an alternating run the doubtful
 * frames yield to the sure ones, not the other way round. */
#define OUTLIER_SHARE 0.25

static double frame_area(const LqResult *r, size_t t)
{
    return r->frames[t].valid ? r->frames[t].shape.area_mm2 : 0.0;
}

static int is_outlier(const LqResult *r, size_t t)
{
    if (t == 0 || t + 1 >= r->n) return 0;
    double a = frame_area(r, t - 1), b = frame_area(r, t + 1), x = frame_area(r, t);
    if (!(a > 0 && b > 0 && x > 0) || r->frames[t].confidence <= 0) return 0;
    if (fabs(a - b) > OUTLIER_SHARE * fmax(a, b)) return 0; /* the neighbours disagree: no prior */
    return fabs(x - a) > OUTLIER_SHARE * a && fabs(x - b) > OUTLIER_SHARE * b;
}

static double disagreement(const LqResult *r, size_t t, double area)
{
    double mid = 0.5 * (frame_area(r, t - 1) + frame_area(r, t + 1));
    return mid > 0 ? fabs(area - mid) / mid : 0.0;
}

typedef struct Candidate {
    size_t t;
    double confidence;
} Candidate;

static int by_confidence(const void *a, const void *b)
{
    const Candidate *x = a, *y = b;
    if (x->confidence != y->confidence) return x->confidence < y->confidence ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

static int resegment_outliers(LqStudy *study, LqSegmenter *seg, uint8_t *polar, uint8_t *luma, LqResult *r,
                              LqError *err)
{
    size_t n = r->n, count = 0, pn = lq_segmenter_polar_size(seg);
    Candidate *list = malloc(n * sizeof *list);
    if (!list) return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", lq_study_info(study)->path);
    for (size_t t = 1; t + 1 < n; t++)
        if (is_outlier(r, t)) list[count++] = (Candidate){t, r->frames[t].confidence};
    qsort(list, count, sizeof *list, by_confidence);
    double guide[2 * LQ_SEG_ANGLES], xy[2 * LQ_SEG_ANGLES], conf;
    int rc = LQ_OK;
    for (size_t k = 0; k < count && rc == LQ_OK; k++) {
        size_t t = list[k].t;
        if (!is_outlier(r, t)) continue; /* a neighbour was mended first */
        for (size_t j = 0; j < 3 && rc == LQ_OK; j++) {
            if ((rc = lq_study_read_frame(study, (unsigned)(t - 1 + j), luma, err)) == LQ_OK)
                lq_segmenter_to_polar(seg, luma, polar + j * pn);
        }
        if (rc != LQ_OK) break;
        const double *a = r->contours[t - 1].xy_mm, *b = r->contours[t + 1].xy_mm;
        for (int i = 0; i < 2 * LQ_SEG_ANGLES; i++) guide[i] = 0.5 * (a[i] + b[i]);
        lq_segmenter_frame_guided(seg, polar, polar + pn, polar + 2 * pn, guide, xy, &conf);
        LqShape shape;
        if (lq_shape_measure(xy, LQ_SEG_ANGLES, &shape) != LQ_OK) continue;
        if (disagreement(r, t, shape.area_mm2) >= disagreement(r, t, frame_area(r, t))) continue;
        memcpy(r->contours[t].xy_mm, xy, sizeof xy);
        r->frames[t].shape = shape;
        r->frames[t].valid = 1;
        r->frames[t].confidence = conf;
    }
    free(list);
    return rc;
}

/* Confidence reports disagreement with the neighbours: a frame more than
 * 20 % off their mean area loses up to 60 % of its confidence (at 60 % off). */
static void neighbour_confidence(LqResult *r)
{
    double *factor = malloc(r->n * sizeof *factor);
    if (!factor) return;
    for (size_t t = 0; t < r->n; t++) {
        factor[t] = 1.0;
        if (t == 0 || t + 1 >= r->n || !(frame_area(r, t - 1) > 0 && frame_area(r, t + 1) > 0)) continue;
        double off = disagreement(r, t, frame_area(r, t));
        factor[t] = 1.0 - LQ_CLAMP((off - 0.2) / 0.4 * 0.6, 0.0, 0.6);
    }
    for (size_t t = 0; t < r->n; t++) r->frames[t].confidence *= factor[t];
    free(factor);
}

static int default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int lq_study_measure(LqStudy *study, const LqRunOptions *opt, LqResult **out, LqError *err)
{
    *out = NULL;
    LqRunOptions defaults;
    if (!opt) lq_run_options_default(&defaults), opt = &defaults;
    const LqStudyInfo *in = lq_study_info(study);
    const char *why = NULL;
    if (!lq_study_measurable(study, &why)) return lq_fail(err, LQ_ERR_DATA, "%s: %s", in->path, why);

    const size_t n = in->frames, px = (size_t)in->rows * in->cols;
    int threads = opt->threads > 0 ? opt->threads : default_threads();
    size_t blocks = (n + BLOCK - 1) / BLOCK;
    if ((size_t)threads > blocks) threads = (int)blocks;
    int budget = check_budget(in, opt, threads, err);
    if (budget != LQ_OK) return budget;
    double started_at = now_s();
    LqSegGeometry g = {in->rows, in->cols, in->pixel_dx_mm, in->pixel_dy_mm,
                       in->region_x0, in->region_y0, in->region_x1, in->region_y1, 1.45};
    Block *slot = calloc((size_t)threads, sizeof *slot);
    LqResult *r = result_new(n);
    /* the polar kernels may read a few bytes past the last pixel */
    uint8_t *luma = calloc(px + LQ_POLAR_SRC_PADDING, 1);
    int rc = LQ_OK;
    if (!slot || !r || !luma) {
        rc = lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
        goto done;
    }
    size_t pn = 0;
    for (int i = 0; i < threads; i++) {
        rc = lq_segmenter_new(&slot[i].seg, &g, opt->cpu_level);
        if (rc != LQ_OK) {
            rc = lq_fail(err, rc, "%s: image too small or uncalibrated for segmentation", in->path);
            goto done;
        }
        pn = lq_segmenter_polar_size(slot[i].seg);
        slot[i].polar = malloc((BLOCK + WARMUP + 2) * pn);
        slot[i].r = r;
        slot[i].study = study;
        if (!slot[i].polar) {
            rc = lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
            goto done;
        }
    }
    if ((rc = lq_study_read_frame(study, 0, luma, err)) != LQ_OK) goto done;
    lq_segmenter_find_centre(slot[0].seg, luma);
    for (int i = 1; i < threads; i++) lq_segmenter_adopt(slot[i].seg, slot[0].seg);

    /* Rounds: the calling thread reads `threads` consecutive blocks in frame
     * order (sharing overlapping frames with the previous block), then the
     * workers segment them. */
    /* the previous block's frames (possibly this very slot, with one thread) */
    const uint8_t *before = NULL;
    size_t before_first = 0, before_last = 0;
    for (size_t first_block = 0; first_block < blocks; first_block += (size_t)threads) {
        if (opt->time_limit_s > 0 && now_s() - started_at > opt->time_limit_s) {
            rc = lq_fail(err, LQ_ERR_LIMIT, "%s: time limit of %g s reached after %zu of %zu frames (--time-limit)",
                         in->path, opt->time_limit_s, first_block * BLOCK, n);
            goto done;
        }
        int active = 0;
        for (int i = 0; i < threads && first_block + (size_t)i < blocks; i++, active++) {
            Block *b = &slot[i];
            b->first = (first_block + (size_t)i) * BLOCK;
            b->last = LQ_MIN(b->first + BLOCK, n) - 1;
            size_t warm = b->first >= WARMUP ? b->first - WARMUP : 0;
            b->polar_first = warm > 0 ? warm - 1 : 0;
            b->polar_last = LQ_MIN(b->last + 1, n - 1);
            for (size_t t = b->polar_first; t <= b->polar_last; t++) {
                uint8_t *dst = b->polar + (t - b->polar_first) * pn;
                if (before && t >= before_first && t <= before_last) {
                    /* ascending t: the source never lies behind what was written */
                    memmove(dst, before + (t - before_first) * pn, pn);
                    continue;
                }
                if ((rc = lq_study_read_frame(study, (unsigned)t, luma, err)) != LQ_OK) goto done;
                lq_segmenter_to_polar(slot[0].seg, luma, dst);
                r->speckle[t] = lq_speckle_correlation(luma, &g);
            }
            before = b->polar, before_first = b->polar_first, before_last = b->polar_last;
        }
        /* the first block of a round runs here; the others on workers */
        int started = 1;
        for (int i = 1; i < active; i++, started++)
            if (pthread_create(&slot[i].thread, NULL, segment_block, &slot[i]) != 0) break;
        segment_block(&slot[0]);
        for (int i = 1; i < started; i++) pthread_join(slot[i].thread, NULL);
        for (int i = started; i < active; i++) segment_block(&slot[i]); /* no thread could start */
    }

    /* No ultrasound speckle (uncorrelated noise, a blank frame): whatever
     * border was found means nothing (docs/measurements.md, confidence). */
    for (size_t t = 0; rc == LQ_OK && t < n; t++)
        if (!(r->speckle[t] >= LQ_MIN_SPECKLE_CORRELATION)) r->frames[t].confidence = 0.0;
    if (rc == LQ_OK) rc = resegment_outliers(study, slot[0].seg, slot[0].polar, luma, r, err);
    if (rc == LQ_OK) neighbour_confidence(r);

    LqMeasureSettings ms = opt->measure;
    ms.positions_are_indices = in->timing == LQ_TIMING_NONE;
    if (ms.first_frame < 0) ms.first_frame = (int)in->pullback_start_frame;
    if (ms.last_frame < 0) ms.last_frame = (int)in->pullback_stop_frame;
    r->order_from_cfv = ms.pullback_from_cfv != 0;
    r->low_confidence = ms.low_confidence;
    r->pullback_first = ms.first_frame > 0 ? (size_t)ms.first_frame : 0;
    r->pullback_last = ms.last_frame >= 0 && (size_t)ms.last_frame < n ? (size_t)ms.last_frame : n - 1;
    if (r->pullback_first > r->pullback_last) r->pullback_first = 0, r->pullback_last = n - 1;
    rc = lq_measure_frames(r->frames, n, &ms, &r->summary, err);
    if (rc != LQ_OK && err) {
        /* keep the file name in front of the measurement's message */
        char msg[sizeof err->message];
        memcpy(msg, err->message, sizeof msg);
        lq_fail(err, rc, "%s: %s", in->path, msg);
    }
done:
    for (int i = 0; slot && i < threads; i++) {
        lq_segmenter_free(&slot[i].seg);
        free(slot[i].polar);
    }
    free(slot);
    free(luma);
    if (rc != LQ_OK) lq_result_free(&r);
    *out = r;
    return rc;
}

int lq_study_reference(LqStudy *other, const LqRunOptions *opt, int first, int last, LqMeasureSettings *into,
                       LqError *err)
{
    LqRunOptions run;
    lq_run_options_default(&run);
    if (opt) {
        run.cpu_level = opt->cpu_level, run.threads = opt->threads;
        run.measure.pullback_from_cfv = opt->measure.pullback_from_cfv;
        run.measure.low_confidence = opt->measure.low_confidence;
    }
    run.measure.reference_first = first, run.measure.reference_last = first >= 0 ? last : -1;
    LqResult *r = NULL;
    int rc = lq_study_measure(other, &run, &r, err);
    if (rc != LQ_OK) return rc;
    const LqSummary *s = &r->summary;
    const char *path = lq_study_info(other)->path;
    if (!(s->reference_area_mm2 > 0) || s->reference_first < 0) {
        rc = lq_fail(err, LQ_ERR_DATA, "%s: no reference segment in that pullback; give its frames", path);
    } else {
        into->external_reference_area_mm2 = s->reference_area_mm2;
        into->external_reference_diameter_mm = s->reference_diameter_mm;
        snprintf(into->external_reference_note, sizeof into->external_reference_note,
                 "%.150s frames %d-%d (%s), A_ref %.1f mm2", path, s->reference_first + 1, s->reference_last + 1,
                 s->reference_method == LQ_METHOD_USER ? "given" : "auto", s->reference_area_mm2);
    }
    lq_result_free(&r);
    return rc;
}
