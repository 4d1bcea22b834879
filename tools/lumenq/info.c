/* `lumenq info FILE...`: what each DICOM file or folder holds and whether
 * lumenq can measure it. */
#include "commands.h"

#include <string.h>
#include <sys/stat.h>

static void print_info(const LqStudyInfo *in, int ok, const char *why)
{
    printf("%s\n", in->path);
    printf("  SOP class        %s %s\n", in->sop_class_uid, in->sop_class_name);
    printf("  Modality         %s\n", in->modality);
    printf("  Patient          %s (ID %s)\n", in->patient_name, in->patient_id);
    printf("  Study UID        %s\n", in->study_instance_uid);
    printf("  Transfer syntax  %s %s\n", in->transfer_syntax_uid, in->transfer_syntax_name);
    if (in->rows) {
        printf("  Image            %u frames, %ux%u, %s, %u sample(s), %u/%u bits\n", in->frames, in->cols, in->rows,
               in->photometric, in->samples_per_pixel, in->bits_stored, in->bits_allocated);
        if (in->calibration != LQ_CAL_NONE)
            printf("  Calibration      %.5f x %.5f mm/pixel from %s\n", in->pixel_dx_mm, in->pixel_dy_mm,
                   lq_calibration_source_name(in->calibration));
        else
            printf("  Calibration      none\n");
        if (in->has_geometry) /* a CT slice or volume: positions in space, no pullback */
            printf("  Position         first frame at (%.1f, %.1f, %.1f) mm LPS\n", in->image_position[0],
                   in->image_position[1], in->image_position[2]);
        else if (in->stationary) /* held at one place: dynamics evidence, not a pullback */
            printf("  Stationary       IVUS Acquisition %s: the catheter held still, frame time %.3f ms (%.1f s); "
                   "judges a pullback's lesion dynamic or not\n",
                   in->ivus_acquisition, in->frame_time_ms, in->frames * in->frame_time_ms / 1000.0);
        else if (in->timing != LQ_TIMING_NONE)
            printf("  Pullback         %.3f mm/s, frame time %.3f ms, %.3f mm/frame, frames %u-%u\n",
                   in->pullback_rate_mm_s, in->frame_time_ms, in->pullback_rate_mm_s * in->frame_time_ms / 1000.0,
                   in->pullback_start_frame + 1, in->pullback_stop_frame + 1);
        else
            printf("  Pullback         untimed (frame time %.3f ms, rate %.3f mm/s)\n", in->frame_time_ms,
                   in->pullback_rate_mm_s);
    }
    printf("  Measurable       %s%s%s\n", ok ? "yes" : "no", ok ? "" : ": ", ok ? "" : why);
}

/* A CT series as lumenq would read it as a volume: its geometry, or why not. */
static void print_volume(const char *folder, const LqScanEntry *e, size_t count)
{
    unsigned frames = 0;
    for (size_t k = 0; k < count; k++) frames += e[k].info.frames;
    if (frames < 2 || strcmp(e->info.modality, "CT") != 0 || !e->info.has_geometry) return;
    LqVolume *g = NULL;
    LqError err = {0};
    if (lq_volume_probe(folder, e->info.series_instance_uid, NULL, &g, &err) == LQ_OK)
        printf("  Volume           %u slices sorted along the slice normal, %.3f x %.3f x %.3f mm\n", g->slices,
               g->dx_mm, g->dy_mm, g->dz_mm);
    else
        printf("  Volume           not usable: %s\n", err.message);
    lq_volume_free(&g);
}

/* A pullback exported one file per frame: described as the one study it
 * reads as; 0 (after saying why) when its files do not make one. */
static int print_frame_series(const Cli *cli, const char *folder, const LqScanEntry *e, size_t count)
{
    LqStudy *study = NULL;
    LqError err = {0};
    if (lq_study_open_series(folder, e->info.series_instance_uid, &cli->open, &study, &err) != LQ_OK) {
        printf("  not one pullback: %s\n", err.message);
        return 0;
    }
    printf("  one pullback of %zu single-frame images (one file per frame)\n", count);
    const char *why = NULL;
    int ok = lq_study_measurable(study, &why);
    print_info(lq_study_info(study), ok, why);
    lq_study_close(&study);
    return 1;
}

/* Entries a..b-1 of a scan: one series. Multi-frame objects (pullbacks) are
 * described one by one; a series of single-frame images is summed up. */
static void print_one_series(const Cli *cli, const char *folder, const LqScanEntry *e, size_t count)
{
    const LqStudyInfo *in = &e[0].info;
    size_t measurable = 0;
    unsigned frames = 0;
    for (size_t k = 0; k < count; k++) measurable += e[k].measurable != 0, frames += e[k].info.frames;
    printf("Series %s: %zu object%s, %s\n", in->series_instance_uid[0] ? in->series_instance_uid : "(no UID)", count,
           count == 1 ? "" : "s", in->modality[0] ? in->modality : "no modality");
    if (e[0].frame_series && print_frame_series(cli, folder, e, count)) return;
    if (count <= 3 || e[0].info.frames > 1) {
        for (size_t k = 0; k < count; k++) print_info(&e[k].info, e[k].measurable, e[k].why);
        return;
    }
    printf("  %zu single-frame images, %u frames in all; the first: %s\n", count, frames, in->path);
    printf("  SOP class        %s %s\n", in->sop_class_uid, in->sop_class_name);
    printf("  Transfer syntax  %s %s\n", in->transfer_syntax_uid, in->transfer_syntax_name);
    printf("  Image            %ux%u, %s, %u sample(s), %u/%u bits\n", in->cols, in->rows, in->photometric,
           in->samples_per_pixel, in->bits_stored, in->bits_allocated);
    if (in->calibration != LQ_CAL_NONE)
        printf("  Calibration      %.5f x %.5f mm/pixel from %s\n", in->pixel_dx_mm, in->pixel_dy_mm,
               lq_calibration_source_name(in->calibration));
    else
        printf("  Calibration      none\n");
    printf("  Measurable       %zu of %zu%s%s\n", measurable, count, measurable < count ? "; the first not: " : "",
           measurable < count ? e[0].why : "");
}

/* A scan grouped by study, then series (the scan is sorted that way). */
static void print_series(const Cli *cli, const char *folder, const LqScan *scan)
{
    for (size_t a = 0; a < scan->count;) {
        const LqStudyInfo *in = &scan->entries[a].info;
        if (a == 0 || strcmp(in->study_instance_uid, scan->entries[a - 1].info.study_instance_uid) != 0)
            printf("Study %s: %s (ID %s), %s\n", in->study_instance_uid[0] ? in->study_instance_uid : "(no UID)",
                   in->patient_name[0] ? in->patient_name : "(no name)", in->patient_id[0] ? in->patient_id : "-",
                   in->study_date[0] ? in->study_date : "no date");
        size_t b = a + 1;
        while (b < scan->count && strcmp(scan->entries[b].info.study_instance_uid, in->study_instance_uid) == 0 &&
               strcmp(scan->entries[b].info.series_instance_uid, in->series_instance_uid) == 0)
            b++;
        print_one_series(cli, folder, &scan->entries[a], b - a);
        print_volume(folder, &scan->entries[a], b - a);
        a = b;
    }
}

int is_collection(const char *path)
{
    struct stat st;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || strcmp(base, "DICOMDIR") == 0);
}

int cmd_info(const Cli *cli)
{
    if (cli->n_args < 1) return cli_usage_error(cli, "%s", "info needs at least one FILE");
    char **argv = cli->args;
    int worst = 0;
    for (int i = 0; i < cli->n_args; i++) {
        LqError err = {0};
        int rc;
        if (is_collection(argv[i])) {
            LqScan *scan = NULL;
            rc = lq_scan(argv[i], &cli->open, &scan, &err);
            if (rc == LQ_OK) {
                printf("%s: %zu DICOM objects, %zu other files skipped\n", argv[i], scan->count, scan->skipped);
                print_series(cli, argv[i], scan);
                lq_scan_free(&scan);
            }
        } else {
            LqStudy *study = NULL;
            rc = lq_study_open(argv[i], &cli->open, &study, &err);
            if (rc == LQ_OK) {
                const char *why = NULL;
                int ok = lq_study_measurable(study, &why);
                print_info(lq_study_info(study), ok, why);
                lq_study_close(&study);
            }
        }
        if (rc != LQ_OK) {
            cli_say(cli, "%s", err.message);
            int code = lq_exit_code(rc);
            if (code > worst) worst = code;
        }
    }
    return worst;
}

