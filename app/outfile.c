/* outfile.c — see outfile.h. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common.h"

int app_outfile_open(app_outfile *o, const char *sub, const char *label, const char *out_path,
                     SF_INFO *info)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->out = out_path;
    const char *slash = strrchr(out_path, '/');
    const char *name = slash ? slash + 1 : out_path;
    if (!slash)
        snprintf(o->dir, sizeof o->dir, ".");
    else if (slash == out_path)
        snprintf(o->dir, sizeof o->dir, "/");
    else
        snprintf(o->dir, sizeof o->dir, "%.*s", (int)(slash - out_path), out_path);
    int n = snprintf(o->tmp, sizeof o->tmp, "%s/.%s.tmp-XXXXXX", o->dir, name);
    if (n < 0 || (size_t)n >= sizeof o->tmp) {
        app_err(sub, "'%s': output path too long", label);
        return -1;
    }
    o->fd = mkstemp(o->tmp);
    if (o->fd < 0) {
        app_err(sub, "'%s': cannot create output in '%s': %s", label, o->dir, strerror(errno));
        return -1;
    }
    o->have_tmp = 1;
    mode_t um = umask(0);
    umask(um);
    if (fchmod(o->fd, 0666 & ~um) != 0) { /* mkstemp makes 0600; outputs are normal files */
        app_err(sub, "'%s': chmod '%s': %s", label, o->tmp, strerror(errno));
        app_outfile_abort(o);
        return -1;
    }
    o->sf = sf_open_fd(o->fd, SFM_WRITE, info, SF_FALSE);
    if (!o->sf) {
        app_err(sub, "'%s': cannot write '%s': %s", label, out_path, sf_strerror(NULL));
        app_outfile_abort(o);
        return -1;
    }
    /* Integer outputs clip instead of wrapping around if peaks exceed full scale. */
    sf_command(o->sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    return 0;
}

int app_outfile_commit(app_outfile *o, const char *sub, const char *label)
{
    /* Each step is checked: a full disk may only show at close (FLAC/Ogg flush) or fsync. */
    int e = sf_close(o->sf);
    o->sf = NULL;
    if (e != 0) {
        app_err(sub, "'%s': error finishing '%s': %s", label, o->tmp, sf_error_number(e));
        goto fail;
    }
    if (fsync(o->fd) != 0) {
        app_err(sub, "'%s': cannot sync '%s': %s", label, o->tmp, strerror(errno));
        goto fail;
    }
    int fd = o->fd;
    o->fd = -1;
    if (close(fd) != 0) {
        app_err(sub, "'%s': cannot close '%s': %s", label, o->tmp, strerror(errno));
        goto fail;
    }
    if (rename(o->tmp, o->out) != 0) {
        app_err(sub, "'%s': cannot rename '%s' to '%s': %s", label, o->tmp, o->out, strerror(errno));
        goto fail;
    }
    o->have_tmp = 0;
    /* The rename is durable once the folder is synced; a failure here loses nothing. */
    int dfd = open(o->dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
fail:
    app_outfile_abort(o);
    return -1;
}

void app_outfile_abort(app_outfile *o)
{
    if (o->sf)
        sf_close(o->sf);
    o->sf = NULL;
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    if (o->have_tmp)
        unlink(o->tmp);
    o->have_tmp = 0;
}

void app_sf_write_reason(SNDFILE *sf, int saved_errno, char *buf, size_t len)
{
    /* Some codecs (Vorbis) report a generic error; the system's reason is still in errno. */
    const char *sfm = sf_strerror(sf);
    const char *sys = saved_errno ? strerror(saved_errno) : NULL;
    if (sys && !strstr(sfm, sys))
        snprintf(buf, len, "%s (%s)", sfm, sys);
    else
        snprintf(buf, len, "%s", sfm);
}
