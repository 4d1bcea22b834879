/* `lumenq hook DIR`: what a PACS runs when a study has arrived (DCMTK
 * storescp --exec-on-eostudy, an Orthanc script). It finds the measurable
 * IVUS pullbacks in DIR, measures each and writes every output into
 * OUT/<Study Instance UID>/<SOP Instance UID>/. Output names come only from
 * UIDs, reduced to digits and dots: never from patient names or any other
 * text the sender controls. The same study handled twice is measured once
 * (a marker per instance, the DICOM outputs' UIDs derived from the source);
 * a lock per study keeps two hooks apart. At most --max-jobs measurements
 * run at once under one OUT; the hooks beyond wait their turn in a queue.
 * One log line per study. */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIME_LIMIT_S 300.0 /* per pullback: a PACS must not wait forever */

typedef struct HookOptions {
    const LqOpenOptions *open;
    const LqRunOptions *run;  /* per pullback; time_limit_s 0: none */
    const char *out_root;     /* outputs in out_root/<study UID>/<SOP instance UID>/ */
    const char *log_path;     /* NULL: standard error */
    const char *send_aet, *send_host; /* send sr.dcm and report-pdf.dcm there (send_aet NULL: no) */
    unsigned send_port;
    const char *calling_aet;  /* NULL: LUMENQ */
    unsigned max_jobs;        /* measurements at once under out_root */
} HookOptions;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* A UID as a file name: digits and dots only, at most 64 characters. */
static void safe_name(const char *uid, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = uid; *p && n + 1 < len && n < 64; p++) out[n++] = (*p >= '0' && *p <= '9') || *p == '.' ? *p : '_';
    out[n] = 0;
    if (!n || strspn(out, ".") == n) snprintf(out, len, "unknown");
}

/* One line, to the log file (appended) or standard error. */
static void log_line(const HookOptions *o, const char *fmt, ...)
{
    char line[1200], stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' '; /* one line, whatever a message holds */
    FILE *fp = o->log_path ? fopen(o->log_path, "a") : stderr;
    if (!fp) fp = stderr;
    fprintf(fp, "%s lumenq hook: %s\n", stamp, line);
    if (fp != stderr) fclose(fp);
}

static int make_dir(const char *path)
{
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

/* The marker that an instance was measured by this version. */
static int already_done(const char *marker)
{
    char buf[64] = "";
    FILE *fp = fopen(marker, "r");
    if (!fp) return 0;
    size_t got = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[got] = 0;
    return strcmp(buf, "lumenq " LUMENQ_VERSION "\n") == 0;
}

static int mark_done(const char *marker)
{
    char tmp[4400];
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld", marker, (long)getpid());
    FILE *fp = fopen(tmp, "w");
    if (!fp) return -1;
    int bad = fputs("lumenq " LUMENQ_VERSION "\n", fp) < 0;
    bad |= fclose(fp) != 0;
    if (bad || rename(tmp, marker) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Job slots. A burst of studies (a console sending a day's work, a PACS
 * catching up) starts a hook for each at once; measuring them all together
 * would thrash memory and CPU. The slots are byte-range locks on
 * OUT/.jobs: byte 0 is the queue, bytes 1..max_jobs the slots. A hook
 * waits for the queue lock (blocking: the kernel queues the waiters), takes
 * the first free slot, polling while every slot is busy, and lets the next
 * in. The locks go with the process, so a hook that dies frees its slot. */
typedef struct JobSlot {
    int fd;
    unsigned slot; /* 1..max_jobs */
    double waited_s;
} JobSlot;

static int lock_byte(int fd, off_t at, int type, int wait)
{
    struct flock fl = {.l_type = (short)type, .l_whence = SEEK_SET, .l_start = at, .l_len = 1};
    int rc;
    while ((rc = fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl)) != 0 && errno == EINTR) continue;
    return rc;
}

static int take_job_slot(const HookOptions *o, JobSlot *js)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.jobs", o->out_root);
    double t0 = now_s();
    js->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (js->fd < 0 || lock_byte(js->fd, 0, F_WRLCK, 1) != 0) {
        if (js->fd >= 0) close(js->fd);
        js->fd = -1;
        return -1;
    }
    const struct timespec poll = {0, 50 * 1000 * 1000};
    for (js->slot = 0; !js->slot;) {
        for (unsigned k = 1; k <= o->max_jobs && !js->slot; k++)
            if (lock_byte(js->fd, k, F_WRLCK, 0) == 0) js->slot = k;
        if (!js->slot) nanosleep(&poll, NULL);
    }
    lock_byte(js->fd, 0, F_UNLCK, 0);
    js->waited_s = now_s() - t0;
    return 0;
}

static void release_job_slot(JobSlot *js)
{
    if (js->fd < 0) return;
    close(js->fd); /* drops every lock this process holds on the file */
    js->fd = -1;
}

/* The default --max-jobs: one measurement per CPU, as many as fit in half
 * the memory at --max-memory each (a measurement refuses to need more). */
static unsigned default_max_jobs(const LqRunOptions *run)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double per_job_mib = run->max_memory_mib ? run->max_memory_mib : LQ_DEFAULT_MAX_MEMORY_MIB;
    double memory_jobs = pages > 0 && page > 0 ? (double)pages * page / (1024.0 * 1024.0) / 2 / per_job_mib : 1e9;
    double jobs = cpus < 1 ? 1 : (double)cpus;
    if (memory_jobs < jobs) jobs = memory_jobs;
    return jobs < 1 ? 1u : (unsigned)jobs;
}

typedef struct HookOutput {
    LqReportFormat format;
    const char *name;
    int needs_lesion, needs_own_reference;
} HookOutput;

static const HookOutput outputs[] = {
    {LQ_REPORT_TEXT, "report.txt", 0, 0},        {LQ_REPORT_JSON, "report.json", 0, 0},
    {LQ_REPORT_CSV, "frames.csv", 0, 0},         {LQ_REPORT_PDF, "report.pdf", 0, 0},
    {LQ_REPORT_PDF_DICOM, "report-pdf.dcm", 0, 0}, {LQ_REPORT_SR, "sr.dcm", 1, 0},
    {LQ_REPORT_LESION_PNG, "lesion.png", 1, 0},  {LQ_REPORT_REFERENCE_PNG, "reference.png", 1, 1},
    {LQ_REPORT_PROFILE_PNG, "profile.png", 0, 0},
};

/* A recording held still at the lesion (docs/measurements.md, "Dynamic
 * lesions"): IVUS Acquisition SELECTIVE, or no pullback rate beside a
 * pullback of its study that has one. */
static int held_still(const LqScan *scan, const LqScanEntry *e)
{
    if (!e->pullback) return 0;
    if (e->info.stationary) return 1;
    if (e->info.pullback_rate_mm_s > 0) return 0;
    for (size_t k = 0; k < scan->count; k++) {
        const LqScanEntry *p = &scan->entries[k];
        if (p != e && p->pullback && !p->info.stationary && p->info.pullback_rate_mm_s > 0 &&
            strcmp(p->info.study_instance_uid, e->info.study_instance_uid) == 0)
            return 1;
    }
    return 0;
}

/* The longest recording held still of the study of `pullback`, or NULL. */
static const LqScanEntry *stationary_of(const LqScan *scan, const LqScanEntry *pullback)
{
    const LqScanEntry *best = NULL;
    for (size_t k = 0; k < scan->count; k++) {
        const LqScanEntry *e = &scan->entries[k];
        if (e == pullback || !held_still(scan, e) ||
            strcmp(e->info.study_instance_uid, pullback->info.study_instance_uid) != 0 || e->frame_series)
            continue;
        if (!best || e->info.frames > best->info.frames) best = e;
    }
    return best;
}

/* The study's other pullback when it holds two (neither held still, not
 * copies of one instance), or NULL: the two are compared, as lumenq measure
 * DIR compares them. */
static const LqScanEntry *other_pullback_of(const LqScan *scan, const LqScanEntry *pullback)
{
    const LqScanEntry *other = NULL;
    size_t others = 0;
    for (size_t k = 0; k < scan->count; k++) {
        const LqScanEntry *e = &scan->entries[k];
        if (e == pullback || !e->pullback || e->frame_series || held_still(scan, e) ||
            strcmp(e->info.study_instance_uid, pullback->info.study_instance_uid) != 0 ||
            (strcmp(e->info.sop_instance_uid, pullback->info.sop_instance_uid) == 0 &&
             strcmp(e->info.series_instance_uid, pullback->info.series_instance_uid) == 0))
            continue;
        other = e, others++;
    }
    return others == 1 ? other : NULL;
}

/* The lesion judged from another recording of its study, as lumenq measure
 * does (the pullback's measurement settings, none of its frame choices): one
 * held still, or (compare) a second pullback aligned on the first. */
static int judge_from(const HookOptions *o, const char *path, int compare, LqResult *result, LqError *err)
{
    LqStudy *study = NULL;
    int rc = lq_study_open(path, o->open, &study, err);
    if (rc == LQ_OK) rc = cli_judge_from(study, o->run, compare, result, err);
    lq_study_close(&study);
    return rc;
}

/* What the log line says of the dynamic verdict ("" when it is the
 * pullback's own window). */
static void dynamics_said(const LqResult *result, char *buf, size_t len)
{
    const LqDynamics *d = lq_result_dynamics(result);
    const LqComparison *c = &d->comparison;
    if (d->source == LQ_DYNAMIC_FROM_STATIONARY)
        snprintf(buf, len, ", %s in the recording held still", d->dynamic ? "DYNAMIC" : "not dynamic");
    else if (d->source == LQ_DYNAMIC_FROM_COMPARE)
        snprintf(buf, len, ", %s between the two pullbacks (MLA change %.0f %%, aligned %+.1f mm)",
                 d->dynamic ? "DYNAMIC" : "not dynamic", c->change_pct, c->shift_mm);
    else if (d->has_comparison)
        snprintf(buf, len, ", the two pullbacks not compared: %s", c->note);
    else
        snprintf(buf, len, "%s", lq_result_summary(result)->dynamic ? ", looks dynamic" : "");
}

/* Measures one pullback into dir, its lesion judged from `still` and
 * `second` (the study's other pullback) when there are; the log line's text
 * in `what`. */
static int measure_into(const HookOptions *o, const char *path, const char *still, const char *second,
                        const char *dir, char *what, size_t what_len)
{
    LqStudy *study = NULL;
    LqResult *result = NULL;
    LqError err = {0};
    LqRunOptions run = *o->run;
    int rc = lq_study_open(path, o->open, &study, &err);
    if (rc == LQ_OK) rc = lq_study_measure(study, &run, &result, &err);
    if (rc == LQ_OK && still && lq_result_summary(result)->ok) rc = judge_from(o, still, 0, result, &err);
    if (rc == LQ_OK && second && lq_result_summary(result)->ok) rc = judge_from(o, second, 1, result, &err);
    if (rc == LQ_OK && lq_result_dynamics(result)->has_course) {
        char file[4400];
        snprintf(file, sizeof file, "%s/dynamics.png", dir);
        rc = lq_report_write(study, result, LQ_REPORT_DYNAMICS_PNG, file, &err);
    }
    const LqSummary *s = rc == LQ_OK ? lq_result_summary(result) : NULL;
    for (size_t i = 0; rc == LQ_OK && i < sizeof outputs / sizeof outputs[0]; i++) {
        if ((outputs[i].needs_lesion && !s->ok) || (outputs[i].needs_own_reference && s->reference_first < 0)) continue;
        char file[4400];
        snprintf(file, sizeof file, "%s/%s", dir, outputs[i].name);
        rc = lq_report_write(study, result, outputs[i].format, file, &err);
    }
    if (rc != LQ_OK)
        snprintf(what, what_len, "error: %s", err.message);
    else if (!s->ok)
        snprintf(what, what_len, "not measured: %s", s->problem);
    else {
        char dynamics[300];
        dynamics_said(result, dynamics, sizeof dynamics);
        snprintf(what, what_len, "%s, %s %.1f %% (threshold %.0f %%)%s", s->significant ? "SIGNIFICANT" : "not significant",
                 lq_metric_name(s->metric), s->verdict_pct, s->threshold_pct, dynamics);
    }
    lq_result_free(&result);
    lq_study_close(&study);
    return rc;
}

/* The DICOM outputs of an instance to the node the options name. */
static int send_outputs(const HookOptions *o, const char *dir, LqError *err)
{
    char sr[4400], pdf[4400];
    snprintf(sr, sizeof sr, "%s/sr.dcm", dir);
    snprintf(pdf, sizeof pdf, "%s/report-pdf.dcm", dir);
    const char *files[2];
    size_t n = 0;
    if (access(sr, R_OK) == 0) files[n++] = sr;
    if (access(pdf, R_OK) == 0) files[n++] = pdf;
    return lq_dicom_send(files, n, o->send_aet, o->send_host, o->send_port, o->calling_aet, err);
}

/* Measures every IVUS pullback found in dir; returns an exit code (0 also
 * when there is nothing to measure). */
static int hook_study(const char *dir, const HookOptions *o)
{
    double t0 = now_s();
    LqScan *scan = NULL;
    LqError err = {0};
    int rc = lq_scan(dir, o->open, &scan, &err);
    if (rc != LQ_OK) {
        log_line(o, "folder %s: error: %s", dir, err.message);
        return lq_exit_code(rc);
    }
    size_t pullbacks = 0;
    for (size_t k = 0; k < scan->count; k++) pullbacks += scan->entries[k].pullback != 0;
    if (!pullbacks) {
        char study[80];
        safe_name(scan->count ? scan->entries[0].info.study_instance_uid : "", study, sizeof study);
        log_line(o, "study %s: nothing to measure (%zu DICOM objects, %zu other files), %.2f s", study, scan->count,
                 scan->skipped, now_s() - t0);
        lq_scan_free(&scan);
        return 0;
    }
    int worst = 0;
    if (make_dir(o->out_root) != 0) {
        log_line(o, "folder %s: error: cannot create %s (%s)", dir, o->out_root, strerror(errno));
        lq_scan_free(&scan);
        return 73;
    }
    for (size_t k = 0; k < scan->count; k++) {
        const LqScanEntry *e = &scan->entries[k];
        if (!e->pullback) continue;
        int is_still = held_still(scan, e);
        const LqScanEntry *still = is_still ? NULL : stationary_of(scan, e);
        const LqScanEntry *second = is_still ? NULL : other_pullback_of(scan, e);
        if (is_still) {
            /* it judges its study's pullback; measured alone only without one */
            int has_pullback = 0;
            for (size_t j = 0; j < scan->count; j++)
                has_pullback |= scan->entries[j].pullback && !held_still(scan, &scan->entries[j]) &&
                                strcmp(scan->entries[j].info.study_instance_uid, e->info.study_instance_uid) == 0;
            if (has_pullback) {
                char study[80], sop[80];
                safe_name(e->info.study_instance_uid, study, sizeof study);
                safe_name(e->info.sop_instance_uid, sop, sizeof sop);
                log_line(o, "study %s instance %s: a recording held still, it judges the study's pullback", study, sop);
                continue;
            }
        }
        double t1 = now_s();
        char study[80], sop[80], study_dir[4200], inst_dir[4300], lock_path[4310], marker[4310], what[700];
        safe_name(e->info.study_instance_uid, study, sizeof study);
        safe_name(e->info.sop_instance_uid, sop, sizeof sop);
        snprintf(study_dir, sizeof study_dir, "%s/%s", o->out_root, study);
        snprintf(inst_dir, sizeof inst_dir, "%s/%s", study_dir, sop);
        snprintf(lock_path, sizeof lock_path, "%s/.lock", study_dir);
        snprintf(marker, sizeof marker, "%s/done", inst_dir);
        if (make_dir(study_dir) != 0 || make_dir(inst_dir) != 0) {
            log_line(o, "study %s instance %s: error: cannot create %s (%s)", study, sop, inst_dir, strerror(errno));
            worst = worst > 73 ? worst : 73;
            continue;
        }
        /* one hook at a time per study; the second finds it done */
        int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock < 0 || flock(lock, LOCK_EX) != 0) {
            log_line(o, "study %s: error: cannot lock %s (%s)", study, lock_path, strerror(errno));
            if (lock >= 0) close(lock);
            worst = worst > 73 ? worst : 73;
            continue;
        }
        if (already_done(marker)) {
            log_line(o, "study %s instance %s: already measured by lumenq %s, outputs in %s", study, sop,
                     LUMENQ_VERSION, inst_dir);
        } else {
            JobSlot job;
            if (take_job_slot(o, &job) != 0) {
                log_line(o, "study %s: error: cannot lock %s/.jobs (%s)", study, o->out_root, strerror(errno));
                worst = worst > 73 ? worst : 73;
                flock(lock, LOCK_UN);
                close(lock);
                continue;
            }
            rc = measure_into(o, e->info.path, still ? still->info.path : NULL, second ? second->info.path : NULL,
                              inst_dir, what, sizeof what);
            if (rc == LQ_OK && o->send_aet) { /* the marker only once the node has them */
                LqError serr = {0};
                rc = send_outputs(o, inst_dir, &serr);
                size_t used = strlen(what);
                snprintf(what + used, sizeof what - used, rc == LQ_OK ? ", sent to %s@%s:%u" : ", not sent: %s",
                         rc == LQ_OK ? o->send_aet : serr.message, o->send_host, o->send_port);
            }
            if (rc == LQ_OK && mark_done(marker) != 0) rc = LQ_ERR_IO;
            release_job_slot(&job);
            log_line(o, "study %s instance %s: %s, job %u of %u after %.2f s waiting, %.2f s, outputs in %s", study, sop,
                     what, job.slot, o->max_jobs, job.waited_s, now_s() - t1 - job.waited_s, inst_dir);
            int code = lq_exit_code(rc);
            worst = code > worst ? code : worst;
        }
        flock(lock, LOCK_UN);
        close(lock);
    }
    lq_scan_free(&scan);
    return worst;
}

int cmd_hook(const Cli *cli)
{
    if (cli->n_args != 1) return cli_usage_error(cli, "%s", "hook needs exactly one DIR (the received study)");
    /* a PACS must not wait forever: a limit unless the integrator asks for none (0) */
    LqRunOptions run = cli->run;
    if (!cli->time_limit_given) run.time_limit_s = DEFAULT_TIME_LIMIT_S;
    unsigned max_jobs = cli->max_jobs ? cli->max_jobs : default_max_jobs(&run);
    if (!run.threads) { /* the CPUs shared among the jobs that may run at once */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        run.threads = cpus > (long)max_jobs ? (int)(cpus / (long)max_jobs) : 1;
    }
    HookOptions o = {&cli->open,     &run,          cli->out_dir ? cli->out_dir : CLI_HOOK_DEFAULT_OUT,
                     cli->log,       cli->send_aet, cli->send_host,
                     cli->send_port, cli->calling_aet, max_jobs};
    return hook_study(cli->args[0], &o);
}
