/* `lumenq review FILE|DIR --out DIR`: the pullback, its contours and the
 * numbers in a browser, served by libmicrohttpd on 127.0.0.1 behind a
 * random per-run token. The page (review_page.h, compiled in) only shows
 * and sends edits: every number comes from the library (the measured result
 * copied, the reader's edits applied by lq_result_apply_edits). One server
 * thread answers every request in turn, so the result needs no lock. */
#define _GNU_SOURCE /* getrandom */
#include "commands.h"
#include "review_page.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <arpa/inet.h>

#define MAX_BODY (8u << 20)  /* an edits request: 3000 contours of 256 points fit */
#define FRAME_CACHE 32       /* decoded frames kept (the neighbours of the one shown) */
#define LMODE_ANGLES 8       /* L-mode cuts every 22.5 degrees, built in one pass over the frames */
#define LQ_PI_APPROX 3.14159265358979323846
#define LQ_MIN_U(a, b) ((a) < (b) ? (a) : (b))

typedef struct Review {
    const Cli *cli;
    LqStudy *study;
    LqRunOptions run;
    LqResult *measured;  /* as lumenq measured it, never edited */
    LqResult *current;   /* a copy with the reader's edits */
    LqEdits *edits;      /* those edits (never NULL) */
    char token[33];
    Output outs[MAX_OUTPUTS];
    int n_outs;
    char edits_path[1024]; /* as LqEdits.path holds it */
    size_t frame_bytes;
    struct {
        long frame;
        unsigned long used;
        uint8_t *luma;
    } cache[FRAME_CACHE];
    unsigned long tick;
    /* L-mode: a background thread decodes every frame once and keeps, for
     * each angle, the line of pixels through the image centre (H x frames) */
    pthread_mutex_t read_lock;   /* the study is read by one thread at a time */
    pthread_t lmode_thread;
    int lmode_started;
    unsigned lmode_height;
    uint8_t *lmode;              /* LMODE_ANGLES x lmode_height x frames */
    size_t lmode_done;           /* frames sampled, under read_lock */
    int lmode_failed;
    int lmode_stop;              /* the server stops: the thread stops too */
} Review;

typedef struct Body {
    char *data;
    size_t len;
    int too_large;
} Body;

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type, const void *data, size_t len,
                            enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, mode);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    /* the page is the only origin allowed to run scripts or be framed */
    MHD_add_response_header(r, "Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    return respond(c, status, "text/plain; charset=utf-8", text, strlen(text), MHD_RESPMEM_MUST_COPY);
}

/* A JSON tree as the answer (consumed). */
static enum MHD_Result send_json(struct MHD_Connection *c, json_t *tree)
{
    char *text = tree ? json_dumps(tree, JSON_COMPACT) : NULL;
    json_decref(tree);
    if (!text) return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    return respond(c, MHD_HTTP_OK, "application/json", text, strlen(text), MHD_RESPMEM_MUST_FREE);
}

static json_t *number(double v) { return isfinite(v) ? json_real(v) : json_null(); }
static json_t *frame_or_null(int index0) { return index0 >= 0 ? json_integer(index0 + 1) : json_null(); }

/* What does not change while reviewing: the study and its frames. */
static json_t *info_json(const Review *rv)
{
    const LqStudyInfo *in = lq_study_info(rv->study);
    size_t n = lq_result_frame_count(rv->measured);
    json_t *positions = json_array(), *low = json_array();
    for (size_t i = 0; i < n; i++) {
        const LqFrameMeasure *m = lq_result_frame(rv->measured, i);
        json_array_append_new(positions, number(m->position_mm));
        if (!m->valid || m->confidence < rv->run.measure.low_confidence) json_array_append_new(low, json_integer((json_int_t)i + 1));
    }
    return json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:f,s:f,s:o,s:o,s:f,s:s,s:s,s:b}", "patient", in->patient_name,
                     "sop_instance_uid", in->sop_instance_uid, "file", in->path, "frames", (int)n, "rows",
                     (int)in->rows, "columns", (int)in->cols, "pixel_dx_mm", in->pixel_dx_mm, "pixel_dy_mm",
                     in->pixel_dy_mm, "positions_mm", positions, "low_confidence_frames", low, "threshold_pct",
                     rv->run.measure.threshold_pct, "metric", lq_metric_name(rv->run.measure.metric), "reader",
                     rv->cli->reader ? rv->cli->reader : "", "timed", in->timing != LQ_TIMING_NONE);
}

static void add_lmode_info(const Review *rv, json_t *info)
{
    json_object_set_new(info, "lmode_height", json_integer(rv->lmode_height));
    json_object_set_new(info, "lmode_angles", json_integer(LMODE_ANGLES));
}

/* The edits the page starts from (--edits): as the page keeps them. */
static json_t *edits_json(const LqEdits *e)
{
    json_t *contours = json_object();
    for (size_t i = 0; i < e->count; i++) {
        const LqEditedContour *c = &e->contours[i];
        json_t *points = json_array();
        for (unsigned k = 0; k < c->n; k++)
            json_array_append_new(points, json_pack("[f,f]", c->xy_mm[2 * k], c->xy_mm[2 * k + 1]));
        char key[16];
        snprintf(key, sizeof key, "%u", c->frame + 1);
        json_object_set_new(contours, key, points);
    }
    return json_pack("{s:o,s:o,s:o}", "lesion",
                     e->lesion_frame >= 0 ? json_pack("{s:i}", "frame", e->lesion_frame + 1) : json_null(),
                     "reference",
                     e->reference_first >= 0
                         ? json_pack("{s:i,s:i}", "first", e->reference_first + 1, "last", e->reference_last + 1)
                         : json_null(),
                     "contours", contours);
}

/* The page with this run's token where it says TOKEN; NULL when out of memory. */
static char *page_with_token(const char *token)
{
    size_t count = 0, tl = strlen(token);
    for (const char *p = review_page_html; (p = strstr(p, "TOKEN")); p += 5) count++;
    char *out = malloc(sizeof review_page_html + count * tl), *w = out;
    if (!out) return NULL;
    for (const char *p = review_page_html, *hit; *p; p = hit + 5) {
        if (!(hit = strstr(p, "TOKEN"))) {
            strcpy(w, p);
            break;
        }
        memcpy(w, p, (size_t)(hit - p)), w += hit - p;
        memcpy(w, token, tl), w += tl;
        *w = 0;
    }
    return out;
}

/* The numbers as the library has them now, and the per-frame profile. */
static json_t *state_json(const Review *rv)
{
    const LqResult *r = rv->current;
    const LqSummary *s = lq_result_summary(r);
    size_t n = lq_result_frame_count(r);
    json_t *area = json_array(), *pct = json_array(), *edited = json_array();
    for (size_t i = 0; i < n; i++) {
        const LqFrameMeasure *m = lq_result_frame(r, i);
        json_array_append_new(area, m->valid ? json_real(m->shape.area_mm2) : json_null());
        json_array_append_new(pct, number(lq_result_frame_stenosis_pct(r, i, s->metric)));
    }
    for (size_t i = 0; i < rv->edits->count; i++) json_array_append_new(edited, json_integer(rv->edits->contours[i].frame + 1));
    json_t *sum = json_pack("{s:b,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:f,s:b,s:s,s:s}", "ok", s->ok, "problem",
                            s->problem, "mla_mm2", number(s->ok ? s->mla_mm2 : NAN), "mld_mm",
                            number(s->ok ? s->mld_mm : NAN), "max_diameter_mm",
                            number(s->ok ? s->lesion_max_diameter_mm : NAN), "reference_area_mm2",
                            number(s->reference_area_mm2 > 0 ? s->reference_area_mm2 : NAN), "reference_diameter_mm",
                            number(s->reference_area_mm2 > 0 ? s->reference_diameter_mm : NAN),
                            "diameter_stenosis_pct", number(s->ok ? s->diameter_stenosis_pct : NAN),
                            "area_stenosis_pct", number(s->ok ? s->area_stenosis_pct : NAN),
                            "equiv_diameter_stenosis_pct", number(s->ok ? s->equiv_diameter_stenosis_pct : NAN),
                            "verdict_pct", number(s->ok ? s->verdict_pct : NAN), "threshold_pct", s->threshold_pct,
                            "significant", s->ok && s->significant, "lesion_method", lq_method_name(s->lesion_method),
                            "reference_method", lq_method_name(s->reference_method));
    json_object_set_new(sum, "lesion_frame", frame_or_null(s->ok ? s->lesion_frame : -1));
    json_object_set_new(sum, "segment_first", frame_or_null(s->lesion_first));
    json_object_set_new(sum, "segment_last", frame_or_null(s->lesion_last));
    json_object_set_new(sum, "reference_first", frame_or_null(s->reference_area_mm2 > 0 ? s->reference_first : -1));
    json_object_set_new(sum, "reference_last", frame_or_null(s->reference_area_mm2 > 0 ? s->reference_last : -1));
    return json_pack("{s:o,s:o,s:o,s:o}", "summary", sum, "area_mm2", area, "stenosis_pct", pct, "edited", edited);
}

/* Frame n (1-based): its contour and calipers in mm, its measures. */
static json_t *contour_json(const Review *rv, size_t i)
{
    const LqContour *c = lq_result_contour(rv->current, i);
    const LqFrameMeasure *m = lq_result_frame(rv->current, i);
    json_t *points = json_array();
    for (unsigned k = 0; m->valid && k < c->n; k++)
        json_array_append_new(points, json_pack("[f,f]", c->xy_mm[2 * k], c->xy_mm[2 * k + 1]));
    double mld[4], max[4];
    int calipers = lq_result_calipers(rv->current, i, mld, max) == LQ_OK;
    json_t *tree = json_pack("{s:i,s:b,s:o,s:o,s:o,s:o,s:o,s:f}", "frame", (int)i + 1, "valid", m->valid, "contour_mm",
                             points, "area_mm2", number(m->valid ? m->shape.area_mm2 : NAN), "min_diameter_mm",
                             number(m->valid ? m->shape.min_feret_mm : NAN), "max_diameter_mm",
                             number(m->valid ? m->shape.max_feret_mm : NAN), "stenosis_pct",
                             number(lq_result_frame_stenosis_pct(rv->current, i, lq_result_summary(rv->current)->metric)),
                             "confidence", m->confidence);
    if (calipers) {
        json_object_set_new(tree, "mld_caliper_mm", json_pack("[f,f,f,f]", mld[0], mld[1], mld[2], mld[3]));
        json_object_set_new(tree, "max_caliper_mm", json_pack("[f,f,f,f]", max[0], max[1], max[2], max[3]));
    }
    return tree;
}

/* Frame i decoded to luma, from the cache or the file. */
static const uint8_t *frame_luma(Review *rv, size_t i, LqError *err)
{
    size_t oldest = 0;
    for (size_t k = 0; k < FRAME_CACHE; k++) {
        if (rv->cache[k].luma && rv->cache[k].frame == (long)i) {
            rv->cache[k].used = ++rv->tick;
            return rv->cache[k].luma;
        }
        if (rv->cache[k].used < rv->cache[oldest].used) oldest = k;
    }
    if (!rv->cache[oldest].luma && !(rv->cache[oldest].luma = malloc(rv->frame_bytes))) return NULL;
    rv->cache[oldest].frame = -1;
    pthread_mutex_lock(&rv->read_lock);
    int rc = lq_study_read_frame(rv->study, (unsigned)i, rv->cache[oldest].luma, err);
    pthread_mutex_unlock(&rv->read_lock);
    if (rc != LQ_OK) return NULL;
    rv->cache[oldest].frame = (long)i, rv->cache[oldest].used = ++rv->tick;
    return rv->cache[oldest].luma;
}

/* Sample s (0..H-1) of the cut at angle a through the image centre, in pixels. */
static void lmode_point(const LqStudyInfo *in, unsigned height, int a, double s, double *x, double *y)
{
    double theta = LQ_PI_APPROX * a / LMODE_ANGLES, t = s - 0.5 * (height - 1);
    *x = 0.5 * (in->cols - 1) + t * cos(theta), *y = 0.5 * (in->rows - 1) + t * sin(theta);
}

static void *lmode_build(void *arg)
{
    Review *rv = arg;
    const LqStudyInfo *in = lq_study_info(rv->study);
    size_t n = in->frames, h = rv->lmode_height;
    uint8_t *luma = malloc(rv->frame_bytes);
    LqError err;
    for (size_t f = 0; luma && f < n; f++) {
        pthread_mutex_lock(&rv->read_lock);
        int rc = rv->lmode_stop ? LQ_ERR_USAGE : lq_study_read_frame(rv->study, (unsigned)f, luma, &err);
        pthread_mutex_unlock(&rv->read_lock);
        if (rc != LQ_OK) break;
        for (int a = 0; a < LMODE_ANGLES; a++)
            for (size_t s = 0; s < h; s++) {
                double x, y;
                lmode_point(in, (unsigned)h, a, (double)s, &x, &y);
                long c = lround(x), r = lround(y);
                uint8_t v = c >= 0 && r >= 0 && c < (long)in->cols && r < (long)in->rows ? luma[r * in->cols + c] : 0;
                rv->lmode[((size_t)a * h + s) * n + f] = v;
            }
        pthread_mutex_lock(&rv->read_lock);
        rv->lmode_done = f + 1;
        pthread_mutex_unlock(&rv->read_lock);
    }
    pthread_mutex_lock(&rv->read_lock);
    if (rv->lmode_done < n) rv->lmode_failed = 1;
    pthread_mutex_unlock(&rv->read_lock);
    free(luma);
    return NULL;
}

/* Where the cut at angle a crosses each frame's contour, nearest the centre
 * on each side (samples, as the L-mode's rows): the lumen border drawn on it. */
static json_t *lmode_borders(const Review *rv, int a)
{
    const LqStudyInfo *in = lq_study_info(rv->study);
    double x0, y0, x1, y1;
    lmode_point(in, rv->lmode_height, a, 0, &x0, &y0);
    lmode_point(in, rv->lmode_height, a, 1, &x1, &y1);
    double ux = x1 - x0, uy = y1 - y0; /* one sample along the cut */
    json_t *out = json_array();
    for (size_t f = 0; f < lq_result_frame_count(rv->current); f++) {
        const LqContour *c = lq_result_contour(rv->current, f);
        double below = -INFINITY, above = INFINITY, mid = 0.5 * (rv->lmode_height - 1);
        for (unsigned k = 0; lq_result_frame(rv->current, f)->valid && k < c->n; k++) {
            const double *p = &c->xy_mm[2 * k], *q = &c->xy_mm[2 * ((k + 1) % c->n)];
            double px = p[0] / in->pixel_dx_mm - x0, py = p[1] / in->pixel_dy_mm - y0;
            double qx = q[0] / in->pixel_dx_mm - x0, qy = q[1] / in->pixel_dy_mm - y0;
            /* the edge p + t (q - p) meets the cut s u: solve for s and t */
            double ex = qx - px, ey = qy - py, det = ux * -ey - uy * -ex;
            if (fabs(det) < 1e-12) continue;
            double s = (px * -ey - py * -ex) / det, t = (ux * py - uy * px) / det;
            if (t < 0 || t > 1) continue;
            if (s < mid && s > below) below = s;
            if (s >= mid && s < above) above = s;
        }
        json_array_append_new(out, isfinite(below) && isfinite(above) ? json_pack("[f,f]", below, above) : json_null());
    }
    return out;
}

/* The reader's edits (a whole edits.json) in place of the ones applied. */
static int apply(Review *rv, const char *body, size_t len, LqError *err)
{
    LqEdits *e = NULL;
    LqResult *r = NULL;
    int rc = lq_edits_from_json(body, len, "the edits sent", &e, err);
    if (rc == LQ_OK) rc = lq_result_copy(rv->measured, &r, err);
    if (rc == LQ_OK) {
        snprintf(e->reader, sizeof e->reader, "%s", rv->cli->reader ? rv->cli->reader : "");
        snprintf(e->path, sizeof e->path, "%s", rv->edits_path);
        rc = lq_result_apply_edits(r, rv->study, &rv->run.measure, e, err);
    }
    if (rc != LQ_OK) {
        lq_result_free(&r);
        lq_edits_free(&e);
        return rc;
    }
    if (rv->cli->site) lq_result_set_site(r, (LqSite)rv->cli->site);
    lq_result_free(&rv->current);
    lq_edits_free(&rv->edits);
    rv->current = r, rv->edits = e;
    return LQ_OK;
}

/* Save: edits.json (dated now) and every output again, from the edited result. */
static int save(Review *rv, LqError *err)
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(rv->edits->time, sizeof rv->edits->time, "%Y-%m-%dT%H:%M:%SZ", &utc);
    snprintf(rv->edits->path, sizeof rv->edits->path, "%s", rv->edits_path); /* the reports name the file saved */
    int rc = lq_edits_write(rv->edits, rv->edits_path, err);
    if (rc == LQ_OK) rc = write_outputs(rv->cli, rv->study, rv->current, rv->outs, rv->n_outs, err);
    const Cli *cli = rv->cli;
    if (rc == LQ_OK && cli->send_aet)
        rc = lq_dicom_send(&cli->sr, 1, cli->send_aet, cli->send_host, cli->send_port, cli->calling_aet, err);
    return rc;
}

static const struct {
    const char *path, *type, *text;
} assets[] = {
    {"/app.js", "text/javascript; charset=utf-8", review_page_js},
    {"/app.css", "text/css; charset=utf-8", review_page_css},
};

/* The token compared in constant time: how long a refusal takes tells nothing about it. */
static int token_ok(const char *given, const char *token)
{
    size_t n = strlen(token);
    if (!given || strlen(given) != n) return 0;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++) diff |= (unsigned char)(given[i] ^ token[i]);
    return diff == 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    Review *rv = cls;
    int post = strcmp(method, "POST") == 0;
    if (post) { /* the body arrives in pieces; answer once it is complete */
        Body *b = *con_cls;
        if (!b) {
            if (!(b = calloc(1, sizeof *b))) return MHD_NO;
            *con_cls = b;
            return MHD_YES;
        }
        if (*upload_size) {
            if (b->len + *upload_size > MAX_BODY) {
                b->too_large = 1;
            } else {
                char *grown = realloc(b->data, b->len + *upload_size + 1);
                if (!grown) return MHD_NO;
                memcpy(grown + b->len, upload, *upload_size);
                b->data = grown, b->len += *upload_size, b->data[b->len] = 0;
            }
            *upload_size = 0;
            return MHD_YES;
        }
    } else if (strcmp(method, "GET") != 0) {
        return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or POST only");
    }
    const char *token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
    if (!token_ok(token, rv->token)) return send_text(c, MHD_HTTP_FORBIDDEN, "forbidden: no valid token");

    LqError err = {0};
    if (!post) {
        for (size_t k = 0; k < sizeof assets / sizeof assets[0]; k++)
            if (strcmp(url, assets[k].path) == 0)
                return respond(c, MHD_HTTP_OK, assets[k].type, assets[k].text, strlen(assets[k].text),
                            MHD_RESPMEM_PERSISTENT);
        if (strcmp(url, "/") == 0) {
            char *page = page_with_token(rv->token);
            if (!page) return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
            return respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", page, strlen(page), MHD_RESPMEM_MUST_FREE);
        }
        if (strcmp(url, "/api/info") == 0) {
            json_t *tree = info_json(rv);
            json_object_set_new(tree, "edits", edits_json(rv->edits));
            add_lmode_info(rv, tree);
            return send_json(c, tree);
        }
        if (strcmp(url, "/api/state") == 0) return send_json(c, state_json(rv));
        const char *arg = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "frame");
        char *end = NULL;
        long frame = arg ? strtol(arg, &end, 10) : 0;
        size_t n = lq_result_frame_count(rv->current);
        int has_frame = arg && end && !*end && frame >= 1 && (size_t)frame <= n;
        if (strcmp(url, "/api/lmode") == 0 || strcmp(url, "/api/lmode-borders") == 0) {
            const char *angle = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "angle");
            long a = angle ? strtol(angle, &end, 10) : -1;
            if (!angle || *end || a < 0 || a >= LMODE_ANGLES) return send_text(c, MHD_HTTP_BAD_REQUEST, "no such angle");
            if (strcmp(url, "/api/lmode-borders") == 0) return send_json(c, lmode_borders(rv, (int)a));
            pthread_mutex_lock(&rv->read_lock);
            size_t done = rv->lmode_done;
            int failed = rv->lmode_failed;
            pthread_mutex_unlock(&rv->read_lock);
            if (failed) return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the frames could not all be read");
            if (done < n) {
                char msg[64];
                snprintf(msg, sizeof msg, "building: %zu of %zu frames", done, n);
                return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
            }
            return respond(c, MHD_HTTP_OK, "application/octet-stream", rv->lmode + (size_t)a * rv->lmode_height * n,
                           (size_t)rv->lmode_height * n, MHD_RESPMEM_PERSISTENT);
        }
        if (strcmp(url, "/api/contour") == 0 || strcmp(url, "/api/frame") == 0) {
            if (!has_frame) return send_text(c, MHD_HTTP_BAD_REQUEST, "no such frame");
            if (strcmp(url, "/api/contour") == 0) return send_json(c, contour_json(rv, (size_t)frame - 1));
            const uint8_t *luma = frame_luma(rv, (size_t)frame - 1, &err);
            if (!luma) return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, err.message);
            return respond(c, MHD_HTTP_OK, "application/octet-stream", luma, rv->frame_bytes, MHD_RESPMEM_MUST_COPY);
        }
        return send_text(c, MHD_HTTP_NOT_FOUND, "not found");
    }
    Body *b = *con_cls;
    if (b->too_large) return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "too large");
    if (strcmp(url, "/api/edits") == 0) {
        if (apply(rv, b->data ? b->data : "", b->len, &err) != LQ_OK)
            return send_text(c, MHD_HTTP_BAD_REQUEST, err.message);
        return send_json(c, state_json(rv));
    }
    if (strcmp(url, "/api/save") == 0) {
        if (save(rv, &err) != LQ_OK) return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, err.message);
        if (!rv->cli->quiet)
            cli_say(rv->cli, "saved %s and the outputs%s", rv->edits_path, rv->cli->send_aet ? ", SR sent" : "");
        return send_json(c, json_pack("{s:s,s:s}", "saved", rv->edits_path, "time", rv->edits->time));
    }
    return send_text(c, MHD_HTTP_NOT_FOUND, "not found");
}

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)c, (void)why;
    Body *b = *con_cls;
    if (b) free(b->data), free(b);
    *con_cls = NULL;
}

/* Measures the pullback and sets up what the server needs; an exit code. */
static int prepare(Review *rv, const char *path, const char *series_uid)
{
    const Cli *cli = rv->cli;
    LqError err = {0};
    int rc = series_uid[0] ? lq_study_open_series(path, series_uid, &cli->open, &rv->study, &err)
                           : lq_study_open(path, &cli->open, &rv->study, &err);
    if (rc == LQ_OK && cli->verbose) cli_say(cli, "%s: measuring", path);
    if (rc == LQ_OK) rc = lq_study_measure(rv->study, &rv->run, &rv->measured, &err);
    if (rc == LQ_OK) rc = lq_edits_new(rv->study, cli->reader, &rv->edits, &err);
    if (rc == LQ_OK && cli->edits) { /* start from saved edits */
        LqEdits *saved = NULL;
        rc = lq_edits_read(cli->edits, &saved, &err);
        if (rc == LQ_OK) lq_edits_free(&rv->edits), rv->edits = saved;
    }
    if (rc == LQ_OK) rc = lq_result_copy(rv->measured, &rv->current, &err);
    if (rc == LQ_OK && cli->edits) rc = lq_result_apply_edits(rv->current, rv->study, &rv->run.measure, rv->edits, &err);
    if (rc == LQ_OK && cli->site) lq_result_set_site(rv->current, (LqSite)cli->site);
    if (rc != LQ_OK) {
        cli_say(cli, "%s", err.message);
        return lq_exit_code(rc);
    }
    const LqStudyInfo *in = lq_study_info(rv->study);
    rv->frame_bytes = (size_t)in->rows * in->cols;
    rv->lmode_height = LQ_MIN_U(in->rows, in->cols);
    rv->lmode = malloc((size_t)LMODE_ANGLES * rv->lmode_height * in->frames);
    pthread_mutex_init(&rv->read_lock, NULL);
    /* without memory or a thread, the page works without its L-mode */
    rv->lmode_failed = !rv->lmode;
    rv->lmode_started = rv->lmode && pthread_create(&rv->lmode_thread, NULL, lmode_build, rv) == 0;
    if (!rv->lmode_started) rv->lmode_failed = 1;
    return 0;
}

static int random_token(char out[33])
{
    unsigned char bytes[16];
    if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes) return 0;
    for (int i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return 1;
}

int cmd_review(const Cli *cli)
{
    if (cli->n_args != 1) return cli_usage_error(cli, "%s", "review needs exactly one FILE or DIR");
    if (!cli->out_dir) return cli_usage_error(cli, "%s", "review needs --out DIR (Save writes there)");
    if (cli->send_aet && !cli->sr) return cli_usage_error(cli, "%s", "review --send sends the SR: give --sr FILE");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cli->port)};
    const char *bind_to = cli->bind ? cli->bind : "127.0.0.1";
    if (inet_pton(AF_INET, bind_to, &addr.sin_addr) != 1)
        return cli_usage_error(cli, "--bind '%s' is not an IPv4 address", bind_to);
    static Review rv;
    rv.cli = cli, rv.run = cli->run;
    if (!random_token(rv.token)) {
        cli_say(cli, "cannot draw a random token (%s)", strerror(errno));
        return 70;
    }
    char picked[1024], series_uid[65] = "";
    int code = 0;
    const char *path = input_pullback(cli, picked, sizeof picked, series_uid, sizeof series_uid, &code);
    if (!path) return code;
    if (!plan_outputs(cli, 0, rv.outs, &rv.n_outs) ||
        snprintf(rv.edits_path, sizeof rv.edits_path, "%s/edits.json", cli->out_dir) >= (int)sizeof rv.edits_path)
        return cli_usage_error(cli, "%s", "an output path is too long");
    /* a signal ends the server: blocked here, waited for below */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT), sigaddset(&stop, SIGTERM), sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    /* (before any thread starts: they inherit the mask, so only sigwait sees them) */
    code = make_output_dirs(cli);
    if (!code) code = prepare(&rv, path, series_uid);
    struct MHD_Daemon *d = NULL;
    if (!code) {
        d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handle, &rv,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
                             request_done, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
        if (!d) {
            cli_say(cli, "cannot listen on %s:%u (%s)", bind_to, cli->port, strerror(errno));
            code = 73;
        }
    }
    if (d) {
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
        unsigned port = info ? info->port : cli->port;
        if (strcmp(bind_to, "127.0.0.1") != 0)
            cli_say(cli, "listening on %s: anyone who can reach it and has the URL sees this patient's images",
                    bind_to);
        printf("http://%s:%u/?token=%s\n", bind_to, port, rv.token);
        fflush(stdout);
        int sig;
        sigwait(&stop, &sig);
        MHD_stop_daemon(d);
    }
    if (rv.lmode_started) {
        pthread_mutex_lock(&rv.read_lock);
        rv.lmode_stop = 1;
        pthread_mutex_unlock(&rv.read_lock);
        pthread_join(rv.lmode_thread, NULL);
    }
    free(rv.lmode);
    for (size_t k = 0; k < FRAME_CACHE; k++) free(rv.cache[k].luma);
    lq_result_free(&rv.current);
    lq_result_free(&rv.measured);
    lq_edits_free(&rv.edits);
    lq_study_close(&rv.study);
    return code;
}
