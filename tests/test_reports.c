/* Reports on a phantom pullback: the CSV columns, the summary CSV, the PNG
 * pictures decoded back (size, and the contour drawn where it was measured),
 * the PDF, positions in mm, a reference from another pullback, and that a
 * failed write leaves nothing behind. The figures' layout (axis ticks, the
 * profile's title lines) through src/report/layout.c, compiled in; the JSON
 * and docs/json.md agreeing on the dynamic-lesion threshold.
 * Usage: test-reports DOCS_JSON_MD */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "phantom_study.h"
#include "report/layout.h"

#define FRAMES 120
#define SIZE 256

static const char *json_doc_path;

static int setup(void **state) { return phantom_study_setup(state, 3, FRAMES, SIZE); }
static int teardown(void **state) { return phantom_study_teardown(state); }

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) n = 0;
    if (buf) buf[n] = 0;
    fclose(fp);
    if (len) *len = (size_t)n;
    return buf;
}

static void out_path(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", tmp_dir, name); }

/* Splits a CSV line without quotes into fields (in place). */
static int split(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;; p++) {
        if (n < max) fields[n] = p;
        n++;
        p = strchr(p, ',');
        if (!p) break;
        *p = 0;
    }
    return n;
}

static void test_frames_csv(void **state)
{
    (void)state;
    char path[160];
    out_path(path, sizeof path, "frames.csv");
    LqError err = {0};
    assert_int_equal(lq_report_write(study, result, LQ_REPORT_CSV, path, &err), LQ_OK);
    char *csv = slurp(path, NULL);
    assert_non_null(csv);
    char *save = NULL, *line = strtok_r(csv, "\n", &save);
    assert_string_equal(line, "frame,position_mm,area_mm2,equiv_diameter_mm,min_diameter_mm,max_diameter_mm,"
                              "eccentricity,confidence,valid,flags,segment");
    const LqSummary *s = lq_result_summary(result);
    int rows = 0, reference_rows = 0, lesion_rows = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *f[12];
        assert_int_equal(split(line, f, 12), 11);
        size_t i = (size_t)rows;
        const LqFrameMeasure *m = lq_result_frame(result, i);
        assert_int_equal(atoi(f[0]), rows + 1);
        assert_float_equal(atof(f[1]), m->position_mm, 6e-4);
        assert_float_equal(atof(f[2]), m->shape.area_mm2, 6e-4);
        assert_float_equal(atof(f[3]), m->shape.equiv_diameter_mm, 6e-4);
        assert_float_equal(atof(f[4]), m->shape.min_feret_mm, 6e-4);
        assert_float_equal(atof(f[5]), m->shape.max_feret_mm, 6e-4);
        assert_float_equal(atof(f[6]), m->shape.eccentricity, 6e-4);
        assert_float_equal(atof(f[7]), m->confidence, 6e-4);
        assert_int_equal(atoi(f[8]), m->valid);
        if (strstr(f[9], "reference")) reference_rows++;
        if ((int)i == s->lesion_frame) assert_non_null(strstr(f[9], "lesion"));
        if (strstr(f[9], "lesion-segment")) lesion_rows++;
        /* the lesion's segment is a narrowed segment, numbered as the JSON lists them */
        if (strstr(f[9], "lesion-segment")) assert_true(f[10][0] && s->segments[atoi(f[10]) - 1].lesion);
        rows++;
    }
    assert_int_equal(rows, FRAMES);
    assert_int_equal(reference_rows, s->reference_last - s->reference_first + 1);
    assert_int_equal(lesion_rows, s->lesion_first >= 0 ? s->lesion_last - s->lesion_first + 1 : 0);
    free(csv);
}

static void test_summary_csv(void **state)
{
    (void)state;
    char path[160];
    out_path(path, sizeof path, "all.csv");
    LqError err = {0};
    assert_int_equal(lq_report_append_summary_csv(study, result, path, &err), LQ_OK);
    assert_int_equal(lq_report_append_summary_csv(study, result, path, &err), LQ_OK);
    char *csv = slurp(path, NULL);
    assert_non_null(csv);
    char *save = NULL, *header = strtok_r(csv, "\n", &save), *row1 = strtok_r(NULL, "\n", &save);
    char *row2 = strtok_r(NULL, "\n", &save);
    assert_non_null(row2);
    assert_null(strtok_r(NULL, "\n", &save)); /* one header, two rows */
    assert_string_equal(row1, row2);
    char *names[64], *values[64];
    int nh = split(header, names, 64), nv = split(row1, values, 64);
    assert_int_equal(nh, nv);
    assert_true(nh <= 64); /* every column read */
    const LqSummary *s = lq_result_summary(result);
    for (int i = 0; i < nh; i++) {
        if (strcmp(names[i], "diameter_stenosis_pct") == 0) assert_float_equal(atof(values[i]), s->diameter_stenosis_pct, 0.006);
        if (strcmp(names[i], "lesion_frame") == 0) assert_int_equal(atoi(values[i]), s->lesion_frame + 1);
        if (strcmp(names[i], "stent_length_mm") == 0) assert_int_equal(atoi(values[i]), s->stent_length_mm);
        if (strcmp(names[i], "significant") == 0) assert_int_equal(atoi(values[i]), s->significant);
        if (strcmp(names[i], "segments") == 0) assert_int_equal(atoi(values[i]), s->segment_count);
    }
    free(csv);
    /* a file with other columns is refused and left as it was */
    out_path(path, sizeof path, "other.csv");
    FILE *fp = fopen(path, "w");
    fputs("a,b\n1,2\n", fp);
    fclose(fp);
    assert_int_equal(lq_report_append_summary_csv(study, result, path, &err), LQ_ERR_CREATE);
    assert_non_null(strstr(err.message, "other columns"));
    csv = slurp(path, NULL);
    assert_string_equal(csv, "a,b\n1,2\n");
    free(csv);
}

typedef struct Image {
    unsigned w, h;
    uint8_t *rgb;
} Image;

static int read_png(const char *path, Image *im)
{
    png_image pi;
    memset(&pi, 0, sizeof pi);
    pi.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&pi, path)) return 0;
    pi.format = PNG_FORMAT_RGB;
    im->w = pi.width, im->h = pi.height;
    im->rgb = malloc(PNG_IMAGE_SIZE(pi));
    if (!im->rgb || !png_image_finish_read(&pi, NULL, im->rgb, 0, NULL)) {
        free(im->rgb);
        return 0;
    }
    return 1;
}

static const uint8_t *pixel(const Image *im, long x, long y)
{
    if (x < 0 || y < 0 || x >= (long)im->w || y >= (long)im->h) return NULL;
    return im->rgb + 3 * ((size_t)y * im->w + (size_t)x);
}

/* The contour's yellow (255, 219, 0), anti-aliased over grey. */
static int is_contour_colour(const uint8_t *p) { return p && p[0] > 200 && p[1] > 160 && p[2] < 90 && p[0] - p[2] > 150; }

static void test_lesion_png(void **state)
{
    (void)state;
    char path[160];
    out_path(path, sizeof path, "lesion.png");
    LqError err = {0};
    assert_int_equal(lq_report_write(study, result, LQ_REPORT_LESION_PNG, path, &err), LQ_OK);
    Image im;
    assert_true(read_png(path, &im));
    /* 512 wide; the frame at its aspect (square here) under a band of 11 % */
    assert_int_equal(im.w, 512);
    assert_int_equal(im.h, (unsigned)ceil(512 + 0.11 * 512));
    /* the contour is drawn where it was measured: near every contour point
     * (mapped to the picture) lies a contour-coloured pixel */
    const LqSummary *s = lq_result_summary(result);
    const LqContour *c = lq_result_contour(result, (size_t)s->lesion_frame);
    const LqStudyInfo *in = lq_study_info(study);
    double scale = 512.0 / (in->cols * in->pixel_dx_mm), band = 0.11 * 512;
    unsigned hits = 0;
    for (unsigned k = 0; k < c->n; k++) {
        long x = lround((c->xy_mm[2 * k] + 0.5 * in->pixel_dx_mm) * scale);
        long y = lround(band + (c->xy_mm[2 * k + 1] + 0.5 * in->pixel_dy_mm) * scale);
        int found = 0;
        for (long dy = -2; dy <= 2 && !found; dy++)
            for (long dx = -2; dx <= 2 && !found; dx++) found = is_contour_colour(pixel(&im, x + dx, y + dy));
        hits += (unsigned)found;
    }
    print_message("lesion.png: %u of %u contour points drawn\n", hits, c->n);
    assert_true(hits >= c->n * 8 / 10); /* calipers cross the contour at a few points */
    /* and the image is not blank: grey tissue around it */
    unsigned grey = 0;
    for (size_t i = 0; i < (size_t)im.w * im.h; i++) {
        const uint8_t *p = im.rgb + 3 * i;
        grey += p[0] == p[1] && p[1] == p[2] && p[0] > 40 && p[0] < 220;
    }
    assert_true(grey > im.w * im.h / 4);
    free(im.rgb);
}

static void test_reference_and_profile_png(void **state)
{
    (void)state;
    char path[160];
    LqError err = {0};
    Image im;
    out_path(path, sizeof path, "reference.png");
    assert_int_equal(lq_report_write(study, result, LQ_REPORT_REFERENCE_PNG, path, &err), LQ_OK);
    assert_true(read_png(path, &im));
    assert_int_equal(im.w, 512);
    unsigned yellow = 0;
    for (size_t i = 0; i < (size_t)im.w * im.h; i++) yellow += is_contour_colour(im.rgb + 3 * i);
    assert_true(yellow > 300);
    free(im.rgb);

    out_path(path, sizeof path, "profile.png");
    assert_int_equal(lq_report_write(study, result, LQ_REPORT_PROFILE_PNG, path, &err), LQ_OK);
    assert_true(read_png(path, &im));
    assert_int_equal(im.w, 960);
    assert_int_equal(im.h, 540);
    /* the area curve (dark blue) and the shaded reference band (light green) */
    unsigned blue = 0, green = 0;
    for (size_t i = 0; i < (size_t)im.w * im.h; i++) {
        const uint8_t *p = im.rgb + 3 * i;
        blue += p[2] > 120 && p[0] < 80 && p[1] < 110;
        green += p[1] > 210 && p[0] > 200 && p[0] < 235 && p[2] < 235 && p[1] > p[0] + 6 && p[1] > p[2] + 6;
    }
    print_message("profile.png: %u curve pixels, %u reference-band pixels\n", blue, green);
    assert_true(blue > 1500);
    assert_true(green > 2000);
    /* No label hides the area curve: between its first and last column,
     * every column of the area panel (the upper 60 %) shows it but those
     * under the MLA marker, a white disc 11 pixels wide on the curve's
     * minimum. The pullback's last frames lie near 50 % A_ref, whose label
     * sat on them (61 columns hidden). */
    int first = -1, last = -1, gaps = 0;
    for (int x = 0; x < (int)im.w; x++) {
        int shown = 0;
        for (int y = 0; y < (int)im.h * 6 / 10 && !shown; y++) {
            const uint8_t *p = im.rgb + 3 * ((size_t)y * im.w + x);
            shown = p[2] > 120 && p[0] < 80 && p[1] < 110;
        }
        if (!shown) continue;
        if (first < 0) first = x;
        gaps += last >= 0 ? x - last - 1 : 0;
        last = x;
    }
    /* a frame below the confidence cut is a dot, not joined: the curve
     * breaks over the spacing of a frame on each side of it */
    int unsure = lq_result_summary(result)->low_confidence_frames, frames = (int)lq_result_frame_count(result);
    int allowed = 12 + unsure * (2 * (last - first) / (frames - 1) + 1);
    print_message("profile.png: area curve over columns %d-%d, %d columns hidden (%d frames below the cut, %d allowed)\n",
                  first, last, gaps, unsure, allowed);
    assert_true(last - first > (int)im.w / 2);
    assert_true(gaps <= allowed);
    free(im.rgb);
}

static void test_pdf(void **state)
{
    (void)state;
    char path[160];
    out_path(path, sizeof path, "report.pdf");
    LqError err = {0};
    assert_int_equal(lq_report_write(study, result, LQ_REPORT_PDF, path, &err), LQ_OK);
    size_t len;
    char *pdf = slurp(path, &len);
    assert_non_null(pdf);
    assert_true(len > 20000); /* two frames and the profile are in it */
    assert_memory_equal(pdf, "%PDF-1.", 7);
    const char *tail = pdf + len - 7;
    assert_non_null(strstr(tail, "%%EOF"));
    int pages = 0, images = 0;
    for (const char *p = pdf; (p = memmem(p, len - (size_t)(p - pdf), "/Type /Page", 11)); p += 11)
        pages += p[11] != 's';
    for (const char *p = pdf; (p = memmem(p, len - (size_t)(p - pdf), "/Subtype /Image", 15)); p += 15) images++;
    assert_int_equal(pages, 1);
    assert_true(images >= 2);
    free(pdf);
}

static int temp_files_left(void)
{
    DIR *d = opendir(tmp_dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) n += strstr(e->d_name, ".tmp-") != NULL;
    if (d) closedir(d);
    return n;
}

/* A file-size limit makes the write fail midway: an error, and neither the
 * target nor a temporary file is left. */
static void test_failed_write_leaves_nothing(void **state)
{
    (void)state;
    char path[160];
    LqError err = {0};
    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 16 * 1024;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    static const struct { LqReportFormat f; const char *name; } cases[] = {
        {LQ_REPORT_PDF, "big.pdf"}, {LQ_REPORT_LESION_PNG, "big.png"}, {LQ_REPORT_JSON, "big.json"}};
    int rcs[3];
    for (int i = 0; i < 3; i++) {
        out_path(path, sizeof path, cases[i].name);
        rcs[i] = lq_report_write(study, result, cases[i].f, path, &err);
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    for (int i = 0; i < 3; i++) {
        out_path(path, sizeof path, cases[i].name);
        assert_int_equal(rcs[i], LQ_ERR_IO);
        struct stat st;
        assert_int_not_equal(stat(path, &st), 0);
    }
    assert_non_null(strstr(err.message, "big.json"));
    assert_int_equal(temp_files_left(), 0);
}

static void test_positions_in_mm(void **state)
{
    (void)state;
    LqError err = {0};
    unsigned idx;
    for (unsigned k = 0; k < FRAMES; k += 17) {
        assert_int_equal(lq_study_frame_at_mm(study, lq_study_frame_position_mm(study, k) + 0.1, &idx, &err), LQ_OK);
        assert_int_equal(idx, k);
    }
    assert_int_equal(lq_study_frame_at_mm(study, 1000, &idx, &err), LQ_ERR_USAGE);
    assert_non_null(strstr(err.message, "outside the pullback: 0.00-150.00 mm"));
    assert_int_equal(lq_study_frame_at_mm(study, NAN, &idx, &err), LQ_ERR_USAGE);
}

/* --reference-file: the other pullback's reference, auto or given frames. */
static void test_reference_from_another_pullback(void **state)
{
    (void)state;
    LqpParams p;
    lqp_params_default(&p);
    p.seed = 4, p.frames = FRAMES, p.size = SIZE;
    char other_path[160], msg[256] = "";
    out_path(other_path, sizeof other_path, "other.dcm");
    assert_int_equal(lqp_write_study(&p, other_path, NULL, msg, sizeof msg), LQ_OK);
    LqStudy *other = NULL;
    LqResult *other_r = NULL, *r = NULL;
    LqError err = {0};
    assert_int_equal(lq_study_open(other_path, NULL, &other, &err), LQ_OK);
    assert_int_equal(lq_study_measure(other, NULL, &other_r, &err), LQ_OK);
    const LqSummary *os = lq_result_summary(other_r);

    LqRunOptions run;
    lq_run_options_default(&run);
    assert_int_equal(lq_study_reference(other, NULL, -1, -1, &run.measure, &err), LQ_OK);
    assert_float_equal(run.measure.external_reference_area_mm2, os->reference_area_mm2, 1e-9);
    assert_int_equal(lq_study_measure(study, &run, &r, &err), LQ_OK);
    const LqSummary *s = lq_result_summary(r);
    assert_true(s->ok);
    assert_int_equal(s->reference_method, LQ_METHOD_EXTERNAL);
    assert_int_equal(s->reference_first, -1);
    assert_float_equal(s->reference_area_mm2, os->reference_area_mm2, 1e-9);
    assert_int_equal(s->lesion_frame, lq_result_summary(result)->lesion_frame);
    assert_float_equal(s->diameter_stenosis_pct, 100 * (1 - s->mld_mm / os->reference_diameter_mm), 1e-9);
    assert_non_null(strstr(s->reference_note, "other.dcm"));
    /* no reference frame in this pullback: no reference picture */
    char path[160];
    out_path(path, sizeof path, "no-reference.png");
    assert_int_equal(lq_report_write(study, r, LQ_REPORT_REFERENCE_PNG, path, &err), LQ_ERR_DATA);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);
    lq_result_free(&r);

    /* given frames of the other pullback */
    lq_run_options_default(&run);
    assert_int_equal(lq_study_reference(other, NULL, 60, 70, &run.measure, &err), LQ_OK);
    double sum = 0;
    for (size_t i = 60; i <= 70; i++) sum += lq_result_frame(other_r, i)->shape.area_mm2;
    assert_float_equal(run.measure.external_reference_area_mm2, sum / 11, 1e-9);
    assert_non_null(strstr(run.measure.external_reference_note, "frames 61-71 (given)"));
    assert_int_equal(lq_study_reference(other, NULL, 60, 500, &run.measure, &err), LQ_ERR_USAGE);
    assert_non_null(strstr(err.message, "other.dcm"));
    lq_result_free(&other_r);
    lq_study_close(&other);
}

/* Position-axis ticks: a 2 mm pullback was labelled "0 0 0 1 1 1". Returns
 * the labels, space-separated; every axis gets 4-10 ticks on a 1-2-5 step,
 * inside the span, with distinct, increasing labels. */
static void axis_labels(double lo, double hi, char *labels, size_t len)
{
    LqTicks t;
    lq_axis_ticks(lo, hi, 8, &t);
    assert_in_range(t.count, 4, 10);
    assert_true(t.mantissa == 1 || t.mantissa == 2 || t.mantissa == 5);
    labels[0] = 0;
    double previous = -INFINITY, step = lq_axis_tick_step(&t);
    for (int i = 0; i < t.count; i++) {
        double v = lq_axis_tick_value(&t, i);
        assert_true(v >= lo - 1e-9 * step && v <= hi + 1e-9 * step);
        char label[32];
        lq_axis_tick_label(&t, i, label, sizeof label);
        double shown = strtod(label, NULL);
        assert_float_equal(shown, v, 1e-9 * step); /* enough decimals for the step */
        assert_true(shown > previous);             /* distinct, monotonic */
        previous = shown;
        size_t used = strlen(labels);
        snprintf(labels + used, len - used, "%s%s", i ? " " : "", label);
    }
}

static void test_axis_ticks(void **state)
{
    (void)state;
    static const struct { double lo, hi; const char *want; } spans[] = {
        {0, 2, "0.0 0.5 1.0 1.5 2.0"},
        {0, 20, "0 5 10 15 20"},
        {0, 200, "0 50 100 150 200"},
        {0, 149.5, "0 20 40 60 80 100 120 140"}, /* the demo's 300 frames */
        {-0.35, 1.65, "0.0 0.5 1.0 1.5"},        /* frames before the pullback start */
        {0, 0.3, "0.00 0.05 0.10 0.15 0.20 0.25 0.30"},
    };
    char labels[256];
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
        axis_labels(spans[i].lo, spans[i].hi, labels, sizeof labels);
        print_message("%g to %g mm: %s\n", spans[i].lo, spans[i].hi, labels);
        assert_string_equal(labels, spans[i].want);
    }
    /* and every span from 0.1 to 2000 mm, wherever it starts */
    for (double span = 0.1; span < 2000; span *= 1.07)
        for (double start = -0.3 * span; start <= 0.35 * span; start += 0.13 * span)
            axis_labels(start, start + span, labels, sizeof labels);
}

/* The profile's title: with a long verdict, the dynamic-lesion note takes a
 * line of its own instead of being drawn over the verdict (issue 17); with
 * room, all stays on one line as before. Sizes of the PNG (960 wide, font
 * 14) and of the PDF's profile (523 wide, font 8 on an A4 page; 10 with
 * room to spare). */
static void test_title_layout(void **state)
{
    (void)state;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 16, 16);
    cairo_t *cr = cairo_create(surface);
    const char *heading = "Lumen area along the pullback", *note = "lesion looks DYNAMIC";
    static const char *const verdicts[] = {
        "SIGNIFICANT: diameter stenosis 65.8 % > 61 %",
        "not significant: equivalent-diameter stenosis 45.2 % \xe2\x89\xa4 61 %",
    };
    static const struct { double w, fs; } sizes[] = {{960, 14}, {523.28, 8}, {523.28, 10}};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
        for (size_t v = 0; v < 2; v++) {
            double fs = sizes[k].fs, left = 5.2 * fs, right = sizes[k].w - 4.6 * fs;
            LqTitleLayout t;
            lq_title_layout(cr, 1.15 * fs, left, right, 1.5 * fs, fs, heading, note, verdicts[v], &t);
            print_message("%.0f wide, font %.0f, verdict %zu: %d line(s); heading %.0f-%.0f, note %.0f-%.0f at %.0f, "
                          "verdict %.0f-%.0f at %.0f\n", sizes[k].w, fs, v, t.lines, t.heading.left, t.heading.right,
                          t.note.left, t.note.right, t.note.y, t.verdict.left, t.verdict.right, t.verdict.y);
            assert_false(lq_text_boxes_overlap(&t.note, &t.verdict));
            assert_false(lq_text_boxes_overlap(&t.heading, &t.note));
            assert_false(lq_text_boxes_overlap(&t.heading, &t.verdict));
            const LqTextBox *boxes[] = {&t.heading, &t.note, &t.verdict};
            for (int b = 0; b < 3; b++) assert_true(boxes[b]->left >= 0 && boxes[b]->right <= right + 1e-9);
            assert_float_equal(t.heading.left, left, 1e-9);
            assert_float_equal(t.verdict.right, right, 1e-9);
        }
    /* the long verdict at the PNG's size: the note goes under it */
    LqTitleLayout t;
    lq_title_layout(cr, 1.15 * 14, 5.2 * 14, 960 - 4.6 * 14, 1.5 * 14, 14, heading, note, verdicts[0], &t);
    assert_int_equal(t.lines, 2);
    assert_true(t.note.y > t.verdict.y);
    /* room enough: one line, the note just after the heading, as before */
    lq_title_layout(cr, 1.15 * 14, 5.2 * 14, 1600, 1.5 * 14, 14, heading, note, verdicts[0], &t);
    assert_int_equal(t.lines, 1);
    assert_float_equal(t.note.x, t.heading.right + 14, 1e-9);
    assert_float_equal(t.note.y, t.verdict.y, 1e-9);
    /* without the note, the usual verdict keeps the first line; the longest
     * (equivalent diameter, not significant) would touch the heading there */
    lq_title_layout(cr, 1.15 * 14, 5.2 * 14, 960 - 4.6 * 14, 1.5 * 14, 14, heading, NULL, verdicts[0], &t);
    assert_int_equal(t.lines, 1);
    lq_title_layout(cr, 1.15 * 14, 5.2 * 14, 960 - 4.6 * 14, 1.5 * 14, 14, heading, NULL, verdicts[1], &t);
    assert_int_equal(t.lines, 2);
    cairo_destroy(cr);
    cairo_surface_destroy(surface);
}

/* The number after "flag_at_pct": in a text. */
static double flag_at_pct(const char *text)
{
    const char *p = strstr(text, "\"flag_at_pct\": ");
    assert_non_null(p);
    char *end;
    double v = strtod(p + strlen("\"flag_at_pct\": "), &end);
    assert_true(end > p + strlen("\"flag_at_pct\": "));
    return v;
}

/* The JSON gives the threshold the dynamic flag uses, and docs/json.md says
 * the same number (it once said 10 where the code used 5). */
static void test_json_dynamic_threshold(void **state)
{
    (void)state;
    char path[160];
    out_path(path, sizeof path, "report.json");
    LqError err = {0};
    assert_int_equal(lq_report_write(study, result, LQ_REPORT_JSON, path, &err), LQ_OK);
    char *json = slurp(path, NULL), *doc = slurp(json_doc_path, NULL);
    assert_non_null(json);
    if (!doc) fail_msg("cannot read %s", json_doc_path);
    print_message("flag_at_pct: %g in the JSON, %g in %s, LQ_DYNAMIC_VARIATION_PCT %g\n", flag_at_pct(json),
                  flag_at_pct(doc), json_doc_path, LQ_DYNAMIC_VARIATION_PCT);
    assert_float_equal(flag_at_pct(json), LQ_DYNAMIC_VARIATION_PCT, 1e-9);
    assert_float_equal(flag_at_pct(doc), LQ_DYNAMIC_VARIATION_PCT, 1e-9);
    free(json), free(doc);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test-reports DOCS_JSON_MD\n");
        return 64;
    }
    json_doc_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_csv),
        cmocka_unit_test(test_summary_csv),
        cmocka_unit_test(test_lesion_png),
        cmocka_unit_test(test_reference_and_profile_png),
        cmocka_unit_test(test_pdf),
        cmocka_unit_test(test_failed_write_leaves_nothing),
        cmocka_unit_test(test_positions_in_mm),
        cmocka_unit_test(test_reference_from_another_pullback),
        cmocka_unit_test(test_axis_ticks),
        cmocka_unit_test(test_title_layout),
        cmocka_unit_test(test_json_dynamic_threshold),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
