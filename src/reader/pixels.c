/* Frames: decoded by DCMTK, libjpeg-turbo or OpenJPEG, then turned into 8-bit luminance
 * (console graphics filled from the image around them) or Hounsfield units. */
#include "study.h"
#include "j2k.h"
#include "jpeg.h"
#include "reader/dsp.h"

#include <pthread.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The colour kernels (reader/dsp.h), chosen once for the process. */
static LqReaderDsp reader_dsp;
static pthread_once_t reader_dsp_once = PTHREAD_ONCE_INIT;
static void init_reader_dsp(void) { lq_reader_dsp_init(&reader_dsp, -1); }
static const LqReaderDsp *dsp(void)
{
    pthread_once(&reader_dsp_once, init_reader_dsp);
    return &reader_dsp;
}

/* Overlay pixels take the values of the image around them: repeatedly, every
 * marked pixel with unmarked 4-neighbours becomes their mean and is unmarked,
 * so the graphics are filled from their edges inwards, as by peeling. Only
 * the marked pixels are visited (a list, shrinking each pass), so the cost
 * follows the graphics, not the frame. `mask` holds 0 or 1 for every pixel,
 * `marked` of them 1; it is all 0 on return. */
static void fill_overlay(uint8_t *img, uint8_t *mask, unsigned cols, unsigned rows, size_t marked)
{
    size_t px = (size_t)cols * rows;
    uint32_t *todo = malloc(marked * sizeof *todo), *done = malloc(marked * sizeof *done);
    if (!todo || !done) {
        free(todo), free(done);
        memset(mask, 0, px);
        return; /* out of memory: the graphics stay as they were read */
    }
    size_t n = dsp()->mask_positions(todo, mask, px);
    for (int pass = 0; pass < 64 && n; pass++) {
        size_t left = 0, filled = 0;
        for (size_t k = 0; k < n; k++) {
            size_t i = todo[k];
            unsigned x = (unsigned)(i % cols), y = (unsigned)(i / cols), sum = 0, count = 0;
            if (x > 0 && !mask[i - 1]) sum += img[i - 1], count++;
            if (x + 1 < cols && !mask[i + 1]) sum += img[i + 1], count++;
            if (y > 0 && !mask[i - cols]) sum += img[i - cols], count++;
            if (y + 1 < rows && !mask[i + cols]) sum += img[i + cols], count++;
            if (count) img[i] = (uint8_t)((sum + count / 2) / count), done[filled++] = (uint32_t)i;
            else todo[left++] = (uint32_t)i;
        }
        for (size_t k = 0; k < filled; k++) mask[done[k]] = 0; /* usable as neighbours from the next pass */
        n = left;
    }
    for (size_t k = 0; k < n; k++) mask[todo[k]] = 0;
    free(todo), free(done);
}

/* Sample (sample index `c` of pixel `i`) scaled to 8 bits. */
static inline unsigned sample8(const LqStudy *s, size_t idx)
{
    if (s->info.bits_allocated == 8) {
        unsigned v = s->decode_buf[idx];
        if (s->pixel_signed) v ^= 0x80u;
        return v;
    }
    uint16_t raw;
    memcpy(&raw, s->decode_buf + 2 * idx, 2);
    unsigned bits = s->info.bits_stored;
    unsigned v = raw & ((1u << bits) - 1u);
    if (s->pixel_signed) v ^= 1u << (bits - 1); /* two's complement -> offset binary */
    return bits > 8 ? v >> (bits - 8) : v << (8 - bits);
}


/* The RLE header of a frame (PS3.5 G.5: 16 little-endian words, the number
 * of segments then their offsets) checked before DCMTK decodes the frame:
 * DCMTK 3.6.7 follows offsets past the end of the data and crashes (found by
 * fuzz_reader). One segment per sample byte, the first at 64, increasing,
 * all within the frame. */
static int check_rle_frame(LqStudy *s, unsigned index, char *msg, size_t msg_len)
{
    const LqStudyInfo *in = &s->info;
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = lqd_encapsulated_frame(s->file, index, in->frames, &data, &len, msg, msg_len);
    if (rc != LQ_OK) return rc;
    uint32_t h[16] = {0};
    if (len >= 64)
        for (int i = 0; i < 16; i++)
            h[i] = (uint32_t)data[4 * i] | (uint32_t)data[4 * i + 1] << 8 | (uint32_t)data[4 * i + 2] << 16 |
                   (uint32_t)data[4 * i + 3] << 24;
    free(data);
    unsigned want = in->samples_per_pixel * (in->bits_allocated / 8);
    if (len < 64 || h[0] != want || h[1] != 64) {
        snprintf(msg, msg_len, "frame %u: RLE header says %u segments starting at %u, expected %u at 64", index + 1,
                 len < 64 ? 0 : h[0], h[1], want);
        return LQ_ERR_DATA;
    }
    for (unsigned k = 1; k <= h[0]; k++)
        if (h[k] >= len || (k > 1 && h[k] <= h[k - 1])) {
            snprintf(msg, msg_len, "frame %u: RLE segment %u starts at %u, outside the %zu bytes of the frame", index + 1,
                     k, h[k], len);
            return LQ_ERR_DATA;
        }
    return LQ_OK;
}

static int decode_frame(LqStudy *s, unsigned index, char model[17], LqError *err);

int lq_study_read_frame_hu(LqStudy *s, unsigned index, int16_t *out, LqError *err)
{
    const LqStudyInfo *in = &s->info;
    if (in->samples_per_pixel != 1)
        return lq_fail(err, LQ_ERR_DATA, "%s: %u samples per pixel: no single value per pixel", in->path,
                       in->samples_per_pixel);
    char model[17] = "";
    int rc = decode_frame(s, index, model, err);
    if (rc != LQ_OK) return rc;
    size_t px = (size_t)in->rows * in->cols;
    unsigned bits = in->bits_stored, mask = (1u << bits) - 1u, sign = 1u << (bits - 1);
    double slope = in->rescale_slope, intercept = in->rescale_intercept;
    /* CT stores whole HU steps (slope 1, whole intercept): integer arithmetic */
    int exact = slope == 1.0 && intercept > -70000 && intercept < 70000 && intercept == (double)(long)intercept;
    long ib = exact ? (long)intercept : 0;
    for (size_t i = 0; i < px; i++) {
        long raw;
        if (in->bits_allocated == 8) {
            raw = s->decode_buf[i];
        } else {
            uint16_t w;
            memcpy(&w, s->decode_buf + 2 * i, 2);
            unsigned v = w & mask;
            raw = s->pixel_signed && (v & sign) ? (long)v - (1L << bits) : (long)v;
        }
        if (exact) {
            long hu = raw + ib;
            out[i] = (int16_t)(hu < -32768 ? -32768 : hu > 32767 ? 32767 : hu);
        } else {
            double hu = raw * slope + intercept;
            out[i] = (int16_t)(hu < -32768 ? -32768 : hu > 32767 ? 32767 : floor(hu + 0.5));
        }
    }
    return LQ_OK;
}

/* A JPEG frame with libjpeg-turbo: 1 when decoded, 0 when DCMTK must do it
 * (frames it cannot locate or that turbojpeg refuses; DCMTK then reports
 * what is wrong, as it did before libjpeg-turbo). */
static int decode_jpeg_turbo(LqStudy *s, unsigned index, char model[17])
{
    const LqStudyInfo *in = &s->info;
    char msg[200];
    uint8_t *cs = NULL;
    size_t cs_len = 0;
    int rc = lqd_encapsulated_frame(s->file, index, in->frames, &cs, &cs_len, msg, sizeof msg);
    if (rc == LQ_OK)
        rc = lq_jpeg_decode(&s->jpeg_handle, cs, cs_len, s->decode_buf, in->cols, in->rows, in->samples_per_pixel,
                            in->photometric, model, msg, sizeof msg);
    free(cs);
    if (rc != LQ_OK) model[0] = '\0';
    return rc == LQ_OK;
}

/* The stored values of frame `index` into s->decode_buf; `model` gets the
 * colour model the codec delivered ("" when unchanged). */
static int decode_frame(LqStudy *s, unsigned index, char model[17], LqError *err)
{
    const LqStudyInfo *in = &s->info;
    char msg[400];
    if (!s->decode_buf)
        return lq_fail(err, LQ_ERR_DATA, "%s: %s", in->path, s->not_measurable_why);
    if (index >= in->frames)
        return lq_fail(err, LQ_ERR_USAGE, "%s: frame %u out of range: frames 1-%u", in->path, index + 1,
                       in->frames);
    int rc = LQ_OK;
    if (s->j2k) {
        uint8_t *cs = NULL;
        size_t cs_len = 0;
        rc = lqd_encapsulated_frame(s->file, index, in->frames, &cs, &cs_len, msg, sizeof msg);
        if (rc == LQ_OK)
            rc = lq_j2k_decode(cs, cs_len, s->decode_buf, in->cols, in->rows, in->samples_per_pixel,
                               in->bits_allocated / 8, s->pixel_signed, model, msg, sizeof msg);
        free(cs);
        if (rc != LQ_OK) return lq_fail(err, rc, "%s: frame %u: %s", in->path, index + 1, msg);
        s->frame_decoder = "OpenJPEG";
    } else if (s->jpeg_turbo && decode_jpeg_turbo(s, index, model)) {
        s->frame_decoder = "libjpeg-turbo";
    } else {
        if (strcmp(in->transfer_syntax_uid, "1.2.840.10008.1.2.5") == 0) rc = check_rle_frame(s, index, msg, sizeof msg);
        if (rc == LQ_OK) rc = lqd_read_frame(s->file, index, s->decode_buf, s->decode_len, model, msg, sizeof msg);
        s->frame_decoder = "DCMTK";
    }
    if (rc != LQ_OK) return lq_fail(err, rc, "%s: %s", in->path, msg);
    return LQ_OK;
}

int lq_study_read_frame(LqStudy *s, unsigned index, uint8_t *out, LqError *err)
{
    const LqStudyInfo *in = &s->info;
    char model[17] = "";
    int rc = decode_frame(s, index, model, err);
    if (rc != LQ_OK) return rc;
    size_t px = (size_t)in->rows * in->cols;
    if (in->samples_per_pixel == 1) {
        int invert = strcmp(model[0] ? model : in->photometric, "MONOCHROME1") == 0;
        if (strcmp(in->photometric, "PALETTE COLOR") == 0 && !s->palette_luma)
            return lq_fail(err, LQ_ERR_DATA, "%s: %s", in->path, s->not_measurable_why);
        if (s->palette_luma) {
            if (s->palette_has_graphics && !s->overlay_mask && !(s->overlay_mask = malloc(px)))
                return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
            unsigned mask = (1u << in->bits_stored) - 1u;
            size_t overlay = 0;
            for (size_t i = 0; i < px; i++) {
                unsigned v;
                if (in->bits_allocated == 8) {
                    v = s->decode_buf[i];
                } else {
                    uint16_t raw;
                    memcpy(&raw, s->decode_buf + 2 * i, 2);
                    v = raw;
                }
                out[i] = s->palette_luma[v & mask];
                if (s->palette_has_graphics) {
                    uint8_t graphic = s->palette_luma_graphics[(v & mask) / 8] >> ((v & mask) % 8) & 1;
                    s->overlay_mask[i] = graphic;
                    overlay += graphic;
                }
            }
            if (overlay) fill_overlay(out, s->overlay_mask, in->cols, in->rows, overlay);
            return LQ_OK;
        }
        if (in->bits_allocated == 8 && !s->pixel_signed && !invert) {
            memcpy(out, s->decode_buf, px); /* the common IVUS case: already luma */
            return LQ_OK;
        }
        for (size_t i = 0; i < px; i++) {
            unsigned v = sample8(s, i);
            out[i] = (uint8_t)(invert ? 255u - v : v);
        }
        return LQ_OK;
    }
    const char *pm = model[0] ? model : in->photometric;
    if (strcmp(pm, "YBR_FULL_422") == 0 && s->decode_len < px * 3 * (in->bits_allocated / 8)) {
        /* Uncompressed 4:2:2: Y0 Y1 Cb Cr for every pair of pixels; luma is Y. */
        for (size_t i = 0; i < px; i++) out[i] = (uint8_t)sample8(s, (i / 2) * 4 + (i & 1));
        return LQ_OK;
    }
    if (!s->overlay_mask && !(s->overlay_mask = malloc(px)))
        return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", in->path);
    int ybr = strncmp(pm, "YBR_FULL", 8) == 0;
    int planar = s->planar_configuration == 1;
    size_t overlay = 0;
    if (in->bits_allocated == 8 && !s->pixel_signed && !planar) {
        /* what consoles export and JPEG decodes to: the kernels */
        overlay = (ybr ? dsp()->ybr_luma : dsp()->rgb_luma)(out, s->overlay_mask, s->decode_buf, px);
    } else {
        for (size_t i = 0; i < px; i++) {
            size_t i0 = planar ? i : 3 * i, i1 = planar ? px + i : 3 * i + 1, i2 = planar ? 2 * px + i : 3 * i + 2;
            unsigned a = sample8(s, i0), b = sample8(s, i1), c = sample8(s, i2);
            out[i] = ybr ? (uint8_t)a : luma(a, b, c);
            s->overlay_mask[i] = (uint8_t)is_overlay_colour(ybr, a, b, c);
            overlay += s->overlay_mask[i];
        }
    }
    if (overlay) fill_overlay(out, s->overlay_mask, in->cols, in->rows, overlay);
    return LQ_OK;
}

/* Another reader of the same pullback, for another thread: DCMTK objects,
 * codec instances and the buffers a frame is decoded into are not shared,
 * so it has its own DCMTK handle on the file, decode buffer, turbojpeg
 * instance and graphics mask; what the study read at opening (geometry,
 * positions, palette) it borrows, read only. */
int lq_study_open_reader(const LqStudy *s, LqStudy **out, LqError *err)
{
    *out = NULL;
    char msg[400];
    if (!s->decode_buf) return lq_fail(err, LQ_ERR_DATA, "%s: %s", s->info.path, s->not_measurable_why);
    LqStudy *r = malloc(sizeof *r);
    if (!r) return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", s->info.path);
    *r = *s;
    r->file = NULL, r->jpeg_handle = NULL, r->overlay_mask = NULL, r->frame_decoder = NULL;
    r->decode_buf = malloc(s->decode_len + 2);
    int rc = r->decode_buf ? lqd_open_again(s->file, s->info.path, &r->file, msg, sizeof msg) : LQ_ERR_INTERNAL;
    if (rc != LQ_OK) {
        if (!r->decode_buf) snprintf(msg, sizeof msg, "out of memory");
        lq_study_close_reader(&r);
        return lq_fail(err, rc, "%s: %s", s->info.path, msg);
    }
    *out = r;
    return LQ_OK;
}

void lq_study_free_reading(LqStudy *s)
{
    if (s->file) lqd_close(s->file);
    lq_jpeg_free(&s->jpeg_handle);
    free(s->decode_buf);
    free(s->overlay_mask);
}

void lq_study_close_reader(LqStudy **reader)
{
    if (!reader || !*reader) return;
    lq_study_free_reading(*reader);
    free(*reader);
    *reader = NULL;
}
