/* `lumenq hook DIR` (tools/hook.c). */
#ifndef LQ_HOOK_H
#define LQ_HOOK_H
#include "lumenq/lumenq.h"

#define LQ_HOOK_DEFAULT_OUT "lumenq-results"

typedef struct HookOptions {
    const LqOpenOptions *open;
    const LqRunOptions *run;  /* time_limit_s 0: 300 s per pullback */
    const char *out_root;     /* outputs in out_root/<study UID>/<SOP instance UID>/ */
    const char *log_path;     /* NULL: standard error */
    const char *send_aet, *send_host; /* send sr.dcm and report-pdf.dcm there (send_aet NULL: no) */
    unsigned send_port;
    const char *calling_aet;  /* NULL: LUMENQ */
} HookOptions;

/* "AET@HOST:PORT" into its parts (aet and host point into buf); 0 if malformed. */
int lumenq_parse_node(const char *text, char *buf, size_t len, const char **aet, const char **host, unsigned *port);

/* Measures every IVUS pullback found in dir; returns an exit code (0 also
 * when there is nothing to measure). */
int lumenq_hook(const char *dir, const HookOptions *o);
#endif
