#ifndef LQ_CPU_H
#define LQ_CPU_H
/* Level the CPU supports, detected once; LUMENQ_CPU=scalar|sse2|sse41|avx2 lowers it. */
int lq_cpu_detect(void);
/* Clamp a requested level (-1 = best) to what this build and CPU can run. */
int lq_cpu_resolve(int requested);
#endif
