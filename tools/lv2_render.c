/* lv2_render.c — renders fixed scores through the bundle's plugins (build/statewave.lv2 of the
 * current folder) and writes the raw float32 output, so that two builds can be compared byte
 * for byte (tools/compare_outputs.sh).
 *
 *   lv2_render synth|synth-swap|generate|transfer|denoise RATE BLOCK OUT.f32
 *
 * BLOCK is the host block size (0 = a fixed pseudo-random schedule). synth: the default timbre
 * playing a MIDI score (notes, velocity, pedal, pitch bend, CC123, CC120, pitch and level
 * controls; left channel, then right, one after the other in OUT); synth-swap: the same with
 * the timbre control moved while notes sound (the worker loads the new timbre, crossfade).
 * generate: seed 5, notes, pedal, a second phrase and time:Position. transfer: a synthetic
 * melody through the transfer effect with a timbre change (crossfade) and a bypass on and off.
 * denoise (mono): a chirp with noise, mix and bypass changes, and a patch:Set of the default
 * model again (a second engine warms up and is crossfaded in). Every worker runs synchronously
 * right after run(), so each output is deterministic. Exit status 0 on success, 1 on a usage
 * or host error. */
#include "synthhost.h"

/* block sizes of the generator's "varying" schedule (a fixed LCG, as synthhost.h's) */
static uint32_t rnd(void)
{
    static uint32_t state = 4242;
    state = state * 1664525u + 1013904223u;
    return state >> 8;
}

/* Writes x; fails (after writing) when the render marked itself failed with a NaN first sample. */
static int write_all(const char *path, const float *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(x, sizeof *x, n, f) != n) {
        fprintf(stderr, "lv2_render: cannot write %s\n", path);
        if (f)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0 || isnan(x[0]);
}

/* write_all of the render's output y[n], then frees it and its input x (NULL: it had none). */
static int write_and_free(const char *path, float *y, size_t n, float *x)
{
    int rc = write_all(path, y, n);
    free(x);
    free(y);
    return rc;
}

/* A deterministic test input: a melody of sines with vibrato and a little noise. */
static float *melody(double rate, size_t n)
{
    float *x = malloc(n * sizeof *x);
    double ph = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate, f = 220.0 * pow(2.0, (double)((i / (size_t)(rate / 4)) % 5) / 12.0);
        ph += 2 * M_PI * f * (1.0 + 0.01 * sin(2 * M_PI * 5 * t)) / rate;
        x[i] = (float)(0.3 * sin(ph) * (0.6 + 0.4 * sin(2 * M_PI * 0.7 * t)) + 0.01 * ((rnd() % 2001) / 1000.0 - 1.0));
    }
    return x;
}

/* The instrument (synth) or the transfer effect, instantiated with its worker and activated;
 * NULL after saying so. */
static sx *sx_start(h_host *H, bool synth, double rate)
{
    sx *s = sx_new(H, synth, rate, true);
    if (!s) {
        fprintf(stderr, "lv2_render: cannot instantiate the %s\n", synth ? "instrument" : "transfer effect");
        return NULL;
    }
    lilv_instance_activate(s->inst);
    return s;
}

static int render_transfer(h_host *H, double rate, int bs, const char *out)
{
    sx *s = sx_start(H, false, rate);
    if (!s) return 1;
    const size_t n = (size_t)(3.0 * rate), r = (size_t)rate;
    const ev score[] = {CTL(r / 2, T_HARM, 1.5f), CTL(r, T_TIMBRE, 1.0f), CTL(r * 18 / 10, T_ENABLED, 0.0f),
                        CTL(r * 22 / 10, T_ENABLED, 1.0f), CTL(r * 25 / 10, T_LEVEL, -3.0f)};
    float *x = melody(rate, n), *y = calloc(n, sizeof(float));
    play(s, x, y, NULL, n, bs, score, (int)(sizeof score / sizeof score[0]));
    if (!strstr(s->notified, "flute")) {
        fprintf(stderr, "lv2_render: the timbre swap did not complete (model '%s')\n", s->notified);
        y[0] = NAN;
    }
    lilv_instance_deactivate(s->inst);
    sx_free(s);
    return write_and_free(out, y, n, x);
}

static int render_denoise(h_host *H, double rate, int bs, const char *out)
{
    h_inst *hi = h_inst_new(H, false, rate, true, true);
    if (!hi) {
        fprintf(stderr, "lv2_render: cannot instantiate the denoiser\n");
        return 1;
    }
    lilv_instance_activate(hi->inst);
    char model[PATH_MAX + 64];
    snprintf(model, sizeof model, "%s/denoise.safetensors", H->bundle_abs);
    const size_t n = (size_t)(3.0 * rate);
    float *x = malloc(n * sizeof *x), *y = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) /* a chirp plus noise: energy in every band */
        x[i] = 0.3f * sinf(0.0002f * (float)i * (float)i / 48.0f) + 0.05f * (float)(rnd() % 1000) / 1000.0f;
    size_t pos = 0;
    while (pos < n) {
        uint32_t b = bs > 0 ? (uint32_t)bs : 1 + rnd() % 1500;
        if (b > n - pos)
            b = (uint32_t)(n - pos);
        double t = (double)pos / rate;
        hi->ctl[P_MIX] = t < 0.5 ? 1.0f : 0.7f;
        hi->ctl[P_LIMIT] = t < 0.8 ? 100.0f : 20.0f;
        hi->ctl[P_ENABLED] = t >= 2.2 && t < 2.6 ? 0.0f : 1.0f;
        if (pos <= (size_t)rate && (size_t)rate < pos + b)
            h_send_patch(hi, model); /* the same file again: a fresh engine, crossfaded in */
        const float *ip[1] = {x + pos};
        float *op[1] = {y + pos};
        h_cycle(hi, ip, op, b);
        pos += b;
    }
    if (hi->n_notify < 2) { /* the model at activation, then the swapped one */
        fprintf(stderr, "lv2_render: the model swap did not complete\n");
        y[0] = NAN;
    }
    lilv_instance_deactivate(hi->inst);
    h_inst_free(hi);
    return write_and_free(out, y, n, x);
}

static int render_synth(h_host *H, double rate, int bs, const char *out, bool swap)
{
    sx *s = sx_start(H, true, rate);
    if (!s) return 1;
    const size_t n = (size_t)(4.0 * rate), r = (size_t)rate;
    const ev score[] = {
        MIDI(r / 10, 0x90, 60, 100),     MIDI(r / 2, 0x90, 64, 80),     MIDI(r * 7 / 10, 0xB0, 64, 127),
        MIDI(r * 8 / 10, 0x80, 60, 0),   MIDI(r, 0x90, 67, 90),         MIDI(r * 12 / 10, 0xE0, 0, 80),
        MIDI(r * 14 / 10, 0xB0, 64, 0),  MIDI(r * 16 / 10, 0x90, 64, 0), CTL(r * 17 / 10, S_PITCH, 3.0f),
        MIDI(r * 2, 0x90, 72, 127),      MIDI(r * 22 / 10, 0xE0, 0, 64), CTL(r * 23 / 10, S_LEVEL, -6.0f),
        MIDI(r * 25 / 10, 0xB0, 123, 0), MIDI(r * 27 / 10, 0x90, 55, 70), MIDI(r * 3, 0xB0, 120, 0),
        MIDI(r * 32 / 10, 0x90, 57, 110), MIDI(r * 36 / 10, 0x80, 57, 0),
    };
    const ev swaps[] = {CTL(r * 11 / 10, S_TIMBRE, 1.0f), CTL(r * 21 / 10, S_TIMBRE, 2.0f)};
    ev all[sizeof score / sizeof score[0] + 2];
    int na = 0;
    for (size_t i = 0, j = 0; i < sizeof score / sizeof score[0] || (swap && j < 2);) /* merge by time */
        all[na++] = (!swap || j >= 2 || (i < sizeof score / sizeof score[0] && score[i].at <= swaps[j].at))
                        ? score[i++] : swaps[j++];
    float *l = calloc(2 * n, sizeof(float));
    play(s, NULL, l, l + n, n, bs, all, na);
    if (swap && !strstr(s->notified, "trumpet")) { /* the swaps must have happened */
        fprintf(stderr, "lv2_render: the timbre swaps did not complete (model '%s')\n", s->notified);
        l[0] = NAN;
    }
    lilv_instance_deactivate(s->inst);
    sx_free(s);
    return write_and_free(out, l, 2 * n, NULL);
}

static int render_generate(h_host *H, double rate, int bs, const char *out)
{
    h_gen *g = h_gen_new(H, rate, true);
    if (!g) {
        fprintf(stderr, "lv2_render: cannot instantiate the generator\n");
        return 1;
    }
    g->ctl[G_SEED] = 5.0f;
    g->ctl[G_TRANSPORT] = 1.0f;
    const size_t n = (size_t)(3.0 * rate);
    float *y = calloc(n, sizeof(float));
    size_t pos = 0;
    for (int cycle = 0; pos < n; cycle++) {
        uint32_t b = bs > 0 ? (uint32_t)bs : 1 + rnd() % 1500;
        if (b > n - pos)
            b = (uint32_t)(n - pos);
        /* events at frames fixed relative to the stream: a note, a softer one over it, the
         * pedal, releases, a second phrase, the transport rolling and stopping */
        const size_t at[] = {n / 30, n / 6, n / 5, n * 2 / 5, n / 2, n * 3 / 5, n * 7 / 10, n * 4 / 5,
                             n / 10, n * 3 / 20};
        for (int e = 0; e < 10; e++) {
            if (at[e] < pos || at[e] >= pos + b)
                continue;
            uint32_t f = (uint32_t)(at[e] - pos);
            switch (e) {
            case 0: h_gen_note(g, f, 60, 100); break;
            case 1: h_gen_midi(g, f, 0xB0, 64, 127); break;
            case 2: h_gen_note(g, f, 60, 0); break;
            case 3: h_gen_midi(g, f, 0xB0, 64, 0); break; /* fade out, idle */
            case 4: h_gen_note(g, f, 62, 64); break;      /* a new phrase from the seed */
            case 5: h_gen_note(g, f, 62, 0); break;
            case 6: h_gen_position(g, f, 1.0f); break;
            case 7: h_gen_position(g, f, 0.0f); break;
            case 8: h_gen_note(g, f, 64, 40); break; /* a softer note: the gain ramps down */
            default: h_gen_note(g, f, 64, 0); break;
            }
        }
        h_gen_cycle(g, y + pos, b);
        pos += b;
    }
    h_gen_free(g);
    return write_and_free(out, y, n, NULL);
}

int main(int argc, char **argv)
{
    static const char *const modes[] = {"synth", "synth-swap", "generate", "transfer", "denoise"};
    int mode = -1;
    for (int i = 0; i < 5 && argc == 5; i++)
        if (!strcmp(argv[1], modes[i]))
            mode = i;
    if (mode < 0) {
        fprintf(stderr, "usage: lv2_render synth|synth-swap|generate|transfer|denoise RATE BLOCK OUT.f32\n");
        return 1;
    }
    h_host H;
    if (h_host_init(&H) != 0) {
        fprintf(stderr, "lv2_render: cannot load %s\n", H_BUNDLE_DIR);
        return 1;
    }
    H.log.quiet = true;
    double rate = atof(argv[2]);
    int bs = atoi(argv[3]);
    int rc = mode <= 1   ? render_synth(&H, rate, bs, argv[4], mode == 1)
             : mode == 2 ? render_generate(&H, rate, bs, argv[4])
             : mode == 3 ? render_transfer(&H, rate, bs, argv[4])
                         : render_denoise(&H, rate, bs, argv[4]);
    h_host_free(&H);
    return rc;
}
