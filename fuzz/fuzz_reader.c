/* libFuzzer target: file bytes -> DICOM reader (open, describe, decode the
 * first and last frames). Nothing may crash, hang, leak or read out of
 * bounds, whatever the bytes; errors are fine. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lumenq/lumenq.h"

static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!path[0]) snprintf(path, sizeof path, "/tmp/lumenq-fuzz-reader-%ld.dcm", (long)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) return 0;
    fwrite(data, 1, size, fp);
    fclose(fp);
    LqStudy *study = NULL;
    LqError err;
    if (lq_study_open(path, NULL, &study, &err) == LQ_OK) {
        const LqStudyInfo *in = lq_study_info(study);
        const char *why = NULL;
        (void)lq_study_measurable(study, &why);
        size_t px = (size_t)in->rows * in->cols;
        uint8_t *luma = px ? malloc(px) : NULL;
        if (luma) {
            lq_study_read_frame(study, 0, luma, &err);
            if (in->frames > 1) lq_study_read_frame(study, in->frames - 1, luma, &err);
            lq_study_read_frame(study, in->frames, luma, &err); /* out of range: an error, not a crash */
        }
        for (unsigned i = 0; i < in->frames && i < 4; i++) (void)lq_study_frame_position_mm(study, i);
        free(luma);
        lq_study_close(&study);
    }
    unlink(path);
    return 0;
}
