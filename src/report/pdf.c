/* One-page PDF report (cairo's PDF surface): identification, verdict, the
 * numbers, the lesion and reference frames and the profile — what gets
 * printed or attached to the chart. */
#include "figures.h"
#include "report.h"

#include "internal.h"

#include <cairo-pdf.h>
#include <math.h>
#include <string.h>

#define PAGE_W 595.28 /* A4 in points */
#define PAGE_H 841.89
#define MARGIN 36.0

static cairo_status_t to_stream(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, (FILE *)closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

typedef struct Column {
    cairo_t *cr;
    double x, y, label_w;
} Column;

static void heading(Column *c, const char *s)
{
    lq_fig_font(c->cr, 9.5, 1);
    cairo_set_source_rgb(c->cr, 0.1, 0.1, 0.1);
    lq_fig_text(c->cr, c->x, c->y, -1, s);
    c->y += 12.5;
}

static void row(Column *c, const char *label, const char *value)
{
    lq_fig_font(c->cr, 8.5, 0);
    cairo_set_source_rgb(c->cr, 0.35, 0.35, 0.35);
    lq_fig_text(c->cr, c->x, c->y, -1, label);
    cairo_set_source_rgb(c->cr, 0.05, 0.05, 0.05);
    lq_fig_text(c->cr, c->x + c->label_w, c->y, -1, value);
    c->y += 11;
}

/* The dynamic verdict from a recording held still or a second pullback
 * (docs/measurements.md, "Dynamic lesions"); returns the next line's y. */
static double dynamics_line(cairo_t *cr, const LqResult *r, double y)
{
    const LqDynamics *d = lq_result_dynamics(r);
    char buf[300];
    if (d->source == LQ_DYNAMIC_FROM_STATIONARY || d->source == LQ_DYNAMIC_FROM_PAUSE)
        snprintf(buf, sizeof buf, "Dynamics (%s, %.1f s held still, %d cycle%s): area varies %.0f %% %s %.0f %%: %s%s",
                 d->source == LQ_DYNAMIC_FROM_PAUSE ? "pause at the lesion" : "stationary recording",
                 d->course.duration_s, d->course.cycles, d->course.cycles == 1 ? "" : "s", d->course.variation_pct,
                 d->dynamic ? ">" : "\xe2\x89\xa4", d->course.threshold_pct, d->dynamic ? "DYNAMIC" : "not dynamic",
                 d->dynamic ? ", not for stenting." : " (page 2).");
    else if (d->source == LQ_DYNAMIC_FROM_COMPARE)
        snprintf(buf, sizeof buf, "Dynamics (second pullback, aligned %+.1f mm): MLA %.1f and %.1f mm\xc2\xb2, change %.0f %% "
                                  "%s %.0f %%: %s",
                 d->comparison.shift_mm, d->comparison.mla_mm2, d->comparison.other_mla_mm2, d->comparison.change_pct,
                 d->dynamic ? ">" : "\xe2\x89\xa4", d->comparison.threshold_pct,
                 d->dynamic ? "DYNAMIC, not for stenting." : "not dynamic.");
    else
        return y;
    lq_fig_font(cr, 8.5, 1);
    if (d->dynamic) cairo_set_source_rgb(cr, lq_fig_lesion_rgb[0], lq_fig_lesion_rgb[1], lq_fig_lesion_rgb[2]);
    else cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    lq_fig_text(cr, MARGIN, y, -1, buf);
    return y + 12;
}

/* A second page with the lumen over time, when it was measured. */
static void dynamics_page(cairo_t *cr, const LqResult *r)
{
    if (!lq_result_dynamics(r)->has_course) return;
    cairo_show_page(cr);
    cairo_save(cr);
    cairo_translate(cr, MARGIN, MARGIN);
    lq_draw_dynamics(cr, r, PAGE_W - 2 * MARGIN, 0.4 * (PAGE_W - 2 * MARGIN));
    cairo_restore(cr);
}

static void numbers(cairo_t *cr, const LqStudyInfo *in, const LqSummary *s, double y)
{
    char v[160];
    int timed = in->timing != LQ_TIMING_NONE;
    double colw = (PAGE_W - 2 * MARGIN) / 3;
    Column c = {cr, MARGIN, y, 62};
    heading(&c, "Lesion");
    snprintf(v, sizeof v, "%d%s (%s)", s->lesion_frame + 1, "", lq_method_name(s->lesion_method));
    row(&c, "frame", v);
    if (timed) snprintf(v, sizeof v, "%.1f mm", s->lesion_position_mm), row(&c, "position", v);
    snprintf(v, sizeof v, "%.1f mm\xc2\xb2", s->mla_mm2), row(&c, "MLA", v);
    snprintf(v, sizeof v, "%.2f mm", s->mld_mm), row(&c, "MLD", v);
    snprintf(v, sizeof v, "%.2f mm", s->lesion_max_diameter_mm), row(&c, "max diameter", v);
    if (s->lesion_first >= 0)
        snprintf(v, sizeof v, "%.1f %s (frames %d-%d)", s->lesion_length_mm, timed ? "mm" : "frames",
                 s->lesion_first + 1, s->lesion_last + 1);
    else
        snprintf(v, sizeof v, "none below 50 %% A_ref");
    row(&c, "length", v);
    if (s->dynamic_checked)
        snprintf(v, sizeof v, "%s (re-narrows %.0f %%)", s->dynamic ? "YES" : "no", s->dynamic_variation_pct);
    else
        snprintf(v, sizeof v, "not judged");
    row(&c, "dynamic", v);

    c = (Column){cr, MARGIN + colw, y, 50};
    heading(&c, "Reference");
    row(&c, "method", lq_method_name(s->reference_method));
    if (s->reference_first >= 0)
        snprintf(v, sizeof v, "frames %d-%d", s->reference_first + 1, s->reference_last + 1), row(&c, "frames", v);
    snprintf(v, sizeof v, "%.1f mm\xc2\xb2", s->reference_area_mm2), row(&c, "A_ref", v);
    snprintf(v, sizeof v, "%.2f mm", s->reference_diameter_mm), row(&c, "D_ref", v);
    if (s->reference_note[0]) {
        /* the note can be long: two lines at most, cut at a space */
        char note[256];
        snprintf(note, sizeof note, "%s", s->reference_note);
        size_t cut = strlen(note) > 44 ? 44 : strlen(note);
        while (cut < strlen(note) && cut > 20 && note[cut] != ' ') cut--;
        char first[64];
        snprintf(first, sizeof first, "%.*s", (int)cut, note);
        row(&c, "source", first);
        if (cut < strlen(note)) {
            snprintf(v, sizeof v, "%.44s%s", note + cut + 1, strlen(note + cut + 1) > 44 ? "..." : "");
            row(&c, "", v);
        }
    }

    c = (Column){cr, MARGIN + 2 * colw, y, 78};
    heading(&c, "Stenosis");
    const char *mark[3] = {"", "", ""};
    mark[s->metric] = "  (verdict)";
    snprintf(v, sizeof v, "%.1f %%%s", s->diameter_stenosis_pct, mark[0]), row(&c, "diameter %DS", v);
    snprintf(v, sizeof v, "%.1f %%%s", s->area_stenosis_pct, mark[1]), row(&c, "area %AS", v);
    snprintf(v, sizeof v, "%.1f %%%s", s->equiv_diameter_stenosis_pct, mark[2]), row(&c, "equiv. diam.", v);
    c.y += 3;
    heading(&c, "Stent sizing (advisory)");
    char sizes[64] = "";
    for (int i = 0, used = 0; i < s->stent_size_count; i++)
        used += snprintf(sizes + used, sizeof sizes - (size_t)used, "%s%d", i ? ", " : "", s->stent_sizes_mm[i]);
    snprintf(v, sizeof v, "%.1f-%.1f mm: %s", s->stent_diameter_min_mm, s->stent_diameter_max_mm,
             s->stent_size_count ? sizes : "none nominal");
    row(&c, "diameter", v);
    if (s->stent_length_mm)
        snprintf(v, sizeof v, "%d mm (span %.0f mm)", s->stent_length_mm, s->stent_span_mm);
    else if (s->stent_length_known)
        snprintf(v, sizeof v, "span %.0f mm: > 150 mm", s->stent_span_mm);
    else
        snprintf(v, sizeof v, "unknown (untimed)");
    row(&c, "length", v);
}

/* Every narrowed segment, two to a line (docs/pictures.md); nothing for a
 * pullback whose only segment is the lesion's. Returns the height used. */
static double segment_rows(cairo_t *cr, const LqStudyInfo *in, const LqSummary *s, double y)
{
    if (s->segment_count == 0 || (s->segment_count == 1 && s->segments[0].lesion)) return 0;
    static const char *const veins[] = {"?", "CIV", "EIV", "CFV", "IVC"};
    const int max_lines = 4;
    double colw = (PAGE_W - 2 * MARGIN) / 2, y0 = y;
    lq_fig_font(cr, 9.5, 1);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    lq_fig_text(cr, MARGIN, y, -1, "Narrowed segments (area < 50 % of their reference; IVC ones against the IVC)");
    y += 12;
    lq_fig_font(cr, 8, 0);
    int shown = LQ_MIN(s->segment_count, 2 * max_lines);
    for (int i = 0; i < shown; i++) {
        const LqSegment *g = &s->segments[i];
        char v[200], at[32] = "";
        if (in->timing != LQ_TIMING_NONE) snprintf(at, sizeof at, ", %.1f mm long", g->length_mm);
        snprintf(v, sizeof v, "%d %s frames %d-%d%s: MLA %.1f mm\xc2\xb2, MLD %.2f mm, %%DS %.1f, %%AS %.1f%s%s", i + 1,
                 veins[(unsigned)g->site < 5 ? g->site : 0], g->first + 1, g->last + 1, at, g->mla_mm2, g->mld_mm,
                 g->diameter_stenosis_pct, g->area_stenosis_pct, g->significant ? " >" : "", g->lesion ? " lesion" : "");
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        lq_fig_text(cr, MARGIN + (i % 2) * colw, y, -1, v);
        if (i % 2 || i == shown - 1) y += 11;
    }
    if (s->segment_count > shown || s->segments_omitted) {
        char v[120];
        snprintf(v, sizeof v, "and %d more: see the text or JSON report", s->segment_count - shown + s->segments_omitted);
        lq_fig_text(cr, MARGIN, y, -1, v);
        y += 11;
    }
    return y - y0 + 4;
}

static void placeholder(cairo_t *cr, double x, double y, double w, double h, const char *title, const char *why)
{
    cairo_set_source_rgb(cr, 0.93, 0.93, 0.93);
    cairo_rectangle(cr, x, y, w, h);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    lq_fig_font(cr, 10, 1);
    lq_fig_text(cr, x + w / 2, y + h / 2 - 8, 0, title);
    lq_fig_font(cr, 8, 0);
    char line[80];
    snprintf(line, sizeof line, "%.60s", why);
    lq_fig_text(cr, x + w / 2, y + h / 2 + 8, 0, line);
}

static int page(cairo_t *cr, LqStudy *study, const LqResult *r, LqError *err)
{
    const LqStudyInfo *in = lq_study_info(study);
    const LqSummary *s = &r->summary;
    char buf[1200];
    double y = MARGIN + 12, right = PAGE_W - MARGIN;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    lq_fig_font(cr, 16, 1);
    lq_fig_text(cr, MARGIN, y, -1, "IVUS venous stenosis report");
    lq_fig_font(cr, 8, 0);
    lq_fig_text(cr, right, y, 1, "lumenq " LUMENQ_VERSION);
    y += 18;

    char date[16];
    if (strlen(in->study_date) == 8)
        snprintf(date, sizeof date, "%.4s-%.2s-%.2s", in->study_date, in->study_date + 4, in->study_date + 6);
    else
        snprintf(date, sizeof date, "%s", in->study_date[0] ? in->study_date : "unknown");
    lq_fig_font(cr, 10, 1);
    snprintf(buf, sizeof buf, "%s   ID %s   study date %s", in->patient_name[0] ? in->patient_name : "(no name)",
             in->patient_id[0] ? in->patient_id : "-", date);
    lq_fig_text(cr, MARGIN, y, -1, buf);
    y += 12;
    lq_fig_font(cr, 7.5, 0);
    cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
    snprintf(buf, sizeof buf, "Study %s", in->study_instance_uid);
    lq_fig_text(cr, MARGIN, y, -1, buf);
    y += 9.5;
    snprintf(buf, sizeof buf, "File %.150s", in->path);
    lq_fig_text(cr, MARGIN, y, -1, buf);
    y += 9.5;
    if (in->timing != LQ_TIMING_NONE)
        snprintf(buf, sizeof buf, "%u frames %ux%u, pixel %.4f x %.4f mm from %s; pullback %.2f mm/s, %.3f mm/frame",
                 in->frames, in->cols, in->rows, in->pixel_dx_mm, in->pixel_dy_mm,
                 lq_calibration_source_name(in->calibration), in->pullback_rate_mm_s,
                 in->pullback_rate_mm_s * in->frame_time_ms / 1000.0);
    else
        snprintf(buf, sizeof buf, "%u frames %ux%u, pixel %.4f x %.4f mm from %s; untimed pullback (positions are frames)",
                 in->frames, in->cols, in->rows, in->pixel_dx_mm, in->pixel_dy_mm,
                 lq_calibration_source_name(in->calibration));
    lq_fig_text(cr, MARGIN, y, -1, buf);
    y += 10;

    /* verdict box */
    double box_h = 30;
    if (s->ok && s->significant) cairo_set_source_rgb(cr, 0.99, 0.9, 0.9);
    else cairo_set_source_rgb(cr, 0.92, 0.95, 0.92);
    cairo_rectangle(cr, MARGIN, y, right - MARGIN, box_h);
    cairo_fill_preserve(cr);
    if (s->ok && s->significant) cairo_set_source_rgb(cr, lq_fig_lesion_rgb[0], lq_fig_lesion_rgb[1], lq_fig_lesion_rgb[2]);
    else cairo_set_source_rgb(cr, 0.3, 0.5, 0.3);
    cairo_set_line_width(cr, 1.5);
    cairo_stroke(cr);
    lq_fig_font(cr, 13, 1);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    if (s->ok)
        lq_verdict_text(buf, sizeof buf, LQ_VERDICT_TYPESET | LQ_VERDICT_SAYS_THRESHOLD | LQ_VERDICT_CAPITALISED,
                        s->significant, lq_metric_phrase(s->metric), s->verdict_pct, s->threshold_pct);
    else
        snprintf(buf, sizeof buf, "NOT MEASURED: %.90s", s->problem);
    lq_fig_text(cr, MARGIN + 10, y + 20, -1, buf);
    y += box_h + 14;

    if (s->ok) {
        lq_fig_font(cr, 8.5, 1);
        cairo_set_source_rgb(cr, lq_fig_lesion_rgb[0], lq_fig_lesion_rgb[1], lq_fig_lesion_rgb[2]);
        if (s->dynamic && lq_result_dynamics(r)->source == LQ_DYNAMIC_FROM_WINDOW) { /* else a recording decides */
            snprintf(buf, sizeof buf, "Caution: the lesion looks dynamic (it opens and narrows again by %.0f %% of the MLA "
                                      "within \xc2\xb1%.3g mm); dynamic lesions are not stented.",
                     s->dynamic_variation_pct, s->dynamic_window_mm);
            lq_fig_text(cr, MARGIN, y, -1, buf);
            y += 12;
        }
        y = dynamics_line(cr, r, y);
        if (s->reference_method == LQ_METHOD_NORMAL) {
            lq_fig_text(cr, MARGIN, y, -1, "Caution: the reference is a published normal value, not this patient's vein.");
            y += 12;
        }
        numbers(cr, in, s, y);
        y += 8 * 11 + 16;
        y += segment_rows(cr, in, s, y);
    }

    /* pictures: lesion and reference frames side by side, then the profile */
    double gap = 12, fw = (right - MARGIN - gap) / 2, fh = lq_frame_figure_height(in, fw);
    double footer = 22, profile_h = PAGE_H - MARGIN - footer - (y + fh + gap);
    if (profile_h < 150) { /* a very tall frame: shrink the frames, keep the profile legible */
        fh = PAGE_H - MARGIN - footer - y - gap - 150;
        fw = fw * fh / lq_frame_figure_height(in, fw);
        profile_h = 150;
    }
    for (int which = 0; which < 2; which++) {
        double x = MARGIN + which * (fw + gap);
        size_t idx;
        LqError why = {0};
        if (lq_figure_frame(r, (LqFigureFrame)which, &idx, &why) != LQ_OK) {
            placeholder(cr, x, y, fw, fh, which ? "Reference frame" : "Lesion frame", why.message);
            continue;
        }
        cairo_save(cr);
        cairo_translate(cr, x, y);
        int rc = lq_draw_frame_figure(cr, study, r, (LqFigureFrame)which, fw, err);
        cairo_restore(cr);
        if (rc != LQ_OK) return rc;
    }
    y += fh + gap;
    cairo_save(cr);
    cairo_translate(cr, MARGIN, y);
    lq_draw_profile(cr, in, r, right - MARGIN, profile_h);
    cairo_restore(cr);

    lq_fig_font(cr, 7, 0);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    lq_fig_text(cr, MARGIN, PAGE_H - MARGIN - 8, -1,
                "Advisory measurement: check the contours on the pictures before acting. Definitions: lumenq "
                "docs/measurements.md.");
    lq_fig_text(cr, MARGIN, PAGE_H - MARGIN + 1, -1,
                "Contour yellow, MLD caliper red, maximal diameter cyan; areas include the catheter.");
    return LQ_OK;
}

int lq_report_pdf(FILE *fp, LqStudy *study, const LqResult *r, LqError *err)
{
    cairo_surface_t *surface = cairo_pdf_surface_create_for_stream(to_stream, fp, PAGE_W, PAGE_H);
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "IVUS venous stenosis report");
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "lumenq " LUMENQ_VERSION);
    cairo_t *cr = cairo_create(surface);
    int rc = cairo_status(cr) == CAIRO_STATUS_SUCCESS ? page(cr, study, r, err)
                                                      : lq_fail(err, LQ_ERR_INTERNAL, "cannot start a PDF");
    if (rc == LQ_OK) dynamics_page(cr, r);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    cairo_status_t st = cairo_surface_status(surface);
    cairo_surface_destroy(surface);
    if (rc == LQ_OK && st != CAIRO_STATUS_SUCCESS)
        rc = lq_fail(err, st == CAIRO_STATUS_WRITE_ERROR ? LQ_ERR_IO : LQ_ERR_INTERNAL, "PDF: %s",
                     cairo_status_to_string(st));
    return rc;
}
