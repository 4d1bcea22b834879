/* CSV for scripts (docs/csv.md): one row per frame, and a summary CSV with
 * one row per study that many runs append to. RFC 4180 quoting; text fields
 * that a spreadsheet would run as a formula are prefixed with a quote. */
#include "report.h"

#include "internal.h"
#include "output.h"
#include "measure/measure.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static void text_cell(FILE *fp, const char *s)
{
    int formula = s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    if (!formula && !strpbrk(s, ",\"\n\r")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    if (formula) fputc('\'', fp);
    for (; *s; s++) {
        if (*s == '"') fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* A number, or an empty cell when it is not known. */
static void num_cell(FILE *fp, double v, int decimals)
{
    if (isfinite(v)) fprintf(fp, "%.*f", decimals, v);
}

static void frame_cell(FILE *fp, int index0)
{
    if (index0 >= 0) fprintf(fp, "%d", index0 + 1);
}

/* The narrowed segment (1-based) frame i lies in; an empty cell when none. */
static void segment_cell(FILE *fp, const LqSummary *s, size_t i)
{
    int held = s->ok ? lq_segment_holding(s, (int)i) : -1;
    if (held >= 0) fprintf(fp, "%d", held + 1);
}

/* The summary row's segments: "vein:verdict_pct" joined by ';'. */
static void segment_list_cell(FILE *fp, const LqSummary *s)
{
    for (int i = 0; s->ok && i < s->segment_count; i++)
        fprintf(fp, "%s%s:%.2f", i ? ";" : "", lq_site_name((LqSite)s->segments[i].site), s->segments[i].verdict_pct);
}

void lq_report_csv(FILE *fp, const LqStudy *study, const LqResult *r)
{
    const LqStudyInfo *in = lq_study_info(study);
    int timed = in->timing != LQ_TIMING_NONE;
    fputs("frame,position_mm,area_mm2,equiv_diameter_mm,min_diameter_mm,max_diameter_mm,eccentricity,"
          "confidence,valid,flags,segment\n", fp);
    for (size_t i = 0; i < r->n; i++) {
        const LqFrameMeasure *m = &r->frames[i];
        double nan = NAN;
        fprintf(fp, "%zu,", i + 1);
        num_cell(fp, timed ? m->position_mm : nan, 3);
        fputc(',', fp);
        num_cell(fp, m->valid ? m->shape.area_mm2 : nan, 3);
        fputc(',', fp);
        num_cell(fp, m->valid ? m->shape.equiv_diameter_mm : nan, 3);
        fputc(',', fp);
        num_cell(fp, m->valid ? m->shape.min_feret_mm : nan, 3);
        fputc(',', fp);
        num_cell(fp, m->valid ? m->shape.max_feret_mm : nan, 3);
        fputc(',', fp);
        num_cell(fp, m->valid ? m->shape.eccentricity : nan, 3);
        fputc(',', fp);
        num_cell(fp, m->confidence, 3);
        char flags[128];
        lq_frame_flags(r, i, flags, sizeof flags, ';');
        fprintf(fp, ",%d,%s,", m->valid ? 1 : 0, flags);
        segment_cell(fp, &r->summary, i);
        fputc('\n', fp);
    }
}

static const char summary_header[] =
    "file,patient_name,patient_id,study_date,study_instance_uid,sop_instance_uid,ok,problem,"
    "verdict_metric,verdict_pct,threshold_pct,significant,diameter_stenosis_pct,area_stenosis_pct,"
    "equiv_diameter_stenosis_pct,lesion_method,lesion_frame,lesion_position_mm,mla_mm2,mld_mm,"
    "lesion_length_mm,reference_method,reference_first,reference_last,reference_area_mm2,"
    "reference_diameter_mm,dynamic,dynamic_variation_pct,stent_diameters_mm,stent_length_mm,"
    "low_confidence_frames,frames,lumenq_version,segments,segment_list,dynamic_source,dynamic_verdict,held_still_variation_pct,"
    "breathing_period_s,breathing_cycles,compare_shift_mm,compare_mla_change_pct\n";

/* The dynamic verdict and its evidence (docs/csv.md, docs/measurements.md "Dynamic lesions"). */
static void dynamics_cells(FILE *fp, const LqResult *r)
{
    const LqDynamics *d = lq_result_dynamics(r);
    const LqTimeCourse *c = &d->course;
    const LqComparison *k = &d->comparison;
    fprintf(fp, ",%s,", lq_dynamic_source_name(d->source));
    if (d->source != LQ_DYNAMIC_FROM_NONE) fprintf(fp, "%d", d->dynamic);
    fputc(',', fp);
    num_cell(fp, d->has_course && c->judged ? c->variation_pct : NAN, 1);
    fputc(',', fp);
    num_cell(fp, d->has_course && c->period_s > 0 ? c->period_s : NAN, 2);
    fputc(',', fp);
    if (d->has_course && c->judged) fprintf(fp, "%d", c->cycles);
    fputc(',', fp);
    num_cell(fp, d->has_comparison && k->correlation != 0 ? k->shift_mm : NAN, 2);
    fputc(',', fp);
    num_cell(fp, d->has_comparison && k->judged ? k->change_pct : NAN, 1);
}

static void summary_row(FILE *fp, const LqStudy *study, const LqResult *r)
{
    const LqStudyInfo *in = lq_study_info(study);
    const LqSummary *s = &r->summary;
    int ok = s->ok, timed = in->timing != LQ_TIMING_NONE;
    const char *ids[] = {in->path, in->patient_name, in->patient_id, in->study_date, in->study_instance_uid,
                         in->sop_instance_uid};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        text_cell(fp, ids[i]);
        fputc(',', fp);
    }
    fprintf(fp, "%d,", ok);
    text_cell(fp, s->problem);
    fprintf(fp, ",%s,", lq_metric_name(s->metric));
    num_cell(fp, ok ? s->verdict_pct : NAN, 2);
    fprintf(fp, ",%.1f,%d,", s->threshold_pct, ok && s->significant);
    num_cell(fp, ok ? s->diameter_stenosis_pct : NAN, 2);
    fputc(',', fp);
    num_cell(fp, ok ? s->area_stenosis_pct : NAN, 2);
    fputc(',', fp);
    num_cell(fp, ok ? s->equiv_diameter_stenosis_pct : NAN, 2);
    fprintf(fp, ",%s,", lq_method_name(s->lesion_method));
    frame_cell(fp, ok ? s->lesion_frame : -1);
    fputc(',', fp);
    num_cell(fp, ok && timed ? s->lesion_position_mm : NAN, 2);
    fputc(',', fp);
    num_cell(fp, ok ? s->mla_mm2 : NAN, 2);
    fputc(',', fp);
    num_cell(fp, ok ? s->mld_mm : NAN, 3);
    fputc(',', fp);
    num_cell(fp, ok && timed && s->lesion_first >= 0 ? s->lesion_length_mm : NAN, 2);
    fprintf(fp, ",%s,", lq_method_name(s->reference_method));
    frame_cell(fp, s->reference_area_mm2 > 0 ? s->reference_first : -1);
    fputc(',', fp);
    frame_cell(fp, s->reference_area_mm2 > 0 ? s->reference_last : -1);
    fputc(',', fp);
    num_cell(fp, s->reference_area_mm2 > 0 ? s->reference_area_mm2 : NAN, 2);
    fputc(',', fp);
    num_cell(fp, s->reference_area_mm2 > 0 ? s->reference_diameter_mm : NAN, 3);
    fputc(',', fp);
    if (ok && s->dynamic_checked) fprintf(fp, "%d", s->dynamic);
    fputc(',', fp);
    num_cell(fp, ok && s->dynamic_checked ? s->dynamic_variation_pct : NAN, 1);
    fputc(',', fp);
    for (int i = 0; ok && i < s->stent_size_count; i++) fprintf(fp, "%s%d", i ? ";" : "", s->stent_sizes_mm[i]);
    fputc(',', fp);
    if (ok && s->stent_length_mm) fprintf(fp, "%d", s->stent_length_mm);
    fprintf(fp, ",%d,%zu,%s,%d,", s->low_confidence_frames, r->n, LUMENQ_VERSION, ok ? s->segment_count : 0);
    segment_list_cell(fp, s);
    dynamics_cells(fp, r);
    fputc('\n', fp);
}

/* The existing file's bytes (NULL, 0 when it does not exist). */
static int slurp(const char *path, char **data, size_t *len, LqError *err)
{
    *data = NULL, *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        if (errno == ENOENT) return LQ_OK;
        return lq_fail(err, LQ_ERR_CREATE, "%s: cannot read the summary CSV (%s)", path, strerror(errno));
    }
    size_t cap = 0;
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        if (*len + got + 1 > cap) {
            cap = (*len + got + 1) * 2;
            char *grown = realloc(*data, cap);
            if (!grown) {
                fclose(fp), free(*data), *data = NULL;
                return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path);
            }
            *data = grown;
        }
        memcpy(*data + *len, buf, got);
        *len += got;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(*data), *data = NULL;
        return lq_fail(err, LQ_ERR_IO, "%s: read failed", path);
    }
    return LQ_OK;
}

int lq_report_append_summary_csv(const LqStudy *study, const LqResult *r, const char *path, LqError *err)
{
    /* The lock is on the folder: the file itself is replaced by rename. */
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (strlen(path) >= sizeof dir) return lq_fail(err, LQ_ERR_CREATE, "%s: path too long", path);
    if (slash == path) snprintf(dir, sizeof dir, "/");
    else if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    else snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return lq_fail(err, LQ_ERR_CREATE, "%s: cannot open its folder (%s)", path, strerror(errno));
    if (flock(dfd, LOCK_EX) != 0) {
        int e = errno;
        close(dfd);
        return lq_fail(err, LQ_ERR_CREATE, "%s: cannot lock its folder (%s)", path, strerror(e));
    }
    char *old = NULL;
    size_t old_len = 0;
    int rc = slurp(path, &old, &old_len, err);
    if (rc == LQ_OK && old_len &&
        (old_len < sizeof summary_header - 1 || memcmp(old, summary_header, sizeof summary_header - 1) != 0))
        rc = lq_fail(err, LQ_ERR_CREATE, "%s: exists with other columns (not a lumenq %s summary CSV); "
                                          "use a new file", path, LUMENQ_VERSION);
    LqOutput out;
    if (rc == LQ_OK) rc = lq_output_open(&out, path, err);
    if (rc == LQ_OK) {
        if (old_len) {
            fwrite(old, 1, old_len, out.fp);
            if (old[old_len - 1] != '\n') fputc('\n', out.fp);
        } else {
            fputs(summary_header, out.fp);
        }
        summary_row(out.fp, study, r);
        rc = lq_output_commit(&out, err);
    }
    free(old);
    flock(dfd, LOCK_UN);
    close(dfd);
    return rc;
}
