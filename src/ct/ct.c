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
#define BEYOND_TRIGGER_MM 2.0   /* an MLA this near the lesion point may lie beyond it */

void lq_ct_options_default(LqCtOptions *o)
{
    o->step_mm = 1.0;
    o->reference_mm = 5.0;
    o->threshold_pct = 61.0;
    o->wall_weight = 4.0;
    o->recentre_passes = 5;
    o->beyond_mm = 15.0;
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

#define RESOLVED_BLURS 2.0 /* the MLD's opening disc: this many blur sigmas... */
#define RESOLVED_CAP 0.4   /* ...at most this share of the outline's caliper */

/* The sections along line (n points, taken over by r): each plane, the
 * lumen's rays in it, leaks cut back, the outline and its measures.
 * Positions are arc lengths from the first point. -1 out of memory. */
static int outline_sections(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, double *line, size_t n,
                            LqCtResult *r, int16_t *img, double *xy)
{
    free(r->points), free(r->sections), free(r->planes), free(r->outlines);
    r->points = line;
    r->n = n;
    r->sections = calloc(n, sizeof *r->sections);
    r->planes = calloc(n * 6, sizeof *r->planes);
    r->outlines = calloc(n * RAYS * 2, sizeof *r->outlines);
    double *radii = malloc(3 * n * RAYS * sizeof *radii); /* the rays, cut back at leaks, cut at shelves */
    unsigned char *found = calloc(n, 1);
    if (!r->sections || !r->planes || !r->outlines || !radii || !found) {
        free(radii), free(found);
        return -1;
    }
    double total = 0;
    for (size_t s = 0; s < n; s++) {
        if (s) {
            double d[3] = {line[3 * s] - line[3 * s - 3], line[3 * s + 1] - line[3 * s - 2],
                           line[3 * s + 2] - line[3 * s - 1]};
            total += sqrt(lq_ct_dot3(d, d));
        }
        r->sections[s].position_mm = total;
        double *u = r->planes + 6 * s, *w = u + 3;
        found[s] = lq_ct_plane(v, line, n, s, u, w) &&
                   lq_ct_section_radii(v, dsp, level, line + 3 * s, u, w, img, radii + s * RAYS,
                                       radii + (2 * n + s) * RAYS);
    }
    double *clamped = radii + n * RAYS;
    lq_ct_clamp_leaks(radii, found, n, clamped);
    for (size_t s = 0; s < n; s++) {
        if (!found[s]) continue;
        LqFrameMeasure *m = &r->sections[s];
        lq_ct_polygon(clamped + s * RAYS, xy);
        m->valid = lq_shape_measure(xy, RAYS, &m->shape) == LQ_OK && m->shape.area_mm2 >= MIN_AREA_MM2;
        if (m->valid && level->blur_mm > 0) {
            /* MLD: the caliper of what the scanner resolved: the outline
             * with its rays stopped at shelves of partial lumen
             * (lq_ct_section_radii's `resolved`; the area keeps their
             * partial volume), opened by a disc of twice the blur's sigma
             * (about its full width at half maximum), or of 0.4 of the
             * caliper in a lumen thinner than that disc could pass */
            double own[RAYS], oxy[2 * RAYS];
            const double *shelf = radii + (2 * n + s) * RAYS, *clamp = clamped + s * RAYS, *outline = xy;
            int cut = 0;
            for (int k = 0; k < RAYS; k++) own[k] = fmin(clamp[k], shelf[k]), cut |= shelf[k] < clamp[k];
            if (cut) { /* most sections have no shelf: their outline is measured already */
                LqShape cut_shape;
                lq_ct_polygon(own, oxy);
                if (lq_shape_measure(oxy, RAYS, &cut_shape) == LQ_OK) {
                    outline = oxy;
                    m->shape.min_feret_mm = cut_shape.min_feret_mm, m->shape.min_feret_angle_rad = cut_shape.min_feret_angle_rad;
                }
            }
            double rho = fmin(RESOLVED_BLURS * level->blur_mm, RESOLVED_CAP * m->shape.min_feret_mm), angle = 0;
            double resolved = lq_ct_resolved_caliper(outline, rho, &angle);
            if (resolved > 0 && resolved < m->shape.min_feret_mm) m->shape.min_feret_mm = resolved, m->shape.min_feret_angle_rad = angle;
        }
        m->confidence = 1.0;
        memcpy(r->outlines + s * RAYS * 2, xy, 2 * RAYS * sizeof *xy);
    }
    free(radii), free(found);
    return 0;
}

/* A_ref, D_ref from the sections with a lumen within reference_mm of the
 * reference point (the last section); 0 if there is none. */
static const LqFrameUse any_lumen = {0, 0};
static int find_reference(LqCtResult *r, const LqCtOptions *o)
{
    double end = r->sections[r->n - 1].position_mm;
    r->lesion = r->reference_first = r->reference_last = r->segment_first = r->segment_last = -1;
    for (size_t s = 0; s < r->n; s++)
        if (end - r->sections[s].position_mm <= o->reference_mm && r->sections[s].valid) {
            if (r->reference_first < 0) r->reference_first = (int)s;
            r->reference_last = (int)s;
        }
    return r->reference_first >= 0 && lq_reference_mean(r->sections, (size_t)r->reference_first,
                                                        (size_t)r->reference_last, any_lumen,
                                                        &r->reference_area_mm2, &r->reference_diameter_mm);
}

/* The lesion: the MLA before the reference sections (-1 if none). */
static void find_lesion(LqCtResult *r)
{
    r->lesion = r->reference_first > 0
                    ? (int)lq_mla_frame(r->sections, 0, (size_t)r->reference_first - 1, any_lumen)
                    : -1;
}

/* The vein followed up to o->beyond_mm beyond the lesion point, the
 * sections measured again along the longer line (positions from the
 * lesion point: negative beyond it), reference and MLA found again; what
 * was searched is in r->beyond_mm and r->beyond_note. -1 out of memory. */
static int search_beyond(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, const LqCtOptions *o,
                         LqCtResult *r, int16_t *img, double *xy)
{
    size_t room = (size_t)(o->beyond_mm / o->step_mm) + 1, n = r->n;
    double *ext = malloc(room * 3 * sizeof *ext), stopped;
    if (!ext) return -1;
    size_t made = lq_ct_extend(v, dsp, level, r->points, n, o->step_mm, o->beyond_mm, img, xy, ext, &stopped);
    r->beyond_mm = (double)made * o->step_mm;
    if (stopped >= 0)
        snprintf(r->beyond_note, sizeof r->beyond_note,
                 "the narrowest section was at the lesion point; beyond it the lumen ends after %.0f mm", r->beyond_mm);
    else
        snprintf(r->beyond_note, sizeof r->beyond_note,
                 "the narrowest section was at the lesion point; searched on %.0f mm beyond it", r->beyond_mm);
    if (!made) {
        free(ext);
        return 0;
    }
    double *line = malloc((made + n) * 3 * sizeof *line);
    if (!line) {
        free(ext);
        return -1;
    }
    for (size_t i = 0; i < made; i++) memcpy(line + 3 * i, ext + 3 * (made - 1 - i), 3 * sizeof *line);
    memcpy(line + 3 * made, r->points, n * 3 * sizeof *line);
    free(ext);
    /* recentred as the line was: the new points were placed one at a
     * time, and a plane fitted across the join would tilt */
    n += made;
    line = lq_ct_recentre(v, dsp, level, o->recentre_passes, line, &n, o->step_mm, img, xy);
    if (!line || outline_sections(v, dsp, level, line, n, r, img, xy) != 0) {
        if (r->points != line) free(line);
        return -1;
    }
    /* positions from the section nearest the lesion point */
    size_t nearest = 0;
    double best = INFINITY;
    for (size_t s = 0; s < n; s++) {
        double d[3] = {line[3 * s] - r->lesion_point[0], line[3 * s + 1] - r->lesion_point[1],
                       line[3 * s + 2] - r->lesion_point[2]};
        if (lq_ct_dot3(d, d) < best) best = lq_ct_dot3(d, d), nearest = s;
    }
    double at_point = r->sections[nearest].position_mm;
    for (size_t s = 0; s < r->n; s++) r->sections[s].position_mm -= at_point;
    if (find_reference(r, o)) find_lesion(r);
    return 0;
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
    r->lumen_hu = lumen;
    r->outline_points = RAYS;
    if (!line || outline_sections(v, &dsp, &level, line, n, r, img, xy) != 0) {
        if (!r->points) free(line); /* else r holds it */
        free(img), free(xy);
        lq_ct_result_free(&r);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    if (!find_reference(r, o)) {
        free(img), free(xy);
        snprintf(r->problem, sizeof r->problem, "no lumen found around the reference point");
        *out = r;
        return LQ_OK;
    }
    find_lesion(r);
    /* the narrowest section at the lesion point itself: the MLA may lie
     * beyond the click (a reader clicks near the lesion, not on its
     * narrowest section), so the vein is followed on beyond it */
    if (r->lesion >= 0 && r->sections[r->lesion].position_mm <= BEYOND_TRIGGER_MM && o->beyond_mm > 0) {
        int rc = search_beyond(v, &dsp, &level, o, r, img, xy);
        if (rc != 0) {
            free(img), free(xy);
            lq_ct_result_free(&r);
            return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
        }
    }
    free(img), free(xy);
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
    double step = r->n > 1 ? (r->sections[r->n - 1].position_mm - r->sections[0].position_mm) / (double)(r->n - 1)
                           : o->step_mm;
    if (lq_lesion_segment(r->sections, r->n, (size_t)r->lesion, r->reference_area_mm2, step, &seg_first, &seg_last,
                          &r->lesion_length_mm))
        r->segment_first = (int)seg_first, r->segment_last = (int)seg_last;
    /* CT's finding is on %DS, IVUS's default metric */
    r->significant = lq_stenosis_significant(lq_stenosis_pct(&st, LQ_METRIC_DIAMETER), r->threshold_pct);
    r->ok = 1;
    *out = r;
    return LQ_OK;
}
