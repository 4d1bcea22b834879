/* A reader's edits (edits.json, lq_result_apply_edits) on a phantom
 * pullback: a lesion contour replaced by a rectangle changes MLA, MLD and
 * the stenoses by what the rectangle gives, computed here from its sides,
 * and nothing that does not depend on the lesion frame changes; the
 * reader's lesion and reference choices; edits of another instance refused
 * with nothing changed; edits.json written and read back; malformed files
 * refused with the file named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "phantom_study.h" /* study, result: the phantom measured without edits */

#define FRAMES 120
#define SIZE 256


static int setup(void **state) { return phantom_study_setup(state, 3, FRAMES, SIZE); }
static int teardown(void **state) { return phantom_study_teardown(state); }

static LqResult *measure_again(void)
{
    LqResult *r = NULL;
    LqError err = {0};
    assert_int_equal(lq_study_measure(study, NULL, &r, &err), LQ_OK);
    return r;
}

static void centroid(const LqContour *c, double *cx, double *cy)
{
    *cx = *cy = 0;
    for (unsigned k = 0; k < c->n; k++) *cx += c->xy_mm[2 * k], *cy += c->xy_mm[2 * k + 1];
    *cx /= c->n, *cy /= c->n;
}

/* A w x h rectangle centred on (cx, cy), 4 points per side (collinear points
 * change neither the area nor the Feret diameters). */
static unsigned rectangle(double cx, double cy, double w, double h, double *xy)
{
    const double corner[4][2] = {{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}};
    unsigned n = 0;
    for (int side = 0; side < 4; side++)
        for (int k = 0; k < 4; k++) {
            const double *a = corner[side], *b = corner[(side + 1) % 4];
            xy[2 * n] = cx + a[0] + (b[0] - a[0]) * k / 4.0, xy[2 * n + 1] = cy + a[1] + (b[1] - a[1]) * k / 4.0;
            n++;
        }
    return n;
}

static void edits_path(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", tmp_dir, name); }

/* The saved file, read back: edits as lq_result_apply_edits gets them from --edits. */
static LqEdits *through_file(const LqEdits *e, const char *name)
{
    char path[256];
    edits_path(path, sizeof path, name);
    LqError err = {0};
    assert_int_equal(lq_edits_write(e, path, &err), LQ_OK);
    LqEdits *back = NULL;
    assert_int_equal(lq_edits_read(path, &back, &err), LQ_OK);
    assert_string_equal(back->path, path);
    return back;
}

static void edited_lesion_contour(void **state)
{
    (void)state;
    const LqSummary *b = lq_result_summary(result);
    const size_t lesion = (size_t)b->lesion_frame;
    double cx, cy, xy[2 * 16];
    centroid(lq_result_contour(result, lesion), &cx, &cy);
    const double w = 3.0, h = 4.5; /* mm: smaller than the phantom's MLA, so it stays the lesion */
    unsigned n = rectangle(cx, cy, w, h, xy);
    const double area = w * h, mld = fmin(w, h), max_d = hypot(w, h);
    assert_true(area < b->mla_mm2);

    LqEdits *e = NULL;
    LqError err = {0};
    assert_int_equal(lq_edits_new(study, "Dr Test", &e, &err), LQ_OK);
    assert_int_equal(lq_edits_set_contour(e, (unsigned)lesion, xy, n, &err), LQ_OK);
    LqEdits *saved = through_file(e, "lesion-edits.json");
    assert_string_equal(saved->reader, "Dr Test");
    assert_int_equal(saved->count, 1);
    assert_int_equal(saved->contours[0].n, n);
    assert_memory_equal(saved->contours[0].xy_mm, xy, sizeof(double) * 2 * n);

    LqResult *r = measure_again();
    assert_int_equal(lq_result_apply_edits(r, study, NULL, saved, &err), LQ_OK);
    assert_ptr_equal(lq_result_edits(r), saved);
    const LqSummary *s = lq_result_summary(r);
    assert_true(s->ok);
    /* what the rectangle gives, with the unedited reference */
    assert_int_equal(s->lesion_frame, b->lesion_frame);
    assert_true(fabs(s->mla_mm2 - area) < 1e-9);
    assert_true(fabs(s->mld_mm - mld) < 1e-9);
    assert_true(fabs(s->lesion_max_diameter_mm - max_d) < 1e-9);
    assert_true(fabs(s->diameter_stenosis_pct - 100.0 * (1.0 - mld / b->reference_diameter_mm)) < 1e-9);
    assert_true(fabs(s->area_stenosis_pct - 100.0 * (1.0 - area / b->reference_area_mm2)) < 1e-9);
    assert_true(fabs(s->equiv_diameter_stenosis_pct - 100.0 * (1.0 - sqrt(area / b->reference_area_mm2))) < 1e-9);
    assert_true(fabs(s->diameter_stenosis_pct - b->diameter_stenosis_pct) > 1.0); /* the edit mattered */
    assert_true(fabs(s->verdict_pct - s->diameter_stenosis_pct) < 1e-12);
    /* what does not depend on the lesion frame's contour: unchanged */
    assert_int_equal(s->lesion_method, b->lesion_method);
    assert_int_equal(s->reference_method, b->reference_method);
    assert_int_equal(s->reference_first, b->reference_first);
    assert_int_equal(s->reference_last, b->reference_last);
    assert_int_equal(s->reference_run_first, b->reference_run_first);
    assert_int_equal(s->reference_run_last, b->reference_run_last);
    assert_true(s->reference_area_mm2 == b->reference_area_mm2);
    assert_true(s->reference_diameter_mm == b->reference_diameter_mm);
    assert_int_equal(s->lesion_first, b->lesion_first);
    assert_int_equal(s->lesion_last, b->lesion_last);
    assert_true(s->lesion_length_mm == b->lesion_length_mm);
    assert_int_equal(s->lesion_search_first, b->lesion_search_first);
    assert_int_equal(s->lesion_search_last, b->lesion_search_last);
    assert_int_equal(s->low_confidence_frames, b->low_confidence_frames);
    assert_memory_equal(s->stent_sizes_mm, b->stent_sizes_mm, sizeof s->stent_sizes_mm);
    assert_true(s->stent_span_mm == b->stent_span_mm);
    assert_int_equal(s->stent_length_mm, b->stent_length_mm);
    for (size_t i = 0; i < lq_result_frame_count(r); i++) {
        const LqFrameMeasure *m = lq_result_frame(r, i), *m0 = lq_result_frame(result, i);
        const LqContour *c = lq_result_contour(r, i), *c0 = lq_result_contour(result, i);
        if (i == lesion) {
            assert_int_equal(c->n, n);
            assert_memory_equal(c->xy_mm, xy, sizeof(double) * 2 * n);
            assert_true(fabs(m->shape.area_mm2 - area) < 1e-9);
            assert_true(m->confidence == 1.0);
            continue;
        }
        assert_memory_equal(m, m0, sizeof *m);
        assert_int_equal(c->n, c0->n);
        assert_memory_equal(c->xy_mm, c0->xy_mm, sizeof(double) * 2 * c->n);
    }
    lq_result_free(&r);
    lq_edits_free(&saved);
    lq_edits_free(&e);
}

static double mean_area(const LqResult *r, int first, int last)
{
    double sum = 0;
    for (int i = first; i <= last; i++) sum += lq_result_frame(r, (size_t)i)->shape.area_mm2;
    return sum / (last - first + 1);
}

static void reader_choices(void **state)
{
    (void)state;
    const LqSummary *b = lq_result_summary(result);
    LqEdits *e = NULL;
    LqError err = {0};
    assert_int_equal(lq_edits_new(study, "Dr Test", &e, &err), LQ_OK);
    e->lesion_frame = b->lesion_frame + 3;
    e->reference_first = b->reference_first + 2, e->reference_last = b->reference_first + 6;
    LqEdits *saved = through_file(e, "choices.json");
    assert_int_equal(saved->lesion_frame, e->lesion_frame);
    assert_int_equal(saved->reference_first, e->reference_first);
    assert_int_equal(saved->reference_last, e->reference_last);
    LqResult *r = measure_again();
    assert_int_equal(lq_result_apply_edits(r, study, NULL, saved, &err), LQ_OK);
    const LqSummary *s = lq_result_summary(r);
    const LqFrameMeasure *lesion = lq_result_frame(result, (size_t)e->lesion_frame);
    double a_ref = mean_area(result, e->reference_first, e->reference_last);
    double d_ref = 2.0 * sqrt(a_ref / 3.14159265358979323846);
    assert_true(s->ok);
    assert_int_equal(s->lesion_method, LQ_METHOD_USER);
    assert_int_equal(s->lesion_frame, e->lesion_frame);
    assert_int_equal(s->reference_method, LQ_METHOD_USER);
    assert_int_equal(s->reference_first, e->reference_first);
    assert_int_equal(s->reference_last, e->reference_last);
    assert_true(fabs(s->reference_area_mm2 - a_ref) < 1e-9);
    assert_true(fabs(s->mla_mm2 - lesion->shape.area_mm2) < 1e-12);
    assert_true(fabs(s->diameter_stenosis_pct - 100.0 * (1.0 - lesion->shape.min_feret_mm / d_ref)) < 1e-9);
    for (size_t i = 0; i < lq_result_frame_count(r); i++)
        assert_memory_equal(lq_result_frame(r, i), lq_result_frame(result, i), sizeof(LqFrameMeasure));
    lq_result_free(&r);
    lq_edits_free(&saved);
    lq_edits_free(&e);
}

static void other_instance_refused(void **state)
{
    (void)state;
    LqEdits *e = NULL;
    LqError err = {0};
    double xy[2 * 16];
    assert_int_equal(lq_edits_new(study, "Dr Test", &e, &err), LQ_OK);
    assert_int_equal(lq_edits_set_contour(e, 5, xy, rectangle(10, 10, 2, 2, xy), &err), LQ_OK);
    snprintf(e->sop_instance_uid, sizeof e->sop_instance_uid, "1.2.3.4");
    LqEdits *saved = through_file(e, "other.json");
    LqResult *r = measure_again();
    assert_int_equal(lq_result_apply_edits(r, study, NULL, saved, &err), LQ_ERR_DATA);
    assert_non_null(strstr(err.message, saved->path));
    assert_non_null(strstr(err.message, "1.2.3.4"));
    assert_null(strchr(err.message, '\n'));
    assert_null(lq_result_edits(r));
    assert_memory_equal(lq_result_summary(r), lq_result_summary(result), sizeof(LqSummary));
    assert_memory_equal(lq_result_frame(r, 5), lq_result_frame(result, 5), sizeof(LqFrameMeasure));
    /* a frame the study does not have: refused the same way */
    snprintf(saved->sop_instance_uid, sizeof saved->sop_instance_uid, "%s", lq_study_info(study)->sop_instance_uid);
    saved->contours[0].frame = FRAMES;
    assert_int_equal(lq_result_apply_edits(r, study, NULL, saved, &err), LQ_ERR_DATA);
    assert_non_null(strstr(err.message, "frame 121"));
    lq_result_free(&r);
    lq_edits_free(&saved);
    lq_edits_free(&e);
}

static void malformed_files(void **state)
{
    (void)state;
    char path[256];
    const char *uid = lq_study_info(study)->sop_instance_uid;
    char head[200];
    snprintf(head, sizeof head, "{\"edits_version\": 1, \"sop_instance_uid\": \"%s\", \"reader\": \"x\", \"time\": \"t\"",
             uid);
    const struct {
        const char *tail, *says;
    } cases[] = {
        {"", "not JSON"},
        {", \"contours\": [], \"lesion\": 5}", "\"lesion\""},
        {", \"contours\": [{\"frame\": 3, \"contour_mm\": [[1,2],[3,4]]}]}", "3 to 256 points"},
        {", \"contours\": [{\"frame\": 0, \"contour_mm\": [[1,2],[3,4],[5,1]]}]}", "\"frame\""},
        {", \"contours\": [{\"frame\": 3, \"contour_mm\": [[1,2],[3,\"a\"],[5,1]]}]}", "point 2"},
        {", \"contours\": [{\"frame\": 3, \"contour_mm\": [[1,2],[3,4],[5,1]]},"
         " {\"frame\": 3, \"contour_mm\": [[1,2],[3,4],[5,1]]}]}", "two contours"},
        {", \"contours\": [], \"reference\": {\"first\": 9, \"last\": 4}}", "\"reference\""},
        {", \"contours\": [], \"time\": \"u\"}", "not JSON"}, /* a key twice */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/bad%zu.json", tmp_dir, i);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fprintf(fp, "%s%s", head, cases[i].tail);
        fclose(fp);
        LqEdits *e = NULL;
        LqError err = {0};
        assert_int_equal(lq_edits_read(path, &e, &err), LQ_ERR_DATA);
        assert_null(e);
        assert_non_null(strstr(err.message, path));
        if (!strstr(err.message, cases[i].says)) fail_msg("case %zu: '%s' does not say %s", i, err.message, cases[i].says);
    }
    snprintf(path, sizeof path, "%s/version.json", tmp_dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "{\"edits_version\": 2, \"sop_instance_uid\": \"%s\", \"contours\": []}", uid);
    fclose(fp);
    LqEdits *e = NULL;
    LqError err = {0};
    assert_int_equal(lq_edits_read(path, &e, &err), LQ_ERR_DATA);
    assert_non_null(strstr(err.message, "edits_version"));
    snprintf(path, sizeof path, "%s/missing.json", tmp_dir);
    assert_int_equal(lq_edits_read(path, &e, &err), LQ_ERR_OPEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edited_lesion_contour),
        cmocka_unit_test(reader_choices),
        cmocka_unit_test(other_instance_refused),
        cmocka_unit_test(malformed_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
