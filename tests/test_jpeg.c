/* JPEG baseline and extended frames: libjpeg-turbo against DCMTK's own codec
 * (LUMENQ_JPEG=dcmtk) on the same file, frame by frame, through
 * lq_study_read_frame (so the colour and graphics path is compared too).
 * Both use the accurate integer IDCT; they may still round differently, so
 * luma must agree within 1 grey level. The files: every JPEG baseline or
 * extended file of testdata/manifest.tsv, and phantoms encoded with DCMTK's
 * dcmcjpeg (grey and a console capture, one fragment a frame, or several
 * with and without an offset table). The fallback: lossless JPEG and corrupt
 * bitstreams go to DCMTK, which decodes or reports them; nothing crashes.
 * Parallel decoding: each worker of lq_study_measure reads its own blocks'
 * frames with a reader of its own; the results are identical for any number
 * of threads, on compressed pullbacks of every decoder path.
 * Usage: test-jpeg TESTDATA */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phantom/phantom.h"
#include "reader/study.h"

static const char *testdata_dir;
static char work_dir[256];

static LqStudy *open_study(const char *path, int force_dcmtk)
{
    if (force_dcmtk) setenv("LUMENQ_JPEG", "dcmtk", 1);
    LqStudy *st = NULL;
    LqError err = {0};
    int rc = lq_study_open(path, NULL, &st, &err);
    unsetenv("LUMENQ_JPEG");
    if (rc != LQ_OK) fail_msg("%s", err.message);
    return st;
}

/* Every frame through both decoders; returns the largest luma difference.
 * `turbo_frames`: how many frames libjpeg-turbo must have decoded itself. */
static int compare_decoders(const char *path, unsigned *turbo_frames)
{
    LqStudy *turbo = open_study(path, 0), *dcmtk = open_study(path, 1);
    const LqStudyInfo *in = lq_study_info(turbo);
    size_t px = (size_t)in->rows * in->cols;
    uint8_t *a = malloc(px), *b = malloc(px);
    assert_non_null(a), assert_non_null(b);
    LqError err = {0};
    int worst = 0;
    *turbo_frames = 0;
    for (unsigned f = 0; f < in->frames; f++) {
        if (lq_study_read_frame(turbo, f, a, &err) != LQ_OK) fail_msg("%s", err.message);
        *turbo_frames += strcmp(lq_study_frame_decoder(turbo), "libjpeg-turbo") == 0;
        if (lq_study_read_frame(dcmtk, f, b, &err) != LQ_OK) fail_msg("%s", err.message);
        assert_string_equal(lq_study_frame_decoder(dcmtk), "DCMTK");
        for (size_t i = 0; i < px; i++) {
            int d = abs(a[i] - b[i]);
            worst = d > worst ? d : worst;
        }
    }
    print_message("%s (%s, %s, %u frames %ux%u): libjpeg-turbo decoded %u, max |turbo - DCMTK| %d\n", path,
                  in->transfer_syntax_name, in->photometric, in->frames, in->cols, in->rows, *turbo_frames, worst);
    free(a), free(b);
    lq_study_close(&turbo), lq_study_close(&dcmtk);
    return worst;
}

static void test_real_files(void **state)
{
    (void)state;
    char manifest[1024], line[2048];
    snprintf(manifest, sizeof manifest, "%s/manifest.tsv", testdata_dir);
    FILE *fp = fopen(manifest, "r");
    if (!fp) fail_msg("cannot read %s", manifest);
    unsigned files = 0;
    while (fgets(line, sizeof line, fp)) {
        char name[1024], kind[64], syntax[128];
        if (sscanf(line, "%1023[^\t]\t%63[^\t]\t%127[^\t]", name, kind, syntax) != 3) continue;
        if (strcmp(syntax, "JPEGBaseline") && strncmp(syntax, "JPEGExtended", 12)) continue;
        char path[2100];
        snprintf(path, sizeof path, "%s/%s", testdata_dir, name);
        unsigned turbo = 0;
        assert_true(compare_decoders(path, &turbo) <= 1);
        assert_true(turbo > 0); /* each of them is a layout libjpeg-turbo takes */
        files++;
    }
    fclose(fp);
    assert_true(files >= 6); /* the manifest's six JPEG baseline files, RGB and YBR */
}

/* A phantom of `frames` frames, written and then encoded by dcmcjpeg with
 * `options`; returns the encoded file's path in `out`. */
static void encoded_phantom(int capture, unsigned frames, const char *options, const char *name, char *out,
                            size_t len)
{
    char plain[512], msg[256] = "", cmd[2048];
    snprintf(plain, sizeof plain, "%s/%s-plain.dcm", work_dir, name);
    snprintf(out, len, "%s/%s.dcm", work_dir, name);
    LqpParams p;
    lqp_params_default(&p);
    p.frames = frames;
    p.size = 256;
    p.capture = p.rgb = capture;
    if (lqp_write_study(&p, plain, NULL, msg, sizeof msg) != LQ_OK) fail_msg("phantom: %s", msg);
    snprintf(cmd, sizeof cmd, "dcmcjpeg %s '%s' '%s'", options, plain, out);
    if (system(cmd) != 0) fail_msg("%s failed (dcmcjpeg is installed with dcmtk: tools/deps.sh)", cmd);
    unlink(plain);
}

/* Phantoms dcmcjpeg encodes, every frame of which libjpeg-turbo must decode. */
typedef struct PhantomEncoding {
    int capture;         /* RGB console capture with graphics (dcmcjpeg makes it YBR_FULL_422, 4:2:2) */
    const char *options; /* dcmcjpeg's */
} PhantomEncoding;

static const PhantomEncoding grey_baseline = {0, "+eb"}, grey_extended = {0, "+ee"},
                             capture_baseline = {1, "+eb"},
                             /* frames split into 4 KiB fragments, found through the Basic Offset Table */
                             fragments_with_offsets = {0, "+eb +fs 4"},
                             /* and with an empty table: each frame starts a fragment with its
                              * start-of-image marker (PS3.5 A.4), as DCMTK also finds them */
                             fragments_without_offsets = {0, "+eb +fs 4 -ot"};

static void test_phantom(void **state)
{
    const PhantomEncoding *e = *state;
    char path[512];
    encoded_phantom(e->capture, 6, e->options, "phantom", path, sizeof path);
    print_message("%s phantom, dcmcjpeg %s:\n", e->capture ? "capture" : "grey", e->options);
    unsigned turbo = 0;
    assert_true(compare_decoders(path, &turbo) <= 1);
    assert_int_equal(turbo, 6);
    unlink(path);
}

/* Lossless JPEG (process 14, SV1) is not libjpeg-turbo 2.1's: DCMTK decodes it. */
static void test_lossless_falls_back(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/pydicom-data/JPGLosslessP14SV1_1s_1f_8b.dcm", testdata_dir);
    LqStudy *st = open_study(path, 0);
    const LqStudyInfo *in = lq_study_info(st);
    uint8_t *l = malloc((size_t)in->rows * in->cols);
    LqError err = {0};
    assert_int_equal(lq_study_read_frame(st, 0, l, &err), LQ_OK);
    assert_string_equal(lq_study_frame_decoder(st), "DCMTK");
    free(l);
    lq_study_close(&st);
}

/* Offset of the `nth` (0-based) occurrence of the two bytes in the file. */
static long find_marker(FILE *fp, int b0, int b1, unsigned nth)
{
    rewind(fp);
    int prev = -1, c;
    long at = 0;
    while ((c = fgetc(fp)) != EOF) {
        if (prev == b0 && c == b1 && nth-- == 0) return at - 1;
        prev = c, at++;
    }
    return -1;
}

/* Bytes of frame 2 overwritten: in the entropy-coded data (libjpeg-turbo
 * warns, so refuses; DCMTK decodes what it can), and its start-of-image
 * marker (nobody decodes it: a clean error naming the file). */
static void test_corrupt_frame_falls_back(void **state)
{
    (void)state;
    char path[512];
    encoded_phantom(0, 3, "+eb", "corrupt", path, sizeof path);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    long scan = find_marker(fp, 0xFF, 0xDA, 1); /* start of scan of frame 2 */
    assert_true(scan > 0);
    fseek(fp, scan + 400, SEEK_SET);
    static const uint8_t junk[] = {0xFF, 0xD9, 0x00, 0xFF, 0xC4, 0x13, 0x37, 0xFF, 0xFF, 0x00};
    for (int k = 0; k < 40; k++) fwrite(junk, 1, sizeof junk, fp);
    fclose(fp);

    LqStudy *st = open_study(path, 0);
    const LqStudyInfo *in = lq_study_info(st);
    size_t px = (size_t)in->rows * in->cols;
    uint8_t *a = malloc(px), *b = malloc(px);
    LqError err = {0}, err2 = {0};
    int rc = lq_study_read_frame(st, 1, a, &err);
    assert_string_equal(lq_study_frame_decoder(st), "DCMTK");
    LqStudy *ref = open_study(path, 1);
    assert_int_equal(lq_study_read_frame(ref, 1, b, &err2), rc); /* what DCMTK alone makes of it */
    if (rc == LQ_OK) assert_memory_equal(a, b, px);
    else assert_non_null(strstr(err.message, path));
    print_message("corrupt scan in frame 2: DCMTK %s\n", rc == LQ_OK ? "decoded it" : err.message);
    assert_int_equal(lq_study_read_frame(st, 2, a, &err), LQ_OK); /* the next frame is whole */
    assert_string_equal(lq_study_frame_decoder(st), "libjpeg-turbo");
    lq_study_close(&ref);
    lq_study_close(&st);

    fp = fopen(path, "r+b");
    long soi = find_marker(fp, 0xFF, 0xD8, 2); /* frame 3's start of image */
    assert_true(soi > 0);
    fseek(fp, soi, SEEK_SET);
    fwrite("\0\0\0\0", 1, 4, fp);
    fclose(fp);
    st = open_study(path, 0);
    rc = lq_study_read_frame(st, 2, a, &err);
    print_message("frame 3 without its start of image: %s\n", rc == LQ_OK ? "decoded" : err.message);
    assert_int_equal(rc, LQ_ERR_DATA);
    assert_non_null(strstr(err.message, path));
    lq_study_close(&st);
    free(a), free(b);
    unlink(path);
}

/* The pullback measured with `threads` workers. */
static LqResult *measure_with(const char *path, int threads)
{
    LqStudy *st = NULL;
    LqError err = {0};
    if (lq_study_open(path, NULL, &st, &err) != LQ_OK) fail_msg("%s", err.message);
    LqRunOptions opt;
    lq_run_options_default(&opt);
    opt.threads = threads;
    LqResult *r = NULL;
    if (lq_study_measure(st, &opt, &r, &err) != LQ_OK) fail_msg("%d threads: %s", threads, err.message);
    lq_study_close(&st);
    return r;
}

static int same_results(const LqResult *a, const LqResult *b)
{
    if (lq_result_frame_count(a) != lq_result_frame_count(b)) return 0;
    for (size_t i = 0; i < lq_result_frame_count(a); i++) {
        const LqFrameMeasure *x = lq_result_frame(a, i), *y = lq_result_frame(b, i);
        const LqContour *cx = lq_result_contour(a, i), *cy = lq_result_contour(b, i);
        if (x->valid != y->valid || x->confidence != y->confidence || x->position_mm != y->position_mm ||
            memcmp(&x->shape, &y->shape, sizeof x->shape) != 0 || cx->n != cy->n ||
            memcmp(cx->xy_mm, cy->xy_mm, 2 * sizeof *cx->xy_mm * cx->n) != 0)
            return 0;
    }
    const LqSummary *p = lq_result_summary(a), *q = lq_result_summary(b);
    return p->ok == q->ok && p->verdict_pct == q->verdict_pct && p->mla_mm2 == q->mla_mm2;
}

/* 100 frames are four blocks of 32: with 1 to 5 threads, workers decode
 * blocks side by side, alone, or some not at all. */
static void test_threads_identical(void **state)
{
    const PhantomEncoding *e = *state;
    char path[512];
    encoded_phantom(e->capture, 100, e->options, "threads", path, sizeof path);
    LqResult *one = measure_with(path, 1);
    for (int threads = 2; threads <= 5; threads++) {
        LqResult *more = measure_with(path, threads);
        if (!same_results(one, more)) fail_msg("%s %s: %d threads differ from 1", e->capture ? "capture" : "grey",
                                               e->options, threads);
        lq_result_free(&more);
    }
    lq_result_free(&one);
    unlink(path);
}

static const PhantomEncoding grey_lossless = {0, "+e1"};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test-jpeg TESTDATA\n");
        return 2;
    }
    testdata_dir = argv[1];
    snprintf(work_dir, sizeof work_dir, "/tmp/lumenq-test-jpeg-%ld", (long)getpid());
    if (mkdtemp(strcat(work_dir, "-XXXXXX")) == NULL) {
        perror("test-jpeg: mkdtemp");
        return 2;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_files),
        cmocka_unit_test_prestate(test_phantom, (void *)&grey_baseline),
        cmocka_unit_test_prestate(test_phantom, (void *)&grey_extended),
        cmocka_unit_test_prestate(test_phantom, (void *)&capture_baseline),
        cmocka_unit_test_prestate(test_phantom, (void *)&fragments_with_offsets),
        cmocka_unit_test_prestate(test_phantom, (void *)&fragments_without_offsets),
        cmocka_unit_test(test_lossless_falls_back),
        cmocka_unit_test(test_corrupt_frame_falls_back),
        cmocka_unit_test_prestate(test_threads_identical, (void *)&grey_baseline),
        cmocka_unit_test_prestate(test_threads_identical, (void *)&capture_baseline),
        cmocka_unit_test_prestate(test_threads_identical, (void *)&grey_lossless),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(work_dir);
    return failed;
}
