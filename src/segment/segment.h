/* Lumen segmentation of one IVUS frame in polar space (internal API).
 * The method is described in docs/segmentation.md. */
#ifndef LQ_SEGMENT_H
#define LQ_SEGMENT_H

#include "dsp.h"
#include "lumenq/lumenq.h"

#define LQ_SEG_ANGLES 256   /* rays per frame; the contour has one point per ray */
#define LQ_SEG_RADII 256    /* samples per ray */

typedef struct LqSegGeometry {
    unsigned rows, cols;
    double dx_mm, dy_mm;                 /* pixel size along x (columns) and y (rows) */
    unsigned x0, y0, x1, y1;             /* image region, inclusive pixels */
    double catheter_radius_mm;           /* outer radius of the imaging catheter */
} LqSegGeometry;

typedef struct LqSegmenter LqSegmenter;

int lq_segmenter_new(LqSegmenter **out, const LqSegGeometry *g, int cpu_level);
void lq_segmenter_free(LqSegmenter **seg);

/* Locate the catheter (polar origin) on a frame; call once before resampling.
 * Without it, the centre of the image region is used. */
void lq_segmenter_find_centre(LqSegmenter *seg, const uint8_t *luma);
/* Use the centre and catheter (or its mask) found by another segmenter (one
 * per worker thread). */
void lq_segmenter_adopt(LqSegmenter *seg, const LqSegmenter *from);

/* Bytes of one polar frame: two planes of LQ_SEG_ANGLES x LQ_SEG_RADII. */
size_t lq_segmenter_polar_size(const LqSegmenter *seg);
/* Resample one frame (rows*cols luma) to polar: the image, then the
 * variation of the image within each sample's pixel cell (its texture),
 * where segmentation reads it (fine sampling; left unwritten elsewhere). */
void lq_segmenter_to_polar(LqSegmenter *seg, const uint8_t *luma, uint8_t *polar);

/* Segment the frame whose polar image is `cur`, given its neighbours along the
 * pullback (pass `cur` again at the ends). Frames must be given in order: the
 * previous border is a weak prior. Writes LQ_SEG_ANGLES points into xy_mm. */
void lq_segmenter_frame(LqSegmenter *seg, const uint8_t *prev, const uint8_t *cur,
                        const uint8_t *next, double *xy_mm, double *confidence);
/* The same, with the neighbours' images (rows*cols luma, NULL where not at
 * hand) to follow tissue that moved between frames (ungated motion). */
void lq_segmenter_frame_moving(LqSegmenter *seg, const uint8_t *prev, const uint8_t *cur, const uint8_t *next,
                               const uint8_t *luma_prev, const uint8_t *luma_next, double *xy_mm, double *confidence);
/* The same frame segmented under a firm prior: the border of guide_xy_mm
 * (LQ_SEG_ANGLES points on the same rays, e.g. the mean of the neighbouring
 * frames' contours), with the neighbours' images as in
 * lq_segmenter_frame_moving (NULL where not at hand). Used to re-segment a
 * frame that disagrees with both neighbours while they agree
 * (docs/segmentation.md). The motion towards the neighbours is sought
 * afresh: the result does not depend on the frames segmented before. */
void lq_segmenter_frame_guided(LqSegmenter *seg, const uint8_t *prev, const uint8_t *cur, const uint8_t *next,
                               const uint8_t *luma_prev, const uint8_t *luma_next, const double *guide_xy_mm,
                               double *xy_mm, double *confidence);
/* Texture check on one frame (rows*cols luma): the correlation of
 * horizontally neighbouring pixels over the image region, from the
 * differences, counting only pixels above the black background. Ultrasound
 * speckle has a grain of several pixels (about 0.4-0.9); uncorrelated noise
 * about 0; a uniform or black frame has no texture (0). */
double lq_segmenter_speckle(const LqSegmenter *seg, const uint8_t *luma);
#define LQ_MIN_SPECKLE_CORRELATION 0.2

/* Forget the previous border (start of a new pullback). */
void lq_segmenter_reset(LqSegmenter *seg);

#endif
