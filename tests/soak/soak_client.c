/* soak_client.c — the JACK client of the soak runs (tests/soak/soak_*.sh): it drives a plugin or the
 * app for a long time and reports, minute by minute, what it heard and what the run cost.
 *
 *   soak_client -n NAME -t SECONDS [--audio FILE] [--midi FILE] [--to PORT]... [--from PORT]...
 *               [--record FILE] [--watch PID]
 *
 *   --audio FILE   loop FILE (mono mix, must be at the server's rate) into port NAME:out
 *   --midi FILE    loop the MIDI file (app/midifile.c, the reader of `statewave synth`) into
 *                  NAME:midi_out; every pass ends with all-notes-off and the pedal up
 *   --to PORT      connect NAME:out (or NAME:midi_out) to PORT (repeatable); --audio and
 *                  --midi do not go together
 *   --from PORT    capture PORT on a port of ours (repeatable); the minute statistics are over
 *                  every captured channel
 *   --record FILE  also write the first captured channel to FILE (FLAC 24 bit if it ends in
 *                  .flac, else float WAV), through a ring buffer drained by the main thread
 *   --watch PID    sample that process each minute: resident memory (VmRSS) and CPU time
 *                  (utime + stime); CPU per JACK period = its CPU time in the minute divided by
 *                  the periods of the minute
 *
 * The run lasts SECONDS of JACK frames from the first period after every connection exists
 * (the clock is the server's, as for the plugin), bounded by 2 * SECONDS + 120 s of wall time.
 * One line per minute on stdout:
 *   minute M periods P xruns X xruns_total XT dsp_load_mean L dsp_load_max LM rms_dbfs R
 *   peak PK nonfinite NF silence_max_s S rss_kb K cpu_us_per_period U
 * then "summary: ..." with the totals. xruns are the server's (jack_set_xrun_callback), so a
 * run gets its own server to count its own. The process callback copies, sums and writes
 * MIDI into JACK's buffers only: no allocation, lock or I/O.
 * Exit 0 when the run completed; 1 on a JACK or file error, or if it did not complete. */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <jack/ringbuffer.h>
#include <math.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "midifile.h"

#define MAX_PORTS 4
#define MAX_MINUTES 1440          /* 24 h */
#define SILENCE 1e-6f             /* |x| at or below this is digital silence (-120 dBFS) */

typedef struct {                  /* one minute of captured audio, written by the process thread */
    double sumsq;
    uint64_t n, nonfinite, silence_max;
    float peak;
} minute_stats;

typedef struct {
    uint32_t frame;               /* position in the loop, frames */
    uint8_t msg[3];
} midi_msg;

typedef struct {
    jack_client_t *cl;
    jack_port_t *out, *midi_out, *in[MAX_PORTS];
    int n_in;
    const float *loop;            /* [loop_n] audio to play, or NULL */
    uint64_t loop_n, loop_pos;
    const midi_msg *midi;         /* [n_midi] messages of one pass, by frame */
    size_t n_midi, midi_next;
    uint32_t midi_len, midi_pos;  /* frames in a pass, position in it */
    jack_ringbuffer_t *rb;        /* recording (first captured channel), or NULL */
    uint64_t rb_dropped;          /* frames that did not fit the ring buffer */
    minute_stats *min;            /* [MAX_MINUTES] */
    uint64_t per_minute;          /* frames in a minute */
    uint64_t total;               /* frames to run */
    uint64_t silence_run;         /* current run of silent frames (all channels silent) */
    atomic_int go;
    atomic_uint_fast64_t done;    /* frames processed since go */
    atomic_uint_fast64_t periods;
    atomic_uint xruns;
} soak;

static int on_xrun(void *arg)
{
    atomic_fetch_add(&((soak *)arg)->xruns, 1);
    return 0;
}

static void play_midi(soak *s, jack_nframes_t n)
{
    void *buf = jack_port_get_buffer(s->midi_out, n);
    jack_midi_clear_buffer(buf);
    for (jack_nframes_t f = 0; f < n; f++, s->midi_pos++) {
        if (s->midi_pos >= s->midi_len) { /* end of a pass: everything off, start again */
            s->midi_pos = 0;
            s->midi_next = 0;
            const uint8_t off[2][3] = { { 0xB0, 64, 0 }, { 0xB0, 123, 0 } };
            for (int k = 0; k < 2; k++)
                jack_midi_event_write(buf, f, off[k], 3);
        }
        while (s->midi_next < s->n_midi && s->midi[s->midi_next].frame == s->midi_pos) {
            const uint8_t *msg = s->midi[s->midi_next++].msg;
            jack_midi_event_write(buf, f, msg, (msg[0] & 0xF0) == 0xD0 ? 2 : 3); /* pressure: one data byte */
        }
    }
}

static int process(jack_nframes_t n, void *arg)
{
    soak *s = arg;
    if (s->out) {
        float *o = jack_port_get_buffer(s->out, n);
        for (jack_nframes_t i = 0; i < n; i++) {
            o[i] = s->loop[s->loop_pos++];
            if (s->loop_pos == s->loop_n)
                s->loop_pos = 0;
        }
    }
    if (s->midi_out)
        play_midi(s, n);
    if (!atomic_load(&s->go))
        return 0;
    uint64_t done = atomic_load(&s->done);
    if (done >= s->total)
        return 0;
    const float *in[MAX_PORTS];
    for (int c = 0; c < s->n_in; c++)
        in[c] = jack_port_get_buffer(s->in[c], n);
    for (jack_nframes_t i = 0; i < n; i++) {
        uint64_t m = (done + i) / s->per_minute;
        if (m >= MAX_MINUTES)
            break;
        minute_stats *st = &s->min[m];
        int silent = 1;
        for (int c = 0; c < s->n_in; c++) {
            float x = in[c][i];
            if (!isfinite(x)) {
                st->nonfinite++;
                continue;
            }
            st->sumsq += (double)x * x;
            st->n++;
            float a = fabsf(x);
            if (a > st->peak)
                st->peak = a;
            silent &= a <= SILENCE;
        }
        s->silence_run = silent && s->n_in ? s->silence_run + 1 : 0;
        if (s->silence_run > st->silence_max)
            st->silence_max = s->silence_run;
    }
    if (s->rb && s->n_in) {
        size_t want = n * sizeof(float);
        if (jack_ringbuffer_write_space(s->rb) >= want)
            jack_ringbuffer_write(s->rb, (const char *)in[0], want);
        else
            s->rb_dropped += n;
    }
    atomic_store(&s->done, done + n);
    atomic_fetch_add(&s->periods, 1);
    return 0;
}

/* CPU time (utime + stime, s) and resident memory (kB) of a process; -1 when it is gone. */
static int sample_proc(int pid, double *cpu_s, long *rss_kb)
{
    char p[64], line[4096];
    snprintf(p, sizeof p, "/proc/%d/stat", pid);
    FILE *f = fopen(p, "r");
    if (!f)
        return -1;
    size_t k = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[k] = '\0';
    const char *q = strrchr(line, ')'); /* the command name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!q || sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    *cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    snprintf(p, sizeof p, "/proc/%d/status", pid);
    f = fopen(p, "r");
    if (!f)
        return -1;
    *rss_kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", rss_kb) == 1)
            break;
    fclose(f);
    return 0;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *load_audio(const char *path, double rate, uint64_t *n)
{
    SF_INFO info = { 0 };
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        fprintf(stderr, "soak_client: cannot read '%s': %s\n", path, sf_strerror(NULL));
        return NULL;
    }
    if (info.samplerate != (int)rate || info.frames <= 0 || info.frames > (sf_count_t)rate * 3600) {
        fprintf(stderr, "soak_client: '%s': %d Hz, %lld frames (need the server's %g Hz, up to 1 h)\n",
                path, info.samplerate, (long long)info.frames, rate);
        sf_close(sf);
        return NULL;
    }
    float *buf = malloc(sizeof(float) * (size_t)info.frames * (size_t)info.channels);
    float *mono = malloc(sizeof(float) * (size_t)info.frames);
    sf_count_t got = buf && mono ? sf_readf_float(sf, buf, info.frames) : 0;
    sf_close(sf);
    if (got <= 0) {
        free(buf);
        free(mono);
        return NULL;
    }
    for (sf_count_t i = 0; i < got; i++) {
        double a = 0.0;
        for (int c = 0; c < info.channels; c++)
            a += buf[i * info.channels + c];
        mono[i] = (float)(a / info.channels);
    }
    free(buf);
    *n = (uint64_t)got;
    return mono;
}

/* The song as 3-byte messages at frames of the server's rate (bends at +-2 semitones). */
static midi_msg *load_midi(const char *path, double rate, size_t *n, uint32_t *len)
{
    app_midi_song song;
    char err[256];
    if (app_midi_load(path, &song, err, sizeof err) != 0) {
        fprintf(stderr, "soak_client: cannot play '%s': %s\n", path, err);
        return NULL;
    }
    midi_msg *m = malloc(sizeof *m * (song.n ? song.n : 1));
    if (!m) {
        app_midi_free(&song);
        return NULL;
    }
    for (size_t i = 0; i < song.n; i++) {
        const app_midi_event *e = &song.ev[i];
        uint8_t ch = e->channel & 0x0F;
        midi_msg *o = &m[i];
        o->frame = (uint32_t)llround(e->seconds * rate);
        switch (e->type) {
        case APP_MIDI_NOTE_ON: o->msg[0] = 0x90 | ch; o->msg[1] = e->note; o->msg[2] = e->velocity; break;
        case APP_MIDI_NOTE_OFF: o->msg[0] = 0x80 | ch; o->msg[1] = e->note; o->msg[2] = 0; break;
        case APP_MIDI_SUSTAIN: o->msg[0] = 0xB0 | ch; o->msg[1] = 64; o->msg[2] = e->value > 0.5f ? 127 : 0; break;
        case APP_MIDI_BEND: {
            long v = lround(8192.0 + e->value / 2.0 * 8192.0);
            v = v < 0 ? 0 : v > 16383 ? 16383 : v;
            o->msg[0] = 0xE0 | ch; o->msg[1] = (uint8_t)(v & 0x7F); o->msg[2] = (uint8_t)(v >> 7);
            break;
        }
        case APP_MIDI_SOUND_OFF: o->msg[0] = 0xB0 | ch; o->msg[1] = 120; o->msg[2] = 0; break;
        case APP_MIDI_MOD_WHEEL:
        case APP_MIDI_EXPRESSION:
            o->msg[0] = 0xB0 | ch;
            o->msg[1] = e->type == APP_MIDI_MOD_WHEEL ? 1 : 11;
            o->msg[2] = (uint8_t)lroundf(e->value * 127.0f);
            break;
        case APP_MIDI_PRESSURE: /* written as two bytes (see the writer) */
            o->msg[0] = 0xD0 | ch; o->msg[1] = (uint8_t)lroundf(e->value * 127.0f); o->msg[2] = 0; break;
        case APP_MIDI_RESET_CONTROLLERS: o->msg[0] = 0xB0 | ch; o->msg[1] = 121; o->msg[2] = 0; break;
        default: o->msg[0] = 0xB0 | ch; o->msg[1] = 123; o->msg[2] = 0; break; /* all notes off */
        }
    }
    *n = song.n;
    *len = (uint32_t)llround((song.last_event_s + 0.5) * rate);
    fprintf(stderr, "soak_client: '%s': %zu notes, %zu messages, a pass of %.1f s\n", path, song.n_notes,
            song.n, song.last_event_s + 0.5);
    app_midi_free(&song);
    return m;
}

static void usage(void)
{
    fprintf(stderr, "usage: soak_client -n NAME -t SECONDS [--audio FILE] [--midi FILE] [--to PORT]... "
                    "[--from PORT]... [--record FILE] [--watch PID]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *name = NULL, *audio = NULL, *midi = NULL, *record = NULL;
    const char *to[8], *from[MAX_PORTS];
    int n_to = 0, n_from = 0, watch = 0;
    double seconds = 0.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "-n")) name = v;
        else if (!strcmp(a, "-t")) seconds = atof(v);
        else if (!strcmp(a, "--audio")) audio = v;
        else if (!strcmp(a, "--midi")) midi = v;
        else if (!strcmp(a, "--record")) record = v;
        else if (!strcmp(a, "--watch")) watch = atoi(v);
        else if (!strcmp(a, "--to") && n_to < 8) to[n_to++] = v;
        else if (!strcmp(a, "--from") && n_from < MAX_PORTS) from[n_from++] = v;
        else usage();
        i++;
    }
    if (!name || !(seconds > 0.0) || seconds > 3600.0 * 24 || (audio && midi))
        usage();

    soak s = { 0 };
    jack_status_t jst;
    s.cl = jack_client_open(name, JackNoStartServer | JackUseExactName, &jst);
    if (!s.cl) {
        fprintf(stderr, "soak_client: cannot open JACK client '%s' (status 0x%x)\n", name, (unsigned)jst);
        return 1;
    }
    const double rate = jack_get_sample_rate(s.cl);
    const jack_nframes_t period = jack_get_buffer_size(s.cl);
    s.per_minute = (uint64_t)llround(60.0 * rate);
    s.total = (uint64_t)llround(seconds * rate);
    s.min = calloc(MAX_MINUTES, sizeof *s.min);
    float *loop = NULL;
    midi_msg *msgs = NULL;
    SNDFILE *rec = NULL;
    int rc = 1;
    if (!s.min)
        goto out;
    if (audio) {
        if (!(loop = load_audio(audio, rate, &s.loop_n)))
            goto out;
        s.loop = loop;
        s.out = jack_port_register(s.cl, "out", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    }
    if (midi) {
        if (!(msgs = load_midi(midi, rate, &s.n_midi, &s.midi_len)))
            goto out;
        s.midi = msgs;
        s.midi_out = jack_port_register(s.cl, "midi_out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    }
    for (int c = 0; c < n_from; c++) {
        char pn[16];
        snprintf(pn, sizeof pn, "in_%d", c + 1);
        s.in[c] = jack_port_register(s.cl, pn, JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        if (!s.in[c])
            goto out;
    }
    s.n_in = n_from;
    if ((audio && !s.out) || (midi && !s.midi_out))
        goto out;
    if (record && n_from) {
        SF_INFO ri = { .samplerate = (int)rate, .channels = 1 };
        size_t L = strlen(record);
        ri.format = L > 5 && !strcmp(record + L - 5, ".flac") ? SF_FORMAT_FLAC | SF_FORMAT_PCM_24
                                                              : SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        if (!(rec = sf_open(record, SFM_WRITE, &ri))) {
            fprintf(stderr, "soak_client: cannot write '%s': %s\n", record, sf_strerror(NULL));
            goto out;
        }
        s.rb = jack_ringbuffer_create((size_t)(10.0 * rate) * sizeof(float));
        if (!s.rb || jack_ringbuffer_mlock(s.rb) != 0)
            fprintf(stderr, "soak_client: note: ring buffer not locked in memory\n");
        if (!s.rb)
            goto out;
    }
    jack_set_process_callback(s.cl, process, &s);
    jack_set_xrun_callback(s.cl, on_xrun, &s);
    if (jack_activate(s.cl) != 0) {
        fprintf(stderr, "soak_client: cannot activate\n");
        goto out;
    }
    for (int k = 0; k < n_to; k++) {
        jack_port_t *src = s.out ? s.out : s.midi_out;
        if (!src || jack_connect(s.cl, jack_port_name(src), to[k]) != 0) {
            fprintf(stderr, "soak_client: cannot connect to %s\n", to[k]);
            goto out;
        }
    }
    for (int c = 0; c < n_from; c++)
        if (jack_connect(s.cl, from[c], jack_port_name(s.in[c])) != 0) {
            fprintf(stderr, "soak_client: cannot connect %s\n", from[c]);
            goto out;
        }
    unsigned x0 = atomic_load(&s.xruns); /* xruns while connecting are not the run's */
    atomic_store(&s.go, 1);
    printf("start: client %s, %.0f Hz, %u-frame periods, %.0f s, %d captured channel(s)%s%s\n", name, rate,
           (unsigned)period, seconds, n_from, record ? ", recording to " : "", record ? record : "");
    fflush(stdout);

    const double t0 = now_s(), wall_max = 2.0 * seconds + 120.0;
    uint64_t minute = 0, periods_prev = 0;
    unsigned xr_prev = x0;
    double load_sum = 0.0, load_max = 0.0, cpu_prev = 0.0, cpu_first = -1.0;
    long rss_first = -1, rss_last = -1, rss_max = -1;
    int load_n = 0, gone = 0;
    double cpu0;
    long rss0;
    if (watch && sample_proc(watch, &cpu0, &rss0) == 0) {
        cpu_prev = cpu0;
        cpu_first = cpu0;
    }
    float *chunk = malloc(sizeof(float) * 8192);
    uint64_t nonfinite_total = 0, silence_max_total = 0, written = 0;
    while (chunk) {
        usleep(200000);
        if (rec) { /* drain the recording */
            size_t have;
            while ((have = jack_ringbuffer_read_space(s.rb) / sizeof(float)) > 0) {
                size_t m = have < 8192 ? have : 8192;
                jack_ringbuffer_read(s.rb, (char *)chunk, m * sizeof(float));
                written += (uint64_t)sf_writef_float(rec, chunk, (sf_count_t)m);
            }
        }
        double l = jack_cpu_load(s.cl);
        load_sum += l;
        load_n++;
        if (l > load_max)
            load_max = l;
        uint64_t done = atomic_load(&s.done);
        int finished = done >= s.total;
        /* a minute is complete once the process thread has moved past it */
        while (minute < MAX_MINUTES && (done >= (minute + 1) * s.per_minute || (finished && done > minute * s.per_minute))) {
            const minute_stats *st = &s.min[minute];
            uint64_t p = atomic_load(&s.periods);
            unsigned xr = atomic_load(&s.xruns);
            double cpu = 0.0;
            long rss = -1;
            double us_per_period = -1.0;
            if (watch && !gone) {
                if (sample_proc(watch, &cpu, &rss) == 0) {
                    us_per_period = p > periods_prev ? 1e6 * (cpu - cpu_prev) / (double)(p - periods_prev) : -1.0;
                    cpu_prev = cpu;
                    if (rss_first < 0)
                        rss_first = rss;
                    rss_last = rss;
                    if (rss > rss_max)
                        rss_max = rss;
                } else {
                    gone = 1;
                    printf("watch: process %d is gone\n", watch);
                }
            }
            double rms = st->n ? sqrt(st->sumsq / (double)st->n) : 0.0;
            printf("minute %llu periods %llu xruns %u xruns_total %u dsp_load_mean %.2f dsp_load_max %.2f "
                   "rms_dbfs %.1f peak %.4f nonfinite %llu silence_max_s %.3f rss_kb %ld cpu_us_per_period %.1f\n",
                   (unsigned long long)minute + 1, (unsigned long long)(p - periods_prev), xr - xr_prev, xr - x0,
                   load_n ? load_sum / load_n : 0.0, load_max, rms > 0 ? 20.0 * log10(rms) : -999.0, st->peak,
                   (unsigned long long)st->nonfinite, (double)st->silence_max / rate, rss, us_per_period);
            fflush(stdout);
            nonfinite_total += st->nonfinite;
            if (st->silence_max > silence_max_total)
                silence_max_total = st->silence_max;
            periods_prev = p;
            xr_prev = xr;
            load_sum = load_max = 0.0;
            load_n = 0;
            minute++;
        }
        if (finished) {
            double cpu_end = cpu_prev;
            printf("summary: seconds %.1f periods %llu xruns %u nonfinite %llu silence_max_s %.3f "
                   "rss_first_kb %ld rss_last_kb %ld rss_max_kb %ld watch_cpu_s %.2f recorded %llu dropped %llu "
                   "wall_s %.1f\n",
                   (double)done / rate, (unsigned long long)atomic_load(&s.periods), atomic_load(&s.xruns) - x0,
                   (unsigned long long)nonfinite_total, (double)silence_max_total / rate, rss_first, rss_last,
                   rss_max, cpu_first >= 0 ? cpu_end - cpu_first : -1.0, (unsigned long long)written,
                   (unsigned long long)s.rb_dropped, now_s() - t0);
            rc = 0;
            break;
        }
        if (now_s() - t0 > wall_max) {
            fprintf(stderr, "soak_client: only %.1f of %.0f s after %.0f s of wall time\n", (double)done / rate,
                    seconds, now_s() - t0);
            break;
        }
    }
    free(chunk);
    jack_deactivate(s.cl);
out:
    jack_client_close(s.cl);
    if (rec)
        sf_close(rec);
    if (s.rb)
        jack_ringbuffer_free(s.rb);
    free(loop);
    free(msgs);
    free(s.min);
    return rc;
}
