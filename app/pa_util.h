/* pa_util.h — PortAudio helpers shared by `live`, `generate --live`, `synth --live` and `devices` (main
 * thread only). */
#ifndef SW_APP_PA_UTIL_H
#define SW_APP_PA_UTIL_H

#include <stddef.h>

#include <portaudio.h>

/* Pa_Initialize with stderr muted (ALSA/JACK probe noise such as "cannot find card"),
 * unless $STATEWAVE_DEBUG is set. Prints an error and returns -1 on failure. */
int app_pa_init(const char *sub);

/* Host API index whose name contains `name` (case-insensitive; "jack" matches
 * "JACK Audio Connection Kit"), or -1 after printing the available ones. */
PaHostApiIndex app_pa_find_host_api(const char *sub, const char *name);

/* Device for `spec` within host API `api` (or any API if api < 0): a device index as
 * listed by `statewave devices`, or a case-insensitive substring of its name. The device
 * must have at least `min_in` input and `min_out` output channels. -1 (message printed)
 * if none. */
PaDeviceIndex app_pa_find_device(const char *sub, const char *spec, PaHostApiIndex api,
                                 int min_in, int min_out);

/* An output-only stream for `generate --live` and `synth --live`: the device and its rate. */
typedef struct {
    PaDeviceIndex device;       /* chosen output device */
    const PaDeviceInfo *info;   /* its PortAudio description (owned by PortAudio) */
    int channels;               /* 2 where the device has a pair (mono on both), else 1 */
    double rate;                /* --rate, or the device's default rate */
} app_pa_output;

/* Pick the output device for --device `spec` (NULL: the default one of `host_api`, or
 * PortAudio's default) and its rate (`rate` > 0, else the device's default), which must be
 * 8000..192000 Hz. 0, or -1 with a message printed. */
int app_pa_pick_output(const char *sub, const char *spec, const char *host_api, double rate,
                       app_pa_output *out);

/* Open `o` as a non-interleaved float32 output stream (`latency_ms` < 0: the device's low
 * latency; `frames` 0: the host's choice) with `callback` and `finished`. 0, or -1 with a
 * message printed (and *stream NULL). */
int app_pa_open_output(const char *sub, const app_pa_output *o, double latency_ms, long frames,
                       PaStreamCallback *callback, PaStreamFinishedCallback *finished, void *user,
                       PaStream **stream);

/* After Pa_StartStream: the rate the stream really runs at and its output latency, and the
 * first setup line, "SUB: HOST API: -> 'DEVICE' (N ch), RATE Hz, FRAMES frames per callback". */
void app_pa_print_output_setup(const char *sub, PaStream *stream, const app_pa_output *o, long frames,
                               double *rate, double *latency_s);

/* Shutdown watchdog: a host API talking to a dead server (JACK killed, USB device pulled)
 * can block forever in stop/close/terminate. Arms alarm(seconds); if it fires, prints
 * "statewave <sub>: warning: audio shutdown hung; exiting without it" and _exit(rc).
 * Call when everything worth keeping (the summary) is printed; alarm(0) disarms it.
 * `sub` must be a string literal (kept by pointer). */
void app_pa_arm_shutdown_watchdog(const char *sub, int rc, unsigned seconds);

/* After Pa_OpenStream failed with `pe` (the caller has printed what it tried to open):
 * for paUnanticipatedHostError also print the host API's own message, which says why. */
void app_pa_print_host_error(const char *sub, PaError pe);

/* "N" for a fixed --frames N, or "host-chosen" for 0 (paFramesPerBufferUnspecified). */
void app_pa_frames_str(long frames, char *buf, size_t len);

/* Main-thread watch over a running stream, for a device that disappears: PortAudio may
 * report the stream inactive or finished, or (JACK server killed) simply stop calling
 * back while still claiming to run. */
typedef struct {
    double stall_s;                      /* no callback for this long = device gone, s */
    unsigned long long last_callbacks;   /* callback count when it last moved */
    double last_progress;                /* app_now() when it last moved */
} app_pa_watch;

/* Start watching at `now` (app_now()); `latency_s` is the stream's latency, which scales
 * how long a silent gap may be before it counts as a stall. */
void app_pa_watch_start(app_pa_watch *w, double now, double latency_s);
/* 0 while the stream runs; -1 with a message printed if it stopped, failed, set its
 * `finished` flag (the stream-finished callback ran) or `callbacks` has not moved for
 * stall_s. */
int app_pa_watch_check(const char *sub, app_pa_watch *w, PaStream *stream, int finished,
                       unsigned long long callbacks, double now);

/* Stop a stream that ended normally, under a 10 s shutdown watchdog (exit status
 * SW_EXIT_FAIL if it fires; `sub` is kept by it, so a string literal). 0, or -1 with a
 * message printed. Never call it for a lost device: PortAudio's JACK host API can wait
 * forever for a callback that will not come. */
int app_pa_stop_stream(const char *sub, PaStream *stream);

#endif
