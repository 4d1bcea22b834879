/* Where the figures put their axis ticks, kept apart from the drawing
 * (figures.c, ct_figures.c) so that tests can check it without decoding
 * pictures (tests/test_reports.c compiles layout.c in). */
#ifndef LQ_LAYOUT_H
#define LQ_LAYOUT_H
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
#endif
