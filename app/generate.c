/* generate.c — `statewave generate`: render audio with the autoregressive SSM generator
 * (sw_generator, dsp/engines/generate.c) and the shipped generate model (a SaShiMi-style piano
 * model: 16 kHz, 8-bit mu-law). Optionally continues a prompt recording.
 *
 * Flow: load model (once) -> sw_generator_create(seed) -> set temperature / top-p ->
 * [read prompt, mix to mono, resample to the model rate, prime] -> render in blocks into a
 * temp file next to the output (app_outfile) -> rename. Ctrl-C removes the temp file.
 * With --live the primed generator is played through the app's stream runner (stream.h):
 * a rendering thread keeps the render-ahead ring of generate_rt.c full, and the audio
 * callback only copies from it. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sndfile.h>

#include "audioin.h"
#include "commands.h"
#include "common.h"
#include "formats.h"
#include "generate_rt.h"
#include "outfile.h"
#include "stream.h"

#define SUB "generate"
#define BLOCK 1600   /* samples rendered and written per step (0.1 s at 16 kHz) */

static const char help[] =
    "Usage: statewave generate [OPTIONS] -o OUT\n"
    "       statewave generate [OPTIONS] --live [DEVICE OPTIONS]\n"
    "\n"
    "Generate audio sample by sample with the SSM music generator (the shipped model is\n"
    "a SaShiMi-style piano model: 16 kHz, 8-bit mu-law, mono). Optionally continue a\n"
    "prompt recording. The same model, seed and settings give bit-identical audio.\n"
    "\n"
    "  -o, --output FILE      output audio file; the extension picks the format (wav, flac,\n"
    "                         ogg, ...; 16-bit PCM, or Vorbis for ogg). Required unless --live.\n"
    "  -m, --model FILE       generator model (default: $STATEWAVE_GENERATE_MODEL, then\n"
    "                         <exe dir>/../presets/generate.safetensors, then the installed\n"
    "                         share/statewave/generate.safetensors)\n"
    "  -s, --seconds S        seconds of new audio, (0, 3600] (default 4; with --live: play\n"
    "                         for S seconds, default until Ctrl-C)\n"
    "      --seed N           random seed, 0..2^64-1 (default 1)\n"
    "  -t, --temperature T    sampling temperature, [0, 10] (default 1; < 0.001 = greedy)\n"
    "  -p, --top-p P          nucleus sampling: draw only from the most likely codes whose\n"
    "                         probability adds up to P, (0, 1] (default 1 = no truncation).\n"
    "                         Lower values may drift into digital silence: with the shipped\n"
    "                         model, top-p 0.95 or 0.98 often goes silent within seconds\n"
    "      --prompt FILE      continue this recording (any format libsndfile reads; mixed\n"
    "                         to mono and resampled to the model's rate; at most 600 s)\n"
    "      --prompt-seconds S use only the first S seconds of the prompt, (0, 600] (default:\n"
    "                         all of it)\n"
    "      --no-prompt        write only the new audio, not the prompt before it\n"
    "  -f, --format FMT       output format by name, overriding the extension\n"
    "  -q, --quiet            no progress bar, no summary line (--live: no status line)\n"
    "  -h, --help             this help\n"
    "\n"
    "Live playback (instead of -o):\n"
    "      --live             play the audio as it is generated, through a PortAudio output\n"
    "                         stream, resampled to the device rate (libsamplerate). The\n"
    "                         machine must generate faster than real time, or it underruns\n"
    "                         (xruns). A --prompt is primed but not played.\n"
    "  -d, --device DEV       output device: index or name substring (see 'statewave\n"
    "                         devices'; default: the host API's default output)\n"
    "  -a, --host-api NAME    host API by name substring, e.g. JACK, ALSA\n"
    "  -r, --rate R           device sample rate in Hz, 8000..192000 (default: the device's)\n"
    "  -F, --frames N         frames per callback (default 0: the host's choice; with JACK\n"
    "                         use the server's period). Playback needs no low latency, and\n"
    "                         longer periods (e.g. 1024) absorb the generator's time jitter\n"
    "  -L, --latency MS       suggested output latency in ms (default: the device's low latency)\n"
    "  --live prints the stream setup, a status line on a terminal and at the end one line\n"
    "    summary: frames=F callbacks=N xruns=X out_underflow=.. out_overflow=.. generated=G\n"
    "             generated_s=.. rms_dbfs=.. peak=.. src_errors=.. cb_mean_ms=.. cb_max_ms=..\n"
    "             dsp_load=.. seconds=S rate=R end=REASON\n"
    "  (frames at the device rate, G samples at the model rate, rms/peak of what was played,\n"
    "  cb_* = time in the callback, dsp_load = that time / audio time, REASON = seconds,\n"
    "  signal or device-lost).\n"
    "\n"
    "A progress bar (percent, speed as x real time, ETA) is shown on stderr, or stdout,\n"
    "when it is a terminal. The output is written to a temp file and renamed at the end;\n"
    "on any error (or Ctrl-C) nothing is left behind.\n"
    "Exit status: 0 written (--live: stopped by --seconds or a signal), 1 error (model,\n"
    "prompt, output, device; --live: device lost), 2 usage error.\n";

/* The prompt as mono float at `rate` Hz: read (to the real end of its data, or its first
 * max_seconds), mix down (mean of channels), resample. Without max_seconds a prompt longer than
 * APP_MAX_PROMPT_SECONDS is refused. Returns a malloc'ed buffer and its length, or NULL
 * (message printed). */
static float *load_prompt(const char *path, double max_seconds, int rate, size_t *n_out)
{
    app_audio_in ain;
    /* With --prompt-seconds only the start is read, so any length of file will do. */
    if (app_audio_open(&ain, path, max_seconds > 0 ? APP_MAX_INPUT_SECONDS : APP_MAX_PROMPT_SECONDS,
                       APP_AUDIO_READ_WHOLE) != 0) {
        app_err(SUB, "cannot read prompt '%s': %s", path, ain.err);
        return NULL;
    }
    const int in_rate = ain.info.samplerate;
    sf_count_t limit = max_seconds > 0 ? (sf_count_t)ceil(max_seconds * in_rate) : 0;
    float *mono = NULL;
    size_t got = 0;
    int r = app_audio_read_mono(&ain, limit, &mono, &got);
    app_audio_close(&ain);
    if (r != 0) {
        app_err(SUB, "prompt '%s': %s%s", path, ain.err,
                strstr(ain.err, "longer than") ? " (use --prompt-seconds)" : "");
        return NULL;
    }
    if (in_rate == rate) {
        *n_out = got;
        return mono;
    }
    float *res = NULL;
    char err[256];
    sw_status st = sw_resample(mono, got, (double)rate / in_rate, SW_RESAMPLE_BEST, &res, n_out, err, sizeof err);
    free(mono);
    if (st != SW_OK) {
        app_err(SUB, "prompt '%s': cannot resample %d Hz to %d Hz: %s", path, in_rate, rate, err);
        return NULL;
    }
    return res;
}

/* ------------------------------------------------------------------ --live -- */
/* The mode for the stream runner: the generator at the device rate (sw_gen_stream) and the
 * render-ahead ring (generate_rt.c), filled before the stream starts and kept full by a
 * rendering thread that naps for an eighth of the ring between top-ups (62 ms at the 0.5 s
 * ring), so a stall shorter than 7/8 of the ring is inaudible. The threads share sw_gen_rt
 * through C11 atomics only. */
typedef struct {
    app_stream_mode m;        /* first: the runner's hooks get &this->m */
    sw_generator *gen;        /* seeded and configured; owned by cmd_generate */
    const float *prompt;      /* [n_prompt] at the model rate, primed in gen_prepare; cmd_generate's */
    size_t n_prompt;          /* its samples */
    const char *used;         /* the model's path, printed */
    const char *settings;     /* seed, temperature, top-p (and prompt), printed */
    int model_rate;           /* the generator's rate, Hz */
    double rate;              /* the device rate, Hz */
    sw_gen_stream *stream;    /* gen at the device rate (owned) */
    float *ring;              /* [sw_gen_rt_ring_frames(rate)] */
    size_t ring_cap;          /* its frames */
    sw_gen_rt rt;             /* shared with the callback and the rendering thread */
    pthread_t tid;            /* the rendering thread */
    const char *prio;         /* its scheduling, for the setup line */
    _Atomic int stop;         /* set by the main thread: the rendering thread returns */
} gen_mode;

static void *render_main(void *arg)
{
    gen_mode *G = arg;
    while (!atomic_load_explicit(&G->stop, memory_order_relaxed)) {
        sw_gen_rt_fill(&G->rt);
        struct timespec nap = { 0, (long)(1e9 * SW_GEN_RT_AHEAD_S / 8) };
        nanosleep(&nap, NULL);
    }
    return NULL;
}

static int gen_prepare(app_stream_mode *m, app_stream_rt *rt, double rate, int out_channels)
{
    gen_mode *G = (gen_mode *)m;
    G->rate = rate;
    char err[256];
    /* The stream's warm-up resets the generator, so the prompt is primed after it (on this
     * thread, before the device opens: may take a while for a long prompt). */
    if (sw_gen_stream_create(G->gen, rate, &G->stream, err, sizeof err) != SW_OK) {
        app_err(SUB, "%s (pass --rate)", err);
        return -1;
    }
    for (size_t pos = 0; pos < G->n_prompt; pos += BLOCK)
        sw_generator_prime(G->gen, G->prompt + pos, G->n_prompt - pos < BLOCK ? G->n_prompt - pos : BLOCK);
    G->ring_cap = sw_gen_rt_ring_frames(rate);
    if (!(G->ring = calloc(G->ring_cap, sizeof *G->ring))) {
        app_err(SUB, "out of memory");
        return -1;
    }
    sw_gen_rt_init(&G->rt, G->stream, G->ring, G->ring_cap);
    sw_gen_rt_fill(&G->rt); /* the stream starts with a full ring */
    app_stream_rt_init(rt, sw_gen_block, &G->rt, 1, out_channels);
    return 0;
}

/* The rendering thread asks for SCHED_FIFO at the lowest real-time priority, below any audio
 * server's threads, so that ordinary load cannot starve it; where the system does not allow
 * it, it runs at normal priority and the ring alone absorbs the delays. */
static int gen_start(app_stream_mode *m)
{
    gen_mode *G = (gen_mode *)m;
    atomic_init(&G->stop, 0);
    int e = pthread_create(&G->tid, NULL, render_main, G);
    if (e != 0) {
        app_err(SUB, "cannot start the rendering thread: %s", strerror(e));
        return -1;
    }
    struct sched_param sp = { .sched_priority = sched_get_priority_min(SCHED_FIFO) };
    if (sp.sched_priority < 1)
        sp.sched_priority = 1;
    G->prio = pthread_setschedparam(G->tid, SCHED_FIFO, &sp) == 0 ? "SCHED_FIFO" : "normal priority";
    return 0;
}

static void gen_stop(app_stream_mode *m)
{
    gen_mode *G = (gen_mode *)m;
    atomic_store(&G->stop, 1);
    pthread_join(G->tid, NULL);
}

static double gen_print_setup(app_stream_mode *m, double srate, double in_lat, double out_lat)
{
    (void)in_lat;
    gen_mode *G = (gen_mode *)m;
    printf("model: %s (%d Hz", G->used, G->model_rate);
    if (G->rate != G->model_rate) /* sw_gen_stream's converter: medium quality */
        printf(", resampled to %.0f Hz by libsamplerate '%s')\n", srate, sw_resample_name(SW_RESAMPLE_MEDIUM));
    else
        printf(", played as is)\n");
    printf("settings: %s\n", G->settings);
    printf("rendering: %.0f ms ahead of the output (%zu frames), thread at %s\n",
           1e3 * (double)G->ring_cap / G->rate, G->ring_cap, G->prio);
    printf("latency: output %.2f ms\n", out_lat * 1e3);
    return out_lat;
}

static void gen_status(app_stream_mode *m, app_stream_rt *rt, FILE *f, double t, double srate, PaStream *s)
{
    (void)s;
    gen_mode *G = (gen_mode *)m;
    fprintf(f, "[%7.1f s] %llu frames  %.1f s generated  xruns %llu  rms %.1f dBFS  ahead %3.0f ms  starved %llu",
            t, app_rt_ld(&rt->frames), app_rt_ld(&G->rt.rendered) / (double)G->model_rate,
            app_rt_ld(&rt->xrun_callbacks), app_dbfs(app_stream_rt_rms(rt)),
            1e3 * (double)sw_gen_rt_buffered(&G->rt) / srate, app_rt_ld(&G->rt.starved));
}

/* render_load: the rendering thread's time relative to the audio it rendered. */
static void gen_summary(app_stream_mode *m, app_stream_rt *rt, int part, double srate)
{
    (void)srate;
    gen_mode *G = (gen_mode *)m;
    unsigned long long ngen = app_rt_ld(&G->rt.rendered);
    if (part == 0)
        printf("out_underflow=%llu out_overflow=%llu starved=%llu generated=%llu generated_s=%.2f buffered=%zu "
               "rms_dbfs=%.1f peak=%.3f src_errors=%llu ",
               app_rt_ld(&rt->out_underflow), app_rt_ld(&rt->out_overflow), app_rt_ld(&G->rt.starved), ngen,
               ngen / (double)G->model_rate, sw_gen_rt_buffered(&G->rt), app_dbfs(app_stream_rt_rms(rt)),
               app_stream_rt_peak(rt), app_rt_ld(&G->rt.src_errors));
    else
        printf("render_load=%.3f ",
               ngen ? (app_rt_ld(&G->rt.render_ns) * 1e-9) / ((double)ngen / G->model_rate) : 0.0);
}

/* Play `gen` until o->seconds pass, a signal, or the device is lost; returns an exit status.
 * *still_in_use as app_stream_run's. */
static int generate_live(sw_generator *gen, const float *prompt, size_t n_prompt, const app_stream_opts *o,
                         const char *used, const char *settings, int *still_in_use)
{
    gen_mode *G = calloc(1, sizeof *G);
    *still_in_use = 0;
    if (!G) {
        app_err(SUB, "out of memory");
        return SW_EXIT_FAIL;
    }
    G->m = (app_stream_mode){ .sub = SUB, .prepare = gen_prepare, .start = gen_start,
                              .print_setup = gen_print_setup, .status = gen_status, .stop = gen_stop,
                              .summary = gen_summary };
    G->gen = gen;
    G->prompt = prompt;
    G->n_prompt = n_prompt;
    G->used = used;
    G->settings = settings;
    G->model_rate = sw_generator_sample_rate(gen);
    int rc = app_stream_run(o, &G->m, still_in_use);
    if (*still_in_use)
        return rc;
    sw_gen_stream_destroy(G->stream);
    free(G->ring);
    free(G);
    return rc;
}

int cmd_generate(int argc, char **argv)
{
    const char *out_path = NULL, *model_path = NULL, *prompt_path = NULL, *fmt_name = NULL;
    /* top-p 1 by default: the shipped model drifts into digital silence at 0.98/0.95. */
    double seconds = 4.0, temperature = 1.0, top_p = 1.0, prompt_seconds = 0.0;
    unsigned long long seed = 1;
    int quiet = 0, no_prompt = 0, live = 0, seconds_given = 0;
    app_stream_opts lo = { .latency_ms = -1.0 };
    int live_only = 0; /* a device option was given (needs --live) */
    const app_opt opts[] = {
        { "output", 'o', APP_OPT_STR, .dst = &out_path },
        { "model", 'm', APP_OPT_STR, .dst = &model_path },
        { "seconds", 's', APP_OPT_DBL, .dst = &seconds, 1e-3, 3600.0, &seconds_given },
        { "seed", 0, APP_OPT_U64, .dst = &seed },
        { "temperature", 't', APP_OPT_DBL, .dst = &temperature, 0.0, 10.0 },
        { "top-p", 'p', APP_OPT_DBL, .dst = &top_p, 1e-6, 1.0 },
        { "prompt", 0, APP_OPT_STR, .dst = &prompt_path },
        { "prompt-seconds", 0, APP_OPT_DBL, .dst = &prompt_seconds, 1e-3, APP_MAX_PROMPT_SECONDS },
        { "no-prompt", 0, APP_OPT_FLAG, .dst = &no_prompt },
        { "format", 'f', APP_OPT_STR, .dst = &fmt_name },
        { "quiet", 'q', APP_OPT_FLAG, .dst = &quiet },
        { "help", 'h', APP_OPT_HELP, .dst = (void *)help },
        { "live", 0, APP_OPT_FLAG, .dst = &live },
        { "device", 'd', APP_OPT_STR, .dst = &lo.output, .seen = &live_only },
        { "rate", 'r', APP_OPT_DBL, .dst = &lo.rate, 8000.0, 192000.0, &live_only },
        APP_STREAM_OPTIONS(lo, &live_only),
    };
    int parsed = app_parse_opts(SUB, argc, argv, opts, APP_NOPTS(opts), 0, 1);
    if (parsed >= 0)
        return parsed;
    if (app_stream_check_usage(SUB, live, out_path || fmt_name || no_prompt, "audio",
                               "-o/--output, --format and --no-prompt", live_only,
                               "--device, --host-api, --rate, --frames and --latency", out_path) != 0)
        return SW_EXIT_USAGE;
    app_fmt_alias fmt;
    if (app_output_format(SUB, fmt_name, out_path, &fmt) != 0)
        return SW_EXIT_USAGE;

    sw_model *model = NULL;
    sw_generator *gen = NULL;
    float *prompt = NULL, *buf = NULL;
    size_t n_prompt = 0;
    app_render r = APP_RENDER_INIT;
    int rc = SW_EXIT_FAIL;
    char used[PATH_MAX + 64], err[512];
    /* The output rule (outfile.h): never the prompt or the model, checked before any work and
     * again, with the model actually found, when the output is opened. */
    app_protect_set prot = { 0 };
    if (!live && (app_protect_add(&prot, SUB, prompt_path, "prompt") != 0 ||
                  app_protect_add(&prot, SUB, model_path, "model") != 0 ||
                  app_output_check(SUB, NULL, out_path, &prot) != 0)) {
        app_protect_free(&prot);
        return SW_EXIT_FAIL;
    }

    if (app_load_model(SUB, &app_model_generate, model_path, &model, used, sizeof used) != 0) {
        app_protect_free(&prot);
        return SW_EXIT_FAIL;
    }
    if (!live && app_protect_add(&prot, SUB, used, "model") != 0)
        goto out;
    sw_status st = sw_generator_create(model, (uint64_t)seed, &gen, err, sizeof err);
    if (st != SW_OK) {
        app_err(SUB, "cannot create the generator from '%s': %s: %s", used, sw_status_str(st), err);
        goto out;
    }
    sw_generator_set_temperature(gen, (float)temperature);
    sw_generator_set_top_p(gen, (float)top_p);
    const int rate = sw_generator_sample_rate(gen);
    if (prompt_path && !(prompt = load_prompt(prompt_path, prompt_seconds, rate, &n_prompt)))
        goto out;
    if (live) {
        char settings[160];
        int k = snprintf(settings, sizeof settings, "seed %llu, temperature %g, top-p %g", seed,
                         temperature, top_p);
        if (n_prompt && k > 0 && (size_t)k < sizeof settings)
            snprintf(settings + k, sizeof settings - (size_t)k, ", after a %.2f s prompt",
                     (double)n_prompt / rate);
        lo.seconds = seconds_given ? seconds : 0.0;
        lo.quiet = quiet;
        int in_use = 0;
        rc = generate_live(gen, prompt, n_prompt, &lo, used, settings, &in_use);
        if (in_use) { /* the device was lost with a host thread that may still call back */
            app_protect_free(&prot);
            return rc;
        }
        goto out;
    }

    /* 16-bit PCM holds 8-bit mu-law audio exactly enough; lossy containers get their codec. */
    if (app_render_open(&r, SUB, out_path, &fmt, SF_FORMAT_WAV | SF_FORMAT_PCM_16, rate, &prot, quiet,
                        app_base_name(out_path)) != 0)
        goto out;
    if (!quiet)
        fprintf(stderr, "model: %s (%d Hz)\n", used, rate);
    const size_t n_new = (size_t)llround(seconds * rate);
    const double total = (double)(n_prompt + n_new); /* priming costs about as much as rendering */

    /* Prompt: fed through the net in blocks (so Ctrl-C and the progress bar work), and
     * written to the output unless --no-prompt. */
    for (size_t pos = 0; pos < n_prompt && !app_stop_requested; pos += BLOCK) {
        size_t m = n_prompt - pos < BLOCK ? n_prompt - pos : BLOCK;
        sw_generator_prime(gen, prompt + pos, m);
        if (!no_prompt && app_render_write(&r, prompt + pos, m) != 0)
            goto out;
        app_render_progress(&r, (double)(pos + m), total, 0);
    }
    buf = malloc(sizeof(float) * BLOCK);
    if (!buf) {
        app_err(SUB, "out of memory");
        goto out;
    }
    for (size_t pos = 0; pos < n_new && !app_stop_requested; pos += BLOCK) {
        size_t m = n_new - pos < BLOCK ? n_new - pos : BLOCK;
        sw_generator_render(gen, buf, m);
        if (app_render_write(&r, buf, m) != 0)
            goto out;
        app_render_progress(&r, (double)(n_prompt + pos + m), total, 0);
    }
    if (app_render_stopped(&r))
        goto out;
    app_render_progress(&r, total, total, 1);
    if (app_render_finish(&r, 0) != 0)
        goto out;
    if (!quiet) {
        double el = app_render_elapsed(&r);
        char what[96];
        if (n_prompt && !no_prompt)
            snprintf(what, sizeof what, "%.2f s prompt + %.2f s new", (double)n_prompt / rate,
                     (double)n_new / rate);
        else
            snprintf(what, sizeof what, "%.2f s new", (double)n_new / rate);
        fprintf(stderr, "%s  [%s, %d Hz, mono, %s] seed %llu, temperature %g, top-p %g; "
                        "%.2f s, %.2fx real time\n",
                out_path, what, rate, r.fd, seed, temperature, top_p, el, el > 0 ? total / rate / el : 0.0);
    }
    rc = SW_EXIT_OK;
out:
    app_render_close(&r);
    app_protect_free(&prot);
    free(buf);
    free(prompt);
    sw_generator_destroy(gen);
    sw_model_free(model);
    return rc;
}
