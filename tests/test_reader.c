/* DICOM reader: calibration chain, timing, photometrics, and bad input.
 * Studies are small phantoms written with DCMTK into a temporary folder. */
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

#include "phantom/phantom.h"
#include "tmpdir.h"


static const char *path_in(const char *name)
{
    static char buf[8][256];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 256, "%s/%s", tmp_dir, name);
    return p;
}

static void small(LqpParams *p, uint64_t seed)
{
    lqp_params_default(p);
    p->seed = seed;
    p->frames = 40;
    p->size = 128;
}

static const char *write_phantom(const LqpParams *p, const char *name)
{
    char msg[256] = "";
    const char *path = path_in(name);
    int rc = lqp_write_study(p, path, NULL, msg, sizeof msg);
    if (rc != LQ_OK) fail_msg("phantom: %s", msg);
    return path;
}


static void test_regions_and_timing(void **state)
{
    (void)state;
    LqpParams p;
    small(&p, 3);
    const char *path = write_phantom(&p, "regions.dcm");
    LqStudy *st = NULL;
    LqError err = {0};
    assert_int_equal(lq_study_open(path, NULL, &st, &err), LQ_OK);
    const LqStudyInfo *in = lq_study_info(st);
    assert_int_equal(in->frames, 40);
    assert_int_equal(in->rows, 128);
    assert_string_equal(in->modality, "IVUS");
    assert_string_equal(in->photometric, "MONOCHROME2");
    assert_int_equal(in->calibration, LQ_CAL_US_REGION);
    assert_float_equal(in->pixel_dx_mm, 51.2 / 128, 1e-9);
    assert_float_equal(in->pixel_dy_mm, 51.2 / 128, 1e-9);
    assert_int_equal(in->timing, LQ_TIMING_DICOM);
    assert_float_equal(in->pullback_rate_mm_s, 1.0, 1e-9);
    /* position = index x rate x frame time: 150 mm over 39 intervals */
    assert_float_equal(lq_study_frame_position_mm(st, 39), 150.0, 1e-6);
    assert_float_equal(lq_study_frame_position_mm(st, 13), 50.0, 1e-6);
    assert_true(lq_study_measurable(st, NULL));
    uint8_t *luma = malloc(128 * 128);
    assert_int_equal(lq_study_read_frame(st, 39, luma, &err), LQ_OK);
    assert_int_equal(lq_study_read_frame(st, 40, luma, &err), LQ_ERR_USAGE);
    assert_non_null(strstr(err.message, "out of range: frames 1-40"));
    free(luma);
    lq_study_close(&st);
    assert_null(st);
    lq_study_close(&st); /* closing NULL is safe */
}

static void test_rgb_equals_grey(void **state)
{
    (void)state;
    LqpParams p;
    small(&p, 4);
    const char *grey = write_phantom(&p, "grey.dcm");
    p.rgb = 1;
    const char *rgb = write_phantom(&p, "rgb.dcm");
    LqStudy *a = NULL, *b = NULL;
    assert_int_equal(lq_study_open(grey, NULL, &a, NULL), LQ_OK);
    assert_int_equal(lq_study_open(rgb, NULL, &b, NULL), LQ_OK);
    assert_string_equal(lq_study_info(b)->photometric, "RGB");
    uint8_t *fa = malloc(128 * 128), *fb = malloc(128 * 128);
    for (unsigned i = 0; i < 40; i += 13) {
        assert_int_equal(lq_study_read_frame(a, i, fa, NULL), LQ_OK);
        assert_int_equal(lq_study_read_frame(b, i, fb, NULL), LQ_OK);
        assert_memory_equal(fa, fb, 128 * 128);
    }
    free(fa), free(fb);
    lq_study_close(&a), lq_study_close(&b);
}

static void test_calibration_chain(void **state)
{
    (void)state;
    LqpParams p;
    small(&p, 5);
    p.calibration = 2;
    const char *ps = write_phantom(&p, "pixel-spacing.dcm");
    p.calibration = 0;
    const char *none = write_phantom(&p, "no-calibration.dcm");
    LqStudy *st = NULL;
    LqError err = {0};
    assert_int_equal(lq_study_open(ps, NULL, &st, NULL), LQ_OK);
    assert_int_equal(lq_study_info(st)->calibration, LQ_CAL_PIXEL_SPACING);
    assert_float_equal(lq_study_info(st)->pixel_dx_mm, 0.4, 1e-9);
    lq_study_close(&st);

    /* no calibration: opens (info works) but cannot be measured, and says how to fix it */
    assert_int_equal(lq_study_open(none, NULL, &st, NULL), LQ_OK);
    const char *why = NULL;
    assert_false(lq_study_measurable(st, &why));
    assert_non_null(strstr(why, "--pixel-size"));
    LqResult *r = NULL;
    assert_int_equal(lq_study_measure(st, NULL, &r, &err), LQ_ERR_DATA);
    assert_null(r);
    assert_non_null(strstr(err.message, none));
    lq_study_close(&st);

    /* the user's pixel size is used only when the file has none */
    LqOpenOptions opt;
    lq_open_options_default(&opt);
    opt.pixel_size_mm = 0.25;
    assert_int_equal(lq_study_open(none, &opt, &st, NULL), LQ_OK);
    assert_int_equal(lq_study_info(st)->calibration, LQ_CAL_USER);
    assert_float_equal(lq_study_info(st)->pixel_dy_mm, 0.25, 1e-12);
    lq_study_close(&st);
    assert_int_equal(lq_study_open(ps, &opt, &st, NULL), LQ_OK);
    assert_int_equal(lq_study_info(st)->calibration, LQ_CAL_PIXEL_SPACING);
    lq_study_close(&st);
}

static void test_untimed(void **state)
{
    (void)state;
    LqpParams p;
    small(&p, 6);
    p.timing = 0;
    const char *path = write_phantom(&p, "untimed.dcm");
    LqStudy *st = NULL;
    assert_int_equal(lq_study_open(path, NULL, &st, NULL), LQ_OK);
    assert_int_equal(lq_study_info(st)->timing, LQ_TIMING_NONE);
    assert_float_equal(lq_study_frame_position_mm(st, 7), 7.0, 0);
    lq_study_close(&st);
    LqOpenOptions opt;
    lq_open_options_default(&opt);
    opt.pullback_rate_mm_s = 0.5;
    opt.frame_time_ms = 100;
    assert_int_equal(lq_study_open(path, &opt, &st, NULL), LQ_OK);
    assert_int_equal(lq_study_info(st)->timing, LQ_TIMING_USER);
    assert_float_equal(lq_study_frame_position_mm(st, 7), 0.35, 1e-12);
    lq_study_close(&st);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

static void test_bad_input(void **state)
{
    (void)state;
    LqStudy *st = NULL;
    LqError err = {0};
    const char *missing = path_in("does-not-exist.dcm");
    assert_int_equal(lq_study_open(missing, NULL, &st, &err), LQ_ERR_OPEN);
    assert_int_equal(lq_exit_code(err.code), 66);
    assert_non_null(strstr(err.message, missing));
    assert_null(strchr(err.message, '\n'));

    const char *text = path_in("report.txt");
    const char *words = "This is a text file, not DICOM.\n";
    write_bytes(text, words, strlen(words));
    assert_int_equal(lq_study_open(text, NULL, &st, &err), LQ_ERR_DATA);
    assert_int_equal(lq_exit_code(err.code), 65);
    assert_true(strncmp(err.message, text, strlen(text)) == 0);

    /* pixel data cut short: refused at open, before any frame is read */
    LqpParams p;
    small(&p, 7);
    const char *whole = write_phantom(&p, "whole.dcm");
    FILE *fp = fopen(whole, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    rewind(fp);
    char *buf = malloc((size_t)len);
    assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
    fclose(fp);
    const char *cut = path_in("truncated.dcm");
    write_bytes(cut, buf, (size_t)len * 3 / 4);
    free(buf);
    assert_int_equal(lq_study_open(cut, NULL, &st, &err), LQ_ERR_DATA);
    assert_null(st);
    assert_non_null(strstr(err.message, cut));
}

/* 100000 nested sequences overflow DCMTK's recursive parser: refused first. */
static void test_deep_nesting_refused(void **state)
{
    (void)state;
    const int levels = 100000;
    size_t n = 132 + (size_t)levels * 20;
    uint8_t *b = calloc(1, n);
    memcpy(b + 128, "DICM", 4);
    uint8_t *q = b + 132;
    /* no meta elements: the dataset is read as explicit VR little endian */
    for (int i = 0; i < levels; i++) {
        const uint8_t sq[12] = {0x08, 0x00, 0x15, 0x11, 'S', 'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF};
        const uint8_t item[8] = {0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF};
        memcpy(q, sq, 12), q += 12;
        memcpy(q, item, 8), q += 8;
    }
    const char *path = path_in("nested.dcm");
    write_bytes(path, b, (size_t)(q - b));
    free(b);
    LqStudy *st = NULL;
    LqError err = {0};
    assert_int_equal(lq_study_open(path, NULL, &st, &err), LQ_ERR_DATA);
    assert_non_null(strstr(err.message, "nested deeper"));
}

/* A folder scanned: DICOM objects described and sorted, other files
 * counted; the scan is the library's, freed with lq_scan_free(&scan). */
static void test_scan(void **state)
{
    (void)state;
    assert_int_equal(mkdir(path_in("scan"), 0755), 0);
    LqpParams p;
    small(&p, 5);
    write_phantom(&p, "scan/b.dcm");
    p.frames = 1; /* the same seed: the same study and series */
    write_phantom(&p, "scan/a.dcm");
    write_bytes(path_in("scan/notes.txt"), (const uint8_t *)"not DICOM", 9);
    LqScan *scan = NULL;
    LqError err = {0};
    assert_int_equal(lq_scan(path_in("scan"), NULL, &scan, &err), LQ_OK);
    assert_non_null(scan);
    assert_int_equal(scan->count, 2);
    assert_int_equal(scan->skipped, 1);
    /* one study and series, so sorted by path */
    assert_string_equal(scan->entries[0].info.series_instance_uid, scan->entries[1].info.series_instance_uid);
    assert_non_null(strstr(scan->entries[0].info.path, "scan/a.dcm"));
    assert_false(scan->entries[0].pullback); /* one frame */
    assert_true(scan->entries[1].pullback);
    lq_scan_free(&scan);
    assert_null(scan);
    lq_scan_free(&scan); /* freeing NULL is safe */
    assert_int_equal(lq_scan(path_in("no-such-folder"), NULL, &scan, &err), LQ_ERR_OPEN);
    assert_null(scan);
    assert_non_null(strstr(err.message, "no-such-folder"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regions_and_timing), cmocka_unit_test(test_rgb_equals_grey),
        cmocka_unit_test(test_calibration_chain),  cmocka_unit_test(test_untimed),
        cmocka_unit_test(test_bad_input),          cmocka_unit_test(test_deep_nesting_refused),
        cmocka_unit_test(test_scan),
    };
    return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
