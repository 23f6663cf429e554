/* stream.c — the app's PortAudio stream runner (stream.h): device pick and open, the monitor
 * loop, the summary, and the shutdown that cannot hang. The callback side is stream_rt.c. */
#include "stream.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

double app_dbfs(double x)
{
    return x > 0 ? 20.0 * log10(x) : -INFINITY;
}

int app_stream_check_usage(const char *sub, int live, int conflict, const char *what, const char *file_opts,
                           int live_only, const char *live_opts, const char *out_path)
{
    if (live && conflict)
        app_err(sub, "--live plays the %s: %s do not apply", what, file_opts);
    else if (!live && live_only)
        app_err(sub, "%s need --live", live_opts);
    else if (!live && (!out_path || !*out_path))
        app_err(sub, "no output file: use -o FILE, or --live to play (see --help)");
    else
        return 0;
    return -1;
}

/* ------------------------------------------------------------ shutdown watchdog -- */
/* A host API talking to a dead server (JACK killed, USB device pulled) can block forever in
 * stop/close/terminate. arm_watchdog arms alarm(seconds); if it fires, it prints
 * "statewave <sub>: warning: audio shutdown hung; exiting without it" and _exit(rc). */
static const char *volatile g_watch_sub = "live";   /* names the command in the message */
static volatile sig_atomic_t g_watch_rc;            /* exit status if the alarm fires */

static void on_alarm(int sig)
{
    (void)sig;
    /* async-signal-safe: write(2) and _exit(2) only */
    static const char a[] = "statewave ", b[] = ": warning: audio shutdown hung; exiting without it\n";
    const char *sub = g_watch_sub;
    ssize_t w = write(STDERR_FILENO, a, sizeof a - 1);
    w = write(STDERR_FILENO, sub, strlen(sub));
    w = write(STDERR_FILENO, b, sizeof b - 1);
    (void)w;
    _exit(g_watch_rc);
}

static void arm_watchdog(const char *sub, int rc, unsigned seconds)
{
    g_watch_sub = sub;
    g_watch_rc = rc;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    alarm(seconds);
}

/* --------------------------------------------------------------- device pick -- */
/* Host API index whose name contains `name` (case-insensitive; "jack" matches "JACK Audio
 * Connection Kit"), or -1 after printing the available ones. */
static PaHostApiIndex find_host_api(const char *sub, const char *name)
{
    PaHostApiIndex n = Pa_GetHostApiCount();
    for (PaHostApiIndex i = 0; i < n; i++) {
        const PaHostApiInfo *h = Pa_GetHostApiInfo(i);
        if (h && h->name && strcasestr(h->name, name))
            return i;
    }
    char list[512] = "";
    size_t l = 0;
    for (PaHostApiIndex i = 0; i < n && l < sizeof list; i++) {
        const PaHostApiInfo *h = Pa_GetHostApiInfo(i);
        l += (size_t)snprintf(list + l, sizeof list - l, "%s'%s'", i ? ", " : "", h ? h->name : "?");
    }
    app_err(sub, "no PortAudio host API matches '%s' (available: %s)%s", name, n ? list : "none",
            strcasestr("JACK", name) ? "; is a JACK server running?" : "");
    return -1;
}

/* Device for `spec` within host API `api` (or any API if api < 0): a device index as listed by
 * `statewave devices`, or a case-insensitive substring of its name, with at least `min_in`
 * input and `min_out` output channels. -1 (message printed) if none. */
static PaDeviceIndex find_device(const char *sub, const char *spec, PaHostApiIndex api, int min_in,
                                 int min_out)
{
    PaDeviceIndex n = Pa_GetDeviceCount();
    const char *what = min_in ? "input" : "output";
    char *end;
    long idx = strtol(spec, &end, 10);
    if (*spec && !*end) {
        if (idx < 0 || idx >= n) {
            app_err(sub, "no device #%ld (see 'statewave devices')", idx);
            return -1;
        }
        const PaDeviceInfo *d = Pa_GetDeviceInfo((PaDeviceIndex)idx);
        if (api >= 0 && d->hostApi != api) {
            app_err(sub, "device #%ld '%s' is not on host API '%s'", idx, d->name,
                    Pa_GetHostApiInfo(api)->name);
            return -1;
        }
        if (d->maxInputChannels < min_in || d->maxOutputChannels < min_out) {
            app_err(sub, "device #%ld '%s' has %d in / %d out channels; need %d %s", idx, d->name,
                    d->maxInputChannels, d->maxOutputChannels, min_in ? min_in : min_out, what);
            return -1;
        }
        return (PaDeviceIndex)idx;
    }
    for (PaDeviceIndex i = 0; i < n; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        if (!d || (api >= 0 && d->hostApi != api))
            continue;
        if (d->maxInputChannels < min_in || d->maxOutputChannels < min_out)
            continue;
        if (d->name && strcasestr(d->name, spec))
            return i;
    }
    app_err(sub, "no %s device matching '%s' with enough channels (see 'statewave devices')", what, spec);
    return -1;
}

/* The devices of a run: the output, and the input of a duplex stream. */
typedef struct {
    PaDeviceIndex in, out;            /* devices (in: -1 for output only) */
    const PaDeviceInfo *di, *dout;    /* their descriptions (owned by PortAudio; di NULL for output only) */
    int out_channels;                 /* device output channels */
    double rate;                      /* --rate, or the output device's default rate */
} picked;

static int pick(const char *sub, const app_stream_opts *o, int in_channels, picked *p)
{
    const int need = in_channels ? in_channels : 1;
    PaHostApiIndex api = -1;
    if (o->host_api && (api = find_host_api(sub, o->host_api)) < 0)
        return -1;
    const PaHostApiInfo *ai = api >= 0 ? Pa_GetHostApiInfo(api) : NULL;
    p->in = -1;
    if (in_channels)
        p->in = o->input ? find_device(sub, o->input, api, need, 0)
                         : ai ? ai->defaultInputDevice : Pa_GetDefaultInputDevice();
    p->out = o->output ? find_device(sub, o->output, api, 0, need)
                       : ai ? ai->defaultOutputDevice : Pa_GetDefaultOutputDevice();
    if ((in_channels && p->in < 0) || p->out < 0) {
        int no_in = in_channels && !o->input && p->in < 0;
        if (no_in || (!o->output && p->out < 0))
            app_err(sub, "no default %s device%s%s (see 'statewave devices')", no_in ? "input" : "output",
                    ai ? " for " : "", ai ? ai->name : "");
        return -1;
    }
    p->di = in_channels ? Pa_GetDeviceInfo(p->in) : NULL;
    p->dout = Pa_GetDeviceInfo(p->out);
    if (p->di && p->di->maxInputChannels < need) {
        app_err(sub, "input device '%s' has %d input channel(s); --channels %d asked", p->di->name,
                p->di->maxInputChannels, need);
        return -1;
    }
    if (p->dout->maxOutputChannels < need) {
        app_err(sub, "output device '%s' has %d output channel(s); %d needed", p->dout->name,
                p->dout->maxOutputChannels, need);
        return -1;
    }
    /* A mono signal goes to both channels of a device pair. */
    p->out_channels = (need == 1 && p->dout->maxOutputChannels >= 2) ? 2 : need;
    p->rate = o->rate > 0 ? o->rate : p->dout->defaultSampleRate;
    if (!(p->rate >= 8000 && p->rate <= 192000)) {
        app_err(sub, "device rate %.0f Hz is outside 8000..192000 Hz; pass --rate", p->rate);
        return -1;
    }
    return 0;
}

static int open_stream(const char *sub, const app_stream_opts *o, const picked *p, int in_channels,
                       app_stream_rt *rt, PaStream **stream)
{
    const double lat = o->latency_ms >= 0 ? o->latency_ms / 1000.0 : -1.0;
    PaStreamParameters ip = {
        .device = p->in, .channelCount = in_channels, .sampleFormat = paFloat32 | paNonInterleaved,
        .suggestedLatency = lat >= 0 ? lat : p->di ? p->di->defaultLowInputLatency : 0.0,
    };
    PaStreamParameters op = {
        .device = p->out, .channelCount = p->out_channels, .sampleFormat = paFloat32 | paNonInterleaved,
        .suggestedLatency = lat >= 0 ? lat : p->dout->defaultLowOutputLatency,
    };
    PaError pe = Pa_OpenStream(stream, in_channels ? &ip : NULL, &op, p->rate,
                               o->frames > 0 ? (unsigned long)o->frames : paFramesPerBufferUnspecified,
                               paNoFlag, app_stream_callback, rt);
    if (pe != paNoError) {
        if (in_channels)
            app_err(sub, "cannot open stream '%s' -> '%s' at %.0f Hz, %d ch: %s", p->di->name,
                    p->dout->name, p->rate, in_channels, Pa_GetErrorText(pe));
        else
            app_err(sub, "cannot open output stream on '%s' at %.0f Hz, %d ch: %s", p->dout->name, p->rate,
                    p->out_channels, Pa_GetErrorText(pe));
        /* paUnanticipatedHostError: the host API's own message says why. */
        const PaHostErrorInfo *hi = pe == paUnanticipatedHostError ? Pa_GetLastHostErrorInfo() : NULL;
        if (hi && hi->errorText)
            app_err(sub, "host error: %s", hi->errorText);
        *stream = NULL;
        return -1;
    }
    Pa_SetStreamFinishedCallback(*stream, app_stream_finished);
    return 0;
}

/* ----------------------------------------------------------------- watching -- */
/* 0 while the stream runs; -1 with a message printed if it stopped, failed, set its finished
 * flag or has not called back for stall_s. PortAudio may report a stream whose device is gone
 * inactive or finished, or (JACK server killed) simply stop calling back while still
 * claiming to run. */
typedef struct {
    double stall_s;                      /* no callback for this long = device gone, s */
    unsigned long long last_callbacks;   /* callback count when it last moved */
    double last_progress;                /* app_now() when it last moved */
} watch;

static int watch_check(const char *sub, watch *w, PaStream *stream, app_stream_rt *rt, double now)
{
    PaError act = Pa_IsStreamActive(stream);
    if (act != 1 || atomic_load(&rt->finished)) {
        if (act < 0)
            app_err(sub, "stream error: %s", Pa_GetErrorText(act));
        else
            app_err(sub, "the audio device stopped (disconnected or server gone)");
        return -1;
    }
    unsigned long long callbacks = app_rt_ld(&rt->callbacks);
    if (callbacks != w->last_callbacks) {
        w->last_callbacks = callbacks;
        w->last_progress = now;
    } else if (now - w->last_progress > w->stall_s) {
        app_err(sub, "no audio callback for %.1f s: the device or server is gone", now - w->last_progress);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- run -- */
int app_stream_run(const app_stream_opts *o, app_stream_mode *m, int *still_in_use)
{
    const char *sub = m->sub;
    *still_in_use = 0;
    app_stream_rt *rt = calloc(1, sizeof *rt);
    if (!rt) {
        app_err(sub, "out of memory");
        return SW_EXIT_FAIL;
    }
    if (app_pa_init(sub) != 0) {
        free(rt);
        return SW_EXIT_FAIL;
    }
    int rc = SW_EXIT_FAIL, started = 0;
    PaStream *stream = NULL;
    app_sigtrap sig = { .set = 0 };
    picked p;
    PaError pe;

    if (pick(sub, o, m->in_channels, &p) != 0)
        goto out;
    /* Everything the callback will touch is made here, before the stream exists. */
    if (m->prepare(m, rt, p.rate, p.out_channels) != 0)
        goto out;
    if (!app_stream_rt_lock_free(rt)) {
        app_err(sub, "C11 atomics are not lock-free on this platform; refusing to run real-time");
        goto out;
    }
    if (open_stream(sub, o, &p, m->in_channels, rt, &stream) != 0)
        goto out;
    app_sigtrap_set(&sig, 1);
    if (m->start && m->start(m) != 0)
        goto out;
    started = 1;
    pe = Pa_StartStream(stream);
    if (pe != paNoError) {
        app_err(sub, "cannot start stream: %s", Pa_GetErrorText(pe));
        goto out;
    }

    const PaStreamInfo *si = Pa_GetStreamInfo(stream);
    const double srate = si && si->sampleRate > 0 ? si->sampleRate : p.rate;
    const double in_lat = si ? si->inputLatency : 0.0, out_lat = si ? si->outputLatency : 0.0;
    char fpc[32], in_part[1024] = "";
    if (o->frames > 0)
        snprintf(fpc, sizeof fpc, "%ld", o->frames);
    else
        snprintf(fpc, sizeof fpc, "host-chosen");
    if (p.di)
        snprintf(in_part, sizeof in_part, "'%s' (%d ch) ", p.di->name, m->in_channels);
    printf("%s: %s: %s-> '%s' (%d ch), %.0f Hz, %s frames per callback\n", sub,
           Pa_GetHostApiInfo(p.dout->hostApi)->name, in_part, p.dout->name, p.out_channels, srate, fpc);
    const double watch_lat = m->print_setup(m, srate, in_lat, out_lat);
    fflush(stdout);

    const int show_status = isatty(STDERR_FILENO) && !o->quiet;
    if (show_status && (!m->hint || *m->hint))
        fprintf(stderr, "%s\n", m->hint ? m->hint : "Ctrl-C stops");
    const double t0 = app_now();
    double last_status = 0.0;
    watch w = { .stall_s = 2.0 + 4.0 * (watch_lat > 0 ? watch_lat : 0.1), .last_progress = t0 };
    const char *end_reason = "signal";
    rc = SW_EXIT_OK;
    for (;;) {
        struct timespec nap = { 0, 20 * 1000 * 1000 };
        nanosleep(&nap, NULL);
        double now = app_now();
        if (app_stop_requested)
            break;
        if (o->seconds > 0.0 && now - t0 >= o->seconds) {
            end_reason = "seconds";
            break;
        }
        if (watch_check(sub, &w, stream, rt, now) != 0) {
            end_reason = "device-lost";
            rc = SW_EXIT_FAIL;
            break;
        }
        const char *why = m->poll ? m->poll(m, rt, srate) : NULL;
        if (why) {
            end_reason = why;
            break;
        }
        if (show_status && now - last_status >= 0.25) {
            last_status = now;
            fputs("\r\033[K", stderr);
            m->status(m, rt, stderr, now - t0, srate, stream);
            fflush(stderr);
        }
    }
    const double ran = app_now() - t0;
    if (show_status)
        fputs("\r\033[K", stderr);
    const int lost = !strcmp(end_reason, "device-lost");
    /* A lost device is not stopped: the stream already is inactive, and PortAudio's JACK host
     * API can wait forever for a callback that will never come. A stream that ended normally
     * is stopped under a 10 s watchdog. */
    if (!lost) {
        arm_watchdog(sub, SW_EXIT_FAIL, 10);
        pe = Pa_StopStream(stream);
        if (pe != paNoError && pe != paStreamIsStopped) {
            app_err(sub, "error stopping the stream: %s", Pa_GetErrorText(pe));
            rc = SW_EXIT_FAIL;
        }
    }
    if (m->stop)
        m->stop(m);
    started = 0;
    unsigned long long ncb = app_rt_ld(&rt->callbacks), nfr = app_rt_ld(&rt->frames);
    /* DSP load: time inside the callback relative to the audio it produced. */
    double dsp = nfr ? (app_rt_ld(&rt->busy_ns) * 1e-9) / (nfr / srate) : 0.0;
    printf("summary: frames=%llu callbacks=%llu xruns=%llu ", nfr, ncb, app_rt_ld(&rt->xrun_callbacks));
    m->summary(m, rt, 0, srate);
    printf("cb_mean_ms=%.3f cb_max_ms=%.3f dsp_load=%.3f ", ncb ? app_rt_ld(&rt->busy_ns) * 1e-6 / ncb : 0.0,
           app_rt_ld(&rt->max_ns) * 1e-6, dsp);
    m->summary(m, rt, 1, srate);
    printf("seconds=%.2f rate=%.0f end=%s\n", ran, srate, end_reason);
    fflush(stdout);
    if (lost) {
        /* Closing a stream or terminating PortAudio against a dead server blocks (JACK host
         * API). The process is about to exit, so skip that cleanup; what the callback uses
         * stays allocated because a host thread might still hold its pointer. */
        *still_in_use = 1;
        return rc;
    }
    /* Everything worth keeping (the summary) is printed: a hung shutdown now just exits. */
    arm_watchdog(sub, rc, 5);
out:
    if (started && m->stop)
        m->stop(m);
    app_sigtrap_restore(&sig);
    if (stream)
        Pa_CloseStream(stream);
    Pa_Terminate();
    alarm(0);
    free(rt);
    return rc;
}
