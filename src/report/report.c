#include "report.h"

#include "internal.h"
#include "output.h"

#include <string.h>

typedef struct Reporter {
    const char *name;
    LqReportFormat format;
    void (*write)(FILE *fp, const LqStudy *study, const LqResult *r);
} Reporter;

static const Reporter reporters[] = {
    {"text", LQ_REPORT_TEXT, lq_report_text},
    {"json", LQ_REPORT_JSON, lq_report_json},
};

int lq_report_format_from_name(const char *name, LqReportFormat *fmt)
{
    for (size_t i = 0; i < sizeof reporters / sizeof reporters[0]; i++)
        if (name && strcmp(name, reporters[i].name) == 0) {
            *fmt = reporters[i].format;
            return LQ_OK;
        }
    return LQ_ERR_USAGE;
}

int lq_report_write(const LqStudy *study, const LqResult *r, LqReportFormat fmt, const char *path,
                    LqError *err)
{
    const Reporter *rep = NULL;
    for (size_t i = 0; i < sizeof reporters / sizeof reporters[0]; i++)
        if (reporters[i].format == fmt) rep = &reporters[i];
    if (!rep) return lq_fail(err, LQ_ERR_USAGE, "unknown report format %d", (int)fmt);
    LqOutput out;
    int rc = lq_output_open(&out, path, err);
    if (rc != LQ_OK) return rc;
    rep->write(out.fp, study, r);
    return lq_output_commit(&out, err);
}
