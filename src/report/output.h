/* Atomic report output: an unnamed file in the target folder (O_TMPFILE;
 * a named temporary file where the filesystem has none), given its name
 * only when everything was written and synced: linked straight to a new
 * name, or under a temporary name renamed over an existing file. Nothing
 * half-written is left, even when the process is killed. */
#ifndef LQ_OUTPUT_H
#define LQ_OUTPUT_H
#include <stdio.h>

#include "lumenq/lumenq.h"

typedef struct LqOutput {
    FILE *fp;
    int is_stdout;
    int is_special;  /* an existing device or pipe: written in place, never replaced */
    int unnamed;     /* O_TMPFILE: no name until complete */
    int named;       /* linked under tmp (an overwrite) */
    char tmp[4096];
    char final[4096];
} LqOutput;

/* path NULL or "-" is stdout. A path that exists and is not a regular file
 * (/dev/null, a FIFO) is opened directly: renaming over it would replace it. */
int lq_output_open(LqOutput *o, const char *path, LqError *err);
int lq_output_commit(LqOutput *o, LqError *err);
void lq_output_abort(LqOutput *o);
#endif
