/* The report a radiologist reads in seconds: identification, verdict, lesion,
 * reference (and how it was chosen), the three stenosis figures with their
 * definitions, and data quality. */
#include "report.h"

#include "internal.h"

#include <string.h>

static void date_iso(const char *da, char *out, size_t len)
{
    if (strlen(da) == 8)
        snprintf(out, len, "%.4s-%.2s-%.2s", da, da + 4, da + 6);
    else
        snprintf(out, len, "%s", da[0] ? da : "unknown");
}

/* "<prefix>32.1 mm" for a timed pullback; "" when untimed (positions there
 * are frame numbers, which the report already gives). */
static void position(const LqStudyInfo *in, const char *prefix, double mm, char *buf, size_t len)
{
    if (in->timing == LQ_TIMING_NONE)
        buf[0] = 0;
    else
        snprintf(buf, len, "%s%.1f mm", prefix, mm);
}

/* "12-14, 80, 95-97" for the frames below the confidence cut (at most 12 runs). */
static void low_confidence_runs(FILE *fp, const LqResult *r)
{
    size_t n = lq_result_frame_count(r);
    int runs = 0;
    for (size_t i = 0; i < n; i++) {
        const LqFrameMeasure *m = lq_result_frame(r, i);
        if (m->valid && m->confidence >= r->low_confidence) continue;
        size_t j = i;
        while (j + 1 < n && (!lq_result_frame(r, j + 1)->valid || lq_result_frame(r, j + 1)->confidence < r->low_confidence))
            j++;
        if (runs == 12) {
            fputs(", ...", fp);
            return;
        }
        fprintf(fp, runs ? ", %zu" : "           frames %zu", i + 1);
        if (j > i) fprintf(fp, "-%zu", j + 1);
        runs++;
        i = j;
    }
}

static void quality(FILE *fp, const LqResult *r)
{
    const LqSummary *s = lq_result_summary(r);
    fprintf(fp, "Quality    %d of %zu frames below confidence %.2f%s\n", s->low_confidence_frames,
            lq_result_frame_count(r), r->low_confidence,
            s->low_confidence_frames ? " (not used for lesion or reference):" : "");
    if (s->low_confidence_frames) {
        low_confidence_runs(fp, r);
        fputc('\n', fp);
    }
}

void lq_report_text(FILE *fp, const LqStudy *study, const LqResult *r)
{
    const LqStudyInfo *in = lq_study_info(study);
    const LqSummary *s = lq_result_summary(r);
    char date[16], where[64], where2[64];
    date_iso(in->study_date, date, sizeof date);

    fprintf(fp, "lumenq %s - IVUS venous stenosis report\n", LUMENQ_VERSION);
    fprintf(fp, "Patient    %s  (ID %s)  study date %s\n", in->patient_name[0] ? in->patient_name : "(no name)",
            in->patient_id[0] ? in->patient_id : "-", date);
    fprintf(fp, "Study      %s\n", in->study_instance_uid);
    fprintf(fp, "File       %s\n", in->path);
    fprintf(fp, "Images     %u frames %ux%u, pixel %.4f x %.4f mm from %s\n", in->frames, in->cols,
            in->rows, in->pixel_dx_mm, in->pixel_dy_mm, lq_calibration_source_name(in->calibration));
    if (in->timing != LQ_TIMING_NONE) {
        double step = in->pullback_rate_mm_s * in->frame_time_ms / 1000.0;
        fprintf(fp, "Pullback   %.2f mm/s x %.1f ms/frame = %.3f mm/frame, %.1f mm, frame order %s%s\n",
                in->pullback_rate_mm_s, in->frame_time_ms, step,
                lq_study_frame_position_mm(study, in->frames - 1), r->order_from_cfv ? "CFV -> IVC" : "IVC -> CFV",
                in->timing == LQ_TIMING_USER ? " (timing given by the user)" : "");
    } else {
        fprintf(fp, "Pullback   no frame time or pullback rate: positions are frame numbers, "
                    "lesion length not in mm\n");
    }
    if (strcmp(in->modality, "IVUS") != 0)
        fprintf(fp, "Caution    Modality is '%s', not IVUS: check that this is an intravascular pullback\n",
                in->modality);
    fputc('\n', fp);
    if (!s->ok) {
        fprintf(fp, "NOT MEASURED  %s\n", s->problem);
        quality(fp, r);
        return;
    }
    fprintf(fp, "VERDICT    %s: diameter stenosis %.1f %% %s threshold %.0f %%\n",
            s->significant ? "SIGNIFICANT" : "not significant", s->diameter_stenosis_pct,
            s->significant ? ">" : "<=", s->threshold_pct);
    fputc('\n', fp);

    position(in, " at ", s->lesion_position_mm, where, sizeof where);
    fprintf(fp, "Lesion     frame %d%s (%s)\n", s->lesion_frame + 1, where,
            s->lesion_method == LQ_METHOD_USER ? "given by the user"
                                               : "auto: minimal lumen area proximal to the reference");
    fprintf(fp, "  MLA                %7.1f mm2   lumen area at the lesion (catheter included)\n", s->mla_mm2);
    fprintf(fp, "  MLD                %7.2f mm    minimal Feret (caliper) diameter\n", s->mld_mm);
    fprintf(fp, "  Max diameter       %7.2f mm    maximal Feret diameter\n", s->lesion_max_diameter_mm);
    if (s->lesion_first >= 0)
        fprintf(fp, "  Lesion length      %7.1f %s    frames %d-%d with area < 50 %% of A_ref\n",
                s->lesion_length_mm, in->timing == LQ_TIMING_NONE ? "fr" : "mm", s->lesion_first + 1,
                s->lesion_last + 1);
    else
        fprintf(fp, "  Lesion length          -        no frame below 50 %% of A_ref\n");

    position(in, ", ", lq_result_frame(r, (size_t)s->reference_first)->position_mm, where, sizeof where);
    position(in, " to ", lq_result_frame(r, (size_t)s->reference_last)->position_mm, where2, sizeof where2);
    if (s->reference_method == LQ_METHOD_USER)
        fprintf(fp, "Reference  frames %d-%d (given by the user)\n", s->reference_first + 1,
                s->reference_last + 1);
    else
        fprintf(fp, "Reference  frames %d-%d%s%s (auto: central part of the longest stable EIV run,\n"
                    "           frames %d-%d, CSA within +-15 %% of its median)\n",
                s->reference_first + 1, s->reference_last + 1, where, where2,
                s->reference_run_first + 1, s->reference_run_last + 1);
    fprintf(fp, "  A_ref              %7.1f mm2   mean lumen area of the reference frames\n", s->reference_area_mm2);
    fprintf(fp, "  D_ref              %7.2f mm    2*sqrt(A_ref/pi)\n", s->reference_diameter_mm);
    fputc('\n', fp);
    fprintf(fp, "Stenosis\n");
    fprintf(fp, "  Diameter %%DS       %7.1f %%     100*(1 - MLD/D_ref)   (primary)\n", s->diameter_stenosis_pct);
    fprintf(fp, "  Area %%AS           %7.1f %%     100*(1 - MLA/A_ref)\n", s->area_stenosis_pct);
    fprintf(fp, "  Equiv.-diameter    %7.1f %%     100*(1 - sqrt(MLA/A_ref))\n", s->equiv_diameter_stenosis_pct);
    fputc('\n', fp);
    quality(fp, r);
}
