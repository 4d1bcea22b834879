/* Report writers: one function per format, chosen by name in report.c. */
#ifndef LQ_REPORT_H
#define LQ_REPORT_H
#include <stdio.h>

#include "lumenq/lumenq.h"
#include "result.h"

void lq_report_text(FILE *fp, const LqStudy *study, const LqResult *r);
void lq_report_json(FILE *fp, const LqStudy *study, const LqResult *r);
#endif
