/* The lumenq command line: its commands, one table of options each tagged
 * with the commands that accept it, the parser and the help text made from
 * that table. Parsing opens no file; the fuzz target drives it as is. */
#ifndef LUMENQ_CLI_H
#define LUMENQ_CLI_H
#include "lumenq/lumenq.h"

#include <stdio.h>

typedef enum CliCommand {
    CLI_NO_COMMAND, /* `lumenq --help`, `lumenq --version` */
    CLI_MEASURE,
    CLI_INFO,
    CLI_CT,
    CLI_HOOK,
    CLI_REVIEW,
    CLI_N_COMMANDS
} CliCommand;

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

typedef struct Cli {
    CliCommand command;
    char **args; /* the operands (FILE, DIR), after the options */
    int n_args;
    int quiet, verbose;
    LqOpenOptions open;
    LqRunOptions run;
    int time_limit_given; /* the hook's default limit applies only without --time-limit */
    unsigned max_jobs;    /* hook: measurements at once under OUT (0: the default for the machine) */
    LqReportFormat format;
    const char *output;
    FrameSpec lesion_frame;
    RangeSpec lesion_range, reference_range, reference_file_range;
    char reference_file[1024];
    const char *json, *csv, *summary_csv, *png_dir, *pdf, *pdf_dicom, *sr, *out_dir, *log;
    char send_buf[300];
    const char *send_aet, *send_host, *calling_aet;
    unsigned send_port;
    PointSpec lesion_point, reference_point;
    const char *series;
    const char *edits; /* edits.json to apply (measure --edits) */
    int site;          /* LqSite of the lesion (--site); 0: not given */
    const char *reader, *bind; /* review: who saves the edits, the address to listen on */
    unsigned port;     /* review: 0 picks a free port */
    const char *compare;    /* measure --compare F2: a second pullback of the same vein */
    const char *stationary; /* measure --stationary F: a recording held still at the lesion */
} Cli;

/* What the command line asks for once parsed. */
typedef enum CliAction {
    CLI_RUN,         /* run cli->command (CLI_NO_COMMAND: print the usage, exit 64) */
    CLI_HELP,        /* print the help of cli->command */
    CLI_VERSION,
    CLI_USAGE_ERROR, /* the one-line message is printed (unless quiet): exit 64 */
} CliAction;

#define CLI_EXIT_USAGE 64 /* sysexits EX_USAGE */
#define CLI_HOOK_DEFAULT_OUT "lumenq-results"

/* Defaults of every setting. */
void cli_init(Cli *cli);
/* argv[0] is the program, argv[1] the command unless it starts with '-'.
 * Each command accepts only its own options: another one is a usage error
 * naming the option and the command. getopt_long permutes argv. */
CliAction cli_parse(int argc, char **argv, Cli *cli);
/* The help of one command (its usage, its options), or for CLI_NO_COMMAND
 * every command and every option with the commands that take it. */
void cli_print_help(FILE *fp, CliCommand command);
const char *cli_command_name(CliCommand command);

/* "12" (frame 12) or "42.5mm" (position); mm_only refuses frame numbers. */
int cli_parse_frame_spec(const char *s, int mm_only, FrameSpec *out);
/* "A-B": frame numbers, or positions when either end ends in mm ("40-60mm"). */
int cli_parse_range_spec(const char *s, RangeSpec *out);

/* A message on standard error, "lumenq: " first, unless quiet. */
/* The pullback's lesion in `result` judged from a second recording `study`,
 * measured with those options: held still, or (compare) another pullback
 * aligned on the first. */
int cli_judge_from(LqStudy *study, const LqRunOptions *pullback, int compare, LqResult *result, LqError *err);
void cli_say(const Cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A usage error: one line pointing to the command's help (unless quiet); returns 64. */
int cli_usage_error(const Cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
