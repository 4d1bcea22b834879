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

#define PI 3.14159265358979323846
#define LUT_N 1024              /* lumen radius lookup over angle */
#define FOV_RADIUS_MM 24.5      /* acquisition circle */
#define CATHETER_RADIUS_MM 1.45 /* 8.7 F */
#define RINGDOWN_MM 0.25
#define DYNAMIC_RANGE_DB 50.0
#define AMP_MAX 3.0

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
    Rng rng;
    /* speckle */
    int n;                  /* pixels */
    float *tis_a, *tis_b;   /* complex base fields (re,im interleaved) j and j+1 */
    int tis_index;
    float *work, *blood;    /* scratch complex fields */
    float *texture;         /* low-frequency tissue texture (persistent) */
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

/* Complex Gaussian field with a grain of about 3 pixels (scanner resolution). */
static void speckle_field(Rng *r, float *out, float *work, unsigned size)
{
    size_t n = (size_t)size * size;
    for (size_t i = 0; i < n; i++) gauss2(r, &work[2 * i], &work[2 * i + 1]);
    /* separable 3-tap box blur on both components, edges clamped */
    for (unsigned y = 0; y < size; y++)
        for (unsigned x = 0; x < size; x++)
            for (int c = 0; c < 2; c++) {
                unsigned xl = x ? x - 1 : x, xr = x + 1 < size ? x + 1 : x;
                size_t row = (size_t)y * size;
                out[2 * (row + x) + c] = work[2 * (row + xl) + c] + work[2 * (row + x) + c] + work[2 * (row + xr) + c];
            }
    for (unsigned y = 0; y < size; y++)
        for (unsigned x = 0; x < size; x++)
            for (int c = 0; c < 2; c++) {
                unsigned yu = y ? y - 1 : y, yd = y + 1 < size ? y + 1 : y;
                work[2 * ((size_t)y * size + x) + c] = out[2 * ((size_t)yu * size + x) + c] +
                                                       out[2 * ((size_t)y * size + x) + c] +
                                                       out[2 * ((size_t)yd * size + x) + c];
            }
    /* 9 summed unit-variance normals: scale so |z| has mean 1 (Rayleigh). */
    float k = (float)(1.0 / (3.0 * sqrt(PI / 4.0) * sqrt(2.0)));
    for (size_t i = 0; i < 2 * n; i++) out[i] = work[i] * k;
}

double lqp_pixel_mm(const LqpPhantom *ph) { return ph->pixel_mm; }
double lqp_frame_time_ms(const LqpPhantom *ph) { return ph->frame_time_ms; }
double lqp_position_mm(const LqpPhantom *ph, unsigned i)
{
    return (double)i * ph->p.pullback_rate_mm_s * ph->frame_time_ms / 1000.0;
}

static double u_of(const LqpPhantom *ph, unsigned i)
{
    return ph->p.frames > 1 ? (double)i / (ph->p.frames - 1) : 0.0;
}

int lqp_new(const LqpParams *p, LqpPhantom **out)
{
    *out = NULL;
    if (p->frames < 1 || p->frames > 100000 || p->size < 64 || p->size > 4096 || !(p->length_mm > 0) ||
        !(p->pullback_rate_mm_s > 0))
        return LQ_ERR_USAGE;
    LqpPhantom *ph = calloc(1, sizeof *ph);
    if (!ph) return LQ_ERR_INTERNAL;
    ph->p = *p;
    ph->pixel_mm = 51.2 / p->size;
    double step = p->frames > 1 ? p->length_mm / (p->frames - 1) : 0.5;
    ph->frame_time_ms = 1000.0 * step / p->pullback_rate_mm_s;
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
    /* Breathing, from its own stream too. A fixed lesion barely moves with it
     * (the artery holds it); the hard phantom gives every vein a slight swell
     * so that a static study is not perfectly still. A dynamic lesion's minor
     * axis opens by 80-160 % at inspiration (positional/respiratory change). */
    Rng br;
    rng_seed(&br, p->seed * 0xd1b54a32d192ed03ull + 0xb4ea7);
    ph->breath_period_s = range(&br, 3.5, 5.0);
    ph->breath_phase = range(&br, 0, 2 * PI);
    double opening = range(&br, 0.8, 1.6);
    ph->breath_swell = p->hard || p->dynamic ? 0.03 : 0.0;
    ph->lesion_opening = p->dynamic ? opening : 0.0;

    ph->n = (int)(p->size * p->size);
    size_t n = (size_t)ph->n;
    ph->tis_a = malloc(2 * n * sizeof(float));
    ph->tis_b = malloc(2 * n * sizeof(float));
    ph->work = malloc(2 * n * sizeof(float));
    ph->blood = malloc(2 * n * sizeof(float));
    ph->texture = malloc(n * sizeof(float));
    if (!ph->tis_a || !ph->tis_b || !ph->work || !ph->blood || !ph->texture) {
        lqp_free(&ph);
        return LQ_ERR_INTERNAL;
    }
    speckle_field(r, ph->tis_a, ph->work, p->size);
    speckle_field(r, ph->tis_b, ph->work, p->size);
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
    free(*ph);
    *ph = NULL;
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

static double lut_radius(const LqpPhantom *ph, double th)
{
    double t = th / (2 * PI) * LUT_N;
    t -= floor(t / LUT_N) * LUT_N;
    int k = (int)t;
    double f = t - k;
    return ph->lut[k % LUT_N] * (1 - f) + ph->lut[(k + 1) % LUT_N] * f;
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
    double ell = 1.15 * (1 - s1) + ph->ellip_civ * s1;
    ell = ell * (1 - s2) + ph->ellip_eiv * s2;
    double a = r * sqrt(ell), b = r / sqrt(ell);
    double phi = 0.6 * wiggle(&ph->w_phi, u) + 0.5;
    double c = compression(ph, u);
    an->a = a * (1 - c) + ph->lesion_a * c;
    an->b = b * (1 - c) + ph->lesion_b * (1 + ph->lesion_opening * inspiration) * c;
    an->phi = phi * (1 - c) + ph->lesion_phi * c;
    an->h3 = 0.035 * (1 - c), an->p3 = ph->ph3 + 2 * u;
    an->h5 = 0.02, an->p5 = ph->ph5 - 3 * u;
    an->wall = ph->wall_base * (1 + 0.15 * wiggle(&ph->w_radius, u + 0.3));
    /* Slow flow beyond the compression makes blood more echogenic there. */
    double stasis = smoothstep(ph->lesion_u + 0.03, ph->lesion_u + 0.08, u) *
                    (1 - smoothstep(ph->lesion_u + 0.15, ph->lesion_u + 0.25, u));
    an->blood = ph->blood_base * (1 + 0.15 * wiggle(&ph->w_blood, u) + ph->stasis_gain * stasis);
    fill_lut(ph, an);

    /* Eccentric catheter: offset of the lumen centre, kept so the catheter
     * stays inside the lumen with a small gap. */
    double p = wiggle(&ph->w_offp, u), q = wiggle(&ph->w_offq, u);
    double op = ph->contact_gain * 0.55 * p * fmax(0, an->a - CATHETER_RADIUS_MM - 0.4);
    double oq = ph->contact_gain * 0.7 * q * fmax(0, an->b - CATHETER_RADIUS_MM - 0.3);
    for (int it = 0; it < 30; it++) {
        an->ox = op * cos(an->phi) - oq * sin(an->phi);
        an->oy = op * sin(an->phi) + oq * cos(an->phi);
        double closest = 1e9;
        for (int k = 0; k < 64; k++) closest = fmin(closest, border_from_catheter(ph, an, 2 * PI * k / 64));
        if (closest >= CATHETER_RADIUS_MM + ph->min_gap_mm) break;
        op *= 0.9, oq *= 0.9;
    }

    /* Neighbouring artery: the right common iliac artery across the lesion
     * (right against the flattened side), the external iliac artery along the EIV. */
    if (c > 0 || fabs(u - ph->lesion_u) < 1.5 * ph->lesion_half) {
        double side = ph->lesion_phi + PI / 2 + 0.3 * (u - ph->lesion_u) / ph->lesion_half;
        double R = 4.6, wall = 0.6;
        double d = lut_radius(ph, side - an->phi) + an->wall + wall + R;
        an->artery = (Vessel){an->ox + d * cos(side), an->oy + d * sin(side), R, wall,
                              1 - smoothstep(1.0, 1.5, fabs(u - ph->lesion_u) / ph->lesion_half)};
    } else if (u > 0.42 && u < 0.84) {
        double side = ph->eia_angle + 0.4 * wiggle(&ph->w_phi, u + 0.5);
        double R = 3.3, wall = 0.55, gap = 0.9;
        double d = lut_radius(ph, side - an->phi) + an->wall + gap + wall + R;
        an->artery = (Vessel){an->ox + d * cos(side), an->oy + d * sin(side), R, wall,
                              smoothstep(0.42, 0.46, u) * (1 - smoothstep(0.80, 0.84, u))};
    }
    if (fabs(u - ph->node_u) < 0.06) {
        double d = lut_radius(ph, ph->node_angle - an->phi) + an->wall + ph->node_gap_mm + 2.2;
        an->node = (Vessel){an->ox + d * cos(ph->node_angle), an->oy + d * sin(ph->node_angle), 2.2, 0,
                            1 - smoothstep(0.04, 0.06, fabs(u - ph->node_u))};
    }
    if (ph->p.hard) {
        /* the other common iliac vein beside the confluence, wall to wall */
        if (u < 0.16) {
            double d = lut_radius(ph, ph->vein_angle - an->phi) + an->wall + 0.5 + 6.0;
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
    an->wire_r = fmin(CATHETER_RADIUS_MM + 0.9, 0.5 * (CATHETER_RADIUS_MM + room));
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

/* hard: a shallow acquisition over the wide IVC, whose far wall lies beyond it */
double lqp_fov_mm(const LqpPhantom *ph, unsigned i)
{
    return ph->p.hard && u_of(ph, i) < 0.12 ? 12.5 : FOV_RADIUS_MM;
}

void lqp_render(LqpPhantom *ph, unsigned i, uint8_t *grey, double *truth)
{
    const unsigned size = ph->p.size;
    const double px = ph->pixel_mm, c0 = (size - 1) * 0.5;
    double u = u_of(ph, i);
    Anatomy an;
    anatomy(ph, i, &an);

    /* Tissue speckle crossfades to a new independent field every ~8 mm. */
    double per = 8.0 / (ph->p.length_mm > 0 ? ph->p.length_mm : 1);
    int want = (int)floor(u / per);
    while (ph->tis_index < want) {
        float *t = ph->tis_a;
        ph->tis_a = ph->tis_b, ph->tis_b = t;
        speckle_field(&ph->rng, ph->tis_b, ph->work, size);
        ph->tis_index++;
    }
    double w = u / per - want;
    float wa = (float)sqrt(1 - w), wb = (float)sqrt(w);
    speckle_field(&ph->rng, ph->blood, ph->work, size);

    double wire_half = atan2(0.2, an.wire_r) + 0.01;
    /* stent struts on the lumen border: bright, with a short shadow each */
    enum { STRUTS = 12 };
    double strut_x[STRUTS], strut_y[STRUTS], strut_r[STRUTS], strut_a[STRUTS];
    for (int k = 0; k < STRUTS; k++) {
        double th = ph->strut_phase + 2 * PI * k / STRUTS, rr = lut_radius(ph, th - an.phi) - 0.12;
        strut_x[k] = an.ox + rr * cos(th), strut_y[k] = an.oy + rr * sin(th);
        strut_r[k] = hypot(strut_x[k], strut_y[k]), strut_a[k] = atan2(strut_y[k], strut_x[k]);
    }
    const double branch_base = an.branch.present > 0 ? lut_radius(ph, an.branch.angle - an.phi) : 0;
    const double fov_mm = lqp_fov_mm(ph, i);
    for (unsigned y = 0; y < size; y++)
        for (unsigned x = 0; x < size; x++) {
            size_t k = (size_t)y * size + x;
            double X = (x - c0) * px, Y = (y - c0) * px; /* mm from the catheter */
            double rc = hypot(X, Y);
            if (rc > fov_mm) {
                grey[k] = 0;
                continue;
            }
            double lx = X - an.ox, ly = Y - an.oy;
            double d = hypot(lx, ly) - lut_radius(ph, atan2(ly, lx) - an.phi);
            int blood = 0;
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
            } else if (d < an.wall || branch_wall) {
                amp = 1.45 - 0.7 * faint;
            } else {
                /* perivascular tissue: a bright adventitial band fading into fat */
                amp = (0.75 + 0.35 * (1 - faint) * exp(-(d - an.wall) / 0.8)) * ph->texture[k];
                amp = vessel_amp(&an.artery, X, Y, amp, &blood);
                amp = vessel_amp(&an.vein, X, Y, amp, &blood);
                int node_blood = 0;
                double na = vessel_amp(&an.node, X, Y, amp, &node_blood);
                if (node_blood) amp = amp * (1 - an.node.present) + 0.3 * an.node.present; /* solid, hypoechoic */
                else amp = na;
            }
            /* speckle: blood decorrelates every frame, tissue persists */
            float re, im;
            if (blood) {
                re = ph->blood[2 * k], im = ph->blood[2 * k + 1];
            } else {
                re = wa * ph->tis_a[2 * k] + wb * ph->tis_b[2 * k];
                im = wa * ph->tis_a[2 * k + 1] + wb * ph->tis_b[2 * k + 1];
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
            if (rc < CATHETER_RADIUS_MM) v = 0.01 * sp;
            else if (rc < CATHETER_RADIUS_MM + RINGDOWN_MM)
                v += 1.6 * exp(-(rc - CATHETER_RADIUS_MM) / 0.1) * (0.7 + 0.3 * sp);
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
        truth[2 * k] = c + an->ox + rr * cos(th + an->phi);
        truth[2 * k + 1] = c + an->oy + rr * sin(th + an->phi);
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
    d->eiv_first = (unsigned)ceil(0.45 * (n - 1));
    d->eiv_last = (unsigned)floor(0.80 * (n - 1));
    d->lesion_minor_mm = ph->lesion_b;
    d->lesion_major_mm = ph->lesion_a;
    d->breath_period_s = ph->breath_period_s;
    d->lesion_opening = ph->lesion_opening;
}
