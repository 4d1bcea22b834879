/* A flat, non-recursive walk over a DICOM file's elements that measures how
 * deeply sequences nest and checks that every value fits in the file. DCMTK
 * parses sequences recursively, so a hostile file with thousands of nested
 * sequences overflows the stack inside loadFile(); and it allocates a value's
 * declared length before reading it, so a 7 KB file declaring a 4 GB element
 * asks for 4 GB. Such files are refused here first. The walk reads a file
 * once, with no allocation proportional to its size except the stack of open
 * containers. */
#include "prescan.h"

#include "internal.h"

#include <stdint.h>
#include <stdio.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>

#define UNDEFINED 0xFFFFFFFFu
#define MAX_INFLATED (4LL << 30) /* a deflated dataset larger than this is refused */

typedef struct Inflater {
    z_stream z;
    uint8_t in[16384];
} Inflater;

typedef struct Reader {
    FILE *fp;
    Inflater *inf;             /* deflated dataset: bytes come through inflate */
    long pos;
    int big_endian;
    long size;                 /* of the file */
    uint16_t group, elem;      /* the element being walked */
    int overrun;               /* its value runs past the end of the file */
    int strict;                /* the encoding is known (meta header): overruns are real */
    uint32_t overrun_len;
} Reader;

/* Up to n inflated bytes into out (NULL: discard); how many came. */
static size_t inflate_some(Reader *r, uint8_t *out, size_t n)
{
    uint8_t sink[4096];
    size_t done = 0;
    z_stream *z = &r->inf->z;
    while (done < n) {
        size_t want = n - done;
        if (!out && want > sizeof sink) want = sizeof sink;
        z->next_out = out ? out + done : sink;
        z->avail_out = (uInt)want;
        if (!z->avail_in) {
            size_t got = fread(r->inf->in, 1, sizeof r->inf->in, r->fp);
            if (!got) break;
            z->next_in = r->inf->in, z->avail_in = (uInt)got;
        }
        int zr = inflate(z, Z_NO_FLUSH);
        done += want - z->avail_out;
        if (zr == Z_STREAM_END || (zr != Z_OK && zr != Z_BUF_ERROR)) break;
    }
    return done;
}

static int start_inflate(Reader *r)
{
    memset(&r->inf->z, 0, sizeof r->inf->z);
    /* raw deflate as the standard says; some writers add a zlib header */
    uint8_t h[2];
    long at = ftell(r->fp);
    int zlib_header = fread(h, 1, 2, r->fp) == 2 && (h[0] & 0x0F) == 8 && ((h[0] << 8) | h[1]) % 31 == 0;
    fseek(r->fp, at, SEEK_SET);
    return inflateInit2(&r->inf->z, zlib_header ? 15 : -15) == Z_OK;
}

static int read_bytes(Reader *r, void *buf, size_t n)
{
    if (r->inf ? inflate_some(r, buf, n) != n : fread(buf, 1, n, r->fp) != n) return 0;
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
    if ((long long)r->pos + n > r->size) {
        r->overrun = r->strict, r->overrun_len = n;
        return 0;
    }
    if (r->inf ? inflate_some(r, NULL, n) != n : fseek(r->fp, (long)n, SEEK_CUR) != 0) return 0;
    r->pos += (long)n;
    return 1;
}

static int is_vr(const uint8_t *b) { return b[0] >= 'A' && b[0] <= 'Z' && b[1] >= 'A' && b[1] <= 'Z'; }

/* VRs with a 2-byte reserved field and a 4-byte length in explicit VR. */
static int known_vr(const uint8_t *v)
{
    static const char vrs[] = "AEASATCSDADSDTFLFDISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV";
    for (size_t i = 0; i + 1 < sizeof vrs; i += 2)
        if (v[0] == vrs[i] && v[1] == vrs[i + 1]) return 1;
    return 0;
}

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

int lq_prescan(const char *path, int max_depth, int *depth_out, char *why, size_t why_len)
{
    *depth_out = 0;
    if (why_len) why[0] = 0;
    Reader r = {.fp = fopen(path, "rb")};
    if (!r.fp) return LQ_ERR_OPEN;
    if (fseek(r.fp, 0, SEEK_END) == 0) r.size = ftell(r.fp);
    rewind(r.fp);
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
            r.group = 0x0002, r.elem = u16(&r, h + 2);
            r.strict = 1; /* the meta header is always explicit VR little endian */
            uint32_t len = long_vr(h + 4) ? (read_bytes(&r, h, 4) ? u32(&r, h) : 0) : u16(&r, h + 6);
            if (u16(&r, h + 2) == 0x0010 && len < sizeof ts && !long_vr(h + 4)) {
                if (!read_bytes(&r, ts, len)) break;
                ts[len] = 0;
            } else if (!skip(&r, len)) {
                break;
            }
        }
        if (strncmp(ts, "1.2.840.10008.1.2.1.99", 22) == 0) { /* deflated: walk the inflated dataset */
            long data_at = r.pos;
            Inflater *inf = malloc(sizeof *inf);
            if (!inf) {
                fclose(r.fp);
                return LQ_ERR_INTERNAL;
            }
            r.inf = inf;
            /* first pass: the inflated size (a bound on every value) */
            long long total = 0;
            size_t got;
            if (start_inflate(&r)) {
                while ((got = inflate_some(&r, NULL, 1u << 20)) > 0 && total <= MAX_INFLATED) total += (long long)got;
                inflateEnd(&inf->z);
            }
            if (total > MAX_INFLATED) {
                free(inf);
                fclose(r.fp);
                snprintf(why, why_len, "deflated dataset expands beyond %lld bytes: refused", (long long)MAX_INFLATED);
                return LQ_ERR_DATA;
            }
            fseek(r.fp, data_at, SEEK_SET);
            if (!start_inflate(&r)) {
                free(inf);
                fclose(r.fp);
                return LQ_OK; /* DCMTK judges */
            }
            r.pos = 0, r.size = (long)total;
        }
        if (strcmp(ts, "1.2.840.10008.1.2") == 0) explicit_vr = 0;
        if (strcmp(ts, "1.2.840.10008.1.2.2") == 0) r.big_endian = 1;
        /* lengths are trusted for the little endian syntaxes the header names
         * (explicit, implicit, deflated, encapsulated); big endian and files
         * without a transfer syntax are left to DCMTK's own guessing */
        r.strict = strcmp(ts, "1.2.840.10008.1.2") == 0 || strcmp(ts, "1.2.840.10008.1.2.1") == 0 ||
                   strncmp(ts, "1.2.840.10008.1.2.1.99", 22) == 0 || strncmp(ts, "1.2.840.10008.1.2.4.", 20) == 0 ||
                   strcmp(ts, "1.2.840.10008.1.2.5") == 0;
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
        r.group = group, r.elem = elem;
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
                /* DCMTK reads an unknown VR of two capital letters with a 4-byte
                 * length, as the long ones (any other unknown VR with 2 bytes) */
                if (long_vr(vr) || (!known_vr(vr) && is_vr(vr))) {
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
    if (r.inf) {
        inflateEnd(&r.inf->z);
        free(r.inf);
    }
    fclose(r.fp);
    *depth_out = deepest;
    if (rc == LQ_OK && deepest > max_depth) {
        rc = LQ_ERR_DATA;
        snprintf(why, why_len, "sequences nested deeper than %d levels: refused", max_depth);
    } else if (rc == LQ_OK && r.overrun) {
        rc = LQ_ERR_DATA;
        snprintf(why, why_len, "element (%04X,%04X) declares %lu bytes, only %ld remain in the file: truncated or "
                               "corrupt", r.group, r.elem, (unsigned long)r.overrun_len, r.size - r.pos);
    }
    return rc;
}
