/* checkasm for the reader's colour kernels (src/reader/dsp.h): each at every
 * level against the scalar reference, bit-exact, on random pixels with a
 * share of saturated colours and of colours at the graphics thresholds;
 * --bench times them on a 512 x 512 frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkasm/checkasm.h"
#include "internal.h"
#include "reader/dsp.h"

/* Pixels around the edges of the graphics tests: chroma sums near 96, spreads
 * near 96 and near the lowest sample, pure colours, greys, black, white. */
static void fill_colour(uint8_t *p, int pixels)
{
    for (int i = 0; i < pixels; i++, p += 3) {
        int kind = (int)(rnd() % 6);
        if (kind == 0) {
            for (int c = 0; c < 3; c++) p[c] = (uint8_t)rnd();
        } else if (kind == 1) { /* grey with a gentle tint */
            int v = rnd_range(0, 255);
            for (int c = 0; c < 3; c++) p[c] = (uint8_t)LQ_CLAMP(v + rnd_range(-8, 8), 0, 255);
        } else if (kind == 2) { /* spread close to 96, lowest close to the spread */
            int lo = rnd_range(80, 110), spread = rnd_range(92, 100);
            p[0] = (uint8_t)lo, p[1] = (uint8_t)LQ_MIN(lo + spread, 255), p[2] = (uint8_t)rnd_range(lo, LQ_MIN(lo + spread, 255));
        } else if (kind == 3) { /* chroma sum close to 96, both signs */
            int cb = rnd_range(0, 98), cr = rnd_range(94, 98) - cb;
            p[0] = (uint8_t)rnd();
            p[1] = (uint8_t)(rnd() & 1 ? 128 + cb : 128 - cb);
            p[2] = (uint8_t)LQ_CLAMP(rnd() & 1 ? 128 + cr : 128 - cr, 0, 255);
        } else if (kind == 4) { /* saturated colours and the extremes */
            for (int c = 0; c < 3; c++) p[c] = rnd() & 1 ? 255 : 0;
        } else {
            for (int c = 0; c < 3; c++) p[c] = rnd() % 4 == 0 ? 128 : (uint8_t)rnd();
        }
    }
}

typedef size_t (*ColourFn)(uint8_t *, uint8_t *, const uint8_t *, size_t);

static void check_colour(const char *kernel, ColourFn ref, ColourFn fn, const char *lvl)
{
    if (fn == ref) return;
    static uint8_t src[3 * (MAXN + PAD)], l0[MAXN + PAD], l1[MAXN + PAD], g0[MAXN + PAD], g1[MAXN + PAD];
    for (int t = 0; t < N_LENGTHS; t++)
        for (int rep = 0; rep < 3; rep++) {
            int n = lengths[t], off = rnd_range(0, 15);
            fill_colour(src, MAXN + PAD);
            memset(g1, 0xAA, sizeof g1); /* every flag must be written, 0 or 1 */
            size_t c0 = ref(l0 + off, g0 + off, src + 3 * off, (size_t)n);
            size_t c1 = fn(l1 + off, g1 + off, src + 3 * off, (size_t)n);
            char msg[80];
            snprintf(msg, sizeof msg, "n=%d offset=%d graphics %zu/%zu", n, off, c0, c1);
            report(kernel, lvl, c0 == c1 && !memcmp(l0 + off, l1 + off, (size_t)n) && !memcmp(g0 + off, g1 + off, (size_t)n),
                   msg);
        }
}

static void check_mask_positions(const LqReaderDsp *ref, const LqReaderDsp *d, const char *lvl)
{
    if (d->mask_positions == ref->mask_positions) return;
    static uint8_t mask[MAXN + PAD];
    static uint32_t p0[MAXN + PAD], p1[MAXN + PAD];
    static const unsigned density[] = {0, 2, 50, 255, 256};
    for (int t = 0; t < N_LENGTHS; t++)
        for (int k = 0; k < 5; k++) {
            int n = lengths[t], off = rnd_range(0, 15);
            for (int i = 0; i < MAXN + PAD; i++) mask[i] = (uint8_t)(rnd() % 256 < density[k]);
            size_t c0 = ref->mask_positions(p0, mask + off, (size_t)n);
            size_t c1 = d->mask_positions(p1, mask + off, (size_t)n);
            char msg[80];
            snprintf(msg, sizeof msg, "n=%d density=%u/256 offset=%d", n, density[k], off);
            report("mask_pos", lvl, c0 == c1 && !memcmp(p0, p1, 4 * c0), msg);
        }
}

void checkasm_reader(int level, const char *name)
{
    LqReaderDsp ref, d;
    lq_reader_dsp_init_c(&ref);
    lq_reader_dsp_init(&d, level);
    check_colour("rgb_luma", ref.rgb_luma, d.rgb_luma, name);
    check_colour("ybr_luma", ref.ybr_luma, d.ybr_luma, name);
    check_mask_positions(&ref, &d, name);
}

void checkasm_reader_resolve(void)
{
    LqReaderDsp any, best;
    lq_reader_dsp_init(&any, -1);
    lq_reader_dsp_init(&best, lq_cpu_best_level());
    report("init(-1)", lq_cpu_level_name(lq_cpu_best_level()), !memcmp(&any, &best, sizeof any), "reader");
}

#define FRAME_PX (512 * 512)

static double time_kernel(const LqReaderDsp *d, int which, uint8_t *luma, uint8_t *mask, const uint8_t *src,
                          uint32_t *pos)
{
    double best = 1e30;
    for (int rep = 0; rep < 7; rep++) {
        double t0 = now_ns();
        if (which == 0) d->rgb_luma(luma, mask, src, FRAME_PX);
        else if (which == 1) d->ybr_luma(luma, mask, src, FRAME_PX);
        else d->mask_positions(pos, mask, FRAME_PX);
        double t = now_ns() - t0;
        best = best < t ? best : t;
    }
    return best;
}

void bench_reader(int max_level)
{
    static const char *names[] = {"rgb_luma", "ybr_luma", "mask_pos"};
    uint8_t *src = malloc(3 * FRAME_PX), *luma = malloc(FRAME_PX), *mask = malloc(FRAME_PX);
    uint32_t *pos = malloc(4 * FRAME_PX);
    /* ultrasound grey with 3 % graphics, as on a console screen */
    for (int i = 0; i < FRAME_PX; i++) {
        int v = rnd_range(0, 255), graphic = rnd() % 100 < 3;
        src[3 * i] = (uint8_t)(graphic ? 255 : v), src[3 * i + 1] = (uint8_t)(graphic ? 255 : v);
        src[3 * i + 2] = (uint8_t)(graphic ? 0 : v);
    }
    LqReaderDsp c;
    lq_reader_dsp_init_c(&c);
    int first, last;
    checkasm_levels(max_level, &first, &last);
    printf("\nreader kernel  one 512 x 512 frame\n%-10s %10s", "", "C (us)");
    for (int l = first; l <= last; l++) printf(" %14s", lq_cpu_level_name(l));
    for (int k = 0; k < 3; k++) {
        if (k == 2) c.rgb_luma(luma, mask, src, FRAME_PX); /* a real mask to list */
        double tc = time_kernel(&c, k, luma, mask, src, pos);
        printf("\n%-10s %10.1f", names[k], tc / 1e3);
        for (int l = first; l <= last; l++) {
            LqReaderDsp d;
            lq_reader_dsp_init(&d, l);
            double t = time_kernel(&d, k, luma, mask, src, pos);
            printf(" %7.1f (%4.1fx)", t / 1e3, tc / t);
        }
    }
    printf("\n");
    free(src), free(luma), free(mask), free(pos);
}
