/* Axis ticks of the figures (layout.h). Pure placement: no drawing, so
 * tests can check it directly. */
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
