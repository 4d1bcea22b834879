/* checkasm for the segmentation kernels (and, in ct.c and reader.c, the CT
 * and the reader's colour kernels), after
 * dav1d's tests/checkasm: every kernel at every CPU level this machine supports is run against the scalar
 * reference on random and edge-case inputs (odd lengths, unaligned pointers,
 * extreme values, ties) and must give identical output. All kernels are
 * integer, so identical means bit-exact.
 *
 *   checkasm [--seed N] [--cpumask LEVEL]   test (LEVEL caps the levels tried)
 *   checkasm --bench                         also time every kernel, C vs SIMD
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkasm/checkasm.h"
#include "lumenq/lumenq.h"
#include "segment/dsp.h"

uint64_t rng_state = 0x853c49e6748fea9bull;
uint32_t rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 33);
}
int rnd_range(int lo, int hi) { return lo + (int)(rnd() % (uint32_t)(hi - lo + 1)); }

int failures, checks;

void report(const char *kernel, const char *level, int ok, const char *detail)
{
    checks++;
    if (!ok) {
        failures++;
        printf("FAIL %-10s %-6s %s\n", kernel, level, detail);
    }
}

/* Lengths that exercise vector bodies, tails and tiny inputs. */
const int lengths[N_LENGTHS] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 65, 255, 256, 257, 1001};

/* Random fill, with a share of extreme values. */
static void fill_u8(uint8_t *p, int n)
{
    for (int i = 0; i < n; i++) p[i] = rnd() % 8 == 0 ? (rnd() & 1 ? 255 : 0) : (uint8_t)rnd();
}
static void fill_u16(uint16_t *p, int n, unsigned max)
{
    for (int i = 0; i < n; i++) p[i] = rnd() % 8 == 0 ? (uint16_t)(rnd() & 1 ? max : 0) : (uint16_t)(rnd() % (max + 1));
}

/* Nine rows (three rays of the previous, current and next frame) at their own
 * unaligned offsets; every weight of the contract; and the largest sums
 * (current 255, neighbours 0) at the largest weight. */
static void check_feature_ray(const LqSegDsp *ref, const LqSegDsp *d, const char *lvl)
{
    if (d->feature_ray == ref->feature_ray) return;
    static uint8_t rows[9][MAXN + PAD];
    static uint16_t m0[MAXN + PAD], m1[MAXN + PAD];
    static int16_t f0[MAXN + PAD], f1[MAXN + PAD];
    static const int ks[] = {0, 1, 7, 16, 32};
    for (int t = 0; t < N_LENGTHS; t++)
        for (int k = 0; k < 6; k++) {
            int n = lengths[t], off = rnd_range(0, 15), kq = ks[k < 5 ? k : 4];
            if (n > LQ_FEATURE_MAX_N) continue;
            const uint8_t *p3[3], *c3[3], *n3[3];
            for (int r = 0; r < 9; r++) {
                fill_u8(rows[r], MAXN + PAD);
                if (k == 5) memset(rows[r], r / 3 == 1 ? 255 : 0, MAXN + PAD);
                const uint8_t *row = rows[r] + rnd_range(0, 15);
                if (r < 3) p3[r] = row;
                else if (r < 6) c3[r - 3] = row;
                else n3[r - 6] = row;
            }
            ref->feature_ray(m0 + off, f0 + off, p3, c3, n3, n, kq);
            d->feature_ray(m1 + off, f1 + off, p3, c3, n3, n, kq);
            char msg[64];
            snprintf(msg, sizeof msg, "n=%d k=%d%s offset=%d", n, kq, k == 5 ? " (largest)" : "", off);
            report("feature_ray", lvl, !memcmp(m0 + off, m1 + off, 2 * (size_t)n) && !memcmp(f0 + off, f1 + off, 2 * (size_t)n), msg);
        }
}

/* Rows of speckle with background: zeros, pixels at 8 and 9 (either side
 * of the cut), saturated ones; widths up to the 4096 limit. */
static void check_speckle_row(const LqSegDsp *ref, const LqSegDsp *d, const char *lvl)
{
    if (d->speckle_row == ref->speckle_row) return;
    static uint8_t row[4096 + PAD];
    for (int t = 0; t < N_LENGTHS + 2; t++) {
        int n = t < N_LENGTHS ? lengths[t] : t == N_LENGTHS ? 512 : 4096, off = rnd_range(0, 15);
        fill_u8(row, 4096 + PAD);
        for (int i = 0; i < 4096 + PAD; i++)
            if (rnd() % 6 == 0) row[i] = (uint8_t)(8 + (rnd() & 1));
        if (t == N_LENGTHS + 1) memset(row + off, 255, (size_t)n); /* the largest sums */
        uint32_t s0[4] = {1, 2, 3, 4}, s1[4] = {1, 2, 3, 4}; /* accumulates onto what is there */
        ref->speckle_row(s0, row + off, n);
        d->speckle_row(s1, row + off, n);
        char msg[64];
        snprintf(msg, sizeof msg, "n=%d offset=%d", n, off);
        report("speckle_row", lvl, !memcmp(s0, s1, sizeof s0), msg);
    }
}

static void check_score(const LqSegDsp *ref, const LqSegDsp *d, const char *lvl)
{
    if (d->score == ref->score) return;
    static int16_t f[MAXN + PAD], o0[MAXN + PAD], o1[MAXN + PAD];
    for (int t = 0; t < N_LENGTHS; t++)
        for (int rep = 0; rep < 4; rep++) {
            int n = lengths[t], off = rnd_range(0, 15);
            for (int i = 0; i < MAXN + PAD; i++) f[i] = rnd() % 8 == 0 ? (rnd() & 1 ? 32767 : -32768) : (int16_t)rnd();
            int thr = rnd_range(-32768, 32767), gain = rep == 0 ? 16384 : rnd_range(0, 16384);
            ref->score(o0 + off, f + off, (size_t)n, thr, gain);
            d->score(o1 + off, f + off, (size_t)n, thr, gain);
            char msg[80];
            snprintf(msg, sizeof msg, "n=%d thr=%d gain=%d offset=%d", n, thr, gain, off);
            report("score", lvl, !memcmp(o0 + off, o1 + off, 2 * (size_t)n), msg);
        }
}

static void check_dp_row(const LqSegDsp *ref, const LqSegDsp *d, const char *lvl)
{
    if (d->dp_row == ref->dp_row) return;
    enum { K = 16 };
    static int32_t prev[MAXN + 2 * K + PAD], cost[MAXN + PAD], a0[MAXN + PAD], a1[MAXN + PAD];
    static const int ks[] = {0, 1, 5, 16};
    int32_t pen[K + 1];
    for (int t = 0; t < N_LENGTHS; t++)
        for (int kk = 0; kk < 4; kk++)
            for (int ties = 0; ties < 2; ties++) {
                int n = lengths[t], k = ks[kk], off = rnd_range(0, 7);
                int32_t *p = prev + K + off;
                for (int i = -k; i < n + k; i++)
                    p[i] = (i < 0 || i >= n) ? LQ_DP_SENTINEL
                                             : ties ? (int32_t)(rnd() % 3) : (int32_t)(rnd() % (1u << 28));
                for (int i = 0; i <= k; i++) pen[i] = ties ? (int32_t)(rnd() % 2) : 6 * i * i;
                for (int i = 0; i < n; i++) cost[off + i] = rnd_range(-1000000, 16777216);
                ref->dp_row(a0 + off, p, cost + off, n, k, pen);
                d->dp_row(a1 + off, p, cost + off, n, k, pen);
                char msg[64];
                snprintf(msg, sizeof msg, "n=%d k=%d ties=%d offset=%d", n, k, ties, off);
                report("dp_row", lvl, !memcmp(a0 + off, a1 + off, 4 * (size_t)n), msg);
            }
}

static void check_cost_row(const LqSegDsp *ref, const LqSegDsp *d, const char *lvl)
{
    if (d->cost_row == ref->cost_row) return;
    static int16_t sc[MAXN + PAD];
    static int32_t o0[MAXN + PAD], o1[MAXN + PAD];
    static const int ws[] = {1, 4, 10, 24, 64};
    for (int t = 0; t < N_LENGTHS; t++)
        for (int k = 0; k < 5; k++) {
            int n = lengths[t], off = rnd_range(0, 7), w = ws[k], alpha = rnd_range(0, 16);
            int r_min = rnd() % 4 == 0 ? 0 : rnd_range(0, n - 1);
            for (int i = 0; i < MAXN + PAD; i++)
                sc[i] = (int16_t)(rnd() % 8 == 0 ? (rnd() & 1 ? 256 : -256) : rnd_range(-256, 256));
            ref->cost_row(o0 + off, sc + off, n, r_min, w, alpha);
            d->cost_row(o1 + off, sc + off, n, r_min, w, alpha);
            char msg[80];
            snprintf(msg, sizeof msg, "n=%d r_min=%d w=%d alpha=%d offset=%d", n, r_min, w, alpha, off);
            report("cost_row", lvl, !memcmp(o0 + off, o1 + off, 4 * (size_t)n), msg);
        }
}

static void check_prior_add(const LqSegDsp *ref, const LqSegDsp *d, const char *lvl)
{
    if (d->prior_add == ref->prior_add) return;
    static int32_t c0[MAXN + PAD], c1[MAXN + PAD];
    for (int t = 0; t < N_LENGTHS; t++)
        for (int rep = 0; rep < 4; rep++) {
            int n = lengths[t], off = rnd_range(0, 7), r_from = rnd_range(0, n - 1);
            int centre = rnd_range(-50, n + 50), mu = rnd_range(0, 1000), cap = rnd_range(0, 1 << 24);
            for (int i = 0; i < MAXN + PAD; i++) c0[i] = c1[i] = rnd_range(-(1 << 24), 1 << 24);
            ref->prior_add(c0 + off, n, r_from, centre, mu, cap);
            d->prior_add(c1 + off, n, r_from, centre, mu, cap);
            char msg[80];
            snprintf(msg, sizeof msg, "n=%d r_from=%d centre=%d mu=%d offset=%d", n, r_from, centre, mu, off);
            report("prior_add", lvl, !memcmp(c0 + off, c1 + off, 4 * (size_t)n), msg);
        }
}

static void check_pair_min(const LqSegDsp *ref, const LqSegDsp *d, const char *lvl)
{
    if (d->pair_min == ref->pair_min) return;
    static int32_t src[2 * MAXN + PAD], o0[MAXN + PAD], o1[MAXN + PAD];
    static uint8_t p0[MAXN + PAD], p1[MAXN + PAD];
    for (int t = 0; t < N_LENGTHS; t++)
        for (int ties = 0; ties < 2; ties++) {
            int n = lengths[t], off = rnd_range(0, 7);
            for (int i = 0; i < 2 * MAXN + PAD; i++)
                src[i] = ties ? (int32_t)(rnd() % 3) : rnd() % 8 == 0 ? (rnd() & 1 ? INT32_MAX : INT32_MIN) : (int32_t)rnd();
            ref->pair_min(o0 + off, p0 + off, src + off, (size_t)n);
            d->pair_min(o1 + off, p1 + off, src + off, (size_t)n);
            char msg[64];
            snprintf(msg, sizeof msg, "n=%d ties=%d offset=%d", n, ties, off);
            report("pair_min", lvl, !memcmp(o0 + off, o1 + off, 4 * (size_t)n) && !memcmp(p0 + off, p1 + off, (size_t)n), msg);
        }
}

static void check_polar(const LqSegDsp *ref, const LqSegDsp *d, const char *lvl)
{
    if (d->polar == ref->polar) return;
    static const int sizes[][2] = {{2, 2}, {3, 5}, {37, 23}, {64, 64}, {511, 7}};
    static LqPolarTap map[MAXN];
    static uint8_t o0[MAXN], o1[MAXN], r0[MAXN], r1[MAXN];
    for (int s = 0; s < 5; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        /* exactly the image plus the documented padding, so overreads show under ASan */
        uint8_t *img = malloc((size_t)w * h + LQ_POLAR_SRC_PADDING);
        fill_u8(img, w * h + LQ_POLAR_SRC_PADDING);
        if (s == 3) /* a checkerboard of 0 and 255: every cell's variation saturates */
            for (int k = 0; k < w * h; k++) img[k] = (uint8_t)((k % w + k / w) & 1 ? 255 : 0);
        for (int t = 0; t < N_LENGTHS; t++) {
            int n = lengths[t];
            for (int i = 0; i < n; i++) {
                int x = rnd_range(0, w - 2 < 0 ? 0 : w - 2), y = rnd_range(0, h - 2 < 0 ? 0 : h - 2);
                if (i % 5 == 0) x = w - 2, y = h - 2; /* the last taps of the image */
                map[i] = (LqPolarTap){y * w + x, (uint8_t)rnd(), (uint8_t)rnd(), 0};
                if (i % 7 == 0) map[i].wx = 255, map[i].wy = 255;
            }
            /* with the roughness, and without it (NULL: nothing written) */
            memset(r0, 0x5a, sizeof r0), memset(r1, 0x5a, sizeof r1);
            ref->polar(o0, r0, img, w, map, (size_t)n);
            d->polar(o1, r1, img, w, map, (size_t)n);
            char msg[64];
            snprintf(msg, sizeof msg, "%dx%d n=%d", w, h, n);
            report("polar", lvl, !memcmp(o0, o1, (size_t)n) && !memcmp(r0, r1, sizeof r0), msg);
            memset(o1, 0, sizeof o1);
            d->polar(o1, NULL, img, w, map, (size_t)n);
            snprintf(msg, sizeof msg, "%dx%d n=%d, no roughness", w, h, n);
            report("polar", lvl, !memcmp(o0, o1, (size_t)n), msg);
        }
        free(img);
    }
}

/* ---------------------------------------------------------------- bench */

void checkasm_levels(int max_level, int *first, int *last)
{
    /* the levels this machine has: x86 from SSE2 up, or NEON on aarch64 */
    *first = max_level == LQ_CPU_NEON ? LQ_CPU_NEON : LQ_CPU_SSE2;
    *last = max_level == LQ_CPU_NEON ? LQ_CPU_NEON : max_level < LQ_CPU_AVX2 ? max_level : LQ_CPU_AVX2;
}

double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

/* One frame's worth of work for each kernel (256 rays x 256 samples). */
typedef struct Bufs {
    uint8_t *img, *p, *c, *q;
    LqPolarTap *map;
    uint16_t *m, *df;
    int16_t *f, *s;
    int32_t *prev, *cost, *acc, *acc2;
    uint8_t *pick;
    int32_t pen[17];
} Bufs;

#define FRAME (256 * 256)

static double time_kernel(const LqSegDsp *d, Bufs *b, int which)
{
    double best = 1e30;
    for (int rep = 0; rep < 7; rep++) {
        double t0 = now_ns();
        switch (which) {
        case 0: d->polar(b->c, b->p, b->img, 512, b->map, FRAME); break;
        case 1:
            for (int a = 0; a < 256; a++) {
                size_t o[3] = {(size_t)((a + 255) % 256) * 256, (size_t)a * 256, (size_t)((a + 1) % 256) * 256};
                const uint8_t *p3[3] = {b->p + o[0], b->p + o[1], b->p + o[2]}, *c3[3] = {b->c + o[0], b->c + o[1], b->c + o[2]},
                              *n3[3] = {b->q + o[0], b->q + o[1], b->q + o[2]};
                d->feature_ray(b->m + o[1], b->f + o[1], p3, c3, n3, 256, 16);
            }
            break;
        case 2: d->score(b->s, b->f, FRAME, 3000, 2000); break;
        case 3: for (int a = 0; a < 256; a++) d->cost_row(b->cost + a * 256, b->s + a * 256, 256, 15, 10, 2); break;
        case 4: d->pair_min(b->acc2, b->pick, b->cost, FRAME / 2); break;
        case 5: for (int a = 0; a < 320; a++) d->dp_row(b->acc, b->prev + 8, b->cost, 128, 8, b->pen); break;
        case 6: { uint32_t sums[4] = {0}; for (int y = 0; y < 512; y += 4) d->speckle_row(sums, b->img + y * 512, 512); b->acc[0] = (int32_t)sums[3]; } break;
        }
        best = best < now_ns() - t0 ? best : now_ns() - t0;
    }
    return best;
}

static void bench(int max_level)
{
    static const char *names[] = {"polar", "feature", "score", "cost_row", "pair_min", "dp_row", "speckle"};
    enum { KERNELS = sizeof names / sizeof names[0] };
    Bufs b;
    b.img = calloc(512 * 512 + LQ_POLAR_SRC_PADDING, 1);
    b.p = malloc(FRAME), b.c = malloc(FRAME), b.q = malloc(FRAME);
    b.map = malloc(FRAME * sizeof *b.map);
    b.m = malloc(2 * FRAME), b.df = malloc(2 * FRAME);
    b.f = malloc(2 * FRAME), b.s = malloc(2 * FRAME);
    b.prev = malloc(4 * (256 + 32)), b.cost = malloc(4 * FRAME), b.acc = malloc(4 * 256);
    b.acc2 = malloc(4 * FRAME / 2), b.pick = malloc(FRAME / 2);
    fill_u8(b.img, 512 * 512), fill_u8(b.p, FRAME), fill_u8(b.c, FRAME), fill_u8(b.q, FRAME);
    for (int i = 0; i < FRAME; i++)
        b.map[i] = (LqPolarTap){rnd_range(0, 510) * 512 + rnd_range(0, 510), (uint8_t)rnd(), (uint8_t)rnd(), 0};
    fill_u16(b.m, FRAME, 1020), fill_u16(b.df, FRAME, 510);
    for (int i = 0; i < 256 + 32; i++) b.prev[i] = (i < 8 || i >= 136) ? LQ_DP_SENTINEL : (int32_t)(rnd() % 100000);
    for (int i = 0; i <= 16; i++) b.pen[i] = 6 * i * i;
    for (int i = 0; i < FRAME; i++) b.cost[i] = rnd_range(-3000, 3000), b.s[i] = (int16_t)rnd_range(-256, 256);

    LqSegDsp c;
    lq_seg_dsp_init_c(&c);
    printf("\nkernel     per frame (256 rays x 256 samples; dp_row: 320 rows of 128 pairs; speckle: every 4th row of 512x512)\n%-10s %10s", "", "C (us)");
    int bench_first, bench_last;
    checkasm_levels(max_level, &bench_first, &bench_last);
    for (int l = bench_first; l <= bench_last; l++) printf(" %14s", lq_cpu_level_name(l));
    printf("\n");
    double total_c = 0, total_best = 0;
    for (int k = 0; k < KERNELS; k++) {
        double tc = time_kernel(&c, &b, k), tbest = tc;
        total_c += tc;
        printf("%-10s %10.1f", names[k], tc / 1e3);
        for (int l = bench_first; l <= bench_last; l++) {
            LqSegDsp d;
            lq_seg_dsp_init(&d, l);
            double t = time_kernel(&d, &b, k);
            if (t < tbest) tbest = t;
            printf(" %7.1f (%4.1fx)", t / 1e3, tc / t);
        }
        total_best += tbest;
        printf("\n");
    }
    printf("%-10s %10.1f %14.1f (%4.1fx) at the best level\n", "all", total_c / 1e3, total_best / 1e3, total_c / total_best);
    free(b.img), free(b.p), free(b.c), free(b.q), free(b.map), free(b.m), free(b.df);
    free(b.f), free(b.s), free(b.prev), free(b.cost), free(b.acc), free(b.acc2), free(b.pick);
}

int main(int argc, char **argv)
{
    int do_bench = 0, max_level = lq_cpu_best_level();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--bench")) do_bench = 1;
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) rng_state = strtoull(argv[++i], NULL, 10) * 2 + 1;
        else if (!strcmp(argv[i], "--cpumask") && i + 1 < argc) {
            int l = lq_cpu_level_from_name(argv[++i]);
            if (l >= 0 && l < max_level) max_level = l;
        } else {
            fprintf(stderr, "usage: checkasm [--bench] [--seed N] [--cpumask LEVEL]\n");
            return 2;
        }
    }
    LqSegDsp ref;
    lq_seg_dsp_init_c(&ref);
    /* -1 asks for the best level: each family's init resolves it itself
     * (once it did not, and CT always ran the C kernels) */
    LqSegDsp any, best;
    lq_seg_dsp_init(&any, -1);
    lq_seg_dsp_init(&best, lq_cpu_best_level());
    report("init(-1)", lq_cpu_level_name(lq_cpu_best_level()), !memcmp(&any, &best, sizeof any), "segmentation");
    checkasm_ct_resolve();
    checkasm_reader_resolve();
    int tested = 0;
    int first, last;
    checkasm_levels(max_level, &first, &last);
    for (int l = first; l <= last && max_level != LQ_CPU_SCALAR; l++) {
        LqSegDsp d;
        lq_seg_dsp_init(&d, l);
        const char *name = lq_cpu_level_name(l);
        int before = checks;
        check_polar(&ref, &d, name);
        check_feature_ray(&ref, &d, name);
        check_score(&ref, &d, name);
        check_cost_row(&ref, &d, name);
        check_prior_add(&ref, &d, name);
        check_pair_min(&ref, &d, name);
        check_dp_row(&ref, &d, name);
        check_speckle_row(&ref, &d, name);
        checkasm_ct(l, name);
        checkasm_reader(l, name);
        printf("%-6s %4d comparisons against the scalar reference\n", name, checks - before);
        tested++;
    }
    if (!tested) printf("no SIMD level on this machine: only the scalar reference exists\n");
    if (do_bench) bench(max_level), bench_ct(max_level), bench_reader(max_level);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures ? 1 : 0;
}
