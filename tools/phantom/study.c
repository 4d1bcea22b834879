/* Renders a whole phantom pullback, writes it as DICOM and its truth as JSON. */
#include "dicom_writer.h"
#include "phantom.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* The narrowings asked for and every narrowed segment of the truth, as
 * lumenq measures them on the truth contours (docs/phantom.md). */
static void write_truth_segments(FILE *fp, const LqpParams *p, const LqpDesign *d, const LqSummary *s)
{
    fprintf(fp, "  \"narrowings\": [");
    for (unsigned k = 0; k < p->narrowings; k++)
        fprintf(fp, "%s{\"vein\": \"%s\", \"ratio\": %.3f, \"length_mm\": %.2f, \"centre_frame\": %u}", k ? ", " : "",
                lq_site_name((LqSite)p->narrowing[k].vein), p->narrowing[k].ratio, p->narrowing[k].length_mm,
                d->narrowing_frame[k] + 1);
    int own = s->ivc_reference_first >= 0;
    fprintf(fp, "],\n  \"ivc_reference\": {\"source\": \"%s\", \"first\": %d, \"last\": %d, \"area_mm2\": %.3f, "
                "\"diameter_mm\": %.4f},\n",
            own ? "ivc" : "ivc-normal", own ? s->ivc_reference_first + 1 : 0, own ? s->ivc_reference_last + 1 : 0,
            s->ivc_reference_area_mm2, s->ivc_reference_diameter_mm);
    fprintf(fp, "  \"segments\": [");
    for (int i = 0; i < s->segment_count; i++) {
        const LqSegment *g = &s->segments[i];
        fprintf(fp, "%s\n    {\"vein\": \"%s\", \"first\": %d, \"last\": %d, \"mla_frame\": %d, \"mla_mm2\": %.3f, "
                    "\"mld_mm\": %.4f, \"diameter_stenosis_pct\": %.3f, \"area_stenosis_pct\": %.3f, "
                    "\"length_mm\": %.3f, \"reference\": \"%s\"}",
                i ? "," : "", lq_site_name((LqSite)g->site), g->first + 1, g->last + 1, g->mla_frame + 1, g->mla_mm2,
                g->mld_mm, g->diameter_stenosis_pct, g->area_stenosis_pct, g->length_mm,
                g->reference == LQ_SEGMENT_REF_STUDY ? "study" : g->reference == LQ_SEGMENT_REF_IVC ? "ivc" : "ivc-normal");
    }
    fprintf(fp, "\n  ],\n");
}

static void write_truth(FILE *fp, const LqpPhantom *ph, const LqpParams *p, const LqFrameMeasure *m,
                        const double *contours, const LqSummary *s)
{
    LqpDesign d;
    lqp_design(ph, &d);
    fprintf(fp, "{\n  \"schema_version\": 1,\n  \"seed\": %llu,\n  \"frames\": %u,\n", (unsigned long long)p->seed,
            p->frames);
    fprintf(fp, "  \"pixel_mm\": %.6f,\n  \"frame_time_ms\": %.4f,\n  \"pullback_rate_mm_s\": %.4f,\n",
            lqp_pixel_mm(ph), lqp_frame_time_ms(ph), lqp_pullback_rate_mm_s(ph));
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
    if (p->narrowings) write_truth_segments(fp, p, &d, s);
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

/* A console screen capture (docs/phantom.md, --capture) drawn on an RGB frame
 * whose rows may be every step-th rendered row. Coordinates are in rendered
 * pixels: x across, y down, the catheter at (c0, c0). */
typedef struct Canvas {
    uint8_t *rgb;
    unsigned cols, rows, step;
    double c0, px_mm, fov_mm;
} Canvas;

static void dot(const Canvas *cv, double x, double y, const uint8_t c[3])
{
    put_rgb(cv->rgb, cv->cols, cv->rows, lround(x), lround(y / cv->step), c);
}

static void segment(const Canvas *cv, double x0, double y0, double x1, double y1, const uint8_t c[3])
{
    int n = (int)ceil(2 * hypot(x1 - x0, y1 - y0)) + 1;
    for (int k = 0; k <= n; k++) dot(cv, x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n, c);
}

/* 3x5 glyphs, rows top down, as consoles' small fonts. */
static const char *glyph(char ch)
{
    static const char *const letters[26] = {
        "010101111101101", "110101110101110", "011100100100011", "110101101101110", "111100110100111",
        "111100110100100", "011100101101011", "101101111101101", "111010010010111", "001001001101010",
        "101101110101101", "100100100100111", "101111111101101", "110101101101101", "010101101101010",
        "110101110100100", "010101101110011", "110101110101101", "011100010001110", "111010010010010",
        "101101101101111", "101101101101010", "101101111111101", "101101010101101", "101101010010010",
        "111001010100111"};
    static const char *const digits[10] = {"111101101101111", "010110010010111", "111001111100111",
                                           "111001111001111", "101101111001001", "111100111001111",
                                           "111100111101111", "111001001001001", "111101111101111",
                                           "111101111001111"};
    if (ch >= 'A' && ch <= 'Z') return letters[ch - 'A'];
    if (ch >= '0' && ch <= '9') return digits[ch - '0'];
    switch (ch) {
    case ':': return "000010000010000";
    case '.': return "000000000000010";
    case '/': return "001001010100100";
    case '-': return "000000111000000";
    default: return "000000000000000";
    }
}

/* Text at (x, y), glyphs `scale` pixels a dot; outside_fov: pixels within the
 * field of view are left alone (the corner blocks sit outside it). */
static void text(const Canvas *cv, double x, double y, unsigned scale, const char *s, const uint8_t c[3],
                 int outside_fov)
{
    for (unsigned n = 0; s[n]; n++) {
        const char *g = glyph(s[n]);
        for (unsigned row = 0; row < 5; row++)
            for (unsigned col = 0; col < 3; col++) {
                if (g[row * 3 + col] != '1') continue;
                for (unsigned sy = 0; sy < scale; sy++)
                    for (unsigned sx = 0; sx < scale; sx++) {
                        double X = x + (4 * n + col) * scale + sx, Y = y + row * scale + sy;
                        if (outside_fov && hypot(X - cv->c0, Y - cv->c0) * cv->px_mm < cv->fov_mm + 0.2) continue;
                        dot(cv, X, Y, c);
                    }
            }
    }
}

/* The lumen's extent along the line through its centroid in direction a:
 * where the line leaves the contour (pixels), clipped to the field of view. */
static void caliper_ends(const Canvas *cv, const double *contour, double a, double ends[4])
{
    double cx = 0, cy = 0, dx = cos(a), dy = sin(a), lo = 0, hi = 0;
    for (int k = 0; k < LQP_CONTOUR_POINTS; k++) cx += contour[2 * k], cy += contour[2 * k + 1];
    cx /= LQP_CONTOUR_POINTS * cv->px_mm, cy /= LQP_CONTOUR_POINTS * cv->px_mm;
    for (int k = 0; k < LQP_CONTOUR_POINTS; k++) {
        int j = (k + 1) % LQP_CONTOUR_POINTS;
        double px = contour[2 * k] / cv->px_mm - cx, py = contour[2 * k + 1] / cv->px_mm - cy;
        double ex = contour[2 * j] / cv->px_mm - cx - px, ey = contour[2 * j + 1] / cv->px_mm - cy - py;
        double den = dx * ey - dy * ex;
        if (fabs(den) < 1e-12) continue;
        double t = (px * ey - py * ex) / den, s = (px * dy - py * dx) / den; /* along the line, along the edge */
        if (s < 0 || s > 1) continue;
        lo = fmin(lo, t), hi = fmax(hi, t);
    }
    double fov = cv->fov_mm / cv->px_mm - 1, ox = cx - cv->c0, oy = cy - cv->c0;
    double b = ox * dx + oy * dy, disc = b * b - (ox * ox + oy * oy - fov * fov);
    if (disc > 0) lo = fmax(lo, -b - sqrt(disc)), hi = fmin(hi, -b + sqrt(disc));
    ends[0] = cx + lo * dx, ends[1] = cy + lo * dy, ends[2] = cx + hi * dx, ends[3] = cy + hi * dy;
}

/* What a console screen capture carries besides the image: the catheter
 * masked by a disc (black or a dull colour), a yellow crosshair through the
 * centre with grey ticks every 1 mm (grey, so no colour test removes them), a
 * red ring, a cyan caliper with end bars across the lumen, text blocks in the
 * corners outside the field of view and a short label inside it. */
static void draw_capture(const Canvas *cv, const LqpPhantom *ph, const LqpParams *p, unsigned frame, unsigned shown,
                         const double *contour)
{
    static const uint8_t yellow[3] = {240, 225, 30}, red[3] = {225, 35, 30}, cyan[3] = {0, 225, 235},
                         white[3] = {255, 255, 255}, green[3] = {150, 230, 70}, orange[3] = {250, 150, 40};
    LqpCapture cap;
    lqp_capture_design(ph, &cap);
    const double c0 = cv->c0, mm = 1.0 / cv->px_mm;
    const unsigned size = cv->cols;
    for (unsigned row = 0; row < cv->rows; row++) /* the mask over the catheter */
        for (unsigned x = 0; x < size; x++)
            if (hypot(x - c0, (double)row * cv->step - c0) < cap.mask_mm * mm) put_rgb(cv->rgb, size, cv->rows, x, row, cap.mask_rgb);
    for (unsigned t = 0; t < cap.cross_px; t++) { /* crosshair, full width and height */
        double at = c0 + t - 0.5 * (cap.cross_px - 1);
        segment(cv, 0, at, size - 1, at, yellow);
        for (unsigned row = 0; row < cv->rows; row++) put_rgb(cv->rgb, size, cv->rows, lround(at), row, yellow);
    }
    const uint8_t tick[3] = {cap.tick_grey, cap.tick_grey, cap.tick_grey};
    for (int k = 1; k * mm < c0; k++) /* ticks every mm, longer every 5 */
        for (int side = -1; side <= 1; side += 2) {
            double at = c0 + side * k * mm, half = fmax(k % 5 ? 0.25 * mm : 0.5 * mm, 3.0);
            segment(cv, at, c0 - half, at, c0 + half, tick);
            segment(cv, c0 - half, at, c0 + half, at, tick);
        }
    int n = (int)(16 * cap.ring_mm * mm) + 64;
    for (int a = 0; a < n; a++) /* ring, 2 pixels */
        for (int w = 0; w < 2; w++) {
            double t = 2 * 3.14159265358979 * a / n, r = cap.ring_mm * mm + w;
            dot(cv, c0 + r * cos(t), c0 + r * sin(t), red);
        }
    double e[4], bx = -sin(cap.caliper_angle), by = cos(cap.caliper_angle), bar = fmax(0.35 * mm, 3.0);
    caliper_ends(cv, contour, cap.caliper_angle, e);
    segment(cv, e[0], e[1], e[2], e[3], cyan);
    for (int k = 0; k < 4; k += 2) segment(cv, e[k] - bar * bx, e[k + 1] - bar * by, e[k] + bar * bx, e[k + 1] + bar * by, cyan);

    unsigned s = size / 256 ? size / 256 : 1, margin = size / 64, counter = size / 128 ? size / 128 : 1;
    double line = 7.0 * s, top = margin + 6.0 * counter, bottom = size - margin - 2 * line;
    double ft = lqp_frame_time_ms(ph), secs = frame * ft / 1000.0;
    char a[40], b[40];
    snprintf(a, sizeof a, "%g MHZ", p->transducer_mhz > 0 ? p->transducer_mhz : 20.0);
    text(cv, margin, top, s, "IVUS VEIN", white, 1);
    text(cv, margin, top + line, s, a, white, 1);
    snprintf(a, sizeof a, "DEPTH %.0f MM", lqp_fov_mm(ph, shown));
    text(cv, size - margin - 4.0 * s * strlen(a), margin, s, a, green, 1);
    text(cv, size - margin - 4.0 * s * 7, margin + line, s, "GAIN 52", green, 1);
    snprintf(a, sizeof a, "FR %u", frame + 1);
    snprintf(b, sizeof b, "%02u:%04.1f", (unsigned)(secs / 60), fmod(secs, 60.0));
    text(cv, margin, bottom, s, a, white, 1);
    text(cv, margin, bottom + line, s, b, white, 1);
    snprintf(a, sizeof a, "%.2f MM/S", lqp_pullback_rate_mm_s(ph));
    double right = size - margin - 4.0 * counter - 2.0 * s;
    text(cv, right - 4.0 * s * 8, bottom, s, "PULLBACK", orange, 1);
    text(cv, right - 4.0 * s * strlen(a), bottom + line, s, a, orange, 1);
    /* a short label just inside the edge of the view */
    double r = cv->fov_mm * mm - 3.0 * s * 5 - 2, lx = c0 + r * cos(cap.label_angle), ly = c0 + r * sin(cap.label_angle);
    text(cv, lx - 6.0 * s, ly - 2.5 * s, s, "ANT", white, 0);
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

/* Put the finished temporary file in place. A target that is not a regular
 * file (/dev/null, a pipe) is written through, never replaced: rename() would
 * swap the device for a plain file. */
static int publish(const char *tmp, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) return rename(tmp, path);
    FILE *in = fopen(tmp, "rb"), *out = in ? fopen(path, "wb") : NULL;
    int failed = !in || !out;
    char buf[65536];
    size_t n;
    while (!failed && (n = fread(buf, 1, sizeof buf, in)) > 0) failed = fwrite(buf, 1, n, out) != n;
    failed |= in && ferror(in);
    if (in) fclose(in);
    if (out) failed |= fclose(out) != 0;
    unlink(tmp);
    return failed ? -1 : 0;
}

/* The pullback `im` as one single-frame image per frame in `folder`, each
 * written atomically; the Content Times one frame time apart from noon. */
static int write_frame_files(const LqpDicomImage *im, uint64_t seed, const char *folder, char *msg, size_t msg_len)
{
    if (mkdir(folder, 0777) != 0 && errno != EEXIST) {
        snprintf(msg, msg_len, "cannot create the folder (%s)", strerror(errno));
        return LQ_ERR_CREATE;
    }
    size_t frame_bytes = (size_t)im->rows * im->cols * im->samples;
    char path[4200], tmp[4300], sop[80];
    for (unsigned j = 0; j < im->frames; j++) {
        LqpDicomImage one = *im;
        uid(sop, sizeof sop, seed, 1000 + j);
        one.frames = 1, one.pixels = im->pixels + j * frame_bytes, one.sop_uid = sop;
        one.instance_number = j + 1, one.content_time_s = 43200.0 + j * im->frame_time_ms / 1000.0;
        snprintf(path, sizeof path, "%s/IMG%05u.dcm", folder, j + 1);
        if (!temp_beside(path, tmp, sizeof tmp) || lqp_dicom_write(&one, tmp, msg, msg_len) != 0 ||
            rename(tmp, path) != 0) {
            if (!msg[0]) snprintf(msg, msg_len, "cannot write %s", path);
            unlink(tmp);
            return LQ_ERR_CREATE;
        }
    }
    return LQ_OK;
}

int lqp_write_study(const LqpParams *p, const char *dcm_path, const char *truth_json, char *msg, size_t msg_len)
{
    LqpPhantom *ph = NULL;
    if (lqp_new(p, &ph) != LQ_OK) {
        snprintf(msg, msg_len, "invalid phantom parameters");
        return LQ_ERR_USAGE;
    }
    unsigned step = p->row_step ? p->row_step : 1, rows = (p->size + step - 1) / step;
    size_t px = (size_t)rows * p->size, samples = p->rgb || p->capture ? 3 : 1;
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
            if (p->capture) {
                Canvas cv = {dst, p->size, rows, step, (p->size - 1) * 0.5, lqp_pixel_mm(ph), lqp_fov_mm(ph, i)};
                draw_capture(&cv, ph, p, j, i, c);
            }
        }
        lq_shape_measure(c, LQP_CONTOUR_POINTS, &m[i].shape);
        m[i].position_mm = lqp_position_mm(ph, i);
        m[i].confidence = 1.0;
        m[i].valid = 1;
    }
    char study[80], series[80], sop[80];
    uid(study, sizeof study, p->seed, 1);
    /* another recording of the same study (--series K): its own series and instance */
    uid(series, sizeof series, p->seed, p->series ? 2 + 16 * p->series : 2);
    uid(sop, sizeof sop, p->seed, p->series ? 3 + 16 * p->series : 3);
    char name[64];
    snprintf(name, sizeof name, "PHANTOM^SEED%llu", (unsigned long long)p->seed);
    LqpDicomImage im = {rows, p->size, total, (unsigned)samples, pixels, lqp_pixel_mm(ph), lqp_pixel_mm(ph) * step,
                        p->calibration,
                        p->timing, lqp_frame_time_ms(ph), lqp_pullback_rate_mm_s(ph), name, "LQ-PHANTOM",
                        "20261125", study, series, sop, still + 1, NULL, 0, 0, p->hold_lesion};
    uint16_t lut[3 * 256];
    if (p->palette && samples == 1) sepia_palette(lut), im.palette = lut;
    if (p->frame_files) {
        if ((rc = write_frame_files(&im, p->seed, dcm_path, msg, msg_len)) != LQ_OK) goto done;
    } else if (!temp_beside(dcm_path, tmp, sizeof tmp) || lqp_dicom_write(&im, tmp, msg, msg_len) != 0 ||
               publish(tmp, dcm_path) != 0) {
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
        if (fflush(fp) != 0 || ferror(fp) | (fclose(fp) != 0) || publish(tmp, truth_json) != 0) {
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
