/* Atomic report output: a temporary file beside the target, renamed into
 * place only when everything was written; nothing half-written is left. */
#ifndef LQ_OUTPUT_H
#define LQ_OUTPUT_H
#include <stdio.h>

#include "lumenq/lumenq.h"

typedef struct LqOutput {
    FILE *fp;
    int is_stdout;
    int is_special;  /* an existing device or pipe: written in place, never replaced */
    char tmp[4096];
    char final[4096];
} LqOutput;

/* path NULL or "-" is stdout. A path that exists and is not a regular file
 * (/dev/null, a FIFO) is opened directly: renaming over it would replace it. */
int lq_output_open(LqOutput *o, const char *path, LqError *err);
int lq_output_commit(LqOutput *o, LqError *err);
void lq_output_abort(LqOutput *o);
#endif
