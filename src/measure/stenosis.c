/* Lesion, reference and stenosis from per-frame measures, exactly as
 * domain.md ("Lesion and reference", "Stenosis"); docs/measurements.md
 * restates every definition with the choices made where it is silent. */
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IVC_SKIP_FRACTION 0.10   /* the first 10 % of the pullback is the IVC */
#define STABLE_TOLERANCE 0.15    /* reference run: CSA within +-15 % of its median */
#define RUN_MAX_GAP 3            /* low-confidence frames skipped inside a run */
#define REFERENCE_LENGTH_MM 15.0 /* central part of the run averaged (domain: ~10-20 mm) */
#define LESION_FRACTION 0.5      /* lesion segment: CSA below 50 % of A_ref */
#define MIN_RUN_MM 5.0           /* a shorter "stable" run is not a reference segment */
#define MIN_RUN_FRAMES 5         /* the same for untimed pullbacks */

void lq_measure_settings_default(LqMeasureSettings *s)
{
    memset(s, 0, sizeof *s);
    s->threshold_pct = 61.0;
    s->lesion_frame = -1;
    s->reference_first = s->reference_last = -1;
    s->low_confidence = 0.5;
    s->first_frame = s->last_frame = -1;
}

/* Frames are walked in anatomical order IVC -> CFV; k is that order's index. */
typedef struct Walk {
    const LqFrameMeasure *f;
    size_t n;
    int reversed;
    double low_conf;
} Walk;

static size_t frame_of(const Walk *w, size_t k) { return w->reversed ? w->n - 1 - k : k; }
static const LqFrameMeasure *at(const Walk *w, size_t k) { return &w->f[frame_of(w, k)]; }
static int eligible(const Walk *w, size_t k)
{
    const LqFrameMeasure *m = at(w, k);
    return m->valid && m->confidence >= w->low_conf && m->shape.area_mm2 > 0;
}

/* Fenwick tree over value ranks: the median of a growing run in O(log n). */
typedef struct Ranked {
    size_t n;
    int *tree;
    double *sorted;   /* values by rank */
    size_t *rank;     /* rank of frame k */
} Ranked;

static void fen_add(Ranked *r, size_t i, int v)
{
    for (i++; i <= r->n; i += i & (~i + 1)) r->tree[i] += v;
}

/* Smallest rank whose prefix count reaches `count` (1-based count). */
static size_t fen_find(const Ranked *r, int count)
{
    size_t pos = 0, step = 1;
    while (step * 2 <= r->n) step *= 2;
    for (; step; step /= 2)
        if (pos + step <= r->n && r->tree[pos + step] < count) pos += step, count -= r->tree[pos];
    return pos;
}

typedef struct ValueAt {
    double value;
    size_t k;
} ValueAt;

static int cmp_value(const void *a, const void *b)
{
    double x = ((const ValueAt *)a)->value, y = ((const ValueAt *)b)->value;
    return (x > y) - (x < y);
}

/* Longest run of eligible frames (gaps of up to RUN_MAX_GAP ineligible frames
 * allowed) whose CSA stays within +-15 % of the run's median. */
static int stable_run(const Walk *w, size_t skip, size_t min_len, size_t *first, size_t *last)
{
    size_t n = w->n;
    double *area = calloc(n, sizeof *area);
    ValueAt *order = calloc(n, sizeof *order);
    Ranked rk = {n, calloc(n + 1, sizeof(int)), calloc(n, sizeof(double)), calloc(n, sizeof(size_t))};
    if (!area || !order || !rk.tree || !rk.sorted || !rk.rank) {
        free(area), free(order), free(rk.tree), free(rk.sorted), free(rk.rank);
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        area[k] = at(w, k)->shape.area_mm2;
        order[k] = (ValueAt){area[k], k};
    }
    qsort(order, n, sizeof *order, cmp_value);
    for (size_t i = 0; i < n; i++) rk.sorted[i] = order[i].value, rk.rank[order[i].k] = i;

    size_t best_len = 0;
    const double ratio_limit = (1.0 + STABLE_TOLERANCE) / (1.0 - STABLE_TOLERANCE);
    for (size_t i = skip; i < n; i++) {
        if (!eligible(w, i)) continue;
        double lo = area[i], hi = area[i];
        int count = 0;
        size_t prev = i;
        size_t j;
        for (j = i; j < n; j++) {
            if (!eligible(w, j)) {
                if (j - prev > RUN_MAX_GAP) break;
                continue;
            }
            lo = fmin(lo, area[j]), hi = fmax(hi, area[j]);
            if (hi > lo * ratio_limit) break; /* cannot hold for any longer run either */
            fen_add(&rk, rk.rank[j], 1);
            count++;
            prev = j;
            /* Median of an even count: mean of the two middle values. */
            double med = 0.5 * (rk.sorted[fen_find(&rk, (count + 1) / 2)] +
                                rk.sorted[fen_find(&rk, count / 2 + 1)]);
            if (lo >= (1.0 - STABLE_TOLERANCE) * med && hi <= (1.0 + STABLE_TOLERANCE) * med &&
                j - i + 1 > best_len) {
                best_len = j - i + 1;
                *first = i, *last = j;
            }
        }
        /* Undo this start's insertions: every eligible frame before the break
         * (the frame that broke the run was not inserted). */
        for (size_t k = i; k < j; k++)
            if (eligible(w, k)) fen_add(&rk, rk.rank[k], -1);
    }
    free(area), free(order), free(rk.tree), free(rk.sorted), free(rk.rank);
    return best_len >= min_len && best_len > 0;
}

static double pos(const Walk *w, size_t k) { return at(w, k)->position_mm; }

/* Frame spacing along the pullback (mm, or 1 when untimed). */
static double frame_step(const Walk *w)
{
    if (w->n < 2) return 1.0;
    return fabs(w->f[w->n - 1].position_mm - w->f[0].position_mm) / (double)(w->n - 1);
}

/* Lesion, reference and stenosis over frames[0..n), all of the pullback. */
static int measure_pullback(const LqFrameMeasure *frames, size_t n, const LqMeasureSettings *set, LqSummary *out,
                            size_t first, LqError *err)
{
    memset(out, 0, sizeof *out);
    out->threshold_pct = set->threshold_pct;
    out->lesion_first = out->lesion_last = -1;
    out->reference_run_first = out->reference_run_last = -1;
    Walk w = {frames, n, set->pullback_from_cfv != 0, set->low_confidence};
    for (size_t i = 0; i < n; i++)
        if (!frames[i].valid || frames[i].confidence < set->low_confidence) out->low_confidence_frames++;

    /* ---- reference: in walk order [ref_k0, ref_k1] */
    size_t skip = (size_t)ceil(IVC_SKIP_FRACTION * (double)n);
    size_t run0 = 0, run1 = 0, ref0, ref1;
    if (set->reference_first >= 0) {
        out->reference_method = LQ_METHOD_USER;
        size_t a = (size_t)set->reference_first, b = (size_t)set->reference_last;
        ref0 = w.reversed ? n - 1 - b : a;
        ref1 = w.reversed ? n - 1 - a : b;
        run0 = ref0, run1 = ref1;
    } else {
        out->reference_method = LQ_METHOD_AUTO;
        size_t min_len = set->positions_are_indices ? MIN_RUN_FRAMES
                                                    : (size_t)ceil(MIN_RUN_MM / frame_step(&w) - 1e-9);
        int found = stable_run(&w, skip, min_len, &run0, &run1);
        if (found < 0) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
        if (!found) {
            snprintf(out->problem, sizeof out->problem,
                     "no stable reference segment found (no run of %zu or more frames with CSA "
                     "within 15 %% of its median); give --reference-range", min_len);
            return LQ_OK;
        }
        /* The central ~15 mm of the run (untimed: its central third). */
        double centre = 0.5 * (pos(&w, run0) + pos(&w, run1));
        double half = set->positions_are_indices ? (double)(run1 - run0) / 6.0 : REFERENCE_LENGTH_MM / 2;
        ref0 = run1, ref1 = run0;
        for (size_t k = run0; k <= run1; k++)
            if (fabs(pos(&w, k) - centre) <= half + 1e-9) {
                if (k < ref0) ref0 = k;
                if (k > ref1) ref1 = k;
            }
        if (ref0 > ref1) ref0 = ref1 = (run0 + run1) / 2;
    }
    double sum = 0;
    int used = 0;
    for (size_t k = ref0; k <= ref1; k++)
        if (out->reference_method == LQ_METHOD_USER ? at(&w, k)->valid : eligible(&w, k))
            sum += at(&w, k)->shape.area_mm2, used++;
    if (!used) {
        snprintf(out->problem, sizeof out->problem, "the reference frames have no usable contour");
        return LQ_OK;
    }
    out->reference_area_mm2 = sum / used;
    out->reference_diameter_mm = 2.0 * sqrt(out->reference_area_mm2 / LQ_PI);
    /* Report frame numbers in file order. */
    size_t f0 = frame_of(&w, ref0), f1 = frame_of(&w, ref1);
    out->reference_first = (int)LQ_MIN(f0, f1), out->reference_last = (int)LQ_MAX(f0, f1);
    f0 = frame_of(&w, run0), f1 = frame_of(&w, run1);
    out->reference_run_first = (int)LQ_MIN(f0, f1), out->reference_run_last = (int)LQ_MAX(f0, f1);

    /* ---- lesion: minimal CSA proximal to the reference (between the IVC and the run) */
    size_t lesion_k;
    if (set->lesion_frame >= 0) {
        out->lesion_method = LQ_METHOD_USER;
        lesion_k = w.reversed ? n - 1 - (size_t)set->lesion_frame : (size_t)set->lesion_frame;
        if (!at(&w, lesion_k)->valid) {
            snprintf(out->problem, sizeof out->problem, "lesion frame %zu has no contour",
                     (size_t)set->lesion_frame + first + 1);
            return LQ_OK;
        }
    } else {
        out->lesion_method = LQ_METHOD_AUTO;
        size_t start = LQ_MIN(skip, run0);
        int found = 0;
        lesion_k = start;
        for (size_t k = start; k < run0; k++)
            if (eligible(&w, k) && (!found || at(&w, k)->shape.area_mm2 < at(&w, lesion_k)->shape.area_mm2))
                lesion_k = k, found = 1;
        if (!found) {
            snprintf(out->problem, sizeof out->problem,
                     "no frames between the IVC and the reference to search for a lesion; "
                     "give --lesion-frame");
            return LQ_OK;
        }
    }
    const LqFrameMeasure *L = at(&w, lesion_k);
    out->lesion_frame = (int)frame_of(&w, lesion_k);
    out->lesion_position_mm = L->position_mm;
    out->mla_mm2 = L->shape.area_mm2;
    out->mld_mm = L->shape.min_feret_mm;
    out->lesion_max_diameter_mm = L->shape.max_feret_mm;

    /* ---- lesion segment: contiguous frames around the lesion below 50 % of A_ref */
    double limit = LESION_FRACTION * out->reference_area_mm2;
    if (L->shape.area_mm2 < limit) {
        size_t a = lesion_k, b = lesion_k;
        while (a > 0 && at(&w, a - 1)->valid && at(&w, a - 1)->shape.area_mm2 < limit) a--;
        while (b + 1 < n && at(&w, b + 1)->valid && at(&w, b + 1)->shape.area_mm2 < limit) b++;
        f0 = frame_of(&w, a), f1 = frame_of(&w, b);
        out->lesion_first = (int)LQ_MIN(f0, f1), out->lesion_last = (int)LQ_MAX(f0, f1);
        /* Each frame stands for one frame spacing of vein. */
        out->lesion_length_mm = (double)(b - a + 1) * frame_step(&w);
    }

    /* ---- stenosis, the three definitions */
    out->diameter_stenosis_pct = 100.0 * (1.0 - out->mld_mm / out->reference_diameter_mm);
    out->area_stenosis_pct = 100.0 * (1.0 - out->mla_mm2 / out->reference_area_mm2);
    out->equiv_diameter_stenosis_pct = 100.0 * (1.0 - sqrt(out->mla_mm2 / out->reference_area_mm2));
    out->significant = out->diameter_stenosis_pct > set->threshold_pct;
    out->ok = 1;
    return LQ_OK;
}

int lq_measure_frames(const LqFrameMeasure *frames, size_t n, const LqMeasureSettings *set, LqSummary *out,
                      LqError *err)
{
    LqMeasureSettings defaults, local;
    if (!set) lq_measure_settings_default(&defaults), set = &defaults;
    memset(out, 0, sizeof *out);
    if (n == 0) return lq_fail(err, LQ_ERR_DATA, "no frames");
    if (set->lesion_frame >= (int)n)
        return lq_fail(err, LQ_ERR_USAGE, "lesion frame %d out of range 1-%zu", set->lesion_frame + 1, n);
    if (set->reference_first >= 0 &&
        (set->reference_last < set->reference_first || set->reference_last >= (int)n))
        return lq_fail(err, LQ_ERR_USAGE, "reference range %d-%d out of range 1-%zu", set->reference_first + 1,
                       set->reference_last + 1, n);
    /* Frames before the pullback starts or after it stops (the catheter not
     * moving) are not part of it: search and report within the pullback. */
    size_t first = set->first_frame > 0 ? (size_t)set->first_frame : 0;
    size_t last = set->last_frame >= 0 && (size_t)set->last_frame < n ? (size_t)set->last_frame : n - 1;
    if (first > last) first = 0, last = n - 1;
    local = *set;
    if (local.lesion_frame >= 0) {
        if ((size_t)local.lesion_frame < first || (size_t)local.lesion_frame > last)
            return lq_fail(err, LQ_ERR_USAGE, "lesion frame %d is outside the pullback (frames %zu-%zu)",
                           local.lesion_frame + 1, first + 1, last + 1);
        local.lesion_frame -= (int)first;
    }
    if (local.reference_first >= 0) {
        if ((size_t)local.reference_first < first || (size_t)local.reference_last > last)
            return lq_fail(err, LQ_ERR_USAGE, "reference range %d-%d is outside the pullback (frames %zu-%zu)",
                           local.reference_first + 1, local.reference_last + 1, first + 1, last + 1);
        local.reference_first -= (int)first, local.reference_last -= (int)first;
    }
    int rc = measure_pullback(frames + first, last - first + 1, &local, out, first, err);
    int *const indices[] = {&out->reference_run_first, &out->reference_run_last, &out->reference_first,
                            &out->reference_last,     &out->lesion_frame,        &out->lesion_first,
                            &out->lesion_last};
    for (size_t i = 0; i < sizeof indices / sizeof indices[0]; i++)
        if (*indices[i] >= 0) *indices[i] += (int)first;
    return rc;
}
