/* PNG pictures: drawn with cairo into an image surface, written with libpng
 * to the report's stream (so the atomic output machinery applies). */
#include "figures.h"
#include "report.h"

#include "internal.h"

#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>

#define FRAME_FIGURE_WIDTH 512
#define PROFILE_WIDTH 960
#define PROFILE_HEIGHT 540

static void png_error_quiet(png_structp png, png_const_charp msg)
{
    (void)msg; /* the library never prints; the caller reports the failure */
    png_longjmp(png, 1);
}

static void png_warning_quiet(png_structp png, png_const_charp msg) { (void)png, (void)msg; }

/* Opaque RGB rows from cairo's native-endian xRGB words. */
int lq_png_write(FILE *fp, cairo_surface_t *surface, LqError *err)
{
    cairo_surface_flush(surface);
    int w = cairo_image_surface_get_width(surface), h = cairo_image_surface_get_height(surface);
    int stride = cairo_image_surface_get_stride(surface);
    const uint8_t *data = cairo_image_surface_get_data(surface);
    uint8_t *row = malloc((size_t)w * 3);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_error_quiet, png_warning_quiet);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!row || !png || !info) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return lq_fail(err, LQ_ERR_INTERNAL, "out of memory for a PNG");
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        return lq_fail(err, LQ_ERR_IO, "PNG encoding failed");
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_text meta = {0};
    meta.compression = PNG_TEXT_COMPRESSION_NONE;
    meta.key = (png_charp) "Software";
    meta.text = (png_charp) "lumenq " LUMENQ_VERSION;
    png_set_text(png, info, &meta, 1);
    png_write_info(png, info);
    for (int y = 0; y < h; y++) {
        const uint32_t *src = (const uint32_t *)(const void *)(data + (size_t)y * (size_t)stride);
        for (int x = 0; x < w; x++) {
            row[3 * x] = (uint8_t)(src[x] >> 16);
            row[3 * x + 1] = (uint8_t)(src[x] >> 8);
            row[3 * x + 2] = (uint8_t)src[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(row);
    return LQ_OK;
}

int lq_png_surface(int w, int h, cairo_surface_t **s, cairo_t **cr, LqError *err)
{
    *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    *cr = cairo_create(*s);
    if (cairo_status(*cr) != CAIRO_STATUS_SUCCESS) {
        cairo_destroy(*cr);
        cairo_surface_destroy(*s);
        return lq_fail(err, LQ_ERR_INTERNAL, "cannot create a %dx%d picture", w, h);
    }
    return LQ_OK;
}

static int frame_png(FILE *fp, LqStudy *study, const LqResult *r, LqFigureFrame which, LqError *err)
{
    size_t idx;
    int rc = lq_figure_frame(r, which, &idx, err); /* before any drawing: a clear reason */
    if (rc != LQ_OK) return rc;
    int h = (int)ceil(lq_frame_figure_height(lq_study_info(study), FRAME_FIGURE_WIDTH));
    if (h > 4 * FRAME_FIGURE_WIDTH) return lq_fail(err, LQ_ERR_DATA, "pixel aspect too extreme for a picture");
    cairo_surface_t *s;
    cairo_t *cr;
    if ((rc = lq_png_surface(FRAME_FIGURE_WIDTH, h, &s, &cr, err)) != LQ_OK) return rc;
    rc = lq_draw_frame_figure(cr, study, r, which, FRAME_FIGURE_WIDTH, err);
    cairo_destroy(cr);
    if (rc == LQ_OK) rc = lq_png_write(fp, s, err);
    cairo_surface_destroy(s);
    return rc;
}

int lq_report_lesion_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err)
{
    return frame_png(fp, study, r, LQ_FIGURE_LESION, err);
}

int lq_report_reference_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err)
{
    return frame_png(fp, study, r, LQ_FIGURE_REFERENCE, err);
}

int lq_report_profile_png(FILE *fp, LqStudy *study, const LqResult *r, LqError *err)
{
    cairo_surface_t *s;
    cairo_t *cr;
    int rc = lq_png_surface(PROFILE_WIDTH, PROFILE_HEIGHT, &s, &cr, err);
    if (rc != LQ_OK) return rc;
    lq_draw_profile(cr, lq_study_info(study), r, PROFILE_WIDTH, PROFILE_HEIGHT);
    cairo_destroy(cr);
    rc = lq_png_write(fp, s, err);
    cairo_surface_destroy(s);
    return rc;
}
