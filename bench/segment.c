/* Segmentation speed: frames per second per core at each CPU level on a
 * phantom pullback (512x512 by default), and end-to-end `measure` time at 1
 * and 2 threads against the time to read and decode the same file alone
 * (bench-decode compares decoders and threads on the four pullback kinds).
 * Usage: bench-segment [FILE.dcm] (without FILE a 300-frame phantom is written to /tmp) */
#include "phantom/phantom.h"
#include "segment/segment.h"

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

int main(int argc, char **argv)
{
    char path[256], msg[256] = "";
    int own = argc < 2;
    if (own) {
        snprintf(path, sizeof path, "/tmp/lumenq-bench-seg-%ld.dcm", (long)getpid());
        LqpParams p;
        lqp_params_default(&p);
        if (lqp_write_study(&p, path, NULL, msg, sizeof msg) != LQ_OK) {
            fprintf(stderr, "bench-segment: %s\n", msg);
            return 1;
        }
    } else {
        snprintf(path, sizeof path, "%s", argv[1]);
    }
    LqStudy *st = NULL;
    LqError err = {0};
    if (lq_study_open(path, NULL, &st, &err) != LQ_OK) {
        fprintf(stderr, "bench-segment: %s\n", err.message);
        return 1;
    }
    const LqStudyInfo *in = lq_study_info(st);
    unsigned n = in->frames;
    size_t px = (size_t)in->rows * in->cols;
    uint8_t *luma = calloc(px + LQ_POLAR_SRC_PADDING, 1);

    /* read + decode alone */
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++) lq_study_read_frame(st, i, luma, NULL);
    double t_read = now_s() - t0;

    LqSegGeometry g = {in->rows, in->cols, in->pixel_dx_mm, in->pixel_dy_mm, in->region_x0, in->region_y0,
                       in->region_x1, in->region_y1, 1.45};
    printf("%s: %u frames %ux%u\n", path, n, in->cols, in->rows);
    printf("read + decode alone        %7.3f s  (%6.0f frames/s)\n", t_read, n / t_read);
    double scalar_fps = 0;
    int best = lq_cpu_best_level();
    for (int level = LQ_CPU_SCALAR; level <= best && level <= LQ_CPU_AVX2; level++) {
        LqSegmenter *seg = NULL;
        lq_segmenter_new(&seg, &g, level);
        size_t pn = lq_segmenter_polar_size(seg);
        uint8_t *polar = malloc(pn * n);
        lq_study_read_frame(st, 0, luma, NULL);
        lq_segmenter_find_centre(seg, luma);
        for (unsigned i = 0; i < n; i++) {
            lq_study_read_frame(st, i, luma, NULL);
            lq_segmenter_to_polar(seg, luma, polar + i * pn);
        }
        /* polar resampling alone, then the per-frame border */
        t0 = now_s();
        for (unsigned i = 0; i < n; i++) lq_segmenter_to_polar(seg, luma, polar + (i % n) * pn);
        double t_polar = now_s() - t0;
        double xy[2 * LQ_SEG_ANGLES], conf;
        t0 = now_s();
        for (unsigned i = 0; i < n; i++) {
            const uint8_t *c = polar + i * pn, *p = i ? c - pn : c, *q = i + 1 < n ? c + pn : c;
            lq_segmenter_frame(seg, p, c, q, xy, &conf);
        }
        double t_border = now_s() - t0;
        double fps = n / (t_polar + t_border);
        if (level == LQ_CPU_SCALAR) scalar_fps = fps;
        printf("segmentation %-7s       %6.0f frames/s per core (polar %.0f us, border %.0f us a frame), %.1fx scalar\n",
               lq_cpu_level_name(level), fps, 1e6 * t_polar / n, 1e6 * t_border / n, fps / scalar_fps);
        free(polar);
        lq_segmenter_free(&seg);
    }
    for (int threads = 1; threads <= 2; threads++) {
        LqRunOptions opt;
        lq_run_options_default(&opt);
        opt.threads = threads;
        LqResult *r = NULL;
        t0 = now_s();
        if (lq_study_measure(st, &opt, &r, &err) != LQ_OK) fprintf(stderr, "bench-segment: %s\n", err.message);
        double t_measure = now_s() - t0;
        printf("end to end, %d thread%s        %7.3f s  (%6.0f frames/s) = %.2fx read + decode\n", threads,
               threads > 1 ? "s" : " ", t_measure, n / t_measure, t_measure / t_read);
        lq_result_free(&r);
    }
    lq_study_close(&st);
    free(luma);
    if (own) unlink(path);
    return 0;
}
