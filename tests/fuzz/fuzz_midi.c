/* fuzz_midi.c — libFuzzer target for the MIDI file reader (app/midifile.c), the parser
 * `statewave synth` (and synth --live) runs on every MIDI file.
 *
 * Any byte string goes through app_midi_parse. A refusal must say why and hand out nothing;
 * a song must be what synth_rt.c relies on: events in time order, every time finite and within
 * APP_MIDI_MAX_SECONDS, notes/velocities/channels in range, finite values, at least one note,
 * last_event_s the time of the last channel message: at or after the last kept event, within
 * APP_MIDI_MAX_SECONDS. Any violation aborts (a crash to libFuzzer); ASan
 * and UBSan catch memory errors and undefined behaviour, LeakSanitizer leaks.
 * Built by `make fuzz` (mk/fuzz.mk); corpus in tests/fuzz/corpus/midi. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "midifile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    app_midi_song s;
    char err[256];
    if (app_midi_parse(data, size, &s, err, sizeof err) != 0) {
        if (!err[0] || s.ev || s.n)
            abort(); /* a refusal says why and hands out nothing */
        return 0;
    }
    if (!s.ev || s.n == 0 || s.n_notes == 0 || s.n_tracks < 1)
        abort();
    for (size_t i = 0; i < s.n; i++) {
        const app_midi_event *e = &s.ev[i];
        if (!(e->seconds >= 0.0 && e->seconds <= APP_MIDI_MAX_SECONDS))
            abort();
        if (i && e->seconds < s.ev[i - 1].seconds)
            abort();
        if (e->type > APP_MIDI_RESET_CONTROLLERS || e->channel > 15 || e->note > 127 || e->velocity > 127 ||
            !isfinite(e->value))
            abort();
        if ((e->type == APP_MIDI_MOD_WHEEL || e->type == APP_MIDI_EXPRESSION || e->type == APP_MIDI_PRESSURE) &&
            !(e->value >= 0.0f && e->value <= 1.0f))
            abort(); /* controllers are MIDI value / 127 */
        if (e->type == APP_MIDI_NOTE_ON && e->velocity == 0)
            abort();
    }
    if (!(s.last_event_s >= s.ev[s.n - 1].seconds && s.last_event_s <= APP_MIDI_MAX_SECONDS))
        abort();
    app_midi_free(&s);
    return 0;
}
