/* Lesion, reference and stenosis on a synthetic pullback with hand-computed
 * answers (docs/measurements.md). Expected numbers were computed by hand:
 * A_ref 154 -> D_ref = 2*sqrt(154/pi) = 14.002817; MLD 4, MLA 50 ->
 * %DS 71.434320, %AS 67.532468, equivalent-diameter 43.019712. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lumenq/lumenq.h"

#define N 100
#define STEP_MM 0.5

static void set_frame(LqFrameMeasure *f, int i, double area, double min_feret)
{
    memset(&f[i], 0, sizeof f[i]);
    f[i].shape.area_mm2 = area;
    f[i].shape.min_feret_mm = min_feret;
    f[i].shape.max_feret_mm = 2 * sqrt(area / 3.14159265358979) * 1.1;
    f[i].position_mm = i * STEP_MM;
    f[i].confidence = 0.9;
    f[i].valid = 1;
}

/* IVC 0-9 (350), CIV 10-39 (200, wider than the EIV, lesion at 25), EIV 40-84
 * (154, two frames +-10 % outside the reference window), CFV 85-99 (113). */
static void anatomy(LqFrameMeasure *f)
{
    for (int i = 0; i < N; i++) {
        double a = i < 10 ? 350 : i < 40 ? 200 : i < 85 ? 154 : 113;
        set_frame(f, i, a, 2 * sqrt(a / 3.14159265358979));
    }
    set_frame(f, 42, 154 * 1.1, 14.6);
    set_frame(f, 82, 154 * 0.9, 13.2);
    /* lesion: frames 23-27 below 50 % of 154 = 77 */
    set_frame(f, 22, 80, 6);
    set_frame(f, 23, 76, 5.5);
    set_frame(f, 24, 70, 5);
    set_frame(f, 25, 50, 4);
    set_frame(f, 26, 70, 5);
    set_frame(f, 27, 76, 5.5);
    set_frame(f, 28, 90, 6.5);
    /* the IVC is skipped even with a small frame, and so is a low-confidence one */
    set_frame(f, 3, 30, 3);
    set_frame(f, 33, 40, 3);
    f[33].confidence = 0.2;
}

static void expect_values(const LqSummary *s)
{
    assert_true(s->ok);
    assert_float_equal(s->reference_area_mm2, 154.0, 1e-9);
    assert_float_equal(s->reference_diameter_mm, 14.002817, 1e-6);
    assert_float_equal(s->mla_mm2, 50.0, 1e-12);
    assert_float_equal(s->mld_mm, 4.0, 1e-12);
    assert_float_equal(s->diameter_stenosis_pct, 71.434320, 1e-5);
    assert_float_equal(s->area_stenosis_pct, 67.532468, 1e-5);
    assert_float_equal(s->equiv_diameter_stenosis_pct, 43.019712, 1e-5);
    assert_true(s->significant);
    assert_float_equal(s->lesion_length_mm, 5 * STEP_MM, 1e-9);
}

static void test_auto(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    LqSummary s;
    assert_int_equal(lq_measure_frames(f, N, &set, &s, NULL), LQ_OK);
    expect_values(&s);
    assert_int_equal(s.lesion_frame, 25);
    assert_int_equal(s.lesion_method, LQ_METHOD_AUTO);
    assert_int_equal(s.lesion_first, 23);
    assert_int_equal(s.lesion_last, 27);
    /* the reference is the EIV run, not the wider CIV; the central 15 mm of it:
     * run 40-84 spans 20-42 mm, centre 31 mm, frames at 23.5-38.5 mm = 47-77 */
    assert_int_equal(s.reference_run_first, 40);
    assert_int_equal(s.reference_run_last, 84);
    assert_int_equal(s.reference_first, 47);
    assert_int_equal(s.reference_last, 77);
    assert_int_equal(s.low_confidence_frames, 1);
}

static void test_reversed_pullback(void **state)
{
    (void)state;
    LqFrameMeasure f[N], r[N];
    anatomy(f);
    for (int i = 0; i < N; i++) {
        r[i] = f[N - 1 - i];
        r[i].position_mm = i * STEP_MM;
    }
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    set.pullback_from_cfv = 1;
    LqSummary s;
    assert_int_equal(lq_measure_frames(r, N, &set, &s, NULL), LQ_OK);
    expect_values(&s);
    assert_int_equal(s.lesion_frame, N - 1 - 25);
    assert_int_equal(s.reference_first, N - 1 - 77);
    assert_int_equal(s.reference_last, N - 1 - 47);
}

static void test_threshold_is_strict(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    LqSummary s;
    assert_int_equal(lq_measure_frames(f, N, &set, &s, NULL), LQ_OK);
    set.threshold_pct = s.diameter_stenosis_pct; /* equal: not above */
    assert_int_equal(lq_measure_frames(f, N, &set, &s, NULL), LQ_OK);
    assert_false(s.significant);
    set.threshold_pct -= 1e-6;
    assert_int_equal(lq_measure_frames(f, N, &set, &s, NULL), LQ_OK);
    assert_true(s.significant);
    /* a flattened lesion with little area loss is still judged on diameter */
    const double flat[7] = {150, 140, 130, 120, 130, 140, 150};
    for (int i = 0; i < 7; i++) set_frame(f, 22 + i, flat[i], i == 3 ? 4 : 9);
    lq_measure_settings_default(&set);
    assert_int_equal(lq_measure_frames(f, N, &set, &s, NULL), LQ_OK);
    assert_true(s.significant);
    assert_int_equal(s.lesion_frame, 25);
    assert_float_equal(s.area_stenosis_pct, 100 * (1 - 120.0 / 154), 1e-9);
    assert_int_equal(s.lesion_first, -1); /* nothing below 50 % of A_ref */
}

static void test_user_overrides(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    set.lesion_frame = 24;
    set.reference_first = 60;
    set.reference_last = 70;
    LqSummary s;
    assert_int_equal(lq_measure_frames(f, N, &set, &s, NULL), LQ_OK);
    assert_true(s.ok);
    assert_int_equal(s.lesion_method, LQ_METHOD_USER);
    assert_int_equal(s.reference_method, LQ_METHOD_USER);
    assert_int_equal(s.lesion_frame, 24);
    assert_float_equal(s.mla_mm2, 70, 1e-12);
    assert_float_equal(s.reference_area_mm2, 154, 1e-12);
    assert_float_equal(s.diameter_stenosis_pct, 100 * (1 - 5 / 14.002817), 1e-4);
}

static void test_invalid_ranges(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    LqMeasureSettings set;
    LqSummary s;
    LqError err = {0};
    lq_measure_settings_default(&set);
    set.lesion_frame = N;
    assert_int_equal(lq_measure_frames(f, N, &set, &s, &err), LQ_ERR_USAGE);
    assert_non_null(strstr(err.message, "out of range: frames 1-100"));
    lq_measure_settings_default(&set);
    set.reference_first = 90, set.reference_last = 120;
    assert_int_equal(lq_measure_frames(f, N, &set, &s, &err), LQ_ERR_USAGE);
    assert_non_null(strstr(err.message, "reference range 91-121"));
}

static void test_no_stable_reference(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    for (int i = 0; i < N; i++) set_frame(f, i, i % 2 ? 100 : 200, 10);
    LqSummary s;
    assert_int_equal(lq_measure_frames(f, N, NULL, &s, NULL), LQ_OK);
    /* docs/measurements.md: Raju's EIV normal value, and the report says so */
    assert_true(s.ok);
    assert_int_equal(s.reference_method, LQ_METHOD_NORMAL);
    assert_non_null(strstr(s.reference_note, "no stable EIV segment"));
    assert_float_equal(s.reference_diameter_mm, 14.0, 1e-12);
    assert_int_equal(s.reference_run_first, -1);
    assert_int_equal(s.lesion_search_first, 10); /* all but the IVC is searched */
    assert_int_equal(s.lesion_search_last, N - 1);
    assert_float_equal(s.mla_mm2, 100, 1e-12);
}

/* Same anatomy at another frame spacing (mm per frame). */
static void anatomy_step(LqFrameMeasure *f, double step)
{
    anatomy(f);
    for (int i = 0; i < N; i++) f[i].position_mm = i * step;
}

static LqSummary measure_with(const LqFrameMeasure *f, const LqMeasureSettings *set)
{
    LqSummary s;
    LqError err = {0};
    assert_int_equal(lq_measure_frames(f, N, set, &s, &err), LQ_OK);
    return s;
}

/* D_ref 14.0028 -> 15.0-18.0 mm -> nominal 16 and 18. The span runs from
 * 10 mm above the lesion segment's proximal frame (23) to 10 mm into the
 * straight EIV below it (run start, frame 40): 17 frames + 20 mm. */
static void test_stent_sizing(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    static const struct { double step, span; int length; } cases[] = {
        {0.5, 28.5, 60},    /* short lesion: the 60 mm floor */
        {3.0, 71.0, 80},    /* rounded up to the next nominal length */
        {6.0, 122.0, 140},
        {8.0, 156.0, 0},    /* longer than any single nominal stent */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        anatomy_step(f, cases[c].step);
        set_frame(f, 3, 350, 2 * sqrt(350 / 3.14159265358979)); /* the IVC whole: one narrowed segment */
        f[3].position_mm = 3 * cases[c].step;
        LqSummary s = measure_with(f, &set);
        assert_true(s.ok);
        assert_int_equal(s.segment_count, 1);
        assert_int_equal(s.stent_segments, 1);
        assert_float_equal(s.stent_diameter_min_mm, 15.002817, 1e-6);
        assert_float_equal(s.stent_diameter_max_mm, 18.002817, 1e-6);
        assert_int_equal(s.stent_size_count, 2);
        assert_int_equal(s.stent_sizes_mm[0], 16);
        assert_int_equal(s.stent_sizes_mm[1], 18);
        assert_true(s.stent_length_known);
        assert_float_equal(s.stent_span_mm, cases[c].span, 1e-9);
        assert_float_equal(s.stent_span_from_mm, 23 * cases[c].step - 10, 1e-9);
        assert_float_equal(s.stent_span_to_mm, 40 * cases[c].step + 10, 1e-9);
        assert_int_equal(s.stent_length_mm, cases[c].length);
        assert_float_equal(s.lesion_length_mm, 5 * cases[c].step, 1e-9);
    }
    /* untimed: the diameter is known, the length is not */
    anatomy(f);
    set.positions_are_indices = 1;
    LqSummary s = measure_with(f, &set);
    assert_int_equal(s.stent_size_count, 2);
    assert_false(s.stent_length_known);
    assert_int_equal(s.stent_length_mm, 0);
}

/* Every narrowed segment (docs/measurements.md): the anatomy's frame 3 is
 * an IVC narrowing, measured against the published normal IVC (the IVC's 10
 * frames are 4.5 mm, too short for a stable stretch of 5 mm): A 326.85 mm2,
 * D 20.4 mm -> %DS 100(1 - 3/20.4) = 85.29, %AS 100(1 - 30/326.85) = 90.82.
 * The CIV lesion 23-27 against the EIV as before; frame 33 (area 40, one
 * low-confidence frame) is not a segment. An EIV narrowing at 80-82 (area
 * 60, MLD 5) is the second iliac one: %DS 100(1 - 5/14.002817) = 64.29,
 * below the lesion's 71.43, so the lesion stays; the stent spans both
 * segments over 61 % and the IVC one: frames 3 to 82. */
static void test_every_segment(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    for (int i = 80; i <= 82; i++) set_frame(f, i, i == 81 ? 60 : 70, i == 81 ? 5 : 6);
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    LqSummary s = measure_with(f, &set);
    assert_true(s.ok);
    assert_int_equal(s.lesion_frame, 25);
    assert_false(s.lesion_moved_to_worst);
    assert_int_equal(s.segment_count, 3);
    assert_int_equal(s.ivc_first, 0);
    assert_int_equal(s.ivc_last, 9);
    assert_int_equal(s.ivc_reference_first, -1);
    const LqSegment *ivc = &s.segments[0], *civ = &s.segments[1], *eiv = &s.segments[2];
    assert_int_equal(ivc->site, LQ_SITE_IVC);
    assert_int_equal(ivc->reference, LQ_SEGMENT_REF_IVC_NORMAL);
    assert_int_equal(ivc->first, 3);
    assert_int_equal(ivc->last, 3);
    assert_float_equal(ivc->reference_diameter_mm, 20.4, 1e-12);
    assert_float_equal(ivc->diameter_stenosis_pct, 85.294118, 1e-5);
    assert_float_equal(ivc->area_stenosis_pct, 90.821529, 1e-5);
    assert_float_equal(ivc->length_mm, STEP_MM, 1e-12);
    assert_true(ivc->significant);
    assert_false(ivc->lesion);
    assert_int_equal(civ->site, LQ_SITE_CIV);
    assert_int_equal(civ->reference, LQ_SEGMENT_REF_STUDY);
    assert_int_equal(civ->first, 23);
    assert_int_equal(civ->last, 27);
    assert_int_equal(civ->mla_frame, 25);
    assert_true(civ->lesion);
    assert_float_equal(civ->diameter_stenosis_pct, s.diameter_stenosis_pct, 1e-12);
    assert_float_equal(civ->area_stenosis_pct, 67.532468, 1e-6);
    assert_float_equal(civ->length_mm, s.lesion_length_mm, 1e-12);
    assert_int_equal(eiv->site, LQ_SITE_EIV);
    assert_int_equal(eiv->first, 80);
    assert_int_equal(eiv->last, 82);
    assert_int_equal(eiv->mla_frame, 81);
    assert_float_equal(eiv->mla_mm2, 60, 1e-12);
    assert_float_equal(eiv->mld_mm, 5, 1e-12);
    assert_float_equal(eiv->diameter_stenosis_pct, 64.292900, 1e-5);
    assert_float_equal(eiv->length_mm, 1.5, 1e-12);
    assert_true(eiv->significant);
    assert_int_equal(s.stent_segments, 3);
    assert_float_equal(s.stent_span_from_mm, 3 * STEP_MM - 10, 1e-9);
    assert_float_equal(s.stent_span_to_mm, 82 * STEP_MM + 10, 1e-9);

    /* the EIV narrowing made worse (MLD 3: %DS 78.58) becomes the lesion */
    set_frame(f, 81, 40, 3);
    s = measure_with(f, &set);
    assert_int_equal(s.lesion_frame, 81);
    assert_true(s.lesion_moved_to_worst);
    assert_true(s.segments[2].lesion);
    assert_false(s.segments[1].lesion);
    assert_float_equal(s.diameter_stenosis_pct, s.segments[2].diameter_stenosis_pct, 1e-12);

    /* a longer IVC (20 frames of 350 at 0.5 mm, first 10 % of 200 frames) is its own
     * reference: a stable stretch of 5 mm or more; the narrowing against it */
    LqFrameMeasure g[200];
    for (int i = 0; i < 200; i++) {
        double a = i < 20 ? 350 : i < 80 ? 240 : 154;
        set_frame(g, i, a, 2 * sqrt(a / 3.14159265358979));
    }
    set_frame(g, 2, 100, 8);
    LqSummary t;
    LqError err = {0};
    assert_int_equal(lq_measure_frames(g, 200, &set, &t, &err), LQ_OK);
    assert_int_equal(t.ivc_reference_first, 3);
    assert_int_equal(t.ivc_reference_last, 19);
    assert_float_equal(t.ivc_reference_area_mm2, 350, 1e-9);
    assert_int_equal(t.segments[0].reference, LQ_SEGMENT_REF_IVC);
    assert_float_equal(t.segments[0].area_stenosis_pct, 100 * (1 - 100 / 350.0), 1e-9);
    /* jugular access: the IVC is at the end of the file */
    LqFrameMeasure h[200];
    for (int i = 0; i < 200; i++) h[i] = g[199 - i], h[i].position_mm = i * STEP_MM;
    set.pullback_from_cfv = 1;
    assert_int_equal(lq_measure_frames(h, 200, &set, &t, &err), LQ_OK);
    assert_int_equal(t.ivc_first, 180);
    assert_int_equal(t.ivc_last, 199);
    assert_int_equal(t.segments[0].site, LQ_SITE_IVC);
    assert_int_equal(t.segments[0].first, 197);
}

static void test_lesion_range(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    set.lesion_first = 26, set.lesion_last = 31;
    LqSummary s = measure_with(f, &set);
    assert_true(s.ok);
    assert_int_equal(s.lesion_method, LQ_METHOD_USER);
    assert_int_equal(s.lesion_frame, 26); /* MLA within the range only */
    assert_float_equal(s.mla_mm2, 70, 1e-12);
    assert_int_equal(s.lesion_search_first, 26);
    assert_int_equal(s.lesion_search_last, 31);
    /* the segment still extends beyond the range: it is anatomy */
    assert_int_equal(s.lesion_first, 23);
    assert_int_equal(s.lesion_last, 27);
    /* a range holding only a low-confidence frame still gives it */
    set.lesion_first = set.lesion_last = 33;
    s = measure_with(f, &set);
    assert_true(s.ok);
    assert_int_equal(s.lesion_frame, 33);
    /* automatic search covers the IVC skip to the run */
    lq_measure_settings_default(&set);
    s = measure_with(f, &set);
    assert_int_equal(s.lesion_search_first, 10);
    assert_int_equal(s.lesion_search_last, 39);
}

static void test_reference_normal_and_external(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    set.reference_normal = LQ_VEIN_EIV;
    LqSummary s = measure_with(f, &set);
    assert_true(s.ok);
    assert_int_equal(s.reference_method, LQ_METHOD_NORMAL);
    assert_float_equal(s.reference_diameter_mm, 14.0, 1e-12);
    assert_float_equal(s.reference_area_mm2, 150.0, 1e-12);
    assert_int_equal(s.reference_first, -1);
    assert_int_equal(s.lesion_frame, 25); /* the lesion is still sought above the EIV run */
    assert_float_equal(s.diameter_stenosis_pct, 100 * (1 - 4 / 14.0), 1e-9);
    assert_non_null(strstr(s.reference_note, "Raju"));
    assert_non_null(strstr(s.reference_note, "EIV"));
    set.reference_normal = LQ_VEIN_CIV;
    s = measure_with(f, &set);
    assert_float_equal(s.reference_diameter_mm, 16.0, 1e-12);
    assert_float_equal(s.reference_area_mm2, 200.0, 1e-12);

    lq_measure_settings_default(&set);
    set.external_reference_area_mm2 = 154.0;
    snprintf(set.external_reference_note, sizeof set.external_reference_note, "other.dcm frames 10-20");
    s = measure_with(f, &set);
    expect_values(&s);
    assert_int_equal(s.reference_method, LQ_METHOD_EXTERNAL);
    assert_string_equal(s.reference_note, "other.dcm frames 10-20");
    assert_int_equal(s.reference_first, -1);

    /* two references at once are refused */
    LqError err = {0};
    set.reference_normal = LQ_VEIN_CFV;
    assert_int_equal(lq_measure_frames(f, N, &set, &s, &err), LQ_ERR_USAGE);
    lq_measure_settings_default(&set);
    set.external_reference_area_mm2 = NAN;
    assert_int_equal(lq_measure_frames(f, N, &set, &s, &err), LQ_ERR_USAGE);
    lq_measure_settings_default(&set);
    set.lesion_frame = 25, set.lesion_first = 20, set.lesion_last = 30;
    assert_int_equal(lq_measure_frames(f, N, &set, &s, &err), LQ_ERR_USAGE);
}

static void test_metric_chooses_verdict(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    set.threshold_pct = 60;
    LqSummary s = measure_with(f, &set);
    assert_float_equal(s.verdict_pct, s.diameter_stenosis_pct, 0);
    assert_true(s.significant);          /* 71.4 */
    set.metric = LQ_METRIC_AREA;
    s = measure_with(f, &set);
    assert_float_equal(s.verdict_pct, s.area_stenosis_pct, 0);
    assert_true(s.significant);          /* 67.5 */
    set.metric = LQ_METRIC_EQUIV_DIAMETER;
    s = measure_with(f, &set);
    assert_float_equal(s.verdict_pct, s.equiv_diameter_stenosis_pct, 0);
    assert_false(s.significant);         /* 43.0 */
    assert_int_equal(lq_metric_from_name("eqdiameter"), LQ_METRIC_EQUIV_DIAMETER);
    assert_int_equal(lq_metric_from_name("radius"), -1);
    assert_string_equal(lq_metric_name(LQ_METRIC_AREA), "area");
    assert_int_equal(lq_vein_from_name("civ"), LQ_VEIN_CIV);
}

/* A fixed lesion, however sharp, only widens walking away from the MLA; a
 * breathing one opens and narrows again around it. */
static void test_dynamic_flag(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    LqSummary s = measure_with(f, &set);
    assert_true(s.dynamic_checked);
    assert_false(s.dynamic);
    assert_float_equal(s.dynamic_variation_pct, 0, 1e-9);
    assert_int_equal(s.dynamic_frames, 20); /* +-10 frames, one low-confidence left out */
    /* a very sharp fixed lesion is still static */
    for (int i = 22; i <= 28; i++)
        if (i != 25) set_frame(f, i, 150, 13);
    s = measure_with(f, &set);
    assert_int_equal(s.lesion_frame, 25);
    assert_false(s.dynamic);
    /* so is a fixed lesion with one stray frame (a contour slip) beside it */
    anatomy(f);
    set_frame(f, 27, 160, 13);
    s = measure_with(f, &set);
    assert_false(s.dynamic);
    assert_float_equal(s.dynamic_variation_pct, 0, 1e-9);
    /* respiration: 8-frame period, the area swinging between 55 and 100 % of normal */
    anatomy(f);
    for (int i = 15; i <= 35; i++) {
        double a = 150 * (0.775 - 0.225 * cos(2 * 3.14159265358979 * (i - 25) / 8.0));
        set_frame(f, i, a, 2 * sqrt(a / 3.14159265358979));
    }
    set_frame(f, 25, 75, 5); /* the deepest of the troughs */
    s = measure_with(f, &set);
    assert_int_equal(s.lesion_frame, 25);
    assert_true(s.dynamic_checked);
    assert_true(s.dynamic);
    /* 3-frame medians: crests 150*(0.775 + 0.225*cos(pi/4)), troughs
     * 150*(0.775 - 0.225*cos(pi/4)): a 47.7 mm2 re-narrowing, 63.6 % of the MLA */
    assert_float_equal(s.dynamic_variation_pct, 100 * 150 * 0.45 * cos(3.14159265358979 / 4) / 75, 1e-6);
    assert_float_equal(s.dynamic_area_min_mm2, 75, 1e-6);
    assert_float_equal(s.dynamic_area_max_mm2, 150, 1e-6);
    /* frames too far apart to see a breath: not judged */
    set.positions_are_indices = 0;
    anatomy_step(f, 2.0);
    s = measure_with(f, &set);
    assert_false(s.dynamic_checked);
    assert_false(s.dynamic);
    assert_non_null(strstr(s.dynamic_note, "too sparse to see breathing"));
    /* too few usable frames near the lesion: not judged either */
    anatomy(f);
    for (int i = 15; i <= 35; i++)
        if (i != 25) f[i].confidence = 0.1;
    s = measure_with(f, &set);
    assert_false(s.dynamic_checked);
    assert_non_null(strstr(s.dynamic_note, "usable frames"));
}

/* The window follows the pullback's speed: a breath (5 s) of pullback each
 * side of the lesion, at most 5 mm. A re-narrowing 3-4 mm from the lesion lies
 * beyond the window at 0.5 mm/s (2.5 mm) and within it at 1 mm/s (5 mm); at
 * 1.5 and 3 mm/s a breath (7.5, 15 mm) does not fit the lesion's
 * neighbourhood: not judged. */
static void test_dynamic_window_follows_rate(void **state)
{
    (void)state;
    LqFrameMeasure f[N];
    anatomy(f);
    const double beyond[] = {100, 130, 150, 150, 120, 90, 90, 120, 150, 150, 150, 150, 150}; /* frames 27-39 */
    for (int i = 0; i < 13; i++) set_frame(f, 27 + i, beyond[i], 2 * sqrt(beyond[i] / 3.14159265358979));
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    set.pullback_rate_mm_s = 0.5;
    LqSummary s = measure_with(f, &set);
    assert_int_equal(s.lesion_frame, 25);
    assert_true(s.dynamic_checked);
    assert_false(s.dynamic);
    assert_float_equal(s.dynamic_window_mm, 2.5, 1e-9);
    set.pullback_rate_mm_s = 1.0;
    s = measure_with(f, &set);
    assert_float_equal(s.dynamic_window_mm, 5.0, 1e-9);
    assert_true(s.dynamic_checked);
    assert_true(s.dynamic);
    assert_float_equal(s.dynamic_variation_pct, 100.0 * (150 - 90) / 50, 1e-6); /* 3-frame medians */
    set.pullback_rate_mm_s = 0; /* not given: 1 mm/s */
    LqSummary unset = measure_with(f, &set);
    assert_true(unset.dynamic);
    assert_float_equal(unset.dynamic_window_mm, 5.0, 1e-9);
    set.pullback_rate_mm_s = 1.5;
    s = measure_with(f, &set);
    assert_false(s.dynamic_checked);
    assert_false(s.dynamic);
    assert_non_null(strstr(s.dynamic_note, "a breath is 7.5 mm"));
    set.pullback_rate_mm_s = 3.0;
    s = measure_with(f, &set);
    assert_false(s.dynamic_checked);
    assert_non_null(strstr(s.dynamic_note, "a breath is 15 mm"));
    assert_non_null(strstr(s.dynamic_note, "stationary"));
    /* slow but sparse: at 0.8 mm/s a breath is 4 mm, 2 frames 2 mm apart */
    set.pullback_rate_mm_s = 0.8;
    anatomy_step(f, 2.0);
    s = measure_with(f, &set);
    assert_false(s.dynamic_checked);
    assert_non_null(strstr(s.dynamic_note, "too sparse to see breathing"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto),           cmocka_unit_test(test_reversed_pullback),
        cmocka_unit_test(test_threshold_is_strict), cmocka_unit_test(test_user_overrides),
        cmocka_unit_test(test_invalid_ranges), cmocka_unit_test(test_no_stable_reference),
        cmocka_unit_test(test_stent_sizing),   cmocka_unit_test(test_lesion_range),
        cmocka_unit_test(test_every_segment),
        cmocka_unit_test(test_reference_normal_and_external), cmocka_unit_test(test_metric_chooses_verdict),
        cmocka_unit_test(test_dynamic_flag),   cmocka_unit_test(test_dynamic_window_follows_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
