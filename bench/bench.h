/* Timing and memory figures shared by the benchmark programs. */
#ifndef LQ_BENCH_H
#define LQ_BENCH_H
#include <sys/resource.h>
#include <time.h>

static inline double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* This process's peak resident memory, MiB. */
static inline double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0; /* kilobytes on Linux */
}
#endif
