/* A program as a user of the installed library writes it: built by
 * tests/install.sh with the installed pkg-config file, header and library
 * only. It reads frame FRAME (1-based) of FILE and prints what it found. */
#include <lumenq/lumenq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: install_client FILE FRAME\n");
        return 2;
    }
    if (strcmp(lq_version(), LUMENQ_VERSION) != 0) {
        fprintf(stderr, "header says lumenq %s, the library is %s\n", LUMENQ_VERSION, lq_version());
        return 1;
    }
    LqStudy *study = NULL;
    LqError err = {0};
    if (lq_study_open(argv[1], NULL, &study, &err) != LQ_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    const LqStudyInfo *in = lq_study_info(study);
    size_t px = (size_t)in->rows * in->cols;
    uint8_t *luma = malloc(px ? px : 1);
    unsigned frame = (unsigned)atoi(argv[2]);
    int rc = luma ? lq_study_read_frame(study, frame - 1, luma, &err) : LQ_ERR_INTERNAL;
    if (rc == LQ_OK) {
        unsigned long long sum = 0;
        for (size_t i = 0; i < px; i++) sum += luma[i];
        printf("lumenq %s: %ux%u %s, %u frames; frame %u mean luma %.3f\n", lq_version(), in->cols, in->rows,
               in->photometric, in->frames, frame, (double)sum / (double)px);
    } else {
        fprintf(stderr, "%s\n", err.message);
    }
    free(luma);
    lq_study_close(&study);
    return rc == LQ_OK && study == NULL ? 0 : 1;
}
