/* edits.json (docs/json.md, "Edits"): read with jansson, every field
 * checked, and written atomically like every other output. */
#include "internal.h"
#include "report/output.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EDITS_VERSION 1

/* `value` as a 1-based frame number, 0-based into *frame; 0 if it is not one. */
static int frame_number(const json_t *value, int *frame)
{
    if (!json_is_integer(value) || json_integer_value(value) < 1 || json_integer_value(value) > 1000000) return 0;
    *frame = (int)json_integer_value(value) - 1;
    return 1;
}

static int copy_string(const json_t *root, const char *key, char *into, size_t len, int required)
{
    const json_t *v = json_object_get(root, key);
    if (!v && !required) return 1;
    if (!json_is_string(v) || json_string_length(v) >= len) return 0;
    snprintf(into, len, "%s", json_string_value(v));
    return 1;
}

/* The lesion and reference choices: an object or null. */
static int read_choices(const json_t *root, LqEdits *e, const char **bad)
{
    const json_t *lesion = json_object_get(root, "lesion"), *reference = json_object_get(root, "reference");
    if (lesion && !json_is_null(lesion) && !frame_number(json_object_get(lesion, "frame"), &e->lesion_frame)) {
        *bad = "\"lesion\" is not null or {\"frame\": N}";
        return 0;
    }
    if (reference && !json_is_null(reference) &&
        (!frame_number(json_object_get(reference, "first"), &e->reference_first) ||
         !frame_number(json_object_get(reference, "last"), &e->reference_last) ||
         e->reference_last < e->reference_first)) {
        *bad = "\"reference\" is not null or {\"first\": A, \"last\": B} with A <= B";
        return 0;
    }
    return 1;
}

static int read_contours(const json_t *root, LqEdits *e, char *bad, size_t len)
{
    const json_t *list = json_object_get(root, "contours");
    if (!json_is_array(list)) {
        snprintf(bad, len, "\"contours\" is not a list");
        return 0;
    }
    static double xy[2 * LQ_EDIT_MAX_POINTS];
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *c = json_array_get(list, i), *points = json_object_get(c, "contour_mm");
        int frame;
        if (!frame_number(json_object_get(c, "frame"), &frame)) {
            snprintf(bad, len, "contour %zu has no valid \"frame\"", i + 1);
            return 0;
        }
        size_t n = json_array_size(points);
        if (!json_is_array(points) || n < 3 || n > LQ_EDIT_MAX_POINTS) {
            snprintf(bad, len, "frame %d: \"contour_mm\" is not a list of 3 to %d points", frame + 1,
                     LQ_EDIT_MAX_POINTS);
            return 0;
        }
        for (size_t k = 0; k < n; k++) {
            const json_t *p = json_array_get(points, k);
            const json_t *x = json_array_get(p, 0), *y = json_array_get(p, 1);
            if (json_array_size(p) != 2 || !json_is_number(x) || !json_is_number(y)) {
                snprintf(bad, len, "frame %d: point %zu is not [x, y]", frame + 1, k + 1);
                return 0;
            }
            xy[2 * k] = json_number_value(x), xy[2 * k + 1] = json_number_value(y);
        }
        for (size_t k = 0; k < e->count; k++)
            if (e->contours[k].frame == (unsigned)frame) {
                snprintf(bad, len, "frame %d has two contours", frame + 1);
                return 0;
            }
        LqError err;
        if (lq_edits_set_contour(e, (unsigned)frame, xy, (unsigned)n, &err) != LQ_OK) {
            snprintf(bad, len, "%s", err.message);
            return 0;
        }
    }
    return 1;
}

/* The edits in a parsed tree; `name` names their file in messages. */
static int edits_from_tree(json_t *root, const char *name, LqEdits **out, LqError *err)
{
    LqEdits *e = calloc(1, sizeof *e);
    if (!e) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    e->lesion_frame = e->reference_first = e->reference_last = -1;
    char bad[512] = "";
    const char *why = NULL;
    const json_t *version = json_object_get(root, "edits_version");
    if (!json_is_object(root))
        why = "not a JSON object";
    else if (!json_is_integer(version) || json_integer_value(version) != EDITS_VERSION)
        why = "\"edits_version\" is not 1";
    else if (!copy_string(root, "sop_instance_uid", e->sop_instance_uid, sizeof e->sop_instance_uid, 1))
        why = "no \"sop_instance_uid\"";
    else if (!copy_string(root, "reader", e->reader, sizeof e->reader, 1))
        why = "\"reader\" is not a string of at most 127 bytes";
    else if (!copy_string(root, "time", e->time, sizeof e->time, 1))
        why = "\"time\" is not a string";
    else if (!read_choices(root, e, &why) || !read_contours(root, e, bad, sizeof bad))
        why = why ? why : bad;
    if (why) {
        lq_edits_free(&e);
        return lq_fail(err, LQ_ERR_DATA, "%s: %s", name, why);
    }
    *out = e;
    return LQ_OK;
}

int lq_edits_from_json(const char *text, size_t len, const char *name, LqEdits **out, LqError *err)
{
    *out = NULL;
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) return lq_fail(err, LQ_ERR_DATA, "%s: not JSON (line %d: %s)", name, jerr.line, jerr.text);
    int rc = edits_from_tree(root, name, out, err);
    json_decref(root);
    return rc;
}

int lq_edits_read(const char *path, LqEdits **out, LqError *err)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return lq_fail(err, LQ_ERR_OPEN, "%s: cannot open (%s)", path, strerror(errno));
    json_error_t jerr;
    json_t *root = json_loadf(fp, JSON_REJECT_DUPLICATES, &jerr);
    fclose(fp);
    if (!root) return lq_fail(err, LQ_ERR_DATA, "%s: not JSON (line %d: %s)", path, jerr.line, jerr.text);
    int rc = edits_from_tree(root, path, out, err);
    json_decref(root);
    if (rc == LQ_OK) snprintf((*out)->path, sizeof (*out)->path, "%s", path);
    return rc;
}

static int add(json_t *into, const char *key, json_t *value) { return value && json_object_set_new(into, key, value) == 0; }

/* The edits as a JSON tree; NULL when out of memory. */
static json_t *edits_tree(const LqEdits *e)
{
    json_t *root = json_object(), *list = json_array();
    int ok = root && list;
    ok = ok && add(root, "edits_version", json_integer(EDITS_VERSION)) &&
         add(root, "lumenq_version", json_string(LUMENQ_VERSION)) &&
         add(root, "sop_instance_uid", json_string(e->sop_instance_uid)) &&
         add(root, "reader", json_string(e->reader)) && add(root, "time", json_string(e->time));
    ok = ok && add(root, "lesion", e->lesion_frame >= 0 ? json_pack("{s:i}", "frame", e->lesion_frame + 1) : json_null());
    ok = ok && add(root, "reference",
                   e->reference_first >= 0 ? json_pack("{s:i,s:i}", "first", e->reference_first + 1, "last",
                                                       e->reference_last + 1)
                                           : json_null());
    for (size_t i = 0; ok && i < e->count; i++) {
        const LqEditedContour *c = &e->contours[i];
        json_t *points = json_array();
        ok = points != NULL;
        for (unsigned k = 0; ok && k < c->n; k++)
            ok = json_array_append_new(points, json_pack("[f,f]", c->xy_mm[2 * k], c->xy_mm[2 * k + 1])) == 0;
        json_t *item = points ? json_pack("{s:i,s:o}", "frame", (int)c->frame + 1, "contour_mm", points) : NULL;
        ok = ok && item && json_array_append_new(list, item) == 0;
    }
    if (ok && add(root, "contours", list)) return root;
    json_decref(root);
    return NULL;
}

int lq_edits_write(const LqEdits *e, const char *path, LqError *err)
{
    json_t *root = edits_tree(e);
    if (!root) return lq_fail(err, LQ_ERR_INTERNAL, "out of memory");
    LqOutput o;
    int rc = lq_output_open(&o, path, err);
    if (rc == LQ_OK) {
        /* 17 significant digits: read back, the same doubles, so the same measures */
        if (json_dumpf(root, o.fp, JSON_INDENT(1) | JSON_REAL_PRECISION(17)) != 0 || fputc('\n', o.fp) == EOF) {
            lq_output_abort(&o);
            rc = lq_fail(err, LQ_ERR_IO, "%s: cannot write", path);
        } else {
            rc = lq_output_commit(&o, err);
        }
    }
    json_decref(root);
    return rc;
}

void lq_edits_summary(const LqEdits *e, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
#define PUT(...)                                                                  \
    do {                                                                          \
        int w_ = snprintf(buf + used, len - used, __VA_ARGS__);                   \
        if (w_ > 0) used = (size_t)w_ < len - used ? used + (size_t)w_ : len - 1; \
    } while (0)
    for (size_t i = 0; i < e->count; i++)
        PUT("%s%u", i ? ", " : e->count > 1 ? "contours of frames " : "contour of frame ", e->contours[i].frame + 1);
    if (e->count) PUT(" redrawn");
    const char *chosen = e->lesion_frame >= 0 && e->reference_first >= 0 ? "lesion and reference"
                         : e->lesion_frame >= 0                           ? "lesion"
                         : e->reference_first >= 0                        ? "reference"
                                                                          : NULL;
    if (chosen) PUT("%s%s chosen by the reader", used ? "; " : "", chosen);
    if (!used) PUT("nothing changed");
#undef PUT
}
