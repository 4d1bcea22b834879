/* `lumenq measure FILE`: one IVUS pullback, measured and reported. */
#include "commands.h"

#include <string.h>
#include <sys/stat.h>

/* Appends `text` to `buf` (size `len`), cutting it if the buffer is full. */
static void append(char *buf, size_t len, const char *text)
{
    size_t used = strlen(buf), add = strlen(text);
    if (used + 1 >= len) return;
    if (add > len - used - 1) add = len - used - 1;
    memcpy(buf + used, text, add);
    buf[used + add] = 0;
}

/* A recording found in a folder: a multi-frame file, or a series of
 * single-frame images (series_uid set, "" otherwise). */
typedef struct Recording {
    char path[1024], series_uid[65], study_uid[65], sop_uid[65];
    int stationary;      /* held still: SELECTIVE, or no pullback rate beside a pullback that has one */
    double rate_mm_s;
    unsigned frames;
} Recording;

/* What a folder holds to measure: the pullback, and beside it in the same
 * study a stationary recording or a second pullback (docs/measurements.md,
 * "Dynamic lesions"). */
typedef struct Picked {
    Recording pullback, stationary, second;
    int has_stationary, has_second;
} Picked;

static void take(Recording *r, const LqStudyInfo *in, const char *path, const char *series_uid)
{
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->series_uid, sizeof r->series_uid, "%s", series_uid);
    snprintf(r->study_uid, sizeof r->study_uid, "%s", in->study_instance_uid);
    snprintf(r->sop_uid, sizeof r->sop_uid, "%s", in->sop_instance_uid);
    r->stationary = in->stationary;
    r->rate_mm_s = in->pullback_rate_mm_s;
    r->frames = in->frames;
}

/* The recordings in a folder: an IVUS pullback (a multi-frame file, or a
 * series of single-frame images), a stationary recording and a second
 * pullback of the same study beside it; else an exit code and a message. */
static int pick_recordings(const char *dir, const Cli *cli, Picked *out)
{
    LqScan *scan = NULL;
    LqError err = {0};
    memset(out, 0, sizeof *out);
    int rc = lq_scan(dir, &cli->open, &scan, &err);
    if (rc != LQ_OK) {
        cli_say(cli, "%s", err.message);
        return lq_exit_code(rc);
    }
    enum { MAX_RECORDINGS = 16 };
    Recording rec[MAX_RECORDINGS];
    size_t found = 0;
    char list[600] = "", unmeasurable[700] = "";
    for (size_t k = 0; k < scan->count; k++) {
        const LqScanEntry *e = &scan->entries[k];
        char name[1100];
        if (e->frame_series) { /* the whole series: one pullback, if every frame is measurable */
            size_t b = k, measurable = 0;
            for (; b < scan->count && scan->entries[b].frame_series &&
                   strcmp(scan->entries[b].info.series_instance_uid, e->info.series_instance_uid) == 0;
                 b++)
                measurable += scan->entries[b].measurable != 0;
            LqStudy *series = NULL;
            LqError why = {0};
            if (measurable == b - k &&
                lq_study_open_series(dir, e->info.series_instance_uid, &cli->open, &series, &why) != LQ_OK)
                measurable = 0; /* stills that do not make one pullback (other sizes, duplicates) */
            if (measurable < b - k) {
                if (!unmeasurable[0])
                    snprintf(unmeasurable, sizeof unmeasurable, "; series %s of %zu single-frame images: %.300s",
                             e->info.series_instance_uid, b - k, why.message[0] ? why.message : e->why);
                lq_study_close(&series);
                k = b - 1;
                continue;
            }
            snprintf(name, sizeof name, "series %s (%zu files)", e->info.series_instance_uid, b - k);
            if (found < MAX_RECORDINGS) take(&rec[found], lq_study_info(series), dir, e->info.series_instance_uid);
            lq_study_close(&series);
            k = b - 1;
        } else if (e->pullback) {
            snprintf(name, sizeof name, "%s", e->info.path);
            if (found < MAX_RECORDINGS) take(&rec[found], &e->info, e->info.path, "");
        } else {
            continue;
        }
        if (found) append(list, sizeof list, ", ");
        append(list, sizeof list, name);
        found++;
    }
    size_t objects = scan->count, skipped = scan->skipped;
    lq_scan_free(&scan);
    if (found == 0) {
        cli_say(cli, "%s: no measurable IVUS pullback (%zu DICOM objects, %zu other files)%s", dir, objects, skipped,
                unmeasurable);
        return 65;
    }
    /* beside a pullback that states its rate, a recording without one is held still */
    size_t n = found < MAX_RECORDINGS ? found : MAX_RECORDINGS, pullbacks = 0, stationary = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n && !rec[i].stationary; j++)
            if (j != i && !(rec[i].rate_mm_s > 0) && rec[j].rate_mm_s > 0 && !rec[j].stationary &&
                strcmp(rec[i].study_uid, rec[j].study_uid) == 0)
                rec[i].stationary = 1;
    for (size_t i = 0; i < n; i++) {
        if (rec[i].stationary) { /* the longest recording held still */
            if (!stationary++ || rec[i].frames > out->stationary.frames) out->stationary = rec[i];
        } else {
            if (pullbacks == 0) out->pullback = rec[i];
            else if (pullbacks == 1) out->second = rec[i];
            pullbacks++;
        }
    }
    out->has_stationary = stationary > 0 && pullbacks > 0 &&
                          strcmp(out->stationary.study_uid, out->pullback.study_uid) == 0;
    /* a second pullback of the same study, not a copy of the first */
    out->has_second = pullbacks == 2 && strcmp(out->second.study_uid, out->pullback.study_uid) == 0 &&
                      (strcmp(out->second.sop_uid, out->pullback.sop_uid) != 0 ||
                       strcmp(out->second.series_uid, out->pullback.series_uid) != 0);
    if (pullbacks == 0 && stationary == 1) { /* a stationary recording alone: its lumen over time */
        out->pullback = out->stationary, out->has_stationary = 0;
        return 0;
    }
    if (pullbacks == 0 || pullbacks > 2 || (pullbacks == 2 && !out->has_second) ||
        (stationary && !out->has_stationary)) {
        cli_say(cli, "%s: %zu %s, measure one file: %s", dir, found, stationary ? "recordings" : "pullbacks", list);
        return 64;
    }
    return 0;
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
    if (rc == LQ_OK && cli->verbose) cli_say(cli, "reference from %s", ms->external_reference_note);
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

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && strcmp(b, "-") != 0 && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Writes the extra outputs; pictures that do not apply are skipped with a note. */
int write_outputs(const Cli *cli, LqStudy *study, const LqResult *result, const Output *outs, int n, LqError *err)
{
    const LqSummary *s = lq_result_summary(result);
    for (int i = 0; i < n; i++) {
        if (outs[i].format == LQ_REPORT_LESION_PNG && !s->ok) {
            cli_say(cli, "%s not written: no lesion (not measured)", outs[i].path);
            continue;
        }
        if (outs[i].format == LQ_REPORT_DYNAMICS_PNG && !lq_result_dynamics(result)->has_course) {
            if (cli->verbose) cli_say(cli, "%s not written: no recording held still", outs[i].path);
            continue;
        }
        if (outs[i].format == LQ_REPORT_REFERENCE_PNG && (!(s->reference_area_mm2 > 0) || s->reference_first < 0)) {
            cli_say(cli, "%s not written: the reference is not a frame of this pullback (%s)", outs[i].path,
                s->reference_area_mm2 > 0 ? lq_method_name(s->reference_method) : "none");
            continue;
        }
        int rc = lq_report_write(study, result, outs[i].format, outs[i].path, err);
        if (rc != LQ_OK) return rc;
        if (cli->verbose) cli_say(cli, "wrote %s", outs[i].path);
    }
    return LQ_OK;
}

const char *input_pullback(const Cli *cli, char *picked, size_t len, char *series_uid, size_t uid_len, int *code)
{
    const char *path = cli->args[0];
    series_uid[0] = 0;
    if (!is_collection(path)) return path;
    Picked p;
    if ((*code = pick_recordings(path, cli, &p)) != 0) return NULL;
    snprintf(picked, len, "%s", p.pullback.path);
    snprintf(series_uid, uid_len, "%s", p.pullback.series_uid);
    return picked;
}

/* A second recording, measured with the pullback's settings but none of its
 * frame choices: a stationary one judges the lesion over time, a second
 * pullback is aligned on the first and its MLA compared. */
static int second_recording(const Cli *cli, const Recording *rec, int compare, LqResult *result, LqError *err)
{
    LqStudy *study = NULL;
    int rc = rec->series_uid[0] ? lq_study_open_series(rec->path, rec->series_uid, &cli->open, &study, err)
                                : lq_study_open(rec->path, &cli->open, &study, err);
    if (rc == LQ_OK && cli->verbose)
        cli_say(cli, "%s: %s, measuring", rec->path, compare ? "a second pullback" : "a recording held still");
    if (rc == LQ_OK) rc = cli_judge_from(study, &cli->run, compare, result, err);
    lq_study_close(&study);
    return rc;
}

/* dynamics.png beside the other pictures (written when frames were held still). */
static int plan_dynamics_png(const Cli *cli, Output *outs, int *n)
{
    const char *dirs[2] = {cli->png_dir, cli->out_dir};
    for (int d = 0; d < 2; d++) {
        if (!dirs[d]) continue;
        if (*n >= MAX_OUTPUTS) return 0;
        int w = snprintf(outs[*n].path, sizeof outs[*n].path, "%s/dynamics.png", dirs[d]);
        if (w < 0 || (size_t)w >= sizeof outs[*n].path) return 0;
        outs[(*n)++].format = LQ_REPORT_DYNAMICS_PNG;
    }
    return 1;
}

int cmd_measure(const Cli *cli)
{
    if (cli->n_args != 1) return cli_usage_error(cli, "%s", "measure needs exactly one FILE");
    Picked picked = {0};
    int code = 0;
    if (is_collection(cli->args[0]) && (code = pick_recordings(cli->args[0], cli, &picked)) != 0) return code;
    if (!is_collection(cli->args[0])) snprintf(picked.pullback.path, sizeof picked.pullback.path, "%s", cli->args[0]);
    if (cli->stationary) {
        memset(&picked.stationary, 0, sizeof picked.stationary);
        snprintf(picked.stationary.path, sizeof picked.stationary.path, "%s", cli->stationary);
        picked.has_stationary = 1;
    }
    if (cli->compare) {
        memset(&picked.second, 0, sizeof picked.second);
        snprintf(picked.second.path, sizeof picked.second.path, "%s", cli->compare);
        picked.has_second = 1;
    }
    const char *path = picked.pullback.path, *series_uid = picked.pullback.series_uid;
    static Output outs[MAX_OUTPUTS];
    int n_outs;
    if (!plan_outputs(cli, 0, outs, &n_outs) || !plan_dynamics_png(cli, outs, &n_outs))
        return cli_usage_error(cli, "%s", "an output path is too long");
    const char *others[] = {cli->output, cli->summary_csv};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (same_file(path, others[i]) || same_file(cli->edits, others[i]))
            return cli_usage_error(cli, "'%s' is the input file: input files are never overwritten", others[i]);
    for (int i = 0; i < n_outs; i++)
        if (same_file(path, outs[i].path) || (cli->reference_file[0] && same_file(cli->reference_file, outs[i].path)) ||
            same_file(cli->edits, outs[i].path))
            return cli_usage_error(cli, "'%s' is an input file: input files are never overwritten", outs[i].path);
    LqStudy *study = NULL;
    LqResult *result = NULL;
    LqEdits *edits = NULL;
    LqError err = {0};
    LqRunOptions run = cli->run;
    int rc = series_uid[0] ? lq_study_open_series(path, series_uid, &cli->open, &study, &err)
                           : lq_study_open(path, &cli->open, &study, &err);
    if (rc == LQ_OK) {
        const LqStudyInfo *in = lq_study_info(study);
        if (cli->verbose) cli_say(cli, "%s: %u frames %ux%u, measuring", path, in->frames, in->cols, in->rows);
        if (in->timing == LQ_TIMING_NONE && in->frames > 1 && !in->stationary)
            cli_say(cli, "%s: no frame time or pullback rate; positions are frame numbers (give --pullback-rate)",
                    path);
        rc = apply_choices(cli, study, &run, &err);
    }
    if (rc == LQ_OK && cli->edits) rc = lq_edits_read(cli->edits, &edits, &err);
    if (rc == LQ_OK) rc = lq_study_measure(study, &run, &result, &err);
    if (rc == LQ_OK && edits) rc = lq_result_apply_edits(result, study, &run.measure, edits, &err);
    if (rc == LQ_OK && picked.has_stationary) rc = second_recording(cli, &picked.stationary, 0, result, &err);
    if (rc == LQ_OK && picked.has_second) rc = second_recording(cli, &picked.second, 1, result, &err);
    if (rc == LQ_OK && cli->site) lq_result_set_site(result, (LqSite)cli->site);
    if (rc == LQ_OK && (code = make_output_dirs(cli))) {
        lq_result_free(&result);
        lq_edits_free(&edits);
        lq_study_close(&study);
        return code;
    }
    if (rc == LQ_OK) rc = lq_report_write(study, result, cli->format, cli->output, &err);
    if (rc == LQ_OK) rc = write_outputs(cli, study, result, outs, n_outs, &err);
    if (rc == LQ_OK && cli->summary_csv) rc = lq_report_append_summary_csv(study, result, cli->summary_csv, &err);
    if (rc != LQ_OK) {
        cli_say(cli, "%s", err.message);
    } else if (!lq_result_summary(result)->ok) {
        /* The report was written and says why; the exit status says it too. */
        cli_say(cli, "%s: not measured: %s", path, lq_result_summary(result)->problem);
        rc = LQ_ERR_DATA;
    }
    lq_result_free(&result);
    lq_edits_free(&edits);
    lq_study_close(&study);
    return lq_exit_code(rc);
}

