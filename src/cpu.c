/* CPU feature detection and the LUMENQ_CPU kill switch (like VIPS_NOVECTOR). */
#include "cpu.h"

#include "lumenq/lumenq.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long xgetbv0(void)
{
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static int detect_hw(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return LQ_CPU_SCALAR;
    int level = LQ_CPU_SCALAR;
    if (d & bit_SSE2) level = LQ_CPU_SSE2;
    if (level == LQ_CPU_SSE2 && (c & bit_SSE4_1)) level = LQ_CPU_SSE41;
    /* AVX2 needs the OS to save the YMM registers (OSXSAVE + XCR0), not just CPUID. */
    int osxsave = (c & bit_OSXSAVE) != 0, avx = (c & bit_AVX) != 0;
    if (level == LQ_CPU_SSE41 && osxsave && avx && (xgetbv0() & 6) == 6 &&
        __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX2))
        level = LQ_CPU_AVX2;
    return level;
}
#elif defined(__aarch64__)
static int detect_hw(void) { return LQ_CPU_NEON; }
#else
static int detect_hw(void) { return LQ_CPU_SCALAR; }
#endif

const char *lq_cpu_level_name(int level)
{
    switch (level) {
    case LQ_CPU_SCALAR: return "scalar";
    case LQ_CPU_SSE2: return "sse2";
    case LQ_CPU_SSE41: return "sse41";
    case LQ_CPU_AVX2: return "avx2";
    case LQ_CPU_NEON: return "neon";
    default: return "unknown";
    }
}

int lq_cpu_level_from_name(const char *name)
{
    static const char *const names[] = {"scalar", "sse2", "sse41", "avx2", "neon"};
    for (int i = 0; i < 5; i++)
        if (name && strcmp(name, names[i]) == 0) return i;
    return -1;
}

int lq_cpu_detect(void)
{
    int level = detect_hw();
    const char *env = getenv("LUMENQ_CPU");
    int forced = lq_cpu_level_from_name(env);
    /* The override can only lower the level; NEON and x86 levels do not mix. */
    if (forced == LQ_CPU_SCALAR) return LQ_CPU_SCALAR;
    if (forced > 0 && forced < level && level != LQ_CPU_NEON) return forced;
    return level;
}

int lq_cpu_best_level(void) { return lq_cpu_detect(); }

int lq_cpu_resolve(int requested)
{
    int best = lq_cpu_detect();
    if (requested < 0) return best;
    if (requested == LQ_CPU_SCALAR) return LQ_CPU_SCALAR;
    if (best == LQ_CPU_NEON) return requested == LQ_CPU_NEON ? LQ_CPU_NEON : LQ_CPU_SCALAR;
    if (requested == LQ_CPU_NEON) return LQ_CPU_SCALAR;
    return requested < best ? requested : best;
}
