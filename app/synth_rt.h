/* synth_rt.h — plays a loaded MIDI song (midifile.h) through an sw_synth, sample-accurately.
 * One player serves both `statewave synth -o` (the main thread calls it block by block) and
 * `statewave synth --live` (the PortAudio callback calls it), so the live stream plays exactly
 * what the file render would.
 *
 * The event list is made off the audio thread before playback starts and never changes; the
 * player only walks it with its own read index. That list *is* the event queue of the live
 * callback: it needs no lock and no atomics, because nobody writes it while the stream runs.
 * Everything marked [RT] allocates nothing, takes no lock and does no I/O. */
#ifndef SW_APP_SYNTH_RT_H
#define SW_APP_SYNTH_RT_H

#include <stdatomic.h>
#include <stdint.h>

#include <portaudio.h>

#include "midifile.h"
#include "rt_util.h"
#include "statewave.h"

/* Output below this magnitude counts as silence for the end-of-song test (-80 dBFS). */
#define APP_SYNTH_SILENCE 1e-4f
/* After the last event, the song ends once no voice sounds and the output has been silent
 * this long (s), or at the tail limit, whichever comes first. The built-in reverb's tail is
 * continuous; a user impulse response may have gaps (a pure delay), so with one the silence
 * must also outlast the response (app_synth_quiet_s). */
#define APP_SYNTH_QUIET_S 0.2
static inline double app_synth_quiet_s(double ir_seconds)
{
    return APP_SYNTH_QUIET_S + (ir_seconds > 0 ? ir_seconds : 0.0);
}

typedef struct {
    sw_synth *synth;            /* owned by the caller */
    const app_midi_event *ev;   /* [n] the song's events, time order; owned by the caller, read-only */
    size_t n;                   /* events */
    double rate;                /* render rate, Hz: event k plays at sample llround(ev[k].seconds * rate) */
    uint64_t last_event;        /* sample position of the last event */
    uint64_t tail_max;          /* samples rendered at most after the last event */
    uint64_t quiet_need;        /* silent samples (no voice, output < APP_SYNTH_SILENCE) that end the song */
    size_t next;                /* next event to apply */
    uint64_t pos;               /* samples rendered so far */
    uint64_t quiet;             /* consecutive silent samples (after the last event only) */
    int done;                   /* 1 once the song and its tail are over (rendering goes on, silent) */
} app_synth_player;

/* Prepare (not real-time; cheap). tail_s: seconds of release/reverb allowed after the last
 * event; quiet_s: silence that ends the song (app_synth_quiet_s). */
void app_synth_player_init(app_synth_player *p, sw_synth *synth, const app_midi_song *song,
                           double rate, double tail_s, double quiet_s);
/* Render `frames` samples into out, applying every event at its exact sample: the block is
 * split at each event (process k samples, apply the event, continue). Updates done. [RT] */
void app_synth_player_render(app_synth_player *p, float *out, size_t frames);
/* Not real-time, before playback: play a chord on every voice for 0.1 s, then sw_synth_reset.
 * The first render after create touches the voices' state and buffers for the first time
 * (page faults, cold caches), which would land in the first audio callbacks. The offline
 * render does the same, so a file and a live run of one song start from the same state. */
void app_synth_warm_up(sw_synth *s, double rate, int voices);
/* Apply one event to the synth now. [RT] */
void app_synth_apply_event(sw_synth *s, const app_midi_event *e);

/* ---------------------------------------------------------------- live -- */
/* State shared by `synth --live`'s PortAudio callback and the main thread: the main thread
 * fills it (app_synth_rt_init) before the stream starts and afterwards only reads the atomics;
 * the callback owns the player (and so the synth) while the stream runs. */
typedef struct {
    app_synth_player player;      /* owned by the callback while the stream runs */
    int out_channels;             /* device channels; each carries the mono signal */
    app_rt_meter meter;           /* level of everything played (channel 0) */

    atomic_ullong frames;         /* frames written */
    atomic_ullong callbacks;      /* callback invocations */
    atomic_ullong xrun_callbacks; /* callbacks flagged paOutputUnderflow/paOutputOverflow */
    atomic_ullong busy_ns;        /* total time in the callback, ns */
    atomic_ullong max_ns;         /* longest callback, ns */
    atomic_ullong events_done;    /* events applied so far */
    atomic_int voices;            /* voices sounding after the last callback */
    atomic_ullong done_at;        /* frames when the song ended (0 = not yet) */
    _Atomic int finished;         /* set by the stream-finished callback */
} app_synth_rt;

void app_synth_rt_init(app_synth_rt *rt, sw_synth *synth, const app_midi_song *song, double rate,
                       double tail_s, double quiet_s, int out_channels);
int app_synth_rt_lock_free(const app_synth_rt *rt);
/* Output-only PortAudio callback (paFloat32 | paNonInterleaved, rt->out_channels). [RT] */
int app_synth_callback(const void *input, void *output, unsigned long frames,
                       const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags status,
                       void *user);
void app_synth_finished(void *user); /* PaStreamFinishedCallback [RT] */
double app_synth_rt_rms(app_synth_rt *rt);
double app_synth_rt_peak(app_synth_rt *rt);

#endif
