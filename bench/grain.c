/* Speckle grain of a real or phantom image: the correlation of its grey
 * levels with themselves at lags of 0-12 pixels along x and along y over a
 * window, and the lag where it falls to one half (interpolated). Used to
 * measure how real scanners draw speckle out across their beams
 * (docs/phantom.md, --beam).
 * Usage: bench-grain FILE X Y HALF [FRAME]   (window of 2 HALF + 1 pixels centred at X, Y; frame 1-based) */
#include "phantom/phantom.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: bench-grain FILE X Y HALF [FRAME]\n");
        return 64;
    }
    int cx = atoi(argv[2]), cy = atoi(argv[3]), half = atoi(argv[4]), frame = argc > 5 ? atoi(argv[5]) : 1;
    enum { MAX_LAG = 12 };
    LqStudy *st = NULL;
    LqError err = {0};
    if (lq_study_open(argv[1], NULL, &st, &err) != LQ_OK) {
        fprintf(stderr, "bench-grain: %s\n", err.message);
        return 1;
    }
    const LqStudyInfo *in = lq_study_info(st);
    if (half < 1 || frame < 1 || (unsigned)frame > in->frames || cx - half < 0 || cy - half < 0 ||
        (unsigned)(cx + half + MAX_LAG) >= in->cols || (unsigned)(cy + half + MAX_LAG) >= in->rows) {
        fprintf(stderr, "bench-grain: %s: the window and its lags leave the %ux%u image, or no frame %d\n", argv[1],
                in->cols, in->rows, frame);
        lq_study_close(&st);
        return 64;
    }
    uint8_t *luma = malloc((size_t)in->rows * in->cols);
    if (!luma || lq_study_read_frame(st, (unsigned)frame - 1, luma, &err) != LQ_OK) {
        fprintf(stderr, "bench-grain: %s\n", luma ? err.message : "out of memory");
        free(luma), lq_study_close(&st);
        return 1;
    }
    for (int along_y = 0; along_y < 2; along_y++) {
        double prev = 1.0, at_half = -1;
        printf("along %c:", along_y ? 'y' : 'x');
        for (int lag = 0; lag <= MAX_LAG; lag++) {
            double r = lqp_grey_correlation(luma, in->cols, cx, cy, half, lag, along_y);
            if (at_half < 0 && lag > 0 && r < 0.5) at_half = lag - 1 + (prev - 0.5) / (prev - r);
            prev = r;
            printf(" %.2f", r);
        }
        printf("   falls to 0.5 at %.1f pixels\n", at_half);
    }
    free(luma);
    lq_study_close(&st);
    return 0;
}
