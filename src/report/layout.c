/* Axis ticks and title lines of the figures (layout.h). Pure placement: no
 * drawing, so tests can check it directly. */
#include "layout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* k * mantissa * 10^exponent, dividing for negative exponents so that 0.1,
 * 0.2, 0.6... are the doubles nearest those decimals. */
static double scaled(long k, int mantissa, int exponent)
{
    double p = 1;
    for (int i = 0; i < abs(exponent); i++) p *= 10;
    return exponent < 0 ? (double)k * mantissa / p : (double)k * mantissa * p;
}

static void ticks_with_step(double lo, double hi, int mantissa, int exponent, LqTicks *t)
{
    double step = scaled(1, mantissa, exponent);
    /* a hair of tolerance: a span that ends on a round value keeps that tick */
    long first = (long)ceil(lo / step - 1e-9), last = (long)floor(hi / step + 1e-9);
    t->first = first;
    t->count = last >= first ? (int)(last - first + 1) : 0;
    t->mantissa = mantissa, t->exponent = exponent;
    t->decimals = exponent < 0 ? -exponent : 0;
}

void lq_axis_ticks(double lo, double hi, int max_ticks, LqTicks *t)
{
    static const int mantissas[3] = {1, 2, 5};
    memset(t, 0, sizeof *t);
    t->mantissa = 1;
    if (!isfinite(lo) || !isfinite(hi) || !(hi > lo) || max_ticks < 2) return;
    /* start a decade below the step that would give max_ticks, walk up */
    int exponent = (int)floor(log10((hi - lo) / max_ticks)) - 1;
    LqTicks smaller = {0};
    for (int decade = 0; decade < 4; decade++, exponent++)
        for (int m = 0; m < 3; m++) {
            ticks_with_step(lo, hi, mantissas[m], exponent, t);
            if (t->count > max_ticks) {
                smaller = *t;
                continue;
            }
            if (t->count < 4 && smaller.count > 0 && smaller.count <= max_ticks + 2) *t = smaller;
            return;
        }
}

double lq_axis_tick_step(const LqTicks *t) { return scaled(1, t->mantissa, t->exponent); }

double lq_axis_tick_value(const LqTicks *t, int i) { return scaled(t->first + i, t->mantissa, t->exponent); }

void lq_axis_tick_label(const LqTicks *t, int i, char *buf, size_t len)
{
    snprintf(buf, len, "%.*f", t->decimals, lq_axis_tick_value(t, i));
}

int lq_text_boxes_overlap(const LqTextBox *a, const LqTextBox *b)
{
    return a->left < b->right && b->left < a->right && a->top < b->bottom && b->top < a->bottom;
}

static LqTextBox text_box(const cairo_font_extents_t *fe, double x, double y, double advance)
{
    return (LqTextBox){x, y, x, y - fe->ascent, x + advance, y + fe->descent};
}

static double advance_of(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

void lq_title_layout(cairo_t *cr, double font_size, double left, double right, double baseline, double gap,
                     const char *heading, const char *note, const char *verdict, LqTitleLayout *out)
{
    memset(out, 0, sizeof *out);
    cairo_select_font_face(cr, LQ_FIG_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, font_size);
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    /* hinted metrics can round the height below ascent + descent */
    out->line_step = fmax(fe.height, fe.ascent + fe.descent);
    out->lines = 1;
    out->heading = text_box(&fe, left, baseline, advance_of(cr, heading));
    int verdict_on_first_line = 0;
    if (verdict) {
        double w = advance_of(cr, verdict);
        verdict_on_first_line = out->heading.right + gap + w <= right;
        int line = verdict_on_first_line ? 0 : out->lines++;
        out->verdict = text_box(&fe, right - w, baseline + line * out->line_step, w);
    }
    if (note) {
        double w = advance_of(cr, note), x = out->heading.right + gap;
        double limit = verdict_on_first_line ? out->verdict.left - gap : right;
        if (x + w <= limit) {
            out->note = text_box(&fe, x, baseline, w);
        } else {
            int line = out->lines++;
            out->note = text_box(&fe, right - w, baseline + line * out->line_step, w);
        }
    }
}
