/* midifile.c — see midifile.h. Two passes over the file's bytes:
 *   1. the chunk and event grammar: every channel message and tempo change of every track is
 *      collected with its absolute tick (raw_event), anything malformed refused with one sentence;
 *   2. a stable sort by tick merges the tracks; ticks become seconds through the tempo map, and
 *      the channel messages become the instrument's events (what the instrument plays). */
#include "midifile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRUM_CHANNEL 9           /* MIDI channel 10, General MIDI percussion */
#define DEFAULT_TEMPO 500000u    /* us per quarter note until the first tempo event (120 bpm) */
#define STATUS_TEMPO 0xFF        /* raw_event.status of a tempo change */

/* ------------------------------------------------------------ pass 1: bytes -- */

typedef struct {
    uint64_t tick;       /* absolute tick in its track (deltas summed) */
    uint32_t seq;        /* order in the file, tracks in file order: keeps ties at one tick stable */
    uint32_t tempo;      /* us per quarter note (tempo changes only) */
    uint8_t status;      /* channel message status byte, or STATUS_TEMPO */
    uint8_t d1, d2;      /* its data bytes (d2 = 0 for 1-byte messages) */
} raw_event;

typedef struct {
    raw_event *ev;       /* [cap], malloc'ed */
    size_t n, cap;
} raw_vec;

static int raw_push(raw_vec *v, const raw_event *e, char *err, size_t errlen)
{
    if (v->n >= APP_MIDI_MAX_EVENTS) {
        snprintf(err, errlen, "more than %u events: larger than this reader accepts", APP_MIDI_MAX_EVENTS);
        return -1;
    }
    if (v->n == v->cap) {
        size_t nc = v->cap ? 2 * v->cap : 1024;
        if (nc > APP_MIDI_MAX_EVENTS)
            nc = APP_MIDI_MAX_EVENTS;
        raw_event *p = realloc(v->ev, nc * sizeof *p);
        if (!p) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        v->ev = p;
        v->cap = nc;
    }
    v->ev[v->n++] = *e;
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Variable-length quantity at *pos within b[.., end): 0, -1 if the end comes first, -2 if it
 * runs over the 4 bytes the standard allows. */
static int vlq(const unsigned char *b, size_t end, size_t *pos, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (*pos >= end)
            return -1;
        unsigned char c = b[(*pos)++];
        v = (v << 7) | (c & 0x7F);
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -2;
}

/* Walk one MTrk chunk's events in b[start, end) (byte offsets are the file's, for messages).
 * Channel messages and tempo changes go to v. 0, or -1 with a reason in err. */
static int parse_track(const unsigned char *b, size_t start, size_t end, int track, uint32_t *seq,
                       raw_vec *v, char *err, size_t errlen)
{
    size_t pos = start, at = start;
    uint64_t tick = 0;
    int running = 0; /* running status: the last channel status byte (kept across meta/sysex) */
    uint32_t delta, len;
    int r;
    while (pos < end) {
        at = pos;
        if ((r = vlq(b, end, &pos, &delta)) != 0)
            goto bad_vlq;
        tick += delta;
        if (pos >= end)
            return 0; /* a last delta time with no event after it: nothing is lost */
        at = pos;
        int st = b[pos];
        if (st & 0x80) {
            pos++;
        } else {
            if (!running) {
                snprintf(err, errlen, "track %d: data byte 0x%02X at byte %zu has no status byte before it",
                         track, st, pos);
                return -1;
            }
            st = running;
        }
        if (st == 0xFF) { /* meta event: type, length, data */
            if (pos >= end)
                goto cut;
            int type = b[pos++];
            if ((r = vlq(b, end, &pos, &len)) != 0)
                goto bad_vlq;
            if (len > end - pos)
                goto cut;
            if (type == 0x2F)
                return 0; /* End of Track: anything after it in the chunk is ignored */
            if (type == 0x51 && len >= 3) {
                uint32_t tempo = (uint32_t)b[pos] << 16 | (uint32_t)b[pos + 1] << 8 | b[pos + 2];
                raw_event e = { .tick = tick, .seq = (*seq)++, .tempo = tempo, .status = STATUS_TEMPO };
                if (tempo > 0 && raw_push(v, &e, err, errlen) != 0) /* tempo 0: ignored */
                    return -1;
            }
            pos += len;
        } else if (st == 0xF0 || st == 0xF7) { /* sysex / escaped bytes: length, data; skipped */
            if ((r = vlq(b, end, &pos, &len)) != 0)
                goto bad_vlq;
            if (len > end - pos)
                goto cut;
            pos += len;
        } else if (st > 0xF0) {
            snprintf(err, errlen, "track %d: status byte 0x%02X at byte %zu is not allowed in a MIDI file",
                     track, st, at);
            return -1;
        } else {
            size_t nd = (st & 0xF0) == 0xC0 || (st & 0xF0) == 0xD0 ? 1 : 2;
            if (nd > end - pos)
                goto cut;
            for (size_t i = 0; i < nd; i++)
                if (b[pos + i] & 0x80) {
                    snprintf(err, errlen, "track %d: byte %zu (0x%02X) should be a data byte, below 0x80",
                             track, pos + i, b[pos + i]);
                    return -1;
                }
            raw_event e = { .tick = tick, .seq = (*seq)++, .status = (uint8_t)st, .d1 = b[pos],
                            .d2 = nd > 1 ? b[pos + 1] : 0 };
            if (raw_push(v, &e, err, errlen) != 0)
                return -1;
            pos += nd;
            running = st;
        }
    }
    return 0; /* no End of Track: the track ends with its chunk */
bad_vlq:
    if (r == -2) {
        snprintf(err, errlen, "track %d: the number at byte %zu is longer than the 4 bytes MIDI allows", track, at);
        return -1;
    }
cut:
    snprintf(err, errlen, "track %d is cut off inside the event at byte %zu (truncated file?)", track, at);
    return -1;
}

/* The header and every MTrk chunk. On success *spt is the seconds per tick for SMPTE timing
 * (0 for ticks per quarter note, then *division is that). 0 or -1 with a reason. */
static int parse_chunks(const unsigned char *b, size_t n, raw_vec *v, int *n_tracks, int *division,
                        double *spt, char *err, size_t errlen)
{
    if (n < 14 || memcmp(b, "MThd", 4) != 0) {
        snprintf(err, errlen, "not a Standard MIDI File (no MThd header)");
        return -1;
    }
    uint32_t hl = be32(b + 4);
    if (hl < 6 || hl > n - 8) {
        snprintf(err, errlen, "not a Standard MIDI File (bad MThd header length %u)", hl);
        return -1;
    }
    int format = b[8] << 8 | b[9], ntracks = b[10] << 8 | b[11], div = b[12] << 8 | b[13];
    if (format > 1) {
        snprintf(err, errlen, "MIDI file format %d is not supported (only formats 0 and 1%s)", format,
                 format == 2 ? "; format 2 holds independent sequences" : "");
        return -1;
    }
    if (ntracks == 0) {
        snprintf(err, errlen, "the MIDI header declares no tracks");
        return -1;
    }
    *spt = 0.0;
    *division = 0;
    if (div & 0x8000) { /* SMPTE: -frames per second in the high byte, ticks per frame in the low */
        int fps = 256 - (div >> 8), tpf = div & 0xFF;
        if ((fps != 24 && fps != 25 && fps != 29 && fps != 30) || tpf == 0) {
            snprintf(err, errlen, "bad SMPTE timing in the MIDI header (%d frames/s, %d ticks/frame)", fps, tpf);
            return -1;
        }
        *spt = 1.0 / ((fps == 29 ? 30000.0 / 1001.0 : fps) * tpf);
    } else if (div == 0) {
        snprintf(err, errlen, "the MIDI header gives 0 ticks per quarter note");
        return -1;
    } else {
        *division = div;
    }
    size_t pos = 8 + (size_t)hl;
    int found = 0;
    uint32_t seq = 0;
    while (found < ntracks) {
        if (n - pos < 8) {
            snprintf(err, errlen, "%d of the %d tracks the header declares are missing (truncated file?)",
                     ntracks - found, ntracks);
            return -1;
        }
        uint32_t cl = be32(b + pos + 4);
        if (cl > n - pos - 8) {
            snprintf(err, errlen, "the chunk at byte %zu claims %u bytes, only %zu are left (truncated file?)",
                     pos, cl, n - pos - 8);
            return -1;
        }
        if (memcmp(b + pos, "MTrk", 4) == 0) {
            found++;
            if (parse_track(b, pos + 8, pos + 8 + cl, found, &seq, v, err, errlen) != 0)
                return -1;
        } /* other chunk types are skipped, as the standard says */
        pos += 8 + (size_t)cl;
    }
    *n_tracks = found;
    return 0;
}

static int cmp_raw(const void *pa, const void *pb)
{
    const raw_event *a = pa, *b = pb;
    if (a->tick != b->tick)
        return a->tick < b->tick ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : 0;
}

/* ------------------------------------------------- pass 2: the instrument -- */


/* Per-channel controller state needed to interpret the stream. */
typedef struct {
    int pedal;          /* CC64 >= 64 */
    int rpn;            /* selected RPN (CC101 << 7 | CC100), 0x3FFF = none */
    int range_semi;     /* bend range (RPN 0) semitones, CC6; default 2 */
    int range_cents;    /* bend range cents, CC38; default 0 */
    int bend_raw;       /* last bend, -8192..8191 */
} chan_state;

typedef struct {
    app_midi_event *ev; /* [cap] */
    size_t n, cap;
} ev_vec;

static int push(ev_vec *v, const app_midi_event *e)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? 2 * v->cap : 1024;
        app_midi_event *p = realloc(v->ev, nc * sizeof *p);
        if (!p)
            return -1;
        v->ev = p;
        v->cap = nc;
    }
    v->ev[v->n++] = *e;
    return 0;
}

/* Order for the merged list: time, then note-offs before everything else at the same time
 * (a repeated note written as on/off at one tick must not cut the new note), then file order
 * (the original index travels with the event, so qsort gives a stable result). */
typedef struct {
    app_midi_event e;
    size_t idx;
} keyed_event;

static int cmp_events(const void *pa, const void *pb)
{
    const keyed_event *a = pa, *b = pb;
    if (a->e.seconds != b->e.seconds)
        return a->e.seconds < b->e.seconds ? -1 : 1;
    int ca = a->e.type == APP_MIDI_NOTE_OFF ? 0 : 1, cb = b->e.type == APP_MIDI_NOTE_OFF ? 0 : 1;
    if (ca != cb)
        return ca - cb;
    return a->idx < b->idx ? -1 : a->idx > b->idx ? 1 : 0;
}

static double bend_semitones(const chan_state *c)
{
    return (double)c->bend_raw / 8192.0 * (c->range_semi + c->range_cents / 100.0);
}

/* Channel c's sustain pedal goes `down` (1) or up (0). The instrument has one pedal, down
 * while any channel's is: when that changes, *e becomes the sustain event and 1 is returned. */
static int set_pedal(chan_state *ch, int c, int down, int *sustain_or, app_midi_event *e)
{
    ch[c].pedal = down;
    int any = 0;
    for (int k = 0; k < 16; k++)
        any |= ch[k].pedal;
    if (any == *sustain_or)
        return 0;
    *sustain_or = any;
    e->type = APP_MIDI_SUSTAIN;
    e->value = (float)any;
    return 1;
}

int app_midi_parse(const unsigned char *b, size_t n, app_midi_song *song, char *err, size_t errlen)
{
    memset(song, 0, sizeof *song);
    if (errlen)
        err[0] = '\0';
    raw_vec raw = { 0 };
    ev_vec v = { 0 };
    int rc = -1, n_tracks = 0, division = 0;
    double spt = 0.0;
    if (!b)
        n = 0;
    if (parse_chunks(b, n, &raw, &n_tracks, &division, &spt, err, errlen) != 0)
        goto out;
    /* Merge: every track's events by tick, file order within a tick. */
    if (raw.n)
        qsort(raw.ev, raw.n, sizeof *raw.ev, cmp_raw);

    chan_state ch[16];
    for (int c = 0; c < 16; c++)
        ch[c] = (chan_state){ .pedal = 0, .rpn = 0x3FFF, .range_semi = 2, .range_cents = 0, .bend_raw = 0 };
    unsigned char held[16][128];
    memset(held, 0, sizeof held);
    int n_held = 0, sustain_or = 0;
    /* Tempo map: seconds at the last tempo change + ticks since then at its tempo. */
    double t_base = 0.0;
    uint64_t tick_base = 0;
    uint32_t tempo = DEFAULT_TEMPO;
    for (size_t r = 0; r < raw.n; r++) {
        const raw_event *re = &raw.ev[r];
        double seconds = spt > 0.0 ? (double)re->tick * spt
                                   : t_base + (double)(re->tick - tick_base) * tempo / (1e6 * division);
        if (re->status == STATUS_TEMPO) {
            t_base = seconds;
            tick_base = re->tick;
            tempo = re->tempo;
            continue;
        }
        int status = re->status & 0xF0, c = re->status & 0x0F;
        int d1 = re->d1, d2 = re->d2;
        app_midi_event e = { .seconds = seconds, .channel = (uint8_t)c };
        if (!(e.seconds >= 0.0) || e.seconds > APP_MIDI_MAX_SECONDS) {
            snprintf(err, errlen, "an event at %.1f s makes the song longer than %.0f h (broken tempo map?)",
                     e.seconds, APP_MIDI_MAX_SECONDS / 3600.0);
            goto out;
        }
        /* The song lasts to its last channel message, kept or not (a pedal lift that changes
         * nothing, a controller the instrument ignores, a drum note): the summary and the render
         * length follow the file's timeline, not only the events that make sound. */
        if (seconds > song->last_event_s)
            song->last_event_s = seconds;
        int keep = 0;
        if (status == 0x90 || status == 0x80) {
            int on = status == 0x90 && d2 > 0;
            if (c == DRUM_CHANNEL) {
                song->n_drum_notes += (size_t)on;
                continue;
            }
            e.type = on ? APP_MIDI_NOTE_ON : APP_MIDI_NOTE_OFF;
            e.note = (uint8_t)d1;
            e.velocity = (uint8_t)(on ? d2 : 0);
            if (on) {
                song->n_notes++;
                song->channels_used |= 1 << c;
                if (!held[c][d1]++)
                    n_held++;
                if (n_held > song->max_polyphony)
                    song->max_polyphony = n_held;
            } else {
                if (held[c][d1] && !--held[c][d1])
                    n_held--;
                if (e.seconds > song->last_note_off_s)
                    song->last_note_off_s = e.seconds;
            }
            keep = 1;
        } else if (status == 0xE0) {
            if (c == DRUM_CHANNEL)
                continue;
            ch[c].bend_raw = ((d2 << 7) | d1) - 8192;
            e.type = APP_MIDI_BEND;
            e.value = (float)bend_semitones(&ch[c]);
            keep = 1;
        } else if (status == 0xB0) {
            if (c == DRUM_CHANNEL) {
                song->n_other++;
                continue;
            }
            switch (d1) {
            case 64: /* sustain */
                keep = set_pedal(ch, c, d2 >= 64, &sustain_or, &e);
                break;
            case 1:  /* mod wheel, expression: like the bend, the last channel to move them wins */
            case 11:
                e.type = d1 == 1 ? APP_MIDI_MOD_WHEEL : APP_MIDI_EXPRESSION;
                e.value = (float)d2 / 127.0f;
                keep = 1;
                break;
            case 101: ch[c].rpn = (ch[c].rpn & 0x7F) | (d2 << 7); break;
            case 100: ch[c].rpn = (ch[c].rpn & (0x7F << 7)) | d2; break;
            case 99: case 98: ch[c].rpn = 0x3FFF; break; /* an NRPN: data entry is not ours */
            case 6:  /* data entry MSB: bend range in semitones when RPN 0 is selected */
                if (ch[c].rpn == 0)
                    ch[c].range_semi = d2;
                break;
            case 38: /* data entry LSB: cents */
                if (ch[c].rpn == 0)
                    ch[c].range_cents = d2;
                break;
            case 121: /* reset all controllers: bend, mod wheel, expression, pressure, pedal */
                ch[c].bend_raw = 0;
                ch[c].rpn = 0x3FFF;
                e.type = APP_MIDI_RESET_CONTROLLERS;
                if (push(&v, &e) != 0)
                    goto oom;
                if (ch[c].pedal)
                    keep = set_pedal(ch, c, 0, &sustain_or, &e);
                break;
            case 120: /* all sound off */
                e.type = APP_MIDI_SOUND_OFF;
                keep = 1;
                break;
            case 123: case 124: case 125: case 126: case 127: /* all notes off (and mode changes, which imply it) */
                e.type = APP_MIDI_ALL_NOTES_OFF;
                keep = 1;
                break;
            default:
                song->n_other++;
                break;
            }
            if (d1 == 120 || d1 >= 123) {
                memset(held[c], 0, sizeof held[c]);
                n_held = 0;
                for (int k = 0; k < 16; k++)
                    for (int nn = 0; nn < 128; nn++)
                        n_held += held[k][nn] != 0;
            }
        } else if (status == 0xD0) {
            if (c == DRUM_CHANNEL) {
                song->n_other++;
                continue;
            }
            e.type = APP_MIDI_PRESSURE;
            e.value = (float)d1 / 127.0f;
            keep = 1;
        } else {
            song->n_other++; /* program change, polyphonic aftertouch */
        }
        if (keep && push(&v, &e) != 0)
            goto oom;
    }
    if (song->n_notes == 0) {
        snprintf(err, errlen, "no notes to play (%zu on channel 10, drums, which are ignored)",
                 song->n_drum_notes);
        goto out;
    }
    /* Stable order: time, note-offs first at equal times, then the file's order. */
    keyed_event *k = malloc(v.n * sizeof *k);
    if (!k)
        goto oom;
    for (size_t i = 0; i < v.n; i++)
        k[i] = (keyed_event){ v.ev[i], i };
    qsort(k, v.n, sizeof *k, cmp_events);
    for (size_t i = 0; i < v.n; i++)
        v.ev[i] = k[i].e;
    free(k);
    song->ev = v.ev;
    song->n = v.n;
    song->n_tracks = n_tracks;
    v.ev = NULL;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    free(v.ev);
    free(raw.ev);
    if (rc != 0)
        memset(song, 0, sizeof *song);
    return rc;
}

int app_midi_load(const char *path, app_midi_song *song, char *err, size_t errlen)
{
    memset(song, 0, sizeof *song);
    err[0] = '\0';
    /* The whole file in memory, at most APP_MIDI_MAX_FILE_BYTES (+1 to notice a larger one). */
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    unsigned char *bytes = NULL;
    size_t nb = 0, cap_b = 0;
    for (;;) {
        if (nb == cap_b) {
            if (cap_b > APP_MIDI_MAX_FILE_BYTES) {
                snprintf(err, errlen, "larger than %u MiB: not a MIDI song", APP_MIDI_MAX_FILE_BYTES >> 20);
                break;
            }
            cap_b = cap_b ? 2 * cap_b : 65536;
            if (cap_b > APP_MIDI_MAX_FILE_BYTES)
                cap_b = APP_MIDI_MAX_FILE_BYTES + 1;
            unsigned char *p = realloc(bytes, cap_b);
            if (!p) {
                snprintf(err, errlen, "out of memory");
                break;
            }
            bytes = p;
        }
        size_t got = fread(bytes + nb, 1, cap_b - nb, f);
        nb += got;
        if (got == 0) {
            if (ferror(f))
                snprintf(err, errlen, "read error: %s", strerror(errno));
            break;
        }
    }
    fclose(f);
    int rc = err[0] ? -1 : app_midi_parse(bytes, nb, song, err, errlen);
    free(bytes);
    return rc;
}

void app_midi_free(app_midi_song *song)
{
    free(song->ev);
    memset(song, 0, sizeof *song);
}
