/* lumenq command-line tool: a client of the public API only. */
#include "lumenq/lumenq.h"

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
    OPT_LESION_FRAME,
    OPT_REFERENCE_RANGE,
    OPT_PULLBACK_FROM,
    OPT_CPU,
    OPT_THREADS,
};

typedef struct Option {
    const char *name;
    int id;          /* short option character or OPT_* */
    const char *arg; /* NULL: flag */
    const char *help;
} Option;

/* The single source of the options: parsing, --help and the man page test use it. */
static const Option options[] = {
    {"format", 'f', "text|json", "report format (default text)"},
    {"output", 'o', "FILE", "write the report to FILE, atomically (default: standard output)"},
    {"pixel-size", OPT_PIXEL_SIZE, "MM", "pixel size when the file has no calibration"},
    {"pullback-rate", OPT_PULLBACK_RATE, "MM_S", "pullback rate in mm/s (overrides the file)"},
    {"frame-time", OPT_FRAME_TIME, "MS", "time between frames in ms (overrides the file)"},
    {"threshold", OPT_THRESHOLD, "PCT", "diameter stenosis above PCT is significant (default 61)"},
    {"lesion-frame", OPT_LESION_FRAME, "N", "use frame N (1-based) as the lesion"},
    {"reference-range", OPT_REFERENCE_RANGE, "A-B", "use frames A to B (1-based) as the reference"},
    {"pullback-from", OPT_PULLBACK_FROM, "ivc|cfv", "where the pullback starts (default ivc: femoral access)"},
    {"cpu", OPT_CPU, "LEVEL", "scalar|sse2|sse41|avx2: highest SIMD level to use (default: best)"},
    {"threads", OPT_THREADS, "N", "worker threads (default: one per CPU); results do not depend on it"},
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
            "             70 internal error, 73 cannot create output, 74 I/O error.\n");
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

typedef struct Cli {
    const char *command;
    LqOpenOptions open;
    LqRunOptions run;
    LqReportFormat format;
    const char *output;
} Cli;

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
            if (lq_report_format_from_name(optarg, &cli->format) != LQ_OK)
                return usage_error("unknown format '%s' (text or json)", optarg);
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
        case OPT_LESION_FRAME:
            if (!parse_int(optarg, 1, 1000000, &lv)) return usage_error("--lesion-frame '%s' is not a frame number", optarg);
            cli->run.measure.lesion_frame = (int)lv - 1;
            break;
        case OPT_REFERENCE_RANGE: {
            long a, b;
            char buf[64], *dash;
            snprintf(buf, sizeof buf, "%s", optarg);
            dash = strchr(buf, '-');
            if (!dash) return usage_error("--reference-range '%s' is not A-B", optarg);
            *dash = 0;
            if (!parse_int(buf, 1, 1000000, &a) || !parse_int(dash + 1, 1, 1000000, &b) || b < a)
                return usage_error("--reference-range '%s' is not A-B with 1 <= A <= B", optarg);
            cli->run.measure.reference_first = (int)a - 1;
            cli->run.measure.reference_last = (int)b - 1;
            break;
        }
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
        if (in->timing != LQ_TIMING_NONE)
            printf("  Pullback         %.3f mm/s, frame time %.3f ms, %.3f mm/frame, frames %u-%u\n",
                   in->pullback_rate_mm_s, in->frame_time_ms, in->pullback_rate_mm_s * in->frame_time_ms / 1000.0,
                   in->pullback_start_frame + 1, in->pullback_stop_frame + 1);
        else
            printf("  Pullback         untimed (frame time %.3f ms, rate %.3f mm/s)\n", in->frame_time_ms,
                   in->pullback_rate_mm_s);
    }
    printf("  Measurable       %s%s%s\n", ok ? "yes" : "no", ok ? "" : ": ", ok ? "" : why);
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
            LqScan scan;
            rc = lq_scan(argv[i], &cli->open, &scan, &err);
            if (rc == LQ_OK) {
                printf("%s: %zu DICOM objects, %zu other files skipped\n", argv[i], scan.count, scan.skipped);
                for (size_t k = 0; k < scan.count; k++)
                    print_info(&scan.entries[k].info, scan.entries[k].measurable, scan.entries[k].why);
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
    LqScan scan;
    LqError err = {0};
    int rc = lq_scan(dir, &cli->open, &scan, &err);
    if (rc != LQ_OK) {
        say("%s", err.message);
        return lq_exit_code(rc);
    }
    size_t found = 0;
    char list[600] = "";
    for (size_t k = 0; k < scan.count; k++) {
        if (!scan.entries[k].pullback) continue;
        if (!found) snprintf(picked, len, "%s", scan.entries[k].info.path);
        if (found) append(list, sizeof list, ", ");
        append(list, sizeof list, scan.entries[k].info.path);
        found++;
    }
    int code = 0;
    if (found == 0) {
        say("%s: no measurable IVUS pullback (%zu DICOM objects, %zu other files)", dir, scan.count, scan.skipped);
        code = 65;
    } else if (found > 1) {
        say("%s: %zu pullbacks, measure one file: %s", dir, found, list);
        code = 64;
    }
    lq_scan_free(&scan);
    return code;
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
    struct stat in_st, out_st;
    if (cli->output && strcmp(cli->output, "-") != 0 && stat(path, &in_st) == 0 && stat(cli->output, &out_st) == 0 &&
        in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino)
        return usage_error("-o '%s' is the input file: input files are never overwritten", cli->output);
    LqStudy *study = NULL;
    LqResult *result = NULL;
    LqError err = {0};
    int rc = lq_study_open(path, &cli->open, &study, &err);
    if (rc == LQ_OK) {
        const LqStudyInfo *in = lq_study_info(study);
        if (verbose) say("%s: %u frames %ux%u, measuring", path, in->frames, in->cols, in->rows);
        if (in->timing == LQ_TIMING_NONE && in->frames > 1)
            say("%s: no frame time or pullback rate; positions are frame numbers (give --pullback-rate)", path);
        rc = lq_study_measure(study, &cli->run, &result, &err);
    }
    if (rc == LQ_OK) rc = lq_report_write(study, result, cli->format, cli->output, &err);
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
    return usage_error("unknown command '%s' (measure or info)", cli.command);
}
