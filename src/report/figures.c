/* The frame figures (lesion, reference) and the area profile. Colours are
 * chosen to read on grey ultrasound and in black-and-white print: lumen
 * contour yellow, MLD caliper red, maximal diameter caliper cyan. */
#include "figures.h"

#include "internal.h"
#include "measure/measure.h"
#include "layout.h"
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const double lq_fig_contour_rgb[3] = {1.0, 0.86, 0.0};
static const double mld_rgb[3] = {1.0, 0.22, 0.22};
static const double dmax_rgb[3] = {0.25, 0.85, 1.0};
const double lq_fig_reference_rgb[3] = {0.15, 0.62, 0.25};
const double lq_fig_lesion_rgb[3] = {0.85, 0.1, 0.1};

void lq_fig_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, LQ_FIG_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

void lq_fig_rgb(cairo_t *cr, const double c[3]) { cairo_set_source_rgb(cr, c[0], c[1], c[2]); }

/* Text at (x, y) baseline; align -1 left, 0 centre, 1 right. Returns its advance. */
double lq_fig_text(cairo_t *cr, double x, double y, int align, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - (align + 1) * 0.5 * e.x_advance, y);
    cairo_show_text(cr, s);
    return e.x_advance;
}

/* Text with a dark outline, legible over the image. */
void lq_fig_halo_text(cairo_t *cr, double x, double y, const char *s, const double c[3])
{
    cairo_move_to(cr, x, y);
    cairo_text_path(cr, s);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 3);
    cairo_stroke_preserve(cr);
    lq_fig_rgb(cr, c);
    cairo_fill(cr);
}

static double band_height(double w) { return 0.11 * w; }

double lq_frame_figure_height(const LqStudyInfo *in, double w)
{
    return band_height(w) + w * (in->rows * in->pixel_dy_mm) / (in->cols * in->pixel_dx_mm);
}

int lq_figure_frame(const LqResult *r, LqFigureFrame which, size_t *index, LqError *err)
{
    const LqSummary *s = &r->summary;
    if (which == LQ_FIGURE_LESION) {
        if (!s->ok) return lq_fail(err, LQ_ERR_DATA, "no lesion frame: %s", s->problem);
        *index = (size_t)s->lesion_frame;
        return LQ_OK;
    }
    if (!(s->reference_area_mm2 > 0) || s->reference_first < 0)
        return lq_fail(err, LQ_ERR_DATA, "no reference frame in this pullback (reference: %s)",
                       s->reference_area_mm2 > 0 ? s->reference_note : "not found");
    size_t best = (size_t)s->reference_first;
    double best_d = INFINITY;
    for (int i = s->reference_first; i <= s->reference_last; i++) {
        const LqFrameMeasure *m = &r->frames[i];
        double d = fabs(m->shape.area_mm2 - s->reference_area_mm2);
        if (m->valid && m->confidence >= r->low_confidence && d < best_d) best = (size_t)i, best_d = d;
    }
    *index = best;
    return LQ_OK;
}

/* A caliper across the contour along direction `angle` through its centroid
 * (cx, cy): the segment between the two supporting lines, with end ticks;
 * no longer than `length` mm, centred between them (a CT section's MLD is
 * the caliper of what the scanner resolved, narrower than its outline's
 * spikes).
 * Contour (x, y) in mm is drawn at ((x + sx) * scale, top + (y + sy) * scale). */
typedef struct Placement {
    double sx, sy, scale, top;
} Placement;

static void caliper(cairo_t *cr, const LqContour *c, double angle, double length, double cx, double cy,
                    const Placement *pl, const double colour[3], double lw)
{
    double ux = cos(angle), uy = sin(angle), lo = INFINITY, hi = -INFINITY;
    for (unsigned k = 0; k < c->n; k++) {
        double p = c->xy_mm[2 * k] * ux + c->xy_mm[2 * k + 1] * uy;
        lo = fmin(lo, p), hi = fmax(hi, p);
    }
    if (hi - lo > length) {
        double mid = 0.5 * (lo + hi);
        lo = mid - 0.5 * length, hi = mid + 0.5 * length;
    }
    double base = cx * ux + cy * uy;
    double x0 = (cx + (lo - base) * ux + pl->sx) * pl->scale, y0 = pl->top + (cy + (lo - base) * uy + pl->sy) * pl->scale;
    double x1 = (cx + (hi - base) * ux + pl->sx) * pl->scale, y1 = pl->top + (cy + (hi - base) * uy + pl->sy) * pl->scale;
    double tx = -uy * 4 * lw, ty = ux * 4 * lw;
    cairo_set_line_width(cr, lw + 2);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.7);
    for (int pass = 0; pass < 2; pass++) {
        cairo_move_to(cr, x0, y0), cairo_line_to(cr, x1, y1);
        cairo_move_to(cr, x0 - tx, y0 - ty), cairo_line_to(cr, x0 + tx, y0 + ty);
        cairo_move_to(cr, x1 - tx, y1 - ty), cairo_line_to(cr, x1 + tx, y1 + ty);
        cairo_stroke(cr);
        cairo_set_line_width(cr, lw);
        lq_fig_rgb(cr, colour);
    }
}

static void centroid(const LqContour *c, double *cx, double *cy)
{
    double a = 0, x = 0, y = 0;
    for (unsigned k = 0; k < c->n; k++) {
        const double *p = &c->xy_mm[2 * k], *q = &c->xy_mm[2 * ((k + 1) % c->n)];
        double cross = p[0] * q[1] - q[0] * p[1];
        a += cross, x += (p[0] + q[0]) * cross, y += (p[1] + q[1]) * cross;
    }
    if (fabs(a) < 1e-12) {
        *cx = c->n ? c->xy_mm[0] : 0, *cy = c->n ? c->xy_mm[1] : 0;
        return;
    }
    *cx = x / (3 * a), *cy = y / (3 * a);
}

double lq_view_height(const LqFigureView *v, double w)
{
    return band_height(w) + w * (v->rows * v->dy_mm) / (v->cols * v->dx_mm);
}

void lq_draw_view(cairo_t *cr, const LqFigureView *v, double w)
{
    double band = band_height(w), h = lq_view_height(v, w);
    double scale = w / (v->cols * v->dx_mm); /* output units per mm */
    cairo_save(cr);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_paint(cr);
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)v->cols, (int)v->rows);
    if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(img);
        uint8_t *data = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        for (unsigned y = 0; y < v->rows; y++) {
            uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
            for (unsigned x = 0; x < v->cols; x++) {
                uint32_t g = v->luma[(size_t)y * v->cols + x];
                row[x] = g << 16 | g << 8 | g;
            }
        }
        cairo_surface_mark_dirty(img);
        cairo_save(cr);
        cairo_translate(cr, 0, band);
        cairo_scale(cr, scale * v->dx_mm, scale * v->dy_mm);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
        cairo_paint(cr);
        cairo_restore(cr);
    }
    cairo_surface_destroy(img);

    /* contour coordinates are pixel centres: shift by half a pixel */
    const LqContour *c = v->contour;
    double ox = 0.5 * v->dx_mm, oyy = 0.5 * v->dy_mm, lw = fmax(1.5, w / 320);
    if (v->valid && c->n > 2) {
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        for (unsigned k = 0; k <= c->n; k++) {
            const double *p = &c->xy_mm[2 * (k % c->n)];
            double X = (p[0] + ox) * scale, Y = band + (p[1] + oyy) * scale;
            if (k == 0) cairo_move_to(cr, X, Y);
            else cairo_line_to(cr, X, Y);
        }
        cairo_close_path(cr);
        lq_fig_rgb(cr, lq_fig_contour_rgb);
        cairo_set_line_width(cr, lw);
        cairo_stroke(cr);
        double cx, cy;
        centroid(c, &cx, &cy);
        Placement pl = {ox, oyy, scale, band};
        caliper(cr, c, v->shape->max_feret_angle_rad, v->shape->max_feret_mm, cx, cy, &pl, dmax_rgb, lw);
        caliper(cr, c, v->shape->min_feret_angle_rad, v->shape->min_feret_mm, cx, cy, &pl, mld_rgb, lw);
    }

    /* scale bar: 10 mm (5 mm on a narrow field) */
    double bar_mm = v->cols * v->dx_mm >= 30 ? 10 : 5, fs = w * 0.026;
    double bx = 0.04 * w, by = h - 0.04 * w;
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, bx - 2, by - 2, bar_mm * scale + 4, lw + 5);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, bx, by, bar_mm * scale, lw + 1);
    cairo_fill(cr);
    lq_fig_font(cr, fs, 0);
    char buf[200];
    snprintf(buf, sizeof buf, "%.0f mm", bar_mm);
    static const double white[3] = {1, 1, 1};
    lq_fig_halo_text(cr, bx, by - 0.4 * fs, buf, white);

    /* label band */
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.12);
    cairo_rectangle(cr, 0, 0, w, band);
    cairo_fill(cr);
    double t1 = band * 0.40, t2 = band * 0.82, x = 0.02 * w;
    lq_fig_font(cr, w * 0.032, 1);
    cairo_set_source_rgb(cr, 1, 1, 1);
    lq_fig_text(cr, x, t1, -1, v->title);
    lq_fig_font(cr, w * 0.027, 0);
    if (!v->valid) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        lq_fig_text(cr, x, t2, -1, v->empty);
    } else {
        snprintf(buf, sizeof buf, "area %.1f mm\xc2\xb2   ", v->shape->area_mm2);
        cairo_set_source_rgb(cr, 1, 1, 1);
        x += lq_fig_text(cr, x, t2, -1, buf);
        lq_fig_rgb(cr, mld_rgb);
        snprintf(buf, sizeof buf, "MLD %.2f mm   ", v->shape->min_feret_mm);
        x += lq_fig_text(cr, x, t2, -1, buf);
        lq_fig_rgb(cr, dmax_rgb);
        snprintf(buf, sizeof buf, "max %.2f mm", v->shape->max_feret_mm);
        x += lq_fig_text(cr, x, t2, -1, buf);
        cairo_set_source_rgb(cr, 1, 1, 1);
        lq_fig_text(cr, 0.98 * w, t2, 1, v->right);
        if (v->note) {
            static const double amber[3] = {1, 0.7, 0.2};
            lq_fig_halo_text(cr, 0.02 * w, band + 1.4 * fs, v->note, amber);
        }
    }
    cairo_restore(cr);
}

int lq_draw_frame_figure(cairo_t *cr, LqStudy *study, const LqResult *r, LqFigureFrame which, double w, LqError *err)
{
    const LqStudyInfo *in = lq_study_info(study);
    const LqSummary *s = &r->summary;
    size_t idx;
    int rc = lq_figure_frame(r, which, &idx, err);
    if (rc != LQ_OK) return rc;
    uint8_t *luma = malloc((size_t)in->rows * in->cols);
    if (!luma) return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory for a picture", in->path);
    rc = lq_study_read_frame(study, (unsigned)idx, luma, err);
    if (rc != LQ_OK) {
        free(luma);
        return rc;
    }
    const LqFrameMeasure *m = &r->frames[idx];
    char where[48] = "", title[160], right[64];
    if (in->timing != LQ_TIMING_NONE) snprintf(where, sizeof where, " \xc2\xb7 %.1f mm", m->position_mm);
    if (which == LQ_FIGURE_LESION) {
        snprintf(title, sizeof title, "LESION  frame %zu%s", idx + 1, where);
        snprintf(right, sizeof right, "%%DS %.0f %%", s->diameter_stenosis_pct);
    } else {
        snprintf(title, sizeof title, "REFERENCE  frame %zu%s (of %d-%d)", idx + 1, where, s->reference_first + 1,
                 s->reference_last + 1);
        snprintf(right, sizeof right, "A_ref %.0f mm\xc2\xb2", s->reference_area_mm2);
    }
    LqFigureView view = {luma, in->cols, in->rows, in->pixel_dx_mm, in->pixel_dy_mm, &r->contours[idx], &m->shape,
                         m->valid, title, right, m->confidence < r->low_confidence ? "low confidence" : NULL,
                         "no lumen contour on this frame"};
    lq_draw_view(cr, &view, w);
    free(luma);
    return LQ_OK;
}

/* ------------------------------------------------------------- profile */

/* At most 8 round positions along a pullback or a centreline, at most 7 up
 * the shorter value axes: labels stay apart at the figures' font sizes. */
#define MAX_TICKS_X 8
#define MAX_TICKS_Y 7

/* Where frame i lies along the x axis. */
static double frame_value(const LqAxes *a, const LqResult *r, size_t i)
{
    return a->timed ? r->frames[i].position_mm : (double)i + 1;
}

double lq_ax_x(const LqAxes *a, double v) { return a->x0 + (v - a->vx0) / (a->vx1 - a->vx0) * (a->x1 - a->x0); }
double lq_ax_y(const LqAxes *a, double v) { return a->y1 - (v - a->vy0) / (a->vy1 - a->vy0) * (a->y1 - a->y0); }

void lq_fig_box(cairo_t *cr, const LqAxes *a)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, a->x0, a->y0, a->x1 - a->x0, a->y1 - a->y0);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
}

/* Grid lines at round values along x (vertical lines) or y, with labels. */
void lq_fig_grid(cairo_t *cr, const LqAxes *a, double fs, int along_x, int labels)
{
    double lo = along_x ? a->vx0 : a->vy0, hi = along_x ? a->vx1 : a->vy1;
    LqTicks ticks;
    lq_axis_ticks(lo, hi, along_x ? MAX_TICKS_X : MAX_TICKS_Y, &ticks);
    char buf[32];
    lq_fig_font(cr, fs, 0);
    for (int i = 0; i < ticks.count; i++) {
        double v = lq_axis_tick_value(&ticks, i), p = along_x ? lq_ax_x(a, v) : lq_ax_y(a, v);
        cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
        cairo_set_line_width(cr, 0.8);
        if (along_x) cairo_move_to(cr, p, a->y0), cairo_line_to(cr, p, a->y1);
        else cairo_move_to(cr, a->x0, p), cairo_line_to(cr, a->x1, p);
        cairo_stroke(cr);
        if (!labels) continue;
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        lq_axis_tick_label(&ticks, i, buf, sizeof buf);
        if (along_x) lq_fig_text(cr, p, a->y1 + 1.2 * fs, 0, buf);
        else lq_fig_text(cr, a->x0 - 5, p + 0.35 * fs, 1, buf);
    }
}

void lq_fig_vertical_text(cairo_t *cr, double x, double y, const char *s)
{
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -LQ_PI / 2);
    lq_fig_text(cr, 0, 0, 0, s);
    cairo_restore(cr);
}

/* A band over frames [a, b] (file order), half a frame beyond each end. */
static void frame_band(cairo_t *cr, const LqAxes *ax, const LqResult *r, int a, int b, const double c[3], double alpha)
{
    double step = r->n > 1 ? (frame_value(ax, r, r->n - 1) - frame_value(ax, r, 0)) / (double)(r->n - 1) : 1;
    double x0 = lq_ax_x(ax, frame_value(ax, r, (size_t)a) - 0.5 * step);
    double x1 = lq_ax_x(ax, frame_value(ax, r, (size_t)b) + 0.5 * step);
    x0 = fmax(x0, ax->x0), x1 = fmin(x1, ax->x1);
    cairo_set_source_rgba(cr, c[0], c[1], c[2], alpha);
    cairo_rectangle(cr, fmin(x0, x1), ax->y0, fmax(fabs(x1 - x0), 1.5), ax->y1 - ax->y0);
    cairo_fill(cr);
}

/* Right-aligned label just above a line, on a light backing so a curve
 * passing behind it does not hide it. */
/* Whether any point of the curve lies in the rectangle [x0, x1] x [y0, y1]. */
static int curve_crosses(const LqFigCurve *curve, double x0, double x1, double y0, double y1)
{
    for (size_t i = 0; curve && i < curve->n; i++)
        if (curve->x[i] >= x0 && curve->x[i] <= x1 && curve->y[i] >= y0 && curve->y[i] <= y1) return 1;
    return 0;
}

void lq_fig_line_label(cairo_t *cr, const LqAxes *a, double v, const char *s, const double c[3], double fs,
                       const LqFigCurve *avoid)
{
    cairo_text_extents_t e;
    lq_fig_font(cr, fs * 0.9, 0);
    cairo_text_extents(cr, s, &e);
    double right = a->x1 - 4 - e.x_advance, x = right, y = lq_ax_y(a, v) - 4;
    /* its box would hide the data (a pullback's last frames near 50 % A_ref):
     * the rightmost place along the line where it hides none */
    while (x >= a->x0 + 4 && curve_crosses(avoid, x - 2, x + e.x_advance + 2, y - 0.9 * fs, y + 0.15 * fs)) x -= fs;
    if (x < a->x0 + 4) x = right;
    cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
    cairo_rectangle(cr, x - 2, y - 0.9 * fs, e.x_advance + 4, 1.05 * fs);
    cairo_fill(cr);
    lq_fig_rgb(cr, c);
    lq_fig_text(cr, x, y, -1, s);
}

void lq_fig_hline(cairo_t *cr, const LqAxes *a, double v, const double c[3], double dash)
{
    double y = lq_ax_y(a, v);
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_set_line_width(cr, 1.5);
    cairo_set_dash(cr, &dash, 1, 0);
    cairo_move_to(cr, a->x0, y), cairo_line_to(cr, a->x1, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
}

/* Frame i of value v in panel a: 1 a joined point, 0 a dot (below the
 * confidence cut), -1 nothing (no value). */
static int frame_point(const LqAxes *a, const LqResult *r, const double *v, size_t i, double *x, double *y)
{
    const LqFrameMeasure *m = &r->frames[i];
    if (!isfinite(v[i]) || !m->valid) return -1;
    *x = lq_ax_x(a, frame_value(a, r, i)), *y = lq_ax_y(a, fmin(fmax(v[i], a->vy0), a->vy1));
    return m->confidence >= r->low_confidence;
}

/* A curve of value(frame) over the pullback; NAN breaks it. Frames below the
 * confidence cut are dots, not joined. Returns the joined points in px, py
 * (r->n each), so that labels can keep off them. */
static LqFigCurve curve(cairo_t *cr, const LqAxes *a, const LqResult *r, const double *v, const double c[3], double lw,
                        double *px, double *py)
{
    size_t n = 0;
    int pen = 0;
    double x, y;
    cairo_set_line_width(cr, lw);
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    for (size_t i = r->pullback_first; i <= r->pullback_last; i++) {
        if (frame_point(a, r, v, i, &x, &y) != 1) {
            pen = 0;
            continue;
        }
        if (pen) cairo_line_to(cr, x, y);
        else cairo_move_to(cr, x, y);
        pen = 1;
        px[n] = x, py[n] = y, n++;
    }
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
    for (size_t i = r->pullback_first; i <= r->pullback_last; i++) {
        if (frame_point(a, r, v, i, &x, &y) != 0) continue;
        cairo_new_path(cr);
        cairo_arc(cr, x, y, lw, 0, 2 * LQ_PI);
        cairo_fill(cr);
    }
    return (LqFigCurve){px, py, n};
}

void lq_fig_marker(cairo_t *cr, double x, double y, const double c[3])
{
    cairo_new_path(cr);
    cairo_arc(cr, x, y, 5, 0, 2 * LQ_PI);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_fill_preserve(cr);
    lq_fig_rgb(cr, c);
    cairo_set_line_width(cr, 2.5);
    cairo_stroke(cr);
}

static const double segment_rgb[3] = {0.55, 0.2, 0.75};

/* Every narrowed segment besides the lesion's (docs/pictures.md): a band in
 * both panels, and in the area panel its number, vein and verdict metric
 * against its own reference at its MLA. Nothing is added for a pullback
 * whose only segment is the lesion's. Returns whether anything was drawn. */
static int segment_marks(cairo_t *cr, const LqAxes *A, const LqAxes *P, const LqResult *r, double fs)
{
    const LqSummary *s = &r->summary;
    if (!s->ok || s->segment_count == 0 || (s->segment_count == 1 && s->segments[0].lesion)) return 0;
    static const char *const veins[] = {"?", "CIV", "EIV", "CFV", "IVC"};
    char buf[64];
    for (int i = 0; i < s->segment_count; i++) {
        const LqSegment *g = &s->segments[i];
        if (!g->lesion) {
            frame_band(cr, A, r, g->first, g->last, segment_rgb, 0.18);
            frame_band(cr, P, r, g->first, g->last, segment_rgb, 0.18);
        }
        double x = lq_ax_x(A, frame_value(A, r, (size_t)g->mla_frame));
        if (!g->lesion) lq_fig_marker(cr, x, lq_ax_y(A, fmin(g->mla_mm2, A->vy1)), segment_rgb);
        snprintf(buf, sizeof buf, "%d %s %.0f %%%s", i + 1, veins[(unsigned)g->site < 5 ? g->site : 0], g->verdict_pct,
                 g->reference == LQ_SEGMENT_REF_STUDY ? "" : " vs IVC");
        lq_fig_font(cr, fs * 0.85, 1);
        lq_fig_rgb(cr, g->lesion ? lq_fig_lesion_rgb : segment_rgb);
        /* staggered on two rows so neighbours' labels do not overlap */
        int align = x < A->x0 + 5 * fs ? -1 : x > A->x1 - 5 * fs ? 1 : 0; /* kept inside the panel */
        lq_fig_text(cr, align < 0 ? fmax(x - fs, A->x0 + 2) : align > 0 ? fmin(x + fs, A->x1 - 2) : x,
                    A->y0 + (1.1 + 1.0 * (i % 2)) * fs, align, buf);
    }
    return 1;
}

void lq_draw_profile(cairo_t *cr, const LqStudyInfo *in, const LqResult *r, double w, double h)
{
    const LqSummary *s = &r->summary;
    int timed = in->timing != LQ_TIMING_NONE, have_ref = s->reference_area_mm2 > 0;
    double fs = fmin(14, fmax(8, h * 0.027));
    double *area = malloc(r->n * sizeof *area), *pct = malloc(r->n * sizeof *pct);
    double *px = malloc(r->n * sizeof *px), *py = malloc(r->n * sizeof *py);
    if (!area || !pct || !px || !py) {
        free(area), free(pct), free(px), free(py);
        return;
    }
    double amax = have_ref ? 1.3 * s->reference_area_mm2 : 0;
    for (size_t i = 0; i < r->n; i++) {
        const LqFrameMeasure *m = &r->frames[i];
        area[i] = m->valid ? m->shape.area_mm2 : NAN;
        pct[i] = lq_frame_stenosis_pct(s, m, s->metric);
        if (i >= r->pullback_first && i <= r->pullback_last && m->valid && m->confidence >= r->low_confidence)
            amax = fmax(amax, area[i]);
    }
    if (!(amax > 0)) amax = 100;
    LqAxes span = {.timed = timed};
    double p0 = frame_value(&span, r, r->pullback_first), p1 = frame_value(&span, r, r->pullback_last);
    if (!(p1 > p0)) p1 = p0 + 1;

    cairo_save(cr);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, 0.97, 0.97, 0.96);
    cairo_paint(cr);

    /* title: the dynamic note and the verdict never drawn over each other;
     * a line the title needs below the first moves the plots down */
    char buf[256], verdict[160];
    if (s->ok)
        lq_verdict_text(verdict, sizeof verdict, LQ_VERDICT_TYPESET, s->significant, lq_metric_phrase(s->metric),
                        s->verdict_pct, s->threshold_pct);
    double left = 5.2 * fs, right = 4.6 * fs, bottom = 3.0 * fs, gap = 1.6 * fs;
    LqTitleLayout title;
    lq_title_layout(cr, fs * 1.15, left, w - right, 1.5 * fs, fs, "Lumen area along the pullback",
                    s->ok && lq_result_dynamics(r)->dynamic ? "lesion looks DYNAMIC" : NULL, s->ok ? verdict : NULL,
                    &title);
    static const double title_rgb[3] = {0.1, 0.1, 0.1}, amber[3] = {0.8, 0.45, 0.0};
    lq_fig_rgb(cr, title_rgb);
    cairo_move_to(cr, title.heading.x, title.heading.y);
    cairo_show_text(cr, "Lumen area along the pullback");
    if (s->ok && lq_result_dynamics(r)->dynamic) { /* the verdict from the best evidence (dynamics.c) */
        lq_fig_rgb(cr, amber);
        cairo_move_to(cr, title.note.x, title.note.y);
        cairo_show_text(cr, "lesion looks DYNAMIC");
    }
    if (s->ok) {
        lq_fig_rgb(cr, s->significant ? lq_fig_lesion_rgb : title_rgb);
        cairo_move_to(cr, title.verdict.x, title.verdict.y);
        cairo_show_text(cr, verdict);
    }

    double top = 3.9 * fs + (title.lines - 1) * title.line_step, plot_h = h - top - bottom - gap;
    LqAxes A = {left, w - right, top, top + 0.62 * plot_h, p0, p1, 0, amax * 1.05, timed};
    LqAxes P = {left, w - right, A.y1 + gap, h - bottom, p0, p1, 0, 100, timed};

    for (int panel = 0; panel < 2; panel++) {
        const LqAxes *ax = panel ? &P : &A;
        lq_fig_box(cr, ax);
        lq_fig_grid(cr, ax, fs, 1, panel == 1);
        if (have_ref && s->reference_first >= 0)
            frame_band(cr, ax, r, s->reference_first, s->reference_last, lq_fig_reference_rgb, 0.16);
        if (s->ok && s->lesion_first >= 0) frame_band(cr, ax, r, s->lesion_first, s->lesion_last, lq_fig_lesion_rgb, 0.16);
        else if (s->ok) frame_band(cr, ax, r, s->lesion_frame, s->lesion_frame, lq_fig_lesion_rgb, 0.3);
    }

    /* area panel */
    lq_fig_grid(cr, &A, fs, 0, 1);
    if (have_ref) {
        lq_fig_hline(cr, &A, s->reference_area_mm2, lq_fig_reference_rgb, 6);
        lq_fig_hline(cr, &A, LQ_LESION_FRACTION * s->reference_area_mm2, lq_fig_lesion_rgb, 3);
        /* %AS on the right: the same curve, read against the reference */
        lq_fig_font(cr, fs, 0);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        int step = A.y1 - A.y0 > 20 * fs ? 25 : 50;
        for (int p = 0; p <= 100; p += step) {
            double a = s->reference_area_mm2 * (1 - p / 100.0);
            if (a > A.vy1) continue;
            double y = lq_ax_y(&A, a);
            cairo_move_to(cr, A.x1, y), cairo_line_to(cr, A.x1 + 4, y);
            cairo_stroke(cr);
            snprintf(buf, sizeof buf, "%d", p);
            lq_fig_text(cr, A.x1 + 6, y + 0.35 * fs, -1, buf);
        }
        lq_fig_vertical_text(cr, w - 0.8 * fs, 0.5 * (A.y0 + A.y1), "area stenosis %AS (%)");
    }
    int segments_drawn = segment_marks(cr, &A, &P, r, fs);
    static const double blue[3] = {0.1, 0.25, 0.65};
    LqFigCurve drawn = curve(cr, &A, r, area, blue, 1.8, px, py);
    if (have_ref) { /* labels over the curve, off its points */
        snprintf(buf, sizeof buf, "A_ref %.0f mm\xc2\xb2", s->reference_area_mm2);
        lq_fig_line_label(cr, &A, s->reference_area_mm2, buf, lq_fig_reference_rgb, fs, &drawn);
        lq_fig_line_label(cr, &A, 0.5 * s->reference_area_mm2, "50 % A_ref", lq_fig_lesion_rgb, fs, &drawn);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    lq_fig_font(cr, fs, 0);
    lq_fig_vertical_text(cr, 1.2 * fs, 0.5 * (A.y0 + A.y1), "lumen area (mm\xc2\xb2)");
    if (s->ok) {
        double x = lq_ax_x(&A, frame_value(&A, r, (size_t)s->lesion_frame)), y = lq_ax_y(&A, fmin(s->mla_mm2, A.vy1));
        lq_fig_marker(cr, x, y, lq_fig_lesion_rgb);
        snprintf(buf, sizeof buf, "MLA %.1f mm\xc2\xb2, frame %d", s->mla_mm2, s->lesion_frame + 1);
        lq_fig_font(cr, fs, 1);
        int align = x > 0.7 * w ? 1 : -1;
        static const double dark_red[3] = {0.6, 0.0, 0.0};
        lq_fig_rgb(cr, dark_red);
        lq_fig_text(cr, x + (align < 0 ? 9 : -9), y + 1.4 * fs > A.y1 ? y - 0.8 * fs : y + 1.4 * fs, align, buf);
    }

    /* verdict metric panel */
    lq_fig_grid(cr, &P, fs, 0, 1);
    if (have_ref) {
        drawn = curve(cr, &P, r, pct, blue, 1.4, px, py);
        lq_fig_hline(cr, &P, s->threshold_pct, lq_fig_lesion_rgb, 6);
        snprintf(buf, sizeof buf, "threshold %.0f %%", s->threshold_pct);
        lq_fig_line_label(cr, &P, s->threshold_pct, buf, lq_fig_lesion_rgb, fs, &drawn);
        if (s->ok) lq_fig_marker(cr, lq_ax_x(&P, frame_value(&P, r, (size_t)s->lesion_frame)), lq_ax_y(&P, fmin(fmax(s->verdict_pct, 0), 100)), lq_fig_lesion_rgb);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    lq_fig_font(cr, fs, 0);
    static const char *const short_names[] = {"%DS (%)", "%AS (%)", "eq. %DS (%)"};
    lq_fig_vertical_text(cr, 1.2 * fs, 0.5 * (P.y0 + P.y1), short_names[s->metric <= 2 ? s->metric : 0]);

    /* x axis: position and anatomy at each end */
    snprintf(buf, sizeof buf, "%s", timed ? "position along the pullback (mm)" : "frame (untimed pullback)");
    lq_fig_text(cr, 0.5 * (P.x0 + P.x1), h - 0.5 * fs, 0, buf);
    lq_fig_font(cr, fs, 1);
    lq_fig_text(cr, P.x0, h - 0.5 * fs, -1, r->order_from_cfv ? "CFV" : "IVC");
    lq_fig_text(cr, P.x1, h - 0.5 * fs, 1, r->order_from_cfv ? "IVC" : "CFV");
    /* legend */
    lq_fig_font(cr, fs * 0.9, 0);
    double lx = left, ly = A.y0 - 0.6 * fs;
    struct { const double *c; const char *label; } legend[] = {
        {lq_fig_lesion_rgb, "lesion segment (< 50 % A_ref)"}, {lq_fig_reference_rgb, "reference frames"},
        {segment_rgb, "other narrowed segments"}};
    for (size_t i = 0; i < 3; i++) {
        if ((i == 1 && s->reference_first < 0) || (i == 2 && !segments_drawn)) continue;
        cairo_set_source_rgba(cr, legend[i].c[0], legend[i].c[1], legend[i].c[2], 0.35);
        cairo_rectangle(cr, lx, ly - 0.8 * fs, 1.6 * fs, 0.9 * fs);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        lx += 2 * fs + lq_fig_text(cr, lx + 2 * fs, ly, -1, legend[i].label) + fs;
    }
    cairo_restore(cr);
    free(area), free(pct), free(px), free(py);
}

/* ------------------------------------------------------- dynamic lesions */

/* The lumen area over time where the catheter was held still (a stationary
 * recording, or a pause at the lesion): the breathing cycles, each one's
 * minimum and maximum, and the verdict (docs/pictures.md). */
void lq_draw_dynamics(cairo_t *cr, const LqResult *r, double w, double h)
{
    const LqDynamics *d = lq_result_dynamics(r);
    const LqTimeCourse *c = &d->course;
    double fs = fmin(14, fmax(8, h * 0.04));
    cairo_save(cr);
    cairo_rectangle(cr, 0, 0, w, h);
    cairo_clip(cr);
    cairo_set_source_rgb(cr, 0.97, 0.97, 0.96);
    cairo_paint(cr);
    static const double title_rgb[3] = {0.1, 0.1, 0.1}, blue[3] = {0.1, 0.25, 0.65}, grey[3] = {0.45, 0.45, 0.45};
    char buf[256];
    snprintf(buf, sizeof buf, "Lumen area over time, %s", d->course_source == LQ_DYNAMIC_FROM_PAUSE
                                                              ? "the pullback paused at the lesion"
                                                              : "stationary recording");
    lq_fig_font(cr, fs * 1.15, 1);
    lq_fig_rgb(cr, title_rgb);
    lq_fig_text(cr, 5.2 * fs, 1.5 * fs, -1, buf);
    if (c->judged)
        snprintf(buf, sizeof buf, "variation %.0f %% %s %.0f %%: %s", c->variation_pct, c->dynamic ? ">" : "\xe2\x89\xa4",
                 c->threshold_pct, c->dynamic ? "DYNAMIC" : "not dynamic");
    else
        snprintf(buf, sizeof buf, "not judged: %.120s", c->note);
    lq_fig_font(cr, fs, 1);
    lq_fig_rgb(cr, c->judged && c->dynamic ? lq_fig_lesion_rgb : title_rgb);
    lq_fig_text(cr, 5.2 * fs, 2.9 * fs, -1, buf);

    double amax = 0, tmax = 0;
    for (size_t k = 0; k < d->samples; k++) {
        if (d->area_mm2[k] > amax) amax = d->area_mm2[k];
        tmax = fmax(tmax, d->time_s[k]);
    }
    if (!(amax > 0)) amax = 100;
    if (!(tmax > 0)) tmax = 1;
    LqAxes A = {5.2 * fs, w - 2 * fs, 4.2 * fs, h - 3.0 * fs, 0, tmax, 0, amax * 1.1, 1};
    lq_fig_box(cr, &A);
    lq_fig_grid(cr, &A, fs, 1, 1);
    lq_fig_grid(cr, &A, fs, 0, 1);
    double t0 = c->frame_time_ms * c->first / 1000.0; /* the samples start at the first frame held still */
    for (int k = 0; c->judged && k < c->cycles && k < LQ_DYNAMICS_MAX_CYCLES; k++) {
        const LqBreathCycle *cy = &c->cycle[k];
        double xa = lq_ax_x(&A, cy->first * c->frame_time_ms / 1000.0 - t0);
        double xb = lq_ax_x(&A, (cy->last + 1) * c->frame_time_ms / 1000.0 - t0);
        cairo_set_source_rgba(cr, 0.5, 0.5, 0.5, k % 2 ? 0.10 : 0.04);
        cairo_rectangle(cr, xa, A.y0, xb - xa, A.y1 - A.y0);
        cairo_fill(cr);
        cairo_set_line_width(cr, 1.2);
        lq_fig_rgb(cr, lq_fig_lesion_rgb);
        cairo_move_to(cr, xa, lq_ax_y(&A, cy->area_min_mm2)), cairo_line_to(cr, xb, lq_ax_y(&A, cy->area_min_mm2));
        cairo_stroke(cr);
        lq_fig_rgb(cr, lq_fig_reference_rgb);
        cairo_move_to(cr, xa, lq_ax_y(&A, cy->area_max_mm2)), cairo_line_to(cr, xb, lq_ax_y(&A, cy->area_max_mm2));
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%.0f %%", cy->variation_pct);
        lq_fig_font(cr, fs * 0.9, 0);
        lq_fig_rgb(cr, grey);
        lq_fig_text(cr, 0.5 * (xa + xb), A.y0 + 1.2 * fs, 0, buf);
    }
    /* the area, broken where a frame has no usable contour */
    lq_fig_rgb(cr, blue);
    cairo_set_line_width(cr, 1.8);
    int pen = 0;
    for (size_t k = 0; k < d->samples; k++) {
        if (!isfinite(d->area_mm2[k])) {
            pen = 0;
            continue;
        }
        double x = lq_ax_x(&A, d->time_s[k]), y = lq_ax_y(&A, d->area_mm2[k]);
        if (pen) cairo_line_to(cr, x, y);
        else cairo_move_to(cr, x, y);
        pen = 1;
    }
    cairo_stroke(cr);
    lq_fig_font(cr, fs, 0);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    lq_fig_vertical_text(cr, 1.2 * fs, 0.5 * (A.y0 + A.y1), "lumen area (mm\xc2\xb2)");
    snprintf(buf, sizeof buf, "time held still (s)%s", c->period_s > 0 ? ": one shade per breathing cycle, its "
                                                                         "minimum red, maximum green" : "");
    lq_fig_text(cr, 0.5 * (A.x0 + A.x1), h - 0.5 * fs, 0, buf);
    cairo_restore(cr);
}

int lq_report_dynamics_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err)
{
    (void)study;
    if (!lq_result_dynamics(r)->has_course)
        return lq_fail(err, LQ_ERR_DATA, "no recording held still (stationary, or a pause at the lesion) to draw");
    cairo_surface_t *s;
    cairo_t *cr;
    int rc = lq_png_surface(DYNAMICS_WIDTH, DYNAMICS_HEIGHT, &s, &cr, err);
    if (rc != LQ_OK) return rc;
    lq_draw_dynamics(cr, r, DYNAMICS_WIDTH, DYNAMICS_HEIGHT);
    cairo_destroy(cr);
    rc = lq_png_write(fp, s, err);
    cairo_surface_destroy(s);
    return rc;
}
