/* End to end on full-size phantom pullbacks (512x512, 300 frames): DICOM
 * written with DCMTK, read, segmented, measured, compared with the truth.
 * Normal phantom: mean lumen Jaccard >= 0.95, 99 % of frames >= 0.85, %DS
 * and %AS within 3 points of truth. Hard phantom (--hard): mean Jaccard
 * >= 0.90, 99 % of frames >= 0.85, %DS and %AS within 5 points (%AS of hard
 * seed 1 reads 4.3 low: the catheter against the wall at the lesion, where
 * the ring-down hides the wall). Every case: mean area error within 3 %; one
 * case has pixels twice as tall as wide. The figures are printed for the
 * record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phantom/phantom.h"
#include "tmpdir.h"

/* A phantom written into the test folder, measured and scored. */
typedef struct Measured {
    char path[160];
    LqStudy *study;
    LqResult *result;
    LqpScore score;
} Measured;

static void measure_phantom(const LqpParams *p, const char *name, Measured *out)
{
    char msg[256] = "";
    snprintf(out->path, sizeof out->path, "%s/seed%llu-%s.dcm", tmp_dir, (unsigned long long)p->seed, name);
    assert_int_equal(lqp_write_study(p, out->path, NULL, msg, sizeof msg), LQ_OK);
    LqError err = {0};
    out->study = NULL, out->result = NULL;
    assert_int_equal(lq_study_open(out->path, NULL, &out->study, &err), LQ_OK);
    assert_int_equal(lq_study_measure(out->study, NULL, &out->result, &err), LQ_OK);
    assert_int_equal(lqp_score(p, out->result, &out->score), LQ_OK);
}

/* Each frame's Jaccard against the truth (p->frames values; free them). */
static double *frame_jaccards(const LqpParams *p, const LqResult *r)
{
    double *jaccard = calloc(p->frames, sizeof *jaccard);
    assert_non_null(jaccard);
    LqpScore score;
    assert_int_equal(lqp_score_frames(p, r, &score, jaccard), LQ_OK);
    return jaccard;
}

/* Frames whose contour is wrong (Jaccard under 0.85) yet sure enough to be
 * measured (confidence 0.5 or more). */
static unsigned wrong_but_used(const LqpParams *p, const LqResult *r)
{
    double *jaccard = frame_jaccards(p, r);
    unsigned count = 0;
    for (unsigned i = 0; i < p->frames; i++) count += jaccard[i] < 0.85 && lq_result_frame(r, i)->confidence >= 0.5;
    free(jaccard);
    return count;
}

static void measured_free(Measured *m)
{
    lq_result_free(&m->result);
    lq_study_close(&m->study);
    unlink(m->path);
}

static void run_case(uint64_t seed, int hard, unsigned row_step, int dynamic)
{
    LqpParams p;
    lqp_params_default(&p);
    p.seed = seed;
    p.hard = hard;
    p.row_step = row_step;
    p.dynamic = dynamic;
    char name[64];
    snprintf(name, sizeof name, "%s%s-%u", hard ? "hard" : "", dynamic ? "-dynamic" : "", row_step);
    Measured run;
    measure_phantom(&p, name, &run);
    const LqpScore sc = run.score;
    const LqSummary *m = &sc.measured, *t = &sc.truth;
    print_message("%sseed %llu: mean Jaccard %.4f (min %.4f, p1 %.4f, lesion %.4f), Hausdorff mean %.2f max %.2f mm, "
                  "area error %+.2f %%\n",
                  hard ? "hard " : "", (unsigned long long)seed, sc.mean_jaccard, sc.min_jaccard, sc.p1_jaccard, sc.lesion_jaccard,
                  sc.mean_hausdorff_mm, sc.max_hausdorff_mm, sc.mean_area_error_pct);
    print_message("%sseed %llu: %%DS %.1f (truth %.1f), %%AS %.1f (truth %.1f), eq %.1f (truth %.1f), "
                  "lesion frame %d (truth %d)\n",
                  hard ? "hard " : "", (unsigned long long)seed, m->diameter_stenosis_pct, t->diameter_stenosis_pct,
                  m->area_stenosis_pct, t->area_stenosis_pct, m->equiv_diameter_stenosis_pct,
                  t->equiv_diameter_stenosis_pct, m->lesion_frame + 1, t->lesion_frame + 1);
    print_message("%sseed %llu: lesion length %.1f mm (truth %.1f), stent %.1f-%.1f mm x %d mm, span %.1f (truth "
                  "%.1f-%.1f x %d, span %.1f), dynamic %d at %.1f %% (truth %d at %.1f %%)\n",
                  hard ? "hard " : "", (unsigned long long)seed, m->lesion_length_mm, t->lesion_length_mm,
                  m->stent_diameter_min_mm, m->stent_diameter_max_mm, m->stent_length_mm, m->stent_span_mm,
                  t->stent_diameter_min_mm, t->stent_diameter_max_mm, t->stent_length_mm, t->stent_span_mm, m->dynamic,
                  m->dynamic_variation_pct, t->dynamic, t->dynamic_variation_pct);
    assert_true(m->ok);
    assert_true(t->ok);
    /* the dynamic flag follows the phantom's design, not the truth summary */
    assert_true(m->dynamic_checked);
    assert_int_equal(m->dynamic, dynamic);
    /* a dynamic lesion's MLA frame may fall on another breath's trough */
    double tolerance = hard || dynamic ? 5.0 : 3.0;
    assert_true(fabs(m->diameter_stenosis_pct - t->diameter_stenosis_pct) <= tolerance);
    assert_true(fabs(m->area_stenosis_pct - t->area_stenosis_pct) <= tolerance);
    /* lesion segment within two frames of the truth's; stent diameter from
     * D_ref within 0.5 mm, and the length the truth gives */
    double step = p.length_mm / (p.frames - 1);
    assert_true(fabs(m->lesion_length_mm - t->lesion_length_mm) <= 2 * step + 1e-9);
    assert_true(fabs(m->stent_diameter_min_mm - t->stent_diameter_min_mm) <= 0.5);
    assert_true(fabs(m->stent_span_mm - t->stent_span_mm) <= 5.0);
    assert_int_equal(m->stent_length_mm, t->stent_length_mm);
    assert_true(sc.mean_jaccard >= (hard ? 0.90 : 0.95));
    assert_true(sc.p1_jaccard >= 0.85);
    assert_true(fabs(sc.mean_area_error_pct) <= 3.0);
    assert_int_equal(m->significant, t->significant);
    /* the reference lies in the phantom's straight EIV */
    LqpPhantom *ph = NULL;
    LqpDesign d;
    assert_int_equal(lqp_new(&p, &ph), LQ_OK);
    lqp_design(ph, &d);
    lqp_free(&ph);
    assert_true(m->reference_first >= (int)d.eiv_first - 10 && m->reference_last <= (int)d.eiv_last + 10);
    assert_true(abs(m->lesion_frame - (int)d.lesion_frame) <= 6);
    measured_free(&run);
}

static void run_seed(uint64_t seed, int hard) { run_case(seed, hard, 1, 0); }

static void test_seed_1(void **state)
{
    (void)state;
    run_seed(1, 0);
}

static void test_seed_2(void **state)
{
    (void)state;
    run_seed(2, 0);
}

static void test_hard_seed_1(void **state)
{
    (void)state;
    run_seed(1, 1);
}

static void test_hard_seed_2(void **state)
{
    (void)state;
    run_seed(2, 1);
}

/* Pixels twice as tall as wide (0.1 x 0.2 mm): areas must still be right. */
static void test_anisotropic_seed_3(void **state)
{
    (void)state;
    run_case(3, 0, 2, 0);
}

/* Dynamic lesions (--dynamic): the lesion opens and narrows again with
 * breathing. Seeds 4: the weakest of seeds 1-6 (docs/measurements.md:
 * 17.5 % and, hard, 7.0 % against the 5 % flag). */
static void test_dynamic_seed_4(void **state)
{
    (void)state;
    run_case(4, 0, 1, 1);
}

static void test_dynamic_hard_seed_4(void **state)
{
    (void)state;
    run_case(4, 1, 1, 1);
}

/* The kinds that stand for real recordings (docs/phantom.md), two seeds
 * each, 200 frames of 512x512: what a kind must reach. The figures of every
 * run are printed for the record. */
typedef struct KindGoal {
    double mean_jaccard, zone_jaccard; /* zone: within 3 mm of the lesion */
    double ds_points;                  /* |%DS - truth| */
    double area_error_pct;             /* |mean area error| */
    double sure_wrong_share;           /* frames under Jaccard 0.85 yet used (confidence >= 0.5) */
} KindGoal;

static void run_kind(uint64_t seed, void (*kind)(LqpParams *), const char *name, KindGoal goal)
{
    LqpParams p;
    lqp_params_default(&p);
    p.seed = seed;
    p.frames = 200;
    kind(&p);
    Measured run;
    measure_phantom(&p, name, &run);
    const LqpScore sc = run.score;
    const LqSummary *m = &sc.measured, *t = &sc.truth;
    const unsigned sure_wrong = wrong_but_used(&p, run.result);
    print_message("%s seed %llu: mean Jaccard %.4f (p1 %.4f, within 3 mm of the lesion %.4f), area error %+.2f %%, "
                  "%%DS %.1f (truth %.1f), single-frame jumps %.2f %%, wrong but used %.1f %%\n",
                  name, (unsigned long long)seed, sc.mean_jaccard, sc.p1_jaccard, sc.lesion_zone_jaccard,
                  sc.mean_area_error_pct, m->diameter_stenosis_pct, t->diameter_stenosis_pct, 100 * sc.spike_share,
                  100.0 * sure_wrong / p.frames);
    assert_true(m->ok);
    assert_true(sc.mean_jaccard >= goal.mean_jaccard);
    assert_true(sc.lesion_zone_jaccard >= goal.zone_jaccard);
    assert_true(fabs(m->diameter_stenosis_pct - t->diameter_stenosis_pct) <= goal.ds_points);
    assert_true(fabs(sc.mean_area_error_pct) <= goal.area_error_pct);
    assert_true(sc.spike_share < 0.02);
    assert_true((double)sure_wrong / p.frames <= goal.sure_wrong_share);
    measured_free(&run);
}

static void scar(LqpParams *p) { p->scar = 1; }

/* The default phantom (300 frames) of one seed and kind, measured. */
static LqpParams measure_kind(uint64_t seed, void (*kind)(LqpParams *), const char *name, Measured *run)
{
    LqpParams p;
    lqp_params_default(&p);
    p.seed = seed;
    kind(&p);
    measure_phantom(&p, name, run);
    return p;
}
static void trabeculae(LqpParams *p) { p->trabeculae = 1; }
static void gated(LqpParams *p) { p->gated = 1, p->length_mm = lqp_gated_length_mm(p->frames); }
static void motion(LqpParams *p) { p->motion = 1; }
static void transducer_40(LqpParams *p) { p->transducer_mhz = 40; }
/* the real 700-frame 40 MHz pullback: ungated at 30 frames/s, echogenic
 * blood, the tissue's speckle moving with each beat, about 1 mm/s */
static void motion_40(LqpParams *p) { p->transducer_mhz = 40, p->motion = 1, p->length_mm = 7; }
/* a coronary-size catheter (3 F), as on the real 20-40 MHz recordings: the
 * segmentation must find it, or no border could come closer than 1.75 mm */
static void catheter_3f(LqpParams *p) { p->transducer_mhz = 40, p->catheter_mm = 0.5; }
static void capture(LqpParams *p) { p->capture = 1, p->rgb = 1; }
/* the real 20 MHz frames: a coronary-sized lumen in a 5 mm view (0.02 mm
 * pixels), a 3 F catheter, one frame per heartbeat */
static void small_vessel(LqpParams *p) { p->scale = 0.2, p->transducer_mhz = 20, gated(p); }

static const KindGoal usual = {0.95, 0.90, 3.0, 3.0, 1.0};
/* The hypoechoic layer is found where it stands clear of blood's speckle
 * (about 1.4x blood and up): seed 2's all-round layer is dimmer, and at its
 * lesion the border still reaches the bright wall on some rays
 * (docs/segmentation.md, weak spots). Before the leading-edge rule: mean
 * Jaccard 0.81, area +24 % on seed 2 (300 frames). */
static const KindGoal post_thrombotic = {0.89, 0.80, 8.0, 11.0, 1.0};

static void test_scar_seed_1(void **state) { (void)state; run_kind(1, scar, "scar", post_thrombotic); }
/* Seed 2's layer is all round and dim (near 1.2-1.35x blood): before the
 * dim-layer pass (segmentation step 8) the border ran on to the bright wall
 * on many rays (mean Jaccard 0.906, area +9.6 %); with it 0.935 and +5.8 %;
 * with the still-tissue pass (step 8, session 12: the scar's speckle stays
 * between frames, blood's does not) 0.955, +3.1 %, zone 0.862; with the
 * still layer traced on beyond a border that stopped part-way into it
 * (session 14: a lumen thinner than the feature's box between the ring-down
 * and the scar) 0.959, +2.4 %, zone 0.868. Its %DS error went 7.0 -> 8.2
 * points although the MLD came closer on 6 of the lesion's 7 frames: frame
 * 50 fell to confidence 0.49 and the lesion moved to frame 51. With the
 * spike test over at least 0.7 mm of the border (a bump six rays wide
 * beside the catheter set the MLD): %DS 65.8, 4.1 off; 4.6 off at
 * session 20's end, 3.3 with the spike test's bar at 2 samples (session
 * 21: bumps on a few rays of the lesion's narrow sides set the caliper). */
static const KindGoal dim_scar = {0.95, 0.85, 4.0, 2.8, 1.0};
static void test_scar_seed_2(void **state) { (void)state; run_kind(2, scar, "scar", dim_scar); }
static void test_trabeculae_seed_1(void **state) { (void)state; run_kind(1, trabeculae, "trabeculae", usual); }
static void test_trabeculae_seed_2(void **state) { (void)state; run_kind(2, trabeculae, "trabeculae", usual); }
static void test_gated_seed_1(void **state) { (void)state; run_kind(1, gated, "gated", usual); }
static void test_gated_seed_2(void **state) { (void)state; run_kind(2, gated, "gated", usual); }
static void test_motion_seed_1(void **state) { (void)state; run_kind(1, motion, "motion", usual); }
static void test_motion_seed_2(void **state) { (void)state; run_kind(2, motion, "motion", usual); }
static void test_40mhz_seed_1(void **state) { (void)state; run_kind(1, transducer_40, "40mhz", usual); }
static void test_40mhz_seed_2(void **state) { (void)state; run_kind(2, transducer_40, "40mhz", usual); }
static void test_3f_catheter_seed_1(void **state) { (void)state; run_kind(1, catheter_3f, "3f", usual); }
static void test_3f_catheter_seed_2(void **state) { (void)state; run_kind(2, catheter_3f, "3f", usual); }
/* Frames whose difference term is lost (the speckle moved) over slow-flow
 * blood as bright as the tissue beyond a thin wall run out to the end of the
 * view: they must fall under confidence 0.5, not be measured. Before the
 * border at the ray's end counted as unseen, 8 of seed 2's 200 frames were
 * wrong (Jaccard under 0.85) and used (docs/segmentation.md, step 5); with
 * it, 1; with the tissue's motion followed too (step 3), 5 (Jaccard
 * 0.72-0.85 at confidence 0.50-0.53), while the mean Jaccard rose. */
static const KindGoal ungated_40 = {0.95, 0.90, 3.0, 3.0, 0.03};
static void test_motion_40_seed_1(void **state) { (void)state; run_kind(1, motion_40, "motion-40", ungated_40); }
static void test_motion_40_seed_2(void **state) { (void)state; run_kind(2, motion_40, "motion-40", ungated_40); }
static void test_capture_seed_1(void **state) { (void)state; run_kind(1, capture, "capture", usual); }
static void test_capture_seed_2(void **state) { (void)state; run_kind(2, capture, "capture", usual); }
/* The small vessel's contour lay inside the truth (area -2.7 to -3.0 %,
 * mean Jaccard 0.967-0.969), mostly by dents of 0.06-0.12 mm on a tenth of
 * the rays (bright blood blobs) that the spike test's 0.3 mm never touched
 * at 0.02 mm pixels: since session 14 it counts 3 polar samples, and the
 * area reads -1.6 to -1.9 %, mean Jaccard 0.977-0.981. */
static const KindGoal small_lumen = {0.97, 0.90, 3.0, 2.5, 1.0};

static void test_small_vessel_seed_1(void **state) { (void)state; run_kind(1, small_vessel, "small-vessel", small_lumen); }
static void test_small_vessel_seed_2(void **state) { (void)state; run_kind(2, small_vessel, "small-vessel", small_lumen); }
/* The real 20 MHz frames' own case: the scar at its real thickness (0.5-2
 * mm, 1.2-2x blood) in a coronary-sized lumen, one frame per heartbeat, so
 * no frame-to-frame evidence. Before the layer edge of step 8 (session 16)
 * the border ran along the bright outer layer beyond it, as it did on the
 * real frames: seed 2 mean Jaccard 0.52, area +92 %; seed 6 0.54, +93 %.
 * Now the frame alone finds the layer's leading edge. */
static void small_vessel_scar(LqpParams *p) { small_vessel(p), p->scar = 1; }
/* Session 18: the layer edge carried across the guidewire's shadow and
 * its splits' differences kept above the cap; at 03b017d seed 2 read mean
 * Jaccard 0.859 (zone 0.844) and seed 6 0.885 (0.859), under this goal.
 * Session 23: the border put where a split's layer side begins, not
 * BOX_HALF samples inside it; at e1d6c7c seed 2 read 0.9135, area
 * -4.81 %, and seed 6 0.9262, -4.28 %; now 0.9208, -3.43 % and 0.9319,
 * -3.11 %. Session 24, the scar's finer speckle (the image's cell
 * variation) in the splits: 0.9310 (zone 0.906), -2.72 % and 0.9382
 * (0.900), -2.90 %. Session 27, hidden lumens (their texture; the border
 * of a sliver of blood): 0.9425 (0.918), -0.98 % and 0.9421 (0.909),
 * -2.27 %. With a sliver's border moved past any stretch under the layer's
 * level, not a grain or more only, seed 6's %DS read 31.8 for 37.2 and
 * this test failed (docs/segmentation.md, step 8). Session 28 (the
 * leading echo, the texture gate, runs of wide frames): 0.9428 (0.919),
 * %DS 38.6 and 0.9427 (0.911), %DS 35.0. */
static const KindGoal small_scar = {0.925, 0.88, 3.0, 4.0, 1.0};
static void test_small_vessel_scar_seed_2(void **state) { (void)state; run_kind(2, small_vessel_scar, "small-vessel-scar", small_scar); }
static void test_small_vessel_scar_seed_6(void **state) { (void)state; run_kind(6, small_vessel_scar, "small-vessel-scar", small_scar); }
/* On 200 frames, as bench-accuracy's kind (the gated length follows them). */
static void small_vessel_scar_200(LqpParams *p) { p->frames = 200, small_vessel_scar(p); }
/* Seed 8 (held out until session 22): an all-round scar 1-2 mm thick about
 * a lumen reaching 0.3-0.6 mm beyond the ring-down. At the lesion the
 * splits' layer stood under 0.75 of a blood sample's deviation over their
 * blood and was taken for blood's blobs: the contour ran along the bright
 * outer layer (frame 47: 15.2 mm2 for 5.3; the lesion frame's Jaccard 0.43,
 * within 3 mm 0.68, %DS 39.8 for 36.5). The layer's speckle is finer than
 * blood's, so its radial roughness stands over theirs and the layer is kept
 * (docs/segmentation.md, step 8): 0.82, 0.76, %DS 36.2.
 * Frames 154-156: the splits fade on a sector between two stretches of the
 * layer's edge and the contour ran out along the outer wall there (Jaccard
 * 0.53-0.55); the gap is bridged where the layer shows in it (session 23):
 * 0.86-0.91.
 * Session 24 (the texture in step 8's splits): mean Jaccard 0.796 -> 0.833,
 * but the lesion frame 0.82 -> 0.66, both times at a confidence under 0.5
 * that keeps it out of the measurement (0.16, now 0.32): its first DP,
 * under a prior the earlier frames now set differently, ran to the outer
 * wall on 50 degrees, and the splits that brought it back lie 0.2-0.4 mm
 * inside the truth, where the blood beside the wall is brighter, and so
 * rougher, than by the catheter (docs/segmentation.md, Session 24). The bar
 * still holds off the session-22 failure (0.43, the outer layer).
 * Session 28: this scar begins with a thin bright echo, whose blur put
 * the splits' edge 0.08-0.12 mm inside the truth; the edge now sits at the
 * half-rise to the echo's peak (docs/segmentation.md, step 8): frames 1-20
 * 0.920 -> 0.936. Frames 181-194 ran out onto the outer wall together
 * (Jaccard 0.53-0.65, each frame's neighbours agreeing with its leak); a
 * run of wide frames is now segmented again under its flanks' borders
 * (docs/segmentation.md, consistency): 0.65-0.91. */
static void test_small_vessel_scar_seed_8(void **state)
{
    (void)state;
    Measured run;
    const LqpParams p = measure_kind(8, small_vessel_scar_200, "small-vessel-scar", &run);
    const LqpScore sc = run.score;
    print_message("small-vessel-scar seed 8: lesion frame Jaccard %.4f, within 3 mm %.4f, %%DS %.1f (truth %.1f)\n",
                  sc.lesion_jaccard, sc.lesion_zone_jaccard, sc.measured.diameter_stenosis_pct,
                  sc.truth.diameter_stenosis_pct);
    assert_true(sc.measured.ok);
    assert_true(sc.lesion_jaccard >= 0.62);
    assert_true(sc.lesion_zone_jaccard >= 0.72);
    assert_true(fabs(sc.measured.diameter_stenosis_pct - sc.truth.diameter_stenosis_pct) <= 3.0);
    double *jaccard = frame_jaccards(&p, run.result);
    const double gap = (jaccard[153] + jaccard[154] + jaccard[155]) / 3.0;
    double first = 0.0, run_end = 0.0;
    for (int i = 0; i < 20; i++) first += jaccard[i] / 20.0;
    for (int i = 180; i < 194; i++) run_end += jaccard[i] / 14.0;
    print_message("small-vessel-scar seed 8: frames 154-156 mean Jaccard %.4f, frames 1-20 %.4f, frames 181-194 %.4f\n",
                  gap, first, run_end);
    assert_true(gap >= 0.80);
    assert_true(first >= 0.93);
    assert_true(run_end >= 0.80);
    free(jaccard);
    measured_free(&run);
}
/* Seed 9 (held out until session 28): at the lesion (frame 47) the
 * catheter touches the scar on most rays, so the frame's blood band held
 * the scar (its level 4310 against the splits' blood 3410 and layer 4197)
 * and the layer was refused as splits from a darker patch into blood: the
 * contour ran out to the outer wall (lesion frame Jaccard 0.59). The
 * texture plane shows the splits' layers 1.2 times as rough as their blood
 * there, which a darker patch's splits do not (docs/segmentation.md, step
 * 8): 0.88. */
static void test_small_vessel_scar_seed_9(void **state)
{
    (void)state;
    Measured run;
    measure_kind(9, small_vessel_scar_200, "small-vessel-scar", &run);
    const LqpScore sc = run.score;
    print_message("small-vessel-scar seed 9: lesion frame Jaccard %.4f, mean %.4f, %%DS %.1f (truth %.1f)\n",
                  sc.lesion_jaccard, sc.mean_jaccard, sc.measured.diameter_stenosis_pct, sc.truth.diameter_stenosis_pct);
    assert_true(sc.measured.ok);
    assert_true(sc.lesion_jaccard >= 0.80);
    assert_true(fabs(sc.measured.diameter_stenosis_pct - sc.truth.diameter_stenosis_pct) <= 3.0);
    measured_free(&run);
}
/* Seed 5 (held out until session 24): an all-round scar whose layer, on
 * some sectors, is no brighter than the blood beside it (frame 3, rays
 * 180-220: 66.7 grey levels against 66.0). The splits had nothing to stand
 * on there and the contour ran along the bright wall: frames 1-5 Jaccard
 * 0.62-0.78 at confidence 0.88-0.96, mean 0.836, zone 0.740, 61 % of the
 * frames at 0.85 or more. The scar's speckle is finer than blood's; the
 * image's variation within each polar sample's pixel cell joins the splits
 * (docs/segmentation.md, step 8): frames 1-5 0.95-0.98, mean 0.919, zone
 * 0.874, 92 %. */
static void test_small_vessel_scar_seed_5(void **state)
{
    (void)state;
    Measured run;
    const LqpParams p = measure_kind(5, small_vessel_scar_200, "small-vessel-scar", &run);
    const LqpScore sc = run.score;
    double *jaccard = frame_jaccards(&p, run.result);
    double first = 0.0;
    for (int i = 0; i < 5; i++) first += jaccard[i] / 5.0;
    print_message("small-vessel-scar seed 5: mean Jaccard %.4f, within 3 mm of the lesion %.4f, frames 1-5 %.4f\n",
                  sc.mean_jaccard, sc.lesion_zone_jaccard, first);
    assert_true(sc.measured.ok);
    assert_true(sc.mean_jaccard >= 0.90);
    assert_true(sc.lesion_zone_jaccard >= 0.84);
    assert_true(first >= 0.90);
    free(jaccard);
    measured_free(&run);
}
/* The same with the speckle a real transducer makes, drawn out across its
 * rays (--beam). On seed 4 the transducer's dark inside is clipped to black
 * on most of a circle, which passed for a console's catheter mask: the
 * ring-down beyond it was then read as the wall and every frame's contour ran
 * to the edge of the view (mean Jaccard 0.09, confidence 0 throughout). A
 * mask hides the ring-down; this disc has one (docs/segmentation.md, step 1). */
static void small_vessel_beam(LqpParams *p) { small_vessel(p), p->beam = 1; }
static void test_small_vessel_beam_seed_1(void **state) { (void)state; run_kind(1, small_vessel_beam, "small-vessel-beam", small_lumen); }
static void test_small_vessel_beam_seed_4(void **state) { (void)state; run_kind(4, small_vessel_beam, "small-vessel-beam", small_lumen); }
/* The real 40 MHz screen captures: a small vessel, ungated, with the catheter
 * under a console's disc that the reader fills from the image around it.
 * Seed 2's lesion lies 0.25 mm beyond that disc: missing the disc, or a
 * 0.3 mm ring-down allowance beyond it, hid the lesion (%DS 38 against 68).
 * Slow-flow frames beyond the lesion still run out with confidence 0 (area
 * +11 % on seed 2; docs/segmentation.md, weak spots). */
static void small_capture(LqpParams *p) { p->scale = 0.4, p->transducer_mhz = 40, capture(p); }
static const KindGoal small_capture_goal = {0.93, 0.90, 3.0, 12.0, 1.0};
/* A short lesion in a sparse pullback: a 5:1 compression over 3 mm with
 * frames 0.75 mm apart, so its narrowest frame stands alone between wider
 * neighbours. The frame-to-frame difference read that frame's tissue as
 * blood (seed 1: MLA 100 mm2 against 50, %DS 48 against 74) and the
 * neighbours' disagreement took its confidence (docs/segmentation.md,
 * consistency along the pullback). */
static void short_lesion(LqpParams *p)
{
    p->narrowings = 1;
    p->narrowing[0] = (struct LqpNarrowing){LQ_SITE_CIV, 0.2, 3.0};
}
static void test_short_lesion_seed_1(void **state) { (void)state; run_kind(1, short_lesion, "short-lesion", usual); }
static void test_short_lesion_seed_2(void **state) { (void)state; run_kind(2, short_lesion, "short-lesion", usual); }
/* With beam-shaped speckle, seed 4's narrowest frame, found again from its
 * own image (42 mm2), was then taken for a single-frame jump between its
 * flanks and segmented under their prior with the frame-to-frame
 * difference, which read its tissue as blood once more (179 mm2, %DS 40
 * against 74); the prior now guides it from its own image too. */
static void short_lesion_beam(LqpParams *p) { short_lesion(p), p->beam = 1; }
static void test_short_lesion_beam_seed_4(void **state) { (void)state; run_kind(4, short_lesion_beam, "short-lesion-beam", usual); }
static void test_small_capture_seed_1(void **state) { (void)state; run_kind(1, small_capture, "small-capture", small_capture_goal); }
/* The real 40 MHz pullback's kind with the real 20 MHz frames' scar: a
 * small vessel, ungated, the catheter swinging with each beat, echogenic
 * blood as bright as the scar. The still test alone tells them apart, and
 * the tissue only partly keeps its speckle between the matched frames (its
 * term 0.4-0.55 of blood's, not under half): until session 25 it found the
 * scar on few rays, and the contour ran on the wall beyond it (mean Jaccard
 * 0.85 and 0.79 on seeds 1 and 3, 11 % and 23 % of the frames under
 * confidence 0.5; docs/segmentation.md, step 8's still tissue). Seeds 2
 * and 4 (300 frames, bench-accuracy) read 0.895 and 0.932: a lesion whose
 * blood band is half scar, and frames whose neighbours no longer match
 * (Session 25, weak spots). */
static void small_motion_scar_40(LqpParams *p) { p->scale = 0.4, p->transducer_mhz = 40, p->motion = 1, p->scar = 1; }
/* seeds 1 and 3: mean J 0.943 and 0.944, zone J 0.875 and 0.934, area +5.3
 * and +4.2 %, %DS within 0.2 points, 4.0 and 5.5 % of frames wrong yet used */
static const KindGoal small_still_scar = {0.93, 0.86, 3.0, 7.0, 0.07};
static void test_small_motion_scar_40_seed_1(void **state) { (void)state; run_kind(1, small_motion_scar_40, "small-motion-scar-40", small_still_scar); }
static void test_small_motion_scar_40_seed_3(void **state) { (void)state; run_kind(3, small_motion_scar_40, "small-motion-scar-40", small_still_scar); }
static void test_small_capture_seed_2(void **state) { (void)state; run_kind(2, small_capture, "small-capture", small_capture_goal); }

/* A scar found right must be sure enough to measure. Held-out seed 8 of
 * the scar phantom (not among the seeds the rules were measured on): while
 * a border on a still layer counted half as sure, a third of its frames
 * fell under confidence 0.5 with contours within 2 % of the truth's area,
 * most of the EIV among them, and the reference was taken from frames
 * 89-118 (198.6 mm2 against the EIV's 161.3). */
static void test_scar_reference_seed_8(void **state)
{
    (void)state;
    Measured run;
    const LqpParams p = measure_kind(8, scar, "scar-reference", &run);
    const LqSummary *m = &run.score.measured, *t = &run.score.truth;
    unsigned unsure = 0;
    for (unsigned i = 0; i < p.frames; i++) unsure += lq_result_frame(run.result, i)->confidence < 0.5;
    LqpPhantom *ph = NULL;
    LqpDesign d;
    assert_int_equal(lqp_new(&p, &ph), LQ_OK);
    lqp_design(ph, &d);
    lqp_free(&ph);
    print_message("scar seed 8: %u of %u frames under confidence 0.5, reference frames %d-%d (EIV %u-%u), "
                  "%.1f mm2 (truth %.1f), mean Jaccard %.4f\n",
                  unsure, p.frames, m->reference_first + 1, m->reference_last + 1, d.eiv_first + 1, d.eiv_last + 1,
                  m->reference_area_mm2, t->reference_area_mm2, run.score.mean_jaccard);
    assert_true(m->ok);
    assert_true(unsure <= p.frames / 10);
    assert_true(m->reference_first >= (int)d.eiv_first - 10 && m->reference_last <= (int)d.eiv_last + 10);
    assert_true(fabs(m->reference_area_mm2 / t->reference_area_mm2 - 1) <= 0.03);
    measured_free(&run);
}

/* Runs of one or two frames whose areas are more than a quarter off both
 * frames flanking them, while those agree with each other: a wall lost
 * (or a leak) that the consistency pass should have mended. */
static double area_at(const LqResult *r, size_t t)
{
    const LqFrameMeasure *f = lq_result_frame(r, t);
    return f->valid ? f->shape.area_mm2 : 0;
}

/* Two flanking areas agree within 25 % (src/pipeline.c's OUTLIER_SHARE). */
static int flanks_agree(double a, double b) { return a > 0 && b > 0 && fabs(a - b) <= 0.25 * fmax(a, b); }

static unsigned off_runs(const LqResult *r, size_t n)
{
    unsigned count = 0;
    for (size_t t = 1; t + 1 < n; t++)
        for (size_t u = t; u <= t + 1 && u + 1 < n; u++) {
            const double a = area_at(r, t - 1), b = area_at(r, u + 1);
            if (!flanks_agree(a, b)) continue;
            int off = 1;
            for (size_t k = t; k <= u; k++) {
                const double x = area_at(r, k);
                off = off && x > 0 && fabs(x - a) > 0.25 * a && fabs(x - b) > 0.25 * b;
            }
            count += off;
        }
    return count;
}

/* The hard phantom with beam-shaped speckle, seed 4: echogenic blood, the
 * catheter against the wall and a guidewire's shadow. Two frames in a row
 * lost the wall (60 and 21 mm2 between flanks of 193 and 207: a contour
 * along the shadow, then one around the catheter), and the single-frame
 * test saw each next to the other; runs of two are mended under the
 * flanks' borders since session 15 (docs/segmentation.md, consistency
 * along the pullback). */
static void test_hard_beam_seed_4(void **state)
{
    (void)state;
    LqpParams p;
    lqp_params_default(&p);
    p.seed = 4, p.hard = 1, p.beam = 1;
    Measured run;
    measure_phantom(&p, "hard-beam", &run);
    const unsigned runs = off_runs(run.result, p.frames);
    print_message("hard beam seed 4: mean Jaccard %.4f (p1 %.4f, min %.4f), runs of 1-2 frames off their flanks %u\n",
                  run.score.mean_jaccard, run.score.p1_jaccard, run.score.min_jaccard, runs);
    assert_int_equal(runs, 0);
    assert_true(run.score.mean_jaccard >= 0.95);
    assert_true(run.score.min_jaccard >= 0.5);
    measured_free(&run);
}

/* Measures the phantom p and asserts its mean and least frame Jaccard. */
static void assert_jaccard(const LqpParams *p, const char *name, double mean_at_least, double min_at_least)
{
    Measured run;
    measure_phantom(p, name, &run);
    print_message("%s seed %llu: mean Jaccard %.4f (p1 %.4f, min %.4f)\n", name, (unsigned long long)p->seed,
                  run.score.mean_jaccard, run.score.p1_jaccard, run.score.min_jaccard);
    assert_true(run.score.mean_jaccard >= mean_at_least);
    assert_true(run.score.min_jaccard >= min_at_least);
    measured_free(&run);
}

/* A small vessel at 40 MHz, ungated with motion, beam-shaped speckle, seed
 * 1: in frame 153, blood only, five rays split at the catheter and every
 * ray of the frame was read as a lumen hidden in the ring-down (Jaccard
 * 0.13, 3.3 mm2 for 25.5). A hidden lumen now needs half a run's rays to
 * split clearly (docs/segmentation.md, step 8). */
static void test_small_motion_beam_seed_1(void **state)
{
    (void)state;
    LqpParams p;
    lqp_params_default(&p);
    p.seed = 1, p.scale = 0.4, p.transducer_mhz = 40, p.motion = 1, p.beam = 1;
    assert_jaccard(&p, "small-motion-beam", 0.98, 0.8);
}

/* The caliper MLD takes any outward bump of the contour whole. On the scar
 * phantom's seed 1 (300 frames, as bench-accuracy runs it) the area at the
 * lesion was right (55.8 mm2 for 56.0) but the MLD 4.79 mm for 4.23: on a
 * few rays of each narrow side the border stayed in the scar, 0.3-0.5 mm
 * out, under the spike test's bar of 3 samples (0.29 mm); %DS 67.0 for
 * 70.9. With the bar at 2 samples: 68.4. */
static void test_scar_caliper_seed_1(void **state)
{
    (void)state;
    Measured run;
    measure_kind(1, scar, "scar-caliper", &run);
    const LqSummary *m = &run.score.measured, *t = &run.score.truth;
    print_message("scar seed 1, 300 frames: %%DS %.1f (truth %.1f), lesion frame %d (truth %d)\n",
                  m->diameter_stenosis_pct, t->diameter_stenosis_pct, m->lesion_frame + 1, t->lesion_frame + 1);
    assert_true(m->ok);
    assert_true(fabs(m->diameter_stenosis_pct - t->diameter_stenosis_pct) <= 3.0);
    measured_free(&run);
}

/* A transducer's dark disc whose noise is not all clipped to black: on
 * held-out seed 10 of the scar phantom with --beam the disc (1.4 mm) was
 * flat only to 0.35 mm, was taken for a console's mask of that size, and
 * every contour of the pullback closed on the catheter (5.2 mm2 for
 * 67-283, at confidence 0.7; mean Jaccard 0.04). 30 frames: the catheter
 * is found on the first. */
static void test_dark_noise_catheter_seed_10(void **state)
{
    (void)state;
    LqpParams p;
    lqp_params_default(&p);
    p.seed = 10, p.scar = 1, p.beam = 1, p.frames = 30;
    assert_jaccard(&p, "dark-noise-catheter", 0.9, 0.8);
}

/* A small vessel at 20 MHz with scar, ungated with motion, seed 22: frame
 * 177 leaked into the scar (7.3 mm2 for 4.4, between neighbours of 3.3 and
 * 4.1), and segmenting it again under the neighbours' border did not mend
 * it: that pass compared the frame with its neighbours unmoved, their
 * speckle no longer matched, and without the difference term the static
 * scar read as blood again. The pass now moves the neighbours onto the frame
 * as the first one does (docs/segmentation.md, consistency). A leak that
 * pass cannot mend is flagged under the confidence cut. */
static void test_small_motion_scar_seed_22(void **state)
{
    (void)state;
    LqpParams p;
    lqp_params_default(&p);
    p.seed = 22, p.scale = 0.2, p.transducer_mhz = 20, p.motion = 1, p.scar = 1, p.frames = 200;
    Measured run;
    measure_phantom(&p, "small-motion-scar", &run);
    double *jaccard = frame_jaccards(&p, run.result);
    /* frames still more than 25 % wider than both neighbours, which agree,
     * are flagged under the confidence cut (frame 14: 16.9 mm2 for 11.5,
     * between 11.8 and 10.7, kept 0.61 before) */
    unsigned wide_used = 0;
    for (unsigned t = 1; t + 1 < p.frames; t++) {
        const double a = area_at(run.result, t - 1), b = area_at(run.result, t + 1), x = area_at(run.result, t);
        const int wide = flanks_agree(a, b) && x > 1.25 * a && x > 1.25 * b;
        wide_used += wide && lq_result_frame(run.result, t)->confidence >= 0.5;
    }
    print_message("small vessel 20 MHz motion scar seed 22: mean Jaccard %.4f, frame 177 %.4f, frame 14 confidence "
                  "%.2f, wide frames at 0.5 or more %u\n",
                  run.score.mean_jaccard, jaccard[176], lq_result_frame(run.result, 13)->confidence, wide_used);
    assert_true(jaccard[176] >= 0.75);
    assert_true(run.score.mean_jaccard >= 0.84);
    assert_int_equal(wide_used, 0);
    free(jaccard);
    measured_free(&run);
}

/* --beam draws speckle out across the rays (docs/phantom.md), as a real
 * transducer's is: in tissue 7-9 mm from the catheter, above and below it
 * (rays vertical) and left and right of it (rays horizontal), the grey levels
 * stay correlated further across the rays than along them (seed 3: 0.43 at
 * 2 pixels against 0.13); the round grain of the default phantom does not
 * (0.08 and 0.15: the depth's gradient adds a little along the rays). */
static void test_beam_speckle(void **state)
{
    (void)state;
    double across[2] = {0}, along[2] = {0};
    for (int beam = 0; beam < 2; beam++) {
        LqpParams p;
        lqp_params_default(&p);
        p.seed = 3, p.beam = beam;
        LqpPhantom *ph = NULL;
        assert_int_equal(lqp_new(&p, &ph), LQ_OK);
        uint8_t *img = malloc((size_t)p.size * p.size);
        assert_non_null(img);
        lqp_render(ph, 0, img, NULL);
        const int c = (int)p.size / 2, d = (int)lround(8.0 / lqp_pixel_mm(ph));
        const int at[4][3] = {{c, c - d, 0}, {c, c + d, 0}, {c - d, c, 1}, {c + d, c, 1}}; /* x, y, rays along x */
        for (int k = 0; k < 4; k++) {
            across[beam] += lqp_grey_correlation(img, p.size, at[k][0], at[k][1], 20, 2, at[k][2]) / 4;
            along[beam] += lqp_grey_correlation(img, p.size, at[k][0], at[k][1], 20, 2, !at[k][2]) / 4;
        }
        print_message("%s speckle: correlation at 2 pixels across the rays %.2f, along them %.2f\n",
                      beam ? "--beam" : "default", across[beam], along[beam]);
        free(img);
        lqp_free(&ph);
    }
    assert_true(fabs(across[0] - along[0]) < 0.1);
    assert_true(across[1] > along[1] + 0.2);
}

/* test-e2e [kinds]: the classic cases, or the recording-like kinds (two meson
 * tests, so that they run side by side). */
int main(int argc, char **argv)
{
    const struct CMUnitTest classic[] = {cmocka_unit_test(test_seed_1), cmocka_unit_test(test_seed_2),
                                         cmocka_unit_test(test_hard_seed_1), cmocka_unit_test(test_hard_seed_2),
                                         cmocka_unit_test(test_anisotropic_seed_3), cmocka_unit_test(test_dynamic_seed_4),
                                         cmocka_unit_test(test_dynamic_hard_seed_4), cmocka_unit_test(test_beam_speckle),
                                         cmocka_unit_test(test_hard_beam_seed_4), cmocka_unit_test(test_scar_reference_seed_8),
                                         cmocka_unit_test(test_small_motion_beam_seed_1),
                                         cmocka_unit_test(test_small_motion_scar_seed_22),
                                         cmocka_unit_test(test_scar_caliper_seed_1),
                                         cmocka_unit_test(test_dark_noise_catheter_seed_10)};
    const struct CMUnitTest kinds[] = {
        cmocka_unit_test(test_scar_seed_1),       cmocka_unit_test(test_scar_seed_2),
        cmocka_unit_test(test_trabeculae_seed_1), cmocka_unit_test(test_trabeculae_seed_2),
        cmocka_unit_test(test_gated_seed_1),      cmocka_unit_test(test_gated_seed_2),
        cmocka_unit_test(test_motion_seed_1),     cmocka_unit_test(test_motion_seed_2),
        cmocka_unit_test(test_40mhz_seed_1),      cmocka_unit_test(test_40mhz_seed_2),
        cmocka_unit_test(test_3f_catheter_seed_1), cmocka_unit_test(test_3f_catheter_seed_2),
        cmocka_unit_test(test_capture_seed_1),    cmocka_unit_test(test_capture_seed_2),
        cmocka_unit_test(test_small_vessel_seed_1), cmocka_unit_test(test_small_vessel_seed_2),
        cmocka_unit_test(test_small_vessel_beam_seed_1), cmocka_unit_test(test_small_vessel_beam_seed_4),
        cmocka_unit_test(test_small_vessel_scar_seed_2), cmocka_unit_test(test_small_vessel_scar_seed_6),
        cmocka_unit_test(test_small_vessel_scar_seed_8), cmocka_unit_test(test_small_vessel_scar_seed_5),
        cmocka_unit_test(test_small_vessel_scar_seed_9),
        cmocka_unit_test(test_small_capture_seed_1), cmocka_unit_test(test_small_capture_seed_2),
        cmocka_unit_test(test_short_lesion_seed_1), cmocka_unit_test(test_short_lesion_seed_2),
        cmocka_unit_test(test_short_lesion_beam_seed_4),
        cmocka_unit_test(test_motion_40_seed_1),  cmocka_unit_test(test_motion_40_seed_2),
        cmocka_unit_test(test_small_motion_scar_40_seed_1), cmocka_unit_test(test_small_motion_scar_40_seed_3)};
    /* LUMENQ_E2E_QUICK=1 (the sanitizer pass of tools/test.sh): seed 1 of each kind, one of
     * each classic case; both passes run in the release build */
    const char *quick = getenv("LUMENQ_E2E_QUICK");
    if (argc > 1 && strcmp(argv[1], "kinds") == 0 && quick && strcmp(quick, "1") == 0) {
        const struct CMUnitTest seed_1[] = {
            cmocka_unit_test(test_scar_seed_1),   cmocka_unit_test(test_trabeculae_seed_1),
            cmocka_unit_test(test_gated_seed_1),  cmocka_unit_test(test_motion_seed_1),
            cmocka_unit_test(test_40mhz_seed_1),  cmocka_unit_test(test_3f_catheter_seed_1),
            cmocka_unit_test(test_capture_seed_1), cmocka_unit_test(test_small_vessel_seed_1),
            cmocka_unit_test(test_small_vessel_scar_seed_2),
            cmocka_unit_test(test_small_capture_seed_2), cmocka_unit_test(test_short_lesion_seed_1),
            cmocka_unit_test(test_motion_40_seed_2), cmocka_unit_test(test_small_motion_scar_40_seed_1)};
        return cmocka_run_group_tests(seed_1, tmpdir_setup, tmpdir_teardown);
    }
    if (argc > 1 && strcmp(argv[1], "kinds") == 0) return cmocka_run_group_tests(kinds, tmpdir_setup, tmpdir_teardown);
    if (quick && strcmp(quick, "1") == 0) { /* the classic cases: one of each */
        const struct CMUnitTest one_each[] = {cmocka_unit_test(test_seed_1), cmocka_unit_test(test_hard_seed_1),
                                              cmocka_unit_test(test_dark_noise_catheter_seed_10),
                                              cmocka_unit_test(test_dynamic_hard_seed_4), cmocka_unit_test(test_beam_speckle)};
        return cmocka_run_group_tests(one_each, tmpdir_setup, tmpdir_teardown);
    }
    return cmocka_run_group_tests(classic, tmpdir_setup, tmpdir_teardown);
}
