/* live.c — `statewave live`: microphone -> denoiser -> speakers through a PortAudio duplex
 * stream run by the app's stream runner (stream.h). This file is the mode's main-thread half
 * (options, the engine, stdin commands, its setup and summary lines); the audio thread runs
 * only sw_live_block in live_rt.c. The two share sw_live_rt through C11 atomics. */
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "live_rt.h"
#include "stream.h"

#define SUB "live"

static const char help[] =
    "Usage: statewave live [OPTIONS]\n"
    "\n"
    "Denoise a live input in real time: input device -> denoiser -> output device,\n"
    "through a PortAudio duplex stream (ALSA, JACK, OSS, ... whatever PortAudio has).\n"
    "\n"
    "  -i, --input DEV       input device: index or name substring (see 'statewave devices';\n"
    "                        default: the host API's default input)\n"
    "  -o, --output DEV      output device, likewise (default: the default output)\n"
    "  -a, --host-api NAME   host API by name substring, e.g. JACK, ALSA (default: PortAudio's)\n"
    "  -c, --channels N      1 or 2 input channels (default 1); a mono signal is copied to\n"
    "                        both outputs when the output device has two\n"
    "  -r, --rate R          sample rate in Hz, 8000..192000 (default: the output device's)\n"
    "  -F, --frames N        frames per callback (default 0: the host's choice; with JACK\n"
    "                        use the server's period, e.g. 256)\n"
    "  -L, --latency MS      suggested device latency in ms (default: the devices' low latency)\n"
    "  -m, --model FILE      denoise model (default: as for 'statewave denoise')\n"
    "      --mix X           wet/dry mix in [0,1] (default 1)\n"
    "      --limit-db N      most attenuation in dB, [0,100] (default 100 = unlimited)\n"
    "  -s, --seconds S       stop after S seconds (default: run until Ctrl-C / SIGTERM)\n"
    "  -q, --quiet           no live status line\n"
    "  -h, --help            this help\n"
    "\n"
    "Prints the achieved latency (PortAudio's input + output latency plus the engine's\n"
    "algorithmic latency), a live status line on a terminal (xruns = callbacks flagged\n"
    "with input overflow/underflow or output underflow/overflow), and at the end one line\n"
    "  summary: frames=F callbacks=N xruns=X in_overflow=.. in_underflow=.. out_underflow=..\n"
    "           out_overflow=.. cb_mean_ms=.. cb_max_ms=.. dsp_load=.. seconds=S rate=R end=REASON\n"
    "(on one line): cb_* = time spent in the callback, dsp_load = that time / audio time,\n"
    "REASON = seconds, signal, quit or device-lost.\n"
    "Commands on stdin (one per line): 'mix X', 'limit X', 'bypass', 'on', 'quit'.\n"
    "Exit status: 0 stopped by --seconds or a signal, 1 device/engine error or device lost,\n"
    "2 usage error.\n";

/* The mode: the denoiser, its parameters and the stdin command reader. */
typedef struct {
    app_stream_mode m;   /* first: the runner's hooks get &this->m */
    const sw_model *model;
    const char *used;    /* the model's path, printed */
    double mix, limit;   /* initial parameters */
    double rate;         /* the denoiser's rate, Hz */
    sw_denoiser *dn;     /* made in prepare at the device rate */
    sw_live_rt rt;       /* shared with the callback */
    int quit;            /* 'quit' read on stdin */
    int tty;             /* stderr is a terminal */
    int reading;         /* still reading stdin */
    char buf[256];       /* partial command line */
    size_t len;          /* bytes in buf */
} live_mode;

static void handle_command(live_mode *L, char *line)
{
    char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    if (!*s)
        return;
    double v;
    const char *msg = NULL;
    char reply[96];
    if (!strncmp(s, "mix ", 4) && !app_parse_double(s + 4, 0.0, 1.0, &v)) {
        sw_live_rt_set_mix(&L->rt, (float)v);
        snprintf(reply, sizeof reply, "mix %.3f", v);
        msg = reply;
    } else if (!strncmp(s, "limit ", 6) && !app_parse_double(s + 6, 0.0, 100.0, &v)) {
        sw_live_rt_set_limit_db(&L->rt, (float)v);
        snprintf(reply, sizeof reply, "limit %.1f dB", v);
        msg = reply;
    } else if (!strcmp(s, "bypass")) {
        atomic_store(&L->rt.bypass, 1);
        msg = "bypass (input copied to output)";
    } else if (!strcmp(s, "on")) {
        atomic_store(&L->rt.bypass, 0);
        msg = "denoiser on";
    } else if (!strcmp(s, "quit") || !strcmp(s, "q")) {
        L->quit = 1;
        msg = "quit";
    } else {
        msg = "commands: mix X | limit X | bypass | on | quit";
    }
    fprintf(stderr, "%s%s\n", L->tty ? "\r\033[K" : "", msg);
}

/* Non-blocking read of the stdin commands; ends the run on 'quit'. */
static const char *live_poll(app_stream_mode *m, app_stream_rt *rt, double srate)
{
    (void)rt, (void)srate;
    live_mode *L = (live_mode *)m;
    while (L->reading && !L->quit) {
        struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
        if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP)))
            break;
        char tmp[128];
        ssize_t got = read(STDIN_FILENO, tmp, sizeof tmp);
        if (got <= 0) {
            L->reading = 0; /* EOF or error: stop listening, keep running */
            break;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (tmp[i] == '\n') {
                L->buf[L->len] = '\0';
                handle_command(L, L->buf);
                L->len = 0;
            } else if (L->len + 1 < sizeof L->buf) {
                L->buf[L->len++] = tmp[i];
            }
        }
    }
    return L->quit ? "quit" : NULL;
}

static int live_prepare(app_stream_mode *m, app_stream_rt *rt, double rate, int out_channels)
{
    live_mode *L = (live_mode *)m;
    char err[256];
    sw_status st = sw_denoiser_create(L->model, rate, m->in_channels, &L->dn, err, sizeof err);
    if (st != SW_OK) {
        app_err(m->sub, "cannot create the denoiser (%.0f Hz, %d ch): %s: %s", rate, m->in_channels,
                sw_status_str(st), err);
        return -1;
    }
    L->rate = rate;
    sw_live_rt_init(&L->rt, L->dn, m->in_channels, (float)L->mix, (float)L->limit);
    app_stream_rt_init(rt, sw_live_block, &L->rt, m->in_channels, out_channels);
    return 0;
}

static double live_print_setup(app_stream_mode *m, double srate, double in_lat, double out_lat)
{
    live_mode *L = (live_mode *)m;
    int alg = sw_denoiser_latency(L->dn);
    double alg_s = alg / L->rate, total = in_lat + out_lat + alg_s;
    printf("model: %s\n", L->used);
    printf("latency: input %.2f ms + output %.2f ms + algorithmic %.2f ms (%d samples) "
           "= %.2f ms (%ld samples at %.0f Hz)\n",
           in_lat * 1e3, out_lat * 1e3, alg_s * 1e3, alg, total * 1e3, lround(total * srate), srate);
    L->tty = isatty(STDERR_FILENO);
    L->reading = 1;
    if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) != getpgrp())
        L->reading = 0; /* background job: reading the terminal would stop us (SIGTTIN) */
    m->hint = L->reading && isatty(STDIN_FILENO)
                  ? "type 'mix 0.5', 'limit 12', 'bypass', 'on' or 'quit' + Enter; Ctrl-C stops" : "";
    return total;
}

static void live_status(app_stream_mode *m, app_stream_rt *rt, FILE *f, double t, double srate, PaStream *s)
{
    (void)srate;
    live_mode *L = (live_mode *)m;
    fprintf(f, "[%7.1f s] %llu frames  %llu callbacks  xruns %llu (in overflow %llu, out underflow %llu)  "
               "cpu %3.0f%%%s",
            t, app_rt_ld(&rt->frames), app_rt_ld(&rt->callbacks), app_rt_ld(&rt->xrun_callbacks),
            app_rt_ld(&rt->in_overflow), app_rt_ld(&rt->out_underflow), 100.0 * Pa_GetStreamCpuLoad(s),
            atomic_load(&L->rt.bypass) ? "  BYPASS" : "");
}

static void live_summary(app_stream_mode *m, app_stream_rt *rt, int part, double srate)
{
    (void)m, (void)srate;
    if (part == 0)
        printf("in_overflow=%llu in_underflow=%llu out_underflow=%llu out_overflow=%llu ",
               app_rt_ld(&rt->in_overflow), app_rt_ld(&rt->in_underflow), app_rt_ld(&rt->out_underflow),
               app_rt_ld(&rt->out_overflow));
}

int cmd_live(int argc, char **argv)
{
    app_stream_opts so = { .latency_ms = -1.0 };
    const char *model_path = NULL;
    long channels = 1;
    double mix = 1.0, limit = 100.0;
    const app_opt opts[] = {
        { "input", 'i', APP_OPT_STR, .dst = &so.input },
        { "output", 'o', APP_OPT_STR, .dst = &so.output },
        { "channels", 'c', APP_OPT_LONG, .dst = &channels, 1, 2 },
        { "rate", 'r', APP_OPT_DBL, .dst = &so.rate, SW_DENOISE_MIN_RATE, SW_DENOISE_MAX_RATE },
        APP_STREAM_OPTIONS(so, NULL),
        APP_DENOISE_OPTIONS(model_path, mix, limit),
        { "seconds", 's', APP_OPT_DBL, .dst = &so.seconds, 0.0, 1e7 },
        { "quiet", 'q', APP_OPT_FLAG, .dst = &so.quiet },
        { "help", 'h', APP_OPT_HELP, .dst = (void *)help },
    };
    int parsed = app_parse_opts(SUB, argc, argv, opts, APP_NOPTS(opts), 0, 1);
    if (parsed >= 0)
        return parsed;
    sw_model *model = NULL;
    char used[PATH_MAX + 64];
    if (app_load_model(SUB, &app_model_denoise, model_path, &model, used, sizeof used) != 0)
        return SW_EXIT_FAIL;
    live_mode *L = calloc(1, sizeof *L);
    if (!L) {
        app_err(SUB, "out of memory");
        sw_model_free(model);
        return SW_EXIT_FAIL;
    }
    L->m = (app_stream_mode){ .sub = SUB, .in_channels = (int)channels, .prepare = live_prepare,
                              .print_setup = live_print_setup, .poll = live_poll, .status = live_status,
                              .summary = live_summary };
    L->model = model;
    L->used = used;
    L->mix = mix;
    L->limit = limit;
    int in_use = 0, rc = app_stream_run(&so, &L->m, &in_use);
    if (in_use) /* the device was lost with a host thread that may still call back */
        return rc;
    sw_denoiser_destroy(L->dn);
    free(L);
    sw_model_free(model);
    return rc;
}
