/* CT venography on phantoms with known truth (issue 8): the traced
 * centreline stays in the vein's lumen (never in the artery that crosses it),
 * the cross-sectional areas are within 10 % of the truth, %AS and %DS within
 * 5 points; the series is read from shuffled file names, and a missing slice
 * is refused as documented (docs/ct.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lumenq/lumenq.h"
#include "phantom/ct.h"
#include "tmpdir.h"

/* Per section: the lumen area against the phantom's vein cut by the same
 * plane (what the outline can be held to), within 10 %; the plane's tilt
 * from the vein's axis within 10 degrees (at most 1.5 % more area). The
 * decisive figures (MLA, A_ref, %AS, %DS) are held to the perpendicular
 * truth. On seeds 1-144 (docs/ct.md) 2 seeds miss one bound (seed 80's %DS
 * by 2 points: the artery's oblique fringe hides the wall; one section of
 * seed 92 by 1.4 %); seeds 1-6 meet them all. */
/* The series of p measured with the lesion point `click_mm` along the vein
 * from the true MLA (negative: towards the confluence). At clinical
 * resolution (p->thickness_mm > 0) the bounds are the issue's (MLA, A_ref,
 * %AS, %DS; every section's area is printed, not held: flank sections where
 * the artery grazes the plane are not what the verdict reads). */
static int run_series(const LqpCtParams *params, double click_mm, const LqCtOptions *options)
{
    LqpCtParams p = *params;
    const uint64_t seed = p.seed;
    const int clinical = p.thickness_mm > 0;
    /* LQ_CT_KEEP=DIR keeps the series there and reads them again on the
     * next run (a sweep over the same seeds then measures only) */
    const char *keep = getenv("LQ_CT_KEEP");
    char dir[512], done[600], msg[256] = "";
    /* the voxel and the lesion in the name: the suite's issue series shares its seed with a clinical one */
    snprintf(dir, sizeof dir, "%s/ct%llu-%s-%.2f-%.3g-%.1f", keep ? keep : tmp_dir, (unsigned long long)seed,
             clinical ? "clinical" : "fine", p.pixel_mm, p.thickness_mm, p.lesion_ratio);
    snprintf(done, sizeof done, "%s/.complete", dir);
    LqpCtTruth t;
    FILE *fp = keep ? fopen(done, "r") : NULL;
    if (fp) fclose(fp), lqp_ct_truth(&p, &t);
    else {
        assert_int_equal(lqp_ct_write_series(&p, dir, &t, msg, sizeof msg), 0);
        if (keep && (fp = fopen(done, "w"))) fclose(fp);
    }
    LqVolume *v = NULL;
    LqError err = {0};
    assert_int_equal(lq_volume_open(dir, NULL, NULL, &v, &err), LQ_OK);
    /* the lesion point where a reader would click it: on the narrowing, not
     * on its smallest section */
    double axis[3], clicked[3];
    lqp_ct_axis(&p, axis);
    for (int k = 0; k < 3; k++) clicked[k] = t.lesion_point[k] + click_mm * axis[k];
    LqCtResult *r = NULL;
    assert_int_equal(lq_ct_measure(v, clicked, t.reference_point, options, &r, &err), LQ_OK);
    assert_true(r->ok);
    size_t outside = 0, valid = 0, off = 0;
    double worst = 0, worst_tilt = 0, spacing = 0;
    for (size_t s = 0; s < r->n; s++) {
        const double *x = r->points + 3 * s, *u = r->planes + 6 * s, *w = u + 3;
        outside += !lqp_ct_in_vein(&p, x);
        if (s) spacing = fmax(spacing, r->sections[s].position_mm - r->sections[s - 1].position_mm);
        double normal[3] = {u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0]};
        double c = fabs(normal[0] * axis[0] + normal[1] * axis[1] + normal[2] * axis[2]);
        worst_tilt = fmax(worst_tilt, acos(fmin(1.0, c)) * 57.29577951308232);
        if (!r->sections[s].valid) continue;
        valid++;
        double truth = lqp_ct_area_in_plane(&p, x, u, w);
        double error = fabs(r->sections[s].shape.area_mm2 / truth - 1);
        worst = fmax(worst, error);
        off += error > 0.10;
    }
    if (clinical)
        print_message("seed %llu voxel %.1fx%.1fx%.3g lesion %.0f:1 click %+.0f mm\n", (unsigned long long)seed, p.pixel_mm,
                      p.pixel_mm, p.thickness_mm, p.lesion_ratio, click_mm);
    print_message("seed %llu (noise %.0f HU): %zu sections <= %.2f mm apart (%zu outlined), centreline outside the "
                  "lumen at %zu; planes within %.1f deg of perpendicular; worst area error %.1f %% (%zu over 10 %%); MLA %.1f "
                  "(truth %.1f), A_ref %.1f (%.1f), %%AS %.1f (%.1f), %%DS %.1f (%.1f), length %.0f mm\n",
                  (unsigned long long)seed, lqp_ct_noise_hu(&p), r->n, spacing, valid, outside, worst_tilt,
                  100 * worst, off, r->mla_mm2, t.mla_mm2, r->reference_area_mm2, t.reference_area_mm2,
                  r->area_stenosis_pct, t.area_stenosis_pct, r->diameter_stenosis_pct, t.diameter_stenosis_pct,
                  r->lesion_length_mm);
    /* where the MLA was found, along the vein from the true one */
    const double *at = r->points + 3 * (r->lesion >= 0 ? r->lesion : 0);
    double along = 0;
    for (int k = 0; k < 3; k++) along += (at[k] - t.lesion_point[k]) * axis[k];
    print_message("seed %llu: MLA found %+.1f mm along the vein from the true one, the click at %+.1f\n",
                  (unsigned long long)seed, along, click_mm);
    const char *failed = outside ? "centreline outside the lumen"
                         : fabs(click_mm) >= 3 && fabs(along - click_mm) < 1.5 ? "the MLA moved onto the click"
                         : valid != r->n ? "section without outline"
                         : spacing > 1.0 + 1e-9 ? "sections more than 1 mm apart"
                         : worst_tilt > 10.0 && !clinical ? "plane tilted more than 10 degrees"
                         : worst > 0.10 && !clinical ? "a section's area off by more than 10 %"
                         : fabs(r->mla_mm2 / t.mla_mm2 - 1) > 0.10 ? "MLA off by more than 10 %"
                         : fabs(r->reference_area_mm2 / t.reference_area_mm2 - 1) > 0.10 ? "A_ref off by more than 10 %"
                         : fabs(r->area_stenosis_pct - t.area_stenosis_pct) > 5.0 ? "%AS off by more than 5 points"
                         : fabs(r->diameter_stenosis_pct - t.diameter_stenosis_pct) > 5.0 ? "%DS off by more than 5 points"
                                                                                            : NULL;
    if (failed) print_message("seed %llu FAILS: %s\n", (unsigned long long)seed, failed);
    lq_ct_result_free(&r);
    lq_volume_free(&v);
    return !failed;
}

/* Seed `seed` of the original phantom (0.6 mm pixels, 1 mm slices, box
 * partial volume), clicked 6 mm towards the confluence from its MLA. */
static int run_seed(uint64_t seed, const LqCtOptions *options)
{
    LqpCtParams p;
    lqp_ct_params_default(&p);
    p.seed = seed;
    return run_series(&p, -6.0, options);
}

static void test_seed_1(void **state) { (void)state; assert_true(run_seed(1, NULL)); }
static void test_seed_2(void **state) { (void)state; assert_true(run_seed(2, NULL)); }
static void test_seed_3(void **state) { (void)state; assert_true(run_seed(3, NULL)); }
static void test_seed_4(void **state) { (void)state; assert_true(run_seed(4, NULL)); }
static void test_seed_5(void **state) { (void)state; assert_true(run_seed(5, NULL)); }
static void test_seed_6(void **state) { (void)state; assert_true(run_seed(6, NULL)); }

/* The independent series of issue 18 at its voxel size (0.9 x 0.9 mm
 * pixels, 1.25 mm slices) with a 5:1 flattened lesion: the tips thinner
 * than the point spread. */
static int run_issue_series(double click_mm)
{
    LqpCtParams p;
    lqp_ct_params_default(&p);
    p.seed = 11, p.pixel_mm = 0.9, p.slice_mm = p.thickness_mm = 1.25, p.lesion_ratio = 5.0;
    lqp_ct_params_fit(&p);
    return run_series(&p, click_mm, NULL);
}

static void test_clinical_flat(void **state) { (void)state; assert_true(run_issue_series(-6.0)); }

/* The same series clicked 4 mm past the MLA towards the reference: the
 * narrowest section between the points is the click itself, and the MLA
 * lies beyond it (issue 18). */
static void test_click_past_lesion(void **state) { (void)state; assert_true(run_issue_series(4.0)); }

/* Clinical seed `seed` (lqp_ct_params_clinical) clicked 6 mm towards the
 * confluence from its MLA. */
static int run_clinical(uint64_t seed)
{
    LqpCtParams p;
    lqp_ct_params_clinical(&p, seed);
    return run_series(&p, -6.0, NULL);
}

/* A 6:1 lesion at 0.7 x 0.7 x 1.5 mm (clinical seed 56) whose artery's
 * wall is thinner than the point spread: the edge on the artery's side
 * read 0.5-1 mm out before the fitted edge (%DS 63.5 against 72.3). */
static void test_clinical_artery_edge(void **state) { (void)state; assert_true(run_clinical(56)); }

/* A 2:1 lesion at 1.0 x 1.0 x 1 mm (clinical seed 49) pressed on the
 * vertebral body behind a thin layer of fat: the local half maximum before
 * the bone sat inside the lumen and the partial-volume count stopped at the
 * layer's raised floor (MLA 10.7 % low before the edge before bone). */
static void test_clinical_spine_side(void **state) { (void)state; assert_true(run_clinical(49)); }

/* A 5:1 lesion at 0.9 x 0.9 x 1.25 mm (clinical seed 93) pressed on the
 * vertebral body with less tissue between than the blur: rays that rise
 * straight into the cortex took the walls' model and read the shoulders
 * 0.4-1.3 mm out (%DS 63.1 against 69.2) before the edge before bone held
 * for them too. */
static void test_clinical_straight_into_bone(void **state) { (void)state; assert_true(run_clinical(93)); }

/* A 6:1 lesion at 0.9 x 0.9 x 1.5 mm (clinical seed 38) whose artery runs
 * away at a slant through the thick slices: its partial volume leaves a
 * shelf at 125-180 HU beside the vein, and rays along it set the MLD's
 * caliper 0.75 mm wide (%DS 68.7 against 73.8) until the MLD's outline
 * stopped at shelves of partial lumen. */
static void test_clinical_shelf(void **state) { (void)state; assert_true(run_clinical(38)); }

/* LQ_CT_SEEDS=FIRST-LAST runs a sweep over more seeds (for development;
 * the suite runs the tests above), reporting every failing seed;
 * LQ_CT_WALL_WEIGHT and LQ_CT_RECENTRE_PASSES change those options for it
 * (the figures in docs/ct.md that compare them); LQ_CT_CLINICAL=1 makes
 * each seed a series at clinical resolution (lqp_ct_params_clinical), and
 * LQ_CT_CLICK_MM moves the lesion point along the vein from the MLA
 * (default -6: towards the confluence). */
static void test_seed_sweep(void **state)
{
    (void)state;
    const char *env = getenv("LQ_CT_SEEDS");
    unsigned first, last;
    if (!env || sscanf(env, "%u-%u", &first, &last) != 2) skip();
    LqCtOptions o;
    lq_ct_options_default(&o);
    const char *weight = getenv("LQ_CT_WALL_WEIGHT"), *passes = getenv("LQ_CT_RECENTRE_PASSES");
    if (weight) o.wall_weight = atof(weight);
    if (passes) o.recentre_passes = atoi(passes);
    print_message("wall weight %.1f, %d recentring passes\n", o.wall_weight, o.recentre_passes);
    const char *clinical = getenv("LQ_CT_CLINICAL"), *click = getenv("LQ_CT_CLICK_MM");
    unsigned failures = 0;
    for (unsigned seed = first; seed <= last; seed++) {
        LqpCtParams p;
        if (clinical && atoi(clinical)) lqp_ct_params_clinical(&p, seed);
        else lqp_ct_params_default(&p), p.seed = seed;
        failures += !run_series(&p, click ? atof(click) : -6.0, &o);
    }
    print_message("%u of %u seeds fail\n", failures, last - first + 1);
    assert_int_equal(failures, 0);
}

/* The same series as one Enhanced CT object, its frames stored out of
 * order: the same volume voxel for voxel, the same measurement. */
static void test_enhanced(void **state)
{
    (void)state;
    LqpCtParams p;
    lqp_ct_params_default(&p);
    p.seed = 2;
    char dir[128], msg[256] = "";
    LqpCtTruth t;
    LqVolume *v[2] = {NULL, NULL};
    LqCtResult *r[2] = {NULL, NULL};
    LqError err = {0};
    for (int e = 0; e < 2; e++) {
        p.enhanced = e;
        snprintf(dir, sizeof dir, "%s/ct-enhanced-%d", tmp_dir, e);
        assert_int_equal(lqp_ct_write_series(&p, dir, &t, msg, sizeof msg), 0);
        assert_int_equal(lq_volume_open(dir, NULL, NULL, &v[e], &err), LQ_OK);
        assert_int_equal(lq_ct_measure(v[e], t.lesion_point, t.reference_point, NULL, &r[e], &err), LQ_OK);
    }
    assert_int_equal(v[1]->slices, v[0]->slices);
    assert_memory_equal(v[1]->hu, v[0]->hu, (size_t)v[0]->slices * v[0]->rows * v[0]->cols * sizeof(int16_t));
    assert_memory_equal(v[1]->origin, v[0]->origin, sizeof v[0]->origin);
    assert_true(v[1]->dz_mm == v[0]->dz_mm && v[1]->dx_mm == v[0]->dx_mm);
    assert_int_equal(v[1]->slice_frames[0] > 0, 1); /* frames are referenced by number */
    assert_true(r[0]->ok && r[1]->ok);
    assert_true(r[1]->mla_mm2 == r[0]->mla_mm2 && r[1]->diameter_stenosis_pct == r[0]->diameter_stenosis_pct);
    for (int e = 0; e < 2; e++) lq_ct_result_free(&r[e]), lq_volume_free(&v[e]);
}

/* A phantom series written into tmp_dir/name and read back; the status of
 * reading it. */
static int open_phantom(const LqpCtParams *p, const char *name, LqVolume **v, LqError *err)
{
    char dir[128], msg[256] = "";
    snprintf(dir, sizeof dir, "%s/%s", tmp_dir, name);
    assert_int_equal(lqp_ct_write_series(p, dir, NULL, msg, sizeof msg), 0);
    return lq_volume_open(dir, NULL, NULL, v, err);
}

static void test_missing_slice(void **state)
{
    (void)state;
    LqpCtParams p;
    lqp_ct_params_default(&p);
    p.seed = 4, p.missing = 40;
    LqVolume *v = NULL;
    LqError err = {0};
    assert_int_equal(open_phantom(&p, "ct-missing", &v, &err), LQ_ERR_DATA);
    assert_non_null(strstr(err.message, "slice missing between -41.00 and -39.00 mm"));
}

static void test_point_outside(void **state)
{
    (void)state;
    LqpCtParams p;
    lqp_ct_params_default(&p);
    p.seed = 5, p.slices = 20;
    LqVolume *v = NULL;
    LqError err = {0};
    assert_int_equal(open_phantom(&p, "ct-small", &v, &err), LQ_OK);
    LqCtResult *r = NULL;
    const double in[3] = {4, 12, -5}, out[3] = {4, 12, -500};
    assert_int_equal(lq_ct_measure(v, in, out, NULL, &r, &err), LQ_ERR_USAGE);
    assert_non_null(strstr(err.message, "reference point lies outside the volume"));
    lq_volume_free(&v);
}

/* Points a reader might click anywhere in the series -- in fat, bone, the
 * artery, the other vein, on the volume's edge: never a crash, never a
 * number that is not finite; a usage error (exit 64) for edge points, else a
 * result that is measured or says why not. */
static void test_points_anywhere(void **state)
{
    (void)state;
    LqpCtParams p;
    lqp_ct_params_default(&p);
    p.seed = 3, p.size = 96, p.slices = 60;
    LqVolume *v = NULL;
    LqError err = {0};
    assert_int_equal(open_phantom(&p, "ct-anywhere", &v, &err), LQ_OK);
    uint64_t state64 = 12345;
    int measured = 0, refused = 0, usage = 0;
    for (int trial = 0; trial < 40; trial++) {
        double pt[2][3];
        for (int e = 0; e < 2; e++) {
            double q[3];
            for (int k = 0; k < 3; k++) {
                state64 = state64 * 6364136223846793005ull + 1442695040888963407ull;
                q[k] = (double)(state64 >> 11) / 9007199254740992.0;
            }
            const double voxel[3] = {q[0] * (v->cols - 1), q[1] * (v->rows - 1), q[2] * (v->slices - 1)};
            lq_volume_to_patient(v, voxel, pt[e]);
        }
        LqCtResult *r = NULL;
        int rc = lq_ct_measure(v, pt[0], pt[1], NULL, &r, &err);
        if (rc == LQ_ERR_USAGE) {
            assert_null(r);
            usage++;
            continue;
        }
        assert_int_equal(rc, LQ_OK);
        assert_non_null(r);
        if (r->ok) {
            measured++;
            assert_true(r->n >= 1 && isfinite(r->mla_mm2) && isfinite(r->diameter_stenosis_pct) &&
                        isfinite(r->area_stenosis_pct) && r->reference_area_mm2 > 0);
            for (size_t sct = 0; sct < r->n; sct++)
                assert_true(!r->sections[sct].valid || (isfinite(r->sections[sct].shape.area_mm2) &&
                                                         r->sections[sct].shape.area_mm2 > 0));
        } else {
            refused++;
            assert_true(r->problem[0] != 0);
        }
        lq_ct_result_free(&r);
    }
    print_message("40 random point pairs: %d measured, %d not measured with a reason, %d usage errors\n", measured,
                  refused, usage);
    assert_true(refused > 0); /* most clicks land outside any vein */
    lq_volume_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_1), cmocka_unit_test(test_seed_2), cmocka_unit_test(test_seed_3),
        cmocka_unit_test(test_seed_4), cmocka_unit_test(test_seed_5), cmocka_unit_test(test_seed_6),
        cmocka_unit_test(test_clinical_flat), cmocka_unit_test(test_click_past_lesion),
        cmocka_unit_test(test_clinical_artery_edge), cmocka_unit_test(test_clinical_spine_side),
        cmocka_unit_test(test_clinical_straight_into_bone), cmocka_unit_test(test_clinical_shelf),
        cmocka_unit_test(test_seed_sweep),
        cmocka_unit_test(test_enhanced), cmocka_unit_test(test_missing_slice), cmocka_unit_test(test_point_outside),
        cmocka_unit_test(test_points_anywhere),
    };
    return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
