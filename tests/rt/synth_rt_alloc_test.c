/* synth_rt_alloc_test.c — proves that the PortAudio callback of `statewave synth --live`
 * (the stream runner's app_stream_callback in app/stream_rt.c around app_synth_block in
 * app/synth_rt.c: the song player, event application and the instrument's sw_synth_process)
 * is real-time safe, and that it plays exactly what the file
 * render plays.
 *
 * The binary defines malloc & co. and pthread_mutex_lock/trylock itself (tests/common/rt_interpose.h),
 * so every allocation or lock anywhere in the process is counted while the callback runs. The
 * callback is driven as PortAudio would: real MIDI files (argv), block sizes from 1 to 4096
 * frames and varying from call to call, mono and stereo devices, several rates, xrun flags.
 * Checks per configuration:
 *   - zero allocations, frees and locks inside the callback;
 *   - every event applied, the song's end detected (done_at), both channels identical;
 *   - channel 0 equals the file render of the same song (the player driven in 1024-sample
 *     blocks, as `synth -o` does, on a second synth made the same way): the event positions
 *     do not depend on how the host cuts the stream into blocks.
 * A self-check first verifies that the interposer sees allocations. Skipped under ASan.
 *
 * usage: synth_rt_alloc_test MODEL MIDI [MIDI...] */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midifile.h"
#include "statewave.h"
#include "stream_rt.h"
#include "synth_rt.h"

#include "rt_interpose.h"

#ifndef RT_INTERPOSE_UNDER_ASAN
static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL: " __VA_ARGS__);                                                          \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define MAX_BLOCK 4096

/* The file render: the player in 1024-sample blocks until the song is over, as synth.c does.
 * Returns a malloc'ed buffer of *n samples (not counted). */
static float *render_file(const sw_model *model, const app_midi_song *song, double rate, int voices,
                          size_t *n)
{
    char err[256];
    sw_synth *s = NULL;
    if (sw_synth_create(model, rate, voices, &s, err, sizeof err) != SW_OK) {
        printf("FAIL: sw_synth_create: %s\n", err);
        return NULL;
    }
    sw_synth_warm_up(s, rate, voices);
    app_synth_player pl;
    app_synth_player_init(&pl, s, song, rate, 5.0, app_synth_quiet_s(0.0));
    size_t cap = (size_t)(rate * (song->last_event_s + 7.0)), len = 0;
    float *y = malloc(cap * sizeof *y);
    while (y && !pl.done && len + 1024 <= cap) {
        app_synth_player_render(&pl, y + len, 1024);
        len += 1024;
    }
    sw_synth_destroy(s);
    *n = len;
    return y;
}

static void run_case(const sw_model *model, const app_midi_song *song, const char *name, double rate,
                     int channels, int voices)
{
    char err[256];
    size_t n_ref = 0;
    float *ref = render_file(model, song, rate, voices, &n_ref);
    if (!ref)
        return;
    sw_synth *s = NULL;
    if (sw_synth_create(model, rate, voices, &s, err, sizeof err) != SW_OK) {
        printf("FAIL: sw_synth_create: %s\n", err);
        free(ref);
        return;
    }
    sw_synth_warm_up(s, rate, voices);
    app_synth_rt *sy = calloc(1, sizeof *sy);
    app_stream_rt *rt = calloc(1, sizeof *rt);
    float *out0 = malloc(MAX_BLOCK * sizeof(float)), *out1 = malloc(MAX_BLOCK * sizeof(float));
    float *got = malloc(n_ref * sizeof(float));
    app_synth_rt_init(sy, s, song, rate, 5.0, app_synth_quiet_s(0.0));
    app_stream_rt_init(rt, app_synth_block, sy, 1, channels);
    float *bufs[2] = { out0, out1 };
    static const unsigned long sizes[] = { 1, 7, 64, 256, 1000, 4096, 33, 512, 2, 1023, 4095, 128 };
    long allocs0 = rt_allocs, frees0 = rt_frees, locks0 = rt_locks;
    size_t pos = 0;
    int ch_diff = 0;
    unsigned long k = 0;
    while (pos < n_ref) {
        unsigned long fr = sizes[k % (sizeof sizes / sizeof sizes[0])];
        if (fr > n_ref - pos)
            fr = (unsigned long)(n_ref - pos);
        PaStreamCallbackFlags fl = (k % 97 == 5) ? paOutputUnderflow : 0;
        rt_counting = 1;
        app_stream_callback(NULL, bufs, fr, NULL, fl, rt);
        rt_counting = 0;
        memcpy(got + pos, out0, fr * sizeof(float));
        if (channels == 2 && memcmp(out0, out1, fr * sizeof(float)) != 0)
            ch_diff = 1;
        pos += fr;
        k++;
    }
    /* The end of the song is found on whole blocks (no voice sounding after a block, then quiet
     * samples), so with other block sizes than the file render's 1024 it may come up to a block
     * later: play on, past the compared part, until it is found or a largest block has passed. */
    const unsigned long k_compared = k; /* callbacks over the compared part (xrun flags set there) */
    while (atomic_load(&sy->done_at) == 0 && pos < n_ref + MAX_BLOCK) {
        unsigned long fr = sizes[k % (sizeof sizes / sizeof sizes[0])];
        rt_counting = 1;
        app_stream_callback(NULL, bufs, fr, NULL, 0, rt);
        rt_counting = 0;
        pos += fr;
        k++;
    }
    long allocs = rt_allocs - allocs0, frees = rt_frees - frees0, locks = rt_locks - locks0;
    double maxd = 0.0, peak = 0.0;
    for (size_t i = 0; i < n_ref; i++) {
        double d = fabs((double)got[i] - ref[i]);
        if (d > maxd)
            maxd = d;
        if (fabs(ref[i]) > peak)
            peak = fabs(ref[i]);
    }
    unsigned long long ev = atomic_load(&sy->events_done), done_at = atomic_load(&sy->done_at);
    printf("%s @ %.0f Hz, %d ch, %d voices: %lu callbacks, %zu frames, events %llu/%zu, song over at "
           "%llu; allocs %ld, frees %ld, locks %ld; vs file render: max |diff| %.3g (peak %.3f)\n",
           name, rate, channels, voices, k, n_ref, ev, song->n, done_at, allocs, frees, locks, maxd, peak);
    CHECK(allocs == 0 && frees == 0 && locks == 0, "%s @ %.0f Hz: the callback allocated/freed/locked (%ld/%ld/%ld)",
          name, rate, allocs, frees, locks);
    CHECK(ev == song->n, "%s @ %.0f Hz: %llu of %zu events applied", name, rate, ev, song->n);
    CHECK(done_at > 0 && done_at <= n_ref + MAX_BLOCK, "%s @ %.0f Hz: song end at %llu (file render %zu)", name,
          rate, done_at, n_ref);
    CHECK(!ch_diff, "%s @ %.0f Hz: the two channels differ", name, rate);
    CHECK(peak > 1e-3, "%s @ %.0f Hz: the file render is silent", name, rate);
    CHECK(maxd <= 1e-5 * (peak > 1.0 ? peak : 1.0), "%s @ %.0f Hz: the callback's output differs from the file "
          "render by %.3g", name, rate, maxd);
    CHECK(atomic_load(&rt->xrun_callbacks) == (k_compared + 91) / 97, "%s: xrun flags counted %llu", name,
          (unsigned long long)atomic_load(&rt->xrun_callbacks));
    free(got);
    free(out0);
    free(out1);
    free(rt);
    free(sy);
    free(ref);
    sw_synth_destroy(s);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL MIDI [MIDI...]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    rt_counting = 1;
    void *volatile p = malloc(32);
    void *volatile q = calloc(4, 8);
    free(p);
    free(q);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    rt_counting = 0;
    if (rt_allocs != 2 || rt_frees != 2 || rt_locks != 1) {
        printf("FAIL: interposer self-check: %ld allocs, %ld frees, %ld locks (want 2, 2, 1)\n", rt_allocs,
               rt_frees, rt_locks);
        return 1;
    }
    char err[512];
    sw_model *model = NULL;
    if (sw_model_load_file(argv[1], &model, err, sizeof err) != SW_OK) {
        printf("FAIL: cannot load model '%s': %s\n", argv[1], err);
        return 1;
    }
    for (int a = 2; a < argc; a++) {
        app_midi_song song;
        if (app_midi_load(argv[a], &song, err, sizeof err) != 0) {
            printf("FAIL: cannot load '%s': %s\n", argv[a], err);
            failures++;
            continue;
        }
        const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
        run_case(model, &song, name, 48000, 2, 16);
        run_case(model, &song, name, 44100, 1, 16);
        run_case(model, &song, name, 48000, 2, 3); /* voice stealing */
        if (song.last_event_s < 10.0) {
            run_case(model, &song, name, 22050, 2, 16);
            run_case(model, &song, name, 96000, 2, 16);
        }
        app_midi_free(&song);
    }
    sw_model_free(model);
    if (failures) {
        printf("FAIL: synth_rt_alloc_test: %d check(s) failed\n", failures);
        return 1;
    }
    printf("PASS: synth_rt_alloc_test: the synth --live callback made no allocation, took no lock, and "
           "played what the file render plays\n");
    return 0;
}
#else
int main(void)
{
    printf("SKIP: synth_rt_alloc_test: built with AddressSanitizer (it replaces malloc)\n");
    return 0;
}
#endif
