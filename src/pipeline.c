/* Reader -> segmentation -> measurement for one study. Frames are pulled one
 * at a time, in order; only the blocks being segmented are held. */
#include "internal.h"
#include "measure/measure.h"
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
 * frames, the segmenter's scratch and the frame it is decoding (its luma, and
 * DCMTK's frame of up to 3 samples of 16 bits). */
/* Ungated recordings (frames under 150 ms apart, or untimed) keep each
 * block's images, so that tissue that moved between frames can be followed
 * (docs/segmentation.md): a gated pullback's frames share no speckle. */
static int follows_motion(const LqStudyInfo *in) { return !(in->frame_time_ms >= 150.0); }

static double estimate_mib(const LqStudyInfo *in, int threads)
{
    double per_frame = sizeof(LqFrameMeasure) + sizeof(LqContour) + 2.0 * LQ_SEG_ANGLES * sizeof(double) + 16 +
                       LQ_SIGNATURE_BYTES;
    double polar = (double)LQ_SEG_ANGLES * LQ_SEG_RADII;
    double per_thread = 2 * 40 * polar + 21 * polar; /* a block of frames of two planes, the segmenter's planes */
    double frame = (double)in->rows * in->cols;
    double images = follows_motion(in) ? 36 : 0; /* a block's images: BLOCK + WARMUP + 2 */
    double bytes = in->frames * per_frame + threads * (per_thread + frame * (1 + 6 + images)) + 16.0 * 1024 * 1024;
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
    free((*r)->stillness);
    free((*r)->course_time);
    free((*r)->course_area);
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
    r->stillness = calloc(n, sizeof *r->stillness);
    if (!r->frames || !r->contours || !r->points || !r->speckle || !r->stillness) {
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
 * independent, so any number of threads gives the same contours. Worker w
 * reads, decodes and segments blocks w, w + workers, ... with a frame reader
 * of its own: decoding, most of the time on compressed pullbacks, runs in
 * every thread. */
#define BLOCK 32
#define WARMUP 2

typedef struct Worker {
    LqStudy *reader;           /* the study itself for the first worker */
    LqSegmenter *seg;          /* this worker's scratch */
    uint8_t *polar;            /* frames polar_first..polar_last of its current block */
    uint8_t *luma;
    uint8_t *lumas;            /* ungated: the images of polar_first..polar_last (NULL: not kept) */
    size_t luma_bytes;         /* one image with the polar kernels' padding */
    size_t polar_first, polar_last, blocks_done;
    size_t failed_block;       /* when rc is not LQ_OK */
    size_t index, workers;
    struct Shared *shared;
    LqError err;
    int rc;
    pthread_t thread;
} Worker;

typedef struct Shared {
    LqResult *r;
    const LqStudy *study;
    const LqSegGeometry *g;
    size_t blocks;
    double started_at, time_limit_s;
    pthread_mutex_t lock;
    size_t first_failed;       /* the lowest block that failed (blocks: none) */
    uint8_t *signatures;       /* per frame, to find where the catheter stood still (NULL: untimed) */
} Shared;

/* Reads the block's frames into polar (reusing those the worker's previous
 * block already holds) and the speckle of the frames it owns. */
static int read_block(Worker *w, size_t first, size_t last)
{
    LqResult *r = w->shared->r;
    size_t n = r->n, pn = lq_segmenter_polar_size(w->seg);
    size_t warm = first >= WARMUP ? first - WARMUP : 0;
    size_t polar_first = warm > 0 ? warm - 1 : 0, polar_last = LQ_MIN(last + 1, n - 1);
    int reuse = w->blocks_done > 0;
    size_t before_first = w->polar_first, before_last = w->polar_last;
    for (size_t t = polar_first; t <= polar_last; t++) {
        uint8_t *dst = w->polar + (t - polar_first) * pn;
        if (reuse && t >= before_first && t <= before_last) {
            /* one worker: the overlap with its previous block, which lies at
             * the end of the buffer; ascending t never overwrites a source */
            memmove(dst, w->polar + (t - before_first) * pn, pn);
            if (w->lumas)
                memmove(w->lumas + (t - polar_first) * w->luma_bytes, w->lumas + (t - before_first) * w->luma_bytes,
                        w->luma_bytes);
            continue;
        }
        uint8_t *luma = w->lumas ? w->lumas + (t - polar_first) * w->luma_bytes : w->luma;
        int rc = lq_study_read_frame(w->reader, (unsigned)t, luma, &w->err);
        if (rc != LQ_OK) return rc;
        lq_segmenter_to_polar(w->seg, luma, dst);
        /* a frame two workers read is the speckle of the one that owns it;
         * alone, a worker reads each frame once, perhaps for the next block */
        if (w->workers == 1 || (t >= first && t <= last)) r->speckle[t] = lq_segmenter_speckle(w->seg, luma);
    }
    w->polar_first = polar_first, w->polar_last = polar_last;
    return LQ_OK;
}

static void segment_block(Worker *w, size_t first, size_t last)
{
    LqResult *r = w->shared->r;
    size_t n = r->n, pn = lq_segmenter_polar_size(w->seg);
    double scratch[2 * LQ_SEG_ANGLES], conf;
    lq_segmenter_reset(w->seg);
    for (size_t t = first >= WARMUP ? first - WARMUP : 0; t <= last; t++) {
        const uint8_t *cur = w->polar + (t - w->polar_first) * pn;
        const uint8_t *prev = t > 0 ? cur - pn : cur, *next = t + 1 < n ? cur + pn : cur;
        const uint8_t *image = w->lumas ? w->lumas + (t - w->polar_first) * w->luma_bytes : NULL;
        const uint8_t *luma_prev = image && t > 0 ? image - w->luma_bytes : NULL;
        const uint8_t *luma_next = image && t + 1 < n ? image + w->luma_bytes : NULL;
        if (t < first) {
            lq_segmenter_frame_moving(w->seg, prev, cur, next, luma_prev, luma_next, scratch, &conf);
            continue;
        }
        LqFrameMeasure *m = &r->frames[t];
        LqContour *c = &r->contours[t];
        lq_segmenter_frame_moving(w->seg, prev, cur, next, luma_prev, luma_next, c->xy_mm, &m->confidence);
        if (w->shared->signatures)
            lq_frame_signature(cur, LQ_SEG_ANGLES, LQ_SEG_RADII, w->shared->signatures + t * LQ_SIGNATURE_BYTES);
        m->valid = lq_shape_measure(c->xy_mm, c->n, &m->shape) == LQ_OK;
        m->position_mm = lq_study_frame_position_mm(w->shared->study, (unsigned)t);
    }
}

/* A worker's blocks, in order. On an error it stops and records the block;
 * the others go on only with blocks before it, so the error reported is that
 * of the first block that fails, whatever the number of workers. */
static void *run_worker(void *arg)
{
    Worker *w = arg;
    Shared *sh = w->shared;
    size_t n = sh->r->n;
    for (size_t b = w->index; b < sh->blocks; b += w->workers) {
        pthread_mutex_lock(&sh->lock);
        int skip = b > sh->first_failed;
        pthread_mutex_unlock(&sh->lock);
        if (skip) break;
        size_t first = b * BLOCK, last = LQ_MIN(first + BLOCK, n) - 1;
        if (sh->time_limit_s > 0 && now_s() - sh->started_at > sh->time_limit_s)
            w->rc = lq_fail(&w->err, LQ_ERR_LIMIT, "%s: time limit of %g s reached after %zu of %zu frames (--time-limit)",
                            lq_study_info(sh->study)->path, sh->time_limit_s, first, n);
        else
            w->rc = read_block(w, first, last);
        if (w->rc != LQ_OK) {
            pthread_mutex_lock(&sh->lock);
            if (b < sh->first_failed) sh->first_failed = b;
            pthread_mutex_unlock(&sh->lock);
            w->failed_block = b;
            return NULL;
        }
        segment_block(w, first, last);
        w->blocks_done++;
    }
    return NULL;
}

/* Consistency along the pullback (docs/segmentation.md). The true lumen
 * changes smoothly with breathing and the heartbeat; a frame whose area
 * differs by more than OUTLIER_SHARE from both neighbours, while they agree
 * with each other, has most likely taken another edge (a leak into the
 * outer layer, a wall lost in echogenic blood); so have two in a row that
 * are both off the frames flanking them, and longer runs of frames all
 * wider than flanks that agree off a slope (wide_run). It is segmented again under the
 * mean of those frames' borders as a firm prior; the result is kept
 * if it agrees better. Candidates go in order of rising confidence, and are
 * checked again just before, so that in an alternating run the doubtful
 * frames yield to the sure ones, not the other way round. */
#define OUTLIER_SHARE 0.25
#define CLEAR_EDGE_MARGIN 0.1
#define LEAK_FACTOR 0.45 /* a frame still wider than both agreeing neighbours keeps at most this share: under 0.5 */

static double frame_area(const LqResult *r, size_t t)
{
    return r->frames[t].valid ? r->frames[t].shape.area_mm2 : 0.0;
}

/* Frame t's area is more than OUTLIER_SHARE off both flanks' (frames
 * before and after), which agree with each other (else there is no prior). */
static int off_flanks(const LqResult *r, size_t t, size_t before, size_t after)
{
    double a = frame_area(r, before), b = frame_area(r, after), x = frame_area(r, t);
    if (!(a > 0 && b > 0 && x > 0) || fabs(a - b) > OUTLIER_SHARE * fmax(a, b)) return 0;
    return fabs(x - a) > OUTLIER_SHARE * a && fabs(x - b) > OUTLIER_SHARE * b;
}

/* Frames t and u (u = t for a single frame) are off from the frames
 * flanking them, before and after, which agree with each other. */
static int run_is_off(const LqResult *r, size_t t, size_t u)
{
    if (t == 0 || u + 1 >= r->n) return 0;
    for (size_t k = t; k <= u; k++)
        /* a frame at confidence 0 too (its border ran out of the view on
         * every ray, the wall lost, which the flanks' prior may find again),
         * but not one without ultrasound speckle: no border means anything
         * there */
        if (!(r->speckle[k] >= LQ_MIN_SPECKLE_CORRELATION) || !off_flanks(r, k, t - 1, u + 1)) return 0;
    const double a = frame_area(r, t - 1), b = frame_area(r, u + 1);
    /* two frames narrower than both flanks that agree with each other are
     * the bottom of a short lesion (a plateau), not a wall lost twice */
    if (u > t) {
        double x = frame_area(r, t), y = frame_area(r, u);
        if (x < fmin(a, b) && y < fmin(a, b) && fabs(x - y) <= OUTLIER_SHARE * fmax(x, y)) return 0;
    }
    return 1;
}

/* A run of 3 to LEAK_RUN_MAX frames all wider than the frames flanking it
 * by more than OUTLIER_SHARE, grown from frame u (each frame joins while it
 * is not that much narrower than the run's narrowest), whose flanks agree
 * and do not lie on a slope down: none of the FLANK_FRAMES frames beyond
 * each flank is more than FLANK_FALL narrower than it. A contour that ran
 * out onto the outer wall behind a thick scar stayed there while the scar
 * did, and each such frame's neighbours agreed with its leak (the small
 * vessel at 20 MHz with scar, held-out seed 8: frames 181-194 at 5-8 mm2
 * for 4.4, flanked by 3.6-3.9; a lumen frame split them in two, so a flank
 * may have a leak beyond it). The frames between two lesions are wider
 * than the lesions' flanks too, but beyond those the lumen narrows on into
 * each lesion (tools/wide-run-lesions.py: no synthetic pair of lesions 2-5 mm
 * long, 1-6 mm apart, area ratio 1.3-5, at 0.4 mm a frame, with a flank on a slope passes; 26
 * of 75 did without this, and 17 still do where each flank is a short
 * lesion's narrowest frame: their frames are segmented again, and keep
 * their own border where their wall is clear, as the prior is capped). A
 * lumen that truly widens does so along a ramp or for longer; a narrower
 * run is never one. */
#define LEAK_RUN_MAX 16
#define FLANK_FRAMES 3
#define FLANK_FALL 0.10
static int flank_level(const LqResult *r, size_t f, int dir)
{
    const double a = frame_area(r, f);
    for (int k = 1; k <= FLANK_FRAMES; k++) {
        if ((dir < 0 && f < (size_t)k) || (dir > 0 && f + (size_t)k >= r->n)) break;
        if (frame_area(r, dir < 0 ? f - (size_t)k : f + (size_t)k) < (1.0 - FLANK_FALL) * a) return 0;
    }
    return 1;
}
static int wide_run_from(const LqResult *r, size_t u, size_t *first, size_t *last)
{
    double narrowest = frame_area(r, u);
    size_t b = u, e = u;
    for (int grew = 1; grew && e - b + 1 <= LEAK_RUN_MAX;) {
        grew = 0;
        while (b > 0 && frame_area(r, b - 1) * (1.0 + OUTLIER_SHARE) >= narrowest && e - b + 1 <= LEAK_RUN_MAX)
            narrowest = fmin(narrowest, frame_area(r, --b)), grew = 1;
        while (e + 1 < r->n && frame_area(r, e + 1) * (1.0 + OUTLIER_SHARE) >= narrowest && e - b + 1 <= LEAK_RUN_MAX)
            narrowest = fmin(narrowest, frame_area(r, ++e)), grew = 1;
    }
    if (e - b + 1 > LEAK_RUN_MAX || e - b < 2 || !run_is_off(r, b, e)) return 0;
    for (size_t k = b; k <= e; k++)
        if (frame_area(r, k) <= fmax(frame_area(r, b - 1), frame_area(r, e + 1))) return 0;
    if (!flank_level(r, b - 1, -1) || !flank_level(r, e + 1, 1)) return 0;
    *first = b, *last = e;
    return 1;
}
/* Frame t lies in such a run, grown from any frame near it (from its widest
 * frame a run stops at once where the next is a quarter narrower; from its
 * narrowest it holds them all): the longest. */
static int wide_run(const LqResult *r, size_t t, size_t *first, size_t *last)
{
    size_t best = 0;
    const size_t u0 = t > LEAK_RUN_MAX ? t - LEAK_RUN_MAX : 0, u1 = LQ_MIN(t + LEAK_RUN_MAX, r->n - 1);
    for (size_t u = u0; u <= u1; u++) {
        size_t b, e;
        if (wide_run_from(r, u, &b, &e) && b <= t && t <= e && e - b + 1 > best) best = e - b + 1, *first = b, *last = e;
    }
    return best > 0;
}

/* Whether frame t is an outlier, alone or in a run of two (a wall lost
 * for two frames: the single-frame test sees each next to the other), or
 * in a longer run of wide frames (wide_run); *before and *after: the
 * flanking frames whose borders guide it. */
static int is_outlier(const LqResult *r, size_t t, size_t *before, size_t *after)
{
    *before = t - 1, *after = t + 1;
    if (run_is_off(r, t, t)) return 1;
    if (run_is_off(r, t, t + 1)) return *after = t + 2, 1;
    if (t >= 2 && run_is_off(r, t - 1, t)) return *before = t - 2, 1;
    size_t first, last;
    if (wide_run(r, t, &first, &last)) return *before = first - 1, *after = last + 1, 1;
    return 0;
}

static double disagreement(const LqResult *r, size_t before, size_t after, double area)
{
    double mid = 0.5 * (frame_area(r, before) + frame_area(r, after));
    return mid > 0 ? fabs(area - mid) / mid : 0.0;
}

typedef struct Candidate {
    size_t t;
    double confidence;
    size_t before, after; /* the flanks found at collection */
} Candidate;

static int by_confidence(const void *a, const void *b)
{
    const Candidate *x = a, *y = b;
    if (x->confidence != y->confidence) return x->confidence < y->confidence ? -1 : 1;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* lumas: room for three images of luma_bytes where the first pass followed
 * the motion between frames (ungated), else NULL: the frame is then
 * segmented again as it was first, with the same difference term. */
static int resegment_outliers(LqStudy *study, LqSegmenter *seg, uint8_t *polar, uint8_t *luma, uint8_t *lumas,
                              size_t luma_bytes, LqResult *r, uint8_t *own_image, LqError *err)
{
    size_t n = r->n, count = 0, pn = lq_segmenter_polar_size(seg);
    Candidate *list = malloc(n * sizeof *list);
    if (!list) return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", lq_study_info(study)->path);
    size_t before, after;
    for (size_t t = 1; t + 1 < n; t++)
        if (is_outlier(r, t, &before, &after)) list[count++] = (Candidate){t, r->frames[t].confidence, before, after};
    qsort(list, count, sizeof *list, by_confidence);
    double guide[2 * LQ_SEG_ANGLES], xy[2 * LQ_SEG_ANGLES], conf;
    int rc = LQ_OK;
    for (size_t k = 0; k < count && rc == LQ_OK; k++) {
        size_t t = list[k].t;
        if (!is_outlier(r, t, &before, &after)) { /* a neighbour was mended first */
            /* a run's partner mended, but not far enough to agree with the
             * flanks (the pair test no longer sees the run, the single test
             * sees flanks that disagree): still off the run's own flanks */
            const int in_run = list[k].before + 1 != t || list[k].after != t + 1;
            if (!in_run || !off_flanks(r, t, list[k].before, list[k].after)) continue;
            before = list[k].before, after = list[k].after;
        }
        for (size_t j = 0; j < 3 && rc == LQ_OK; j++) {
            uint8_t *image = lumas ? lumas + j * luma_bytes : luma;
            if ((rc = lq_study_read_frame(study, (unsigned)(t - 1 + j), image, err)) == LQ_OK)
                lq_segmenter_to_polar(seg, image, polar + j * pn);
        }
        if (rc != LQ_OK) break;
        const double *a = r->contours[before].xy_mm, *b = r->contours[after].xy_mm;
        for (int i = 0; i < 2 * LQ_SEG_ANGLES; i++) guide[i] = 0.5 * (a[i] + b[i]);
        /* A frame whose own image already gave it the narrower, surer border
         * (resegment_narrowest) is guided from its own image too: with the
         * difference term the tissue of a short lesion's narrowest frame
         * reads as blood again, and the prior's wide contour looked as sure
         * (seed 4 of the short lesion with beam-shaped speckle: 42 mm2
         * replaced by 179, %DS 40 against 74). */
        const uint8_t *prev_img = own_image[t] ? polar + pn : polar, *next_img = own_image[t] ? polar + pn : polar + 2 * pn;
        /* Ungated, the neighbours are moved onto this frame as in the first
         * pass: unmoved, the tissue's speckle no longer matched theirs, the
         * difference term was lost, and a static hypoechoic layer read as
         * blood again under the prior (the frame kept its leak). */
        const uint8_t *luma_prev = lumas && !own_image[t] ? lumas : NULL;
        const uint8_t *luma_next = lumas && !own_image[t] ? lumas + 2 * luma_bytes : NULL;
        lq_segmenter_frame_guided(seg, prev_img, polar + pn, next_img, luma_prev, luma_next, guide, xy, &conf);
        LqShape shape;
        if (lq_shape_measure(xy, LQ_SEG_ANGLES, &shape) != LQ_OK) continue;
        if (disagreement(r, before, after, shape.area_mm2) >= disagreement(r, before, after, frame_area(r, t)))
            continue;
        /* A clear edge wins: a frame narrower than both neighbours whose own
         * border is clearly surer than the one under their prior is the
         * bottom of a short lesion, not a lost wall (whose border in blood
         * has little contrast). Frames wider than both are not spared: a
         * leak onto a bright outer layer has a sure edge too. */
        double x = frame_area(r, t);
        if (x < frame_area(r, before) && x < frame_area(r, after) && conf < r->frames[t].confidence - CLEAR_EDGE_MARGIN)
            continue;
        memcpy(r->contours[t].xy_mm, xy, sizeof xy);
        r->frames[t].shape = shape;
        r->frames[t].valid = 1;
        r->frames[t].confidence = conf;
        own_image[t] = 0;
    }
    free(list);
    return rc;
}

/* The narrowest frame of a short lesion in a sparse pullback (a 5:1
 * compression over 3 mm spans a handful of frames 0.5-1 mm apart): the
 * tissue at its wall is lumen in both neighbours, so it differs from both
 * and the frame-to-frame difference reads it as blood, moving the border
 * out (the MLA read 5-55 % large on such phantoms). A frame at the bottom
 * of a step of more than NARROWEST_SHARE is segmented again from its own
 * image, after its predecessor the same way (the prior), and the narrower
 * contour is kept: the difference can only have widened it. Dense
 * pullbacks (30 frames/s) change a few % a frame and rarely trigger this. */
#define NARROWEST_SHARE 0.10

static int resegment_narrowest(LqStudy *study, LqSegmenter *seg, uint8_t *polar, uint8_t *luma, LqResult *r,
                               uint8_t *own_image, LqError *err)
{
    size_t pn = lq_segmenter_polar_size(seg);
    double xy[2 * LQ_SEG_ANGLES], scratch[2 * LQ_SEG_ANGLES], conf;
    for (size_t t = 1; t + 1 < r->n; t++) {
        double a = frame_area(r, t - 1), b = frame_area(r, t + 1), x = frame_area(r, t);
        /* at the bottom: under the wider neighbour by the share, and not over
         * the narrower one by it (the bottom of a short lesion may be two
         * frames, the biased one then looks no narrower than the other) */
        int bottom = x < (1.0 - NARROWEST_SHARE) * fmax(a, b) && x <= (1.0 + NARROWEST_SHARE) * fmin(a, b);
        /* wider than both: at 0.75 mm a frame, the whole lesion of the
         * narrowest frame can read as blood (49 mm2 measured as 188) */
        int top = x > (1.0 + NARROWEST_SHARE) * fmax(a, b);
        if (!(x > 0) || !(bottom || top) || r->frames[t].confidence <= 0) continue;
        int rc = LQ_OK;
        for (size_t j = 0; j < 2 && rc == LQ_OK; j++)
            if ((rc = lq_study_read_frame(study, (unsigned)(t - 1 + j), luma, err)) == LQ_OK)
                lq_segmenter_to_polar(seg, luma, polar + j * pn);
        if (rc != LQ_OK) return rc;
        /* each frame its own neighbours: no difference term */
        lq_segmenter_reset(seg);
        lq_segmenter_frame(seg, polar, polar, polar, scratch, &conf);
        lq_segmenter_frame(seg, polar + pn, polar + pn, polar + pn, xy, &conf);
        LqShape shape;
        /* narrower, and its edge at least as clear (the difference term's
         * border lies in the tissue, with less contrast across it) */
        if (lq_shape_measure(xy, LQ_SEG_ANGLES, &shape) != LQ_OK || !(shape.area_mm2 < x) ||
            conf < r->frames[t].confidence)
            continue;
        memcpy(r->contours[t].xy_mm, xy, sizeof xy);
        r->frames[t].shape = shape;
        r->frames[t].confidence = conf;
        own_image[t] = 1;
    }
    return LQ_OK;
}

/* How far a frame's area lies outside the range its neighbours span, as a
 * share of the nearer one: 0 on a ramp between them (a lesion's flank, its
 * narrowest frame between a flank and the next), the distance to both when
 * they agree (a frame that leaked out or lost its wall). */
static double outside_neighbours(const LqResult *r, size_t t)
{
    double a = frame_area(r, t - 1), b = frame_area(r, t + 1), x = frame_area(r, t);
    double lo = fmin(a, b), hi = fmax(a, b);
    return x < lo ? (lo - x) / lo : x > hi ? (x - hi) / hi : 0.0;
}

/* Confidence reports disagreement with the neighbours: a frame more than
 * 20 % outside the range of their areas loses up to 60 % of its confidence
 * (at 60 % off); one still more than OUTLIER_SHARE wider than both, while
 * they agree, keeps at most LEAK_FACTOR of it (under the 0.5 cut). A short
 * lesion (a 5:1 compression over 3 mm, a few frames of a gated pullback)
 * narrows frame by frame: none of its frames is off,
 * except its narrowest when the frames are sparse. That one is spared when
 * its own image, without the difference term, gave it a surer border
 * narrower than the first and the neighbours' prior did not win over it:
 * the bottom of the lesion, not a lost wall. */
static void neighbour_confidence(LqResult *r, const uint8_t *own_image)
{
    double *factor = malloc(r->n * sizeof *factor);
    if (!factor) return;
    for (size_t t = 0; t < r->n; t++) {
        factor[t] = 1.0;
        if (t == 0 || t + 1 >= r->n || !(frame_area(r, t - 1) > 0 && frame_area(r, t + 1) > 0)) continue;
        double x = frame_area(r, t);
        if (own_image[t] && x < frame_area(r, t - 1) && x < frame_area(r, t + 1)) continue;
        double off = outside_neighbours(r, t);
        factor[t] = 1.0 - LQ_CLAMP((off - 0.2) / 0.4 * 0.6, 0.0, 0.6);
        /* Still wider than both neighbours, which agree, after the pass
         * above: a leak it could not mend (a lumen does not widen by a
         * quarter for one frame). It is flagged under the cut, so it is
         * never averaged into the reference; a frame narrower than both may
         * be a short lesion's bottom and keeps the sliding factor. A frame
         * of a wide run the pass could not mend is not flagged: the frames
         * between two short lesions can look like one (wide_run). */
        if (off_flanks(r, t, t - 1, t + 1) && x > frame_area(r, t - 1)) factor[t] = LQ_MIN(factor[t], LEAK_FACTOR);
    }
    for (size_t t = 0; t < r->n; t++) r->frames[t].confidence *= factor[t];
    free(factor);
}

/* Where the catheter stood still: each frame's image against the one
 * LQ_STILL_LAG_S before (measure/dynamics.c). */
static void still_frames(LqResult *r, const uint8_t *signatures, double frame_time_ms)
{
    long lag = lround(LQ_STILL_LAG_S * 1000.0 / frame_time_ms);
    r->still_lag = (size_t)(lag < 1 ? 1 : lag);
    for (size_t t = 0; t < r->n; t++)
        r->stillness[t] = t >= r->still_lag ? lq_signature_likeness(signatures + (t - r->still_lag) * LQ_SIGNATURE_BYTES,
                                                                    signatures + t * LQ_SIGNATURE_BYTES)
                                            : 0.0;
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
    Worker *slot = calloc((size_t)threads, sizeof *slot);
    LqResult *r = result_new(n);
    Shared shared = {r, study, &g, blocks, started_at, opt->time_limit_s, PTHREAD_MUTEX_INITIALIZER, blocks, NULL};
    if (in->frame_time_ms > 0 && n > 1) shared.signatures = malloc(n * LQ_SIGNATURE_BYTES);
    /* the polar kernels may read a few bytes past the last pixel */
    uint8_t *luma = calloc(px + LQ_POLAR_SRC_PADDING, 1);
    int rc = LQ_OK;
    if (!slot || !r || !luma || (in->frame_time_ms > 0 && n > 1 && !shared.signatures)) {
        rc = lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
        goto done;
    }
    size_t pn = 0;
    for (int i = 0; i < threads; i++) {
        Worker *w = &slot[i];
        w->index = (size_t)i, w->workers = (size_t)threads, w->shared = &shared;
        rc = lq_segmenter_new(&w->seg, &g, opt->cpu_level);
        if (rc != LQ_OK) {
            rc = lq_fail(err, rc, "%s: image too small or uncalibrated for segmentation", in->path);
            goto done;
        }
        pn = lq_segmenter_polar_size(w->seg);
        w->polar = malloc((BLOCK + WARMUP + 2) * pn);
        w->luma = i == 0 ? luma : calloc(px + LQ_POLAR_SRC_PADDING, 1);
        w->luma_bytes = px + LQ_POLAR_SRC_PADDING;
        if (follows_motion(in)) w->lumas = calloc(BLOCK + WARMUP + 2, w->luma_bytes);
        if (!w->polar || !w->luma || (follows_motion(in) && !w->lumas)) {
            rc = lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
            goto done;
        }
        if (i == 0) w->reader = study;
        else if ((rc = lq_study_open_reader(study, &w->reader, err)) != LQ_OK) goto done;
    }
    if ((rc = lq_study_read_frame(study, 0, luma, err)) != LQ_OK) goto done;
    lq_segmenter_find_centre(slot[0].seg, luma);
    for (int i = 1; i < threads; i++) lq_segmenter_adopt(slot[i].seg, slot[0].seg);

    /* the first worker runs here, the others on threads of their own */
    int started = 1;
    for (int i = 1; i < threads; i++, started++)
        if (pthread_create(&slot[i].thread, NULL, run_worker, &slot[i]) != 0) break;
    run_worker(&slot[0]);
    for (int i = 1; i < started; i++) pthread_join(slot[i].thread, NULL);
    for (int i = started; i < threads; i++) run_worker(&slot[i]); /* no thread could start */
    for (int i = 0; i < threads && shared.first_failed < blocks; i++)
        if (slot[i].rc != LQ_OK && slot[i].failed_block == shared.first_failed) {
            rc = slot[i].rc;
            if (err) *err = slot[i].err;
            break;
        }
    if (rc != LQ_OK) goto done;
    if (shared.signatures) still_frames(r, shared.signatures, in->frame_time_ms);

    /* No ultrasound speckle (uncorrelated noise, a blank frame): whatever
     * border was found means nothing (docs/measurements.md, confidence). */
    for (size_t t = 0; t < n; t++)
        if (!(r->speckle[t] >= LQ_MIN_SPECKLE_CORRELATION)) r->frames[t].confidence = 0.0;
    uint8_t *own_image = calloc(n, 1); /* frames re-segmented from their own image */
    rc = own_image ? LQ_OK : lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
    if (rc == LQ_OK) rc = resegment_narrowest(study, slot[0].seg, slot[0].polar, luma, r, own_image, err);
    if (rc == LQ_OK)
        rc = resegment_outliers(study, slot[0].seg, slot[0].polar, luma, slot[0].lumas, slot[0].luma_bytes, r, own_image,
                                err);
    if (rc == LQ_OK) neighbour_confidence(r, own_image);
    free(own_image);

    LqMeasureSettings ms = opt->measure;
    ms.positions_are_indices = in->timing == LQ_TIMING_NONE;
    if (ms.first_frame < 0) ms.first_frame = (int)in->pullback_start_frame;
    if (ms.last_frame < 0) ms.last_frame = (int)in->pullback_stop_frame;
    /* the dynamic check's window, for every caller (the hook, the library) */
    if (!(ms.pullback_rate_mm_s > 0)) ms.pullback_rate_mm_s = in->pullback_rate_mm_s;
    r->order_from_cfv = ms.pullback_from_cfv != 0;
    r->low_confidence = ms.low_confidence;
    r->pullback_first = ms.first_frame > 0 ? (size_t)ms.first_frame : 0;
    r->pullback_last = ms.last_frame >= 0 && (size_t)ms.last_frame < n ? (size_t)ms.last_frame : n - 1;
    if (r->pullback_first > r->pullback_last) r->pullback_first = 0, r->pullback_last = n - 1;
    /* a pause of the pullback: its frames at one place before the vein is measured along them */
    rc = lq_pauses_hold(r, in, shared.signatures) == LQ_OK ? LQ_OK : lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    if (rc == LQ_OK) rc = lq_measure_frames(r->frames, n, &ms, &r->summary, err);
    r->timed = in->timing != LQ_TIMING_NONE;
    snprintf(r->study_uid, sizeof r->study_uid, "%s", in->study_instance_uid);
    r->dynamic_threshold_pct = ms.dynamic_threshold_pct;
    if (rc == LQ_OK && lq_dynamics_update(r, in) != LQ_OK) rc = lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
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
        free(slot[i].lumas);
        if (i > 0) {
            free(slot[i].luma);
            lq_study_close_reader(&slot[i].reader);
        }
    }
    free(slot);
    free(luma);
    free(shared.signatures);
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
