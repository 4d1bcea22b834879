/* AVX2 CT kernels; bit-exact twins of src/ct/generic/kernels_c.c.
 * Compiled with -mavx2 for this file only. */
#include "ct/generic/kernels.h"
#include "ct/x86/kernels.h"

#include <immintrin.h>

/* v = (a * (256 - f) + b * f + 128) >> 8 on eight int32 lanes. */
static inline __m256i lerp8_avx2(__m256i a, __m256i b, __m256i f)
{
    const __m256i w256 = _mm256_set1_epi32(256), round = _mm256_set1_epi32(128);
    __m256i v = _mm256_add_epi32(_mm256_mullo_epi32(a, _mm256_sub_epi32(w256, f)), _mm256_mullo_epi32(b, f));
    return _mm256_srai_epi32(_mm256_add_epi32(v, round), 8);
}

/* The two int16 voxels of a gathered 32-bit pair, sign-extended: x and x+1. */
static inline __m256i lo16(__m256i pair) { return _mm256_srai_epi32(_mm256_slli_epi32(pair, 16), 16); }
static inline __m256i hi16(__m256i pair) { return _mm256_srai_epi32(pair, 16); }

void lq_trilinear_avx2(int16_t *dst, const int16_t *vol, int nx, int ny, int nz, const int32_t p0[3],
                       const int32_t step[3], int n, int16_t outside)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), frac = _mm256_set1_epi32(0xFFFF);
    const __m256i half = _mm256_set1_epi32(128), minus1 = _mm256_set1_epi32(-1);
    const __m256i lim_x = _mm256_set1_epi32(nx - 1), lim_y = _mm256_set1_epi32(ny - 1), lim_z = _mm256_set1_epi32(nz - 1);
    const __m256i sy = _mm256_set1_epi32(nx), sz = _mm256_set1_epi32(nx * ny), out = _mm256_set1_epi32(outside);
    __m256i pos[3], inc[3];
    for (int k = 0; k < 3; k++) {
        pos[k] = _mm256_add_epi32(_mm256_set1_epi32(p0[k]), _mm256_mullo_epi32(lane, _mm256_set1_epi32(step[k])));
        inc[k] = _mm256_set1_epi32(8 * step[k]);
    }
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i ix = _mm256_srai_epi32(pos[0], 16), iy = _mm256_srai_epi32(pos[1], 16), iz = _mm256_srai_epi32(pos[2], 16);
        /* inside: 0 <= i < size - 1 on every axis */
        __m256i in = _mm256_and_si256(_mm256_cmpgt_epi32(ix, minus1), _mm256_cmpgt_epi32(lim_x, ix));
        in = _mm256_and_si256(in, _mm256_and_si256(_mm256_cmpgt_epi32(iy, minus1), _mm256_cmpgt_epi32(lim_y, iy)));
        in = _mm256_and_si256(in, _mm256_and_si256(_mm256_cmpgt_epi32(iz, minus1), _mm256_cmpgt_epi32(lim_z, iz)));
        __m256i base = _mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(iz, sz), _mm256_mullo_epi32(iy, sy)), ix);
        base = _mm256_and_si256(base, in); /* lanes outside read voxel 0 and are replaced below */
        __m256i fx = _mm256_srli_epi32(_mm256_add_epi32(_mm256_and_si256(pos[0], frac), half), 8);
        __m256i fy = _mm256_srli_epi32(_mm256_add_epi32(_mm256_and_si256(pos[1], frac), half), 8);
        __m256i fz = _mm256_srli_epi32(_mm256_add_epi32(_mm256_and_si256(pos[2], frac), half), 8);
        const int *v32 = (const int *)vol;
        __m256i c00 = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), v32, base, in, 2);
        __m256i c01 = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), v32, _mm256_add_epi32(base, sy), in, 2);
        __m256i c10 = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), v32, _mm256_add_epi32(base, sz), in, 2);
        __m256i c11 = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), v32,
                                                  _mm256_add_epi32(base, _mm256_add_epi32(sz, sy)), in, 2);
        __m256i a = lerp8_avx2(lerp8_avx2(lo16(c00), hi16(c00), fx), lerp8_avx2(lo16(c01), hi16(c01), fx), fy);
        __m256i b = lerp8_avx2(lerp8_avx2(lo16(c10), hi16(c10), fx), lerp8_avx2(lo16(c11), hi16(c11), fx), fy);
        __m256i v = _mm256_blendv_epi8(out, lerp8_avx2(a, b, fz), in);
        __m128i packed = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        _mm_storeu_si128((__m128i *)(dst + i), packed);
        for (int k = 0; k < 3; k++) pos[k] = _mm256_add_epi32(pos[k], inc[k]);
    }
    if (i < n) {
        int32_t rest[3] = {p0[0] + i * step[0], p0[1] + i * step[1], p0[2] + i * step[2]};
        lq_trilinear_c(dst + i, vol, nx, ny, nz, rest, step, n - i, outside);
    }
}
