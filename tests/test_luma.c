/* Real DICOM files: lumenq's luminance of frame 1 against DCMTK's own
 * rendering of the same frame (dcmj2pnm: palette, YBR and JPEG colour to RGB),
 * converted with the same BT.601 weights. Differences come only from rounding
 * (YBR -> RGB -> luma), so they must stay within 2 grey levels. For YBR data
 * lumenq takes Y itself; pixels whose RGB rendering DCMTK had to clip (a
 * saturated colour, or chroma noise on near-black background) are left out,
 * and must be few among the pixels with content (luma 16-239). JPEG 2000 files
 * (decoded by OpenJPEG) are compared with uncompressed encodings of the same
 * image: lossless must be identical.
 * Usage: test-luma TESTDATA [SHARED]. The files of the repository's testdata/
 * are always tested (missing is a failure); the few checks whose file is
 * only in ../shared/data (too large, or under the GPL) run when SHARED exists
 * and skip otherwise (testdata/README.md). Skips as a whole only when
 * dcmj2pnm is not installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lumenq/lumenq.h"

static const char *testdata_dir, *shared_dir;

/* Where a file is: testdata/ must hold it; ../shared/data may not exist. */
typedef enum Source { TESTDATA, SHARED_ONLY } Source;

/* Writes the file's path; skips the test when a shared-only file is absent. */
static void data_path(Source src, const char *name, char *path, size_t len)
{
    snprintf(path, len, "%s/%s", src == TESTDATA ? testdata_dir : shared_dir, name);
    if (access(path, R_OK) == 0) return;
    if (src == TESTDATA) fail_msg("%s is missing: testdata/ must hold every file these tests need", path);
    print_message("%s absent: this check runs on ../shared/data only\n", path);
    skip();
}

/* Reads a binary PPM (P6, maxval 255). */
static uint8_t *read_ppm(const char *path, unsigned *w, unsigned *h)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    unsigned maxval = 0;
    char magic[3] = "";
    if (fscanf(fp, "%2s %u %u %u", magic, w, h, &maxval) != 4 || strcmp(magic, "P6") || maxval != 255) {
        fclose(fp);
        return NULL;
    }
    fgetc(fp);
    size_t n = (size_t)*w * *h * 3;
    uint8_t *rgb = malloc(n);
    if (rgb && fread(rgb, 1, n, fp) != n) free(rgb), rgb = NULL;
    fclose(fp);
    return rgb;
}

/* Saturated colours (with a margin around the reader's thresholds, for the
 * YBR rounding): console graphics, which the reader fills from around them. */
static int console_graphics(const uint8_t *p)
{
    int hi = p[0] > p[1] ? (p[0] > p[2] ? p[0] : p[2]) : (p[1] > p[2] ? p[1] : p[2]);
    int lo = p[0] < p[1] ? (p[0] < p[2] ? p[0] : p[2]) : (p[1] < p[2] ? p[1] : p[2]);
    double cb = -0.1687 * p[0] - 0.3313 * p[1] + 0.5 * p[2], cr = 0.5 * p[0] - 0.4187 * p[1] - 0.0813 * p[2];
    return (hi - lo > 84 && 2.2 * (hi - lo) > hi) || fabs(cb) + fabs(cr) > 84;
}

/* `min_content_pct`: the share of pixels with content that must be compared.
 * 85 % on ultrasound screens, where little is saturated colour. */
static void compare(Source src, const char *name, unsigned min_content_pct)
{
    char path[1024], ppm[256], cmd[1400];
    data_path(src, name, path, sizeof path);
    snprintf(ppm, sizeof ppm, "/tmp/lumenq-test-luma-%ld.ppm", (long)getpid());
    snprintf(cmd, sizeof cmd, "dcmj2pnm --frame 1 --write-raw-pnm '%s' '%s' >/dev/null 2>&1", path, ppm);
    assert_int_equal(system(cmd), 0);
    unsigned w = 0, h = 0;
    uint8_t *rgb = read_ppm(ppm, &w, &h);
    unlink(ppm);
    assert_non_null(rgb);

    LqStudy *st = NULL;
    LqError err = {0};
    assert_int_equal(lq_study_open(path, NULL, &st, &err), LQ_OK);
    const LqStudyInfo *in = lq_study_info(st);
    assert_int_equal(in->cols, w);
    assert_int_equal(in->rows, h);
    uint8_t *luma = malloc((size_t)w * h);
    assert_int_equal(lq_study_read_frame(st, 0, luma, &err), LQ_OK);
    int worst = 0, ybr = strncmp(in->photometric, "YBR", 3) == 0;
    double sum = 0;
    size_t compared = 0, n = (size_t)w * h, content = 0, content_compared = 0, graphics = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = rgb + 3 * i;
        int clipped = p[0] == 0 || p[0] == 255 || p[1] == 0 || p[1] == 255 || p[2] == 0 || p[2] == 255;
        int grey = p[0] == p[1] && p[1] == p[2];
        int has_content = luma[i] >= 16 && luma[i] <= 239;
        content += has_content;
        if (ybr && clipped && !grey) continue;
        if (console_graphics(p)) { /* replaced on purpose by the overlay fill */
            graphics++;
            continue;
        }
        content_compared += has_content;
        int ref = (int)((77u * p[0] + 150u * p[1] + 29u * p[2] + 128u) >> 8);
        int d = abs(ref - luma[i]);
        worst = d > worst ? d : worst;
        sum += d;
        compared++;
    }
    print_message("%s (%s): %.1f %% of pixels (%.1f %% of those with content) compared, max difference %d, "
                  "mean %.3f grey levels; %zu pixels of coloured graphics left out\n",
                  name, in->photometric, 100.0 * compared / n, 100.0 * content_compared / (content ? content : 1),
                  worst, sum / (double)compared, graphics);
    assert_true(content_compared >= content * min_content_pct / 100);
    assert_true(worst <= 2);
    free(luma), free(rgb);
    lq_study_close(&st);
}

/* Frame 1 of two encodings of the same image: lossless must be identical,
 * lossy within `max_mean` grey levels on average. */
static void compare_encodings(Source src, const char *a, const char *b, double max_mean)
{
    char pa[1024], pb[1024];
    data_path(src, a, pa, sizeof pa);
    data_path(src, b, pb, sizeof pb);
    LqStudy *sa = NULL, *sb = NULL;
    LqError err = {0};
    assert_int_equal(lq_study_open(pa, NULL, &sa, &err), LQ_OK);
    assert_int_equal(lq_study_open(pb, NULL, &sb, &err), LQ_OK);
    const LqStudyInfo *ia = lq_study_info(sa);
    assert_int_equal(ia->rows, lq_study_info(sb)->rows);
    assert_int_equal(ia->cols, lq_study_info(sb)->cols);
    size_t n = (size_t)ia->rows * ia->cols;
    uint8_t *la = malloc(n), *lb = malloc(n);
    assert_int_equal(lq_study_read_frame(sa, 0, la, &err), LQ_OK);
    assert_int_equal(lq_study_read_frame(sb, 0, lb, &err), LQ_OK);
    double sum = 0;
    int worst = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs(la[i] - lb[i]);
        sum += d;
        worst = d > worst ? d : worst;
    }
    print_message("%s vs %s: max difference %d, mean %.3f grey levels\n", a, b, worst, sum / (double)n);
    if (max_mean == 0) assert_int_equal(worst, 0);
    else assert_true(sum / (double)n <= max_mean);
    free(la), free(lb);
    lq_study_close(&sa), lq_study_close(&sb);
}

/* US1_UNCR.dcm (923 KB) is too large for testdata/: the lossless check runs
 * on ../shared/data only, and the lossy one compares with the lossless J2K,
 * which decodes to the same pixels. */
static void test_j2k_lossless_us(void **state)
{
    (void)state;
    compare_encodings(SHARED_ONLY, "pydicom-data/US1_J2KR.dcm", "pydicom-data/US1_UNCR.dcm", 0);
}

static void test_j2k_lossy_us(void **state)
{
    (void)state;
    compare_encodings(TESTDATA, "pydicom-data/US1_J2KI.dcm", "pydicom-data/US1_J2KR.dcm", 2.0);
}

/* Against DCMTK's own JPEG-LS lossless decode of the same CT slice, a third
 * the size of the uncompressed file. */
static void test_j2k_lossless_ct(void **state)
{
    (void)state;
    compare_encodings(TESTDATA,
                      "cornerstone3D/CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm",
                      "cornerstone3D/CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm", 0);
}

/* HTJ2K (1.2.840.10008.1.2.4.203), unknown to DCMTK 3.6.7, decoded by
 * OpenJPEG: a photograph of a sail on the sea under a flat grey sky. No
 * second encoding exists to compare with, so the test checks what the picture
 * is: a smooth sky above a glittering sea, at the right brightness. */
static void test_htj2k(void **state)
{
    (void)state;
    char path[1024];
    data_path(TESTDATA, "pydicom-data/HTJ2K_08_RGB.dcm", path, sizeof path);
    LqStudy *st = NULL;
    LqError err = {0};
    assert_int_equal(lq_study_open(path, NULL, &st, &err), LQ_OK);
    const LqStudyInfo *in = lq_study_info(st);
    assert_string_equal(in->transfer_syntax_name, "High-Throughput JPEG 2000");
    assert_int_equal(in->cols, 640), assert_int_equal(in->rows, 480);
    uint8_t *l = malloc((size_t)in->rows * in->cols);
    assert_int_equal(lq_study_read_frame(st, 0, l, &err), LQ_OK);
    double band[2][2] = {{0, 0}, {0, 0}}; /* sky rows 20-119, sea rows 350-469: sum, sum of squares */
    for (unsigned y = 0; y < in->rows; y++)
        for (unsigned x = 0; x < in->cols; x++) {
            int b = y >= 20 && y < 120 ? 0 : y >= 350 && y < 470 ? 1 : -1;
            if (b < 0) continue;
            double v = l[(size_t)y * in->cols + x];
            band[b][0] += v, band[b][1] += v * v;
        }
    double n = 100.0 * in->cols, m = 120.0 * in->cols;
    double sky_sd = sqrt(band[0][1] / n - pow(band[0][0] / n, 2)), sea_sd = sqrt(band[1][1] / m - pow(band[1][0] / m, 2));
    print_message("HTJ2K: sky mean %.1f sd %.1f, sea sd %.1f\n", band[0][0] / n, sky_sd, sea_sd);
    assert_true(band[0][0] / n > 90 && band[0][0] / n < 160);
    assert_true(sky_sd < 12);
    assert_true(sea_sd > 40);
    free(l);
    lq_study_close(&st);
}

/* A segmented palette (PS3.3 C.7.9.2: discrete, linear and indirect
 * segments), which DCMTK 3.6.7 cannot render: an ultrasound screen whose
 * grey bar at the top left runs from white down to black. */
static void test_segmented_palette(void **state)
{
    (void)state;
    char path[1024];
    data_path(TESTDATA, "pydicom-data/gdcm-US-ALOKA-16.dcm", path, sizeof path);
    LqStudy *st = NULL;
    LqError err = {0};
    assert_int_equal(lq_study_open(path, NULL, &st, &err), LQ_OK);
    const char *why = NULL;
    assert_true(lq_study_measurable(st, &why));
    const LqStudyInfo *in = lq_study_info(st);
    uint8_t *l = malloc((size_t)in->rows * in->cols);
    assert_int_equal(lq_study_read_frame(st, 0, l, &err), LQ_OK);
    double top = 0, bottom = 0, image = 0;
    for (unsigned x = 40; x < 56; x++) top += l[45 * in->cols + x], bottom += l[95 * in->cols + x];
    for (size_t i = 0; i < (size_t)in->rows * in->cols; i++) image += l[i];
    top /= 16, bottom /= 16, image /= (double)in->rows * in->cols;
    print_message("segmented palette: bar %.0f at the top, %.0f at the bottom; image mean %.1f\n", top, bottom, image);
    assert_true(top > 200 && bottom < 60);
    assert_true(image > 15 && image < 60);
    free(l);
    lq_study_close(&st);
}

static void test_palette_native(void **state) { (void)state; compare(TESTDATA, "pydicom/examples_palette.dcm", 85); }
static void test_palette_rle(void **state) { (void)state; compare(TESTDATA, "cornerstone3D/no-pixel-spacing.dcm", 85); }
static void test_rgb(void **state) { (void)state; compare(TESTDATA, "pydicom/examples_rgb_color.dcm", 85); }
/* A colour-bar test pattern: DCMTK clips most of its saturated colours, so
 * only about a quarter of it can be compared (the ultrasound file of this
 * kind, 890 KB, is checked on ../shared/data below). */
static void test_ybr422_native(void **state)
{
    (void)state;
    compare(TESTDATA, "pydicom/SC_ybr_full_422_uncompressed.dcm", 20);
}
/* a real ultrasound cine, JPEG baseline YBR_FULL_422, 30 frames */
static void test_ybr422_jpeg(void **state) { (void)state; compare(TESTDATA, "pydicom/examples_ybr_color.dcm", 85); }
/* Only in ../shared/data: orthanc-tests is GPL-3.0, and the US YBR_FULL_422
 * file is 890 KB; testdata/ has files of the same kinds above. */
static void test_palette_implicit(void **state)
{
    (void)state;
    compare(SHARED_ONLY, "orthanc-tests/Implicit-vr-us-palette.dcm", 85);
}
static void test_ybr422_native_us(void **state)
{
    (void)state;
    compare(SHARED_ONLY, "cornerstone3D/US-YBR_FULL_422-EVRLE.dcm", 85);
}
static void test_ybr422_jpeg_echo(void **state) { (void)state; compare(SHARED_ONLY, "orthanc-tests/Issue16.dcm", 85); }

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test-luma TESTDATA [SHARED]\n");
        return 64;
    }
    testdata_dir = argv[1];
    shared_dir = argc > 2 ? argv[2] : "../shared/data";
    if (system("command -v dcmj2pnm >/dev/null 2>&1") != 0) {
        printf("SKIP: dcmj2pnm not installed\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_palette_native),   cmocka_unit_test(test_palette_rle),
        cmocka_unit_test(test_rgb),              cmocka_unit_test(test_ybr422_native),
        cmocka_unit_test(test_ybr422_jpeg),      cmocka_unit_test(test_j2k_lossy_us),
        cmocka_unit_test(test_j2k_lossless_ct),  cmocka_unit_test(test_htj2k),
        cmocka_unit_test(test_segmented_palette),
        /* ../shared/data only */
        cmocka_unit_test(test_palette_implicit), cmocka_unit_test(test_ybr422_native_us),
        cmocka_unit_test(test_ybr422_jpeg_echo), cmocka_unit_test(test_j2k_lossless_us),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
