/* CT venography phantom. Geometry in LPS mm: axial slices (z towards the
 * head), the vein running from the confluence (z = 0) down and to the
 * patient's left. Its cross-section perpendicular to its axis is an ellipse:
 * round in the common and external iliac vein, flattened front to back where
 * the artery crosses it (0.4 mm of wall between them; the vein yields where
 * they would meet). Partial volume by supersampling
 * 2x2x2; noise 12 to 22 HU by seed (venous phase, 1 mm slices). At clinical
 * resolution (thickness_mm > 0) a scanner's point spread instead: a Gaussian
 * slice profile, an in-plane blur, noise blurred alike. */
#include "ct.h"

#include "dicom_writer.h"
#include "lumenq/lumenq.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PI 3.14159265358979323846
#define HU_TISSUE 40.0
#define HU_FAT -90.0
#define FAT_WAVES 6
#define HU_CORTEX 700.0
#define HU_CANCELLOUS 230.0 /* as bright as an enhanced vessel: only the cortex tells them apart */
#define ORIGIN_XY -30.0
#define ARTERY_RADIUS 4.5
#define WALL_MM 0.4
#define SPINE_HALF_WIDTH 24.0 /* the vertebral body, centred under the crossing */
#define SPINE_DEPTH 35.0
#define SPINE_CURVE_MM 20.0   /* radius of its front across */
#define CORTEX_MM 1.5

typedef struct Design {
    double length, t_c, half, a_l, b_l, slope_x, noise_hu, hu_vein, hu_artery;
    double artery_point[3], artery_dir[3];
    double spine_x, spine_gap; /* the vertebral body's centre across, the tissue between it and the vein */
    double fat_wave[FAT_WAVES][4], fat_level; /* fat where the sum of these waves is above the level */
} Design;

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *s) { return (next(s) >> 11) * (1.0 / 9007199254740992.0); }
static double between(uint64_t *s, double lo, double hi) { return lo + (hi - lo) * uniform(s); }

void lqp_ct_params_default(LqpCtParams *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1, p->size = 128, p->slices = 100, p->pixel_mm = 0.6, p->slice_mm = 1.0, p->missing = -1;
}

#define DEFAULT_VIEW_MM 76.8   /* 128 pixels of 0.6 mm */
#define DEFAULT_LENGTH_MM 99.0 /* 100 slices 1 mm apart */
void lqp_ct_params_fit(LqpCtParams *p)
{
    p->size = (unsigned)ceil(DEFAULT_VIEW_MM / p->pixel_mm);
    p->slices = (unsigned)lround(DEFAULT_LENGTH_MM / p->slice_mm) + 1;
}

void lqp_ct_params_clinical(LqpCtParams *p, uint64_t seed)
{
    /* what venous-phase reconstructions use: pixels from a 300-500 mm field
     * of view, slices of 0.625-1.5 mm; the lesion from post-thrombotic
     * (round) to the May-Thurner flattening (6:1) */
    static const double pixel[] = {0.6, 0.7, 0.8, 0.9, 1.0};
    static const double slice[] = {0.625, 1.0, 1.25, 1.5};
    static const double ratio[] = {6.0, 5.0, 4.0, 3.0, 2.0, 1.0};
    lqp_ct_params_default(p);
    p->seed = seed;
    p->pixel_mm = pixel[seed % 5];
    p->slice_mm = p->thickness_mm = slice[(seed / 5) % 4];
    p->lesion_ratio = ratio[(seed / 3) % 6];
    lqp_ct_params_fit(p);
}

static void design(const LqpCtParams *p, Design *d)
{
    uint64_t s = p->seed * 0x2545f4914f6cdd1dull + 0xc7;
    d->length = (p->slices - 1) * p->slice_mm;
    d->t_c = between(&s, 0.25, 0.35);
    d->half = between(&s, 0.08, 0.12);
    d->a_l = between(&s, 8.5, 10.0);
    d->b_l = between(&s, 1.6, 2.2);
    d->slope_x = 18.0 / d->length; /* mm of x per mm of descent */
    d->noise_hu = between(&s, 12.0, 22.0);
    /* venous-phase enhancement varies with timing and cardiac output; the artery stays brighter */
    d->hu_vein = between(&s, 150.0, 210.0);
    d->hu_artery = d->hu_vein + between(&s, 45.0, 90.0);
    /* the artery crosses just in front of the flattened vein, running to the right and down */
    double zc = -d->t_c * d->length;
    d->artery_point[0] = 4.0 + 18.0 * d->t_c;
    d->artery_point[1] = 12.0 - d->b_l - ARTERY_RADIUS - WALL_MM;
    d->artery_point[2] = zc;
    double n = sqrt(1.0 + 0.36);
    d->artery_dir[0] = -1.0 / n, d->artery_dir[1] = 0.0, d->artery_dir[2] = -0.6 / n;
    /* the vertebral body right behind the vein, a thin layer of tissue between them */
    d->spine_gap = between(&s, 1.0, 2.0);
    d->spine_x = 4.0 + 18.0 * d->t_c;
    /* retroperitoneal fat in lobules of 6-12 mm among muscle and connective
     * tissue: around the vessels some directions meet fat, others not */
    for (int k = 0; k < FAT_WAVES; k++) {
        double theta = between(&s, 0, PI), phi = between(&s, 0, 2 * PI), wavelength = between(&s, 12.0, 25.0);
        double kk = 2 * PI / wavelength;
        d->fat_wave[k][0] = kk * sin(theta) * cos(phi), d->fat_wave[k][1] = kk * sin(theta) * sin(phi);
        d->fat_wave[k][2] = kk * cos(theta), d->fat_wave[k][3] = between(&s, 0, 2 * PI);
    }
    d->fat_level = between(&s, -0.5, 0.5);
    if (p->lesion_ratio > 0) { /* the seed's area, flattened as asked */
        double area = PI * d->a_l * d->b_l;
        d->b_l = sqrt(area / (PI * p->lesion_ratio)), d->a_l = p->lesion_ratio * d->b_l;
        d->artery_point[1] = 12.0 - d->b_l - ARTERY_RADIUS - WALL_MM;
    }
    /* thinner slices than 1 mm are noisier (the square root of the
     * thickness); thicker ones keep the seed's noise (a lower dose) */
    if (p->thickness_mm > 0 && p->thickness_mm < 1) d->noise_hu *= sqrt(1.0 / p->thickness_mm);
}

static int in_fat(const Design *d, const double *x)
{
    double sum = 0;
    for (int k = 0; k < FAT_WAVES; k++)
        sum += sin(d->fat_wave[k][0] * x[0] + d->fat_wave[k][1] * x[1] + d->fat_wave[k][2] * x[2] + d->fat_wave[k][3]);
    return sum > d->fat_level;
}

static unsigned gcd(unsigned a, unsigned b) { return b ? gcd(b, a % b) : a; }

static double smoothstep(double a, double b, double x)
{
    double t = x <= a ? 0 : x >= b ? 1 : (x - a) / (b - a);
    return t * t * (3 - 2 * t);
}

/* Perpendicular semi-axes at parameter t (0 at the top). */
static void axes(const Design *d, double t, double *a, double *b)
{
    double r = 7.5 - 1.0 * smoothstep(0.5, 0.7, t);
    double u = fabs(t - d->t_c) / d->half, c = u < 1 ? pow(cos(0.5 * PI * u), 2) : 0;
    *a = r * (1 - c) + d->a_l * c;
    *b = r * (1 - c) + d->b_l * c;
}

static double artery_distance2(const Design *d, const double *x)
{
    double v[3] = {x[0] - d->artery_point[0], x[1] - d->artery_point[1], x[2] - d->artery_point[2]};
    double along = v[0] * d->artery_dir[0] + v[1] * d->artery_dir[1] + v[2] * d->artery_dir[2];
    return v[0] * v[0] + v[1] * v[1] + v[2] * v[2] - along * along;
}

static int in_artery(const Design *d, const double *x) { return artery_distance2(d, x) <= ARTERY_RADIUS * ARTERY_RADIUS; }

/* The vertebral body's front (y) at x, z: rounded across; along the vein it
 * follows the vein's back wall at spine_gap, so the flattened segment lies
 * pressed against it (a promontory where the artery crosses). */
static double spine_front(const Design *d, double x, double z)
{
    double a, b, dx = x - d->spine_x;
    axes(d, fmin(1.0, fmax(0.0, -z / d->length)), &a, &b);
    return 12.0 + b + d->spine_gap + dx * dx / (2 * SPINE_CURVE_MM);
}

enum { NOT_BONE, CORTEX, CANCELLOUS };
static int in_spine(const Design *d, const double *x)
{
    if (fabs(x[0] - d->spine_x) > SPINE_HALF_WIDTH) return NOT_BONE;
    double f = spine_front(d, x[0], x[2]);
    if (x[1] < f || x[1] > f + SPINE_DEPTH) return NOT_BONE;
    return x[1] < f + CORTEX_MM || fabs(x[0] - d->spine_x) > SPINE_HALF_WIDTH - CORTEX_MM ? CORTEX : CANCELLOUS;
}

/* The vein's ellipse, indented by the artery (the two lumens never touch,
 * their walls keep WALL_MM between them). The spine needs no test here: its
 * front follows the ellipse's back wall at spine_gap (spine_front). */
static int in_vein(const Design *d, const double *x)
{
    double t = -x[2] / d->length;
    if (t < 0 || t > 1) return 0;
    double a, b, cos_tilt = 1.0 / sqrt(1.0 + d->slope_x * d->slope_x);
    axes(d, t, &a, &b);
    double dx = (x[0] - (4.0 + 18.0 * t)) * cos_tilt, dy = x[1] - 12.0;
    if ((dx / a) * (dx / a) + (dy / b) * (dy / b) > 1.0) return 0;
    return artery_distance2(d, x) > (ARTERY_RADIUS + WALL_MM) * (ARTERY_RADIUS + WALL_MM);
}

/* The right common iliac vein: round, running down and to the patient's
 * right from the confluence (where it merges with the left, z = 0), 2-4 mm
 * from the flattened left vein's tip, and lying under the artery like
 * the left (it yields to it). Not measured: only a neighbour at lumen HU. */
#define RIGHT_RADIUS 7.0
static int in_right_vein(const Design *d, const double *x)
{
    double t = -x[2] / d->length;
    if (t < 0 || t > 1) return 0;
    double dx = x[0] - (-4.5 - 18.0 * t), dy = x[1] - 13.0;
    if (dx * dx + dy * dy > RIGHT_RADIUS * RIGHT_RADIUS) return 0;
    return artery_distance2(d, x) > (ARTERY_RADIUS + WALL_MM) * (ARTERY_RADIUS + WALL_MM);
}

/* What lies at x; the HU of each. */
enum { TISSUE, FAT, VEIN, ARTERY, CORTEX_BONE, CANCELLOUS_BONE, MATERIALS };
static int material(const Design *d, const double *x)
{
    if (in_vein(d, x) || in_right_vein(d, x)) return VEIN;
    if (in_artery(d, x)) return ARTERY;
    int bone = in_spine(d, x);
    if (bone) return bone == CORTEX ? CORTEX_BONE : CANCELLOUS_BONE;
    /* the wall between artery and vein stays soft tissue */
    if (in_fat(d, x) && artery_distance2(d, x) > (ARTERY_RADIUS + WALL_MM) * (ARTERY_RADIUS + WALL_MM)) return FAT;
    return TISSUE;
}

/* The HU of a voxel holding these fractions of each material. */
static double mixed_hu(const Design *d, const double *f)
{
    return HU_TISSUE * (1 - f[VEIN] - f[ARTERY] - f[CORTEX_BONE] - f[CANCELLOUS_BONE] - f[FAT]) + HU_FAT * f[FAT] +
           d->hu_vein * f[VEIN] + d->hu_artery * f[ARTERY] + HU_CORTEX * f[CORTEX_BONE] +
           HU_CANCELLOUS * f[CANCELLOUS_BONE];
}

static double gaussian(uint64_t *s)
{
    return sqrt(-2 * log(fmax(uniform(s), 1e-300))) * cos(2 * PI * uniform(s));
}

/* The scanner's blur of one slice, n x n in place (tmp: n x n): a
 * separable Gaussian of sigma_px, edges clamped. */
#define BLUR_REACH 3
static void blur_slice(double *img, double *tmp, unsigned n, double sigma_px)
{
    double k[2 * BLUR_REACH + 1], sum = 0;
    for (int i = -BLUR_REACH; i <= BLUR_REACH; i++) sum += k[i + BLUR_REACH] = exp(-0.5 * i * i / (sigma_px * sigma_px));
    for (int i = 0; i <= 2 * BLUR_REACH; i++) k[i] /= sum;
    for (int pass = 0; pass < 2; pass++) {
        const double *src = pass ? tmp : img;
        double *dst = pass ? img : tmp;
        for (unsigned j = 0; j < n; j++)
            for (unsigned i = 0; i < n; i++) {
                double v = 0;
                for (int t = -BLUR_REACH; t <= BLUR_REACH; t++) {
                    int a = (int)(pass ? j : i) + t;
                    a = a < 0 ? 0 : a >= (int)n ? (int)n - 1 : a;
                    v += k[t + BLUR_REACH] * (pass ? src[(size_t)a * n + i] : src[(size_t)j * n + a]);
                }
                dst[(size_t)j * n + i] = v;
            }
    }
}

/* In-plane point spread of 1.4 pixels FWHM (a soft-tissue kernel at
 * the pixel size the field of view was chosen for): the pixel's own box
 * (sigma 1/sqrt(12)) and this Gaussian. */
#define PSF_FWHM_PX 1.4
#define SLICE_SAMPLES 6 /* across the slice profile, within +-1 thickness */
static double blur_sigma_px(void) { return sqrt(pow(PSF_FWHM_PX / 2.3548, 2) - 1.0 / 12); }

/* Slice k's HU at clinical resolution (thickness_mm > 0): each pixel the
 * mean of 2x2 points in-plane by SLICE_SAMPLES along the slice profile (a
 * Gaussian of the thickness as FWHM), blurred; then noise blurred as much
 * and scaled back to the seed's level. */
static void clinical_slice(const LqpCtParams *p, const Design *d, double z, uint64_t *noise, double *img, double *tmp,
                           double *grain)
{
    const unsigned n = p->size;
    const double sigma_z = p->thickness_mm / 2.3548;
    double zoff[SLICE_SAMPLES], zw[SLICE_SAMPLES], wsum = 0;
    for (int s = 0; s < SLICE_SAMPLES; s++) {
        zoff[s] = ((s + 0.5) / SLICE_SAMPLES * 2 - 1) * p->thickness_mm;
        wsum += zw[s] = exp(-0.5 * zoff[s] * zoff[s] / (sigma_z * sigma_z));
    }
    for (unsigned j = 0; j < n; j++)
        for (unsigned i = 0; i < n; i++) {
            double f[MATERIALS] = {0};
            for (int s = 0; s < 4 * SLICE_SAMPLES; s++) {
                double x[3] = {ORIGIN_XY + (i + ((s & 1) ? 0.25 : -0.25)) * p->pixel_mm,
                               ORIGIN_XY + (j + ((s & 2) ? 0.25 : -0.25)) * p->pixel_mm, z + zoff[s / 4]};
                f[material(d, x)] += 0.25 * zw[s / 4] / wsum;
            }
            img[(size_t)j * n + i] = mixed_hu(d, f);
        }
    const double sigma = blur_sigma_px();
    blur_slice(img, tmp, n, sigma);
    for (size_t k = 0; k < (size_t)n * n; k++) grain[k] = gaussian(noise);
    blur_slice(grain, tmp, n, sigma);
    /* a blurred unit noise keeps sqrt(sum of the kernel's squares) of its
     * deviation; scaled back, the seed's noise level holds */
    double sum = 0, sum2 = 0;
    for (int t = -BLUR_REACH; t <= BLUR_REACH; t++) sum += exp(-0.5 * t * t / (sigma * sigma));
    for (int t = -BLUR_REACH; t <= BLUR_REACH; t++) sum2 += pow(exp(-0.5 * t * t / (sigma * sigma)) / sum, 2);
    const double gain = d->noise_hu / sum2; /* two axes: (sqrt(sum2))^2 */
    for (size_t k = 0; k < (size_t)n * n; k++) img[k] += gain * grain[k];
}

int lqp_ct_in_vein(const LqpCtParams *p, const double x[3])
{
    Design d;
    design(p, &d);
    return in_vein(&d, x);
}

void lqp_ct_axis(const LqpCtParams *p, double dir[3])
{
    Design d;
    design(p, &d);
    double n = sqrt(1 + d.slope_x * d.slope_x);
    dir[0] = d.slope_x / n, dir[1] = 0, dir[2] = -1 / n;
}

/* The vein's section by the plane through `point` spanned by u, w (within
 * 12 mm, 0.05 mm grid): its area and, if mld is given, its minimal Feret
 * diameter (smallest width over 1-degree steps; the artery and the spine
 * indent the ellipse, so twice its semi-axis is not the truth). */
#define TRUTH_PITCH 0.05
#define TRUTH_HALF 12.0
static double section_truth(const Design *d, const double point[3], const double u[3], const double w[3], double *mld)
{
    long inside = 0;
    double lo[180], hi[180], cs[180][2];
    for (int k = 0; k < 180; k++) {
        lo[k] = INFINITY, hi[k] = -INFINITY;
        cs[k][0] = cos(k * PI / 180), cs[k][1] = sin(k * PI / 180);
    }
    for (double b = -TRUTH_HALF + TRUTH_PITCH / 2; b < TRUTH_HALF; b += TRUTH_PITCH)
        for (double a = -TRUTH_HALF + TRUTH_PITCH / 2; a < TRUTH_HALF; a += TRUTH_PITCH) {
            double x[3] = {point[0] + a * u[0] + b * w[0], point[1] + a * u[1] + b * w[1],
                           point[2] + a * u[2] + b * w[2]};
            if (!in_vein(d, x)) continue;
            inside++;
            for (int k = 0; mld && k < 180; k++) {
                double t = a * cs[k][0] + b * cs[k][1];
                lo[k] = fmin(lo[k], t), hi[k] = fmax(hi[k], t);
            }
        }
    if (mld) {
        *mld = INFINITY;
        for (int k = 0; k < 180; k++) *mld = fmin(*mld, hi[k] - lo[k] + TRUTH_PITCH);
    }
    return inside * TRUTH_PITCH * TRUTH_PITCH;
}

double lqp_ct_area_in_plane(const LqpCtParams *p, const double point[3], const double u[3], const double w[3])
{
    Design d;
    design(p, &d);
    return section_truth(&d, point, u, w, NULL);
}

double lqp_ct_noise_hu(const LqpCtParams *p)
{
    Design d;
    design(p, &d);
    return d.noise_hu;
}

int lqp_ct_write_series(const LqpCtParams *p, const char *dir, LqpCtTruth *truth, char *msg, size_t msg_len)
{
    Design d;
    design(p, &d);
    if (mkdir(dir, 0755) != 0 && access(dir, W_OK) != 0) {
        snprintf(msg, msg_len, "cannot create %s", dir);
        return -1;
    }
    unsigned n = p->size;
    /* Enhanced: every frame kept for the one object, stored in the order f -> slice (f * stride) % slices */
    unsigned frames = p->slices - (p->missing >= 0 && (unsigned)p->missing < p->slices), stride = 37;
    while (p->enhanced && frames > 1 && gcd(stride, frames) != 1) stride++;
    int16_t *all = p->enhanced ? malloc((size_t)n * n * frames * sizeof *all) : NULL;
    double *positions = p->enhanced ? malloc((size_t)frames * 3 * sizeof *positions) : NULL;
    int16_t *hu = malloc((size_t)n * n * sizeof *hu);
    double *clinical = p->thickness_mm > 0 ? malloc(3 * (size_t)n * n * sizeof *clinical) : NULL;
    if (!hu || (p->enhanced && (!all || !positions)) || (p->thickness_mm > 0 && !clinical)) {
        free(hu), free(all), free(positions), free(clinical);
        snprintf(msg, msg_len, "out of memory");
        return -1;
    }
    uint64_t noise = p->seed * 0x9e3779b97f4a7c15ull + 0x51;
    char series[80], study[80];
    snprintf(study, sizeof study, "2.25.77%llu1", (unsigned long long)p->seed);
    snprintf(series, sizeof series, "2.25.77%llu2", (unsigned long long)p->seed);
    int rc = 0;
    for (unsigned k = 0, kept = 0; k < p->slices && rc == 0; k++) {
        if ((int)k == p->missing) continue;
        double z = -(double)k * p->slice_mm + 0.0; /* no -0 */
        if (clinical) {
            clinical_slice(p, &d, z, &noise, clinical, clinical + (size_t)n * n, clinical + 2 * (size_t)n * n);
            for (size_t q = 0; q < (size_t)n * n; q++) hu[q] = (int16_t)lround(fmax(-1024, fmin(3000, clinical[q])));
        } else
            for (unsigned j = 0; j < n; j++)
                for (unsigned i = 0; i < n; i++) {
                    double f[MATERIALS] = {0};
                    for (int s = 0; s < 8; s++) { /* 2x2x2 sub-voxels */
                        double x[3] = {ORIGIN_XY + (i + ((s & 1) ? 0.25 : -0.25)) * p->pixel_mm,
                                       ORIGIN_XY + (j + ((s & 2) ? 0.25 : -0.25)) * p->pixel_mm,
                                       z + ((s & 4) ? 0.25 : -0.25) * p->slice_mm};
                        f[material(&d, x)] += 0.125;
                    }
                    hu[(size_t)j * n + i] = (int16_t)lround(mixed_hu(&d, f) + d.noise_hu * gaussian(&noise));
                }
        if (p->enhanced) { /* file frame f holds slice kept = (f * stride) % frames */
            unsigned f = 0;
            while ((f * stride) % frames != kept) f++;
            memcpy(all + (size_t)f * n * n, hu, (size_t)n * n * sizeof *hu);
            positions[3 * f] = ORIGIN_XY, positions[3 * f + 1] = ORIGIN_XY, positions[3 * f + 2] = z;
            kept++;
            continue;
        }
        char sop[96], path[1024];
        snprintf(sop, sizeof sop, "%s.%u", series, k + 1);
        /* shuffled names: nothing in them follows the anatomy */
        snprintf(path, sizeof path, "%s/CT%05u.dcm", dir, (unsigned)((k * 7919u + 13u) % 99991u));
        LqpCtSlice sl = {n, n, hu, p->pixel_mm, p->thickness_mm > 0 ? p->thickness_mm : p->slice_mm, {ORIGIN_XY, ORIGIN_XY, z}, {1, 0, 0, 0, 1, 0},
                         k + 1, study, series, sop};
        rc = lqp_dicom_write_ct_slice(&sl, path, msg, msg_len);
    }
    free(hu), free(clinical);
    if (rc == 0 && p->enhanced) {
        char sop[96], path[1024];
        snprintf(sop, sizeof sop, "%s.1", series);
        snprintf(path, sizeof path, "%s/ENHANCED.dcm", dir);
        LqpCtEnhanced e = {n, n, frames, all, positions, p->pixel_mm, p->thickness_mm > 0 ? p->thickness_mm : p->slice_mm, {1, 0, 0, 0, 1, 0}, study, series, sop};
        rc = lqp_dicom_write_enhanced_ct(&e, path, msg, msg_len);
    }
    free(all), free(positions);
    if (rc == 0 && truth) lqp_ct_truth(p, truth);
    return rc;
}

void lqp_ct_truth(const LqpCtParams *p, LqpCtTruth *truth)
{
    Design d;
    design(p, &d);
    {
        double t_ref = 0.85, a, b;
        truth->lesion_point[0] = 4.0 + 18.0 * d.t_c, truth->lesion_point[1] = 12.0;
        truth->lesion_point[2] = -d.t_c * d.length;
        truth->reference_point[0] = 4.0 + 18.0 * t_ref, truth->reference_point[1] = 12.0;
        truth->reference_point[2] = -t_ref * d.length;
        /* the MLA: the smallest perpendicular section around the crossing
         * (the artery's indentation may move it off the ellipse's waist) */
        double axis[3], u[3] = {0, 1, 0}, w[3], best = INFINITY, t_best = d.t_c;
        lqp_ct_axis(p, axis);
        w[0] = axis[1] * u[2] - axis[2] * u[1], w[1] = axis[2] * u[0] - axis[0] * u[2];
        w[2] = axis[0] * u[1] - axis[1] * u[0];
        for (double t = d.t_c - d.half; t <= d.t_c + d.half; t += 0.25 / d.length) {
            double c[3] = {4.0 + 18.0 * t, 12.0, -t * d.length}, area = section_truth(&d, c, u, w, NULL);
            if (area < best) best = area, t_best = t;
        }
        double c_best[3] = {4.0 + 18.0 * t_best, 12.0, -t_best * d.length};
        truth->mla_mm2 = section_truth(&d, c_best, u, w, &truth->mld_mm);
        truth->lesion_point[0] = 4.0 + 18.0 * t_best, truth->lesion_point[2] = -t_best * d.length;
        axes(&d, t_ref, &a, &b);
        truth->reference_area_mm2 = PI * a * b;
        truth->reference_diameter_mm = 2 * sqrt(truth->reference_area_mm2 / PI);
        truth->diameter_stenosis_pct = 100 * (1 - truth->mld_mm / truth->reference_diameter_mm);
        truth->area_stenosis_pct = 100 * (1 - truth->mla_mm2 / truth->reference_area_mm2);
    }
}
