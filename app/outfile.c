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

static int protect(app_protect_set *s, const char *sub, const char *stat_path, const char *path,
                   const char *what, int output)
{
    struct stat st;
    if (!stat_path || stat(stat_path, &st) != 0)
        return 0;
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 8;
        app_protected *p = realloc(s->f, nc * sizeof *p);
        if (!p) {
            app_err(sub, "out of memory");
            return -1;
        }
        s->f = p;
        s->cap = nc;
    }
    s->f[s->n++] = (app_protected){ .dev = st.st_dev, .ino = st.st_ino, .path = path, .what = what,
                                    .output = output };
    return 0;
}

int app_protect_add(app_protect_set *s, const char *sub, const char *path, const char *what)
{
    return protect(s, sub, path, path, what, 0);
}

int app_protect_add_output(app_protect_set *s, const char *sub, const char *out, const char *from)
{
    return protect(s, sub, out, from, "output this run already wrote from", 1);
}

void app_protect_free(app_protect_set *s)
{
    free(s->f);
    memset(s, 0, sizeof *s);
}

static const app_protected *find_protected(const app_protect_set *s, const struct stat *st)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->f[i].dev == st->st_dev && s->f[i].ino == st->st_ino)
            return &s->f[i];
    return NULL;
}

int app_output_check(const char *sub, const char *label, const char *out, const app_protect_set *s)
{
    char pre[PATH_MAX + 8] = "";
    if (label && strcmp(label, out) != 0)
        snprintf(pre, sizeof pre, "'%s': ", label);
    struct stat lst, st;
    /* lstat: the last component itself, so a link is seen as a link. Links in the folders
     * above it are followed, so a path reaching an input through them still matches it. */
    if (lstat(out, &lst) != 0) {
        if (errno == ENOENT)
            return 0; /* a new file: the temp file's folder is checked when it is made */
        app_err(sub, "%scannot use output '%s': %s", pre, out, strerror(errno));
        return -1;
    }
    if (S_ISLNK(lst.st_mode)) {
        const app_protected *p = stat(out, &st) == 0 ? find_protected(s, &st) : NULL;
        if (p)
            app_err(sub, "%srefusing to write '%s': it is a symbolic link to the %s '%s'%s", pre, out, p->what,
                    p->path, p->output ? "" : " (inputs are never overwritten)");
        else
            app_err(sub, "%soutput '%s' is a symbolic link; refusing to replace it or write through it",
                    pre, out);
        return -1;
    }
    if (S_ISDIR(lst.st_mode)) {
        app_err(sub, "%soutput '%s' is a directory", pre, out);
        return -1;
    }
    /* The temp file is renamed over the output: never replace a device, FIFO or socket. */
    if (!S_ISREG(lst.st_mode)) {
        app_err(sub, "%soutput '%s' exists and is not a regular file (a device, FIFO or socket); refusing "
                "to replace it", pre, out);
        return -1;
    }
    const app_protected *p = find_protected(s, &lst);
    if (p) {
        app_err(sub, "%srefusing to write '%s': it is the %s '%s'%s", pre, out, p->what, p->path,
                p->output ? "" : " (inputs are never overwritten)");
        return -1;
    }
    return 0;
}

int app_outfile_open(app_outfile *o, const char *sub, const char *label, const char *out_path,
                     SF_INFO *info, const app_protect_set *prot)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->out = out_path;
    o->prot = prot;
    if (app_output_check(sub, label, out_path, prot) != 0)
        return -1;
    app_dir_name(out_path, o->dir, sizeof o->dir);
    int n = snprintf(o->tmp, sizeof o->tmp, "%s/.%s.tmp-XXXXXX", o->dir, app_base_name(out_path));
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
    if (!info)
        return 0;
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
    int e = o->sf ? sf_close(o->sf) : 0;
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
    /* The rule once more: the output may have been replaced while the audio was written. */
    if (app_output_check(sub, label, o->out, o->prot) != 0)
        goto fail;
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

int app_output_format(const char *sub, const char *fmt_name, const char *out_path, app_fmt_alias *fmt)
{
    *fmt = (app_fmt_alias){ "wav", SF_FORMAT_WAV, 0, "wav" };
    if (fmt_name) {
        if (app_lookup_format(fmt_name, fmt)) {
            app_err(sub, "unknown --format '%s'", fmt_name);
            return -1;
        }
    } else if (out_path && app_lookup_format(app_ext_of(out_path), fmt) != 0) {
        *fmt = (app_fmt_alias){ "wav", SF_FORMAT_WAV, 0, "wav" }; /* unknown extension: WAV */
    }
    return 0;
}

int app_render_open(app_render *r, const char *sub, const char *out_path, const app_fmt_alias *fmt, int in_format,
                    int rate, const app_protect_set *prot, int quiet, const char *shown)
{
    r->sub = sub;
    r->out_path = out_path;
    r->rate = rate;
    r->shown = shown;
    r->format = app_choose_output_format(fmt->major, fmt->subtype, in_format, 1, rate);
    if (!r->format) {
        app_err(sub, "format '%s' cannot store mono audio at %d Hz", fmt->name, rate);
        return -1;
    }
    SF_INFO oi = { .samplerate = rate, .channels = 1, .format = r->format };
    app_sigtrap_set(&r->sig, 0);
    if (app_outfile_open(&r->of, sub, out_path, out_path, &oi, prot) != 0)
        return -1;
    char software[64];
    snprintf(software, sizeof software, "statewave %s %s", sub, SW_VERSION_STRING);
    sf_set_string(r->of.sf, SF_STR_SOFTWARE, software);
    r->prog = quiet ? NULL : app_progress_stream();
    r->t0 = app_now();
    r->tlast = -1.0;
    return 0;
}

int app_render_write(app_render *r, const float *x, size_t n)
{
    if (!n)
        return 0;
    errno = 0;
    if (sf_writef_float(r->of.sf, x, (sf_count_t)n) == (sf_count_t)n)
        return 0;
    char why[256];
    app_sf_write_reason(r->of.sf, errno, why, sizeof why);
    app_progress_clear(r->prog);
    app_err(r->sub, "cannot write '%s' (temp file '%s'): %s", r->out_path, r->of.tmp, why);
    return -1;
}

void app_render_progress(app_render *r, double done, double total, int force)
{
    app_progress_every(r->prog, &r->tlast, force, r->shown, done, total, r->rate, r->t0);
}

int app_render_stopped(app_render *r)
{
    if (!app_stop_requested)
        return 0;
    app_progress_clear(r->prog);
    app_err(r->sub, "interrupted; '%s' not written", r->out_path);
    return 1;
}

int app_render_finish(app_render *r, size_t n_clip)
{
    app_progress_clear(r->prog);
    if (app_outfile_commit(&r->of, r->sub, r->out_path) != 0)
        return -1;
    const int subtype = r->format & SF_FORMAT_SUBMASK;
    if (n_clip && subtype != SF_FORMAT_FLOAT && subtype != SF_FORMAT_DOUBLE)
        app_warn(r->sub, "%zu samples exceeded full scale and were clipped; lower --harmonic-gain/"
                         "--noise-gain or write a float format", n_clip);
    app_describe_format(r->format, r->fd, sizeof r->fd);
    return 0;
}

double app_render_elapsed(const app_render *r)
{
    return app_now() - r->t0;
}

void app_render_close(app_render *r)
{
    app_sigtrap_restore(&r->sig);
    app_outfile_abort(&r->of);
}
