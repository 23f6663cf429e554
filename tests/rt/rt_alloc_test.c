/* rt_alloc_test.c — proves that the PortAudio callbacks of `statewave live` (the stream
 * runner's app_stream_callback in app/stream_rt.c around sw_live_block in app/live_rt.c, and
 * the engine it calls) and of `statewave generate --live` (the same trampoline around
 * sw_gen_block in app/generate_rt.c; with sw_gen_stream, the generator and libsamplerate's
 * src_process, on the producer side) are real-time safe: no heap allocation, no mutex locking.
 *
 * This binary defines malloc/calloc/realloc/free/posix_memalign/aligned_alloc/memalign/
 * valloc and pthread_mutex_lock/trylock itself (tests/common/rt_interpose.h). Symbols in the
 * executable take precedence over libc's for every caller (FFTW, libstatewave, libc
 * internals that go through the PLT), so each call is counted while `rt_counting` is set,
 * and forwarded to glibc's __libc_* (or the next pthread definition). The callback is then driven directly, as PortAudio would,
 * with a real recording (argv[2]) split into blocks of many sizes, for mono and stereo,
 * mono-to-stereo output, several rates, parameter changes through the atomics, xrun flags,
 * bypass, a missing input buffer and non-finite input samples. Any counted call inside
 * the callback fails the test.
 *
 * The generate callback is driven the same way at device rates from 8 to 96 kHz (the model
 * rate itself included, where no converter is used), mono and stereo, in blocks of 1 to
 * 4096 frames, after the same warm-up the app does (sw_gen_stream_create's), with the
 * render-ahead ring topped up by sw_gen_rt_fill (the rendering thread's work: sw_gen_stream,
 * also counted) before every other callback. Besides counting allocations it
 * checks what came out: at the model rate, bit-identical to a fresh generator's render for
 * the seed; elsewhere, the same as one src_process call over that whole render (so no
 * block was dropped, repeated or misplaced by the ring); plus counters and RMS. Then the
 * ring is left to run dry: the callback must play what was left, then silence, count the
 * starved frames and return at once.
 *
 * A self-check first verifies that the interposer really sees allocations (so the test
 * cannot pass just because interposition silently failed). Skipped under ASan, whose own
 * allocator replaces these functions.
 *
 * usage: rt_alloc_test MODEL.safetensors SPEECH_FILE [GENERATE_MODEL.safetensors] */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <samplerate.h>
#include <sndfile.h>

#include "generate_rt.h"
#include "live_rt.h"
#include "statewave.h"
#include "stream_rt.h"

#include "rt_interpose.h"

#ifndef RT_INTERPOSE_UNDER_ASAN
/* ------------------------------------------------------------------ test -- */
static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            printf("FAIL: " __VA_ARGS__);                                                          \
            printf("\n");                                                                          \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

/* Mono speech from a real recording, repeated to `n` samples (prepared outside counting). */
static float *load_speech(const char *path, size_t n)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        printf("FAIL: cannot open '%s': %s\n", path, sf_strerror(NULL));
        return NULL;
    }
    float *tmp = malloc(sizeof(float) * (size_t)info.frames * (size_t)info.channels);
    float *x = malloc(sizeof(float) * n);
    sf_count_t got = tmp ? sf_readf_float(f, tmp, info.frames) : 0;
    sf_close(f);
    if (!x || got <= 0) {
        printf("FAIL: cannot read '%s'\n", path);
        free(tmp);
        free(x);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = tmp[((sf_count_t)i % got) * info.channels];
    free(tmp);
    return x;
}

/* One configuration: drive the callback over `total` frames of speech in varied blocks. */
static void run_case(const sw_model *model, const float *speech, size_t total, double rate,
                     int channels, int out_channels)
{
    char err[256];
    sw_denoiser *dn = NULL;
    sw_status st = sw_denoiser_create(model, rate, channels, &dn, err, sizeof err);
    CHECK(st == SW_OK, "denoiser_create(%.0f, %d): %s", rate, channels, err);
    if (st != SW_OK)
        return;
    sw_live_rt *lv = malloc(sizeof *lv);
    app_stream_rt *rt = malloc(sizeof *rt);
    sw_live_rt_init(lv, dn, channels, 1.0f, 100.0f);
    app_stream_rt_init(rt, sw_live_block, lv, channels, out_channels);

    /* Host buffers, as PortAudio hands them over (planar, paNonInterleaved). */
    enum { MAXB = 4096 };
    float *inb[2], *outb[2];
    for (int c = 0; c < 2; c++) {
        inb[c] = malloc(sizeof(float) * MAXB);
        outb[c] = malloc(sizeof(float) * MAXB);
    }
    static const unsigned long sizes[] = { 256, 64, 1, 480, 1000, 4096, 17, 128, 512, 2048, 333 };
    const size_t nsizes = sizeof sizes / sizeof sizes[0];
    size_t pos = 0, calls = 0;
    double in_energy = 0, out_energy = 0;
    int finite = 1;
    long allocs0 = rt_allocs, frees0 = rt_frees, locks0 = rt_locks;
    unsigned long long expect_frames = 0;
    while (pos < total) {
        unsigned long fr = sizes[calls % nsizes];
        if (fr > total - pos)
            fr = (unsigned long)(total - pos);
        for (int c = 0; c < channels; c++)
            for (unsigned long i = 0; i < fr; i++)
                inb[c][i] = speech[pos + i] * (c ? 0.5f : 1.0f);
        if (calls == 7) /* engine must survive non-finite input */
            inb[0][0] = NAN, inb[channels - 1][fr > 1 ? 1 : 0] = INFINITY;
        const void *in = inb;
        if (calls == 9)
            in = NULL; /* host with no input buffer this time */
        PaStreamCallbackFlags flags = 0;
        if (calls == 5)
            flags = paInputOverflow | paOutputUnderflow;
        if (calls == 11)
            flags = paPrimingOutput;
        /* Main thread requests while "running". */
        if (calls == 20)
            sw_live_rt_set_mix(lv, 0.5f);
        if (calls == 30)
            sw_live_rt_set_limit_db(lv, 12.0f);
        if (calls == 40)
            atomic_store(&lv->bypass, 1);
        if (calls == 45)
            atomic_store(&lv->bypass, 0);
        if (calls == 50)
            sw_live_rt_set_mix(lv, 1.0f), sw_live_rt_set_limit_db(lv, 100.0f);

        PaStreamCallbackTimeInfo ti = { 0, 0, 0 };
        rt_counting = 1;
        int r = app_stream_callback(in, (void *)outb, fr, &ti, flags, rt);
        rt_counting = 0;
        CHECK(r == paContinue, "callback returned %d", r);

        for (int c = 0; c < out_channels; c++)
            for (unsigned long i = 0; i < fr; i++) {
                float v = outb[c][i];
                if (!isfinite(v))
                    finite = 0;
                if (c == 0 && calls > 60)
                    out_energy += (double)v * v;
            }
        if (out_channels > channels)
            CHECK(!memcmp(outb[out_channels - 1], outb[channels - 1], fr * sizeof(float)),
                  "extra output channel is not a copy");
        if (calls > 60)
            for (unsigned long i = 0; i < fr; i++)
                in_energy += (double)inb[0][i] * inb[0][i];
        expect_frames += fr;
        pos += fr;
        calls++;
    }
    long allocs = rt_allocs - allocs0, frees = rt_frees - frees0, locks = rt_locks - locks0;
    CHECK(allocs == 0 && frees == 0 && locks == 0,
          "%.0f Hz %d->%d ch: %ld allocations, %ld frees, %ld mutex locks in %zu callbacks", rate,
          channels, out_channels, allocs, frees, locks, calls);
    CHECK(finite, "%.0f Hz %d ch: non-finite output", rate, channels);
    CHECK(atomic_load(&rt->callbacks) == calls, "callback counter %llu != %zu",
          (unsigned long long)atomic_load(&rt->callbacks), calls);
    CHECK(atomic_load(&rt->frames) == expect_frames, "frame counter %llu != %llu",
          (unsigned long long)atomic_load(&rt->frames), expect_frames);
    CHECK(atomic_load(&rt->xrun_callbacks) == 1 && atomic_load(&rt->in_overflow) == 1 &&
              atomic_load(&rt->out_underflow) == 1,
          "xrun counters wrong (xruns %llu)", (unsigned long long)atomic_load(&rt->xrun_callbacks));
    CHECK(atomic_load(&lv->no_input) == 1, "no-input counter wrong");
    /* The engine really ran: a denoiser changes speech+silence material; output not silent. */
    CHECK(out_energy > 0.0 && in_energy > 0.0, "%.0f Hz %d ch: silent output", rate, channels);
    printf("%s: %.0f Hz, %d in -> %d out: %zu callbacks, %llu frames, %ld allocations, %ld locks\n",
           (allocs || frees || locks) ? "FAIL" : "ok", rate, channels, out_channels, calls,
           expect_frames, allocs, locks);
    for (int c = 0; c < 2; c++) {
        free(inb[c]);
        free(outb[c]);
    }
    free(rt);
    free(lv);
    sw_denoiser_destroy(dn);
}

/* One generate configuration: the callback at `rate` with `out_channels`, for `total`
 * device frames in varied blocks, against an offline reference made outside counting. */
static void run_gen_case(const sw_model *gm, double rate, int out_channels, size_t total)
{
    char err[256];
    const uint64_t seed = 11;
    sw_generator *gen = NULL, *ref = NULL;
    sw_status st = sw_generator_create(gm, seed, &gen, err, sizeof err);
    CHECK(st == SW_OK, "generator_create: %s", err);
    if (st != SW_OK)
        return;
    sw_generator_create(gm, seed, &ref, err, sizeof err);
    const int mrate = sw_generator_sample_rate(gen);
    const double ratio = rate / mrate;
    const int src = rate != mrate; /* a converter in the stream */
    sw_gen_stream *stream = NULL;  /* as the app makes it: warms up, then resets gen */
    st = sw_gen_stream_create(gen, rate, &stream, err, sizeof err);
    CHECK(st == SW_OK, "sw_gen_stream_create: %s", err);
    if (st != SW_OK)
        return;
    sw_gen_rt *g = malloc(sizeof *g);
    app_stream_rt *rt = malloc(sizeof *rt);
    const size_t ring_cap = sw_gen_rt_ring_frames(rate);
    float *ring = calloc(ring_cap, sizeof *ring);
    sw_gen_rt_init(g, stream, ring, ring_cap);
    app_stream_rt_init(rt, sw_gen_block, g, 1, out_channels);
    sw_gen_rt_fill(g); /* as the app does before the stream starts */

    /* Reference: a fresh generator's render (more than the callback can consume), then
     * the whole of it through a fresh converter of the same type in one call. */
    enum { CHUNK = 512 }; /* the stream's FIFO: model samples rendered at a time at most */
    size_t nref = (size_t)((double)(total + ring_cap) / ratio) + 2 * CHUNK + 4096;
    float *model_audio = malloc(sizeof(float) * nref);
    float *want = malloc(sizeof(float) * (total + 1));
    sw_generator_render(ref, model_audio, nref);
    size_t nwant = total;
    if (src) {
        int e = 0;
        SRC_STATE *s2 = src_new(SRC_SINC_MEDIUM_QUALITY, 1, &e); /* sw_gen_stream's converter */
        SRC_DATA d = { .data_in = model_audio, .input_frames = (long)nref, .data_out = want,
                       .output_frames = (long)total, .end_of_input = 0, .src_ratio = ratio };
        e = src_process(s2, &d);
        CHECK(e == 0, "reference src_process: %s", src_strerror(e));
        nwant = (size_t)d.output_frames_gen;
        src_delete(s2);
    } else {
        memcpy(want, model_audio, sizeof(float) * total);
    }

    enum { MAXB = 4096 };
    float *outb[2], *got = malloc(sizeof(float) * total);
    for (int c = 0; c < 2; c++)
        outb[c] = malloc(sizeof(float) * MAXB);
    static const unsigned long sizes[] = { 256, 64, 1, 480, 1000, 4096, 17, 128, 512, 2048, 333, 1024 };
    const size_t nsizes = sizeof sizes / sizeof sizes[0];
    size_t pos = 0, calls = 0;
    int copies_ok = 1;
    long allocs0 = rt_allocs, frees0 = rt_frees, locks0 = rt_locks;
    while (pos < total) {
        unsigned long fr = sizes[calls % nsizes];
        if (fr > total - pos)
            fr = (unsigned long)(total - pos);
        PaStreamCallbackFlags flags = calls == 5 ? paOutputUnderflow : calls == 9 ? paPrimingOutput : 0;
        PaStreamCallbackTimeInfo ti = { 0, 0, 0 };
        rt_counting = 1;
        if (calls % 2 == 0)
            sw_gen_rt_fill(g);
        int r = app_stream_callback(NULL, (void *)outb, fr, &ti, flags, rt);
        rt_counting = 0;
        CHECK(r == paContinue, "gen callback returned %d", r);
        memcpy(got + pos, outb[0], fr * sizeof(float));
        if (out_channels == 2 && memcmp(outb[0], outb[1], fr * sizeof(float)))
            copies_ok = 0;
        pos += fr;
        calls++;
    }
    long allocs = rt_allocs - allocs0, frees = rt_frees - frees0, locks = rt_locks - locks0;
    CHECK(allocs == 0 && frees == 0 && locks == 0,
          "generate %.0f Hz, %d ch: %ld allocations, %ld frees, %ld mutex locks in %zu callbacks", rate,
          out_channels, allocs, frees, locks, calls);
    CHECK(copies_ok, "generate %.0f Hz: channel 2 is not a copy of channel 1", rate);

    /* Output vs reference over the frames both have. */
    size_t n = nwant < total ? nwant : total;
    double ss = 0, dd = 0, maxd = 0;
    for (size_t i = 0; i < n; i++) {
        double dv = (double)got[i] - want[i];
        ss += (double)want[i] * want[i];
        dd += dv * dv;
        if (fabs(dv) > maxd)
            maxd = fabs(dv);
    }
    double snr = 10.0 * log10((ss + 1e-30) / (dd + 1e-30));
    if (!src)
        CHECK(n == total && maxd == 0.0, "generate at the model rate: output differs from a fresh "
                                         "generator's render (max diff %g)", maxd);
    else
        CHECK(n + 64 >= total && snr >= 90.0, "generate %.0f Hz: output vs one-call resampling of the "
              "same render: %.1f dB over %zu of %zu frames (max diff %g)", rate, snr, n, total, maxd);
    double gss = 0;
    for (size_t i = 0; i < total; i++)
        gss += (double)got[i] * got[i];
    double rms = sqrt(gss / (double)total);
    CHECK(rms > 0.005 && fabs(app_stream_rt_rms(rt) - rms) <= 1e-6 * rms + 1e-9,
          "generate %.0f Hz: RMS %g (rt says %g)", rate, rms, app_stream_rt_rms(rt));
    unsigned long long rendered = atomic_load(&g->rendered);
    CHECK(atomic_load(&rt->frames) == total && atomic_load(&rt->callbacks) == calls &&
              atomic_load(&rt->xrun_callbacks) == 1 && atomic_load(&rt->out_underflow) == 1 &&
              atomic_load(&g->src_errors) == 0 && atomic_load(&g->starved) == 0,
          "generate %.0f Hz: counters frames %llu/%zu callbacks %llu/%zu xruns %llu src_errors %llu "
          "starved %llu", rate, (unsigned long long)atomic_load(&rt->frames), total,
          (unsigned long long)atomic_load(&rt->callbacks), calls,
          (unsigned long long)atomic_load(&rt->xrun_callbacks),
          (unsigned long long)atomic_load(&g->src_errors), (unsigned long long)atomic_load(&g->starved));
    const size_t ahead = sw_gen_rt_buffered(g);
    /* In flight besides the ring: at most one unconverted FIFO, and what the converter holds
     * (its input buffer, up to a few thousand samples). */
    const double in_flight = (double)rendered * ratio - (double)(total + ahead);
    CHECK(ahead <= ring_cap && in_flight >= 0 && in_flight <= (CHUNK + 4096) * ratio,
          "generate %.0f Hz: rendered %llu model samples for %zu frames played + %zu in the ring "
          "(%.0f frames' worth in flight)", rate, rendered, total, ahead, in_flight);

    /* Run the ring dry: what it held comes out (continuing the reference), then silence,
     * counted as starved; every callback returns without waiting for the producer. */
    {
        size_t left = ahead, drained = 0, extra = ahead + 3000;
        float *tail = malloc(sizeof(float) * extra);
        int ok = 1;
        long a0 = rt_allocs, l0 = rt_locks;
        while (drained < extra) {
            unsigned long fr = extra - drained < 1000 ? (unsigned long)(extra - drained) : 1000;
            PaStreamCallbackTimeInfo ti = { 0, 0, 0 };
            rt_counting = 1;
            app_stream_callback(NULL, (void *)outb, fr, &ti, 0, rt);
            rt_counting = 0;
            memcpy(tail + drained, outb[0], fr * sizeof(float));
            drained += fr;
        }
        double tss = 0;
        for (size_t i = 0; i < left; i++)
            tss += (double)tail[i] * tail[i];
        for (size_t i = left; i < extra; i++)
            ok &= tail[i] == 0.0f;
        unsigned long long starved = atomic_load(&g->starved);
        CHECK(ok && starved == extra - left && (left == 0 || tss > 0) && rt_allocs == a0 && rt_locks == l0,
              "generate %.0f Hz: dry ring: %zu frames left then %zu of silence; starved %llu, "
              "silence %s, allocations %ld", rate, left, extra - left, starved, ok ? "yes" : "no",
              rt_allocs - a0);
        free(tail);
    }
    printf("%s: generate %.0f Hz -> %d ch: %zu callbacks, %zu frames, %llu rendered, output vs reference "
           "%s%.1f dB, %ld allocations, %ld locks\n",
           (allocs || frees || locks) ? "FAIL" : "ok", rate, out_channels, calls, total, rendered,
           src ? "" : "bit-identical, ", src ? snr : INFINITY, allocs, locks);
    for (int c = 0; c < 2; c++)
        free(outb[c]);
    free(got);
    free(want);
    free(model_audio);
    free(rt);
    free(g);
    free(ring);
    sw_gen_stream_destroy(stream);
    sw_generator_destroy(ref);
    sw_generator_destroy(gen);
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: %s MODEL SPEECH_FILE [GENERATE_MODEL]\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* Self-check: the interposer must see these, or the zero counts below mean nothing. */
    rt_counting = 1;
    void *volatile p = malloc(32);
    void *volatile q = calloc(4, 8);
    void *volatile r = NULL;
    int pm = posix_memalign((void **)&r, 64, 128);
    free(p);
    free(q);
    free(r);
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&mu);
    pthread_mutex_unlock(&mu);
    rt_counting = 0;
    if (pm != 0 || rt_allocs != 3 || rt_frees != 3 || rt_locks != 1) {
        printf("FAIL: interposer self-check: %ld allocs, %ld frees, %ld locks (want 3, 3, 1)\n",
               rt_allocs, rt_frees, rt_locks);
        return 1;
    }
    rt_allocs = rt_frees = rt_locks = 0;

    char err[512];
    sw_model *model = NULL;
    sw_status st = sw_model_load_file(argv[1], &model, err, sizeof err);
    if (st != SW_OK) {
        printf("FAIL: cannot load model '%s': %s\n", argv[1], err);
        return 1;
    }
    size_t total = 48000 * 3;
    float *speech = load_speech(argv[2], total);
    if (!speech)
        return 1;
    run_case(model, speech, total, 48000, 1, 1);
    run_case(model, speech, total, 48000, 1, 2);
    run_case(model, speech, total, 48000, 2, 2);
    run_case(model, speech, total, 44100, 2, 2);
    run_case(model, speech, total, 16000, 1, 2);
    run_case(model, speech, total, 96000, 1, 1);
    free(speech);
    sw_model_free(model);
    if (argc == 4) {
        sw_model *gm = NULL;
        st = sw_model_load_file(argv[3], &gm, err, sizeof err);
        if (st != SW_OK) {
            printf("FAIL: cannot load generate model '%s': %s\n", argv[3], err);
            return 1;
        }
        run_gen_case(gm, 48000, 2, 48000);
        run_gen_case(gm, 48000, 1, 48000);
        run_gen_case(gm, 44100, 2, 44100);
        run_gen_case(gm, 16000, 2, 24000); /* the model rate: no converter */
        run_gen_case(gm, 96000, 2, 96000);
        run_gen_case(gm, 22050, 1, 22050);
        run_gen_case(gm, 8000, 1, 12000);
        sw_model_free(gm);
    }
    if (failures) {
        printf("FAIL: rt_alloc_test: %d check(s) failed\n", failures);
        return 1;
    }
    printf("PASS: rt_alloc_test: %s made no allocation and took no lock\n",
           argc == 4 ? "the live and generate callbacks" : "the live callback");
    return 0;
}
#else
int main(void)
{
    printf("SKIP: rt_alloc_test: built with AddressSanitizer (it replaces malloc)\n");
    return 0;
}
#endif
