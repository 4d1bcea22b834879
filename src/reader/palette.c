/* PALETTE COLOR lookup tables, whole or segmented, as one stored value ->
 * luma table. */
#include "study.h"

/* Segmented palette data (PS3.3 C.7.9.2): from word `at`, up to `segments`
 * segments (or to the end) appended to out[*o..n_out): discrete (opcode 0:
 * length, values), linear (1: length, end value; from the last entry) and,
 * when allowed, indirect (2: count of segments, 32-bit word offset of the
 * first, low word first). Every read is bounds-checked: the data come from
 * the sender. Returns 0, or -1 on malformed data. */
static int expand_segments(const uint16_t *seg, size_t nseg, size_t at, size_t segments, uint16_t *out, size_t *o,
                           size_t n_out, int allow_indirect)
{
    for (size_t done = 0; done < segments && at + 1 < nseg && *o < n_out; done++) {
        unsigned op = seg[at], len = seg[at + 1];
        if (op == 0) {
            if (at + 2 + len > nseg) return -1;
            for (unsigned k = 0; k < len && *o < n_out; k++) out[(*o)++] = seg[at + 2 + k];
            at += 2 + (size_t)len;
        } else if (op == 1) {
            if (*o == 0 || at + 2 >= nseg) return -1;
            double y0 = out[*o - 1], y1 = seg[at + 2];
            for (unsigned k = 1; k <= len && *o < n_out; k++) out[(*o)++] = (uint16_t)(y0 + (y1 - y0) * k / len + 0.5);
            at += 3;
        } else if (op == 2 && allow_indirect) {
            if (at + 3 >= nseg) return -1;
            size_t offset = (size_t)seg[at + 2] | (size_t)seg[at + 3] << 16;
            if (offset >= nseg || expand_segments(seg, nseg, offset, len, out, o, n_out, 0) != 0) return -1;
            at += 4;
        } else {
            return -1;
        }
    }
    return 0;
}

/* PALETTE COLOR (PS3.3 C.7.6.3.1.5): each channel's descriptor gives the
 * number of entries (0 = 65536), the first stored value mapped, and the bits
 * per entry; values below the first map to the first entry, above the last to
 * the last. The table is given whole or as segments (expanded here; DCMTK
 * 3.6.7 does not). The three tables become one stored value -> luma table. */
const char *lq_study_load_palette(LqStudy *s)
{
    unsigned n[3], first[3], bits[3];
    const uint16_t *data[3];
    uint16_t *expanded[3] = {NULL, NULL, NULL};
    size_t count[3];
    const char *problem = NULL;
    for (int c = 0; c < 3 && !problem; c++) {
        if (!lqd_get_u16(s->file, T_PALETTE_DESCRIPTOR_R + (uint32_t)c, 0, &n[c]) ||
            !lqd_get_u16(s->file, T_PALETTE_DESCRIPTOR_R + (uint32_t)c, 1, &first[c]) ||
            !lqd_get_u16(s->file, T_PALETTE_DESCRIPTOR_R + (uint32_t)c, 2, &bits[c])) {
            problem = "PALETTE COLOR without a complete palette color lookup table";
            break;
        }
        if (n[c] == 0) n[c] = 65536;
        if (bits[c] != 8 && bits[c] != 16) {
            problem = "palette entries are neither 8 nor 16 bits";
            break;
        }
        const uint16_t *seg;
        size_t nseg;
        if (lqd_get_u16_array(s->file, T_SEGMENTED_PALETTE_R + (uint32_t)c, &seg, &nseg)) {
            if (bits[c] != 16) {
                problem = "segmented palette with 8-bit entries is not supported";
                break;
            }
            size_t o = 0;
            expanded[c] = malloc(n[c] * sizeof **expanded);
            if (!expanded[c]) {
                problem = "out of memory for the palette";
                break;
            }
            if (expand_segments(seg, nseg, 0, SIZE_MAX, expanded[c], &o, n[c], 1) != 0 || o < n[c]) {
                problem = "segmented palette color lookup table malformed or shorter than its descriptor";
                break;
            }
            data[c] = expanded[c], count[c] = n[c];
            continue;
        }
        if (!lqd_get_u16_array(s->file, T_PALETTE_DATA_R + (uint32_t)c, &data[c], &count[c])) {
            problem = "PALETTE COLOR without a complete palette color lookup table";
            break;
        }
        /* 8-bit entries may be packed two to a 16-bit word */
        size_t need = bits[c] == 8 ? (n[c] + 1) / 2 : n[c];
        if (count[c] < need) problem = "palette color lookup table shorter than its descriptor";
    }
    unsigned levels = 1u << s->info.bits_stored;
    if (!problem && (!(s->palette_luma = malloc(levels)) || !(s->palette_luma_graphics = calloc(levels / 8 + 1, 1))))
        problem = "out of memory for the palette";
    for (unsigned v = 0; !problem && v < levels; v++) {
        unsigned rgb[3];
        for (int c = 0; c < 3; c++) {
            long i = (long)v - (long)first[c];
            i = i < 0 ? 0 : i >= (long)n[c] ? (long)n[c] - 1 : i;
            if (bits[c] == 16) {
                rgb[c] = data[c][i] >> 8;
            } else {
                uint16_t w = data[c][i / 2]; /* little-endian packing: even index in the low byte */
                rgb[c] = i % 2 ? w >> 8 : w & 0xFF;
            }
        }
        s->palette_luma[v] = luma(rgb[0], rgb[1], rgb[2]);
        if (is_overlay_colour(0, rgb[0], rgb[1], rgb[2])) {
            s->palette_has_graphics = 1;
            s->palette_luma_graphics[v / 8] |= (uint8_t)(1u << (v % 8));
        }
    }
    for (int c = 0; c < 3; c++) free(expanded[c]);
    return problem;
}
