/* Dynamic lesions judged from the recordings that show them
 * (docs/measurements.md, "Dynamic lesions"): the lumen over time where the
 * catheter is held still at the lesion (a stationary recording, or a pause
 * inside the pullback), and a second pullback in another respiratory phase
 * aligned on the first. */
#include "measure/measure.h"

#include "internal.h"
#include "result.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BREATH_MIN_S 2.0          /* breathing cycles are looked for between 2 and 10 s */
#define BREATH_MAX_S 10.0
#define MIN_PERIODICITY 0.5       /* autocorrelation at the period: below, no breathing rhythm is taken */
#define SMOOTH_S 0.15             /* running median half-width: one stray contour does not make a breath */
#define MIN_USABLE_SHARE 0.6      /* fewer usable frames held still: not judged */
#define STILL_LIKENESS 0.75       /* frames this alike to the one LQ_STILL_LAG_S before (the running median
                                     over +-the lag, at least 2 frames) are at one place: a lone alike pair
                                     while moving does not make a pause, a breath's jolt does not end one */
#define STILL_WHOLE_SHARE 0.9     /* a recording this still throughout is a stationary one */
#define RETURN_LIKENESS 0.94      /* a pause's image comes back this alike (phantoms: pauses 0.96-0.98, drifts
                                     through slowly changing tissue 0.95 at most) */
#define RETURN_DROP 0.015         /* and at most this less alike than the next frame (phantoms: pauses -0.05 to
                                     +0.002, drifts 0.03 or more) */
#define RETURN_PAIRS 64           /* frame pairs compared at each separation, at most */
#define COMPARE_GRID_MM 0.25      /* the area profiles are compared on this grid */
#define COMPARE_MAX_SHIFT_MM 30.0 /* and shifted at most this far (or 30 % of the shorter) */
#define COMPARE_MIN_OVERLAP 0.5   /* of the shorter pullback */
#define COMPARE_LESION_MM 5.0     /* the other pullback's MLA within this of the lesion's aligned place */
#define COMPARE_MIN_CORRELATION 0.8 /* less alike at the best shift: not the same stretch of vein */

static const char *const source_names[] = {"none", "window", "stationary", "pause", "compare"};

const char *lq_dynamic_source_name(LqDynamicSource s)
{
    return (unsigned)s < sizeof source_names / sizeof source_names[0] ? source_names[s] : "?";
}

double lq_area_variation_pct(double area_min_mm2, double area_max_mm2)
{
    return area_max_mm2 > 0 ? 100.0 * (area_max_mm2 - area_min_mm2) / area_max_mm2 : NAN;
}

void lq_frame_signature(const uint8_t *polar, size_t angles, size_t radii, uint8_t sig[LQ_SIGNATURE_BYTES])
{
    /* samples, not averages: the speckle of the tissue is what places a
     * frame along the vein; the catheter's ring-down (the inner quarter of
     * each ray) is the same everywhere and left out */
    size_t k = 0;
    for (size_t i = 0; i < LQ_SIGNATURE_SIDE; i++) {
        const uint8_t *ray = polar + (i * angles / LQ_SIGNATURE_SIDE) * radii;
        for (size_t j = 0; j < LQ_SIGNATURE_SIDE; j++) sig[k++] = ray[radii / 4 + j * (radii - radii / 4) / LQ_SIGNATURE_SIDE];
    }
}

double lq_signature_likeness(const uint8_t *a, const uint8_t *b)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = LQ_SIGNATURE_BYTES;
    for (size_t k = 0; k < LQ_SIGNATURE_BYTES; k++) {
        double x = a[k], y = b[k];
        sa += x, sb += y, saa += x * x, sbb += y * y, sab += x * y;
    }
    double va = saa - sa * sa / n, vb = sbb - sb * sb / n, cov = sab - sa * sb / n;
    return va > 0 && vb > 0 ? cov / sqrt(va * vb) : 0.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (reordered). */
static double median_of(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The lag (frames) of the strongest breathing rhythm in x[0..m), 0 if none:
 * the shortest lag whose normalised autocorrelation is a local peak within
 * 90 % of the best one (a multiple of the period is as strong). */
static size_t breathing_lag(const double *x, size_t m, double frame_s, double *periodicity)
{
    size_t lo = (size_t)ceil(BREATH_MIN_S / frame_s), hi = (size_t)floor(BREATH_MAX_S / frame_s);
    /* at least one and a half cycles to see a rhythm */
    if (hi > (size_t)(m / 1.5)) hi = (size_t)(m / 1.5);
    *periodicity = 0;
    if (lo < 1) lo = 1;
    if (hi <= lo + 1) return 0;
    double *r = calloc(hi + 2, sizeof *r);
    if (!r) return 0;
    for (size_t lag = lo - 1; lag <= hi + 1 && lag < m; lag++) {
        double sxy = 0, sxx = 0, syy = 0;
        for (size_t i = 0; i + lag < m; i++) sxy += x[i] * x[i + lag], sxx += x[i] * x[i], syy += x[i + lag] * x[i + lag];
        r[lag] = sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
    }
    double best = 0;
    for (size_t lag = lo; lag <= hi; lag++)
        if (r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1] && r[lag] > best) best = r[lag];
    size_t chosen = 0;
    if (best >= MIN_PERIODICITY)
        for (size_t lag = lo; lag <= hi && !chosen; lag++)
            if (r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1] && r[lag] >= 0.9 * best) chosen = lag, *periodicity = r[lag];
    free(r);
    return chosen;
}

int lq_time_course_measure(const LqFrameMeasure *f, size_t first, size_t last, double frame_time_ms,
                           double min_confidence, double threshold_pct, LqTimeCourse *out, LqError *err)
{
    memset(out, 0, sizeof *out);
    if (!f || last < first) return lq_fail(err, LQ_ERR_USAGE, "no frames to follow over time");
    size_t m = last - first + 1;
    out->first = (int)first, out->last = (int)last;
    out->frame_time_ms = frame_time_ms;
    out->threshold_pct = threshold_pct;
    if (!(frame_time_ms > 0)) {
        snprintf(out->note, sizeof out->note, "no frame time: the breathing cycles cannot be timed (give --frame-time)");
        return LQ_OK;
    }
    double frame_s = frame_time_ms / 1000.0;
    out->duration_s = m * frame_s;
    double *area = malloc(m * sizeof *area), *sm = malloc(m * sizeof *sm), *scratch = malloc(m * sizeof *scratch);
    if (!area || !sm || !scratch) {
        free(area), free(sm), free(scratch);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    LqFrameUse use = {1, min_confidence};
    size_t used = 0;
    for (size_t k = 0; k < m; k++) {
        area[k] = lq_frame_usable(&f[first + k], use) ? f[first + k].shape.area_mm2 : NAN;
        used += !isnan(area[k]);
    }
    out->frames = (int)used;
    if (out->duration_s < LQ_STILL_MIN_S - 1e-9) {
        snprintf(out->note, sizeof out->note, "held still %.1f s, under the %.0f s a breath needs", out->duration_s,
                 LQ_STILL_MIN_S);
        goto done;
    }
    if (used < 3 || used < MIN_USABLE_SHARE * m) {
        snprintf(out->note, sizeof out->note, "%zu of %zu frames held still have a confident contour", used, m);
        goto done;
    }
    /* frames without a usable contour take their neighbours' areas, linearly */
    size_t prev = SIZE_MAX;
    for (size_t k = 0; k < m; k++) {
        if (isnan(area[k])) continue;
        for (size_t j = prev == SIZE_MAX ? 0 : prev + 1; j < k; j++)
            area[j] = prev == SIZE_MAX ? area[k]
                                       : area[prev] + (area[k] - area[prev]) * (double)(j - prev) / (double)(k - prev);
        prev = k;
    }
    for (size_t j = prev + 1; j < m; j++) area[j] = area[prev];
    size_t half = (size_t)floor(SMOOTH_S / frame_s + 1e-9); /* none for sparse frames: they would blunt the breath */
    for (size_t k = 0; k < m; k++) {
        size_t a = k >= half ? k - half : 0, b = LQ_MIN(k + half, m - 1), c = 0;
        for (size_t j = a; j <= b; j++) scratch[c++] = area[j];
        sm[k] = median_of(scratch, c);
    }
    double mean = 0;
    for (size_t k = 0; k < m; k++) mean += sm[k];
    mean /= (double)m;
    for (size_t k = 0; k < m; k++) scratch[k] = sm[k] - mean;
    size_t lag = breathing_lag(scratch, m, frame_s, &out->periodicity);
    size_t window = lag ? lag : m, windows = m / window;
    out->period_s = lag ? lag * frame_s : 0;
    if (lag)
        snprintf(out->note, sizeof out->note, "breathing every %.1f s (autocorrelation %.2f): %zu full cycle%s",
                 out->period_s, out->periodicity, windows, windows == 1 ? "" : "s");
    else
        snprintf(out->note, sizeof out->note,
                 "no breathing rhythm (autocorrelation under %.1f at %.0f-%.0f s): the %.1f s taken as one cycle",
                 MIN_PERIODICITY, BREATH_MIN_S, BREATH_MAX_S, out->duration_s);
    double *variations = malloc(windows * sizeof *variations);
    if (!variations) {
        free(area), free(sm), free(scratch);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    out->area_min_mm2 = INFINITY;
    for (size_t w = 0; w < windows; w++) {
        size_t a = w * window, b = a + window - 1, c = 0;
        LqBreathCycle cy = {(int)(first + a), (int)(first + b), INFINITY, 0, 0, 0};
        for (size_t k = a; k <= b; k++) {
            cy.area_min_mm2 = fmin(cy.area_min_mm2, sm[k]);
            cy.area_max_mm2 = fmax(cy.area_max_mm2, sm[k]);
            scratch[c++] = sm[k];
        }
        cy.area_median_mm2 = median_of(scratch, c);
        cy.variation_pct = lq_area_variation_pct(cy.area_min_mm2, cy.area_max_mm2);
        variations[w] = cy.variation_pct;
        if (w < LQ_DYNAMICS_MAX_CYCLES) out->cycle[w] = cy;
    }
    for (size_t k = 0; k < m; k++) {
        out->area_min_mm2 = fmin(out->area_min_mm2, sm[k]);
        out->area_max_mm2 = fmax(out->area_max_mm2, sm[k]);
        scratch[k] = sm[k];
    }
    out->area_median_mm2 = median_of(scratch, m);
    out->cycles = (int)windows;
    out->variation_pct = median_of(variations, windows);
    out->dynamic = out->variation_pct > threshold_pct;
    out->judged = 1;
    free(variations);
done:
    free(area), free(sm), free(scratch);
    return LQ_OK;
}

/* ------------------------------------------------------- result evidence */

const LqDynamics *lq_result_dynamics(const LqResult *r) { return &r->dynamics; }

/* The area over time of frames first..last, for the pictures. */
static int keep_samples(LqResult *r, const LqFrameMeasure *f, size_t first, size_t last, double frame_time_ms,
                        double min_confidence)
{
    size_t m = last - first + 1;
    double *t = malloc(m * sizeof *t), *a = malloc(m * sizeof *a);
    if (!t || !a) {
        free(t), free(a);
        return LQ_ERR_INTERNAL;
    }
    LqFrameUse use = {1, min_confidence};
    for (size_t k = 0; k < m; k++) {
        t[k] = k * frame_time_ms / 1000.0;
        a[k] = lq_frame_usable(&f[first + k], use) ? f[first + k].shape.area_mm2 : NAN;
    }
    free(r->course_time), free(r->course_area);
    r->course_time = t, r->course_area = a;
    r->dynamics.samples = m, r->dynamics.time_s = t, r->dynamics.area_mm2 = a;
    return LQ_OK;
}

/* The verdict from the strongest evidence: frames held still at the lesion,
 * then a second pullback, then the pullback's own window. */
static void settle(LqResult *r)
{
    LqDynamics *d = &r->dynamics;
    const LqSummary *s = &r->summary;
    if (d->has_course && d->course.judged) {
        d->source = d->course_source, d->dynamic = d->course.dynamic;
    } else if (d->has_comparison && d->comparison.judged) {
        d->source = LQ_DYNAMIC_FROM_COMPARE, d->dynamic = d->comparison.dynamic;
    } else if (s->ok && s->dynamic_checked) {
        d->source = LQ_DYNAMIC_FROM_WINDOW, d->dynamic = s->dynamic;
    } else {
        d->source = LQ_DYNAMIC_FROM_NONE, d->dynamic = 0;
    }
}

/* How alike frames a..b are to those `apart` frames later: the median
 * likeness of up to RETURN_PAIRS pairs spread over the run. */
static double likeness_apart(const uint8_t *signatures, size_t a, size_t b, size_t apart, double *scratch)
{
    size_t pairs = b - a + 1 - apart, step = (pairs + RETURN_PAIRS - 1) / RETURN_PAIRS, c = 0;
    for (size_t k = a; k + apart <= b; k += step)
        scratch[c++] = lq_signature_likeness(signatures + k * LQ_SIGNATURE_BYTES,
                                             signatures + (k + apart) * LQ_SIGNATURE_BYTES);
    return median_of(scratch, c);
}

/* A run alike to the frames LQ_STILL_LAG_S before may be a catheter
 * drifting through tissue whose texture changes slowly. Held at one place,
 * the image comes back LQ_STILL_MIN_S or more later (a breath later when
 * the lumen breathes) as alike as from one frame to the next; moving, it
 * has drifted further by then. The best median likeness over separations of
 * LQ_STILL_MIN_S to that plus BREATH_MAX_S must reach RETURN_LIKENESS and
 * stay within RETURN_DROP of the next frame's. */
static int comes_back(const uint8_t *signatures, size_t a, size_t b, double frame_time_ms)
{
    size_t lo = (size_t)lround(LQ_STILL_MIN_S * 1000.0 / frame_time_ms), m = b - a + 1;
    if (m < 3) return 0; /* frames seconds apart: too few to tell */
    size_t hi = LQ_MIN(lo + (size_t)lround(BREATH_MAX_S * 1000.0 / frame_time_ms), m - 2);
    double best = -1, scratch[RETURN_PAIRS];
    for (size_t apart = LQ_MAX(lo, (size_t)1); apart <= hi; apart++)
        best = fmax(best, likeness_apart(signatures, a, b, apart, scratch));
    return best >= RETURN_LIKENESS && best >= likeness_apart(signatures, a, b, 1, scratch) - RETURN_DROP;
}

/* Frame k of run a..b seen again in the run, LQ_STILL_MIN_S or more away:
 * the catheter was there, not on its way (texture alike over a mm or two
 * makes a run begin a frame or two early). */
static int seen_again(const uint8_t *signatures, size_t k, size_t a, size_t b, size_t apart)
{
    for (size_t j = a; j <= b; j++)
        if ((j + apart <= k || j >= k + apart) &&
            lq_signature_likeness(signatures + k * LQ_SIGNATURE_BYTES, signatures + j * LQ_SIGNATURE_BYTES) >=
                RETURN_LIKENESS)
            return 1;
    return 0;
}

/* Every run of frames whose image barely moves (like the one LQ_STILL_LAG_S
 * before) for LQ_STILL_MIN_S or more, and comes back, in
 * frame order, into d->pause[], its ends trimmed to frames seen again. */
static int find_pauses(const LqResult *r, double frame_time_ms, const uint8_t *signatures, LqDynamics *d)
{
    size_t n = r->n, lag = r->still_lag, half = LQ_MAX(lag, (size_t)2);
    d->pauses = 0;
    if (lag == 0 || n <= lag || !(frame_time_ms > 0) || !signatures) return LQ_OK;
    double *likeness = malloc(n * sizeof *likeness), *window = malloc((2 * half + 1) * sizeof *window);
    if (!likeness || !window) {
        free(likeness), free(window);
        return LQ_ERR_INTERNAL;
    }
    for (size_t t = lag; t < n; t++) {
        size_t a = t >= lag + half ? t - half : lag, b = LQ_MIN(t + half, n - 1), c = 0;
        for (size_t k = a; k <= b; k++) window[c++] = r->stillness[k];
        likeness[t] = median_of(window, c);
    }
    for (size_t t = lag; t < n && d->pauses < LQ_DYNAMICS_MAX_PAUSES;) {
        if (!(likeness[t] >= STILL_LIKENESS)) {
            t++;
            continue;
        }
        size_t end = t, from = t, to;
        while (end + 1 < n && likeness[end + 1] >= STILL_LIKENESS) end++;
        /* the median spreads a run by up to `half` frames: its ends are frames alike themselves */
        while (from < end && !(r->stillness[from] >= STILL_LIKENESS)) from++;
        for (to = end; to > from && !(r->stillness[to] >= STILL_LIKENESS); to--) continue;
        size_t a = from - lag, b = to; /* frame t - lag is at the place t is */
        double held_s = (b - a + 1) * frame_time_ms / 1000.0;
        if (held_s >= LQ_STILL_MIN_S - 1e-9 && comes_back(signatures, a, b, frame_time_ms)) {
            size_t apart = (size_t)lround(LQ_STILL_MIN_S * 1000.0 / frame_time_ms);
            while (a < b && !seen_again(signatures, a, a, b, apart)) a++;
            while (b > a && !seen_again(signatures, b, a, b, apart)) b--;
            held_s = (b - a + 1) * frame_time_ms / 1000.0;
            if (held_s >= LQ_STILL_MIN_S - 1e-9) d->pause[d->pauses++] = (LqPause){(int)a, (int)b, held_s, 0.0};
        }
        t = end + 1;
    }
    free(likeness), free(window);
    return LQ_OK;
}

/* The longest pause that holds `lesion` or touches frames lo..hi (any when
 * lesion < 0). Returns 1 and its frames. */
static int pause_at(const LqDynamics *d, long lesion, long lo, long hi, size_t *first, size_t *last)
{
    int best = -1;
    for (int i = 0; i < d->pauses; i++) {
        const LqPause *p = &d->pause[i];
        int at_lesion = lesion < 0 || (p->first <= lesion && lesion <= p->last) || (lo >= 0 && p->first <= hi && lo <= p->last);
        if (at_lesion && (best < 0 || p->last - p->first > d->pause[best].last - d->pause[best].first)) best = i;
    }
    if (best < 0) return 0;
    *first = (size_t)d->pause[best].first, *last = (size_t)d->pause[best].last;
    return 1;
}

int lq_pauses_hold(LqResult *r, const LqStudyInfo *in, const uint8_t *signatures)
{
    LqDynamics *d = &r->dynamics;
    if (!r->stillness) return LQ_OK;
    if (find_pauses(r, in->frame_time_ms, signatures, d) != LQ_OK) return LQ_ERR_INTERNAL;
    if (in->timing == LQ_TIMING_NONE || in->stationary) return LQ_OK;
    /* the catheter stood still: its frames at one place, and the rate the
     * file states has not run on meanwhile */
    for (int i = 0; i < d->pauses; i++) {
        LqPause *p = &d->pause[i];
        size_t a = LQ_MAX((size_t)p->first, r->pullback_first), b = LQ_MIN((size_t)p->last, r->pullback_last);
        if (a >= b) continue;
        double at = r->frames[a].position_mm;
        p->removed_mm = r->frames[b].position_mm - at;
        for (size_t k = a + 1; k <= b; k++) r->frames[k].position_mm = at;
        for (size_t k = b + 1; k < r->n; k++) r->frames[k].position_mm -= p->removed_mm;
    }
    return LQ_OK;
}

/* Where the course was recorded. */
static void course_from(LqDynamics *d, LqDynamicSource source, const LqStudyInfo *in)
{
    d->has_course = 1;
    d->course_source = source;
    snprintf(d->course_path, sizeof d->course_path, "%s", in->path);
    snprintf(d->course_series_uid, sizeof d->course_series_uid, "%s", in->series_instance_uid);
    snprintf(d->course_sop_instance_uid, sizeof d->course_sop_instance_uid, "%s", in->sop_instance_uid);
}

int lq_dynamics_update(LqResult *r, const LqStudyInfo *in)
{
    LqDynamics *d = &r->dynamics;
    LqSummary *s = &r->summary;
    if (r->stillness && !r->stationary_attached) {
        d->has_course = 0;
        size_t a = 0, b = 0;
        int found = 0;
        LqDynamicSource source = LQ_DYNAMIC_FROM_PAUSE;
        if (in->stationary) {
            found = r->n > 1, a = 0, b = r->n - 1, source = LQ_DYNAMIC_FROM_STATIONARY;
        } else if (in->frame_time_ms > 0) {
            found = s->ok && pause_at(d, s->lesion_frame, s->lesion_first, s->lesion_last, &a, &b);
            /* no pause at the lesion; a recording without a pullback rate that is still
             * throughout is a stationary one */
            if (!found && !(in->pullback_rate_mm_s > 0) && pause_at(d, -1, -1, -1, &a, &b) &&
                b - a + 1 >= STILL_WHOLE_SHARE * r->n)
                found = 1, source = LQ_DYNAMIC_FROM_STATIONARY;
        }
        if (found) {
            if (lq_time_course_measure(r->frames, a, b, in->frame_time_ms, r->low_confidence, r->dynamic_threshold_pct,
                                       &d->course, NULL) != LQ_OK ||
                keep_samples(r, r->frames, a, b, in->frame_time_ms, r->low_confidence) != LQ_OK)
                return LQ_ERR_INTERNAL;
            course_from(d, source, in);
        }
        if (found && source == LQ_DYNAMIC_FROM_STATIONARY) {
            /* held at one place: no lesion or reference along a vein to find */
            LqSummary kept = *s;
            memset(s, 0, sizeof *s);
            s->threshold_pct = kept.threshold_pct, s->metric = kept.metric;
            s->low_confidence_frames = kept.low_confidence_frames;
            s->reference_run_first = s->reference_run_last = s->reference_first = s->reference_last = -1;
            s->lesion_search_first = s->lesion_search_last = s->lesion_first = s->lesion_last = -1;
            s->lesion_frame = -1;
            snprintf(s->problem, sizeof s->problem,
                     "a stationary recording (%s): no pullback to find a lesion and a reference in; its lumen over "
                     "time is reported under Dynamics",
                     in->stationary ? "IVUS Acquisition SELECTIVE" : "the image barely moves throughout");
        }
    }
    settle(r);
    return LQ_OK;
}

/* Another recording must show the same patient's vein: the same study. */
static int same_study(const LqResult *r, const LqStudyInfo *in, LqError *err)
{
    if (r->study_uid[0] && in->study_instance_uid[0] && strcmp(r->study_uid, in->study_instance_uid) != 0)
        return lq_fail(err, LQ_ERR_DATA, "%s: of another study (Study Instance UID %s, not %s)", in->path,
                       in->study_instance_uid, r->study_uid);
    return LQ_OK;
}

int lq_result_judge_stationary(LqResult *r, const LqStudy *recording, const LqResult *still, LqError *err)
{
    const LqStudyInfo *in = lq_study_info(recording);
    LqDynamics *d = &r->dynamics;
    if (same_study(r, in, err) != LQ_OK) return LQ_ERR_DATA;
    if (!(in->frame_time_ms > 0))
        return lq_fail(err, LQ_ERR_DATA, "%s: no frame time, so its breathing cannot be timed (give --frame-time)",
                       in->path);
    if (still->n < 2) return lq_fail(err, LQ_ERR_DATA, "%s: a single frame shows no breathing", in->path);
    int rc = lq_time_course_measure(still->frames, 0, still->n - 1, in->frame_time_ms, still->low_confidence,
                                    r->dynamic_threshold_pct, &d->course, err);
    if (rc != LQ_OK) return rc;
    if (keep_samples(r, still->frames, 0, still->n - 1, in->frame_time_ms, still->low_confidence) != LQ_OK)
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    course_from(d, LQ_DYNAMIC_FROM_STATIONARY, in);
    r->stationary_attached = 1;
    settle(r);
    return LQ_OK;
}

/* A pullback's area along its positions, on the grid x0 + k * COMPARE_GRID_MM
 * (k < *count): usable frames of the pullback proper, linearly between them. */
static double *area_profile(const LqResult *r, double *x0, size_t *count)
{
    LqFrameUse use = {1, r->low_confidence};
    size_t a = r->pullback_first, b = r->pullback_last, prev = SIZE_MAX, first = SIZE_MAX;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = a; i <= b; i++)
        if (lq_frame_usable(&r->frames[i], use)) {
            lo = fmin(lo, r->frames[i].position_mm), hi = fmax(hi, r->frames[i].position_mm);
            if (first == SIZE_MAX) first = i;
        }
    if (!(hi > lo)) return NULL;
    size_t n = (size_t)floor((hi - lo) / COMPARE_GRID_MM) + 1;
    double *p = malloc(n * sizeof *p);
    if (!p) return NULL;
    for (size_t k = 0; k < n; k++) p[k] = NAN;
    for (size_t i = first; i <= b; i++) {
        if (!lq_frame_usable(&r->frames[i], use)) continue;
        if (prev != SIZE_MAX) {
            double xa = r->frames[prev].position_mm, xb = r->frames[i].position_mm;
            double ya = r->frames[prev].shape.area_mm2, yb = r->frames[i].shape.area_mm2;
            double from = fmin(xa, xb), to = fmax(xa, xb);
            for (size_t k = (size_t)ceil((from - lo) / COMPARE_GRID_MM - 1e-9); k < n; k++) {
                double x = lo + k * COMPARE_GRID_MM;
                if (x > to + 1e-9) break;
                p[k] = to > from ? ya + (yb - ya) * (x - xa) / (xb - xa) : yb;
            }
        }
        prev = i;
    }
    *x0 = lo, *count = n;
    return p;
}

/* Normalised cross-correlation of a[i] and b[i + shift] where both exist. */
static double ncc_at(const double *a, size_t na, const double *b, size_t nb, long shift, size_t *overlap)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
    for (size_t i = 0; i < na; i++) {
        long j = (long)i + shift;
        if (j < 0 || (size_t)j >= nb || isnan(a[i]) || isnan(b[j])) continue;
        sa += a[i], sb += b[j], saa += a[i] * a[i], sbb += b[j] * b[j], sab += a[i] * b[j], n++;
    }
    *overlap = (size_t)n;
    if (n < 3) return -1;
    double va = saa - sa * sa / n, vb = sbb - sb * sb / n, cov = sab - sa * sb / n;
    return va > 0 && vb > 0 ? cov / sqrt(va * vb) : -1;
}

int lq_result_compare(LqResult *r, const LqStudy *other_study, const LqResult *other, LqError *err)
{
    const LqStudyInfo *in = lq_study_info(other_study);
    LqComparison *c = &r->dynamics.comparison;
    const LqSummary *s = &r->summary;
    memset(c, 0, sizeof *c);
    snprintf(c->path, sizeof c->path, "%s", in->path);
    snprintf(c->series_uid, sizeof c->series_uid, "%s", in->series_instance_uid);
    snprintf(c->sop_instance_uid, sizeof c->sop_instance_uid, "%s", in->sop_instance_uid);
    c->threshold_pct = r->dynamic_threshold_pct;
    c->lesion_frame = c->other_lesion_frame = -1;
    r->dynamics.has_comparison = 1;
    if (same_study(r, in, err) != LQ_OK) {
        r->dynamics.has_comparison = 0;
        return LQ_ERR_DATA;
    }
    if (in->timing == LQ_TIMING_NONE || !r->timed)
        return lq_fail(err, LQ_ERR_DATA, "%s: no frame time or pullback rate: the two pullbacks cannot be aligned in mm "
                       "(give --pullback-rate)", in->path);
    double x0a, x0b;
    size_t na = 0, nb = 0;
    double *pa = area_profile(r, &x0a, &na), *pb = area_profile(other, &x0b, &nb);
    int rc = LQ_OK;
    if (!pa || !pb) {
        rc = lq_fail(err, LQ_ERR_DATA, "%s: too few frames with a confident contour to align", in->path);
        goto done;
    }
    size_t shorter = LQ_MIN(na, nb);
    double max_shift = fmin(COMPARE_MAX_SHIFT_MM, 0.3 * shorter * COMPARE_GRID_MM);
    /* b's grid starts x0b - x0a further along: a shift of `lag` grid steps
     * in b's samples is a shift of x0b - x0a ... in positions */
    long offset = lround((x0a - x0b) / COMPARE_GRID_MM), reach = lround(max_shift / COMPARE_GRID_MM);
    double best = -2;
    long best_lag = 0;
    for (long lag = offset - reach; lag <= offset + reach; lag++) {
        size_t overlap;
        double v = ncc_at(pa, na, pb, nb, lag, &overlap);
        if (overlap >= COMPARE_MIN_OVERLAP * shorter && v > best) best = v, best_lag = lag;
    }
    if (best < -1) {
        rc = lq_fail(err, LQ_ERR_DATA, "%s: the two pullbacks do not overlap over half their length", in->path);
        goto done;
    }
    /* a[i] sits at x0a + i g, b[i + lag] at x0b + (i + lag) g: b's position = a's + shift */
    c->shift_mm = x0b - x0a + best_lag * COMPARE_GRID_MM;
    c->correlation = best;
    if (best < COMPARE_MIN_CORRELATION) {
        snprintf(c->note, sizeof c->note,
                 "the area profiles do not match (correlation %.2f at best, within +-%.0f mm): not the same vein, or "
                 "shifted further",
                 best, max_shift);
        goto done;
    }
    if (!s->ok) {
        snprintf(c->note, sizeof c->note, "no lesion measured in this pullback");
        goto done;
    }
    c->lesion_frame = s->lesion_frame;
    c->mla_mm2 = s->mla_mm2;
    double at = s->lesion_position_mm + c->shift_mm;
    LqFrameUse use = {1, other->low_confidence};
    for (size_t i = other->pullback_first; i <= other->pullback_last; i++) {
        const LqFrameMeasure *m = &other->frames[i];
        if (!lq_frame_usable(m, use) || fabs(m->position_mm - at) > COMPARE_LESION_MM + 1e-9) continue;
        if (c->other_lesion_frame < 0 || m->shape.area_mm2 < other->frames[c->other_lesion_frame].shape.area_mm2)
            c->other_lesion_frame = (int)i;
    }
    if (c->other_lesion_frame < 0) {
        snprintf(c->note, sizeof c->note, "no confident frame of the other pullback within %.0f mm of the lesion",
                 COMPARE_LESION_MM);
        goto done;
    }
    c->other_mla_mm2 = other->frames[c->other_lesion_frame].shape.area_mm2;
    c->change_pct = lq_area_variation_pct(fmin(c->mla_mm2, c->other_mla_mm2), fmax(c->mla_mm2, c->other_mla_mm2));
    c->dynamic = c->change_pct > c->threshold_pct;
    c->judged = 1;
done:
    free(pa), free(pb);
    settle(r);
    return rc;
}
