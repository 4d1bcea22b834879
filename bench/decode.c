/* Decoding speed on the four pullback kinds of issue 19: read + decode alone
 * and end to end (lq_study_measure), at 1 and 2 threads, with lumenq's
 * decoders and with DCMTK's own codec forced (LUMENQ_JPEG=dcmtk) on the same
 * file. Each figure is the best of a few passes (the machine is shared);
 * the two decoders alternate so that both see the same load.
 *   bench-decode [--passes N] [--threads N] [FILE.dcm ...]
 * Without FILE, phantoms are written to /tmp and removed afterwards:
 *   300 x 512x512 grey, uncompressed
 *   240 x 512x512 grey, JPEG baseline (dcmcjpeg +eb: quality 90, its default)
 *   240 x 512x512 grey, JPEG lossless (dcmcjpeg +e1: process 14, SV1)
 *   700 x 480x480 RGB console captures with burned-in graphics, uncompressed
 * Read + decode at N threads is what the pipeline does: N frame readers
 * (lq_study_open_reader), each taking every Nth block of 32 frames. */
#include "bench.h"
#include "phantom/phantom.h"
#include "reader/study.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 32

typedef struct Reader {
    LqStudy *study;
    uint8_t *luma;
    unsigned index, count, frames;
    int rc;
    LqError err;
    pthread_t thread;
} Reader;

static void *read_blocks(void *arg)
{
    Reader *r = arg;
    for (unsigned b = r->index; b * BLOCK < r->frames && r->rc == LQ_OK; b += r->count)
        for (unsigned t = b * BLOCK; t < r->frames && t < (b + 1) * BLOCK && r->rc == LQ_OK; t++)
            r->rc = lq_study_read_frame(r->study, t, r->luma, &r->err);
    return NULL;
}

/* Frames/s reading every frame with `threads` readers; 0 on error. */
static double read_decode(LqStudy *st, int threads)
{
    const LqStudyInfo *in = lq_study_info(st);
    Reader rd[8];
    int ok = 1;
    memset(rd, 0, sizeof rd);
    for (int i = 0; i < threads; i++) {
        rd[i] = (Reader){.index = (unsigned)i, .count = (unsigned)threads, .frames = in->frames};
        rd[i].luma = malloc((size_t)in->rows * in->cols);
        if (i == 0) rd[i].study = st;
        else if (lq_study_open_reader(st, &rd[i].study, &rd[i].err) != LQ_OK) ok = 0;
    }
    double t0 = now_s();
    for (int i = 1; ok && i < threads; i++) pthread_create(&rd[i].thread, NULL, read_blocks, &rd[i]);
    if (ok) read_blocks(&rd[0]);
    for (int i = 1; ok && i < threads; i++) pthread_join(rd[i].thread, NULL);
    double fps = in->frames / (now_s() - t0);
    for (int i = 0; i < threads; i++) {
        if (rd[i].rc != LQ_OK || (i && !rd[i].study)) {
            fprintf(stderr, "bench-decode: %s\n", rd[i].err.message);
            ok = 0;
        }
        if (i) lq_study_close_reader(&rd[i].study);
        free(rd[i].luma);
    }
    return ok ? fps : 0;
}

static double end_to_end(LqStudy *st, int threads)
{
    LqRunOptions opt;
    lq_run_options_default(&opt);
    opt.threads = threads;
    LqResult *r = NULL;
    LqError err = {0};
    double t0 = now_s();
    int rc = lq_study_measure(st, &opt, &r, &err);
    double fps = lq_study_info(st)->frames / (now_s() - t0);
    if (rc != LQ_OK) fprintf(stderr, "bench-decode: %s\n", err.message);
    lq_result_free(&r);
    return rc == LQ_OK ? fps : 0;
}

static LqStudy *open_with(const char *path, int force_dcmtk)
{
    if (force_dcmtk) setenv("LUMENQ_JPEG", "dcmtk", 1);
    LqStudy *st = NULL;
    LqError err = {0};
    if (lq_study_open(path, NULL, &st, &err) != LQ_OK) fprintf(stderr, "bench-decode: %s\n", err.message);
    unsetenv("LUMENQ_JPEG");
    return st;
}

static double best(double a, double b) { return a > b ? a : b; }

/* One file: both decoders, read + decode and end to end at 1..max_threads. */
static int bench_file(const char *path, const char *kind, int passes, int max_threads)
{
    double fps[2][2][8] = {{{0}}}; /* decoder, read|end-to-end, threads-1 */
    const char *who[2] = {"", ""};
    for (int k = 0; k < passes; k++)
        for (int d = 0; d < 2; d++) {
            LqStudy *st = open_with(path, d);
            if (!st) return 1;
            for (int t = 1; t <= max_threads; t++) {
                double rd = read_decode(st, t);
                who[d] = lq_study_frame_decoder(st); /* string literals: outlive the study */
                double e2e = end_to_end(st, t);
                if (rd == 0 || e2e == 0) {
                    lq_study_close(&st);
                    return 1;
                }
                fps[d][0][t - 1] = best(fps[d][0][t - 1], rd);
                fps[d][1][t - 1] = best(fps[d][1][t - 1], e2e);
            }
            lq_study_close(&st);
        }
    LqStudy *st = open_with(path, 0);
    const LqStudyInfo *in = lq_study_info(st);
    printf("\n%s: %u x %ux%u %s, %s (%s)\n", kind, in->frames, in->cols, in->rows, in->photometric,
           in->transfer_syntax_name, path);
    lq_study_close(&st);
    printf("  %-16s", "frames/s");
    for (int t = 1; t <= max_threads; t++) printf("  read+decode %dt", t);
    for (int t = 1; t <= max_threads; t++) printf("   end to end %dt", t);
    printf("\n");
    for (int d = 0; d < 2; d++) {
        printf("  %-16s", who[d]);
        for (int w = 0; w < 2; w++)
            for (int t = 0; t < max_threads; t++) printf("  %15.0f", fps[d][w][t]);
        printf("%s\n", d ? "  (LUMENQ_JPEG=dcmtk)" : "");
    }
    return 0;
}

/* The four kinds as phantoms; returns how many were written. */
static int write_phantoms(char paths[4][256], const char *kinds[4])
{
    static const char *names[4] = {"grey", "jpeg-baseline", "jpeg-lossless", "rgb-capture"};
    static const char *encode[4] = {NULL, "+eb", "+e1", NULL};
    static const unsigned frames[4] = {300, 240, 240, 700}, size[4] = {512, 512, 512, 480};
    static const char *label[4] = {"grey, uncompressed", "grey, JPEG baseline", "grey, JPEG lossless",
                                   "RGB screen with graphics, uncompressed"};
    for (int k = 0; k < 4; k++) {
        char plain[300], msg[256] = "", cmd[800];
        snprintf(paths[k], 256, "/tmp/lumenq-bench-decode-%ld-%s.dcm", (long)getpid(), names[k]);
        snprintf(plain, sizeof plain, "%s.plain", paths[k]);
        LqpParams p;
        lqp_params_default(&p);
        p.frames = frames[k], p.size = size[k];
        p.capture = p.rgb = k == 3;
        if (lqp_write_study(&p, encode[k] ? plain : paths[k], NULL, msg, sizeof msg) != LQ_OK) {
            fprintf(stderr, "bench-decode: %s\n", msg);
            return k;
        }
        if (encode[k]) {
            snprintf(cmd, sizeof cmd, "dcmcjpeg %s '%s' '%s'", encode[k], plain, paths[k]);
            int rc = system(cmd);
            unlink(plain);
            if (rc != 0) {
                fprintf(stderr, "bench-decode: %s failed\n", cmd);
                return k;
            }
        }
        kinds[k] = label[k];
    }
    return 4;
}

int main(int argc, char **argv)
{
    int passes = 3, max_threads = 2, first_file = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--passes") && i + 1 < argc) passes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) max_threads = atoi(argv[++i]);
        else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: bench-decode [--passes N] [--threads N] [FILE.dcm ...]\n");
            return 2;
        } else {
            first_file = i;
            break;
        }
    }
    if (passes < 1) passes = 1;
    if (max_threads < 1 || max_threads > 8) max_threads = 2;
    printf("best of %d passes; CPU level %s\n", passes, lq_cpu_level_name(lq_cpu_best_level()));
    int failed = 0;
    if (first_file < argc) {
        for (int i = first_file; i < argc; i++) failed |= bench_file(argv[i], "file", passes, max_threads);
        return failed;
    }
    char paths[4][256];
    const char *kinds[4];
    int written = write_phantoms(paths, kinds);
    for (int k = 0; k < written && !failed; k++) failed |= bench_file(paths[k], kinds[k], passes, max_threads);
    for (int k = 0; k < written; k++) unlink(paths[k]);
    return failed || written < 4;
}
