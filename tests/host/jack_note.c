/* jack_note.c — a JACK MIDI note source with a frame-aligned recorder, for
 * tests/host/test_jalv_generate.sh.
 *
 *   jack_note MIDI_TARGET AUDIO_SOURCE DELAY_S HOLD_S TAIL_S OUT.f32 [KEY [VELOCITY]]
 *
 * Opens two JACK clients on the running server:
 *   swnote  MIDI out port "midi_out", connected to MIDI_TARGET (e.g. jalv's swgen:midi_in)
 *   swcap   audio in port "in", fed from AUDIO_SOURCE (e.g. swgen:out)
 * Two clients, not one, so the graph swnote -> plugin -> swcap has no cycle and JACK runs
 * them in that order within every period. swcap records DELAY+HOLD+TAIL seconds (float32,
 * raw, mono) from its first period after both connections exist; swnote sends a note-on
 * DELAY seconds after that first recorded frame and the note-off HOLD seconds later, at
 * the exact frames (event offsets inside the period). On success it writes OUT.f32 and
 * prints "rate R frames N note_on F1 note_off F2" (frames relative to the recording) and
 * exits 0; 1 on any JACK error or if the recording does not complete within its length
 * plus 10 s. The process callbacks only copy and write MIDI into JACK's buffers.
 */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    jack_client_t *note_client;  /* "swnote" */
    jack_client_t *cap_client;   /* "swcap" */
    jack_port_t *midi_out;       /* swnote:midi_out */
    jack_port_t *audio_in;       /* swcap:in */
    float *rec;                  /* [total] recording, preallocated */
    jack_nframes_t total;        /* frames to record */
    jack_nframes_t on_rel;       /* note-on frame, relative to the recording start */
    jack_nframes_t off_rel;      /* note-off frame, relative to the recording start */
    uint8_t key, velocity;       /* the note */
    atomic_int go;               /* set by main once both connections exist */
    atomic_int started;          /* swcap has recorded its first period */
    atomic_uint recorded;        /* frames recorded so far */
    atomic_int sent_on, sent_off;/* events written */
    atomic_int write_errors;     /* jack_midi_event_write failures */
} ctx;

static int cap_process(jack_nframes_t n, void *arg)
{
    ctx *c = arg;
    if (!atomic_load(&c->go))
        return 0;
    const float *in = jack_port_get_buffer(c->audio_in, n);
    if (!atomic_load(&c->started))
        atomic_store(&c->started, 1);
    jack_nframes_t done = atomic_load(&c->recorded);
    jack_nframes_t m = c->total - done < n ? c->total - done : n;
    memcpy(c->rec + done, in, m * sizeof(float));
    atomic_store(&c->recorded, done + m);
    return 0;
}

/* Write the event if its relative frame falls in this period. */
static void maybe_send(ctx *c, void *buf, jack_nframes_t start_rel, jack_nframes_t n, jack_nframes_t at,
                       uint8_t status, uint8_t vel, atomic_int *sent)
{
    if (atomic_load(sent) || at < start_rel || at >= start_rel + n)
        return;
    uint8_t msg[3] = {status, c->key, vel};
    if (jack_midi_event_write(buf, at - start_rel, msg, 3) != 0)
        atomic_fetch_add(&c->write_errors, 1);
    atomic_store(sent, 1);
}

static int note_process(jack_nframes_t n, void *arg)
{
    ctx *c = arg;
    void *buf = jack_port_get_buffer(c->midi_out, n);
    jack_midi_clear_buffer(buf);
    if (!atomic_load(&c->started))
        return 0;
    /* This period's first frame, counted as the recording counts them: swcap runs after the
     * plugin within every period, so `recorded` holds exactly the periods before this one.
     * JACK's frame time is not used: when a loaded machine makes the dummy driver skip time,
     * it jumps ahead of the frames processed, and the events would land periods early in
     * the recording. */
    jack_nframes_t start_rel = atomic_load(&c->recorded);
    maybe_send(c, buf, start_rel, n, c->on_rel, 0x90, c->velocity, &c->sent_on);
    maybe_send(c, buf, start_rel, n, c->off_rel, 0x80, 0, &c->sent_off);
    return 0;
}

static jack_client_t *open_client(const char *name)
{
    jack_status_t st;
    jack_client_t *cl = jack_client_open(name, JackNoStartServer | JackUseExactName, &st);
    if (!cl)
        fprintf(stderr, "jack_note: cannot open JACK client '%s' (status 0x%x)\n", name, (unsigned)st);
    return cl;
}

int main(int argc, char **argv)
{
    if (argc < 7) {
        fprintf(stderr, "usage: jack_note MIDI_TARGET AUDIO_SOURCE DELAY_S HOLD_S TAIL_S OUT.f32 [KEY [VELOCITY]]\n");
        return 2;
    }
    static ctx c;
    double delay = atof(argv[3]), hold = atof(argv[4]), tail = atof(argv[5]);
    c.key = (uint8_t)(argc > 7 ? atoi(argv[7]) & 0x7F : 60);
    c.velocity = (uint8_t)(argc > 8 ? atoi(argv[8]) & 0x7F : 127);
    if (!(delay > 0 && hold > 0 && tail >= 0 && delay + hold + tail < 600)) {
        fprintf(stderr, "jack_note: bad times\n");
        return 2;
    }
    c.note_client = open_client("swnote");
    c.cap_client = open_client("swcap");
    if (!c.note_client || !c.cap_client)
        return 1;
    double rate = jack_get_sample_rate(c.cap_client);
    c.total = (jack_nframes_t)lround((delay + hold + tail) * rate);
    c.on_rel = (jack_nframes_t)lround(delay * rate);
    c.off_rel = c.on_rel + (jack_nframes_t)lround(hold * rate);
    c.rec = calloc(c.total, sizeof(float));
    c.midi_out = jack_port_register(c.note_client, "midi_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    c.audio_in = jack_port_register(c.cap_client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    if (!c.rec || !c.midi_out || !c.audio_in) {
        fprintf(stderr, "jack_note: cannot register ports\n");
        return 1;
    }
    jack_set_process_callback(c.note_client, note_process, &c);
    jack_set_process_callback(c.cap_client, cap_process, &c);
    if (jack_activate(c.note_client) || jack_activate(c.cap_client)) {
        fprintf(stderr, "jack_note: cannot activate\n");
        return 1;
    }
    if (jack_connect(c.note_client, jack_port_name(c.midi_out), argv[1]) ||
        jack_connect(c.cap_client, argv[2], jack_port_name(c.audio_in))) {
        fprintf(stderr, "jack_note: cannot connect %s -> %s or %s -> %s\n", jack_port_name(c.midi_out), argv[1],
                argv[2], jack_port_name(c.audio_in));
        return 1;
    }
    atomic_store(&c.go, 1);

    const double limit = delay + hold + tail + 10.0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (atomic_load(&c.recorded) < c.total) {
        usleep(20000);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec) > limit) {
            fprintf(stderr, "jack_note: recording incomplete (%u of %u frames)\n", atomic_load(&c.recorded), c.total);
            return 1;
        }
    }
    jack_deactivate(c.note_client);
    jack_deactivate(c.cap_client);
    int ok = atomic_load(&c.sent_on) && atomic_load(&c.sent_off) && !atomic_load(&c.write_errors);
    FILE *f = fopen(argv[6], "wb");
    if (!f || fwrite(c.rec, sizeof(float), c.total, f) != c.total || fclose(f) != 0) {
        fprintf(stderr, "jack_note: cannot write %s\n", argv[6]);
        return 1;
    }
    printf("rate %.0f frames %u note_on %u note_off %u\n", rate, c.total, c.on_rel, c.off_rel);
    jack_client_close(c.note_client);
    jack_client_close(c.cap_client);
    free(c.rec);
    if (!ok) {
        fprintf(stderr, "jack_note: note events not sent (on %d, off %d, write errors %d)\n", atomic_load(&c.sent_on),
                atomic_load(&c.sent_off), atomic_load(&c.write_errors));
        return 1;
    }
    return 0;
}
