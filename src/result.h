/* The result of measuring one study (opaque in the public API). */
#ifndef LQ_RESULT_H
#define LQ_RESULT_H
#include "lumenq/lumenq.h"

struct LqResult {
    size_t n;
    LqFrameMeasure *frames;
    LqContour *contours;
    double *points;      /* storage behind every contour */
    double *speckle;     /* per frame: neighbour correlation of the image texture */
    LqSummary summary;
    int order_from_cfv;  /* frame order CFV -> IVC (jugular access) */
    double low_confidence; /* the confidence cut used */
    size_t pullback_first, pullback_last; /* the pullback proper (start/stop frames) */
    int site;              /* LqSite of the lesion given by the user (lq_result_set_site); 0: unknown */
    const LqEdits *edits;  /* the reader's edits applied (lq_result_apply_edits), the caller's; NULL: none */
    /* dynamic lesions (measure/dynamics.c) */
    double *stillness;     /* per frame: likeness of its image to frame t - still_lag's (0: not measured) */
    size_t still_lag;
    int timed;             /* positions are in mm */
    double dynamic_threshold_pct;
    LqDynamics dynamics;   /* the evidence and verdict; its arrays are course_time, course_area */
    double *course_time, *course_area;
    int stationary_attached; /* the course is another recording's (lq_result_judge_stationary) */
    char study_uid[65];      /* the study measured: other recordings must be of it */
};
#endif
