/* The lumenq command line: one table of commands, one table of options
 * tagged with the commands that accept them; parsing, the per-command scope
 * check and every help text come from these two tables. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct Command {
    const char *name;
    const char *synopsis; /* after "lumenq NAME " */
    const char *summary;  /* one or more lines */
    const char *operands; /* what FILE or DIR may be; NULL: nothing to add */
} Command;

static const Command commands[CLI_N_COMMANDS] = {
    [CLI_MEASURE] = {"measure", "FILE [options]", "measure venous stenosis on an IVUS pullback",
                     "FILE may be a folder (searched recursively) or a DICOMDIR; measure then takes\n"
                     "the folder's one IVUS pullback, a multi-frame file or a series exported one\n"
                     "file per frame.\n"},
    [CLI_INFO] = {"info", "FILE...", "describe DICOM files and what lumenq will use",
                  "FILE may be a folder (searched recursively) or a DICOMDIR.\n"},
    [CLI_CT] = {"ct", "DIR --lesion-point X,Y,Z --reference-point X,Y,Z [options]",
                "measure iliac vein compression on a CT venography series", NULL},
    [CLI_HOOK] = {"hook", "DIR [--out OUT] [--log FILE] [--send AET@HOST:PORT]",
                  "measure every IVUS pullback of a received study (PACS hook)\n"
                  "into OUT/<study UID>/<instance UID>/ (default OUT: " CLI_HOOK_DEFAULT_OUT ")",
                  NULL},
    [CLI_REVIEW] = {"review", "FILE|DIR --out DIR [--reader NAME] [--port N] [--bind ADDR] [--sr FILE [--send AET@HOST:PORT]]",
                    "review and correct the contours in a browser (127.0.0.1 by default);\n"
                    "Save writes DIR/edits.json and the outputs again",
                    "FILE may be a folder (searched recursively) or a DICOMDIR with one IVUS pullback.\n"},
};

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
    OPT_MAX_JOBS,
    OPT_LESION_POINT,
    OPT_REFERENCE_POINT,
    OPT_LESION_VOXEL,
    OPT_REFERENCE_VOXEL,
    OPT_SERIES,
    OPT_EDITS,
    OPT_SITE,
    OPT_PORT,
    OPT_BIND,
    OPT_READER,
    OPT_COMPARE,
    OPT_STATIONARY,
    OPT_DYNAMIC_THRESHOLD,
};

/* The commands an option is accepted by. */
#define ON_MEASURE (1u << CLI_MEASURE)
#define ON_INFO (1u << CLI_INFO)
#define ON_CT (1u << CLI_CT)
#define ON_HOOK (1u << CLI_HOOK)
#define ON_REVIEW (1u << CLI_REVIEW)
#define ON_ANY ((1u << CLI_N_COMMANDS) - 1) /* CLI_NO_COMMAND too */

typedef struct Option {
    const char *name;
    int id;          /* short option character or OPT_* */
    const char *arg; /* NULL: flag */
    unsigned commands;
    const char *help;
} Option;

/* The single source of the options: parsing, every --help and the man page
 * test use it. An option whose meaning differs between commands has one
 * entry per meaning (same name and id, other commands). Each option is
 * tagged with the commands whose code paths use its value. */
static const Option options[] = {
    {"format", 'f', "text|json|csv", ON_MEASURE | ON_CT,
     "format of the report on standard output or -o (default text)"},
    {"output", 'o', "FILE", ON_MEASURE | ON_CT, "write that report to FILE, atomically (default: standard output)"},
    {"json", OPT_JSON, "FILE", ON_MEASURE | ON_CT, "also write the JSON report to FILE"},
    {"csv", OPT_CSV, "FILE", ON_MEASURE, "also write one CSV row per frame to FILE"},
    {"csv", OPT_CSV, "FILE", ON_CT, "also write one CSV row per cross-section to FILE"},
    {"summary-csv", OPT_SUMMARY_CSV, "FILE", ON_MEASURE,
     "append one row for this study to FILE (created with a header)"},
    {"png", OPT_PNG, "DIR", ON_MEASURE, "write lesion.png, reference.png, profile.png (and dynamics.png) into DIR"},
    {"png", OPT_PNG, "DIR", ON_CT, "write lesion.png, reference.png and profile.png into DIR"},
    {"pdf", OPT_PDF, "FILE", ON_MEASURE, "write the PDF report to FILE (one page; a second with the lumen over time when held still)"},
    {"pdf-dicom", OPT_PDF_DICOM, "FILE", ON_MEASURE,
     "write that PDF as a DICOM Encapsulated PDF in the study (a new series)"},
    {"sr", OPT_SR, "FILE", ON_MEASURE | ON_CT | ON_REVIEW,
     "write the measurements as a DICOM Structured Report (TID 1500) in the study"},
    {"out", OPT_OUT, "DIR", ON_MEASURE,
     "write every output into DIR: report.txt, report.json, frames.csv, report.pdf and the PNGs"},
    {"out", OPT_OUT, "DIR", ON_CT, "write every output into DIR: report.txt, report.json, sections.csv and the PNGs"},
    {"out", OPT_OUT, "DIR", ON_REVIEW,
     "Save writes edits.json, report.txt, report.json, frames.csv, report.pdf and the PNGs into DIR"},
    {"reader", OPT_READER, "NAME", ON_REVIEW, "who reviews: recorded in edits.json and the reports"},
    {"port", OPT_PORT, "N", ON_REVIEW, "the review page's port (default 0: a free one)"},
    {"bind", OPT_BIND, "ADDR", ON_REVIEW,
     "the address to listen on (default 127.0.0.1; another exposes patient data to that network)"},
    {"out", OPT_OUT, "OUT", ON_HOOK,
     "write the outputs into OUT/<study UID>/<instance UID>/ (default " CLI_HOOK_DEFAULT_OUT ")"},
    {"log", OPT_LOG, "FILE", ON_HOOK, "append the log lines to FILE (default: standard error)"},
    {"send", OPT_SEND, "AET@HOST:PORT", ON_HOOK, "send the SR and the DICOM PDF to that node (C-STORE)"},
    {"send", OPT_SEND, "AET@HOST:PORT", ON_REVIEW, "Save sends the SR (--sr) to that node too (C-STORE)"},
    {"calling-aet", OPT_CALLING_AET, "AET", ON_HOOK | ON_REVIEW, "our AE title when sending (default LUMENQ)"},
    {"pixel-size", OPT_PIXEL_SIZE, "MM", ON_MEASURE | ON_INFO | ON_CT | ON_HOOK | ON_REVIEW,
     "pixel size when the file has no calibration"},
    {"pullback-rate", OPT_PULLBACK_RATE, "MM_S", ON_MEASURE | ON_INFO | ON_HOOK | ON_REVIEW,
     "pullback rate in mm/s (overrides the file)"},
    {"frame-time", OPT_FRAME_TIME, "MS", ON_MEASURE | ON_INFO | ON_HOOK | ON_REVIEW,
     "time between frames in ms (overrides the file)"},
    {"threshold", OPT_THRESHOLD, "PCT", ON_MEASURE | ON_CT | ON_HOOK | ON_REVIEW, "stenosis above PCT is significant (default 61)"},
    {"metric", OPT_METRIC, "diameter|area|eqdiameter", ON_MEASURE | ON_HOOK | ON_REVIEW,
     "stenosis the verdict uses (default diameter: %DS)"},
    {"lesion-frame", OPT_LESION_FRAME, "N|Xmm", ON_MEASURE,
     "use frame N (1-based), or the frame at X mm, as the lesion"},
    {"lesion-at", OPT_LESION_AT, "Xmm", ON_MEASURE, "use the frame at position X mm as the lesion"},
    {"lesion-range", OPT_LESION_RANGE, "A-B", ON_MEASURE,
     "search the lesion (minimal area) in frames A-B only (or A-Bmm)"},
    {"reference-frame", OPT_REFERENCE_FRAME, "N|Xmm", ON_MEASURE, "use that one frame as the reference"},
    {"reference-range", OPT_REFERENCE_RANGE, "A-B", ON_MEASURE, "use frames A-B (or positions A-Bmm) as the reference"},
    {"reference-file", OPT_REFERENCE_FILE, "F[:A-B]", ON_MEASURE,
     "take the reference from another pullback F (its frames A-B)"},
    {"reference-normal", OPT_REFERENCE_NORMAL, "eiv|civ|cfv", ON_MEASURE | ON_HOOK,
     "use Raju's normal value for that vein as the reference"},
    {"pullback-from", OPT_PULLBACK_FROM, "ivc|cfv", ON_MEASURE | ON_HOOK | ON_REVIEW,
     "where the pullback starts (default ivc: femoral access)"},
    {"site", OPT_SITE, "civ|eiv|cfv|ivc", ON_MEASURE | ON_REVIEW,
     "the lesion's vein, the SR's finding site (default: the file's Anatomic Region Sequence)"},
    {"stationary", OPT_STATIONARY, "F", ON_MEASURE,
     "judge dynamics from F, a recording held still at the lesion (a folder finds it itself)"},
    {"compare", OPT_COMPARE, "F2", ON_MEASURE,
     "judge dynamics from F2, the same vein pulled back in another respiratory phase or position"},
    {"dynamic-threshold", OPT_DYNAMIC_THRESHOLD, "PCT", ON_MEASURE | ON_HOOK,
     "the lesion is dynamic when its area varies by more than PCT held still or between pullbacks (default 30)"},
    {"edits", OPT_EDITS, "FILE", ON_MEASURE | ON_REVIEW,
     "apply a reader's edits (edits.json: contours, lesion, reference) before reporting"},
    {"lesion-point", OPT_LESION_POINT, "X,Y,Z", ON_CT,
     "the lesion, patient coordinates in mm (LPS, as DICOM viewers show)"},
    {"reference-point", OPT_REFERENCE_POINT, "X,Y,Z", ON_CT, "the reference (normal vein), LPS mm"},
    {"lesion-voxel", OPT_LESION_VOXEL, "I,J,K", ON_CT,
     "the lesion as column, row, slice (0-based; slices in position order)"},
    {"reference-voxel", OPT_REFERENCE_VOXEL, "I,J,K", ON_CT, "the reference as column, row, slice"},
    {"series", OPT_SERIES, "UID", ON_CT, "the CT series to use (default: the one with the most slices)"},
    {"cpu", OPT_CPU, "LEVEL", ON_MEASURE | ON_CT | ON_HOOK | ON_REVIEW,
     "scalar|sse2|sse41|avx2: highest SIMD level to use (default: best)"},
    {"threads", OPT_THREADS, "N", ON_MEASURE | ON_HOOK | ON_REVIEW,
     "worker threads (default: one per CPU); results do not depend on it"},
    {"max-frames", OPT_MAX_FRAMES, "N", ON_MEASURE | ON_HOOK,
     "refuse files of more frames (default 20000; 0: no limit)"},
    {"max-pixels", OPT_MAX_PIXELS, "N", ON_MEASURE | ON_HOOK,
     "refuse frames of more pixels, rows x columns (default 4194304)"},
    {"max-memory", OPT_MAX_MEMORY, "MIB", ON_MEASURE | ON_HOOK,
     "refuse a measurement estimated above MIB MiB (default 1024)"},
    {"time-limit", OPT_TIME_LIMIT, "S", ON_MEASURE, "stop a measurement after S seconds (default: none)"},
    {"time-limit", OPT_TIME_LIMIT, "S", ON_HOOK, "stop measuring a pullback after S seconds (default 300; 0: no limit)"},
    {"max-jobs", OPT_MAX_JOBS, "N", ON_HOOK,
     "measure at most N pullbacks at once under OUT, others wait (default: CPUs, memory)"},
    /* the hook logs to its own log: quiet would silence only usage errors */
    {"quiet", 'q', NULL, ON_MEASURE | ON_INFO | ON_CT | ON_REVIEW, "print no messages on standard error"},
    {"verbose", 'v', NULL, ON_MEASURE | ON_CT | ON_REVIEW, "print progress messages on standard error"},
    {"help", 'h', NULL, ON_ANY, "print this help and exit"},
    {"version", 'V', NULL, ON_ANY, "print the version and exit"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

const char *cli_command_name(CliCommand command)
{
    return command > CLI_NO_COMMAND && command < CLI_N_COMMANDS ? commands[command].name : "lumenq";
}

static int accepts(const Option *o, CliCommand command)
{
    return (o->commands >> command) & 1u;
}

/* The entry of option `id` for that command; NULL when the command does not take it. */
static const Option *option_for(int id, CliCommand command)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].id == id && accepts(&options[i], command)) return &options[i];
    return NULL;
}

/* The first entry of option `id`, or NULL for no option. */
static const Option *first_entry(int id)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].id == id) return &options[i];
    return NULL;
}

static int command_takes(CliCommand command, int id)
{
    return option_for(id, command) != NULL;
}

/* Whether the help of `command` shows option `id` (the global help shows them all). */
static int help_mentions(CliCommand command, int id)
{
    return command == CLI_NO_COMMAND ? first_entry(id) != NULL : command_takes(command, id);
}

void cli_init(Cli *cli)
{
    memset(cli, 0, sizeof *cli);
    lq_open_options_default(&cli->open);
    lq_run_options_default(&cli->run);
    cli->format = LQ_REPORT_TEXT;
}

void cli_say(const Cli *cli, const char *fmt, ...)
{
    if (cli->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("lumenq: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void print_usage_error(const Cli *cli, const char *fmt, va_list ap)
{
    if (cli->quiet) return;
    fputs("lumenq: ", stderr);
    vfprintf(stderr, fmt, ap);
    if (cli->command == CLI_NO_COMMAND)
        fputs(" (see lumenq --help)\n", stderr);
    else
        fprintf(stderr, " (see lumenq %s --help)\n", cli_command_name(cli->command));
}

int cli_usage_error(const Cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_usage_error(cli, fmt, ap);
    va_end(ap);
    return CLI_EXIT_USAGE;
}

/* The parser's way to stop on a usage error. */
static CliAction __attribute__((format(printf, 2, 3))) refuse(const Cli *cli, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_usage_error(cli, fmt, ap);
    va_end(ap);
    return CLI_USAGE_ERROR;
}

/* ------------------------------------------------------------------ help */

static void print_option(FILE *fp, const Option *o, int with_commands)
{
    char left[64];
    if (o->id < 256)
        snprintf(left, sizeof left, "-%c, --%s%s%s", o->id, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    else
        snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    fprintf(fp, "  %-30s ", left);
    if (with_commands && o->commands != ON_ANY) {
        const char *sep = "";
        for (int c = CLI_NO_COMMAND + 1; c < CLI_N_COMMANDS; c++) {
            if (!accepts(o, (CliCommand)c)) continue;
            fprintf(fp, "%s%s", sep, commands[c].name);
            sep = ", ";
        }
        fputs(": ", fp);
    }
    fprintf(fp, "%s\n", o->help);
}

/* A command's usage line and summary, the summary from column 40. */
static void print_usage_line(FILE *fp, const char *lead, CliCommand c)
{
    char line[160];
    snprintf(line, sizeof line, "%slumenq %s %s", lead, commands[c].name, commands[c].synopsis);
    const char *summary = commands[c].summary;
    if (strlen(line) < 39)
        fprintf(fp, "%-40s", line);
    else
        fprintf(fp, "%s\n%40s", line, "");
    for (const char *nl; (nl = strchr(summary, '\n')); summary = nl + 1)
        fprintf(fp, "%.*s\n%40s", (int)(nl - summary), summary, "");
    fprintf(fp, "%s\n", summary);
}

static void print_footer(FILE *fp, CliCommand command)
{
    fputc('\n', fp);
    if (help_mentions(command, OPT_CPU))
        fputs("Environment: LUMENQ_CPU=scalar|sse2|sse41|avx2 lowers the SIMD level like --cpu.\n", fp);
    fputs("Exit status: 0 ok, 64 usage error, 65 bad or unmeasurable data, 66 cannot open input,\n"
          "             70 internal error, 73 cannot create output, 74 I/O error,\n",
          fp);
    if (help_mentions(command, OPT_MAX_FRAMES))
        fputs("             75 a resource limit reached (--max-frames, --max-pixels, --max-memory,"
              " --time-limit).\n", fp);
    else
        fputs("             75 a resource limit reached.\n", fp);
}

void cli_print_help(FILE *fp, CliCommand command)
{
    if (command != CLI_NO_COMMAND) {
        print_usage_line(fp, "Usage: ", command);
        if (commands[command].operands) fputs(commands[command].operands, fp);
        fputs("\nOptions:\n", fp);
        for (size_t i = 0; i < N_OPTIONS; i++)
            if (accepts(&options[i], command)) print_option(fp, &options[i], 0);
        print_footer(fp, command);
        return;
    }
    for (int c = CLI_NO_COMMAND + 1; c < CLI_N_COMMANDS; c++)
        print_usage_line(fp, c == CLI_NO_COMMAND + 1 ? "Usage: " : "       ", (CliCommand)c);
    fputs(commands[CLI_MEASURE].operands, fp);
    fputs("       lumenq COMMAND --help            the options of that command\n"
          "       lumenq --help | --version\n\n"
          "Options (each command takes only the options that name it):\n",
          fp);
    for (size_t i = 0; i < N_OPTIONS; i++) print_option(fp, &options[i], 1);
    print_footer(fp, command);
}

/* --------------------------------------------------------------- values */

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

int cli_parse_frame_spec(const char *s, int mm_only, FrameSpec *out)
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

int cli_parse_range_spec(const char *s, RangeSpec *out)
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
    if (!cli_parse_frame_spec(fa, 0, &x) || !cli_parse_frame_spec(fb, 0, &y)) return 0;
    if (!mm && y.value < x.value) return 0;
    *out = (RangeSpec){1, mm, x.value, y.value};
    return 1;
}

/* "AET@HOST:PORT" into its parts (aet and host point into buf); 0 if malformed. */
static int parse_node(const char *text, char *buf, size_t len, const char **aet, const char **host, unsigned *port)
{
    if (strlen(text) >= len) return 0;
    snprintf(buf, len, "%s", text);
    char *at = strchr(buf, '@'), *colon = strrchr(buf, ':');
    if (!at || !colon || colon < at || at == buf || at - buf > 16 || colon == at + 1) return 0;
    *at = 0, *colon = 0;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 1 || p > 65535) return 0;
    *aet = buf, *host = at + 1, *port = (unsigned)p;
    return 1;
}

/* One option's value into the settings; CLI_RUN to go on. */
static CliAction set_option(Cli *cli, int id, const char *arg)
{
    long lv;
    double dv;
    switch (id) {
    case 'f':
        if (lq_report_format_from_name(arg, &cli->format) != LQ_OK || cli->format > LQ_REPORT_CSV)
            return refuse(cli, "unknown format '%s' (text, json or csv)", arg);
        break;
    case 'o': cli->output = arg; break;
    case OPT_PIXEL_SIZE:
        if (!parse_double(arg, 1e-4, 5.0, &dv)) return refuse(cli, "--pixel-size '%s' is not in 0.0001-5 mm", arg);
        cli->open.pixel_size_mm = dv;
        break;
    case OPT_PULLBACK_RATE:
        if (!parse_double(arg, 1e-3, 100.0, &dv))
            return refuse(cli, "--pullback-rate '%s' is not in 0.001-100 mm/s", arg);
        cli->open.pullback_rate_mm_s = dv;
        break;
    case OPT_FRAME_TIME:
        if (!parse_double(arg, 1e-3, 1e5, &dv)) return refuse(cli, "--frame-time '%s' is not in 0.001-100000 ms", arg);
        cli->open.frame_time_ms = dv;
        break;
    case OPT_THRESHOLD:
        if (!parse_double(arg, 0.0, 100.0, &dv)) return refuse(cli, "--threshold '%s' is not in 0-100 %%", arg);
        cli->run.measure.threshold_pct = dv;
        break;
    case OPT_METRIC: {
        int m = lq_metric_from_name(arg);
        if (m < 0) return refuse(cli, "--metric '%s' is not diameter, area or eqdiameter", arg);
        cli->run.measure.metric = (LqMetric)m;
        break;
    }
    case OPT_LESION_FRAME:
        if (!cli_parse_frame_spec(arg, 0, &cli->lesion_frame))
            return refuse(cli, "--lesion-frame '%s' is not a frame number or a position in mm", arg);
        break;
    case OPT_LESION_AT:
        if (!cli_parse_frame_spec(arg, 1, &cli->lesion_frame))
            return refuse(cli, "--lesion-at '%s' is not a position like 42.5mm", arg);
        break;
    case OPT_LESION_RANGE:
        if (!cli_parse_range_spec(arg, &cli->lesion_range))
            return refuse(cli, "--lesion-range '%s' is not A-B with 1 <= A <= B (or A-Bmm)", arg);
        break;
    case OPT_REFERENCE_FRAME: {
        FrameSpec f;
        if (!cli_parse_frame_spec(arg, 0, &f))
            return refuse(cli, "--reference-frame '%s' is not a frame number or a position in mm", arg);
        cli->reference_range = (RangeSpec){1, f.is_mm, f.value, f.value};
        break;
    }
    case OPT_REFERENCE_RANGE:
        if (!cli_parse_range_spec(arg, &cli->reference_range))
            return refuse(cli, "--reference-range '%s' is not A-B with 1 <= A <= B (or A-Bmm)", arg);
        break;
    case OPT_REFERENCE_FILE: {
        /* F or F:A-B; a colon not followed by a range belongs to the name */
        snprintf(cli->reference_file, sizeof cli->reference_file, "%s", arg);
        char *colon = strrchr(cli->reference_file, ':');
        if (colon && cli_parse_range_spec(colon + 1, &cli->reference_file_range)) *colon = 0;
        if (!cli->reference_file[0]) return refuse(cli, "--reference-file '%s' names no file", arg);
        break;
    }
    case OPT_REFERENCE_NORMAL: {
        int v = lq_vein_from_name(arg);
        if (v < 0) return refuse(cli, "--reference-normal '%s' is not eiv, civ or cfv", arg);
        cli->run.measure.reference_normal = v;
        break;
    }
    case OPT_JSON: cli->json = arg; break;
    case OPT_CSV: cli->csv = arg; break;
    case OPT_SUMMARY_CSV: cli->summary_csv = arg; break;
    case OPT_PNG: cli->png_dir = arg; break;
    case OPT_PDF: cli->pdf = arg; break;
    case OPT_PDF_DICOM: cli->pdf_dicom = arg; break;
    case OPT_SR: cli->sr = arg; break;
    case OPT_EDITS: cli->edits = arg; break;
    case OPT_READER:
        if (strlen(arg) > 127) return refuse(cli, "--reader '%s' is longer than 127 bytes", arg);
        cli->reader = arg;
        break;
    case OPT_PORT:
        if (!parse_int(arg, 0, 65535, &lv)) return refuse(cli, "--port '%s' is not in 0-65535", arg);
        cli->port = (unsigned)lv;
        break;
    case OPT_BIND:
        cli->bind = arg;
        break;
    case OPT_COMPARE: cli->compare = arg; break;
    case OPT_STATIONARY: cli->stationary = arg; break;
    case OPT_DYNAMIC_THRESHOLD:
        if (!parse_double(arg, 0.0, 100.0, &dv) || !(dv > 0 && dv < 100))
            return refuse(cli, "--dynamic-threshold '%s' is not between 0 and 100 %%", arg);
        cli->run.measure.dynamic_threshold_pct = dv;
        break;
    case OPT_SITE:
        cli->site = lq_site_from_name(arg);
        if (cli->site < 0) return refuse(cli, "--site '%s' is not civ, eiv, cfv or ivc", arg);
        break;
    case OPT_LOG: cli->log = arg; break;
    case OPT_SEND:
        if (!parse_node(arg, cli->send_buf, sizeof cli->send_buf, &cli->send_aet, &cli->send_host, &cli->send_port))
            return refuse(cli, "--send '%s' is not AET@HOST:PORT", arg);
        break;
    case OPT_CALLING_AET:
        if (!*arg || strlen(arg) > 16) return refuse(cli, "--calling-aet '%s' is not 1-16 characters", arg);
        cli->calling_aet = arg;
        break;
    case OPT_OUT: cli->out_dir = arg; break;
    case OPT_PULLBACK_FROM:
        if (strcmp(arg, "ivc") == 0) cli->run.measure.pullback_from_cfv = 0;
        else if (strcmp(arg, "cfv") == 0) cli->run.measure.pullback_from_cfv = 1;
        else return refuse(cli, "--pullback-from '%s' is neither ivc nor cfv", arg);
        break;
    case OPT_CPU: {
        int level = lq_cpu_level_from_name(arg);
        if (level < 0) return refuse(cli, "--cpu '%s' is not scalar, sse2, sse41, avx2 or neon", arg);
        cli->run.cpu_level = level;
        break;
    }
    case OPT_THREADS:
        if (!parse_int(arg, 1, 256, &lv)) return refuse(cli, "--threads '%s' is not in 1-256", arg);
        cli->run.threads = (int)lv;
        break;
    case OPT_MAX_FRAMES:
        if (!parse_int(arg, 0, 10000000, &lv)) return refuse(cli, "--max-frames '%s' is not a count", arg);
        cli->run.max_frames = (unsigned)lv;
        break;
    case OPT_MAX_PIXELS:
        if (!parse_int(arg, 0, 1000000000, &lv)) return refuse(cli, "--max-pixels '%s' is not a count", arg);
        cli->run.max_pixels = (unsigned)lv;
        break;
    case OPT_MAX_MEMORY:
        if (!parse_int(arg, 0, 10000000, &lv)) return refuse(cli, "--max-memory '%s' is not a number of MiB", arg);
        cli->run.max_memory_mib = (unsigned)lv;
        break;
    case OPT_TIME_LIMIT:
        if (!parse_double(arg, 0.0, 1e7, &dv)) return refuse(cli, "--time-limit '%s' is not a number of seconds", arg);
        cli->run.time_limit_s = dv, cli->time_limit_given = 1;
        break;
    case OPT_MAX_JOBS:
        if (!parse_int(arg, 1, 1024, &lv)) return refuse(cli, "--max-jobs '%s' is not in 1-1024", arg);
        cli->max_jobs = (unsigned)lv;
        break;
    case OPT_LESION_POINT:
    case OPT_LESION_VOXEL:
        if (!parse_point(arg, id == OPT_LESION_VOXEL, &cli->lesion_point))
            return refuse(cli,
                          id == OPT_LESION_VOXEL ? "--lesion-voxel '%s' is not I,J,K (whole numbers)"
                                                 : "--lesion-point '%s' is not X,Y,Z in mm",
                          arg);
        break;
    case OPT_REFERENCE_POINT:
    case OPT_REFERENCE_VOXEL:
        if (!parse_point(arg, id == OPT_REFERENCE_VOXEL, &cli->reference_point))
            return refuse(cli,
                          id == OPT_REFERENCE_VOXEL ? "--reference-voxel '%s' is not I,J,K (whole numbers)"
                                                    : "--reference-point '%s' is not X,Y,Z in mm",
                          arg);
        break;
    case OPT_SERIES:
        if (!*arg || strlen(arg) > 64) return refuse(cli, "--series '%s' is not a UID", arg);
        cli->series = arg;
        break;
    case 'q': cli->quiet = 1; break;
    case 'v': cli->verbose = 1; break;
    case 'h': return CLI_HELP;
    case 'V': return CLI_VERSION;
    }
    return CLI_RUN;
}

static CliCommand command_from_name(const char *name)
{
    for (int c = CLI_NO_COMMAND + 1; c < CLI_N_COMMANDS; c++)
        if (strcmp(name, commands[c].name) == 0) return (CliCommand)c;
    return CLI_NO_COMMAND;
}

CliAction cli_parse(int argc, char **argv, Cli *cli)
{
    if (argc >= 2 && argv[1][0] != '-') {
        cli->command = command_from_name(argv[1]);
        if (cli->command == CLI_NO_COMMAND)
            return refuse(cli, "unknown command '%s' (measure, info, ct, hook or review)", argv[1]);
        argv++, argc--;
    }
    /* getopt knows every option, each name once, so that an option of
     * another command is named as such rather than as unknown */
    struct option longs[N_OPTIONS + 1];
    char shorts[2 * N_OPTIONS + 1];
    size_t nl = 0, ns = 0;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        if (first_entry(options[i].id) != &options[i]) continue;
        longs[nl++] = (struct option){options[i].name, options[i].arg ? required_argument : no_argument, NULL,
                                      options[i].id};
        if (options[i].id < 256) {
            shorts[ns++] = (char)options[i].id;
            if (options[i].arg) shorts[ns++] = ':';
        }
    }
    shorts[ns] = 0;
    longs[nl] = (struct option){0, 0, 0, 0};
    opterr = 0;
    optind = 0; /* glibc: a fresh scan on every call (the fuzz target parses many command lines) */
    for (;;) {
        int long_index = -1; /* stays -1 for a short option */
        int c = getopt_long(argc, argv, shorts, longs, &long_index);
        if (c == -1) break;
        if (!first_entry(c)) return refuse(cli, "unknown or incomplete option '%s'", argv[optind - 1]);
        if (!command_takes(cli->command, c)) {
            char name[40];
            if (long_index >= 0)
                snprintf(name, sizeof name, "--%s", longs[long_index].name);
            else
                snprintf(name, sizeof name, "-%c (--%s)", c, first_entry(c)->name);
            if (cli->command == CLI_NO_COMMAND)
                return refuse(cli, "%s is an option of a command: give the command first", name);
            return refuse(cli, "%s does not take %s", cli_command_name(cli->command), name);
        }
        CliAction action = set_option(cli, c, optarg);
        if (action != CLI_RUN) return action;
    }
    cli->args = argv + optind;
    cli->n_args = argc - optind;
    return CLI_RUN;
}

/* The run options for a second recording of a study (held still, or another
 * pullback): the pullback's measurement settings, none of its frame choices. */
static LqRunOptions second_recording_run(const LqRunOptions *pullback)
{
    LqRunOptions run = *pullback;
    lq_measure_settings_default(&run.measure);
    run.measure.threshold_pct = pullback->measure.threshold_pct;
    run.measure.metric = pullback->measure.metric;
    run.measure.pullback_from_cfv = pullback->measure.pullback_from_cfv;
    run.measure.low_confidence = pullback->measure.low_confidence;
    run.measure.dynamic_threshold_pct = pullback->measure.dynamic_threshold_pct;
    return run;
}

int cli_judge_from(LqStudy *study, const LqRunOptions *pullback, int compare, LqResult *result, LqError *err)
{
    LqResult *other = NULL;
    LqRunOptions run = second_recording_run(pullback);
    int rc = lq_study_measure(study, &run, &other, err);
    if (rc == LQ_OK)
        rc = compare ? lq_result_compare(result, study, other, err) : lq_result_judge_stationary(result, study, other, err);
    lq_result_free(&other);
    return rc;
}
