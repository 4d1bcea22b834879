/* Where the figures put their axis ticks and title lines, kept apart from
 * the drawing (figures.c, ct_figures.c) so that tests can check it without
 * decoding pictures (tests/test_reports.c compiles layout.c in). */
#ifndef LQ_LAYOUT_H
#define LQ_LAYOUT_H
#include <cairo.h>
#include <stddef.h>

#define LQ_FIG_FONT "DejaVu Sans"

/* Ticks at round values over [lo, hi]: tick i has the value
 * (first + i) * mantissa * 10^exponent, the mantissa 1, 2 or 5, and labels
 * carry as many decimals as the step needs (all alike: 0.0 0.5 1.0). */
typedef struct LqTicks {
    long first;
    int count;
    int mantissa, exponent;
    int decimals;
} LqTicks;

/* The smallest step giving at most `max_ticks` ticks; when that leaves fewer
 * than 4 (a span just over a round number), the next smaller step if it
 * gives at most max_ticks + 2. An empty or invalid span gets no ticks. */
void lq_axis_ticks(double lo, double hi, int max_ticks, LqTicks *t);
double lq_axis_tick_step(const LqTicks *t);
double lq_axis_tick_value(const LqTicks *t, int i);
void lq_axis_tick_label(const LqTicks *t, int i, char *buf, size_t len);

/* A line of text as a layout places it: cairo_move_to(x, y) then show it;
 * it covers [left, right] x [top, bottom] (advance by the font's ascent and
 * descent, whatever the glyphs). */
typedef struct LqTextBox {
    double x, y;
    double left, top, right, bottom;
} LqTextBox;

int lq_text_boxes_overlap(const LqTextBox *a, const LqTextBox *b);

/* A title over a plot: the heading at `left` on the first baseline; the
 * verdict right-aligned at `right`, on the heading's line when it fits
 * `gap` after it, else on the next; the note (the dynamic-lesion warning)
 * `gap` after the heading when it fits before whatever else is on that
 * line, else on a line of its own below, right-aligned. So no two of them
 * ever overlap. `note` and `verdict` may be NULL (their boxes are then
 * left zero). Sets `cr`'s font: bold, `font_size`. */
typedef struct LqTitleLayout {
    LqTextBox heading, note, verdict;
    int lines;
    double line_step; /* between baselines */
} LqTitleLayout;

void lq_title_layout(cairo_t *cr, double font_size, double left, double right, double baseline, double gap,
                     const char *heading, const char *note, const char *verdict, LqTitleLayout *out);
#endif
