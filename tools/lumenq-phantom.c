/* lumenq-phantom: writes a realistic IVUS venous pullback with known truth. */
#include "phantom/ct.h"
#include "phantom/phantom.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: lumenq-phantom OUT.dcm|OUT-FOLDER [TRUTH.json] [options]\n"
            "       lumenq-phantom --ct DIR [--seed N] [--missing-slice K] [--enhanced] [--size N] [--frames SLICES]\n"
            "                      [--pixel-size MM] [--slice-thickness MM] [--slice-spacing MM]\n"
            "                      [--lesion-ratio R] [--clinical]\n"
            "  --seed N            random seed (default 1)\n"
            "  --frames N          number of frames (default 300)\n"
            "  --size N            rows = columns (default 512; field of view 51.2 mm)\n"
            "  --length MM         pullback length IVC -> CFV (default 150)\n"
            "  --pullback-rate R   mm/s (default 1; the frame time follows)\n"
            "  --rgb               write RGB instead of MONOCHROME2\n"
            "  --no-timing         omit Frame Time and IVUS Pullback Rate\n"
            "  --calibration KIND  regions (default), pixel-spacing, none, or conflicting (regions\n"
            "                      and a Pixel Spacing twice as large)\n"
            "  --row-step N        keep every N-th row: pixels N times taller than wide\n"
            "  --stationary N      N frames before the pullback starts (catheter still)\n"
            "  --hard              the hard cases: catheter against the wall, 5:1 lesion, echogenic\n"
            "                      blood, faint wall, neighbours against the wall, side branch,\n"
            "                      stent struts, steeper depth loss (docs/phantom.md)\n"
            "  --scar              hypoechoic wall thickening (0.5-2 mm, 1.2-2x blood) between the\n"
            "                      lumen and the bright wall, all round or on sectors\n"
            "  --trabeculae        thin echogenic strands across the lumen over 5-20 mm stretches\n"
            "  --beam              speckle shaped by the beam: longer across the ray than along\n"
            "                      it (1.5-4 times), widening with depth\n"
            "  --transducer MHZ    10-60: anechoic blood and a deep view at 10-20 MHz; echogenic\n"
            "                      blood, fine speckle and a 12 mm view at 40-60 MHz\n"
            "  --catheter MM       catheter radius, 0.3-2 (default 1.45, 8.7 F venous; about 0.5 for 3 F)\n"
            "  --scale F           0.15-1: anatomy, view and pullback times F with the catheter\n"
            "                      (default 0.5 mm) and the scar in real size and a coarser grain\n"
            "                      in pixels; 0.2 is a coronary-sized lumen with 0.02 mm pixels at 512\n"
            "  --gated             one frame per heartbeat (60-90 bpm), 0.4 mm apart unless --length\n"
            "                      is given; tissue speckle decorrelates between frames\n"
            "  --motion            ungated, 30 frames/s, with cardiac and respiratory motion\n"
            "  --frame-files       one file per frame: OUT is a folder of single-frame US Images\n"
            "                      (Instance Number, Content Time, IVUS Pullback Rate; no Frame Time)\n"
            "  --hold-lesion S     a stationary recording instead: the catheter held at the lesion\n"
            "                      for S seconds at 10 frames/s while the patient breathes (IVUS\n"
            "                      Acquisition SELECTIVE, Frame Time, no pullback rate)\n"
            "  --pause S           the pullback stops at the lesion for S seconds, the patient\n"
            "                      breathing, within its frames; the file does not say so\n"
            "  --narrowing VEIN:RATIO:LENGTH  a narrowed segment (repeat for several, one per vein):\n"
            "                      VEIN ivc, civ, eiv or cfv; RATIO its lumen area at the centre over\n"
            "                      the vein's, 0.2-0.9; LENGTH its extent, 2-40 mm. civ reshapes the\n"
            "                      May-Thurner lesion; the others, partly flattened, are centred at 2,\n"
            "                      50 and 93 %% of the pullback\n"
            "  --breathing F       a dynamic lesion whose minor axis opens by F (0-3) at full inspiration\n"
            "                      (its area swings by about F/(1+F) of the largest)\n"
            "  --phase F           the same vein in another respiratory phase: the lesion's area changed by\n"
            "                      the fraction F (-0.9..3), the other veins 1 %% wider or narrower\n"
            "  --shift MM          the pullback starts MM further along the vein (-50..50)\n"
            "  --series K          another series (1-99) of the same study: its own Series and SOP Instance\n"
            "                      UIDs (a stationary recording or a second pullback beside the first)\n"
            "  --capture           console screen capture: RGB with crosshair, ticks, ring, caliper,\n"
            "                      text and a masked catheter burned in\n"
            "CT at clinical resolution (docs/phantom.md): any of these turns the scanner's point\n"
            "spread on (a slice profile of the thickness, 1.4 pixels in-plane, blurred noise)\n"
            "  --pixel-size MM       0.5-1.0 (default 0.6; the view stays 77 mm unless --size)\n"
            "  --slice-thickness MM  0.5-2 (default the spacing)\n"
            "  --slice-spacing MM    0.5-2 (default the thickness, else 1; 99 mm of vein unless --frames)\n"
            "  --lesion-ratio R      1-6: the lesion's major / minor axis (1 round, 6 flat)\n"
            "  --clinical            pixel size, slices and lesion ratio chosen by the seed\n"
            "Exit status: 0 ok, 64 usage error, 70 internal error, 73 cannot create output.\n");
}

static int number(const char *s, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return !errno && end != s && !*end && *v >= lo && *v <= hi;
}

int main(int argc, char **argv)
{
    LqpParams p;
    lqp_params_default(&p);
    static const struct option longs[] = {
        {"seed", required_argument, 0, 's'},     {"frames", required_argument, 0, 'n'},
        {"size", required_argument, 0, 'z'},     {"length", required_argument, 0, 'l'},
        {"pullback-rate", required_argument, 0, 'r'}, {"rgb", no_argument, 0, 'c'},
        {"no-timing", no_argument, 0, 't'},      {"calibration", required_argument, 0, 'k'},
        {"hard", no_argument, 0, 'H'},           {"row-step", required_argument, 0, 'R'},
        {"stationary", required_argument, 0, 'S'},           {"help", no_argument, 0, 'h'},
        {"dynamic", no_argument, 0, 'D'},       {"overlay", no_argument, 0, 'O'},
        {"palette", no_argument, 0, 'P'},
        {"ct", required_argument, 0, 'T'},       {"missing-slice", required_argument, 0, 'M'},
        {"enhanced", no_argument, 0, 'E'},
        {"scar", no_argument, 0, 'a'},          {"trabeculae", no_argument, 0, 'b'},
        {"beam", no_argument, 0, 'e'},
        {"transducer", required_argument, 0, 'f'}, {"gated", no_argument, 0, 'g'},
        {"catheter", required_argument, 0, 'W'}, {"scale", required_argument, 0, 'x'},
        {"motion", no_argument, 0, 'm'},        {"capture", no_argument, 0, 'C'},
        {"pixel-size", required_argument, 0, 'X'}, {"slice-thickness", required_argument, 0, 'K'},
        {"slice-spacing", required_argument, 0, 'G'}, {"lesion-ratio", required_argument, 0, 'L'},
        {"clinical", no_argument, 0, 'N'},      {"frame-files", no_argument, 0, 'F'},
        {"hold-lesion", required_argument, 0, 'o'}, {"pause", required_argument, 0, 'p'},
        {"narrowing", required_argument, 0, 'w'},
        {"breathing", required_argument, 0, 'B'}, {"phase", required_argument, 0, 'Q'},
        {"shift", required_argument, 0, 'J'},     {"series", required_argument, 0, 'U'},
        {0, 0, 0, 0}};
    int c, missing = -1, enhanced = 0, size_given = 0, frames_given = 0, length_given = 0;
    double v, hold_s = 0, ct_pixel = 0, ct_thickness = 0, ct_spacing = 0, ct_ratio = 0;
    int clinical = 0;
    const char *ct_dir = NULL;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 's': if (!number(optarg, 0, 1e15, &v)) goto bad; p.seed = (uint64_t)v; break;
        case 'n': if (!number(optarg, 1, 100000, &v)) goto bad; p.frames = (unsigned)v, frames_given = 1; break;
        case 'z': if (!number(optarg, 64, 4096, &v)) goto bad; p.size = (unsigned)v, size_given = 1; break;
        case 'l': if (!number(optarg, 1, 1000, &v)) goto bad; p.length_mm = v, length_given = 1; break;
        case 'r': if (!number(optarg, 0.01, 100, &v)) goto bad; p.pullback_rate_mm_s = v; break;
        case 'c': p.rgb = 1; break;
        case 't': p.timing = 0; break;
        case 'k':
            if (strcmp(optarg, "regions") == 0) p.calibration = 1;
            else if (strcmp(optarg, "pixel-spacing") == 0) p.calibration = 2;
            else if (strcmp(optarg, "none") == 0) p.calibration = 0;
            else if (strcmp(optarg, "conflicting") == 0) p.calibration = 3;
            else goto bad;
            break;
        case 'H': p.hard = 1; break;
        case 'D': p.dynamic = 1; break;
        case 'O': p.overlay = 1, p.rgb = 1; break;
        case 'P': p.palette = 1, p.rgb = 0; break;
        case 'T': ct_dir = optarg; break;
        case 'E': enhanced = 1; break;
        case 'M': if (!number(optarg, 0, 100000, &v)) goto bad; missing = (int)v; break;
        case 'R': if (!number(optarg, 1, 8, &v)) goto bad; p.row_step = (unsigned)v; break;
        case 'S': if (!number(optarg, 0, 10000, &v)) goto bad; p.stationary = (unsigned)v; break;
        case 'a': p.scar = 1; break;
        case 'b': p.trabeculae = 1; break;
        case 'e': p.beam = 1; break;
        case 'f': if (!number(optarg, 10, 60, &v)) goto bad; p.transducer_mhz = v; break;
        case 'W': if (!number(optarg, 0.3, 2.0, &v)) goto bad; p.catheter_mm = v; break;
        case 'x': if (!number(optarg, 0.15, 1.0, &v)) goto bad; p.scale = v; break;
        case 'g': p.gated = 1; break;
        case 'm': p.motion = 1; break;
        case 'C': p.capture = 1, p.rgb = 1; break;
        case 'X': if (!number(optarg, 0.5, 1.0, &ct_pixel)) goto bad; break;
        case 'K': if (!number(optarg, 0.5, 2.0, &ct_thickness)) goto bad; break;
        case 'G': if (!number(optarg, 0.5, 2.0, &ct_spacing)) goto bad; break;
        case 'L': if (!number(optarg, 1.0, 6.0, &ct_ratio)) goto bad; break;
        case 'N': clinical = 1; break;
        case 'F': p.frame_files = 1; break;
        case 'o': if (!number(optarg, 1, 600, &hold_s)) goto bad; break;
        case 'p': if (!number(optarg, 1, 600, &p.pause_s)) goto bad; break;
        case 'w':
            if (p.narrowings == 4 || !lqp_parse_narrowing(optarg, &p.narrowing[p.narrowings])) goto bad;
            for (unsigned k = 0; k < p.narrowings; k++)
                if (p.narrowing[k].vein == p.narrowing[p.narrowings].vein) goto bad; /* one per vein */
            p.narrowings++;
            break;
        case 'B': if (!number(optarg, 0.01, 3, &p.breathing)) goto bad; break;
        case 'Q': if (!number(optarg, -0.9, 3, &p.phase)) goto bad; break;
        case 'J': if (!number(optarg, -50, 50, &p.shift_mm)) goto bad; break;
        case 'U': if (!number(optarg, 1, 99, &v)) goto bad; p.series = (unsigned)v; break;
        case 'h': usage(stdout); return 0;
        default: goto bad;
        }
    }
    if (ct_dir) { /* a CT venography series instead of a pullback */
        LqpCtParams cp;
        lqp_ct_params_default(&cp);
        if (clinical) lqp_ct_params_clinical(&cp, p.seed);
        if (ct_pixel > 0 || ct_thickness > 0 || ct_spacing > 0 || ct_ratio > 0) {
            if (ct_pixel > 0) cp.pixel_mm = ct_pixel;
            cp.thickness_mm = ct_thickness > 0 ? ct_thickness : ct_spacing > 0 ? ct_spacing : cp.slice_mm;
            cp.slice_mm = ct_spacing > 0 ? ct_spacing : cp.thickness_mm;
            if (ct_ratio > 0) cp.lesion_ratio = ct_ratio;
            lqp_ct_params_fit(&cp);
        }
        cp.seed = p.seed, cp.missing = missing, cp.enhanced = enhanced;
        if (size_given) cp.size = p.size;       /* default 128 */
        if (frames_given) cp.slices = p.frames; /* default 100 */
        LqpCtTruth t;
        char msg[512] = "";
        if (lqp_ct_write_series(&cp, ct_dir, &t, msg, sizeof msg) != 0) {
            fprintf(stderr, "lumenq-phantom: %s: %s\n", ct_dir, msg);
            return 73;
        }
        if (cp.thickness_mm > 0)
            printf("voxels %.2f x %.2f mm, slices %.3f mm thick %.3f mm apart, %u x %u x %u\n", cp.pixel_mm, cp.pixel_mm,
                   cp.thickness_mm, cp.slice_mm, cp.size, cp.size, cp.slices);
        printf("lesion point %.2f,%.2f,%.2f\nreference point %.2f,%.2f,%.2f\n"
               "truth: MLA %.2f mm2, MLD %.3f mm, A_ref %.2f mm2, D_ref %.3f mm, %%DS %.2f, %%AS %.2f\n",
               t.lesion_point[0], t.lesion_point[1], t.lesion_point[2], t.reference_point[0], t.reference_point[1],
               t.reference_point[2], t.mla_mm2, t.mld_mm, t.reference_area_mm2, t.reference_diameter_mm,
               t.diameter_stenosis_pct, t.area_stenosis_pct);
        return 0;
    }
    if (optind >= argc || argc - optind > 2 || (p.gated && p.motion)) goto bad;
    if (hold_s > 0) p.hold_lesion = 1, p.frames = (unsigned)lround(10 * hold_s); /* 10 frames/s */
    if (p.gated && !length_given) p.length_mm = lqp_gated_length_mm(p.frames);
    char msg[512] = "";
    int rc = lqp_write_study(&p, argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, msg, sizeof msg);
    if (rc != LQ_OK) {
        fprintf(stderr, "lumenq-phantom: %s: %s\n", argv[optind], msg);
        return lq_exit_code(rc);
    }
    return 0;
bad:
    fprintf(stderr, "lumenq-phantom: invalid arguments (see lumenq-phantom --help)\n");
    return 64;
}
