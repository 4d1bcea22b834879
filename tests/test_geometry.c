/* Per-frame geometry against analytic shapes: area, equivalent diameter,
 * minimal and maximal Feret diameters to 0.5 %. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "lumenq/lumenq.h"

#define PI 3.14159265358979323846

static void assert_rel(double got, double want, double tol)
{
    if (fabs(got - want) > tol * fabs(want)) fail_msg("got %.6f, want %.6f (+-%.2f %%)", got, want, 100 * tol);
}

/* Ellipse (semi-axes a, b) rotated by rot and centred at (cx, cy), n points. */
static void ellipse(double *xy, int n, double a, double b, double rot, double cx, double cy, int clockwise)
{
    for (int k = 0; k < n; k++) {
        double t = 2 * PI * k / n * (clockwise ? -1 : 1);
        double x = a * cos(t), y = b * sin(t);
        xy[2 * k] = cx + x * cos(rot) - y * sin(rot);
        xy[2 * k + 1] = cy + x * sin(rot) + y * cos(rot);
    }
}

static void test_circle(void **state)
{
    (void)state;
    double xy[2 * 720];
    LqShape s;
    ellipse(xy, 720, 5, 5, 0, 12, 30, 0);
    assert_int_equal(lq_shape_measure(xy, 720, &s), LQ_OK);
    assert_rel(s.area_mm2, PI * 25, 0.005);
    assert_rel(s.equiv_diameter_mm, 10, 0.005);
    assert_rel(s.min_feret_mm, 10, 0.005);
    assert_rel(s.max_feret_mm, 10, 0.005);
    assert_rel(s.eccentricity, 1, 0.005);
}

static void test_flattened_ellipse(void **state)
{
    (void)state;
    double xy[2 * 720];
    LqShape s;
    /* A May-Thurner-like lesion: 16 x 4 mm, rotated, clockwise order. */
    ellipse(xy, 720, 8, 2, 0.52, -3, 7, 1);
    assert_int_equal(lq_shape_measure(xy, 720, &s), LQ_OK);
    assert_rel(s.area_mm2, PI * 16, 0.005);
    assert_rel(s.equiv_diameter_mm, 8, 0.005);
    assert_rel(s.min_feret_mm, 4, 0.005);
    assert_rel(s.max_feret_mm, 16, 0.005);
    assert_rel(s.eccentricity, 4, 0.01);
    /* the maximal caliper lies along the major axis (mod pi) */
    double d = fmod(fabs(s.max_feret_angle_rad - 0.52), PI);
    assert_true(d < 0.02 || PI - d < 0.02);
}

static void test_rotated_rectangle(void **state)
{
    (void)state;
    /* 10 x 3 rectangle rotated by 37 degrees, with points along the edges. */
    double xy[2 * 52];
    int n = 0;
    const double w = 10, h = 3, rot = 37 * PI / 180;
    const double corner[4][2] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
    for (int e = 0; e < 4; e++)
        for (int k = 0; k < 13; k++) {
            double t = k / 13.0;
            double x = corner[e][0] + t * (corner[(e + 1) % 4][0] - corner[e][0]);
            double y = corner[e][1] + t * (corner[(e + 1) % 4][1] - corner[e][1]);
            xy[2 * n] = 4 + x * cos(rot) - y * sin(rot);
            xy[2 * n + 1] = -2 + x * sin(rot) + y * cos(rot);
            n++;
        }
    LqShape s;
    assert_int_equal(lq_shape_measure(xy, (size_t)n, &s), LQ_OK);
    assert_rel(s.area_mm2, 30, 0.005);
    assert_rel(s.min_feret_mm, 3, 0.005);
    assert_rel(s.max_feret_mm, sqrt(109), 0.005);
}

static void test_triangle(void **state)
{
    (void)state;
    /* Equilateral triangle, side 6: width = height 3*sqrt(3), diameter = side. */
    double xy[6] = {0, 0, 6, 0, 3, 3 * sqrt(3)};
    LqShape s;
    assert_int_equal(lq_shape_measure(xy, 3, &s), LQ_OK);
    assert_rel(s.area_mm2, 9 * sqrt(3), 1e-9);
    assert_rel(s.min_feret_mm, 3 * sqrt(3), 1e-9);
    assert_rel(s.max_feret_mm, 6, 1e-9);
}

static void test_degenerate(void **state)
{
    (void)state;
    double line[6] = {0, 0, 1, 1, 2, 2};
    LqShape s;
    assert_int_equal(lq_shape_measure(line, 2, &s), LQ_ERR_USAGE);
    assert_int_equal(lq_shape_measure(line, 3, &s), LQ_ERR_USAGE);
    assert_int_equal(lq_shape_measure(NULL, 5, &s), LQ_ERR_USAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_circle),           cmocka_unit_test(test_flattened_ellipse),
        cmocka_unit_test(test_rotated_rectangle), cmocka_unit_test(test_triangle),
        cmocka_unit_test(test_degenerate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
