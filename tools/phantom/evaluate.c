/* Contour agreement measures used against the phantom truth (the 2014 IVUS
 * challenge's: Jaccard index and Hausdorff distance). */
#include "phantom.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* x positions where the horizontal line y crosses the polygon, sorted. */
static size_t crossings(const double *p, size_t n, double y, double *xs)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (i + 1) % n;
        double y0 = p[2 * i + 1], y1 = p[2 * j + 1];
        if ((y0 <= y) == (y1 <= y)) continue;
        double t = (y - y0) / (y1 - y0);
        xs[m++] = p[2 * i] + t * (p[2 * j] - p[2 * i]);
    }
    qsort(xs, m, sizeof *xs, cmp_double);
    return m & ~(size_t)1;
}

/* Length of the intersection of two sorted interval lists (pairs). */
static double overlap(const double *a, size_t na, const double *b, size_t nb)
{
    double len = 0;
    for (size_t i = 0; i < na; i += 2)
        for (size_t j = 0; j < nb; j += 2) {
            double lo = fmax(a[i], b[j]), hi = fmin(a[i + 1], b[j + 1]);
            if (hi > lo) len += hi - lo;
        }
    return len;
}

static double span(const double *a, size_t na)
{
    double len = 0;
    for (size_t i = 0; i < na; i += 2) len += a[i + 1] - a[i];
    return len;
}

double lqp_jaccard(const double *a, size_t na, const double *b, size_t nb, double step)
{
    double ylo = INFINITY, yhi = -INFINITY;
    for (size_t i = 0; i < na; i++) ylo = fmin(ylo, a[2 * i + 1]), yhi = fmax(yhi, a[2 * i + 1]);
    for (size_t i = 0; i < nb; i++) ylo = fmin(ylo, b[2 * i + 1]), yhi = fmax(yhi, b[2 * i + 1]);
    double *xa = malloc(na * sizeof *xa), *xb = malloc(nb * sizeof *xb);
    if (!xa || !xb) {
        free(xa), free(xb);
        return NAN;
    }
    double inter = 0, uni = 0;
    for (double y = ylo + 0.5 * step; y < yhi; y += step) {
        size_t ma = crossings(a, na, y, xa), mb = crossings(b, nb, y, xb);
        double o = overlap(xa, ma, xb, mb);
        inter += o;
        uni += span(xa, ma) + span(xb, mb) - o;
    }
    free(xa), free(xb);
    return uni > 0 ? inter / uni : 0.0;
}

static double point_segment(double px, double py, const double *p, size_t n, size_t i)
{
    size_t j = (i + 1) % n;
    double ax = p[2 * i], ay = p[2 * i + 1], bx = p[2 * j], by = p[2 * j + 1];
    double dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return hypot(px - (ax + t * dx), py - (ay + t * dy));
}

static double directed(const double *a, size_t na, const double *b, size_t nb)
{
    double worst = 0;
    for (size_t i = 0; i < na; i++) {
        double best = INFINITY;
        for (size_t j = 0; j < nb; j++) best = fmin(best, point_segment(a[2 * i], a[2 * i + 1], b, nb, j));
        worst = fmax(worst, best);
    }
    return worst;
}

double lqp_hausdorff(const double *a, size_t na, const double *b, size_t nb)
{
    return fmax(directed(a, na, b, nb), directed(b, nb, a, na));
}

static int cmp_dbl(const void *a, const void *b) { return cmp_double(a, b); }

int lqp_score(const LqpParams *p, const LqResult *r, LqpScore *sc) { return lqp_score_frames(p, r, sc, NULL); }

int lqp_score_frames(const LqpParams *p, const LqResult *r, LqpScore *sc, double *frame_jaccard)
{
    memset(sc, 0, sizeof *sc);
    LqpPhantom *ph = NULL;
    if (lqp_new(p, &ph) != LQ_OK) return LQ_ERR_USAGE;
    size_t n = lq_result_frame_count(r);
    if (n != p->frames) {
        lqp_free(&ph);
        return LQ_ERR_USAGE;
    }
    double *jac = malloc(n * sizeof *jac);
    LqFrameMeasure *truth = calloc(n, sizeof *truth);
    double xy[2 * LQP_CONTOUR_POINTS];
    if (!jac || !truth) {
        free(jac), free(truth), lqp_free(&ph);
        return LQ_ERR_INTERNAL;
    }
    LqpDesign d;
    lqp_design(ph, &d);
    sc->frames = n;
    sc->min_jaccard = 1.0;
    size_t zone = 0;
    for (size_t i = 0; i < n; i++) {
        lqp_truth_contour(ph, (unsigned)i, xy);
        double fov = lqp_fov_mm(ph, (unsigned)i), mid = (p->size - 1) * 0.5 * lqp_pixel_mm(ph);
        for (int k = 0; k < LQP_CONTOUR_POINTS; k++) {
            double dx = xy[2 * k] - mid, dy = xy[2 * k + 1] - mid, rr = hypot(dx, dy);
            if (rr > fov) xy[2 * k] = mid + dx * fov / rr, xy[2 * k + 1] = mid + dy * fov / rr;
        }
        lq_shape_measure(xy, LQP_CONTOUR_POINTS, &truth[i].shape);
        truth[i].position_mm = lqp_position_mm(ph, (unsigned)i);
        truth[i].confidence = 1.0;
        truth[i].valid = 1;
        const LqContour *c = lq_result_contour(r, i);
        jac[i] = lqp_jaccard(xy, LQP_CONTOUR_POINTS, c->xy_mm, c->n, 0.02);
        double hd = lqp_hausdorff(xy, LQP_CONTOUR_POINTS, c->xy_mm, c->n);
        sc->mean_jaccard += jac[i] / n;
        if (jac[i] < sc->min_jaccard) sc->worst_frame = i;
        sc->min_jaccard = fmin(sc->min_jaccard, jac[i]);
        if (frame_jaccard) frame_jaccard[i] = jac[i];
        if (fabs(truth[i].position_mm - lqp_position_mm(ph, d.lesion_frame)) <= 3.0)
            sc->lesion_zone_jaccard += jac[i], zone++;
        sc->frac_jaccard_085 += (jac[i] >= 0.85) / (double)n;
        sc->mean_hausdorff_mm += hd / n;
        sc->max_hausdorff_mm = fmax(sc->max_hausdorff_mm, hd);
        sc->mean_area_error_pct +=
            100.0 * (lq_result_frame(r, i)->shape.area_mm2 / truth[i].shape.area_mm2 - 1.0) / n;
        if (i == d.lesion_frame) sc->lesion_jaccard = jac[i];
    }
    if (zone) sc->lesion_zone_jaccard /= (double)zone;
    /* single-frame jumps: a frame off both neighbours by more than 25 % */
    size_t spikes = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        double a = lq_result_frame(r, i - 1)->shape.area_mm2, x = lq_result_frame(r, i)->shape.area_mm2,
               b = lq_result_frame(r, i + 1)->shape.area_mm2;
        spikes += fabs(x - a) > 0.25 * a && fabs(x - b) > 0.25 * b;
    }
    sc->spike_share = n > 2 ? (double)spikes / (double)(n - 2) : 0.0;
    LqMeasureSettings set;
    lq_measure_settings_default(&set);
    lq_measure_frames(truth, n, &set, &sc->truth, NULL);
    sc->measured = *lq_result_summary(r);
    qsort(jac, n, sizeof *jac, cmp_dbl);
    sc->p1_jaccard = jac[n / 100];
    free(jac), free(truth);
    lqp_free(&ph);
    return LQ_OK;
}

double lqp_grey_correlation(const uint8_t *img, unsigned cols, int cx, int cy, int half, int lag, int along_y)
{
    double s = 0, s2 = 0, sab = 0;
    const size_t step = along_y ? cols : 1;
    int n = 0;
    for (int y = cy - half; y <= cy + half; y++)
        for (int x = cx - half; x <= cx + half; x++) {
            size_t k = (size_t)y * cols + (size_t)x;
            double a = img[k], b = img[k + (size_t)lag * step];
            s += a, s2 += a * a, sab += a * b, n++;
        }
    double mean = s / n, var = s2 / n - mean * mean;
    return var > 0 ? (sab / n - mean * mean) / var : 0;
}
