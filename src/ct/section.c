/* The CT stage's cross-sections (docs/ct.md, Cross-sections): each plane
 * perpendicular to the centreline, and its HU image sampled from the volume
 * by the trilinear kernel. */
#include "ct/ct_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Section plane at point s: the tangent is the slope of a straight line
 * fitted to the points within TANGENT_HALF of it (one-sided at the ends, so
 * the lesion point gets its direction from the vein beyond it, not from a
 * two-point difference); u and w span the plane. */
#define TANGENT_HALF 4
int lq_ct_plane(const LqVolume *v, const double *pts, size_t n, size_t s, double *u, double *w)
{
    /* the window keeps its width at the ends (shifted inwards): five points
     * at the very end would follow the end point's own error */
    size_t a = s >= TANGENT_HALF ? s - TANGENT_HALF : 0;
    if (n > 2 * TANGENT_HALF && a + 2 * TANGENT_HALF >= n) a = n - 1 - 2 * TANGENT_HALF;
    size_t b = a + 2 * TANGENT_HALF < n ? a + 2 * TANGENT_HALF : n - 1;
    double mean_i = 0.5 * ((double)a + (double)b), t[3] = {0, 0, 0};
    for (size_t i = a; i <= b; i++)
        for (int k = 0; k < 3; k++) t[k] += ((double)i - mean_i) * pts[3 * i + k];
    double tl = sqrt(lq_ct_dot3(t, t));
    if (!(tl > 0)) return 0;
    for (int k = 0; k < 3; k++) t[k] /= tl;
    lq_ct_axes(v, t, u, w);
    return 1;
}

void lq_ct_axes(const LqVolume *v, const double *t, double *u, double *w)
{
    double ref[3] = {v->row_dir[0], v->row_dir[1], v->row_dir[2]};
    if (fabs(lq_ct_dot3(ref, t)) > 0.9) memcpy(ref, v->col_dir, sizeof ref);
    double rt = lq_ct_dot3(ref, t);
    for (int k = 0; k < 3; k++) u[k] = ref[k] - rt * t[k];
    double ul = sqrt(lq_ct_dot3(u, u));
    for (int k = 0; k < 3; k++) u[k] /= ul;
    w[0] = t[1] * u[2] - t[2] * u[1], w[1] = t[2] * u[0] - t[0] * u[2], w[2] = t[0] * u[1] - t[1] * u[0];
    /* rows run the way the slices' columns do (towards posterior in an axial
     * series): sections look as a reader sees the CT, whichever way the
     * centreline runs */
    if (lq_ct_dot3(w, v->col_dir) < 0)
        for (int k = 0; k < 3; k++) w[k] = -w[k];
}

/* n HU samples from `p` along unit vector `dir`, `pitch` mm apart, through
 * the trilinear kernel (16.16 fixed-point voxel steps). */
static void line(const LqVolume *v, const LqCtDsp *dsp, const double *p, const double *dir, double pitch, int n,
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
static void cut(const LqVolume *v, const LqCtDsp *dsp, const double *p, const double *u, const double *w,
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
void lq_ct_slab(const LqVolume *v, const LqCtDsp *dsp, const double *p, const double *u, const double *w,
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
    LqCtDsp dsp;
    lq_ct_dsp_init(&dsp, -1);
    double first = r->sections[0].position_mm, total = r->sections[r->n - 1].position_mm - first;
    int16_t *col = malloc((size_t)height * sizeof *col);
    if (!col) return LQ_ERR_INTERNAL;
    size_t s = 0;
    for (int x = 0; x < width; x++) {
        /* the point and the across direction, interpolated between sections */
        double t = first + total * x / (width > 1 ? width - 1 : 1);
        while (s + 2 < r->n && r->sections[s + 1].position_mm < t) s++;
        double a = r->sections[s].position_mm, b = r->sections[s + 1].position_mm;
        double f = b > a ? fmin(1.0, fmax(0.0, (t - a) / (b - a))) : 0, p[3], u[3];
        for (int k = 0; k < 3; k++) {
            p[k] = r->points[3 * s + k] + f * (r->points[3 * s + 3 + k] - r->points[3 * s + k]);
            u[k] = r->planes[6 * s + 3 + k] + f * (r->planes[6 * s + 9 + k] - r->planes[6 * s + 3 + k]);
        }
        double ul = sqrt(lq_ct_dot3(u, u));
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
    LqCtDsp dsp;
    lq_ct_dsp_init(&dsp, -1);
    const double *u = r->planes + 6 * s;
    lq_ct_slab(v, &dsp, r->points + 3 * s, u, u + 3, img, size, pitch_mm, acc);
    free(acc);
    return LQ_OK;
}
