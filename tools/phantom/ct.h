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
    double slice_mm;     /* default 1.0 */
    int missing;         /* >= 0: that slice is not written */
    int enhanced;        /* one Enhanced CT object (frames in a shuffled order) instead of CT slices */
} LqpCtParams;

typedef struct LqpCtTruth {
    double lesion_point[3], reference_point[3];   /* on the vein's centreline, LPS mm */
    double mla_mm2, mld_mm, reference_area_mm2, reference_diameter_mm;
    double diameter_stenosis_pct, area_stenosis_pct;
} LqpCtTruth;

void lqp_ct_params_default(LqpCtParams *p);
int lqp_ct_write_series(const LqpCtParams *p, const char *dir, LqpCtTruth *truth, char *msg, size_t msg_len);
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
