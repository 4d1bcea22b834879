/* A reader's edits applied to a measured pullback: replaced contours are
 * measured as any other (lq_shape_measure), and lesion, reference and
 * stenosis come again from lq_measure_frames, so an edited result follows
 * the same definitions as an automatic one. */
#include "internal.h"
#include "measure/measure.h"
#include "result.h"
#include "segment/segment.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int lq_edits_new(const LqStudy *study, const char *reader, LqEdits **out, LqError *err)
{
    *out = NULL;
    LqEdits *e = calloc(1, sizeof *e);
    if (!e) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    snprintf(e->sop_instance_uid, sizeof e->sop_instance_uid, "%s", lq_study_info(study)->sop_instance_uid);
    snprintf(e->reader, sizeof e->reader, "%s", reader ? reader : "");
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(e->time, sizeof e->time, "%Y-%m-%dT%H:%M:%SZ", &utc);
    e->lesion_frame = e->reference_first = e->reference_last = -1;
    *out = e;
    return LQ_OK;
}

void lq_edits_free(LqEdits **e)
{
    if (!e || !*e) return;
    free((*e)->contours);
    free(*e);
    *e = NULL;
}

int lq_edits_set_contour(LqEdits *e, unsigned frame, const double *xy_mm, unsigned n, LqError *err)
{
    if (n < 3 || n > LQ_EDIT_MAX_POINTS)
        return lq_fail(err, LQ_ERR_USAGE, "frame %u: a contour has 3 to %d points, not %u", frame + 1,
                       LQ_EDIT_MAX_POINTS, n);
    for (unsigned k = 0; k < 2 * n; k++)
        if (!isfinite(xy_mm[k])) return lq_fail(err, LQ_ERR_USAGE, "frame %u: contour point %u is not a number",
                                                frame + 1, k / 2 + 1);
    size_t at = 0;
    while (at < e->count && e->contours[at].frame < frame) at++;
    if (at == e->count || e->contours[at].frame != frame) {
        LqEditedContour *grown = realloc(e->contours, (e->count + 1) * sizeof *grown);
        if (!grown) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
        e->contours = grown;
        memmove(&grown[at + 1], &grown[at], (e->count - at) * sizeof *grown);
        e->count++;
    }
    LqEditedContour *c = &e->contours[at];
    c->frame = frame, c->n = n;
    memcpy(c->xy_mm, xy_mm, 2 * n * sizeof *xy_mm);
    return LQ_OK;
}

_Static_assert(LQ_SEG_ANGLES == LQ_EDIT_MAX_POINTS, "an edited contour fits where the measured one was");

const LqEdits *lq_result_edits(const LqResult *r) { return r ? r->edits : NULL; }

/* Everything wrong with the edits for this result, checked before anything changes. */
static int check_edits(const LqResult *r, const LqStudyInfo *in, const LqEdits *e, const char *name, LqError *err)
{
    if (strcmp(e->sop_instance_uid, in->sop_instance_uid) != 0)
        return lq_fail(err, LQ_ERR_DATA, "%s: edits made on SOP Instance UID %s, not on %s (%s)", name,
                       e->sop_instance_uid, in->path, in->sop_instance_uid);
    for (size_t i = 0; i < e->count; i++) {
        const LqEditedContour *c = &e->contours[i];
        LqShape shape;
        if (c->frame >= r->n)
            return lq_fail(err, LQ_ERR_DATA, "%s: contour of frame %u, the pullback has %zu frames", name, c->frame + 1,
                           r->n);
        if (c->n < 3 || c->n > LQ_EDIT_MAX_POINTS || lq_shape_measure(c->xy_mm, c->n, &shape) != LQ_OK ||
            !(shape.area_mm2 > 0))
            return lq_fail(err, LQ_ERR_DATA, "%s: the contour of frame %u encloses no area", name, c->frame + 1);
    }
    int frames[] = {e->lesion_frame, e->reference_first, e->reference_last};
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++)
        if (frames[i] >= 0 && ((size_t)frames[i] < r->pullback_first || (size_t)frames[i] > r->pullback_last))
            return lq_fail(err, LQ_ERR_DATA, "%s: frame %d chosen, outside the pullback: frames %zu-%zu", name,
                           frames[i] + 1, r->pullback_first + 1, r->pullback_last + 1);
    if ((e->reference_first < 0) != (e->reference_last < 0) || e->reference_last < e->reference_first)
        return lq_fail(err, LQ_ERR_DATA, "%s: the reference needs a first and a last frame, in order", name);
    return LQ_OK;
}

int lq_result_apply_edits(LqResult *r, const LqStudy *study, const LqMeasureSettings *s, const LqEdits *e,
                          LqError *err)
{
    const LqStudyInfo *in = lq_study_info(study);
    const char *name = e->path[0] ? e->path : "edits";
    int rc = check_edits(r, in, e, name, err);
    if (rc != LQ_OK) return rc;
    for (size_t i = 0; i < e->count; i++) {
        const LqEditedContour *c = &e->contours[i];
        LqContour *into = &r->contours[c->frame];
        /* a measured contour's storage holds LQ_SEG_ANGLES = LQ_EDIT_MAX_POINTS points */
        memcpy(into->xy_mm, c->xy_mm, 2 * c->n * sizeof *c->xy_mm);
        into->n = c->n;
        LqFrameMeasure *m = &r->frames[c->frame];
        lq_shape_measure(c->xy_mm, c->n, &m->shape);
        m->valid = 1;
        m->confidence = 1.0;
    }
    /* the settings lq_study_measure measured with, and the reader's choices */
    LqMeasureSettings ms;
    if (s)
        ms = *s;
    else
        lq_measure_settings_default(&ms);
    ms.positions_are_indices = in->timing == LQ_TIMING_NONE;
    ms.first_frame = (int)r->pullback_first, ms.last_frame = (int)r->pullback_last;
    ms.pullback_from_cfv = r->order_from_cfv;
    ms.low_confidence = r->low_confidence;
    if (e->lesion_frame >= 0) ms.lesion_frame = e->lesion_frame, ms.lesion_first = ms.lesion_last = -1;
    if (e->reference_first >= 0) {
        ms.reference_first = e->reference_first, ms.reference_last = e->reference_last;
        ms.reference_normal = -1;
        ms.external_reference_area_mm2 = ms.external_reference_diameter_mm = 0;
        ms.external_reference_note[0] = 0;
    }
    r->edits = e;
    rc = lq_measure_frames(r->frames, r->n, &ms, &r->summary, err);
    if (rc == LQ_OK && lq_dynamics_update(r, in) != LQ_OK) rc = lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    if (rc != LQ_OK && err) {
        char msg[sizeof err->message];
        memcpy(msg, err->message, sizeof msg);
        lq_fail(err, LQ_ERR_DATA, "%s: %s", name, msg);
        return LQ_ERR_DATA;
    }
    return rc;
}

static const char *const site_names[] = {"", "civ", "eiv", "cfv", "ivc"}; /* by LqSite */

const char *lq_site_name(LqSite s) { return (unsigned)s < 5 ? site_names[s] : ""; }

int lq_site_from_name(const char *name)
{
    for (int i = 1; name && i < 5; i++)
        if (strcmp(site_names[i], name) == 0) return i;
    return -1;
}

void lq_result_set_site(LqResult *r, LqSite site) { r->site = (unsigned)site < 5 ? (int)site : 0; }

int lq_result_copy(const LqResult *r, LqResult **out, LqError *err)
{
    *out = NULL;
    LqResult *c = calloc(1, sizeof *c);
    if (c) {
        *c = *r;
        c->frames = malloc(r->n * sizeof *c->frames);
        c->contours = malloc(r->n * sizeof *c->contours);
        c->points = malloc(r->n * LQ_SEG_ANGLES * 2 * sizeof *c->points);
        c->speckle = malloc(r->n * sizeof *c->speckle);
        c->edits = NULL;
        c->stillness = r->stillness ? malloc(r->n * sizeof *c->stillness) : NULL;
        c->course_time = c->course_area = NULL;
        if (r->course_time) {
            c->course_time = malloc(r->dynamics.samples * sizeof *c->course_time);
            c->course_area = malloc(r->dynamics.samples * sizeof *c->course_area);
        }
    }
    if (!c || !c->frames || !c->contours || !c->points || !c->speckle || (r->stillness && !c->stillness) ||
        (r->course_time && (!c->course_time || !c->course_area))) {
        if (c) c->n = 0;
        lq_result_free(&c);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    memcpy(c->frames, r->frames, r->n * sizeof *c->frames);
    memcpy(c->speckle, r->speckle, r->n * sizeof *c->speckle);
    if (r->stillness) memcpy(c->stillness, r->stillness, r->n * sizeof *c->stillness);
    if (r->course_time) {
        memcpy(c->course_time, r->course_time, r->dynamics.samples * sizeof *c->course_time);
        memcpy(c->course_area, r->course_area, r->dynamics.samples * sizeof *c->course_area);
    }
    c->dynamics.time_s = c->course_time, c->dynamics.area_mm2 = c->course_area;
    for (size_t i = 0; i < r->n; i++) {
        c->contours[i].n = r->contours[i].n;
        c->contours[i].xy_mm = c->points + i * LQ_SEG_ANGLES * 2;
        memcpy(c->contours[i].xy_mm, r->contours[i].xy_mm, 2 * r->contours[i].n * sizeof(double));
    }
    *out = c;
    return LQ_OK;
}

double lq_result_frame_stenosis_pct(const LqResult *r, size_t i, LqMetric metric)
{
    const LqSummary *s = &r->summary;
    if (i >= r->n || !r->frames[i].valid || !(s->reference_area_mm2 > 0)) return NAN;
    const LqShape *shape = &r->frames[i].shape;
    LqStenosis st = lq_stenosis(shape->area_mm2, shape->min_feret_mm, s->reference_area_mm2, s->reference_diameter_mm);
    return lq_stenosis_pct(&st, metric);
}

int lq_result_calipers(const LqResult *r, size_t i, double min_mm[4], double max_mm[4])
{
    if (i >= r->n || !r->frames[i].valid || r->contours[i].n < 3) return LQ_ERR_USAGE;
    const LqContour *c = &r->contours[i];
    lq_contour_caliper(c->xy_mm, c->n, r->frames[i].shape.min_feret_angle_rad, min_mm);
    lq_contour_caliper(c->xy_mm, c->n, r->frames[i].shape.max_feret_angle_rad, max_mm);
    return LQ_OK;
}
