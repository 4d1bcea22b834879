/* The commands of lumenq (one file each) and what they share. */
#ifndef LUMENQ_COMMANDS_H
#define LUMENQ_COMMANDS_H
#include "cli.h"

/* Each returns the exit status (sysexits). */
int cmd_measure(const Cli *cli);
int cmd_info(const Cli *cli);
int cmd_ct(const Cli *cli);
int cmd_hook(const Cli *cli);
int cmd_review(const Cli *cli);

/* A folder, or a DICOMDIR (read as the file set it indexes). */
int is_collection(const char *path);

/* A file the options ask for besides the main report. */
typedef struct Output {
    LqReportFormat format;
    char path[4096];
} Output;

#define MAX_OUTPUTS 16

/* Every file the options ask for (the main report, stdout or -o, apart);
 * ct: the measurement of a CT series. 0 if a path is too long. */
int plan_outputs(const Cli *cli, int ct, Output *outs, int *n);
/* The pullback the operand names: the file, or a folder's (a DICOMDIR's) one
 * IVUS pullback copied into `picked`; NULL with *code the exit code after a message. */
const char *input_pullback(const Cli *cli, char *picked, size_t len, char *series_uid, size_t uid_len, int *code);
/* Writes the planned outputs; pictures that do not apply are skipped with a note. */
int write_outputs(const Cli *cli, LqStudy *study, const LqResult *result, const Output *outs, int n, LqError *err);
/* Creates the folders of --png and --out; 0, or exit 73 with a message. */
int make_output_dirs(const Cli *cli);
#endif
