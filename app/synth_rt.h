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

#include "midifile.h"
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

/* ---------------------------------------------------------------- live -- */
/* `synth --live`'s mode state: the main thread fills it (app_synth_rt_init) before the stream
 * starts and afterwards only reads the atomics; the callback owns the player (and so the
 * synth) while the stream runs. */
typedef struct {
    app_synth_player player;      /* owned by the callback while the stream runs */
    atomic_ullong events_done;    /* events applied so far */
    atomic_int voices;            /* voices sounding after the last callback */
    atomic_ullong done_at;        /* frames when the song ended (0 = not yet) */
} app_synth_rt;

void app_synth_rt_init(app_synth_rt *rt, sw_synth *synth, const app_midi_song *song, double rate,
                       double tail_s, double quiet_s);
/* app_stream_block_fn (mode = the app_synth_rt): the song into out[0]. [RT] */
void app_synth_block(void *mode, const float *const *in, float *const *out, unsigned long frames);

#endif
