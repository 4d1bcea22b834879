/* `lumenq ct DIR`: iliac vein compression on a CT venography series. */
#include "commands.h"

#include <string.h>

/* A CT point as LPS mm (voxel indices through the volume's geometry). */
static void point_mm(const LqVolume *v, const PointSpec *p, double out[3])
{
    if (!p->is_voxel) {
        memcpy(out, p->v, 3 * sizeof *out);
        return;
    }
    lq_volume_to_patient(v, p->v, out);
}

int cmd_ct(const Cli *cli)
{
    if (cli->n_args != 1)
        return cli_usage_error(cli, "%s", "ct needs exactly one DIR (the CT series' folder or a DICOMDIR)");
    if (!cli->lesion_point.given || !cli->reference_point.given)
        return cli_usage_error(cli, "%s",
                               "ct needs --lesion-point (or --lesion-voxel) and --reference-point"
                               " (or --reference-voxel)");
    const char *path = cli->args[0];
    static Output outs[MAX_OUTPUTS];
    int n_outs;
    if (!plan_outputs(cli, 1, outs, &n_outs)) return cli_usage_error(cli, "%s", "an output path is too long");
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
        if (cli->verbose)
            cli_say(cli, "%s: %u slices %ux%u, tracing the centreline", path, v->slices, v->cols, v->rows);
        rc = lq_ct_measure(v, lesion, reference, &o, &r, &err);
        if (rc == LQ_ERR_USAGE) { /* a point off the volume: name the folder */
            char msg[256];
            snprintf(msg, sizeof msg, "%.250s", err.message);
            snprintf(err.message, sizeof err.message, "%.200s: %s", path, msg);
        }
    }
    int code = 0;
    if (rc == LQ_OK && (code = make_output_dirs(cli))) {
        lq_ct_result_free(&r);
        lq_volume_free(&v);
        return code;
    }
    if (rc == LQ_OK) rc = lq_ct_report_write(v, r, cli->format, cli->output, &err);
    for (int i = 0; rc == LQ_OK && r->ok && i < n_outs; i++) {
        rc = lq_ct_report_write(v, r, outs[i].format, outs[i].path, &err);
        if (rc == LQ_OK && cli->verbose) cli_say(cli, "wrote %s", outs[i].path);
    }
    if (rc != LQ_OK) {
        cli_say(cli, "%s", err.message);
    } else if (!r->ok) {
        cli_say(cli, "%s: not measured: %s", path, r->problem);
        rc = LQ_ERR_DATA;
    }
    lq_ct_result_free(&r);
    lq_volume_free(&v);
    return lq_exit_code(rc);
}

