/* Per-frame geometry of a closed lumen contour (docs/measurements.md, "Per
 * frame"): shoelace area, equivalent diameter, Feret diameters. */
#include "internal.h"
#include "measure/measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Pt {
    double x, y;
} Pt;

static double cross(Pt o, Pt a, Pt b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

static int cmp_pt(const void *pa, const void *pb)
{
    const Pt *a = pa, *b = pb;
    if (a->x != b->x) return a->x < b->x ? -1 : 1;
    if (a->y != b->y) return a->y < b->y ? -1 : 1;
    return 0;
}

/* Andrew's monotone chain; returns the hull in counter-clockwise order
 * (in a y-up frame) without collinear points. `hull` holds 2n points. */
static size_t convex_hull(Pt *pts, size_t n, Pt *hull)
{
    qsort(pts, n, sizeof *pts, cmp_pt);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        while (k >= 2 && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) k--;
        hull[k++] = pts[i];
    }
    for (size_t i = n - 1, t = k + 1; i-- > 0;) {
        while (k >= t && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0) k--;
        hull[k++] = pts[i];
    }
    return k > 1 ? k - 1 : k;
}

double lq_polygon_area(const double *xy, size_t n)
{
    double twice = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (i + 1) % n;
        twice += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    return 0.5 * twice;
}

int lq_shape_measure(const double *xy, size_t n, LqShape *shape)
{
    memset(shape, 0, sizeof *shape);
    if (!xy || n < 3) return LQ_ERR_USAGE;
    shape->area_mm2 = fabs(lq_polygon_area(xy, n));
    shape->equiv_diameter_mm = lq_equiv_diameter(shape->area_mm2);

    Pt *pts = malloc(n * sizeof *pts), *hull = malloc(2 * n * sizeof *hull);
    if (!pts || !hull) {
        free(pts), free(hull);
        return LQ_ERR_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) pts[i] = (Pt){xy[2 * i], xy[2 * i + 1]};
    size_t h = convex_hull(pts, n, hull);
    if (h < 3) {
        free(pts), free(hull);
        return LQ_ERR_USAGE;
    }

    /* Maximal Feret: the farthest pair of hull vertices (h is a few hundred at most). */
    double best = -1;
    for (size_t i = 0; i < h; i++)
        for (size_t j = i + 1; j < h; j++) {
            double dx = hull[j].x - hull[i].x, dy = hull[j].y - hull[i].y, d = dx * dx + dy * dy;
            if (d > best) best = d, shape->max_feret_angle_rad = atan2(dy, dx);
        }
    shape->max_feret_mm = sqrt(best);

    /* Minimal Feret (rotating calipers): the minimal width has one caliper
     * flush with a hull edge; the other touches the farthest vertex. */
    double min_w = INFINITY;
    size_t j = 1;
    for (size_t i = 0; i < h; i++) {
        Pt a = hull[i], b = hull[(i + 1) % h];
        double len = hypot(b.x - a.x, b.y - a.y);
        if (len <= 0) continue;
        while (fabs(cross(a, b, hull[(j + 1) % h])) > fabs(cross(a, b, hull[j % h]))) j++;
        double w = fabs(cross(a, b, hull[j % h])) / len;
        if (w < min_w) {
            min_w = w;
            shape->min_feret_angle_rad = atan2(b.x - a.x, -(b.y - a.y)); /* edge normal */
        }
    }
    shape->min_feret_mm = min_w;
    shape->eccentricity = min_w > 0 ? shape->max_feret_mm / min_w : 0.0;
    free(pts), free(hull);
    return LQ_OK;
}

void lq_contour_caliper(const double *xy, size_t n, double angle_rad, double ends[4])
{
    /* area centroid (vertex mean for a degenerate polygon) */
    double twice = 0, sx = 0, sy = 0, mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        const double *p = &xy[2 * i], *q = &xy[2 * ((i + 1) % n)];
        double c = p[0] * q[1] - q[0] * p[1];
        twice += c, sx += (p[0] + q[0]) * c, sy += (p[1] + q[1]) * c;
        mx += p[0] / (double)n, my += p[1] / (double)n;
    }
    double cx = fabs(twice) > 1e-12 ? sx / (3 * twice) : mx, cy = fabs(twice) > 1e-12 ? sy / (3 * twice) : my;
    double ux = cos(angle_rad), uy = sin(angle_rad), lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double t = (xy[2 * i] - cx) * ux + (xy[2 * i + 1] - cy) * uy;
        lo = fmin(lo, t), hi = fmax(hi, t);
    }
    ends[0] = cx + lo * ux, ends[1] = cy + lo * uy;
    ends[2] = cx + hi * ux, ends[3] = cy + hi * uy;
}
