/* jack_midi.c — a JACK MIDI player and recorder, for tests/host/test_jalv_continue.sh.
 *
 *   jack_midi PLAY_TARGET RECORD_SOURCE SCORE.txt SECONDS OUT.txt
 *
 * Opens two JACK clients on the running server:
 *   swplay  MIDI out port "out", connected to PLAY_TARGET (e.g. jalv's swcont:midi_in)
 *   swrec   MIDI in port "in", fed from RECORD_SOURCE (e.g. swcont:midi_out)
 * Two clients, not one, so the graph swplay -> plugin -> swrec has no cycle and JACK runs them
 * in that order within every period. SCORE.txt holds one event a line, in time order: "SECONDS
 * STATUS DATA1 DATA2" (numbers; the bytes in decimal or 0x hex), or "SECONDS transport 1|0" to
 * start or stop the JACK transport. From the first period after both connections exist
 * (frame 0), swplay writes each MIDI event at its exact frame (and asks for the transport change
 * in the period of its frame), and swrec records every MIDI event from RECORD_SOURCE and every
 * change of the transport state it sees, for SECONDS seconds. Both use JACK's frame clock
 * (jack_last_frame_time), so a played and a recorded event of the same period have comparable
 * frames even when the dummy driver skips time under load.
 * OUT.txt gets a first line "rate R frames N played P" and then one line per recorded event,
 * "FRAME B0 B1 ..." (decimal), or "FRAME T 1|0" for a transport change seen at the period
 * starting at FRAME, in order. Exit 0, or 1 on a JACK error, an event that could not
 * be written or recorded (buffer full), or a recording that does not complete within its length
 * plus 10 s. The process callbacks only copy into buffers allocated before activation.
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

#define MAX_PLAY 4096
#define MAX_REC 65536
#define MAX_BYTES 8

typedef struct {
    jack_nframes_t at;  /* frame relative to the recording start */
    int transport;      /* -1: MIDI m; 0 / 1: stop / start the transport */
    uint8_t m[3];
} play_ev;

typedef struct {
    jack_nframes_t at;
    uint32_t size;      /* 0: a transport change to state m[0] */
    uint8_t m[MAX_BYTES];
} rec_ev;

typedef struct {
    jack_client_t *play_client, *rec_client;
    jack_port_t *out, *in;
    play_ev *play;              /* [n_play] the score, frames relative to the start */
    int n_play;
    atomic_int next_play;       /* first event not written yet */
    rec_ev *rec;                /* [MAX_REC] recorded events */
    atomic_int n_rec;
    jack_nframes_t total;       /* frames to record */
    atomic_int go;              /* set by main once both connections exist */
    atomic_int started;         /* t0 is valid */
    atomic_uint t0;             /* JACK frame time of frame 0 */
    atomic_uint recorded;       /* frames recorded so far */
    atomic_int errors;          /* write failures, recording overflow, over-long events */
    int rolling;                /* swrec: transport state last seen (-1 before the first period) */
} ctx;

/* swrec: append an event (process thread). */
static void rec_add(ctx *c, jack_nframes_t at, const uint8_t *m, uint32_t size)
{
    int k = atomic_load(&c->n_rec);
    if (k >= MAX_REC || size > MAX_BYTES) {
        atomic_fetch_add(&c->errors, 1);
        return;
    }
    c->rec[k].at = at;
    c->rec[k].size = size;
    memcpy(c->rec[k].m, m, size ? size : 1);
    atomic_store(&c->n_rec, k + 1);
}

static int rec_process(jack_nframes_t n, void *arg)
{
    ctx *c = arg;
    if (!atomic_load(&c->go))
        return 0;
    if (!atomic_load(&c->started)) {
        atomic_store(&c->t0, jack_last_frame_time(c->rec_client));
        atomic_store(&c->started, 1);
    }
    jack_nframes_t done = atomic_load(&c->recorded);
    if (done >= c->total)
        return 0;
    const jack_nframes_t start_rel = jack_last_frame_time(c->rec_client) - atomic_load(&c->t0);
    const uint8_t rolling = jack_transport_query(c->rec_client, NULL) == JackTransportRolling;
    if (rolling != c->rolling) {
        rec_add(c, start_rel, &rolling, 0);
        c->rolling = rolling;
    }
    void *buf = jack_port_get_buffer(c->in, n);
    const uint32_t count = jack_midi_get_event_count(buf);
    for (uint32_t i = 0; i < count; i++) {
        jack_midi_event_t ev;
        if (jack_midi_event_get(&ev, buf, i) == 0)
            rec_add(c, start_rel + ev.time, ev.buffer, ev.size ? (uint32_t)ev.size : MAX_BYTES + 1);
    }
    atomic_store(&c->recorded, done + n);
    return 0;
}

static int play_process(jack_nframes_t n, void *arg)
{
    ctx *c = arg;
    void *buf = jack_port_get_buffer(c->out, n);
    jack_midi_clear_buffer(buf);
    if (!atomic_load(&c->started))
        return 0;
    const jack_nframes_t start_rel = jack_last_frame_time(c->play_client) - atomic_load(&c->t0);
    int k = atomic_load(&c->next_play);
    /* events whose frame has passed (a skipped period) go out at the period's first frame */
    for (; k < c->n_play && c->play[k].at < start_rel + n; k++) {
        jack_nframes_t f = c->play[k].at > start_rel ? c->play[k].at - start_rel : 0;
        if (c->play[k].transport == 1)
            jack_transport_start(c->play_client); /* realtime-safe; effective from a later period */
        else if (c->play[k].transport == 0)
            jack_transport_stop(c->play_client);
        else if (jack_midi_event_write(buf, f, c->play[k].m, 3) != 0)
            atomic_fetch_add(&c->errors, 1);
    }
    atomic_store(&c->next_play, k);
    return 0;
}

static jack_client_t *open_client(const char *name)
{
    jack_status_t st;
    jack_client_t *cl = jack_client_open(name, JackNoStartServer | JackUseExactName, &st);
    if (!cl)
        fprintf(stderr, "jack_midi: cannot open JACK client '%s' (status 0x%x)\n", name, (unsigned)st);
    return cl;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: jack_midi PLAY_TARGET RECORD_SOURCE SCORE.txt SECONDS OUT.txt\n");
        return 2;
    }
    static ctx c;
    const double seconds = atof(argv[4]);
    if (!(seconds > 0 && seconds < 600)) {
        fprintf(stderr, "jack_midi: bad length\n");
        return 2;
    }
    c.play = calloc(MAX_PLAY, sizeof *c.play);
    c.rec = calloc(MAX_REC, sizeof *c.rec);
    if (!c.play || !c.rec)
        return 1;
    c.play_client = open_client("swplay");
    c.rec_client = open_client("swrec");
    if (!c.play_client || !c.rec_client)
        return 1;
    const double rate = jack_get_sample_rate(c.rec_client);
    FILE *f = fopen(argv[3], "r");
    if (!f) {
        fprintf(stderr, "jack_midi: cannot read %s\n", argv[3]);
        return 1;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        double t;
        int b0, b1, b2, roll = -1;
        if (sscanf(line, "%lf transport %d", &t, &roll) == 2) {
            b0 = b1 = b2 = 0;
            roll = roll != 0;
        } else if (sscanf(line, "%lf %i %i %i", &t, &b0, &b1, &b2) != 4) {
            continue;
        }
        if (c.n_play >= MAX_PLAY || !(t >= 0 && t < seconds) ||
            (c.n_play && lround(t * rate) < (long)c.play[c.n_play - 1].at)) {
            fprintf(stderr, "jack_midi: %s: bad or unordered event '%s'\n", argv[3], line);
            return 2;
        }
        c.play[c.n_play].at = (jack_nframes_t)lround(t * rate);
        c.play[c.n_play].transport = roll;
        c.play[c.n_play].m[0] = (uint8_t)b0;
        c.play[c.n_play].m[1] = (uint8_t)b1;
        c.play[c.n_play].m[2] = (uint8_t)b2;
        c.n_play++;
    }
    fclose(f);
    c.total = (jack_nframes_t)lround(seconds * rate);
    c.rolling = -1;
    c.out = jack_port_register(c.play_client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    c.in = jack_port_register(c.rec_client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    if (!c.out || !c.in) {
        fprintf(stderr, "jack_midi: cannot register ports\n");
        return 1;
    }
    jack_set_process_callback(c.play_client, play_process, &c);
    jack_set_process_callback(c.rec_client, rec_process, &c);
    if (jack_activate(c.play_client) || jack_activate(c.rec_client)) {
        fprintf(stderr, "jack_midi: cannot activate\n");
        return 1;
    }
    if (jack_connect(c.play_client, jack_port_name(c.out), argv[1]) ||
        jack_connect(c.rec_client, argv[2], jack_port_name(c.in))) {
        fprintf(stderr, "jack_midi: cannot connect %s -> %s or %s -> %s\n", jack_port_name(c.out), argv[1], argv[2],
                jack_port_name(c.in));
        return 1;
    }
    atomic_store(&c.go, 1);

    const double limit = seconds + 10.0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (atomic_load(&c.recorded) < c.total) {
        usleep(20000);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec) > limit) {
            fprintf(stderr, "jack_midi: recording incomplete (%u of %u frames)\n", atomic_load(&c.recorded), c.total);
            return 1;
        }
    }
    jack_deactivate(c.play_client);
    jack_deactivate(c.rec_client);
    FILE *o = fopen(argv[5], "w");
    if (!o) {
        fprintf(stderr, "jack_midi: cannot write %s\n", argv[5]);
        return 1;
    }
    const int n_rec = atomic_load(&c.n_rec);
    fprintf(o, "rate %.0f frames %u played %d\n", rate, c.total, atomic_load(&c.next_play));
    for (int i = 0; i < n_rec; i++) {
        fprintf(o, "%u", c.rec[i].at);
        if (!c.rec[i].size)
            fprintf(o, " T %u", c.rec[i].m[0]);
        for (uint32_t k = 0; k < c.rec[i].size; k++)
            fprintf(o, " %u", c.rec[i].m[k]);
        fprintf(o, "\n");
    }
    if (fclose(o) != 0)
        return 1;
    jack_client_close(c.play_client);
    jack_client_close(c.rec_client);
    if (atomic_load(&c.errors) || atomic_load(&c.next_play) != c.n_play) {
        fprintf(stderr, "jack_midi: %d errors, %d of %d events played\n", atomic_load(&c.errors),
                atomic_load(&c.next_play), c.n_play);
        return 1;
    }
    return 0;
}
