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
/* Area, %AS and the verdict metric along the pullback, w x h. */
void lq_draw_profile(cairo_t *cr, const LqStudyInfo *in, const LqResult *r, double w, double h);
/* Text helpers: DejaVu Sans at `size`; text at baseline (x, y), align -1
 * left, 0 centre, 1 right; returns its advance. */
void lq_fig_font(cairo_t *cr, double size, int bold);
double lq_fig_text(cairo_t *cr, double x, double y, int align, const char *s);
extern const double lq_fig_lesion_rgb[3];
#endif
