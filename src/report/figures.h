/* Pictures drawn with cairo, shared by the PNG and PDF writers. Every
 * drawing starts at the current origin of `cr` (docs/pictures.md). */
#ifndef LQ_FIGURES_H
#define LQ_FIGURES_H
#include <cairo.h>

#include "lumenq/lumenq.h"
#include "result.h"

typedef enum LqFigureFrame { LQ_FIGURE_LESION = 0, LQ_FIGURE_REFERENCE } LqFigureFrame;

/* Height of a frame figure drawn `w` wide: the frame at its physical
 * aspect under a label band. */
double lq_frame_figure_height(const LqStudyInfo *in, double w);
/* The frame a figure shows: the lesion frame, or the reference frame whose
 * area is nearest A_ref. LQ_ERR_DATA when there is none (not measured, or a
 * reference from outside this pullback). */
int lq_figure_frame(const LqResult *r, LqFigureFrame which, size_t *index, LqError *err);
int lq_draw_frame_figure(cairo_t *cr, LqStudy *study, const LqResult *r, LqFigureFrame which, double w,
                         LqError *err);
/* A grey image in mm with a lumen contour, its MLD (red) and maximal
 * diameter (cyan) calipers, a scale bar and a label band: the frame
 * figures of a pullback and the cross-sections of a CT. */
typedef struct LqFigureView {
    const uint8_t *luma;
    unsigned cols, rows;
    double dx_mm, dy_mm;
    const LqContour *contour;  /* mm, origin at the centre of pixel (0, 0) */
    const LqShape *shape;
    int valid;                 /* 0: no contour; `empty` says so */
    const char *title;         /* first line of the band */
    const char *right;         /* right end of the second line */
    const char *note;          /* amber, over the image (NULL: none) */
    const char *empty;
} LqFigureView;
double lq_view_height(const LqFigureView *v, double w);
void lq_draw_view(cairo_t *cr, const LqFigureView *v, double w);
/* Area, %AS and the verdict metric along the pullback, w x h. */
void lq_draw_profile(cairo_t *cr, const LqStudyInfo *in, const LqResult *r, double w, double h);
/* The lumen area over time where the catheter was held still (dynamics.png, the PDF's second page). */
#define DYNAMICS_WIDTH 1000
#define DYNAMICS_HEIGHT 400
void lq_draw_dynamics(cairo_t *cr, const LqResult *r, double w, double h);
/* Text helpers: DejaVu Sans at `size`; text at baseline (x, y), align -1
 * left, 0 centre, 1 right; returns its advance. */
void lq_fig_font(cairo_t *cr, double size, int bold);
double lq_fig_text(cairo_t *cr, double x, double y, int align, const char *s);
extern const double lq_fig_lesion_rgb[3], lq_fig_reference_rgb[3], lq_fig_contour_rgb[3];
void lq_fig_rgb(cairo_t *cr, const double c[3]);
/* Text with a dark outline, legible over an image. */
void lq_fig_halo_text(cairo_t *cr, double x, double y, const char *s, const double c[3]);
void lq_fig_vertical_text(cairo_t *cr, double x, double y, const char *s);

/* A plot box and its value ranges. */
typedef struct LqAxes {
    double x0, x1, y0, y1;       /* plot box in output units (y0 top) */
    double vx0, vx1, vy0, vy1;   /* value ranges */
    int timed;                   /* pullbacks: x is the position in mm, else the 1-based frame number */
} LqAxes;
double lq_ax_x(const LqAxes *a, double v);
double lq_ax_y(const LqAxes *a, double v);
void lq_fig_box(cairo_t *cr, const LqAxes *a);
/* Grid lines at round values along x (vertical lines) or y, with labels. */
void lq_fig_grid(cairo_t *cr, const LqAxes *a, double fs, int along_x, int labels);
void lq_fig_hline(cairo_t *cr, const LqAxes *a, double v, const double c[3], double dash);
/* The points (pixels) of a curve drawn in a panel, so that labels keep off it. */
typedef struct LqFigCurve {
    const double *x, *y;
    size_t n;
} LqFigCurve;
/* Label just above a horizontal line at v: at the right end, or as far
 * right as the curve (may be NULL) leaves it room. */
void lq_fig_line_label(cairo_t *cr, const LqAxes *a, double v, const char *s, const double c[3], double fs,
                       const LqFigCurve *avoid);
/* A round marker with a white centre. */
void lq_fig_marker(cairo_t *cr, double x, double y, const double c[3]);
#endif
