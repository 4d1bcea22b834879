/* The output files of measure and ct. */
#include "commands.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static int add_output(Output *outs, int *n, LqReportFormat fmt, const char *dir, const char *name)
{
    if (*n >= MAX_OUTPUTS) return 0;
    int w = dir ? snprintf(outs[*n].path, sizeof outs[*n].path, "%s/%s", dir, name)
                : snprintf(outs[*n].path, sizeof outs[*n].path, "%s", name);
    if (w < 0 || (size_t)w >= sizeof outs[*n].path) return 0;
    outs[(*n)++].format = fmt;
    return 1;
}

/* A CT measurement has no PDF, and its per-row CSV is of sections. */
int plan_outputs(const Cli *cli, int ct, Output *outs, int *n)
{
    int ok = 1;
    *n = 0;
    if (cli->json) ok &= add_output(outs, n, LQ_REPORT_JSON, NULL, cli->json);
    if (cli->csv) ok &= add_output(outs, n, LQ_REPORT_CSV, NULL, cli->csv);
    if (cli->pdf) ok &= add_output(outs, n, LQ_REPORT_PDF, NULL, cli->pdf);
    if (cli->pdf_dicom) ok &= add_output(outs, n, LQ_REPORT_PDF_DICOM, NULL, cli->pdf_dicom);
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

static int make_output_dir(const Cli *cli, const char *dir)
{
    if (!dir) return 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        cli_say(cli, "%s: cannot create folder (%s)", dir, strerror(errno));
        return 73;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cli_say(cli, "%s: not a folder", dir);
        return 73;
    }
    return 0;
}

int make_output_dirs(const Cli *cli)
{
    int code = make_output_dir(cli, cli->png_dir);
    return code ? code : make_output_dir(cli, cli->out_dir);
}
