/* libFuzzer target: the command-line parser, ranges and positions. The
 * bytes are split at NUL into the arguments after "lumenq" (the command
 * first, as a user types it); parsing must never crash or overflow, whatever
 * the arguments. Nothing is opened: only cli_parse(), the help it may ask
 * for and the frame/range parsers run. */
#include "cli.h"

#include <stdint.h>
#include <string.h>

#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[4096];
    if (size >= sizeof buf) size = sizeof buf - 1;
    memcpy(buf, data, size);
    buf[size] = 0;
    char *argv[MAX_ARGS + 3] = {"lumenq"};
    int argc = 1;
    for (char *p = buf; p < buf + size && argc < MAX_ARGS; p += strlen(p) + 1) argv[argc++] = p;
    argv[argc] = NULL;

    Cli cli;
    cli_init(&cli);
    cli.quiet = 1; /* usage errors are expected: keep the log readable */
    if (cli_parse(argc, argv, &cli) == CLI_HELP) {
        FILE *sink = fopen("/dev/null", "w");
        if (sink) cli_print_help(sink, cli.command), fclose(sink);
    }

    for (int i = 1; i < argc; i++) {
        FrameSpec f;
        RangeSpec r;
        cli_parse_frame_spec(argv[i], 0, &f);
        cli_parse_frame_spec(argv[i], 1, &f);
        cli_parse_range_spec(argv[i], &r);
        LqReportFormat fmt;
        lq_report_format_from_name(argv[i], &fmt);
        lq_metric_from_name(argv[i]);
        lq_vein_from_name(argv[i]);
        lq_cpu_level_from_name(argv[i]);
    }
    return 0;
}
