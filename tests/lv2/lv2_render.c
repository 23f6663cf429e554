/* lv2_render.c — renders a fixed MIDI score through the bundle's instrument or generator
 * (build/statewave.lv2 of the current folder) and writes the raw float32 output, so that two
 * builds can be compared byte for byte (tools/compare_outputs.sh).
 *
 *   lv2_render synth|generate RATE BLOCK OUT.f32
 *
 * BLOCK is the host block size (0 = a fixed pseudo-random schedule of 1..1500 frames). The
 * synth plays its default timbre (left channel, then right, one after the other in OUT); the
 * generator plays with seed 5. Both scores use notes, velocity, the sustain pedal and, for the
 * synth, pitch bend, CC123 and CC120; the generator also follows time:Position. Exit status 0
 * on success, 1 on a usage or host error. */
#include "synthhost.h"

/* block sizes of the generator's "varying" schedule (a fixed LCG, as synthhost.h's) */
static uint32_t rnd(void)
{
    static uint32_t state = 4242;
    state = state * 1664525u + 1013904223u;
    return state >> 8;
}

static int write_all(const char *path, const float *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(x, sizeof *x, n, f) != n) {
        fprintf(stderr, "lv2_render: cannot write %s\n", path);
        if (f)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

static int render_synth(h_host *H, double rate, int bs, const char *out)
{
    sx *s = sx_new(H, true, rate, true);
    if (!s) {
        fprintf(stderr, "lv2_render: cannot instantiate the instrument\n");
        return 1;
    }
    lilv_instance_activate(s->inst);
    const size_t n = (size_t)(4.0 * rate), r = (size_t)rate;
    const ev score[] = {
        MIDI(r / 10, 0x90, 60, 100),     MIDI(r / 2, 0x90, 64, 80),     MIDI(r * 7 / 10, 0xB0, 64, 127),
        MIDI(r * 8 / 10, 0x80, 60, 0),   MIDI(r, 0x90, 67, 90),         MIDI(r * 12 / 10, 0xE0, 0, 80),
        MIDI(r * 14 / 10, 0xB0, 64, 0),  MIDI(r * 16 / 10, 0x90, 64, 0), CTL(r * 17 / 10, S_PITCH, 3.0f),
        MIDI(r * 2, 0x90, 72, 127),      MIDI(r * 22 / 10, 0xE0, 0, 64), CTL(r * 23 / 10, S_LEVEL, -6.0f),
        MIDI(r * 25 / 10, 0xB0, 123, 0), MIDI(r * 27 / 10, 0x90, 55, 70), MIDI(r * 3, 0xB0, 120, 0),
        MIDI(r * 32 / 10, 0x90, 57, 110), MIDI(r * 36 / 10, 0x80, 57, 0),
    };
    float *l = calloc(2 * n, sizeof(float));
    play(s, NULL, l, l + n, n, bs, score, (int)(sizeof score / sizeof score[0]));
    lilv_instance_deactivate(s->inst);
    sx_free(s);
    int rc = write_all(out, l, 2 * n);
    free(l);
    return rc;
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
    int rc = write_all(out, y, n);
    free(y);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "synth") && strcmp(argv[1], "generate"))) {
        fprintf(stderr, "usage: lv2_render synth|generate RATE BLOCK OUT.f32\n");
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
    int rc = !strcmp(argv[1], "synth") ? render_synth(&H, rate, bs, argv[4]) : render_generate(&H, rate, bs, argv[4]);
    h_host_free(&H);
    return rc;
}
