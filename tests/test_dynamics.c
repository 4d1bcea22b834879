/* The lumen over time where the catheter is held still
 * (docs/measurements.md, "Dynamic lesions"), on synthetic areas with
 * hand-computed answers. A breath of 4 s sampled at 10 frames/s, area
 * 80 + 40 sin(2 pi t / 4): min 40, max 120, so (max - min) / max = 66.7 %;
 * the running median over +-0.15 s (one frame each side) lowers each peak to
 * 80 + 40 cos(2 pi / 40) = 119.507 and raises each trough to 40.493, so each
 * whole cycle gives (119.507 - 40.493) / 119.507 = 66.12 %. Frames held at
 * one position (a pause) measure as the same pullback without them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "lumenq/lumenq.h"

#define FRAMES 120
#define FRAME_MS 100.0

static void breathing(LqFrameMeasure *f, size_t n, double mean, double swing, double period_s)
{
    for (size_t i = 0; i < n; i++) {
        memset(&f[i], 0, sizeof f[i]);
        f[i].shape.area_mm2 = mean + swing * sin(2 * 3.14159265358979323846 * i * FRAME_MS / 1000.0 / period_s);
        f[i].confidence = 0.9;
        f[i].valid = 1;
    }
}

static void test_variation_definition(void **state)
{
    (void)state;
    assert_float_equal(lq_area_variation_pct(50, 100), 50.0, 1e-12);
    assert_float_equal(lq_area_variation_pct(40, 120), 100.0 * 80 / 120, 1e-12);
    assert_true(isnan(lq_area_variation_pct(0, 0)));
}

static void test_breathing_cycles(void **state)
{
    (void)state;
    LqFrameMeasure f[FRAMES];
    breathing(f, FRAMES, 80, 40, 4.0);
    LqTimeCourse c;
    LqError err = {0};
    assert_int_equal(lq_time_course_measure(f, 0, FRAMES - 1, FRAME_MS, 0.5, 50, &c, &err), LQ_OK);
    assert_true(c.judged);
    assert_float_equal(c.period_s, 4.0, 1e-9); /* a lag of 40 frames */
    assert_int_equal(c.cycles, 3);
    assert_int_equal(c.cycle[1].first, 40);
    assert_int_equal(c.cycle[1].last, 79);
    double peak = 80 + 40 * cos(2 * 3.14159265358979323846 / 40), trough = 160 - peak;
    for (int k = 0; k < 3; k++) {
        assert_float_equal(c.cycle[k].area_max_mm2, peak, 1e-9);
        assert_float_equal(c.cycle[k].area_min_mm2, trough, 1e-9);
        assert_float_equal(c.cycle[k].variation_pct, 100 * (peak - trough) / peak, 1e-9);
        assert_float_equal(c.cycle[k].area_median_mm2, 80, 2.0);
    }
    assert_float_equal(c.variation_pct, 66.12, 0.01);
    assert_true(c.dynamic);
    /* the same recording judged at a threshold above its variation */
    assert_int_equal(lq_time_course_measure(f, 0, FRAMES - 1, FRAME_MS, 0.5, 70, &c, &err), LQ_OK);
    assert_false(c.dynamic);
}

static void test_still_lesion(void **state)
{
    (void)state;
    LqFrameMeasure f[FRAMES];
    breathing(f, FRAMES, 50, 0, 4.0);
    uint32_t x = 12345; /* segmentation noise, 0-0.8 mm2, without a rhythm */
    for (int i = 0; i < FRAMES; i++) {
        x = x * 1664525u + 1013904223u;
        f[i].shape.area_mm2 += 0.8 * (x >> 8) / 16777216.0;
    }
    LqTimeCourse c;
    assert_int_equal(lq_time_course_measure(f, 0, FRAMES - 1, FRAME_MS, 0.5, 50, &c, NULL), LQ_OK);
    assert_true(c.judged);
    assert_float_equal(c.period_s, 0, 0); /* no rhythm: one cycle, the whole recording */
    assert_int_equal(c.cycles, 1);
    assert_true(c.variation_pct < 2);
    assert_false(c.dynamic);
}

static void test_not_judged(void **state)
{
    (void)state;
    LqFrameMeasure f[FRAMES];
    breathing(f, FRAMES, 80, 40, 4.0);
    LqTimeCourse c;
    assert_int_equal(lq_time_course_measure(f, 0, 24, FRAME_MS, 0.5, 50, &c, NULL), LQ_OK); /* 2.5 s */
    assert_false(c.judged);
    assert_non_null(strstr(c.note, "under the 3 s"));
    assert_int_equal(lq_time_course_measure(f, 0, FRAMES - 1, 0, 0.5, 50, &c, NULL), LQ_OK);
    assert_false(c.judged);
    assert_non_null(strstr(c.note, "no frame time"));
    for (int i = 0; i < FRAMES; i += 2) f[i].confidence = 0.1; /* half the frames unusable */
    assert_int_equal(lq_time_course_measure(f, 0, FRAMES - 1, FRAME_MS, 0.5, 50, &c, NULL), LQ_OK);
    assert_false(c.judged);
    assert_int_equal(c.frames, FRAMES / 2);
}

/* A pullback at 0.5 mm/frame: IVC, CIV, a 5 mm lesion (frames 60-69), EIV;
 * paused: `pause` more frames held at frame 64's place, the lesion as there. */
static size_t pullback(LqFrameMeasure *f, size_t pause)
{
    size_t n = 0;
    for (size_t i = 0; i < 200; i++)
        for (size_t k = 0; k <= (i == 64 ? pause : 0); k++, n++) {
            double area = i < 20 ? 300 : i < 60 ? 180 : i < 70 ? 40 + 0.1 * fabs((double)i - 64) + 0.01 * k : 150;
            memset(&f[n], 0, sizeof f[n]);
            f[n].valid = 1, f[n].confidence = 0.9;
            f[n].position_mm = 0.5 * (double)i; /* the catheter's place: held during the pause */
            f[n].shape.area_mm2 = area;
            f[n].shape.min_feret_mm = f[n].shape.max_feret_mm = 2 * sqrt(area / 3.14159265358979323846);
        }
    return n;
}

static void test_pause_is_one_place(void **state)
{
    (void)state;
    static LqFrameMeasure moving[200], paused[230];
    size_t n = pullback(moving, 0), m = pullback(paused, 30);
    assert_int_equal(m, n + 30);
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    LqSummary a, b;
    assert_int_equal(lq_measure_frames(moving, n, &set, &a, NULL), LQ_OK);
    assert_int_equal(lq_measure_frames(paused, m, &set, &b, NULL), LQ_OK);
    assert_true(a.ok && b.ok);
    assert_int_equal(a.lesion_frame, 64);
    assert_int_equal(b.lesion_frame, 64); /* the pause's narrowest frame, its first */
    assert_float_equal(b.lesion_position_mm, a.lesion_position_mm, 1e-9);
    assert_float_equal(b.lesion_length_mm, 5.0, 1e-9);
    assert_float_equal(a.lesion_length_mm, 5.0, 1e-9);
    assert_float_equal(b.reference_area_mm2, a.reference_area_mm2, 1e-9);
    assert_float_equal(b.stent_span_mm, a.stent_span_mm, 1e-9);
    assert_float_equal(b.stent_length_mm, a.stent_length_mm, 1e-9);
    /* ranges in frames of the file: the lesion segment holds the held frames */
    assert_int_equal(a.lesion_first, 60), assert_int_equal(a.lesion_last, 69);
    assert_int_equal(b.lesion_first, 60), assert_int_equal(b.lesion_last, 99);
    assert_int_equal(b.reference_first, a.reference_first + 30);
    assert_int_equal(b.reference_last, a.reference_last + 30);
    assert_int_equal(b.low_confidence_frames, 0);
    /* a frame of the pause chosen by the reader stands for the place */
    set.lesion_frame = 80;
    assert_int_equal(lq_measure_frames(paused, m, &set, &b, NULL), LQ_OK);
    assert_int_equal(b.lesion_frame, 80);
    assert_float_equal(b.lesion_position_mm, 32.0, 1e-9);
    assert_float_equal(b.lesion_length_mm, 5.0, 1e-9);
    /* a pullback held throughout is one place: nothing to measure along */
    for (size_t i = 0; i < m; i++) paused[i].position_mm = 7.0;
    set.lesion_frame = -1;
    assert_int_equal(lq_measure_frames(paused, m, &set, &b, NULL), LQ_OK);
    assert_false(b.ok);
    assert_non_null(strstr(b.problem, "230 frames at only 1 place along the vein (the catheter held still)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variation_definition),
        cmocka_unit_test(test_breathing_cycles),
        cmocka_unit_test(test_still_lesion),
        cmocka_unit_test(test_not_judged),
        cmocka_unit_test(test_pause_is_one_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
