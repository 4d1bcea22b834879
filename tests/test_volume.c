/* CT series read as a volume (issue 8, first part): slices sorted by
 * position along the normal whatever the file names, Hounsfield units kept,
 * the series chosen by UID or size, and a missing slice, two slices at one
 * position, uneven spacing and gantry tilt refused with a clear reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lumenq/lumenq.h"
#include "phantom/dicom_writer.h"
#include "tmpdir.h"

#define N 12
#define SIZE 32

static const char *testdata_dir;

/* A series of n slices into dir, files named in shuffled order. Slice i
 * (along the normal, feet to head) holds HU = 10 * i + column; its position
 * is shifted sideways by `tilt_mm` per slice; `skip` leaves one out; `dup`
 * puts slice dup at the position of slice dup - 1. */
static void write_series(const char *dir, const char *series_uid, unsigned n, int skip, int dup, double tilt_mm,
                         double spacing_jitter)
{
    mkdir(dir, 0755);
    int16_t hu[SIZE * SIZE];
    for (unsigned i = 0; i < n; i++) {
        if ((int)i == skip) continue;
        for (unsigned y = 0; y < SIZE; y++)
            for (unsigned x = 0; x < SIZE; x++) hu[y * SIZE + x] = (int16_t)(10 * (int)i + (int)x - 1000 * (y == 0));
        double z = -200.0 + 1.25 * (dup == (int)i ? i - 1 : i) + (i == n / 2 ? spacing_jitter : 0);
        char sop[80], path[256], msg[200];
        snprintf(sop, sizeof sop, "%s.%u", series_uid, i + 1);
        LqpCtSlice s = {SIZE, SIZE, hu, 0.7, 1.25, {-10.0, -20.0 + tilt_mm * i, z}, {1, 0, 0, 0, 1, 0},
                        n - i, "2.25.4242", series_uid, sop};
        /* names that sort in no useful order */
        snprintf(path, sizeof path, "%s/IM%04u", dir, (i * 7919u) % 9973u);
        assert_int_equal(lqp_dicom_write_ct_slice(&s, path, msg, sizeof msg), 0);
    }
}

static void test_sorted_by_position(void **state)
{
    (void)state;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/series", tmp_dir);
    write_series(dir, "2.25.1001", N, -1, -1, 0, 0);
    LqVolume *v = NULL;
    LqError err = {0};
    assert_int_equal(lq_volume_open(dir, NULL, NULL, &v, &err), LQ_OK);
    assert_int_equal(v->slices, N);
    assert_int_equal(v->cols, SIZE);
    assert_float_equal(v->dz_mm, 1.25, 1e-6);
    assert_float_equal(v->dx_mm, 0.7, 1e-9);
    assert_float_equal(v->origin[2], -200.0, 1e-6);
    assert_float_equal(v->normal[2], 1.0, 1e-9);
    for (unsigned i = 0; i < N; i++) /* slice i holds 10 * i + column, HU kept (row 0: -1000 too) */
        for (unsigned x = 0; x < SIZE; x++) {
            assert_int_equal(v->hu[(size_t)i * SIZE * SIZE + SIZE + x], 10 * (int)i + (int)x);
            assert_int_equal(v->hu[(size_t)i * SIZE * SIZE + x], 10 * (int)i + (int)x - 1000);
        }
    lq_volume_free(&v);
    assert_null(v);
    /* the geometry alone, as `lumenq info` shows it */
    LqVolume *g = NULL;
    assert_int_equal(lq_volume_probe(dir, NULL, NULL, &g, &err), LQ_OK);
    assert_int_equal(g->slices, N);
    assert_null(g->hu);
    assert_null(g->slice_paths);
    assert_float_equal(g->dz_mm, 1.25, 1e-6);
    lq_volume_free(&g);
    assert_null(g);
}

static void expect_refused(const char *dir, const char *why)
{
    LqVolume *v = NULL;
    LqError err = {0};
    assert_int_equal(lq_volume_open(dir, NULL, NULL, &v, &err), LQ_ERR_DATA);
    assert_null(v);
    if (!strstr(err.message, why)) print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, why));
    assert_non_null(strstr(err.message, dir));
}

static void test_refusals(void **state)
{
    (void)state;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/missing", tmp_dir);
    write_series(dir, "2.25.1002", N, 5, -1, 0, 0);
    expect_refused(dir, "slice missing between -195.00 and -192.50 mm");
    LqVolume *g = NULL;
    LqError err = {0};
    assert_int_equal(lq_volume_probe(dir, NULL, NULL, &g, &err), LQ_ERR_DATA);
    assert_null(g);
    assert_non_null(strstr(err.message, "slice missing"));
    snprintf(dir, sizeof dir, "%s/duplicate", tmp_dir);
    write_series(dir, "2.25.1003", N, -1, 6, 0, 0);
    expect_refused(dir, "two slices at one position");
    snprintf(dir, sizeof dir, "%s/uneven", tmp_dir);
    write_series(dir, "2.25.1004", N, -1, -1, 0, 0.4);
    expect_refused(dir, "uneven slice spacing");
    snprintf(dir, sizeof dir, "%s/tilt", tmp_dir);
    write_series(dir, "2.25.1005", N, -1, -1, 1.25 * tan(15.0 * 3.14159265358979 / 180), 0);
    expect_refused(dir, "gantry tilt of 15.0 degrees");
    snprintf(dir, sizeof dir, "%s/one", tmp_dir);
    write_series(dir, "2.25.1006", 1, -1, -1, 0, 0);
    expect_refused(dir, "one slice");
}

static void test_series_choice(void **state)
{
    (void)state;
    char dir[128], sub[160];
    snprintf(dir, sizeof dir, "%s/two", tmp_dir);
    mkdir(dir, 0755);
    snprintf(sub, sizeof sub, "%s/a", dir);
    write_series(sub, "2.25.2001", 6, -1, -1, 0, 0);
    snprintf(sub, sizeof sub, "%s/b", dir);
    write_series(sub, "2.25.2002", 9, -1, -1, 0, 0);
    LqVolume *v = NULL;
    LqError err = {0};
    assert_int_equal(lq_volume_open(dir, NULL, NULL, &v, &err), LQ_OK);
    assert_string_equal(v->series_uid, "2.25.2002"); /* the larger */
    assert_int_equal(v->slices, 9);
    lq_volume_free(&v);
    assert_int_equal(lq_volume_open(dir, "2.25.2001", NULL, &v, &err), LQ_OK);
    assert_int_equal(v->slices, 6);
    lq_volume_free(&v);
    assert_int_equal(lq_volume_open(dir, "2.25.9", NULL, &v, &err), LQ_ERR_DATA);
    assert_non_null(strstr(err.message, "no CT series 2.25.9"));
}

/* A real CT series of five slices, from the repository's testdata/. */
static void test_real_series(void **state)
{
    (void)state;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/pydicom/dicomdirtests/98892001", testdata_dir);
    if (access(dir, R_OK) != 0) fail_msg("%s is missing: testdata/ must hold the real CT series", dir);
    LqVolume *v = NULL;
    LqError err = {0};
    assert_int_equal(lq_volume_open(dir, NULL, NULL, &v, &err), LQ_OK);
    assert_int_equal(v->slices, 5);
    print_message("real series: %u slices %ux%u, %.3f x %.3f x %.3f mm\n", v->slices, v->cols, v->rows, v->dx_mm,
                  v->dy_mm, v->dz_mm);
    /* pydicom shrank the slices to 16x16 without updating Pixel Spacing */
    assert_int_equal(v->cols, 16);
    assert_float_equal(v->dx_mm, 0.488281, 1e-6);
    assert_float_equal(v->dz_mm, 2.5, 1e-6);
    lq_volume_free(&v);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test-volume TESTDATA\n");
        return 64;
    }
    testdata_dir = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sorted_by_position),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_series_choice),
        cmocka_unit_test(test_real_series),
    };
    return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
