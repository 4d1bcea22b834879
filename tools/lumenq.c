/* lumenq command-line tool: a client of the public API only. */
#include "lumenq/lumenq.h"

#include "hook.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    OPT_PIXEL_SIZE = 256,
    OPT_PULLBACK_RATE,
    OPT_FRAME_TIME,
    OPT_THRESHOLD,
    OPT_METRIC,
    OPT_LESION_FRAME,
    OPT_LESION_AT,
    OPT_LESION_RANGE,
    OPT_REFERENCE_FRAME,
    OPT_REFERENCE_RANGE,
    OPT_REFERENCE_FILE,
    OPT_REFERENCE_NORMAL,
    OPT_JSON,
    OPT_CSV,
    OPT_SUMMARY_CSV,
    OPT_PNG,
    OPT_PDF,
    OPT_PDF_DICOM,
    OPT_SR,
    OPT_LOG,
    OPT_SEND,
    OPT_CALLING_AET,
    OPT_OUT,
    OPT_PULLBACK_FROM,
    OPT_CPU,
    OPT_THREADS,
    OPT_MAX_FRAMES,
    OPT_MAX_PIXELS,
    OPT_MAX_MEMORY,
    OPT_TIME_LIMIT,
    OPT_LESION_POINT,
    OPT_REFERENCE_POINT,
    OPT_LESION_VOXEL,
    OPT_REFERENCE_VOXEL,
    OPT_SERIES,
};

typedef struct Option {
    const char *name;
    int id;          /* short option character or OPT_* */
    const char *arg; /* NULL: flag */
    const char *help;
} Option;

/* The single source of the options: parsing, --help and the man page test use it. */
static const Option options[] = {
    {"format", 'f', "text|json|csv", "format of the report on standard output or -o (default text)"},
    {"output", 'o', "FILE", "write that report to FILE, atomically (default: standard output)"},
    {"json", OPT_JSON, "FILE", "also write the JSON report to FILE"},
    {"csv", OPT_CSV, "FILE", "also write one CSV row per frame to FILE"},
    {"summary-csv", OPT_SUMMARY_CSV, "FILE", "append one row for this study to FILE (created with a header)"},
    {"png", OPT_PNG, "DIR", "write lesion.png, reference.png and profile.png into DIR"},
    {"pdf", OPT_PDF, "FILE", "write the one-page PDF report to FILE"},
    {"pdf-dicom", OPT_PDF_DICOM, "FILE", "write that PDF as a DICOM Encapsulated PDF in the study (a new series)"},
    {"sr", OPT_SR, "FILE", "write the measurements as a DICOM Structured Report (TID 1500) in the study"},
    {"out", OPT_OUT, "DIR", "write every output into DIR: report.txt, report.json, frames.csv, report.pdf and the PNGs"},
    {"log", OPT_LOG, "FILE", "hook: append the log lines to FILE (default: standard error)"},
    {"send", OPT_SEND, "AET@HOST:PORT", "hook: send the SR and the DICOM PDF to that node (C-STORE)"},
    {"calling-aet", OPT_CALLING_AET, "AET", "hook: our AE title when sending (default LUMENQ)"},
    {"pixel-size", OPT_PIXEL_SIZE, "MM", "pixel size when the file has no calibration"},
    {"pullback-rate", OPT_PULLBACK_RATE, "MM_S", "pullback rate in mm/s (overrides the file)"},
    {"frame-time", OPT_FRAME_TIME, "MS", "time between frames in ms (overrides the file)"},
    {"threshold", OPT_THRESHOLD, "PCT", "stenosis above PCT is significant (default 61)"},
    {"metric", OPT_METRIC, "diameter|area|eqdiameter", "stenosis the verdict uses (default diameter: %DS)"},
    {"lesion-frame", OPT_LESION_FRAME, "N|Xmm", "use frame N (1-based), or the frame at X mm, as the lesion"},
    {"lesion-at", OPT_LESION_AT, "Xmm", "use the frame at position X mm as the lesion"},
    {"lesion-range", OPT_LESION_RANGE, "A-B", "search the lesion (minimal area) in frames A-B only (or A-Bmm)"},
    {"reference-frame", OPT_REFERENCE_FRAME, "N|Xmm", "use that one frame as the reference"},
    {"reference-range", OPT_REFERENCE_RANGE, "A-B", "use frames A-B (or positions A-Bmm) as the reference"},
    {"reference-file", OPT_REFERENCE_FILE, "F[:A-B]", "take the reference from another pullback F (its frames A-B)"},
    {"reference-normal", OPT_REFERENCE_NORMAL, "eiv|civ|cfv", "use Raju's normal value for that vein as the reference"},
    {"pullback-from", OPT_PULLBACK_FROM, "ivc|cfv", "where the pullback starts (default ivc: femoral access)"},
    {"lesion-point", OPT_LESION_POINT, "X,Y,Z", "ct: the lesion, patient coordinates in mm (LPS, as DICOM viewers show)"},
    {"reference-point", OPT_REFERENCE_POINT, "X,Y,Z", "ct: the reference (normal vein), LPS mm"},
    {"lesion-voxel", OPT_LESION_VOXEL, "I,J,K", "ct: the lesion as column, row, slice (0-based; slices in position order)"},
    {"reference-voxel", OPT_REFERENCE_VOXEL, "I,J,K", "ct: the reference as column, row, slice"},
    {"series", OPT_SERIES, "UID", "ct: the CT series to use (default: the one with the most slices)"},
    {"cpu", OPT_CPU, "LEVEL", "scalar|sse2|sse41|avx2: highest SIMD level to use (default: best)"},
    {"threads", OPT_THREADS, "N", "worker threads (default: one per CPU); results do not depend on it"},
    {"max-frames", OPT_MAX_FRAMES, "N", "refuse files of more frames (default 20000; 0: no limit)"},
    {"max-pixels", OPT_MAX_PIXELS, "N", "refuse frames of more pixels, rows x columns (default 4194304)"},
    {"max-memory", OPT_MAX_MEMORY, "MIB", "refuse a measurement estimated above MIB MiB (default 1024)"},
    {"time-limit", OPT_TIME_LIMIT, "S", "stop a measurement after S seconds (default: none)"},
    {"quiet", 'q', NULL, "print no messages on standard error"},
    {"verbose", 'v', NULL, "print progress messages on standard error"},
    {"help", 'h', NULL, "print this help and exit"},
    {"version", 'V', NULL, "print the version and exit"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

static int quiet, verbose;

static void say(const char *fmt, ...)
{
    if (quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("lumenq: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: lumenq measure FILE [options]   measure venous stenosis on an IVUS pullback\n"
            "       lumenq info FILE...              describe DICOM files and what lumenq will use\n"
            "       lumenq ct DIR --lesion-point X,Y,Z --reference-point X,Y,Z [options]\n"
            "                                        measure iliac vein compression on a CT venography series\n"
            "       lumenq hook DIR [--out OUT] [--log FILE] [--send AET@HOST:PORT]\n"
            "                                        measure every IVUS pullback of a received study (PACS hook)\n"
            "                                        into OUT/<study UID>/<instance UID>/ (default OUT: " LQ_HOOK_DEFAULT_OUT ")\n"
            "FILE may be a folder (searched recursively) or a DICOMDIR; measure then takes\n"
            "the folder's one IVUS pullback.\n"
            "       lumenq --help | --version\n\nOptions:\n");
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char left[64];
        int id = options[i].id;
        if (id < 256)
            snprintf(left, sizeof left, "-%c, --%s%s%s", id, options[i].name, options[i].arg ? " " : "",
                     options[i].arg ? options[i].arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", options[i].name, options[i].arg ? " " : "",
                     options[i].arg ? options[i].arg : "");
        fprintf(fp, "  %-30s %s\n", left, options[i].help);
    }
    fprintf(fp,
            "\nEnvironment: LUMENQ_CPU=scalar|sse2|sse41|avx2 lowers the SIMD level like --cpu.\n"
            "Exit status: 0 ok, 64 usage error, 65 bad or unmeasurable data, 66 cannot open input,\n"
            "             70 internal error, 73 cannot create output, 74 I/O error,\n"
            "             75 a resource limit reached (--max-frames, --max-pixels, --max-memory, --time-limit).\n");
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

/* A frame given on the command line: a 1-based frame number or a position. */
typedef struct FrameSpec {
    int given;
    int is_mm;
    double value;
} FrameSpec;

typedef struct RangeSpec {
    int given;
    int is_mm;
    double a, b;
} RangeSpec;

/* A CT point: LPS mm, or voxel indices. */
typedef struct PointSpec {
    int given, is_voxel;
    double v[3];
} PointSpec;

/* "x,y,z": three finite numbers (whole and not negative for voxels). */
static int parse_point(const char *s, int voxel, PointSpec *out)
{
    char buf[128];
    if (strlen(s) >= sizeof buf) return 0;
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL, *tok = strtok_r(buf, ",", &save);
    double v[3];
    for (int k = 0; k < 3; k++, tok = strtok_r(NULL, ",", &save)) {
        long l;
        if (!tok) return 0;
        if (voxel ? !parse_int(tok, 0, 100000, &l) : !parse_double(tok, -1e5, 1e5, &v[k])) return 0;
        if (voxel) v[k] = (double)l;
    }
    if (tok) return 0;
    *out = (PointSpec){1, voxel, {v[0], v[1], v[2]}};
    return 1;
}

typedef struct Cli {
    const char *command;
    LqOpenOptions open;
    LqRunOptions run;
    LqReportFormat format;
    const char *output;
    FrameSpec lesion_frame, reference_frame;
    RangeSpec lesion_range, reference_range, reference_file_range;
    char reference_file[1024];
    const char *json, *csv, *summary_csv, *png_dir, *pdf, *pdf_dicom, *sr, *out_dir, *log;
    char send_buf[300];
    const char *send_aet, *send_host, *calling_aet;
    unsigned send_port;
    PointSpec lesion_point, reference_point;
    const char *series;
} Cli;

/* "12" (frame 12) or "42.5mm" (position); mm_only refuses frame numbers. */
static int parse_frame_spec(const char *s, int mm_only, FrameSpec *out)
{
    char buf[64];
    size_t len = strlen(s);
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len + 1);
    int mm = len > 2 && strcmp(buf + len - 2, "mm") == 0;
    if (mm) buf[len - 2] = 0;
    if (mm_only && !mm) return 0;
    long frame;
    double v;
    if (mm) {
        if (!parse_double(buf, -1e6, 1e6, &v)) return 0;
    } else {
        if (!parse_int(buf, 1, 10000000, &frame)) return 0;
        v = (double)frame;
    }
    *out = (FrameSpec){1, mm, v};
    return 1;
}

/* "A-B": frame numbers, or positions when either end ends in mm ("40-60mm"). */
static int parse_range_spec(const char *s, RangeSpec *out)
{
    char buf[64];
    if (strlen(s) >= sizeof buf) return 0;
    snprintf(buf, sizeof buf, "%s", s);
    char *dash = strchr(buf + 1, '-'); /* a position may be negative: skip a leading sign */
    if (!dash) return 0;
    *dash = 0;
    const char *a = buf, *b = dash + 1;
    size_t la = strlen(a), lb = strlen(b);
    int mm = (la > 2 && strcmp(a + la - 2, "mm") == 0) || (lb > 2 && strcmp(b + lb - 2, "mm") == 0);
    char fa[72], fb[72];
    snprintf(fa, sizeof fa, "%s%s", a, mm && !(la > 2 && strcmp(a + la - 2, "mm") == 0) ? "mm" : "");
    snprintf(fb, sizeof fb, "%s%s", b, mm && !(lb > 2 && strcmp(b + lb - 2, "mm") == 0) ? "mm" : "");
    FrameSpec x, y;
    if (!parse_frame_spec(fa, 0, &x) || !parse_frame_spec(fb, 0, &y)) return 0;
    if (!mm && y.value < x.value) return 0;
    *out = (RangeSpec){1, mm, x.value, y.value};
    return 1;
}

static int usage_error(const char *fmt, const char *arg)
{
    if (!quiet) {
        fputs("lumenq: ", stderr);
        fprintf(stderr, fmt, arg);
        fputs(" (see lumenq --help)\n", stderr);
    }
    return 64;
}

/* Returns -1 to go on, or an exit code. */
static int parse(int argc, char **argv, Cli *cli)
{
    struct option longs[N_OPTIONS + 1];
    char shorts[2 * N_OPTIONS + 1];
    size_t ns = 0;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        longs[i] = (struct option){options[i].name, options[i].arg ? required_argument : no_argument, NULL,
                                   options[i].id};
        if (options[i].id < 256) {
            shorts[ns++] = (char)options[i].id;
            if (options[i].arg) shorts[ns++] = ':';
        }
    }
    shorts[ns] = 0;
    longs[N_OPTIONS] = (struct option){0, 0, 0, 0};
    opterr = 0;
    int c;
    long lv;
    double dv;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (lq_report_format_from_name(optarg, &cli->format) != LQ_OK || cli->format > LQ_REPORT_CSV)
                return usage_error("unknown format '%s' (text, json or csv)", optarg);
            break;
        case 'o': cli->output = optarg; break;
        case OPT_PIXEL_SIZE:
            if (!parse_double(optarg, 1e-4, 5.0, &dv)) return usage_error("--pixel-size '%s' is not in 0.0001-5 mm", optarg);
            cli->open.pixel_size_mm = dv;
            break;
        case OPT_PULLBACK_RATE:
            if (!parse_double(optarg, 1e-3, 100.0, &dv)) return usage_error("--pullback-rate '%s' is not in 0.001-100 mm/s", optarg);
            cli->open.pullback_rate_mm_s = dv;
            break;
        case OPT_FRAME_TIME:
            if (!parse_double(optarg, 1e-3, 1e5, &dv)) return usage_error("--frame-time '%s' is not in 0.001-100000 ms", optarg);
            cli->open.frame_time_ms = dv;
            break;
        case OPT_THRESHOLD:
            if (!parse_double(optarg, 0.0, 100.0, &dv)) return usage_error("--threshold '%s' is not in 0-100 %%", optarg);
            cli->run.measure.threshold_pct = dv;
            break;
        case OPT_METRIC: {
            int m = lq_metric_from_name(optarg);
            if (m < 0) return usage_error("--metric '%s' is not diameter, area or eqdiameter", optarg);
            cli->run.measure.metric = (LqMetric)m;
            break;
        }
        case OPT_LESION_FRAME:
            if (!parse_frame_spec(optarg, 0, &cli->lesion_frame))
                return usage_error("--lesion-frame '%s' is not a frame number or a position in mm", optarg);
            break;
        case OPT_LESION_AT:
            if (!parse_frame_spec(optarg, 1, &cli->lesion_frame))
                return usage_error("--lesion-at '%s' is not a position like 42.5mm", optarg);
            break;
        case OPT_LESION_RANGE:
            if (!parse_range_spec(optarg, &cli->lesion_range))
                return usage_error("--lesion-range '%s' is not A-B with 1 <= A <= B (or A-Bmm)", optarg);
            break;
        case OPT_REFERENCE_FRAME: {
            FrameSpec f;
            if (!parse_frame_spec(optarg, 0, &f))
                return usage_error("--reference-frame '%s' is not a frame number or a position in mm", optarg);
            cli->reference_range = (RangeSpec){1, f.is_mm, f.value, f.value};
            break;
        }
        case OPT_REFERENCE_RANGE:
            if (!parse_range_spec(optarg, &cli->reference_range))
                return usage_error("--reference-range '%s' is not A-B with 1 <= A <= B (or A-Bmm)", optarg);
            break;
        case OPT_REFERENCE_FILE: {
            /* F or F:A-B; a colon not followed by a range belongs to the name */
            snprintf(cli->reference_file, sizeof cli->reference_file, "%s", optarg);
            char *colon = strrchr(cli->reference_file, ':');
            if (colon && parse_range_spec(colon + 1, &cli->reference_file_range)) *colon = 0;
            if (!cli->reference_file[0]) return usage_error("--reference-file '%s' names no file", optarg);
            break;
        }
        case OPT_REFERENCE_NORMAL: {
            int v = lq_vein_from_name(optarg);
            if (v < 0) return usage_error("--reference-normal '%s' is not eiv, civ or cfv", optarg);
            cli->run.measure.reference_normal = v;
            break;
        }
        case OPT_JSON: cli->json = optarg; break;
        case OPT_CSV: cli->csv = optarg; break;
        case OPT_SUMMARY_CSV: cli->summary_csv = optarg; break;
        case OPT_PNG: cli->png_dir = optarg; break;
        case OPT_PDF: cli->pdf = optarg; break;
        case OPT_PDF_DICOM: cli->pdf_dicom = optarg; break;
        case OPT_SR: cli->sr = optarg; break;
        case OPT_LOG: cli->log = optarg; break;
        case OPT_SEND:
            if (!lumenq_parse_node(optarg, cli->send_buf, sizeof cli->send_buf, &cli->send_aet, &cli->send_host,
                                   &cli->send_port))
                return usage_error("--send '%s' is not AET@HOST:PORT", optarg);
            break;
        case OPT_CALLING_AET:
            if (!*optarg || strlen(optarg) > 16) return usage_error("--calling-aet '%s' is not 1-16 characters", optarg);
            cli->calling_aet = optarg;
            break;
        case OPT_OUT: cli->out_dir = optarg; break;
        case OPT_PULLBACK_FROM:
            if (strcmp(optarg, "ivc") == 0) cli->run.measure.pullback_from_cfv = 0;
            else if (strcmp(optarg, "cfv") == 0) cli->run.measure.pullback_from_cfv = 1;
            else return usage_error("--pullback-from '%s' is neither ivc nor cfv", optarg);
            break;
        case OPT_CPU: {
            int level = lq_cpu_level_from_name(optarg);
            if (level < 0) return usage_error("--cpu '%s' is not scalar, sse2, sse41, avx2 or neon", optarg);
            cli->run.cpu_level = level;
            break;
        }
        case OPT_THREADS:
            if (!parse_int(optarg, 1, 256, &lv)) return usage_error("--threads '%s' is not in 1-256", optarg);
            cli->run.threads = (int)lv;
            break;
        case OPT_MAX_FRAMES:
            if (!parse_int(optarg, 0, 10000000, &lv)) return usage_error("--max-frames '%s' is not a count", optarg);
            cli->run.max_frames = (unsigned)lv;
            break;
        case OPT_MAX_PIXELS:
            if (!parse_int(optarg, 0, 1000000000, &lv)) return usage_error("--max-pixels '%s' is not a count", optarg);
            cli->run.max_pixels = (unsigned)lv;
            break;
        case OPT_MAX_MEMORY:
            if (!parse_int(optarg, 0, 10000000, &lv)) return usage_error("--max-memory '%s' is not a number of MiB", optarg);
            cli->run.max_memory_mib = (unsigned)lv;
            break;
        case OPT_TIME_LIMIT:
            if (!parse_double(optarg, 0.0, 1e7, &dv)) return usage_error("--time-limit '%s' is not a number of seconds", optarg);
            cli->run.time_limit_s = dv;
            break;
        case OPT_LESION_POINT:
        case OPT_LESION_VOXEL:
            if (!parse_point(optarg, c == OPT_LESION_VOXEL, &cli->lesion_point))
                return usage_error(c == OPT_LESION_VOXEL ? "--lesion-voxel '%s' is not I,J,K (whole numbers)"
                                                         : "--lesion-point '%s' is not X,Y,Z in mm", optarg);
            break;
        case OPT_REFERENCE_POINT:
        case OPT_REFERENCE_VOXEL:
            if (!parse_point(optarg, c == OPT_REFERENCE_VOXEL, &cli->reference_point))
                return usage_error(c == OPT_REFERENCE_VOXEL ? "--reference-voxel '%s' is not I,J,K (whole numbers)"
                                                            : "--reference-point '%s' is not X,Y,Z in mm", optarg);
            break;
        case OPT_SERIES:
            if (!*optarg || strlen(optarg) > 64) return usage_error("--series '%s' is not a UID", optarg);
            cli->series = optarg;
            break;
        case 'q': quiet = 1; break;
        case 'v': verbose = 1; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("lumenq %s\n", LUMENQ_VERSION); return 0;
        default:
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    return -1;
}

static void print_info(const LqStudyInfo *in, int ok, const char *why)
{
    printf("%s\n", in->path);
    printf("  SOP class        %s %s\n", in->sop_class_uid, in->sop_class_name);
    printf("  Modality         %s\n", in->modality);
    printf("  Patient          %s (ID %s)\n", in->patient_name, in->patient_id);
    printf("  Study UID        %s\n", in->study_instance_uid);
    printf("  Transfer syntax  %s %s\n", in->transfer_syntax_uid, in->transfer_syntax_name);
    if (in->rows) {
        printf("  Image            %u frames, %ux%u, %s, %u sample(s), %u/%u bits\n", in->frames, in->cols, in->rows,
               in->photometric, in->samples_per_pixel, in->bits_stored, in->bits_allocated);
        if (in->calibration != LQ_CAL_NONE)
            printf("  Calibration      %.5f x %.5f mm/pixel from %s\n", in->pixel_dx_mm, in->pixel_dy_mm,
                   lq_calibration_source_name(in->calibration));
        else
            printf("  Calibration      none\n");
        if (in->has_geometry) /* a CT slice or volume: positions in space, no pullback */
            printf("  Position         first frame at (%.1f, %.1f, %.1f) mm LPS\n", in->image_position[0],
                   in->image_position[1], in->image_position[2]);
        else if (in->timing != LQ_TIMING_NONE)
            printf("  Pullback         %.3f mm/s, frame time %.3f ms, %.3f mm/frame, frames %u-%u\n",
                   in->pullback_rate_mm_s, in->frame_time_ms, in->pullback_rate_mm_s * in->frame_time_ms / 1000.0,
                   in->pullback_start_frame + 1, in->pullback_stop_frame + 1);
        else
            printf("  Pullback         untimed (frame time %.3f ms, rate %.3f mm/s)\n", in->frame_time_ms,
                   in->pullback_rate_mm_s);
    }
    printf("  Measurable       %s%s%s\n", ok ? "yes" : "no", ok ? "" : ": ", ok ? "" : why);
}

/* Entries a..b-1 of a scan: one series. Multi-frame objects (pullbacks) are
 * described one by one; a series of single-frame images is summed up. */
/* A CT series as lumenq would read it as a volume: its geometry, or why not. */
static void print_volume(const char *folder, const LqScanEntry *e, size_t count)
{
    unsigned frames = 0;
    for (size_t k = 0; k < count; k++) frames += e[k].info.frames;
    if (frames < 2 || strcmp(e->info.modality, "CT") != 0 || !e->info.has_geometry) return;
    LqVolume *g = NULL;
    LqError err = {0};
    if (lq_volume_probe(folder, e->info.series_instance_uid, NULL, &g, &err) == LQ_OK)
        printf("  Volume           %u slices sorted along the slice normal, %.3f x %.3f x %.3f mm\n", g->slices,
               g->dx_mm, g->dy_mm, g->dz_mm);
    else
        printf("  Volume           not usable: %s\n", err.message);
    lq_volume_free(&g);
}

static void print_one_series(const LqScanEntry *e, size_t count)
{
    const LqStudyInfo *in = &e[0].info;
    size_t measurable = 0;
    unsigned frames = 0;
    for (size_t k = 0; k < count; k++) measurable += e[k].measurable != 0, frames += e[k].info.frames;
    printf("Series %s: %zu object%s, %s\n", in->series_instance_uid[0] ? in->series_instance_uid : "(no UID)", count,
           count == 1 ? "" : "s", in->modality[0] ? in->modality : "no modality");
    if (count <= 3 || e[0].info.frames > 1) {
        for (size_t k = 0; k < count; k++) print_info(&e[k].info, e[k].measurable, e[k].why);
        return;
    }
    printf("  %zu single-frame images, %u frames in all; the first: %s\n", count, frames, in->path);
    printf("  SOP class        %s %s\n", in->sop_class_uid, in->sop_class_name);
    printf("  Transfer syntax  %s %s\n", in->transfer_syntax_uid, in->transfer_syntax_name);
    printf("  Image            %ux%u, %s, %u sample(s), %u/%u bits\n", in->cols, in->rows, in->photometric,
           in->samples_per_pixel, in->bits_stored, in->bits_allocated);
    if (in->calibration != LQ_CAL_NONE)
        printf("  Calibration      %.5f x %.5f mm/pixel from %s\n", in->pixel_dx_mm, in->pixel_dy_mm,
               lq_calibration_source_name(in->calibration));
    else
        printf("  Calibration      none\n");
    printf("  Measurable       %zu of %zu%s%s\n", measurable, count, measurable < count ? "; the first not: " : "",
           measurable < count ? e[0].why : "");
}

/* A scan grouped by study, then series (the scan is sorted that way). */
static void print_series(const char *folder, const LqScan *scan)
{
    for (size_t a = 0; a < scan->count;) {
        const LqStudyInfo *in = &scan->entries[a].info;
        if (a == 0 || strcmp(in->study_instance_uid, scan->entries[a - 1].info.study_instance_uid) != 0)
            printf("Study %s: %s (ID %s), %s\n", in->study_instance_uid[0] ? in->study_instance_uid : "(no UID)",
                   in->patient_name[0] ? in->patient_name : "(no name)", in->patient_id[0] ? in->patient_id : "-",
                   in->study_date[0] ? in->study_date : "no date");
        size_t b = a + 1;
        while (b < scan->count && strcmp(scan->entries[b].info.study_instance_uid, in->study_instance_uid) == 0 &&
               strcmp(scan->entries[b].info.series_instance_uid, in->series_instance_uid) == 0)
            b++;
        print_one_series(&scan->entries[a], b - a);
        print_volume(folder, &scan->entries[a], b - a);
        a = b;
    }
}

/* A folder, or a DICOMDIR (read as the file set it indexes). */
static int is_collection(const char *path)
{
    struct stat st;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || strcmp(base, "DICOMDIR") == 0);
}

static int cmd_info(int argc, char **argv, Cli *cli)
{
    if (optind >= argc) return usage_error("%s", "info needs at least one FILE");
    int worst = 0;
    for (int i = optind; i < argc; i++) {
        LqError err = {0};
        int rc;
        if (is_collection(argv[i])) {
            LqScan *scan = NULL;
            rc = lq_scan(argv[i], &cli->open, &scan, &err);
            if (rc == LQ_OK) {
                printf("%s: %zu DICOM objects, %zu other files skipped\n", argv[i], scan->count, scan->skipped);
                print_series(argv[i], scan);
                lq_scan_free(&scan);
            }
        } else {
            LqStudy *study = NULL;
            rc = lq_study_open(argv[i], &cli->open, &study, &err);
            if (rc == LQ_OK) {
                const char *why = NULL;
                int ok = lq_study_measurable(study, &why);
                print_info(lq_study_info(study), ok, why);
                lq_study_close(&study);
            }
        }
        if (rc != LQ_OK) {
            say("%s", err.message);
            int code = lq_exit_code(rc);
            if (code > worst) worst = code;
        }
    }
    return worst;
}

/* Appends `text` to `buf` (size `len`), cutting it if the buffer is full. */
static void append(char *buf, size_t len, const char *text)
{
    size_t used = strlen(buf), add = strlen(text);
    if (used + 1 >= len) return;
    if (add > len - used - 1) add = len - used - 1;
    memcpy(buf + used, text, add);
    buf[used + add] = 0;
}

/* The one IVUS pullback in a folder; otherwise an exit code and a message. */
static int pick_pullback(const char *dir, Cli *cli, char *picked, size_t len)
{
    LqScan *scan = NULL;
    LqError err = {0};
    int rc = lq_scan(dir, &cli->open, &scan, &err);
    if (rc != LQ_OK) {
        say("%s", err.message);
        return lq_exit_code(rc);
    }
    size_t found = 0;
    char list[600] = "";
    for (size_t k = 0; k < scan->count; k++) {
        if (!scan->entries[k].pullback) continue;
        if (!found) snprintf(picked, len, "%s", scan->entries[k].info.path);
        if (found) append(list, sizeof list, ", ");
        append(list, sizeof list, scan->entries[k].info.path);
        found++;
    }
    int code = 0;
    if (found == 0) {
        say("%s: no measurable IVUS pullback (%zu DICOM objects, %zu other files)", dir, scan->count, scan->skipped);
        code = 65;
    } else if (found > 1) {
        say("%s: %zu pullbacks, measure one file: %s", dir, found, list);
        code = 64;
    }
    lq_scan_free(&scan);
    return code;
}

/* Frame index (0-based) of a frame number or position in this study. */
static int resolve_frame(LqStudy *study, int is_mm, double value, int *index0, LqError *err)
{
    if (!is_mm) {
        *index0 = (int)value - 1;
        return LQ_OK;
    }
    unsigned idx;
    int rc = lq_study_frame_at_mm(study, value, &idx, err);
    if (rc == LQ_OK) *index0 = (int)idx;
    return rc;
}

static int resolve_range(LqStudy *study, const RangeSpec *r, int *a, int *b, LqError *err)
{
    int rc = resolve_frame(study, r->is_mm, r->a, a, err);
    if (rc == LQ_OK) rc = resolve_frame(study, r->is_mm, r->b, b, err);
    if (rc == LQ_OK && *a > *b) {
        int t = *a;
        *a = *b, *b = t;
    }
    return rc;
}

/* The reference measured on another pullback (--reference-file F[:A-B]). */
static int external_reference(const Cli *cli, LqMeasureSettings *ms, LqError *err)
{
    LqStudy *other = NULL;
    int first = -1, last = -1;
    int rc = lq_study_open(cli->reference_file, &cli->open, &other, err);
    if (rc == LQ_OK && cli->reference_file_range.given)
        rc = resolve_range(other, &cli->reference_file_range, &first, &last, err);
    if (rc == LQ_OK) rc = lq_study_reference(other, &cli->run, first, last, ms, err);
    if (rc == LQ_OK && verbose) say("reference from %s", ms->external_reference_note);
    lq_study_close(&other);
    return rc;
}

/* The user's lesion and reference choices, in this study's frames. */
static int apply_choices(const Cli *cli, LqStudy *study, LqRunOptions *run, LqError *err)
{
    LqMeasureSettings *ms = &run->measure;
    int rc = LQ_OK;
    if (cli->lesion_frame.given)
        rc = resolve_frame(study, cli->lesion_frame.is_mm, cli->lesion_frame.value, &ms->lesion_frame, err);
    if (rc == LQ_OK && cli->lesion_range.given)
        rc = resolve_range(study, &cli->lesion_range, &ms->lesion_first, &ms->lesion_last, err);
    if (rc == LQ_OK && cli->reference_range.given)
        rc = resolve_range(study, &cli->reference_range, &ms->reference_first, &ms->reference_last, err);
    if (rc == LQ_OK && cli->reference_file[0]) rc = external_reference(cli, ms, err);
    return rc;
}

typedef struct Output {
    LqReportFormat format;
    char path[4096];
} Output;

#define MAX_OUTPUTS 16

static int add_output(Output *outs, int *n, LqReportFormat fmt, const char *dir, const char *name)
{
    if (*n >= MAX_OUTPUTS) return 0;
    int w = dir ? snprintf(outs[*n].path, sizeof outs[*n].path, "%s/%s", dir, name)
                : snprintf(outs[*n].path, sizeof outs[*n].path, "%s", name);
    if (w < 0 || (size_t)w >= sizeof outs[*n].path) return 0;
    outs[(*n)++].format = fmt;
    return 1;
}

/* Every file the options ask for (the main report, stdout or -o, apart).
 * A CT measurement has no PDF, and its per-row CSV is of sections. */
static int plan_outputs(const Cli *cli, int ct, Output *outs, int *n)
{
    int ok = 1;
    *n = 0;
    if (cli->json) ok &= add_output(outs, n, LQ_REPORT_JSON, NULL, cli->json);
    if (cli->csv) ok &= add_output(outs, n, LQ_REPORT_CSV, NULL, cli->csv);
    if (cli->pdf && !ct) ok &= add_output(outs, n, LQ_REPORT_PDF, NULL, cli->pdf);
    if (cli->pdf_dicom && !ct) ok &= add_output(outs, n, LQ_REPORT_PDF_DICOM, NULL, cli->pdf_dicom);
    if (cli->sr) ok &= add_output(outs, n, LQ_REPORT_SR, NULL, cli->sr);
    const char *dirs[2] = {cli->png_dir, cli->out_dir};
    for (int d = 0; d < 2; d++) {
        if (!dirs[d]) continue;
        if (d == 1) {
            ok &= add_output(outs, n, LQ_REPORT_TEXT, dirs[d], "report.txt");
            ok &= add_output(outs, n, LQ_REPORT_JSON, dirs[d], "report.json");
            ok &= add_output(outs, n, LQ_REPORT_CSV, dirs[d], ct ? "sections.csv" : "frames.csv");
            if (!ct) ok &= add_output(outs, n, LQ_REPORT_PDF, dirs[d], "report.pdf");
        }
        ok &= add_output(outs, n, LQ_REPORT_LESION_PNG, dirs[d], "lesion.png");
        ok &= add_output(outs, n, LQ_REPORT_REFERENCE_PNG, dirs[d], "reference.png");
        ok &= add_output(outs, n, LQ_REPORT_PROFILE_PNG, dirs[d], "profile.png");
    }
    return ok;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && strcmp(b, "-") != 0 && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int make_dir(const char *dir)
{
    if (!dir) return 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        say("%s: cannot create folder (%s)", dir, strerror(errno));
        return 73;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        say("%s: not a folder", dir);
        return 73;
    }
    return 0;
}

/* Writes the extra outputs; pictures that do not apply are skipped with a note. */
static int write_outputs(LqStudy *study, const LqResult *result, const Output *outs, int n, LqError *err)
{
    const LqSummary *s = lq_result_summary(result);
    for (int i = 0; i < n; i++) {
        if (outs[i].format == LQ_REPORT_LESION_PNG && !s->ok) {
            say("%s not written: no lesion (not measured)", outs[i].path);
            continue;
        }
        if (outs[i].format == LQ_REPORT_REFERENCE_PNG && (!(s->reference_area_mm2 > 0) || s->reference_first < 0)) {
            say("%s not written: the reference is not a frame of this pullback (%s)", outs[i].path,
                s->reference_area_mm2 > 0 ? lq_method_name(s->reference_method) : "none");
            continue;
        }
        int rc = lq_report_write(study, result, outs[i].format, outs[i].path, err);
        if (rc != LQ_OK) return rc;
        if (verbose) say("wrote %s", outs[i].path);
    }
    return LQ_OK;
}

static int cmd_measure(int argc, char **argv, Cli *cli)
{
    if (optind + 1 != argc) return usage_error("%s", "measure needs exactly one FILE");
    const char *path = argv[optind];
    char picked[1024];
    if (is_collection(path)) {
        int code = pick_pullback(path, cli, picked, sizeof picked);
        if (code) return code;
        path = picked;
    }
    static Output outs[MAX_OUTPUTS];
    int n_outs;
    if (!plan_outputs(cli, 0, outs, &n_outs)) return usage_error("%s", "an output path is too long");
    const char *others[] = {cli->output, cli->summary_csv};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (same_file(path, others[i]))
            return usage_error("'%s' is the input file: input files are never overwritten", others[i]);
    for (int i = 0; i < n_outs; i++)
        if (same_file(path, outs[i].path) || (cli->reference_file[0] && same_file(cli->reference_file, outs[i].path)))
            return usage_error("'%s' is an input file: input files are never overwritten", outs[i].path);
    LqStudy *study = NULL;
    LqResult *result = NULL;
    LqError err = {0};
    LqRunOptions run = cli->run;
    int rc = lq_study_open(path, &cli->open, &study, &err);
    if (rc == LQ_OK) {
        const LqStudyInfo *in = lq_study_info(study);
        if (verbose) say("%s: %u frames %ux%u, measuring", path, in->frames, in->cols, in->rows);
        if (in->timing == LQ_TIMING_NONE && in->frames > 1)
            say("%s: no frame time or pullback rate; positions are frame numbers (give --pullback-rate)", path);
        rc = apply_choices(cli, study, &run, &err);
    }
    if (rc == LQ_OK) rc = lq_study_measure(study, &run, &result, &err);
    int code = 0;
    if (rc == LQ_OK && ((code = make_dir(cli->png_dir)) || (code = make_dir(cli->out_dir)))) {
        lq_result_free(&result);
        lq_study_close(&study);
        return code;
    }
    if (rc == LQ_OK) rc = lq_report_write(study, result, cli->format, cli->output, &err);
    if (rc == LQ_OK) rc = write_outputs(study, result, outs, n_outs, &err);
    if (rc == LQ_OK && cli->summary_csv) rc = lq_report_append_summary_csv(study, result, cli->summary_csv, &err);
    if (rc != LQ_OK) {
        say("%s", err.message);
    } else if (!lq_result_summary(result)->ok) {
        /* The report was written and says why; the exit status says it too. */
        say("%s: not measured: %s", path, lq_result_summary(result)->problem);
        rc = LQ_ERR_DATA;
    }
    lq_result_free(&result);
    lq_study_close(&study);
    return lq_exit_code(rc);
}

/* A CT point as LPS mm (voxel indices through the volume's geometry). */
static void point_mm(const LqVolume *v, const PointSpec *p, double out[3])
{
    if (!p->is_voxel) {
        memcpy(out, p->v, 3 * sizeof *out);
        return;
    }
    lq_volume_to_patient(v, p->v, out);
}

static int cmd_ct(int argc, char **argv, Cli *cli)
{
    if (optind + 1 != argc) return usage_error("%s", "ct needs exactly one DIR (the CT series' folder or a DICOMDIR)");
    if (!cli->lesion_point.given || !cli->reference_point.given)
        return usage_error("%s", "ct needs --lesion-point (or --lesion-voxel) and --reference-point (or --reference-voxel)");
    const char *ivus_only = cli->pdf ? "--pdf" : cli->pdf_dicom ? "--pdf-dicom" : cli->summary_csv ? "--summary-csv" : NULL;
    if (ivus_only) return usage_error("%s is made for IVUS pullbacks, not for ct", ivus_only);
    const char *path = argv[optind];
    static Output outs[MAX_OUTPUTS];
    int n_outs;
    if (!plan_outputs(cli, 1, outs, &n_outs)) return usage_error("%s", "an output path is too long");
    LqVolume *v = NULL;
    LqCtResult *r = NULL;
    LqError err = {0};
    int rc = lq_volume_open(path, cli->series, &cli->open, &v, &err);
    if (rc == LQ_OK) {
        double lesion[3], reference[3];
        point_mm(v, &cli->lesion_point, lesion);
        point_mm(v, &cli->reference_point, reference);
        LqCtOptions o;
        lq_ct_options_default(&o);
        o.threshold_pct = cli->run.measure.threshold_pct;
        o.cpu_level = cli->run.cpu_level;
        if (verbose) say("%s: %u slices %ux%u, tracing the centreline", path, v->slices, v->cols, v->rows);
        rc = lq_ct_measure(v, lesion, reference, &o, &r, &err);
        if (rc == LQ_ERR_USAGE) { /* a point off the volume: name the folder */
            char msg[256];
            snprintf(msg, sizeof msg, "%.250s", err.message);
            snprintf(err.message, sizeof err.message, "%.200s: %s", path, msg);
        }
    }
    int code = 0;
    if (rc == LQ_OK && ((code = make_dir(cli->png_dir)) || (code = make_dir(cli->out_dir)))) {
        lq_ct_result_free(&r);
        lq_volume_free(&v);
        return code;
    }
    if (rc == LQ_OK) rc = lq_ct_report_write(v, r, cli->format, cli->output, &err);
    for (int i = 0; rc == LQ_OK && r->ok && i < n_outs; i++) {
        rc = lq_ct_report_write(v, r, outs[i].format, outs[i].path, &err);
        if (rc == LQ_OK && verbose) say("wrote %s", outs[i].path);
    }
    if (rc != LQ_OK) {
        say("%s", err.message);
    } else if (!r->ok) {
        say("%s: not measured: %s", path, r->problem);
        rc = LQ_ERR_DATA;
    }
    lq_ct_result_free(&r);
    lq_volume_free(&v);
    return lq_exit_code(rc);
}

static int cmd_hook(int argc, char **argv, Cli *cli)
{
    if (optind + 1 != argc) return usage_error("%s", "hook needs exactly one DIR (the received study)");
    HookOptions o = {&cli->open,    &cli->run,       cli->out_dir ? cli->out_dir : LQ_HOOK_DEFAULT_OUT,
                     cli->log,      cli->send_aet,   cli->send_host,
                     cli->send_port, cli->calling_aet};
    return lumenq_hook(argv[optind], &o);
}

int main(int argc, char **argv)
{
    Cli cli = {0};
    lq_open_options_default(&cli.open);
    lq_run_options_default(&cli.run);
    cli.format = LQ_REPORT_TEXT;
    if (argc >= 2 && argv[1][0] != '-') {
        cli.command = argv[1];
        argv++, argc--;
    }
    int rc = parse(argc, argv, &cli);
    if (rc >= 0) return rc;
    if (!cli.command) {
        usage(stderr);
        return 64;
    }
    if (strcmp(cli.command, "measure") == 0) return cmd_measure(argc, argv, &cli);
    if (strcmp(cli.command, "info") == 0) return cmd_info(argc, argv, &cli);
    if (strcmp(cli.command, "hook") == 0) return cmd_hook(argc, argv, &cli);
    if (strcmp(cli.command, "ct") == 0) return cmd_ct(argc, argv, &cli);
    return usage_error("unknown command '%s' (measure, info, ct or hook)", cli.command);
}
