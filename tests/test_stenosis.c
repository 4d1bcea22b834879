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
    assert_non_null(strstr(err.message, "out of range 1-100"));
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
    assert_false(s.ok);
    assert_non_null(strstr(s.problem, "--reference-range"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto),           cmocka_unit_test(test_reversed_pullback),
        cmocka_unit_test(test_threshold_is_strict), cmocka_unit_test(test_user_overrides),
        cmocka_unit_test(test_invalid_ranges), cmocka_unit_test(test_no_stable_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
