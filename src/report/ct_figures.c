/* CT venography pictures (docs/pictures.md): the cross-sections at the
 * lesion and at the reference with their outline and calipers, and the
 * vein straightened along its centreline over the area profile. */
#include "figures.h"
#include "report.h"

#include "internal.h"
#include "measure/measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SECTION_FIGURE_WIDTH 512
#define SECTION_SIZE 201       /* samples across a section picture */
#define SECTION_PITCH_MM 0.2   /* 40 mm across */
#define PROFILE_WIDTH 960
#define PROFILE_HEIGHT 620
#define STRAIGHT_ROWS 151      /* straightened view: 30 mm across */
#define STRAIGHT_PITCH_MM 0.2
#define WINDOW_LOW_HU -150.0   /* venous-phase soft tissue window: level 100, width 500 */
#define WINDOW_HIGH_HU 350.0

static uint8_t windowed(int16_t hu)
{
    double g = (hu - WINDOW_LOW_HU) / (WINDOW_HIGH_HU - WINDOW_LOW_HU) * 255.0;
    return (uint8_t)(g < 0 ? 0 : g > 255 ? 255 : lround(g));
}

/* The reference section shown: the one whose area is nearest A_ref. */
static size_t reference_section(const LqCtResult *r)
{
    size_t best = (size_t)r->reference_first;
    for (int i = r->reference_first; i <= r->reference_last; i++)
        if (r->sections[i].valid &&
            fabs(r->sections[i].shape.area_mm2 - r->reference_area_mm2) <
                fabs(r->sections[best].shape.area_mm2 - r->reference_area_mm2))
            best = (size_t)i;
    return best;
}

static int section_png(FILE *fp, const LqVolume *v, const LqCtResult *r, int lesion, LqError *err)
{
    size_t s = lesion ? (size_t)r->lesion : reference_section(r);
    enum { N = SECTION_SIZE * SECTION_SIZE };
    int16_t *hu = malloc(N * sizeof *hu);
    uint8_t *luma = malloc(N);
    double *xy = malloc(2 * r->outline_points * sizeof *xy);
    if (!hu || !luma || !xy || lq_ct_section_image(v, r, s, hu, SECTION_SIZE, SECTION_PITCH_MM) != LQ_OK) {
        free(hu), free(luma), free(xy);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory for a picture");
    }
    for (int i = 0; i < N; i++) luma[i] = windowed(hu[i]);
    free(hu);
    /* outline from the section centre to picture mm (origin at sample 0) */
    const double centre = (SECTION_SIZE / 2) * SECTION_PITCH_MM;
    for (unsigned k = 0; k < r->outline_points; k++) {
        xy[2 * k] = r->outlines[(s * r->outline_points + k) * 2] + centre;
        xy[2 * k + 1] = r->outlines[(s * r->outline_points + k) * 2 + 1] + centre;
    }
    LqContour contour = {r->outline_points, xy};
    const LqFrameMeasure *m = &r->sections[s];
    char title[160], right[64];
    if (lesion) {
        snprintf(title, sizeof title, "CT LESION  section %zu \xc2\xb7 %.1f mm", s + 1, m->position_mm);
        snprintf(right, sizeof right, "%%DS %.0f %%", r->diameter_stenosis_pct);
    } else {
        snprintf(title, sizeof title, "CT REFERENCE  section %zu \xc2\xb7 %.1f mm (of %d-%d)", s + 1, m->position_mm,
                 r->reference_first + 1, r->reference_last + 1);
        snprintf(right, sizeof right, "A_ref %.0f mm\xc2\xb2", r->reference_area_mm2);
    }
    LqFigureView view = {luma, SECTION_SIZE, SECTION_SIZE, SECTION_PITCH_MM, SECTION_PITCH_MM, &contour, &m->shape,
                         m->valid, title, right, NULL, "no lumen outline on this section"};
    cairo_surface_t *surface;
    cairo_t *cr;
    int h = (int)ceil(lq_view_height(&view, SECTION_FIGURE_WIDTH));
    int rc = lq_png_surface(SECTION_FIGURE_WIDTH, h, &surface, &cr, err);
    if (rc == LQ_OK) {
        lq_draw_view(cr, &view, SECTION_FIGURE_WIDTH);
        cairo_destroy(cr);
        rc = lq_png_write(fp, surface, err);
        cairo_surface_destroy(surface);
    }
    free(luma), free(xy);
    return rc;
}

/* Band over sections [a, b] of an axis in mm along the centreline. */
static void section_band(cairo_t *cr, const LqAxes *ax, const LqCtResult *r, int a, int b, const double c[3],
                         double alpha)
{
    double x0 = lq_ax_x(ax, r->sections[a].position_mm - 0.5), x1 = lq_ax_x(ax, r->sections[b].position_mm + 0.5);
    x0 = fmax(x0, ax->x0), x1 = fmin(x1, ax->x1);
    cairo_set_source_rgba(cr, c[0], c[1], c[2], alpha);
    cairo_rectangle(cr, x0, ax->y0, fmax(x1 - x0, 1.5), ax->y1 - ax->y0);
    cairo_fill(cr);
}

/* Where the outline of section s crosses its w axis (the rays at 90 and
 * 270 degrees), mm along w. */
static void across_extent(const LqCtResult *r, size_t s, double *plus, double *minus)
{
    const double *o = r->outlines + s * r->outline_points * 2;
    *plus = o[2 * (r->outline_points / 4) + 1], *minus = o[2 * (3 * r->outline_points / 4) + 1];
}

static void draw_straightened(cairo_t *cr, const LqCtResult *r, const uint8_t *luma, int cols, const LqAxes *ax)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols, STRAIGHT_ROWS);
    if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(img);
        uint8_t *data = cairo_image_surface_get_data(img);
        int stride = cairo_image_surface_get_stride(img);
        for (int y = 0; y < STRAIGHT_ROWS; y++) {
            uint32_t *row = (uint32_t *)(void *)(data + (size_t)y * (size_t)stride);
            for (int x = 0; x < cols; x++) {
                uint32_t g = luma[(size_t)y * cols + x];
                row[x] = g << 16 | g << 8 | g;
            }
        }
        cairo_surface_mark_dirty(img);
        cairo_save(cr);
        cairo_translate(cr, ax->x0, ax->y0);
        cairo_scale(cr, (ax->x1 - ax->x0) / cols, (ax->y1 - ax->y0) / STRAIGHT_ROWS);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
        cairo_paint(cr);
        cairo_restore(cr);
    }
    cairo_surface_destroy(img);
    /* centreline, and the lumen's edges along u as the outlines found them */
    static const double dash[1] = {6};
    cairo_set_source_rgba(cr, 1, 1, 1, 0.8);
    cairo_set_line_width(cr, 1);
    cairo_set_dash(cr, dash, 1, 0);
    double mid = lq_ax_y(ax, 0);
    cairo_move_to(cr, ax->x0, mid), cairo_line_to(cr, ax->x1, mid);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    lq_fig_rgb(cr, lq_fig_contour_rgb);
    for (size_t s = 0; s < r->n; s++) {
        if (!r->sections[s].valid) continue;
        double plus, minus, x = lq_ax_x(ax, r->sections[s].position_mm);
        across_extent(r, s, &plus, &minus);
        cairo_new_path(cr);
        cairo_arc(cr, x, lq_ax_y(ax, plus), 1.8, 0, 2 * LQ_PI);
        cairo_arc(cr, x, lq_ax_y(ax, minus), 1.8, 0, 2 * LQ_PI);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, ax->x0, ax->y0, ax->x1 - ax->x0, ax->y1 - ax->y0);
    cairo_stroke(cr);
}

static int profile_png(FILE *fp, const LqVolume *v, const LqCtResult *r, LqError *err)
{
    double first = r->sections[0].position_mm, last = r->sections[r->n - 1].position_mm, total = last - first;
    int cols = (int)ceil(total / STRAIGHT_PITCH_MM) + 1;
    int16_t *hu = malloc((size_t)cols * STRAIGHT_ROWS * sizeof *hu);
    uint8_t *luma = malloc((size_t)cols * STRAIGHT_ROWS);
    if (!hu || !luma || lq_ct_straightened(v, r, hu, cols, STRAIGHT_ROWS, STRAIGHT_PITCH_MM) != LQ_OK) {
        free(hu), free(luma);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory for a picture");
    }
    for (size_t i = 0; i < (size_t)cols * STRAIGHT_ROWS; i++) luma[i] = windowed(hu[i]);
    free(hu);
    cairo_surface_t *surface;
    cairo_t *cr;
    int rc = lq_png_surface(PROFILE_WIDTH, PROFILE_HEIGHT, &surface, &cr, err);
    if (rc != LQ_OK) {
        free(luma);
        return rc;
    }
    const double w = PROFILE_WIDTH, h = PROFILE_HEIGHT, fs = 13;
    cairo_set_source_rgb(cr, 0.97, 0.97, 0.96);
    cairo_paint(cr);
    double left = 5.2 * fs, right = 2 * fs, top = 3.6 * fs, bottom = 3.0 * fs, gap = 1.4 * fs;
    double half_mm = (STRAIGHT_ROWS / 2) * STRAIGHT_PITCH_MM;
    double straight_h = fmin(0.5 * (h - top - bottom), (w - left - right) * 2 * half_mm / fmax(total, 1));
    LqAxes S = {left, w - right, top, top + straight_h, first, last, half_mm, -half_mm, 0};
    double amax = 0;
    for (size_t s = 0; s < r->n; s++)
        if (r->sections[s].valid) amax = fmax(amax, r->sections[s].shape.area_mm2);
    amax = fmax(amax, 1.3 * r->reference_area_mm2);
    LqAxes A = {left, w - right, S.y1 + gap + 1.2 * fs, h - bottom, first, last, 0, 1.05 * amax, 0};

    char buf[256];
    lq_fig_font(cr, fs * 1.15, 1);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    lq_fig_text(cr, left, 1.4 * fs, -1, "CT venography: the vein straightened along its centreline");
    lq_verdict_text(buf, sizeof buf, LQ_VERDICT_CT | LQ_VERDICT_TYPESET, r->significant, "%DS", r->diameter_stenosis_pct,
                    r->threshold_pct);
    if (r->significant) lq_fig_rgb(cr, lq_fig_lesion_rgb);
    lq_fig_text(cr, w - right, 1.4 * fs, 1, buf);
    lq_fig_font(cr, fs * 0.9, 0);
    cairo_set_source_rgb(cr, 0.35, 0.2, 0.0);
    lq_fig_text(cr, left, 2.6 * fs, -1, "CT alone does not decide treatment: confirm a compression with IVUS.");

    draw_straightened(cr, r, luma, cols, &S);
    free(luma);
    lq_fig_font(cr, fs, 0);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    lq_fig_vertical_text(cr, 1.2 * fs, 0.5 * (S.y0 + S.y1), "across (mm)");
    snprintf(buf, sizeof buf, "%+.0f", half_mm);
    lq_fig_text(cr, S.x0 - 5, S.y0 + fs, 1, buf);
    snprintf(buf, sizeof buf, "%+.0f", -half_mm);
    lq_fig_text(cr, S.x0 - 5, S.y1, 1, buf);
    double lx = lq_ax_x(&S, r->sections[r->lesion].position_mm);
    lq_fig_rgb(cr, lq_fig_lesion_rgb);
    cairo_set_line_width(cr, 2);
    cairo_move_to(cr, lx, S.y0 - 4), cairo_line_to(cr, lx, S.y0 + 8);
    cairo_move_to(cr, lx, S.y1 + 4), cairo_line_to(cr, lx, S.y1 - 8);
    cairo_stroke(cr);

    /* area along the centreline */
    lq_fig_box(cr, &A);
    lq_fig_grid(cr, &A, fs, 1, 1);
    lq_fig_grid(cr, &A, fs, 0, 1);
    section_band(cr, &A, r, r->reference_first, r->reference_last, lq_fig_reference_rgb, 0.16);
    if (r->segment_first >= 0) section_band(cr, &A, r, r->segment_first, r->segment_last, lq_fig_lesion_rgb, 0.16);
    lq_fig_hline(cr, &A, r->reference_area_mm2, lq_fig_reference_rgb, 6);
    lq_fig_hline(cr, &A, LQ_LESION_FRACTION * r->reference_area_mm2, lq_fig_lesion_rgb, 3);
    static const double blue[3] = {0.1, 0.25, 0.65};
    lq_fig_rgb(cr, blue);
    cairo_set_line_width(cr, 1.8);
    int pen = 0;
    for (size_t s = 0; s < r->n; s++) {
        const LqFrameMeasure *m = &r->sections[s];
        if (!m->valid) {
            pen = 0;
            continue;
        }
        double x = lq_ax_x(&A, m->position_mm), y = lq_ax_y(&A, m->shape.area_mm2);
        if (pen) cairo_line_to(cr, x, y);
        else cairo_move_to(cr, x, y);
        pen = 1;
    }
    cairo_stroke(cr);
    snprintf(buf, sizeof buf, "A_ref %.0f mm\xc2\xb2", r->reference_area_mm2);
    lq_fig_line_label(cr, &A, r->reference_area_mm2, buf, lq_fig_reference_rgb, fs, NULL);
    lq_fig_line_label(cr, &A, LQ_LESION_FRACTION * r->reference_area_mm2, "50 % A_ref", lq_fig_lesion_rgb, fs, NULL);
    double mx = lq_ax_x(&A, r->sections[r->lesion].position_mm), my = lq_ax_y(&A, r->mla_mm2);
    lq_fig_marker(cr, mx, my, lq_fig_lesion_rgb);
    snprintf(buf, sizeof buf, "MLA %.1f mm\xc2\xb2, section %d", r->mla_mm2, r->lesion + 1);
    lq_fig_font(cr, fs, 1);
    static const double dark_red[3] = {0.6, 0.0, 0.0};
    lq_fig_rgb(cr, dark_red);
    lq_fig_text(cr, mx + (mx > 0.7 * w ? -9 : 9), my - 0.8 * fs, mx > 0.7 * w ? 1 : -1, buf);
    lq_fig_font(cr, fs, 0);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    lq_fig_vertical_text(cr, 1.2 * fs, 0.5 * (A.y0 + A.y1), "lumen area (mm\xc2\xb2)");
    lq_fig_text(cr, 0.5 * (A.x0 + A.x1), h - 0.5 * fs, 0, "distance along the centreline from the lesion point (mm)");
    lq_fig_font(cr, fs, 1);
    lq_fig_text(cr, A.x0, h - 0.5 * fs, -1, "lesion point");
    lq_fig_text(cr, A.x1, h - 0.5 * fs, 1, "reference point");
    cairo_destroy(cr);
    rc = lq_png_write(fp, surface, err);
    cairo_surface_destroy(surface);
    return rc;
}

int lq_ct_report_png(FILE *fp, const LqVolume *v, const LqCtResult *r, LqReportFormat fmt, LqError *err)
{
    if (fmt == LQ_REPORT_PROFILE_PNG) return profile_png(fp, v, r, err);
    return section_png(fp, v, r, fmt == LQ_REPORT_LESION_PNG, err);
}
