/* JSON report, schema documented in docs/json.md (schema_version 3). */
#include "report.h"

#include "internal.h"

#include <math.h>
#include <string.h>

void lq_json_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(fp, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(fp, "\\u%04x", *p);
        else
            fputc(*p, fp);
    }
    fputc('"', fp);
}

void lq_json_number(FILE *fp, double v, int decimals)
{
    if (isfinite(v))
        fprintf(fp, "%.*f", decimals, v);
    else
        fputs("null", fp);
}

static void key(FILE *fp, const char *k) { fprintf(fp, "\"%s\": ", k); }

/* `sep` then "name": value */
static void field(FILE *fp, const char *sep, const char *name, double v, int decimals)
{
    fputs(sep, fp);
    key(fp, name);
    lq_json_number(fp, v, decimals);
}

static void frame_or_null(FILE *fp, int index0)
{
    if (index0 >= 0)
        fprintf(fp, "%d", index0 + 1);
    else
        fputs("null", fp);
}

/* "edits": what the reader changed (lq_result_apply_edits), or null. */
static void edits_json(FILE *fp, const LqResult *r)
{
    const LqEdits *e = r->edits;
    fprintf(fp, "  \"edits\": ");
    if (!e) {
        fprintf(fp, "null,\n");
        return;
    }
    fprintf(fp, "{\"file\": ");
    lq_json_string(fp, e->path);
    fprintf(fp, ", \"reader\": ");
    lq_json_string(fp, e->reader);
    fprintf(fp, ", \"time\": ");
    lq_json_string(fp, e->time);
    fprintf(fp, ",\n    \"contour_frames\": [");
    for (size_t i = 0; i < e->count; i++) fprintf(fp, "%s%u", i ? ", " : "", e->contours[i].frame + 1);
    fprintf(fp, "], \"lesion_chosen\": %s, \"reference_chosen\": %s},\n", e->lesion_frame >= 0 ? "true" : "false",
            e->reference_first >= 0 ? "true" : "false");
}

static const char *segment_reference_name(LqSegmentReference ref)
{
    return ref == LQ_SEGMENT_REF_IVC ? "ivc" : ref == LQ_SEGMENT_REF_IVC_NORMAL ? "ivc-normal" : "study";
}

/* "segments": every narrowed segment, and the IVC reference they use. */
static void segments_json(FILE *fp, const LqStudyInfo *in, const LqSummary *s)
{
    int timed = in->timing != LQ_TIMING_NONE;
    fprintf(fp, "  \"segments\": {\"omitted\": %d, \"stent_covers\": %d, \"lesion_moved\": %s, \"ivc_first\": ",
            s->ok ? s->segments_omitted : 0, s->ok ? s->stent_segments : 0,
            s->ok && s->lesion_moved_to_worst ? "true" : "false");
    frame_or_null(fp, s->ok ? s->ivc_first : -1);
    fprintf(fp, ", \"ivc_last\": ");
    frame_or_null(fp, s->ok ? s->ivc_last : -1);
    fprintf(fp, ",\n    \"ivc_reference\": {\"source\": \"%s\", \"first\": ",
            s->ivc_reference_first >= 0 ? "ivc" : "ivc-normal");
    frame_or_null(fp, s->ok ? s->ivc_reference_first : -1);
    fprintf(fp, ", \"last\": ");
    frame_or_null(fp, s->ok ? s->ivc_reference_last : -1);
    field(fp, ", ", "area_mm2", s->ok && s->ivc_first >= 0 ? s->ivc_reference_area_mm2 : NAN, 2);
    field(fp, ", ", "diameter_mm", s->ok && s->ivc_first >= 0 ? s->ivc_reference_diameter_mm : NAN, 3);
    fprintf(fp, "},\n    \"list\": [");
    for (int i = 0; s->ok && i < s->segment_count; i++) {
        const LqSegment *g = &s->segments[i];
        fprintf(fp, "%s\n      {\"vein\": \"%s\", \"first\": %d, \"last\": %d, \"mla_frame\": %d", i ? "," : "",
                lq_site_name((LqSite)g->site), g->first + 1, g->last + 1, g->mla_frame + 1);
        field(fp, ", ", "position_mm", timed ? g->position_mm : NAN, 2);
        field(fp, ", ", "length_mm", timed ? g->length_mm : NAN, 2);
        field(fp, ", ", "mla_mm2", g->mla_mm2, 2);
        field(fp, ", ", "mld_mm", g->mld_mm, 3);
        field(fp, ", ", "max_diameter_mm", g->max_diameter_mm, 3);
        field(fp, ",\n       ", "diameter_stenosis_pct", g->diameter_stenosis_pct, 2);
        field(fp, ", ", "area_stenosis_pct", g->area_stenosis_pct, 2);
        field(fp, ", ", "equiv_diameter_stenosis_pct", g->equiv_diameter_stenosis_pct, 2);
        field(fp, ", ", "verdict_pct", g->verdict_pct, 2);
        fprintf(fp, ", \"significant\": %s, \"lesion\": %s,\n       \"reference\": \"%s\"",
                g->significant ? "true" : "false", g->lesion ? "true" : "false", segment_reference_name(g->reference));
        field(fp, ", ", "reference_area_mm2", g->reference_area_mm2, 2);
        field(fp, ", ", "reference_diameter_mm", g->reference_diameter_mm, 3);
        fputc('}', fp);
    }
    fprintf(fp, "%s]},\n", s->ok && s->segment_count ? "\n    " : "");
}

/* "file", "series_instance_uid", "sop_instance_uid" of another recording. */
static void recording_ids(FILE *fp, const char *path, const char *series_uid, const char *sop_uid)
{
    const char *const keys[] = {"file", "series_instance_uid", "sop_instance_uid"}, *values[] = {path, series_uid, sop_uid};
    for (int k = 0; k < 3; k++) {
        fprintf(fp, "%s\"%s\": ", k ? ", " : "", keys[k]);
        lq_json_string(fp, values[k]);
    }
}

/* Frames held still, a second pullback, and the dynamic verdict they give
 * (docs/json.md "dynamics", docs/measurements.md "Dynamic lesions"). */
static void dynamics_json(FILE *fp, const LqResult *r)
{
    const LqDynamics *d = lq_result_dynamics(r);
    fprintf(fp, "  \"dynamics\": {\"source\": \"%s\", \"dynamic\": ", lq_dynamic_source_name(d->source));
    fputs(d->source == LQ_DYNAMIC_FROM_NONE ? "null" : d->dynamic ? "true" : "false", fp);
    fprintf(fp, ",\n    \"held_still\": ");
    if (!d->has_course) {
        fputs("null", fp);
    } else {
        const LqTimeCourse *c = &d->course;
        fprintf(fp, "{\"kind\": \"%s\", ", lq_dynamic_source_name(d->course_source));
        recording_ids(fp, d->course_path, d->course_series_uid, d->course_sop_instance_uid);
        fprintf(fp, ",\n      \"first\": %d, \"last\": %d, \"usable_frames\": %d", c->first + 1, c->last + 1, c->frames);
        field(fp, ", ", "duration_s", c->duration_s, 2);
        fprintf(fp, ", \"judged\": %s, \"note\": ", c->judged ? "true" : "false");
        lq_json_string(fp, c->note);
        field(fp, ",\n      ", "period_s", c->period_s > 0 ? c->period_s : NAN, 2);
        field(fp, ", ", "periodicity", c->period_s > 0 ? c->periodicity : NAN, 3);
        field(fp, ", ", "area_min_mm2", c->judged ? c->area_min_mm2 : NAN, 2);
        field(fp, ", ", "area_max_mm2", c->judged ? c->area_max_mm2 : NAN, 2);
        field(fp, ", ", "area_median_mm2", c->judged ? c->area_median_mm2 : NAN, 2);
        field(fp, ",\n      ", "variation_pct", c->judged ? c->variation_pct : NAN, 1);
        field(fp, ", ", "threshold_pct", c->threshold_pct, 1);
        fprintf(fp, ", \"dynamic\": %s,\n      \"cycles\": [", c->judged ? (c->dynamic ? "true" : "false") : "null");
        for (int k = 0; c->judged && k < c->cycles && k < LQ_DYNAMICS_MAX_CYCLES; k++) {
            const LqBreathCycle *cy = &c->cycle[k];
            fprintf(fp, "%s\n        {\"first\": %d, \"last\": %d", k ? "," : "", cy->first + 1, cy->last + 1);
            field(fp, ", ", "area_min_mm2", cy->area_min_mm2, 2);
            field(fp, ", ", "area_max_mm2", cy->area_max_mm2, 2);
            field(fp, ", ", "area_median_mm2", cy->area_median_mm2, 2);
            field(fp, ", ", "variation_pct", cy->variation_pct, 1);
            fputc('}', fp);
        }
        fprintf(fp, "],\n      \"area_over_time\": [");
        for (size_t k = 0; k < d->samples; k++) {
            fprintf(fp, "%s[", k ? ", " : "");
            lq_json_number(fp, d->time_s[k], 3);
            fputs(", ", fp);
            lq_json_number(fp, d->area_mm2[k], 3);
            fputc(']', fp);
        }
        fputs("]}", fp);
    }
    fprintf(fp, ",\n    \"second_pullback\": ");
    if (!d->has_comparison) {
        fputs("null", fp);
    } else {
        const LqComparison *c = &d->comparison;
        fputc('{', fp);
        recording_ids(fp, c->path, c->series_uid, c->sop_instance_uid);
        field(fp, ",\n      ", "shift_mm", c->correlation != 0 ? c->shift_mm : NAN, 2);
        field(fp, ", ", "correlation", c->correlation != 0 ? c->correlation : NAN, 3);
        fprintf(fp, ", \"judged\": %s, \"note\": ", c->judged ? "true" : "false");
        lq_json_string(fp, c->note);
        fprintf(fp, ",\n      \"lesion_frame\": ");
        frame_or_null(fp, c->lesion_frame);
        fprintf(fp, ", \"other_lesion_frame\": ");
        frame_or_null(fp, c->other_lesion_frame);
        field(fp, ", ", "mla_mm2", c->lesion_frame >= 0 ? c->mla_mm2 : NAN, 2);
        field(fp, ", ", "other_mla_mm2", c->judged ? c->other_mla_mm2 : NAN, 2);
        field(fp, ", ", "change_pct", c->judged ? c->change_pct : NAN, 1);
        field(fp, ", ", "threshold_pct", c->threshold_pct, 1);
        fprintf(fp, ", \"dynamic\": %s}", c->judged ? (c->dynamic ? "true" : "false") : "null");
    }
    fprintf(fp, "\n  },\n");
}

void lq_report_json(FILE *fp, const LqStudy *study, const LqResult *r)
{
    const LqStudyInfo *in = lq_study_info(study);
    const LqSummary *s = lq_result_summary(r);
    fprintf(fp, "{\n  \"schema_version\": 3,\n  \"lumenq_version\": ");
    lq_json_string(fp, LUMENQ_VERSION);
    fprintf(fp, ",\n  \"study\": {");
    const struct { const char *k, *v; } ids[] = {
        {"file", in->path}, {"patient_name", in->patient_name}, {"patient_id", in->patient_id},
        {"study_date", in->study_date}, {"study_instance_uid", in->study_instance_uid},
        {"series_instance_uid", in->series_instance_uid}, {"sop_instance_uid", in->sop_instance_uid},
        {"sop_class_uid", in->sop_class_uid}, {"modality", in->modality},
        {"transfer_syntax_uid", in->transfer_syntax_uid}, {"photometric", in->photometric}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        fprintf(fp, "%s\n    ", i ? "," : "");
        key(fp, ids[i].k);
        lq_json_string(fp, ids[i].v);
    }
    fprintf(fp, ",\n    \"frames\": %u, \"rows\": %u, \"columns\": %u\n  },\n", in->frames, in->rows, in->cols);

    fprintf(fp, "  \"calibration\": {\"pixel_dx_mm\": ");
    lq_json_number(fp, in->pixel_dx_mm, 6);
    fprintf(fp, ", \"pixel_dy_mm\": ");
    lq_json_number(fp, in->pixel_dy_mm, 6);
    fprintf(fp, ", \"source\": ");
    lq_json_string(fp, lq_calibration_source_name(in->calibration));
    fprintf(fp, ", \"note\": ");
    lq_json_string(fp, in->calibration_note);
    fprintf(fp, "},\n  \"pullback\": {\"timed\": %s, \"frame_time_ms\": ", in->timing != LQ_TIMING_NONE ? "true" : "false");
    lq_json_number(fp, in->frame_time_ms, 3);
    fprintf(fp, ", \"rate_mm_s\": ");
    lq_json_number(fp, in->pullback_rate_mm_s, 3);
    fprintf(fp, ", \"timing_source\": \"%s\", \"order\": \"%s\"},\n",
            in->timing == LQ_TIMING_USER ? "user" : in->timing == LQ_TIMING_DICOM ? "dicom" : "none",
            r->order_from_cfv ? "cfv-to-ivc" : "ivc-to-cfv");

    fprintf(fp, "  \"summary\": {\n    \"ok\": %s,\n    \"problem\": ", s->ok ? "true" : "false");
    lq_json_string(fp, s->problem);
    fprintf(fp, ",\n    \"verdict\": {\"metric\": \"%s\", ", lq_metric_name(s->metric));
    field(fp, "", "value_pct", s->ok ? s->verdict_pct : NAN, 2);
    field(fp, ", ", "threshold_pct", s->threshold_pct, 1);
    fprintf(fp, ", \"significant\": %s},\n", s->ok && s->significant ? "true" : "false");
    field(fp, "    ", "diameter_stenosis_pct", s->ok ? s->diameter_stenosis_pct : NAN, 2);
    field(fp, ",\n    ", "area_stenosis_pct", s->ok ? s->area_stenosis_pct : NAN, 2);
    field(fp, ",\n    ", "equiv_diameter_stenosis_pct", s->ok ? s->equiv_diameter_stenosis_pct : NAN, 2);
    fprintf(fp, ",\n    \"lesion\": {\"method\": \"%s\", \"frame\": ", lq_method_name(s->lesion_method));
    frame_or_null(fp, s->ok ? s->lesion_frame : -1);
    field(fp, ", ", "position_mm", s->ok ? s->lesion_position_mm : NAN, 2);
    field(fp, ", ", "mla_mm2", s->ok ? s->mla_mm2 : NAN, 2);
    field(fp, ", ", "mld_mm", s->ok ? s->mld_mm : NAN, 3);
    field(fp, ", ", "max_diameter_mm", s->ok ? s->lesion_max_diameter_mm : NAN, 3);
    fprintf(fp, ",\n      \"search_first\": ");
    frame_or_null(fp, s->lesion_search_first);
    fprintf(fp, ", \"search_last\": ");
    frame_or_null(fp, s->lesion_search_last);
    fprintf(fp, ", \"segment_first\": ");
    frame_or_null(fp, s->lesion_first);
    fprintf(fp, ", \"segment_last\": ");
    frame_or_null(fp, s->lesion_last);
    fprintf(fp, ", \"length_mm\": ");
    lq_json_number(fp, s->lesion_first >= 0 && in->timing != LQ_TIMING_NONE ? s->lesion_length_mm : NAN, 2);
    fprintf(fp, "},\n    \"reference\": {\"method\": \"%s\", \"note\": ", lq_method_name(s->reference_method));
    lq_json_string(fp, s->reference_note);
    fprintf(fp, ", \"first\": ");
    frame_or_null(fp, s->reference_area_mm2 > 0 ? s->reference_first : -1);
    fprintf(fp, ", \"last\": ");
    frame_or_null(fp, s->reference_area_mm2 > 0 ? s->reference_last : -1);
    fprintf(fp, ", \"run_first\": ");
    frame_or_null(fp, s->reference_run_first);
    fprintf(fp, ", \"run_last\": ");
    frame_or_null(fp, s->reference_run_last);
    field(fp, ", ", "area_mm2", s->reference_area_mm2 > 0 ? s->reference_area_mm2 : NAN, 2);
    field(fp, ", ", "diameter_mm", s->reference_area_mm2 > 0 ? s->reference_diameter_mm : NAN, 3);
    fprintf(fp, "},\n    \"dynamic\": {\"checked\": %s, \"dynamic\": %s", s->dynamic_checked ? "true" : "false",
            s->dynamic ? "true" : "false");
    field(fp, ", ", "variation_pct", s->dynamic_checked ? s->dynamic_variation_pct : NAN, 1);
    field(fp, ", ", "flag_at_pct", LQ_DYNAMIC_VARIATION_PCT, 1);
    field(fp, ", ", "window_half_width", s->dynamic_window_mm, 1);
    fprintf(fp, ", \"window_unit\": \"%s\", \"frames\": %d", in->timing == LQ_TIMING_NONE ? "frames" : "mm",
            s->dynamic_frames);
    field(fp, ", ", "area_min_mm2", s->dynamic_checked ? s->dynamic_area_min_mm2 : NAN, 2);
    field(fp, ", ", "area_max_mm2", s->dynamic_checked ? s->dynamic_area_max_mm2 : NAN, 2);
    fprintf(fp, ", \"not_judged_because\": ");
    lq_json_string(fp, s->dynamic_note);
    fprintf(fp, "},\n    \"stent\": {");
    field(fp, "", "diameter_min_mm", s->ok ? s->stent_diameter_min_mm : NAN, 2);
    field(fp, ", ", "diameter_max_mm", s->ok ? s->stent_diameter_max_mm : NAN, 2);
    fprintf(fp, ", \"nominal_diameters_mm\": [");
    for (int i = 0; i < s->stent_size_count; i++) fprintf(fp, "%s%d", i ? ", " : "", s->stent_sizes_mm[i]);
    fprintf(fp, "], \"length_mm\": ");
    if (s->stent_length_mm)
        fprintf(fp, "%d", s->stent_length_mm);
    else
        fputs("null", fp);
    field(fp, ", ", "span_mm", s->stent_length_known ? s->stent_span_mm : NAN, 1);
    field(fp, ", ", "span_from_mm", s->stent_length_known ? s->stent_span_from_mm : NAN, 1);
    field(fp, ", ", "span_to_mm", s->stent_length_known ? s->stent_span_to_mm : NAN, 1);
    fprintf(fp, ", \"more_than_one\": %s},\n", s->stent_length_known && !s->stent_length_mm ? "true" : "false");
    fprintf(fp, "    \"pullback_first\": %zu, \"pullback_last\": %zu,\n", r->pullback_first + 1, r->pullback_last + 1);
    fprintf(fp, "    \"low_confidence_frames\": %d, \"confidence_cut\": ", s->low_confidence_frames);
    lq_json_number(fp, r->low_confidence, 2);
    fprintf(fp, "\n  },\n");
    segments_json(fp, in, s);
    edits_json(fp, r);
    dynamics_json(fp, r);
    fprintf(fp, "  \"frames\": [");

    size_t n = lq_result_frame_count(r);
    for (size_t i = 0; i < n; i++) {
        const LqFrameMeasure *m = lq_result_frame(r, i);
        const LqContour *c = lq_result_contour(r, i);
        fprintf(fp, "%s\n    {\"frame\": %zu, \"position_mm\": ", i ? "," : "", i + 1);
        lq_json_number(fp, m->position_mm, 3);
        fprintf(fp, ", \"valid\": %s", m->valid ? "true" : "false");
        field(fp, ", ", "area_mm2", m->shape.area_mm2, 3);
        field(fp, ", ", "equiv_diameter_mm", m->shape.equiv_diameter_mm, 3);
        field(fp, ", ", "min_diameter_mm", m->shape.min_feret_mm, 3);
        field(fp, ", ", "max_diameter_mm", m->shape.max_feret_mm, 3);
        field(fp, ", ", "confidence", m->confidence, 3);
        char flags[128];
        lq_frame_flags(r, i, flags, sizeof flags, ',');
        fprintf(fp, ", \"flags\": [");
        for (char *f = flags, *next; *f; f = next) {
            next = strchr(f, ',');
            if (next) *next++ = 0;
            else next = f + strlen(f);
            fprintf(fp, "%s\"%s\"", f == flags ? "" : ", ", f);
        }
        fputc(']', fp);
        fprintf(fp, ",\n     \"contour_mm\": [");
        for (unsigned k = 0; k < c->n; k++) {
            fprintf(fp, "%s[", k ? "," : "");
            lq_json_number(fp, c->xy_mm[2 * k], 3);
            fputc(',', fp);
            lq_json_number(fp, c->xy_mm[2 * k + 1], 3);
            fputc(']', fp);
        }
        fprintf(fp, "]}");
    }
    fprintf(fp, "\n  ]\n}\n");
}
