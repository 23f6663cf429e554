/* midifile.h — a Standard MIDI File turned into the short list of events the neural instrument
 * understands (libsmf reads the file; this wrapper merges every track, converts ticks to seconds
 * through libsmf's tempo map, and reduces channel messages to instrument events).
 *
 * Not real-time: loading allocates. The resulting array is immutable afterwards, so the audio
 * thread of `synth --live` may read it without any lock (synth_rt.c). */
#ifndef SW_APP_MIDIFILE_H
#define SW_APP_MIDIFILE_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    APP_MIDI_NOTE_ON = 0,   /* note, velocity 1..127 */
    APP_MIDI_NOTE_OFF,      /* note (also a note-on with velocity 0) */
    APP_MIDI_SUSTAIN,       /* value 1 = pedal down, 0 = up (OR of every melodic channel's CC64) */
    APP_MIDI_BEND,          /* value = bend in semitones, already scaled by that channel's range */
    APP_MIDI_ALL_NOTES_OFF, /* CC123 (and CC120's release half, see app_midi_event) */
    APP_MIDI_SOUND_OFF      /* CC120 all sound off: silence now */
} app_midi_type;

typedef struct {
    double seconds;   /* time of the event from the start of the song, s (libsmf's tempo map) */
    uint8_t type;     /* app_midi_type */
    uint8_t channel;  /* 0..15, the MIDI channel it came from (for messages only) */
    uint8_t note;     /* 0..127 (note events) */
    uint8_t velocity; /* 1..127 (note-on) */
    float value;      /* sustain 0/1, bend in semitones */
} app_midi_event;

typedef struct {
    app_midi_event *ev;     /* [n] events in time order (note-offs before note-ons at equal times); owned */
    size_t n;               /* number of events */
    size_t n_notes;         /* note-ons kept */
    size_t n_drum_notes;    /* note-ons on channel 10 that were ignored */
    size_t n_other;         /* channel messages ignored (program change, other CCs, aftertouch, ...) */
    int channels_used;      /* bit c set: melodic channel c had a note-on */
    int n_tracks;           /* tracks in the file */
    int max_polyphony;      /* most notes held at once (by key state, pedal ignored) */
    double last_event_s;    /* time of the last kept event, s */
    double last_note_off_s; /* time of the last note-off, s (0 if none) */
} app_midi_song;

/* Load `path`. On failure returns -1 with a reason in err (libsmf's own message when it gave
 * one: "not a MIDI file", truncated chunk, ...); a file without any melodic note-on is an
 * error too. Pitch bends are scaled by the channel's bend range (RPN 0 through CC 101/100 + 6/38;
 * default 2 semitones). */
int app_midi_load(const char *path, app_midi_song *song, char *err, size_t errlen);
void app_midi_free(app_midi_song *song);

#endif
