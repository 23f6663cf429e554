/* compose.c — `statewave compose`: continue a MIDI file (or start from nothing) with the SSM
 * composer (sw_composer, dsp/engines/compose.c; vocabulary in docs/COMPOSE.md), into a MIDI file, or
 * played on the neural instrument into an audio file (--render).
 *
 * Flow: parse the prompt (midifile.c) -> its notes, the sustain pedal applied -> tokens
 * (sw_compose_encode, the same codec as train/compose/events.py) -> fed to the composer ->
 * draw events until the length asked for -> notes -> a format-0 MIDI file written to a temp file
 * and renamed (nothing half-written is left on any error) -> with --render, `statewave synth`
 * plays that file. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "common.h"
#include "midifile.h"
#include "outfile.h"

#define SUB "compose"
#define MAX_NOTES 2000000

static const char help[] =
    "Usage: statewave compose [OPTIONS] -o OUT.mid\n"
    "       statewave compose [OPTIONS] --render -o OUT.wav\n"
    "\n"
    "Continue a MIDI file, or compose from nothing, with the SSM composer: a causal state-space\n"
    "model over note-on, note-off, time-shift (10 ms steps) and velocity events, run one event\n"
    "at a time. The prompt's notes (every channel but 10, sustain pedal applied) are fed first;\n"
    "the composer then continues for the time asked for. The output holds the prompt followed by\n"
    "the continuation (--only-new: the continuation alone), at the prompt's end time.\n"
    "The same model, prompt, seed and settings give the same notes.\n"
    "\n"
    "  -o, --output FILE      output: a Standard MIDI File, or with --render an audio file\n"
    "  -p, --prompt FILE      MIDI file to continue (default: start from nothing)\n"
    "      --prompt-seconds S feed only the last S seconds of the prompt, (0, 3600] (default: all)\n"
    "  -s, --seconds S        seconds of new music, (0, 3600] (default 20)\n"
    "      --bars N           instead of --seconds: N bars at --bpm and --meter, 1..1000\n"
    "      --bpm B            tempo for --bars and the output file, 20..400 (default 120)\n"
    "      --meter N          beats per bar for --bars, 1..16 (default 4)\n"
    "      --seed N           random seed, 0..2^64-1 (default 1)\n"
    "  -t, --temperature T    sampling temperature, [0, 10] (default 1; < 0.001 = greedy)\n"
    "  -P, --top-p P          draw only from the most likely events whose probability adds up\n"
    "                         to P, (0, 1] (default 0.95)\n"
    "      --key KEY          new notes only in a key's scale: C, F#, Bb, Am, C#m, ... (minor:\n"
    "                         natural minor with the raised 7th), 'auto' = the prompt's key\n"
    "                         (Krumhansl-Kessler profiles), 'none' (default)\n"
    "      --range LO-HI      new notes only from LO to HI, MIDI numbers or names (C4 = 60),\n"
    "                         e.g. 48-84 or C3-C6 (default 0-127)\n"
    "      --max-voices N     no new note while N sound, 1..128 (default: no limit)\n"
    "      --density N        at most N new notes in any second, 1..64 (default: no limit)\n"
    "      --max-note S       end a generated note after S seconds, [0, 60] (default 8; 0 = never)\n"
    "  -m, --model FILE       composer model (default: $STATEWAVE_COMPOSE_MODEL, then\n"
    "                         <exe dir>/../presets/compose.safetensors, then the installed\n"
    "                         share/statewave/compose.safetensors)\n"
    "      --only-new         write the continuation alone (starting at time 0)\n"
    "      --render           play the result on the neural instrument: -o is then an audio file\n"
    "      --timbre NAME      with --render: the instrument's timbre (see 'statewave synth')\n"
    "      --midi FILE        with --render: also keep the MIDI file\n"
    "      --dump-tokens      print the prompt's tokens (one line) and exit\n"
    "  -q, --quiet            no summary\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 written, 1 error (prompt, model, output), 2 usage error.\n";

const app_model_kind app_model_compose = { "compose", "compose.safetensors", "STATEWAVE_COMPOSE_MODEL" };

/* ------------------------------------------------------------ notes -- */

typedef struct {
    sw_compose_note *v;  /* [n] notes (owned) */
    size_t n, cap;
} note_list;

static int notes_push(note_list *l, double on, double off, int pitch, int vel)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        if (cap > MAX_NOTES) return -1;
        sw_compose_note *v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (sw_compose_note){ on, off, pitch, vel };
    return 0;
}

static int note_cmp(const void *a, const void *b)
{
    const sw_compose_note *x = a, *y = b;
    if (x->on_s != y->on_s) return x->on_s < y->on_s ? -1 : 1;
    if (x->off_s != y->off_s) return x->off_s < y->off_s ? -1 : 1;
    if (x->pitch != y->pitch) return x->pitch - y->pitch;
    return x->velocity - y->velocity;
}

/* The song's notes as a listener hears them (train/compose/events.py notes_from_events): every
 * channel one keyboard, a key struck again ends its sounding note, a key released with the pedal
 * down sounds until the pedal goes up. */
static int song_notes(const app_midi_song *s, note_list *out)
{
    double on_at[128];
    int vel[128], held[128] = { 0 }, sustained[128] = { 0 }, pedal = 0;
    for (int p = 0; p < 128; p++) on_at[p] = -1.0;
    double last = 0.0;
    for (size_t i = 0; i < s->n; i++) {
        const app_midi_event *e = &s->ev[i];
        const double t = e->seconds;
        const int p = e->note & 127;
        if (t > last) last = t;
        if (e->type == APP_MIDI_NOTE_ON) {
            if (on_at[p] >= 0.0 && notes_push(out, on_at[p], t, p, vel[p]) != 0) return -1;
            on_at[p] = t;
            vel[p] = e->velocity;
            held[p] = 1;
            sustained[p] = 0;
        } else if (e->type == APP_MIDI_NOTE_OFF) {
            if (!held[p]) continue;
            held[p] = 0;
            if (pedal) sustained[p] = 1;
            else if (on_at[p] >= 0.0) {
                if (notes_push(out, on_at[p], t, p, vel[p]) != 0) return -1;
                on_at[p] = -1.0;
            }
        } else if (e->type == APP_MIDI_SUSTAIN) {
            int down = e->value > 0.5f;
            if (pedal && !down)
                for (int q = 0; q < 128; q++) {
                    if (sustained[q] && on_at[q] >= 0.0) {
                        if (notes_push(out, on_at[q], t, q, vel[q]) != 0) return -1;
                        on_at[q] = -1.0;
                    }
                    sustained[q] = 0;
                }
            pedal = down;
        }
    }
    for (int p = 0; p < 128; p++)
        if (on_at[p] >= 0.0 && notes_push(out, on_at[p], last > on_at[p] ? last : on_at[p], p, vel[p]) != 0)
            return -1;
    qsort(out->v, out->n, sizeof *out->v, note_cmp);
    return 0;
}

/* ------------------------------------------------------------ keys -- */

static const char *const pc_names[12] = { "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B" };

/* A note letter with an optional # or b at s: its semitone above C (-1..12, B# = 12, Cb = -1) and
 * *rest after it; -99 if s does not start with a letter A-G (either case). */
static int parse_letter(const char *s, const char **rest)
{
    static const int letter[7] = { 9, 11, 0, 2, 4, 5, 7 };   /* A B C D E F G */
    char c = s[0];
    if (c >= 'a' && c <= 'g') c = (char)(c - 'a' + 'A');
    if (c < 'A' || c > 'G') return -99;
    int t = letter[c - 'A'];
    const char *r = s + 1;
    if (*r == '#') { t++; r++; } else if (*r == 'b') { t--; r++; }
    *rest = r;
    return t;
}

/* "C", "F#", "Bb", "Am", "C#min", "Eb major" -> tonic 0..11 and minor; -1 if not a key. */
static int parse_key(const char *s, int *tonic, int *minor)
{
    const char *r;
    int t = parse_letter(s, &r);
    if (t == -99) return -1;
    while (*r == ' ' || *r == ':') r++;
    if (!*r || !strcasecmp(r, "maj") || !strcasecmp(r, "major")) *minor = 0;
    else if (!strcmp(r, "m") || !strcasecmp(r, "min") || !strcasecmp(r, "minor")) *minor = 1;
    else return -1;
    *tonic = (t + 12) % 12;
    return 0;
}

/* The prompt's key (sw_compose_key_estimate on its pitch-class durations); tonic -1 if none. */
static void estimate_key(const note_list *l, int *tonic, int *minor)
{
    double h[12] = { 0 };
    for (size_t i = 0; i < l->n; i++) h[l->v[i].pitch % 12] += l->v[i].off_s - l->v[i].on_s;
    const int key = sw_compose_key_estimate(h);
    *tonic = key < 0 ? -1 : key % 12;
    *minor = key >= 12;
}

/* "60", "C4", "F#3", "Bb-1" -> MIDI note 0..127; -1 if not one. */
static int parse_note(const char *s, const char **end)
{
    char *e;
    long v;
    if (s[0] >= '0' && s[0] <= '9') {
        v = strtol(s, &e, 10);
    } else {
        const char *r;
        int t = parse_letter(s, &r);
        if (t == -99) return -1;
        long oct = strtol(r, &e, 10);
        if (e == r) return -1;
        v = (oct + 1) * 12 + t;
    }
    *end = e;
    return v >= 0 && v <= 127 ? (int)v : -1;
}

/* APP_OPT_FN for --range LO-HI into the sw_compose_limits dst: 0, or 1 if s is not a range. */
static int opt_range(const char *sub, const char *s, void *dst)
{
    (void)sub;
    sw_compose_limits *lim = dst;
    const char *e;
    int a = parse_note(s, &e);
    if (a < 0 || *e != '-') return 1;
    int b = parse_note(e + 1, &e);
    if (b < 0 || *e || b < a) return 1;
    lim->low = a;
    lim->high = b;
    return 0;
}

/* ------------------------------------------------------------ MIDI out -- */

static void put_vlq(FILE *o, uint32_t v)
{
    unsigned char t[5];
    int n = 0;
    t[4 - n++] = v & 0x7F;
    while ((v >>= 7)) t[4 - n++] = (unsigned char)(0x80 | (v & 0x7F));
    fwrite(t + 5 - n, 1, (size_t)n, o);
}

typedef struct { uint32_t tick; int on, pitch, vel; } midi_ev;

static int midi_ev_cmp(const void *a, const void *b)
{
    const midi_ev *x = a, *y = b;
    if (x->tick != y->tick) return x->tick < y->tick ? -1 : 1;
    if (x->on != y->on) return x->on - y->on;                 /* offs first */
    return x->pitch - y->pitch;
}

#define TPQ 480

/* Notes -> a format-0 file at `bpm` (ticks per quarter 480), written through a temp file next
 * to `path` (app_outfile, against `prot`) and renamed over it; -1 with a message on any error
 * (nothing is left behind). The track is built in memory first: its header holds its length. */
static int write_midi(const char *path, const sw_compose_note *v, size_t n, double bpm, const app_protect_set *prot)
{
    midi_ev *ev = malloc(sizeof *ev * (n ? 2 * n : 1));
    char *trk = NULL;
    size_t len = 0;
    FILE *o = ev ? open_memstream(&trk, &len) : NULL;
    app_outfile of = APP_OUTFILE_INIT;
    int rc = -1;
    if (!o) { app_err(SUB, "out of memory"); free(ev); return -1; }
    const double tps = bpm / 60.0 * TPQ;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = (uint32_t)llround(v[i].on_s * tps), b = (uint32_t)llround(v[i].off_s * tps);
        if (b <= a) b = a + 1;
        ev[2 * i] = (midi_ev){ a, 1, v[i].pitch, v[i].velocity };
        ev[2 * i + 1] = (midi_ev){ b, 0, v[i].pitch, 0 };
    }
    qsort(ev, 2 * n, sizeof *ev, midi_ev_cmp);
    const uint32_t us = (uint32_t)llround(60e6 / bpm);
    const unsigned char tempo[] = { 0x00, 0xFF, 0x51, 0x03, (unsigned char)(us >> 16), (unsigned char)(us >> 8),
                                    (unsigned char)us };
    const unsigned char name[] = { 0x00, 0xFF, 0x03, 9, 's', 't', 'a', 't', 'e', 'w', 'a', 'v', 'e' };
    fwrite(tempo, 1, sizeof tempo, o);
    fwrite(name, 1, sizeof name, o);
    uint32_t last = 0;
    for (size_t i = 0; i < 2 * n; i++) {
        put_vlq(o, ev[i].tick - last);
        last = ev[i].tick;
        unsigned char m[3] = { (unsigned char)(ev[i].on ? 0x90 : 0x80), (unsigned char)ev[i].pitch,
                               (unsigned char)(ev[i].on ? ev[i].vel : 64) };
        fwrite(m, 1, 3, o);
    }
    const unsigned char eot[] = { 0x00, 0xFF, 0x2F, 0x00 };
    fwrite(eot, 1, sizeof eot, o);
    if (fclose(o) != 0 || len > 0xFFFFFFFFu) { app_err(SUB, "out of memory"); goto out; }
    const unsigned char hdr[] = { 'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, TPQ >> 8, TPQ & 0xFF,
                                  'M', 'T', 'r', 'k', (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                                  (unsigned char)(len >> 8), (unsigned char)len };
    if (app_outfile_open(&of, SUB, path, path, NULL, prot) != 0)
        goto out;
    if (app_write_all(of.fd, hdr, sizeof hdr) != 0 || app_write_all(of.fd, trk, len) != 0) {
        app_err(SUB, "cannot write '%s': %s", path, strerror(errno));
        app_outfile_abort(&of);
        goto out;
    }
    rc = app_outfile_commit(&of, SUB, path);
out:
    free(ev);
    free(trk);
    return rc;
}

/* ------------------------------------------------------------ command -- */

int cmd_compose(int argc, char **argv)
{
    const char *out_path = NULL, *prompt_path = NULL, *model_path = NULL, *key_arg = NULL, *timbre = NULL,
               *midi_keep = NULL;
    double seconds = 20.0, bpm = 120.0, temperature = 1.0, top_p = 0.95, max_note = 8.0, prompt_s = 0.0;
    long bars = 0, meter = 4, voices = 0, density = 0;
    unsigned long long seed = 1;
    int only_new = 0, render = 0, dump = 0, quiet = 0;
    sw_compose_limits lim;
    sw_compose_limits_default(&lim);
    const app_opt opts[] = {
        { "output", 'o', APP_OPT_STR, .dst = &out_path },
        { "prompt", 'p', APP_OPT_STR, .dst = &prompt_path },
        { "prompt-seconds", 0, APP_OPT_DBL, .dst = &prompt_s, 1e-3, 3600.0 },
        { "seconds", 's', APP_OPT_DBL, .dst = &seconds, 1e-3, 3600.0 },
        { "bars", 0, APP_OPT_LONG, .dst = &bars, 1, 1000 },
        { "bpm", 0, APP_OPT_DBL, .dst = &bpm, 20.0, 400.0 },
        { "meter", 0, APP_OPT_LONG, .dst = &meter, 1, 16 },
        { "seed", 0, APP_OPT_U64, .dst = &seed },
        { "temperature", 't', APP_OPT_DBL, .dst = &temperature, 0.0, 10.0 },
        { "top-p", 'P', APP_OPT_DBL, .dst = &top_p, 1e-6, 1.0 },
        { "key", 0, APP_OPT_STR, .dst = &key_arg },
        { "range", 0, APP_OPT_FN, .dst = &lim, .fn = opt_range },
        { "max-voices", 0, APP_OPT_LONG, .dst = &voices, 1, 128 },
        { "density", 0, APP_OPT_LONG, .dst = &density, 1, 64 },
        { "max-note", 0, APP_OPT_DBL, .dst = &max_note, 0.0, 60.0 },
        { "model", 'm', APP_OPT_STR, .dst = &model_path },
        { "only-new", 0, APP_OPT_FLAG, .dst = &only_new },
        { "render", 0, APP_OPT_FLAG, .dst = &render },
        { "timbre", 0, APP_OPT_STR, .dst = &timbre },
        { "midi", 0, APP_OPT_STR, .dst = &midi_keep },
        { "dump-tokens", 0, APP_OPT_FLAG, .dst = &dump },
        { "quiet", 'q', APP_OPT_FLAG, .dst = &quiet },
        { "help", 'h', APP_OPT_HELP, .dst = (void *)help },
    };
    int parsed = app_parse_opts(SUB, argc, argv, opts, APP_NOPTS(opts), 0, 1);
    if (parsed >= 0)
        return parsed;
    if (dump && !prompt_path) { app_err(SUB, "--dump-tokens needs --prompt"); return SW_EXIT_USAGE; }
    if (!dump && !out_path) { app_err(SUB, "-o/--output is required"); return app_usage_hint(SUB); }
    if (!render && (timbre || midi_keep)) {
        app_err(SUB, "--timbre and --midi go with --render");
        return SW_EXIT_USAGE;
    }
    int tonic = -1, minor = 0, key_auto = 0;
    if (key_arg && strcmp(key_arg, "none") != 0) {
        if (!strcmp(key_arg, "auto")) {
            if (!prompt_path) { app_err(SUB, "--key auto needs --prompt"); return SW_EXIT_USAGE; }
            key_auto = 1;
        } else if (parse_key(key_arg, &tonic, &minor) != 0) {
            app_err(SUB, "bad key '%s' (for example C, F#, Bb, Am, C#m, auto, none)", key_arg);
            return SW_EXIT_USAGE;
        }
    }
    if (bars) seconds = (double)bars * (double)meter * 60.0 / bpm;

    app_protect_set prot = { 0 };
    if (out_path && (app_protect_add(&prot, SUB, prompt_path, "prompt") != 0 ||
                     app_protect_add(&prot, SUB, model_path, "model") != 0 ||
                     app_output_check(SUB, NULL, out_path, &prot) != 0 ||
                     (midi_keep && app_output_check(SUB, NULL, midi_keep, &prot) != 0))) {
        app_protect_free(&prot);
        return SW_EXIT_FAIL;
    }
    note_list prompt = { 0 }, out = { 0 };
    uint16_t *tok = NULL;
    sw_model *model = NULL;
    sw_composer *comp = NULL;
    int rc = SW_EXIT_FAIL;
    char err[512], used[PATH_MAX + 64], midi_tmp[PATH_MAX] = "";
    long n_tok = 0;
    double prompt_end = 0.0;

    if (prompt_path) {
        app_midi_song song;
        if (app_midi_load(prompt_path, &song, err, sizeof err) != 0) {
            app_err(SUB, "cannot read prompt '%s': %s", prompt_path, err);
            goto out;
        }
        int bad = song_notes(&song, &prompt);
        app_midi_free(&song);
        if (bad) { app_err(SUB, "out of memory (or more than %d notes) in '%s'", MAX_NOTES, prompt_path); goto out; }
        for (size_t i = 0; i < prompt.n; i++)
            if (prompt.v[i].off_s > prompt_end) prompt_end = prompt.v[i].off_s;
        if (prompt_s > 0.0 && prompt_end > prompt_s) {      /* keep the notes of the last prompt_s s */
            size_t k = 0;
            const double t0 = prompt_end - prompt_s;
            for (size_t i = 0; i < prompt.n; i++)
                if (prompt.v[i].on_s >= t0) {
                    prompt.v[k] = prompt.v[i];
                    prompt.v[k].on_s -= t0;
                    prompt.v[k].off_s -= t0;
                    k++;
                }
            prompt.n = k;
            prompt_end = prompt_s;
        }
        n_tok = sw_compose_encode(prompt.v, prompt.n, NULL, 0);
        if (n_tok < 0 || !(tok = malloc(sizeof *tok * (size_t)(n_tok ? n_tok : 1)))) {
            app_err(SUB, "out of memory");
            goto out;
        }
        sw_compose_encode(prompt.v, prompt.n, tok, (size_t)n_tok);
        if (dump) {
            for (long i = 0; i < n_tok; i++) printf(i ? " %u" : "%u", tok[i]);
            printf("\n");
            rc = fflush(stdout) == 0 ? SW_EXIT_OK : SW_EXIT_FAIL;
            goto out;
        }
        if (key_auto) estimate_key(&prompt, &tonic, &minor);
    }
    if (tonic >= 0) lim.scale = sw_compose_key_scale(tonic + 12 * minor);
    lim.max_voices = (int)voices;
    lim.max_notes_per_s = (float)density;
    lim.max_note_s = (float)max_note;

    if (app_load_model(SUB, &app_model_compose, model_path, &model, used, sizeof used) != 0) goto out;
    if (out_path && app_protect_add(&prot, SUB, used, "model") != 0) goto out;
    sw_status st = sw_composer_create(model, (uint64_t)seed, &comp, err, sizeof err);
    if (st != SW_OK) {
        app_err(SUB, "cannot create the composer from '%s': %s: %s", used, sw_status_str(st), err);
        goto out;
    }
    sw_composer_set_temperature(comp, (float)temperature);
    sw_composer_set_top_p(comp, (float)top_p);
    sw_composer_set_limits(comp, &lim);
    for (long i = 0; i < n_tok; i++) sw_composer_feed(comp, tok[i]);
    /* The prompt's tokens end at its last event; its end time is that of its last note-off. */
    const uint64_t start = sw_composer_clock(comp);
    const uint64_t stop = start + (uint64_t)llround(seconds / SW_COMPOSE_STEP_S);
    if (!only_new)
        for (size_t i = 0; i < prompt.n; i++)
            if (notes_push(&out, prompt.v[i].on_s, prompt.v[i].off_s, prompt.v[i].pitch, prompt.v[i].velocity)) {
                app_err(SUB, "out of memory");
                goto out;
            }
    const double shift_s = only_new ? (double)start * SW_COMPOSE_STEP_S : 0.0;
    double on_at[128];
    int vel[128], n_new = 0, n_forced = 0;
    long n_gen = 0;
    for (int p = 0; p < 128; p++) on_at[p] = -1.0;
    double t0 = app_now();
    while (sw_composer_clock(comp) < stop) {
        sw_compose_event e = sw_composer_next(comp);
        n_gen++;
        const double t = (double)sw_composer_clock(comp) * SW_COMPOSE_STEP_S - shift_s;
        if (e.kind == SW_COMPOSE_NOTE_ON) {
            if (on_at[e.pitch] >= 0.0 && notes_push(&out, on_at[e.pitch], t, e.pitch, vel[e.pitch])) break;
            on_at[e.pitch] = t;
            vel[e.pitch] = e.velocity;
            n_new++;
        } else if (e.kind == SW_COMPOSE_NOTE_OFF && on_at[e.pitch] >= 0.0) {
            if (notes_push(&out, on_at[e.pitch], t, e.pitch, vel[e.pitch])) break;
            on_at[e.pitch] = -1.0;
            n_forced += e.forced;
        }
    }
    const double gen_s = app_now() - t0;
    const double end_t = (double)stop * SW_COMPOSE_STEP_S - shift_s;
    for (int p = 0; p < 128; p++)     /* what still sounds ends with the piece */
        if (on_at[p] >= 0.0 && notes_push(&out, on_at[p], end_t > on_at[p] ? end_t : on_at[p] + 0.01, p, vel[p])) {
            app_err(SUB, "out of memory");
            goto out;
        }
    if (out.n == 0 && prompt.n == 0 && n_new == 0) app_warn(SUB, "the composer played no note in %.1f s", seconds);
    qsort(out.v, out.n, sizeof *out.v, note_cmp);

    const char *midi_path = out_path;
    if (render) {
        if (midi_keep) {
            midi_path = midi_keep;
        } else {
            if (snprintf(midi_tmp, sizeof midi_tmp, "%s.compose.mid", out_path) >= (int)sizeof midi_tmp) {
                app_err(SUB, "output path too long");
                goto out;
            }
            midi_path = midi_tmp;
        }
    }
    if (write_midi(midi_path, out.v, out.n, bpm, &prot) != 0) { midi_tmp[0] = 0; goto out; }
    if (!quiet) {
        char kb[16] = "none";
        if (tonic >= 0) snprintf(kb, sizeof kb, "%s%s", pc_names[tonic], minor ? "m" : "");
        fprintf(stderr, "model: %s\n", used);
        fprintf(stderr, "prompt: %zu notes, %.2f s, %ld events; key lock %s%s\n", prompt.n, prompt_end, n_tok, kb,
                key_auto ? " (estimated)" : "");
        fprintf(stderr, "composed: %d notes in %.2f s (%ld events, %.1f us per event%s), seed %llu, T %g, top-p %g\n",
                n_new, seconds, n_gen, n_gen ? 1e6 * gen_s / (double)n_gen : 0.0,
                n_forced ? ", some notes ended by --max-note" : "", seed, temperature, top_p);
    }
    if (render) {
        char *sargv[12];
        int k = 0;
        sargv[k++] = "synth";
        if (timbre) { sargv[k++] = "--timbre"; sargv[k++] = (char *)timbre; }
        if (quiet) sargv[k++] = "-q";
        sargv[k++] = "-o";
        sargv[k++] = (char *)out_path;
        sargv[k++] = (char *)midi_path;
        sargv[k] = NULL;
        rc = cmd_synth(k, sargv);
    } else {
        rc = SW_EXIT_OK;
    }
out:
    if (midi_tmp[0]) unlink(midi_tmp);
    sw_composer_destroy(comp);
    sw_model_free(model);
    free(tok);
    free(prompt.v);
    free(out.v);
    app_protect_free(&prot);
    return rc;
}
