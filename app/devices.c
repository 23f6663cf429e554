/* devices.c — `statewave devices` and the PortAudio helpers of pa_util.h. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "pa_util.h"

#define SUB "devices"

static const char help[] =
    "Usage: statewave devices [-h]\n"
    "\n"
    "List the audio devices PortAudio sees: index (for live --input/--output), host API,\n"
    "input and output channel counts, default sample rate and name. 'in'/'out' in the\n"
    "default column marks the host API's default input/output device; '*' marks\n"
    "PortAudio's overall defaults (what 'statewave live' uses without --host-api).\n"
    "The JACK host API appears only while a JACK server is running.\n"
    "Set STATEWAVE_DEBUG=1 to see the host APIs' own probe messages.\n";

const char *app_portaudio_version(void)
{
    const PaVersionInfo *v = Pa_GetVersionInfo();
    return v && v->versionText ? v->versionText : "PortAudio";
}

int app_pa_init(const char *sub)
{
    int saved = -1;
    fflush(stderr);
    if (!getenv("STATEWAVE_DEBUG")) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            saved = dup(STDERR_FILENO);
            dup2(devnull, STDERR_FILENO);
            close(devnull);
        }
    }
    PaError e = Pa_Initialize();
    if (saved >= 0) {
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
    }
    if (e != paNoError) {
        app_err(sub, "cannot initialise PortAudio: %s", Pa_GetErrorText(e));
        return -1;
    }
    return 0;
}

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

void app_pa_arm_shutdown_watchdog(const char *sub, int rc, unsigned seconds)
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

void app_pa_print_host_error(const char *sub, PaError pe)
{
    if (pe != paUnanticipatedHostError)
        return;
    const PaHostErrorInfo *hi = Pa_GetLastHostErrorInfo();
    if (hi && hi->errorText)
        app_err(sub, "host error: %s", hi->errorText);
}

void app_pa_frames_str(long frames, char *buf, size_t len)
{
    if (frames > 0)
        snprintf(buf, len, "%ld", frames);
    else
        snprintf(buf, len, "host-chosen");
}

void app_pa_watch_start(app_pa_watch *w, double now, double latency_s)
{
    w->stall_s = 2.0 + 4.0 * (latency_s > 0 ? latency_s : 0.1);
    w->last_callbacks = 0;
    w->last_progress = now;
}

int app_pa_watch_check(const char *sub, app_pa_watch *w, PaStream *stream, int finished,
                       unsigned long long callbacks, double now)
{
    PaError act = Pa_IsStreamActive(stream);
    if (act != 1 || finished) {
        if (act < 0)
            app_err(sub, "stream error: %s", Pa_GetErrorText(act));
        else
            app_err(sub, "the audio device stopped (disconnected or server gone)");
        return -1;
    }
    if (callbacks != w->last_callbacks) {
        w->last_callbacks = callbacks;
        w->last_progress = now;
    } else if (now - w->last_progress > w->stall_s) {
        app_err(sub, "no audio callback for %.1f s: the device or server is gone", now - w->last_progress);
        return -1;
    }
    return 0;
}

int app_pa_stop_stream(const char *sub, PaStream *stream)
{
    app_pa_arm_shutdown_watchdog(sub, SW_EXIT_FAIL, 10);
    PaError pe = Pa_StopStream(stream);
    if (pe != paNoError && pe != paStreamIsStopped) {
        app_err(sub, "error stopping the stream: %s", Pa_GetErrorText(pe));
        return -1;
    }
    return 0;
}

PaHostApiIndex app_pa_find_host_api(const char *sub, const char *name)
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

PaDeviceIndex app_pa_find_device(const char *sub, const char *spec, PaHostApiIndex api,
                                 int min_in, int min_out)
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

int cmd_devices(int argc, char **argv)
{
    static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return SW_EXIT_OK;
        }
        fprintf(stderr, "Try 'statewave devices --help'.\n");
        return SW_EXIT_USAGE;
    }
    if (optind < argc) {
        app_err(SUB, "unexpected argument '%s'", argv[optind]);
        return SW_EXIT_USAGE;
    }
    if (app_pa_init(SUB) != 0)
        return SW_EXIT_FAIL;
    PaDeviceIndex n = Pa_GetDeviceCount();
    if (n < 0) {
        app_err(SUB, "cannot list devices: %s", Pa_GetErrorText(n));
        Pa_Terminate();
        return SW_EXIT_FAIL;
    }
    PaDeviceIndex gin = Pa_GetDefaultInputDevice(), gout = Pa_GetDefaultOutputDevice();
    printf("%3s  %-26s %3s %4s %7s  %-9s %s\n", "#", "host API", "in", "out", "rate", "default", "name");
    for (PaDeviceIndex i = 0; i < n; i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        const PaHostApiInfo *h = Pa_GetHostApiInfo(d->hostApi);
        char def[16] = "";
        int hin = h && h->defaultInputDevice == i, hout = h && h->defaultOutputDevice == i;
        snprintf(def, sizeof def, "%s%s%s%s", hin ? "in" : "", hin && hout ? "," : "",
                 hout ? "out" : "", (i == gin || i == gout) ? "*" : "");
        printf("%3d  %-26s %3d %4d %7.0f  %-9s %s\n", i, h ? h->name : "?", d->maxInputChannels,
               d->maxOutputChannels, d->defaultSampleRate, def[0] ? def : "-", d->name);
    }
    if (n == 0)
        printf("(no devices)\n");
    printf("default input: %s, default output: %s\n",
           gin >= 0 ? Pa_GetDeviceInfo(gin)->name : "none",
           gout >= 0 ? Pa_GetDeviceInfo(gout)->name : "none");
    Pa_Terminate();
    return SW_EXIT_OK;
}

int app_pa_pick_output(const char *sub, const char *spec, const char *host_api, double rate,
                       app_pa_output *out)
{
    PaHostApiIndex api = -1;
    if (host_api && (api = app_pa_find_host_api(sub, host_api)) < 0)
        return -1;
    const PaHostApiInfo *api_info = api >= 0 ? Pa_GetHostApiInfo(api) : NULL;
    PaDeviceIndex dout;
    if (spec)
        dout = app_pa_find_device(sub, spec, api, 0, 1);
    else
        dout = api_info ? api_info->defaultOutputDevice : Pa_GetDefaultOutputDevice();
    if (dout < 0) {
        if (!spec)
            app_err(sub, "no default output device%s%s (see 'statewave devices')",
                    api_info ? " for " : "", api_info ? api_info->name : "");
        return -1;
    }
    out->device = dout;
    out->info = Pa_GetDeviceInfo(dout);
    out->channels = out->info->maxOutputChannels >= 2 ? 2 : 1;
    out->rate = rate > 0 ? rate : out->info->defaultSampleRate;
    if (!(out->rate >= 8000 && out->rate <= 192000)) {
        app_err(sub, "device rate %.0f Hz is outside 8000..192000 Hz; pass --rate", out->rate);
        return -1;
    }
    return 0;
}

int app_pa_open_output(const char *sub, const app_pa_output *o, double latency_ms, long frames,
                       PaStreamCallback *callback, PaStreamFinishedCallback *finished, void *user,
                       PaStream **stream)
{
    PaStreamParameters op = {
        .device = o->device, .channelCount = o->channels, .sampleFormat = paFloat32 | paNonInterleaved,
        .suggestedLatency = latency_ms >= 0 ? latency_ms / 1000.0 : o->info->defaultLowOutputLatency,
    };
    PaError pe = Pa_OpenStream(stream, NULL, &op, o->rate,
                               frames > 0 ? (unsigned long)frames : paFramesPerBufferUnspecified,
                               paNoFlag, callback, user);
    if (pe != paNoError) {
        app_err(sub, "cannot open output stream on '%s' at %.0f Hz, %d ch: %s", o->info->name, o->rate,
                o->channels, Pa_GetErrorText(pe));
        app_pa_print_host_error(sub, pe);
        *stream = NULL;
        return -1;
    }
    Pa_SetStreamFinishedCallback(*stream, finished);
    return 0;
}

void app_pa_print_output_setup(const char *sub, PaStream *stream, const app_pa_output *o, long frames,
                               double *rate, double *latency_s)
{
    const PaStreamInfo *si = Pa_GetStreamInfo(stream);
    *rate = si && si->sampleRate > 0 ? si->sampleRate : o->rate;
    *latency_s = si ? si->outputLatency : 0.0;
    char fpc[32];
    app_pa_frames_str(frames, fpc, sizeof fpc);
    printf("%s: %s: -> '%s' (%d ch), %.0f Hz, %s frames per callback\n", sub,
           Pa_GetHostApiInfo(o->info->hostApi)->name, o->info->name, o->channels, *rate, fpc);
}
