/* The CT stage's centreline (docs/ct.md, Centreline): the minimal-cost path
 * from the lesion point to the reference point through the contrast-filled
 * lumen, resampled every step, then recentred on the lumen's outlines. */
#include "ct/ct_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COST_SIGMA_HU 30.0      /* cost 1 + ((HU - lumen) / sigma)^2 on the smoothed volume... */
                                /* ...+ wall_weight (1 - d / reach)^2 within `reach` of the wall */
#define WALL_REACH_MM 3.0
#define WALL_TISSUE_HU 40.0     /* soft tissue, for the lumen's half-contrast edge */
#define ROI_MARGIN_MM 25.0 /* around both points: the box the path is searched in */

static void roi_around(const LqVolume *v, const double *qa, const double *qb, LqCtBox *r)
{
    const double margin[3] = {ROI_MARGIN_MM / v->dx_mm, ROI_MARGIN_MM / v->dy_mm, ROI_MARGIN_MM / v->dz_mm};
    const int size[3] = {(int)v->cols, (int)v->rows, (int)v->slices};
    int lo[3], hi[3];
    for (int k = 0; k < 3; k++) {
        lo[k] = LQ_CLAMP((int)floor(fmin(qa[k], qb[k]) - margin[k]), 0, size[k] - 1);
        hi[k] = LQ_CLAMP((int)ceil(fmax(qa[k], qb[k]) + margin[k]), 0, size[k] - 1);
    }
    r->x0 = lo[0], r->y0 = lo[1], r->z0 = lo[2];
    r->nx = hi[0] - lo[0] + 1, r->ny = hi[1] - lo[1] + 1, r->nz = hi[2] - lo[2] + 1;
}

/* 3x3x3 mean over the box (volume edges clamped): the path cost reads this,
 * not the noisy voxels. */
static float *smoothed(const LqVolume *v, const LqCtBox *roi)
{
    int nx = (int)v->cols, ny = (int)v->rows, nz = (int)v->slices;
    float *out = malloc((size_t)roi->nx * roi->ny * roi->nz * sizeof *out);
    if (!out) return NULL;
    for (int z = 0; z < roi->nz; z++)
        for (int y = 0; y < roi->ny; y++)
            for (int x = 0; x < roi->nx; x++) {
                float sum = 0;
                for (int dz = -1; dz <= 1; dz++)
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++) {
                            int xx = LQ_CLAMP(roi->x0 + x + dx, 0, nx - 1), yy = LQ_CLAMP(roi->y0 + y + dy, 0, ny - 1);
                            int zz = LQ_CLAMP(roi->z0 + z + dz, 0, nz - 1);
                            sum += v->hu[((size_t)zz * ny + yy) * nx + xx];
                        }
                out[((size_t)z * roi->ny + y) * roi->nx + x] = sum / 27.0f;
            }
    return out;
}

/* The length (mm) of each step to a 3x3x3 neighbour, indexed
 * (dz + 1) * 9 + (dy + 1) * 3 + dx + 1. */
static void neighbour_steps(const LqVolume *v, double step[27])
{
    for (int k = 0; k < 27; k++) {
        int dx = k % 3 - 1, dy = (k / 3) % 3 - 1, dz = k / 9 - 1;
        step[k] = sqrt(dx * dx * v->dx_mm * v->dx_mm + dy * dy * v->dy_mm * v->dy_mm + dz * dz * v->dz_mm * v->dz_mm);
    }
}

/* Distance (mm) from each lumen-like voxel of the box to the nearest voxel
 * that is not (smoothed HU off the lumen's level by more than half its
 * contrast to tissue, or brighter than that: the artery), by a two-pass
 * 3x3x3 chamfer; 0 outside the lumen. In place of `out`. */
static void wall_distance(const LqCtBox *roi, const float *smooth, double lumen, const double *step, float *out)
{
    const int nx = roi->nx, ny = roi->ny, nz = roi->nz;
    const double half = 0.5 * (lumen - WALL_TISSUE_HU);
    const size_t nv = (size_t)nx * ny * nz;
    for (size_t i = 0; i < nv; i++) out[i] = fabs(smooth[i] - lumen) <= half ? INFINITY : 0;
    for (int pass = 0; pass < 2; pass++) {
        const int dir = pass ? -1 : 1;
        for (int zi = 0; zi < nz; zi++)
            for (int yi = 0; yi < ny; yi++)
                for (int xi = 0; xi < nx; xi++) {
                    int x = pass ? nx - 1 - xi : xi, y = pass ? ny - 1 - yi : yi, z = pass ? nz - 1 - zi : zi;
                    float *d = out + ((size_t)z * ny + y) * nx + x;
                    if (*d == 0) continue;
                    /* the 13 neighbours already visited in this pass's order */
                    for (int k = 0; k < 13; k++) {
                        int dx = (k % 3 - 1) * dir, dy = ((k / 3) % 3 - 1) * dir, dz = (k / 9 - 1) * dir;
                        int xx = x + dx, yy = y + dy, zz = z + dz;
                        if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny || zz >= nz) {
                            *d = fminf(*d, (float)step[k]); /* the box's edge counts as wall */
                            continue;
                        }
                        *d = fminf(*d, out[((size_t)zz * ny + yy) * nx + xx] + (float)step[k]);
                    }
                }
    }
}

/* Binary heap of (distance, voxel) for Dijkstra; stale entries are skipped. */
typedef struct Heap {
    float *key;
    int32_t *id;
    size_t n, cap;
} Heap;

static int heap_push(Heap *h, float key, int32_t id)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 4096;
        float *k = realloc(h->key, cap * sizeof *k);
        if (!k) return -1;
        h->key = k;
        int32_t *d = realloc(h->id, cap * sizeof *d);
        if (!d) return -1;
        h->id = d, h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0 && h->key[(i - 1) / 2] > key) {
        h->key[i] = h->key[(i - 1) / 2], h->id[i] = h->id[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->key[i] = key, h->id[i] = id;
    return 0;
}

static void heap_pop(Heap *h, float *key, int32_t *id)
{
    *key = h->key[0], *id = h->id[0];
    float k = h->key[--h->n];
    int32_t d = h->id[h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && h->key[c + 1] < h->key[c]) c++;
        if (h->key[c] >= k) break;
        h->key[i] = h->key[c], h->id[i] = h->id[c];
        i = c;
    }
    h->key[i] = k, h->id[i] = d;
}

/* The path cost of every voxel of the box, computed once: Dijkstra reads
 * each up to 26 times. */
static double *voxel_costs(const LqCtBox *roi, const float *smooth, const float *wall, double lumen, double wall_weight)
{
    size_t nv = (size_t)roi->nx * roi->ny * roi->nz;
    double *cost = malloc(nv * sizeof *cost);
    if (!cost) return NULL;
    for (size_t i = 0; i < nv; i++) {
        double h = (smooth[i] - lumen) / COST_SIGMA_HU, near = 1 - fmin(wall[i], WALL_REACH_MM) / WALL_REACH_MM;
        cost[i] = 1 + h * h + wall_weight * near * near;
    }
    return cost;
}

/* Minimal-cost 26-connected path from voxel a to voxel b; voxel indices from b
 * back to a into *path. */
static int trace(const LqCtBox *roi, const double *cost, const double *step, int32_t a, int32_t b, int32_t **path,
                 size_t *len)
{
    int nx = roi->nx, ny = roi->ny, nz = roi->nz;
    size_t nv = (size_t)nx * ny * nz;
    float *dist = malloc(nv * sizeof *dist);
    int32_t *prev = malloc(nv * sizeof *prev);
    Heap h = {0};
    if (!dist || !prev) {
        free(dist), free(prev);
        return -1;
    }
    for (size_t i = 0; i < nv; i++) dist[i] = INFINITY, prev[i] = -1;
    dist[a] = 0;
    int rc = heap_push(&h, 0, a);
    while (rc == 0 && h.n) {
        float d;
        int32_t cur;
        heap_pop(&h, &d, &cur);
        if (d > dist[cur]) continue;
        if (cur == b) break;
        int x = cur % nx, y = (cur / nx) % ny, z = cur / (nx * ny);
        double cost_cur = cost[cur];
        for (int dz = -1; dz <= 1; dz++)
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    if (!dx && !dy && !dz) continue;
                    int xx = x + dx, yy = y + dy, zz = z + dz;
                    if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny || zz >= nz) continue;
                    int32_t nb = (int32_t)(((size_t)zz * ny + yy) * nx + xx);
                    double length = step[(dz + 1) * 9 + (dy + 1) * 3 + dx + 1];
                    float nd = (float)(d + length * 0.5 * (cost_cur + cost[nb]));
                    if (nd < dist[nb]) {
                        dist[nb] = nd, prev[nb] = cur;
                        if (heap_push(&h, nd, nb) != 0) rc = -1;
                    }
                }
    }
    size_t n = 0;
    for (int32_t c = b; c >= 0 && rc == 0; c = prev[c]) n++;
    *path = rc == 0 ? malloc(n * sizeof **path) : NULL;
    if (*path) {
        size_t i = 0;
        for (int32_t c = b; c >= 0; c = prev[c]) (*path)[i++] = c;
    }
    *len = n;
    free(dist), free(prev), free(h.key), free(h.id);
    return *path && prev ? 0 : -1;
}

int lq_ct_search_new(const LqVolume *v, const double qa[3], const double qb[3], LqCtSearch *s)
{
    LqCtBox *roi = &s->box;
    roi_around(v, qa, qb, roi);
    s->smooth = smoothed(v, roi);
    s->lesion = (int32_t)(((lround(qa[2]) - roi->z0) * roi->ny + lround(qa[1]) - roi->y0) * roi->nx + lround(qa[0]) - roi->x0);
    s->reference =
        (int32_t)(((lround(qb[2]) - roi->z0) * roi->ny + lround(qb[1]) - roi->y0) * roi->nx + lround(qb[0]) - roi->x0);
    return s->smooth ? 0 : -1;
}

void lq_ct_search_free(LqCtSearch *s)
{
    free(s->smooth);
    s->smooth = NULL;
}

int lq_ct_trace(const LqVolume *v, LqCtSearch *s, double lumen, double wall_weight, double **pts, size_t *n)
{
    const LqCtBox *roi = &s->box;
    int32_t *path = NULL;
    size_t plen = 0;
    double neighbour[27];
    neighbour_steps(v, neighbour);
    float *wall = malloc((size_t)roi->nx * roi->ny * roi->nz * sizeof *wall);
    double *cost = NULL;
    if (wall) {
        wall_distance(roi, s->smooth, lumen, neighbour, wall);
        cost = voxel_costs(roi, s->smooth, wall, lumen, wall_weight);
    }
    lq_ct_search_free(s), free(wall);
    int rc = cost ? trace(roi, cost, neighbour, s->lesion, s->reference, &path, &plen) : -1;
    free(cost);
    /* voxel path (reference -> lesion) to mm, lesion first */
    double *raw = rc == 0 ? malloc(plen * 3 * sizeof *raw) : NULL;
    if (raw)
        for (size_t i = 0; i < plen; i++) {
            int32_t c = path[plen - 1 - i];
            double q[3] = {roi->x0 + c % roi->nx, roi->y0 + (c / roi->nx) % roi->ny, roi->z0 + c / (roi->nx * roi->ny)};
            lq_volume_to_patient(v, q, raw + 3 * i);
        }
    free(path);
    *pts = raw, *n = plen;
    return raw ? 0 : -1;
}

/* Area centroid of a closed polygon. */
static void centroid(const double *xy, int n, double *cx, double *cy)
{
    double a = 0, x = 0, y = 0;
    for (int i = 0; i < n; i++) {
        const double *p = xy + 2 * i, *q = xy + 2 * ((i + 1) % n);
        double cross = p[0] * q[1] - q[0] * p[1];
        a += cross, x += (p[0] + q[0]) * cross, y += (p[1] + q[1]) * cross;
    }
    *cx = a != 0 ? x / (3 * a) : 0, *cy = a != 0 ? y / (3 * a) : 0;
}

/* A polyline resampled every `step` mm of arc length (both ends kept). */
double *lq_ct_resample(const double *pts, size_t np, double step, size_t *n_out)
{
    double total = 0;
    for (size_t i = 1; i < np; i++) {
        double d[3] = {pts[3 * i] - pts[3 * i - 3], pts[3 * i + 1] - pts[3 * i - 2], pts[3 * i + 2] - pts[3 * i - 1]};
        total += sqrt(lq_ct_dot3(d, d));
    }
    size_t n = (size_t)ceil(total / step - 1e-9) + 1; /* spacing at most step */
    if (n < 2) n = 2;
    double *out = malloc(n * 3 * sizeof *out), pitch = total / (double)(n - 1), acc = 0;
    if (!out) return NULL;
    size_t seg = 1;
    for (size_t s = 0; s < n; s++) {
        double want = s * pitch, d[3] = {0, 0, 0}, l = 0;
        for (; seg < np; seg++) {
            for (int k = 0; k < 3; k++) d[k] = pts[3 * seg + k] - pts[3 * seg - 3 + k];
            l = sqrt(lq_ct_dot3(d, d));
            if (acc + l >= want || seg + 1 == np) break;
            acc += l;
        }
        double f = np > 1 && l > 0 ? fmin(1.0, fmax(0.0, (want - acc) / l)) : 0;
        size_t base = np > 1 ? seg - 1 : 0;
        for (int k = 0; k < 3; k++) out[3 * s + k] = pts[3 * base + k] + f * d[k];
    }
    *n_out = n;
    return out;
}

#define RECENTRE_MAX_MM 1.0 /* per pass */

/* The traced path follows the cheapest voxels, which in a wide flat lumen
 * may cut across it: each pass moves every point to the centroid of its
 * section's lumen and resamples, so the section planes end up perpendicular
 * to the vein's own axis (a tilted plane through a flattened lumen inflates
 * its area). */
double *lq_ct_recentre(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, int passes, double *pts,
                       size_t *n, double step, int16_t *img, double *xy)
{
    for (int pass = 0; pass < passes && pts; pass++) {
        double *moved = malloc(*n * 3 * sizeof *moved);
        if (!moved) {
            free(pts);
            return NULL;
        }
        memcpy(moved, pts, *n * 3 * sizeof *moved);
        for (size_t s = 0; s < *n; s++) {
            double u[3], w[3], cx, cy;
            if (!lq_ct_plane(v, pts, *n, s, u, w) || !lq_ct_section_outline(v, dsp, level, pts + 3 * s, u, w, img, xy))
                continue;
            centroid(xy, RAYS, &cx, &cy);
            double shift = hypot(cx, cy), scale = shift > RECENTRE_MAX_MM ? RECENTRE_MAX_MM / shift : 1;
            for (int k = 0; k < 3; k++) moved[3 * s + k] += scale * (cx * u[k] + cy * w[k]);
        }
        /* [1 2 1] smoothing, so one poor section cannot kink the line and tilt its neighbours */
        for (size_t s = 1; s + 1 < *n; s++)
            for (int k = 0; k < 3; k++)
                pts[3 * s + k] = 0.25 * (moved[3 * s - 3 + k] + 2 * moved[3 * s + k] + moved[3 * s + 3 + k]);
        memcpy(pts, moved, 3 * sizeof *pts);
        memcpy(pts + 3 * (*n - 1), moved + 3 * (*n - 1), 3 * sizeof *pts);
        free(moved);
        double *next = lq_ct_resample(pts, *n, step, n);
        free(pts);
        pts = next;
    }
    return pts;
}

/* Beyond the lesion point the vein is followed as the recentring does:
 * each new point a step on along the line's direction, then moved to its
 * section's centroid twice (at most RECENTRE_MAX_MM each), the direction
 * following the points it made. */
#define EXTEND_RECENTRE 2
size_t lq_ct_extend(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, const double *pts, size_t n,
                    double step, double reach_mm, int16_t *img, double *xy, double *out, double *stopped_mm)
{
    *stopped_mm = -1;
    if (n < 2) return 0;
    /* the direction away from the reference: over the first 4 mm of line */
    size_t far = n - 1 < 4 ? n - 1 : 4;
    double dir[3], prev[3];
    for (int k = 0; k < 3; k++) dir[k] = pts[k] - pts[3 * far + k], prev[k] = pts[k];
    double len = sqrt(lq_ct_dot3(dir, dir));
    if (!(len > 0)) return 0;
    for (int k = 0; k < 3; k++) dir[k] /= len;
    size_t made = 0, most = (size_t)(reach_mm / step + 1e-9);
    while (made < most) {
        double q[3], u[3], w[3], cx, cy;
        for (int k = 0; k < 3; k++) q[k] = prev[k] + step * dir[k];
        int found = 1;
        for (int pass = 0; pass < EXTEND_RECENTRE && found; pass++) {
            lq_ct_axes(v, dir, u, w);
            found = lq_ct_section_outline(v, dsp, level, q, u, w, img, xy);
            if (!found) break;
            centroid(xy, RAYS, &cx, &cy);
            double shift = hypot(cx, cy), scale = shift > RECENTRE_MAX_MM ? RECENTRE_MAX_MM / shift : 1;
            for (int k = 0; k < 3; k++) q[k] += scale * (cx * u[k] + cy * w[k]);
        }
        if (!found) {
            *stopped_mm = (double)(made + 1) * step;
            break;
        }
        /* the new direction: half the old, half the step just made (a
         * point's own error must not turn the line) */
        double d[3];
        for (int k = 0; k < 3; k++) d[k] = q[k] - prev[k];
        double dl = sqrt(lq_ct_dot3(d, d));
        if (!(dl > 0)) break;
        for (int k = 0; k < 3; k++) dir[k] = 0.5 * dir[k] + 0.5 * d[k] / dl;
        double nl = sqrt(lq_ct_dot3(dir, dir));
        for (int k = 0; k < 3; k++) dir[k] /= nl;
        /* keep the spacing: the point goes back onto the sphere of radius step */
        for (int k = 0; k < 3; k++) q[k] = prev[k] + step * d[k] / dl;
        memcpy(out + 3 * made, q, sizeof q);
        memcpy(prev, q, sizeof q);
        made++;
    }
    return made;
}
