/* Segmentation accuracy on phantom pullbacks: prints, per seed, Jaccard and
 * Hausdorff against the truth contours and the stenosis errors.
 * Usage: bench-accuracy [--hard] [--dynamic] [--scar] [--trabeculae] [--gated | --motion] [--capture] [--beam]
 *        [--transducer MHZ] [--catheter MM] [--scale F] [--frames N] [--size N] [--length MM] [--narrowing VEIN:RATIO:MM]
 *        [--cache DIR] [--dump] SEED... (default seeds 1-5) */
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
    double length_mm = 0;     /* --length: the pullback's length (a slow, realistic pullback at 30 frames/s) */
    int dump = 0;             /* per-frame Jaccard, area and confidence on standard error */
    int ns = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc) p.frames = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) p.size = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--length") && i + 1 < argc) length_mm = atof(argv[++i]);
        else if (!strcmp(argv[i], "--hard")) p.hard = 1;
        else if (!strcmp(argv[i], "--dynamic")) p.dynamic = 1;
        else if (!strcmp(argv[i], "--scar")) p.scar = 1;
        else if (!strcmp(argv[i], "--trabeculae")) p.trabeculae = 1;
        else if (!strcmp(argv[i], "--beam")) p.beam = 1;
        else if (!strcmp(argv[i], "--gated")) p.gated = 1;
        else if (!strcmp(argv[i], "--motion")) p.motion = 1;
        else if (!strcmp(argv[i], "--capture")) p.capture = 1, p.rgb = 1;
        else if (!strcmp(argv[i], "--transducer") && i + 1 < argc) p.transducer_mhz = atof(argv[++i]);
        else if (!strcmp(argv[i], "--catheter") && i + 1 < argc) p.catheter_mm = atof(argv[++i]);
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc) p.scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--cache") && i + 1 < argc) cache = argv[++i];
        else if (!strcmp(argv[i], "--dump")) dump = 1;
        else if (!strcmp(argv[i], "--narrowing") && i + 1 < argc && p.narrowings < 4 &&
                 lqp_parse_narrowing(argv[i + 1], &p.narrowing[p.narrowings]))
            p.narrowings++, i++;
        else if (ns < 64) seeds[ns++] = strtoul(argv[i], NULL, 10);
    }
    if (!ns) for (ns = 0; ns < 5; ns++) seeds[ns] = (unsigned long)ns + 1;
    if (p.gated) p.length_mm = lqp_gated_length_mm(p.frames); /* as lumenq-phantom */
    if (length_mm > 0) p.length_mm = length_mm;
    char kinds[160];
    snprintf(kinds, sizeof kinds, "%s%s%s%s%s%s%s%s", p.hard ? "-hard" : "", p.dynamic ? "-dynamic" : "", p.scar ? "-scar" : "",
             p.trabeculae ? "-trabeculae" : "", p.gated ? "-gated" : "", p.motion ? "-motion" : "",
             p.capture ? "-capture" : "", p.beam ? "-beam" : "");
    if (p.transducer_mhz > 0)
        snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "-%gmhz", p.transducer_mhz);
    if (p.catheter_mm > 0)
        snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "-cath%g", p.catheter_mm);
    if (length_mm > 0) snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "-len%g", length_mm);
    if (p.scale > 0 && p.scale != 1)
        snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "-scale%g", p.scale);
    for (unsigned k = 0; k < p.narrowings; k++) /* the cache's name tells them apart */
        snprintf(kinds + strlen(kinds), sizeof kinds - strlen(kinds), "-n%d-%g-%g", p.narrowing[k].vein,
                 p.narrowing[k].ratio, p.narrowing[k].length_mm);
    char path[512];
    snprintf(path, sizeof path, "/tmp/lumenq-bench-acc-%ld.dcm", (long)getpid());
    printf("seed  mean-J  p1-J   min-J (frame)  >=0.85  lesion-J  zone-J  spikes  mean-HD  max-HD  area-err  "
           "%%DS(truth/meas)  %%AS(truth/meas)  seg-ms/frame  conf<0.5\n");
    double sum_j = 0;
    for (int s = 0; s < ns; s++) {
        p.seed = seeds[s];
        char msg[256] = "";
        if (cache)
            snprintf(path, sizeof path, "%s/seed%lu-%ux%u-%u%s.dcm", cache, seeds[s], p.size, p.size, p.frames, kinds);
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
        double *jac = dump ? calloc(p.frames, sizeof *jac) : NULL;
        lqp_score_frames(&p, r, &sc, jac);
        for (unsigned i = 0; jac && i < p.frames; i++)
            fprintf(stderr, "seed %lu frame %u J %.4f area %.2f conf %.3f\n", seeds[s], i + 1, jac[i],
                    lq_result_frame(r, i)->shape.area_mm2, lq_result_frame(r, i)->confidence);
        free(jac);
        unsigned unsure = 0; /* the real 40 MHz pullback of issue 15 had 39 % of its frames here */
        for (unsigned i = 0; i < p.frames; i++) unsure += lq_result_frame(r, i)->confidence < 0.5;
        printf("%4lu  %.4f  %.4f  %.4f (%4zu)  %.3f   %.4f    %.4f  %5.2f%%  %.3f    %.3f   %+6.2f%%   %5.1f / %5.1f    "
               "%5.1f / %5.1f    %.2f          %5.1f%%\n",
               seeds[s], sc.mean_jaccard, sc.p1_jaccard, sc.min_jaccard, sc.worst_frame + 1, sc.frac_jaccard_085,
               sc.lesion_jaccard, sc.lesion_zone_jaccard, 100.0 * sc.spike_share, sc.mean_hausdorff_mm,
               sc.max_hausdorff_mm, sc.mean_area_error_pct, sc.truth.diameter_stenosis_pct,
               sc.measured.diameter_stenosis_pct, sc.truth.area_stenosis_pct, sc.measured.area_stenosis_pct, ms,
               100.0 * unsure / p.frames);
        sum_j += sc.mean_jaccard;
        lq_result_free(&r);
        lq_study_close(&st);
    }
    if (!cache) unlink(path);
    printf("mean Jaccard over %d seeds: %.4f\n", ns, sum_j / ns);
    return 0;
}
