/* Reader -> segmentation -> measurement for one study. Frames are pulled one
 * at a time; only three polar images (previous, current, next) are held. */
#include "internal.h"
#include "result.h"
#include "segment/segment.h"

#include <stdlib.h>
#include <string.h>

void lq_run_options_default(LqRunOptions *o)
{
    memset(o, 0, sizeof *o);
    lq_measure_settings_default(&o->measure);
    o->cpu_level = -1;
}

void lq_result_free(LqResult **r)
{
    if (!r || !*r) return;
    free((*r)->frames);
    free((*r)->contours);
    free((*r)->points);
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
    if (!r->frames || !r->contours || !r->points) {
        lq_result_free(&r);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        r->contours[i].n = LQ_SEG_ANGLES;
        r->contours[i].xy_mm = r->points + i * LQ_SEG_ANGLES * 2;
    }
    return r;
}

int lq_study_measure(LqStudy *study, const LqRunOptions *opt, LqResult **out, LqError *err)
{
    *out = NULL;
    LqRunOptions defaults;
    if (!opt) lq_run_options_default(&defaults), opt = &defaults;
    const LqStudyInfo *in = lq_study_info(study);
    const char *why = NULL;
    if (!lq_study_measurable(study, &why)) return lq_fail(err, LQ_ERR_DATA, "%s: %s", in->path, why);

    LqSegGeometry g = {in->rows, in->cols, in->pixel_dx_mm, in->pixel_dy_mm,
                       in->region_x0, in->region_y0, in->region_x1, in->region_y1, 1.45};
    LqSegmenter *seg = NULL;
    int rc = lq_segmenter_new(&seg, &g, opt->cpu_level);
    if (rc != LQ_OK)
        return lq_fail(err, rc, "%s: image too small or uncalibrated for segmentation", in->path);

    size_t n = in->frames, px = (size_t)in->rows * in->cols, pn = lq_segmenter_polar_size(seg);
    LqResult *r = result_new(n);
    /* the polar kernels may read a few bytes past the last pixel */
    uint8_t *luma = calloc(px + LQ_POLAR_SRC_PADDING, 1), *ring = malloc(3 * pn);
    if (!r || !luma || !ring) {
        rc = lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
        goto done;
    }
    /* ring slot of frame t is t % 3 */
    for (size_t t = 0; t < n && t < 2; t++) {
        if ((rc = lq_study_read_frame(study, (unsigned)t, luma, err)) != LQ_OK) goto done;
        if (t == 0) lq_segmenter_find_centre(seg, luma);
        lq_segmenter_to_polar(seg, luma, ring + (t % 3) * pn);
    }
    for (size_t t = 0; t < n; t++) {
        const uint8_t *cur = ring + (t % 3) * pn;
        const uint8_t *prev = t > 0 ? ring + ((t - 1) % 3) * pn : cur;
        const uint8_t *next = t + 1 < n ? ring + ((t + 1) % 3) * pn : cur;
        LqFrameMeasure *m = &r->frames[t];
        lq_segmenter_frame(seg, prev, cur, next, r->contours[t].xy_mm, &m->confidence);
        m->valid = lq_shape_measure(r->contours[t].xy_mm, r->contours[t].n, &m->shape) == LQ_OK;
        m->position_mm = lq_study_frame_position_mm(study, (unsigned)t);
        if (t + 2 < n) { /* the slot of t-1 is free now */
            if ((rc = lq_study_read_frame(study, (unsigned)(t + 2), luma, err)) != LQ_OK) goto done;
            lq_segmenter_to_polar(seg, luma, ring + ((t + 2) % 3) * pn);
        }
    }
    LqMeasureSettings ms = opt->measure;
    ms.positions_are_indices = in->timing == LQ_TIMING_NONE;
    r->order_from_cfv = ms.pullback_from_cfv != 0;
    r->low_confidence = ms.low_confidence;
    rc = lq_measure_frames(r->frames, n, &ms, &r->summary, err);
    if (rc != LQ_OK) {
        /* keep the file name in front of the measurement's message */
        char msg[sizeof err->message];
        if (err) {
            memcpy(msg, err->message, sizeof msg);
            lq_fail(err, rc, "%s: %s", in->path, msg);
        }
    }
done:
    lq_segmenter_free(&seg);
    free(luma);
    free(ring);
    if (rc != LQ_OK) lq_result_free(&r);
    *out = r;
    return rc;
}
