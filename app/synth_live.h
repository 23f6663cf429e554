/* synth_live.h — `statewave synth --live`: play a MIDI song through PortAudio. Main-thread
 * half (synth_live.c); the audio thread runs only app_synth_callback (synth_rt.c). */
#ifndef SW_APP_SYNTH_LIVE_H
#define SW_APP_SYNTH_LIVE_H

#include "midifile.h"
#include "statewave.h"
#include "timbre.h"

typedef struct {
    const char *device;          /* output device spec (index or name substring), NULL = default */
    const char *host_api;        /* host API name substring, NULL = PortAudio's default */
    double rate;                 /* device rate in Hz, 0 = the device's default */
    long frames;                 /* frames per callback, 0 = host's choice */
    double latency_ms;           /* suggested latency in ms, < 0 = the device's low latency */
    int quiet;                   /* no status line */
    int voices;                  /* polyphony */
    double tail_s;               /* release/reverb tail allowed after the last event, s */
    app_synth_controls controls; /* gains, pitch shift, reverb */
    const float *ir;             /* [ir_n] reverb impulse response at ir_rate Hz, NULL = built-in; owned by the caller */
    size_t ir_n;                 /* its length */
    double ir_rate;              /* its rate, Hz */
    const char *ir_path;         /* its file, for messages */
} app_synth_live_opts;

/* Create the synth at the device's rate from `model` and play `song` until it is over (last
 * event + tail, then the output latency drains), SIGINT/SIGTERM/SIGHUP, or the device is
 * lost. Prints the stream setup, a status line on a terminal and a summary line; returns an
 * exit status. *still_in_use = 1 when the device was lost with the stream not closed (a host
 * thread may still call back: the caller must not free the model or the song). */
int app_synth_live(const sw_model *model, const app_midi_song *song, const app_synth_live_opts *o,
                   const char *model_used, int *still_in_use);

#endif
