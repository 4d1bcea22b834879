/* libFuzzer target: the command-line parser, ranges and positions. The
 * bytes are split at NUL into arguments after "lumenq measure"; parsing must
 * never crash or overflow, whatever the arguments. Nothing is opened: only
 * parse() and the frame/range parsers run. */
#include <stdint.h>
#include <string.h>

#define main lumenq_cli_main
#include "../tools/lumenq.c"
#undef main

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

    quiet = 1;
    optind = 0; /* glibc: reinitialise getopt for every input */
    Cli cli = {0};
    lq_open_options_default(&cli.open);
    lq_run_options_default(&cli.run);
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w"); /* --help and --version print */
    if (stdout) parse(argc, argv, &cli), fclose(stdout);
    stdout = saved;

    for (int i = 1; i < argc; i++) {
        FrameSpec f;
        RangeSpec r;
        parse_frame_spec(argv[i], 0, &f);
        parse_frame_spec(argv[i], 1, &f);
        parse_range_spec(argv[i], &r);
        LqReportFormat fmt;
        lq_report_format_from_name(argv[i], &fmt);
        lq_metric_from_name(argv[i]);
        lq_vein_from_name(argv[i]);
        lq_cpu_level_from_name(argv[i]);
    }
    return 0;
}
