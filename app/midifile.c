/* midifile.c — see midifile.h. libsmf (libsmf-dev) parses the file and merges the tracks
 * (smf_get_next_event walks every track in time order and gives each event's time in seconds
 * through the file's tempo map); this file keeps what the instrument plays. */
#include "midifile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <smf.h>

#define DRUM_CHANNEL 9          /* MIDI channel 10, General MIDI percussion */
#define MAX_SONG_SECONDS 14400.0 /* 4 h: anything longer is a broken tempo map, not a song */
#define MAX_FILE_BYTES (64 << 20) /* a MIDI song is kilobytes; this only bounds the read */

/* libsmf reports parse errors through GLib's log (domain "libsmf") and returns NULL. While a
 * file loads, that log goes here instead of stderr so the error message can say why. */
typedef struct {
    char msg[256]; /* first critical/warning message, "" if none */
} smf_log_capture;

static void capture_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer user)
{
    (void)domain;
    smf_log_capture *c = user;
    if ((level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING)) && !c->msg[0] && message)
        snprintf(c->msg, sizeof c->msg, "%s", message);
}

/* ------------------------------------------------------- structure check -- */
/* libsmf 1.3 asserts (abort()) on some truncated files instead of failing, e.g. a track
 * chunk that claims more bytes than the file has, or a track whose last event is cut off.
 * So every file is walked here first, byte by byte, with the SMF grammar; only a file that
 * passes goes to smf_load_from_memory. */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Variable-length quantity at *pos (at most 4 bytes) within [.., end). -1 if cut off. */
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
    return -1; /* more than 4 bytes: not a valid quantity */
}

/* Walk one MTrk chunk's events in b[start, end). 0, or -1 with a reason. */
static int check_track(const unsigned char *b, size_t start, size_t end, int track, char *err, size_t errlen)
{
    size_t pos = start;
    int running = 0;
    while (pos < end) {
        uint32_t delta, len;
        if (vlq(b, end, &pos, &delta) != 0)
            goto cut;
        if (pos >= end)
            goto cut;
        int st = b[pos];
        if (st & 0x80) {
            pos++;
        } else {
            if (!running) {
                snprintf(err, errlen, "track %d: data byte without a status at byte %zu", track, pos);
                return -1;
            }
            st = running;
        }
        if (st == 0xFF) {
            if (pos >= end)
                goto cut;
            int type = b[pos++];
            if (vlq(b, end, &pos, &len) != 0 || len > end - pos)
                goto cut;
            pos += len;
            running = 0;
            if (type == 0x2F)
                return 0; /* End of Track: anything after it in the chunk is ignored */
        } else if (st == 0xF0 || st == 0xF7) {
            if (vlq(b, end, &pos, &len) != 0 || len > end - pos)
                goto cut;
            pos += len;
            running = 0;
        } else if (st >= 0xF1) {
            snprintf(err, errlen, "track %d: status 0x%02X is not allowed in a MIDI file", track, st);
            return -1;
        } else {
            size_t nd = (st & 0xF0) == 0xC0 || (st & 0xF0) == 0xD0 ? 1 : 2;
            if (nd > end - pos)
                goto cut;
            for (size_t i = 0; i < nd; i++)
                if (b[pos + i] & 0x80) {
                    snprintf(err, errlen, "track %d: bad data byte 0x%02X at byte %zu", track, b[pos + i], pos + i);
                    return -1;
                }
            pos += nd;
            running = st;
        }
    }
    snprintf(err, errlen, "track %d has no End of Track event (truncated file?)", track);
    return -1;
cut:
    snprintf(err, errlen, "track %d is cut off inside an event (truncated file?)", track);
    return -1;
}

static int check_smf(const unsigned char *b, size_t n, char *err, size_t errlen)
{
    if (n < 14 || memcmp(b, "MThd", 4) != 0) {
        snprintf(err, errlen, "not a Standard MIDI File (no MThd header)");
        return -1;
    }
    uint32_t hl = be32(b + 4);
    if (hl < 6 || hl > n - 8) {
        snprintf(err, errlen, "bad MThd header length %u", hl);
        return -1;
    }
    int ntracks = b[10] << 8 | b[11];
    if (ntracks == 0) {
        snprintf(err, errlen, "the header declares no tracks");
        return -1;
    }
    size_t pos = 8 + hl;
    int found = 0;
    while (found < ntracks) {
        if (n - pos < 8) {
            snprintf(err, errlen, "%d of the %d tracks the header declares are missing (truncated file?)",
                     ntracks - found, ntracks);
            return -1;
        }
        uint32_t cl = be32(b + pos + 4);
        if (cl > n - pos - 8) {
            snprintf(err, errlen, "chunk at byte %zu claims %u bytes, only %zu left (truncated file?)", pos,
                     cl, n - pos - 8);
            return -1;
        }
        if (memcmp(b + pos, "MTrk", 4) == 0) {
            found++;
            if (check_track(b, pos + 8, pos + 8 + cl, found, err, errlen) != 0)
                return -1;
        } /* other chunk types are skipped, as the standard says */
        pos += 8 + (size_t)cl;
    }
    return 0;
}

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

int app_midi_load(const char *path, app_midi_song *song, char *err, size_t errlen)
{
    memset(song, 0, sizeof *song);
    err[0] = '\0';
    /* The whole file in memory: checked here, then parsed by libsmf from the same bytes. */
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    unsigned char *bytes = NULL;
    size_t nb = 0, cap_b = 0;
    for (;;) {
        if (nb == cap_b) {
            if (cap_b >= MAX_FILE_BYTES) {
                snprintf(err, errlen, "larger than %d MB: not a MIDI song", MAX_FILE_BYTES >> 20);
                break;
            }
            cap_b = cap_b ? 2 * cap_b : 65536;
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
    if (err[0] || check_smf(bytes, nb, err, errlen) != 0) {
        free(bytes);
        return -1;
    }

    smf_log_capture cap = { "" };
    guint h = g_log_set_handler("libsmf", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                                capture_log, &cap);
    smf_t *smf = smf_load_from_memory(bytes, (int)nb);
    free(bytes);
    if (!smf || cap.msg[0]) {
        if (smf)
            smf_delete(smf);
        g_log_remove_handler("libsmf", h);
        snprintf(err, errlen, "not a readable Standard MIDI File%s%s", cap.msg[0] ? ": libsmf: " : "",
                 cap.msg);
        return -1;
    }

    chan_state ch[16];
    for (int c = 0; c < 16; c++)
        ch[c] = (chan_state){ .pedal = 0, .rpn = 0x3FFF, .range_semi = 2, .range_cents = 0, .bend_raw = 0 };
    unsigned char held[16][128];
    memset(held, 0, sizeof held);
    int n_held = 0, sustain_or = 0;
    ev_vec v = { 0 };
    int rc = -1;
    smf_event_t *se;
    while ((se = smf_get_next_event(smf)) != NULL) {
        if (smf_event_is_metadata(se) || smf_event_is_sysex(se) || se->midi_buffer_length < 1)
            continue;
        const unsigned char *b = se->midi_buffer;
        int status = b[0] & 0xF0, c = b[0] & 0x0F;
        if (status < 0x80 || status == 0xF0)
            continue; /* system messages: nothing for an instrument */
        int d1 = se->midi_buffer_length > 1 ? b[1] & 0x7F : 0;
        int d2 = se->midi_buffer_length > 2 ? b[2] & 0x7F : 0;
        app_midi_event e = { .seconds = se->time_seconds, .channel = (uint8_t)c };
        if (!(e.seconds >= 0.0) || e.seconds > MAX_SONG_SECONDS) {
            snprintf(err, errlen, "event at %.1f s: longer than %.0f h (broken tempo map?)", e.seconds,
                     MAX_SONG_SECONDS / 3600.0);
            goto out;
        }
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
            case 64: { /* sustain: the instrument has one pedal, down while any channel's is */
                ch[c].pedal = d2 >= 64;
                int any = 0;
                for (int k = 0; k < 16; k++)
                    any |= ch[k].pedal;
                if (any != sustain_or) {
                    sustain_or = any;
                    e.type = APP_MIDI_SUSTAIN;
                    e.value = (float)any;
                    keep = 1;
                }
                break;
            }
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
            case 121: /* reset all controllers: bend and pedal of this channel */
                ch[c].bend_raw = 0;
                ch[c].rpn = 0x3FFF;
                e.type = APP_MIDI_BEND;
                e.value = 0.0f;
                if (push(&v, &e) != 0)
                    goto oom;
                if (ch[c].pedal) {
                    ch[c].pedal = 0;
                    int any = 0;
                    for (int k = 0; k < 16; k++)
                        any |= ch[k].pedal;
                    if (any != sustain_or) {
                        sustain_or = any;
                        e.type = APP_MIDI_SUSTAIN;
                        e.value = (float)any;
                        keep = 1;
                    }
                }
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
        } else {
            song->n_other++; /* program change, aftertouch */
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
    song->n_tracks = smf->number_of_tracks;
    song->last_event_s = v.ev[v.n - 1].seconds;
    v.ev = NULL;
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    free(v.ev);
    smf_delete(smf);
    g_log_remove_handler("libsmf", h);
    if (rc != 0 && cap.msg[0] && !err[0])
        snprintf(err, errlen, "libsmf: %s", cap.msg);
    return rc;
}

void app_midi_free(app_midi_song *song)
{
    free(song->ev);
    memset(song, 0, sizeof *song);
}
