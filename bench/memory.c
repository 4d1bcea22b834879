#define _DEFAULT_SOURCE /* wait4 */
/* Peak memory and time of measuring one pullback: shows that frames are
 * streamed (memory does not grow with the number of frames), compares the
 * time to read and decode every frame with the whole measurement, and with
 * DCMTK's own command-line decoder (dcmdrle, dcmdjpeg, dcmdjpls) writing the
 * same file uncompressed: both times and the ratio.
 * Usage: bench-memory FILE
 * A 3000-frame 512x512 RGB pullback (2.3 GB): lumenq-phantom big.dcm --frames 3000 --rgb */
#include "bench.h"
#include "lumenq/lumenq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* DCMTK's decoder for a transfer syntax, or NULL. */
static const char *dcmtk_decoder(const char *uid)
{
    if (strcmp(uid, "1.2.840.10008.1.2.5") == 0) return "dcmdrle";
    if (strncmp(uid, "1.2.840.10008.1.2.4.5", 21) == 0 || strncmp(uid, "1.2.840.10008.1.2.4.7", 21) == 0)
        return "dcmdjpeg";
    if (strcmp(uid, "1.2.840.10008.1.2.4.80") == 0 || strcmp(uid, "1.2.840.10008.1.2.4.81") == 0) return "dcmdjpls";
    return NULL;
}

/* Runs `tool in out`; its wall time and peak RSS (MiB). */
static int run_tool(const char *tool, const char *in, const char *out, double *seconds, double *peak)
{
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execlp(tool, tool, in, out, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) return -1;
    *seconds = now_s() - t0;
    *peak = ru.ru_maxrss / 1024.0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench-memory FILE\n");
        return 64;
    }
    LqStudy *st = NULL;
    LqResult *r = NULL;
    LqError err = {0};
    double t0 = now_s();
    if (lq_study_open(argv[1], NULL, &st, &err) != LQ_OK) {
        fprintf(stderr, "bench-memory: %s\n", err.message);
        return lq_exit_code(err.code);
    }
    double t_open = now_s() - t0;
    const LqStudyInfo *in = lq_study_info(st);
    double file_mib = (double)in->frames * in->rows * in->cols * in->samples_per_pixel * (in->bits_allocated / 8) /
                      (1024.0 * 1024.0);
    printf("%s: %u frames %ux%u %s, %.0f MiB of pixels; opened in %.2f s\n", argv[1], in->frames, in->cols, in->rows,
           in->photometric, file_mib, t_open);
    uint8_t *luma = calloc((size_t)in->rows * in->cols + 8, 1);
    double t1 = now_s();
    for (unsigned i = 0; i < in->frames; i++)
        if (lq_study_read_frame(st, i, luma, &err) != LQ_OK) {
            fprintf(stderr, "bench-memory: %s\n", err.message);
            return 65;
        }
    double t_read = now_s() - t1;
    free(luma);
    printf("read + decode every frame   %7.2f s, peak RSS so far %6.1f MiB\n", t_read, peak_mib());
    t1 = now_s();
    if (lq_study_measure(st, NULL, &r, &err) != LQ_OK) {
        fprintf(stderr, "bench-memory: %s\n", err.message);
        return lq_exit_code(err.code);
    }
    double t_measure = now_s() - t1;
    printf("measure (read, segment)     %7.2f s = %.2fx read + decode, peak RSS %6.1f MiB (%.1f %% of the pixels)\n",
           t_measure, t_measure / t_read, peak_mib(), 100.0 * peak_mib() / file_mib);
    const char *tool = dcmtk_decoder(in->transfer_syntax_uid);
    if (tool) {
        char out[64];
        snprintf(out, sizeof out, "/tmp/lumenq-bench-mem-%ld.dcm", (long)getpid());
        double t_tool, peak_tool;
        if (run_tool(tool, argv[1], out, &t_tool, &peak_tool) == 0)
            printf("DCMTK %-8s to a file    %7.2f s, peak RSS %6.1f MiB; lumenq read + decode / DCMTK = %.2f\n", tool,
                   t_tool, peak_tool, t_read / t_tool);
        else
            printf("DCMTK %s failed on this file\n", tool);
        unlink(out);
    } else {
        printf("(%s: no DCMTK command-line decoder to compare with)\n", in->transfer_syntax_name);
    }
    lq_result_free(&r);
    lq_study_close(&st);
    return 0;
}
