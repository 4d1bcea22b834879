/* A measured phantom pullback in the test's temporary folder (cmocka group
 * fixtures): written, opened and measured once per test program. */
#ifndef LQ_TEST_PHANTOM_STUDY_H
#define LQ_TEST_PHANTOM_STUDY_H
#include <stdio.h>

#include "phantom/phantom.h"
#include "tmpdir.h"

static LqStudy *study;
static LqResult *result;
static char study_path[128];

/* seed, frames and size of the phantom; 0 when the study measured. */
static int phantom_study_setup(void **state, unsigned seed, unsigned frames, unsigned size)
{
    if (tmpdir_setup(state) != 0) return -1;
    LqpParams p;
    lqp_params_default(&p);
    p.seed = seed, p.frames = frames, p.size = size;
    char msg[256] = "";
    snprintf(study_path, sizeof study_path, "%s/study.dcm", tmp_dir);
    if (lqp_write_study(&p, study_path, NULL, msg, sizeof msg) != LQ_OK) return -1;
    LqError err = {0};
    if (lq_study_open(study_path, NULL, &study, &err) != LQ_OK) return -1;
    return lq_study_measure(study, NULL, &result, &err) == LQ_OK && lq_result_summary(result)->ok ? 0 : -1;
}

static int phantom_study_teardown(void **state)
{
    lq_result_free(&result);
    lq_study_close(&study);
    return tmpdir_teardown(state);
}
#endif
