/* generate_live.h — `statewave generate --live`: play the generator through PortAudio.
 * Main-thread half (generate_live.c); the audio thread runs only sw_gen_callback
 * (generate_rt.c). */
#ifndef SW_APP_GENERATE_LIVE_H
#define SW_APP_GENERATE_LIVE_H

#include "statewave.h"

typedef struct {
    const char *device;    /* output device spec (index or name substring), NULL = default */
    const char *host_api;  /* host API name substring, NULL = PortAudio's default */
    double rate;           /* device rate in Hz, 0 = the device's default */
    long frames;           /* frames per callback, 0 = host's choice */
    double latency_ms;     /* suggested latency in ms, < 0 = the device's low latency */
    double seconds;        /* stop after this long, 0 = until a signal */
    int quiet;             /* no status line */
} app_gen_live_opts;

/* Play `gen` (already seeded, configured and primed) on an output device until
 * o->seconds pass, SIGINT/SIGTERM/SIGHUP, or the device is lost. `model_used` is the model
 * path and `settings` a one-line description (seed, temperature, top-p), both printed.
 * Prints the stream setup, a status line on a terminal and a summary line; returns an
 * exit status (common.h). *still_in_use is set to 1 when the device was lost with the
 * stream not closed: a host thread may still call the callback, so the caller must not
 * free `gen` (nor its model) before exiting; 0 otherwise. */
int app_generate_live(sw_generator *gen, const app_gen_live_opts *o, const char *model_used,
                      const char *settings, int *still_in_use);

#endif
