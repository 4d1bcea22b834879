#define _DEFAULT_SOURCE /* wait4 */
/* CT venography timing: reading a series as a volume against DCMTK's dcmdump
 * reading the same files (one process, every file), then the centreline and
 * cross-sections at the scalar level and at the best one (LUMENQ_CPU lowers
 * it); peak memory against the volume's own size.
 * Usage: bench-ct DIR X,Y,Z X,Y,Z            a series and its lesion and reference points (LPS mm)
 *        bench-ct --phantom DIR [SIZE SLICES] write a phantom series first (default 512 x 512 x 300) */
#include "bench.h"
#include "lumenq/lumenq.h"
#include "phantom/ct.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* dcmdump -q over every regular file of dir, in one process; its wall time. */
static int time_dcmdump(const char *dir, double *seconds)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    size_t n = 0, cap = 64;
    char **args = malloc(cap * sizeof *args);
    args[n++] = "dcmdump", args[n++] = "-q";
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (n + 2 >= cap) args = realloc(args, (cap *= 2) * sizeof *args);
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        args[n] = malloc(len);
        snprintf(args[n++], len, "%s/%s", dir, e->d_name);
    }
    closedir(d);
    args[n] = NULL;
    fflush(stdout); /* or the child's freopen writes our buffer a second time */
    double t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout)) _exit(127);
        execvp("dcmdump", args);
        _exit(127);
    }
    int status;
    struct rusage ru;
    int rc = pid > 0 && wait4(pid, &status, 0, &ru) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
    *seconds = now_s() - t0;
    for (size_t i = 2; i < n; i++) free(args[i]);
    free(args);
    return rc;
}

static int parse3(const char *s, double *v) { return sscanf(s, "%lf,%lf,%lf", &v[0], &v[1], &v[2]) == 3; }

int main(int argc, char **argv)
{
    double lesion[3], reference[3];
    const char *dir;
    if (argc >= 3 && strcmp(argv[1], "--phantom") == 0) {
        dir = argv[2];
        LqpCtParams p;
        lqp_ct_params_default(&p);
        p.size = argc > 3 ? (unsigned)atoi(argv[3]) : 512;
        p.slices = argc > 4 ? (unsigned)atoi(argv[4]) : 300;
        LqpCtTruth t;
        char msg[256];
        double t0 = now_s();
        if (lqp_ct_write_series(&p, dir, &t, msg, sizeof msg) != 0) {
            fprintf(stderr, "bench-ct: %s\n", msg);
            return 73;
        }
        printf("phantom: %u slices of %ux%u written in %.1f s\n", p.slices, p.size, p.size, now_s() - t0);
        memcpy(lesion, t.lesion_point, sizeof lesion), memcpy(reference, t.reference_point, sizeof reference);
    } else if (argc == 4 && parse3(argv[2], lesion) && parse3(argv[3], reference)) {
        dir = argv[1];
    } else {
        fprintf(stderr, "usage: bench-ct DIR X,Y,Z X,Y,Z | bench-ct --phantom DIR [SIZE SLICES]\n");
        return 64;
    }
    double dump_s = 0;
    int have_dump = time_dcmdump(dir, &dump_s) == 0;
    LqVolume *v = NULL;
    LqError err = {0};
    double t0 = now_s();
    if (lq_volume_open(dir, NULL, NULL, &v, &err) != LQ_OK) {
        fprintf(stderr, "bench-ct: %s\n", err.message);
        return lq_exit_code(err.code);
    }
    double read_s = now_s() - t0, volume_mib = (double)v->cols * v->rows * v->slices * 2 / (1024.0 * 1024.0);
    printf("series: %u slices of %ux%u (%.0f MiB of HU)\n", v->slices, v->cols, v->rows, volume_mib);
    printf("read as a volume (scan, sort, decode):  %.2f s\n", read_s);
    if (have_dump)
        printf("dcmdump -q on the same files:          %.2f s   ratio %.2f\n", dump_s, read_s / dump_s);
    else
        printf("dcmdump not available: no comparison\n");
    /* the measurement at the scalar level and at the best one this CPU runs
     * (LUMENQ_CPU lowers it): the kernels are bit-exact, so the results must
     * be the same and only the time differs */
    int best = lq_cpu_best_level(), levels[2] = {LQ_CPU_SCALAR, best};
    double first_s = 0;
    LqCtResult *first = NULL;
    for (int i = 0; i < (best == LQ_CPU_SCALAR ? 1 : 2); i++) {
        LqCtOptions o;
        lq_ct_options_default(&o);
        o.cpu_level = levels[i];
        LqCtResult *r = NULL;
        t0 = now_s();
        if (lq_ct_measure(v, lesion, reference, &o, &r, &err) != LQ_OK) {
            fprintf(stderr, "bench-ct: %s\n", err.message);
            lq_ct_result_free(&first);
            return lq_exit_code(err.code);
        }
        double measure_s = now_s() - t0;
        printf("centreline + %zu cross-sections, %-6s %.2f s (%.1f mm of vein)", r->n, lq_cpu_level_name(levels[i]),
               measure_s, r->n ? r->sections[r->n - 1].position_mm : 0.0);
        if (first) {
            int same = r->n == first->n && r->mla_mm2 == first->mla_mm2 && r->mld_mm == first->mld_mm &&
                       r->reference_area_mm2 == first->reference_area_mm2;
            printf("   %.2fx the scalar speed, %s", first_s / measure_s, same ? "same result" : "RESULT DIFFERS");
        }
        printf("\n");
        if (r->ok && !first)
            printf("result: MLA %.1f mm2, %%DS %.1f, %%AS %.1f\n", r->mla_mm2, r->diameter_stenosis_pct, r->area_stenosis_pct);
        if (!first) first = r, first_s = measure_s;
        else lq_ct_result_free(&r);
    }
    lq_ct_result_free(&first);
    printf("peak RSS %.0f MiB (the volume itself %.0f MiB)\n", peak_mib(), volume_mib);
    lq_volume_free(&v);
    return 0;
}
