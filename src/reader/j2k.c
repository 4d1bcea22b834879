#include "j2k.h"

#include "internal.h"

#include <openjpeg.h>
#include <stdio.h>
#include <string.h>

/* JPEG 2000 and High-Throughput JPEG 2000 (Part 15; OpenJPEG decodes it since 2.5.0). */
static const struct {
    const char *uid, *name;
} j2k_syntaxes[] = {
    {"1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)"},
    {"1.2.840.10008.1.2.4.91", "JPEG 2000"},
    {"1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)"},
    {"1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)"},
    {"1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000"},
};

int lq_is_j2k_transfer_syntax(const char *uid) { return lq_j2k_transfer_syntax_name(uid) != NULL; }

const char *lq_j2k_transfer_syntax_name(const char *uid)
{
    for (size_t i = 0; i < sizeof j2k_syntaxes / sizeof j2k_syntaxes[0]; i++)
        if (strcmp(uid, j2k_syntaxes[i].uid) == 0) return j2k_syntaxes[i].name;
    return NULL;
}

typedef struct Memory {
    const uint8_t *data;
    size_t len, pos;
} Memory;

static OPJ_SIZE_T mem_read(void *buf, OPJ_SIZE_T n, void *user)
{
    Memory *m = user;
    if (m->pos >= m->len) return (OPJ_SIZE_T)-1;
    size_t k = n < m->len - m->pos ? n : m->len - m->pos;
    memcpy(buf, m->data + m->pos, k);
    m->pos += k;
    return k;
}

static OPJ_OFF_T mem_skip(OPJ_OFF_T n, void *user)
{
    Memory *m = user;
    if (n < 0) n = -(OPJ_OFF_T)m->pos < n ? n : -(OPJ_OFF_T)m->pos;
    else if ((size_t)n > m->len - m->pos) n = (OPJ_OFF_T)(m->len - m->pos);
    m->pos += (size_t)n;
    return n;
}

static OPJ_BOOL mem_seek(OPJ_OFF_T n, void *user)
{
    Memory *m = user;
    if (n < 0 || (size_t)n > m->len) return OPJ_FALSE;
    m->pos = (size_t)n;
    return OPJ_TRUE;
}

static void quiet(const char *msg, void *user)
{
    (void)msg, (void)user; /* the library never prints */
}

int lq_j2k_decode(const uint8_t *data, size_t len, uint8_t *out, unsigned cols, unsigned rows, unsigned samples,
                  unsigned bytes, int is_signed, char *model, char *msg, size_t msg_len)
{
    static const uint8_t jp2_magic[] = {0, 0, 0, 12, 'j', 'P', ' ', ' '};
    int jp2 = len >= 8 && memcmp(data, jp2_magic, 8) == 0;
    Memory mem = {data, len, 0};
    opj_stream_t *stream = opj_stream_create(1 << 16, OPJ_TRUE);
    opj_codec_t *codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    opj_image_t *img = NULL;
    int rc = LQ_ERR_DATA;
    model[0] = 0;
    if (!stream || !codec) {
        snprintf(msg, msg_len, "out of memory for the JPEG 2000 decoder");
        rc = LQ_ERR_INTERNAL;
        goto done;
    }
    opj_stream_set_user_data(stream, &mem, NULL);
    opj_stream_set_user_data_length(stream, len);
    opj_stream_set_read_function(stream, mem_read);
    opj_stream_set_skip_function(stream, mem_skip);
    opj_stream_set_seek_function(stream, mem_seek);
    opj_set_info_handler(codec, quiet, NULL);
    opj_set_warning_handler(codec, quiet, NULL);
    opj_set_error_handler(codec, quiet, NULL);
    opj_dparameters_t params;
    opj_set_default_decoder_parameters(&params);
    if (!opj_setup_decoder(codec, &params) || !opj_read_header(stream, codec, &img) ||
        !opj_decode(codec, stream, img) || !opj_end_decompress(codec, stream)) {
        snprintf(msg, msg_len, "JPEG 2000 codestream cannot be decoded");
        goto done;
    }
    if (img->numcomps < samples) {
        snprintf(msg, msg_len, "JPEG 2000 frame has %u components, %u expected", img->numcomps, samples);
        goto done;
    }
    for (unsigned c = 0; c < samples; c++)
        if (img->comps[c].w != cols || img->comps[c].h != rows || !img->comps[c].data) {
            snprintf(msg, msg_len, "JPEG 2000 frame is %ux%u, the dataset says %ux%u", img->comps[c].w,
                     img->comps[c].h, cols, rows);
            goto done;
        }
    long lo = is_signed ? -(1L << (8 * bytes - 1)) : 0, hi = is_signed ? (1L << (8 * bytes - 1)) - 1 : (1L << (8 * bytes)) - 1;
    size_t px = (size_t)cols * rows;
    for (size_t i = 0; i < px; i++)
        for (unsigned c = 0; c < samples; c++) {
            long v = img->comps[c].data[i];
            v = v < lo ? lo : v > hi ? hi : v;
            uint8_t *dst = out + (i * samples + c) * bytes;
            if (bytes == 1) {
                *dst = (uint8_t)(v & 0xFF);
            } else {
                uint16_t w = (uint16_t)(v & 0xFFFF);
                memcpy(dst, &w, 2); /* host order, as DCMTK delivers native data */
            }
        }
    if (samples == 3) snprintf(model, 17, "RGB");
    rc = LQ_OK;
done:
    if (img) opj_image_destroy(img);
    if (codec) opj_destroy_codec(codec);
    if (stream) opj_stream_destroy(stream);
    return rc;
}
