/* Every narrowed segment of a pullback (docs/measurements.md, "Every
 * narrowed segment"): each run of frames whose CSA is below 50 % of its
 * reference, anywhere from the IVC to the CFV, measured with the same
 * functions as the lesion. IVC frames are measured against the IVC, never
 * against the EIV. */
#include "measure/measure.h"

#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Where the veins meet along an IVC -> CFV pullback, as a share of it past
 * the IVC: the CIV-EIV confluence at 40 %, the inguinal ligament (EIV-CFV)
 * at 83 % (docs/measurements.md gives the rule and its limits). */
#define CIV_END_SHARE 0.40
#define EIV_END_SHARE 0.83

static size_t file_frame(const LqSegmentScan *s, size_t k) { return s->reversed ? s->n - 1 - k : k; }

static int site_of(const LqSegmentScan *s, size_t k)
{
    if (k < s->ivc_frames) return LQ_SITE_IVC;
    double u = s->n > 1 ? (double)k / (double)(s->n - 1) : 0;
    return u < CIV_END_SHARE ? LQ_SITE_CIV : u < EIV_END_SHARE ? LQ_SITE_EIV : LQ_SITE_CFV;
}

/* The IVC's reference: the reference segment's rule applied within the IVC
 * frames, if that stretch is not itself narrowed — a normal IVC is about
 * twice as wide as the EIV (327 against 150 mm2), so a stretch narrower
 * than the study's reference is not one; else the published normal. The
 * patient's own EIV, not the normal value, keeps small anatomy (a child, a
 * scaled phantom) from reading as a narrowed IVC. */
static int ivc_reference(const LqSegmentScan *s, LqSummary *out)
{
    out->ivc_reference_first = out->ivc_reference_last = -1;
    out->ivc_reference_diameter_mm = LQ_IVC_NORMAL_DIAMETER_MM;
    out->ivc_reference_area_mm2 = LQ_IVC_NORMAL_AREA_MM2;
    size_t k0, k1;
    int found = lq_stable_run(s->f, s->n, s->reversed, s->low_confidence, 0, s->ivc_frames, s->min_run, &k0, &k1);
    if (found < 0) return LQ_ERR_INTERNAL;
    if (!found) return LQ_OK;
    size_t a = file_frame(s, k0), b = file_frame(s, k1);
    double area = 0, diameter = 0;
    if (!lq_reference_mean(s->f, a, b, (LqFrameUse){1, s->low_confidence}, &area, &diameter) ||
        !(area >= s->reference_area_mm2))
        return LQ_OK;
    out->ivc_reference_area_mm2 = area, out->ivc_reference_diameter_mm = diameter;
    out->ivc_reference_first = (int)LQ_MIN(a, b), out->ivc_reference_last = (int)LQ_MAX(a, b);
    return LQ_OK;
}

typedef struct Found {
    LqSegment seg;
    size_t k; /* walk index of its proximal end, for the IVC -> CFV order */
} Found;

/* The runs within walk indices [k0, k1) against one reference, appended. */
static int scan_runs(const LqSegmentScan *s, size_t k0, size_t k1, LqSegmentReference ref, double area_mm2,
                     double diameter_mm, Found **list, size_t *count, size_t *cap)
{
    if (k1 <= k0 || !(area_mm2 > 0)) return LQ_OK;
    size_t lo = LQ_MIN(file_frame(s, k0), file_frame(s, k1 - 1)), hi = LQ_MAX(file_frame(s, k0), file_frame(s, k1 - 1));
    LqFrameUse confident = {1, s->low_confidence};
    for (size_t i = lo; i <= hi; i++) {
        size_t a, b;
        double length;
        if (!s->f[i].valid || !lq_segment_run(s->f, lo, hi, i, area_mm2, s->spacing_mm, &a, &b, &length)) continue;
        i = b;
        /* a run of low-confidence frames only (one stray contour, typically) is not a finding */
        long m = lq_mla_frame(s->f, a, b, confident);
        if (m < 0) continue;
        if (*count == *cap) {
            size_t grown = *cap ? 2 * *cap : 16;
            Found *more = realloc(*list, grown * sizeof *more);
            if (!more) return LQ_ERR_INTERNAL;
            *list = more, *cap = grown;
        }
        const LqFrameMeasure *M = &s->f[m];
        LqStenosis st = lq_stenosis(M->shape.area_mm2, M->shape.min_feret_mm, area_mm2, diameter_mm);
        double pct = lq_stenosis_pct(&st, s->metric);
        size_t walk_m = file_frame(s, (size_t)m);
        Found *f = &(*list)[(*count)++];
        f->k = LQ_MIN(file_frame(s, a), file_frame(s, b));
        f->seg = (LqSegment){
            .site = site_of(s, walk_m), .first = (int)a, .last = (int)b, .mla_frame = (int)m,
            .position_mm = M->position_mm, .length_mm = length, .mla_mm2 = M->shape.area_mm2,
            .mld_mm = M->shape.min_feret_mm, .max_diameter_mm = M->shape.max_feret_mm,
            .diameter_stenosis_pct = st.diameter_pct, .area_stenosis_pct = st.area_pct,
            .equiv_diameter_stenosis_pct = st.equiv_diameter_pct, .verdict_pct = pct,
            .significant = lq_stenosis_significant(pct, s->threshold_pct), .reference = ref,
            .reference_area_mm2 = area_mm2, .reference_diameter_mm = diameter_mm};
    }
    return LQ_OK;
}

static int by_walk(const void *a, const void *b)
{
    size_t x = ((const Found *)a)->k, y = ((const Found *)b)->k;
    return (x > y) - (x < y);
}

static int worst_first(const void *a, const void *b)
{
    double x = ((const Found *)a)->seg.verdict_pct, y = ((const Found *)b)->seg.verdict_pct;
    return (x < y) - (x > y);
}

int lq_narrowed_segments(const LqSegmentScan *s, LqSummary *out)
{
    out->segment_count = out->segments_omitted = 0;
    out->ivc_first = out->ivc_last = -1;
    size_t ivc = LQ_MIN(s->ivc_frames, s->n);
    if (ivc) {
        size_t a = file_frame(s, 0), b = file_frame(s, ivc - 1);
        out->ivc_first = (int)LQ_MIN(a, b), out->ivc_last = (int)LQ_MAX(a, b);
    }
    int rc = ivc ? ivc_reference(s, out) : LQ_OK;
    Found *list = NULL;
    size_t count = 0, cap = 0;
    LqSegmentReference ivc_ref = out->ivc_reference_first >= 0 ? LQ_SEGMENT_REF_IVC : LQ_SEGMENT_REF_IVC_NORMAL;
    if (rc == LQ_OK)
        rc = scan_runs(s, 0, ivc, ivc_ref, out->ivc_reference_area_mm2, out->ivc_reference_diameter_mm, &list, &count,
                       &cap);
    if (rc == LQ_OK)
        rc = scan_runs(s, ivc, s->n, LQ_SEGMENT_REF_STUDY, s->reference_area_mm2, s->reference_diameter_mm, &list,
                       &count, &cap);
    if (rc != LQ_OK) {
        free(list);
        return rc;
    }
    if (count > LQ_MAX_SEGMENTS) { /* a ragged pullback: keep the worst */
        qsort(list, count, sizeof *list, worst_first);
        out->segments_omitted = (int)(count - LQ_MAX_SEGMENTS);
        count = LQ_MAX_SEGMENTS;
    }
    if (count > 1) qsort(list, count, sizeof *list, by_walk); /* list is NULL when none */
    for (size_t i = 0; i < count; i++) out->segments[i] = list[i].seg;
    out->segment_count = (int)count;
    free(list);
    return LQ_OK;
}

int lq_segment_holding(const LqSummary *s, int frame)
{
    for (int i = 0; i < s->segment_count; i++)
        if (frame >= s->segments[i].first && frame <= s->segments[i].last) return i;
    return -1;
}
