/* CT venography phantom (docs/phantom.md, "CT venography"): a contrast-filled
 * left common and external iliac vein, flattened where the right common iliac
 * artery crosses in front of it against the spine, written as a CT series
 * with shuffled file names, with its truth. */
#ifndef LQP_CT_H
#define LQP_CT_H
#include <stddef.h>
#include <stdint.h>

typedef struct LqpCtParams {
    uint64_t seed;
    unsigned size;       /* rows = columns (default 128) */
    unsigned slices;     /* default 100 */
    double pixel_mm;     /* default 0.6 */
    double slice_mm;     /* spacing of the slices' positions, default 1.0 */
    /* A scanner's point spread (docs/phantom.md): 0 (default) is the
     * original phantom, each voxel the mean of its own 2x2x2 box. Above 0,
     * the slices are this thick (their sensitivity profile a Gaussian of
     * that FWHM), each is blurred in-plane to a point spread of 1.4 pixels
     * FWHM, and the noise is blurred as much and scaled to the thickness. */
    double thickness_mm;
    /* The lesion's flattening, its major / minor semi-axis (1 round, 6 flat),
     * the area kept as the seed draws it; 0 (default): the seed's own
     * (3.9-6.3). */
    double lesion_ratio;
    int missing;         /* >= 0: that slice is not written */
    int enhanced;        /* one Enhanced CT object (frames in a shuffled order) instead of CT slices */
} LqpCtParams;

typedef struct LqpCtTruth {
    double lesion_point[3], reference_point[3];   /* on the vein's centreline, LPS mm */
    double mla_mm2, mld_mm, reference_area_mm2, reference_diameter_mm;
    double diameter_stenosis_pct, area_stenosis_pct;
} LqpCtTruth;

void lqp_ct_params_default(LqpCtParams *p);
/* The series at clinical resolution for this seed (seed picks them): pixels
 * 0.6-1.0 mm, slices 0.625-1.5 mm thick and as far apart, lesions from
 * round to 6:1 flat, the point spread on, the size and slice count set to
 * the same anatomy (77 mm across, 99 mm of vein). */
void lqp_ct_params_clinical(LqpCtParams *p, uint64_t seed);
/* Sets the size and slice count for the pixel size and slice spacing, so
 * that the field of view and the vein's length stay those of the default. */
void lqp_ct_params_fit(LqpCtParams *p);
int lqp_ct_write_series(const LqpCtParams *p, const char *dir, LqpCtTruth *truth, char *msg, size_t msg_len);
/* The truth lqp_ct_write_series gives, without writing the series. */
void lqp_ct_truth(const LqpCtParams *p, LqpCtTruth *truth);
/* Whether a point (LPS mm) lies in the vein's lumen. */
int lqp_ct_in_vein(const LqpCtParams *p, const double x[3]);
/* The vein's direction (unit, LPS, downwards). */
void lqp_ct_axis(const LqpCtParams *p, double dir[3]);
/* The lumen's area in the plane through `point` spanned by unit vectors u, w
 * (within 12 mm of the point; 0.05 mm grid), mm2. */
double lqp_ct_area_in_plane(const LqpCtParams *p, const double point[3], const double u[3], const double w[3]);
/* The noise of this seed's series (standard deviation, HU). */
double lqp_ct_noise_hu(const LqpCtParams *p);
#endif
