/* synth.c — `statewave synth`: play a MIDI file with the polyphonic neural instrument
 * (sw_synth, dsp/engines/synth.c; contract in docs/INSTRUMENT.md) into an audio file, or live through
 * PortAudio (--live: the app's stream runner, stream.h, with the song player as its block).
 *
 * Flow: parse the MIDI file (midifile.c: every track merged, times in seconds from the file's
 * tempo map) -> find and load the timbre model (timbre.c) -> sw_synth_create at --rate ->
 * render block by block through the song player (synth_rt.c: blocks split at every event, so
 * each event lands on its exact sample) -> audio up to the last event goes straight to a temp
 * file next to the output (app_outfile); the tail after it (release, reverb) is kept in memory
 * until the song is over, trimmed of trailing silence, written, and the temp file renamed. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "commands.h"
#include "common.h"
#include "formats.h"
#include "midifile.h"
#include "outfile.h"
#include "stream.h"
#include "synth_rt.h"
#include "timbre.h"

#define SUB "synth"
#define BLOCK 1024          /* samples rendered per step */
#define TRIM_PAD_S 0.02     /* kept after the last audible sample of the tail, s */

static const char help[] =
    "Usage: statewave synth [OPTIONS] MIDI_FILE -o OUT\n"
    "       statewave synth [OPTIONS] MIDI_FILE --live [DEVICE OPTIONS]\n"
    "       statewave synth --timbre list\n"
    "\n"
    "Play a Standard MIDI File with the polyphonic neural instrument: per voice, a causal SSM\n"
    "turns the notes into amplitude, harmonic and noise controls at 250 Hz, which drive\n"
    "harmonic oscillators and filtered noise at the output rate, then a convolution reverb.\n"
    "Mono output.\n"
    "\n"
    "What is played: every track merged; note on/off (velocity 0 = off), sustain pedal (CC64;\n"
    "down while any channel holds it), pitch bend (channel-wide, +-2 semitones or the range set\n"
    "by RPN 0), mod wheel (CC1: vibrato depth, from the timbre's own to 40 cents), expression\n"
    "(CC11) and channel aftertouch (dynamics: level and brightness), all notes off (CC123-127),\n"
    "all sound off (CC120), reset controllers (CC121).\n"
    "Channel 10 (General MIDI drums) is ignored, with a note. All channels share one instrument.\n"
    "Tempo changes follow the file's tempo map. Each event is applied on its exact sample.\n"
    "\n"
    "  -o, --output FILE      output audio file; the extension picks the format (wav, flac,\n"
    "                         ogg, ...; 24-bit PCM where the format has it). Required unless\n"
    "                         --live. Written to a temp file and renamed at the end: on any\n"
    "                         error (or Ctrl-C) nothing is left behind\n"
    "  -t, --timbre NAME      instrument: a model presets/instruments/NAME.safetensors (default\n"
    "                         $STATEWAVE_TIMBRE, else violin). 'list' prints the timbres found\n"
    "                         and exits. Folders searched: $STATEWAVE_INSTRUMENTS, <exe dir>/\n"
    "                         ../presets/instruments, the installed share/statewave/instruments\n"
    "  -m, --model FILE       instrument model file (task \"synth\"), instead of --timbre\n"
    "  -r, --rate R           output sample rate in Hz, 8000..192000 (default 48000; with --live:\n"
    "                         the device's rate)\n"
    "  -n, --voices N         polyphony, 1..64 (default 16); more notes at once steal voices\n"
    APP_SYNTH_CONTROLS_HELP
    "      --vibrato V        the timbre's vibrato, 0..2: 0 a straight tone, 1 its own (default;\n"
    "                         measured from the recordings it learned), the mod wheel adds more\n"
    "      --tail S           at most S seconds rendered after the last MIDI event for the\n"
    "                         release and reverb, 0..60 (default 5). The output ends when the\n"
    "                         last voice has died away and the output stays below -80 dBFS,\n"
    "                         trailing silence trimmed (never before the last event)\n"
    "  -f, --format FMT       output format by name, overriding the extension\n"
    "  -q, --quiet            no progress bar, no summary (--live: no status line)\n"
    "  -h, --help             this help\n"
    "\n"
    "Live playback (instead of -o):\n"
    "      --live             play the song in real time through a PortAudio output stream, at\n"
    "                         the device's rate; exits when the song and its tail are over\n"
    "  -d, --device DEV       output device: index or name substring ('statewave devices')\n"
    "  -a, --host-api NAME    host API by name substring, e.g. JACK, ALSA\n"
    "  -F, --frames N         frames per callback (default 0: the host's choice)\n"
    "  -L, --latency MS       suggested output latency in ms (default: the device's low latency)\n"
    "  --live prints the stream setup, a status line on a terminal, and one summary line:\n"
    "    summary: frames=F callbacks=N xruns=X events=E/TOTAL rms_dbfs=.. peak=.. cb_mean_ms=..\n"
    "             cb_max_ms=.. dsp_load=.. seconds=S rate=R end=song|signal|device-lost\n"
    "\n"
    "Exit status: 0 written / played to the end (or stopped by a signal), 1 error (MIDI file,\n"
    "model, output, device), 2 usage error.\n";

/* ------------------------------------------------------------------ --live -- */
/* The mode for the stream runner: the synth is made at the device's rate, warmed up, and its
 * song player handed to the callback (synth_rt.c); the song's events were all parsed before
 * the stream starts and are read-only from then on. The run ends by itself once the song is
 * over in the callback and the output latency has drained. */
typedef struct {
    app_stream_mode m;           /* first: the runner's hooks get &this->m */
    const sw_model *model;       /* owned by cmd_synth */
    const app_midi_song *song;   /* likewise */
    const char *used;            /* the model's path, printed */
    int voices;                  /* polyphony */
    double tail_s;               /* release/reverb tail allowed after the last event, s */
    app_synth_controls ctl;      /* gains, pitch shift, reverb */
    const float *ir;             /* [ir_n] reverb impulse response at ir_rate Hz, NULL = built-in */
    size_t ir_n;                 /* its length */
    double ir_rate;              /* its rate, Hz */
    const char *ir_path;         /* its file, for messages */
    sw_synth *synth;             /* made in prepare */
    app_synth_rt rt;             /* shared with the callback */
    unsigned long long drain;    /* frames played after the song's end before stopping */
} synth_mode;

/* The instrument at `rate` as S describes it (the --live hooks are not used), warmed up, or
 * NULL with a message printed. Everything the callback will touch is made here. */
static sw_synth *make_synth(const synth_mode *S, double rate)
{
    char err[512];
    sw_synth *synth = NULL;
    sw_status st = sw_synth_create(S->model, rate, S->voices, &synth, err, sizeof err);
    if (st != SW_OK) {
        app_err(SUB, "cannot create the instrument from '%s' at %.0f Hz: %s: %s", S->used, rate,
                sw_status_str(st), err);
        return NULL;
    }
    if (S->ir && (st = sw_synth_set_reverb_ir(synth, S->ir, S->ir_n, S->ir_rate, err, sizeof err)) != SW_OK) {
        app_err(SUB, "reverb impulse response '%s': %s: %s", S->ir_path, sw_status_str(st), err);
        sw_synth_destroy(synth);
        return NULL;
    }
    sw_synth_warm_up(synth, rate, S->voices);
    app_synth_apply_controls(synth, &S->ctl);
    return synth;
}

static int synth_prepare(app_stream_mode *m, app_stream_rt *rt, double rate, int out_channels)
{
    synth_mode *S = (synth_mode *)m;
    if (!(S->synth = make_synth(S, rate)))
        return -1;
    app_synth_rt_init(&S->rt, S->synth, S->song, rate, S->tail_s,
                      app_synth_quiet_s(S->ir ? (double)S->ir_n / S->ir_rate : 0.0));
    app_stream_rt_init(rt, app_synth_block, &S->rt, 1, out_channels);
    return 0;
}

static double synth_print_setup(app_stream_mode *m, double srate, double in_lat, double out_lat)
{
    (void)in_lat;
    synth_mode *S = (synth_mode *)m;
    char pu[3 * PATH_MAX], pt[256]; /* the path and the model's timbre name: shown escaped */
    printf("model: %s (timbre \"%s\"), %d voices\n", app_printable(S->used, pu, sizeof pu),
           app_printable(sw_synth_timbre(S->synth), pt, sizeof pt), S->voices);
    printf("song: %zu notes, %zu events, last event at %.2f s\n", S->song->n_notes, S->song->n,
           S->song->last_event_s);
    printf("latency: output %.2f ms\n", out_lat * 1e3);
    /* After the song ends in the callback, what it wrote still has to come out of the
     * device: wait the output latency plus a margin before stopping. */
    S->drain = (unsigned long long)llround((out_lat + 0.05) * srate);
    return out_lat;
}

static const char *synth_poll(app_stream_mode *m, app_stream_rt *rt, double srate)
{
    (void)srate;
    synth_mode *S = (synth_mode *)m;
    unsigned long long done_at = app_rt_ld(&S->rt.done_at);
    return done_at && app_rt_ld(&rt->frames) >= done_at + S->drain ? "song" : NULL;
}

static void synth_status(app_stream_mode *m, app_stream_rt *rt, FILE *f, double t, double srate, PaStream *s)
{
    (void)t;
    synth_mode *S = (synth_mode *)m;
    fprintf(f, "[%7.1f / %.1f s] events %llu/%zu  voices %2d  xruns %llu  rms %.1f dBFS  cpu %3.0f%%",
            app_rt_ld(&rt->frames) / srate, S->song->last_event_s, app_rt_ld(&S->rt.events_done), S->song->n,
            atomic_load_explicit(&S->rt.voices, memory_order_relaxed), app_rt_ld(&rt->xrun_callbacks),
            app_dbfs(app_stream_rt_rms(rt)), 100.0 * Pa_GetStreamCpuLoad(s));
}

static void synth_summary(app_stream_mode *m, app_stream_rt *rt, int part, double srate)
{
    (void)srate;
    synth_mode *S = (synth_mode *)m;
    if (part == 0)
        printf("events=%llu/%zu rms_dbfs=%.1f peak=%.3f ", app_rt_ld(&S->rt.events_done), S->song->n,
               app_dbfs(app_stream_rt_rms(rt)), app_stream_rt_peak(rt));
}

/* Play the song (`init`: the settings) on the devices of `o`; an exit status.
 * *still_in_use as app_stream_run's: then the model and the song must stay. */
static int synth_live(const synth_mode *init, const app_stream_opts *o, int *still_in_use)
{
    synth_mode *S = malloc(sizeof *S);
    *still_in_use = 0;
    if (!S) {
        app_err(SUB, "out of memory");
        return SW_EXIT_FAIL;
    }
    *S = *init;
    S->m = (app_stream_mode){ .sub = SUB, .prepare = synth_prepare, .print_setup = synth_print_setup,
                              .poll = synth_poll, .status = synth_status, .summary = synth_summary };
    int rc = app_stream_run(o, &S->m, still_in_use);
    if (!*still_in_use) {
        sw_synth_destroy(S->synth);
        free(S);
    }
    return rc;
}

int cmd_synth(int argc, char **argv)
{
    app_instr_opts o = APP_INSTR_OPTS_DEFAULT;
    double rate = 48000.0, tail = 5.0;
    long voices = SW_SYNTH_DEFAULT_VOICES;
    app_stream_opts lo = { .latency_ms = -1.0 };
    int live = 0, live_only = 0, rate_given = 0;
    const app_opt opts[] = {
        APP_INSTR_OPTIONS(o),
        { "rate", 'r', APP_OPT_DBL, .dst = &rate, 8000.0, 192000.0, &rate_given },
        { "voices", 'n', APP_OPT_LONG, .dst = &voices, 1, SW_SYNTH_MAX_VOICES },
        APP_SYNTH_CONTROL_OPTIONS(o),
        { "vibrato", 0, APP_OPT_DBL, .dst = &o.ctl.vibrato, 0.0, 2.0 },
        { "tail", 0, APP_OPT_DBL, .dst = &tail, 0.0, 60.0 },
        { "format", 'f', APP_OPT_STR, .dst = &o.fmt_name },
        { "quiet", 'q', APP_OPT_FLAG, .dst = &o.quiet },
        { "help", 'h', APP_OPT_HELP, .dst = (void *)help },
        { "live", 0, APP_OPT_FLAG, .dst = &live },
        { "device", 'd', APP_OPT_STR, .dst = &lo.output, .seen = &live_only },
        APP_STREAM_OPTIONS(lo, &live_only),
        APP_REVERB_IR_OPTION(o),
    };
    int parsed = app_parse_opts(SUB, argc, argv, opts, APP_NOPTS(opts), 0, 0);
    if (parsed >= 0)
        return parsed;
    const char *out_path = o.out_path, *model_path = o.model_path, *timbre = o.timbre, *fmt_name = o.fmt_name,
               *ir_path = o.ir_path;
    const int quiet = o.quiet;
    const char *midi_path = NULL;
    int a = app_instr_args(SUB, &o, argc, argv, optind, "MIDI file", &midi_path);
    if (a != 0)
        return a > 0 ? SW_EXIT_OK : SW_EXIT_USAGE;
    if (app_stream_check_usage(SUB, live, out_path || fmt_name, "song", "-o/--output and --format", live_only,
                               "--device, --host-api, --frames and --latency", out_path) != 0)
        return SW_EXIT_USAGE;
    app_fmt_alias fmt;
    if (app_output_format(SUB, fmt_name, out_path, &fmt) != 0)
        return SW_EXIT_USAGE;

    /* The output rule (outfile.h): never the MIDI file, the impulse response or the model,
     * checked before any work and again, with the model actually found, at the output's open. */
    app_protect_set prot = { 0 };
    if (out_path && (app_protect_add(&prot, SUB, midi_path, "input file") != 0 ||
                     app_protect_add(&prot, SUB, ir_path, "reverb impulse response") != 0 ||
                     app_protect_add(&prot, SUB, model_path, "model") != 0 ||
                     app_output_check(SUB, NULL, out_path, &prot) != 0)) {
        app_protect_free(&prot);
        return SW_EXIT_FAIL;
    }
    app_midi_song song;
    char err[512] = "";
    if (app_midi_load(midi_path, &song, err, sizeof err) != 0) {
        app_err(SUB, "cannot play MIDI file '%s': %s", midi_path, err);
        app_protect_free(&prot);
        return SW_EXIT_FAIL;
    }
    sw_model *model = NULL;
    sw_synth *synth = NULL;
    float *buf = NULL, *tailbuf = NULL, *ir = NULL;
    size_t ir_n = 0;
    double ir_rate = 0.0;
    app_render r = APP_RENDER_INIT;
    int rc = SW_EXIT_FAIL;
    char used[PATH_MAX + 256];

    if (app_load_timbre(SUB, timbre, model_path, &model, used, sizeof used) != 0)
        goto out;
    if (out_path && app_protect_add(&prot, SUB, used, "model") != 0)
        goto out;
    if (ir_path && app_read_reverb_ir(SUB, ir_path, &ir, &ir_n, &ir_rate) != 0)
        goto out;
    if (!quiet && song.n_drum_notes)
        fprintf(stderr, "note: %zu notes on channel 10 (drums) ignored\n", song.n_drum_notes);
    if (!quiet && song.max_polyphony > voices)
        fprintf(stderr, "note: up to %d notes sound at once, %ld voices: the oldest/quietest are "
                        "stolen (--voices)\n", song.max_polyphony, voices);
    const synth_mode S = { .model = model, .song = &song, .used = used, .voices = (int)voices, .tail_s = tail,
                           .ctl = o.ctl, .ir = ir, .ir_n = ir_n, .ir_rate = ir_rate, .ir_path = ir_path };
    if (live) {
        lo.rate = rate_given ? rate : 0.0;
        lo.quiet = quiet;
        int in_use = 0;
        rc = synth_live(&S, &lo, &in_use);
        if (in_use) { /* device lost with a host thread that may still call back: leave it all */
            app_protect_free(&prot);
            return rc;
        }
        goto out;
    }

    if (!(synth = make_synth(&S, rate)))
        goto out;
    const int irate = (int)lround(rate);
    app_synth_player pl;
    app_synth_player_init(&pl, synth, &song, rate, tail, app_synth_quiet_s(ir ? (double)ir_n / ir_rate : 0.0));
    const size_t tail_cap = (size_t)pl.tail_max + BLOCK;
    buf = malloc(sizeof(float) * BLOCK);
    tailbuf = malloc(sizeof(float) * tail_cap);
    if (!buf || !tailbuf) {
        app_err(SUB, "out of memory");
        goto out;
    }
    if (app_render_open(&r, SUB, out_path, &fmt, SF_FORMAT_WAV | SF_FORMAT_PCM_24, irate, &prot, quiet,
                        app_base_name(midi_path)) != 0)
        goto out;

    if (!quiet) { /* the path and the model's timbre name may hold anything: shown escaped */
        char pu[3 * PATH_MAX], pt[256];
        fprintf(stderr, "model: %s (timbre \"%s\")\n", app_printable(used, pu, sizeof pu),
                app_printable(sw_synth_timbre(synth), pt, sizeof pt));
    }
    const double total = (double)pl.last_event + 0.5 * rate; /* progress estimate only */
    size_t n_tail = 0, n_clip = 0;
    uint64_t written = 0;
    while (!pl.done && !app_stop_requested) {
        uint64_t pos0 = pl.pos;
        app_synth_player_render(&pl, buf, BLOCK);
        for (size_t i = 0; i < BLOCK; i++)
            n_clip += fabsf(buf[i]) > 1.0f;
        /* Up to the last event: straight to the file. After it: held back for the trim. */
        size_t direct = pos0 >= pl.last_event ? 0
                      : pl.last_event - pos0 >= BLOCK ? BLOCK : (size_t)(pl.last_event - pos0);
        if (app_render_write(&r, buf, direct) != 0)
            goto out;
        written += direct;
        size_t rest = BLOCK - direct;
        if (n_tail + rest > tail_cap)
            rest = tail_cap - n_tail; /* cannot happen: done at last_event + tail_max */
        memcpy(tailbuf + n_tail, buf + direct, rest * sizeof(float));
        n_tail += rest;
        app_render_progress(&r, (double)pl.pos, total > pl.pos ? total : pl.pos + 1.0, 0);
    }
    if (app_render_stopped(&r))
        goto out;
    /* Trim: keep the tail up to its last audible sample plus a short pad. The sample of the
     * last event itself is always written (a song may end on a note-off into silence). */
    size_t keep = 0;
    for (size_t i = n_tail; i-- > 0;)
        if (fabsf(tailbuf[i]) >= APP_SYNTH_SILENCE) {
            keep = i + 1 + (size_t)llround(TRIM_PAD_S * rate);
            break;
        }
    if (keep > n_tail)
        keep = n_tail;
    if (keep == 0 && n_tail > 0)
        keep = 1;
    if (app_render_write(&r, tailbuf, keep) != 0)
        goto out;
    written += keep;
    if (app_render_finish(&r, n_clip) != 0)
        goto out;
    if (!quiet) {
        double el = app_render_elapsed(&r);
        fprintf(stderr, "%s  [%.2f s, %d Hz, mono, %s] %zu notes, %ld voices (up to %d notes at once), "
                        "last event at %.2f s; %.2f s, %.1fx real time\n",
                out_path, (double)written / rate, irate, r.fd, song.n_notes, voices, song.max_polyphony,
                song.last_event_s, el, el > 0 ? (double)pl.pos / rate / el : 0.0);
    }
    rc = SW_EXIT_OK;
out:
    app_render_close(&r);
    app_protect_free(&prot);
    free(buf);
    free(tailbuf);
    free(ir);
    sw_synth_destroy(synth);
    sw_model_free(model);
    app_midi_free(&song);
    return rc;
}
