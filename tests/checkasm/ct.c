/* checkasm for the CT kernels (src/ct/dsp.h): each at every level against
 * the scalar reference, bit-exact; --bench times them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkasm/checkasm.h"
#include "ct/dsp.h"
#include "lumenq/lumenq.h"

static void check_trilinear(const LqCtDsp *ref, const LqCtDsp *d, const char *lvl)
{
    if (d->trilinear == ref->trilinear) return;
    static const int sizes[][3] = {{2, 2, 2}, {3, 5, 4}, {37, 23, 9}, {64, 64, 3}, {7, 129, 5}};
    static int16_t o0[MAXN], o1[MAXN];
    for (int s = 0; s < 5; s++) {
        int nx = sizes[s][0], ny = sizes[s][1], nz = sizes[s][2];
        size_t nv = (size_t)nx * ny * nz;
        /* exactly the volume plus the documented padding, so overreads show under ASan */
        int16_t *vol = malloc(nv * sizeof *vol + LQ_TRILINEAR_PADDING);
        for (size_t i = 0; i < nv; i++)
            vol[i] = rnd() % 8 == 0 ? (int16_t)(rnd() & 1 ? 32767 : -32768) : (int16_t)rnd_range(-1024, 3071);
        for (int t = 0; t < N_LENGTHS; t++) {
            int n = lengths[t];
            /* lines that start before, inside or past the volume and cross it at
             * any angle; fractions near 0 and 0xFFFF included */
            int32_t p0[3], step[3];
            const int size[3] = {nx, ny, nz};
            for (int k = 0; k < 3; k++) {
                p0[k] = rnd_range(-2 * 65536, (size[k] + 1) * 65536);
                if (t % 4 == 1) p0[k] = (p0[k] & ~0xFFFF) | 0xFFC0;
                step[k] = rnd_range(-3 * 65536, 3 * 65536) / (n > 8 ? n / 8 : 1);
                if (t % 5 == 2) step[k] = 0;
            }
            ref->trilinear(o0, vol, nx, ny, nz, p0, step, n, -1024);
            d->trilinear(o1, vol, nx, ny, nz, p0, step, n, -1024);
            char msg[80];
            snprintf(msg, sizeof msg, "%dx%dx%d n=%d", nx, ny, nz, n);
            report("trilinear", lvl, !memcmp(o0, o1, 2 * (size_t)n), msg);
        }
        free(vol);
    }
}

void checkasm_ct(int level, const char *name)
{
    LqCtDsp ref, d;
    lq_ct_dsp_init_c(&ref);
    lq_ct_dsp_init(&d, level);
    check_trilinear(&ref, &d, name);
}

void checkasm_ct_resolve(void)
{
    LqCtDsp any, best;
    lq_ct_dsp_init(&any, -1);
    lq_ct_dsp_init(&best, lq_cpu_best_level());
    report("init(-1)", lq_cpu_level_name(lq_cpu_best_level()), !memcmp(&any, &best, sizeof any), "CT");
}

/* 256 oblique lines of 256 samples through a 128 x 128 x 100 volume: about
 * the samples of one section slab (3 planes of 81 x 81) times 3. */
static double time_trilinear(const LqCtDsp *d, const int16_t *vol, int16_t *line)
{
    double best = 1e30;
    for (int rep = 0; rep < 7; rep++) {
        double t0 = now_ns();
        for (int a = 0; a < 256; a++) {
            const int32_t p0[3] = {2 << 16, (2 << 16) + a * 20000, 5 << 16}, step[3] = {30000, 9000, 17000};
            d->trilinear(line + a * 256, vol, 128, 128, 100, p0, step, 256, -1024);
        }
        double t = now_ns() - t0;
        best = best < t ? best : t;
    }
    return best;
}

void bench_ct(int max_level)
{
    int16_t *vol = malloc(2 * 128 * 128 * 100 + LQ_TRILINEAR_PADDING), *line = malloc(2 * 256 * 256);
    for (int i = 0; i < 128 * 128 * 100; i++) vol[i] = (int16_t)rnd_range(-1024, 3071);
    LqCtDsp c;
    lq_ct_dsp_init_c(&c);
    int first, last;
    checkasm_levels(max_level, &first, &last);
    printf("\nCT kernel  256 lines of 256 samples\n%-10s %10s", "", "C (us)");
    for (int l = first; l <= last; l++) printf(" %14s", lq_cpu_level_name(l));
    double tc = time_trilinear(&c, vol, line);
    printf("\n%-10s %10.1f", "trilinear", tc / 1e3);
    for (int l = first; l <= last; l++) {
        LqCtDsp d;
        lq_ct_dsp_init(&d, l);
        double t = time_trilinear(&d, vol, line);
        printf(" %7.1f (%4.1fx)", t / 1e3, tc / t);
    }
    printf("\n");
    free(vol), free(line);
}
