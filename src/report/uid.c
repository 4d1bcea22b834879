/* Deterministic UIDs for what lumenq writes back: the same source instance
 * and lumenq version always give the same UIDs, so a study handled twice
 * does not create a second copy in the archive. "2.25." + a 128-bit number
 * in decimal (PS3.5 B.2: a UUID-derived root). */
#include "report.h"

#include <stdio.h>
#include <string.h>

/* 64-bit FNV-1a over the text, seeded: two seeds give 128 bits. */
static uint64_t fnv1a(const char *a, const char *b, uint64_t seed)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    const char *parts[3] = {a, "\x1f", b};
    for (int k = 0; k < 3; k++)
        for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++) h = (h ^ *p) * 1099511628211ull;
    h ^= h >> 33, h *= 0xff51afd7ed558ccdull, h ^= h >> 33; /* finaliser: spread the bits */
    return h;
}

void lq_derived_uid(const char *source_uid, const char *purpose, char out[65])
{
    char what[160];
    snprintf(what, sizeof what, "%s lumenq %s", purpose, LUMENQ_VERSION);
    unsigned __int128 v = ((unsigned __int128)fnv1a(source_uid, what, 0x9e3779b97f4a7c15ull) << 64) |
                          fnv1a(source_uid, what, 0xc2b2ae3d27d4eb4full);
    char digits[40];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v && n < 39);
    int used = snprintf(out, 65, "2.25.");
    while (n > 0 && used < 64) out[used++] = digits[--n];
    out[used] = 0;
}
