/* A reader's edits in the reports (the edits themselves: lumenq.h). */
#ifndef LQ_REVIEW_EDITS_H
#define LQ_REVIEW_EDITS_H
#include <stddef.h>

#include "lumenq/lumenq.h"

/* One line of what was changed: "contours of frames 65, 66 redrawn; lesion
 * chosen by the reader" ("nothing changed" when empty). */
void lq_edits_summary(const LqEdits *e, char *buf, size_t len);
#endif
