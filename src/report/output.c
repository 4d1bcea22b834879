#include "output.h"

#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    int fd = mkstemp(o->tmp);
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
    fclose(o->fp);
    if (!o->is_special) unlink(o->tmp);
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
    if (fclose(o->fp) != 0 && !failed) failed = 1, e = errno;
    o->fp = NULL;
    if (!failed && !o->is_special && rename(o->tmp, o->final) != 0) failed = 1, e = errno;
    if (failed) {
        if (!o->is_special) unlink(o->tmp);
        return lq_fail(err, LQ_ERR_IO, "%s: write failed (%s)", o->final, strerror(e));
    }
    return LQ_OK;
}
