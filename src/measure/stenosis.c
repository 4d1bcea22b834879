/* Lesion, reference and stenosis from per-frame measures, exactly as
 * docs/measurements.md defines them ("Clinical basis", "Per study"),
 * with the choices made where the clinical definition is silent. */
#include "measure/measure.h"

#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IVC_SKIP_FRACTION 0.10   /* the first 10 % of the pullback is the IVC */
#define STABLE_TOLERANCE 0.15    /* reference run: CSA within +-15 % of its median */
#define RUN_MAX_GAP 3            /* low-confidence frames skipped inside a run */
#define REFERENCE_LENGTH_MM 15.0 /* central part of the run averaged (~10-20 mm of vein) */
#define MIN_RUN_MM 5.0           /* a shorter "stable" run is not a reference segment */
#define MIN_RUN_FRAMES 5         /* the same for untimed pullbacks */
#define MIN_RUN_FRAMES_TIMED 3   /* and never fewer frames than this */
#define MIN_PULLBACK_FRAMES 3    /* fewer: nothing to compare */
#define DYNAMIC_BREATH_S 5.0     /* dynamic lesion: a breath (4-6 s) of pullback on each side of the lesion */
#define DYNAMIC_ASSUMED_RATE 1.0 /* mm/s when the measurement is not told the rate: the motorised speed */
#define DYNAMIC_NEIGHBOURHOOD_MM 5.0 /* the window never reaches further: half the shortest lesions */
#define DYNAMIC_WINDOW_FRAMES 10 /* the window of untimed pullbacks */
#define DYNAMIC_MIN_FRAMES 7     /* fewer usable frames: not judged */
#define DYNAMIC_SMOOTH_MM 0.5    /* running median half-width before looking for a re-narrowing */
#define DYNAMIC_FRAMES_PER_BREATH 5 /* sparser frames alias a breath */
#define STENT_OVERSIZE_MIN_MM 1.0
#define STENT_OVERSIZE_MAX_MM 4.0
#define STENT_MIN_LENGTH_MM 60.0 /* shorter stents account for most migrations */
#define LANDING_MM 10.0          /* landing zone beyond each end of the diseased vein */

void lq_measure_settings_default(LqMeasureSettings *s)
{
    memset(s, 0, sizeof *s);
    s->threshold_pct = 61.0;
    s->metric = LQ_METRIC_DIAMETER;
    s->lesion_frame = -1;
    s->lesion_first = s->lesion_last = -1;
    s->reference_first = s->reference_last = -1;
    s->reference_normal = -1;
    s->low_confidence = 0.5;
    s->first_frame = s->last_frame = -1;
    s->dynamic_threshold_pct = LQ_DYNAMIC_THRESHOLD_PCT;
}

/* ---- the measures IVUS and CT share (measure/measure.h) */

int lq_frame_usable(const LqFrameMeasure *m, LqFrameUse use)
{
    return m->valid && (!use.confident || (m->confidence >= use.min_confidence && m->shape.area_mm2 > 0));
}

double lq_equiv_diameter(double area_mm2) { return 2.0 * sqrt(area_mm2 / LQ_PI); }

int lq_reference_mean(const LqFrameMeasure *f, size_t from, size_t to, LqFrameUse use, double *area_mm2,
                      double *diameter_mm)
{
    double sum = 0;
    int used = 0;
    for (size_t i = from;; i = to >= from ? i + 1 : i - 1) {
        if (lq_frame_usable(&f[i], use)) sum += f[i].shape.area_mm2, used++;
        if (i == to) break;
    }
    if (used) *area_mm2 = sum / used, *diameter_mm = lq_equiv_diameter(*area_mm2);
    return used;
}

long lq_mla_frame(const LqFrameMeasure *f, size_t from, size_t to, LqFrameUse use)
{
    long best = -1;
    for (size_t i = from;; i = to >= from ? i + 1 : i - 1) {
        if (lq_frame_usable(&f[i], use) && (best < 0 || f[i].shape.area_mm2 < f[best].shape.area_mm2)) best = (long)i;
        if (i == to) break;
    }
    return best;
}

int lq_segment_run(const LqFrameMeasure *f, size_t lo, size_t hi, size_t frame, double reference_area_mm2,
                   double spacing_mm, size_t *first, size_t *last, double *length_mm)
{
    double limit = LQ_LESION_FRACTION * reference_area_mm2;
    if (!(f[frame].shape.area_mm2 < limit)) return 0;
    size_t a = frame, b = frame;
    while (a > lo && f[a - 1].valid && f[a - 1].shape.area_mm2 < limit) a--;
    while (b < hi && f[b + 1].valid && f[b + 1].shape.area_mm2 < limit) b++;
    *first = a, *last = b;
    *length_mm = (double)(b - a + 1) * spacing_mm;
    return 1;
}

int lq_lesion_segment(const LqFrameMeasure *f, size_t n, size_t lesion, double reference_area_mm2, double spacing_mm,
                      size_t *first, size_t *last, double *length_mm)
{
    return lq_segment_run(f, 0, n - 1, lesion, reference_area_mm2, spacing_mm, first, last, length_mm);
}

LqStenosis lq_stenosis(double mla_mm2, double mld_mm, double reference_area_mm2, double reference_diameter_mm)
{
    LqStenosis s;
    s.diameter_pct = 100.0 * (1.0 - mld_mm / reference_diameter_mm);
    s.area_pct = 100.0 * (1.0 - mla_mm2 / reference_area_mm2);
    s.equiv_diameter_pct = 100.0 * (1.0 - sqrt(mla_mm2 / reference_area_mm2));
    return s;
}

double lq_stenosis_pct(const LqStenosis *s, LqMetric metric)
{
    return metric == LQ_METRIC_AREA             ? s->area_pct
           : metric == LQ_METRIC_EQUIV_DIAMETER ? s->equiv_diameter_pct
                                                : s->diameter_pct;
}

int lq_stenosis_significant(double pct, double threshold_pct) { return pct > threshold_pct; }

static const char *const vein_labels[] = {"CFV", "EIV", "CIV"}; /* for reports, by LqVein */

/* Frames are walked in anatomical order IVC -> CFV; k is that order's index. */
typedef struct Walk {
    const LqFrameMeasure *f;
    size_t n;
    int reversed;
    double low_conf;
} Walk;

static size_t frame_of(const Walk *w, size_t k) { return w->reversed ? w->n - 1 - k : k; }
static const LqFrameMeasure *at(const Walk *w, size_t k) { return &w->f[frame_of(w, k)]; }
static LqFrameUse confident(const Walk *w) { return (LqFrameUse){1, w->low_conf}; }
static int eligible(const Walk *w, size_t k) { return lq_frame_usable(at(w, k), confident(w)); }

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
static int stable_run(const Walk *w, size_t skip, size_t end, size_t min_len, size_t *first, size_t *last)
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
    for (size_t i = skip; i < end; i++) {
        if (!eligible(w, i)) continue;
        double lo = area[i], hi = area[i];
        int count = 0;
        size_t prev = i;
        size_t j;
        for (j = i; j < end; j++) {
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

int lq_stable_run(const LqFrameMeasure *f, size_t n, int reversed, double low_confidence, size_t from, size_t to,
                  size_t min_len, size_t *first, size_t *last)
{
    Walk w = {f, n, reversed, low_confidence};
    return stable_run(&w, from, LQ_MIN(to, n), min_len, first, last);
}

static double pos(const Walk *w, size_t k) { return at(w, k)->position_mm; }

/* Frame spacing along the pullback (mm, or 1 when untimed). */
static double frame_step(const Walk *w)
{
    if (w->n < 2) return 1.0;
    return fabs(w->f[w->n - 1].position_mm - w->f[0].position_mm) / (double)(w->n - 1);
}

static void to_file_order(const Walk *w, size_t k0, size_t k1, int *first, int *last)
{
    size_t f0 = frame_of(w, k0), f1 = frame_of(w, k1);
    *first = (int)LQ_MIN(f0, f1), *last = (int)LQ_MAX(f0, f1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Dynamic lesion (docs/measurements.md, 7.: area varying strongly from frame
 * to frame at the same place). A fixed lesion's lumen only widens walking away from the MLA
 * on either side, however sharp the narrowing; a lesion that comes and goes
 * with breathing or position opens and then narrows again within a breath
 * (a few mm of pullback). On each side, within the window, the areas are
 * smoothed (running median over +-0.5 mm and at least the two neighbours, so
 * one stray frame does not count)
 * and the largest fall after a rise is taken; the figure is that fall in
 * percent of the MLA. Measured on the phantoms (docs/phantom.md): 0 % on
 * every static seed, 7-52 % on the dynamic ones; flagged at 5 %. */
static int dynamic_check(const Walk *w, size_t lesion_k, int untimed, double rate_mm_s, LqSummary *out)
{
    /* the window follows the pullback's speed: a breath of pullback on each side */
    double rate = rate_mm_s > 0 ? rate_mm_s : DYNAMIC_ASSUMED_RATE;
    double half = untimed ? DYNAMIC_WINDOW_FRAMES : DYNAMIC_BREATH_S * rate;
    /* at least one neighbour on each side, however sparse the frames */
    double smooth_half = untimed ? 1.0 : fmax(DYNAMIC_SMOOTH_MM, 1.01 * frame_step(w));
    out->dynamic_window_mm = untimed ? half : fmin(half, DYNAMIC_NEIGHBOURHOOD_MM);
    if (!untimed && half > DYNAMIC_NEIGHBOURHOOD_MM + 1e-9) {
        snprintf(out->dynamic_note, sizeof out->dynamic_note,
                 "at %.3g mm/s a breath is %.3g mm of pullback, more than the lesion's +-%d mm; "
                 "record it stationary", rate, half, (int)DYNAMIC_NEIGHBOURHOOD_MM);
        return 0;
    }
    if (!untimed && half / frame_step(w) < DYNAMIC_FRAMES_PER_BREATH - 1e-9) {
        snprintf(out->dynamic_note, sizeof out->dynamic_note,
                 "frames %.1f mm apart, %.1f in a breath's %.0f mm, too sparse to see breathing (%d at least)",
                 frame_step(w), half / frame_step(w), half, DYNAMIC_FRAMES_PER_BREATH);
        return 0;
    }
    double x0 = untimed ? (double)lesion_k : pos(w, lesion_k);
    size_t k0 = lesion_k, k1 = lesion_k; /* window in walk order */
    while (k0 > 0 && fabs((untimed ? (double)(k0 - 1) : pos(w, k0 - 1)) - x0) <= half + 1e-9) k0--;
    while (k1 + 1 < w->n && fabs((untimed ? (double)(k1 + 1) : pos(w, k1 + 1)) - x0) <= half + 1e-9) k1++;
    size_t m = k1 - k0 + 1;
    double *x = malloc(m * sizeof *x), *area = malloc(m * sizeof *area), *sm = malloc(m * sizeof *sm);
    double *scratch = malloc(m * sizeof *scratch);
    if (!x || !area || !sm || !scratch) {
        free(x), free(area), free(sm), free(scratch);
        return -1;
    }
    size_t used = 0, centre = 0;
    double lo = INFINITY, hi = 0;
    for (size_t k = k0; k <= k1; k++) {
        if (!eligible(w, k) && k != lesion_k) continue;
        if (k == lesion_k) centre = used;
        x[used] = untimed ? (double)k : pos(w, k);
        area[used] = at(w, k)->shape.area_mm2;
        lo = fmin(lo, area[used]), hi = fmax(hi, area[used]);
        used++;
    }
    out->dynamic_frames = (int)used;
    if (used < DYNAMIC_MIN_FRAMES)
        snprintf(out->dynamic_note, sizeof out->dynamic_note, "%zu usable frames within +-%.0f %s of the lesion",
                 used, half, untimed ? "frames" : "mm");
    if (used >= DYNAMIC_MIN_FRAMES) {
        for (size_t i = 0; i < used; i++) {
            size_t c = 0;
            for (size_t j = 0; j < used; j++)
                if (fabs(x[j] - x[i]) <= smooth_half + 1e-9) scratch[c++] = area[j];
            qsort(scratch, c, sizeof *scratch, cmp_double);
            sm[i] = c % 2 ? scratch[c / 2] : 0.5 * (scratch[c / 2 - 1] + scratch[c / 2]);
        }
        double fall = 0;
        for (int side = -1; side <= 1; side += 2) {
            double peak = sm[centre];
            for (size_t i = centre;; i += (size_t)side) {
                peak = fmax(peak, sm[i]);
                fall = fmax(fall, peak - sm[i]);
                if ((side < 0 && i == 0) || (side > 0 && i + 1 >= used)) break;
            }
        }
        out->dynamic_checked = 1;
        out->dynamic_variation_pct = 100.0 * fall / at(w, lesion_k)->shape.area_mm2;
        out->dynamic = out->dynamic_variation_pct >= LQ_DYNAMIC_VARIATION_PCT;
        out->dynamic_area_min_mm2 = lo, out->dynamic_area_max_mm2 = hi;
    }
    free(x), free(area), free(sm), free(scratch);
    return 0;
}

static const int stent_diameters_mm[] = {12, 14, 16, 18, 20, 22, 24};
static const int stent_lengths_mm[] = {60, 80, 100, 120, 140, 150};

/* Stent sizing (docs/measurements.md, 8.): diameter D_ref + 1..4 mm; length covering the
 * lesion segment with a landing zone above it and reaching LANDING_MM into
 * the straight EIV (the stable run) below it, never under 60 mm, rounded up
 * to a nominal length. Segment ends are walk indices a <= b. */
static void stent_sizing(const Walk *w, size_t a, size_t b, int have_run, size_t run0, int untimed, LqSummary *out)
{
    out->stent_diameter_min_mm = out->reference_diameter_mm + STENT_OVERSIZE_MIN_MM;
    out->stent_diameter_max_mm = out->reference_diameter_mm + STENT_OVERSIZE_MAX_MM;
    for (size_t i = 0; i < sizeof stent_diameters_mm / sizeof stent_diameters_mm[0]; i++)
        if (stent_diameters_mm[i] >= out->stent_diameter_min_mm - 1e-9 &&
            stent_diameters_mm[i] <= out->stent_diameter_max_mm + 1e-9)
            out->stent_sizes_mm[out->stent_size_count++] = stent_diameters_mm[i];
    if (untimed || w->n < 2) return;
    size_t distal = have_run && run0 > b ? run0 : b;
    double dir = pos(w, w->n - 1) >= pos(w, 0) ? 1.0 : -1.0;   /* positions grow towards the CFV */
    out->stent_span_from_mm = pos(w, a) - dir * LANDING_MM;
    out->stent_span_to_mm = pos(w, distal) + dir * LANDING_MM;
    out->stent_span_mm = fabs(out->stent_span_to_mm - out->stent_span_from_mm);
    out->stent_length_known = 1;
    double need = fmax(out->stent_span_mm, STENT_MIN_LENGTH_MM);
    for (size_t i = 0; i < sizeof stent_lengths_mm / sizeof stent_lengths_mm[0]; i++)
        if (stent_lengths_mm[i] >= need - 1e-9) {
            out->stent_length_mm = stent_lengths_mm[i];
            break;
        }
}

/* Every narrowed segment (segments.c); the worst of those measured against
 * the study's reference becomes the automatic lesion when it is worse, by the
 * verdict's metric, than the MLA found proximal to the EIV (a narrowing in
 * the EIV or CFV beyond it). *lesion_k is a walk index. */
static int lesion_at_worst_segment(const Walk *w, size_t skip, size_t min_len, const LqMeasureSettings *set,
                                   size_t *lesion_k, LqSummary *out)
{
    LqSegmentScan scan = {w->f, w->n, w->reversed, w->low_conf, skip, min_len, frame_step(w),
                          out->reference_area_mm2, out->reference_diameter_mm, set->metric, set->threshold_pct};
    int rc = lq_narrowed_segments(&scan, out);
    if (rc != LQ_OK || out->lesion_method != LQ_METHOD_AUTO) return rc;
    const LqSegment *worst = NULL;
    for (int i = 0; i < out->segment_count; i++) {
        const LqSegment *g = &out->segments[i];
        if (g->reference == LQ_SEGMENT_REF_STUDY && (!worst || g->verdict_pct > worst->verdict_pct)) worst = g;
    }
    int lesion = (int)frame_of(w, *lesion_k);
    if (!worst || (lesion >= worst->first && lesion <= worst->last)) return LQ_OK;
    const LqFrameMeasure *L = &w->f[lesion];
    LqStenosis st = lq_stenosis(L->shape.area_mm2, L->shape.min_feret_mm, out->reference_area_mm2,
                                out->reference_diameter_mm);
    if (!(worst->verdict_pct > lq_stenosis_pct(&st, set->metric))) return LQ_OK;
    *lesion_k = frame_of(w, (size_t)worst->mla_frame);
    out->lesion_moved_to_worst = 1;
    return LQ_OK;
}

/* The stent covers every segment to be treated (over the threshold) as well
 * as the lesion's: [*a, *b] (walk indices) grows to hold them. */
static void stent_span_segments(const Walk *w, size_t *a, size_t *b, LqSummary *out)
{
    for (int i = 0; i < out->segment_count; i++) {
        const LqSegment *g = &out->segments[i];
        if (!g->significant) continue;
        size_t k0 = frame_of(w, (size_t)g->first), k1 = frame_of(w, (size_t)g->last);
        *a = LQ_MIN(*a, LQ_MIN(k0, k1));
        *b = LQ_MAX(*b, LQ_MAX(k0, k1));
        out->stent_segments++;
    }
}

/* Lesion, reference and stenosis over frames[0..n), all of the pullback. */
static int measure_pullback(const LqFrameMeasure *frames, size_t n, const LqMeasureSettings *set, LqSummary *out,
                            int given_lesion_frame, LqError *err)
{
    memset(out, 0, sizeof *out);
    out->threshold_pct = set->threshold_pct;
    out->metric = set->metric;
    out->lesion_first = out->lesion_last = -1;
    out->reference_first = out->reference_last = -1;
    out->reference_run_first = out->reference_run_last = -1;
    out->lesion_search_first = out->lesion_search_last = -1;
    out->ivc_first = out->ivc_last = out->ivc_reference_first = out->ivc_reference_last = -1;
    Walk w = {frames, n, set->pullback_from_cfv != 0, set->low_confidence};
    for (size_t i = 0; i < n; i++)
        if (!frames[i].valid || frames[i].confidence < set->low_confidence) out->low_confidence_frames++;
    if (n < MIN_PULLBACK_FRAMES) {
        snprintf(out->problem, sizeof out->problem,
                 "only %zu frame%s in the pullback: a lesion and a reference need a pullback of several frames", n,
                 n == 1 ? "" : "s");
        return LQ_OK;
    }
    if ((size_t)out->low_confidence_frames == n) {
        snprintf(out->problem, sizeof out->problem,
                 "no frame has a confident lumen contour (%zu of %zu below confidence %.2f): blank or noise "
                 "images, or not an IVUS pullback", n, n, set->low_confidence);
        return LQ_OK;
    }

    /* ---- the straight EIV: the stable run (walk order [run0, run1]) */
    size_t skip = (size_t)ceil(IVC_SKIP_FRACTION * (double)n);
    size_t run0 = 0, run1 = 0, ref0 = 0, ref1 = 0;
    int have_run = 0;
    size_t min_len = set->positions_are_indices ? MIN_RUN_FRAMES : (size_t)ceil(MIN_RUN_MM / frame_step(&w) - 1e-9);
    if (min_len < MIN_RUN_FRAMES_TIMED) min_len = MIN_RUN_FRAMES_TIMED; /* a coarse pullback: a few frames at least */
    if (set->reference_first >= 0) {
        size_t a = (size_t)set->reference_first, b = (size_t)set->reference_last;
        ref0 = run0 = w.reversed ? n - 1 - b : a;
        ref1 = run1 = w.reversed ? n - 1 - a : b;
        have_run = 1;
    } else {
        have_run = stable_run(&w, skip, n, min_len, &run0, &run1);
        if (have_run < 0) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    if (have_run) to_file_order(&w, run0, run1, &out->reference_run_first, &out->reference_run_last);

    /* ---- reference: this pullback's EIV run, the user's frames, another
     * pullback, or Raju's normal value (asked for, or when no run exists) */
    int normal_vein = set->reference_normal;
    int no_run_fallback = set->reference_first < 0 && normal_vein < 0 && !(set->external_reference_area_mm2 > 0) &&
                          !have_run;
    if (no_run_fallback) normal_vein = LQ_VEIN_EIV;
    if (set->reference_first >= 0 || (normal_vein < 0 && !(set->external_reference_area_mm2 > 0))) {
        if (set->reference_first >= 0) {
            out->reference_method = LQ_METHOD_USER;
        } else {
            out->reference_method = LQ_METHOD_AUTO;
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
        LqFrameUse use = out->reference_method == LQ_METHOD_USER ? (LqFrameUse){0, 0} : confident(&w);
        if (!lq_reference_mean(frames, frame_of(&w, ref0), frame_of(&w, ref1), use, &out->reference_area_mm2,
                               &out->reference_diameter_mm)) {
            snprintf(out->problem, sizeof out->problem, "the reference frames have no usable contour");
            return LQ_OK;
        }
        to_file_order(&w, ref0, ref1, &out->reference_first, &out->reference_last);
    } else if (normal_vein >= 0) {
        out->reference_method = LQ_METHOD_NORMAL;
        lq_vein_normal((LqVein)normal_vein, &out->reference_diameter_mm, &out->reference_area_mm2);
        snprintf(out->reference_note, sizeof out->reference_note,
                 "%sRaju normal value for the %s (%.0f mm, %.0f mm2), not measured on this patient",
                 no_run_fallback ? "no stable EIV segment in this pullback (no run of enough frames with CSA "
                                   "within 15 % of its median); "
                                 : "",
                 vein_labels[normal_vein], out->reference_diameter_mm, out->reference_area_mm2);
    } else {
        out->reference_method = LQ_METHOD_EXTERNAL;
        out->reference_area_mm2 = set->external_reference_area_mm2;
        out->reference_diameter_mm = set->external_reference_diameter_mm > 0
                                         ? set->external_reference_diameter_mm
                                         : lq_equiv_diameter(out->reference_area_mm2);
        snprintf(out->reference_note, sizeof out->reference_note, "%s", set->external_reference_note);
    }

    /* ---- lesion: minimal CSA proximal to the straight EIV (between the IVC
     * and the run), or in the user's range, or the user's frame */
    size_t lesion_k = 0;
    if (set->lesion_frame >= 0) {
        out->lesion_method = LQ_METHOD_USER;
        lesion_k = w.reversed ? n - 1 - (size_t)set->lesion_frame : (size_t)set->lesion_frame;
        if (!at(&w, lesion_k)->valid) {
            snprintf(out->problem, sizeof out->problem, "lesion frame %d has no contour", given_lesion_frame + 1);
            return LQ_OK;
        }
    } else {
        size_t s0, s1; /* walk order, [s0, s1) */
        if (set->lesion_first >= 0) {
            out->lesion_method = LQ_METHOD_USER;
            size_t a = (size_t)set->lesion_first, b = (size_t)set->lesion_last;
            s0 = w.reversed ? n - 1 - b : a;
            s1 = (w.reversed ? n - 1 - a : b) + 1;
        } else {
            out->lesion_method = LQ_METHOD_AUTO;
            s0 = have_run ? LQ_MIN(skip, run0) : skip;
            s1 = have_run ? run0 : n;
        }
        /* confident frames first; in a user range, any frame with a contour */
        long mla = -1;
        if (s1 > s0) {
            mla = lq_mla_frame(frames, frame_of(&w, s0), frame_of(&w, s1 - 1), confident(&w));
            if (mla < 0 && out->lesion_method == LQ_METHOD_USER)
                mla = lq_mla_frame(frames, frame_of(&w, s0), frame_of(&w, s1 - 1), (LqFrameUse){0, 0});
        }
        int found = mla >= 0;
        if (found) lesion_k = frame_of(&w, (size_t)mla); /* the walk index of that frame */
        if (s1 > s0) to_file_order(&w, s0, s1 - 1, &out->lesion_search_first, &out->lesion_search_last);
        if (!found) {
            snprintf(out->problem, sizeof out->problem,
                     out->lesion_method == LQ_METHOD_USER
                         ? "no frame of the lesion range has a contour"
                         : "no frames between the IVC and the reference to search for a lesion; "
                           "give --lesion-frame or --lesion-range");
            return LQ_OK;
        }
    }
    int rc = lesion_at_worst_segment(&w, skip, min_len, set, &lesion_k, out);
    if (rc != LQ_OK) return lq_fail(err, rc, "out of memory");
    const LqFrameMeasure *L = at(&w, lesion_k);
    out->lesion_frame = (int)frame_of(&w, lesion_k);
    out->lesion_position_mm = L->position_mm;
    out->mla_mm2 = L->shape.area_mm2;
    out->mld_mm = L->shape.min_feret_mm;
    out->lesion_max_diameter_mm = L->shape.max_feret_mm;

    /* ---- lesion segment: contiguous frames around the lesion below 50 % of A_ref */
    size_t seg_a = lesion_k, seg_b = lesion_k, seg_first, seg_last;
    if (lq_lesion_segment(frames, n, frame_of(&w, lesion_k), out->reference_area_mm2, frame_step(&w), &seg_first,
                          &seg_last, &out->lesion_length_mm)) {
        out->lesion_first = (int)seg_first, out->lesion_last = (int)seg_last;
        seg_a = frame_of(&w, w.reversed ? seg_last : seg_first), seg_b = frame_of(&w, w.reversed ? seg_first : seg_last);
    }

    /* ---- stenosis, the three definitions, and the verdict on the chosen one */
    LqStenosis st = lq_stenosis(out->mla_mm2, out->mld_mm, out->reference_area_mm2, out->reference_diameter_mm);
    out->diameter_stenosis_pct = st.diameter_pct;
    out->area_stenosis_pct = st.area_pct;
    out->equiv_diameter_stenosis_pct = st.equiv_diameter_pct;
    out->verdict_pct = lq_stenosis_pct(&st, set->metric);
    out->significant = lq_stenosis_significant(out->verdict_pct, set->threshold_pct);
    int holding = lq_segment_holding(out, out->lesion_frame);
    if (holding >= 0) out->segments[holding].lesion = 1;

    if (dynamic_check(&w, lesion_k, set->positions_are_indices, set->pullback_rate_mm_s, out) < 0)
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    stent_span_segments(&w, &seg_a, &seg_b, out);
    stent_sizing(&w, seg_a, seg_b, have_run, run0, set->positions_are_indices, out);
    out->ok = 1;
    return LQ_OK;
}

/* A user range [*a, *b] (0-based file frames; *a < 0: none) checked against
 * the frames and the pullback proper [first, last], then made relative to it. */
static int user_range(const char *what, int *a, int *b, size_t n, size_t first, size_t last, LqError *err)
{
    if (*a < 0) return LQ_OK;
    char given[48];
    if (*a == *b)
        snprintf(given, sizeof given, "%d", *a + 1);
    else
        snprintf(given, sizeof given, "%d-%d", *a + 1, *b + 1);
    if (*b < *a || (size_t)*b >= n)
        return lq_fail(err, LQ_ERR_USAGE, "%s %s out of range: frames 1-%zu", what, given, n);
    if ((size_t)*a < first || (size_t)*b > last)
        return lq_fail(err, LQ_ERR_USAGE, "%s %s is outside the pullback: frames %zu-%zu", what, given, first + 1,
                       last + 1);
    *a -= (int)first, *b -= (int)first;
    return LQ_OK;
}

static const char *const metric_names[] = {"diameter", "area", "eqdiameter"};
static const char *const vein_names[] = {"cfv", "eiv", "civ"};
/* Raju's normal values (docs/measurements.md, "Clinical basis"): diameter mm, area mm2 */
static const double vein_normals[][2] = {{12.0, 125.0}, {14.0, 150.0}, {16.0, 200.0}};

const char *lq_metric_name(LqMetric m) { return (unsigned)m < 3 ? metric_names[m] : "?"; }
const char *lq_vein_name(LqVein v) { return (unsigned)v < 3 ? vein_names[v] : "?"; }

static int index_of(const char *const *names, int count, const char *name)
{
    for (int i = 0; name && i < count; i++)
        if (strcmp(names[i], name) == 0) return i;
    return -1;
}

int lq_metric_from_name(const char *name) { return index_of(metric_names, 3, name); }
int lq_vein_from_name(const char *name) { return index_of(vein_names, 3, name); }

void lq_vein_normal(LqVein v, double *diameter_mm, double *area_mm2)
{
    if ((unsigned)v >= 3) v = LQ_VEIN_EIV;
    *diameter_mm = vein_normals[v][0];
    *area_mm2 = vein_normals[v][1];
}

/* The places along the vein: consecutive frames at one position (a pause of
 * the pullback, the catheter held still: dynamics.c) are one place, measured
 * by one frame, as on the same pullback without the pause: the user's lesion
 * frame when it is there, else the place's narrowest confident frame (the
 * place's minimal lumen area; a breathing lesion at its narrowest), else its
 * first. */
typedef struct Places {
    size_t n;                 /* 0: every frame is a place of its own */
    size_t *from, *to, *rep;  /* per place: its frames, and the one measured */
    size_t *of;               /* per frame: its place */
    LqFrameMeasure *f;        /* the measured frames, one per place */
} Places;

static void places_free(Places *p)
{
    free(p->from), free(p->to), free(p->rep), free(p->of), free(p->f);
    memset(p, 0, sizeof *p);
}

static int same_place(const LqFrameMeasure *f, size_t i) { return i > 0 && f[i].position_mm == f[i - 1].position_mm; }

static int places_of(const LqFrameMeasure *f, size_t n, int untimed, double low_confidence, int keep, Places *p)
{
    memset(p, 0, sizeof *p);
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += !same_place(f, i);
    if (untimed || count == n) return LQ_OK;
    p->from = malloc(count * sizeof *p->from), p->to = malloc(count * sizeof *p->to);
    p->rep = malloc(count * sizeof *p->rep), p->of = malloc(n * sizeof *p->of), p->f = malloc(count * sizeof *p->f);
    if (!p->from || !p->to || !p->rep || !p->of || !p->f) {
        places_free(p);
        return LQ_ERR_INTERNAL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && !same_place(f, i)) k++;
        if (!same_place(f, i)) p->from[k] = p->rep[k] = i;
        p->to[k] = i, p->of[i] = k;
    }
    for (k = 0; k < count; k++) {
        long narrowest = lq_mla_frame(f, p->from[k], p->to[k], (LqFrameUse){1, low_confidence});
        if (narrowest >= 0) p->rep[k] = (size_t)narrowest;
    }
    if (keep >= 0) p->rep[p->of[keep]] = (size_t)keep;
    for (k = 0; k < count; k++) p->f[k] = f[p->rep[k]];
    p->n = count;
    return LQ_OK;
}

/* A summary measured over the places, in frames again (relative to f):
 * a range from the first frame of its first place to the last of its last. */
static void places_to_frames(const Places *p, const LqFrameMeasure *f, size_t n, double low_confidence, LqSummary *out)
{
    int *const firsts[] = {&out->reference_run_first, &out->reference_first,     &out->lesion_first,
                           &out->lesion_search_first, &out->ivc_first,           &out->ivc_reference_first};
    int *const lasts[] = {&out->reference_run_last, &out->reference_last, &out->lesion_last,
                          &out->lesion_search_last, &out->ivc_last,       &out->ivc_reference_last};
    for (size_t i = 0; i < sizeof firsts / sizeof firsts[0]; i++) {
        if (*firsts[i] >= 0) *firsts[i] = (int)p->from[*firsts[i]];
        if (*lasts[i] >= 0) *lasts[i] = (int)p->to[*lasts[i]];
    }
    if (out->lesion_frame >= 0) out->lesion_frame = (int)p->rep[out->lesion_frame];
    for (int i = 0; i < out->segment_count; i++) {
        LqSegment *g = &out->segments[i];
        g->first = (int)p->from[g->first], g->last = (int)p->to[g->last], g->mla_frame = (int)p->rep[g->mla_frame];
    }
    out->low_confidence_frames = 0;
    for (size_t i = 0; i < n; i++) out->low_confidence_frames += !f[i].valid || f[i].confidence < low_confidence;
}

int lq_measure_frames(const LqFrameMeasure *frames, size_t n, const LqMeasureSettings *set, LqSummary *out,
                      LqError *err)
{
    LqMeasureSettings defaults, local;
    if (!set) lq_measure_settings_default(&defaults), set = &defaults;
    memset(out, 0, sizeof *out);
    if (n == 0) return lq_fail(err, LQ_ERR_DATA, "no frames");
    if ((unsigned)set->metric > LQ_METRIC_EQUIV_DIAMETER) return lq_fail(err, LQ_ERR_USAGE, "unknown metric");
    if (set->reference_normal > LQ_VEIN_CIV) return lq_fail(err, LQ_ERR_USAGE, "unknown vein for normal values");
    if (!(set->dynamic_threshold_pct > 0 && set->dynamic_threshold_pct < 100))
        return lq_fail(err, LQ_ERR_USAGE, "the dynamic threshold must lie between 0 and 100 %%");
    if (!(set->external_reference_area_mm2 >= 0) || !(set->external_reference_diameter_mm >= 0) ||
        !isfinite(set->external_reference_area_mm2) || !isfinite(set->external_reference_diameter_mm))
        return lq_fail(err, LQ_ERR_USAGE, "external reference area or diameter is not a positive number");
    int references = (set->reference_first >= 0) + (set->reference_normal >= 0) + (set->external_reference_area_mm2 > 0);
    if (references > 1)
        return lq_fail(err, LQ_ERR_USAGE, "give one reference: frames, another file or normal values");
    if (set->lesion_frame >= 0 && set->lesion_first >= 0)
        return lq_fail(err, LQ_ERR_USAGE, "give a lesion frame or a lesion range, not both");
    /* Frames before the pullback starts or after it stops (the catheter not
     * moving) are not part of it: search and report within the pullback. */
    size_t first = set->first_frame > 0 ? (size_t)set->first_frame : 0;
    size_t last = set->last_frame >= 0 && (size_t)set->last_frame < n ? (size_t)set->last_frame : n - 1;
    if (first > last) first = 0, last = n - 1;
    local = *set;
    int lesion_last = local.lesion_frame;
    int rc = user_range("lesion frame", &local.lesion_frame, &lesion_last, n, first, last, err);
    if (rc == LQ_OK) rc = user_range("lesion range", &local.lesion_first, &local.lesion_last, n, first, last, err);
    if (rc == LQ_OK)
        rc = user_range("reference range", &local.reference_first, &local.reference_last, n, first, last, err);
    if (rc != LQ_OK) return rc;
    Places places;
    if (places_of(frames + first, last - first + 1, local.positions_are_indices, local.low_confidence,
                  local.lesion_frame, &places) != LQ_OK)
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    if (places.n) {
        int *const given[] = {&local.lesion_frame, &local.lesion_first, &local.lesion_last, &local.reference_first,
                              &local.reference_last};
        for (size_t i = 0; i < sizeof given / sizeof given[0]; i++)
            if (*given[i] >= 0) *given[i] = (int)places.of[*given[i]];
        rc = measure_pullback(places.f, places.n, &local, out, set->lesion_frame, err);
        places_to_frames(&places, frames + first, last - first + 1, set->low_confidence, out);
        if (places.n < MIN_PULLBACK_FRAMES)
            snprintf(out->problem, sizeof out->problem,
                     "%zu frames at only %zu place%s along the vein (the catheter held still): a lesion and a "
                     "reference need a pullback of several frames",
                     last - first + 1, places.n, places.n == 1 ? "" : "s");
    } else {
        rc = measure_pullback(frames + first, last - first + 1, &local, out, set->lesion_frame, err);
    }
    places_free(&places);
    int *const indices[] = {&out->reference_run_first, &out->reference_run_last, &out->reference_first,
                            &out->reference_last,      &out->lesion_frame,        &out->lesion_first,
                            &out->lesion_last,         &out->lesion_search_first, &out->lesion_search_last,
                            &out->ivc_first,           &out->ivc_last,            &out->ivc_reference_first,
                            &out->ivc_reference_last};
    for (size_t i = 0; i < sizeof indices / sizeof indices[0]; i++)
        if (*indices[i] >= 0) *indices[i] += (int)first;
    for (int i = 0; i < out->segment_count; i++) {
        LqSegment *g = &out->segments[i];
        g->first += (int)first, g->last += (int)first, g->mla_frame += (int)first;
    }
    return rc;
}
