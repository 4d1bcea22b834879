/* Renders a whole phantom pullback, writes it as DICOM and its truth as JSON. */
#include "dicom_writer.h"
#include "phantom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void uid(char *buf, size_t len, uint64_t seed, unsigned what)
{
    /* 2.25 = UUID-derived UID; deterministic per seed so runs are reproducible. */
    uint64_t h = seed * 0x9e3779b97f4a7c15ull + what * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 29;
    snprintf(buf, len, "2.25.%llu%u", (unsigned long long)h, what);
}

static void write_truth(FILE *fp, const LqpPhantom *ph, const LqpParams *p, const LqFrameMeasure *m,
                        const double *contours, const LqSummary *s)
{
    LqpDesign d;
    lqp_design(ph, &d);
    fprintf(fp, "{\n  \"schema_version\": 1,\n  \"seed\": %llu,\n  \"frames\": %u,\n", (unsigned long long)p->seed,
            p->frames);
    fprintf(fp, "  \"pixel_mm\": %.6f,\n  \"frame_time_ms\": %.4f,\n  \"pullback_rate_mm_s\": %.4f,\n",
            lqp_pixel_mm(ph), lqp_frame_time_ms(ph), p->pullback_rate_mm_s);
    fprintf(fp, "  \"design\": {\"lesion_frame\": %u, \"eiv_first\": %u, \"eiv_last\": %u, "
                "\"lesion_minor_semi_axis_mm\": %.3f, \"lesion_major_semi_axis_mm\": %.3f},\n",
            d.lesion_frame + 1, d.eiv_first + 1, d.eiv_last + 1, d.lesion_minor_mm, d.lesion_major_mm);
    fprintf(fp, "  \"summary\": {\"ok\": %s, \"lesion_frame\": %d, \"mla_mm2\": %.3f, \"mld_mm\": %.4f, "
                "\"reference_first\": %d, \"reference_last\": %d, \"reference_area_mm2\": %.3f, "
                "\"reference_diameter_mm\": %.4f, \"diameter_stenosis_pct\": %.3f, "
                "\"area_stenosis_pct\": %.3f, \"equiv_diameter_stenosis_pct\": %.3f, "
                "\"lesion_length_mm\": %.3f, \"significant\": %s},\n",
            s->ok ? "true" : "false", s->lesion_frame + 1, s->mla_mm2, s->mld_mm, s->reference_first + 1,
            s->reference_last + 1, s->reference_area_mm2, s->reference_diameter_mm, s->diameter_stenosis_pct,
            s->area_stenosis_pct, s->equiv_diameter_stenosis_pct, s->lesion_length_mm,
            s->significant ? "true" : "false");
    fprintf(fp, "  \"frames_truth\": [");
    for (unsigned i = 0; i < p->frames; i++) {
        fprintf(fp, "%s\n    {\"frame\": %u, \"position_mm\": %.4f, \"area_mm2\": %.4f, \"min_diameter_mm\": %.4f, "
                    "\"max_diameter_mm\": %.4f, \"contour_mm\": [",
                i ? "," : "", i + 1, m[i].position_mm, m[i].shape.area_mm2, m[i].shape.min_feret_mm,
                m[i].shape.max_feret_mm);
        const double *c = contours + (size_t)i * 2 * LQP_CONTOUR_POINTS;
        for (int k = 0; k < LQP_CONTOUR_POINTS; k++) fprintf(fp, "%s[%.4f,%.4f]", k ? "," : "", c[2 * k], c[2 * k + 1]);
        fprintf(fp, "]}");
    }
    fprintf(fp, "\n  ]\n}\n");
}

static void put_rgb(uint8_t *rgb, unsigned cols, unsigned rows, long x, long y, const uint8_t c[3])
{
    if (x < 0 || y < 0 || x >= (long)cols || y >= (long)rows) return;
    memcpy(rgb + 3 * ((size_t)y * cols + (size_t)x), c, 3);
}

/* What consoles burn into colour frames: a yellow text block (the frame
 * number as bars), a green ring as an automatic border would be drawn (here
 * inside the wider lumens, where a bright closed curve could pass for the
 * wall), and a cyan caliper through the middle. Pure colours, 2-3
 * pixels thick; the truth (the anatomy) is unchanged. */
static void draw_overlay(uint8_t *rgb, unsigned cols, unsigned rows, unsigned frame)
{
    static const uint8_t yellow[3] = {255, 230, 0}, green[3] = {40, 255, 40}, cyan[3] = {0, 220, 255};
    double cx = cols / 2.0, cy = rows / 2.0, r = cols * 0.09; /* inside the wider lumens */
    for (unsigned k = 0; k < 8; k++) /* text: 8 glyph-sized bars, the frame number's bits as their heights */
        for (long y = 0; y < (long)(rows / 40 + ((frame >> k) & 1) * rows / 60); y++)
            for (long x = 0; x < (long)(cols / 80 + 1); x++)
                put_rgb(rgb, cols, rows, (long)(cols * 0.30) + (long)k * (long)(cols / 50) + x, (long)(rows * 0.30) + y, yellow);
    for (int a = 0; a < 1440; a++) { /* ring */
        double t = a * 3.14159265358979 / 720.0;
        for (int w = -1; w <= 1; w++)
            put_rgb(rgb, cols, rows, lround(cx + (r + w) * cos(t)), lround(cy + (r + w) * sin(t)), green);
    }
    for (long x = (long)(cx - 1.6 * r); x <= (long)(cx + 1.6 * r); x++) /* caliper */
        for (int w = -1; w <= 0; w++) put_rgb(rgb, cols, rows, x, lround(cy + 0.3 * r) + w, cyan);
}

/* A warm (sepia) palette, as some consoles use, whose BT.601 luma is exactly
 * the index: the PALETTE COLOR export must measure as the grey one. Entries
 * at the extremes where no tint fits stay grey. */
static void sepia_palette(uint16_t *lut)
{
    for (int g = 0; g < 256; g++) {
        int r = g + 18 > 255 ? 255 : g + 18, b = g - 27 < 0 ? 0 : g - 27, gg = -1;
        int guess = (256 * g - 77 * r - 29 * b) / 150;
        for (int t = guess - 2; t <= guess + 2; t++)
            if (t >= 0 && t <= 255 && ((77 * r + 150 * t + 29 * b + 128) >> 8) == g) gg = t;
        if (gg < 0) r = gg = b = g;
        lut[g] = (uint16_t)(r * 257), lut[256 + g] = (uint16_t)(gg * 257), lut[512 + g] = (uint16_t)(b * 257);
    }
}

/* Temporary name beside the target, so rename() is atomic. */
static int temp_beside(const char *path, char *tmp, size_t len)
{
    int n = snprintf(tmp, len, "%s.tmp-%ld", path, (long)getpid());
    return n > 0 && (size_t)n < len;
}

int lqp_write_study(const LqpParams *p, const char *dcm_path, const char *truth_json, char *msg, size_t msg_len)
{
    LqpPhantom *ph = NULL;
    if (lqp_new(p, &ph) != LQ_OK) {
        snprintf(msg, msg_len, "invalid phantom parameters");
        return LQ_ERR_USAGE;
    }
    unsigned step = p->row_step ? p->row_step : 1, rows = (p->size + step - 1) / step;
    size_t px = (size_t)rows * p->size, samples = p->rgb ? 3 : 1;
    unsigned still = p->stationary, total = p->frames + still; /* stationary frames first */
    uint8_t *pixels = malloc(px * samples * total), *grey = malloc((size_t)p->size * p->size);
    double *contours = malloc(sizeof(double) * 2 * LQP_CONTOUR_POINTS * p->frames);
    LqFrameMeasure *m = calloc(p->frames, sizeof *m);
    int rc = LQ_OK;
    char tmp[4200] = "";
    if (!pixels || !grey || !contours || !m) {
        snprintf(msg, msg_len, "out of memory for %u frames", p->frames);
        rc = LQ_ERR_INTERNAL;
        goto done;
    }
    for (unsigned j = 0; j < total; j++) {
        unsigned i = j < still ? 0 : j - still; /* the anatomy shown; still frames repeat the first */
        double *c = contours + (size_t)i * 2 * LQP_CONTOUR_POINTS;
        lqp_render(ph, i, grey, c);
        /* anisotropic export: every step-th rendered row, so row j lies at j * step * dx */
        for (unsigned y = 1; y < rows; y++) memmove(grey + (size_t)y * p->size, grey + (size_t)y * step * p->size, p->size);
        uint8_t *dst = pixels + (size_t)j * px * samples;
        if (samples == 1) {
            memcpy(dst, grey, px);
        } else {
            /* colour export of a grey image, as many IVUS consoles write; luma equals grey */
            for (size_t k = 0; k < px; k++) dst[3 * k] = dst[3 * k + 1] = dst[3 * k + 2] = grey[k];
            if (p->overlay) draw_overlay(dst, p->size, rows, j);
        }
        lq_shape_measure(c, LQP_CONTOUR_POINTS, &m[i].shape);
        m[i].position_mm = lqp_position_mm(ph, i);
        m[i].confidence = 1.0;
        m[i].valid = 1;
    }
    char study[80], series[80], sop[80];
    uid(study, sizeof study, p->seed, 1);
    uid(series, sizeof series, p->seed, 2);
    uid(sop, sizeof sop, p->seed, 3);
    char name[64];
    snprintf(name, sizeof name, "PHANTOM^SEED%llu", (unsigned long long)p->seed);
    LqpDicomImage im = {rows, p->size, total, (unsigned)samples, pixels, lqp_pixel_mm(ph), lqp_pixel_mm(ph) * step,
                        p->calibration,
                        p->timing, lqp_frame_time_ms(ph), p->pullback_rate_mm_s, name, "LQ-PHANTOM",
                        "20261125", study, series, sop, still + 1, NULL};
    uint16_t lut[3 * 256];
    if (p->palette && samples == 1) sepia_palette(lut), im.palette = lut;
    if (!temp_beside(dcm_path, tmp, sizeof tmp) || lqp_dicom_write(&im, tmp, msg, msg_len) != 0 ||
        rename(tmp, dcm_path) != 0) {
        if (!msg[0]) snprintf(msg, msg_len, "cannot write %s", dcm_path);
        unlink(tmp);
        rc = LQ_ERR_CREATE;
        goto done;
    }
    if (truth_json) {
        LqMeasureSettings set;
        lq_measure_settings_default(&set);
        LqSummary s;
        lq_measure_frames(m, p->frames, &set, &s, NULL);
        FILE *fp = temp_beside(truth_json, tmp, sizeof tmp) ? fopen(tmp, "w") : NULL;
        if (!fp) {
            snprintf(msg, msg_len, "cannot create %s", truth_json);
            rc = LQ_ERR_CREATE;
            goto done;
        }
        write_truth(fp, ph, p, m, contours, &s);
        if (fflush(fp) != 0 || ferror(fp) | (fclose(fp) != 0) || rename(tmp, truth_json) != 0) {
            unlink(tmp);
            snprintf(msg, msg_len, "cannot write %s", truth_json);
            rc = LQ_ERR_IO;
        }
    }
done:
    free(pixels), free(grey), free(contours), free(m);
    lqp_free(&ph);
    return rc;
}
