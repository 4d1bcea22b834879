/* The CT stage's lumen outline (docs/ct.md, Lumen outline): the lumen's
 * level at the reference point, rays from the centreline point to the
 * lumen's edge in each section, and the outline polygon they make. */
#include "ct/ct_internal.h"
#include "measure/measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MEDIAN_RAYS 5           /* a ray more than ESCAPE_MM off the median of the 5 around it (16 degrees) */
#define ESCAPE_MM 1.0           /* has escaped (or stopped on noise): it takes that median */
#define RAY_STEP_MM 0.1
#define RAY_MAX_MM 11.5
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

#define FAT_HU (-100.0)      /* adipose tissue: -120 to -80 HU */
#define SOFT_TISSUE_HU 20.0 /* muscle and connective tissue: 20-60 HU */
#define BRIGHTER_SIGMAS 3.0 /* a brighter vessel: this many noise deviations over the lumen (or a quarter of
                               its contrast); a dim artery next to a vein that noise leaves bright went unseen at 4 */
#define OUTSIDE_SAMPLES 12 /* 1.2 mm beyond the fall: the level the lumen meets there */
#define DIP_BLEND 0.5     /* edge before a thin wall: between the half-way fall and the bottom */

/* Where the profile falls through `level` before sample *at (below it):
 * *at moved back to the first sample of that run below the level, and the
 * crossing between it and the one before, in samples. */
static double fall_through(const double *prof, int *at, double level)
{
    while (*at > 1 && prof[*at - 1] < level) (*at)--;
    return *at - 1 + (prof[*at - 1] - level) / (prof[*at - 1] - prof[*at]);
}

/* The lumen's edge before a dip at `lo` (a wall thinner than the blur,
 * between the vein and another vessel): the half-way fall from the lumen
 * to the dip's bottom lies inside the lumen, the bottom itself at the
 * wall's centre, beyond the edge; whichever of the two the voxel grid
 * favours, their mean is the least biased (docs/ct.md). In samples. */
static double edge_before_dip(const double *prof, int len, double lumen, int lo)
{
    double level = 0.5 * (lumen + prof[lo]);
    int at = lo;
    double half_way = fall_through(prof, &at, level);
    double a = prof[lo - 1], b = prof[lo], c = lo + 1 < len ? prof[lo + 1] : b, curve = a - 2 * b + c;
    double bottom = lo + (curve > 0 ? 0.5 * (a - c) / curve : 0);
    return DIP_BLEND * bottom + (1 - DIP_BLEND) * half_way;
}

/* The lowest 0.3 mm mean (three samples) of a profile from sample `from`
 * over `reach` samples, INFINITY if none fits; *at (if given) its middle
 * sample, -1 if none. */
static double lowest_mean(const double *prof, int len, int from, int reach, int *at)
{
    double low = INFINITY;
    int where = -1;
    for (int j = from; j + 2 < len && j < from + reach; j++) {
        double mean = (prof[j] + prof[j + 1] + prof[j + 2]) / 3;
        if (mean < low) low = mean, where = j + 1;
    }
    if (at) *at = where;
    return low;
}

/* The half-maximum edge between the lumen and what this ray meets beyond it
 * (fat at -100 HU or muscle at 50 lie side by side around the iliac veins:
 * the section's one tissue level would put the edge 0.4 mm out next to
 * muscle, or in next to fat): the level beyond is the lowest 0.3 mm mean
 * within OUTSIDE_SAMPLES of where the profile fell below `low` (sample i).
 * In samples. */
static double local_half_max(const double *prof, int len, double lumen, int i)
{
    double outside = lowest_mean(prof, len, i, OUTSIDE_SAMPLES, NULL);
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

/* The lumen's edge before a brighter structure (the artery pressing on the
 * vein) by a model of the profile: the lumen up to the edge, a layer (the
 * walls) of some width and level, then the brighter level, blurred by the
 * Gaussian the normal vein's edge shows (cdf: its step, blurred_step).
 * Where the wall is thinner than the blur its dip is shallow or gone, the
 * artery's blur fills it, and neither the dip nor a level crossing marks
 * the edge: at 1 mm pixels the edge before the dip, or the rise above
 * `high`, read the artery's side of the lesion 1-2.5 mm out, and its MLD
 * 2 mm wide. The three levels are fitted by least squares (linear once the
 * edge and the width are set); the edge and the width are searched on a
 * grid, coarse then fine, over FIT_BEFORE samples before the rise above
 * `high` (sample `rise`) and `after` beyond. In samples; -1 where no fit
 * has the layer below the lumen, the brighter level above it and the lumen
 * above `low`.
 * Before another vessel (`wall_hu` given: the artery) the layer is the two
 * vessels' walls, which the fit is held to: at least WALL_MIN_MM thick and
 * no brighter than soft tissue (wall_hu). A wall thinner than the blur
 * leaves a dip of a few HU, and a free fit trades it for a step straight
 * into the artery, or for a wider layer at lumen-like HU: both put the edge
 * at the artery's (docs/ct.md). Before bone met after a fall to tissue
 * (ray_radii) the layer may be anything from fat to nearly nothing, and
 * is left free (NAN); a ray that rises from the lumen straight into
 * something brighter takes the walls' model. */
#define FIT_BEFORE 30
#define FIT_AFTER 15
#define FIT_MAX_LAYER 20 /* samples: layers up to 2 mm */
#define FIT_FROM 2
#define FIT_MIN_EDGE 10 /* samples: 1 mm */
#define FIT_OFF (2 * (FIT_BEFORE + FIT_MAX_LAYER) + 2) /* cdf index of offset 0 */
#define FIT_SPAN (FIT_OFF + 2 * (FIT_BEFORE + FIT_AFTER) + 2)
/* Two vessel walls: the iliac artery's is about 1 mm (intima, media and
 * adventitia), the vein's 0.2-0.5 mm; 0.6 mm is below any such pair. */
#define WALL_MIN_MM 0.6
typedef struct FitWindow {
    const double *prof;
    double low;     /* the fitted lumen's level is above it */
    double wall_hu; /* the layer's level is at most this (INFINITY: free) */
    int falls;       /* the level beyond is below the lumen (else brighter: a vessel or bone) */
    double layer_hu; /* the layer is held at this level (NAN: fitted) */
    int j0, j1;
    const double *cdf; /* the blurred step at each offset of half samples (blurred_step) */
} FitWindow;

/* The Gaussian step of sigma_mm at each offset of half samples from
 * -FIT_OFF (cdf, FIT_SPAN values), once per section. */
static void blurred_step(double sigma_mm, double *cdf)
{
    for (int d = 0; d < FIT_SPAN; d++)
        cdf[d] = 0.5 * erfc(-(d - FIT_OFF) * 0.5 * RAY_STEP_MM / (sigma_mm * 1.4142135623730951));
}

/* The lumen's and the brighter level's least squares when the layer's part
 * of the profile is known (none, or its level fixed): a, c, g the sums of
 * g0*g0, g0*g2, g2*g2, y0 and y2 those of g0 and g2 times what is left of
 * the profile. 0 if the two are not determined. */
static int two_levels(double a, double c, double g, double y0, double y2, double *lumen, double *bright)
{
    double det = a * g - c * c;
    if (!(det > 1e-9)) return 0;
    *lumen = (y0 * g - y2 * c) / det, *bright = (y2 * a - y0 * c) / det;
    return 1;
}

/* Whether fitted levels are what the window's model allows: the lumen above
 * `low`, the layer below it, the level beyond above it or, where the
 * profile falls, below it. */
static int levels_fit(const FitWindow *f, double lumen, double layer, double beyond)
{
    return lumen > f->low && layer < lumen && (f->falls ? beyond < lumen : beyond > lumen);
}

/* The residual of the model with its edge at half sample m and a layer of q
 * samples, every `stride` samples, its levels (lumen, layer, beyond) in
 * `levels`; INFINITY where the fitted levels are not what levels_fit
 * allows. */
static double fit_residual(const FitWindow *f, int m, int q, int stride, double *levels)
{
    double s[3][3] = {{0}}, sy[3] = {0}, syy = 0;
    for (int j = f->j0; j <= f->j1; j += stride) {
        double f1 = f->cdf[FIT_OFF + 2 * j - m], f2 = f->cdf[FIT_OFF + 2 * j - m - 2 * q];
        double g[3] = {1 - f1, f1 - f2, f2}, y = f->prof[j];
        for (int r = 0; r < 3; r++) {
            for (int c = r; c < 3; c++) s[r][c] += g[r] * g[c];
            sy[r] += g[r] * y;
        }
        syy += y * y;
    }
    double lumen, layer, bright;
    if (q == 0) { /* no layer: a step from the lumen to the level beyond */
        if (!two_levels(s[0][0], s[0][2], s[2][2], sy[0], sy[2], &lumen, &bright)) return INFINITY;
        levels[0] = lumen, levels[1] = levels[2] = bright;
        if (!(lumen > f->low && (f->falls ? bright < lumen : bright > lumen))) return INFINITY;
        return syy - lumen * sy[0] - bright * sy[2];
    }
    double a = s[0][0], b = s[0][1], c = s[0][2], d = s[1][1], e = s[1][2], g = s[2][2];
    if (isnan(f->layer_hu)) {
        /* the normal equations by their adjugate */
        double c00 = d * g - e * e, c01 = c * e - b * g, c02 = b * e - c * d, det = a * c00 + b * c01 + c * c02;
        if (!(fabs(det) > 1e-12)) return INFINITY;
        double c11 = a * g - c * c, c12 = b * c - a * e, c22 = a * d - b * b;
        lumen = (c00 * sy[0] + c01 * sy[1] + c02 * sy[2]) / det;
        layer = (c01 * sy[0] + c11 * sy[1] + c12 * sy[2]) / det;
        bright = (c02 * sy[0] + c12 * sy[1] + c22 * sy[2]) / det;
        levels[0] = lumen, levels[1] = layer, levels[2] = bright;
        if (!(layer > f->wall_hu)) {
            if (!levels_fit(f, lumen, layer, bright)) return INFINITY;
            return syy - lumen * sy[0] - layer * sy[1] - bright * sy[2];
        }
        layer = f->wall_hu; /* the best fit with the layer at the walls' ceiling */
    } else
        layer = f->layer_hu;
    /* the layer's level held: the two other levels fitted to what it
     * leaves, y - layer * g1; the residual in full (the shortcut above holds
     * only at the free optimum) */
    if (!two_levels(a, c, g, sy[0] - layer * b, sy[2] - layer * e, &lumen, &bright)) return INFINITY;
    levels[0] = lumen, levels[1] = layer, levels[2] = bright;
    if (!levels_fit(f, lumen, layer, bright)) return INFINITY;
    return syy - 2 * (lumen * sy[0] + layer * sy[1] + bright * sy[2]) + lumen * lumen * a + layer * layer * d +
           bright * bright * g + 2 * (lumen * layer * b + lumen * bright * c + layer * bright * e);
}

/* The least-squares edge (half samples from `first` to `last`) and layer
 * (min_layer to FIT_MAX_LAYER samples) of the window's model, on a grid
 * coarse then fine; the layer's width in *q, the levels in `levels`. -1
 * where no fit has its levels as levels_fit allows. */
static int fit_search(const FitWindow *f, int first, int last, int min_layer, int *q, double *levels)
{
    double best = INFINITY, lv[3];
    int bm = -1, bq = 0;
    for (int m = first; m <= last; m += 4) /* 0.2 mm */
        for (int w = min_layer; w <= FIT_MAX_LAYER; w += 4) {
            double r = fit_residual(f, m, w, 2, lv);
            if (r < best) best = r, bm = m, bq = w;
        }
    if (bm < 0) return -1;
    int cm = bm, cq = bq;
    best = INFINITY;
    for (int m = cm - 3; m <= cm + 3; m++)
        for (int w = cq - 3; w <= cq + 3; w++) {
            if (m < first || m > last || w < min_layer || w > FIT_MAX_LAYER) continue;
            double r = fit_residual(f, m, w, 1, lv);
            if (r < best) best = r, bm = m, bq = w, memcpy(levels, lv, sizeof lv);
        }
    *q = bq;
    return isfinite(best) ? bm : -1;
}

/* The fit's window around sample `at` (FIT_BEFORE samples before it,
 * `after` beyond, inside the profile) into f, and the first edge it may
 * take, in half samples: the lumen holds a few samples of the window, and
 * is no thinner than CT resolves (a noise dip near the centre would
 * otherwise pass for the layer). -1 where the window is too short or no
 * edge fits before `at`. */
static int fit_window(FitWindow *f, int len, int at, int after)
{
    f->j0 = at - FIT_BEFORE > FIT_FROM ? at - FIT_BEFORE : FIT_FROM;
    f->j1 = at + after < len ? at + after : len - 1;
    if (f->j1 - f->j0 < 8) return -1;
    const int first = 2 * (f->j0 + FIT_FROM > FIT_MIN_EDGE ? f->j0 + FIT_FROM : FIT_MIN_EDGE);
    return first > 2 * at ? -1 : first;
}

static double edge_before_brighter(const double *prof, int len, int rise, double low, const double *cdf, int after,
                                   double wall_hu)
{
    FitWindow f;
    f.prof = prof, f.low = low, f.cdf = cdf, f.wall_hu = isnan(wall_hu) ? INFINITY : wall_hu, f.falls = 0, f.layer_hu = NAN;
    const int min_layer = isnan(wall_hu) ? 0 : (int)lround(WALL_MIN_MM / RAY_STEP_MM);
    const int first = fit_window(&f, len, rise, after);
    if (first < 0) return -1;
    int q;
    double levels[3];
    int m = fit_search(&f, first, 2 * rise, min_layer, &q, levels);
    return m >= 0 ? 0.5 * m : -1;
}

/* A ray that rises from the lumen straight into bone (the vertebral body
 * pressed against the flattened vein, the tissue between thinner than the
 * blur): the cortex peaks within BONE_PEAK_REACH of the rise more than
 * BONE_CONTRASTS of the lumen's contrast over the lumen, which no vessel of
 * a venous phase reaches. Its edge is the fitted edge before bone (a free
 * layer, BONE_AFTER beyond the rise), not the walls' model: the cortex is
 * no plateau, and over FIT_AFTER the bright level followed its peak and the
 * walls' floor pushed the edge out, 0.4-1.3 mm at the shoulders of the
 * flattened lesion where the rays meet the spine obliquely (clinical seed
 * 93: %DS 6.1 points low). */
#define BONE_AFTER 5       /* samples: 0.5 mm */
#define BONE_PEAK_REACH 20 /* samples: 2 mm */
#define BONE_CONTRASTS 1.5

/* Where a ray profile (HU every RAY_STEP_MM from the centre) leaves the
 * lumen, in mm:
 *  - below `low` (half way to tissue), unless it comes back clearly above it
 *    within PERSIST samples (a noise spot);
 *  - back up to within VALLEY_RETURN dip of the lumen after a valley deeper
 *    than valley_depth below it: a neighbouring vessel's blurred edge,
 *    reached through the wall between them; the edge is before that valley;
 *  - above `high` (a brighter vessel: the artery), held for 2 PERSIST samples
 *    (a vessel is wider than a noise blob); the edge is the fitted one
 *    (edge_before_brighter; before bone where the profile peaks above
 *    `bone_hu`) where the blur is known, else before the dip on the way,
 *    if there is one.
 * RAY_MAX_MM if none. */
static double ray_edge(const double *prof, int len, double lumen, double low, double high, double dip,
                       double valley_depth, double wall_hu, double bone_hu, const double *step_cdf, int *fell)
{
    *fell = -1;
    int valley = VALLEY_FROM;
    for (int i = 1; i < len; i++) {
        double val = prof[i];
        if (i > VALLEY_FROM && val < prof[valley]) valley = i;
        int held = 1;
        if (val < low) {
            for (int j = i + 1; j < len && j <= i + PERSIST && held; j++) held = prof[j] < low + dip;
            if (!held) continue;
            *fell = i;
            return local_half_max(prof, len, lumen, i) * RAY_STEP_MM;
        } else if (i > VALLEY_FROM && prof[valley] < lumen - valley_depth && val >= lumen - VALLEY_RETURN * dip) {
            for (int j = i + 1; j < len && j <= i + PERSIST && held; j++) held = prof[j] >= prof[valley] + dip;
            if (!held) continue;
            return edge_before_dip(prof, len, lumen, valley) * RAY_STEP_MM;
        } else if (val > high) {
            for (int j = i + 1; j < len && j <= i + 2 * PERSIST && held; j++) held = prof[j] > high - dip;
            if (!held) continue;
            if (step_cdf) {
                double peak = -INFINITY;
                for (int j = i; j < len && j <= i + BONE_PEAK_REACH; j++) peak = fmax(peak, prof[j]);
                double e = peak > bone_hu ? edge_before_brighter(prof, len, i, low, step_cdf, BONE_AFTER, NAN)
                                          : edge_before_brighter(prof, len, i, low, step_cdf, FIT_AFTER, wall_hu);
                if (e >= 0) return e * RAY_STEP_MM;
            }
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

#define PV_INSIDE_MM 1.5
/* The sector's radius sqrt(2 * sum f r dr) of the lumen a profile holds up
 * to sample `end`, each sample counting f = (HU - beyond) / (lumen - beyond)
 * in [0, 1], `beyond` what the ray meets past the edge: bg[j] per sample,
 * or `tissue` where bg is NULL; samples deeper than PV_INSIDE_MM inside the
 * edge (mm) count whole (clamped noise would bias them low). */
static double counted_radius(const double *prof, double lumen, const double *bg, double tissue, double edge, int end)
{
    const int whole = (int)((edge - PV_INSIDE_MM) / RAY_STEP_MM), from = whole > 0 ? whole : 0;
    double sum = 0.5 * (from * RAY_STEP_MM) * (from * RAY_STEP_MM);
    for (int j = from; j <= end; j++) {
        double beyond = bg ? bg[j] : tissue, f = fmin(1.0, fmax(0.0, (prof[j] - beyond) / (lumen - beyond)));
        double r = j * RAY_STEP_MM, dr = (j == from || j == end) ? 0.5 * RAY_STEP_MM : RAY_STEP_MM;
        sum += f * r * dr;
    }
    return sqrt(2 * sum);
}

/* The partial-volume radius of a ray that ended in tissue (it fell below
 * half way at sample `fell`, its half-maximum edge at `edge` mm): where
 * the lumen is thinner than the point spread (the flattened lesion's
 * tips) its profile never reaches the lumen's level and the half maximum
 * cuts it short, but the blur keeps the lumen's mass. Each sample counts
 * (HU - tissue) / (lumen - tissue) in [0, 1], tissue the level this ray
 * meets beyond the edge (fat, muscle or the thin tissue before bone each
 * its own), out to where the profile stops falling; samples deeper than
 * PV_INSIDE_MM inside the edge count whole (clamped noise would bias
 * them low). The radius is the sector's: sqrt(2 * sum f r dr). */
#define PV_REACH 30   /* samples: the profile flattens within 3 mm of the fall */
#define PV_FLAT 5     /* ...no lower than PV_FLAT samples on (0.5 mm) */
#define PV_SIGMAS 2.5 /* the lumen's blur reaches this many sigmas beyond its edge */
static double partial_volume_radius(const double *prof, int len, double lumen, int fell, double edge,
                                    double contrast, double noise, double sigma_mm)
{
    const double drop = fmax(0.05 * contrast, 1.5 * noise);
    int end = fell;
    for (; end + 1 < len && end < fell + PV_REACH; end++) {
        int flat = 1;
        for (int j = end + 1; j < len && j <= end + PV_FLAT && flat; j++) flat = prof[j] > prof[end] - drop;
        if (flat) break;
    }
    /* a shoulder where the profile stops falling within the blur's reach
     * (the blurred tip of a lumen thinner than the point spread, at partial
     * lumen level) is not yet tissue: the profile is followed on while it
     * stays below where it fell */
    const int blurred = (int)((edge + PV_SIGMAS * sigma_mm) / RAY_STEP_MM);
    if (end < blurred && blurred < len) {
        int lower = 1;
        for (int j = end + 1; j <= blurred && lower; j++) lower = prof[j] <= prof[fell];
        if (lower) end = blurred;
    }
    double tissue = prof[end];
    for (int j = end + 1; j < len && j <= end + 2; j++) tissue = fmin(tissue, prof[j]);
    /* the point spread's tail falls on more slowly than noise: the mean a
     * little further out, where it is lower (not a brighter vessel beyond) */
    {
        double sum = 0;
        int n = 0;
        for (int j = end + 2 * PV_FLAT; j < len && j <= end + 4 * PV_FLAT; j++) sum += prof[j], n++;
        if (n >= PV_FLAT) tissue = fmin(tissue, sum / n);
    }
    if (!(lumen - tissue > 0.25 * contrast)) return edge;
    return counted_radius(prof, lumen, NULL, tissue, edge, end);
}

/* Ray k's profile from the centre of a section image (bilinear, every
 * RAY_STEP_MM, prof[0] = centre) until it leaves the image; its length. */
static int ray_profile(const int16_t *img, int k, double centre, double *prof)
{
    const int c = SECTION_SAMPLES / 2;
    double a = 2 * LQ_PI * k / RAYS, ca = cos(a), sa = sin(a);
    int len = 1;
    prof[0] = centre;
    for (; len <= RAY_SAMPLES; len++) {
        double r = len * RAY_STEP_MM, px = c + r * ca / SECTION_PITCH_MM, py = c + r * sa / SECTION_PITCH_MM;
        int ix = (int)px, iy = (int)py;
        if (ix < 0 || iy < 0 || ix + 1 >= SECTION_SAMPLES || iy + 1 >= SECTION_SAMPLES) break;
        double fx = px - ix, fy = py - iy;
        const int16_t *p = img + iy * SECTION_SAMPLES + ix;
        prof[len] = (p[0] * (1 - fx) + p[1] * fx) * (1 - fy) + (p[SECTION_SAMPLES] * (1 - fx) + p[SECTION_SAMPLES + 1] * fx) * fy;
    }
    return len;
}

/* A ray that falls to tissue and meets something brighter than the lumen
 * within BONE_REACH (the vertebral body behind a thin layer of fat or
 * muscle): the blurred layer never reaches its own level, so the local half
 * maximum sits inside the lumen (0.2-0.6 mm at 0.8-1.0 mm pixels) and the
 * partial-volume count stops at the layer's raised floor. Its edge is the
 * fitted one (edge_before_brighter) over only BONE_AFTER beyond the rise:
 * the cortex is no plateau, and a longer window follows its peak. */
#define BONE_REACH 25 /* samples: 2.5 mm */

/* The radius of a ray that falls to tissue through fat thinner than the
 * point spread (fat lobules between the vein and muscle): the fat's blur
 * never gets near its own level, so the half maximum and the partial-volume
 * count take its trough for the level beyond, 0.3-1 mm short. A model of
 * the profile (edge_before_brighter's: the lumen up to the edge, a layer,
 * then the level beyond, blurred by the section's Gaussian) with the layer
 * held at fat's level, which is a physical constant: a layer thinner than
 * the blur trades its level for its width, and only fat lies below soft
 * tissue. Fitted over FIT_BEFORE samples before the trough (the lowest
 * 0.3 mm mean within BONE_REACH of the fall at sample `fell`, the thin
 * layers the edge before bone models too) and FIT_AFTER beyond; the edge no
 * further out than the trough. It holds where the fit has a layer, the
 * trough lies TROUGH_SIGMAS noise deviations under the level beyond (only
 * a trough below what follows can be fat) and the level beyond is tissue
 * (below `low`: a vessel or bone there would draw the edge out into it).
 * The radius is then the partial-volume count's, each sample's background
 * the model's own: the fat's and the level beyond's blurred shares of what
 * is not lumen there. -1 where it does not hold. */
#define TROUGH_SIGMAS 2.0
static double fat_layer_radius(const double *prof, int len, int fell, double lumen, double low, double noise,
                               double sigma_mm, const double *cdf)
{
    int t;
    const double trough = lowest_mean(prof, len, fell, BONE_REACH, &t);
    if (t < 0) return -1;
    FitWindow f;
    f.prof = prof, f.low = low, f.cdf = cdf, f.wall_hu = INFINITY, f.falls = 1, f.layer_hu = FAT_HU;
    const int first = fit_window(&f, len, t, FIT_AFTER);
    if (first < 0) return -1;
    /* most rays (a fall to thick fat or to tissue) rise nowhere past the
     * trough by that much: no fit for them */
    double after = -INFINITY;
    for (int j = t + 1; j + 2 <= f.j1; j++) after = fmax(after, (prof[j] + prof[j + 1] + prof[j + 2]) / 3);
    if (!(after - trough > TROUGH_SIGMAS * noise)) return -1;
    int q;
    double levels[3];
    const int m = fit_search(&f, first, 2 * t, 0, &q, levels);
    if (m < 0 || q == 0) return -1;
    const double beyond = levels[2];
    if (!(beyond - trough > TROUGH_SIGMAS * noise && beyond < low)) return -1;
    const double edge = 0.5 * m * RAY_STEP_MM;
    int end = (int)((edge + PV_SIGMAS * sigma_mm) / RAY_STEP_MM);
    if (end > f.j1) end = f.j1; /* the background is the fit's only where it saw the profile */
    double bg[RAY_SAMPLES + 1];
    for (int j = 0; j <= end; j++) {
        /* the blurred steps at the edge and past the layer (0 and 1 off the table) */
        const int d1 = FIT_OFF + 2 * j - m, d2 = d1 - 2 * q;
        const double f1 = d1 < 0 ? 0 : d1 >= FIT_SPAN ? 1 : cdf[d1], f2 = d2 < 0 ? 0 : d2 >= FIT_SPAN ? 1 : cdf[d2];
        bg[j] = f1 > 1e-6 ? (FAT_HU * (f1 - f2) + beyond * f2) / f1 : FAT_HU;
    }
    return counted_radius(prof, lumen, bg, 0, edge, end);
}

/* Where a ray runs onto a shelf of partial lumen, in mm (INFINITY if it
 * does not before `edge` mm): a flat stretch of SHELF_SAMPLES whose mean
 * lies more than SHELF_CONTRAST of the contrast, and SHELF_SIGMAS noise
 * deviations, under the lumen, every sample above half way (a fall to
 * tissue is ray_edge's) and within SHELF_FLAT of the contrast of each
 * other (a blurred edge into tissue is no shelf: it falls on). Where an
 * artery runs away from the vein at a slant through a thick slice, its
 * partial volume with the wall and the tissue beside it leaves such a
 * shelf at 125-180 HU for a 197 HU lumen, reaching 5-6 mm past the vein's
 * edge, and rays along it fall below half way only at its far end: the
 * lumen's mass they count is the artery's. The shelf is not lumen the
 * scanner resolved, and the MLD's outline stops where it begins, half way
 * from the lumen to the shelf's level (docs/ct.md, Measures). */
#define SHELF_SAMPLES 20   /* 2 mm */
#define SHELF_CONTRAST 0.2
#define SHELF_SIGMAS 3.0
#define SHELF_FLAT 0.2
static double shelf_edge(const double *prof, int len, double lumen, double low, double contrast, double noise,
                         double edge)
{
    const double bar = lumen - fmax(SHELF_CONTRAST * contrast, SHELF_SIGMAS * noise);
    double run = 0;
    for (int j = VALLEY_FROM; j < VALLEY_FROM + SHELF_SAMPLES && j < len; j++) run += prof[j];
    for (int i = VALLEY_FROM; i + SHELF_SAMPLES < len && i * RAY_STEP_MM < edge; i++) {
        if (i > VALLEY_FROM) run += prof[i + SHELF_SAMPLES - 1] - prof[i - 1];
        const double shelf = run / SHELF_SAMPLES;
        if (!(shelf < bar && shelf > low)) continue;
        double lo = INFINITY, hi = -INFINITY;
        for (int j = i; j < i + SHELF_SAMPLES; j++) lo = fmin(lo, prof[j]), hi = fmax(hi, prof[j]);
        if (!(lo > low && hi - lo < SHELF_FLAT * contrast)) continue;
        int at = i;
        const double level = 0.5 * (lumen + shelf), crossing = fall_through(prof, &at, level);
        if (at > 1 && prof[at] < level) return crossing * RAY_STEP_MM;
    }
    return INFINITY;
}

/* Lumen outline in a cross-section image (HU, SAMPLES x SAMPLES, centre in
 * the middle): a ray per angle from the centre to the first crossing of
 * `low` (half way from the lumen to tissue) or `high` (a brighter vessel).
 * Where a ray reaches a brighter vessel through a dip below the lumen level
 * (the thin wall or fat between the vein and the artery pressing on it,
 * blurred by partial volume), the edge is before that dip (edge_before_dip).
 * Polygon in section mm (x along the columns); returns 0 if the centre is not
 * lumen. */
static int ray_radii(const int16_t *img, const LqCtLumen *level, double low, double high, double contrast,
                     double sigma_mm, double *radius, double *resolved)
{
    const int c = SECTION_SAMPLES / 2;
    const int16_t *m = img + c * SECTION_SAMPLES + c;
    double centre = (m[-SECTION_SAMPLES - 1] + m[-SECTION_SAMPLES] + m[-SECTION_SAMPLES + 1] + m[-1] + m[0] + m[1] +
                     m[SECTION_SAMPLES - 1] + m[SECTION_SAMPLES] + m[SECTION_SAMPLES + 1]) / 9.0;
    if (centre < low || centre > high) return 0;
    /* wall_hu: the section's soft tissue level (max(tissue, SOFT_TISSUE_HU)) */
    const double lumen = level->hu, dip = DIP_FRACTION * contrast, wall_hu = lumen - contrast;
    /* a valley must be deeper than noise makes them in the lumen itself */
    const double valley_depth = fmax(VALLEY_DIPS * dip, VALLEY_SIGMAS * level->noise_hu);
    double prof[RAY_SAMPLES + 1], step_cdf[FIT_SPAN];
    if (sigma_mm > 0) blurred_step(sigma_mm, step_cdf);
    for (int k = 0; k < RAYS; k++) {
        int len = ray_profile(img, k, centre, prof);
        int fell;
        radius[k] = ray_edge(prof, len, lumen, low, high, dip, valley_depth, wall_hu, lumen + BONE_CONTRASTS * contrast,
                             sigma_mm > 0 ? step_cdf : NULL, &fell);
        if (resolved) resolved[k] = shelf_edge(prof, len, lumen, low, contrast, level->noise_hu, radius[k]);
        if (fell <= 0) continue;
        int bright = -1; /* bone (or a vessel) this close beyond the fall */
        for (int j = fell + 1; sigma_mm > 0 && j < len && j <= fell + BONE_REACH && bright < 0; j++)
            if (prof[j] > high) bright = j;
        double e = bright > 0 ? edge_before_brighter(prof, len, bright, low, step_cdf, BONE_AFTER, NAN) : -1;
        if (e >= 0) {
            radius[k] = e * RAY_STEP_MM;
            continue;
        }
        double r = sigma_mm > 0 ? fat_layer_radius(prof, len, fell, lumen, low, level->noise_hu, sigma_mm, step_cdf) : -1;
        radius[k] = r >= 0 ? r : partial_volume_radius(prof, len, lumen, fell, radius[k], contrast, level->noise_hu, sigma_mm);
    }
    for (int k = 0; resolved && k < RAYS; k++) resolved[k] = fmin(resolved[k], radius[k]);
    return 1;
}

/* Each vertex replaced by the triangle-weighted mean of the vertices within
 * SMOOTH_MM of arc length: noise of single voxels along the edge would
 * otherwise set the minimal caliper of a flattened lumen (0.75 mm kept a
 * fan of rays at a shoulder of the flattened lumen that the edge before
 * bone had freed: 23 of the 99 clinical measurements missed on %DS, 17
 * with 1.25 mm). */
#define SMOOTH_MM 1.25
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

/* The outline (counter-clockwise, RAYS points) moved out along its
 * vertices' normals until it encloses `area`: averaging the vertices of a
 * convex outline pulls each towards its centre of curvature, and since the
 * curvature integrates to 2 pi round any closed outline, smoothing takes
 * about pi SMOOTH_MM^2 / 6 (0.8 mm2) off every one whatever its size: 1.5 %
 * of a flattened lesion's 55 mm2, 0.6 % of a normal vein's 133. The shift d,
 * area lost over perimeter (about 0.02 mm; a second pass takes the rest),
 * is the same all round, so a flattened lumen's short axis
 * widens by 2 d, where smoothing took less. An outline shorter than four
 * smoothing lengths (under 3 mm2, not lumen) is left alone. At a sharp
 * inward corner the shifted edges may cross by about d, which no measure
 * sees; a guard that kept the smoothed outline wherever an edge turned back
 * fired on real sections too and moved 3 of the clinical seeds' results. */
static void restore_area(double *xy, double area)
{
    for (int pass = 0; pass < 2; pass++) {
        double now = lq_polygon_area(xy, RAYS), perimeter = 0, out[2 * RAYS];
        for (int i = 0; i < RAYS; i++)
            perimeter += hypot(xy[2 * ((i + 1) % RAYS)] - xy[2 * i], xy[2 * ((i + 1) % RAYS) + 1] - xy[2 * i + 1]);
        if (!(now > 0 && perimeter >= 4 * SMOOTH_MM)) return;
        const double d = (area - now) / perimeter;
        for (int i = 0; i < RAYS; i++) {
            const double *prev = xy + 2 * ((i + RAYS - 1) % RAYS), *next = xy + 2 * ((i + 1) % RAYS);
            double tx = next[0] - prev[0], ty = next[1] - prev[1], len = hypot(tx, ty);
            if (!(len > 0)) len = INFINITY; /* two vertices on one point: left where it is */
            out[2 * i] = xy[2 * i] + d * ty / len, out[2 * i + 1] = xy[2 * i + 1] - d * tx / len;
        }
        memcpy(xy, out, sizeof out);
    }
}

/* The outline from the rays' radii: a median over MEDIAN_RAYS neighbouring
 * rays, then smoothed along its arc, enclosing what it did before. */
void lq_ct_polygon(const double *radius, double *xy)
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
    double area = lq_polygon_area(xy, RAYS);
    smooth_polygon(xy, RAYS);
    if (area > 0) restore_area(xy, area);
}

/* Whether cell i of a row lies at least sqrt(need) cells from every
 * outside cell, given col (n values: each cell's squared distance to the
 * nearest outside cell of its column): no cell j within that reach has
 * col[j] + (i - j)^2 < need. The nearest cells are tried first, so a cell
 * near the outline fails after a few. */
static int far_inside(const double *col, int n, int i, double need, int reach)
{
    for (int d = 0; d <= reach; d++) {
        const double dd = (double)d * d;
        if (i - d >= 0 && col[i - d] + dd < need) return 0;
        if (i + d < n && col[i + d] + dd < need) return 0;
    }
    return 1;
}

/* The minimal caliper of the outline opened by a disc of radius rho: the
 * union of the discs that fit inside it. A protrusion narrower than the
 * scanner's blur (a fan of rays at a shoulder, into a wall thinner than a
 * voxel) is not a feature the scanner resolved, yet one such spike sets the
 * caliper of a flattened lumen. The opening keeps every part of the outline
 * whose curvature a disc of rho can follow, so a flat lumen's width is
 * unchanged. On a 0.05 mm grid over the outline: the points at least rho
 * inside it (a distance transform), the width of that set over 180
 * directions, plus 2 rho. */
#define CALIPER_PITCH_MM 0.05
#define CALIPER_MAX_GRID 640
double lq_ct_resolved_caliper(const double *xy, double rho_mm, double *angle_rad)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int k = 0; k < RAYS; k++) {
        x0 = fmin(x0, xy[2 * k]), x1 = fmax(x1, xy[2 * k]);
        y0 = fmin(y0, xy[2 * k + 1]), y1 = fmax(y1, xy[2 * k + 1]);
    }
    double h = fmax(CALIPER_PITCH_MM, fmax(x1 - x0, y1 - y0) / (CALIPER_MAX_GRID - 4));
    x0 -= 2 * h, y0 -= 2 * h;
    int nx = (int)ceil((x1 - x0) / h) + 3, ny = (int)ceil((y1 - y0) / h) + 3, nmax = nx > ny ? nx : ny;
    double *f = malloc((size_t)nx * ny * sizeof *f), *col = malloc((size_t)nmax * sizeof *col);
    double *pts = malloc(4 * (size_t)ny * sizeof *pts);
    if (!f || !col || !pts) {
        free(f), free(col), free(pts);
        return -1;
    }
    const double far = 1e12;
    /* inside: even-odd crossings along each row's centre line */
    for (int j = 0; j < ny; j++) {
        double y = y0 + j * h, cross[RAYS];
        int nc = 0;
        for (int k = 0; k < RAYS; k++) {
            const double *a = xy + 2 * k, *b = xy + 2 * ((k + 1) % RAYS);
            if ((a[1] <= y) != (b[1] <= y)) cross[nc++] = a[0] + (y - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
        }
        for (int a = 1; a < nc; a++) /* a few crossings: insertion sort */
            for (int b = a; b > 0 && cross[b - 1] > cross[b]; b--) {
                double t = cross[b];
                cross[b] = cross[b - 1], cross[b - 1] = t;
            }
        /* inside where an odd number of crossings lies before the cell */
        for (int i = 0, c = 0; i < nx; i++) {
            double x = x0 + i * h;
            while (c < nc && cross[c] < x) c++;
            f[(size_t)j * nx + i] = (c & 1) ? far : 0;
        }
    }
    /* along the columns the image is 0 or inside: the squared distance to
     * the nearest outside sample of the column, by a scan each way */
    for (int i = 0; i < nx; i++) {
        int last = -1;
        for (int j = 0; j < ny; j++) {
            if (f[(size_t)j * nx + i] == 0) last = j;
            col[j] = last < 0 ? far : (double)(j - last) * (j - last);
        }
        last = -1;
        for (int j = ny - 1; j >= 0; j--) {
            if (f[(size_t)j * nx + i] == 0) last = j;
            double d = last < 0 ? far : (double)(last - j) * (last - j);
            f[(size_t)j * nx + i] = d < col[j] ? d : col[j];
        }
    }
    /* a pixel centre's distance to the nearest outside centre is its
     * distance to the outline plus about half a pixel */
    double need = (rho_mm + 0.5 * h) / h;
    need *= need;
    const int reach = (int)ceil(sqrt(need));
    /* each row's first and last cell that far inside: cells near the
     * outline fail at once, so the search costs about a reach per row
     * side (an exact distance transform of the rows cost twice the rest) */
    int np = 0;
    for (int j = 0; j < ny; j++) {
        const double *row = f + (size_t)j * nx;
        int lo = 0, hi = nx - 1;
        while (lo < nx && !far_inside(row, nx, lo, need, reach)) lo++;
        if (lo == nx) continue;
        while (!far_inside(row, nx, hi, need, reach)) hi--;
        pts[2 * np] = x0 + lo * h, pts[2 * np + 1] = y0 + j * h, np++;
        pts[2 * np] = x0 + hi * h, pts[2 * np + 1] = y0 + j * h, np++;
    }
    double best = -1;
    for (int k = 0; np && k < 180; k++) {
        double ux = cos(LQ_PI * k / 180), uy = sin(LQ_PI * k / 180), lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < np; i++) {
            double d = pts[2 * i] * ux + pts[2 * i + 1] * uy;
            if (d < lo) lo = d;
            if (d > hi) hi = d;
        }
        double width = hi - lo + h + 2 * rho_mm;
        if (best < 0 || width < best) best = width, *angle_rad = LQ_PI * k / 180;
    }
    free(f), free(col), free(pts);
    return best;
}

static int cmp_i16(const void *a, const void *b) { return *(const int16_t *)a - *(const int16_t *)b; }

/* The section's HU counted by value (a sort per section cost a third of
 * the run): bins for -2048..2047, what lies outside counted apart, so the
 * k-th smallest is exact and found by a sort only when it lies there. */
#define HIST_LO (-2048)
#define HIST_BINS 4096
typedef struct HuHistogram {
    int32_t count[HIST_BINS], under, over;
} HuHistogram;

static void hu_histogram(HuHistogram *h, const int16_t *v, int n)
{
    memset(h, 0, sizeof *h);
    for (int i = 0; i < n; i++) {
        int b = v[i] - HIST_LO;
        if (b < 0) h->under++;
        else if (b >= HIST_BINS) h->over++;
        else h->count[b]++;
    }
}

/* The k-th smallest (0-based) of v, as v sorted would have it. */
static int hu_kth(const HuHistogram *h, const int16_t *v, int n, int k)
{
    if (k >= h->under) {
        int seen = h->under;
        for (int b = 0; b < HIST_BINS; b++)
            if ((seen += h->count[b]) > k) return b + HIST_LO;
    }
    int16_t *sorted = malloc((size_t)n * sizeof *sorted);
    if (!sorted) return k < h->under ? HIST_LO - 1 : HIST_LO + HIST_BINS;
    memcpy(sorted, v, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_i16);
    int value = sorted[k];
    free(sorted);
    return value;
}

/* How many of v are below `level`. */
static int hu_count_below(const HuHistogram *h, const int16_t *v, int n, double level)
{
    if (level <= HIST_LO || level > HIST_LO + HIST_BINS) {
        int below = 0;
        for (int i = 0; i < n; i++) below += v[i] < level;
        return below;
    }
    int below = h->under;
    for (int b = 0; b < HIST_BINS && b + HIST_LO < level; b++) below += h->count[b];
    return below;
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

/* The section image's blur, from the normal vein's own edge in an axial
 * image through the reference point: on each ray that falls from the lumen
 * to tissue (not to a brighter vessel), the 25-75 % fall of a blurred step
 * spans 1.349 Gaussian sigmas; the median over the rays (mm), 0 with fewer
 * than BLUR_MIN_RAYS clean edges. The scanner's kernel, the slice profile
 * and the section's own sampling are all in it. */
#define BLUR_MIN_RAYS 15
#define BLUR_OUTSIDE 20 /* samples: the level beyond, within 2 mm of the fall */
static double edge_blur_mm(const int16_t *img, double lumen)
{
    const int c = SECTION_SAMPLES / 2;
    const double low = lumen - 0.5 * (lumen - SOFT_TISSUE_HU);
    double prof[RAY_SAMPLES + 1], sigma[RAYS];
    int n = 0;
    for (int k = 0; k < RAYS; k++) {
        int len = ray_profile(img, k, img[c * SECTION_SAMPLES + c], prof), i = 1;
        while (i < len && prof[i] >= low && prof[i] <= 2 * lumen - low) i++;
        if (i >= len || prof[i] > low) continue;
        const double outside = lowest_mean(prof, len, i, BLUR_OUTSIDE, NULL);
        if (!(lumen - outside > 0.5 * (lumen - SOFT_TISSUE_HU))) continue;
        double hi = lumen - 0.25 * (lumen - outside), lo = lumen - 0.75 * (lumen - outside);
        int a = i, b = i;
        while (a > 0 && prof[a] < hi) a--;
        while (b < len && prof[b] > lo) b++;
        if (a == 0 || b >= len) continue;
        double r25 = a + (prof[a] - hi) / (prof[a] - prof[a + 1]), r75 = b - 1 + (prof[b - 1] - lo) / (prof[b - 1] - prof[b]);
        sigma[n++] = (r75 - r25) * RAY_STEP_MM / 1.349;
    }
    if (n < BLUR_MIN_RAYS) return 0;
    qsort(sigma, n, sizeof *sigma, cmp_double);
    return sigma[n / 2];
}

LqCtLumen lq_ct_lumen_level(const LqVolume *v, const LqCtDsp *dsp, const double *reference, int16_t *img)
{
    LqCtLumen level = {0, 0, 0};
    int32_t acc[SECTION_SAMPLES * SECTION_SAMPLES];
    const double u[3] = {1, 0, 0}, w[3] = {0, 1, 0};
    const int c = SECTION_SAMPLES / 2, reach = NOISE_REACH, side = 2 * NOISE_REACH + 1;
    double *values = malloc(6 * side * side * sizeof *values);
    if (!values) return level;
    double *deviation = values + 3 * side * side;
    int n = 0;
    for (int plane = -1; plane <= 1; plane++) {
        const double p[3] = {reference[0], reference[1], reference[2] + 2.0 * plane};
        lq_ct_slab(v, dsp, p, u, w, img, SECTION_SAMPLES, SECTION_PITCH_MM, acc);
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
    lq_ct_slab(v, dsp, reference, u, w, img, SECTION_SAMPLES, SECTION_PITCH_MM, acc);
    level.blur_mm = edge_blur_mm(img, median);
    return level;
}

/* Cuts the section at point s and outlines the lumen: levels are the
 * lumen's and the section's tissue (its lower quartile); the lumen's edge is
 * half way to tissue, or a quarter of that contrast above the lumen where a
 * brighter vessel (the artery) touches it. Returns 1 with the polygon in xy. */
static int section_radii(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, const double *p,
                         const double *u, const double *w, int16_t *img, double sigma_mm, double *radius, double *resolved)
{
    int32_t acc[SECTION_SAMPLES * SECTION_SAMPLES];
    lq_ct_slab(v, dsp, p, u, w, img, SECTION_SAMPLES, SECTION_PITCH_MM, acc);
    /* tissue: the median of what is clearly not enhanced (under half the
     * lumen's level); where bone and the artery fill most of the section, a
     * fixed quantile would land on them */
    const int total = SECTION_SAMPLES * SECTION_SAMPLES;
    const double lumen = level->hu;
    HuHistogram h;
    hu_histogram(&h, img, total);
    int dark = hu_count_below(&h, img, total, 0.5 * lumen);
    double tissue = hu_kth(&h, img, total, dark >= total / 20 ? dark / 2 : total / 4);
    /* brighter than a noise blob can make the lumen */
    /* the lumen's contrast to soft tissue: fat (-100 HU) filling the section
     * lowers its tissue level, but must neither let a ray run on through
     * muscle to the fat beyond nor raise the bar for the artery; where fat
     * does lie next to the lumen, local_half_max moves the edge out */
    double contrast = lumen - fmax(tissue, SOFT_TISSUE_HU);
    double low = lumen - 0.5 * contrast, high = lumen + fmax(0.25 * contrast, BRIGHTER_SIGMAS * level->noise_hu);
    return ray_radii(img, level, low, high, contrast, sigma_mm, radius, resolved);
}

int lq_ct_section_radii(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, const double *p,
                        const double *u, const double *w, int16_t *img, double *radius, double *resolved)
{
    return section_radii(v, dsp, level, p, u, w, img, level->blur_mm, radius, resolved);
}

/* The recentring's outlines: the fitted edges before brighter structures
 * (edge_before_brighter) would cost each of its passes as much as the
 * measure itself, and move a centroid by little */
int lq_ct_section_outline(const LqVolume *v, const LqCtDsp *dsp, const LqCtLumen *level, const double *p,
                          const double *u, const double *w, int16_t *img, double *xy)
{
    double radius[RAYS];
    if (!section_radii(v, dsp, level, p, u, w, img, 0, radius, NULL)) return 0;
    lq_ct_polygon(radius, xy);
    return 1;
}

/* A ray that reaches more than LEAK_MM beyond the same ray of both
 * neighbouring sections (1 mm away) has run into something else: where the
 * artery crosses almost in the section's plane, its partial-volume fringe
 * meets the vein at lumen-like HU and a fan of rays runs along it. The vein
 * itself never widens that fast; a narrowing (the lesion) is never touched. */
#define LEAK_MM 1.5
void lq_ct_clamp_leaks(const double *radii, const unsigned char *found, size_t n, double *out)
{
    for (size_t s = 0; s < n; s++)
        for (int k = 0; k < RAYS; k++) {
            double r = radii[s * RAYS + k], farther = -1;
            if (s > 0 && found[s - 1]) farther = fmax(farther, radii[(s - 1) * RAYS + k]);
            if (s + 1 < n && found[s + 1]) farther = fmax(farther, radii[(s + 1) * RAYS + k]);
            out[s * RAYS + k] = farther < 0 ? r : fmin(r, farther + LEAK_MM);
        }
}
