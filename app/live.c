/* live.c — `statewave live`: microphone -> denoiser -> speakers through a PortAudio
 * duplex stream. This file is the main-thread half (setup, status, shutdown); the audio
 * thread runs only sw_live_callback in live_rt.c. The two share sw_live_rt through
 * C11 atomics: parameters go in, counters come out. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "live_rt.h"
#include "pa_util.h"

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

static int g_quit; /* 'quit' read on stdin (main thread only) */

/* Non-blocking line reader for the stdin commands. */
typedef struct {
    int active;       /* still reading stdin */
    char buf[256];    /* partial line */
    size_t len;       /* bytes in buf */
} cmd_reader;

static void handle_command(sw_live_rt *rt, char *line, int tty)
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
        sw_live_rt_set_mix(rt, (float)v);
        snprintf(reply, sizeof reply, "mix %.3f", v);
        msg = reply;
    } else if (!strncmp(s, "limit ", 6) && !app_parse_double(s + 6, 0.0, 100.0, &v)) {
        sw_live_rt_set_limit_db(rt, (float)v);
        snprintf(reply, sizeof reply, "limit %.1f dB", v);
        msg = reply;
    } else if (!strcmp(s, "bypass")) {
        atomic_store(&rt->bypass, 1);
        msg = "bypass (input copied to output)";
    } else if (!strcmp(s, "on")) {
        atomic_store(&rt->bypass, 0);
        msg = "denoiser on";
    } else if (!strcmp(s, "quit") || !strcmp(s, "q")) {
        g_quit = 1;
        msg = "quit";
    } else {
        msg = "commands: mix X | limit X | bypass | on | quit";
    }
    fprintf(stderr, "%s%s\n", tty ? "\r\033[K" : "", msg);
}

static void poll_commands(cmd_reader *r, sw_live_rt *rt, int tty)
{
    while (r->active) {
        struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
        if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & (POLLIN | POLLHUP)))
            return;
        char tmp[128];
        ssize_t got = read(STDIN_FILENO, tmp, sizeof tmp);
        if (got <= 0) {
            r->active = 0; /* EOF or error: stop listening, keep running */
            return;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (tmp[i] == '\n') {
                r->buf[r->len] = '\0';
                handle_command(rt, r->buf, tty);
                r->len = 0;
            } else if (r->len + 1 < sizeof r->buf) {
                r->buf[r->len++] = tmp[i];
            }
        }
    }
}

static unsigned long long ld(atomic_ullong *a)
{
    return atomic_load_explicit(a, memory_order_relaxed);
}

int cmd_live(int argc, char **argv)
{
    static const struct option opts[] = {
        { "input", required_argument, NULL, 'i' },   { "output", required_argument, NULL, 'o' },
        { "host-api", required_argument, NULL, 'a' }, { "channels", required_argument, NULL, 'c' },
        { "rate", required_argument, NULL, 'r' },    { "frames", required_argument, NULL, 'F' },
        { "latency", required_argument, NULL, 'L' }, { "model", required_argument, NULL, 'm' },
        { "mix", required_argument, NULL, 'x' },     { "limit-db", required_argument, NULL, 'l' },
        { "seconds", required_argument, NULL, 's' }, { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
    };
    const char *in_spec = NULL, *out_spec = NULL, *api_name = NULL, *model_path = NULL;
    long channels = 1, frames = 0;
    double rate = 0.0, latency_ms = -1.0, mix = 1.0, limit = 100.0, seconds = 0.0;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:o:a:c:r:F:L:m:s:qh", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'i': in_spec = optarg; break;
        case 'o': out_spec = optarg; break;
        case 'a': api_name = optarg; break;
        case 'm': model_path = optarg; break;
        case 'q': quiet = 1; break;
        case 'c': bad = app_parse_long(optarg, 1, 2, &channels); break;
        case 'F': bad = app_parse_long(optarg, 0, 65536, &frames); break;
        case 'r': bad = app_parse_double(optarg, SW_DENOISE_MIN_RATE, SW_DENOISE_MAX_RATE, &rate); break;
        case 'L': bad = app_parse_double(optarg, 0.0, 10000.0, &latency_ms); break;
        case 'x': bad = app_parse_double(optarg, 0.0, 1.0, &mix); break;
        case 'l': bad = app_parse_double(optarg, 0.0, 100.0, &limit); break;
        case 's': bad = app_parse_double(optarg, 0.0, 1e7, &seconds); break;
        case 'h': fputs(help, stdout); return SW_EXIT_OK;
        default:
            fprintf(stderr, "Try 'statewave live --help'.\n");
            return SW_EXIT_USAGE;
        }
        if (bad) {
            app_err_bad_value(SUB, opts, c, optarg);
            return SW_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        app_err(SUB, "unexpected argument '%s'", argv[optind]);
        return SW_EXIT_USAGE;
    }

    sw_model *model = NULL;
    char used[PATH_MAX + 64];
    if (app_load_model(SUB, &app_model_denoise, model_path, &model, used, sizeof used) != 0)
        return SW_EXIT_FAIL;
    if (app_pa_init(SUB) != 0) {
        sw_model_free(model);
        return SW_EXIT_FAIL;
    }

    int rc = SW_EXIT_FAIL;
    PaStream *stream = NULL;
    sw_denoiser *dn = NULL;
    sw_live_rt *rt = NULL;
    const char *end_reason = "error";
    PaError pe;

    PaHostApiIndex api = -1;
    if (api_name && (api = app_pa_find_host_api(SUB, api_name)) < 0)
        goto out;
    const PaHostApiInfo *api_info = api >= 0 ? Pa_GetHostApiInfo(api) : NULL;
    PaDeviceIndex din, dout;
    if (in_spec)
        din = app_pa_find_device(SUB, in_spec, api, (int)channels, 0);
    else
        din = api_info ? api_info->defaultInputDevice : Pa_GetDefaultInputDevice();
    if (out_spec)
        dout = app_pa_find_device(SUB, out_spec, api, 0, (int)channels);
    else
        dout = api_info ? api_info->defaultOutputDevice : Pa_GetDefaultOutputDevice();
    if (din < 0 || dout < 0) {
        if ((!in_spec && din < 0) || (!out_spec && dout < 0))
            app_err(SUB, "no default %s device%s%s (see 'statewave devices')",
                    din < 0 ? "input" : "output", api_info ? " for " : "", api_info ? api_info->name : "");
        goto out;
    }
    const PaDeviceInfo *di = Pa_GetDeviceInfo(din), *dO = Pa_GetDeviceInfo(dout);
    if (di->maxInputChannels < channels) {
        app_err(SUB, "input device '%s' has %d input channel(s); --channels %ld asked", di->name,
                di->maxInputChannels, channels);
        goto out;
    }
    if (dO->maxOutputChannels < channels) {
        app_err(SUB, "output device '%s' has %d output channel(s); --channels %ld asked", dO->name,
                dO->maxOutputChannels, channels);
        goto out;
    }
    int out_channels = (channels == 1 && dO->maxOutputChannels >= 2) ? 2 : (int)channels;
    if (rate <= 0.0)
        rate = dO->defaultSampleRate;
    if (rate < SW_DENOISE_MIN_RATE || rate > SW_DENOISE_MAX_RATE) {
        app_err(SUB, "device rate %.0f Hz is outside %g..%g Hz; pass --rate", rate,
                SW_DENOISE_MIN_RATE, SW_DENOISE_MAX_RATE);
        goto out;
    }

    char err[256];
    sw_status st = sw_denoiser_create(model, rate, (int)channels, &dn, err, sizeof err);
    if (st != SW_OK) {
        app_err(SUB, "cannot create the denoiser (%.0f Hz, %ld ch): %s: %s", rate, channels,
                sw_status_str(st), err);
        goto out;
    }
    rt = calloc(1, sizeof *rt);
    if (!rt) {
        app_err(SUB, "out of memory");
        goto out;
    }
    sw_live_rt_init(rt, dn, (int)channels, out_channels, (float)mix, (float)limit);
    if (!sw_live_rt_lock_free(rt)) {
        app_err(SUB, "C11 atomics are not lock-free on this platform; refusing to run real-time");
        goto out;
    }

    PaStreamParameters ip = {
        .device = din, .channelCount = (int)channels, .sampleFormat = paFloat32 | paNonInterleaved,
        .suggestedLatency = latency_ms >= 0 ? latency_ms / 1000.0 : di->defaultLowInputLatency,
    };
    PaStreamParameters op = {
        .device = dout, .channelCount = out_channels, .sampleFormat = paFloat32 | paNonInterleaved,
        .suggestedLatency = latency_ms >= 0 ? latency_ms / 1000.0 : dO->defaultLowOutputLatency,
    };
    pe = Pa_OpenStream(&stream, &ip, &op, rate,
                       frames > 0 ? (unsigned long)frames : paFramesPerBufferUnspecified, paNoFlag,
                       sw_live_callback, rt);
    if (pe != paNoError) {
        app_err(SUB, "cannot open stream '%s' -> '%s' at %.0f Hz, %ld ch: %s", di->name, dO->name,
                rate, channels, Pa_GetErrorText(pe));
        app_pa_print_host_error(SUB, pe);
        stream = NULL;
        goto out;
    }
    Pa_SetStreamFinishedCallback(stream, sw_live_finished);

    app_sigtrap sig = { .set = 0 };
    app_sigtrap_set(&sig, 1);

    pe = Pa_StartStream(stream);
    if (pe != paNoError) {
        app_err(SUB, "cannot start stream: %s", Pa_GetErrorText(pe));
        goto out;
    }
    const PaStreamInfo *si = Pa_GetStreamInfo(stream);
    double srate = si && si->sampleRate > 0 ? si->sampleRate : rate;
    double in_lat = si ? si->inputLatency : 0.0, out_lat = si ? si->outputLatency : 0.0;
    int alg = sw_denoiser_latency(dn);
    double alg_s = alg / rate;
    double total = in_lat + out_lat + alg_s;
    char fpc[32];
    app_pa_frames_str(frames, fpc, sizeof fpc);
    printf("live: %s: '%s' (%ld ch) -> '%s' (%d ch), %.0f Hz, %s frames per callback\n",
           Pa_GetHostApiInfo(di->hostApi)->name, di->name, channels, dO->name, out_channels, srate, fpc);
    printf("model: %s\n", used);
    printf("latency: input %.2f ms + output %.2f ms + algorithmic %.2f ms (%d samples) "
           "= %.2f ms (%ld samples at %.0f Hz)\n",
           in_lat * 1e3, out_lat * 1e3, alg_s * 1e3, alg, total * 1e3, lround(total * srate), srate);
    fflush(stdout);

    int tty = isatty(STDERR_FILENO);
    int show_status = tty && !quiet;
    cmd_reader cr = { .active = 1 };
    if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) != getpgrp())
        cr.active = 0; /* background job: reading the terminal would stop us (SIGTTIN) */
    if (show_status && cr.active && isatty(STDIN_FILENO))
        fprintf(stderr, "type 'mix 0.5', 'limit 12', 'bypass', 'on' or 'quit' + Enter; Ctrl-C stops\n");

    double t0 = app_now(), last_status = 0.0;
    app_pa_watch watch;
    app_pa_watch_start(&watch, t0, total);
    end_reason = "signal";
    rc = SW_EXIT_OK;
    for (;;) {
        struct timespec nap = { 0, 20 * 1000 * 1000 };
        nanosleep(&nap, NULL);
        double now = app_now();
        if (app_stop_requested || g_quit) {
            end_reason = g_quit ? "quit" : "signal";
            break;
        }
        if (seconds > 0.0 && now - t0 >= seconds) {
            end_reason = "seconds";
            break;
        }
        unsigned long long cb = ld(&rt->callbacks);
        if (app_pa_watch_check(SUB, &watch, stream, atomic_load(&rt->finished), cb, now) != 0) {
            end_reason = "device-lost";
            rc = SW_EXIT_FAIL;
            break;
        }
        poll_commands(&cr, rt, tty);
        if (show_status && now - last_status >= 0.25) {
            last_status = now;
            fprintf(stderr, "\r\033[K[%7.1f s] %llu frames  %llu callbacks  xruns %llu (in overflow %llu, "
                            "out underflow %llu)  cpu %3.0f%%%s",
                    now - t0, ld(&rt->frames), cb, ld(&rt->xrun_callbacks), ld(&rt->in_overflow),
                    ld(&rt->out_underflow), 100.0 * Pa_GetStreamCpuLoad(stream),
                    atomic_load(&rt->bypass) ? "  BYPASS" : "");
            fflush(stderr);
        }
    }
    double ran = app_now() - t0;
    if (show_status)
        fputs("\r\033[K", stderr);
    if (rc == SW_EXIT_OK && app_pa_stop_stream(SUB, stream) != 0)
        rc = SW_EXIT_FAIL;
    /* A lost device is not stopped: the stream already is inactive, and PortAudio's JACK
     * host API can wait forever for a callback that will never come. */
    unsigned long long ncb = ld(&rt->callbacks), nfr = ld(&rt->frames);
    /* DSP load: time inside the callback relative to the audio it produced. */
    double dsp = nfr ? (ld(&rt->busy_ns) * 1e-9) / (nfr / srate) : 0.0;
    printf("summary: frames=%llu callbacks=%llu xruns=%llu in_overflow=%llu in_underflow=%llu "
           "out_underflow=%llu out_overflow=%llu cb_mean_ms=%.3f cb_max_ms=%.3f dsp_load=%.3f "
           "seconds=%.2f rate=%.0f end=%s\n",
           nfr, ncb, ld(&rt->xrun_callbacks), ld(&rt->in_overflow), ld(&rt->in_underflow),
           ld(&rt->out_underflow), ld(&rt->out_overflow), ncb ? ld(&rt->busy_ns) * 1e-6 / ncb : 0.0,
           ld(&rt->max_ns) * 1e-6, dsp, ran, srate, end_reason);
    fflush(stdout);
    if (!strcmp(end_reason, "device-lost")) {
        /* Closing a stream or terminating PortAudio against a dead server blocks (JACK host
         * API). The process is about to exit, so skip that cleanup; rt and the engine stay
         * allocated because a host thread might still hold the callback's pointer. */
        return rc;
    }
    app_pa_arm_shutdown_watchdog(SUB, rc, 5);

out:
    if (stream)
        Pa_CloseStream(stream);
    Pa_Terminate();
    alarm(0);
    free(rt);
    sw_denoiser_destroy(dn);
    sw_model_free(model);
    return rc;
}
