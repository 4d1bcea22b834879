#include "report.h"

#include "internal.h"
#include "output.h"
#include "dicom_write.h"
#include "measure/measure.h"
#include "review/edits.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct Reporter {
    const char *name;
    LqReportFormat format;
    void (*write)(FILE *fp, const LqStudy *study, const LqResult *r);   /* cannot fail */
    int (*render)(FILE *fp, LqStudy *study, const LqResult *r, LqError *err); /* decodes frames */
} Reporter;

static const Reporter reporters[] = {
    {"text", LQ_REPORT_TEXT, lq_report_text, NULL},
    {"json", LQ_REPORT_JSON, lq_report_json, NULL},
    {"csv", LQ_REPORT_CSV, lq_report_csv, NULL},
    {"pdf", LQ_REPORT_PDF, NULL, lq_report_pdf},
    {"lesion-png", LQ_REPORT_LESION_PNG, NULL, lq_report_lesion_png},
    {"reference-png", LQ_REPORT_REFERENCE_PNG, NULL, lq_report_reference_png},
    {"profile-png", LQ_REPORT_PROFILE_PNG, NULL, lq_report_profile_png},
    {"pdf-dicom", LQ_REPORT_PDF_DICOM, NULL, NULL}, /* written by path: write_pdf_dicom() */
    {"sr", LQ_REPORT_SR, NULL, NULL},               /* written by path: write_sr() */
    {"dynamics-png", LQ_REPORT_DYNAMICS_PNG, NULL, lq_report_dynamics_png},
};
#define N_REPORTERS (sizeof reporters / sizeof reporters[0])

int lq_report_format_from_name(const char *name, LqReportFormat *fmt)
{
    for (size_t i = 0; i < N_REPORTERS; i++)
        if (name && strcmp(name, reporters[i].name) == 0) {
            *fmt = reporters[i].format;
            return LQ_OK;
        }
    return LQ_ERR_USAGE;
}

int lq_write_dicom_output(const char *source_uid, const char *path, const char *purpose, LqDicomWriter write,
                          void *ctx, LqError *err)
{
    if (!path || strcmp(path, "-") == 0) return lq_fail(err, LQ_ERR_USAGE, "a DICOM object needs a file name");
    LqOutput out;
    int rc = lq_output_open(&out, path, err);
    if (rc != LQ_OK) return rc;
    char target[4200], msg[300] = "";
    fflush(out.fp);
    if (out.is_special) snprintf(target, sizeof target, "%s", path);
    else if (out.unnamed) snprintf(target, sizeof target, "/proc/self/fd/%d", fileno(out.fp));
    else snprintf(target, sizeof target, "%s", out.tmp);
    char series[65], sop[65], series_purpose[32];
    snprintf(series_purpose, sizeof series_purpose, "%s-series", purpose);
    lq_derived_uid(source_uid, series_purpose, series);
    lq_derived_uid(source_uid, purpose, sop);
    rc = write(target, series, sop, ctx, msg, sizeof msg);
    if (rc != LQ_OK) {
        lq_output_abort(&out);
        return lq_fail(err, rc, "%s: %s", path, msg);
    }
    return lq_output_commit(&out, err);
}

typedef struct PdfJob {
    const LqStudyInfo *in;
    const char *pdf;
    size_t len;
} PdfJob;

static int pdf_writer(const char *target, const char *series, const char *sop, void *ctx, char *msg, size_t msg_len)
{
    const PdfJob *j = ctx;
    return lq_dicom_write_encapsulated_pdf(j->in->path, (const uint8_t *)j->pdf, j->len, series, sop, target, msg,
                                           msg_len);
}

/* The one-page PDF wrapped as a DICOM Encapsulated PDF. */
static int write_pdf_dicom(LqStudy *study, const LqResult *r, const char *path, LqError *err)
{
    char *pdf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&pdf, &len);
    if (!mem) return lq_fail(err, LQ_ERR_INTERNAL, "%s: out of memory", path ? path : "-");
    int rc = lq_report_pdf(mem, study, r, err);
    if (fclose(mem) != 0 && rc == LQ_OK) rc = lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    PdfJob job = {lq_study_info(study), pdf, len};
    if (rc == LQ_OK) rc = lq_write_dicom_output(job.in->sop_instance_uid, path, "pdf", pdf_writer, &job, err);
    free(pdf);
    return rc;
}

typedef struct SrJob {
    const char *source;
    const LqSrValues *v;
} SrJob;

static int sr_writer(const char *target, const char *series, const char *sop, void *ctx, char *msg, size_t msg_len)
{
    const SrJob *j = ctx;
    return lq_dicom_write_sr(j->source, j->v, series, sop, target, msg, msg_len);
}

int lq_write_sr_output(const char *source_path, const char *source_uid, const char *purpose, const LqSrValues *v,
                       const char *path, LqError *err)
{
    SrJob job = {source_path, v};
    return lq_write_dicom_output(source_uid, path, purpose, sr_writer, &job, err);
}

typedef struct IvusSrJob {
    const char *source;
    const LqSrValues *v;
    const LqSrIvus *g;
} IvusSrJob;

static int ivus_sr_writer(const char *target, const char *series, const char *sop, void *ctx, char *msg,
                          size_t msg_len)
{
    const IvusSrJob *j = ctx;
    return lq_dicom_write_sr_ivus(j->source, j->v, j->g, series, sop, target, msg, msg_len);
}

/* Every narrowed segment for the SR's groups (docs/sr.md); returns how many. */
static unsigned sr_segments(const LqSummary *s, int timed, LqSrSegment *out, char (*against)[64])
{
    for (int i = 0; i < s->segment_count; i++) {
        const LqSegment *g = &s->segments[i];
        int own = g->reference != LQ_SEGMENT_REF_STUDY;
        if (g->reference == LQ_SEGMENT_REF_IVC)
            snprintf(against[i], 64, "the IVC, frames %d-%d", s->ivc_reference_first + 1, s->ivc_reference_last + 1);
        else
            snprintf(against[i], 64, "%s", own ? "the published normal IVC" : "the study's reference");
        out[i] = (LqSrSegment){g->site, (unsigned)i + 1, (unsigned)g->first + 1, (unsigned)g->last + 1,
                               (unsigned)g->mla_frame + 1, g->mla_mm2, g->mld_mm, timed ? g->length_mm : NAN,
                               g->diameter_stenosis_pct, g->area_stenosis_pct, g->equiv_diameter_stenosis_pct,
                               own ? g->reference_area_mm2 : NAN, own ? g->reference_diameter_mm : NAN, against[i]};
    }
    return (unsigned)s->segment_count;
}

/* The measurement as a DICOM Structured Report (TID 1500, docs/sr.md). */
/* The dynamic verdict from a recording held still or a second pullback, as
 * one line for the SR, and the other recording's file (NULL: this one). */
static int sr_dynamics(const LqResult *r, char *buf, size_t len, const char **path)
{
    const LqDynamics *d = &r->dynamics;
    *path = NULL;
    if (d->source == LQ_DYNAMIC_FROM_STATIONARY || d->source == LQ_DYNAMIC_FROM_PAUSE) {
        snprintf(buf, len, "dynamics from %s (%.1f s held still, %d breathing cycle%s): area variation %.0f %% "
                           "(max - min)/max, %s the threshold %.0f %%: %s",
                 d->source == LQ_DYNAMIC_FROM_PAUSE ? "a pause of the pullback at the lesion" : "a stationary recording",
                 d->course.duration_s, d->course.cycles, d->course.cycles == 1 ? "" : "s", d->course.variation_pct,
                 d->dynamic ? "above" : "not above", d->course.threshold_pct, d->dynamic ? "dynamic" : "not dynamic");
        if (r->stationary_attached) *path = d->course_path;
        return 1;
    }
    if (d->source == LQ_DYNAMIC_FROM_COMPARE) {
        snprintf(buf, len, "dynamics from a second pullback (aligned %+.1f mm): MLA %.1f and %.1f mm2, change %.0f %% "
                           "(max - min)/max, %s the threshold %.0f %%: %s",
                 d->comparison.shift_mm, d->comparison.mla_mm2, d->comparison.other_mla_mm2, d->comparison.change_pct,
                 d->dynamic ? "above" : "not above", d->comparison.threshold_pct, d->dynamic ? "dynamic" : "not dynamic");
        *path = d->comparison.path;
        return 1;
    }
    return 0;
}

static int write_sr(LqStudy *study, const LqResult *r, const char *path, LqError *err)
{
    const LqSummary *s = &r->summary;
    const LqStudyInfo *in = lq_study_info(study);
    if (!s->ok) return lq_fail(err, LQ_ERR_DATA, "%s: no structured report: not measured (%s)", path, s->problem);
    int timed = in->timing != LQ_TIMING_NONE, own_reference = s->reference_first >= 0;
    char sentence[160], verdict[240], method[600], device[65];
    lq_verdict_text(sentence, sizeof sentence, LQ_VERDICT_SAYS_THRESHOLD, s->significant, lq_metric_phrase(s->metric),
                    s->verdict_pct, s->threshold_pct);
    snprintf(verdict, sizeof verdict, "%s%s", sentence,
             r->dynamics.dynamic ? "; the lesion looks dynamic (not for stenting without checking)" : "");
    snprintf(method, sizeof method, "lesion: %s, frame %d%s; reference: %s%s%s", lq_method_name(s->lesion_method),
             s->lesion_frame + 1,
             s->lesion_method == LQ_METHOD_AUTO ? " (minimal lumen area proximal to the EIV)" : "",
             lq_method_name(s->reference_method),
             own_reference ? ", frames of this pullback" : ": ", own_reference ? "" : s->reference_note);
    lq_derived_uid("lumenq", "device", device);
    const LqSrValues values = {s->mla_mm2, s->mld_mm, s->lesion_max_diameter_mm,
                      timed && s->lesion_first >= 0 ? s->lesion_length_mm : NAN, s->reference_area_mm2,
                      s->reference_diameter_mm, s->diameter_stenosis_pct, s->area_stenosis_pct,
                      s->equiv_diameter_stenosis_pct, (unsigned)s->lesion_frame + 1,
                      own_reference ? (unsigned)s->reference_first + 1 : 0,
                      own_reference ? (unsigned)s->reference_last + 1 : 0, verdict, method, device,
                      NULL, NULL, NULL, NULL, NULL, NULL};
    /* the contours of the lesion and reference frames, the calipers, the sites */
    int own = own_reference ? s->reference_last - s->reference_first + 1 : 0;
    LqSrRoi *rois = calloc((size_t)own + 1, sizeof *rois);
    LqSrIvus g = {in->pixel_dx_mm, in->pixel_dy_mm, rois, 0, {0}, {0}, 0, r->site,
                  s->reference_method == LQ_METHOD_AUTO ? LQ_SITE_EIV : LQ_SITE_UNKNOWN, NULL, NULL, 0, NULL, NULL};
    if (!rois) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    for (int k = -1; k < own; k++) {
        size_t f = (size_t)(k < 0 ? s->lesion_frame : s->reference_first + k);
        const LqContour *c = &r->contours[f];
        if (!r->frames[f].valid || c->n < 3) continue;
        LqSrRoi *roi = &rois[g.roi_count++];
        *roi = (LqSrRoi){(unsigned)f + 1, k < 0, c->n, c->xy_mm, r->frames[f].shape.area_mm2, ""};
        char purpose[32];
        snprintf(purpose, sizeof purpose, "roi-%zu", f + 1);
        lq_derived_uid(in->sop_instance_uid, purpose, roi->tracking_uid);
    }
    g.has_calipers = lq_result_calipers(r, (size_t)s->lesion_frame, g.mld_caliper_mm, g.max_caliper_mm) == LQ_OK;
    LqSrSegment segments[LQ_MAX_SEGMENTS];
    char against[LQ_MAX_SEGMENTS][64];
    g.segments = segments;
    g.segment_count = sr_segments(s, timed, segments, against);
    char edits[480];
    if (r->edits) {
        char what[240];
        lq_edits_summary(r->edits, what, sizeof what);
        snprintf(edits, sizeof edits, "reader's edits by %s, %s: %s", r->edits->reader[0] ? r->edits->reader : "(no name)",
                 r->edits->time, what);
        g.edits = edits;
    }
    char dynamics[400];
    if (sr_dynamics(r, dynamics, sizeof dynamics, &g.dynamics_path)) g.dynamics = dynamics;
    /* an SR with a reader's edits says something else: another instance,
     * the same one for the same edits (who and when) */
    char purpose[200] = "sr";
    if (r->edits) snprintf(purpose, sizeof purpose, "sr edited by %.100s at %.31s", r->edits->reader, r->edits->time);
    IvusSrJob job = {in->path, &values, &g};
    int rc = lq_write_dicom_output(in->sop_instance_uid, path, purpose, ivus_sr_writer, &job, err);
    free(rois);
    return rc;
}

int lq_report_write(LqStudy *study, const LqResult *r, LqReportFormat fmt, const char *path, LqError *err)
{
    if (fmt == LQ_REPORT_PDF_DICOM) return write_pdf_dicom(study, r, path, err);
    if (fmt == LQ_REPORT_SR) return write_sr(study, r, path, err);
    const Reporter *rep = NULL;
    for (size_t i = 0; i < N_REPORTERS; i++)
        if (reporters[i].format == fmt) rep = &reporters[i];
    if (!rep) return lq_fail(err, LQ_ERR_USAGE, "unknown report format %d", (int)fmt);
    LqOutput out;
    int rc = lq_output_open(&out, path, err);
    if (rc != LQ_OK) return rc;
    if (rep->write) {
        rep->write(out.fp, study, r);
    } else if ((rc = rep->render(out.fp, study, r, err)) != LQ_OK) {
        lq_output_abort(&out);
        if (err && path && strcmp(path, "-") != 0) {
            char msg[sizeof err->message];
            memcpy(msg, err->message, sizeof msg);
            lq_fail(err, rc, "%s: %s", path, msg);
        }
        return rc;
    }
    return lq_output_commit(&out, err);
}

const char *lq_method_name(LqMethod m)
{
    static const char *const names[] = {"auto", "user", "external", "normal"};
    return (unsigned)m < sizeof names / sizeof names[0] ? names[m] : "?";
}

void lq_verdict_text(char *buf, size_t len, unsigned style, int significant, const char *measure, double pct,
                     double threshold_pct)
{
    const char *finding = style & LQ_VERDICT_CT    ? (significant ? "COMPRESSION" : "no significant compression")
                          : significant            ? "SIGNIFICANT"
                          : style & LQ_VERDICT_CAPITALISED ? "Not significant"
                                                   : "not significant";
    const char *op = significant ? ">" : style & LQ_VERDICT_TYPESET ? "\xe2\x89\xa4" : "<=";
    snprintf(buf, len, "%s: %s %.1f %% %s %s%.0f %%", finding, measure, pct, op,
             style & LQ_VERDICT_SAYS_THRESHOLD ? "threshold " : "", threshold_pct);
}

const char *lq_metric_phrase(LqMetric m)
{
    static const char *const phrases[] = {"diameter stenosis", "area stenosis", "equivalent-diameter stenosis"};
    return (unsigned)m < sizeof phrases / sizeof phrases[0] ? phrases[m] : "?";
}

double lq_frame_stenosis_pct(const LqSummary *s, const LqFrameMeasure *m, LqMetric metric)
{
    if (!(s->reference_area_mm2 > 0) || !m->valid) return NAN;
    LqStenosis st = lq_stenosis(m->shape.area_mm2, m->shape.min_feret_mm, s->reference_area_mm2, s->reference_diameter_mm);
    return lq_stenosis_pct(&st, metric);
}

static int within(size_t i, int a, int b) { return a >= 0 && (long)i >= a && (long)i <= b; }

/* A frame of this pullback where the catheter stood still at the lesion (a
 * pause) or of a stationary recording measured alone. */
static int held_still(const LqResult *r, size_t i)
{
    const LqDynamics *d = &r->dynamics;
    return d->has_course && !r->stationary_attached && within(i, d->course.first, d->course.last);
}

void lq_frame_flags(const LqResult *r, size_t i, char *buf, size_t len, char sep)
{
    const LqSummary *s = &r->summary;
    const LqFrameMeasure *m = &r->frames[i];
    const LqFlag flags[] = {
        {s->ok && (long)i == s->lesion_frame, "lesion"},
        {s->ok && within(i, s->lesion_first, s->lesion_last), "lesion-segment"},
        {s->reference_area_mm2 > 0 && within(i, s->reference_first, s->reference_last), "reference"},
        {m->valid && m->confidence < r->low_confidence, "low-confidence"},
        {!m->valid, "no-contour"},
        {i < r->pullback_first || i > r->pullback_last, "outside-pullback"},
        {held_still(r, i), "held-still"},
    };
    lq_join_flags(flags, sizeof flags / sizeof flags[0], buf, len, sep);
}

void lq_join_flags(const LqFlag *flags, size_t n, char *buf, size_t len, char sep)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t k = 0; k < n; k++) {
        if (!flags[k].on) continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? (char[2]){sep, 0} : "", flags[k].name);
        if (w < 0 || (size_t)w >= len - used) return;
        used += (size_t)w;
    }
}
