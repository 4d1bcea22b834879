/* CT venography (docs/ct.md): the stage that runs its parts, the
 * centreline between two points through the contrast-filled lumen
 * (centreline.c), cross-sections perpendicular to it (section.c) and the
 * lumen outlined in each (outline.c), then measures the stenosis along it. */
#include "ct/ct_internal.h"
#include "measure/measure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_LUMEN_HU 100.0      /* contrast-filled vein in the venous phase; tissue is 20-60 HU */
#define MIN_AREA_MM2 3.0        /* smaller outlines (2 mm across) are below what CT resolves */

void lq_ct_options_default(LqCtOptions *o)
{
    o->step_mm = 1.0;
    o->reference_mm = 5.0;
    o->threshold_pct = 61.0;
    o->wall_weight = 4.0;
    o->recentre_passes = 5;
    o->cpu_level = -1;
}

void lq_ct_result_free(LqCtResult **r)
{
    if (!r || !*r) return;
    free((*r)->points);
    free((*r)->planes);
    free((*r)->outlines);
    free((*r)->sections);
    free(*r);
    *r = NULL;
}

int lq_ct_measure(const LqVolume *v, const double lesion[3], const double reference[3], const LqCtOptions *o,
                  LqCtResult **out, LqError *err)
{
    *out = NULL;
    LqCtOptions defaults;
    if (!o) lq_ct_options_default(&defaults), o = &defaults;
    double qa[3], qb[3];
    lq_volume_to_voxel(v, lesion, qa);
    lq_volume_to_voxel(v, reference, qb);
    int nx = (int)v->cols, ny = (int)v->rows, nz = (int)v->slices;
    const double *pts[2] = {qa, qb};
    for (int i = 0; i < 2; i++)
        if (pts[i][0] < 1 || pts[i][1] < 1 || pts[i][2] < 1 || pts[i][0] > nx - 2 || pts[i][1] > ny - 2 ||
            pts[i][2] > nz - 2)
            return lq_fail(err, LQ_ERR_USAGE, "the %s point lies outside the volume or on its outermost voxels",
                           i ? "reference" : "lesion");
    LqCtSearch search;
    if (lq_ct_search_new(v, qa, qb, &search) != 0) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    double lumen = search.smooth[search.reference], at_lesion = search.smooth[search.lesion];
    if (lumen < MIN_LUMEN_HU || at_lesion < 0.5 * lumen) {
        /* a point off the vein: no centreline to trace, and a report that says why */
        lq_ct_search_free(&search);
        LqCtResult *r = calloc(1, sizeof *r);
        if (!r) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
        memcpy(r->lesion_point, lesion, sizeof r->lesion_point);
        memcpy(r->reference_point, reference, sizeof r->reference_point);
        r->threshold_pct = o->threshold_pct, r->lumen_hu = lumen;
        r->lesion = r->reference_first = r->reference_last = r->segment_first = r->segment_last = -1;
        if (lumen < MIN_LUMEN_HU)
            snprintf(r->problem, sizeof r->problem,
                     "the reference point is at %.0f HU: not in a contrast-filled vein (above %.0f HU)", lumen,
                     MIN_LUMEN_HU);
        else
            snprintf(r->problem, sizeof r->problem,
                     "the lesion point is at %.0f HU, under half the reference's %.0f HU: not in the vein's lumen",
                     at_lesion, lumen);
        *out = r;
        return LQ_OK;
    }
    double *raw = NULL;
    size_t plen = 0;
    if (lq_ct_trace(v, &search, lumen, o->wall_weight, &raw, &plen) != 0)
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory tracing the centreline");

    /* the user's points at the ends */
    LqCtResult *r = calloc(1, sizeof *r);
    int16_t *img = malloc(SECTION_SAMPLES * SECTION_SAMPLES * sizeof *img);
    double *xy = malloc(2 * RAYS * sizeof *xy);
    if (!r || !img || !xy) {
        free(raw), free(r), free(img), free(xy);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    memcpy(r->lesion_point, lesion, sizeof r->lesion_point);
    memcpy(r->reference_point, reference, sizeof r->reference_point);
    r->threshold_pct = o->threshold_pct;
    memcpy(raw, lesion, 3 * sizeof *raw);
    memcpy(raw + 3 * (plen - 1), reference, 3 * sizeof *raw);
    size_t n = 0;
    LqCtDsp dsp;
    lq_ct_dsp_init(&dsp, o->cpu_level);
    double *line = lq_ct_resample(raw, plen, o->step_mm, &n);
    free(raw);
    /* the level the path was traced on came from a 3x3x3 mean at one point;
     * the outlines need it to a few HU */
    LqCtLumen level = lq_ct_lumen_level(v, &dsp, reference, img);
    if (!(level.hu >= MIN_LUMEN_HU)) level.hu = lumen;
    lumen = level.hu;
    line = line ? lq_ct_recentre(v, &dsp, &level, o->recentre_passes, line, &n, o->step_mm, img, xy) : NULL;
    r->points = line;
    r->sections = calloc(n, sizeof *r->sections);
    r->planes = calloc(n * 6, sizeof *r->planes);
    r->outlines = calloc(n * RAYS * 2, sizeof *r->outlines);
    r->outline_points = RAYS;
    if (!r->points || !r->sections || !r->planes || !r->outlines) {
        free(img), free(xy);
        lq_ct_result_free(&r);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    r->n = n;
    r->lumen_hu = lumen;
    double total = 0, *radii = malloc(2 * n * RAYS * sizeof *radii);
    unsigned char *found = calloc(n, 1);
    if (!radii || !found) {
        free(img), free(xy), free(radii), free(found);
        lq_ct_result_free(&r);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    for (size_t s = 0; s < n; s++) {
        if (s) {
            double d[3] = {line[3 * s] - line[3 * s - 3], line[3 * s + 1] - line[3 * s - 2],
                           line[3 * s + 2] - line[3 * s - 1]};
            total += sqrt(lq_ct_dot3(d, d));
        }
        r->sections[s].position_mm = total;
        double *u = r->planes + 6 * s, *w = u + 3;
        found[s] = lq_ct_plane(v, line, n, s, u, w) &&
                   lq_ct_section_radii(v, &dsp, &level, line + 3 * s, u, w, img, radii + s * RAYS);
    }
    double *clamped = radii + n * RAYS;
    lq_ct_clamp_leaks(radii, found, n, clamped);
    for (size_t s = 0; s < n; s++) {
        if (!found[s]) continue;
        LqFrameMeasure *m = &r->sections[s];
        lq_ct_polygon(clamped + s * RAYS, xy);
        m->valid = lq_shape_measure(xy, RAYS, &m->shape) == LQ_OK && m->shape.area_mm2 >= MIN_AREA_MM2;
        m->confidence = 1.0;
        memcpy(r->outlines + s * RAYS * 2, xy, 2 * RAYS * sizeof *xy);
    }
    free(img), free(xy), free(radii), free(found);

    /* measures, as for IVUS (measure/measure.h): the reference the sections
     * with a lumen within reference_mm of the reference point, the lesion
     * the MLA before them */
    const LqFrameUse any_lumen = {0, 0};
    double step = n > 1 ? total / (double)(n - 1) : o->step_mm;
    r->lesion = r->reference_first = r->reference_last = r->segment_first = r->segment_last = -1;
    for (size_t s = 0; s < n; s++)
        if (total - r->sections[s].position_mm <= o->reference_mm && r->sections[s].valid) {
            if (r->reference_first < 0) r->reference_first = (int)s;
            r->reference_last = (int)s;
        }
    if (r->reference_first < 0 ||
        !lq_reference_mean(r->sections, (size_t)r->reference_first, (size_t)r->reference_last, any_lumen,
                           &r->reference_area_mm2, &r->reference_diameter_mm)) {
        snprintf(r->problem, sizeof r->problem, "no lumen found around the reference point");
        *out = r;
        return LQ_OK;
    }
    if (r->reference_first > 0)
        r->lesion = (int)lq_mla_frame(r->sections, 0, (size_t)r->reference_first - 1, any_lumen);
    if (r->lesion < 0) {
        snprintf(r->problem, sizeof r->problem, "no lumen found between the lesion point and the reference");
        *out = r;
        return LQ_OK;
    }
    const LqShape *L = &r->sections[r->lesion].shape;
    r->mla_mm2 = L->area_mm2, r->mld_mm = L->min_feret_mm, r->max_diameter_mm = L->max_feret_mm;
    LqStenosis st = lq_stenosis(r->mla_mm2, r->mld_mm, r->reference_area_mm2, r->reference_diameter_mm);
    r->diameter_stenosis_pct = st.diameter_pct;
    r->area_stenosis_pct = st.area_pct;
    r->equiv_diameter_stenosis_pct = st.equiv_diameter_pct;
    size_t seg_first, seg_last;
    if (lq_lesion_segment(r->sections, n, (size_t)r->lesion, r->reference_area_mm2, step, &seg_first, &seg_last,
                          &r->lesion_length_mm))
        r->segment_first = (int)seg_first, r->segment_last = (int)seg_last;
    /* CT's finding is on %DS, IVUS's default metric */
    r->significant = lq_stenosis_significant(lq_stenosis_pct(&st, LQ_METRIC_DIAMETER), r->threshold_pct);
    r->ok = 1;
    *out = r;
    return LQ_OK;
}
