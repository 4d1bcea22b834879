/* The malformed-input corpus, built from a small phantom at run time: the
 * file truncated at every structure boundary, every element's length made
 * wrong, huge declared dimensions, a frame count that does not match the
 * pixel data, NaN/zero/negative spacing, blank, white and noise frames, a
 * one-frame pullback and a short one with no healthy reference. Each gives a
 * clear error or a report that says what it could not do; never a crash
 * (the suite runs again under AddressSanitizer) and never a number presented
 * as valid when it is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "phantom/phantom.h"
#include "tmpdir.h"

#define FRAMES 16
#define SIZE 64

typedef struct Bytes {
    uint8_t *data;
    size_t len;
} Bytes;

/* One element of an explicit VR little endian file, as the walker saw it. */
typedef struct Element {
    uint16_t group, elem;
    char vr[3];
    size_t header, value; /* offsets of the tag and of the value */
    size_t len_at;        /* offset of the length field */
    int len_bytes;        /* 2 or 4 */
    uint32_t len;
} Element;

static Bytes read_all(const char *path)
{
    Bytes b = {0};
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    b.len = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    b.data = malloc(b.len);
    assert_int_equal(fread(b.data, 1, b.len, fp), b.len);
    fclose(fp);
    return b;
}

static void write_all(const char *path, const uint8_t *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static uint16_t u16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t u32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Every element header from the preamble on, stepping into sequences and
 * items (whose contents are elements too). */
static size_t walk(const Bytes *b, Element *out, size_t max)
{
    static const char *long_vrs[] = {"OB", "OW", "OF", "SQ", "UT", "UN", "OD", "OL", "UC", "UR", "OV", "SV", "UV"};
    size_t pos = 132, n = 0;
    while (pos + 8 <= b->len && n < max) {
        Element e = {u16(b->data + pos), u16(b->data + pos + 2), "", pos, 0, 0, 4, 0};
        if (e.group == 0xFFFE) { /* item or delimiter: tag + 4-byte length */
            e.len_at = pos + 4, e.len = u32(b->data + pos + 4), e.value = pos + 8;
            out[n++] = e;
            pos += 8;
            continue;
        }
        memcpy(e.vr, b->data + pos + 4, 2);
        int is_long = 0;
        for (size_t i = 0; i < sizeof long_vrs / sizeof long_vrs[0]; i++) is_long |= memcmp(e.vr, long_vrs[i], 2) == 0;
        if (is_long) {
            e.len_at = pos + 8, e.len = u32(b->data + pos + 8), e.value = pos + 12;
        } else {
            e.len_at = pos + 6, e.len_bytes = 2, e.len = u16(b->data + pos + 6), e.value = pos + 8;
        }
        out[n++] = e;
        /* a sequence's contents are walked; any other value is skipped */
        if (memcmp(e.vr, "SQ", 2) == 0) pos = e.value;
        else pos = e.value + (e.len == 0xFFFFFFFFu ? 0 : e.len);
    }
    return n;
}

static const Element *find(const Element *els, size_t n, uint16_t group, uint16_t elem)
{
    for (size_t i = 0; i < n; i++)
        if (els[i].group == group && els[i].elem == elem) return &els[i];
    return NULL;
}

static void make_phantom(const char *path, unsigned frames, int calibration)
{
    LqpParams p;
    lqp_params_default(&p);
    p.seed = 7, p.frames = frames, p.size = SIZE, p.calibration = calibration;
    char msg[256] = "";
    assert_int_equal(lqp_write_study(&p, path, NULL, msg, sizeof msg), LQ_OK);
}

/* A phantom written as `name`, read back and walked; `bad` is a second path
 * for the altered copies. */
typedef struct Corpus {
    char src[128], bad[128];
    Bytes b;
    Element els[512];
    size_t n;
} Corpus;

static void corpus_make(Corpus *c, const char *name, unsigned frames, int calibration)
{
    snprintf(c->src, sizeof c->src, "%s/%s.dcm", tmp_dir, name);
    snprintf(c->bad, sizeof c->bad, "%s/%s-bad.dcm", tmp_dir, name);
    make_phantom(c->src, frames, calibration);
    c->b = read_all(c->src);
    c->n = walk(&c->b, c->els, 512);
}

/* Open, check it can be measured, decode every frame: LQ_OK only if all of
 * it worked. The error, when there is one, must name the file. */
static int open_and_decode(const char *path, LqError *err)
{
    LqStudy *st = NULL;
    int rc = lq_study_open(path, NULL, &st, err);
    const char *why = NULL;
    if (rc == LQ_OK && !lq_study_measurable(st, &why)) {
        /* what `lumenq measure` refuses with exit 65 */
        snprintf(err->message, sizeof err->message, "%s: %s", path, why);
        rc = LQ_ERR_DATA;
    }
    if (rc == LQ_OK) {
        const LqStudyInfo *in = lq_study_info(st);
        uint8_t *luma = malloc((size_t)in->rows * in->cols + 1);
        for (unsigned f = 0; rc == LQ_OK && f < in->frames && f < 64; f++) rc = lq_study_read_frame(st, f, luma, err);
        free(luma);
    }
    lq_study_close(&st);
    if (rc != LQ_OK) assert_non_null(strstr(err->message, path));
    return rc;
}

static void test_truncated_at_every_boundary(void **state)
{
    (void)state;
    static Corpus c;
    corpus_make(&c, "whole", FRAMES, 1);
    const char *src = c.src, *cut = c.bad;
    Bytes b = c.b;
    const Element *els = c.els;
    size_t n = c.n;
    assert_true(n > 40);
    const Element *pixels = find(els, n, 0x7FE0, 0x0010);
    assert_non_null(pixels);
    assert_int_equal(pixels->value + pixels->len, b.len); /* the walker saw the whole file */
    LqError err;
    assert_int_equal(open_and_decode(src, &err), LQ_OK);
    size_t tried = 0;
    /* every tag and every value start, the middle of the pixel data, one byte short */
    size_t extra[] = {0, 64, 128, 132, pixels->value + pixels->len / 2, b.len - 1};
    for (size_t i = 0; i < n + sizeof extra / sizeof extra[0]; i++) {
        size_t points[2] = {i < n ? els[i].header : extra[i - n], i < n ? els[i].value : extra[i - n]};
        for (int k = 0; k < 2; k++) {
            if (points[k] >= b.len) continue;
            write_all(cut, b.data, points[k]);
            int rc = open_and_decode(cut, &err);
            if (rc == LQ_OK) print_message("truncated at %zu of %zu: read without error\n", points[k], b.len);
            assert_int_not_equal(rc, LQ_OK);
            tried++;
        }
    }
    print_message("%zu truncations, every one refused with a message naming the file\n", tried);
    free(b.data);
}

/* Each element's length field made odd, too long or huge, one at a time. */
static void test_wrong_lengths(void **state)
{
    (void)state;
    static Corpus c;
    corpus_make(&c, "lengths", 4, 1);
    const char *bad = c.bad;
    Bytes b = c.b;
    const Element *els = c.els;
    size_t n = c.n;
    size_t refused = 0, read = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t variants[] = {els[i].len + 1, els[i].len + 2, els[i].len ? els[i].len - 1 : 3, 0xFFFFFFF0u,
                                     (uint32_t)(b.len - els[i].value) + 10};
        for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
            uint8_t *copy = malloc(b.len);
            memcpy(copy, b.data, b.len);
            uint32_t len = variants[v];
            if (els[i].len_bytes == 2) len &= 0xFFFF;
            for (int k = 0; k < els[i].len_bytes; k++) copy[els[i].len_at + (size_t)k] = (uint8_t)(len >> (8 * k));
            write_all(bad, copy, b.len);
            free(copy);
            LqError err;
            if (open_and_decode(bad, &err) == LQ_OK) read++;
            else refused++;
        }
    }
    print_message("%zu wrong lengths: %zu refused with a message, %zu still read (lengths of values lumenq ignores)\n",
                  refused + read, refused, read);
    assert_true(refused > read);
    free(b.data);
}

static void patch_u16(Bytes *b, const Element *e, uint16_t v)
{
    b->data[e->value] = (uint8_t)v, b->data[e->value + 1] = (uint8_t)(v >> 8);
}

/* A string value overwritten in place (same length, padded with spaces). */
static void patch_string(Bytes *b, const Element *e, const char *s)
{
    assert_true(strlen(s) <= e->len);
    memset(b->data + e->value, ' ', e->len);
    memcpy(b->data + e->value, s, strlen(s));
}

static void expect_refused(const char *path, const Bytes *b, const char *why)
{
    write_all(path, b->data, b->len);
    LqError err;
    assert_int_not_equal(open_and_decode(path, &err), LQ_OK);
    if (why && !strstr(err.message, why)) print_message("message: %s\n", err.message);
    if (why) assert_non_null(strstr(err.message, why));
}

static void test_declared_sizes(void **state)
{
    (void)state;
    static Corpus c;
    corpus_make(&c, "sizes", FRAMES, 1);
    const char *bad = c.bad;
    Bytes b = c.b, copy;
    const Element *els = c.els;
    size_t n = c.n;
    const Element *rows = find(els, n, 0x0028, 0x0010), *cols = find(els, n, 0x0028, 0x0011);
    const Element *nframes = find(els, n, 0x0028, 0x0008);
    assert_non_null(rows), assert_non_null(cols), assert_non_null(nframes);
    copy = (Bytes){malloc(b.len), b.len};

    /* huge dimensions: refused before anything is allocated for them */
    memcpy(copy.data, b.data, b.len);
    patch_u16(&copy, rows, 65535), patch_u16(&copy, cols, 65535);
    expect_refused(bad, &copy, "beyond");
    /* more frames declared than the pixel data holds */
    memcpy(copy.data, b.data, b.len);
    patch_string(&copy, nframes, "99");
    expect_refused(bad, &copy, NULL);
    memcpy(copy.data, b.data, b.len);
    patch_string(&copy, nframes, "0");
    expect_refused(bad, &copy, NULL);
    /* rows that do not match the pixel data length */
    memcpy(copy.data, b.data, b.len);
    patch_u16(&copy, rows, SIZE * 2);
    expect_refused(bad, &copy, NULL);
    free(copy.data);
    free(b.data);
}

/* NaN, zero and negative Pixel Spacing: never used as a calibration. */
static void test_bad_spacing(void **state)
{
    (void)state;
    static Corpus c;
    corpus_make(&c, "spacing", 4, 2);
    const char *bad = c.bad;
    Bytes b = c.b;
    const Element *els = c.els;
    size_t n = c.n;
    const Element *ps = find(els, n, 0x0028, 0x0030);
    assert_non_null(ps);
    static const char *const values[] = {"nan\\nan", "0\\0", "-.1\\-.1", "1e9\\1e9", "inf\\inf", "abc", "0.1"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        Bytes copy = {malloc(b.len), b.len};
        memcpy(copy.data, b.data, b.len);
        patch_string(&copy, ps, values[i]);
        write_all(bad, copy.data, copy.len);
        free(copy.data);
        LqStudy *st = NULL;
        LqError err;
        if (lq_study_open(bad, NULL, &st, &err) != LQ_OK) continue; /* refused outright: fine */
        const char *why = NULL;
        assert_false(lq_study_measurable(st, &why));
        assert_non_null(why);
        const LqStudyInfo *in = lq_study_info(st);
        assert_int_equal(in->calibration, LQ_CAL_NONE);
        lq_study_close(&st);
    }
    free(b.data);
}

static LqSummary measure_file(const char *path, LqResult **keep)
{
    LqStudy *st = NULL;
    LqResult *r = NULL;
    LqError err;
    assert_int_equal(lq_study_open(path, NULL, &st, &err), LQ_OK);
    assert_int_equal(lq_study_measure(st, NULL, &r, &err), LQ_OK);
    LqSummary s = *lq_result_summary(r);
    if (keep) *keep = r;
    else lq_result_free(&r);
    lq_study_close(&st);
    return s;
}

/* Pixel data replaced (frames first..last) by black, white or noise. */
static void fill_frames(Bytes *b, const Element *pixels, unsigned first, unsigned last, int kind, uint64_t seed)
{
    size_t frame = (size_t)SIZE * SIZE;
    for (size_t i = first * frame; i < (last + 1) * frame && i < pixels->len; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        b->data[pixels->value + i] = kind == 0 ? 0 : kind == 1 ? 255 : (uint8_t)(seed >> 56);
    }
}

static void test_blank_white_noise_frames(void **state)
{
    (void)state;
    static Corpus c;
    corpus_make(&c, "frames", FRAMES, 1);
    const char *bad = c.bad;
    Bytes b = c.b;
    const Element *els = c.els;
    size_t n = c.n;
    const Element *pixels = find(els, n, 0x7FE0, 0x0010);
    for (int kind = 0; kind < 3; kind++) {
        Bytes copy = {malloc(b.len), b.len};
        memcpy(copy.data, b.data, b.len);
        fill_frames(&copy, pixels, 0, FRAMES - 1, kind, 42);
        write_all(bad, copy.data, copy.len);
        free(copy.data);
        LqSummary s = measure_file(bad, NULL);
        assert_false(s.ok); /* no verdict on images without a lumen */
        assert_non_null(strstr(s.problem, "no frame has a confident lumen contour"));
        assert_int_equal(s.low_confidence_frames, FRAMES);
    }
    free(b.data);
}

/* One noise frame inside a good pullback keeps confidence 0, even where its
 * neighbours agree and it is segmented again under their prior: without
 * ultrasound speckle no border means anything. */
static void test_noise_frame_in_pullback(void **state)
{
    (void)state;
    enum { N = 24, PX = 256 };
    char src[128], bad[128];
    snprintf(src, sizeof src, "%s/noise1.dcm", tmp_dir);
    snprintf(bad, sizeof bad, "%s/noise1-bad.dcm", tmp_dir);
    LqpParams p;
    lqp_params_default(&p);
    p.seed = 3, p.frames = N, p.size = PX;
    char msg[256] = "";
    assert_int_equal(lqp_write_study(&p, src, NULL, msg, sizeof msg), LQ_OK);
    Bytes b = read_all(src);
    Element els[512];
    size_t n = walk(&b, els, 512);
    const Element *pixels = find(els, n, 0x7FE0, 0x0010);
    assert_non_null(pixels);
    const unsigned mid = N / 2;
    uint64_t seed = 7;
    for (size_t i = (size_t)mid * PX * PX; i < (size_t)(mid + 1) * PX * PX; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        b.data[pixels->value + i] = (uint8_t)(seed >> 56);
    }
    write_all(bad, b.data, b.len);
    free(b.data);
    LqResult *r = NULL;
    measure_file(bad, &r);
    assert_true(lq_result_frame(r, mid)->confidence == 0.0);
    assert_true(lq_result_frame(r, mid - 1)->confidence > 0.5);
    lq_result_free(&r);
}

static void test_short_pullbacks(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/one.dcm", tmp_dir);
    make_phantom(path, 1, 1);
    LqSummary s = measure_file(path, NULL);
    assert_false(s.ok);
    assert_non_null(strstr(s.problem, "only 1 frame"));

    /* ten frames whose straight EIV is noise: no healthy reference in this
     * pullback, so never an automatic one; the EIV normal value, said so */
    snprintf(path, sizeof path, "%s/ten.dcm", tmp_dir);
    make_phantom(path, 10, 1);
    Bytes b = read_all(path);
    Element els[512];
    size_t n = walk(&b, els, 512);
    fill_frames(&b, find(els, n, 0x7FE0, 0x0010), 4, 9, 2, 7);
    write_all(path, b.data, b.len);
    free(b.data);
    s = measure_file(path, NULL);
    assert_true(s.reference_method != LQ_METHOD_AUTO || !s.ok);
    if (s.ok) {
        assert_int_equal(s.reference_method, LQ_METHOD_NORMAL);
        assert_non_null(strstr(s.reference_note, "no stable EIV segment"));
    }
}

/* Explicit VR little endian element with a short (2-byte) length. */
static size_t put_element(uint8_t *p, uint16_t g, uint16_t e, const char *vr, const char *value)
{
    size_t len = strlen(value) + (strlen(value) & 1);
    p[0] = (uint8_t)g, p[1] = (uint8_t)(g >> 8), p[2] = (uint8_t)e, p[3] = (uint8_t)(e >> 8);
    memcpy(p + 4, vr, 2);
    p[6] = (uint8_t)len, p[7] = (uint8_t)(len >> 8);
    memset(p + 8, 0, len);
    memcpy(p + 8, value, strlen(value));
    return 8 + len;
}

/* Found by fuzz_reader: a deflated dataset whose element declares 4 GB in a
 * small file made DCMTK allocate 4 GB before noticing. The prescan inflates
 * and walks the dataset first and refuses it. */
static void test_deflated_huge_element(void **state)
{
    (void)state;
    uint8_t file[4096] = {0}, dataset[256];
    size_t n = 128;
    memcpy(file + n, "DICM", 4), n += 4;
    n += put_element(file + n, 0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1.99");
    size_t d = put_element(dataset, 0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7");
    /* (7373,7171) UN with a 4-byte length of 0xFFFF4446 and 16 bytes of data */
    const uint8_t huge[] = {0x73, 0x73, 0x71, 0x71, 'U', 'N', 0, 0, 0x46, 0x44, 0xFF, 0xFF};
    memcpy(dataset + d, huge, sizeof huge), d += sizeof huge;
    memset(dataset + d, 0x55, 16), d += 16;
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = dataset, z.avail_in = (uInt)d;
    z.next_out = file + n, z.avail_out = (uInt)(sizeof file - n);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    n += z.total_out;
    deflateEnd(&z);
    char path[128];
    snprintf(path, sizeof path, "%s/deflated-huge.dcm", tmp_dir);
    write_all(path, file, n);
    LqStudy *st = NULL;
    LqError err;
    assert_int_equal(lq_study_open(path, NULL, &st, &err), LQ_ERR_DATA);
    if (!strstr(err.message, "(7373,7171) declares 4294919238 bytes")) print_message("%s\n", err.message);
    assert_non_null(strstr(err.message, "(7373,7171) declares 4294919238 bytes"));
    assert_null(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_at_every_boundary), cmocka_unit_test(test_wrong_lengths),
        cmocka_unit_test(test_declared_sizes),              cmocka_unit_test(test_bad_spacing),
        cmocka_unit_test(test_blank_white_noise_frames),
        cmocka_unit_test(test_noise_frame_in_pullback),    cmocka_unit_test(test_short_pullbacks),
        cmocka_unit_test(test_deflated_huge_element),
    };
    return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
