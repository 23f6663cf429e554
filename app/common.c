/* common.c — see common.h. */
#include "common.h"

#include <errno.h>
#include <getopt.h>
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

const char *sw_app_name = "statewave";

const app_model_kind app_model_denoise = { "denoise", "denoise.safetensors", "STATEWAVE_MODEL" };
const app_model_kind app_model_generate = { "generate", "generate.safetensors",
                                            "STATEWAVE_GENERATE_MODEL" };

int app_utf8_seq(const unsigned char *s, unsigned *cp)
{
    unsigned c = s[0];
    int len;
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c <= 0xDF) { len = 2; *cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; *cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; *cp = c & 0x07; }
    else return 0;
    for (int k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        *cp = (*cp << 6) | (s[k] & 0x3F);
    }
    if ((len == 3 && (*cp < 0x800 || (*cp >= 0xD800 && *cp <= 0xDFFF))) ||
        (len == 4 && (*cp < 0x10000 || *cp > 0x10FFFF)))
        return 0;
    return len;
}

/* out (cap >= 1) = s with what a terminal would act on escaped: C0 controls and DEL as \xNN,
 * C1 controls (U+0080-U+009F) and the bidirectional overrides/isolates (U+202A-U+202E,
 * U+2066-U+2069) as \uNNNN, bytes that are not UTF-8 as \xNN, the backslash as \\ (so the
 * escapes are unambiguous). With keep_layout (a whole message), newline and tab pass and the
 * backslash stays single: the message's own layout and text.
 * Cut short at an escape boundary when out is full. */
static void printable_into(char *out, size_t cap, const char *s, int keep_layout)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char esc[16];
        const char *piece = esc;
        size_t n;
        unsigned cp;
        int len = app_utf8_seq(p, &cp);
        if (len == 0) {
            snprintf(esc, sizeof esc, "\\x%02X", *p);
            len = 1;
        } else if (cp == '\\' && !keep_layout) {
            snprintf(esc, sizeof esc, "\\\\");
        } else if ((cp < 0x20 && !(keep_layout && (cp == '\n' || cp == '\t'))) || cp == 0x7F) {
            snprintf(esc, sizeof esc, "\\x%02X", cp);
        } else if ((cp >= 0x80 && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
            snprintf(esc, sizeof esc, "\\u%04X", cp);
        } else {
            piece = (const char *)p;
        }
        n = piece == esc ? strlen(esc) : (size_t)len;
        if (o + n >= cap)
            break;
        memcpy(out + o, piece, n);
        o += n;
        p += len;
    }
    out[o] = '\0';
}

const char *app_printable(const char *s, char *buf, size_t len)
{
    if (!len)
        return "";
    printable_into(buf, len, s ? s : "", 0);
    return buf;
}

char app_last_error[512];

/* Messages can carry names from files (tensor and timbre names, paths): everything but their
 * own newlines goes through printable_into. */
static void vmsg(const char *kind, const char *sub, const char *fmt, va_list ap)
{
    fflush(stdout);
    char small[1024], *text = small, *safe = NULL;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small && (text = malloc((size_t)n + 1)) != NULL)
        vsnprintf(text, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    if (!text)
        text = small; /* out of memory: the message cut short */
    size_t cap = 4 * strlen(text) + 1;
    safe = malloc(cap);
    if (safe)
        printable_into(safe, cap, text, 1);
    if (kind[0] == 'e') /* "error: ": kept for --json summaries */
        snprintf(app_last_error, sizeof app_last_error, "%s", text);
    if (sub)
        fprintf(stderr, "%s %s: %s", sw_app_name, sub, kind);
    else
        fprintf(stderr, "%s: %s", sw_app_name, kind);
    fputs(safe ? safe : "(message not shown: out of memory)", stderr);
    fputc('\n', stderr);
    free(safe);
    if (text != small)
        free(text);
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

/* Parse a whole string as a long in [lo, hi]. 0 on success, -1 otherwise. */
static int parse_long(const char *s, long lo, long hi, long *out)
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

#define MAX_OPTS 40

int app_parse_opts(const char *sub, int argc, char **argv, const app_opt *opts, int n, int wants, int no_args)
{
    /* getopt_long's tables: a short option returns its letter, a long-only one 256 + its index */
    struct option lopt[MAX_OPTS + 1];
    char shortopts[3 * MAX_OPTS + 1];
    size_t k = 0;
    if (n > MAX_OPTS) {
        app_err(sub, "internal error: too many options");
        return SW_EXIT_FAIL;
    }
    for (int i = 0; i < n; i++) {
        const app_opt *o = &opts[i];
        int arg = o->kind != APP_OPT_FLAG && o->kind != APP_OPT_OFF && o->kind != APP_OPT_HELP;
        lopt[i] = (struct option){ o->name, arg ? required_argument : no_argument, NULL,
                                   o->letter ? o->letter : 256 + i };
        if (o->letter) {
            shortopts[k++] = o->letter;
            if (arg)
                shortopts[k++] = ':';
        }
    }
    lopt[n] = (struct option){ NULL, 0, NULL, 0 };
    shortopts[k] = '\0';
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, shortopts, lopt, NULL)) != -1) {
        const app_opt *o = NULL;
        for (int i = 0; i < n && !o; i++)
            if (lopt[i].val == c)
                o = &opts[i];
        if (!o)
            return app_usage_hint(sub);
        int bad = 0;
        switch (o->kind) {
        case APP_OPT_FLAG: *(int *)o->dst = 1; break;
        case APP_OPT_OFF: *(int *)o->dst = 0; break;
        case APP_OPT_STR: *(const char **)o->dst = optarg; break;
        case APP_OPT_DBL: bad = app_parse_double(optarg, o->lo, o->hi, o->dst); break;
        case APP_OPT_LONG: bad = parse_long(optarg, (long)o->lo, (long)o->hi, o->dst); break;
        case APP_OPT_U64: {
            char *end;
            errno = 0;
            *(unsigned long long *)o->dst = strtoull(optarg, &end, 10);
            bad = errno || !*optarg || *end || optarg[0] == '-';
            break;
        }
        case APP_OPT_FN:
            if ((bad = o->fn(sub, optarg, o->dst)) < 0)
                return SW_EXIT_USAGE;
            break;
        case APP_OPT_HELP:
            fputs(o->dst, stdout);
            if (o->fn)
                o->fn(sub, NULL, NULL);
            return SW_EXIT_OK;
        }
        if (o->seen)
            *o->seen = 1;
        if (bad && wants)
            app_err(sub, "--%s wants a number in [%g,%g], got '%s'", o->name, o->lo, o->hi, optarg);
        else if (bad)
            app_err(sub, "bad value '%s' for --%s (see --help for the range)", optarg, o->name);
        if (bad)
            return SW_EXIT_USAGE;
    }
    if (no_args && optind < argc) {
        app_err(sub, "unexpected argument '%s'", argv[optind]);
        return SW_EXIT_USAGE;
    }
    return -1;
}

int app_usage_hint(const char *sub)
{
    fprintf(stderr, "Try 'statewave %s --help'.\n", sub);
    return SW_EXIT_USAGE;
}

int app_exe_dir(char *buf, size_t len)
{
    ssize_t n = len ? readlink("/proc/self/exe", buf, len - 1) : -1;
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return 0;
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

int app_load_model(const char *sub, const app_model_kind *kind, const char *explicit_path,
                   sw_model **model, char *used, size_t usedlen)
{
    /* Candidates in priority order; `given` ones are loaded even if missing so the
     * user sees why their choice failed instead of silently getting another model. */
    char exe_cand[PATH_MAX + 64] = "";
    char exe[PATH_MAX];
    if (app_exe_dir(exe, sizeof exe) == 0)
        snprintf(exe_cand, sizeof exe_cand, "%s/../presets/%s", exe, kind->file);
    const char *envp = getenv(kind->env);
    char env_what[64], inst[PATH_MAX];
    snprintf(env_what, sizeof env_what, "$%s", kind->env);
    app_installed_model_path(kind, inst, sizeof inst);
    struct { const char *path; int given; const char *what; } cand[4] = {
        { explicit_path, 1, "--model" },
        { (envp && *envp) ? envp : NULL, 1, env_what },
        { exe_cand[0] ? exe_cand : NULL, 0, "next to the executable" },
        { inst, 0, "installed" },
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
        if (strcmp(sw_model_task(*model), kind->task) != 0) {
            app_err(sub, "model '%s' (%s) is not a %s model (task \"%s\")", cand[i].path,
                    cand[i].what, kind->task, sw_model_task(*model));
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
    app_err(sub, "no %s model found; use --model FILE or set %s. Tried:%s", kind->task, kind->env,
            tried);
    return -1;
}

const char *app_installed_model_path(const app_model_kind *kind, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", SW_DATADIR, kind->file);
    return buf;
}

int app_write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
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

/* "1:05" / "1:02:03" for a duration in seconds (negative or huge -> "--:--"). */
static void fmt_duration(double s, char *buf, size_t len)
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

void app_progress(FILE *f, const char *name, double done, double total, double rate, double t0)
{
    if (!f)
        return;
    double frac = total > 0 ? done / total : 1.0;
    if (frac > 1.0)
        frac = 1.0;
    double el = app_now() - t0;
    double speed = el > 1e-6 ? (done / rate) / el : 0.0;
    double eta = speed > 0.0 ? ((total - done) / rate) / speed : -1.0;
    char etas[32];
    fmt_duration(eta, etas, sizeof etas);
    char bar[21];
    int fill = (int)(frac * 20.0);
    for (int i = 0; i < 20; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[20] = '\0';
    fprintf(f, "\r\033[K%3d%% [%s] %6.1fx real time  ETA %s  %s", (int)(frac * 100.0), bar, speed,
            etas, name);
    fflush(f);
}

void app_progress_every(FILE *f, double *tlast, int force, const char *name, double done, double total,
                        double rate, double t0)
{
    double now = app_now();
    if (force || now - *tlast >= 0.1) {
        app_progress(f, name, done, total, rate, t0);
        *tlast = now;
    }
}

void app_progress_clear(FILE *f)
{
    if (!f)
        return;
    fputs("\r\033[K", f);
    fflush(f);
}

volatile sig_atomic_t app_stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    app_stop_requested = 1;
}

void app_sigtrap_set(app_sigtrap *t, int with_hup)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    app_stop_requested = 0;
    sigaction(SIGINT, &sa, &t->old_int);
    sigaction(SIGTERM, &sa, &t->old_term);
    t->with_hup = with_hup;
    if (with_hup)
        sigaction(SIGHUP, &sa, &t->old_hup);
    t->set = 1;
}

void app_sigtrap_restore(app_sigtrap *t)
{
    if (!t->set)
        return;
    sigaction(SIGINT, &t->old_int, NULL);
    sigaction(SIGTERM, &t->old_term, NULL);
    if (t->with_hup)
        sigaction(SIGHUP, &t->old_hup, NULL);
    t->set = 0;
}
