/* O_TMPFILE is Linux-specific */
#define _GNU_SOURCE
#include "output.h"

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Gives the open unnamed file the name `name` (linkat's result, errno set). */
static int link_as(const LqOutput *o, const char *name)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fileno(o->fp));
    return linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW);
}

/* Links the complete unnamed file straight to the final name. linkat never
 * replaces an existing name (EEXIST), so the name appears only complete and
 * there is no temporary name for a kill to leave behind. Returns 0 when
 * linked, 1 when the final name exists (an overwrite: the caller falls back
 * to give_name + rename), -1 on any other error (errno set). */
static int link_final(LqOutput *o)
{
    if (link_as(o, o->final) == 0) return 0;
    return errno == EEXIST ? 1 : -1;
}

/* Links the complete unnamed file under the temporary name (XXXXXX made
 * unique), in the target folder, ready for the rename: only for an overwrite,
 * where linkat cannot replace the existing file but rename() can, atomically. */
static int give_name(LqOutput *o)
{
    size_t len = strlen(o->tmp);
    unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)(uintptr_t)o;
    for (unsigned attempt = 0; attempt < 64; attempt++) {
        seed = seed * 1103515245u + 12345u;
        snprintf(o->tmp + len - 6, 7, "%06x", (seed >> 8) & 0xFFFFFFu);
        if (link_as(o, o->tmp) == 0) {
            o->named = 1;
            return 0;
        }
        if (errno != EEXIST) return -1;
    }
    return -1;
}

int lq_output_open(LqOutput *o, const char *path, LqError *err)
{
    memset(o, 0, sizeof *o);
    if (!path || strcmp(path, "-") == 0) {
        o->fp = stdout;
        o->is_stdout = 1;
        return LQ_OK;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) return lq_fail(err, LQ_ERR_CREATE, "%s: is a folder", path);
        o->fp = fopen(path, "wb");
        if (!o->fp) return lq_fail(err, LQ_ERR_CREATE, "%s: cannot open for writing (%s)", path, strerror(errno));
        o->is_special = 1;
        snprintf(o->final, sizeof o->final, "%s", path);
        return LQ_OK;
    }
    if (strlen(path) + 16 >= sizeof o->tmp)
        return lq_fail(err, LQ_ERR_CREATE, "%s: path too long", path);
    snprintf(o->final, sizeof o->final, "%s", path);
    /* Same folder as the target, so rename() is atomic. */
    const char *slash = strrchr(path, '/');
    int dir_len = slash ? (int)(slash - path + 1) : 0;
    snprintf(o->tmp, sizeof o->tmp, "%.*s.%s.tmp-XXXXXX", dir_len, path, slash ? slash + 1 : path);
    /* An unnamed file first (O_TMPFILE): if lumenq is killed while writing,
     * nothing is left at all. Only when complete is it linked: to the final
     * name directly when that is free, else to a temporary name just before
     * the rename. Filesystems without O_TMPFILE get a named temporary file
     * from the start. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", dir_len ? dir_len : 1, dir_len ? path : ".");
    int fd = -1;
#ifdef O_TMPFILE
    if (access("/proc/self/fd", X_OK) == 0) { /* needed to give it a name */
        fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
        if (fd >= 0) o->unnamed = 1;
    }
#endif
    if (fd < 0) fd = mkstemp(o->tmp);
    if (fd < 0) {
        int e = errno;
        o->tmp[0] = 0;
        return lq_fail(err, LQ_ERR_CREATE, "%s: cannot create output (%s)", path, strerror(e));
    }
    fchmod(fd, 0644);
    o->fp = fdopen(fd, "wb");
    if (!o->fp) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        return lq_fail(err, LQ_ERR_CREATE, "%s: cannot create output (%s)", path, strerror(e));
    }
    return LQ_OK;
}

void lq_output_abort(LqOutput *o)
{
    if (!o->fp || o->is_stdout) return;
    fclose(o->fp); /* an unnamed file vanishes with it */
    if (!o->is_special && !o->unnamed) unlink(o->tmp);
    o->fp = NULL;
}

int lq_output_commit(LqOutput *o, LqError *err)
{
    if (o->is_stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            return lq_fail(err, LQ_ERR_IO, "stdout: write failed (%s)", strerror(errno));
        return LQ_OK;
    }
    int failed = fflush(o->fp) != 0 || ferror(o->fp) || (!o->is_special && fsync(fileno(o->fp)) != 0);
    int e = errno;
    /* Synced before any name is given, as before: a name only ever shows
     * complete data. linked: the unnamed file already holds the final name,
     * so there is no temporary and no rename. */
    int linked = 0;
    if (!failed && o->unnamed) {
        int r = link_final(o);
        if (r == 0) linked = 1;
        else if (r < 0 || give_name(o) != 0) failed = 1, e = errno;
    }
    if (fclose(o->fp) != 0 && !failed) failed = 1, e = errno;
    o->fp = NULL;
    if (!failed && !o->is_special && !linked && rename(o->tmp, o->final) != 0) failed = 1, e = errno;
    if (failed) {
        if (!o->is_special && !o->unnamed) unlink(o->tmp);
        if (o->unnamed && o->named) unlink(o->tmp);
        /* Only fclose can fail after the direct link; the final name did not
         * exist before it, so removing it restores what was there: nothing. */
        if (linked) unlink(o->final);
        return lq_fail(err, LQ_ERR_IO, "%s: write failed (%s)", o->final, strerror(e));
    }
    return LQ_OK;
}
