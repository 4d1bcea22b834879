/* Lumen border of one frame: polar resampling around the catheter, a
 * blood/tissue score from echogenicity and frame-to-frame decorrelation, a
 * "first wall" border cost per ray, and a minimal-cost closed border over all
 * rays by dynamic programming. See docs/segmentation.md for the reasoning. */
#include "segment.h"

#include "cpu.h"
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NA LQ_SEG_ANGLES
#define NR LQ_SEG_RADII
#define DP_MARGIN (NA / 8)        /* extra rays on each side close the contour */
#define DP_NORMALISE_EVERY 8      /* rows between normalisations of the DP row */
#define DP_ROWS (NA + 2 * DP_MARGIN)
#define MAX_JUMP 16               /* radius change between neighbouring rays, samples */
/* The DP runs on pairs of radii (the better of each pair), so its work drops
 * fourfold; the zero-crossing refinement restores full resolution. */
#define NC (NR / 2)
#define JUMP_C (MAX_JUMP / 2)
#define DP_STRIDE (NC + 2 * JUMP_C)

/* Tuning constants; units are explained in docs/segmentation.md. */
enum {
    BOX_HALF = LQ_FEATURE_HALF, /* radial box half-width (samples) */
    DIFF_K_Q3 = 16,       /* decorrelation weight in the feature, Q3 */
    INSIDE_ALPHA = 2,     /* weight of tissue found inside the border */
    SMOOTH_LAMBDA = 10,    /* angular smoothness: lambda * d^2 */
    PRIOR_MU = 3,         /* previous-frame prior: mu * d^2 ... */
    PRIOR_CAP = 600,      /* ... capped, so that real changes are not smeared */
    GUIDE_MU_GAIN = 8,    /* a frame re-segmented under its neighbours' border: */
    GUIDE_CAP_GAIN = 4,   /* a firmer prior, still capped so a clear edge wins */
};

/* Leading edge: tissue starts where the feature rises LEAD_NOISE median
 * absolute deviations of blood above the blood level. */
#define LEAD_NOISE 2.5
/* A dim layer inside the DP's border (hypoechoic intima, post-thrombotic
 * scar) is the lumen's edge when its mean over LAYER_RAYS rays on each side
 * and LAYER_SUB_MM stands LAYER_NOISE deviations of that same mean in blood
 * over the blood level, all the way out to the border, over at least
 * LAYER_MIN_MM, with blood inside it. */
#define LAYER_NOISE 2.0
#define LAYER_RAYS 3
#define LAYER_MIN_MM 0.3
#define LAYER_MAX_MM 3.0  /* thicker than the scar of the issue's recordings (0.5-2 mm) */
#define LAYER_SUB_MM 0.2  /* "sustained": every window this long is over the level */
/* The leading edge of a dim layer found as a border of its own (step 8,
 * docs/segmentation.md). On each ray, the feature averaged over EDGE_ARC_MM
 * of arc is split in two, blood inside and layer outside, wherever the layer
 * is at most LAYER_MAX_MM thick; the split scores how far the two means stand
 * apart against the profile's own scatter (EDGE_CORR samples to a
 * grain). A second DP over these scores, where the DP's border scores
 * EDGE_Z, traces the edge; only runs of EDGE_RUN rays are kept. */
#define EDGE_ARC_MM 1.0
#define EDGE_Z 2.0
#define EDGE_Z_LOW 1.0    /* a ray of a run counts as split where the path scores this much */
#define EDGE_Z_MAX 4.0    /* one clear ray does not carry a run on its own */
#define EDGE_Z_UNIT 32    /* edge_z holds the score in these steps */
#define EDGE_GAIN 1000    /* score per unit, times the window: against pen */
#define EDGE_CORR (2 * BOX_HALF + 1) /* the profile's grain, samples: the feature's box */
#define EDGE_SIDE (4 * EDGE_CORR)
#define EDGE_SHARP 0.5    /* the rise over LAYER_SUB_MM, at least this share of the split's */
#define EDGE_RUN (NA / 16) /* 22.5 degrees: a scar sector spans more, blood's beam-long blobs fewer */
#define EDGE_HIDDEN_CUT 0.33 /* a hidden lumen: the whole ray this far from blood to the layer */
#define EDGE_HIDDEN_Z 3.0
#define EDGE_FAINT 0.75  /* the splits' layer over blood, in a blood sample's deviations */
#define EDGE_ROUGHER 1.05 /* ... unless the layer's radial roughness is this many times its blood's */
#define EDGE_GUIDE 1.0 /* a frame re-segmented under its neighbours: their border is worth this much score */
#define ECHO_PEAK 1.5 /* a leading echo: its peak over blood, in the layer's rises */
#define EDGE_GAP_MAX (NA / 4) /* 90 degrees: the widest gap between kept runs bridged where the layer shows */
/* A scar's speckle is finer than blood's: the image's variation within each
 * polar sample's pixel cell (the polar kernel's second plane), boxed as the
 * feature is, joins the splits' feature at TEXTURE_WEIGHT_X10 / 10 (its
 * spread in blood is 1/1.5-1/1.9 of the feature's at 0.02 mm), where a
 * split's side is no longer than TEXTURE_SIDE_MM (the thinnest scar of the
 * issue's recordings): at coarser sampling a side spans blood and scar, and
 * the texture only moves the split further into the blood. */
#define TEXTURE_WEIGHT_X10 17
#define TEXTURE_SIDE_MM 0.5
/* Where the splits' layers are TEXTURE_CONTRAST rougher than their blood
 * in the texture plane (its median over the layers over its median over
 * their blood, less one), a hidden lumen needs the texture to stand at the
 * layer's too, EDGE_HIDDEN_CUT of the way from the splits' blood (a ray
 * of blood a little brighter than the splits' blood is as coarse as
 * blood), and splits whose layer is under the frame's blood level count. */
#define TEXTURE_CONTRAST 0.2
/* Still tissue inside the DP's border, where the frames share their tissue
 * speckle: the decorrelation term (seven rays' mean) at or below the lower
 * of STILL_FRACTION of blood's and STILL_NOISE deviations of that mean
 * under blood's, over at least LAYER_MIN_MM, blood inside it, and at most
 * STILL_GAP_MM of the wall's own edge between it and the border (at fine
 * sampling, stretches as short inside it too: still_blip). */
#define STILL_FRACTION 0.5
#define STILL_NOISE 2.5
#define STILL_GAP_MM 0.4
/* Where the neighbouring frames only partly share the tissue's speckle (a
 * catheter that swings with each beat, 40 MHz speckle a few pixels across),
 * still tissue keeps more than STILL_FRACTION of blood's term: the level
 * rises to STILL_TISSUE of the way from the term of the tissue just beyond
 * the DP's border to blood's, never past blood's noise. At fine sampling the
 * test's mean also runs over about STILL_SPAN_MM of the ray: the
 * feature's box spans 0.1 mm at 0.02 mm, a few grains of 40 MHz speckle,
 * and one noisy sample ended a scar's run. */
#define STILL_TISSUE 0.5
#define STILL_SPAN_MM 0.3
/* Outer window of the border cost: tissue must be sustained over 1 mm. (A
 * longer window rejects more trabeculae but, where a faint wall has fat
 * beyond it, lets the border run out through it: tried at 1.5 mm.) */
#define WINDOW_MM 1.0
#define SPIKE_SAMPLES 2.0 /* polar samples: 0.2 mm on a 25 mm view, 0.04 mm on a 5 mm one */
#define MASK_MIN_MM 0.3 /* a flat disc at least this wide is a console's catheter mask... */
#define RINGDOWN_RING_MIN 40 /* ...unless a ring-down this much brighter shows beyond it */
#define DISC_DARK 32 /* a circle whose median is at most this is still inside a transducer's dark disc */
#define CATHETER_MAX_MM 1.6 /* the largest catheter's surface (8.7 F: 1.45 mm) with a margin */
/* Ring-down the border may not enter: beyond a bare catheter's surface, and
 * beyond a console's mask, which already hides most of it. */
#define RINGDOWN_MM 0.3
#define MASK_RINGDOWN_MM 0.1
#define SPIKE_RAYS 7 /* the median of this many rays around each, at least */
#define SPIKE_ARC_MM 0.7
#define SPIKE_HALF_MAX 15
#define REFINE_REACH 3        /* samples, and at least ... */
#define REFINE_REACH_MM 0.1   /* ... this (fine sampling: a small field of view) */
/* Tissue speckle shared with a neighbouring frame (radial-difference
 * correlation) below MATCH_LO: no decorrelation term; full weight from
 * MATCH_HI. */
#define MATCH_LO 0.3
#define MATCH_HI 0.6
#define STALE_MAX 10 /* frames a border that saw the wall guides the next in place of one that did not */

struct LqSegmenter {
    LqSegGeometry g;
    LqSegDsp dsp;
    double cx, cy;          /* catheter centre, pixels */
    double dr_mm;           /* radial sample spacing */
    int r_min;              /* first radius the border may take (catheter surface) */
    int r_mask;             /* samples below are catheter + ring-down: no information */
    int window;             /* outer window of the border cost, samples */
    int refine_reach;       /* how far the half-maximum refinement looks, samples */
    int layer_len, layer_sub, layer_reach; /* the dim-layer test's depth, window and reach, samples */
    int still_half;         /* the still test's mean: this many samples on each side of the box's centre */
    LqPolarTap *map;
    int map_stale;          /* the centre moved since map was built */
    uint16_t *mean_s;       /* NA x NR: the intensity, boxed as the feature is */
    int16_t *feat, *score;
    uint8_t *moved[2];      /* NA x NR: a neighbour resampled where this frame's tissue sat in it */
    LqPolarTap *moved_map;  /* NA x NR scratch for that resampling */
    double moved_guess[2][3]; /* the last shift and turn found towards each neighbour (px, px, degrees) */
    int have_guess[2];
    int32_t *cost;          /* NA x NR */
    int32_t *cost_c;        /* NA x NC: the better radius of each pair */
    uint8_t *pick;          /* NA x NC: which of the pair (0 or 1) */
    int32_t *rows;          /* DP_ROWS rows of DP_STRIDE: NC states, JUMP_C sentinels on each side */
    int32_t pen[JUMP_C + 1];   /* smoothness for a jump of d pairs (2d samples) */
    uint8_t shadow[NA];
    int16_t extent[NA];     /* last radius with signal on each ray (field of view) */
    double cos_a[NA], sin_a[NA]; /* ray directions */
    double unit[64][2];          /* 64 points on the unit circle, for the catheter search */
    int have_prev;
    int stale;              /* frames since prev_border was this segmenter's last border */
    int prev_saw_wall;      /* prev_border ran out of the view on at most half the rays */
    int masked;
    int prev_border[NA];
    int blood_level;             /* this frame's blood level (feature units) */
    int blood_noise;             /* ... and its samples' median absolute deviation */
    int layer_noise;             /* ... and the spread of the dim-layer test's mean in blood */
    int blood_decorrelation;     /* the feature's decorrelation term in that blood (0: no neighbour shares the speckle) */
    int still_level;             /* still tissue's term is at most this (seven rays' mean); <= 0: no still test */
    int still_cap;               /* ... and at most this however still the frame's tissue (blood's noise) */
    uint8_t *edge_z;             /* NA x NR: step 8's layer-edge split scores, EDGE_Z_UNIT to one */
    uint8_t *edge_zi;            /* ... from the intensity alone (written where the texture joins) */
    uint16_t *texture;           /* NA x NR: the polar cell variation, boxed as the feature is */
    int16_t *edge_feat;          /* NA x NR: the feature with the texture added, halved */
    int16_t *rough;              /* NA x NR: step 8's radial roughness, boxed as the feature is */
    float layer_sure[NA];        /* a border on a dim layer: how clearly it stands over blood (0-1); -1 elsewhere */
    int16_t echo_at[NA];         /* step 8's edge at the half-rise to a bright leading echo (-1: none) ... */
    int32_t echo_level[NA];      /* ... and the half-rise to that echo's peak, where refine looks */
    int lead_step;               /* this frame's leading-edge step over the blood level */
    int mid_level, mid_gain;     /* midpoint between blood and tissue; 256 * 4096 / half their distance */
};

static void *xcalloc(size_t n, size_t size) { return calloc(n ? n : 1, size); }

/* lround without the library call where it is hot: half away from zero is
 * half up for v >= 0. */
static inline long round_nearest(double v) { return v >= 0 ? (long)(v + 0.5) : lround(v); }

/* A rigid motion of the tissue relative to the catheter between two frames,
 * in mm about the catheter: the point (u, v) of one frame lies at
 * (c u - s v + tx, s u + c v + ty) in the other. */
typedef struct Motion {
    double c, s, tx, ty;
} Motion;

static void build_map(LqSegmenter *s)
{
    const LqSegGeometry *g = &s->g;
    for (int a = 0; a < NA; a++) {
        double th = 2.0 * LQ_PI * a / NA, c = cos(th), sn = sin(th);
        for (int r = 0; r < NR; r++) {
            double rad = r * s->dr_mm;
            double x = s->cx + rad * c / g->dx_mm, y = s->cy + rad * sn / g->dy_mm;
            x = LQ_CLAMP(x, 0.0, (double)g->cols - 1.001);
            y = LQ_CLAMP(y, 0.0, (double)g->rows - 1.001);
            int xi = (int)x, yi = (int)y;
            if (xi > (int)g->cols - 2) xi = (int)g->cols - 2;
            if (yi > (int)g->rows - 2) yi = (int)g->rows - 2;
            if (xi < 0) xi = 0;
            if (yi < 0) yi = 0;
            LqPolarTap *t = &s->map[a * NR + r];
            t->offset = yi * (int32_t)g->cols + xi;
            t->wx = (uint8_t)LQ_CLAMP(round_nearest((x - xi) * 256.0), 0, 255);
            t->wy = (uint8_t)LQ_CLAMP(round_nearest((y - yi) * 256.0), 0, 255);
            t->unused = 0;
        }
    }
}

/* The map of a neighbour moved by m, built for every frame that needs it:
 * along a ray the point advances by a fixed step in pixels. */
static void build_map_moved(LqSegmenter *s, LqPolarTap *map, const Motion *m)
{
    const LqSegGeometry *g = &s->g;
    const double xmax = (double)g->cols - 1.001, ymax = (double)g->rows - 1.001;
    const double x0 = s->cx + m->tx / g->dx_mm, y0 = s->cy + m->ty / g->dy_mm;
    for (int a = 0; a < NA; a++) {
        double u = s->dr_mm * s->cos_a[a], v = s->dr_mm * s->sin_a[a];
        double sx = (m->c * u - m->s * v) / g->dx_mm, sy = (m->s * u + m->c * v) / g->dy_mm;
        LqPolarTap *t = map + (size_t)a * NR;
        for (int r = 0; r < NR; r++) {
            double x = LQ_CLAMP(x0 + r * sx, 0.0, xmax), y = LQ_CLAMP(y0 + r * sy, 0.0, ymax);
            int xi = LQ_MIN((int)x, (int)g->cols - 2), yi = LQ_MIN((int)y, (int)g->rows - 2);
            t[r].offset = yi * (int32_t)g->cols + xi;
            t[r].wx = (uint8_t)LQ_MIN((int)((x - xi) * 256.0 + 0.5), 255);
            t[r].wy = (uint8_t)LQ_MIN((int)((y - yi) * 256.0 + 0.5), 255);
            t[r].unused = 0;
        }
    }
}

/* Radial sampling: the largest circle around the catheter inside the image
 * region, so burned-in annotations outside the field of view are never read. */
static void set_centre(LqSegmenter *s, double cx, double cy)
{
    const LqSegGeometry *g = &s->g;
    s->cx = cx;
    s->cy = cy;
    double rx = LQ_MIN(cx - g->x0, g->x1 - cx) * g->dx_mm;
    double ry = LQ_MIN(cy - g->y0, g->y1 - cy) * g->dy_mm;
    double rmax = LQ_MIN(rx, ry) * 0.98;
    rmax = LQ_CLAMP(rmax, 4.0, 30.0);
    s->dr_mm = rmax / NR;
    s->r_min = (int)ceil(g->catheter_radius_mm / s->dr_mm);
    s->r_mask = (int)ceil((g->catheter_radius_mm + (s->masked ? MASK_RINGDOWN_MM : RINGDOWN_MM)) / s->dr_mm);
    s->window = LQ_CLAMP((int)lround(WINDOW_MM / s->dr_mm), 4, 24);
    s->refine_reach = LQ_MAX(REFINE_REACH, (int)lround(REFINE_REACH_MM / s->dr_mm));
    s->layer_len = LQ_MAX(3, (int)lround(LAYER_MIN_MM / s->dr_mm));
    s->layer_sub = LQ_MAX(2, (int)lround(LAYER_SUB_MM / s->dr_mm));
    s->layer_reach = (int)lround(LAYER_MAX_MM / s->dr_mm);
    s->still_half = LQ_MAX(0, (int)lround((STILL_SPAN_MM / s->dr_mm - (2 * BOX_HALF + 1)) / 2));
    /* border costs come scaled by the window length (cost_row), and so do these */
    for (int d = 0; d <= JUMP_C; d++) s->pen[d] = SMOOTH_LAMBDA * (2 * d) * (2 * d) * s->window;
    /* built when first used: a new segmenter's centre is only provisional
     * until the catheter is found, and each worker builds its own in parallel */
    s->map_stale = 1;
}

int lq_segmenter_new(LqSegmenter **out, const LqSegGeometry *g, int cpu_level)
{
    *out = NULL;
    if (g->rows < 16 || g->cols < 16 || !(g->dx_mm > 0) || !(g->dy_mm > 0)) return LQ_ERR_DATA;
    LqSegmenter *s = xcalloc(1, sizeof *s);
    if (!s) return LQ_ERR_INTERNAL;
    s->g = *g;
    if (!(s->g.catheter_radius_mm > 0)) s->g.catheter_radius_mm = 1.45;
    lq_seg_dsp_init(&s->dsp, lq_cpu_resolve(cpu_level));
    const size_t n = (size_t)NA * NR;
    s->map = xcalloc(n, sizeof *s->map);
    s->mean_s = xcalloc(n, 2);
    s->feat = xcalloc(n, 2), s->score = xcalloc(n, 2);
    s->moved[0] = xcalloc(n, 1), s->moved[1] = xcalloc(n, 1), s->moved_map = xcalloc(n, sizeof *s->moved_map);
    s->cost = xcalloc(n, 4);
    s->rows = xcalloc((size_t)DP_ROWS * DP_STRIDE, 4);
    s->cost_c = xcalloc((size_t)NA * NC, 4);
    s->pick = xcalloc((size_t)NA * NC, 1);
    s->edge_z = xcalloc(n, 1), s->rough = xcalloc(n, 2);
    s->edge_zi = xcalloc(n, 1), s->texture = xcalloc(n, 2), s->edge_feat = xcalloc(n, 2);
    if (!s->edge_z || !s->rough || !s->edge_zi || !s->texture || !s->edge_feat || !s->map || !s->mean_s ||
        !s->feat || !s->score || !s->moved[0] || !s->moved[1] || !s->moved_map || !s->cost || !s->rows ||
        !s->cost_c || !s->pick) {
        lq_segmenter_free(&s);
        return LQ_ERR_INTERNAL;
    }
    /* each DP row lives at rows + k * DP_STRIDE + JUMP_C; the sentinels
     * that pad both ends are never written */
    for (size_t i = 0; i < (size_t)DP_ROWS * DP_STRIDE; i++) s->rows[i] = LQ_DP_SENTINEL;
    for (int a = 0; a < NA; a++) s->cos_a[a] = cos(2.0 * LQ_PI * a / NA), s->sin_a[a] = sin(2.0 * LQ_PI * a / NA);
    for (int k = 0; k < 64; k++) s->unit[k][0] = cos(2.0 * LQ_PI * k / 64), s->unit[k][1] = sin(2.0 * LQ_PI * k / 64);
    set_centre(s, 0.5 * (g->x0 + g->x1), 0.5 * (g->y0 + g->y1));
    *out = s;
    return LQ_OK;
}

void lq_segmenter_free(LqSegmenter **seg)
{
    if (!seg || !*seg) return;
    LqSegmenter *s = *seg;
    free(s->map), free(s->rough), free(s->mean_s), free(s->feat), free(s->score), free(s->cost);
    free(s->rows), free(s->cost_c), free(s->pick), free(s->edge_z);
    free(s->edge_zi), free(s->texture), free(s->edge_feat);
    free(s->moved[0]), free(s->moved[1]), free(s->moved_map);
    free(s);
    *seg = NULL;
}

void lq_segmenter_reset(LqSegmenter *seg)
{
    seg->have_prev = 0, seg->stale = 0, seg->prev_saw_wall = 0;
    seg->have_guess[0] = seg->have_guess[1] = 0;
}

void lq_segmenter_adopt(LqSegmenter *seg, const LqSegmenter *from)
{
    seg->g.catheter_radius_mm = from->g.catheter_radius_mm;
    seg->masked = from->masked;
    set_centre(seg, from->cx, from->cy);
}

size_t lq_segmenter_polar_size(const LqSegmenter *seg)
{
    (void)seg;
    return 2 * (size_t)NA * NR; /* the image, then its cell variation */
}

/* Where a split's sides are short enough for the texture (TEXTURE_SIDE_MM). */
static int texture_joins(const LqSegmenter *s) { return LQ_MAX(s->layer_len, EDGE_SIDE) * s->dr_mm <= TEXTURE_SIDE_MM; }

/* Point k of the 64 on a circle of r_mm around (cx, cy), in pixels; 0 when
 * it leaves the image (with `margin` pixels to spare on the right and below). */
static int circle_point(const LqSegmenter *s, double cx, double cy, double r_mm, int k, long margin, long *x, long *y)
{
    *x = round_nearest(cx + r_mm * s->unit[k][0] / s->g.dx_mm), *y = round_nearest(cy + r_mm * s->unit[k][1] / s->g.dy_mm);
    return *x >= 0 && *y >= 0 && *x + margin < (long)s->g.cols && *y + margin < (long)s->g.rows;
}

static int32_t select_kth(int32_t *v, int n, int k);

/* The circle of radius r_out around (cx, cy) against the circle of r_in,
 * point by point, taken at the lower quartile. A catheter's ring is bright
 * all round (a guidewire's shadow darkens a few points); a vessel wall that a
 * wrong radius happens to meet is bright on some sides only. */
static double ring_contrast(const LqSegmenter *s, const uint8_t *img, double cx, double cy, double r_out, double r_in)
{
    int32_t diff[64];
    int n = 0;
    for (int k = 0; k < 64; k++) {
        long xo, yo, xi, yi;
        if (!circle_point(s, cx, cy, r_out, k, 0, &xo, &yo) || !circle_point(s, cx, cy, r_in, k, 0, &xi, &yi))
            continue;
        diff[n++] = img[(size_t)yo * s->g.cols + (size_t)xo] - img[(size_t)yi * s->g.cols + (size_t)xi];
    }
    return n >= 32 ? (double)select_kth(diff, n, n / 4) : 0.0;
}

/* The median of the image on the circle of radius r around (cx, cy); 255 if
 * most of it lies outside the image. */
static int ring_median(const LqSegmenter *s, const uint8_t *img, double cx, double cy, double r)
{
    int32_t v[64];
    int n = 0;
    for (int k = 0; k < 64; k++) {
        long x, y;
        if (circle_point(s, cx, cy, r, k, 0, &x, &y)) v[n++] = img[(size_t)y * s->g.cols + (size_t)x];
    }
    return n >= 32 ? select_kth(v, n, n / 2) : 255;
}

/* Consoles often mask the catheter with a disc: black, or a colour that the
 * reader fills from the image around it, peeling inwards, so that each
 * filled pixel carries its outer neighbours' value along the ray. The disc's
 * radius is the largest circle, up to 3.5 mm, on which most points are
 * either flat (equal to their right and lower neighbours within 1) or, not
 * dark, agree within 3 with the pixel 1.5 pixels further in along their ray.
 * A burned-in crosshair's ticks cross a few, and a tangent tick spoils a
 * circle or two, which are skipped. Neither speckle nor the transducer's dark
 * noise is smooth on a whole circle. */
static double masked_radius(const LqSegmenter *s, const uint8_t *img, double cx, double cy)
{
    double step = 0.05, found = 0.0;
    int misses = 0;
    for (double r = 0.2; r <= 3.5; r += step) {
        int flat = 0, seen = 0;
        for (int k = 0; k < 64; k++) {
            long x, y;
            if (!circle_point(s, cx, cy, r, k, 1, &x, &y)) continue;
            const uint8_t *p = img + (size_t)y * s->g.cols + (size_t)x;
            seen++;
            int smooth = abs(p[0] - p[1]) <= 1 && abs(p[0] - p[s->g.cols]) <= 1;
            long xi, yi;
            if (!smooth && p[0] >= 32 && circle_point(s, cx, cy, r - 1.5 * s->g.dx_mm, k, 1, &xi, &yi))
                smooth = abs(p[0] - img[(size_t)yi * s->g.cols + (size_t)xi]) <= 3; /* filled along the ray */
            flat += smooth;
        }
        if (seen < 48) break;
        if (flat < seen * 3 / 5) {
            if (++misses > 3) break; /* a burned-in tick is one or two circles wide */
            continue;
        }
        misses = 0;
        found = r;
    }
    return found > 0 ? found + 2 * step : 0.0;
}

/* A bare catheter's ring-down just beyond a dark disc of radius r: a ring
 * brighter all round (at its lower quartile) than the image 0.4 mm further
 * out. A console's mask hides the ring-down; a transducer whose inside the
 * console shows black, or whose dark noise is clipped to black, keeps it, and
 * its disc is not a mask: taken for one, the ring-down was read as the wall
 * (a 3 F catheter at 20 MHz, contours at the edge of the view on every
 * frame: test_e2e, the small vessel with --beam, seed 4). Beyond a console's
 * mask the image is no brighter than further out (the capture phantoms'
 * contours are unchanged by this test). */
static int ring_just_beyond(const LqSegmenter *s, const uint8_t *luma, double cx, double cy, double r)
{
    for (double d = 0.05; d <= 0.2 + 1e-9; d += 0.05)
        if (ring_contrast(s, luma, cx, cy, r + d, r + d + 0.4) >= RINGDOWN_RING_MIN) return 1;
    return 0;
}

static int ringdown_beyond(const LqSegmenter *s, const uint8_t *luma, double cx, double cy, double r)
{
    if (ring_just_beyond(s, luma, cx, cy, r)) return 1;
    /* Where the transducer's dark noise is not all clipped to black, the
     * flat circles may end well inside its disc (flat to 0.35 mm of a
     * 1.4 mm disc: every contour of a pullback closed on the catheter, at
     * confidence 0.7; held-out seed 10 of the --beam kinds): the disc goes
     * on dark, and the ring-down is sought where it ends. */
    double edge = r;
    while (edge + 0.05 <= CATHETER_MAX_MM + 1e-9 && ring_median(s, luma, cx, cy, edge + 0.05) <= DISC_DARK) edge += 0.05;
    return edge > r && ring_just_beyond(s, luma, cx, cy, edge);
}

/* The catheter's surface near radius rc around (cx, cy): where the rise over
 * 0.1 mm, from the disc into the ring-down, is sharpest all round. */
static double catheter_surface(const LqSegmenter *s, const uint8_t *luma, double cx, double cy, double rc)
{
    double best = -1e9, surface = rc;
    for (double r = rc - 0.1; r <= rc + 0.15 + 1e-9; r += 0.01) {
        double rise = ring_contrast(s, luma, cx, cy, r + 0.05, r - 0.05);
        if (rise > best) best = rise, surface = r;
    }
    return surface;
}

/* The catheter centre within 1 mm of (c0x, c0y) for a catheter of radius rc:
 * the position of the best ring contrast. Returns that contrast. */
static double search_centre(const LqSegmenter *s, const uint8_t *luma, double c0x, double c0y, double rc, double *bx,
                            double *by)
{
    double best = -1e9;
    *bx = c0x, *by = c0y;
    int reach = (int)ceil(1.0 / LQ_MIN(s->g.dx_mm, s->g.dy_mm));
    reach = LQ_CLAMP(reach, 2, 24);
    for (int dy = -reach; dy <= reach; dy++)
        for (int dx = -reach; dx <= reach; dx++) {
            double x = c0x + dx, y = c0y + dy;
            double score = ring_contrast(s, luma, x, y, rc + 0.1, 0.5 * rc); /* ring-down against the disc */
            if (score > best + 1e-9) best = score, *bx = x, *by = y;
        }
    return best;
}

/* The catheter is the polar origin of the acquisition: a dark transducer disc
 * inside a bright ring-down ring. Search near the region centre. Its radius
 * is the venous catheter's (8.7 F) unless the image clearly shows another:
 * coronary catheters at 20-60 MHz are 2.6-3.5 F (0.45-0.6 mm), and with the
 * venous radius the border could never come closer than 1.75 mm. */
void lq_segmenter_find_centre(LqSegmenter *s, const uint8_t *luma)
{
    double c0x = 0.5 * (s->g.x0 + s->g.x1), c0y = 0.5 * (s->g.y0 + s->g.y1);
    double rc = s->g.catheter_radius_mm;
    /* A console's catheter mask is drawn on the polar origin: with one at
     * the region centre, that is the centre (its flat disc has no ring to
     * search for). */
    double masked = masked_radius(s, luma, c0x, c0y);
    s->masked = 0;
    if (masked >= MASK_MIN_MM && !ringdown_beyond(s, luma, c0x, c0y, masked)) {
        s->g.catheter_radius_mm = masked;
        s->masked = 1;
        set_centre(s, c0x, c0y);
        return;
    }
    double bx, by, best = search_centre(s, luma, c0x, c0y, rc, &bx, &by);
    /* smaller catheters: one must show a clearly better ring to be taken */
    static const double coronary_mm[] = {0.45, 0.55, 0.7, 0.85, 1.0};
    int coronary = 0;
    for (size_t k = 0; k < sizeof coronary_mm / sizeof *coronary_mm; k++) {
        double x, y, score = search_centre(s, luma, c0x, c0y, coronary_mm[k], &x, &y);
        if (score >= 20.0 && score > 1.5 * best + 10.0)
            best = score, bx = x, by = y, rc = s->g.catheter_radius_mm = coronary_mm[k], coronary = 1;
    }
    double centre_score = ring_contrast(s, luma, c0x, c0y, rc + 0.1, 0.5 * rc);
    /* No visible catheter ring (ring-down subtracted): keep the geometric centre. */
    if (best < 20.0 || best - centre_score < 2.0) bx = c0x, by = c0y;
    else if (coronary)
        /* A coronary size is a step of 0.1-0.15 mm: the surface itself is the
         * sharpest rise from the disc into the ring-down, to 0.01 mm. Too small
         * a radius leaves the ring-down's tail to be taken for a wall. */
        s->g.catheter_radius_mm = catheter_surface(s, luma, bx, by, rc);
    set_centre(s, bx, by);
}

void lq_segmenter_to_polar(LqSegmenter *s, const uint8_t *luma, uint8_t *polar)
{
    if (s->map_stale) build_map(s), s->map_stale = 0;
    /* the texture plane is written and read only where it joins step 8,
     * which the sampling fixes once the centre is found (the scalar polar
     * takes twice as long with it, AVX2's no longer) */
    s->dsp.polar(polar, texture_joins(s) ? polar + (size_t)NA * NR : NULL, luma, (ptrdiff_t)s->g.cols, s->map,
                 (size_t)NA * NR);
}

/* The k-th smallest of v[0..n) (Hoare's selection; reorders v). */
static int32_t select_kth(int32_t *v, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t pivot = v[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                int32_t t = v[i];
                v[i] = v[j], v[j] = t;
                i++, j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else break;
    }
    return v[k];
}

/* The sum over the LAYER_RAYS rays on each side of ray a at radius r of the
 * feature, or with `decorrelation` of its decorrelation term (the
 * intensity box less the feature); with `border`, each ray only where r lies
 * short of its own border + reach, with `skip_shadow` none in the
 * guidewire's shadow; *count of them. */
static inline int32_t sum_around(const LqSegmenter *s, int a, int r, const int *border, int reach, int skip_shadow,
                                  int decorrelation, int *count)
{
    int32_t sum = 0;
    int c = 0;
    for (int k = -LAYER_RAYS; k <= LAYER_RAYS; k++) {
        int b = (a + k + NA) % NA;
        if ((skip_shadow && s->shadow[b]) || (border && r >= border[b] + reach)) continue;
        sum += decorrelation ? (int32_t)s->mean_s[b * NR + r] - s->feat[b * NR + r] : s->feat[b * NR + r];
        c++;
    }
    if (count) *count = c;
    return sum;
}

/* Each ray inside its own border (short of the box's half-width): the
 * dim-layer and still-tissue tests and their spreads in blood all average
 * this way. */
static int32_t around_ray(const LqSegmenter *s, int a, int r, const int *border, int decorrelation, int *count)
{
    return sum_around(s, a, r, border, -BOX_HALF, 0, decorrelation, count);
}

/* The still test's statistic in the blood band, out of any border: the
 * seven rays' mean of the decorrelation term, averaged over still_half
 * samples on each side of r within the band's [lo, end) (0.5 mm at most,
 * shorter than the window where the sampling is finest). */
static int32_t blood_still_mean(const LqSegmenter *s, int a, int r, int lo, int end)
{
    const int i0 = LQ_MAX(r - s->still_half, lo), i1 = LQ_MIN(r + s->still_half, end - 1);
    int32_t sum = 0;
    for (int j = i0; j <= i1; j++) sum += around_ray(s, a, j, NULL, 1, NULL) / (2 * LAYER_RAYS + 1);
    return sum / (i1 - i0 + 1);
}

/* How far from the blood band's start all LAYER_RAYS rays on each side of
 * ray a see blood (0 if one of them does not). */
static int blood_run_around(const int32_t *ray_mean, const int16_t *run, int32_t cut, int a)
{
    int len = NR;
    for (int k = -LAYER_RAYS; k <= LAYER_RAYS && len > 0; k++) {
        int b = (a + k + NA) % NA;
        len = ray_mean[b] <= cut ? LQ_MIN(len, run[b]) : 0;
    }
    return len;
}

/* Blood level B and tissue level T of the feature for this frame. B: the lower
 * third of the per-ray means just outside the ring-down (lumen on most rays,
 * even at a flattened lesion; none from a guidewire's shadow), or their
 * lower tenth. T: the upper quartile of the field of view, or Otsu's upper
 * class. */
static void frame_levels(LqSegmenter *s, int *thr, int *gain)
{
    int32_t ray_mean[NA], sorted[NA];
    /* just outside the ring-down, and far enough that the radial box of the
     * feature does not reach back into it */
    int band = LQ_CLAMP((int)lround(0.5 / s->dr_mm), 2, 12), b0 = LQ_MIN(s->r_mask + BOX_HALF, NR - band);
    enum { BINS = 1024 };
    static const int lo = -32768, hi = 32768;
    unsigned part[4][BINS] = {{0}}, *hist = part[0];
    unsigned total = 0;
    int r_end = NR * 4 / 5;
    /* every other ray and radius: a quartile of ~12000 samples is as good.
     * Neighbouring samples fall in the same bin: four partial histograms in
     * turn keep each increment from waiting on the one before. */
    for (int a = 0; a < NA; a += 2) {
        const int16_t *f = s->feat + a * NR;
        int end = LQ_MIN(r_end - 1, s->extent[a]), i = 0; /* inside the image */
        for (int r = s->r_mask; r <= end; r += 2, i++) part[i & 3][(f[r] - lo) * BINS / (hi - lo)]++;
        total += (unsigned)i;
    }
    for (int b = 0; b < BINS; b++) hist[b] += part[1][b] + part[2][b] + part[3][b];
    unsigned want = total - total / 4, seen = 0;
    int tissue = hi;
    for (int b = 0; b < BINS; b++) {
        seen += hist[b];
        if (seen >= want) {
            tissue = lo + (b * (hi - lo) + (hi - lo) / 2) / BINS;
            break;
        }
    }
    /* When blood fills most of the image (a wide IVC, a shallow field of view)
     * the upper quartile lies in blood: the mean of the brighter of Otsu's two
     * classes is then the better tissue level. */
    double sum_all = 0;
    for (int b = 0; b < BINS; b++) sum_all += (double)hist[b] * b;
    double w0 = 0, sum0 = 0, best = -1, upper_mean = 0;
    for (int b = 0; b < BINS - 1; b++) {
        w0 += hist[b], sum0 += (double)hist[b] * b;
        double w1 = total - w0;
        if (w0 == 0 || w1 == 0) continue;
        double m0 = sum0 / w0, m1 = (sum_all - sum0) / w1, between = w0 * w1 * (m1 - m0) * (m1 - m0);
        if (between > best) best = between, upper_mean = m1;
    }
    if (best > 0) {
        int otsu_tissue = lo + (int)((upper_mean + 0.5) * (hi - lo) / BINS);
        if (otsu_tissue > tissue) tissue = otsu_tissue;
    }
    /* Blood on each ray: the band's samples, but none at or beyond the
     * previous frame's border; and where that border was near (a small
     * lumen, a lesion around the catheter: the wall may have come into the
     * band), none from where the band passes the midpoint to tissue and
     * stays beyond it. Rays left with hardly any samples see no blood. */
    const int min_run = 2;
    int16_t run[NA];
    for (int a = 0; a < NA; a++) {
        int end = s->shadow[a] ? b0 : b0 + band; /* a guidewire's shadow shows no blood */
        if (s->have_prev) end = LQ_MIN(end, s->prev_border[a] - BOX_HALF - 1);
        run[a] = (int16_t)LQ_MAX(end - b0, 0);
        int32_t sum = 0;
        for (int r = b0; r < end; r++) sum += s->feat[a * NR + r];
        ray_mean[a] = sorted[a] = run[a] >= min_run ? sum / run[a] : tissue;
    }
    int cut = (select_kth(sorted, NA, NA / 10) + tissue) / 2;
    for (int a = 0; a < NA; a++) {
        if (run[a] < min_run || !s->have_prev || s->prev_border[a] >= b0 + 2 * band) continue;
        const int16_t *f = s->feat + a * NR;
        int end = b0 + run[a], r = b0;
        int32_t before = 0, after = 0;
        while (r < end && f[r] <= cut) before += f[r++];
        for (int j = r; j < end; j++) after += f[j];
        if (end - r >= 2 && after > (int32_t)cut * (end - r)) {
            run[a] = (int16_t)(r - b0);
            ray_mean[a] = run[a] >= min_run ? before / run[a] : tissue;
        }
    }
    memcpy(sorted, ray_mean, sizeof sorted);
    /* the lower third of the rays, unless that already reaches into tissue
     * (few rays see blood beyond the ring-down): then the lowest tenth */
    int blood = select_kth(sorted, NA, NA / 3), lowest = select_kth(sorted, NA, NA / 10);
    if (blood - lowest > (tissue - lowest) / 2) blood = lowest;
    /* Spread of blood: the median absolute deviation of those samples on the
     * rays at or below that level (lumen next to the catheter). */
    /* ... and, of the same samples, the feature's decorrelation term (the
     * intensity box less the feature): its median */
    int32_t dev[NA * 8], decorrelation[NA * 8];
    int count = 0;
    for (int a = 0; a < NA; a++) {
        if (ray_mean[a] > blood || run[a] < min_run) continue;
        for (int r = b0; r < b0 + run[a] && count < NA * 8; r += 1 + band / 8) {
            dev[count] = abs(s->feat[a * NR + r] - blood);
            decorrelation[count++] = (int32_t)s->mean_s[a * NR + r] - s->feat[a * NR + r];
        }
    }
    double noise = count ? (double)select_kth(dev, count, count / 2) : 0.0;
    s->blood_noise = (int)lround(noise);
    s->blood_decorrelation = count ? select_kth(decorrelation, count, count / 2) : 0;
    /* The spread of the dim-layer test's own statistic in blood: the mean of
     * LAYER_RAYS rays on each side over LAYER_SUB_MM, where all of them see
     * blood. How much averaging gains depends on the grain and on how many
     * image pixels the rays cover (a coarse image is resampled smoothly), so
     * it is measured, not derived from the box's spread. */
    int16_t blood_len[NA]; /* how far all seven rays around each see blood */
    for (int a = 0; a < NA; a++) blood_len[a] = (int16_t)blood_run_around(ray_mean, run, cut, a);
    {
        const int sub = s->layer_sub, rays = 2 * LAYER_RAYS + 1;
        int n = 0;
        for (int a = 0; a < NA && n < NA * 8; a++) {
            const int len = blood_len[a];
            for (int r = b0; r + sub <= b0 + len && n < NA * 8; r += sub) {
                int32_t sum = 0;
                for (int j = 0; j < sub; j++) sum += around_ray(s, a, r + j, NULL, 0, NULL);
                dev[n++] = abs(sum / (rays * sub) - blood);
            }
        }
        s->layer_noise = n >= 16 ? select_kth(dev, n, n / 2) : (int)lround(noise);
    }
    /* The still test's level: STILL_FRACTION of blood's term, and
     * STILL_NOISE deviations of the test's statistic (the seven-ray mean,
     * over the test's window) under that statistic's median in the band,
     * where all seven rays see blood (as the dim layer's spread): a grain
     * longer across the rays (the beam) leaves that mean less steady, and
     * runs of it under half of blood's in blood itself. Its own median, not
     * blood's term: that comes from the rays darkest in the feature, which
     * the term itself darkens (a frame of the small vessel at 40 MHz with
     * scar: 1336 against the band's 1000). Every other ray and radius, at
     * most 512: their median is as good. */
    s->still_level = 0;
    if (s->blood_decorrelation > 0) {
        int n = 0, rays = 0;
        for (int a = 0; a < NA && n < NA * 2; a += 2)
            for (int r = b0; r < b0 + blood_len[a] && n < NA * 2; r += 2)
                dev[n++] = blood_still_mean(s, a, r, b0, b0 + blood_len[a]);
        for (int a = 0; a < NA; a++) rays += blood_len[a] > 0;
        /* Echogenic blood nearly as bright as the tissue (40 MHz): the cut
         * between them lies within blood's own scatter of ray means, and
         * few runs of seven rays pass it (8 of 256 in a frame of the small
         * vessel at 40 MHz with scar). The band is blood on most rays all
         * the same, and a wall in it reads still, under the median. */
        if (rays < NA / 4) {
            n = 0;
            for (int a = 0; a < NA && n < NA * 2; a += 2) {
                const int len = blood_run_around(ray_mean, run, INT32_MAX, a);
                for (int r = b0; r < b0 + len && n < NA * 2; r += 2) dev[n++] = blood_still_mean(s, a, r, b0, b0 + len);
            }
        }
        if (n >= 16) {
            /* blood's term is the darker rays' (the feature's own selection);
             * the statistic's median and spread are its own */
            const int32_t centre = select_kth(dev, n, n / 2);
            for (int i = 0; i < n; i++) dev[i] = abs(dev[i] - centre);
            s->still_cap = centre - (int)lround(STILL_NOISE * select_kth(dev, n, n / 2));
        } else {
            s->still_cap = -1; /* no blood to measure it on: no still test */
        }
        s->still_level = (int)LQ_MIN(lround(STILL_FRACTION * s->blood_decorrelation), s->still_cap);
    }

    /* The lumen ends at the leading edge: the first rise out of blood into
     * any still tissue, however dim (hypoechoic intima, scar), not at the
     * midpoint to the bright wall. A rise is significant when it stands
     * clear of blood's own speckle. */
    int half = LQ_MAX((tissue - blood) / 2, 64);
    int step = (int)lround(LEAD_NOISE * noise);
    /* Where blood and tissue are not far apart (blood fills the view, or the
     * tissue is dim), the step stays clear of blood's speckle even if it
     * passes the midpoint: blood's own fluctuations are never an edge. */
    step = LQ_MAX(step, LQ_MAX(half / 8, 32));
    s->lead_step = step;
    s->blood_level = blood;
    s->mid_level = blood + half;
    s->mid_gain = (256 * 4096) / half;
    *thr = blood + step;
    *gain = (256 * 4096) / step;
}

/* A guidewire casts a dark wedge: rays whose far field is much darker than the
 * typical ray carry no border information and are interpolated by the DP. */
static void find_shadow(LqSegmenter *s)
{
    int r0 = s->r_mask + (int)lround(1.0 / s->dr_mm), r1 = NR * 4 / 5;
    int32_t mean[NA], sorted[NA];
    for (int a = 0; a < NA; a++) {
        int32_t sum = 0; /* at most 256 samples of 15300: fits */
        const uint16_t *m = s->mean_s + a * NR;
        int r = r0;
        /* sixteen lanes of a fixed count: the compiler vectorises them */
        uint32_t lane[16] = {0};
        for (; r + 16 <= r1; r += 16)
            for (int j = 0; j < 16; j++) lane[j] += m[r + j];
        for (int j = 0; j < 16; j++) sum += (int32_t)lane[j];
        for (; r < r1; r++) sum += m[r];
        mean[a] = sorted[a] = sum / LQ_MAX(1, r1 - r0);
    }
    int32_t cut = select_kth(sorted, NA, NA / 2) * 2 / 5;
    uint8_t dark[NA];
    for (int a = 0; a < NA; a++) dark[a] = mean[a] < cut;
    memset(s->shadow, 0, sizeof s->shadow);
    /* Keep narrow dark wedges only (a wire, not a missing half of the image). */
    for (int a = 0; a < NA; a++) {
        if (!dark[a] || dark[(a + NA - 1) % NA]) continue;
        int len = 0;
        while (len < NA && dark[(a + len) % NA]) len++;
        if (len > NA / 8) continue;
        for (int k = -2; k < len + 2; k++) s->shadow[(a + k + NA) % NA] = 1;
    }
}

/* Beyond the acquisition depth the image is exactly black to the end of the
 * ray: no border can be found there. The last radius with signal bounds it. */
static void find_extent(LqSegmenter *s, const uint8_t *cur)
{
    for (int a = 0; a < NA; a++) {
        const uint8_t *p = cur + a * NR;
        int e = NR - 1;
        uint64_t eight;
        while (e - 8 >= s->r_mask && (memcpy(&eight, p + e - 7, 8), eight == 0)) e -= 8; /* eight black samples */
        while (e > s->r_mask && p[e] == 0) e--;
        s->extent[a] = (int16_t)e;
    }
}

static void build_costs(LqSegmenter *s, int prior_mu, int prior_cap)
{
    for (int a = 0; a < NA; a++) {
        int16_t *sc = s->score + a * NR;
        for (int r = 0; r < s->r_mask && r < NR; r++) sc[r] = 0; /* catheter, ring-down */
        for (int r = s->extent[a] + 1; r < NR; r++) sc[r] = 0; /* beyond the image: unknown, not blood */
        int32_t *c = s->cost + a * NR;
        s->dsp.cost_row(c, sc, NR, s->r_min, s->window, INSIDE_ALPHA);
        /* Catheter ring-down hides [r_min, r_mask): no radius there is better
         * than the mask edge (a wall touching the catheter looks the same). */
        if (s->r_mask < NR)
            for (int r = s->r_min; r < s->r_mask; r++) c[r] = c[s->r_mask];
        /* A ray cut by the field of view may end at its edge and no further. */
        if (s->extent[a] < NR - 1)
            for (int r = s->extent[a] + 1; r < NR; r++) c[r] = LQ_COST_FORBIDDEN;
        if (s->shadow[a]) {
            /* no information: interpolated from the neighbouring rays of this
             * frame, never copied from the previous frame's border */
            for (int r = s->r_min; r < NR; r++) c[r] = 0;
            continue;
        }
        if (s->have_prev) {
            s->dsp.prior_add(c, NR, s->r_min, s->prev_border[a], prior_mu * s->window, prior_cap * s->window);
        }
    }
}

/* The jump into state r of a row from the row before it: the first minimum
 * over d = -JUMP_C..JUMP_C, as the dp_row kernel took it. */
static int dp_from(const LqSegmenter *s, const int32_t *prev, int r)
{
    int32_t best = INT32_MAX;
    int best_d = 0;
    for (int d = -JUMP_C; d <= JUMP_C; d++) {
        int32_t v = prev[r + d] + s->pen[d < 0 ? -d : d];
        if (v < best) best = v, best_d = d;
    }
    return best_d;
}

/* Closed minimal-cost border: run the DP over the rays with DP_MARGIN rays
 * repeated on both sides, then keep the central turn. Every row is kept, so
 * the path is traced back through them without a choice stored per state. */
static void solve_border(LqSegmenter *s, int *border)
{
    s->dsp.pair_min(s->cost_c, s->pick, s->cost, (size_t)NA * NC);
    int32_t *prev = s->rows + JUMP_C, *cur = prev;
    memcpy(prev, s->cost_c + (size_t)((NA - DP_MARGIN) % NA) * NC, NC * sizeof *prev);
    for (int k = 1; k < DP_ROWS; k++) {
        int a = (k - DP_MARGIN + NA) % NA;
        cur = s->rows + (size_t)k * DP_STRIDE + JUMP_C;
        s->dsp.dp_row(cur, prev, s->cost_c + (size_t)a * NC, NC, JUMP_C, s->pen);
        /* Normalise (a constant shift never changes the argmin), and cap
         * unreachable states (inside the catheter), so that prev + pen stays
         * below LQ_DP_SENTINEL: between normalisations a row grows by at most
         * LQ_COST_FORBIDDEN plus one ray's cost. */
        if (k % DP_NORMALISE_EVERY == 0) {
            int32_t lo = cur[0];
            for (int r = 1; r < NC; r++) lo = LQ_MIN(lo, cur[r]);
            for (int r = 0; r < NC; r++) cur[r] = LQ_MIN(cur[r] - lo, 1 << 28);
        }
        prev = cur;
    }
    int r = 0;
    for (int i = 1; i < NC; i++)
        if (prev[i] < prev[r]) r = i;
    for (int k = DP_ROWS - 1; k >= 1; k--) {
        if (k >= DP_MARGIN && k < DP_MARGIN + NA) {
            int a = k - DP_MARGIN;
            border[a] = 2 * r + s->pick[(size_t)a * NC + r];
        }
        r += dp_from(s, s->rows + (size_t)(k - 1) * DP_STRIDE + JUMP_C, r);
    }
}

/* Sums from r to the layer's end over the rays around one ray, each ray
 * inside its own border, built inwards a sample at a time. */
typedef struct LayerSums {
    int32_t sum[NR + 1];
    int16_t cnt[NR + 1];
    int r; /* the innermost sample summed */
} LayerSums;

static void layer_add_column(const LqSegmenter *s, const int *border, int a, LayerSums *ls)
{
    int r = --ls->r, c;
    int32_t v = around_ray(s, a, r, border, 0, &c);
    ls->sum[r] = ls->sum[r + 1] + v, ls->cnt[r] = (int16_t)(ls->cnt[r + 1] + c);
}

/* [i, j) over the level; fewer than half its samples inside their borders: not */
static int layer_over(const LayerSums *ls, int i, int j, int32_t level)
{
    int c = ls->cnt[i] - ls->cnt[j];
    return 2 * c >= (2 * LAYER_RAYS + 1) * (j - i) && (int64_t)(ls->sum[i] - ls->sum[j]) >= (int64_t)level * c;
}

/* The decorrelation term at radius r, averaged over the LAYER_RAYS rays on
 * each side of ray a, each inside its own border (0 if none is; count: how
 * many are). */
static int32_t still_term(const LqSegmenter *s, const int *border, int a, int r, int *count)
{
    int32_t sum = around_ray(s, a, r, border, 1, count);
    return *count ? sum / *count : 0;
}

/* The still test's statistic along one ray: still_term, averaged over
 * still_half samples on each side of r (fine sampling) among the samples
 * of [lo, hi] that some ray's border holds. Prefix sums, so that the walk
 * reads each sample's term once. */
typedef struct StillRay {
    int lo, hi;
    int64_t sum[NR + 1];
    int16_t cnt[NR + 1];
} StillRay;

static void still_ray(const LqSegmenter *s, const int *border, int a, int lo, int hi, StillRay *sr)
{
    sr->lo = lo, sr->hi = hi, sr->sum[0] = 0, sr->cnt[0] = 0;
    for (int r = lo; r <= hi; r++) {
        int c;
        sr->sum[r - lo + 1] = sr->sum[r - lo] + still_term(s, border, a, r, &c);
        sr->cnt[r - lo + 1] = (int16_t)(sr->cnt[r - lo] + (c > 0));
    }
}

static int32_t still_at(const LqSegmenter *s, const StillRay *sr, const int *border, int a, int r)
{
    int c;
    if (!s->still_half) return still_term(s, border, a, r, &c);
    const int i = LQ_MAX(r - s->still_half, sr->lo) - sr->lo, j = LQ_MIN(r + s->still_half, sr->hi) - sr->lo + 1;
    const int n = sr->cnt[j] - sr->cnt[i];
    return n ? (int32_t)((sr->sum[j] - sr->sum[i]) / n) : 0;
}

/* How still this frame's tissue reads: the median decorrelation term of
 * the samples just beyond the DP's border (layer_len deep, every other
 * ray and sample); -1 where too few lie in view. */
static int32_t tissue_decorrelation(const LqSegmenter *s, const int *border)
{
    int32_t v[NA * 8];
    int n = 0;
    for (int a = 0; a < NA; a += 2) {
        if (s->shadow[a]) continue;
        const int from = border[a] + BOX_HALF + 1, to = LQ_MIN(LQ_MIN(NR - 1, s->extent[a]), from + s->layer_len - 1);
        for (int r = from; r <= to && n < NA * 8; r += 2) v[n++] = (int32_t)s->mean_s[a * NR + r] - s->feat[a * NR + r];
    }
    return n >= 64 ? select_kth(v, n, n / 2) : -1;
}

/* The walk's level: still_level, and at fine sampling up to STILL_TISSUE
 * of the way from the tissue beyond the DP's border to blood's term, within
 * blood's noise (still_cap); with no tissue in view beyond a border that
 * ran out of it, blood's noise alone bounds it. */
static int32_t still_level_at_border(const LqSegmenter *s, const int *border)
{
    if (!s->still_half) return s->still_level;
    const int32_t tissue = tissue_decorrelation(s, border), blood = s->blood_decorrelation;
    int32_t level = s->still_cap;
    if (tissue >= blood) return s->still_level;
    if (tissue >= 0) level = LQ_MIN(level, tissue + (int32_t)lround(STILL_TISSUE * (blood - tissue)));
    return LQ_MAX(s->still_level, level);
}

/* The decorrelation term at radius r near the DP's border, averaged over
 * the LAYER_RAYS rays on each side of ray a that are out of the guidewire's
 * shadow (its dark rays are as still as tissue) and whose own border lies
 * within the box's half-width of r or beyond (deeper, a neighbour is in its
 * wall); INT32_MAX (not still) if none is. */
static int32_t still_at_border(const LqSegmenter *s, const int *border, int a, int r)
{
    int c;
    int32_t sum = sum_around(s, a, r, border, BOX_HALF + 1, 1, 1, &c);
    return c ? sum / c : INT32_MAX;
}

/* At fine sampling the neighbours keep only part of the tissue's speckle,
 * and inside a still layer short stretches read over the level (the small
 * vessel at 40 MHz with scar, seed 2, frame 121: a ray still over 0.5 mm of
 * scar, then about 9 samples over it, then still again for 0.9 mm down to the
 * lumen). The walk crosses such a stretch of at most `most` samples where
 * a still run of layer_len or more follows it and ends before the
 * ring-down's box (a sliver of lumen next to the box, crossed, would pass
 * for a hidden one): how far the walk goes on, to the sample that ends that
 * run (its term in *v, the stretch's and the run's terms added to the
 * layer), or 0 where the walk ends at r. */
static int still_blip(const LqSegmenter *s, const StillRay *sr, const int *border, int a, int r, int inner0,
                      int32_t still, int most, int64_t *layer, int32_t *v)
{
    int64_t sum = 0;
    int q = r;
    int32_t t;
    while (q >= inner0 && r - q <= most && (t = still_at(s, sr, border, a, q)) > still) sum += t, q--;
    if (q < inner0 || r - q > most) return 0;
    const int run_from = q;
    while (q >= inner0 && (t = still_at(s, sr, border, a, q)) <= still) sum += t, q--;
    if (run_from - q < s->layer_len || q < inner0) return 0;
    *layer += sum, *v = t;
    return r - q;
}

/* The leading edge of still tissue inside the DP's border (issue 15: the
 * first transition from blood to still tissue, however dim): where the
 * neighbouring frames share the tissue's speckle, blood's term of
 * decorrelation in the feature stays high and a post-thrombotic layer's
 * drops to about a third of it, while their brightness may differ by less
 * than blood's own speckle. On each ray, inwards from the border (past at most
 * STILL_GAP_MM where the wall's edge decorrelates), a run of still samples
 * (at most still_level; at fine sampling, up to the midpoint to the
 * tissue beyond the border, and means over STILL_SPAN_MM of the ray) at
 * least layer_len deep with blood inside it (at fine sampling, across
 * short stretches over the level: still_blip); the
 * border moves to the run's start if that is nearer than what the
 * dim-layer test found (out). Where the run ends within layer_len of the
 * ring-down's box, the blood inside it is what lies between (a lesion's
 * sliver of lumen beside the catheter); a run that reaches the box needs
 * none (nothing inside can be blood). */
static void find_still_layers(LqSegmenter *s, const int *border, int *out)
{
    if (s->still_level <= 0) return;
    const int32_t still = still_level_at_border(s, border);
    const int inner0 = s->r_mask + 2 * BOX_HALF, len = s->layer_len, gap = (int)lround(STILL_GAP_MM / s->dr_mm);
    StillRay sr;
    for (int a = 0; a < NA; a++) {
        if (s->shadow[a]) continue;
        /* without a window, computed only as far in as the walk goes: most
         * rays meet blood (or the wall's decorrelating edge) within a few
         * samples */
        int r = border[a] - BOX_HALF - 1;
        if (s->still_half) still_ray(s, border, a, inner0, LQ_MIN(NR - 1, r + s->still_half), &sr); /* not into the ring-down's box */
        /* The DP's border part-way into a still layer that is dim (its
         * feature under half way from blood to tissue): the run counts the
         * samples at the border (from the box's half-width inside it), and
         * no wall's edge lies there to skip. Where the lumen is a sliver
         * between the ring-down and a scar, the DP's step rises in the
         * scar's middle and too little of it lies further in to pass for a
         * layer on its own. */
        int beyond = 0;
        int64_t layer = 0;
        if (r + 1 >= inner0) /* clear of the ring-down's box */
            for (int j = r + 1; j < NR && beyond < len && s->feat[a * NR + j] < s->mid_level; j++) {
                const int32_t t = still_at_border(s, border, a, j);
                if (t > s->still_level) break; /* sample by sample: not the window's level */
                layer += t, beyond++;
            }
        if (beyond < len) {
            beyond = 0, layer = 0;
            for (int skipped = 0; r >= inner0 && skipped < gap && still_at(s, &sr, border, a, r) > still; skipped++) r--;
        }
        const int top = r;
        int32_t v = 0; /* the last term the walk read */
        while (r >= inner0 && (v = still_at(s, &sr, border, a, r)) <= still) layer += v, r--;
        for (int on; s->still_half && (on = still_blip(s, &sr, border, a, r, inner0, still, gap, &layer, &v));) r -= on;
        if (top - r + beyond < len || r + 1 >= out[a]) continue;
        /* still down to where the ring-down's blur begins: a lumen thinner
         * than that blur (a compressed vein around the catheter) ends there
         * at the furthest, not at the wall behind the still layer */
        int hidden = r < inner0;
        if (!hidden) {
            /* blood inside it: over layer_len, or all that lies between the
             * run and the ring-down's box where that is less; that little
             * (the walk's last term, over the level, counts in it) shows
             * blood as weakly as a hidden lumen does, and is as sure */
            const int from = LQ_MAX(inner0, r + 1 - len);
            int64_t inside = v; /* the walk's last term, at r */
            for (int j = from; j < r; j++) inside += still_at(s, &sr, border, a, j);
            if (inside <= (int64_t)still * (r + 1 - from)) continue;
            hidden = r + 1 - from < len;
        }
        out[a] = r + 1;
        /* how still the layer is (its term near zero: 1), half where the
         * lumen is hidden in the ring-down. At half that (and a quarter in
         * the ring-down), to keep an echo cine's still myocardium from making
         * a frame sure (which the speckle and contrast tests now do), an
         * all-round scar found right left a third to over half of a pullback
         * under 0.5, and its reference fell outside the EIV
         * (docs/segmentation.md) */
        double sure = LQ_CLAMP(1.0 - (double)layer / (top - r + beyond) / s->blood_decorrelation, 0.0, 1.0);
        s->layer_sure[a] = (float)((hidden ? 0.5 : 1.0) * sure);
    }
}

/* The leading edge of a dim layer just inside the DP's border on each ray.
 * The DP scores each sample of the 5 x 3 box against one step over blood
 * (LEAD_NOISE deviations); a layer 1.2-1.4 times as bright as blood stands
 * less than that over it and the border ran on to the bright wall behind it
 * (the real 20 MHz frames of issue 15). A mean over seven rays and the
 * layer's depth is judged against the spread of that same mean in this
 * frame's blood (frame_levels), which is what tells such a layer from blood.
 * Each neighbouring ray counts only inside its own border: at a flattened
 * lumen's tips, the neighbours' wall is not a layer. out: the layer's edge
 * on each ray, or the DP's border where there is none. */
static void find_dim_layers(LqSegmenter *s, const int *border, int *out)
{
    const int len = s->layer_len, sub = s->layer_sub;
    const int inner0 = s->r_mask + 2 * BOX_HALF; /* blood whose box is clear of the ring-down */
    const int32_t level = s->blood_level + (int32_t)lround(LAYER_NOISE * s->layer_noise);
    const int min_layer = LQ_MAX(2, len - 2 * BOX_HALF); /* samples clear of both blurred edges */
    LayerSums ls;
    for (int a = 0; a < NA; a++) {
        out[a] = border[a];
        s->layer_sure[a] = -1.0f;
        const int end = border[a] - BOX_HALF; /* the layer ends before the wall's blurred rise */
        const int lo = LQ_MAX(inner0, end - s->layer_reach - BOX_HALF - len);
        if (s->shadow[a] || end - lo < 2 * len + 2 * BOX_HALF) continue;
        /* built inwards only as far as needed: most rays have no layer, and
         * the first window before the wall tells. The layer may start after
         * the last window that is not over the level. */
        ls.sum[end] = 0, ls.cnt[end] = 0, ls.r = end;
        int fail = lo - 1;
        while (ls.r > lo) {
            layer_add_column(s, border, a, &ls);
            if (!layer_over(&ls, ls.r, LQ_MIN(end, ls.r + sub), level)) {
                fail = ls.r;
                break;
            }
        }
        const int first = LQ_MAX(fail + 1, lo + len + 2 * BOX_HALF);
        if (first + min_layer > end) continue;
        while (ls.r > first - 2 * BOX_HALF - len) layer_add_column(s, border, a, &ls);
        for (int e0 = first; e0 + min_layer <= end; e0++) {
            int inner = e0 - 2 * BOX_HALF; /* the box at the edge e0 - BOX_HALF reaches back this far */
            if (layer_over(&ls, inner - len, inner, level)) continue; /* no blood inside it */
            out[a] = e0 - BOX_HALF;
            /* sure at 4 deviations of the test's mean over blood, half at the level's 2 */
            double over = (double)(ls.sum[e0] - ls.sum[end]) / LQ_MAX(1, ls.cnt[e0] - ls.cnt[end]) - s->blood_level;
            s->layer_sure[a] = (float)LQ_CLAMP(over / (2.0 * LAYER_NOISE * LQ_MAX(1, s->layer_noise)), 0.0, 1.0);
            break;
        }
    }
}

typedef struct ArcSums { /* over an arc of rays, each inside its own border: */
    int32_t acc[NR];    /* the plane's sum at each radius */
    uint8_t cnt[NR];    /* and how many rays reach it (at most NA / 8 + 1) */
} ArcSums;

/* Ray b into the arc's sums (sign 1) or out of them (-1), from lo. */
static void arc_ray(ArcSums *w, const int16_t *plane, const int *border, int b, int lo, int end, int sign)
{
    const int stop = LQ_MIN(end, border[b] - BOX_HALF);
    const int16_t *f = plane + b * NR;
    for (int r = lo; r < stop; r++) w->acc[r] += sign * f[r], w->cnt[r] = (uint8_t)(w->cnt[r] + sign);
}

/* The arc's mean profile from lo to end (exclusive), summed from lo: sum[i]
 * and sq[i] hold samples lo .. lo+i-1. Ray a, the arc's centre, bounds
 * end with its own border, so every sample counts at least one ray. */
static void arc_profile(const ArcSums *w, int lo, int end, double *sum, double *sq)
{
    sum[0] = sq[0] = 0.0;
    for (int r = lo; r < end; r++) {
        const double m = (double)w->acc[r] / w->cnt[r];
        sum[r - lo + 1] = sum[r - lo] + m, sq[r - lo + 1] = sq[r - lo] + m * m;
    }
}

/* One ray's arc-averaged plane (the feature, or the roughness) from lo to
 * end (exclusive), each neighbouring ray only inside its own border (short
 * of the box's half-width), summed from lo: sum[i] and sq[i] hold samples
 * lo .. lo+i-1. */
static void edge_profile(const int16_t *plane, const int *border, int a, int half, int lo, int end, double *sum,
                         double *sq)
{
    ArcSums w;
    memset(w.acc + lo, 0, (size_t)(end - lo) * sizeof *w.acc);
    memset(w.cnt + lo, 0, (size_t)(end - lo));
    for (int q = -half; q <= half; q++) arc_ray(&w, plane, border, (a + q + NA) % NA, lo, end, 1);
    arc_profile(&w, lo, end, sum, sq);
}

/* edge_profile for rays 0, 1, ... in turn: the arc slides one ray in and
 * one out (step 8's splits read every ray's profile over 15-33 rays). */
static void arc_start(ArcSums *w, const int16_t *plane, const int *border, int half, int lo)
{
    memset(w, 0, sizeof *w);
    for (int q = -half; q <= half; q++) arc_ray(w, plane, border, (q + NA) % NA, lo, NR, 1);
}
static void arc_advance(ArcSums *w, const int16_t *plane, const int *border, int a, int half, int lo)
{
    arc_ray(w, plane, border, (a + half) % NA, lo, NR, 1);
    arc_ray(w, plane, border, (a - half - 1 + NA) % NA, lo, NR, -1);
}

/* The radial roughness of each ray from lo to its border: the mean absolute
 * difference of neighbouring polar samples over the feature's box, in
 * eighths of a grey level. Fine speckle (a scar's) is rougher than coarse
 * speckle (blood's, and its bright blobs) of the same brightness. */
static void radial_roughness(LqSegmenter *s, const uint8_t *polar, const int *border, int lo)
{
    for (int a = 0; a < NA; a++) {
        const uint8_t *c = polar + a * NR;
        int16_t *out = s->rough + a * NR;
        const int r0 = LQ_MAX(lo - BOX_HALF, 0), r1 = LQ_MIN(border[a] + BOX_HALF + 1, NR - 1);
        int diff[NR], acc = 0;
        for (int r = r0; r < r1; r++) diff[r] = abs((int)c[r + 1] - c[r]);
        for (int r = r0; r < LQ_MIN(r0 + 2 * BOX_HALF, r1); r++) acc += diff[r];
        for (int r = r0 + BOX_HALF; r + BOX_HALF < r1; r++) { /* acc: diff[r - BOX_HALF .. r + BOX_HALF] */
            acc += diff[r + BOX_HALF];
            out[r] = (int16_t)(acc * 8 / (2 * BOX_HALF + 1));
            acc -= diff[r - BOX_HALF];
        }
    }
}

/* A plane's level on either side of the clear splits (rays ray[k], split
 * at split[k]): the medians of the two sides' means, each split's profile
 * averaged over the same arc as its feature. */
static void split_side_levels(const int16_t *plane, const int *border, int lo, int half, const int16_t *ray,
                              const int16_t *split, int clear, int32_t *inner_level, int32_t *layer_level)
{
    int32_t inner[NA], layer[NA];
    double sum[NR + 1], sq[NR + 1];
    for (int k = 0; k < clear; k++) {
        const int a = ray[k], e = split[k], end = border[a] - BOX_HALF, n = end - lo;
        edge_profile(plane, border, a, half, lo, end, sum, sq);
        inner[k] = (int32_t)lround(sum[e] / e), layer[k] = (int32_t)lround((sum[n] - sum[e]) / (n - e));
    }
    *inner_level = select_kth(inner, clear, clear / 2), *layer_level = select_kth(layer, clear, clear / 2);
}

/* How much rougher the clear splits' layers are than their blood: the ratio
 * of their radial roughness's levels. */
static double split_roughness_ratio(LqSegmenter *s, const uint8_t *polar, const int *border, int lo, int half,
                                    const int16_t *ray, const int16_t *split, int clear)
{
    radial_roughness(s, polar, border, lo);
    int32_t inner, layer;
    split_side_levels(s->rough, border, lo, half, ray, split, clear, &inner, &layer);
    return (double)layer / LQ_MAX(inner, 1);
}

/* Ray j of the g - 1 rays between rays left and right: the border on the
 * straight line between theirs. */
static int border_between(const int *out, int left, int right, int j, int g)
{
    return (int)lround(out[left] + (double)(out[right] - out[left]) * j / g);
}

/* Gaps of at most EDGE_GAP_MAX rays between the kept runs of a layer's
 * edge. Where a scar goes all round, the splits fade on some sectors (blood's
 * coarse blobs beside the scar, a thinner layer) and the path went back to
 * the DP's border there: the contour ran out along the outer wall between two
 * stretches on the leading edge. Each ray of such a gap takes the edge
 * interpolated between the runs' ends when its own profile, from there out to
 * its border, stands at the hidden lumen's level (a third of the way from the
 * splits' blood to their layer): a gap whose blood reaches the wall (a scar on
 * some sectors only) keeps the DP's border. A ray in the guidewire's shadow
 * has no profile and takes the interpolation. */
static void bridge_layer_gaps(LqSegmenter *s, const int *border, const uint8_t *in_run, double cut, int *out)
{
    const int lo = s->r_mask + 2 * BOX_HALF;
    double sum[NR + 1], sq[NR + 1];
    int start = 0;
    while (start < NA && !in_run[start]) start++;
    if (start == NA) return;
    for (int i = 0; i < NA;) {
        const int left = (start + i) % NA;
        if (!in_run[left] || in_run[(left + 1) % NA]) {
            i++;
            continue;
        }
        int g = 1; /* the next ray of a run is g rays on */
        while (!in_run[(left + g) % NA]) g++;
        i += g;
        if (g - 1 > EDGE_GAP_MAX) continue;
        const int right = (left + g) % NA;
        for (int j = 1; j < g; j++) {
            const int b = (left + j) % NA, end = border[b] - BOX_HALF;
            const int r = border_between(out, left, right, j, g);
            if (s->shadow[b]) {
                out[b] = LQ_MIN(out[b], r);
                continue;
            }
            if (r >= out[b] - BOX_HALF || r < lo || end - r < s->layer_len) continue;
            edge_profile(s->feat, border, b, LAYER_RAYS, r, end, sum, sq);
            if (sum[end - r] >= cut * (end - r)) out[b] = r, s->layer_sure[b] = 0.5f;
        }
    }
}

/* The score of splitting a profile of n samples (prefix sums of its values
 * and squares) at e: how far the outer mean stands over the inner against
 * the profile's scatter about the two. 0 unless it rises, and sharply (over
 * w samples at least EDGE_SHARP of the rise: blood that brightens with
 * depth is not a layer). */
static double split_z(const double *sum, const double *sq, int e, int n, int w)
{
    const double mu1 = sum[e] / e, mu2 = (sum[n] - sum[e]) / (n - e), d = mu2 - mu1;
    if (d <= 0 || (sum[e + w] - sum[e]) - (sum[e] - sum[e - w]) < EDGE_SHARP * d * w) return 0.0;
    const double scatter = (sq[n] - e * mu1 * mu1 - (n - e) * mu2 * mu2) / (n - 2);
    return d / sqrt(LQ_MAX(scatter, 1.0) * EDGE_CORR * (1.0 / e + 1.0 / (n - e)));
}

/* One ray's split scores z[e0..e1] as the DP reads them, in EDGE_Z_UNIT
 * steps. The cap limits what the ray's best split weighs against the DP's
 * border and the other rays, not how much worse its other radii are: capped
 * one by one, a strong layer's splits all read EDGE_Z_MAX over a plateau
 * that reaches well into the blood (a longer layer side keeps z high), and
 * the path settled anywhere on it. */
static void split_scores(uint8_t *row, const double *z, double best, int e0, int e1)
{
    const double excess = LQ_MAX(0.0, best - EDGE_Z_MAX);
    for (int e = e0; e <= e1; e++) row[e] = (uint8_t)lround(EDGE_Z_UNIT * LQ_CLAMP(z[e] - excess, 0.0, EDGE_Z_MAX));
}

/* A split's edge e (its layer's first sample) on ray b, where the layer
 * begins with a bright echo (a scar's thin leading edge), on the ray's
 * profile over LAYER_RAYS rays on either side: the echo's peak within two
 * grains beyond e, and the edge at the half-rise from blood (the grains
 * from four to one inside e) to that peak, the first sample of the stretch
 * at that level or over that ends at the peak (walked back from the peak,
 * so that a bright blob in the blood a grain inside does not pull it in).
 * A split weighs blood against the layer's mean, and the echo's blur
 * reaches a grain into the blood: its edge stood 0.08-0.12 mm inside the
 * truth wherever the scar had such an echo (small vessel at 20 MHz,
 * held-out seeds 8 and 12). Where the peak stands over blood by less than
 * ECHO_PEAK times the layer's rise (no echo), the split stays. *level: the
 * half-rise (refine's level there), 0 for none. */
static int leading_echo(const LqSegmenter *s, const int *border, int b, int lo, int e, int32_t *level)
{
    *level = 0;
    const int end = border[b] - BOX_HALF, in0 = LQ_MAX(lo, e - EDGE_SIDE), in1 = e - EDGE_CORR;
    const int peak_end = e + 2 * EDGE_CORR, layer_end = LQ_MIN(end, e + EDGE_SIDE);
    if (in1 - in0 < EDGE_CORR || layer_end - peak_end < EDGE_CORR) return e;
    double sum[NR + 1], sq[NR + 1];
    edge_profile(s->feat, border, b, LAYER_RAYS, in0, layer_end, sum, sq);
    const double blood = sum[in1 - in0] / (in1 - in0);
    const double layer = (sum[layer_end - in0] - sum[peak_end - in0]) / (layer_end - peak_end);
    if (layer <= blood) return e;
    double peak = blood;
    int at = in1;
    for (int r = in1; r < peak_end; r++)
        if (sum[r - in0 + 1] - sum[r - in0] > peak) peak = sum[r - in0 + 1] - sum[r - in0], at = r;
    if (peak - blood < ECHO_PEAK * (layer - blood)) return e;
    const double half_rise = 0.5 * (blood + peak);
    while (at > in1 && sum[at - in0] - sum[at - in0 - 1] >= half_rise) at--; /* back from the peak: not a blob in blood */
    *level = (int32_t)lround(half_rise);
    return at;
}

/* A run of `seen` rays shows a layer with blood inside it: EDGE_RUN rays
 * long, half of EDGE_RUN of them split, three quarters split or on a hidden
 * lumen. */
static int run_with_blood(int seen, int split, int masked)
{
    return seen >= EDGE_RUN && 2 * split >= EDGE_RUN && 4 * (split + masked) >= 3 * seen;
}

/* Step 8, third pass: the leading edge of a dim layer as a border of its own. The
 * dim-layer test above asks every 0.2 mm window of a layer to stand two
 * deviations over blood; a scar 1.1-1.2 times as bright as blood in a small
 * vessel (the real 20 MHz frames of issue 15) does so in about half its
 * windows, and its edge is plain only in a mean over the whole layer and a
 * millimetre of arc. Each ray's averaged profile is split at every radius
 * into blood inside and a layer (at most LAYER_MAX_MM) outside, each side
 * at least EDGE_SIDE samples (four of the profile's grains: at venous
 * sampling a split of a few grains is as often a blob of blood's speckle
 * next to the wall); the split scores the difference of the two means
 * against the scatter about them. It counts only if the rise is sharp (blood
 * that brightens with depth is not a layer) and the layer dim (under the
 * midpoint to tissue: else the DP's border is already on it). Where a
 * split's sides are short enough (fine sampling), the texture (the image's
 * cell variation: a scar's speckle is finer than blood's) joins the
 * feature, and a split scores the better of the two. A DP over the
 * rays traces the edge with the lumen border's smoothness, where the DP's
 * own border scores EDGE_Z, and the edge is kept only over runs of EDGE_RUN
 * rays. A lumen hidden in the ring-down (the catheter against the scar) is
 * taken where such a layer, with blood inside it, was found in the same
 * frame and a ray is at the layer's level from the ring-down out. Guided by
 * the neighbours' border (a frame off both), the edge is drawn towards it.
 * Short gaps between kept runs are bridged where the layer shows in them. */
static void find_layer_edges(LqSegmenter *s, const uint8_t *polar, const int *border, int guided, int *out)
{
    const int lo = s->r_mask + 2 * BOX_HALF, side = LQ_MAX(s->layer_len, EDGE_SIDE), sub = s->layer_sub;
    for (int a = 0; a < NA; a++) s->echo_at[a] = -1;
    const int thickest = (int)lround(LAYER_MAX_MM / s->dr_mm);
    const double gain = (double)EDGE_GAIN * s->window;
    /* a millimetre of arc in rays, at the typical border's radius */
    int32_t radii[NA];
    for (int a = 0; a < NA; a++) radii[a] = border[a];
    const double ray_arc = LQ_MAX(select_kth(radii, NA, NA / 2), 1) * s->dr_mm * 2.0 * LQ_PI / NA;
    const int half = LQ_CLAMP((int)lround(0.5 * EDGE_ARC_MM / ray_arc), LAYER_RAYS, NA / 16);
    double sum[NR + 1], sq[NR + 1];
    int32_t inner_mean[NA], layer_mean[NA];
    int16_t clear_ray[NA], clear_split[NA];
    int32_t inner_i[NA], layer_i[NA];
    int16_t clear_ray_i[NA], clear_split_i[NA];
    int clear = 0, clear_i = 0; /* rays whose best split scores EDGE_Z or more; by the intensity alone */
    const int texture = texture_joins(s);
    /* the texture plane holds at most 4 * 15 * 255 = 15300: as int16 for the arc sums */
    const int16_t *texture_plane = (const int16_t *)s->texture;
    double tsum[NR + 1], tsq[NR + 1];
    if (texture)
        for (int a = 0; a < NA; a++)
            for (int r = 0; r <= border[a]; r++) {
                const int i = a * NR + r;
                s->edge_feat[i] = (int16_t)((10 * s->feat[i] + TEXTURE_WEIGHT_X10 * s->texture[i]) / 20);
            }
    ArcSums arc, tarc; /* the feature; with the texture added */
    arc_start(&arc, s->feat, border, half, lo);
    if (texture) arc_start(&tarc, s->edge_feat, border, half, lo);
    for (int a = 0; a < NA; a++) {
        const int end = border[a] - BOX_HALF, n = end - lo;
        if (a) {
            arc_advance(&arc, s->feat, border, a, half, lo);
            if (texture) arc_advance(&tarc, s->edge_feat, border, a, half, lo);
        }
        memset(s->edge_z + a * NR + s->r_mask, 0, (size_t)LQ_MAX(0, border[a] + 1 - s->r_mask)); /* what the DP reads */
        if (texture) memset(s->edge_zi + a * NR + s->r_mask, 0, (size_t)LQ_MAX(0, border[a] + 1 - s->r_mask));
        if (s->shadow[a] || n < 2 * side) continue;
        arc_profile(&arc, lo, end, sum, sq);
        if (texture) arc_profile(&tarc, lo, end, tsum, tsq);
        double best = 0.0, best_i = 0.0, zs[NR], zi[NR];
        int best_e = 0, best_ei = 0;
        const int e0 = LQ_MAX(side, n - thickest);
        for (int e = e0; e <= n - side; e++) {
            zs[e] = zi[e] = 0.0;
            /* a layer brighter than blood (a scar is never darker) and dim */
            const double mu1 = sum[e] / e, mu2 = (sum[n] - sum[e]) / (n - e);
            if (mu2 <= mu1 || mu2 >= s->mid_level) continue;
            const int w = LQ_MIN(sub, LQ_MIN(e, n - e));
            zs[e] = zi[e] = split_z(sum, sq, e, n, w);
            if (texture) {
                const double zt = split_z(tsum, tsq, e, n, w);
                if (zt > zs[e]) zs[e] = zt;
            }
            if (zs[e] > best) best = zs[e], best_e = e;
            if (zi[e] > best_i) best_i = zi[e], best_ei = e;
        }
        split_scores(s->edge_z + a * NR + lo - BOX_HALF, zs, best, e0, n - side);
        if (texture) split_scores(s->edge_zi + a * NR + lo - BOX_HALF, zi, best_i, e0, n - side);
        if (best >= EDGE_Z) {
            clear_ray[clear] = (int16_t)a, clear_split[clear] = (int16_t)best_e;
            inner_mean[clear] = (int32_t)lround(sum[best_e] / best_e);
            layer_mean[clear++] = (int32_t)lround((sum[n] - sum[best_e]) / (n - best_e));
        }
        if (best_i >= EDGE_Z) {
            clear_ray_i[clear_i] = (int16_t)a, clear_split_i[clear_i] = (int16_t)best_ei;
            inner_i[clear_i] = (int32_t)lround(sum[best_ei] / best_ei);
            layer_i[clear_i++] = (int32_t)lround((sum[n] - sum[best_ei]) / (n - best_ei));
        }
    }
    if (clear < EDGE_RUN / 4) return; /* no run can beat the DP's border */
    /* A lumen hidden in the ring-down, or a sliver of it thinner than a
     * split's inner side: the ray at the layer's level over its whole length
     * and from where the first LAYER_SUB_MM window reaches it. The runs are
     * judged with the lumen ending BOX_HALF samples short of that window
     * (at the ring-down if it is the ray's first). Where the window begins
     * with a grain (EDGE_CORR samples) or more under the level, a sliver of
     * blood, the border is put at its first sample at the level (a crossing
     * of the boxed profile a third of the way up lies within a sample of
     * the step): the window passed on the layer beyond the sliver, and the
     * lumen ended at the ring-down 0.14-0.25 mm inside the truth over a 70
     * degree sector (small vessel at 20 MHz with scar, seed 4, frame 80).
     * Fewer samples under the level are the layer's own speckle: moved out
     * past them, a lumen truly hidden at the lesion stood 0.1-0.2 mm out on
     * a few rays and the caliper MLD took the bumps (seed 6, frame 48: %DS
     * 31.8 for 37.2). Judged at the border's radius, runs held that had not
     * (the small vessel without scar, `--beam`, seed 3, frame 1: a contour
     * on the ring-down all round). */
    int16_t hidden[NA] = {0}; /* that radius, 0: none */
    int16_t hidden_edge[NA] = {0}; /* ... and the border there */
    /* The levels come from the rays whose intensity alone splits clearly,
     * where there are enough: a split the texture carries has a layer
     * little brighter than its blood, and with those the hidden lumen's
     * level fell to the frame's blood (small vessel with scar, `--beam`,
     * seed 1, frame 7: every ray of a 110 degree sector read as a hidden
     * lumen and the contour closed on the ring-down there). */
    const int by_intensity = clear_i >= EDGE_RUN / 4, levels = by_intensity ? clear_i : clear;
    const int32_t blood = select_kth(by_intensity ? inner_i : inner_mean, levels, levels / 2);
    const int32_t layer = select_kth(by_intensity ? layer_i : layer_mean, levels, levels / 2);
    /* A dim layer stands well under the midpoint to the tissue: where blood
     * is nearly as bright as the tissue (echogenic blood at 40 MHz beyond a
     * lost wall), the splits are blood's own. And it stands clear of blood's
     * speckle, over the splits' blood and the frame's: splits fainter than
     * EDGE_FAINT of a blood sample's deviation are its blobs (beam-shaped
     * speckle in a small vessel without scar), unless their layers are
     * EDGE_ROUGHER than their blood (a scar's finer speckle: a blob is
     * bright and smooth), and splits whose layer is the frame's blood went
     * from a darker patch into blood, unless the texture plane shows their
     * layers rougher than their blood by TEXTURE_CONTRAST: at a lesion where
     * the catheter touches the scar on most rays, the frame's blood band
     * holds the scar (the small vessel at 20 MHz with scar, held-out seed 9,
     * frame 47: B 4310 against the splits' blood 3410 and layer 4197), the
     * layer was refused and the contour ran out to the outer wall. The
     * plane's variation grows with brightness as well as with a finer
     * grain; splits from a darker patch into blood stand under 1 in it
     * (0.88-0.94: the small vessel without scar, `--beam`, seed 3). */
    const int may_hide = clear_i >= EDGE_RUN / 2; /* below */
    int32_t blood_tex = 0, layer_tex = 0;
    if (texture && by_intensity && (layer <= s->blood_level || may_hide))
        split_side_levels(texture_plane, border, lo, half, clear_ray_i, clear_split_i, clear_i, &blood_tex, &layer_tex);
    const int textured = layer_tex > blood_tex && layer_tex - blood_tex >= TEXTURE_CONTRAST * blood_tex;
    if (2 * (layer - blood) > s->mid_level - s->blood_level || (layer <= s->blood_level && !textured) ||
        (layer - blood < EDGE_FAINT * s->blood_noise &&
         split_roughness_ratio(s, polar, border, lo, half, clear_ray, clear_split, clear) < EDGE_ROUGHER))
        return;
    const double cut = blood + EDGE_HIDDEN_CUT * (layer - blood);
    /* A hidden lumen is judged on levels alone, against the splits' blood:
     * only in a frame where as many rays as half a run split clearly on
     * their intensity. A few clear splits in a blood-only frame (a small
     * vessel at 40 MHz, echogenic blood, their layer barely over the
     * frame's blood) had every ray of the frame read as a hidden lumen and
     * the contour closed on the ring-down (may_hide, above). */
    /* Where the texture tells the layer from blood in this frame, a hidden
     * lumen's texture stands at the layer's too: a ray of blood a little
     * brighter than the splits' (beam-long blobs, the near field) is as
     * coarse as blood (the small vessel at 20 MHz with scar, seed 1, frame
     * 114, `--beam`: 80 of 256 rays of blood read as hidden lumens beside a
     * scar found on 19). */
    const double cut_t = may_hide && textured ? blood_tex + EDGE_HIDDEN_CUT * (layer_tex - blood_tex) : 0.0;
    const int32_t unit = (int32_t)lround(gain / EDGE_Z_UNIT);
    const int cap = (int)lround(gain * EDGE_GUIDE), reach = 2 * sub, mu = LQ_MAX(1, cap / (reach * reach));
    /* each ray's profile over LAYER_RAYS rays on either side, the arc sliding
     * one ray at a time as in the splits (and the texture's, where it judges) */
    ArcSums near, near_tex;
    if (may_hide) arc_start(&near, s->feat, border, LAYER_RAYS, lo);
    if (cut_t > 0.0) arc_start(&near_tex, texture_plane, border, LAYER_RAYS, lo);
    for (int a = 0; a < NA; a++) {
        if (a && may_hide) arc_advance(&near, s->feat, border, a, LAYER_RAYS, lo);
        if (a && cut_t > 0.0) arc_advance(&near_tex, texture_plane, border, a, LAYER_RAYS, lo);
        int32_t *cost = s->cost + a * NR;
        const uint8_t *z_row = s->edge_z + a * NR;
        for (int r = 0; r < NR; r++) cost[r] = r < s->r_mask || r > border[a] ? LQ_COST_FORBIDDEN : -unit * z_row[r];
        if (s->shadow[a]) continue; /* no information: interpolated */
        cost[border[a]] = cost[LQ_MAX(border[a] - 1, 0)] = -(int32_t)lround(gain * EDGE_Z);
        const int end = border[a] - BOX_HALF, n = end - lo;
        if (may_hide && n >= s->layer_len && n <= thickest) { /* the layer from the ring-down to the border */
            arc_profile(&near, lo, end, sum, sq);
            if (sum[n] >= cut * n)
                for (int e = 0; e < side && e + s->layer_len <= n; e++) {
                    if (sum[e + sub] - sum[e] < cut * sub || sum[n] - sum[e] < cut * (n - e)) continue;
                    if (cut_t > 0.0) {
                        double tex[NR + 1], tex_sq[NR + 1];
                        arc_profile(&near_tex, lo, end, tex, tex_sq);
                        if (tex[n] - tex[e] < cut_t * (n - e)) break;
                    }
                    const int r = e ? lo + e - BOX_HALF : s->r_mask;
                    int at = e;
                    while (at < e + sub - 1 && sum[at + 1] - sum[at] < cut) at++;
                    hidden[a] = (int16_t)r, hidden_edge[a] = (int16_t)(at - e >= EDGE_CORR ? lo + at : r);
                    cost[r] = cost[r + 1] = -(int32_t)lround(gain * EDGE_HIDDEN_Z);
                    break;
                }
        }
        if (guided) s->dsp.prior_add(cost, border[a] + 1, s->r_mask, s->prev_border[a], mu, cap);
    }
    int path[NA];
    solve_border(s, path);
    /* Runs of rays where the path left the DP's border. A run is kept when
     * at least half of EDGE_RUN of its rays split there and three quarters
     * of it split or lie on a hidden lumen: the DP carries the edge across
     * the few rays where no split passed. Once such a run shows the layer
     * with blood inside it, a run half as long on a hidden lumen is kept
     * too (the catheter against the scar at a lesion), once a run whose
     * splits the intensity carries shows it: a run the texture carried
     * stands on its own (with any hidden lumens inside it) but keeps no
     * other run of hidden lumens (a run of false splits in blood, the
     * small vessel at 20 MHz, `--beam`: such runs then closed the contour
     * on the ring-down over half the frame). */
    const int split_min = (int)lround(EDGE_Z_LOW * EDGE_Z_UNIT);
    const uint8_t *zi_plane = texture ? s->edge_zi : s->edge_z;
    int run_at[NA], run_len[NA], run_kept[NA], run_blood[NA], runs = 0, shown = 0, shown_i = 0;
    int first = 0;
    while (first < NA && (s->shadow[first] || path[first] < border[first] - BOX_HALF)) first++;
    /* Every ray out of the shadow on the path: one run all round, which
     * starts just past a shadow so that the shadow lies inside it */
    const int all_round = first == NA;
    if (all_round) {
        first = 0;
        while (first < NA && !(s->shadow[(first + NA - 1) % NA] && !s->shadow[first])) first++;
        if (first == NA) first = 0;
    }
    for (int i = 0; i < NA;) {
        const int a = (first + i) % NA;
        if (s->shadow[a] || path[a] >= border[a] - BOX_HALF) {
            i++;
            continue;
        }
        /* A guidewire's shadow inside a run does not end it: its rays carry
         * no information and the path crosses them as the DP's border does,
         * from the rays on either side. A run does not end in one. */
        int len = 0, seen = 0, split = 0, split_i = 0, masked = 0; /* seen: the run's rays out of the shadow */
        for (int k = 0; k < NA - i; k++) {
            const int b = (a + k) % NA;
            if (s->shadow[b]) continue;
            if (path[b] >= border[b] - BOX_HALF) break;
            len = k + 1, seen++;
            if (hidden[b] && abs(path[b] - hidden[b]) <= 1) masked++;
            else split += s->edge_z[b * NR + path[b]] >= split_min, split_i += zi_plane[b * NR + path[b]] >= split_min;
        }
        if (all_round) len = NA;
        const int with_blood = run_with_blood(seen, split, masked);
        run_at[runs] = a, run_len[runs] = len, run_blood[runs] = with_blood;
        run_kept[runs++] = with_blood || (2 * seen >= EDGE_RUN && 4 * masked >= 3 * seen);
        shown |= with_blood;
        shown_i |= run_with_blood(seen, split_i, masked);
        i += len;
    }
    uint8_t in_run[NA] = {0};
    for (int k = 0; k < runs && shown; k++) {
        if (!run_kept[k] || (!run_blood[k] && !shown_i)) continue;
        for (int j = 0, len = run_len[k]; j < len; j++) {
            const int b = (run_at[k] + j) % NA, at_mask = hidden[b] && abs(path[b] - hidden[b]) <= 1;
            in_run[b] = 1;
            /* edge_z holds a split BOX_HALF samples inside the first sample
             * of its layer side, and the border is that first sample: the
             * two means of the centred box's profile split a step at its
             * middle (recording the path as the border put the layer's
             * edge 0.04 mm inside the truth at 0.02 mm sampling, session 23);
             * before a bright leading echo, the half-rise to it (leading_echo) */
            int edge = at_mask ? hidden_edge[b] : LQ_MIN(path[b] + BOX_HALF, border[b]);
            int32_t echo = 0;
            if (!at_mask && !s->shadow[b]) edge = LQ_MIN(leading_echo(s, border, b, lo, edge, &echo), border[b]);
            if (edge >= out[b]) continue;
            out[b] = edge;
            if (echo) s->echo_at[b] = (int16_t)edge, s->echo_level[b] = echo;
            if (s->shadow[b]) continue; /* no edge of its own: the path between the rays around */
            /* sure at EDGE_Z; half where the lumen is hidden */
            s->layer_sure[b] =
                at_mask ? 0.5f : (float)LQ_CLAMP(s->edge_z[b * NR + path[b]] / (EDGE_Z_UNIT * EDGE_Z), 0.0, 1.0);
        }
    }
    if (shown) bridge_layer_gaps(s, border, in_run, cut, out);
}

/* A guidewire's shadow has no edge of its own: the DP carried the border
 * across it from its own border on either side, and the dim-layer and
 * still passes leave it there (the layer edge moves it only inside a kept
 * run). Where they moved the rays on both sides in, the shadow's
 * rays take the line between those (the nearer, as every pass; one side
 * alone may be a pass's slip, which the despiking takes back on a lone ray
 * but not across a wedge): else the
 * wedge stood out into the scar, and the caliper MLD took it whole (the
 * small vessel at 40 MHz with scar, held-out seed 5, frame 63: area right
 * to 1.5 %, MLD 2.84 mm for 1.87). */
static void shadow_follows_layers(const LqSegmenter *s, const int *border, int *out)
{
    int lit = 0;
    while (lit < NA && s->shadow[lit]) lit++;
    if (lit == NA) return;
    for (int i = 0; i < NA; i++) {
        const int a = (lit + i) % NA;
        if (s->shadow[a] || !s->shadow[(a + 1) % NA]) continue; /* a: the last lit ray before a wedge */
        int g = 1;
        while (s->shadow[(a + g) % NA]) g++;
        const int b = (a + g) % NA;
        if (out[a] >= border[a] || out[b] >= border[b]) continue;
        for (int j = 1; j < g; j++) {
            const int r = border_between(out, a, b, j, g), k = (a + j) % NA;
            if (r < out[k]) out[k] = r;
        }
    }
}

/* The border on one ray, to a fraction of a sample: the local half
 * maximum, where the feature crosses half-way between the blood just inside
 * the DP's radius and the tissue just beyond it, nearest that radius
 * (within refine_reach samples). The local levels keep the edge unbiased
 * whether the tissue there is a bright wall or a hypoechoic layer. Without
 * a clear local step: the score's zero crossing. */
/* The upward crossing of `level` by v nearest to r (within refine_reach
 * samples, never inside the ring-down), interpolated; -1 if none. */
static double nearest_rise(const LqSegmenter *s, const int16_t *v, int r, double level)
{
    for (int k = 0; k <= s->refine_reach; k++)
        for (int sign = -1; sign <= 1; sign += 2) {
            int j = r + sign * k;
            if (j - 1 < s->r_mask || j >= NR || (k == 0 && sign > 0)) continue;
            if (v[j - 1] < level && v[j] >= level) return (j - 1) + (level - v[j - 1]) / (double)(v[j] - v[j - 1]);
        }
    return -1.0;
}

static double refine(const LqSegmenter *s, int a, int r)
{
    if (s->shadow[a]) return r - 0.5;
    if (r <= s->r_mask) return s->r_mask - 0.5; /* hidden by ring-down: its edge */
    const int16_t *f = s->feat + a * NR;
    int w = s->window, reach = BOX_HALF + 1;
    int in0 = LQ_MAX(s->r_mask + BOX_HALF, r - w), in1 = r - reach, out0 = LQ_MIN(r + reach, NR - 1),
        out1 = LQ_MIN(r + reach + w / 2, NR);
    if (in1 - in0 >= 2 && out1 - out0 >= 2) {
        int32_t inner = 0, outer = 0;
        for (int j = in0; j < in1; j++) inner += f[j];
        for (int j = out0; j < out1; j++) outer += f[j];
        double lo = (double)inner / (in1 - in0), hi = (double)outer / (out1 - out0);
        double edge = -1.0;
        if (hi - lo >= 0.5 * s->lead_step) {
            if (r == s->echo_at[a]) edge = nearest_rise(s, f, r, s->echo_level[a]);
            if (edge < 0) edge = nearest_rise(s, f, r, 0.5 * (lo + hi));
        }
        if (edge >= 0) return edge;
    }
    double edge = nearest_rise(s, s->score + a * NR, r, 0.0);
    return edge >= 0 ? edge : r - 0.5;
}

/* Confidence: how clearly blood is inside and tissue outside along each ray,
 * averaged over the rays; shadowed rays count half. Judged on the scale of
 * blood to tissue (the midpoint score), not on the leading-edge score, which
 * saturates on any rise: a border in dim tissue is less sure than one on a
 * bright wall, and a frame without the contrast of blood and tissue (not
 * IVUS) must not look sure. A ray whose border is a dim layer's edge
 * (find_dim_layers) counts, if higher, how clearly that layer stands over
 * blood in its own test: a found layer is not a doubtful edge. */
static int mid_score(const LqSegmenter *s, int f)
{
    int v = ((f - s->mid_level) * s->mid_gain) >> 12; /* the score kernel's form: no division per sample */
    return LQ_CLAMP(v, -256, 256);
}

/* Rays whose border ran out of the view: no wall was seen there. */
static int rays_out_of_view(const LqSegmenter *s, const int *border)
{
    int cut = 0;
    for (int a = 0; a < NA; a++) cut += border[a] >= s->extent[a] - 1;
    return cut;
}

static double confidence(const LqSegmenter *s, const int *border, int out_of_view)
{
    double sum = 0;
    int n = 0, shadowed = 0;
    for (int a = 0; a < NA; a++) {
        if (s->shadow[a]) {
            shadowed++;
            continue;
        }
        const int16_t *f = s->feat + a * NR;
        int r = border[a], w = s->window;
        int32_t out = 0, in = 0; /* exact: at most 256 scores of 256 */
        int no = 0, ni = 0;
        for (int j = r; j < LQ_MIN(NR, r + w); j++) out += mid_score(s, f[j]), no++;
        for (int j = LQ_MAX(s->r_mask, r - w); j < r; j++) in += mid_score(s, f[j]), ni++;
        double contrast = (no ? (double)out / no : 0) - (ni ? (double)in / ni : 0);
        sum += LQ_MAX(LQ_CLAMP(contrast / 384.0, 0.0, 1.0), (double)s->layer_sure[a]);
        n++;
    }
    double c = n ? sum / n : 0.0;
    return c * (1.0 - 0.5 * (double)shadowed / NA) * (1.0 - (double)out_of_view / NA);
}

/* First radius of the tissue whose speckle is compared on a ray: beyond the
 * previous border where there is one (a wide lumen's blood, which always
 * decorrelates, would hide still tissue), else beyond the ring-down. Where
 * that border ran out of the view, the deepest FAR_BAND_MM of it: the
 * whole ray was mostly blood, its match fell under MATCH_LO, and the next
 * frame lost its decorrelation term and the wall in turn (the small vessel
 * at 40 MHz with scar, seed 2: 15 frames past the first 35 without the
 * term, 9 of them in a row; 6 with this band). */
#define FAR_BAND_MM 1.0
static int tissue_from(const LqSegmenter *s, int ray)
{
    int r0 = s->r_mask + 1;
    if (s->have_prev && s->prev_border[ray] + BOX_HALF + 2 < s->extent[ray] - 16)
        r0 = LQ_MAX(r0, s->prev_border[ray] + BOX_HALF + 2);
    else if (s->have_prev)
        r0 = LQ_MAX(r0, s->extent[ray] - (int)lround(FAR_BAND_MM / s->dr_mm));
    return r0;
}

/* Whether two polar frames share their tissue speckle: the correlation of
 * radial first differences (speckle rather than anatomy) over every 8th ray.
 * Consecutive ungated frames share it (tissue is still, about 0.6-0.99);
 * frames a heartbeat apart (gated) or far apart along the pullback do not
 * (about 0.1), and then blood and tissue decorrelate alike. */
static double speckle_match(const LqSegmenter *s, const uint8_t *a, const uint8_t *b)
{
    int64_t ab = 0, aa = 0, bb = 0;
    for (int ray = 0; ray < NA; ray += 8) {
        const uint8_t *p = a + (size_t)ray * NR, *q = b + (size_t)ray * NR;
        for (int r = tissue_from(s, ray); r <= s->extent[ray]; r++) {
            int da = p[r] - p[r - 1], db = q[r] - q[r - 1];
            ab += da * db, aa += da * da, bb += db * db;
        }
    }
    return aa > 0 && bb > 0 ? (double)ab / sqrt((double)aa * (double)bb) : 0.0;
}

/* The same correlation with the neighbour's image (luma) sampled where this
 * frame's tissue points lie in it after the motion m, on every step-th ray,
 * over the first ALIGN_BAND_MM of tissue. */
#define ALIGN_BAND_MM 2.0
static double moved_match(const LqSegmenter *s, const uint8_t *cur, const uint8_t *luma, const Motion *m, int step)
{
    const LqSegGeometry *g = &s->g;
    double ab = 0, aa = 0, bb = 0;
    for (int ray = 0; ray < NA; ray += step) {
        const uint8_t *p = cur + (size_t)ray * NR;
        /* along the ray the moved point advances by a fixed step in pixels */
        double u = s->dr_mm * s->cos_a[ray], v = s->dr_mm * s->sin_a[ray];
        double sx = (m->c * u - m->s * v) / g->dx_mm, sy = (m->s * u + m->c * v) / g->dy_mm;
        double x0 = s->cx + m->tx / g->dx_mm, y0 = s->cy + m->ty / g->dy_mm;
        /* the tissue just beyond the border: where the difference decides */
        int r0 = tissue_from(s, ray), r1 = LQ_MIN(s->extent[ray], r0 + (int)lround(ALIGN_BAND_MM / s->dr_mm));
        double last = 0;
        for (int r = r0 - 1; r <= r1; r++) {
            double x = x0 + r * sx, y = y0 + r * sy;
            if (x < 0 || y < 0 || x > g->cols - 2 || y > g->rows - 2) break;
            int xi = (int)x, yi = (int)y;
            double fx = x - xi, fy = y - yi;
            const uint8_t *q = luma + (size_t)yi * g->cols + xi;
            double val = (1 - fy) * (q[0] + fx * (q[1] - q[0])) + fy * (q[g->cols] + fx * (q[g->cols + 1] - q[g->cols]));
            if (r >= r0) {
                double da = p[r] - p[r - 1], db = val - last;
                ab += da * db, aa += da * da, bb += db * db;
            }
            last = val;
        }
    }
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0.0;
}

/* Ungated motion: with each beat the catheter swings in the lumen and the
 * vessel turns about it, so a neighbour's tissue speckle lies a pixel or two
 * away from this frame's and changes as much as the blood. Where the tissue
 * no longer matches (under MATCH_HI) and the neighbour's image is at hand,
 * the shift and turn that best match it are searched in the image (the polar
 * frame has already lost the detail at the border's radii, one ray being
 * 2.5-3.7 pixels of arc there): from the last match, or, without one or
 * where it no longer matches, shifts of up to 3 pixels on a pixel grid and
 * turns of up to 0.8 degrees at the best of them; then turns of 0.2 degrees
 * more and half and quarter pixels. The neighbour,
 * resampled at the matched points, takes its place in the difference when
 * it matches by ALIGN_GAIN more than as it stood. */
#define ALIGN_REACH_PX 3
#define ALIGN_GAIN 0.1
/* The vessel also turns about the catheter with each beat (torsion): by
 * 0.4-1 degree between frames where it turns fastest (the motion phantom's
 * seed 2 at 40 MHz; more at a fast heart rate). From the last match the
 * search follows the turn by ALIGN_FOLLOW_TURNS steps of ALIGN_TURN_STEP
 * degrees each way before the shift; the grid search tries ALIGN_GRID_TURNS
 * double steps each way at the grid's best shift (a grid of turns by
 * shifts gained no more and cost a quarter more time). */
#define ALIGN_TURN_STEP 0.2
#define ALIGN_FOLLOW_TURNS 2
#define ALIGN_GRID_TURNS 2

static Motion motion_of(double deg, double tx, double ty)
{
    double t = deg * LQ_PI / 180.0;
    return (Motion){cos(t), sin(t), tx, ty};
}

/* The best of the 3 x 3 shifts a pixel apart around (tx, ty) px at deg. */
static double best_shift(const LqSegmenter *s, const uint8_t *cur, const uint8_t *luma, double px, double deg,
                         double step_px, int rays, double *tx, double *ty)
{
    double best = -1, bx = *tx, by = *ty;
    for (int j = -1; j <= 1; j++)
        for (int i = -1; i <= 1; i++) {
            Motion m = motion_of(deg, (*tx + i * step_px) * px, (*ty + j * step_px) * px);
            double c = moved_match(s, cur, luma, &m, rays);
            if (c > best) best = c, bx = *tx + i * step_px, by = *ty + j * step_px;
        }
    *tx = bx, *ty = by;
    return best;
}

/* The best of the turns centre + k step, k = -n..n (the centre first, or
 * skipped), at the shift (tx, ty) px; *best and *deg move only on a better
 * match. */
static void best_turn(const LqSegmenter *s, const uint8_t *cur, const uint8_t *luma, double px, double centre,
                      double step, int n, int skip_centre, double tx, double ty, double *best, double *deg)
{
    for (int j = skip_centre ? 1 : 0; j <= 2 * n; j++) {
        int k = j % 2 ? -(j + 1) / 2 : j / 2; /* 0, -1, 1, -2, 2, ... */
        Motion m = motion_of(centre + step * k, tx * px, ty * px);
        double c = moved_match(s, cur, luma, &m, 32);
        if (c > *best) *best = c, *deg = centre + step * k;
    }
}

static double align_neighbour(LqSegmenter *s, int side, const uint8_t *cur, const uint8_t *nb, const uint8_t *luma,
                              uint8_t *out, const uint8_t **use)
{
    *use = nb;
    double still = speckle_match(s, cur, nb);
    if (still >= MATCH_HI || !luma) return still;
    const double px = 0.5 * (s->g.dx_mm + s->g.dy_mm);
    double best = -1, deg = 0, tx = 0, ty = 0;
    /* motion is smooth: start where the previous frame's match lay, and
     * follow the turn first (it changes fastest) */
    if (s->have_guess[side]) {
        tx = s->moved_guess[side][0], ty = s->moved_guess[side][1];
        best_turn(s, cur, luma, px, s->moved_guess[side][2], ALIGN_TURN_STEP, ALIGN_FOLLOW_TURNS, 0, tx, ty, &best,
                  &deg);
        best = best_shift(s, cur, luma, px, deg, 1.0, 32, &tx, &ty);
    }
    if (best < MATCH_LO) {
        best = -1, deg = 0, tx = 0, ty = 0;
        for (int j = -ALIGN_REACH_PX; j <= ALIGN_REACH_PX; j++)
            for (int i = -ALIGN_REACH_PX; i <= ALIGN_REACH_PX; i++) {
                Motion m = motion_of(0, i * px, j * px);
                double c = moved_match(s, cur, luma, &m, 32);
                if (c > best) best = c, tx = i, ty = j;
            }
        /* then the turn at that shift, and the shift again at that turn */
        best_turn(s, cur, luma, px, 0.0, 2 * ALIGN_TURN_STEP, ALIGN_GRID_TURNS, 1, tx, ty, &best, &deg);
        if (deg != 0) best = best_shift(s, cur, luma, px, deg, 1.0, 32, &tx, &ty);
        if (best < 0.5 * MATCH_LO) return still; /* nothing near matches: frames a beat apart */
    }
    best_turn(s, cur, luma, px, deg, ALIGN_TURN_STEP, 1, 1, tx, ty, &best, &deg);
    best_shift(s, cur, luma, px, deg, 0.5, 16, &tx, &ty);
    best = best_shift(s, cur, luma, px, deg, 0.25, 16, &tx, &ty);
    if (best < MATCH_LO || best < still + ALIGN_GAIN) return still;
    s->moved_guess[side][0] = tx, s->moved_guess[side][1] = ty, s->moved_guess[side][2] = deg;
    s->have_guess[side] = 1;
    Motion m = motion_of(deg, tx * px, ty * px);
    build_map_moved(s, s->moved_map, &m);
    s->dsp.polar(out, NULL, luma, (ptrdiff_t)s->g.cols, s->moved_map, (size_t)NA * NR);
    double moved = speckle_match(s, cur, out);
    if (moved < still + ALIGN_GAIN) return still;
    *use = out;
    return moved;
}

/* Weight of the decorrelation term for this frame (Q3): full where a
 * neighbour shares the tissue speckle (moved onto this frame's where it
 * moved), none where none does. */
static int decorrelation_weight(LqSegmenter *s, const uint8_t **prev, const uint8_t *cur, const uint8_t **next,
                                const uint8_t *luma_prev, const uint8_t *luma_next)
{
    double match = 0.0;
    if (*prev != cur) match = align_neighbour(s, 0, cur, *prev, luma_prev, s->moved[0], prev);
    if (*next != cur && match < MATCH_HI)
        match = LQ_MAX(match, align_neighbour(s, 1, cur, *next, luma_next, s->moved[1], next));
    double t = LQ_CLAMP((match - MATCH_LO) / (MATCH_HI - MATCH_LO), 0.0, 1.0);
    return (int)lround(DIFF_K_Q3 * t);
}

static void segment_frame(LqSegmenter *s, const uint8_t *prev, const uint8_t *cur, const uint8_t *next,
                          const uint8_t *luma_prev, const uint8_t *luma_next, int prior_mu, int prior_cap,
                          double *xy_mm, double *conf)
{
    const size_t n = (size_t)NA * NR;
    const LqSegDsp *d = &s->dsp;
    find_extent(s, cur);
    const int k_q3 = decorrelation_weight(s, &prev, cur, &next, luma_prev, luma_next), texture = texture_joins(s);
    for (int a = 0; a < NA; a++) { /* each ray with the rays on either side */
        size_t around[3] = {(size_t)((a + NA - 1) % NA) * NR, (size_t)a * NR, (size_t)((a + 1) % NA) * NR};
        const uint8_t *p3[3], *c3[3], *n3[3];
        for (int k = 0; k < 3; k++) p3[k] = prev + around[k], c3[k] = cur + around[k], n3[k] = next + around[k];
        d->feature_ray(s->mean_s + around[1], s->feat + around[1], p3, c3, n3, NR, k_q3);
        if (texture) { /* the box alone (k = 0); edge_feat takes the kernel's copy and is built from it in step 8 */
            const uint8_t *t3[3] = {cur + n + around[0], cur + n + around[1], cur + n + around[2]};
            d->feature_ray(s->texture + around[1], s->edge_feat + around[1], t3, t3, t3, NR, 0);
        }
    }
    int thr, gain;
    find_shadow(s);
    frame_levels(s, &thr, &gain);
    d->score(s->score, s->feat, n, thr, gain);
    build_costs(s, prior_mu, prior_cap);

    /* the DP's border, then the layers inside it: each pass reads the
     * DP's border of the rays around, and keeps the nearer edge */
    int border[NA], inner[NA];
    solve_border(s, border);
    find_dim_layers(s, border, inner);
    find_layer_edges(s, cur, border, prior_mu > PRIOR_MU, inner);
    find_still_layers(s, border, inner);
    shadow_follows_layers(s, border, inner);
    memcpy(border, inner, sizeof border);

    double rad[NA], despiked[NA], smooth[NA];
    for (int a = 0; a < NA; a++) rad[a] = refine(s, a, border[a]);
    /* A ray off the median of the rays around it by more than SPIKE_SAMPLES (an
     * edge found in a speckle blob, at the catheter's contact with the wall,
     * a few rays where the border stayed in a scar the rays around left)
     * takes that median: the caliper MLD takes any outward bump whole. Then
     * [1 4 6 4 1]: the local half maximum is found on each ray alone. */
    double spike = SPIKE_SAMPLES;
    for (int a = 0; a < NA; a++) {
        /* the window spans at least SPIKE_ARC_MM of the border at this ray:
         * near the catheter the rays are 0.05 mm apart, and a bump six rays
         * wide is a spike too */
        double arc = LQ_MAX(rad[a], 1.0) * s->dr_mm * 2.0 * LQ_PI / NA;
        int half = LQ_CLAMP((int)lround(0.5 * SPIKE_ARC_MM / arc), SPIKE_RAYS / 2, SPIKE_HALF_MAX);
        /* the median is more than `spike` below rad[a] only if most of the
         * rays around are (and above likewise): sort only then */
        int below = 0, above = 0;
        for (int k = -half; k <= half; k++) {
            double v = rad[(a + NA + k) % NA];
            below += v < rad[a] - spike, above += v > rad[a] + spike;
        }
        if (below <= half && above <= half) {
            despiked[a] = rad[a];
            continue;
        }
        double v[2 * SPIKE_HALF_MAX + 1];
        const int n = 2 * half + 1;
        for (int k = 0; k < n; k++) v[k] = rad[(a + NA - half + k) % NA];
        for (int i = 1; i < n; i++)
            for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
                double t = v[j];
                v[j] = v[j - 1], v[j - 1] = t;
            }
        despiked[a] = fabs(rad[a] - v[half]) > spike ? v[half] : rad[a];
    }
    const double *d5 = despiked;
    for (int a = 0; a < NA; a++)
        smooth[a] = (d5[(a + NA - 2) % NA] + 4 * d5[(a + NA - 1) % NA] + 6 * d5[a] + 4 * d5[(a + 1) % NA] +
                     d5[(a + 2) % NA]) / 16.0;
    double r_floor = s->g.catheter_radius_mm / s->dr_mm;
    for (int a = 0; a < NA; a++) {
        double r_mm = LQ_MAX(smooth[a], r_floor) * s->dr_mm; /* the lumen contains the catheter */
        xy_mm[2 * a] = s->cx * s->g.dx_mm + r_mm * s->cos_a[a];
        xy_mm[2 * a + 1] = s->cy * s->g.dy_mm + r_mm * s->sin_a[a];
    }
    /* A border that ran out of the view on most rays saw no wall: it does
     * not replace, as the next frame's guide (where its blood band ends,
     * where its tissue's speckle is compared, its prior), a border that did
     * and is at most STALE_MAX frames old; otherwise one frame that lost
     * the wall made the next lose it too. */
    const int out_of_view = rays_out_of_view(s, border), saw_wall = 2 * out_of_view <= NA;
    if (saw_wall || !s->have_prev || !s->prev_saw_wall || s->stale >= STALE_MAX) {
        memcpy(s->prev_border, border, sizeof s->prev_border);
        s->prev_saw_wall = saw_wall;
        s->stale = 0;
    } else {
        s->stale++;
    }
    s->have_prev = 1;
    *conf = confidence(s, border, out_of_view);
}

void lq_segmenter_frame(LqSegmenter *s, const uint8_t *prev, const uint8_t *cur, const uint8_t *next,
                        double *xy_mm, double *conf)
{
    segment_frame(s, prev, cur, next, NULL, NULL, PRIOR_MU, PRIOR_CAP, xy_mm, conf);
}

void lq_segmenter_frame_moving(LqSegmenter *s, const uint8_t *prev, const uint8_t *cur, const uint8_t *next,
                               const uint8_t *luma_prev, const uint8_t *luma_next, double *xy_mm, double *conf)
{
    segment_frame(s, prev, cur, next, luma_prev, luma_next, PRIOR_MU, PRIOR_CAP, xy_mm, conf);
}

void lq_segmenter_frame_guided(LqSegmenter *s, const uint8_t *prev, const uint8_t *cur, const uint8_t *next,
                               const uint8_t *luma_prev, const uint8_t *luma_next, const double *guide_xy_mm,
                               double *xy_mm, double *conf)
{
    /* guide point a lies on ray a: its distance from the catheter is the radius */
    for (int a = 0; a < NA; a++) {
        double r = hypot(guide_xy_mm[2 * a] - s->cx * s->g.dx_mm, guide_xy_mm[2 * a + 1] - s->cy * s->g.dy_mm);
        s->prev_border[a] = (int)LQ_CLAMP(lround(r / s->dr_mm), 0, NR - 1);
    }
    s->have_prev = 1, s->prev_saw_wall = 1, s->stale = 0;
    s->have_guess[0] = s->have_guess[1] = 0; /* the last frame segmented lies elsewhere: the motion is sought afresh */
    segment_frame(s, prev, cur, next, luma_prev, luma_next, PRIOR_MU * GUIDE_MU_GAIN, PRIOR_CAP * GUIDE_CAP_GAIN, xy_mm,
                  conf);
}

double lq_segmenter_speckle(const LqSegmenter *s, const uint8_t *luma)
{
    /* integer sums: exact, as the double sums were, and cheaper; every
     * fourth row (some 65 000 pairs on 512x512: the estimate's spread is
     * about 0.004 against a cut of 0.2 and real speckle at 0.75-0.998) */
    const LqSegGeometry *g = &s->g;
    uint64_t sum = 0, sum2 = 0, diff2 = 0, count = 0;
    unsigned x1 = g->x1 < g->cols ? g->x1 : g->cols - 1, y1 = g->y1 < g->rows ? g->y1 : g->rows - 1;
    if (x1 <= g->x0) return 0.0;
    for (unsigned y = g->y0; y <= y1; y += 4) {
        uint32_t row[4] = {0}; /* one row: at most 4096 * 255^2 < 2^32 */
        s->dsp.speckle_row(row, luma + (size_t)y * g->cols + g->x0, (int)(x1 - g->x0 + 1));
        sum += row[0], sum2 += row[1], diff2 += row[2], count += row[3];
    }
    if (count < 64) return 0.0;
    double n = (double)count, mean = (double)sum / n;
    double var = (double)sum2 / n - mean * mean;
    if (var < 1.0) return 0.0; /* uniform */
    return 1.0 - (double)diff2 / n / (2.0 * var);
}
