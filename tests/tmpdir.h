/* A temporary folder per test program, removed at the end (cmocka group fixtures). */
#ifndef LQ_TEST_TMPDIR_H
#define LQ_TEST_TMPDIR_H
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char tmp_dir[64];

static int tmpdir_setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/lumenq-test-XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int tmpdir_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    return system(cmd) == 0 ? 0 : -1;
}
#endif
