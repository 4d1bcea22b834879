/* CT venography: centreline between two points through the contrast-filled
 * lumen (minimal-cost path), cross-sections perpendicular to it (the
 * trilinear kernel of the segmentation function table), the lumen outlined
 * in each by rays from the centreline, and the stenosis measures along it.
 * docs/ct.md describes each step and its choices. */
#include "internal.h"
#include "segment/dsp.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTION_SAMPLES 81      /* cross-section image: 81 x 81 */
#define SECTION_PITCH_MM 0.3    /* 24 mm across */
#define RAYS 90
#define MEDIAN_RAYS 5           /* a ray more than ESCAPE_MM off the median of the 5 around it (16 degrees) */
#define ESCAPE_MM 1.0           /* has escaped (or stopped on noise): it takes that median */
#define RAY_STEP_MM 0.1
#define RAY_MAX_MM 11.5
#define COST_SIGMA_HU 30.0      /* cost 1 + ((HU - lumen) / sigma)^2 on the smoothed volume... */
                                /* ...+ wall_weight (1 - d / reach)^2 within `reach` of the wall */
#define WALL_REACH_MM 3.0
#define WALL_TISSUE_HU 40.0     /* soft tissue, for the lumen's half-contrast edge */
#define LESION_FRACTION 0.5
#define MIN_LUMEN_HU 100.0      /* contrast-filled vein in the venous phase; tissue is 20-60 HU */
#define MIN_AREA_MM2 3.0        /* smaller outlines (2 mm across) are below what CT resolves */

void lq_ct_options_default(LqCtOptions *o)
{
    o->step_mm = 1.0;
    o->reference_mm = 5.0;
    o->threshold_pct = 61.0;
    o->wall_weight = 4.0;
    o->recentre_passes = 5;
    o->cpu_level = -1;
}

void lq_ct_result_free(LqCtResult **r)
{
    if (!r || !*r) return;
    free((*r)->points);
    free((*r)->planes);
    free((*r)->outlines);
    free((*r)->sections);
    free(*r);
    *r = NULL;
}

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* The box the centreline is searched in: both points with ROI_MARGIN_MM
 * around them, so the search costs memory for the region, not the volume. */
#define ROI_MARGIN_MM 25.0
typedef struct Roi {
    int x0, y0, z0, nx, ny, nz;
} Roi;

static void roi_around(const LqVolume *v, const double *qa, const double *qb, Roi *r)
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
static float *smoothed(const LqVolume *v, const Roi *roi)
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
static void wall_distance(const Roi *roi, const float *smooth, double lumen, const double *step, float *out)
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

/* Minimal-cost 26-connected path from voxel a to voxel b; voxel indices from b
 * back to a into *path. */
/* The path cost of every voxel of the box, computed once: Dijkstra reads
 * each up to 26 times. */
static double *voxel_costs(const Roi *roi, const float *smooth, const float *wall, double lumen, double wall_weight)
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

static int trace(const Roi *roi, const double *cost, const double *step, int32_t a, int32_t b, int32_t **path,
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

#define RAY_SAMPLES ((int)(RAY_MAX_MM / RAY_STEP_MM))
/* Valleys count from 1 mm out: near the centre the rays share their samples,
 * one noise hole there would stop a whole fan of them (no lumen CT can
 * outline is thinner than 2 mm) */
#define VALLEY_FROM 15
#define PERSIST 5     /* samples (0.5 mm) an edge must hold */
#define DIP_WINDOW 12 /* samples: a shallow dip counts within 1.2 mm of the brighter vessel */
#define DIP_FRACTION 0.10 /* of the lumen-tissue contrast */
#define VALLEY_DIPS 2.5   /* a valley this many dips below the lumen... */
#define VALLEY_RETURN 1.0 /* ...back up to within a dip of the lumen: another vessel */
#define VALLEY_SIGMAS 4.0 /* ...and deeper than this many times the lumen's noise */

/* The lumen's level (HU at the reference point) and its noise in a section
 * image (standard deviation) */
typedef struct LumenLevel {
    double hu, noise_hu;
} LumenLevel;
#define SOFT_TISSUE_HU 20.0 /* muscle and connective tissue: 20-60 HU */
#define OUTSIDE_SAMPLES 12 /* 1.2 mm beyond the fall: the level the lumen meets there */
#define DIP_BLEND 0.5     /* edge before a thin wall: between the half-way fall and the bottom */

/* The lumen's edge before a dip at `lo` (a wall thinner than the blur,
 * between the vein and another vessel): the half-way fall from the lumen
 * to the dip's bottom lies inside the lumen, the bottom itself at the
 * wall's centre, beyond the edge; whichever of the two the voxel grid
 * favours, their mean is the least biased (docs/ct.md). In samples. */
static double edge_before_dip(const double *prof, int len, double lumen, int lo)
{
    double level = 0.5 * (lumen + prof[lo]);
    int at = lo;
    while (at > 1 && prof[at - 1] < level) at--;
    double half_way = at - 1 + (prof[at - 1] - level) / (prof[at - 1] - prof[at]);
    double a = prof[lo - 1], b = prof[lo], c = lo + 1 < len ? prof[lo + 1] : b, curve = a - 2 * b + c;
    double bottom = lo + (curve > 0 ? 0.5 * (a - c) / curve : 0);
    return DIP_BLEND * bottom + (1 - DIP_BLEND) * half_way;
}

/* The half-maximum edge between the lumen and what this ray meets beyond it
 * (fat at -100 HU or muscle at 50 lie side by side around the iliac veins:
 * the section's one tissue level would put the edge 0.4 mm out next to
 * muscle, or in next to fat): the level beyond is the lowest 0.3 mm mean
 * within OUTSIDE_SAMPLES of where the profile fell below `low` (sample i).
 * In samples. */
static double local_half_max(const double *prof, int len, double lumen, int i)
{
    double outside = INFINITY;
    for (int j = i; j + 2 < len && j < i + OUTSIDE_SAMPLES; j++)
        outside = fmin(outside, (prof[j] + prof[j + 1] + prof[j + 2]) / 3);
    if (!isfinite(outside)) outside = prof[i];
    double level = 0.5 * (lumen + outside);
    int at = i;
    if (prof[at] >= level) /* the edge is further out */
        while (at + 1 < len && prof[at] >= level) at++;
    else
        while (at > 1 && prof[at - 1] < level) at--;
    if (at < 1 || prof[at] >= level || prof[at - 1] < level) return i; /* no clean crossing: where it fell below low */
    return at - 1 + (prof[at - 1] - level) / (prof[at - 1] - prof[at]);
}

/* Where a ray profile (HU every RAY_STEP_MM from the centre) leaves the
 * lumen, in mm:
 *  - below `low` (half way to tissue), unless it comes back clearly above it
 *    within PERSIST samples (a noise spot);
 *  - back up to within VALLEY_RETURN dip of the lumen after a valley deeper
 *    than valley_depth below it: a neighbouring vessel's blurred edge,
 *    reached through the wall between them; the edge is before that valley;
 *  - above `high` (a brighter vessel: the artery), held for 2 PERSIST samples
 *    (a vessel is wider than a noise blob); the edge is before the dip on
 *    the way, if there is one.
 * RAY_MAX_MM if none. */
static double ray_edge(const double *prof, int len, double lumen, double low, double high, double dip,
                       double valley_depth)
{
    int valley = VALLEY_FROM;
    for (int i = 1; i < len; i++) {
        double val = prof[i];
        if (i > VALLEY_FROM && val < prof[valley]) valley = i;
        int held = 1;
        if (val < low) {
            for (int j = i + 1; j < len && j <= i + PERSIST && held; j++) held = prof[j] < low + dip;
            if (!held) continue;
            return local_half_max(prof, len, lumen, i) * RAY_STEP_MM;
        } else if (i > VALLEY_FROM && prof[valley] < lumen - valley_depth && val >= lumen - VALLEY_RETURN * dip) {
            for (int j = i + 1; j < len && j <= i + PERSIST && held; j++) held = prof[j] >= prof[valley] + dip;
            if (!held) continue;
            return edge_before_dip(prof, len, lumen, valley) * RAY_STEP_MM;
        } else if (val > high) {
            for (int j = i + 1; j < len && j <= i + 2 * PERSIST && held; j++) held = prof[j] > high - dip;
            if (!held) continue;
            /* a shallow dip next to the vessel, or a deep one anywhere on the way */
            int lo = i - 1, deep = i - 1;
            for (int j = i - 2; j > 0; j--) {
                if (j >= i - DIP_WINDOW && prof[j] < prof[lo]) lo = j;
                if (prof[j] < prof[deep]) deep = j;
            }
            if (prof[deep] < lumen - 2 * dip) lo = deep;
            if (prof[lo] < lumen - dip) return edge_before_dip(prof, len, lumen, lo) * RAY_STEP_MM;
            return (i - 1 + (prof[i - 1] - high) / (prof[i - 1] - prof[i])) * RAY_STEP_MM;
        }
    }
    return RAY_MAX_MM;
}

/* Lumen outline in a cross-section image (HU, SAMPLES x SAMPLES, centre in
 * the middle): a ray per angle from the centre to the first crossing of
 * `low` (half way from the lumen to tissue) or `high` (a brighter vessel).
 * Where a ray reaches a brighter vessel through a dip below the lumen level
 * (the thin wall or fat between the vein and the artery pressing on it,
 * blurred by partial volume), the edge is before that dip (edge_before_dip).
 * Polygon in section mm (x along the columns); returns 0 if the centre is not
 * lumen. */
static int ray_radii(const int16_t *img, const LumenLevel *level, double low, double high, double contrast,
                     double *radius)
{
    const int c = SECTION_SAMPLES / 2;
    const int16_t *m = img + c * SECTION_SAMPLES + c;
    double centre = (m[-SECTION_SAMPLES - 1] + m[-SECTION_SAMPLES] + m[-SECTION_SAMPLES + 1] + m[-1] + m[0] + m[1] +
                     m[SECTION_SAMPLES - 1] + m[SECTION_SAMPLES] + m[SECTION_SAMPLES + 1]) / 9.0;
    if (centre < low || centre > high) return 0;
    const double lumen = level->hu, dip = DIP_FRACTION * contrast;
    /* a valley must be deeper than noise makes them in the lumen itself */
    const double valley_depth = fmax(VALLEY_DIPS * dip, VALLEY_SIGMAS * level->noise_hu);
    double prof[RAY_SAMPLES + 1];
    for (int k = 0; k < RAYS; k++) {
        double a = 2 * LQ_PI * k / RAYS, ca = cos(a), sa = sin(a);
        int len = 1;
        prof[0] = centre;
        for (; len <= RAY_SAMPLES; len++) {
            double r = len * RAY_STEP_MM, px = c + r * ca / SECTION_PITCH_MM, py = c + r * sa / SECTION_PITCH_MM;
            int ix = (int)px, iy = (int)py;
            if (ix < 0 || iy < 0 || ix + 1 >= SECTION_SAMPLES || iy + 1 >= SECTION_SAMPLES) break;
            double fx = px - ix, fy = py - iy;
            const int16_t *p = img + iy * SECTION_SAMPLES + ix;
            prof[len] = (p[0] * (1 - fx) + p[1] * fx) * (1 - fy) +
                        (p[SECTION_SAMPLES] * (1 - fx) + p[SECTION_SAMPLES + 1] * fx) * fy;
        }
        radius[k] = ray_edge(prof, len, lumen, low, high, dip, valley_depth);
    }
    return 1;
}

static void smooth_polygon(double *xy, int n);

/* The outline from the rays' radii: a median over MEDIAN_RAYS neighbouring
 * rays, then smoothed along its arc. */
static void polygon(const double *radius, double *xy)
{
    for (int k = 0; k < RAYS; k++) {
        double w[MEDIAN_RAYS];
        for (int j = 0; j < MEDIAN_RAYS; j++) w[j] = radius[(k + j - MEDIAN_RAYS / 2 + RAYS) % RAYS];
        for (int x = 1; x < MEDIAN_RAYS; x++)
            for (int y = x; y > 0 && w[y - 1] > w[y]; y--) {
                double t = w[y];
                w[y] = w[y - 1], w[y - 1] = t;
            }
        double a = 2 * LQ_PI * k / RAYS;
        double r = fabs(radius[k] - w[MEDIAN_RAYS / 2]) > ESCAPE_MM ? w[MEDIAN_RAYS / 2] : radius[k];
        xy[2 * k] = r * cos(a), xy[2 * k + 1] = r * sin(a);
    }
    smooth_polygon(xy, RAYS);
}

/* Each vertex replaced by the triangle-weighted mean of the vertices within
 * SMOOTH_MM of arc length: noise of single voxels along the edge would
 * otherwise set the minimal caliper of a flattened lumen. */
#define SMOOTH_MM 0.75
static void smooth_polygon(double *xy, int n)
{
    double arc[RAYS + 1], out[2 * RAYS];
    arc[0] = 0;
    for (int i = 0; i < n; i++)
        arc[i + 1] = arc[i] + hypot(xy[2 * ((i + 1) % n)] - xy[2 * i], xy[2 * ((i + 1) % n) + 1] - xy[2 * i + 1]);
    double perimeter = arc[n];
    for (int i = 0; i < n; i++) {
        double sx = 0, sy = 0, sw = 0;
        for (int j = 0; j < n; j++) {
            double d = fabs(arc[j] - arc[i]);
            d = fmin(d, perimeter - d);
            if (d >= SMOOTH_MM) continue;
            double wgt = 1 - d / SMOOTH_MM;
            sx += wgt * xy[2 * j], sy += wgt * xy[2 * j + 1], sw += wgt;
        }
        out[2 * i] = sx / sw, out[2 * i + 1] = sy / sw;
    }
    memcpy(xy, out, 2 * n * sizeof *xy);
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

static int cmp_i16(const void *a, const void *b) { return *(const int16_t *)a - *(const int16_t *)b; }

/* A polyline resampled every `step` mm of arc length (both ends kept). */
static double *resample(const double *pts, size_t np, double step, size_t *n_out)
{
    double total = 0;
    for (size_t i = 1; i < np; i++) {
        double d[3] = {pts[3 * i] - pts[3 * i - 3], pts[3 * i + 1] - pts[3 * i - 2], pts[3 * i + 2] - pts[3 * i - 1]};
        total += sqrt(dot3(d, d));
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
            l = sqrt(dot3(d, d));
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

/* Section plane at point s: the tangent is the slope of a straight line
 * fitted to the points within TANGENT_HALF of it (one-sided at the ends, so
 * the lesion point gets its direction from the vein beyond it, not from a
 * two-point difference); u and w span the plane. */
#define TANGENT_HALF 4
static int section_axes(const LqVolume *v, const double *pts, size_t n, size_t s, double *u, double *w)
{
    /* the window keeps its width at the ends (shifted inwards): five points
     * at the very end would follow the end point's own error */
    size_t a = s >= TANGENT_HALF ? s - TANGENT_HALF : 0;
    if (n > 2 * TANGENT_HALF && a + 2 * TANGENT_HALF >= n) a = n - 1 - 2 * TANGENT_HALF;
    size_t b = a + 2 * TANGENT_HALF < n ? a + 2 * TANGENT_HALF : n - 1;
    double mean_i = 0.5 * ((double)a + (double)b), t[3] = {0, 0, 0};
    for (size_t i = a; i <= b; i++)
        for (int k = 0; k < 3; k++) t[k] += ((double)i - mean_i) * pts[3 * i + k];
    double tl = sqrt(dot3(t, t));
    if (!(tl > 0)) return 0;
    for (int k = 0; k < 3; k++) t[k] /= tl;
    double ref[3] = {v->row_dir[0], v->row_dir[1], v->row_dir[2]};
    if (fabs(dot3(ref, t)) > 0.9) memcpy(ref, v->col_dir, sizeof ref);
    double rt = dot3(ref, t);
    for (int k = 0; k < 3; k++) u[k] = ref[k] - rt * t[k];
    double ul = sqrt(dot3(u, u));
    for (int k = 0; k < 3; k++) u[k] /= ul;
    w[0] = t[1] * u[2] - t[2] * u[1], w[1] = t[2] * u[0] - t[0] * u[2], w[2] = t[0] * u[1] - t[1] * u[0];
    /* rows run the way the slices' columns do (towards posterior in an axial
     * series): sections look as a reader sees the CT, whichever way the
     * centreline runs */
    if (dot3(w, v->col_dir) < 0)
        for (int k = 0; k < 3; k++) w[k] = -w[k];
    return 1;
}

/* n HU samples from `p` along unit vector `dir`, `pitch` mm apart, through
 * the trilinear kernel (16.16 fixed-point voxel steps). */
static void line(const LqVolume *v, const LqSegDsp *dsp, const double *p, const double *dir, double pitch, int n,
                 int16_t *out)
{
    double q0[3], q1[3], tmp[3];
    lq_volume_to_voxel(v, p, q0);
    for (int k = 0; k < 3; k++) tmp[k] = p[k] + dir[k] * pitch;
    lq_volume_to_voxel(v, tmp, q1);
    int32_t p0[3], step[3];
    for (int k = 0; k < 3; k++) p0[k] = (int32_t)lround(q0[k] * 65536), step[k] = (int32_t)lround((q1[k] - q0[k]) * 65536);
    dsp->trilinear(out, v->hu, (int)v->cols, (int)v->rows, (int)v->slices, p0, step, n, -1024);
}

/* The size x size HU image of the plane through `p` spanned by u, w,
 * samples `pitch` mm apart, centred on p (sample size / 2), row by row. */
static void cut(const LqVolume *v, const LqSegDsp *dsp, const double *p, const double *u, const double *w,
                int16_t *img, int size, double pitch)
{
    const int half = size / 2;
    for (int row = 0; row < size; row++) {
        double start[3];
        for (int k = 0; k < 3; k++) start[k] = p[k] + (row - half) * pitch * w[k] - half * pitch * u[k];
        line(v, dsp, start, u, pitch, size, img + (size_t)row * size);
    }
}

/* The section as the lumen outline reads it: the mean of SLAB_PLANES
 * parallel planes SLAB_GAP_MM apart along the centreline (a thin slab, as a
 * reader would set it), which takes CT noise of 20 HU down to where it no
 * longer puts spurious edges on the rays; a vein running through the plane
 * keeps its outline. `acc` holds size x size sums. */
#define SLAB_PLANES 3
#define SLAB_GAP_MM 0.5
static void section_image(const LqVolume *v, const LqSegDsp *dsp, const double *p, const double *u, const double *w,
                          int16_t *img, int size, double pitch, int32_t *acc)
{
    const size_t n = (size_t)size * size;
    double t[3] = {u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]};
    memset(acc, 0, n * sizeof *acc);
    for (int plane = 0; plane < SLAB_PLANES; plane++) {
        double off = (plane - (SLAB_PLANES - 1) / 2.0) * SLAB_GAP_MM, q[3];
        for (int k = 0; k < 3; k++) q[k] = p[k] + off * t[k];
        cut(v, dsp, q, u, w, img, size, pitch);
        for (size_t i = 0; i < n; i++) acc[i] += img[i];
    }
    for (size_t i = 0; i < n; i++) img[i] = (int16_t)((acc[i] + (acc[i] >= 0 ? 1 : -1)) / SLAB_PLANES);
}

int lq_ct_straightened(const LqVolume *v, const LqCtResult *r, int16_t *img, int width, int height, double pitch_mm)
{
    if (r->n < 2 || width < 1 || height < 1 || !(pitch_mm > 0)) return LQ_ERR_USAGE;
    LqSegDsp dsp;
    lq_seg_dsp_init(&dsp, -1);
    double total = r->sections[r->n - 1].position_mm;
    int16_t *col = malloc((size_t)height * sizeof *col);
    if (!col) return LQ_ERR_INTERNAL;
    size_t s = 0;
    for (int x = 0; x < width; x++) {
        /* the point and the across direction, interpolated between sections */
        double t = total * x / (width > 1 ? width - 1 : 1);
        while (s + 2 < r->n && r->sections[s + 1].position_mm < t) s++;
        double a = r->sections[s].position_mm, b = r->sections[s + 1].position_mm;
        double f = b > a ? fmin(1.0, fmax(0.0, (t - a) / (b - a))) : 0, p[3], u[3];
        for (int k = 0; k < 3; k++) {
            p[k] = r->points[3 * s + k] + f * (r->points[3 * s + 3 + k] - r->points[3 * s + k]);
            u[k] = r->planes[6 * s + 3 + k] + f * (r->planes[6 * s + 9 + k] - r->planes[6 * s + 3 + k]);
        }
        double ul = sqrt(dot3(u, u));
        for (int k = 0; k < 3; k++) u[k] /= ul;
        double start[3];
        for (int k = 0; k < 3; k++) start[k] = p[k] - (height / 2) * pitch_mm * u[k];
        line(v, &dsp, start, u, pitch_mm, height, col);
        for (int y = 0; y < height; y++) img[(size_t)y * width + x] = col[y];
    }
    free(col);
    return LQ_OK;
}

int lq_ct_section_image(const LqVolume *v, const LqCtResult *r, size_t s, int16_t *img, int size, double pitch_mm)
{
    if (s >= r->n || size < 1 || !(pitch_mm > 0)) return LQ_ERR_USAGE;
    int32_t *acc = malloc((size_t)size * size * sizeof *acc);
    if (!acc) return LQ_ERR_INTERNAL;
    LqSegDsp dsp;
    lq_seg_dsp_init(&dsp, -1);
    const double *u = r->planes + 6 * s;
    section_image(v, &dsp, r->points + 3 * s, u, u + 3, img, size, pitch_mm, acc);
    free(acc);
    return LQ_OK;
}

/* The lumen's level and noise as the section images show them (slab mean of
 * trilinear samples), from three axial section images 2 mm apart within
 * 3.9 mm of the reference point, inside the normal vein (~1500 samples, a
 * few hundred independent): their median, and their standard deviation
 * without outliers. */
#define NOISE_REACH 13 /* samples */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static LumenLevel lumen_level(const LqVolume *v, const LqSegDsp *dsp, const double *reference, int16_t *img)
{
    LumenLevel level = {0, 0};
    int32_t acc[SECTION_SAMPLES * SECTION_SAMPLES];
    const double u[3] = {1, 0, 0}, w[3] = {0, 1, 0};
    const int c = SECTION_SAMPLES / 2, reach = NOISE_REACH, side = 2 * NOISE_REACH + 1;
    double *values = malloc(6 * side * side * sizeof *values);
    if (!values) return level;
    double *deviation = values + 3 * side * side;
    int n = 0;
    for (int plane = -1; plane <= 1; plane++) {
        const double p[3] = {reference[0], reference[1], reference[2] + 2.0 * plane};
        section_image(v, dsp, p, u, w, img, SECTION_SAMPLES, SECTION_PITCH_MM, acc);
        for (int y = -reach; y <= reach; y++)
            for (int x = -reach; x <= reach; x++)
                if (x * x + y * y <= reach * reach) values[n++] = img[(c + y) * SECTION_SAMPLES + c + x];
    }
    qsort(values, n, sizeof *values, cmp_double);
    double median = values[n / 2];
    /* the standard deviation of what lies within 4 robust spreads (1.4826 x
     * median absolute deviation) of the median: no edge or calcium in it */
    for (int k = 0; k < n; k++) deviation[k] = fabs(values[k] - median);
    qsort(deviation, n, sizeof *deviation, cmp_double);
    double mad = 1.4826 * deviation[n / 2], sum = 0, sum2 = 0;
    int used = 0;
    for (int k = 0; k < n; k++)
        if (fabs(values[k] - median) <= 4 * mad + 1) sum += values[k], sum2 += values[k] * values[k], used++;
    free(values);
    level.hu = median;
    level.noise_hu = used > 1 ? sqrt(fmax(0, (sum2 - sum * sum / used) / (used - 1))) : 0;
    return level;
}

/* Cuts the section at point s and outlines the lumen: levels are the
 * lumen's and the section's tissue (its lower quartile); the lumen's edge is
 * half way to tissue, or a quarter of that contrast above the lumen where a
 * brighter vessel (the artery) touches it. Returns 1 with the polygon in xy. */
static int section_radii(const LqVolume *v, const LqSegDsp *dsp, const LumenLevel *level, const double *p,
                         const double *u, const double *w, int16_t *img, double *radius)
{
    int32_t acc[SECTION_SAMPLES * SECTION_SAMPLES];
    section_image(v, dsp, p, u, w, img, SECTION_SAMPLES, SECTION_PITCH_MM, acc);
    int16_t sorted[SECTION_SAMPLES * SECTION_SAMPLES];
    memcpy(sorted, img, sizeof sorted);
    qsort(sorted, SECTION_SAMPLES * SECTION_SAMPLES, sizeof *sorted, cmp_i16);
    /* tissue: the median of what is clearly not enhanced (under half the
     * lumen's level); where bone and the artery fill most of the section, a
     * fixed quantile would land on them */
    const int total = SECTION_SAMPLES * SECTION_SAMPLES;
    int dark = 0;
    const double lumen = level->hu;
    while (dark < total && sorted[dark] < 0.5 * lumen) dark++;
    double tissue = dark >= total / 20 ? sorted[dark / 2] : sorted[total / 4];
    /* brighter than a noise blob can make the lumen */
    /* the lumen's contrast to soft tissue: fat (-100 HU) filling the section
     * lowers its tissue level, but must neither let a ray run on through
     * muscle to the fat beyond nor raise the bar for the artery; where fat
     * does lie next to the lumen, local_half_max moves the edge out */
    double contrast = lumen - fmax(tissue, SOFT_TISSUE_HU);
    double low = lumen - 0.5 * contrast, high = lumen + fmax(0.25 * contrast, 4 * level->noise_hu);
    return ray_radii(img, level, low, high, contrast, radius);
}

static int section_outline(const LqVolume *v, const LqSegDsp *dsp, const LumenLevel *level, const double *p,
                           const double *u, const double *w, int16_t *img, double *xy)
{
    double radius[RAYS];
    if (!section_radii(v, dsp, level, p, u, w, img, radius)) return 0;
    polygon(radius, xy);
    return 1;
}

/* A ray that reaches more than LEAK_MM beyond the same ray of both
 * neighbouring sections (1 mm away) has run into something else: where the
 * artery crosses almost in the section's plane, its partial-volume fringe
 * meets the vein at lumen-like HU and a fan of rays runs along it. The vein
 * itself never widens that fast; a narrowing (the lesion) is never touched. */
#define LEAK_MM 1.5
static void clamp_leaks(const double *radii, const unsigned char *found, size_t n, double *out)
{
    for (size_t s = 0; s < n; s++)
        for (int k = 0; k < RAYS; k++) {
            double r = radii[s * RAYS + k], farther = -1;
            if (s > 0 && found[s - 1]) farther = fmax(farther, radii[(s - 1) * RAYS + k]);
            if (s + 1 < n && found[s + 1]) farther = fmax(farther, radii[(s + 1) * RAYS + k]);
            out[s * RAYS + k] = farther < 0 ? r : fmin(r, farther + LEAK_MM);
        }
}

#define RECENTRE_MAX_MM 1.0 /* per pass */

/* The traced path follows the cheapest voxels, which in a wide flat lumen
 * may cut across it: each pass moves every point to the centroid of its
 * section's lumen and resamples, so the section planes end up perpendicular
 * to the vein's own axis (a tilted plane through a flattened lumen inflates
 * its area). */
static double *recentre(const LqVolume *v, const LqSegDsp *dsp, const LumenLevel *level, int passes, double *pts,
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
            if (!section_axes(v, pts, *n, s, u, w) || !section_outline(v, dsp, level, pts + 3 * s, u, w, img, xy))
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
        double *next = resample(pts, *n, step, n);
        free(pts);
        pts = next;
    }
    return pts;
}

int lq_ct_measure(const LqVolume *v, const double lesion[3], const double reference[3], const LqCtOptions *o,
                  LqCtResult **out, LqError *err)
{
    *out = NULL;
    LqCtOptions defaults;
    if (!o) lq_ct_options_default(&defaults), o = &defaults;
    double qa[3], qb[3];
    lq_volume_to_voxel(v, lesion, qa);
    lq_volume_to_voxel(v, reference, qb);
    int nx = (int)v->cols, ny = (int)v->rows, nz = (int)v->slices;
    const double *pts[2] = {qa, qb};
    for (int i = 0; i < 2; i++)
        if (pts[i][0] < 1 || pts[i][1] < 1 || pts[i][2] < 1 || pts[i][0] > nx - 2 || pts[i][1] > ny - 2 ||
            pts[i][2] > nz - 2)
            return lq_fail(err, LQ_ERR_USAGE, "the %s point lies outside the volume or on its outermost voxels",
                           i ? "reference" : "lesion");
    Roi roi;
    roi_around(v, qa, qb, &roi);
    float *smooth = smoothed(v, &roi);
    if (!smooth) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    int32_t ia = (int32_t)(((lround(qa[2]) - roi.z0) * roi.ny + lround(qa[1]) - roi.y0) * roi.nx + lround(qa[0]) - roi.x0);
    int32_t ib = (int32_t)(((lround(qb[2]) - roi.z0) * roi.ny + lround(qb[1]) - roi.y0) * roi.nx + lround(qb[0]) - roi.x0);
    double lumen = smooth[ib], at_lesion = smooth[ia];
    if (lumen < MIN_LUMEN_HU || at_lesion < 0.5 * lumen) {
        /* a point off the vein: no centreline to trace, and a report that says why */
        free(smooth);
        LqCtResult *r = calloc(1, sizeof *r);
        if (!r) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
        memcpy(r->lesion_point, lesion, sizeof r->lesion_point);
        memcpy(r->reference_point, reference, sizeof r->reference_point);
        r->threshold_pct = o->threshold_pct, r->lumen_hu = lumen;
        r->lesion = r->reference_first = r->reference_last = r->segment_first = r->segment_last = -1;
        if (lumen < MIN_LUMEN_HU)
            snprintf(r->problem, sizeof r->problem,
                     "the reference point is at %.0f HU: not in a contrast-filled vein (above %.0f HU)", lumen,
                     MIN_LUMEN_HU);
        else
            snprintf(r->problem, sizeof r->problem,
                     "the lesion point is at %.0f HU, under half the reference's %.0f HU: not in the vein's lumen",
                     at_lesion, lumen);
        *out = r;
        return LQ_OK;
    }
    int32_t *path = NULL;
    size_t plen = 0;
    double neighbour[27];
    neighbour_steps(v, neighbour);
    float *wall = malloc((size_t)roi.nx * roi.ny * roi.nz * sizeof *wall);
    double *cost = NULL;
    if (wall) {
        wall_distance(&roi, smooth, lumen, neighbour, wall);
        cost = voxel_costs(&roi, smooth, wall, lumen, o->wall_weight);
    }
    free(smooth), free(wall);
    int rc = cost ? trace(&roi, cost, neighbour, ia, ib, &path, &plen) : -1;
    free(cost);
    if (rc != 0) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory tracing the centreline");

    /* voxel path (reference -> lesion) to mm, lesion first, the user's points at the ends */
    double *raw = malloc(plen * 3 * sizeof *raw);
    LqCtResult *r = calloc(1, sizeof *r);
    int16_t *img = malloc(SECTION_SAMPLES * SECTION_SAMPLES * sizeof *img);
    double *xy = malloc(2 * RAYS * sizeof *xy);
    if (!raw || !r || !img || !xy) {
        free(path), free(raw), free(r), free(img), free(xy);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < plen; i++) {
        int32_t c = path[plen - 1 - i];
        double q[3] = {roi.x0 + c % roi.nx, roi.y0 + (c / roi.nx) % roi.ny, roi.z0 + c / (roi.nx * roi.ny)};
        lq_volume_to_patient(v, q, raw + 3 * i);
    }
    free(path);
    memcpy(r->lesion_point, lesion, sizeof r->lesion_point);
    memcpy(r->reference_point, reference, sizeof r->reference_point);
    r->threshold_pct = o->threshold_pct;
    memcpy(raw, lesion, 3 * sizeof *raw);
    memcpy(raw + 3 * (plen - 1), reference, 3 * sizeof *raw);
    size_t n = 0;
    LqSegDsp dsp;
    lq_seg_dsp_init(&dsp, o->cpu_level);
    double *line = resample(raw, plen, o->step_mm, &n);
    free(raw);
    /* the level the path was traced on came from a 3x3x3 mean at one point;
     * the outlines need it to a few HU */
    LumenLevel level = lumen_level(v, &dsp, reference, img);
    if (!(level.hu >= MIN_LUMEN_HU)) level.hu = lumen;
    lumen = level.hu;
    line = line ? recentre(v, &dsp, &level, o->recentre_passes, line, &n, o->step_mm, img, xy) : NULL;
    r->points = line;
    r->sections = calloc(n, sizeof *r->sections);
    r->planes = calloc(n * 6, sizeof *r->planes);
    r->outlines = calloc(n * RAYS * 2, sizeof *r->outlines);
    r->outline_points = RAYS;
    if (!r->points || !r->sections || !r->planes || !r->outlines) {
        free(img), free(xy);
        lq_ct_result_free(&r);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    r->n = n;
    r->lumen_hu = lumen;
    double total = 0, *radii = malloc(2 * n * RAYS * sizeof *radii);
    unsigned char *found = calloc(n, 1);
    if (!radii || !found) {
        free(img), free(xy), free(radii), free(found);
        lq_ct_result_free(&r);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    }
    for (size_t s = 0; s < n; s++) {
        if (s) {
            double d[3] = {line[3 * s] - line[3 * s - 3], line[3 * s + 1] - line[3 * s - 2],
                           line[3 * s + 2] - line[3 * s - 1]};
            total += sqrt(dot3(d, d));
        }
        r->sections[s].position_mm = total;
        double *u = r->planes + 6 * s, *w = u + 3;
        found[s] = section_axes(v, line, n, s, u, w) &&
                   section_radii(v, &dsp, &level, line + 3 * s, u, w, img, radii + s * RAYS);
    }
    double *clamped = radii + n * RAYS;
    clamp_leaks(radii, found, n, clamped);
    for (size_t s = 0; s < n; s++) {
        if (!found[s]) continue;
        LqFrameMeasure *m = &r->sections[s];
        polygon(clamped + s * RAYS, xy);
        m->valid = lq_shape_measure(xy, RAYS, &m->shape) == LQ_OK && m->shape.area_mm2 >= MIN_AREA_MM2;
        m->confidence = 1.0;
        memcpy(r->outlines + s * RAYS * 2, xy, 2 * RAYS * sizeof *xy);
    }
    free(img), free(xy), free(radii), free(found);

    /* measures: the reference near the reference point, the lesion the MLA before it */
    double step = n > 1 ? total / (double)(n - 1) : o->step_mm;
    r->lesion = r->reference_first = r->reference_last = r->segment_first = r->segment_last = -1;
    double sum = 0;
    int used = 0;
    for (size_t s = 0; s < n; s++)
        if (total - r->sections[s].position_mm <= o->reference_mm && r->sections[s].valid) {
            sum += r->sections[s].shape.area_mm2, used++;
            if (r->reference_first < 0) r->reference_first = (int)s;
            r->reference_last = (int)s;
        }
    if (!used) {
        snprintf(r->problem, sizeof r->problem, "no lumen found around the reference point");
        *out = r;
        return LQ_OK;
    }
    r->reference_area_mm2 = sum / used;
    r->reference_diameter_mm = 2 * sqrt(r->reference_area_mm2 / LQ_PI);
    for (int s = 0; s < r->reference_first; s++)
        if (r->sections[s].valid && (r->lesion < 0 || r->sections[s].shape.area_mm2 < r->sections[r->lesion].shape.area_mm2))
            r->lesion = s;
    if (r->lesion < 0) {
        snprintf(r->problem, sizeof r->problem, "no lumen found between the lesion point and the reference");
        *out = r;
        return LQ_OK;
    }
    const LqShape *L = &r->sections[r->lesion].shape;
    r->mla_mm2 = L->area_mm2, r->mld_mm = L->min_feret_mm, r->max_diameter_mm = L->max_feret_mm;
    r->diameter_stenosis_pct = 100 * (1 - r->mld_mm / r->reference_diameter_mm);
    r->area_stenosis_pct = 100 * (1 - r->mla_mm2 / r->reference_area_mm2);
    r->equiv_diameter_stenosis_pct = 100 * (1 - sqrt(r->mla_mm2 / r->reference_area_mm2));
    double limit = LESION_FRACTION * r->reference_area_mm2;
    if (r->mla_mm2 < limit) {
        int a = r->lesion, b = r->lesion;
        while (a > 0 && r->sections[a - 1].valid && r->sections[a - 1].shape.area_mm2 < limit) a--;
        while (b + 1 < (int)n && r->sections[b + 1].valid && r->sections[b + 1].shape.area_mm2 < limit) b++;
        r->segment_first = a, r->segment_last = b;
        r->lesion_length_mm = (b - a + 1) * step;
    }
    r->significant = r->diameter_stenosis_pct > r->threshold_pct;
    r->ok = 1;
    *out = r;
    return LQ_OK;
}
