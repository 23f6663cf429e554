/* midifile.h — a Standard MIDI File turned into the short list of events the neural instrument
 * understands. The reader (midifile.c) is the project's own: it walks the file's bytes with the
 * SMF grammar, merges every track in time order, converts ticks to seconds through the file's
 * tempo map, and reduces channel messages to instrument events.
 *
 * What it accepts: format 0 and 1 (every track merged), running status (also across meta and
 * sysex events), a track without an End-of-Track event (it ends with its chunk), tempo changes
 * in any track, ticks per quarter note or SMPTE timing, unknown chunk types (skipped), escaped
 * (0xF7) and sysex (0xF0) events (skipped), an invalid tempo of 0 (ignored: the previous tempo
 * stays). Anything else is refused with one sentence saying what and where: format 2, a chunk
 * or event cut off by the end of the file, a data byte with no status before it, a status byte
 * that a file may not hold (0xF1-0xF6, 0xF8-0xFE), a variable-length number over 4 bytes.
 *
 * Memory is bounded: the file is read whole, at most APP_MIDI_MAX_FILE_BYTES; at most
 * APP_MIDI_MAX_EVENTS channel and tempo events are kept (about 24 bytes each while loading,
 * 16 bytes each in the result); a song longer than APP_MIDI_MAX_SECONDS is refused. Nothing
 * aborts and nothing leaks: every failure frees what was allocated.
 *
 * Not real-time: loading allocates. The resulting array is immutable afterwards, so the audio
 * thread of `synth --live` may read it without any lock (synth_rt.c). */
#ifndef SW_APP_MIDIFILE_H
#define SW_APP_MIDIFILE_H

#include <stddef.h>
#include <stdint.h>

#define APP_MIDI_MAX_FILE_BYTES (16u << 20) /* 16 MiB: a MIDI song is kilobytes */
#define APP_MIDI_MAX_EVENTS 1000000u        /* channel + tempo events of all tracks together */
#define APP_MIDI_MAX_SECONDS 14400.0        /* 4 h: anything longer is a broken tempo map */

typedef enum {
    APP_MIDI_NOTE_ON = 0,   /* note, velocity 1..127 */
    APP_MIDI_NOTE_OFF,      /* note (also a note-on with velocity 0) */
    APP_MIDI_SUSTAIN,       /* value 1 = pedal down, 0 = up (OR of every melodic channel's CC64) */
    APP_MIDI_BEND,          /* value = bend in semitones, already scaled by that channel's range */
    APP_MIDI_ALL_NOTES_OFF, /* CC123 (and CC120's release half, see app_midi_event) */
    APP_MIDI_SOUND_OFF,     /* CC120 all sound off: silence now */
    APP_MIDI_MOD_WHEEL,     /* CC1 (MSB), value 0..1: vibrato depth */
    APP_MIDI_EXPRESSION,    /* CC11 (MSB), value 0..1: dynamics (1 = as played) */
    APP_MIDI_PRESSURE,      /* channel aftertouch, value 0..1 */
    APP_MIDI_RESET_CONTROLLERS /* CC121: bend, mod wheel, expression, pressure back to their defaults */
} app_midi_type;

typedef struct {
    double seconds;   /* time of the event from the start of the song, s (the file's tempo map) */
    uint8_t type;     /* app_midi_type */
    uint8_t channel;  /* 0..15, the MIDI channel it came from (for messages only) */
    uint8_t note;     /* 0..127 (note events) */
    uint8_t velocity; /* 1..127 (note-on) */
    float value;      /* sustain 0/1, bend in semitones, controllers 0..1 (MIDI value / 127) */
} app_midi_event;

typedef struct {
    app_midi_event *ev;     /* [n] events in time order (note-offs before note-ons at equal times); owned */
    size_t n;               /* number of events */
    size_t n_notes;         /* note-ons kept */
    size_t n_drum_notes;    /* note-ons on channel 10 that were ignored */
    size_t n_other;         /* channel messages ignored (program change, other CCs, poly aftertouch, ...) */
    int channels_used;      /* bit c set: melodic channel c had a note-on */
    int n_tracks;           /* MTrk chunks read */
    int max_polyphony;      /* most notes held at once (by key state, pedal ignored) */
    double last_event_s;    /* time of the file's last channel message, kept or ignored, s (>= ev[n-1]) */
    double last_note_off_s; /* time of the last note-off, s (0 if none) */
} app_midi_song;

/* Load `path`. On failure returns -1 with one sentence in err (why, and where in the file); a
 * file without any melodic note-on is an error too. Pitch bends are scaled by the channel's
 * bend range (RPN 0 through CC 101/100 + 6/38; default 2 semitones). */
int app_midi_load(const char *path, app_midi_song *song, char *err, size_t errlen);
/* The same from the file's bytes b[n] (the fuzz target's entry point). */
int app_midi_parse(const unsigned char *b, size_t n, app_midi_song *song, char *err, size_t errlen);
void app_midi_free(app_midi_song *song);

#endif
