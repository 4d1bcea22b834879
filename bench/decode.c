/* Read + decode speed of a compressed pullback: every frame through
 * lq_study_read_frame with libjpeg-turbo and with DCMTK's own codec
 * (LUMENQ_JPEG=dcmtk) on the same file, a few passes each, alternating so
 * both see the same load on a shared machine.
 * Usage: bench-decode [FILE.dcm] [PASSES]
 * Without FILE a 240-frame 512x512 grey phantom is written and encoded as
 * JPEG baseline with DCMTK's dcmcjpeg (quality 90, its default) in /tmp. */
#include "phantom/phantom.h"
#include "reader/study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* One pass over every frame; returns frames/s, 0 on error. `decoder` gets
 * who decoded the last frame; `describe` prints what the file holds. */
static double pass(const char *path, int force_dcmtk, int describe, const char **decoder)
{
    if (force_dcmtk) setenv("LUMENQ_JPEG", "dcmtk", 1);
    LqStudy *st = NULL;
    LqError err = {0};
    int rc = lq_study_open(path, NULL, &st, &err);
    unsetenv("LUMENQ_JPEG");
    if (rc != LQ_OK) {
        fprintf(stderr, "bench-decode: %s\n", err.message);
        return 0;
    }
    const LqStudyInfo *in = lq_study_info(st);
    if (describe)
        printf("%s: %u frames %ux%u, %s, %s\n", path, in->frames, in->cols, in->rows, in->transfer_syntax_name,
               in->photometric);
    uint8_t *luma = malloc((size_t)in->rows * in->cols);
    double t0 = now_s();
    for (unsigned i = 0; i < in->frames && rc == LQ_OK; i++) rc = lq_study_read_frame(st, i, luma, &err);
    double fps = in->frames / (now_s() - t0);
    if (rc != LQ_OK) fprintf(stderr, "bench-decode: %s\n", err.message);
    *decoder = lq_study_frame_decoder(st); /* a string literal: outlives the study */
    free(luma);
    lq_study_close(&st);
    return rc == LQ_OK ? fps : 0;
}

int main(int argc, char **argv)
{
    char path[256], plain[256], msg[256] = "", cmd[700];
    int own = argc < 2, passes = argc > 2 ? atoi(argv[2]) : 3;
    if (passes < 1) passes = 1;
    if (own) {
        snprintf(plain, sizeof plain, "/tmp/lumenq-bench-decode-%ld-plain.dcm", (long)getpid());
        snprintf(path, sizeof path, "/tmp/lumenq-bench-decode-%ld.dcm", (long)getpid());
        LqpParams p;
        lqp_params_default(&p);
        p.frames = 240;
        if (lqp_write_study(&p, plain, NULL, msg, sizeof msg) != LQ_OK) {
            fprintf(stderr, "bench-decode: %s\n", msg);
            return 1;
        }
        snprintf(cmd, sizeof cmd, "dcmcjpeg +eb '%s' '%s'", plain, path);
        int rc = system(cmd);
        unlink(plain);
        if (rc != 0) {
            fprintf(stderr, "bench-decode: %s failed\n", cmd);
            return 1;
        }
    } else {
        snprintf(path, sizeof path, "%s", argv[1]);
    }
    double lo[2] = {1e30, 1e30}, hi[2] = {0, 0};
    const char *who[2] = {"", ""};
    for (int k = 0; k < passes; k++)
        for (int d = 0; d < 2; d++) {
            double fps = pass(path, d, k == 0 && d == 0, &who[d]);
            if (fps == 0) return 1;
            lo[d] = fps < lo[d] ? fps : lo[d];
            hi[d] = fps > hi[d] ? fps : hi[d];
        }
    static const char *label[2] = {"default", "LUMENQ_JPEG=dcmtk"};
    for (int d = 0; d < 2; d++)
        printf("read + decode by %-13s %6.0f-%6.0f frames/s over %d passes (%s)\n", who[d], lo[d], hi[d], passes,
               label[d]);
    printf("gain %.1f-%.1fx\n", lo[0] / hi[1], hi[0] / lo[1]);
    if (own) unlink(path);
    return 0;
}
