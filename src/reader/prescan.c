/* A flat, non-recursive walk over a DICOM file's elements that measures how
 * deeply sequences nest. DCMTK parses sequences recursively, so a hostile file
 * with thousands of nested sequences overflows the stack inside loadFile();
 * such a file is refused here first. The walk reads a file once, with no
 * allocation proportional to its size except the stack of open containers. */
#include "prescan.h"

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNDEFINED 0xFFFFFFFFu

typedef struct Reader {
    FILE *fp;
    long pos;
    int big_endian;
} Reader;

static int read_bytes(Reader *r, void *buf, size_t n)
{
    if (fread(buf, 1, n, r->fp) != n) return 0;
    r->pos += (long)n;
    return 1;
}

static uint16_t u16(const Reader *r, const uint8_t *b)
{
    return r->big_endian ? (uint16_t)(b[0] << 8 | b[1]) : (uint16_t)(b[1] << 8 | b[0]);
}

static uint32_t u32(const Reader *r, const uint8_t *b)
{
    return r->big_endian ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
                         : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static int skip(Reader *r, uint32_t n)
{
    if (fseek(r->fp, (long)n, SEEK_CUR) != 0) return 0;
    r->pos += (long)n;
    return 1;
}

static int is_vr(const uint8_t *b) { return b[0] >= 'A' && b[0] <= 'Z' && b[1] >= 'A' && b[1] <= 'Z'; }

/* VRs with a 2-byte reserved field and a 4-byte length in explicit VR. */
static int long_vr(const uint8_t *v)
{
    static const char *const vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
    for (size_t i = 0; i < sizeof vrs / sizeof vrs[0]; i++)
        if (v[0] == vrs[i][0] && v[1] == vrs[i][1]) return 1;
    return 0;
}

typedef struct Container {
    long end;      /* file offset where a defined-length container ends, -1 if undefined */
    int raw_items; /* encapsulated pixel data: items are fragments, not datasets */
    int implicit;  /* UN with undefined length is read as implicit VR (CP-246) */
} Container;

typedef struct Stack {
    Container *items;
    size_t n, cap;
} Stack;

static int push(Stack *st, Container c)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 64;
        Container *bigger = realloc(st->items, cap * sizeof *bigger);
        if (!bigger) return 0;
        st->items = bigger, st->cap = cap;
    }
    st->items[st->n++] = c;
    return 1;
}

int lq_prescan_nesting(const char *path, int max_depth, int *depth_out)
{
    *depth_out = 0;
    Reader r = {fopen(path, "rb"), 0, 0};
    if (!r.fp) return LQ_ERR_OPEN;
    uint8_t b[132];
    int explicit_vr = 1;
    /* Preamble and meta header (always explicit VR little endian). */
    if (fread(b, 1, 132, r.fp) == 132 && memcmp(b + 128, "DICM", 4) == 0) {
        r.pos = 132;
        char ts[72] = "";
        for (;;) {
            long at = r.pos;
            uint8_t h[8];
            if (!read_bytes(&r, h, 8)) break;
            if (u16(&r, h) != 0x0002) {
                fseek(r.fp, at, SEEK_SET), r.pos = at;
                break;
            }
            uint32_t len = long_vr(h + 4) ? (read_bytes(&r, h, 4) ? u32(&r, h) : 0) : u16(&r, h + 6);
            if (u16(&r, h + 2) == 0x0010 && len < sizeof ts && !long_vr(h + 4)) {
                if (!read_bytes(&r, ts, len)) break;
                ts[len] = 0;
            } else if (!skip(&r, len)) {
                break;
            }
        }
        if (strncmp(ts, "1.2.840.10008.1.2.1.99", 22) == 0) { /* deflated: the rest is zlib data */
            fclose(r.fp);
            return LQ_OK;
        }
        if (strcmp(ts, "1.2.840.10008.1.2") == 0) explicit_vr = 0;
        if (strcmp(ts, "1.2.840.10008.1.2.2") == 0) r.big_endian = 1;
    } else {
        /* No preamble: guess the encoding from the first element, as DCMTK does. */
        rewind(r.fp);
        uint8_t h[8];
        if (fread(h, 1, 8, r.fp) != 8) {
            fclose(r.fp);
            return LQ_OK;
        }
        explicit_vr = is_vr(h + 4);
        rewind(r.fp);
    }

    Stack st = {0};
    int rc = LQ_OK, deepest = 0;
    for (;;) {
        while (st.n && st.items[st.n - 1].end >= 0 && r.pos >= st.items[st.n - 1].end) st.n--;
        uint8_t h[8];
        if (!read_bytes(&r, h, 8)) break; /* end of file: DCMTK judges what is left */
        uint16_t group = u16(&r, h), elem = u16(&r, h + 2);
        if (group == 0xFFFE) {
            uint32_t len = u32(&r, h + 4);
            if (elem == 0xE0DD || elem == 0xE00D) { /* sequence / item delimiter */
                if (st.n) st.n--;
                continue;
            }
            if (elem != 0xE000) break;
            int raw = st.n && st.items[st.n - 1].raw_items;
            if (raw) {
                if (len == UNDEFINED || !skip(&r, len)) break;
                continue;
            }
            /* an item of a sequence: a nested dataset */
            int impl = st.n ? st.items[st.n - 1].implicit : 0;
            if (!push(&st, (Container){len == UNDEFINED ? -1 : r.pos + (long)len, 0, impl})) {
                rc = LQ_ERR_INTERNAL;
                break;
            }
        } else {
            int implicit_here = !explicit_vr || (st.n && st.items[st.n - 1].implicit);
            uint32_t len;
            int container = 0, raw = 0, implicit_inside = implicit_here;
            if (implicit_here) {
                len = u32(&r, h + 4);
                container = len == UNDEFINED; /* an implicit SQ or encapsulated data */
                raw = group == 0x7FE0 && elem == 0x0010;
            } else {
                uint8_t vr[2] = {h[4], h[5]};
                if (long_vr(vr)) {
                    uint8_t l[4];
                    if (!read_bytes(&r, l, 4)) break;
                    len = u32(&r, l);
                } else {
                    len = u16(&r, h + 6);
                }
                int sq = vr[0] == 'S' && vr[1] == 'Q';
                int un_undefined = vr[0] == 'U' && vr[1] == 'N' && len == UNDEFINED;
                raw = group == 0x7FE0 && elem == 0x0010 && len == UNDEFINED;
                container = sq || un_undefined || raw;
                if (un_undefined) implicit_inside = 1;
            }
            if (!container) {
                if (len == UNDEFINED || !skip(&r, len)) break;
                continue;
            }
            if (!push(&st, (Container){len == UNDEFINED ? -1 : r.pos + (long)len, raw, implicit_inside})) {
                rc = LQ_ERR_INTERNAL;
                break;
            }
        }
        if ((int)st.n > deepest) deepest = (int)st.n;
        if (deepest > max_depth) break;
    }
    free(st.items);
    fclose(r.fp);
    *depth_out = deepest;
    if (rc == LQ_OK && deepest > max_depth) rc = LQ_ERR_DATA;
    return rc;
}
