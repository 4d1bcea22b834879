/* lumenq command-line tool: a client of the public API only. main picks the
 * command; cli.c parses its options, commands.h lists what runs it. */
#include "commands.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    static int (*const run[CLI_N_COMMANDS])(const Cli *) = {
        [CLI_MEASURE] = cmd_measure,
        [CLI_INFO] = cmd_info,
        [CLI_CT] = cmd_ct,
        [CLI_HOOK] = cmd_hook,
        [CLI_REVIEW] = cmd_review,
    };
    Cli cli;
    cli_init(&cli);
    switch (cli_parse(argc, argv, &cli)) {
    case CLI_USAGE_ERROR: return CLI_EXIT_USAGE;
    case CLI_HELP: cli_print_help(stdout, cli.command); return 0;
    case CLI_VERSION: printf("lumenq %s\n", LUMENQ_VERSION); return 0;
    case CLI_RUN: break;
    }
    if (cli.command == CLI_NO_COMMAND) {
        cli_print_help(stderr, CLI_NO_COMMAND);
        return CLI_EXIT_USAGE;
    }
    return run[cli.command](&cli);
}
