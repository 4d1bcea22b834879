/* The CT venography stage's parts (docs/ct.md): centreline.c traces and
 * recentres the vein's centreline, section.c cuts cross-sections through the
 * volume, outline.c outlines the lumen in them; ct.c runs them and measures. */
#ifndef LQ_CT_INTERNAL_H
#define LQ_CT_INTERNAL_H

#include "internal.h"
#include "ct/dsp.h"

#include <stddef.h>
#include <stdint.h>

#define SECTION_SAMPLES 81 /* cross-section image: 81 x 81 */
#define SECTION_PITCH_MM 0.3 /* 24 mm across */
#define RAYS 90 /* outline points of a section */

static inline double lq_ct_dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* ---- outline.c */

/* The lumen's level (HU at the reference point), its noise in a section
 * image (standard deviation) and the image's blur: the Gaussian sigma (mm)
 * of the normal vein's edge there, 0 where none was measured */
typedef struct LqCtLumen {
    double hu, noise_hu, blur_mm;
} LqCtLumen;

LqCtLumen lq_ct_lumen_level(const LqVolume *v, const LqCtDsp *dsp, const double *reference, int16_t *img);
/* The RAYS radii (mm) of the lumen in the section through p spanned by u, w
 * (img: its image, SECTION_SAMPLES squared), and in `resolved` (RAYS, may
 * be NULL) the same rays stopped where they run onto a shelf of partial
 * lumen (the MLD's outline); 0 if the centre is not lumen. */
int lq_ct_section_radii(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, const double *p,
                        const double *u, const double *w, int16_t *img, double *radius, double *resolved);
/* The outline polygon (RAYS points, section mm) from the radii. */
void lq_ct_polygon(const double *radius, double *xy);
/* The minimal caliper (mm) of the outline (RAYS points) opened by a disc of
 * radius rho_mm: protrusions narrower than the disc set aside; -1 when no
 * disc fits inside. *angle_rad: the caliper's direction. */
double lq_ct_resolved_caliper(const double *xy, double rho_mm, double *angle_rad);
/* lq_ct_section_radii without the fitted edges before brighter structures
 * (the recentring's), then lq_ct_polygon into xy. */
int lq_ct_section_outline(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, const double *p,
                          const double *u, const double *w, int16_t *img, double *xy);
/* Rays that leak along a vessel crossing the plane, cut back (n sections of RAYS radii). */
void lq_ct_clamp_leaks(const double *radii, const unsigned char *found, size_t n, double *out);

/* ---- section.c */

/* Section s's plane: u and w spanning it, perpendicular to the centreline
 * pts (n points); 0 where the line has no direction. */
int lq_ct_plane(const LqVolume *v, const double *pts, size_t n, size_t s, double *u, double *w);
/* u, w spanning the plane perpendicular to the unit tangent t, as the
 * series' rows and columns run (sections look like the axial images). */
void lq_ct_axes(const LqVolume *v, const double *t, double *u, double *w);
/* The size x size HU image, `pitch` mm samples, of the thin slab through p
 * spanned by u, w (acc: size x size scratch). */
void lq_ct_slab(const LqVolume *v, const LqCtDsp *dsp, const double *p, const double *u, const double *w,
                int16_t *img, int size, double pitch, int32_t *acc);

/* ---- centreline.c */

/* The box the centreline is searched in: both points with a margin around
 * them, so the search costs memory for the region, not the volume. */
typedef struct LqCtBox {
    int x0, y0, z0, nx, ny, nz;
} LqCtBox;

/* The box, its 3x3x3-smoothed HU and the two points' voxels in it. */
typedef struct LqCtSearch {
    LqCtBox box;
    float *smooth;
    int32_t lesion, reference;
} LqCtSearch;

/* qa, qb: the lesion and reference points in voxels. -1 when out of memory. */
int lq_ct_search_new(const LqVolume *v, const double qa[3], const double qb[3], LqCtSearch *s);
void lq_ct_search_free(LqCtSearch *s);
/* The minimal-cost path from the lesion voxel to the reference voxel through
 * the lumen at `lumen` HU, as *n voxel centres in LPS mm, lesion first
 * (*pts, n x 3). Frees the smoothed HU. -1 when out of memory. */
int lq_ct_trace(const LqVolume *v, LqCtSearch *s, double lumen, double wall_weight, double **pts, size_t *n);
/* A polyline resampled every `step` mm of arc length at most (both ends kept). */
double *lq_ct_resample(const double *pts, size_t np, double step, size_t *n_out);
/* `passes` times: every point moved towards its section's lumen centroid,
 * smoothed and resampled. Frees pts on failure (NULL). */
/* Up to `reach_mm` of centreline beyond pts[0] (away from the rest of the n
 * points), a point every `step` mm, each moved onto its section's lumen
 * centroid: into out (room for reach_mm / step + 1 points, nearest
 * first). Returns how many; *stopped_mm is where no lumen was found (-1 if
 * the whole reach was traced). */
size_t lq_ct_extend(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, const double *pts, size_t n,
                    double step, double reach_mm, int16_t *img, double *xy, double *out, double *stopped_mm);
double *lq_ct_recentre(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, int passes, double *pts,
                       size_t *n, double step, int16_t *img, double *xy);

#endif
