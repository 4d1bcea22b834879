/* Pullback timing: frame time, pullback rate and the position of every
 * frame (docs/measurements.md, "Calibration and timing"). */
#include "study.h"

#include <math.h>
#include <string.h>

/* Frame time: Frame Time, else the mean of Frame Time Vector (its first entry
 * is 0 by definition), else Cine Rate, else (one file per frame) the even
 * spacing of the files' Content Times. */
static double file_frame_time_ms(LqStudy *s)
{
    double v = 0;
    if (lqd_get_float(s->file, 0, 0, T_FRAME_TIME, 0, &v) && isfinite(v) && v > 0) return v;
    double sum = 0;
    unsigned n = 0;
    for (unsigned i = 1; i < s->info.frames; i++) {
        if (!lqd_get_float(s->file, 0, 0, T_FRAME_TIME_VECTOR, i, &v)) break;
        sum += v;
        n++;
    }
    if (n && sum > 0 && isfinite(sum)) return sum / n;
    if (lqd_get_float(s->file, 0, 0, T_CINE_RATE, 0, &v) && isfinite(v) && v > 0) return 1000.0 / v;
    return s->series_frame_time_ms;
}

void lq_study_timing(LqStudy *s, const LqOpenOptions *opt)
{
    LqStudyInfo *in = &s->info;
    double rate = 0;
    int user = 0;
    in->frame_time_ms = file_frame_time_ms(s);
    if (lqd_get_float(s->file, 0, 0, T_IVUS_PULLBACK_RATE, 0, &rate) && isfinite(rate) && rate > 0)
        in->pullback_rate_mm_s = rate;
    if (opt && opt->frame_time_ms > 0) in->frame_time_ms = opt->frame_time_ms, user = 1;
    if (opt && opt->pullback_rate_mm_s > 0) in->pullback_rate_mm_s = opt->pullback_rate_mm_s, user = 1;

    /* a stationary recording: the catheter held at one place (docs/measurements.md, "Dynamic lesions") */
    in->ivus_acquisition[0] = 0;
    lqd_get_string(s->file, 0, 0, T_IVUS_ACQUISITION, in->ivus_acquisition, sizeof in->ivus_acquisition);
    in->stationary = in->frames > 1 && strcmp(in->ivus_acquisition, "SELECTIVE") == 0;

    long start = 0, stop = 0;
    in->pullback_start_frame = 0;
    in->pullback_stop_frame = in->frames ? in->frames - 1 : 0;
    if (lqd_get_long(s->file, 0, 0, T_IVUS_PULLBACK_START, &start) && start >= 1 &&
        (unsigned long)start <= in->frames)
        in->pullback_start_frame = (unsigned)start - 1;
    if (lqd_get_long(s->file, 0, 0, T_IVUS_PULLBACK_STOP, &stop) && stop >= 1 &&
        (unsigned long)stop <= in->frames && (unsigned)stop - 1 >= in->pullback_start_frame)
        in->pullback_stop_frame = (unsigned)stop - 1;

    double step_mm = 0;
    if (in->frame_time_ms > 0 && in->pullback_rate_mm_s > 0) {
        in->timing = user ? LQ_TIMING_USER : LQ_TIMING_DICOM;
        step_mm = in->pullback_rate_mm_s * in->frame_time_ms / 1000.0;
    } else {
        in->timing = LQ_TIMING_NONE;
    }
    /* docs/measurements.md: position = frame index x pullback rate x frame time, from the
     * first frame of the pullback (IVUS Pullback Start Frame Number); frames
     * before it, the catheter still, get negative positions. */
    double origin = in->pullback_start_frame;
    for (unsigned i = 0; i < in->frames; i++)
        s->position_mm[i] = in->timing == LQ_TIMING_NONE ? (double)i - origin : ((double)i - origin) * step_mm;
}

double lq_study_frame_position_mm(const LqStudy *study, unsigned index)
{
    if (!study->position_mm || index >= study->info.frames) return 0.0;
    return study->position_mm[index];
}

int lq_study_frame_at_mm(const LqStudy *study, double mm, unsigned *index, LqError *err)
{
    const LqStudyInfo *in = &study->info;
    if (in->timing == LQ_TIMING_NONE || !study->position_mm)
        return lq_fail(err, LQ_ERR_USAGE, "%s: no frame time or pullback rate, so positions in mm cannot be used "
                                          "(give frame numbers, or --pullback-rate)", in->path);
    unsigned a = in->pullback_start_frame, b = in->pullback_stop_frame;
    double lo = study->position_mm[a], hi = study->position_mm[b];
    double half_step = b > a ? 0.5 * (hi - lo) / (b - a) : 0.0;
    if (!isfinite(mm) || mm < lo - half_step || mm > hi + half_step)
        return lq_fail(err, LQ_ERR_USAGE, "%s: position %.2f mm is outside the pullback: %.2f-%.2f mm", in->path, mm,
                       lo, hi);
    unsigned best = a;
    for (unsigned i = a; i <= b; i++)
        if (fabs(study->position_mm[i] - mm) < fabs(study->position_mm[best] - mm)) best = i;
    *index = best;
    return LQ_OK;
}
