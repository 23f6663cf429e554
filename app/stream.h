/* stream.h — the app's one PortAudio stream runner, for `live` (duplex), `generate --live` and
 * `synth --live` (output only). It picks and opens the devices, installs the signal handler,
 * starts the stream with the trampoline of stream_rt.h, prints the first setup line, runs the
 * monitor loop (--seconds, signals, a device that stops or stalls, a status line on a
 * terminal) and prints the summary. A mode supplies its block function (stream_rt.h) and the
 * small main-thread operations below. Main thread only. */
#ifndef SW_APP_STREAM_H
#define SW_APP_STREAM_H

#include <stdio.h>

#include <portaudio.h>

#include "common.h"
#include "stream_rt.h"

/* Pa_Initialize with stderr muted (ALSA/JACK probe noise such as "cannot find card"),
 * unless $STATEWAVE_DEBUG is set. Prints an error and returns -1 on failure (devices.c). */
int app_pa_init(const char *sub);

/* The device options every live mode takes. */
typedef struct {
    const char *input;     /* input device spec (index or name substring), NULL = default */
    const char *output;    /* output device spec, likewise */
    const char *host_api;  /* host API name substring, NULL = PortAudio's default */
    double rate;           /* device rate in Hz, 0 = the output device's default */
    long frames;           /* frames per callback, 0 = host's choice */
    double latency_ms;     /* suggested latency in ms, < 0 = the devices' low latency */
    double seconds;        /* stop after this long, 0 = until a signal (or the mode ends it) */
    int quiet;             /* no status line */
} app_stream_opts;

/* The device options the live modes share: -a/--host-api, -F/--frames, -L/--latency into the
 * app_stream_opts `so`, each setting *flag (app_opt entries; --device is the command's own, as
 * `live` names two devices). */
#define APP_STREAM_OPTIONS(so, flag)                                                              \
    { "host-api", 'a', APP_OPT_STR, .dst = &(so).host_api, .seen = (flag) },                      \
    { "frames", 'F', APP_OPT_LONG, .dst = &(so).frames, 0, 65536, (flag) },                       \
    { "latency", 'L', APP_OPT_DBL, .dst = &(so).latency_ms, 0.0, 10000.0, (flag) }

/* The usage rules of a command that writes a file or, with --live, plays: `conflict` (file
 * options given with --live; `file_opts` names them, `what` is what is played), `live_only`
 * (device options without --live; `live_opts` names them) and a missing -o. 0, or -1 with
 * the message printed (exit status 2). */
int app_stream_check_usage(const char *sub, int live, int conflict, const char *what, const char *file_opts,
                           int live_only, const char *live_opts, const char *out_path);

typedef struct app_stream_mode app_stream_mode;
struct app_stream_mode {
    const char *sub;     /* command name for messages and the setup line (a string literal) */
    int in_channels;     /* input channels (a duplex stream), 0 = output only (one channel written,
                          * copied to a device pair) */
    const char *hint;    /* printed above the status line; NULL = "Ctrl-C stops", "" = none */
    /* Make everything the callback touches at the device rate, fill `rt` (app_stream_rt_init)
     * with out_channels device channels. 0, or -1 with a message printed. Required. */
    int (*prepare)(app_stream_mode *m, app_stream_rt *rt, double rate, int out_channels);
    /* After the stream is open, before it starts (a rendering thread). 0 or -1 (printed). */
    int (*start)(app_stream_mode *m);
    /* After the first setup line: the mode's lines. Returns the latency that scales how long
     * the stream may stay silent before it counts as lost, s. */
    double (*print_setup)(app_stream_mode *m, double srate, double in_lat, double out_lat);
    /* Every 20 ms while running: an end reason ("quit", "song") to stop, or NULL. */
    const char *(*poll)(app_stream_mode *m, app_stream_rt *rt, double srate);
    /* The status line's text after "\r\033[K" (terminal only, every 0.25 s). */
    void (*status)(app_stream_mode *m, app_stream_rt *rt, FILE *f, double t, double srate, PaStream *s);
    /* The stream has stopped (stop threads; not called for a lost device). */
    void (*stop)(app_stream_mode *m);
    /* Summary fields "name=value " after xruns= (part 0) and after dsp_load= (part 1). */
    void (*summary)(app_stream_mode *m, app_stream_rt *rt, int part, double srate);
};

/* Run mode `m` on the devices of `o` until --seconds, a signal, the mode's poll ending it or
 * the device being lost; returns an exit status (common.h). Calls app_pa_init and
 * Pa_Terminate; allocates the callback's app_stream_rt and frees it at the end. *still_in_use
 * = 1 when the device was lost with the stream not closed: a host thread may still call back,
 * so the caller must not free what the callback touches (the mode, which must be on the heap,
 * its engine and model), and the runner keeps its app_stream_rt; the process is about to exit. */
int app_stream_run(const app_stream_opts *o, app_stream_mode *m, int *still_in_use);

/* 20 log10(x), or -inf for 0. */
double app_dbfs(double x);

#endif
