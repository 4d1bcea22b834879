/* Reports of a CT venography measurement (docs/ct.md): text, JSON, CSV, the
 * pictures (ct_figures.c) and the Structured Report. Every report says in
 * one line that CT alone does not decide treatment (docs/measurements.md,
 * "Clinical basis"). */
#include "output.h"
#include "report.h"

#include "internal.h"

#include <math.h>
#include <string.h>

#define CT_CAUTION "CT alone does not decide treatment: confirm a compression with IVUS before stenting."

static int within(size_t i, int a, int b) { return a >= 0 && (long)i >= a && (long)i <= b; }

/* "lesion", "lesion-segment", "reference", "no-contour", joined by `sep`. */
static void section_flags(const LqCtResult *r, size_t i, char *buf, size_t len, char sep)
{
    const LqFlag flags[] = {
        {r->ok && (long)i == r->lesion, "lesion"},
        {r->ok && within(i, r->segment_first, r->segment_last), "lesion-segment"},
        {within(i, r->reference_first, r->reference_last), "reference"},
        {!r->sections[i].valid, "no-contour"},
    };
    lq_join_flags(flags, sizeof flags / sizeof flags[0], buf, len, sep);
}

static void ct_text(FILE *fp, const LqVolume *v, const LqCtResult *r)
{
    char date[16];
    lq_date_iso(v->study_date, date, sizeof date);
    fprintf(fp, "lumenq %s - CT venography report\n", LUMENQ_VERSION);
    fprintf(fp, "Patient    %s  (ID %s)  study date %s\n", v->patient_name[0] ? v->patient_name : "(no name)",
            v->patient_id[0] ? v->patient_id : "-", date);
    fprintf(fp, "Study      %s\n", v->study_uid);
    fprintf(fp, "Series     %s\n", v->series_uid);
    fprintf(fp, "Folder     %s\n", v->path);
    fprintf(fp, "Volume     %u slices of %ux%u, voxel %.3f x %.3f x %.3f mm\n", v->slices, v->cols, v->rows, v->dx_mm,
            v->dy_mm, v->dz_mm);
    fprintf(fp, "CAUTION    %s\n\n", CT_CAUTION);
    const double *a = r->lesion_point, *b = r->reference_point;
    double length = r->n ? r->sections[r->n - 1].position_mm - r->sections[0].position_mm : 0;
    fprintf(fp, "Centreline lesion point (%.1f, %.1f, %.1f) to reference point (%.1f, %.1f, %.1f) mm LPS:\n", a[0],
            a[1], a[2], b[0], b[1], b[2]);
    if (r->n > 1)
        fprintf(fp, "           %.1f mm through the lumen (%.0f HU), %zu cross-sections at most %.1f mm apart\n",
                length, r->lumen_hu, r->n, length / (double)(r->n - 1));
    else
        fprintf(fp, "           not traced\n");
    if (!r->ok) {
        fprintf(fp, "\nNOT MEASURED  %s\n", r->problem);
        return;
    }
    char finding[160];
    lq_verdict_text(finding, sizeof finding, LQ_VERDICT_CT, r->significant, lq_metric_phrase(LQ_METRIC_DIAMETER),
                    r->diameter_stenosis_pct, r->threshold_pct);
    fprintf(fp, "\nFINDING    %s (the IVUS threshold)\n", finding);
    const double *p = r->points + 3 * r->lesion;
    double at = r->sections[r->lesion].position_mm;
    fprintf(fp, "\nLesion     section %d, %.1f mm %s the lesion point, at (%.1f, %.1f, %.1f) mm\n", r->lesion + 1,
            fabs(at), at < 0 ? "beyond" : "from", p[0], p[1], p[2]);
    if (r->beyond_note[0]) fprintf(fp, "           (%s)\n", r->beyond_note);
    fprintf(fp, "  MLA                %7.1f mm2   smallest lumen area between the points\n", r->mla_mm2);
    fprintf(fp, "  MLD                %7.2f mm    minimal caliper of the lumen the scanner resolved\n", r->mld_mm);
    fprintf(fp, "  Max diameter       %7.2f mm    maximal Feret diameter\n", r->max_diameter_mm);
    if (r->segment_first >= 0)
        fprintf(fp, "  Lesion length      %7.1f mm    sections %d-%d with area < 50 %% of A_ref\n", r->lesion_length_mm,
                r->segment_first + 1, r->segment_last + 1);
    else
        fprintf(fp, "  Lesion length          -        no section below 50 %% of A_ref\n");
    fprintf(fp, "Reference  sections %d-%d (within %.0f mm of the reference point)\n", r->reference_first + 1,
            r->reference_last + 1, r->sections[r->n - 1].position_mm - r->sections[r->reference_first].position_mm);
    fprintf(fp, "  A_ref              %7.1f mm2   mean lumen area of the reference sections\n", r->reference_area_mm2);
    fprintf(fp, "  D_ref              %7.2f mm    2*sqrt(A_ref/pi)\n\n", r->reference_diameter_mm);
    fprintf(fp, "Stenosis\n");
    fprintf(fp, "  Diameter %%DS       %7.1f %%     100*(1 - MLD/D_ref)\n", r->diameter_stenosis_pct);
    fprintf(fp, "  Area %%AS           %7.1f %%     100*(1 - MLA/A_ref)\n", r->area_stenosis_pct);
    fprintf(fp, "  Equiv.-diameter    %7.1f %%     100*(1 - sqrt(MLA/A_ref))\n", r->equiv_diameter_stenosis_pct);
    size_t missing = 0;
    for (size_t i = 0; i < r->n; i++) missing += !r->sections[i].valid;
    fprintf(fp, "\nQuality    %zu of %zu sections without a lumen outline\n", missing, r->n);
}

static void point_json(FILE *fp, const double *p)
{
    fputc('[', fp);
    for (int k = 0; k < 3; k++) {
        if (k) fputs(", ", fp);
        lq_json_number(fp, p[k], 3);
    }
    fputc(']', fp);
}

static void num_field(FILE *fp, const char *sep, const char *name, double v, int decimals)
{
    fprintf(fp, "%s\"%s\": ", sep, name);
    lq_json_number(fp, v, decimals);
}

static void ct_json(FILE *fp, const LqVolume *v, const LqCtResult *r)
{
    fprintf(fp, "{\n  \"schema_version\": 2,\n  \"kind\": \"ct-venography\",\n  \"lumenq_version\": ");
    lq_json_string(fp, LUMENQ_VERSION);
    fprintf(fp, ",\n  \"caution\": ");
    lq_json_string(fp, CT_CAUTION);
    fprintf(fp, ",\n  \"study\": {");
    const struct { const char *k, *v; } ids[] = {
        {"folder", v->path}, {"patient_name", v->patient_name}, {"patient_id", v->patient_id},
        {"study_date", v->study_date}, {"study_instance_uid", v->study_uid}, {"series_instance_uid", v->series_uid}};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        fprintf(fp, "%s\n    \"%s\": ", i ? "," : "", ids[i].k);
        lq_json_string(fp, ids[i].v);
    }
    fprintf(fp, "\n  },\n  \"volume\": {\"slices\": %u, \"rows\": %u, \"columns\": %u", v->slices, v->rows, v->cols);
    num_field(fp, ", ", "voxel_dx_mm", v->dx_mm, 4);
    num_field(fp, ", ", "voxel_dy_mm", v->dy_mm, 4);
    num_field(fp, ", ", "voxel_dz_mm", v->dz_mm, 4);
    fprintf(fp, "},\n  \"lesion_point_mm\": ");
    point_json(fp, r->lesion_point);
    fprintf(fp, ",\n  \"reference_point_mm\": ");
    point_json(fp, r->reference_point);
    fprintf(fp, ",\n  \"result\": {\"ok\": %s, \"problem\": ", r->ok ? "true" : "false");
    lq_json_string(fp, r->problem);
    num_field(fp, ", ", "lumen_hu", r->lumen_hu, 0);
    num_field(fp, ",\n    ", "centreline_length_mm",
              r->n ? r->sections[r->n - 1].position_mm - r->sections[0].position_mm : NAN, 2);
    num_field(fp, ", ", "searched_beyond_mm", r->beyond_mm, 1);
    fprintf(fp, ", \"beyond_note\": ");
    lq_json_string(fp, r->beyond_note);
    fprintf(fp, ", \"sections\": %zu", r->n);
    if (r->ok) {
        fprintf(fp, ",\n    \"lesion_section\": %d", r->lesion + 1);
        num_field(fp, ", ", "lesion_position_mm", r->sections[r->lesion].position_mm, 2);
        num_field(fp, ",\n    ", "mla_mm2", r->mla_mm2, 2);
        num_field(fp, ", ", "mld_mm", r->mld_mm, 3);
        num_field(fp, ", ", "max_diameter_mm", r->max_diameter_mm, 3);
        num_field(fp, ",\n    ", "reference_area_mm2", r->reference_area_mm2, 2);
        num_field(fp, ", ", "reference_diameter_mm", r->reference_diameter_mm, 3);
        fprintf(fp, ", \"reference_sections\": [%d, %d]", r->reference_first + 1, r->reference_last + 1);
        num_field(fp, ",\n    ", "diameter_stenosis_pct", r->diameter_stenosis_pct, 2);
        num_field(fp, ", ", "area_stenosis_pct", r->area_stenosis_pct, 2);
        num_field(fp, ", ", "equiv_diameter_stenosis_pct", r->equiv_diameter_stenosis_pct, 2);
        num_field(fp, ",\n    ", "lesion_length_mm", r->segment_first >= 0 ? r->lesion_length_mm : NAN, 1);
        num_field(fp, ", ", "threshold_pct", r->threshold_pct, 1);
        fprintf(fp, ", \"compression\": %s", r->significant ? "true" : "false");
    }
    fprintf(fp, "\n  },\n  \"cross_sections\": [");
    for (size_t i = 0; i < r->n; i++) {
        const LqFrameMeasure *m = &r->sections[i];
        char flags[96];
        section_flags(r, i, flags, sizeof flags, ',');
        fprintf(fp, "%s\n    {\"section\": %zu", i ? "," : "", i + 1);
        num_field(fp, ", ", "position_mm", m->position_mm, 2);
        fprintf(fp, ", \"point_mm\": ");
        point_json(fp, r->points + 3 * i);
        num_field(fp, ", ", "area_mm2", m->valid ? m->shape.area_mm2 : NAN, 2);
        num_field(fp, ", ", "mld_mm", m->valid ? m->shape.min_feret_mm : NAN, 3);
        num_field(fp, ", ", "max_diameter_mm", m->valid ? m->shape.max_feret_mm : NAN, 3);
        fprintf(fp, ", \"flags\": \"%s\"}", flags);
    }
    fprintf(fp, "\n  ]\n}\n");
}

static void ct_csv(FILE *fp, const LqVolume *v, const LqCtResult *r)
{
    (void)v;
    fputs("section,position_mm,x_mm,y_mm,z_mm,area_mm2,equiv_diameter_mm,mld_mm,max_diameter_mm,flags\n", fp);
    for (size_t i = 0; i < r->n; i++) {
        const LqFrameMeasure *m = &r->sections[i];
        const double *p = r->points + 3 * i;
        char flags[96];
        section_flags(r, i, flags, sizeof flags, ';');
        fprintf(fp, "%zu,%.2f,%.2f,%.2f,%.2f,", i + 1, m->position_mm, p[0], p[1], p[2]);
        if (m->valid)
            fprintf(fp, "%.2f,%.3f,%.3f,%.3f,", m->shape.area_mm2, m->shape.equiv_diameter_mm, m->shape.min_feret_mm,
                    m->shape.max_feret_mm);
        else
            fputs(",,,,", fp);
        fprintf(fp, "%s\n", flags);
    }
}

/* The slice a point lies on (nearest along the normal). */
static size_t slice_of(const LqVolume *v, const double *p)
{
    double q[3];
    lq_volume_to_voxel(v, p, q);
    long i = lround(q[2]);
    return (size_t)(i < 0 ? 0 : i >= (long)v->slices ? (long)v->slices - 1 : i);
}

/* TID 1500 in the CT's study: the lesion group references the slice through
 * the MLA section's centre, the reference group the slice through the
 * reference point (their frame numbers in an Enhanced CT object; docs/sr.md). */
static int ct_sr(const LqVolume *v, const LqCtResult *r, const char *path, LqError *err)
{
    if (!r->ok) return lq_fail(err, LQ_ERR_DATA, "%s: no structured report: not measured (%s)", path, r->problem);
    if (!v->slice_paths) return lq_fail(err, LQ_ERR_USAGE, "%s: the volume has no source files", path);
    size_t ls = slice_of(v, r->points + 3 * r->lesion), rs = slice_of(v, r->reference_point);
    int same = strcmp(v->slice_paths[ls], v->slice_paths[rs]) == 0; /* an Enhanced CT: frames of one object */
    char finding[160], verdict[300], method[300], device[65];
    lq_verdict_text(finding, sizeof finding, LQ_VERDICT_CT, r->significant, lq_metric_phrase(LQ_METRIC_DIAMETER),
                    r->diameter_stenosis_pct, r->threshold_pct);
    snprintf(verdict, sizeof verdict, "%s. %s", finding, CT_CAUTION);
    snprintf(method, sizeof method,
             "CT venography: centreline from the lesion point (%.1f, %.1f, %.1f) to the reference point "
             "(%.1f, %.1f, %.1f) mm LPS; lesion: minimal lumen area between them (section %d); reference: sections "
             "within the last mm of the centreline",
             r->lesion_point[0], r->lesion_point[1], r->lesion_point[2], r->reference_point[0], r->reference_point[1],
             r->reference_point[2], r->lesion + 1);
    lq_derived_uid("lumenq", "device", device);
    const LqSrValues values = {r->mla_mm2, r->mld_mm, r->max_diameter_mm, r->segment_first >= 0 ? r->lesion_length_mm : NAN,
                    r->reference_area_mm2, r->reference_diameter_mm, r->diameter_stenosis_pct, r->area_stenosis_pct,
                    r->equiv_diameter_stenosis_pct, v->slice_frames[ls], v->slice_frames[rs], v->slice_frames[rs],
                    verdict, method, device, "1148701004", "SCT", "CT of abdomen and pelvis with intravenous contrast",
                    same ? NULL : v->slice_paths[rs],
                    "lesion (minimal lumen area, CT)", "reference (around the reference point, CT)"};
    return lq_write_sr_output(v->slice_paths[ls], v->slice_uids[ls], "ct-sr", &values, path, err);
}

int lq_ct_report_write(const LqVolume *v, const LqCtResult *r, LqReportFormat fmt, const char *path, LqError *err)
{
    if (fmt == LQ_REPORT_SR) return ct_sr(v, r, path, err);
    void (*write)(FILE *, const LqVolume *, const LqCtResult *) = NULL;
    int (*render)(FILE *, const LqVolume *, const LqCtResult *, LqReportFormat, LqError *) = NULL;
    switch (fmt) {
    case LQ_REPORT_TEXT: write = ct_text; break;
    case LQ_REPORT_JSON: write = ct_json; break;
    case LQ_REPORT_CSV: write = ct_csv; break;
    case LQ_REPORT_LESION_PNG:
    case LQ_REPORT_REFERENCE_PNG:
    case LQ_REPORT_PROFILE_PNG: render = lq_ct_report_png; break;
    default: return lq_fail(err, LQ_ERR_USAGE, "%s: that report is not made for CT", path ? path : "-");
    }
    if (render && !r->ok)
        return lq_fail(err, LQ_ERR_DATA, "%s: no picture: not measured (%s)", path ? path : "-", r->problem);
    LqOutput out;
    int rc = lq_output_open(&out, path, err);
    if (rc != LQ_OK) return rc;
    if (write) {
        write(out.fp, v, r);
    } else if ((rc = render(out.fp, v, r, fmt, err)) != LQ_OK) {
        lq_output_abort(&out);
        return rc;
    }
    return lq_output_commit(&out, err);
}
