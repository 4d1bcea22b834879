/* libFuzzer target: random frames and calibrations -> segmentation core and
 * measurement. The scalar reference and the best SIMD level must give the
 * same contours bit for bit (every kernel has a scalar twin). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lumenq/lumenq.h"
#include "segment/segment.h"

#define MAX_FRAMES 4

static uint8_t byte_at(const uint8_t *d, size_t n, size_t i) { return n ? d[i % n] : 0; }

/* Segment all frames at one CPU level; contours into xy (frames x 2*ANGLES). */
static int run(const LqSegGeometry *g, int level, uint8_t *const *frames, unsigned nf, double *xy, double *conf)
{
    LqSegmenter *seg = NULL;
    if (lq_segmenter_new(&seg, g, level) != LQ_OK) return 0;
    size_t pn = lq_segmenter_polar_size(seg);
    uint8_t *polar = malloc(pn * nf);
    if (!polar) {
        lq_segmenter_free(&seg);
        return 0;
    }
    lq_segmenter_find_centre(seg, frames[0]);
    for (unsigned f = 0; f < nf; f++) lq_segmenter_to_polar(seg, frames[f], polar + f * pn);
    for (unsigned f = 0; f < nf; f++) {
        const uint8_t *cur = polar + f * pn;
        lq_segmenter_frame(seg, f ? cur - pn : cur, cur, f + 1 < nf ? cur + pn : cur, xy + (size_t)f * 2 * LQ_SEG_ANGLES,
                           &conf[f]);
    }
    free(polar);
    lq_segmenter_free(&seg);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8) return 0;
    LqSegGeometry g;
    memset(&g, 0, sizeof g);
    g.rows = 40 + data[0] % 121u;
    g.cols = 40 + data[1] % 121u;
    g.dx_mm = 0.02 + data[2] / 255.0 * 0.4;
    g.dy_mm = g.dx_mm * (1 + data[3] % 3);
    g.x1 = g.cols - 1, g.y1 = g.rows - 1;
    if (data[4] & 1) g.x0 = data[4] % (g.cols / 2), g.y0 = data[5] % (g.rows / 2); /* a partial region */
    g.catheter_radius_mm = 1.45;
    unsigned nf = 2 + data[6] % (MAX_FRAMES - 1);
    int pattern = data[7] % 4;
    const uint8_t *pix = data + 8;
    size_t npix = size - 8, px = (size_t)g.rows * g.cols;

    uint8_t *frames[MAX_FRAMES] = {0};
    double *xy_c = malloc(sizeof(double) * 2 * LQ_SEG_ANGLES * nf), *xy_s = malloc(sizeof(double) * 2 * LQ_SEG_ANGLES * nf);
    double conf_c[MAX_FRAMES], conf_s[MAX_FRAMES];
    int ok = xy_c && xy_s;
    for (unsigned f = 0; ok && f < nf; f++) {
        /* the polar kernels may read a few bytes past the last pixel */
        frames[f] = malloc(px + LQ_POLAR_SRC_PADDING);
        if (!frames[f]) {
            ok = 0;
            break;
        }
        for (size_t i = 0; i < px; i++) {
            uint8_t v = byte_at(pix, npix, i + f * 7919u);
            frames[f][i] = pattern == 0 ? v : pattern == 1 ? 0 : pattern == 2 ? 255 : (uint8_t)(v & 0xF0);
        }
        memset(frames[f] + px, 0, LQ_POLAR_SRC_PADDING);
    }
    if (ok && run(&g, LQ_CPU_SCALAR, frames, nf, xy_c, conf_c) && run(&g, lq_cpu_best_level(), frames, nf, xy_s, conf_s)) {
        if (memcmp(xy_c, xy_s, sizeof(double) * 2 * LQ_SEG_ANGLES * nf) != 0 ||
            memcmp(conf_c, conf_s, sizeof(double) * nf) != 0)
            abort(); /* a SIMD kernel disagrees with its scalar twin */
        LqFrameMeasure m[MAX_FRAMES];
        for (unsigned f = 0; f < nf; f++) {
            memset(&m[f], 0, sizeof m[f]);
            m[f].valid = lq_shape_measure(xy_c + (size_t)f * 2 * LQ_SEG_ANGLES, LQ_SEG_ANGLES, &m[f].shape) == LQ_OK;
            m[f].confidence = conf_c[f];
            m[f].position_mm = f * 0.5;
        }
        LqMeasureSettings set;
        lq_measure_settings_default(&set);
        set.pullback_from_cfv = data[5] & 1;
        set.positions_are_indices = (data[5] >> 1) & 1;
        set.metric = (LqMetric)((data[5] >> 2) % 3);
        LqSummary s;
        LqError err;
        lq_measure_frames(m, nf, &set, &s, &err);
    }
    for (unsigned f = 0; f < nf; f++) free(frames[f]);
    free(xy_c), free(xy_s);
    return 0;
}
