/* The report a radiologist reads in seconds: identification, verdict, lesion,
 * reference (and how it was chosen), the three stenosis figures with their
 * definitions, and data quality. */
#include "report.h"

#include "internal.h"
#include "review/edits.h"

#include <string.h>

#define COARSE_FRAME_STEP_MM 2.0 /* lesions are a few mm long: sparser frames can miss them */

void lq_date_iso(const char *da, char *out, size_t len)
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

/* Advisory stent sizing (docs/measurements.md). */
static void stent_lines(FILE *fp, const LqStudyInfo *in, const LqSummary *s)
{
    char sizes[64] = "none in range";
    for (int i = 0, used = 0; i < s->stent_size_count; i++)
        used += snprintf(sizes + used, sizeof sizes - (size_t)used, "%s%d", i ? ", " : "", s->stent_sizes_mm[i]);
    fprintf(fp, "Stent sizing (advisory)\n");
    fprintf(fp, "  Diameter        %4.1f-%4.1f mm    D_ref + 1 to 4 mm; nominal %s%s\n", s->stent_diameter_min_mm,
            s->stent_diameter_max_mm, sizes, s->stent_size_count ? " mm" : "");
    if (!s->stent_length_known)
        fprintf(fp, "  Length                 -        %s\n",
                in->timing == LQ_TIMING_NONE ? "untimed pullback: give --pullback-rate for lengths"
                                             : "unknown");
    else if (!s->stent_length_mm)
        fprintf(fp, "  Length                 -        span %.0f mm exceeds 150 mm: more than one stent\n",
                s->stent_span_mm);
    else if (s->stent_segments > 1)
        fprintf(fp, "  Length            %7d mm    covers %.1f to %.1f mm (span %.1f mm: the %d segments over\n"
                    "                                  the threshold, 10 mm landing each end); at least 60 mm\n",
                s->stent_length_mm, s->stent_span_from_mm, s->stent_span_to_mm, s->stent_span_mm, s->stent_segments);
    else
        fprintf(fp, "  Length            %7d mm    covers %.1f to %.1f mm (span %.1f mm: lesion segment,\n"
                    "                                  10 mm landing each end, into the EIV); at least 60 mm\n",
                s->stent_length_mm, s->stent_span_from_mm, s->stent_span_to_mm, s->stent_span_mm);
}

/* "CIV" from an LqSite. */
static const char *vein_label(int site)
{
    static const char *const labels[] = {"?", "CIV", "EIV", "CFV", "IVC"};
    return (unsigned)site < sizeof labels / sizeof labels[0] ? labels[site] : "?";
}

/* Every narrowed segment (docs/measurements.md, "Every narrowed segment"). */
static void segment_lines(FILE *fp, const LqStudyInfo *in, const LqSummary *s)
{
    int timed = in->timing != LQ_TIMING_NONE;
    fprintf(fp, "Narrowed segments  %d: runs of frames with area < 50 %% of their reference%s\n", s->segment_count,
            s->segment_count ? "" : " (none)");
    if (s->segment_count)
        fprintf(fp, "   # vein  frames      at mm  length   MLA mm2  MLD mm    %%DS    %%AS  against\n");
    for (int i = 0; i < s->segment_count; i++) {
        const LqSegment *g = &s->segments[i];
        char frames[24], at[16] = "     -", length[16] = "     -", against[32];
        snprintf(frames, sizeof frames, "%d-%d", g->first + 1, g->last + 1);
        if (timed) snprintf(at, sizeof at, "%6.1f", g->position_mm), snprintf(length, sizeof length, "%6.1f", g->length_mm);
        else snprintf(length, sizeof length, "%3d fr", g->last - g->first + 1);
        snprintf(against, sizeof against, "%s", g->reference == LQ_SEGMENT_REF_STUDY ? "A_ref"
                                                : g->reference == LQ_SEGMENT_REF_IVC ? "IVC ref" : "IVC normal");
        fprintf(fp, "  %2d %-4s  %-10s %s  %s  %8.1f  %6.2f  %5.1f  %5.1f  %-10s %s%s%s\n", i + 1,
                vein_label(g->site), frames, at, length, g->mla_mm2, g->mld_mm, g->diameter_stenosis_pct,
                g->area_stenosis_pct, against, g->significant ? "> " : "", g->significant ? "threshold" : "",
                g->lesion ? (g->significant ? ", lesion" : "lesion") : "");
    }
    if (s->segments_omitted)
        fprintf(fp, "           and %d more: the %d worst by %s are listed\n", s->segments_omitted, LQ_MAX_SEGMENTS,
                lq_metric_phrase(s->metric));
    if (s->ivc_first < 0) return;
    if (s->ivc_reference_first >= 0)
        fprintf(fp, "  IVC frames %d-%d (first 10 %% of the pullback); IVC ref frames %d-%d, %.1f mm2, %.2f mm\n",
                s->ivc_first + 1, s->ivc_last + 1, s->ivc_reference_first + 1, s->ivc_reference_last + 1,
                s->ivc_reference_area_mm2, s->ivc_reference_diameter_mm);
    else
        fprintf(fp, "  IVC frames %d-%d (first 10 %% of the pullback); no normal IVC stretch in them: IVC normal\n"
                    "  %.1f mm / %.1f mm2 (published infrarenal IVC, not this patient's)\n",
                s->ivc_first + 1, s->ivc_last + 1, s->ivc_reference_diameter_mm, s->ivc_reference_area_mm2);
    fprintf(fp, "  Veins from the position along the pullback; %%DS, %%AS against the reference named\n");
}

/* What the reader changed (lq_result_apply_edits), so the signed report says it. */
static void edits_lines(FILE *fp, const LqResult *r)
{
    const LqEdits *e = r->edits;
    if (!e) return;
    char what[200];
    lq_edits_summary(e, what, sizeof what);
    fprintf(fp, "Edits      by %s, %s: %s\n", e->reader[0] ? e->reader : "(no name)", e->time, what);
    if (e->path[0]) fprintf(fp, "           from %s\n", e->path);
}

/* The dynamic verdict from a recording held still or a second pullback
 * (docs/measurements.md, "Dynamic lesions"). */
static void dynamics_caution(FILE *fp, const LqResult *r)
{
    const LqDynamics *d = lq_result_dynamics(r);
    if (!d->dynamic || d->source == LQ_DYNAMIC_FROM_WINDOW || d->source == LQ_DYNAMIC_FROM_NONE) return;
    double pct = d->source == LQ_DYNAMIC_FROM_COMPARE ? d->comparison.change_pct : d->course.variation_pct;
    double limit = d->source == LQ_DYNAMIC_FROM_COMPARE ? d->comparison.threshold_pct : d->course.threshold_pct;
    fprintf(fp, "CAUTION    the lesion is DYNAMIC: its area varies by %.0f %% > %.0f %% %s;\n"
                "           dynamic lesions are not stented - check before deciding\n",
            pct, limit,
            d->source == LQ_DYNAMIC_FROM_COMPARE    ? "between the two pullbacks"
            : d->source == LQ_DYNAMIC_FROM_PAUSE    ? "while the pullback pauses at it"
                                                    : "in the stationary recording");
}

static void dynamics_lines(FILE *fp, const LqResult *r)
{
    const LqDynamics *d = lq_result_dynamics(r);
    if (!d->has_course && !d->has_comparison) return;
    fprintf(fp, "Dynamics   verdict from %s: %s\n", lq_dynamic_source_name(d->source),
            d->source == LQ_DYNAMIC_FROM_NONE ? "not judged" : d->dynamic ? "DYNAMIC" : "not dynamic");
    if (d->has_course) {
        const LqTimeCourse *c = &d->course;
        fprintf(fp, "  %-10s %s, frames %d-%d, %.1f s held still%s\n",
                d->course_source == LQ_DYNAMIC_FROM_PAUSE ? "Pause" : "Stationary", d->course_path, c->first + 1,
                c->last + 1, c->duration_s, d->course_source == LQ_DYNAMIC_FROM_PAUSE ? " at the lesion" : "");
        if (!c->judged) {
            fprintf(fp, "  Variation              -        not judged: %s\n", c->note);
        } else {
            fprintf(fp, "  Breathing  %s\n", c->note);
            for (int k = 0; k < c->cycles && k < LQ_DYNAMICS_MAX_CYCLES; k++)
                fprintf(fp, "  cycle %-3d  frames %d-%d: min %.1f, max %.1f, median %.1f mm2, variation %.0f %%\n", k + 1,
                        c->cycle[k].first + 1, c->cycle[k].last + 1, c->cycle[k].area_min_mm2, c->cycle[k].area_max_mm2,
                        c->cycle[k].area_median_mm2, c->cycle[k].variation_pct);
            fprintf(fp, "  Variation          %7.0f %%     %s: median over the cycles of (max - min)/max (dynamic above %.0f %%)\n",
                    c->variation_pct, c->dynamic ? "YES" : "no", c->threshold_pct);
        }
    }
    if (d->has_comparison) {
        const LqComparison *c = &d->comparison;
        fprintf(fp, "  Compared   %s: aligned %+.1f mm (area profiles, correlation %.2f)\n", c->path, c->shift_mm,
                c->correlation);
        if (!c->judged)
            fprintf(fp, "  MLA change             -        not judged: %s\n", c->note);
        else
            fprintf(fp, "  MLA change         %7.0f %%     %s: %.1f mm2 (frame %d) and %.1f mm2 (frame %d there), "
                        "(max - min)/max (dynamic above %.0f %%)\n",
                    c->change_pct, c->dynamic ? "YES" : "no", c->mla_mm2, c->lesion_frame + 1, c->other_mla_mm2,
                    c->other_lesion_frame + 1, c->threshold_pct);
    }
}

/* Pauses taken out of the positions (docs/measurements.md, "Frames held still"). */
static void pause_lines(FILE *fp, const LqResult *r)
{
    const LqDynamics *d = lq_result_dynamics(r);
    for (int k = 0; k < d->pauses; k++)
        if (d->pause[k].removed_mm > 0)
            fprintf(fp, "  Paused   frames %d-%d, %.1f s held still: one position, %.1f mm of stated pullback taken out\n",
                    d->pause[k].first + 1, d->pause[k].last + 1, d->pause[k].held_s, d->pause[k].removed_mm);
}

void lq_report_text(FILE *fp, const LqStudy *study, const LqResult *r)
{
    const LqStudyInfo *in = lq_study_info(study);
    const LqSummary *s = lq_result_summary(r);
    char date[16], where[64], where2[64];
    lq_date_iso(in->study_date, date, sizeof date);

    fprintf(fp, "lumenq %s - IVUS venous stenosis report\n", LUMENQ_VERSION);
    fprintf(fp, "Patient    %s  (ID %s)  study date %s\n", in->patient_name[0] ? in->patient_name : "(no name)",
            in->patient_id[0] ? in->patient_id : "-", date);
    fprintf(fp, "Study      %s\n", in->study_instance_uid);
    fprintf(fp, "File       %s\n", in->path);
    fprintf(fp, "Images     %u frames %ux%u, pixel %.4f x %.4f mm from %s\n", in->frames, in->cols,
            in->rows, in->pixel_dx_mm, in->pixel_dy_mm, lq_calibration_source_name(in->calibration));
    if (in->stationary) {
        fprintf(fp, "Recording  stationary (IVUS Acquisition %s): %.1f ms/frame, %.1f s held at one place\n",
                in->ivus_acquisition, in->frame_time_ms, in->frames * in->frame_time_ms / 1000.0);
    } else if (in->timing != LQ_TIMING_NONE) {
        double step = in->pullback_rate_mm_s * in->frame_time_ms / 1000.0;
        fprintf(fp, "Pullback   %.2f mm/s x %.1f ms/frame = %.3f mm/frame, %.1f mm, frame order %s%s\n",
                in->pullback_rate_mm_s, in->frame_time_ms, step, lq_result_frame(r, in->frames - 1)->position_mm,
                r->order_from_cfv ? "CFV -> IVC" : "IVC -> CFV",
                in->timing == LQ_TIMING_USER ? " (timing given by the user)" : "");
        pause_lines(fp, r);
    } else {
        fprintf(fp, "Pullback   no frame time or pullback rate: positions are frame numbers, "
                    "lesion length not in mm\n");
    }
    if (in->calibration_note[0]) fprintf(fp, "Caution    %s\n", in->calibration_note);
    if (strcmp(in->modality, "IVUS") != 0)
        fprintf(fp, "Caution    Modality is '%s', not IVUS: check that this is an intravascular pullback\n",
                in->modality);
    fputc('\n', fp);
    if (!s->ok) {
        fprintf(fp, "NOT MEASURED  %s\n", s->problem);
        dynamics_lines(fp, r);
        quality(fp, r);
        edits_lines(fp, r);
        return;
    }
    char verdict[160];
    lq_verdict_text(verdict, sizeof verdict, LQ_VERDICT_SAYS_THRESHOLD, s->significant, lq_metric_phrase(s->metric),
                    s->verdict_pct, s->threshold_pct);
    fprintf(fp, "VERDICT    %s\n", verdict);
    if (s->dynamic && lq_result_dynamics(r)->source == LQ_DYNAMIC_FROM_WINDOW) /* else a recording decides */
        fprintf(fp, "CAUTION    the lesion looks DYNAMIC: within +-%.3g %s the lumen opens and narrows again by\n"
                    "           %.0f %% of the MLA (areas %.1f-%.1f mm2 over %d frames), as with breathing or\n"
                    "           position; dynamic lesions are not stented - check before deciding\n",
                s->dynamic_window_mm, in->timing == LQ_TIMING_NONE ? "frames" : "mm", s->dynamic_variation_pct,
                s->dynamic_area_min_mm2, s->dynamic_area_max_mm2, s->dynamic_frames);
    dynamics_caution(fp, r);
    if (s->reference_method == LQ_METHOD_NORMAL)
        fprintf(fp, "CAUTION    reference is a published normal value, not this patient's vein\n");
    double step = in->pullback_rate_mm_s * in->frame_time_ms / 1000.0;
    if (in->timing != LQ_TIMING_NONE && step > COARSE_FRAME_STEP_MM)
        fprintf(fp, "CAUTION    frames are %.1f mm apart: a lesion or a narrowing shorter than that can lie\n"
                    "           between two frames and be missed\n", step);
    fputc('\n', fp);

    position(in, " at ", s->lesion_position_mm, where, sizeof where);
    char how[160];
    if (s->lesion_method == LQ_METHOD_USER && s->lesion_search_first >= 0)
        snprintf(how, sizeof how, "minimal lumen area in frames %d-%d, given by the user", s->lesion_search_first + 1,
                 s->lesion_search_last + 1);
    else if (s->lesion_method == LQ_METHOD_USER)
        snprintf(how, sizeof how, "given by the user");
    else if (s->lesion_moved_to_worst)
        snprintf(how, sizeof how, "auto: the worst narrowed segment, beyond frames %d-%d searched for the MLA",
                 s->lesion_search_first + 1, s->lesion_search_last + 1);
    else if (s->reference_run_first >= 0)
        snprintf(how, sizeof how, "auto: minimal lumen area proximal to the EIV");
    else
        snprintf(how, sizeof how, "auto: minimal lumen area beyond the IVC, frames %d-%d", s->lesion_search_first + 1,
                 s->lesion_search_last + 1);
    fprintf(fp, "Lesion     frame %d%s (%s)\n", s->lesion_frame + 1, where, how);
    fprintf(fp, "  MLA                %7.1f mm2   lumen area at the lesion (catheter included)\n", s->mla_mm2);
    fprintf(fp, "  MLD                %7.2f mm    minimal Feret (caliper) diameter\n", s->mld_mm);
    fprintf(fp, "  Max diameter       %7.2f mm    maximal Feret diameter\n", s->lesion_max_diameter_mm);
    if (s->lesion_first >= 0)
        fprintf(fp, "  Lesion length      %7.1f %s    frames %d-%d with area < 50 %% of A_ref\n",
                s->lesion_length_mm, in->timing == LQ_TIMING_NONE ? "fr" : "mm", s->lesion_first + 1,
                s->lesion_last + 1);
    else
        fprintf(fp, "  Lesion length          -        no frame below 50 %% of A_ref\n");
    if (s->dynamic_checked)
        fprintf(fp, "  Dynamic            %7.0f %%     %s: re-narrowing after opening, within +-%.3g %s, %% of MLA (flag %.0f %%)\n",
                s->dynamic_variation_pct, s->dynamic ? "YES" : "no", s->dynamic_window_mm,
                in->timing == LQ_TIMING_NONE ? "frames" : "mm", LQ_DYNAMIC_VARIATION_PCT);
    else
        fprintf(fp, "  Dynamic                -        not judged: %s\n", s->dynamic_note);
    if (lq_result_dynamics(r)->source > LQ_DYNAMIC_FROM_WINDOW)
        fprintf(fp, "                                   superseded: %s decides (Dynamics below)\n",
                lq_result_dynamics(r)->source == LQ_DYNAMIC_FROM_COMPARE ? "the second pullback"
                                                                         : "the recording held still");

    switch (s->reference_method) {
    case LQ_METHOD_USER:
        fprintf(fp, "Reference  frames %d-%d (given by the user)\n", s->reference_first + 1, s->reference_last + 1);
        break;
    case LQ_METHOD_AUTO:
        position(in, ", ", lq_result_frame(r, (size_t)s->reference_first)->position_mm, where, sizeof where);
        position(in, " to ", lq_result_frame(r, (size_t)s->reference_last)->position_mm, where2, sizeof where2);
        fprintf(fp, "Reference  frames %d-%d%s%s (auto: central part of the longest stable EIV run,\n"
                    "           frames %d-%d, CSA within +-15 %% of its median)\n",
                s->reference_first + 1, s->reference_last + 1, where, where2, s->reference_run_first + 1,
                s->reference_run_last + 1);
        break;
    case LQ_METHOD_EXTERNAL:
        fprintf(fp, "Reference  another pullback: %s\n", s->reference_note);
        break;
    case LQ_METHOD_NORMAL:
        fprintf(fp, "Reference  %s\n", s->reference_note);
        break;
    }
    fprintf(fp, "  A_ref              %7.1f mm2   %s\n", s->reference_area_mm2,
            s->reference_method == LQ_METHOD_NORMAL ? "normal value" : "mean lumen area of the reference frames");
    fprintf(fp, "  D_ref              %7.2f mm    %s\n", s->reference_diameter_mm,
            s->reference_method == LQ_METHOD_NORMAL ? "normal value" : "2*sqrt(A_ref/pi)");
    fputc('\n', fp);
    fprintf(fp, "Stenosis\n");
    const char *tag[3] = {"", "", ""};
    tag[s->metric] = "   (verdict)";
    fprintf(fp, "  Diameter %%DS       %7.1f %%     100*(1 - MLD/D_ref)%s\n", s->diameter_stenosis_pct,
            tag[LQ_METRIC_DIAMETER]);
    fprintf(fp, "  Area %%AS           %7.1f %%     100*(1 - MLA/A_ref)%s\n", s->area_stenosis_pct, tag[LQ_METRIC_AREA]);
    fprintf(fp, "  Equiv.-diameter    %7.1f %%     100*(1 - sqrt(MLA/A_ref))%s\n", s->equiv_diameter_stenosis_pct,
            tag[LQ_METRIC_EQUIV_DIAMETER]);
    fputc('\n', fp);
    segment_lines(fp, in, s);
    fputc('\n', fp);
    stent_lines(fp, in, s);
    fputc('\n', fp);
    dynamics_lines(fp, r);
    quality(fp, r);
    edits_lines(fp, r);
}
