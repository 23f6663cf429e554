/* common.c — see common.h. */
#include "common.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#ifndef SW_DATADIR
#define SW_DATADIR "/usr/local/share/statewave"
#endif

#define SW_MODEL_FILE "denoise.safetensors"

const char *sw_app_name = "statewave";

static void vmsg(const char *kind, const char *sub, const char *fmt, va_list ap)
{
    fflush(stdout);
    if (sub)
        fprintf(stderr, "%s %s: %s", sw_app_name, sub, kind);
    else
        fprintf(stderr, "%s: %s", sw_app_name, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void app_err(const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error: ", sub, fmt, ap);
    va_end(ap);
}

void app_warn(const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning: ", sub, fmt, ap);
    va_end(ap);
}

int app_parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int app_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

int app_load_model(const char *sub, const char *explicit_path, sw_model **model,
                   char *used, size_t usedlen)
{
    /* Candidates in priority order; `given` ones are loaded even if missing so the
     * user sees why their choice failed instead of silently getting another model. */
    char exe_cand[PATH_MAX + 64] = "";
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(exe_cand, sizeof exe_cand, "%s/../presets/%s", exe, SW_MODEL_FILE);
        }
    }
    const char *envp = getenv("STATEWAVE_MODEL");
    struct { const char *path; int given; const char *what; } cand[4] = {
        { explicit_path, 1, "--model" },
        { (envp && *envp) ? envp : NULL, 1, "$STATEWAVE_MODEL" },
        { exe_cand[0] ? exe_cand : NULL, 0, "next to the executable" },
        { SW_DATADIR "/" SW_MODEL_FILE, 0, "installed" },
    };
    char tried[4 * (PATH_MAX + 64)];
    size_t tl = 0;
    tried[0] = '\0';
    for (int i = 0; i < 4; i++) {
        if (!cand[i].path)
            continue;
        if (!cand[i].given && !file_exists(cand[i].path)) {
            tl += (size_t)snprintf(tried + tl, sizeof tried - tl, "\n  %s (%s): not found",
                                   cand[i].path, cand[i].what);
            if (tl >= sizeof tried)
                tl = sizeof tried - 1;
            continue;
        }
        char err[512];
        sw_status st = sw_model_load_file(cand[i].path, model, err, sizeof err);
        if (st != SW_OK) {
            app_err(sub, "cannot load model '%s' (%s): %s: %s", cand[i].path, cand[i].what,
                    sw_status_str(st), err);
            return -1;
        }
        if (strcmp(sw_model_task(*model), "denoise") != 0) {
            app_err(sub, "model '%s' (%s) is not a denoise model (task \"%s\")", cand[i].path,
                    cand[i].what, sw_model_task(*model));
            sw_model_free(*model);
            *model = NULL;
            return -1;
        }
        if (used) {
            /* Show the defaults as a clean path when possible. */
            char rp[PATH_MAX];
            const char *shown = (!cand[i].given && realpath(cand[i].path, rp)) ? rp : cand[i].path;
            snprintf(used, usedlen, "%s", shown);
        }
        return 0;
    }
    app_err(sub, "no denoise model found; use --model FILE or set STATEWAVE_MODEL. Tried:%s", tried);
    return -1;
}

const char *app_installed_model_path(void)
{
    return SW_DATADIR "/" SW_MODEL_FILE;
}

double app_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

FILE *app_progress_stream(void)
{
    if (isatty(STDERR_FILENO))
        return stderr;
    if (isatty(STDOUT_FILENO))
        return stdout;
    return NULL;
}

void app_fmt_duration(double s, char *buf, size_t len)
{
    if (!(s >= 0.0) || s > 359999.0) {
        snprintf(buf, len, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}
