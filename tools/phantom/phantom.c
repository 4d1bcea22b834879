/* IVUS venous pullback phantom. The image is formed as an ultrasound scanner
 * would show it: an echogenicity map (lumen, wall, perivascular tissue,
 * neighbouring vessels, catheter, guidewire) times Rayleigh speckle, depth
 * attenuation, log compression to 8 bits. Blood speckle is new in every frame;
 * tissue speckle persists and evolves slowly along the pullback. */
#include "phantom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOLD_FRAME_TIME_MS 100.0 /* a stationary recording: 10 frames/s */
#define PI 3.14159265358979323846
#define LUT_N 1024              /* lumen radius lookup over angle */
#define FOV_RADIUS_MM 24.5      /* acquisition circle */
#define CATHETER_RADIUS_MM 1.45 /* 8.7 F venous; coronary catheters (--catheter) about 0.5 (3 F) */
#define SMALL_CATHETER_MM 0.5   /* --scale below 1 without --catheter: a 3 F catheter */
#define RINGDOWN_MM 0.25
#define DYNAMIC_RANGE_DB 50.0
#define AMP_MAX 3.0
#define WALL_AMP 1.45           /* vein wall echogenicity */
#define MAX_STRANDS 12          /* trabeculae: up to 4 stretches of up to 3 strands */
#define MAX_GRAIN_PASSES 4      /* --scale: a grain up to about 4 times coarser in pixels */
#define GATED_SPACING_MM 0.4     /* gated: one frame per heartbeat, this far apart */
#define GATED_KEEP 0.3          /* gated: share of a frame's tissue speckle carried to the next */
#define BEAM_TAPS 5             /* beam: field samples across the ray */

typedef struct Rng {
    uint64_t s[4];
} Rng;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void rng_seed(Rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256**: fast, good, and the same on every platform. */
static uint64_t rng_next(Rng *r)
{
    uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3], s[2] ^= t, s[3] = rotl(s[3], 45);
    return result;
}

static double uniform(Rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }
static double range(Rng *r, double lo, double hi) { return lo + (hi - lo) * uniform(r); }

/* Two independent standard normals (Box-Muller). */
static void gauss2(Rng *r, float *a, float *b)
{
    double u = uniform(r), v = uniform(r);
    double m = sqrt(-2.0 * log(u > 1e-300 ? u : 1e-300));
    *a = (float)(m * cos(2 * PI * v));
    *b = (float)(m * sin(2 * PI * v));
}

/* Smooth random function of u in [0,1], values in about [-1, 1]. */
typedef struct Wiggle {
    double amp[3], freq[3], phase[3];
} Wiggle;

static void wiggle_init(Wiggle *w, Rng *r)
{
    for (int k = 0; k < 3; k++) {
        w->amp[k] = range(r, 0.2, 0.45);
        w->freq[k] = range(r, 0.8, 3.5) * (k + 1);
        w->phase[k] = range(r, 0, 2 * PI);
    }
}

static double wiggle(const Wiggle *w, double u)
{
    double v = 0;
    for (int k = 0; k < 3; k++) v += w->amp[k] * sin(2 * PI * w->freq[k] * u + w->phase[k]);
    return v;
}

static double smoothstep(double e0, double e1, double x)
{
    double t = (x - e0) / (e1 - e0);
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    return t * t * (3 - 2 * t);
}

/* Anatomy of one frame, in mm relative to the catheter (the image centre). */
typedef struct Vessel {
    double cx, cy, R, wall, present;
} Vessel;

typedef struct Branch {
    double present, angle, half_width, length;
} Branch;

/* A trabecula: a thin strand across the lumen between two border points. */
typedef struct Strand {
    double u0, u1;          /* stretch of the pullback it spans */
    double th1, th2;        /* its ends on the border at u0 (lumen axes, rad) */
    double drift1, drift2;  /* how the ends move along the pullback (rad per mm) */
    double half_width, amp;
    double bow;             /* sag of its middle off the straight chord (mm) */
} Strand;

typedef struct Anatomy {
    double ox, oy;          /* lumen centre */
    double a, b, phi;       /* semi-axes and orientation of the lumen */
    double h3, p3, h5, p5;  /* shape harmonics */
    double wall;            /* vein wall thickness */
    double blood;           /* blood echogenicity */
    Vessel artery, node;    /* neighbouring artery (dark, blood) and a lymph node */
    Vessel vein;            /* the other iliac vein beside the confluence (hard) */
    Branch branch;          /* the internal iliac vein joining (hard) */
    int struts;             /* a stented stretch (hard) */
    double wire_angle, wire_r;
    double mx, my, rot;     /* motion: the tissue shifted by (mx, my) mm, then turned by rot about the catheter */
} Anatomy;

struct LqpPhantom {
    LqpParams p;
    double pixel_mm, frame_time_ms;
    /* design (seed-dependent) */
    double r_ivc, r_civ, r_eiv, r_cfv, ellip_civ, ellip_eiv;
    double lesion_u, lesion_half, lesion_b, lesion_a, lesion_phi;
    double blood_base, wall_base;
    double eia_angle, node_angle, node_u;
    Wiggle w_radius, w_phi, w_offp, w_offq, w_wire, w_blood;
    double ph3, ph5;
    /* hard cases (zero unless params.hard) */
    double stasis_gain, contact_gain, min_gap_mm, node_gap_mm, attenuation;
    double faint_angle, branch_u, branch_angle, strut_u0, strut_u1, strut_phase, vein_angle;
    /* breathing: every vein swells a little; a dynamic lesion opens widely */
    double breath_period_s, breath_phase, breath_swell, lesion_opening;
    /* transducer: speckle grain (side tap of the blur, 1 = ~3 pixels) and depth of view */
    double grain_tap, fov_radius_mm;
    int grain_passes;
    /* --scale: the anatomy is drawn in venous millimetres; the file states them
     * times this (pixel spacing, truth, field of view, pullback positions) */
    double scale;
    double catheter_mm;     /* outer radius of the imaging catheter */
    /* scar: per-seed layer design and this frame's thickness and gain over angle */
    double scar_mean, scar_gain, scar_gain_angle, scar_ph1, scar_ph2, scar_turn1, scar_turn2;
    int scar_sectors;       /* 0: all round */
    double scar_centre[3], scar_half[3], scar_sector_gain[3], scar_sector_turn;
    double thin_u[2], thin_half[2], thin_depth[2];
    double scar_edge_mm, scar_edge_amp; /* bright leading edge (0 mm: none) */
    Wiggle w_scar;
    double scar_t[LUT_N], scar_g[LUT_N];
    Rng scar_rng;
    float *scar_a, *scar_b; /* fine-grained tissue speckle of the layer (persistent) */
    /* trabeculae */
    Strand strand[MAX_STRANDS];
    int strands;
    /* gated and motion: heart period, cycle shape, and the motion amplitudes */
    double heart_period_s, heart_phase, heart_shape, heart_norm;
    double beat_area, breath_area, cath_mm, cath_dir, cath_ellipse, rot_rad;
    Rng gate_rng;           /* gated: fresh tissue speckle for each beat */
    LqpCapture capture;
    Rng rng;
    /* speckle */
    int n;                  /* pixels */
    float *tis_a, *tis_b;   /* complex base fields (re,im interleaved) j and j+1 */
    int tis_index;
    unsigned pause_first, pause_frames; /* pause_s: the frames held at the lesion */
    float *work, *blood;    /* scratch complex fields */
    float *texture;         /* low-frequency tissue texture (persistent) */
    /* beam: each pixel's speckle sums BEAM_TAPS field samples across its ray,
     * at these offsets (pixels) and weights (normalised to the unit
     * Rayleigh mean for the tissue and blood field and for the scar's) */
    int8_t *beam_dx, *beam_dy;
    float *beam_w, *beam_w_fine;
    double lut[LUT_N];
};

void lqp_params_default(LqpParams *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->frames = 300;
    p->size = 512;
    p->length_mm = 150.0;
    p->pullback_rate_mm_s = 1.0;
    p->timing = 1;
    p->calibration = 1;
    p->row_step = 1;
}

/* The 1-D kernel of `passes` blurs by [tap 1 tap] (its length returned):
 * the field's grain along either axis. */
static int grain_kernel(float tap, int passes, double kernel[1 + 2 * MAX_GRAIN_PASSES])
{
    double next[1 + 2 * MAX_GRAIN_PASSES];
    int len = 1;
    kernel[0] = 1;
    for (int pass = 0; pass < passes; pass++) {
        for (int j = 0; j < len + 2; j++)
            next[j] = (j >= 2 ? tap * kernel[j - 2] : 0) + (j >= 1 && j - 1 < len ? kernel[j - 1] : 0) +
                      (j < len ? tap * kernel[j] : 0);
        len += 2;
        memcpy(kernel, next, (size_t)len * sizeof *kernel);
    }
    return len;
}

/* Complex Gaussian field blurred `passes` times by [tap 1 tap] in both
 * directions: one pass at tap 1 gives a grain of about 3 pixels (scanner
 * resolution), less a finer one, 0 none; more passes a coarser one. */
static void speckle_field_tap(Rng *r, float *out, float *work, unsigned size, float tap, int passes)
{
    size_t n = (size_t)size * size;
    for (size_t i = 0; i < n; i++) gauss2(r, &work[2 * i], &work[2 * i + 1]);
    for (int pass = 0; pass < passes; pass++) {
        /* separable 3-tap blur on both components, edges clamped */
        for (unsigned y = 0; y < size; y++)
            for (unsigned x = 0; x < size; x++)
                for (int c = 0; c < 2; c++) {
                    unsigned xl = x ? x - 1 : x, xr = x + 1 < size ? x + 1 : x;
                    size_t row = (size_t)y * size;
                    out[2 * (row + x) + c] =
                        tap * work[2 * (row + xl) + c] + work[2 * (row + x) + c] + tap * work[2 * (row + xr) + c];
                }
        for (unsigned y = 0; y < size; y++)
            for (unsigned x = 0; x < size; x++)
                for (int c = 0; c < 2; c++) {
                    unsigned yu = y ? y - 1 : y, yd = y + 1 < size ? y + 1 : y;
                    work[2 * ((size_t)y * size + x) + c] = tap * out[2 * ((size_t)yu * size + x) + c] +
                                                           out[2 * ((size_t)y * size + x) + c] +
                                                           tap * out[2 * ((size_t)yd * size + x) + c];
                }
    }
    /* a weighted sum of unit-variance normals: the 1-D kernel's sum of squares
     * (1 + 2 tap^2 for one pass) per direction; scale so |z| has mean 1 (Rayleigh) */
    double kernel[1 + 2 * MAX_GRAIN_PASSES];
    int len = grain_kernel(tap, passes, kernel), mid = len / 2;
    double squares = kernel[mid] * kernel[mid];
    for (int j = 0; j < mid; j++) squares += 2 * kernel[j] * kernel[j];
    float k = (float)(1.0 / (squares * sqrt(PI / 4.0) * sqrt(2.0)));
    for (size_t i = 0; i < 2 * n; i++) out[i] = work[i] * k;
}

/* Gated: the next beat's field keeps `keep` of this one and is fresh for the
 * rest (unit variance kept, so the Rayleigh mean stays 1). */
static void evolve_field(Rng *r, float *field, float *fresh, float *work, unsigned size, float tap, int passes,
                         float keep)
{
    speckle_field_tap(r, fresh, work, size, tap, passes);
    float rest = sqrtf(1.0f - keep * keep);
    for (size_t i = 0; i < 2 * (size_t)size * size; i++) field[i] = keep * field[i] + rest * fresh[i];
}

/* The scar's speckle is finer than the other tissue's at any frequency. */
static double scar_tap(const LqpPhantom *ph) { return 0.35 * ph->grain_tap; }

/* The correlation of a speckle field made by speckle_field_tap between two
 * points `lag` pixels apart along x (or y), for every lag within the blur
 * kernel's reach (0 beyond it): the kernel's own autocorrelation (white
 * noise blurred). */
enum { MAX_KERNEL = 1 + 2 * MAX_GRAIN_PASSES };
static void field_correlation(float tap, int passes, double corr[MAX_KERNEL])
{
    double kernel[MAX_KERNEL];
    int len = grain_kernel(tap, passes, kernel);
    double same = 0;
    for (int j = 0; j < len; j++) same += kernel[j] * kernel[j];
    for (int lag = 0; lag < MAX_KERNEL; lag++) {
        double shifted = 0;
        for (int j = 0; j + lag < len; j++) shifted += kernel[j] * kernel[j + lag];
        corr[lag] = shifted / same;
    }
}

/* Beam-shaped speckle: a transducer resolves finely along its ray (the pulse
 * length) and coarsely across it (the beam width, which grows with depth), so
 * real IVUS speckle is a grain along the ray and 1.5-4 grains across it (a
 * real echo sector scan in the shared data: 2.7 pixels along the beam, 4.2
 * across it near the probe, 6.0 deeper; bench-grain, docs/phantom.md). Each pixel sums BEAM_TAPS samples of the
 * isotropic field across its ray, spread over the lateral grain at its depth;
 * the sum is normalised with the field's own correlation between the samples so
 * the mean amplitude stays that of unit Rayleigh speckle. The catheter sits at
 * the image centre in every frame, so the table is built once. */
static int beam_design(LqpPhantom *ph)
{
    const unsigned size = ph->p.size;
    const size_t n = (size_t)size * size;
    ph->beam_dx = malloc(BEAM_TAPS * n), ph->beam_dy = malloc(BEAM_TAPS * n);
    ph->beam_w = malloc(BEAM_TAPS * n * sizeof(float)), ph->beam_w_fine = malloc(BEAM_TAPS * n * sizeof(float));
    if (!ph->beam_dx || !ph->beam_dy || !ph->beam_w || !ph->beam_w_fine) return 0;
    double corr[2][MAX_KERNEL]; /* the tissue and blood field's, the scar's */
    field_correlation((float)ph->grain_tap, ph->grain_passes, corr[0]);
    field_correlation((float)scar_tap(ph), ph->grain_passes, corr[1]);
    const double grain_px = 1.0 + 2.0 * ph->grain_tap * ph->grain_passes, c0 = (size - 1) * 0.5;
    for (unsigned y = 0; y < size; y++)
        for (unsigned x = 0; x < size; x++) {
            size_t k = (size_t)y * size + x;
            double X = x - c0, Y = y - c0, rc = hypot(X, Y), depth_mm = rc * ph->pixel_mm * ph->scale;
            double across = grain_px * fmin(4.0, fmax(1.0, 1.2 + 0.3 * depth_mm)); /* lateral grain, pixels */
            double step = across / (BEAM_TAPS - 1), ex = rc > 0 ? -Y / rc : 0, ey = rc > 0 ? X / rc : 0;
            int dx[BEAM_TAPS], dy[BEAM_TAPS];
            double w[BEAM_TAPS];
            for (int j = 0; j < BEAM_TAPS; j++) {
                double t = (j - BEAM_TAPS / 2) * step;
                long px = lround(x + t * ex), py = lround(y + t * ey);
                px = px < 0 ? 0 : px > (long)size - 1 ? (long)size - 1 : px;
                py = py < 0 ? 0 : py > (long)size - 1 ? (long)size - 1 : py;
                dx[j] = (int)(px - (long)x), dy[j] = (int)(py - (long)y);
                double z = (j - BEAM_TAPS / 2) / (0.5 * (BEAM_TAPS - 1)); /* -1..1 across the beam */
                w[j] = exp(-1.5 * z * z);
            }
            for (int f = 0; f < 2; f++) {
                double var = 0;
                for (int j = 0; j < BEAM_TAPS; j++)
                    for (int l = 0; l < BEAM_TAPS; l++) {
                        int lx = abs(dx[j] - dx[l]), ly = abs(dy[j] - dy[l]);
                        if (lx < MAX_KERNEL && ly < MAX_KERNEL) var += w[j] * w[l] * corr[f][lx] * corr[f][ly];
                    }
                float *out = f ? ph->beam_w_fine : ph->beam_w;
                for (int j = 0; j < BEAM_TAPS; j++) out[BEAM_TAPS * k + j] = (float)(w[j] / sqrt(var));
            }
            for (int j = 0; j < BEAM_TAPS; j++) ph->beam_dx[BEAM_TAPS * k + j] = (int8_t)dx[j], ph->beam_dy[BEAM_TAPS * k + j] = (int8_t)dy[j];
        }
    return 1;
}

double lqp_gated_length_mm(unsigned frames) { return GATED_SPACING_MM * (frames > 1 ? frames - 1 : 1); }

double lqp_pixel_mm(const LqpPhantom *ph) { return ph->pixel_mm * ph->scale; }
double lqp_frame_time_ms(const LqpPhantom *ph) { return ph->frame_time_ms; }
double lqp_pullback_rate_mm_s(const LqpPhantom *ph) { return ph->p.hold_lesion ? 0.0 : ph->p.pullback_rate_mm_s; }
/* The frame index along the moving pullback: frames of a pause repeat the
 * place where it began. */
static unsigned moving_index(const LqpPhantom *ph, unsigned i)
{
    if (i < ph->pause_first) return i;
    return i < ph->pause_first + ph->pause_frames ? ph->pause_first : i - ph->pause_frames;
}

double lqp_position_mm(const LqpPhantom *ph, unsigned i)
{
    if (ph->p.hold_lesion) return 0.0;
    if (ph->pause_frames) i = moving_index(ph, i); /* where the catheter really is */
    return (double)i * ph->p.pullback_rate_mm_s * ph->frame_time_ms / 1000.0;
}

static double u_along(const LqpPhantom *ph, unsigned i);

/* The place along the vein of frame i: a second pullback (shift_mm) starts further along. */
static double u_of(const LqpPhantom *ph, unsigned i)
{
    double u = u_along(ph, i);
    return ph->p.shift_mm != 0 ? u + ph->p.shift_mm / ph->p.length_mm : u;
}

static double u_along(const LqpPhantom *ph, unsigned i)
{
    if (ph->p.hold_lesion) return ph->lesion_u;
    if (ph->pause_frames) return (double)moving_index(ph, i) / (ph->p.frames - ph->pause_frames - 1);
    return ph->p.frames > 1 ? (double)i / (ph->p.frames - 1) : 0.0;
}

/* 0 for a 10-20 MHz transducer, 1 for 40-60 MHz, linear between. */
static double transducer_high(double mhz)
{
    double f = (mhz - 20.0) / 20.0;
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

/* One cardiac cycle as a function of its phase: a smooth periodic swing in
 * [-1, 1], made unequal (quick systole, slow diastole) by a second harmonic. */
static double heartbeat(const LqpPhantom *ph, double phase)
{
    return (sin(phase) + 0.35 * sin(2 * phase + ph->heart_shape)) / ph->heart_norm;
}

static void scar_design(LqpPhantom *ph, Rng *sr)
{
    ph->scar_mean = range(sr, 0.8, 1.4); /* varied by -45..+45 % and kept within 0.5-2 mm */
    wiggle_init(&ph->w_scar, sr);
    ph->scar_ph1 = range(sr, 0, 2 * PI), ph->scar_ph2 = range(sr, 0, 2 * PI);
    ph->scar_turn1 = range(sr, -3, 3), ph->scar_turn2 = range(sr, -3, 3);
    ph->scar_gain = range(sr, 1.35, 1.85), ph->scar_gain_angle = range(sr, 0, 2 * PI);
    if (uniform(sr) < 0.65) { /* 1-3 sectors, 60-200 deg in all; otherwise all round */
        ph->scar_sectors = 1 + (int)(3 * uniform(sr));
        double total = range(sr, 60, 200) * PI / 180, c0 = range(sr, 0, 2 * PI), w[3], sum = 0;
        for (int k = 0; k < ph->scar_sectors; k++) sum += w[k] = range(sr, 0.5, 1.5);
        for (int k = 0; k < ph->scar_sectors; k++) {
            ph->scar_half[k] = 0.5 * total * w[k] / sum;
            ph->scar_centre[k] = c0 + 2 * PI * k / ph->scar_sectors + range(sr, -0.4, 0.4);
            ph->scar_sector_gain[k] = range(sr, 1.2, 2.0);
        }
        ph->scar_sector_turn = range(sr, -1, 1);
    }
    int thins = (int)(3 * uniform(sr)); /* stretches where the layer thins out */
    for (int k = 0; k < thins; k++)
        ph->thin_u[k] = range(sr, 0.05, 0.95), ph->thin_half[k] = range(sr, 0.02, 0.05),
        ph->thin_depth[k] = range(sr, 0.6, 0.85);
    if (uniform(sr) < 0.5) ph->scar_edge_mm = range(sr, 0.05, 0.1), ph->scar_edge_amp = WALL_AMP * range(sr, 0.8, 1.0);
}

/* 2-4 stretches of 5-20 mm, each with 1-3 strands across the lumen. Each
 * stretch lies in its own share of the pullback, so no more than 3 strands
 * are seen at once; a short pullback has fewer, shorter stretches. */
static void strand_design(LqpPhantom *ph, Rng *tr)
{
    int stretches = 2 + (int)(3 * uniform(tr));
    while (stretches > 1 && ph->p.length_mm / stretches < 5) stretches--;
    double slot = 1.0 / stretches;
    for (int s = 0; s < stretches; s++) {
        double span = fmin(slot, range(tr, 5, 20) / ph->p.length_mm), u0 = s * slot + range(tr, 0, slot - span);
        int n = 1 + (int)(3 * uniform(tr));
        for (int k = 0; k < n && ph->strands < MAX_STRANDS; k++) {
            Strand *st = &ph->strand[ph->strands++];
            st->u0 = u0 + range(tr, 0, 0.15) * span, st->u1 = u0 + span - range(tr, 0, 0.15) * span;
            st->th1 = range(tr, 0, 2 * PI);
            st->th2 = st->th1 + (uniform(tr) < 0.5 ? 1 : -1) * range(tr, 1.1, 2.7);
            st->drift1 = range(tr, -0.07, 0.07), st->drift2 = range(tr, -0.07, 0.07); /* up to 4 deg/mm */
            st->half_width = 0.5 * range(tr, 0.1, 0.25);
            st->amp = WALL_AMP * range(tr, 0.5, 1.0);
            st->bow = range(tr, -0.5, 0.5);
        }
    }
}

static void capture_design(LqpCapture *c, Rng *cr)
{
    static const uint8_t dull[3][3] = {{40, 60, 140}, {70, 45, 105}, {35, 80, 90}};
    c->ring_mm = range(cr, 3, 8);
    c->mask_mm = range(cr, 1.6, 2.2);
    int colour = uniform(cr) < 0.5, which = (int)(3 * uniform(cr)) % 3;
    for (int k = 0; k < 3; k++) c->mask_rgb[k] = colour ? dull[which][k] : 0;
    c->cross_px = uniform(cr) < 0.5 ? 1 : 2;
    c->tick_grey = (uint8_t)lround(range(cr, 190, 255));
    c->caliper_angle = range(cr, 0, PI);
    c->label_angle = range(cr, 0, 2 * PI);
}

/* in the file's millimetres; the mask keeps its margin over the catheter */
void lqp_capture_design(const LqpPhantom *ph, LqpCapture *c)
{
    *c = ph->capture;
    if (ph->catheter_mm != CATHETER_RADIUS_MM) c->mask_mm += ph->catheter_mm - CATHETER_RADIUS_MM;
    c->mask_mm *= ph->scale;
    c->ring_mm *= ph->scale;
}

int lqp_new(const LqpParams *p, LqpPhantom **out)
{
    *out = NULL;
    if (p->frames < 1 || p->frames > 100000 || p->size < 64 || p->size > 4096 || !(p->length_mm > 0) ||
        !(p->pullback_rate_mm_s > 0) || (p->transducer_mhz != 0 && !(p->transducer_mhz >= 10 && p->transducer_mhz <= 60)) ||
        (p->gated && p->motion) || (p->scale != 0 && !(p->scale >= 0.15 && p->scale <= 1)) ||
        (p->hold_lesion && (p->gated || p->motion)) ||
        (p->pause_s > 0 && (p->gated || p->motion || p->hold_lesion)) || p->pause_s < 0 || p->narrowings > 4 ||
        p->breathing < 0 || !(p->phase >= -0.9 && p->phase <= 3) || fabs(p->shift_mm) > 50)
        return LQ_ERR_USAGE;
    LqpPhantom *ph = calloc(1, sizeof *ph);
    if (!ph) return LQ_ERR_INTERNAL;
    ph->p = *p;
    ph->pixel_mm = 51.2 / p->size;
    ph->fov_radius_mm = FOV_RADIUS_MM;
    ph->grain_tap = 1.0;
    ph->grain_passes = 1;
    ph->scale = p->scale > 0 ? p->scale : 1.0;
    /* the catheter keeps its real size (a small vessel is imaged by a coronary
     * catheter) and the speckle grain grows in pixels as they shrink */
    double catheter = p->catheter_mm > 0 ? p->catheter_mm : ph->scale < 1 ? SMALL_CATHETER_MM : CATHETER_RADIUS_MM;
    ph->catheter_mm = catheter / ph->scale;
    ph->grain_passes = (int)fmin(MAX_GRAIN_PASSES, lround(1.0 / sqrt(ph->scale)));
    ph->p.length_mm = p->length_mm / ph->scale;
    if (p->transducer_mhz > 0) {
        /* a higher frequency sees less deep; the display zooms so the view fills the image as before */
        double f = transducer_high(p->transducer_mhz);
        ph->fov_radius_mm = FOV_RADIUS_MM + (12.0 - FOV_RADIUS_MM) * f;
        ph->pixel_mm = 51.2 * (ph->fov_radius_mm / FOV_RADIUS_MM) / p->size;
        /* and resolves finer: ~3 pixels of grain up to 20 MHz, ~1.5 at 40, ~1 at 60 */
        ph->grain_tap = p->transducer_mhz <= 40 ? 1.0 - 0.6 * f : 0.4 - 0.2 * (p->transducer_mhz - 40) / 20;
    }
    double step = p->frames > 1 ? p->length_mm / (p->frames - 1) : 0.5; /* as stated: real millimetres */
    ph->frame_time_ms = 1000.0 * step / p->pullback_rate_mm_s;
    for (int k = 0; p->pause_s > 0 && k < 8; k++) { /* the pause's frames and the moving ones' spacing */
        unsigned moving = p->frames - ph->pause_frames;
        if (moving < 2) {
            free(ph);
            return LQ_ERR_USAGE;
        }
        step = p->length_mm / (moving - 1);
        ph->frame_time_ms = 1000.0 * step / p->pullback_rate_mm_s;
        ph->pause_frames = (unsigned)lround(1000.0 * p->pause_s / ph->frame_time_ms);
        if (ph->pause_frames + 2 > p->frames) {
            free(ph);
            return LQ_ERR_USAGE;
        }
    }
    /* The heart, from its own stream: gated frames lie one RR interval apart;
     * an ungated recording runs at 30 frames/s and moves with each beat. The
     * stated rate is then the frame spacing over the frame time. */
    Rng hs;
    rng_seed(&hs, p->seed * 0x8cb92ba72f3d8dd7ull + 0x4ea27);
    double bpm = range(&hs, 60, 90);
    ph->heart_phase = range(&hs, 0, 2 * PI), ph->heart_shape = range(&hs, 0, 2 * PI);
    ph->beat_area = range(&hs, 0.04, 0.07), ph->breath_area = range(&hs, 0.03, 0.05);
    if (ph->beat_area + ph->breath_area > 0.1) { /* the lumen area within +-10 % */
        double k = 0.1 / (ph->beat_area + ph->breath_area);
        ph->beat_area *= k, ph->breath_area *= k;
    }
    ph->cath_mm = range(&hs, 0.2, 0.4), ph->cath_dir = range(&hs, 0, 2 * PI), ph->cath_ellipse = range(&hs, 0.3, 0.8);
    ph->rot_rad = range(&hs, 2, 4) * PI / 180;
    ph->heart_norm = 1;
    double peak = 0;
    for (int k = 0; k < 512; k++) peak = fmax(peak, fabs(heartbeat(ph, 2 * PI * k / 512)));
    ph->heart_norm = peak;
    if (p->gated || p->motion) {
        ph->heart_period_s = 60.0 / bpm;
        ph->frame_time_ms = p->gated ? 1000.0 * ph->heart_period_s : 1000.0 / 30.0;
        ph->p.pullback_rate_mm_s = 1000.0 * step / ph->frame_time_ms;
    }
    if (p->hold_lesion) ph->frame_time_ms = HOLD_FRAME_TIME_MS;
    rng_seed(&ph->gate_rng, p->seed * 0xff51afd7ed558ccdull + 0x6a7ed);
    Rng *r = &ph->rng;
    rng_seed(r, p->seed * 0x2545f4914f6cdd1dull + 17);
    /* Venous calibres after Raju, varied per seed (mm, radius). */
    ph->r_ivc = range(r, 9.5, 11.0);
    ph->r_civ = range(r, 7.4, 8.2);
    ph->r_eiv = range(r, 6.6, 7.4);
    ph->r_cfv = range(r, 5.6, 6.3);
    ph->ellip_civ = range(r, 1.05, 1.25);
    ph->ellip_eiv = range(r, 1.03, 1.18);
    /* May-Thurner: the CIV flattened by the crossing artery. */
    ph->lesion_u = range(r, 0.19, 0.27);
    if (ph->pause_frames) ph->pause_first = (unsigned)lround(ph->lesion_u * (p->frames - ph->pause_frames - 1));
    ph->lesion_half = range(r, 0.045, 0.07);
    ph->lesion_b = range(r, 1.85, 2.4);
    ph->lesion_a = range(r, 7.5, 9.0);
    ph->lesion_phi = range(r, 0, PI);
    ph->blood_base = range(r, 0.11, 0.17);
    ph->wall_base = range(r, 0.55, 0.95);
    ph->eia_angle = range(r, 0, 2 * PI);
    ph->node_angle = range(r, 0, 2 * PI);
    ph->node_u = range(r, 0.5, 0.7);
    ph->ph3 = range(r, 0, 2 * PI);
    ph->ph5 = range(r, 0, 2 * PI);
    wiggle_init(&ph->w_radius, r);
    wiggle_init(&ph->w_phi, r);
    wiggle_init(&ph->w_offp, r);
    wiggle_init(&ph->w_offq, r);
    wiggle_init(&ph->w_wire, r);
    wiggle_init(&ph->w_blood, r);
    ph->stasis_gain = 0.45, ph->contact_gain = 1.0, ph->min_gap_mm = 0.12, ph->node_gap_mm = 1.4;
    ph->attenuation = 0.025;
    if (p->hard) {
        /* drawn from their own stream: the normal phantom of a seed is unchanged */
        Rng hr;
        rng_seed(&hr, p->seed * 0x9e3779b97f4a7c15ull + 0x5eed);
        ph->lesion_b = range(&hr, 1.62, 1.85);  /* 5:1 and more, the catheter nearly touching */
        ph->lesion_a = range(&hr, 8.5, 10.0);
        ph->blood_base = range(&hr, 0.2, 0.28);  /* echogenic blood, about -11 dB under tissue */
        ph->stasis_gain = 0.8;
        ph->contact_gain = 1.9;                  /* the catheter against the wall */
        ph->min_gap_mm = 0.02;
        ph->node_gap_mm = 0.3;
        ph->attenuation = 0.05;
        ph->faint_angle = range(&hr, 0, 2 * PI);
        ph->branch_u = range(&hr, 0.41, 0.44);
        ph->branch_angle = range(&hr, 0, 2 * PI);
        ph->strut_u0 = range(&hr, 0.62, 0.66);
        ph->strut_u1 = ph->strut_u0 + 0.08;
        ph->strut_phase = range(&hr, 0, 2 * PI);
        ph->vein_angle = range(&hr, 0, 2 * PI);
    }
    /* A catheter of real size in a scaled-down vessel: the flattened lesion
     * still leaves it room, and a lumen beyond its ring-down (0.4 mm), so
     * that the lesion can be measured at all. */
    if (ph->scale < 1) ph->lesion_b = fmax(ph->lesion_b, ph->catheter_mm + 0.4 / ph->scale);
    for (unsigned k = 0; k < p->narrowings; k++) {
        /* the CIV narrowing is the lesion, of the given area ratio (against the
         * CIV's r^2 = a b) and extent; its major axis as drawn */
        const struct LqpNarrowing *n = &p->narrowing[k];
        if (n->vein != LQ_SITE_CIV) continue;
        ph->lesion_b = fmax(n->ratio * ph->r_civ * ph->r_civ / ph->lesion_a, ph->catheter_mm + 0.3);
        ph->lesion_half = 0.5 * n->length_mm / ph->p.length_mm;
    }
    /* Breathing, from its own stream too. A fixed lesion barely moves with it
     * (the artery holds it); the hard phantom gives every vein a slight swell
     * so that a static study is not perfectly still. A dynamic lesion's minor
     * axis opens by 80-160 % at inspiration (positional/respiratory change). */
    Rng br;
    rng_seed(&br, p->seed * 0xd1b54a32d192ed03ull + 0xb4ea7);
    ph->breath_period_s = range(&br, 3.5, 5.0);
    ph->breath_phase = range(&br, 0, 2 * PI);
    double opening = range(&br, 0.8, 1.6);
    ph->breath_swell = (p->hard || p->dynamic || p->breathing > 0) && !p->motion ? 0.03 : 0.0; /* motion has its own */
    ph->lesion_opening = p->breathing > 0 ? p->breathing : p->dynamic ? opening : 0.0;
    if (p->transducer_mhz > 0) {
        /* blood scatters steeply more with frequency: nearly anechoic at 10-20 MHz,
         * about -10 to -7 dB under tissue at 40-60 MHz (interpolated in dB between) */
        Rng tr;
        rng_seed(&tr, p->seed * 0xa0761d6478bd642full + 0x7a5d);
        double f = transducer_high(p->transducer_mhz), low = range(&tr, 0.03, 0.07), high = range(&tr, 0.25, 0.45);
        ph->blood_base = low * pow(high / low, f);
        ph->attenuation = fmax(ph->attenuation, 0.025 + (0.07 - 0.025) * f);
    }
    if (p->scar) {
        Rng sr;
        rng_seed(&sr, p->seed * 0xe7037ed1a0b428dbull + 0x5ca7);
        scar_design(ph, &sr);
        rng_seed(&ph->scar_rng, p->seed * 0x8ebc6af09c88c6e3ull + 0xf1e1d);
    }
    if (p->trabeculae) {
        Rng tr;
        rng_seed(&tr, p->seed * 0xc2b2ae3d27d4eb4full + 0x7eab);
        strand_design(ph, &tr);
    }
    if (p->capture) {
        Rng cr;
        rng_seed(&cr, p->seed * 0x9fb21c651e98df25ull + 0xca97);
        capture_design(&ph->capture, &cr);
    }

    ph->n = (int)(p->size * p->size);
    size_t n = (size_t)ph->n;
    ph->tis_a = malloc(2 * n * sizeof(float));
    ph->tis_b = malloc(2 * n * sizeof(float));
    ph->work = malloc(2 * n * sizeof(float));
    ph->blood = malloc(2 * n * sizeof(float));
    ph->texture = malloc(n * sizeof(float));
    if (p->scar) ph->scar_a = malloc(2 * n * sizeof(float)), ph->scar_b = malloc(2 * n * sizeof(float));
    if (!ph->tis_a || !ph->tis_b || !ph->work || !ph->blood || !ph->texture || (p->scar && (!ph->scar_a || !ph->scar_b)) ||
        (p->beam && !beam_design(ph))) {
        lqp_free(&ph);
        return LQ_ERR_INTERNAL;
    }
    speckle_field_tap(r, ph->tis_a, ph->work, p->size, (float)ph->grain_tap, ph->grain_passes);
    speckle_field_tap(r, ph->tis_b, ph->work, p->size, (float)ph->grain_tap, ph->grain_passes);
    if (p->scar) {
        speckle_field_tap(&ph->scar_rng, ph->scar_a, ph->work, p->size, (float)scar_tap(ph), ph->grain_passes);
        speckle_field_tap(&ph->scar_rng, ph->scar_b, ph->work, p->size, (float)scar_tap(ph), ph->grain_passes);
    }
    ph->tis_index = 0;
    /* Low-frequency texture of perivascular tissue (fat lobules, fascia). */
    double kx[4], ky[4], kp[4];
    for (int k = 0; k < 4; k++) kx[k] = range(r, -0.9, 0.9), ky[k] = range(r, -0.9, 0.9), kp[k] = range(r, 0, 2 * PI);
    for (unsigned y = 0; y < p->size; y++)
        for (unsigned x = 0; x < p->size; x++) {
            double v = 0, X = x * ph->pixel_mm, Y = y * ph->pixel_mm;
            for (int k = 0; k < 4; k++) v += sin(kx[k] * X + ky[k] * Y + kp[k]);
            ph->texture[(size_t)y * p->size + x] = (float)(1.0 + 0.1 * v);
        }
    *out = ph;
    return LQ_OK;
}

void lqp_free(LqpPhantom **ph)
{
    if (!ph || !*ph) return;
    free((*ph)->tis_a), free((*ph)->tis_b), free((*ph)->work), free((*ph)->blood), free((*ph)->texture);
    free((*ph)->scar_a), free((*ph)->scar_b);
    free((*ph)->beam_dx), free((*ph)->beam_dy), free((*ph)->beam_w), free((*ph)->beam_w_fine);
    free(*ph);
    *ph = NULL;
}

/* Narrowed segments besides the lesion: centred in their vein, clear of
 * the May-Thurner lesion (u 0.12-0.34), the straight EIV's reference
 * stretch beyond 0.58 and the confluences (docs/phantom.md). */
double lqp_narrowing_centre(int vein)
{
    return vein == LQ_SITE_IVC ? 0.02 : vein == LQ_SITE_EIV ? 0.50 : vein == LQ_SITE_CFV ? 0.93 : 0.23;
}

int lqp_parse_narrowing(const char *arg, struct LqpNarrowing *n)
{
    char vein[8];
    int used = 0;
    if (sscanf(arg, "%7[a-z]:%lf:%lf%n", vein, &n->ratio, &n->length_mm, &used) != 3 || arg[used]) return 0;
    n->vein = lq_site_from_name(vein);
    return n->vein > 0 && n->ratio >= 0.2 && n->ratio <= 0.9 && n->length_mm >= 2 && n->length_mm <= 40;
}

/* 1 at a narrowing's centre, 0 beyond its half-length (u), as the lesion's. */
static double bell(double u, double centre, double half)
{
    double t = fabs(u - centre) / half;
    if (t >= 1) return 0;
    double c = cos(0.5 * PI * t);
    return c * c;
}

/* The IVC, EIV and CFV narrowings at u: the lumen's area times f, partly
 * flattened (as scar and compression do): the minor axis times f^(3/4),
 * the major times f^(1/4). */
static void narrowed(const LqpPhantom *ph, double u, double *major, double *minor)
{
    *major = *minor = 1;
    for (unsigned k = 0; k < ph->p.narrowings; k++) {
        const struct LqpNarrowing *n = &ph->p.narrowing[k];
        if (n->vein == LQ_SITE_CIV) continue; /* the lesion itself */
        double f = 1 - (1 - n->ratio) * bell(u, lqp_narrowing_centre(n->vein), 0.5 * n->length_mm / ph->p.length_mm);
        *major *= pow(f, 0.25), *minor *= pow(f, 0.75);
    }
}

/* Lesion compression profile: 1 at the lesion centre, 0 outside. */
static double compression(const LqpPhantom *ph, double u)
{
    double t = fabs(u - ph->lesion_u) / ph->lesion_half;
    if (t >= 1) return 0;
    double c = cos(0.5 * PI * t);
    return c * c;
}

/* Lumen radius at angle th (relative to the lumen axes) for semi-axes a, b. */
static double lumen_radius(const Anatomy *an, double th)
{
    double c = cos(th), s = sin(th);
    double e = an->a * an->b / sqrt(an->b * an->b * c * c + an->a * an->a * s * s);
    return e * (1.0 + an->h3 * cos(3 * th + an->p3) + an->h5 * cos(5 * th + an->p5));
}

static void fill_lut(LqpPhantom *ph, const Anatomy *an)
{
    for (int k = 0; k < LUT_N; k++) ph->lut[k] = lumen_radius(an, 2 * PI * k / LUT_N);
}

static double lut_at(const double *lut, double th)
{
    double t = th / (2 * PI) * LUT_N;
    t -= floor(t / LUT_N) * LUT_N;
    int k = (int)t;
    double f = t - k;
    return lut[k % LUT_N] * (1 - f) + lut[(k + 1) % LUT_N] * f;
}

static double lut_radius(const LqpPhantom *ph, double th) { return lut_at(ph->lut, th); }

/* Scar thickness (mm) at angle th (lumen axes) in the current frame; 0 without scar. */
static double scar_thickness(const LqpPhantom *ph, double th) { return ph->p.scar ? lut_at(ph->scar_t, th) : 0.0; }

/* The scar layer at pullback position u: thickness and echogenicity (x blood)
 * over angle. Its thickness varies smoothly with angle (harmonics turning along
 * the pullback) and along it, thins out over a stretch or two, and on sectored
 * seeds tapers to nothing at the sector ends. */
static void fill_scar(LqpPhantom *ph, double u)
{
    double along = 1 + 0.15 * wiggle(&ph->w_scar, u), thin = 1;
    for (int k = 0; k < 2; k++) {
        double x = ph->thin_depth[k] > 0 ? fabs(u - ph->thin_u[k]) / ph->thin_half[k] : 1;
        if (x < 1) thin *= 1 - ph->thin_depth[k] * pow(cos(0.5 * PI * x), 2);
    }
    double p1 = ph->scar_ph1 + ph->scar_turn1 * u, p2 = ph->scar_ph2 + ph->scar_turn2 * u;
    double turn = ph->scar_sector_turn * u;
    for (int k = 0; k < LUT_N; k++) {
        double th = 2 * PI * k / LUT_N;
        double t = ph->scar_mean * (along + 0.25 * (0.6 * cos(th - p1) + 0.4 * cos(2 * th - p2)));
        t = (t < 0.5 ? 0.5 : t > 2.0 ? 2.0 : t) * thin;
        double gain = ph->scar_gain + 0.3 * cos(th - ph->scar_gain_angle);
        if (ph->scar_sectors) {
            double mask = 0;
            for (int s = 0; s < ph->scar_sectors; s++) {
                double h = ph->scar_half[s], taper = fmin(0.25, 0.5 * h);
                double m = 1 - smoothstep(h - taper, h + taper, fabs(remainder(th - ph->scar_centre[s] - turn, 2 * PI)));
                if (m > mask) mask = m, gain = ph->scar_sector_gain[s];
            }
            t *= mask;
        }
        ph->scar_t[k] = t / ph->scale; /* real millimetres at any --scale: the small-vessel frames' dim layer was 0.5-1.5 mm */
        ph->scar_g[k] = gain < 1.2 ? 1.2 : gain > 2.0 ? 2.0 : gain;
    }
}

/* Distance from the catheter centre to the lumen border along direction th. */
static double border_from_catheter(const LqpPhantom *ph, const Anatomy *an, double th)
{
    double lo = 0, hi = 40;
    for (int it = 0; it < 40; it++) {
        double m = 0.5 * (lo + hi);
        double x = m * cos(th) - an->ox, y = m * sin(th) - an->oy;
        double rho = hypot(x, y), ang = atan2(y, x) - an->phi;
        if (rho < lut_radius(ph, ang)) lo = m;
        else hi = m;
    }
    return lo;
}

/* 0 at expiration, 1 at full inspiration, at frame i's acquisition time. */
static double breath(const LqpPhantom *ph, unsigned i)
{
    double t = (double)i * ph->frame_time_ms / 1000.0;
    return 0.5 * (1 - cos(2 * PI * t / ph->breath_period_s + ph->breath_phase));
}

/* Lumen area factor, lumen shift relative to the catheter (mm) and image
 * rotation (rad) in frame i: heart and breathing in an ungated recording; in a
 * gated one (same cardiac phase every frame) only a small beat-to-beat scatter. */
static void frame_motion(const LqpPhantom *ph, unsigned i, double inspiration, double *area, double *mx, double *my,
                         double *rot)
{
    *area = 1, *mx = *my = *rot = 0;
    if (ph->p.motion) {
        double t = (double)i * ph->frame_time_ms / 1000.0, beat = 2 * PI * t / ph->heart_period_s + ph->heart_phase;
        *area = 1 + ph->beat_area * heartbeat(ph, beat) + ph->breath_area * (2 * inspiration - 1);
        /* the catheter swings through a flat loop in the lumen, lagging the pulse */
        double c = ph->cath_mm * heartbeat(ph, beat + 1.1), s = ph->cath_mm * ph->cath_ellipse * heartbeat(ph, beat + 2.3);
        *mx = c * cos(ph->cath_dir) - s * sin(ph->cath_dir);
        *my = c * sin(ph->cath_dir) + s * cos(ph->cath_dir);
        *rot = ph->rot_rad * heartbeat(ph, beat + 0.6);
    } else if (ph->p.gated) {
        Rng jr; /* seeded by the frame, so any frame's anatomy can be made alone */
        rng_seed(&jr, ph->p.seed * 0x94d049bb133111ebull + 0x9a7e + (uint64_t)i * 0x632be59bd9b4e019ull);
        *area = 1 + range(&jr, -0.01, 0.01);
        *mx = range(&jr, -0.05, 0.05), *my = range(&jr, -0.05, 0.05);
    }
}

static void rotate_point(double *x, double *y, double c, double s)
{
    double t = *x * c - *y * s;
    *y = *x * s + *y * c, *x = t;
}

/* The whole anatomy turned about the catheter by rot (cardiac torsion). */
static void rotate_anatomy(Anatomy *an, double rot)
{
    double c = cos(rot), s = sin(rot);
    rotate_point(&an->ox, &an->oy, c, s);
    rotate_point(&an->artery.cx, &an->artery.cy, c, s);
    rotate_point(&an->node.cx, &an->node.cy, c, s);
    rotate_point(&an->vein.cx, &an->vein.cy, c, s);
    an->phi += rot, an->branch.angle += rot, an->wire_angle += rot;
}

static void anatomy(LqpPhantom *ph, unsigned i, Anatomy *an)
{
    double u = u_of(ph, i), inspiration = breath(ph, i);
    memset(an, 0, sizeof *an);
    /* Segment calibres blended across the confluences. */
    double s1 = smoothstep(0.07, 0.13, u), s2 = smoothstep(0.37, 0.43, u), s3 = smoothstep(0.80, 0.86, u);
    double r = ph->r_ivc * (1 - s1) + ph->r_civ * s1;
    r = r * (1 - s2) + ph->r_eiv * s2;
    r = r * (1 - s3) + ph->r_cfv * s3;
    r *= 1.0 + 0.02 * wiggle(&ph->w_radius, u);
    r *= 1.0 + ph->breath_swell * inspiration;
    if (ph->p.phase != 0) r *= ph->p.phase > 0 ? 1.01 : 0.99; /* another phase: the veins barely change */
    double ell = 1.15 * (1 - s1) + ph->ellip_civ * s1;
    ell = ell * (1 - s2) + ph->ellip_eiv * s2;
    double a = r * sqrt(ell), b = r / sqrt(ell);
    double phi = 0.6 * wiggle(&ph->w_phi, u) + 0.5;
    double c = compression(ph, u);
    an->a = a * (1 - c) + ph->lesion_a * c;
    an->b = b * (1 - c) + ph->lesion_b * (1 + ph->lesion_opening * inspiration) * (1 + ph->p.phase) * c;
    an->phi = phi * (1 - c) + ph->lesion_phi * c;
    if (ph->p.narrowings) {
        double major, minor;
        narrowed(ph, u, &major, &minor);
        an->a *= major;
        /* the catheter keeps room, as at the lesion */
        if (minor < 1) an->b = fmax(an->b * minor, fmin(an->b, ph->catheter_mm + 0.3));
    }
    const int moving = ph->p.motion || ph->p.gated;
    double area = 1, mx = 0, my = 0, rot = 0;
    if (moving) {
        frame_motion(ph, i, inspiration, &area, &mx, &my, &rot);
        an->a *= sqrt(area), an->b *= sqrt(area);
    }
    an->h3 = 0.035 * (1 - c), an->p3 = ph->ph3 + 2 * u;
    an->h5 = 0.02, an->p5 = ph->ph5 - 3 * u;
    an->wall = ph->wall_base * (1 + 0.15 * wiggle(&ph->w_radius, u + 0.3));
    /* Slow flow beyond the compression makes blood more echogenic there. */
    double stasis = smoothstep(ph->lesion_u + 0.03, ph->lesion_u + 0.08, u) *
                    (1 - smoothstep(ph->lesion_u + 0.15, ph->lesion_u + 0.25, u));
    an->blood = ph->blood_base * (1 + 0.15 * wiggle(&ph->w_blood, u) + ph->stasis_gain * stasis);
    fill_lut(ph, an);
    if (ph->p.scar) fill_scar(ph, u);

    /* Eccentric catheter: offset of the lumen centre, kept so the catheter
     * stays inside the lumen with a small gap. */
    double p = wiggle(&ph->w_offp, u), q = wiggle(&ph->w_offq, u);
    double op = ph->contact_gain * 0.55 * p * fmax(0, an->a - ph->catheter_mm - 0.4);
    double oq = ph->contact_gain * 0.7 * q * fmax(0, an->b - ph->catheter_mm - 0.3);
    for (int it = 0; it < 30; it++) {
        an->ox = op * cos(an->phi) - oq * sin(an->phi);
        an->oy = op * sin(an->phi) + oq * cos(an->phi);
        if (moving) an->ox += mx, an->oy += my;
        double closest = 1e9;
        for (int k = 0; k < 64; k++) closest = fmin(closest, border_from_catheter(ph, an, 2 * PI * k / 64));
        if (closest >= ph->catheter_mm + ph->min_gap_mm) break;
        op *= 0.9, oq *= 0.9, mx *= 0.9, my *= 0.9;
    }
    if (ph->p.motion) an->mx = mx, an->my = my; /* gated: beat-to-beat jitter only, its speckle renews anyway */

    /* Neighbouring artery: the right common iliac artery across the lesion
     * (right against the flattened side), the external iliac artery along the EIV. */
    if (c > 0 || fabs(u - ph->lesion_u) < 1.5 * ph->lesion_half) {
        double side = ph->lesion_phi + PI / 2 + 0.3 * (u - ph->lesion_u) / ph->lesion_half;
        double R = 4.6, wall = 0.6;
        double d = lut_radius(ph, side - an->phi) + scar_thickness(ph, side - an->phi) + an->wall + wall + R;
        an->artery = (Vessel){an->ox + d * cos(side), an->oy + d * sin(side), R, wall,
                              1 - smoothstep(1.0, 1.5, fabs(u - ph->lesion_u) / ph->lesion_half)};
    } else if (u > 0.42 && u < 0.84) {
        double side = ph->eia_angle + 0.4 * wiggle(&ph->w_phi, u + 0.5);
        double R = 3.3, wall = 0.55, gap = 0.9;
        double d = lut_radius(ph, side - an->phi) + scar_thickness(ph, side - an->phi) + an->wall + gap + wall + R;
        an->artery = (Vessel){an->ox + d * cos(side), an->oy + d * sin(side), R, wall,
                              smoothstep(0.42, 0.46, u) * (1 - smoothstep(0.80, 0.84, u))};
    }
    if (fabs(u - ph->node_u) < 0.06) {
        double d = lut_radius(ph, ph->node_angle - an->phi) + scar_thickness(ph, ph->node_angle - an->phi) + an->wall +
                   ph->node_gap_mm + 2.2;
        an->node = (Vessel){an->ox + d * cos(ph->node_angle), an->oy + d * sin(ph->node_angle), 2.2, 0,
                            1 - smoothstep(0.04, 0.06, fabs(u - ph->node_u))};
    }
    if (ph->p.hard) {
        /* the other common iliac vein beside the confluence, wall to wall */
        if (u < 0.16) {
            double d = lut_radius(ph, ph->vein_angle - an->phi) + scar_thickness(ph, ph->vein_angle - an->phi) +
                       an->wall + 0.5 + 6.0;
            an->vein = (Vessel){an->ox + d * cos(ph->vein_angle), an->oy + d * sin(ph->vein_angle), 6.0, 0.5,
                                1 - smoothstep(0.12, 0.16, u)};
        }
        /* the internal iliac vein joins: the wall is open over its ostium */
        double bt = fabs(u - ph->branch_u) / 0.012;
        if (bt < 1) an->branch = (Branch){1.0, ph->branch_angle, 2.0 * (1 - bt * bt), 12.0};
        an->struts = u >= ph->strut_u0 && u <= ph->strut_u1;
    }
    /* Guidewire beside the catheter, inside the lumen. */
    an->wire_angle = 2.0 + 1.2 * wiggle(&ph->w_wire, u);
    double room = border_from_catheter(ph, an, an->wire_angle);
    an->wire_r = fmin(ph->catheter_mm + 0.9, 0.5 * (ph->catheter_mm + room));
    if (rot != 0) rotate_anatomy(an, rot);
    if (ph->p.motion) an->rot = rot;
}

static double vessel_amp(const Vessel *v, double x, double y, double base, int *is_blood)
{
    if (v->present <= 0) return base;
    double d = hypot(x - v->cx, y - v->cy);
    if (d < v->R) {
        *is_blood = 1;
        return base * (1 - v->present) + 0.13 * v->present;
    }
    if (d < v->R + v->wall) return base * (1 - v->present) + 1.3 * v->present;
    return base;
}

/* One frame's digits in a 3x5 pixel font, the way scanners burn in a frame counter. */
static void burn_counter(uint8_t *img, unsigned size, unsigned value)
{
    static const uint16_t font[10] = {0x7B6F, 0x2492, 0x73E7, 0x73CF, 0x5BC9,
                                      0x79CF, 0x79EF, 0x7249, 0x7BEF, 0x7BCF};
    char digits[12];
    int nd = snprintf(digits, sizeof digits, "%u", value);
    unsigned scale = size / 128 ? size / 128 : 1, x0 = size / 64, y0 = size / 64;
    for (int d = 0; d < nd; d++)
        for (unsigned row = 0; row < 5; row++)
            for (unsigned col = 0; col < 3; col++) {
                if (!(font[digits[d] - '0'] >> (14 - (row * 3 + col)) & 1)) continue;
                for (unsigned sy = 0; sy < scale; sy++)
                    for (unsigned sx = 0; sx < scale; sx++) {
                        unsigned x = x0 + (unsigned)d * 4 * scale + col * scale + sx, y = y0 + row * scale + sy;
                        if (x < size && y < size) img[(size_t)y * size + x] = 255;
                    }
            }
    /* A depth scale in the lower right corner: a tick every 5 mm. */
    for (unsigned k = 0; k < 6; k++)
        for (unsigned t = 0; t < 3 * scale; t++) {
            unsigned x = size - 1 - size / 64 - t, y = size - 1 - size / 64 - k * (size / 12);
            if (y < size) img[(size_t)y * size + x] = 230;
        }
}

static void contour_of(const LqpPhantom *ph, const Anatomy *an, double *truth);

/* Where a tissue pixel's scatterers sat before this frame's motion: tissue
 * speckle moves with the tissue (a shifted or turned catheter sees the same
 * scatterers elsewhere in the image), blood's is new in every frame anyway. */
typedef struct TissueAt {
    size_t k00;      /* upper-left of the four pixels around the source point */
    size_t dx, dy;   /* offsets to the right and lower neighbours (0 at the image edge) */
    float fx, fy;    /* bilinear weights */
} TissueAt;

static TissueAt tissue_at(const Anatomy *an, double X, double Y, double px, double c0, unsigned size, size_t k)
{
    if (an->mx == 0 && an->my == 0 && an->rot == 0) return (TissueAt){k, 0, 0, 0, 0};
    double c = cos(an->rot), s = sin(an->rot);
    double sx = (X * c + Y * s - an->mx) / px + c0, sy = (-X * s + Y * c - an->my) / px + c0;
    sx = sx < 0 ? 0 : sx > size - 1 ? size - 1 : sx, sy = sy < 0 ? 0 : sy > size - 1 ? size - 1 : sy;
    unsigned x0 = (unsigned)sx, y0 = (unsigned)sy;
    return (TissueAt){(size_t)y0 * size + x0, x0 + 1 < size, y0 + 1 < size ? size : 0, (float)(sx - x0),
                      (float)(sy - y0)};
}

/* Field value at a TissueAt: `stride` floats per pixel, component c. */
static float sample_at(const float *f, const TissueAt *t, int stride, int c)
{
    const float *a = f + t->k00 * stride + c, *b = a + t->dx * stride, *d = a + t->dy * stride,
                *e = a + (t->dx + t->dy) * stride;
    float top = *a + t->fx * (*b - *a), bottom = *d + t->fx * (*e - *d);
    return top + t->fy * (bottom - top);
}

/* hard: a shallow acquisition over the wide IVC, whose far wall lies beyond it */
static double fov_radius(const LqpPhantom *ph, unsigned i)
{
    return ph->p.hard && u_of(ph, i) < 0.12 ? fmin(12.5, ph->fov_radius_mm) : ph->fov_radius_mm;
}

double lqp_fov_mm(const LqpPhantom *ph, unsigned i) { return fov_radius(ph, i) * ph->scale; }

/* A trabecula as drawn in one frame: from (ax, ay) along the unit (dx, dy),
 * sagging sideways by 4 bow t (1 - t) at a fraction t of its length; seen
 * through the scanner's blur as a Gaussian ridge of width sigma whose height
 * keeps the echo of a strand thinner than that blur. */
typedef struct Chord {
    double ax, ay, dx, dy, len, bow, sigma, peak, amp, fade;
} Chord;

/* This frame's trabeculae: chords between two border points whose ends drift
 * along the pullback, fading in and out over 1 mm at the ends of their
 * stretch. One that would cross the catheter keeps only its longer piece
 * (a strand from one wall ending free in the lumen), or is left out. */
static int place_strands(const LqpPhantom *ph, const Anatomy *an, double u, Chord *out)
{
    int n = 0;
    const double length = ph->p.length_mm, clear = ph->catheter_mm + RINGDOWN_MM / ph->scale + 0.1 / ph->scale;
    for (int k = 0; k < ph->strands; k++) {
        const Strand *s = &ph->strand[k];
        if (u <= s->u0 || u >= s->u1) continue;
        double ramp = fmin(1.0 / length, 0.25 * (s->u1 - s->u0));
        double fade = smoothstep(s->u0, s->u0 + ramp, u) * (1 - smoothstep(s->u1 - ramp, s->u1, u));
        double from = (u - s->u0) * length, t1 = s->th1 + s->drift1 * from, t2 = s->th2 + s->drift2 * from;
        double r1 = lut_radius(ph, t1) + 0.1, r2 = lut_radius(ph, t2) + 0.1; /* ends into the wall */
        double ax = an->ox + r1 * cos(t1 + an->phi), ay = an->oy + r1 * sin(t1 + an->phi);
        double dx = an->ox + r2 * cos(t2 + an->phi) - ax, dy = an->oy + r2 * sin(t2 + an->phi) - ay;
        double len = hypot(dx, dy);
        if (fade <= 0 || len < 1.0) continue;
        dx /= len, dy /= len;
        double c = clear + s->half_width + fabs(s->bow), along = -(ax * dx + ay * dy), miss = fabs(ax * dy - ay * dx);
        double bow = s->bow;
        if (miss < c) {
            double half = sqrt(c * c - miss * miss), lo = along - half, hi = along + half;
            if (hi > 0 && lo < len) {
                double first = fmax(0, lo), second = fmax(0, len - hi);
                if (first >= second) len = first;
                else ax += dx * hi, ay += dy * hi, len = second;
                bow *= 0.5; /* a piece ending free hangs straighter */
            }
            if (len < 1.0) continue;
        }
        double blur = 0.5 * ph->pixel_mm, sigma = sqrt(s->half_width * s->half_width + blur * blur);
        out[n++] = (Chord){ax, ay, dx, dy, len, bow, sigma, fmin(1.0, 2 * s->half_width / (sigma * sqrt(2 * PI))),
                           s->amp, fade};
    }
    return n;
}

void lqp_render(LqpPhantom *ph, unsigned i, uint8_t *grey, double *truth)
{
    const unsigned size = ph->p.size;
    const double px = ph->pixel_mm, c0 = (size - 1) * 0.5, ringdown = RINGDOWN_MM / ph->scale;
    double u = u_of(ph, i);
    Anatomy an;
    anatomy(ph, i, &an);

    const float tap = (float)ph->grain_tap, fine_tap = (float)scar_tap(ph);
    float wa = 1, wb = 0;
    if (ph->p.gated) {
        /* a heartbeat later the tissue has moved and deformed: its speckle mostly renews */
        evolve_field(&ph->gate_rng, ph->tis_a, ph->tis_b, ph->work, size, tap, ph->grain_passes, GATED_KEEP);
        if (ph->p.scar) evolve_field(&ph->scar_rng, ph->scar_a, ph->scar_b, ph->work, size, fine_tap, ph->grain_passes, GATED_KEEP);
    } else {
        /* Tissue speckle crossfades to a new independent field every ~8 mm. */
        double per = 8.0 / (ph->p.length_mm > 0 ? ph->p.length_mm : 1);
        int want = (int)floor(u / per);
        while (ph->tis_index < want) {
            float *t = ph->tis_a;
            ph->tis_a = ph->tis_b, ph->tis_b = t;
            speckle_field_tap(&ph->rng, ph->tis_b, ph->work, size, tap, ph->grain_passes);
            if (ph->p.scar) {
                t = ph->scar_a, ph->scar_a = ph->scar_b, ph->scar_b = t;
                speckle_field_tap(&ph->scar_rng, ph->scar_b, ph->work, size, fine_tap, ph->grain_passes);
            }
            ph->tis_index++;
        }
        double w = u / per - want;
        wa = (float)sqrt(1 - w), wb = (float)sqrt(w);
    }
    speckle_field_tap(&ph->rng, ph->blood, ph->work, size, tap, ph->grain_passes);
    Chord chord[MAX_STRANDS];
    const int chords = ph->p.trabeculae ? place_strands(ph, &an, u, chord) : 0;

    double wire_half = atan2(0.2, an.wire_r) + 0.01;
    /* stent struts on the lumen border: bright, with a short shadow each */
    enum { STRUTS = 12 };
    double strut_x[STRUTS], strut_y[STRUTS], strut_r[STRUTS], strut_a[STRUTS];
    for (int k = 0; k < STRUTS; k++) {
        double th = ph->strut_phase + 2 * PI * k / STRUTS, rr = lut_radius(ph, th - an.phi) - 0.12;
        strut_x[k] = an.ox + rr * cos(th), strut_y[k] = an.oy + rr * sin(th);
        strut_r[k] = hypot(strut_x[k], strut_y[k]), strut_a[k] = atan2(strut_y[k], strut_x[k]);
    }
    const double branch_base = an.branch.present > 0 ? lut_radius(ph, an.branch.angle - an.phi) +
                                                           scar_thickness(ph, an.branch.angle - an.phi)
                                                     : 0;
    const double fov_mm = fov_radius(ph, i);
    for (unsigned y = 0; y < size; y++)
        for (unsigned x = 0; x < size; x++) {
            size_t k = (size_t)y * size + x;
            double X = (x - c0) * px, Y = (y - c0) * px; /* mm from the catheter */
            double rc = hypot(X, Y);
            if (rc > fov_mm) {
                grey[k] = 0;
                continue;
            }
            const TissueAt at = tissue_at(&an, X, Y, px, c0, size, k);
            double lx = X - an.ox, ly = Y - an.oy, ang = atan2(ly, lx) - an.phi;
            double d = hypot(lx, ly) - lut_radius(ph, ang);
            double scar = scar_thickness(ph, ang); /* the bright wall lies beyond it */
            int blood = 0, fine = 0;
            double amp;
            /* a faint wall over one sector (hard): the wall no brighter than fat */
            double faint = 0;
            if (ph->p.hard) {
                double c = cos(atan2(ly, lx) - ph->faint_angle);
                faint = c > 0 ? c * c * c * c : 0;
            }
            int in_branch = 0, branch_wall = 0;
            if (an.branch.present > 0 && d >= 0) {
                double along = lx * cos(an.branch.angle) + ly * sin(an.branch.angle);
                double across = fabs(-lx * sin(an.branch.angle) + ly * cos(an.branch.angle));
                if (along > 0 && along < branch_base + an.branch.length) {
                    in_branch = across < an.branch.half_width;
                    branch_wall = !in_branch && across < an.branch.half_width + 0.5 && along > branch_base + 0.2;
                }
            }
            if (d < 0 || in_branch) {
                amp = an.blood, blood = 1;
                for (int s_ = 0; s_ < chords && d < 0; s_++) { /* trabeculae: tissue strands in the blood */
                    const Chord *ch = &chord[s_];
                    double qx = X - ch->ax, qy = Y - ch->ay, along = qx * ch->dx + qy * ch->dy;
                    if (along < 0 || along > ch->len) continue;
                    double t = along / ch->len, off = (qx * ch->dy - qy * ch->dx - 4 * ch->bow * t * (1 - t)) / ch->sigma;
                    if (fabs(off) > 3) continue;
                    double cover = ch->peak * exp(-0.5 * off * off) * ch->fade;
                    amp += (ch->amp - amp) * cover;
                    if (cover > 0.25) blood = 0;
                }
            } else if (d < scar) {
                /* post-thrombotic scar: hypoechoic, a little brighter than blood, fine static speckle */
                amp = lut_at(ph->scar_g, ang) * an.blood, fine = 1;
                if (ph->scar_edge_mm > 0 && d < ph->scar_edge_mm + 0.5 * px) { /* a thin bright leading edge, by its share of the pixel */
                    double cover = (fmin(ph->scar_edge_mm, d + 0.5 * px) - fmax(0.0, d - 0.5 * px)) / px;
                    amp += (ph->scar_edge_amp - amp) * cover * smoothstep(0, 0.3, scar);
                }
            } else if (d - scar < an.wall || branch_wall) {
                amp = WALL_AMP - 0.7 * faint;
            } else {
                /* perivascular tissue: a bright adventitial band fading into fat */
                amp = (0.75 + 0.35 * (1 - faint) * exp(-(d - scar - an.wall) / 0.8)) * sample_at(ph->texture, &at, 1, 0);
                amp = vessel_amp(&an.artery, X, Y, amp, &blood);
                amp = vessel_amp(&an.vein, X, Y, amp, &blood);
                int node_blood = 0;
                double na = vessel_amp(&an.node, X, Y, amp, &node_blood);
                if (node_blood) amp = amp * (1 - an.node.present) + 0.3 * an.node.present; /* solid, hypoechoic */
                else amp = na;
            }
            /* speckle: blood decorrelates every frame, tissue persists */
            float re = 0, im = 0;
            if (ph->p.beam) { /* across the ray: BEAM_TAPS samples of the field */
                const float *bw = (fine ? ph->beam_w_fine : ph->beam_w) + BEAM_TAPS * k;
                const int8_t *bx = ph->beam_dx + BEAM_TAPS * k, *by = ph->beam_dy + BEAM_TAPS * k;
                const float *fa = fine ? ph->scar_a : ph->tis_a, *fb = fine ? ph->scar_b : ph->tis_b;
                for (int j = 0; j < BEAM_TAPS; j++) {
                    size_t kj = (size_t)((long)k + by[j] * (long)size + bx[j]);
                    if (blood) {
                        re += bw[j] * ph->blood[2 * kj], im += bw[j] * ph->blood[2 * kj + 1];
                        continue;
                    }
                    const TissueAt aj = tissue_at(&an, X + bx[j] * px, Y + by[j] * px, px, c0, size, kj);
                    re += bw[j] * (wa * sample_at(fa, &aj, 2, 0) + wb * sample_at(fb, &aj, 2, 0));
                    im += bw[j] * (wa * sample_at(fa, &aj, 2, 1) + wb * sample_at(fb, &aj, 2, 1));
                }
            } else if (blood) {
                re = ph->blood[2 * k], im = ph->blood[2 * k + 1];
            } else {
                const float *fa = fine ? ph->scar_a : ph->tis_a, *fb = fine ? ph->scar_b : ph->tis_b;
                re = wa * sample_at(fa, &at, 2, 0) + wb * sample_at(fb, &at, 2, 0);
                im = wa * sample_at(fa, &at, 2, 1) + wb * sample_at(fb, &at, 2, 1);
            }
            double sp = hypot(re, im);
            /* guidewire: a bright reflector and the acoustic shadow behind it */
            double dth = remainder(atan2(Y, X) - an.wire_angle, 2 * PI);
            if (fabs(dth) < wire_half) {
                if (fabs(rc - an.wire_r) < 0.2) amp = 2.6, sp = 1.0;
                else if (rc > an.wire_r) amp *= 0.06;
            }
            if (an.struts)
                for (int s_ = 0; s_ < STRUTS; s_++) {
                    if (hypot(X - strut_x[s_], Y - strut_y[s_]) < 0.15) {
                        amp = 2.8, sp = 1.0;
                        break;
                    }
                    if (rc > strut_r[s_] + 0.15 &&
                        fabs(remainder(atan2(Y, X) - strut_a[s_], 2 * PI)) < atan2(0.12, strut_r[s_]))
                        amp *= 0.35;
                }
            /* attenuation, partly compensated by TGC; the hard case adds a noise floor */
            double v = amp * sp * exp(-ph->attenuation * rc) + (ph->p.hard ? 0.02 * hypot(re, im) : 0.0);
            /* catheter: dark transducer, bright ring-down */
            if (rc < ph->catheter_mm) v = 0.01 * sp;
            else if (rc < ph->catheter_mm + ringdown) /* a time artefact: real millimetres */
                v += 1.6 * exp(-(rc - ph->catheter_mm) / (0.1 / ph->scale)) * (0.7 + 0.3 * sp);
            double db = 20.0 * log10(fmax(v, 1e-6) / AMP_MAX);
            double g = 255.0 * (1.0 + db / DYNAMIC_RANGE_DB);
            grey[k] = (uint8_t)(g < 0 ? 0 : g > 255 ? 255 : lround(g));
        }
    burn_counter(grey, size, i + 1);

    if (truth) contour_of(ph, &an, truth);
}

static void contour_of(const LqpPhantom *ph, const Anatomy *an, double *truth)
{
    const double c = (ph->p.size - 1) * 0.5 * ph->pixel_mm;
    for (int k = 0; k < LQP_CONTOUR_POINTS; k++) {
        double th = 2 * PI * k / LQP_CONTOUR_POINTS;
        double rr = lumen_radius(an, th);
        truth[2 * k] = (c + an->ox + rr * cos(th + an->phi)) * ph->scale;
        truth[2 * k + 1] = (c + an->oy + rr * sin(th + an->phi)) * ph->scale;
    }
}

void lqp_truth_contour(LqpPhantom *ph, unsigned i, double *truth)
{
    Anatomy an;
    anatomy(ph, i, &an);
    contour_of(ph, &an, truth);
}

void lqp_design(const LqpPhantom *ph, LqpDesign *d)
{
    unsigned n = ph->p.frames;
    d->lesion_frame = (unsigned)lround(ph->lesion_u * (n - 1));
    if (ph->pause_frames) { /* the pause's first frame; the EIV after the pause */
        unsigned moving = n - ph->pause_frames;
        d->lesion_frame = ph->pause_first;
        d->eiv_first = (unsigned)ceil(0.45 * (moving - 1)) + ph->pause_frames;
        d->eiv_last = (unsigned)floor(0.80 * (moving - 1)) + ph->pause_frames;
    } else {
        d->eiv_first = (unsigned)ceil(0.45 * (n - 1));
        d->eiv_last = (unsigned)floor(0.80 * (n - 1));
    }
    d->lesion_minor_mm = ph->lesion_b * ph->scale;
    d->lesion_major_mm = ph->lesion_a * ph->scale;
    d->breath_period_s = ph->breath_period_s;
    d->lesion_opening = ph->lesion_opening;
    d->heart_period_s = ph->heart_period_s;
    for (unsigned k = 0; k < ph->p.narrowings; k++)
        d->narrowing_frame[k] = ph->p.narrowing[k].vein == LQ_SITE_CIV
                                    ? d->lesion_frame
                                    : (unsigned)lround(lqp_narrowing_centre(ph->p.narrowing[k].vein) * (n - 1));
}
