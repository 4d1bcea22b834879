/* What the checkasm families share: the random source, the report of each
 * comparison, the lengths tried and the CPU levels this machine has. */
#ifndef LQ_CHECKASM_H
#define LQ_CHECKASM_H
#include <stdint.h>

extern uint64_t rng_state;
uint32_t rnd(void);
int rnd_range(int lo, int hi);

extern int failures, checks;
void report(const char *kernel, const char *level, int ok, const char *detail);

/* Lengths that exercise vector bodies, tails and tiny inputs. */
#define N_LENGTHS 19
extern const int lengths[N_LENGTHS];
#define MAXN 1100
#define PAD 64

double now_ns(void);
/* The SIMD levels to test and time, up to max_level. */
void checkasm_levels(int max_level, int *first, int *last);

/* ct.c: the CT kernels at `level` against their scalar twins; their timing. */
void checkasm_ct(int level, const char *name);
/* lq_ct_dsp_init(-1) gives the best level's kernels. */
void checkasm_ct_resolve(void);
void bench_ct(int max_level);
/* reader.c: the reader's colour kernels, likewise. */
void checkasm_reader(int level, const char *name);
void checkasm_reader_resolve(void);
void bench_reader(int max_level);
#endif
