/* Segmentation accuracy on phantom pullbacks: prints, per seed, Jaccard and
 * Hausdorff against the truth contours and the stenosis errors.
 * Usage: bench-accuracy [--hard] [--frames N] [--size N] [--cache DIR] SEED... (default seeds 1-5) */
#include "phantom/phantom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    LqpParams p;
    lqp_params_default(&p);
    unsigned long seeds[64];
    const char *cache = NULL; /* keep the phantoms here and reuse them */
    int ns = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc) p.frames = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) p.size = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--hard")) p.hard = 1;
        else if (!strcmp(argv[i], "--cache") && i + 1 < argc) cache = argv[++i];
        else if (ns < 64) seeds[ns++] = strtoul(argv[i], NULL, 10);
    }
    if (!ns) for (ns = 0; ns < 5; ns++) seeds[ns] = (unsigned long)ns + 1;
    char path[512];
    snprintf(path, sizeof path, "/tmp/lumenq-bench-acc-%ld.dcm", (long)getpid());
    printf("seed  mean-J  p1-J   min-J  >=0.85  lesion-J  mean-HD  max-HD  area-err  "
           "%%DS(truth/meas)  %%AS(truth/meas)  seg-ms/frame\n");
    double sum_j = 0;
    for (int s = 0; s < ns; s++) {
        p.seed = seeds[s];
        char msg[256] = "";
        if (cache)
            snprintf(path, sizeof path, "%s/seed%lu-%ux%u-%u%s.dcm", cache, seeds[s], p.size, p.size, p.frames,
                     p.hard ? "-hard" : "");
        if (!(cache && access(path, R_OK) == 0) && lqp_write_study(&p, path, NULL, msg, sizeof msg) != LQ_OK) {
            fprintf(stderr, "bench-accuracy: %s\n", msg);
            return 1;
        }
        LqStudy *st = NULL;
        LqResult *r = NULL;
        LqError err = {0};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (lq_study_open(path, NULL, &st, &err) || lq_study_measure(st, NULL, &r, &err)) {
            fprintf(stderr, "bench-accuracy: %s\n", err.message);
            return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = ((t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6) / p.frames;
        LqpScore sc;
        lqp_score(&p, r, &sc);
        printf("%4lu  %.4f  %.4f  %.4f  %.3f   %.4f    %.3f    %.3f   %+6.2f%%   %5.1f / %5.1f    %5.1f / %5.1f    %.2f\n",
               seeds[s], sc.mean_jaccard, sc.p1_jaccard, sc.min_jaccard, sc.frac_jaccard_085, sc.lesion_jaccard,
               sc.mean_hausdorff_mm, sc.max_hausdorff_mm, sc.mean_area_error_pct, sc.truth.diameter_stenosis_pct,
               sc.measured.diameter_stenosis_pct, sc.truth.area_stenosis_pct, sc.measured.area_stenosis_pct, ms);
        sum_j += sc.mean_jaccard;
        lq_result_free(&r);
        lq_study_close(&st);
    }
    if (!cache) unlink(path);
    printf("mean Jaccard over %d seeds: %.4f\n", ns, sum_j / ns);
    return 0;
}
