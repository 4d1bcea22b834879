#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

const char *lq_version(void) { return LUMENQ_VERSION; }

int lq_fail(LqError *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

/* sysexits.h values, spelled out so the mapping is documented in one place. */
int lq_exit_code(int status)
{
    switch (status) {
    case LQ_OK: return 0;
    case LQ_ERR_USAGE: return 64;
    case LQ_ERR_DATA: return 65;
    case LQ_ERR_OPEN: return 66;
    case LQ_ERR_CREATE: return 73;
    case LQ_ERR_IO: return 74;
    case LQ_ERR_LIMIT: return 75; /* EX_TEMPFAIL: retry with a larger budget */
    default: return 70;
    }
}

const char *lq_status_name(int status)
{
    switch (status) {
    case LQ_OK: return "ok";
    case LQ_ERR_USAGE: return "usage error";
    case LQ_ERR_DATA: return "bad data";
    case LQ_ERR_OPEN: return "cannot open input";
    case LQ_ERR_CREATE: return "cannot create output";
    case LQ_ERR_IO: return "I/O error";
    case LQ_ERR_LIMIT: return "resource limit reached";
    default: return "internal error";
    }
}
