/* synth_rt.c — the song player and the PortAudio callback of `statewave synth --live`. Runs on
 * the audio thread in --live (app_synth_block, called by the stream runner's callback): plain
 * loads/stores, relaxed atomics and the [RT] sw_synth calls; no allocation, locks, printing or
 * I/O. See synth_rt.h. */
#include "synth_rt.h"

#include <math.h>
#include <string.h>

static uint64_t sample_of(double seconds, double rate)
{
    double s = seconds * rate;
    return s <= 0.0 ? 0 : (uint64_t)llround(s);
}

void app_synth_player_init(app_synth_player *p, sw_synth *synth, const app_midi_song *song,
                           double rate, double tail_s, double quiet_s)
{
    memset(p, 0, sizeof *p);
    p->synth = synth;
    p->ev = song->ev;
    p->n = song->n;
    p->rate = rate;
    p->last_event = song->n ? sample_of(song->last_event_s, rate) : 0; /* >= the last kept event */
    p->tail_max = (uint64_t)llround(tail_s * rate);
    p->quiet_need = (uint64_t)llround(quiet_s * rate);
}

/* Apply one event to the synth now. [RT] */
static void apply_event(sw_synth *s, const app_midi_event *e)
{
    switch (e->type) {
    case APP_MIDI_NOTE_ON: sw_synth_note_on(s, e->note, e->velocity); break;
    case APP_MIDI_NOTE_OFF: sw_synth_note_off(s, e->note); break;
    case APP_MIDI_SUSTAIN: sw_synth_sustain(s, e->value != 0.0f); break;
    case APP_MIDI_BEND: sw_synth_pitch_bend(s, e->value); break;
    case APP_MIDI_ALL_NOTES_OFF: sw_synth_all_notes_off(s); break;
    case APP_MIDI_SOUND_OFF: sw_synth_reset(s); break;
    case APP_MIDI_MOD_WHEEL: sw_synth_mod_wheel(s, e->value); break;
    case APP_MIDI_EXPRESSION: sw_synth_expression(s, e->value); break;
    case APP_MIDI_PRESSURE: sw_synth_pressure(s, e->value); break;
    case APP_MIDI_RESET_CONTROLLERS: sw_synth_reset_controllers(s); break;
    default: break;
    }
}

void app_synth_player_render(app_synth_player *p, float *out, size_t frames)
{
    size_t done = 0;
    while (done < frames) {
        while (p->next < p->n && sample_of(p->ev[p->next].seconds, p->rate) <= p->pos) {
            apply_event(p->synth, &p->ev[p->next]);
            p->next++;
        }
        size_t m = frames - done;
        if (p->next < p->n) {
            uint64_t until = sample_of(p->ev[p->next].seconds, p->rate) - p->pos;
            if (until < m)
                m = (size_t)until;
        }
        float *o = out + done;
        sw_synth_process(p->synth, o, m);
        /* End-of-song test, only once every event is applied: silent samples while no voice
         * sounds (a voice's own release is not silence yet; the reverb tail after it must
         * also fall below -80 dBFS). */
        if (p->next == p->n && !p->done) {
            int voices = sw_synth_active_voices(p->synth);
            for (size_t i = 0; i < m; i++) {
                if (voices == 0 && fabsf(o[i]) < APP_SYNTH_SILENCE)
                    p->quiet++;
                else
                    p->quiet = 0;
            }
            if (p->pos + m >= p->last_event + p->tail_max || p->quiet >= p->quiet_need)
                p->done = 1;
        }
        p->pos += m;
        done += m;
    }
}

/* ---------------------------------------------------------------- live -- */

void app_synth_rt_init(app_synth_rt *rt, sw_synth *synth, const app_midi_song *song, double rate,
                       double tail_s, double quiet_s)
{
    memset(rt, 0, sizeof *rt);
    app_synth_player_init(&rt->player, synth, song, rate, tail_s, quiet_s);
    atomic_init(&rt->events_done, 0);
    atomic_init(&rt->voices, 0);
    atomic_init(&rt->done_at, 0);
}

void app_synth_block(void *mode, const float *const *in, float *const *out, unsigned long frames)
{
    (void)in;
    app_synth_rt *rt = mode;
    app_synth_player_render(&rt->player, out[0], frames);
    atomic_store_explicit(&rt->events_done, rt->player.next, memory_order_relaxed);
    atomic_store_explicit(&rt->voices, sw_synth_active_voices(rt->player.synth), memory_order_relaxed);
    /* The player renders every frame the stream plays: its position is the frame count. */
    if (rt->player.done && atomic_load_explicit(&rt->done_at, memory_order_relaxed) == 0)
        atomic_store_explicit(&rt->done_at, rt->player.pos, memory_order_relaxed);
}
